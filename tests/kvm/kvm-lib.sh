# shellcheck shell=bash
# kvm-lib.sh: what the kvm suite's shell tests share (sourced).
#
# kvm_setup NAME: exit 77 (SKIP) when /dev/kvm cannot be opened read-write;
#   else a scratch folder $tmp (removed on exit), and fail, which prints
#   FAIL and counts $fails for kvm_done.
# kvm_done: print PASS and exit 0 when nothing failed, else exit 1.

kvm_setup() {
	if [ ! -c /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
		echo "SKIP: cannot open /dev/kvm read-write"; exit 77
	fi
	exec 3<&-
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
	trap 'rm -rf "$tmp"' EXIT
	fails=0
}

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

kvm_done() {
	[ "$fails" = 0 ] && echo PASS
	exit $((fails > 0))
}
