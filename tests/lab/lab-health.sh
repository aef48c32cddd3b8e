# shellcheck shell=bash
# lab-health.sh: is the lab itself (its kernel, its CPUs) still sound?
# Sourced by lab-run; tests/lab/lab-health-test.sh checks it on made-up
# consoles.  Safe under `set -euo pipefail`: each reader here may find
# nothing (no console yet, no stuck file), which is not a failure of the
# whole check.
#
# The lab's own kernel failing is the lab's fault, not the command's: its
# nested SVM under TCG has locked up a CPU ("soft lockup ... stuck for 219s!
# [vcpu0]"), crashed ("scheduling while atomic", oopses, a vCPU thread's
# stack guard page hit, a context-tracking WARNING) under QEMU -enable-kvm
# as well as under passvm.  The kernel reports a lockup only once the CPU is
# back, minutes later; a command that sees its VMM outlive a SIGKILL (the
# vCPU thread cannot leave that CPU) says "LAB-STUCK" on stderr at once
# (tests/lab/passvm-guest.sh).  A lab whose /init heartbeat (every 2 s) has
# stopped for 60 s has lost every CPU: lab_heartbeat_check writes that to
# STUCK_FILE.

lab_health_pattern='BUG: |Oops: |soft lockup|Kernel panic|general protection fault|blocked for more than|WARNING: CPU: [0-9]+ PID: '

# lab_kernel_lines CONSOLE CMD_STDERR STUCK_FILE: the lines that show the lab
# failed (none: exit status 1).
lab_kernel_lines() {
	local console=$1 cmd_stderr=$2 stuck=$3 found
	found=$(
		if [ -s "$console" ]; then
			tr -d '\r' <"$console" | grep -E "$lab_health_pattern" || true
		fi
		if [ -f "$cmd_stderr" ]; then grep -h '^LAB-STUCK' "$cmd_stderr" || true; fi
		if [ -f "$stuck" ]; then cat "$stuck"; fi
	)
	[ -n "$found" ] || return 1
	printf '%s\n' "$found"
}

lab_kernel_failed() { lab_kernel_lines "$@" >/dev/null; }

# lab_heartbeat_check HEARTBEAT_FILE STUCK_FILE [NOW]
lab_heartbeat_check() {
	local hb=$1 stuck=$2 now=${3:-$(date +%s)}
	[ -f "$hb" ] || return 0
	if [ $((now - $(stat -c %Y "$hb"))) -gt 60 ]; then
		echo "LAB-STUCK: the lab's heartbeat stopped 60 s ago (every CPU lost)" >"$stuck"
	fi
}
