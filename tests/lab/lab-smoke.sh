#!/bin/sh
# lab-smoke.sh: run INSIDE the lab (tests/lab/lab-run -- tests/lab/lab-smoke.sh)
# by the "lab-smoke" test: the lab offers what passvm's lab tests need.
# Builtins only where possible (each exec costs ~25 ms under TCG).
set -eu
fail() { echo "lab-smoke: FAIL: $*" >&2; exit 1; }
[ "${PASSVM_LAB:-}" = 1 ] || fail "PASSVM_LAB is not set: not run by lab-run?"
[ -c /dev/kvm ] || fail "no /dev/kvm"
exec 3<>/dev/kvm || fail "cannot open /dev/kvm read-write"
exec 3>&-
[ -d /sys/module/kvm_amd ] || fail "kvm_amd is not loaded"
read -r nested </sys/module/kvm_amd/parameters/nested
case $nested in 1 | Y) ;; *) fail "kvm_amd nested=$nested" ;; esac
[ -c /dev/uinput ] || fail "no /dev/uinput"
[ -d /sys/module/evdev ] || fail "evdev is not loaded"
[ -d /sys/module/vfio_pci ] || fail "vfio_pci is not loaded"
[ -d /sys/module/vfio_iommu_type1 ] || fail "vfio_iommu_type1 is not loaded"
read -r kver </proc/sys/kernel/osrelease
echo "lab-smoke: ok: kernel $kver, /dev/kvm (kvm_amd nested=$nested), /dev/uinput, evdev, vfio-pci"
