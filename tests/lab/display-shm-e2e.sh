#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# display-shm end to end: in the lab, the guest's producer feeds a live
# consumer beside passvm (passvm-display-shm.sh), which then copies the shm
# file into a writable host directory (lab-run --rw). On this host, the file
# must hold what the guest wrote: LGMP/KVMFR headers and a last frame whose
# every pixel is the test pattern (dshm_file_check.py).
#   display-shm-e2e.sh LAB-RUN CACHE PASSVM KERNEL INITRD CONSUME-CHECK FRAMES
set -u
labrun=$1 cache=$2 passvm=$3 kernel=$4 initrd=$5 consume=$6 frames=$7
here=$(dirname "$(realpath "$0")")
rw=$(mktemp -d "${TMPDIR:-/tmp}/passvm-dshm-e2e.XXXXXX") || exit 99
trap 'rm -rf "$rw"' EXIT
"$labrun" --cache "$cache" --smp 2 --rw "$rw" -- "$here/passvm-display-shm.sh" \
	"$passvm" "$kernel" "$initrd" "$consume" "$rw" "$frames"
rc=$?
[ $rc = 0 ] || exit $rc
echo "--- on the host: $rw/shm"
python3 "$here/dshm_file_check.py" "$rw/shm" || { echo "FAIL: the host file"; exit 1; }
echo PASS
