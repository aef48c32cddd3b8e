#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run passvm once and check what it did: exit status, markers in the guest's
# serial output, messages on stderr. Used by tests/kvm/meson.build.
#
# usage: run-payload.sh [OPTIONS] -- PASSVM [ARGS...]
#   --payload ELF       run `PASSVM run --kernel ELF --serial file:LOG ARGS...`
#                       (LOG is a temp file whose content is checked)
#   --expect-exit X     0 (default), nonzero, or a number
#   --expect S          the serial log (or stdout) must contain S (repeatable)
#   --reject S          ... must not contain S (repeatable)
#   --expect-err S      stderr must contain S (repeatable)
#   --reject-err S      stderr must not contain S (repeatable; e.g. sanitizer
#                       reports: "runtime error", "AddressSanitizer")
#   --disk-size SIZE    create a sparse temp image of SIZE (truncate syntax,
#                       e.g. 1M) and pass it as `--disk IMAGE` (with --payload)
#   --timeout SEC       kill passvm after SEC seconds (default 30): a failure
#   --no-kvm            do not skip when /dev/kvm is unusable
# In ARGS, @SERIAL@ is replaced by the serial log path.
# Exit: 0 pass, 1 fail, 77 skip (no usable /dev/kvm), 99 harness error.

set -u
payload= expect_exit=0 timeout=30 need_kvm=1 disk_size=
expects=() rejects=() expect_errs=() reject_errs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--payload) payload=$2; shift 2 ;;
	--expect-exit) expect_exit=$2; shift 2 ;;
	--expect) expects+=("$2"); shift 2 ;;
	--reject) rejects+=("$2"); shift 2 ;;
	--expect-err) expect_errs+=("$2"); shift 2 ;;
	--reject-err) reject_errs+=("$2"); shift 2 ;;
	--disk-size) disk_size=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--no-kvm) need_kvm=0; shift ;;
	--) shift; break ;;
	*) echo "run-payload.sh: unknown option $1" >&2; exit 99 ;;
	esac
done
[ $# -ge 1 ] || { echo "run-payload.sh: no command after --" >&2; exit 99; }

if [ $need_kvm = 1 ]; then
	dev=${PASSVM_KVM_DEV:-/dev/kvm}
	# -c first: "<>" would create a missing path as a regular file.
	if [ ! -c "$dev" ] || ! { exec 3<>"$dev"; } 2>/dev/null; then
		echo "SKIP: cannot open $dev read-write (no KVM here, or no permission:" \
		     "add yourself to group kvm); passvm needs it to run a guest" >&2
		exit 77
	fi
	exec 3<&-
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/passvm-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
serial=$tmp/serial.log
: >"$serial"

passvm=$1; shift
args=()
for a in "$@"; do args+=("${a//@SERIAL@/$serial}"); done
if [ -n "$payload" ]; then
	[ -f "$payload" ] || { echo "run-payload.sh: payload $payload not built" >&2; exit 99; }
	args=(run --kernel "$payload" --serial "file:$serial" "${args[@]}")
	if [ -n "$disk_size" ]; then
		truncate -s "$disk_size" "$tmp/disk.img" || exit 99
		args+=(--disk "$tmp/disk.img")
	fi
fi

echo "+ $passvm ${args[*]}"
start=$(date +%s.%N)
timeout --kill-after=5 "$timeout" "$passvm" "${args[@]}" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
end=$(date +%s.%N)

show() {
	local f
	for f in serial stdout stderr; do
		local p=$tmp/$f; [ $f = serial ] && p=$serial
		if [ -s "$p" ]; then
			echo "---- $f ----"
			if [ "$(wc -c <"$p")" -le 20000 ]; then
				tr -d '\r' <"$p"
			else
				# Long logs (chaos payloads): both ends, where
				# the outcome and any sanitizer report are.
				tr -d '\r' <"$p" | head -c 8000
				echo
				echo "[... $(wc -c <"$p") bytes in all, middle left out ...]"
				tr -d '\r' <"$p" | tail -c 12000
			fi
			echo
		fi
	done
	echo "---- exit status $rc, $(awk "BEGIN{printf \"%.2f\", $end - $start}") s ----"
}

failures=()
if [ $rc = 124 ] || [ $rc = 137 ]; then
	failures+=("passvm did not finish within ${timeout}s (guest hung, or passvm did not stop on the guest's request)")
else
	case $expect_exit in
	0) [ $rc = 0 ] || failures+=("exit status $rc, want 0") ;;
	nonzero) [ $rc != 0 ] || failures+=("exit status 0, want non-zero") ;;
	*) [ $rc = "$expect_exit" ] || failures+=("exit status $rc, want $expect_exit") ;;
	esac
	# A crash is never an acceptable "non-zero".
	[ $rc -ge 128 ] && failures+=("passvm died from signal $((rc - 128))")
fi
# Guest output: the serial log, plus stdout for --serial stdio runs.
out=$(cat "$serial" "$tmp/stdout" | tr -d '\r')
err=$(tr -d '\r' <"$tmp/stderr")
for s in "${expects[@]+"${expects[@]}"}"; do
	grep -qF -- "$s" <<<"$out" || failures+=("guest output lacks '$s'")
done
for s in "${rejects[@]+"${rejects[@]}"}"; do
	if grep -qF -- "$s" <<<"$out"; then
		failures+=("guest output has '$s': $(grep -F -- "$s" <<<"$out" | head -3 | tr '\n' ' ')")
	fi
done
for s in "${expect_errs[@]+"${expect_errs[@]}"}"; do
	grep -qiF -- "$s" <<<"$err" || failures+=("stderr lacks '$s'")
done
for s in "${reject_errs[@]+"${reject_errs[@]}"}"; do
	if grep -qiF -- "$s" <<<"$err"; then
		failures+=("stderr has '$s': $(grep -iF -- "$s" <<<"$err" | head -3 | tr '\n' ' ')")
	fi
done

show
if [ ${#failures[@]} -gt 0 ]; then
	for f in "${failures[@]}"; do echo "FAIL: $f"; done
	exit 1
fi
echo "PASS"
exit 0
