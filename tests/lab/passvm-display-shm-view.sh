#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run inside the lab (tests/lab/lab-run): the guest's screen in passvm's own
# window. Under Xvfb (a 1280x720 screen: the viewer window's default size),
# `passvm run --shm ... --view` boots the test guest, whose
# passvm-shm-producer posts the still picture at 1280x720 with the cursor
# at CURSOR (tests/guest/tests/display-shm, still mode); once the viewer
# child says it shows the guest, the screen is saved to OUT-DIR/view.ppm
# for the host to check every pixel (display-shm-e2e.sh). The viewer must
# be gone when passvm has exited.
#   passvm-display-shm-view.sh PASSVM KERNEL INITRD OUT-DIR CURSOR
set -u
if [ "${1-}" = --inner ]; then
	inner=1; shift
fi
passvm=$1 kernel=$2 initrd=$3 outdir=$4 cursor=$5
shm=/dev/shm/passvm-display-shm-view
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -c /dev/kvm ] || skip "no /dev/kvm in the lab (kvm-amd did not load)"
for t in xvfb-run xwd; do
	command -v $t >/dev/null || skip "no $t (tools/setup installs it)"
done
[ -x /usr/bin/convert ] || skip "no /usr/bin/convert (apt-get install imagemagick)"
if [ -z "${inner-}" ]; then
	exec xvfb-run -a -s "-screen 0 1280x720x24" "$0" --inner "$@"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# SDL's software renderer and no GL at all (SDL_FRAMEBUFFER_ACCELERATION=0):
# Mesa's llvmpipe JIT has crashed the viewer (SIGSEGV in libLLVM) under the
# lab's TCG CPU; at scale 1 both renderers draw the same pixels.
export SDL_VIDEODRIVER=x11 SDL_RENDER_DRIVER=software SDL_FRAMEBUFFER_ACCELERATION=0
run_view() {
	rm -f "$shm" "$outdir/view.ppm"
	timeout -s KILL 300 "$passvm" run --kernel "$kernel" --initrd "$initrd" --memory 512M \
		--append "console=ttyS0 passvm.test=display-shm passvm.arg=still:20:$cursor" \
		--serial "file:$work/serial" --shm "$shm" --shm-size 32M --view \
		</dev/null >"$work/out" 2>&1 &
	pid=$!
	shown=0
	for _ in $(seq 2400); do
		grep -q "passvm view: showing the guest" "$work/out" && { shown=1; break; }
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	# The still frames are all the same picture: any present after the first
	# is the one to check; give the viewer a second to draw it.
	[ $shown = 1 ] && sleep 1 && xwd -root -silent | /usr/bin/convert xwd:- "ppm:$outdir/view.ppm"
	wait $pid; rc=$?
}

run_view
# A guest that faulted before it printed a byte (the lab's nested SVM under
# TCG has done that once: a triple fault with the vCPU back at the reset
# vector, no kernel output) gets one more run; a passvm bug fails twice.
if [ $rc = 1 ] && [ ! -s "$work/serial" ] && grep -q "guest triple fault" "$work/out"; then
	echo "WARNING: the guest faulted before its first output; its run:"
	cat "$work/out"
	echo "running it once more"
	run_view
fi
echo "--- guest serial"; grep -v '^\s*$' "$work/serial" | tail -n 15
echo "--- passvm (exit $rc)"; cat "$work/out"
[ $shown = 1 ] || fail "the viewer never said it shows the guest"
[ -s "$outdir/view.ppm" ] || fail "no screenshot"
[ $rc = 0 ] || fail "passvm exited with $rc"
grep -q "PASSVM-TEST-PASS display-shm" "$work/serial" || fail "the guest's producer did not pass"
vpid=$(sed -n 's/.*viewer: pid \([0-9]*\) shows.*/\1/p' "$work/out" | head -1)
[ -n "$vpid" ] && [ ! -e "/proc/$vpid" ] || fail "the viewer ($vpid) outlived passvm"
echo PASS
