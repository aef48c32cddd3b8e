# shellcheck shell=bash
# audio-lib.sh: a private headless PipeWire for the audio tests (sourced by
# tests/kvm/audio-e2e.sh on the host and tests/lab/passvm-virtio-snd.sh in
# the lab).
#
# audio_setup NAME: a scratch folder $tmp (removed on exit, with every
#   process in $pids killed), fail (counts $fails) and audio_check_recording.
# audio_skip_missing: exit 77 (SKIP) naming what is not installed.
# audio_pw_start CONF: pipewire with CONF (a null sink, vmm-null-sink) and
#   WirePlumber under dbus-run-session, which links streams as a desktop's
#   does; XDG_RUNTIME_DIR points at $tmp/run. Exits 1 if either fails.
# audio_record_start: pw-record of the null sink's monitor into $tmp/rec.wav
#   (48 kHz, 16-bit stereo); audio_record_stop ends it.

audio_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
	pids=()
	fails=0
	trap audio_cleanup EXIT
}

audio_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# audio_check_recording CHECKER FRAMES: 0 when $tmp/rec.wav holds the
# guests' stream whole; 1 when frames are missing from it (a host under load
# can drop a period in PipeWire or in pw-record itself).
audio_check_recording() { python3 "$1" "$tmp/rec.wav" "$2"; }

# audio_play FN: FN plays and checks once (returns 0, 1 when frames are
# missing from the recording, 2 on another failure it counted). Frames
# missing once are played once more, loudly; a loss that repeats fails.
audio_play() {
	"$1"
	[ $? = 1 ] || return 0
	echo "${0##*/}: WARNING: frames are missing from the recording; playing once more"
	"$1"
	[ $? != 1 ] || fail "the recording is not the guest's stream (twice)"
}

audio_skip_missing() {
	local t
	for t in pipewire wireplumber dbus-run-session pw-record pw-metadata pw-link python3; do
		command -v "$t" >/dev/null || {
			echo "SKIP: $t not found (apt-get install pipewire pipewire-bin wireplumber dbus python3)"
			exit 77
		}
	done
}

audio_wait_for() { # audio_wait_for SECONDS COMMAND...: until COMMAND succeeds
	local end=$(($(date +%s) + $1)); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt $end ] || return 1
		sleep 0.1
	done
}

audio_has_default_sink() { timeout 5 pw-metadata -n default 2>/dev/null | grep -q 'default.audio.sink'; }
audio_recorder_linked() { pw-link -l 2>/dev/null | grep -q 'monitor_FL'; }

audio_pw_start() {
	export XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config
	unset PIPEWIRE_RUNTIME_DIR PIPEWIRE_REMOTE DBUS_SESSION_BUS_ADDRESS
	mkdir -p -m 700 "$XDG_RUNTIME_DIR"
	# No hardware to watch, and no logind: WirePlumber 0.4 quits when its
	# logind plugin (for Bluetooth) cannot start, as in the lab.
	mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
	printf 'alsa_monitor.enabled = false\nv4l2_monitor.enabled = false\nlibcamera_monitor.enabled = false\n' \
		>"$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-passvm-test.lua"
	echo 'bluez_monitor.enabled = false' \
		>"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-passvm-test.lua"
	# (-c takes a path relative to PipeWire's own config folders: make it absolute.)
	pipewire -c "$(realpath "$1")" >"$tmp/pipewire.log" 2>&1 &
	pids+=($!)
	audio_wait_for 30 test -S "$XDG_RUNTIME_DIR/pipewire-0" ||
		{ cat "$tmp/pipewire.log"; echo "FAIL: PipeWire did not start"; exit 1; }
	dbus-run-session -- wireplumber >"$tmp/wireplumber.log" 2>&1 &
	pids+=($!)
	audio_wait_for 120 audio_has_default_sink ||
		{ cat "$tmp/wireplumber.log"; echo "FAIL: WirePlumber chose no default sink"; exit 1; }
}

# audio_pw_stop: PipeWire, WirePlumber and the recorder gone, as when the
# desktop session restarts PipeWire.
audio_pw_stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait "${pids[@]}" 2>/dev/null
	pids=()
}

audio_record_start() {
	pw-record --target vmm-null-sink --rate 48000 --channels 2 --format s16 "$tmp/rec.wav" \
		>"$tmp/record.log" 2>&1 &
	audio_rec=$!
	pids+=($audio_rec)
	audio_wait_for 30 audio_recorder_linked || fail "pw-record was not linked to the sink's monitor"
}

audio_record_stop() {
	sleep 0.5 # the last periods reach the monitor
	kill -INT "$audio_rec" 2>/dev/null
	wait "$audio_rec" 2>/dev/null
}
