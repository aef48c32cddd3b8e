#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guest reset with --on-reset reboot: the VM comes back (fresh RAM, the
# kernel loaded again) and the serial log keeps every boot. Then SIGTERM
# stops passvm cleanly with status 128+15.
# usage: reboot.sh PASSVM RESET_PAYLOAD
set -u
passvm=$1 payload=$2
dev=${PASSVM_KVM_DEV:-/dev/kvm}
if [ ! -c "$dev" ] || ! { exec 3<>"$dev"; } 2>/dev/null; then
	echo "SKIP: cannot open $dev read-write (no KVM here)"
	exit 77
fi
exec 3>&-
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$passvm" run --kernel "$payload" --on-reset reboot --serial "file:$work/serial" \
	</dev/null 2>"$work/stderr" &
pid=$!
boots=0
for _ in $(seq 1 300); do
	boots=$(grep -c 'PAYLOAD-START reset' "$work/serial" 2>/dev/null)
	[ "${boots:-0}" -ge 3 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
kill -TERM $pid 2>/dev/null
wait $pid
status=$?
echo "boots seen: $boots, exit status: $status"
cat "$work/stderr"
fail=0
[ "${boots:-0}" -ge 3 ] || { echo "FAIL: expected the guest to boot at least 3 times"; fail=1; }
[ $status = 143 ] || { echo "FAIL: expected exit status 143 after SIGTERM"; fail=1; }
grep -q 'rebooting' "$work/stderr" || { echo "FAIL: no 'rebooting' message"; fail=1; }
grep -q 'AFTER-RESET' "$work/serial" && { echo "FAIL: the guest ran on after its reset"; fail=1; }
exit $fail
