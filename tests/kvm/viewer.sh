#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `passvm run --shm PATH --view`: the VMM's own window is a `passvm view`
# child. Under Xvfb the child starts (its "waiting for the guest" line on
# passvm's stderr) and is gone, reaped, when passvm exits by SIGTERM,
# SIGINT, guest power-off and guest fault. Outside Xvfb: with no display
# server passvm boots the guest and warns once; with a display that does
# not answer, the viewer fails, passvm warns and the VM keeps running.
# usage: viewer.sh PASSVM RESET.elf IVSHMEM.elf TRIPLE_FAULT.elf SDL(yes|no) [SANITIZED]
#   (runs itself again inside xvfb-run as: viewer.sh --inner WORK ...)
set -u
if [ "$1" = --inner ]; then
	inner=1 work=$2; shift 2
fi
passvm=$1 reset=$2 ivshmem=$3 tfault=$4 sdl=$5 sanitized=${6:-no}
skip() { echo "SKIP: $*"; exit 77; }
if [ ! -c /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	skip "cannot open /dev/kvm read-write"
fi
exec 3<&-
command -v xvfb-run >/dev/null || skip "no xvfb-run (apt-get install xvfb xauth; tools/setup does)"
# The viewer children of sanitizer builds: SDL's software renderer and
# SDL's own leaks suppressed, as in tests/unit/dshm-view.sh.
if [ "$sanitized" = yes ] && [ -z "${inner-}" ]; then
	export SDL_RENDER_DRIVER=software SDL_FRAMEBUFFER_ACCELERATION=0
	export LSAN_OPTIONS="suppressions=$(dirname "$(realpath "$0")")/../unit/lsan-sdl.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# wait_for FILE PATTERN PID: until FILE has PATTERN (1) or PID is gone (0).
wait_for() {
	for _ in $(seq 150); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# gone_after NAME ERR: the viewer passvm logged in ERR no longer exists.
gone_after() {
	local vpid
	vpid=$(sed -n 's/.*viewer: pid \([0-9]*\) shows.*/\1/p' "$2" | head -1)
	[ -n "$vpid" ] || { fail "$1: passvm did not start a viewer"; return; }
	[ -e "/proc/$vpid" ] && fail "$1: viewer pid $vpid outlived passvm" \
		"(state $(awk '{print $3}' "/proc/$vpid/stat" 2>/dev/null))"
	return 0
}

# stop SIG PID: signal passvm, wait (10 s at most, then -9); sets rc.
stop() {
	kill -"$1" "$2"
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$2" 2>/dev/null && { fail "passvm did not exit on SIG$1"; kill -9 "$2"; }
	wait "$2"; rc=$?
}

# signal_run SIG STATUS: VM in a reboot loop, viewer up, then SIG to passvm.
signal_run() {
	local err=$work/sig-$1.err
	"$passvm" run --kernel "$reset" --on-reset reboot --serial none --shm "$work/shm" \
		--view </dev/null 2>"$err" &
	local pid=$!
	if [ "$sdl" = yes ]; then
		wait_for "$err" "passvm view: waiting for the guest" $pid ||
			fail "$1: no 'waiting for the guest' from the viewer child"
	else
		wait_for "$err" "viewer: pid" $pid || fail "$1: no viewer started"
	fi
	stop "$1" $pid
	grep -v -e rebooting -e 'guest reset' -e 'as BAR2' "$err"
	[ $rc = "$2" ] || fail "$1: passvm exit $rc, want $2"
	gone_after "$1" "$err"
}

# guest_exit NAME PAYLOAD STATUS: the guest ends the run itself.
guest_exit() {
	local err=$work/$1.err
	timeout 30 "$passvm" run --kernel "$2" --serial "file:$work/$1.log" --shm "$work/$1.shm" \
		--shm-size 1M --append "shm_size=1048576" --view </dev/null 2>"$err"
	local rc=$?
	cat "$err"
	[ $rc = "$3" ] || fail "$1: passvm exit $rc, want $3"
	gone_after "$1" "$err"
}

inner() {
	export SDL_VIDEODRIVER=x11
	signal_run TERM 143
	signal_run INT 130
	guest_exit poweroff "$ivshmem" 0
	grep -q 'PAYLOAD-OK ivshmem' "$work/poweroff.log" || fail "poweroff: payload did not pass"
	guest_exit fault "$tfault" 1
	grep -q 'triple fault' "$work/fault.err" || fail "fault: no triple fault"
	exit $((fails > 0))
}
[ -n "${inner-}" ] && inner

work=$(mktemp -d "${TMPDIR:-/tmp}/passvm-viewer.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
echo "== under Xvfb"
xvfb-run -a -s "-screen 0 640x480x24" "$0" --inner "$work" "$@" || fails=$((fails + 1))

echo "== no display server"
env -u DISPLAY -u WAYLAND_DISPLAY timeout 30 "$passvm" run --kernel "$ivshmem" \
	--serial "file:$work/nodisp.log" --shm "$work/nodisp.shm" --shm-size 1M \
	--append "shm_size=1048576" --view </dev/null 2>"$work/nodisp.err"
rc=$?
cat "$work/nodisp.err"
[ $rc = 0 ] || fail "no display: passvm exit $rc, want 0"
grep -q 'PAYLOAD-OK ivshmem' "$work/nodisp.log" || fail "no display: the guest did not run"
n=$(grep -c 'warning: not opening the viewer window: no display server' "$work/nodisp.err")
[ "$n" = 1 ] || fail "no display: $n 'no display server' warnings, want 1"
grep -q 'viewer: pid' "$work/nodisp.err" && fail "no display: a viewer was started anyway"

echo "== a display that does not answer"
err=$work/dead.err
env -u WAYLAND_DISPLAY DISPLAY=:4093 SDL_VIDEODRIVER=x11 "$passvm" run --kernel "$reset" \
	--on-reset reboot --serial none --shm "$work/shm" --view </dev/null 2>"$err" &
pid=$!
wait_for "$err" "warning: the viewer .* failed" $pid || fail "dead display: no viewer failure warning"
sleep 0.5
kill -0 $pid 2>/dev/null || fail "dead display: the VM stopped with the viewer"
stop TERM $pid
grep -v -e rebooting -e 'guest reset' -e 'as BAR2' "$err"
[ $rc = 143 ] || fail "dead display: passvm exit $rc, want 143"
n=$(grep -c 'warning: the viewer' "$err")
[ "$n" = 1 ] || fail "dead display: $n viewer warnings, want 1"

# A sanitizer report from passvm or its viewer fails the test.
grep -l -e 'runtime error' -e 'Sanitizer' "$work"/*.err && fail "sanitizer report (above)"
[ $fails = 0 ] && echo PASS
exit $((fails > 0))
