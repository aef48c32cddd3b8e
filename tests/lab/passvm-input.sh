#!/usr/bin/env bash
# Run inside the lab (it has uinput): passvm forwards a keyboard and a mouse
# (made with uinput by uinput-feed) to the test guest as virtio-input, from
# a profile's [input] section; the feeder checks passvm's grab and its
# Ctrl+Ctrl toggle from the host side and unplugs and replugs the keyboard,
# the guest (tests/guest/tests/input) checks which events arrived, and its
# Caps Lock LED comes back.
# passvm-input.sh UINPUT_FEED PASSVM KERNEL INITRD
set -uo pipefail
feed=$1 passvm=$2 kernel=$3 initrd=$4
[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab (kvm-amd did not load)"; exit 77; }
[ -c /dev/uinput ] || { echo "SKIP: no /dev/uinput in the lab"; exit 77; }
work=$(mktemp -d)
fpid='' ppid_vm=''
cleanup() {
	[ -z "$ppid_vm" ] || kill -9 "$ppid_vm" 2>/dev/null
	[ -z "$fpid" ] || kill "$fpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

"$feed" "$work" >"$work/feed.log" 2>&1 &
fpid=$!
for _ in $(seq 1 100); do
	[ "$(wc -l <"$work/devices" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
[ "$(wc -l <"$work/devices" 2>/dev/null)" = 2 ] || { cat "$work/feed.log"; echo "FAIL: no uinput devices"; exit 1; }
{
	echo "[input]"
	while read -r node; do echo "device = $node"; done <"$work/devices"
} >"$work/input.ini"
cat "$work/input.ini"

"$passvm" run "$work/input.ini" --kernel "$kernel" --initrd "$initrd" --memory 256M \
	--append "console=ttyS0 passvm.test=input" --serial "file:$work/serial.log" \
	</dev/null 2>"$work/stderr" &
ppid_vm=$!
# Killed after 120 s (a run takes ~20 s); one that outlives its SIGKILL sits
# on a CPU the lab lost (lab-run starts a new lab on LAB-STUCK).
for ((t = 0; t < 1350; t++)); do
	kill -0 $ppid_vm 2>/dev/null || break
	[ $t != 1200 ] || kill -9 $ppid_vm
	sleep 0.1
done
if kill -0 $ppid_vm 2>/dev/null; then
	echo "LAB-STUCK: passvm (pid $ppid_vm) is still there 15 s after its SIGKILL" >&2
	exit 125
fi
wait $ppid_vm
rc=$?
ppid_vm=''
: >"$work/stop"
wait $fpid
frc=$?
fpid=''
echo "--- serial"; cat "$work/serial.log"
echo "--- passvm stderr"; cat "$work/stderr"
echo "--- uinput-feed"; cat "$work/feed.log"
fails=0
[ $rc -eq 0 ] || { echo "FAIL: passvm exited with $rc"; fails=1; }
[ $frc -eq 0 ] || { echo "FAIL: uinput-feed exited with $frc"; fails=1; }
grep -q 'PASSVM-TEST-PASS input' "$work/serial.log" || { echo "FAIL: no 'PASSVM-TEST-PASS input'"; fails=1; }
grep -q 'input: given back to the host' "$work/stderr" || { echo "FAIL: passvm did not log the toggle"; fails=1; }
grep -q 'input: .* is back' "$work/stderr" || { echo "FAIL: passvm did not log the keyboard's return"; fails=1; }
[ $fails -eq 0 ] && echo OK
exit $fails
