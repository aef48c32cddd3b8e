#!/usr/bin/env bash
#
# build-initramfs.sh --kernel-cache DIR --output FILE.cpio.gz [--modules "M..."]
#                    [--bin FILE]...
#
# Build the passvm TEST GUEST initramfs: busybox-static, tests/guest/init as
# /init, the test scripts of tests/guest/tests/ as /tests/NAME, and the
# kernel modules the guest needs (with their dependencies, loaded by /init in
# dependency order).  No host libraries go in.  See tests/guest/init for the
# kernel command line it understands (passvm.test=NAME passvm.arg=VALUE).
#
#   --kernel-cache DIR  what tests/guest/fetch-kernel.sh produced (modules,
#                       modules.dep); it is run first if DIR has no kernel
#   --output FILE       the initramfs (gzip-compressed newc cpio)
#   --modules "M..."    modules to include (default: "virtio_pci virtio_blk
#                       virtio-rng pvpanic pvpanic-pci virtio_input evdev
#                       efivarfs": efivarfs shows a UEFI-booted guest its variables,
#                       pvpanic tells the VMM about a kernel panic, evdev
#                       gives virtio-input devices their /dev/input/eventN);
#                       "" for none.  Debian's kernel builds virtio_pci,
#                       virtio_blk and virtio-rng as modules (=m), while the
#                       8250 console, devtmpfs and hw_random core are =y.
#   --bin FILE          a static program for the tests, as /bin/NAME (repeatable)
#
# Rebuilds only when an input changed (a stamp beside FILE records a hash).
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
. "$here/initramfs-lib.sh"
trap 'echo "$prog: error: command failed at line $LINENO" >&2' ERR

default_modules="virtio_pci virtio_blk virtio-rng pvpanic pvpanic-pci virtio_input evdev efivarfs"
usage() {
	sed -n '3,4p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kcache='' out='' modules=$default_modules bins=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-cache) kcache=${2:?}; shift 2 ;;
	--output) out=${2:?}; shift 2 ;;
	--modules) modules=${2-}; shift 2 ;;
	--bin) bins+=("${2:?}"); shift 2 ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$kcache" ] && [ -n "$out" ] || usage
command -v cpio >/dev/null || ilib_die "cpio not found (apt-get install cpio)"

[ -f "$kcache/.fetch-kernel.stamp" ] || "$here/fetch-kernel.sh" "$kcache"
moddir=$kcache/modules
bb=$(ilib_static_busybox)

# --- Up to date? ------------------------------------------------------------
inputs=("$0" "$here/initramfs-lib.sh" "$here/init" "$here/guest-lib.sh" "$bb"
	"$kcache/.fetch-kernel.stamp" "$here"/tests/* "${bins[@]}")
hash=$( (ilib_hash "${inputs[@]}"; echo "modules=$modules") | sha256sum | cut -d' ' -f1)
stamp=$out.stamp
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
	exit 0
fi

# --- Build ------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{dev,proc,sys,tmp,etc,tests,lib/passvm,root}
ilib_install_busybox "$bb" "$root"
# shellcheck disable=SC2086 # word splitting of the module list is wanted
ilib_install_modules "$moddir" "$root" etc/modules.load $modules
install -m 0755 "$here/init" "$root/init"
install -m 0644 "$here/guest-lib.sh" "$root/lib/passvm/guest-lib.sh"
install -m 0644 "$here"/tests/* "$root/tests/"
for b in "${bins[@]}"; do
	install -m 0755 "$b" "$root/bin/$(basename "$b")"
done

ilib_cpio "$root" | gzip -n -9 >"$work/initramfs.cpio.gz"
mv "$work/initramfs.cpio.gz" "$out"
echo "$hash" >"$stamp"
echo "$prog: wrote $out ($(stat -c %s "$out") bytes; modules: $(wc -l <"$root/etc/modules.load"))" >&2
