#!/usr/bin/env bash
#
# fetch-iommufd-kernel.sh CACHE_DIR
#
# The lab's "iommufd" kernel (lab-run --kernel iommufd): Debian's
# bookworm-backports 6.12 kernel, whose stock config has no iommufd, plus
# iommufd.ko and VFIO modules with the device cdev, built here out of tree
# from the same version's linux-source (build-iommufd-modules.sh, ~30 s).
# The lab then has /dev/iommu and /dev/vfio/devices/vfioN next to the group
# and container API (/dev/vfio/N, /dev/vfio/vfio, vfio_iommu_type1).
#
# CACHE_DIR gets what tests/guest/fetch-kernel.sh lays out (vmlinux, modules/,
# modules.dep, kernel.env, ...), with the rebuilt modules installed over the
# stock ones (as plain .ko, in modules/kernel/drivers/{iommu/iommufd,vfio}),
# modules.dep regenerated, and the stamp .iommufd.stamp.
#
# Downloads (once, kept in CACHE_DIR/debs; delete them to move to a newer
# version; 275 MB: linux-source 153 MB, the image 106 MB): linux-image-KVER-
# unsigned, linux-headers-KVER, linux-headers-KBASE-common, linux-kbuild-KBASE
# and linux-source-6.12, all of the version bookworm-backports' linux-image-amd64
# depends on, with a private apt configuration (CACHE_DIR/apt: its own sources
# and lists; the host's apt configuration is neither used nor changed).
#
# Environment:
#   PASSVM_IOMMUFD_DEBS=DIR  take the five .debs from DIR (no apt at all)
#   PASSVM_IOMMUFD_SUITE=S   the suite to take them from (default
#                            bookworm-backports; trixie works the same way)
#   PASSVM_DEBIAN_MIRROR=URL (default http://deb.debian.org/debian)
#
# Needs: what fetch-kernel.sh needs, plus make and gcc-12 (Debian built the
# kernel with it); the kbuild package brings the host tools prebuilt.
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }
trap 'echo "$prog: error: command failed at line $LINENO" >&2' ERR

