#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# --hugepages 2M: guest RAM comes from the host's 2 MiB pool (seen in
# /sys while the guest runs), and a pool too small is refused up front with
# the number of pages needed (checked against a fake sysfs, no root needed).
# usage: hugepages.sh PASSVM PAYLOAD   (PAYLOAD: the reset payload, which
#        reboots forever under --on-reset reboot, so it is still running
#        when we look)
set -u
passvm=$1 payload=$2
fail=0
work=$(mktemp -d)
pool=/sys/kernel/mm/hugepages/hugepages-2048kB
saved=
cleanup() {
	[ -n "$saved" ] && echo "$saved" >"$pool/nr_hugepages"
	rm -rf "$work"
}
trap cleanup EXIT

# 1. Error path against a fake sysfs: 3 free pages, 256 needed for 512M.
mkdir -p "$work/sys/kernel/mm/hugepages/hugepages-2048kB"
echo 3 >"$work/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
PASSVM_SYSFS_ROOT=$work/sys "$passvm" run --kernel "$payload" --memory 512M --hugepages 2M \
	--serial none 2>"$work/err1"
st=$?
cat "$work/err1"
[ $st != 0 ] || { echo "FAIL: a short pool was not refused"; fail=1; }
grep -q 'need 256 free 2 MiB huge pages' "$work/err1" && grep -q 'has 3 free' "$work/err1" ||
	{ echo "FAIL: the error does not say 256 needed, 3 free"; fail=1; }

# 2. The real pool (needs /dev/kvm and root to size the pool).
dev=${PASSVM_KVM_DEV:-/dev/kvm}
if [ ! -c "$dev" ] || ! { exec 3<>"$dev"; } 2>/dev/null; then
	echo "SKIP: cannot open $dev read-write (no KVM here)"; exit 77
fi
exec 3>&-
if [ ! -w "$pool/nr_hugepages" ]; then
	echo "SKIP: cannot size the 2 MiB huge page pool ($pool/nr_hugepages needs root)"
	exit 77
fi
saved=$(cat "$pool/nr_hugepages")
want=$((saved + 32))
echo $want >"$pool/nr_hugepages"
free_before=$(cat "$pool/free_hugepages")
[ "$free_before" -ge 32 ] || { echo "SKIP: the host could not reserve 32 huge pages"; exit 77; }
"$passvm" run --kernel "$payload" --memory 64M --hugepages 2M --on-reset reboot \
	--serial "file:$work/serial" </dev/null 2>"$work/err2" &
pid=$!
for _ in $(seq 1 100); do
	grep -q 'PAYLOAD-START' "$work/serial" 2>/dev/null && break
	sleep 0.05
done
# The payload reboots every few ms (and a reboot gives the pool back for a
# moment): the fewest free pages seen over a few samples is what a boot holds.
free_during=$free_before
for _ in $(seq 1 20); do
	f=$(cat "$pool/free_hugepages")
	[ "$f" -lt "$free_during" ] && free_during=$f
	sleep 0.01
done
kill -TERM $pid; wait $pid
st=$?
free_after=$(cat "$pool/free_hugepages")
echo "free huge pages: before $free_before, while running $free_during, after $free_after; exit $st"
[ $((free_before - free_during)) -eq 32 ] ||
	{ echo "FAIL: a 64M guest should hold exactly 32 huge pages"; cat "$work/err2"; fail=1; }
[ "$free_after" -eq "$free_before" ] || { echo "FAIL: huge pages not given back"; fail=1; }
[ $st = 143 ] || { echo "FAIL: expected exit 143 after SIGTERM"; fail=1; }
exit $fail
