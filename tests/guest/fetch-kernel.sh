#!/usr/bin/env bash
#
# fetch-kernel.sh CACHE_DIR
#
# Fetch Debian's stock kernel (the package that linux-image-amd64 currently
# depends on) and lay it out for the test guest and the lab:
#
#   CACHE_DIR/bzImage        a copy of the package's vmlinuz
#   CACHE_DIR/vmlinux        uncompressed ELF from inside the bzImage, with a
#                            PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18):
#                            QEMU and passvm can start it directly in 32-bit
#                            protected mode, skipping the slow decompressor
#   CACHE_DIR/config         the kernel's .config
#   CACHE_DIR/modules/       the modules tree (lib/modules/KVER of the package)
#   CACHE_DIR/modules.dep    link to modules/modules.dep (generated with
#                            busybox depmod: the .deb ships none, and the host
#                            need not have kmod)
#   CACHE_DIR/kernel.env     KVER=, KPKG=, KPKG_VERSION= (shell syntax)
#   CACHE_DIR/debs/          the downloaded .deb (kept; not downloaded again)
#
# Idempotent: a stamp file records what was unpacked; a second run with the
# same package (and the same version of this script) does nothing.
#
# Environment:
#   PASSVM_KERNEL_DEB=FILE  use this linux-image .deb instead of asking apt
#   PASSVM_DEB_CACHE=DIR    keep downloaded .debs here (default CACHE_DIR/debs),
#                           e.g. to share one download between build dirs
#
# Needs: apt (apt-get download, with package lists from apt-get update), dpkg,
# xz-utils (Debian compresses its bzImage with xz; zstd/gzip handled too),
# binutils (readelf), busybox-static (depmod), util-linux (flock).
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
. "$here/initramfs-lib.sh"
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }
trap 'echo "$prog: error: command failed at line $LINENO" >&2' ERR

[ $# -eq 1 ] || { echo "usage: $prog CACHE_DIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
cache=$(cd "$1" && pwd)
debcache=${PASSVM_DEB_CACHE:-$cache/debs}
stamp=$cache/.fetch-kernel.stamp
script_sum=$(sha256sum "$0" | cut -d' ' -f1)

for tool in dpkg readelf flock; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg binutils util-linux)"
done

# One fetch at a time per cache (meson tests and lab-run may race here).
exec 9>"$cache/.fetch-kernel.lock"
flock 9

# --- Which package? ---------------------------------------------------------
# Print "PACKAGE VERSION" of the kernel linux-image-amd64 depends on
# ("Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)"), or nothing.
resolve_kernel() {
	local meta pkg
	meta=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null) || return 0
	pkg=$(awk '/^Depends:/ { sub(/^Depends: */, ""); n = split($0, d, / *, */)
		for (i = 1; i <= n; i++) if (d[i] ~ /^linux-image-/) { split(d[i], w, " "); print w[1]; exit } }' <<<"$meta")
	[ -n "$pkg" ] || return 0
	apt-cache show --no-all-versions "$pkg" 2>/dev/null |
		awk -v p="$pkg" '/^Version:/ && v == "" { v = $2 } END { if (v != "") print p, v }'
}

deb=''
if [ -n "${PASSVM_KERNEL_DEB:-}" ]; then
	deb=$(realpath "$PASSVM_KERNEL_DEB") || die "PASSVM_KERNEL_DEB=$PASSVM_KERNEL_DEB not found"
	kpkg=$(dpkg-deb -f "$deb" Package) || die "$deb is not a .deb"
	kver_pkg=$(dpkg-deb -f "$deb" Version)
else
	resolved=$(resolve_kernel)
	if [ -z "$resolved" ] && [ ! -f "$stamp" ] && [ "$(id -u)" -eq 0 ]; then
		# A fresh machine may have no package lists yet.
		note "apt knows no linux-image-amd64; running apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
		resolved=$(resolve_kernel)
	fi
	if [ -z "$resolved" ]; then
		# Offline or no lists: keep a kernel we already have.
		[ ! -f "$stamp" ] || { note "apt cannot resolve linux-image-amd64; using the cached kernel"; exit 0; }
		die "apt cannot resolve linux-image-amd64 (run apt-get update as root) and no PASSVM_KERNEL_DEB given"
	fi
	read -r kpkg kver_pkg <<<"$resolved"
fi

want="pkg=$kpkg version=$kver_pkg script=$script_sum"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
	[ -f "$cache/vmlinux" ] && [ -f "$cache/bzImage" ] && [ -f "$cache/modules.dep" ]; then
	exit 0 # up to date
fi

