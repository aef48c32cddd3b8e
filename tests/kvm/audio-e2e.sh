#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest audio end to end: a guest plays through Scream's IVSHMEM ring (the
# scream payload) or virtio-snd (the vsnd payload, a virtio-snd driver),
# passvm plays it into a real PipeWire, and what PipeWire's null sink
# received is recorded from its monitor and checked sample by sample.
#
# A private headless PipeWire (the null-sink config from ../shared/notes,
# passed in) and WirePlumber (under dbus-run-session: it links streams as on
# a desktop, so passvm's stream goes to the default output by itself) run
# in a temporary XDG_RUNTIME_DIR. The payload plays 1.5 s (48 kHz, 16-bit
# stereo): scream writes 75 chunks of 20 ms at real-time pace, vsnd 150
# periods of 10 ms paced by the device's completions; pw-record takes the
# sink's monitor. Passing: every one of the 72000 frames arrived, exact, in
# order, with nothing lost, repeated or reordered (silence between them is
# reported, not failed: it means the host did not keep up, e.g. a slow
# nested KVM). Also: passvm with no PipeWire to reach fails at once, naming
# PipeWire and the fix.
# usage: audio-e2e.sh PASSVM scream|virtio-snd PAYLOAD PIPEWIRE_CONF CHECKER
set -u
passvm=$1 device=$2 payload=$3 pwconf=$4 checker=$5
skip() { echo "SKIP: $*"; exit 77; }
if [ ! -c /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	skip "cannot open /dev/kvm read-write"
fi
exec 3<&-
. "$(dirname "$0")/audio-lib.sh"
audio_skip_missing
[ -f "$pwconf" ] || skip "no PipeWire config at $pwconf"

audio_setup passvm-audio

audio_pw_start "$pwconf"
# play_once: the guest plays, the monitor is recorded and checked. Returns 0
# when the recording holds the stream, 1 when frames are missing from it, 2
# on any other failure (already counted). A host under load (other jobs on
# a 2-core machine) can drop a period in PipeWire or in pw-record itself:
# frames missing once are played once more, loudly; a loss that repeats is
# a failure.
play_once() {
	audio_record_start
	timeout 60 "$passvm" run --kernel "$payload" --serial "file:$tmp/serial.log" \
		--audio "$device" >"$tmp/out" 2>&1
	local rc=$? before=$fails
	audio_record_stop
	cat "$tmp/serial.log" "$tmp/out"
	[ $rc = 0 ] || fail "passvm exit $rc"
	grep -q "PAYLOAD-OK $(basename "$payload" .elf)" "$tmp/serial.log" ||
		fail "the payload did not finish"
	grep -q 'guest plays 48000 Hz, 2 ch (FL FR) into PipeWire' "$tmp/out" ||
		fail "passvm did not say it plays 48 kHz stereo into PipeWire"
	case $device in
	scream) grep -q 'Scream: 75 chunks' "$tmp/out" || fail "passvm did not read the 75 chunks" ;;
	virtio-snd) grep -q 'vsnd: 150 periods' "$tmp/serial.log" && grep -q 'vsnd: played again after a reset' "$tmp/serial.log" ||
		fail "the driver did not play 150 periods" ;;
	esac
	[ $fails = "$before" ] || return 2
	audio_check_recording "$checker" 72000 || return 1
}
audio_play play_once

# PipeWire restarted while the guest plays (7 s): passvm says it went away,
# connects again, and what the guest plays afterwards is heard, 1 s of it
# in a row at least, exact.
case $device in
scream) longer=chunks=350 ;;
virtio-snd) longer=periods=700 ;;
esac
# With two host CPUs, the vCPU goes on CPU 1 and every other thread of
# passvm, PipeWire's included, must stay on CPU 0 (--pin-other).
pin=()
[ "$(nproc)" -ge 2 ] && pin=(--pin-vcpus 1 --pin-other 0)
audio_record_start
timeout 60 "$passvm" run --kernel "$payload" --serial "file:$tmp/serial2.log" --audio "$device" \
	--append "$longer" "${pin[@]}" >"$tmp/out2" 2>&1 &
