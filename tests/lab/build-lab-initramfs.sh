#!/usr/bin/env bash
#
# build-lab-initramfs.sh CACHE_DIR
#
# Build the LAB initramfs, CACHE_DIR/lab-initramfs.cpio: busybox-static,
# tests/lab/lab-init as /init, and the kernel modules the lab needs (from the
# kernel that tests/guest/fetch-kernel.sh put in CACHE_DIR, with their
# dependencies).  Left uncompressed: QEMU loads it in no time, while
# decompressing under TCG costs boot time.  Rebuilt only when an input
# changed.  tests/lab/lab-run calls this; there is no need to call it by hand.
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
. "$here/../guest/initramfs-lib.sh"
trap 'echo "$prog: error: command failed at line $LINENO" >&2' ERR

# What the lab loads (Debian builds all of these as modules); dependencies
# (virtio, virtio_ring, netfs, fscache, 9pnet, irqbypass, ccp, vfio, ...)
# come from modules.dep.  vfio_iommu_type1 is no hard dependency of
# vfio-pci, so it is named.
lab_modules="virtio_pci 9pnet_virtio 9p overlay kvm-amd uinput evdev
vfio vfio_iommu_type1 vfio-pci"
# Loaded where the kernel has them as modules: vfio_virqfd (6.1; 6.12 has it
# in vfio.ko), iommufd (the lab-run --kernel iommufd kernel; a dependency of
# its vfio.ko anyway).
lab_modules_optional="vfio_virqfd iommufd"

[ $# -eq 1 ] || { echo "usage: $prog CACHE_DIR" >&2; exit 2; }
cache=$(realpath "$1")
[ -f "$cache/.fetch-kernel.stamp" ] || ilib_die "no kernel in $cache (run tests/guest/fetch-kernel.sh $cache)"
command -v cpio >/dev/null || ilib_die "cpio not found (apt-get install cpio)"
bb=$(ilib_static_busybox)
out=$cache/lab-initramfs.cpio

exec 9>"$cache/.lab-initramfs.lock"
flock 9
for m in $lab_modules_optional; do
	grep -Eq "(^|/)(${m//_/[-_]})\.ko(\.[a-z]+)?:" "$cache/modules/modules.dep" &&
		lab_modules+=" $m"
done
# (.iommufd.stamp: fetch-iommufd-kernel.sh changed the modules.)
stamps=("$cache/.fetch-kernel.stamp")
[ ! -f "$cache/.iommufd.stamp" ] || stamps+=("$cache/.iommufd.stamp")
hash=$( (ilib_hash "$0" "$here/../guest/initramfs-lib.sh" "$here/lab-init" "$bb" \
	"${stamps[@]}"; echo "$lab_modules") | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$hash" ]; then
	exit 0
fi

work=$(mktemp -d "$cache/.lab-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{dev,proc,sys,tmp,etc}
ilib_install_busybox "$bb" "$root"
# shellcheck disable=SC2086 # word splitting of the module list is wanted
ilib_install_modules "$cache/modules" "$root" etc/modules.load $lab_modules
install -m 0755 "$here/lab-init" "$root/init"
ilib_cpio "$root" >"$work/lab.cpio"
mv "$work/lab.cpio" "$out"
echo "$hash" >"$out.stamp"
echo "$prog: wrote $out ($(stat -c %s "$out") bytes, $(wc -l <"$root/etc/modules.load") modules)" >&2