# --- Download (cached) ----------------------------------------------------
if [ -z "$deb" ]; then
	mkdir -p "$debcache"
	# apt names the file PKG_VERSION_ARCH.deb with ':' (epoch) as %3a.
	deb=$debcache/${kpkg}_${kver_pkg//:/%3a}_amd64.deb
	if [ ! -s "$deb" ]; then
		note "downloading $kpkg $kver_pkg ..."
		tmpdl=$(mktemp -d "$debcache/.dl.XXXXXX")
		trap 'rm -rf "$tmpdl"' EXIT
		sandbox=()
		[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root) # root: no _apt warning
		(cd "$tmpdl" && apt-get download -q "${sandbox[@]}" "$kpkg=$kver_pkg" >&2) ||
			die "apt-get download $kpkg=$kver_pkg failed"
		got=$(find "$tmpdl" -name '*.deb' -print -quit)
		[ -n "$got" ] || die "apt-get download produced no .deb"
		mv "$got" "$deb"
		rm -rf "$tmpdl"
		trap - EXIT
	fi
fi

# --- Unpack ---------------------------------------------------------------
note "unpacking $(basename "$deb") ..."
rm -f "$stamp"
rm -rf "$cache/root" "$cache/vmlinux" "$cache/bzImage" "$cache/modules" "$cache/modules.dep" "$cache/config"
dpkg -x "$deb" "$cache/root" || die "dpkg -x $deb failed"

vmlinuz=$(find "$cache/root/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit)
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $deb"
kver=${vmlinuz##*/vmlinuz-}
[ -d "$cache/root/lib/modules/$kver" ] || die "no lib/modules/$kver in $deb"
# A copy, not a link: build tools compare its mtime (dpkg -x keeps the
# package's old ones).
cp "$vmlinuz" "$cache/bzImage"
ln -s "root/boot/config-$kver" "$cache/config"
ln -s "root/lib/modules/$kver" "$cache/modules"

# --- vmlinux out of the bzImage --------------------------------------------
# The x86 boot header says where the compressed kernel lies: setup_sects at
# 0x1f1 (the real-mode part is (setup_sects + 1) * 512 bytes), and from boot
# protocol 2.08 payload_offset / payload_length at 0x248 / 0x24c, relative to
# the end of the real-mode part.  (Debian: CONFIG_KERNEL_XZ=y.)
le() { od -An -t"u$2" -j "$1" -N "$2" "$vmlinuz" | tr -d ' '; }
[ "$(od -An -c -j $((0x202)) -N 4 "$vmlinuz" | tr -d ' ')" = HdrS ] || die "$vmlinuz: no x86 boot header"
[ "$(le $((0x206)) 2)" -ge $((0x208)) ] || die "$vmlinuz: boot protocol older than 2.08"
setup_sects=$(le $((0x1f1)) 1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
poff=$(((setup_sects + 1) * 512 + $(le $((0x248)) 4)))
plen=$(le $((0x24c)) 4)
payload() { dd if="$vmlinuz" bs=1M iflag=skip_bytes,count_bytes skip="$poff" count="$plen" status=none; }
magic=$(od -An -tx1 -j "$poff" -N 6 "$vmlinuz" | tr -d ' \n')
case $magic in
fd377a585a00) dec=(xz -dc --single-stream) ;; # xz (the kernel appends 4 size bytes)
28b52ffd*) dec=(zstd -dcq) ;;
1f8b*) dec=(gzip -dc) ;;
*) die "$vmlinuz: unknown payload compression (magic $magic)" ;;
esac
command -v "${dec[0]}" >/dev/null || die "${dec[0]} not found (apt-get install xz-utils zstd gzip)"
# gzip/zstd may complain about the 4 trailing size bytes; the ELF check
# below decides whether the output is good.
payload | "${dec[@]}" >"$cache/vmlinux.tmp" 2>"$cache/vmlinux.err" || true
[ "$(od -An -c -N 4 "$cache/vmlinux.tmp" | tr -d ' ')" = '177ELF' ] ||
	die "decompressing the bzImage payload gave no ELF: $(cat "$cache/vmlinux.err")"
rm -f "$cache/vmlinux.err"
# XEN_ELFNOTE_PHYS32_ENTRY = 18: readelf shows it as an (unknown) Xen note
# "(0x00000012)", or by name in newer binutils.
notes=$(readelf -n "$cache/vmlinux.tmp") || die "readelf -n vmlinux failed"
grep -Eq '^[[:space:]]*Xen[[:space:]].*(\(0x00000012\)|PHYS32_ENTRY)' <<<"$notes" ||
	die "vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); CONFIG_PVH off?"
mv "$cache/vmlinux.tmp" "$cache/vmlinux"

# --- modules.dep ------------------------------------------------------------
bb=$(ilib_static_busybox) || exit 1
"$bb" depmod -b "$cache/root" "$kver" || die "busybox depmod failed"
[ -s "$cache/modules/modules.dep" ] || die "depmod wrote no modules.dep"
ln -s modules/modules.dep "$cache/modules.dep"

printf 'KVER=%s\nKPKG=%s\nKPKG_VERSION=%s\n' "$kver" "$kpkg" "$kver_pkg" >"$cache/kernel.env"
echo "$want" >"$stamp"
note "kernel $kver ready in $cache"
