#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# display-shm end to end: in the lab, the guest's producer feeds a live
# consumer beside passvm (passvm-display-shm.sh), which then copies the shm
# file into a writable host directory (lab-run --rw). On this host, the file
# must hold what the guest wrote: LGMP/KVMFR headers and a last frame whose
# every pixel is the test pattern (dshm_file_check.py).
#   display-shm-e2e.sh LAB-RUN CACHE PASSVM KERNEL INITRD CONSUME-CHECK FRAMES
# With --view: the guest's still picture in passvm's own window under Xvfb
# (passvm-display-shm-view.sh); the screenshot it saves must be, on this
# host, the frame at every pixel with the cursor at X,Y (dshm_view_check.py,
# the checker of the viewer's unit test).
#   display-shm-e2e.sh --view LAB-RUN CACHE PASSVM KERNEL INITRD X,Y
set -u
here=$(dirname "$(realpath "$0")")
rw=$(mktemp -d "${TMPDIR:-/tmp}/passvm-dshm-e2e.XXXXXX") || exit 99
trap 'rm -rf "$rw"' EXIT
if [ "$1" = --view ]; then
	labrun=$2 cache=$3 passvm=$4 kernel=$5 initrd=$6 cursor=$7
	"$labrun" --cache "$cache" --smp 2 --rw "$rw" -- "$here/passvm-display-shm-view.sh" \
		"$passvm" "$kernel" "$initrd" "$rw" "$cursor"
	rc=$?
	[ $rc = 0 ] || exit $rc
	echo "--- on the host: $rw/view.ppm"
	python3 "$here/../unit/dshm_view_check.py" "$rw/view.ppm" --frame 1280x720 \
		--cursor "$cursor" || { echo "FAIL: the screenshot"; exit 1; }
	echo PASS
	exit 0
fi
labrun=$1 cache=$2 passvm=$3 kernel=$4 initrd=$5 consume=$6 frames=$7
"$labrun" --cache "$cache" --smp 2 --rw "$rw" -- "$here/passvm-display-shm.sh" \
	"$passvm" "$kernel" "$initrd" "$consume" "$rw" "$frames"
rc=$?
[ $rc = 0 ] || exit $rc
echo "--- on the host: $rw/shm"
python3 "$here/dshm_file_check.py" "$rw/shm" || { echo "FAIL: the host file"; exit 1; }
echo PASS
