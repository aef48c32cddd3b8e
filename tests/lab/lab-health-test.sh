#!/usr/bin/env bash
# lab-health-test.sh: lab-run's check of the lab's own health
# (lab-health.sh), on made-up consoles, under lab-run's own shell options.
# Needs no lab.  A check that misses a failed lab lets a test fail for the
# lab's sake; one that sees failures where none are reruns every test.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lab-health.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
expect() { # expect yes|no WHAT CONSOLE-TEXT [STDERR-TEXT] [STUCK-TEXT]
	local want=$1 what=$2 got=no
	rm -f "$t"/*
	printf '%b' "$3" >"$t/console"
	[ -z "${4:-}" ] || printf '%b' "$4" >"$t/stderr"
	[ -z "${5:-}" ] || printf '%b' "$5" >"$t/stuck"
	if lab_kernel_failed "$t/console" "$t/stderr" "$t/stuck"; then got=yes; fi
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: lab failed? expected $want, got $got" >&2
		fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}
boot='SeaBIOS\r\nBooting from ROM..[    9.8] kvm [143]: vcpu0, guest rIP: 0xffffffff8107e744 Unhandled WRMSR(0xc0010007) = 0xffff\r\n'
expect no 'a clean console' "$boot"
expect no 'an empty console' ''
expect no 'a command that prints WARNING itself' "$boot" 'passvm-guest: WARNING: the guest hung; once more\n'
# What the lab has really printed (CI logs):
expect yes 'stack guard page + panic (vcpu1)' \
	"$boot[   51.688687] BUG: TASK stack guard page was hit at 000000008842e8d0\r\n[   51.793024] Kernel panic - not syncing: corrupted stack end detected inside scheduler\r\n"
expect yes 'context tracking WARNING' \
	"$boot[  20.1] WARNING: CPU: 0 PID: 0 at kernel/context_tracking.c:128 ct_kernel_exit+0x7f/0x90\r\n"
expect yes 'soft lockup' "$boot[ 300.2] watchdog: BUG: soft lockup - CPU#1 stuck for 219s! [vcpu0:160]\r\n"
expect yes 'hung task' "$boot[ 243.0] INFO: task vcpu1:171 blocked for more than 120 seconds.\r\n"
expect yes 'the command saw its VMM outlive SIGKILL' "$boot" 'LAB-STUCK: passvm (pid 180) outlived its SIGKILL\n'
expect yes 'the heartbeat stopped' "$boot" '' 'LAB-STUCK: the heartbeat stopped\n'
# No console file at all (QEMU never started): not a lab kernel failure.
rm -f "$t"/*
if lab_kernel_failed "$t/none" "$t/none" "$t/none"; then
	echo "FAIL: no files at all counted as a failed lab" >&2; fails=$((fails + 1))
else echo "ok: no files at all"; fi
# The lines are given back, for lab-run to print.
printf 'x\nKernel panic - not syncing\n' >"$t/console"
lines=$(lab_kernel_lines "$t/console" "$t/none" "$t/none")
[ "$lines" = 'Kernel panic - not syncing' ] || { echo "FAIL: lines: '$lines'" >&2; fails=$((fails + 1)); }
# Heartbeat: 61 s old is a lost lab, 10 s old is not.
: >"$t/hb"
lab_heartbeat_check "$t/hb" "$t/stuck2" $(($(stat -c %Y "$t/hb") + 10))
[ ! -e "$t/stuck2" ] || { echo "FAIL: a 10 s old heartbeat counted as stopped" >&2; fails=$((fails + 1)); }
lab_heartbeat_check "$t/hb" "$t/stuck2" $(($(stat -c %Y "$t/hb") + 61))
[ -s "$t/stuck2" ] || { echo "FAIL: a 61 s old heartbeat was not seen" >&2; fails=$((fails + 1)); }
lab_heartbeat_check "$t/no-hb" "$t/stuck3"
[ ! -e "$t/stuck3" ] || { echo "FAIL: no heartbeat yet counted as stopped" >&2; fails=$((fails + 1)); }
[ "$fails" = 0 ] || { echo "$fails check(s) failed" >&2; exit 1; }
echo "all lab health checks passed"
