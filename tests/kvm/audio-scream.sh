#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest audio end to end: a guest plays through Scream's IVSHMEM ring, passvm
# plays it into a real PipeWire, and what PipeWire's null sink received is
# recorded from its monitor and checked sample by sample.
#
# A private headless PipeWire (the null-sink config from ../shared/notes,
# passed in) and WirePlumber (under dbus-run-session: it links streams as on
# a desktop, so passvm's stream goes to the default output by itself) run
# in a temporary XDG_RUNTIME_DIR. The scream payload writes 75 chunks
# (1.5 s, 48 kHz, 16-bit stereo) at real-time pace; pw-record takes the
# sink's monitor. Passing: every one of the 72000 frames arrived, exact, in
# order, with nothing lost, repeated or reordered (silence between them is
# reported, not failed: it means the host did not keep up, e.g. a slow
# nested KVM). Also: passvm with no PipeWire to reach fails at once, naming
# PipeWire and the fix.
# usage: audio-scream.sh PASSVM PAYLOAD PIPEWIRE_CONF CHECKER
set -u
passvm=$1 payload=$2 pwconf=$3 checker=$4
skip() { echo "SKIP: $*"; exit 77; }
if [ ! -c /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	skip "cannot open /dev/kvm read-write"
fi
exec 3<&-
for t in pipewire wireplumber dbus-run-session pw-record pw-metadata python3; do
	command -v "$t" >/dev/null ||
		skip "$t not found (apt-get install pipewire pipewire-bin wireplumber dbus python3)"
done
[ -f "$pwconf" ] || skip "no PipeWire config at $pwconf (../shared/notes beside the repo)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/passvm-audio.XXXXXX") || exit 99
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
wait_for() { # wait_for SECONDS COMMAND...: poll every 0.1 s
	local n=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

export XDG_RUNTIME_DIR=$tmp/run
unset PIPEWIRE_RUNTIME_DIR PIPEWIRE_REMOTE DBUS_SESSION_BUS_ADDRESS
mkdir -m 700 "$XDG_RUNTIME_DIR"
pipewire -c "$pwconf" >"$tmp/pipewire.log" 2>&1 &
pids+=($!)
wait_for 10 test -S "$XDG_RUNTIME_DIR/pipewire-0" || { cat "$tmp/pipewire.log"; echo "FAIL: PipeWire did not start"; exit 1; }
dbus-run-session -- wireplumber >"$tmp/wireplumber.log" 2>&1 &
pids+=($!)
has_default_sink() { timeout 2 pw-metadata -n default 2>/dev/null | grep -q 'default.audio.sink'; }
wait_for 15 has_default_sink || { cat "$tmp/wireplumber.log"; echo "FAIL: WirePlumber chose no default sink"; exit 1; }

pw-record --target vmm-null-sink --rate 48000 --channels 2 --format s16 "$tmp/rec.wav" \
	>"$tmp/record.log" 2>&1 &
rec=$!
pids+=($rec)
recorder_linked() { pw-link -l 2>/dev/null | grep -q 'monitor_FL'; }
wait_for 10 recorder_linked || fail "pw-record was not linked to the sink's monitor"

timeout 60 "$passvm" run --kernel "$payload" --serial "file:$tmp/serial.log" --audio scream \
	--append "chunks=75" >"$tmp/out" 2>&1
rc=$?
sleep 0.5 # the last periods reach the monitor
kill -INT "$rec" 2>/dev/null
wait "$rec" 2>/dev/null
cat "$tmp/serial.log" "$tmp/out"
[ $rc = 0 ] || fail "passvm exit $rc"
grep -q 'PAYLOAD-OK scream' "$tmp/serial.log" || fail "the payload did not finish"
grep -q 'guest plays 48000 Hz, 2 ch (FL FR) into PipeWire' "$tmp/out" ||
	fail "passvm did not say it plays 48 kHz stereo into PipeWire"
grep -q 'Scream: 75 chunks' "$tmp/out" || fail "passvm did not read the 75 chunks"
python3 "$checker" "$tmp/rec.wav" 72000 || fail "the recording is not the guest's stream"

# passvm check on a profile with [audio]: PipeWire reachable, the target
# there or not (then the sinks that exist are named).
printf '[machine]\nname = audio\n[boot]\nkernel = %s\n[audio]\ntarget = %s\n' "$payload" \
	vmm-null-sink >"$tmp/ok.ini"
out=$("$passvm" check "$tmp/ok.ini" 2>&1)
grep -E 'audio|PipeWire' <<<"$out"
grep -q 'OK  *PipeWire  *0\.3\.[0-9]* reachable; the guest plays into vmm-null-sink' <<<"$out" ||
	fail "check: PipeWire with vmm-null-sink not reported OK"
sed 's/^target = .*/target = no-such-output/' "$tmp/ok.ini" >"$tmp/bad.ini"
out=$("$passvm" check "$tmp/bad.ini" 2>&1)
grep -A1 'audio target' <<<"$out"
grep -q 'FAIL  *audio target .*no output named no-such-output' <<<"$out" &&
	grep -q 'fix: set \[audio\] target to one of: vmm-null-sink' <<<"$out" ||
	fail "check: a missing target is not a FAIL naming the sinks there"

# No PipeWire to reach: one clear error, non-zero, at once.
mkdir -m 700 "$tmp/empty"
out=$(XDG_RUNTIME_DIR=$tmp/empty timeout 30 "$passvm" run --kernel "$payload" --serial none \
	--audio scream 2>&1); rc=$?
echo "$out"
[ $rc != 0 ] && grep -q 'cannot connect to PipeWire' <<<"$out" && grep -q 'PIPEWIRE_RUNTIME_DIR' <<<"$out" ||
	fail "passvm without PipeWire did not fail clearly (exit $rc)"

# Bad flags: usage errors (exit 2) naming the flag and what to write.
out=$("$passvm" run --kernel "$payload" --audio hda 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--audio hda: use scream' <<<"$out" || fail "--audio hda: exit $rc: $out"
out=$("$passvm" run --kernel "$payload" --scream-size 3M 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--scream-size 3M: write a power of two' <<<"$out" ||
	fail "--scream-size 3M: exit $rc: $out"

[ $fails = 0 ] && echo PASS
exit $((fails > 0))
