#!/usr/bin/env bash
#
# qemu-reference-boot.sh [--cache DIR] [--initrd FILE] [--kernel vmlinux|bzImage|both]
#                        [--runs N] [--smp N] [--append "ARGS"]
#
# The reference for passvm's boot-time benchmark: how long the host's QEMU
# with KVM (in the lab, on its nested /dev/kvm) takes from its start to the
# test guest's "PASSVM-TEST-PASS boot" line, for the PVH vmlinux and for the
# bzImage.  Run on the host it re-runs itself in the lab through lab-run.
# Prints one line per boot:
#   qemu-reference-boot kernel=vmlinux run=1 marker_s=7.93 exit_s=8.11
# (marker_s: QEMU start to the marker; exit_s: to QEMU's exit after the
# guest powered off), and exits non-zero if a boot did not reach the marker.
#
#   --cache DIR    the kernel cache (as for lab-run; default $PASSVM_LAB_CACHE,
#                  else ~/.cache/passvm-lab)
#   --initrd FILE  the test guest (default DIR/test-guest.cpio.gz, built with
#                  tests/guest/build-initramfs.sh if missing)
#   --kernel K     vmlinux, bzImage or both (default both)
#   --runs N       boots per kernel (default 1)
#   --smp N        guest CPUs (default 2; -m 512)
#   --append ARGS  extra kernel arguments (after "console=ttyS0 passvm.test=boot")
# QEMU runs as: qemu-system-x86_64 -enable-kvm -machine q35 -cpu host -m 512
#   -smp N -nographic -no-reboot -kernel K -initrd FILE -append "..."
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
die() { echo "$prog: error: $*" >&2; exit 1; }

cache=${PASSVM_LAB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/passvm-lab}
initrd='' kernels=both runs=1 smp=2 extra=''
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--kernel) kernels=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--append) extra=${2-}; shift 2 ;;
	*) sed -n '3,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
case $kernels in
both) kernels="vmlinux bzImage" ;;
vmlinux | bzImage) ;;
*) die "--kernel takes vmlinux, bzImage or both" ;;
esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive integer"

# --- On the host: make sure the guest exists, then go into the lab ----------
if [ -z "${PASSVM_LAB:-}" ]; then
	mkdir -p "$cache"
	cache=$(realpath "$cache")
	[ -f "$cache/.fetch-kernel.stamp" ] || "$here/../guest/fetch-kernel.sh" "$cache"
	if [ -z "$initrd" ]; then
		initrd=$cache/test-guest.cpio.gz
		"$here/../guest/build-initramfs.sh" --kernel-cache "$cache" --output "$initrd"
	fi
	initrd=$(realpath "$initrd")
	exec "$here/lab-run" --cache "$cache" --timeout $((60 + 90 * runs * 2)) -- \
		"$here/$prog" "${args[@]}" --cache "$cache" --initrd "$initrd"
fi

# --- In the lab ---------------------------------------------------------------
[ -c /dev/kvm ] || die "no /dev/kvm in the lab"
[ -n "$initrd" ] && [ -f "$initrd" ] || die "no test guest initrd (--initrd)"
# Warm the lab's page cache first (the host's files come over 9p): QEMU,
# its libraries, the kernels and the initrd, so that run 1 is not slower.
for k in $kernels; do [ -f "$cache/$k" ] || die "no $cache/$k"; done
for k in $kernels; do cat "$cache/$k"; done | cat - "$initrd" >/dev/null
qemu-system-x86_64 -version >/dev/null
fail=0
for k in $kernels; do
	for ((run = 1; run <= runs; run++)); do
		log=$(mktemp)
		# EPOCHREALTIME and read are bash builtins: no exec per line.
		t0=$EPOCHREALTIME
		marker=
		while IFS= read -r line; do
			echo "$line" >>"$log"
			if [[ -z $marker && $line == *"PASSVM-TEST-PASS boot"* ]]; then
				marker=$EPOCHREALTIME
			fi
		done < <(exec qemu-system-x86_64 -enable-kvm -machine q35 -cpu host -m 512 \
			-smp "$smp" -nographic -no-reboot -kernel "$cache/$k" -initrd "$initrd" \
			-append "console=ttyS0 passvm.test=boot $extra" </dev/null 2>&1)
		t1=$EPOCHREALTIME
		if [ -n "$marker" ]; then
			awk -v k="$k" -v r="$run" -v a="$t0" -v m="$marker" -v e="$t1" 'BEGIN {
				printf "qemu-reference-boot kernel=%s run=%d marker_s=%.2f exit_s=%.2f\n", k, r, m - a, e - a }'
		else
			echo "qemu-reference-boot kernel=$k run=$run FAILED: no PASSVM-TEST-PASS boot; last lines:"
			tail -n 25 "$log" | tr -d '\r'
			fail=1
		fi
		rm -f "$log"
	done
done
exit $fail
