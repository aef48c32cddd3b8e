#!/usr/bin/env bash
# Run inside the lab (tests/lab/lab-run): boot the test guest under passvm on
# the lab's real /dev/kvm and check what came out.
#
# passvm-guest.sh [OPTIONS] -- PASSVM KERNEL INITRD TEST [PASSVM-RUN-ARGS...]
#   --arg VALUE        passvm.arg=VALUE on the guest command line
#   --append STR       more guest command line
#   --expect-exit N    passvm's exit status (default 0)
#   --expect TEXT      the serial log must contain TEXT (repeatable)
#   --expect-stderr T  passvm's stderr must contain T (repeatable)
#   --no-pass          do not require "PASSVM-TEST-PASS TEST"
#   --disk             attach a fresh 1 MiB image as --disk; after exit, its
#                      first 8 KiB must be the disk-write pattern for --arg
#   --pin              pin vCPUs to the lab's CPU 1 and the rest to CPU 0, and
#                      check /proc/PID/task/*/status while the guest runs
#   --timeout SEC      kill passvm after SEC seconds (default 90: a run takes
#                      10-25 s; a lab whose kernel locked up a CPU under
#                      passvm (see lab-run) is started again sooner)
set -euo pipefail

here=$(dirname "$(realpath "$0")")
arg='' append='' expect_exit=0 expects=() expects_err=() need_pass=1 disk=0 pin=0
timeout=90
while [ $# -gt 0 ]; do
	case $1 in
	--arg) arg=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--expect-exit) expect_exit=$2; shift 2 ;;
	--expect) expects+=("$2"); shift 2 ;;
	--expect-stderr) expects_err+=("$2"); shift 2 ;;
	--no-pass) need_pass=0; shift ;;
	--disk) disk=1; shift ;;
	--pin) pin=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "passvm-guest.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -ge 4 ] || { echo "usage: see the header of $0" >&2; exit 2; }
passvm=$1 kernel=$2 initrd=$3 test=$4
shift 4

[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab (kvm-amd did not load)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
serial=$work/serial.log
cmdline="console=ttyS0 passvm.test=$test${arg:+ passvm.arg=$arg}${append:+ $append}"
run=("$passvm" run --kernel "$kernel" --initrd "$initrd" --append "$cmdline"
	--serial "file:$serial" "$@")
if ((disk)); then
	truncate -s 1M "$work/disk.img"
	run+=(--disk "$work/disk.img")
fi
if ((pin)); then
	run+=(--pin-vcpus 1 --pin-other 0)
fi

# One run of passvm: sets status, start, end (and pin_report with --pin).
run_once() {
	echo "+ ${run[*]}"
	start=$(date +%s.%N)
	timeout -s KILL "$timeout" "${run[@]}" </dev/null 2>"$work/stderr" &
	pid=$!

	pin_report=''
	if ((pin)); then
		# Once the guest runs its test, every thread is where it belongs.
		for _ in $(seq 1 600); do
			grep -q 'PASSVM-INFO' "$serial" 2>/dev/null && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.2
		done
		vmm=$(pgrep -P $pid passvm || echo $pid)
		for st in /proc/"$vmm"/task/*/status; do
			name=$(awk '/^Name:/{print $2}' "$st")
			cpus=$(awk '/^Cpus_allowed_list:/{print $2}' "$st")
			pin_report+="$name=$cpus "
		done
	fi

	# SIGKILL from timeout ends passvm at once, unless a vCPU thread sits on a
	# CPU the lab's kernel lost to its nested SVM under TCG (lab-run): then it
	# stays for minutes. Say so, and lab-run starts a new lab right away.
	waited=0
	while kill -0 $pid 2>/dev/null; do
		if [ $waited -ge $(((timeout + 15) * 5)) ]; then
			echo "LAB-STUCK: passvm (pid $pid) is still there 15 s after its SIGKILL at ${timeout} s" >&2
			exit 125
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
	set +e
	wait $pid
	status=$?
	set -e
	end=$(date +%s.%N)
}

run_once
# A guest that hangs (passvm killed by the time-out) gets one more run: the
# lab's nested SVM under TCG now and then hangs an L2 guest (its own CPU
# lockups show how that environment fails, under QEMU as under passvm; a
# 2-vCPU guest once double-faulted at RIP 0 in early boot, once in dozens of
# runs). A passvm bug that hangs the guest hangs it twice and still fails.
if [ "$status" = 137 ] && [ "$expect_exit" != 137 ]; then
	echo "passvm-guest: WARNING: the guest hung (passvm killed after ${timeout} s); its console:"
	tail -n 12 "$serial" || true
	echo "passvm-guest: running it once more"
	run_once
fi
echo "passvm exited $status after $(awk "BEGIN{printf \"%.1f\", $end - $start}") s"
echo "--- serial (tail)"
tail -n 25 "$serial" || true
echo "--- stderr"
cat "$work/stderr"

fail=0
check() { echo "FAIL: $*"; fail=1; }
[ "$status" = "$expect_exit" ] || check "passvm exited $status, expected $expect_exit"
if ((need_pass)); then
	grep -q "PASSVM-TEST-PASS $test" "$serial" || check "no 'PASSVM-TEST-PASS $test' on the console"
fi
for e in "${expects[@]}"; do
	grep -qF -- "$e" "$serial" || check "console lacks '$e'"
done
for e in "${expects_err[@]}"; do
	grep -qF -- "$e" "$work/stderr" || check "stderr lacks '$e'"
done
if ((disk)); then
	cmp <("$here/../guest/disk-pattern.sh" "${arg:-0}") <(head -c 8192 "$work/disk.img") ||
		check "the disk image does not hold what the guest wrote"
fi
if ((pin)); then
	echo "threads: $pin_report"
	n_vcpu=0
	for t in $pin_report; do
		case $t in
		vcpu*=1) n_vcpu=$((n_vcpu + 1)) ;;
		vcpu*) check "vCPU thread not pinned to CPU 1: $t" ;;
		*=0) ;;
		*) check "emulator thread not pinned to CPU 0: $t" ;;
		esac
	done
	[ $n_vcpu -gt 0 ] || check "no vCPU threads seen (guest ended too early?)"
fi
((fail)) && exit 1
echo "OK"