vm=$!
audio_wait_for 20 grep -q 'guest plays' "$tmp/out2" || fail "restart: the guest did not start playing"
sleep 1
if ((${#pin[@]})); then
	vmm=$(pgrep -P $vm passvm || echo $vm)
	threads=''
	for st in /proc/"$vmm"/task/*/status; do
		name=$(awk '/^Name:/{print $2}' "$st")
		cpus=$(awk '/^Cpus_allowed_list:/{print $2}' "$st")
		threads+="$name=$cpus "
		case $name in
		vcpu*) [ "$cpus" = 1 ] || fail "pinning: $name may run on $cpus, not 1" ;;
		*) [ "$cpus" = 0 ] || fail "pinning: thread $name may run on $cpus, not 0 (--pin-other)" ;;
		esac
	done
	echo "threads: $threads"
	case $threads in *passvm-audio=*) ;; *) fail "pinning: no passvm-audio thread seen" ;; esac
fi
audio_pw_stop
sleep 1
audio_pw_start "$pwconf"
audio_record_start
wait $vm
rc=$?
audio_record_stop
cat "$tmp/serial2.log" "$tmp/out2"
[ $rc = 0 ] || fail "restart: passvm exit $rc"
grep -q 'PipeWire went away' "$tmp/out2" || fail "restart: passvm did not see PipeWire go"
grep -q 'PipeWire is back; playing on' "$tmp/out2" || fail "restart: passvm did not connect again"
python3 "$checker" --run 48000 "$tmp/rec.wav" || fail "restart: the guest is not heard after the restart"

# passvm check on a profile with [audio]: PipeWire reachable, the target
# there or not (then the sinks that exist are named).
printf '[machine]\nname = audio\n[boot]\nkernel = %s\n[audio]\ndevice = %s\ntarget = %s\n' \
	"$payload" "$device" vmm-null-sink >"$tmp/ok.ini"
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
	--audio "$device" 2>&1); rc=$?
echo "$out"
[ $rc != 0 ] && grep -q 'cannot connect to PipeWire' <<<"$out" && grep -q 'PIPEWIRE_RUNTIME_DIR' <<<"$out" ||
	fail "passvm without PipeWire did not fail clearly (exit $rc)"

# As under sudo (root, XDG_RUNTIME_DIR dropped, SUDO_UID set): the user's
# PipeWire in /run/user/UID is found by itself (a stand-in folder here:
# PASSVM_RUN_USER_ROOT); without SUDO_UID it is not.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$tmp/runuser/4242"
	ln -s "$XDG_RUNTIME_DIR/pipewire-0" "$tmp/runuser/4242/pipewire-0"
	case $device in scream) short=chunks=5 ;; virtio-snd) short=periods=10 ;; esac
	out=$(env -u XDG_RUNTIME_DIR SUDO_UID=4242 PASSVM_RUN_USER_ROOT="$tmp/runuser" timeout 30 \
		"$passvm" run --kernel "$payload" --serial none --audio "$device" --append "$short" 2>&1)
	rc=$?
	[ $rc = 0 ] && grep -q 'guest plays' <<<"$out" ||
		fail "sudo: the user's PipeWire was not found through SUDO_UID (exit $rc): $out"
	out=$(env -u XDG_RUNTIME_DIR -u SUDO_UID PASSVM_RUN_USER_ROOT="$tmp/runuser" timeout 30 \
		"$passvm" run --kernel "$payload" --serial none --audio "$device" 2>&1)
	[ $? != 0 ] && grep -q 'cannot connect to PipeWire' <<<"$out" ||
		fail "no SUDO_UID: passvm found a PipeWire it should not have: $out"
else
	echo "(not root: the sudo case is not checked)"
fi

# Bad flags: usage errors (exit 2) naming the flag and what to write.
out=$("$passvm" run --kernel "$payload" --audio hda 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--audio hda: use scream' <<<"$out" || fail "--audio hda: exit $rc: $out"
out=$("$passvm" run --kernel "$payload" --scream-size 3M 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--scream-size 3M: write a power of two' <<<"$out" ||
	fail "--scream-size 3M: exit $rc: $out"

# Scream's ring and the display's ivshmem of one size: the guest could not
# tell them apart; refused by name.
if [ "$device" = scream ]; then
	out=$(timeout 30 "$passvm" run --kernel "$payload" --serial none --audio scream \
		--scream-size 4M --shm "$tmp/display.shm" --shm-size 4M 2>&1); rc=$?
	[ $rc != 0 ] && grep -q 'scream-size and \[display\] size are both 4 MiB' <<<"$out" ||
		fail "same-size ivshmem devices not refused (exit $rc): $out"
fi

[ $fails = 0 ] && echo PASS
exit $((fails > 0))