[ $# -eq 1 ] || { echo "usage: $prog CACHE_DIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
cache=$(cd "$1" && pwd)
stamp=$cache/.iommufd.stamp
suite=${PASSVM_IOMMUFD_SUITE:-bookworm-backports}
mirror=${PASSVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}

exec 8>"$cache/.iommufd.lock"
flock 8

# --- The .debs ----------------------------------------------------------------
debdir=${PASSVM_IOMMUFD_DEBS:-$cache/debs}
have_debs() {
	local p
	for p in 'linux-image-*-unsigned_*.deb' 'linux-headers-*-amd64_*.deb' \
		'linux-headers-*-common_*.deb' 'linux-kbuild-*.deb' 'linux-source-*.deb'; do
		compgen -G "$debdir/$p" >/dev/null || return 1
	done
}
if ! have_debs; then
	[ -z "${PASSVM_IOMMUFD_DEBS:-}" ] || die "PASSVM_IOMMUFD_DEBS=$debdir lacks some of the five .debs"
	command -v apt-get >/dev/null || die "apt-get not found"
	apt=$cache/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
		"$mirror" "$suite" "$keyring" >"$apt/debian.sources"
	aptopts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/dev/null
		-o Dir::Etc::sourcelist="$apt/debian.sources" -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt/cache" -o APT::Architecture=amd64 -o APT::Architectures=amd64
		-o Acquire::Languages=none)
	[ "$(id -u)" -ne 0 ] || aptopts+=(-o APT::Sandbox::User=root)
	note "apt-get update ($suite, private lists in $apt) ..."
	apt-get -q "${aptopts[@]}" update >&2 || die "apt-get update ($suite) failed"
	show() { apt-cache "${aptopts[@]}" show --no-all-versions "$1" 2>/dev/null; }
	# "Depends: linux-image-6.12.95+deb12-amd64 (= 6.12.95-1~bpo12+1)"
	kpkg=$(show linux-image-amd64 | awk '/^Depends:/ { sub(/^Depends: */, ""); n = split($0, d, / *, */)
		for (i = 1; i <= n; i++) if (d[i] ~ /^linux-image-/) { split(d[i], w, " "); print w[1]; exit } }')
	[ -n "$kpkg" ] || die "$suite has no linux-image-amd64"
	kver=${kpkg#linux-image-}        # 6.12.95+deb12-amd64
	kbase=${kver%-amd64}             # 6.12.95+deb12
	ver=$(show "$kpkg-unsigned" | awk '/^Version:/ { print $2; exit }')
	[ -n "$ver" ] || die "$suite has no $kpkg-unsigned"
	mm=$(cut -d. -f1,2 <<<"$kver")   # 6.12
	pkgs=("$kpkg-unsigned=$ver" "linux-headers-$kver=$ver" "linux-headers-$kbase-common=$ver"
		"linux-kbuild-$kbase=$ver" "linux-source-$mm=$ver")
	note "downloading ${pkgs[*]} ..."
	mkdir -p "$debdir"
	tmpdl=$(mktemp -d "$debdir/.dl.XXXXXX")
	(cd "$tmpdl" && apt-get -q "${aptopts[@]}" download "${pkgs[@]}" >&2) ||
		{ rm -rf "$tmpdl"; die "apt-get download failed"; }
	mv "$tmpdl"/*.deb "$debdir/"
	rmdir "$tmpdl"
fi
deb_of() { compgen -G "$debdir/$1" | LC_ALL=C sort -V | tail -n1; }
image=$(deb_of 'linux-image-*-unsigned_*.deb')

# --- The stock kernel, laid out as for the default lab --------------------------
PASSVM_KERNEL_DEB=$image "$here/../guest/fetch-kernel.sh" "$cache" ||
	die "fetch-kernel.sh could not lay out $image"
# shellcheck disable=SC1091
. "$cache/kernel.env"
# shellcheck disable=SC2153 # KVER comes from kernel.env
moddir=$cache/root/lib/modules/$KVER

want="fetch=[$(cat "$cache/.fetch-kernel.stamp")] script=$(cat "$0" "$here/build-iommufd-modules.sh" | sha256sum | cut -d' ' -f1)"
for d in "$debdir"/*.deb; do want+=" $(basename "$d")"; done
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
	[ -f "$moddir/kernel/drivers/iommu/iommufd/iommufd.ko" ]; then
	exit 0 # up to date
fi
rm -f "$stamp"

# --- Build iommufd + VFIO, install them over the stock modules ------------------
ko=$cache/iommufd-ko
rm -rf "$ko"
note "building iommufd.ko and the VFIO modules for $KVER (~30 s) ..."
"$here/build-iommufd-modules.sh" "$debdir" "$ko" || die "building the modules failed"
install_ko() { # install_ko NAME.ko DIR-under-kernel/
	rm -f "$moddir/kernel/$2/${1%.ko}".ko*
	mkdir -p "$moddir/kernel/$2"
	cp "$ko/$1" "$moddir/kernel/$2/$1"
}
install_ko iommufd.ko drivers/iommu/iommufd
install_ko vfio.ko drivers/vfio
install_ko vfio_iommu_type1.ko drivers/vfio
install_ko vfio-pci-core.ko drivers/vfio/pci
install_ko vfio-pci.ko drivers/vfio/pci
bb=$(. "$here/../guest/initramfs-lib.sh" && ilib_static_busybox)
"$bb" depmod -b "$cache/root" "$KVER" || die "busybox depmod failed"
grep -q '^kernel/drivers/vfio/vfio.ko: .*iommufd.ko' "$moddir/modules.dep" ||
	die "modules.dep: vfio.ko does not depend on iommufd.ko"
echo "$want" >"$stamp"
note "iommufd kernel $KVER ready in $cache"
