#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run inside the lab (tests/lab/lab-run): display-shm end to end on real KVM.
# The test guest runs passvm-shm-producer (tests/guest/tests/display-shm)
# on passvm's ivshmem-plain device backed by SHM-FILE, while a consumer on
# this side of the VM (tests/unit/dshm_consume_check.c, what passvm view
# uses) checks every pixel of FRAMES frames and the cursor updates live.
# The shm file lives in the lab's /dev/shm (the lab's 9p shares refuse a
# shared writable mmap: EINVAL); it is copied to OUT-DIR (a lab-run --rw
# directory) afterwards for the host-side check.
#   passvm-display-shm.sh PASSVM KERNEL INITRD CONSUME-CHECK OUT-DIR FRAMES
set -u
passvm=$1 kernel=$2 initrd=$3 consume=$4 outdir=$5 frames=$6
shm=/dev/shm/passvm-display-shm
[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab (kvm-amd did not load)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The viewer side starts first, as a user's viewer waiting for the VM.
rm -f "$shm"
truncate -s 32M "$shm"
"$consume" "$shm" "$frames" 220 >"$work/consumer" 2>&1 &
cpid=$!
timeout -s KILL 240 "$passvm" run --kernel "$kernel" --initrd "$initrd" --memory 512M \
	--append "console=ttyS0 passvm.test=display-shm passvm.arg=$frames" \
	--serial "file:$work/serial" --shm "$shm" --shm-size 32M </dev/null >"$work/out" 2>&1
rc=$?
wait $cpid; crc=$?
echo "--- guest serial"; grep -v '^\s*$' "$work/serial" | tail -n 25
echo "--- passvm (exit $rc)"; cat "$work/out"
echo "--- consumer (exit $crc)"; cat "$work/consumer"
[ $rc = 0 ] || fail "passvm exited with $rc"
grep -q "PASSVM-TEST-PASS display-shm" "$work/serial" || fail "the guest's producer did not pass"
[ $crc = 0 ] || fail "the consumer did not get $frames good frames"
cp "$shm" "$outdir/shm" || fail "cannot copy the shm file to $outdir"
echo PASS
