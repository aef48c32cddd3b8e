#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `passvm view` under Xvfb, no VM: the viewer waits on an empty shm file
# (waiting screen), passvm-shm-producer --still starts (every pixel of the
# letterboxed frame and the cursor checked in an xwd screenshot), the
# producer stops (waiting screen again) and a new producer session starts
# with the cursor elsewhere (the viewer follows the restart).
# usage: dshm-view.sh PASSVM PRODUCER CHECK.py SDL(yes|no) [SANITIZED(yes|no)]
# In sanitizer builds, SDL's software renderer with no GL at all: Mesa's
# driver (swrast_dri.so, dlopen'ed by SDL) leaks blocks that outlive its
# dlclose(), so LeakSanitizer can no longer name them to suppress them.
# Normal builds test SDL's default renderer (GL under Xvfb).
#   (runs itself again inside xvfb-run as: dshm-view.sh --inner WORKDIR ...)
set -u
if [ "$1" = --inner ]; then
	inner=1 work=$2; shift 2
fi
passvm=$1 producer=$2 check=$3 sdl=$4 sanitized=${5:-no}
skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$sdl" = yes ] || skip "passvm was built without SDL2 (apt-get install libsdl2-dev; tools/setup does)"
command -v xvfb-run >/dev/null || skip "no xvfb-run (apt-get install xvfb xauth; tools/setup does)"
command -v xwd >/dev/null || skip "no xwd (apt-get install x11-apps; tools/setup does)"
[ -x /usr/bin/convert ] || skip "no /usr/bin/convert (apt-get install imagemagick; tools/setup does)"
fw=640 fh=360

# Inside Xvfb: the steps below, with the screen the size of the window.
inner() {
	export SDL_VIDEODRIVER=x11
	if [ "$sanitized" = yes ]; then
		export SDL_RENDER_DRIVER=software SDL_FRAMEBUFFER_ACCELERATION=0
		export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan-sdl.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	fi
	"$passvm" view --size 640x480 --exit-after 60 "$work/shm" >"$work/view.log" 2>&1 &
	vpid=$!
	fail() { echo "FAIL: $*"; kill "$vpid" 2>/dev/null; cat "$work/view.log"; exit 1; }
	# wait_log N PATTERN: the viewer printed PATTERN N times.
	wait_log() {
		for _ in $(seq 100); do
			[ "$(grep -c "$2" "$work/view.log")" -ge "$1" ] && return 0
			kill -0 "$vpid" 2>/dev/null || fail "the viewer exited"
			sleep 0.1
		done
		fail "no '$2' (x$1) from the viewer"
	}
	# shot NAME CHECK-ARGS...: screenshot after a few presents, then check.
	shot() {
		local name=$1; shift
		sleep 0.5
		xwd -root -silent | /usr/bin/convert xwd:- "ppm:$work/$name.ppm" || fail "xwd"
		python3 "$check" "$work/$name.ppm" "$@" || fail "$name screenshot"
	}
	wait_log 1 "waiting for the guest"
	shot waiting --waiting
	"$producer" --file "$work/shm" --size ${fw}x${fh} --still --cursor 300,100 --quiet &
	ppid=$!
	wait_log 1 "showing the guest"
	shot first --frame ${fw}x${fh} --cursor 300,100
	kill "$ppid"; wait "$ppid"
	wait_log 2 "waiting for the guest"
	shot stopped --waiting
	"$producer" --file "$work/shm" --size ${fw}x${fh} --still --cursor 17,250 --quiet &
	ppid=$!
	wait_log 2 "showing the guest"
	shot restarted --frame ${fw}x${fh} --cursor 17,250
	kill "$ppid"; wait "$ppid"
	# SIGTERM is SDL's quit event: a clean exit (and LSan's check in
	# sanitizer builds) must follow.
	kill "$vpid"; wait "$vpid"; rc=$?
	[ $rc = 0 ] || fail "the viewer exited with $rc"
	cat "$work/view.log"
	echo PASS
}
if [ -n "${inner-}" ]; then
	inner
	exit
fi
dir=/dev/shm; [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
work=$(mktemp -d "$dir/passvm-view-test.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
truncate -s 32M "$work/shm"
xvfb-run -a -s "-screen 0 640x480x24" "$0" --inner "$work" "$@"
