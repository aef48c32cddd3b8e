#!/bin/sh
# lab-vfio-edu.sh: run INSIDE a lab started with --vfio-edu by the
# "lab-vfio-edu" test: QEMU's edu device (1234:11e8) sits behind the
# emulated intel-iommu, bound to vfio-pci, with its /dev/vfio/<group>.
set -eu
fail() { echo "lab-vfio-edu: FAIL: $*" >&2; exit 1; }
bdf=${PASSVM_LAB_EDU_BDF:-}
grp=${PASSVM_LAB_EDU_GROUP:-}
[ -n "$bdf" ] && [ -n "$grp" ] || fail "PASSVM_LAB_EDU_BDF/GROUP not set (lab-run --vfio-edu?)"
dev=/sys/bus/pci/devices/$bdf
read -r ven <"$dev/vendor"
read -r did <"$dev/device"
[ "$ven:$did" = 0x1234:0x11e8 ] || fail "$bdf is $ven:$did, not edu"
[ -d /sys/kernel/iommu_groups/"$grp" ] || fail "no IOMMU group $grp"
case $(readlink "$dev/driver") in */vfio-pci) ;; *) fail "edu is not bound to vfio-pci" ;; esac
[ -c "/dev/vfio/$grp" ] || fail "no /dev/vfio/$grp"
[ -c /dev/vfio/vfio ] || fail "no /dev/vfio/vfio"
echo "lab-vfio-edu: ok: edu at $bdf, IOMMU group $grp, bound to vfio-pci"
