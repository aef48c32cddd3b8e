#!/usr/bin/env bash
#
# build-iommufd-modules.sh DEBDIR OUTDIR
#
# (Called by fetch-iommufd-kernel.sh; ~30 s on 2 cores, most of it unpacking
# linux-source's 150 MB tarball.)
#
# Build, out of tree, iommufd.ko (CONFIG_IOMMUFD=m) and the VFIO modules with
# the device cdev (CONFIG_VFIO_DEVICE_CDEV=y: /dev/vfio/devices/vfioN) for
# Debian's stock bookworm-backports 6.12 kernel, whose config has neither.
#
# DEBDIR holds (apt-get download, same version as the linux-image):
#   linux-source-X.Y_*.deb (the kernel's major version)
#   linux-headers-KVER_*.deb  linux-headers-*-common_*.deb  linux-kbuild-*.deb
# OUTDIR gets: iommufd.ko vfio.ko vfio_iommu_type1.ko vfio-pci-core.ko vfio-pci.ko
#
# Why it works against the stock vmlinux: everything iommufd needs from the
# core is built in and exported already (IOMMU_API=y, the IOMMUFD_INTERNAL
# namespace exports of drivers/iommu/iommu.c), struct user_struct has
# locked_vm already (BPF_SYSCALL=y), and no built-in code tests
# CONFIG_IOMMUFD.  Missing from vmlinux: lib/interval_tree.c's span iterator
# (CONFIG_INTERVAL_TREE_SPAN_ITER is off) -> compiled into iommufd.ko; and
# iova_bitmap (CONFIG_IOMMUFD_DRIVER off) -> dirty tracking stays stubbed.
# struct vfio_device changes with CONFIG_IOMMUFD/VFIO_DEVICE_CDEV, so every
# module that uses it (vfio, vfio_iommu_type1, vfio-pci-core, vfio-pci) is
# rebuilt; kvmgt.ko (i915 GVT) would no longer load (CRC mismatch).
# The modules are unsigned (the kernel taints, CONFIG_MODULE_SIG_FORCE is off)
# and have no BTF (no pahole needed).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DEBDIR OUTDIR" >&2; exit 2; }
debdir=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/iommufd-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
one() { local f; f=$(compgen -G "$debdir/$1" | head -n1); [ -n "$f" ] || { echo "$0: no $1 in $debdir" >&2; exit 1; }; echo "$f"; }

# --- kbuild tree: headers + kbuild packages, unpacked (not installed) --------
for p in 'linux-headers-*-amd64_*.deb' 'linux-headers-*-common_*.deb' 'linux-kbuild-*.deb'; do
	dpkg -x "$(one "$p")" "$work/hdr"
done
kdir=$(compgen -G "$work/hdr/usr/src/linux-headers-*-amd64" | head -n1)
common=$(compgen -G "$work/hdr/usr/src/linux-headers-*-common" | head -n1)
# Its Makefile includes the common tree by absolute /usr/src path.
sed -i "s|^include /usr/src/.*-common/Makefile|include $common/Makefile|" "$kdir/Makefile"

# --- the sources we need, out of linux-source's tarball ----------------------
dpkg --fsys-tarfile "$(one 'linux-source-*_*.deb')" |
	tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
	xz -dc | tar -x -C "$work" --wildcards \
		'linux-source-*/drivers/iommu/iommufd/*' 'linux-source-*/drivers/iommu/iommu-priv.h' \
		'linux-source-*/drivers/vfio/*' 'linux-source-*/lib/interval_tree.c'
src=$(compgen -G "$work/linux-source-*" | head -n1)
m=$work/mod
mkdir -p "$m/drivers/iommu" "$m/drivers/vfio/pci"
cp -r "$src/drivers/iommu/iommufd" "$src/drivers/iommu/iommu-priv.h" "$m/drivers/iommu/"
cp "$src"/drivers/vfio/*.[ch] "$m/drivers/vfio/"
cp "$src"/drivers/vfio/pci/*.[ch] "$m/drivers/vfio/pci/"
# The span iterator part of lib/interval_tree.c (its #ifdef block).
{
	echo '#include <linux/interval_tree.h>'
	echo '#include <linux/export.h>'
	awk '/^#ifdef CONFIG_INTERVAL_TREE_SPAN_ITER/ { on = 1 } on' "$src/lib/interval_tree.c"
} >"$m/drivers/iommu/iommufd/interval_tree_span.c"
grep -q 'interval_tree_span_iter_first' "$m/drivers/iommu/iommufd/interval_tree_span.c"

# C code asks IS_ENABLED(CONFIG_...) of autoconf.h, which says no: define them.
cat >"$m/Kbuild" <<'EOF'
ccflags-y += -DCONFIG_IOMMUFD_MODULE=1 -DCONFIG_VFIO_DEVICE_CDEV=1 -DCONFIG_INTERVAL_TREE_SPAN_ITER=1
obj-m := iommufd.o vfio.o vfio_iommu_type1.o vfio-pci-core.o vfio-pci.o
iommufd-y := $(addprefix drivers/iommu/iommufd/, device.o fault.o hw_pagetable.o \
	io_pagetable.o ioas.o main.o pages.o vfio_compat.o interval_tree_span.o)
vfio-y := $(addprefix drivers/vfio/, vfio_main.o device_cdev.o group.o iommufd.o \
	container.o virqfd.o)
vfio_iommu_type1-y := drivers/vfio/vfio_iommu_type1.o
vfio-pci-core-y := $(addprefix drivers/vfio/pci/, vfio_pci_core.o vfio_pci_intrs.o \
	vfio_pci_rdwr.o vfio_pci_config.o)
vfio-pci-y := drivers/vfio/pci/vfio_pci.o drivers/vfio/pci/vfio_pci_igd.o
EOF

# CONFIG_DEBUG_INFO_BTF_MODULES= : no BTF for these modules (no pahole).
make -C "$kdir" M="$m" -j"$(nproc)" CONFIG_DEBUG_INFO_BTF_MODULES= modules 2>&1 | tee "$work/build.log" >&2
if grep -q 'WARNING: modpost: .* undefined' "$work/build.log"; then
	echo "$0: undefined symbols (see above)" >&2
	exit 1
fi
# Without debug info: a tenth of the size, for the initramfs.
for k in iommufd vfio vfio_iommu_type1 vfio-pci-core vfio-pci; do
	strip --strip-debug -o "$out/$k.ko" "$m/$k.ko"
done
echo "$0: modules in $out" >&2
