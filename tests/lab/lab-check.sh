#!/bin/sh
# lab-check.sh PASSVM iommu|no-iommu: `passvm check` on a real kernel, inside
# the lab (tests/lab/lab-run). With --vfio-edu the lab has an intel-iommu with
# interrupt remapping, the VFIO modules, kvm-amd and QEMU's edu device bound to
# vfio-pci: a profile passing edu through can start (exit 0, every line OK but
# edu's reset WARN). Without it there is no IOMMU: check must FAIL and say so.
set -u
passvm=$1 mode=$2
fail() { echo "lab-check: FAIL: $*"; exit 1; }
dir=$(mktemp -d)
bdf=${PASSVM_LAB_EDU_BDF:-0000:00:02.0}
cat >"$dir/edu.ini" <<INI
[machine]
memory = 512M
[boot]
kernel = /nonexistent/vmlinux
[passthrough.edu]
address = $bdf
INI
out=$("$passvm" check "$dir/edu.ini" 2>&1)
st=$?
echo "$out"
echo "exit status $st"
has() { echo "$out" | grep -qE "$1" || fail "no line matching '$1'"; }
case $mode in
iommu)
	[ $st = 0 ] || fail "exit $st: the profile should be able to start"
	has '^OK +CPU virtualization +AMD-V'
	has '^OK +IOMMU +on: dmar'
	has '^OK +interrupt remapping'
	has '^OK +VFIO modules'
	has "^OK +$bdf driver +vfio-pci"
	has '^OK +IOMMU group [0-9]+ +viable'
	echo "$out" | grep -q '^FAIL' && fail "a FAIL line"
	;;
no-iommu)
	[ $st = 1 ] || fail "exit $st: without an IOMMU the profile cannot start"
	has '^FAIL +IOMMU'
	has 'fix: enable (VT-d|the IOMMU)'
	;;
*) fail "mode iommu or no-iommu" ;;
esac
echo "lab-check: ok ($mode)"
