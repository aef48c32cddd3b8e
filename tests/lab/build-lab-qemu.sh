#!/usr/bin/env bash
#
# build-lab-qemu.sh CACHE_DIR
#
# The lab's own "patched" QEMU (lab-run --qemu patched): Debian 12's qemu
# source package, of the version of the host's qemu-system-x86, with
# tests/lab/qemu-patches/*.patch applied on top of Debian's own quilt series,
# built for x86_64-softmmu only (TCG + KVM, virtfs, the default x86 devices;
# no GUI, audio, docs or tools).  Why: Debian's QEMU 7.2 (and bookworm-
# backports' 10.0) as the lab's QEMU aborts in tcg_handle_interrupt() as soon
# as an L2 guest (a VM inside the lab) runs OVMF, which writes CR8 on every
# interrupt return (qemu-patches/0001-lab-tcg-svm-lock.patch says why).
# Only the lab's own (L1) QEMU is this one: the qemu-system-x86_64 that
# commands run inside the lab stays Debian's /usr/bin one.
#
# CACHE_DIR gets:
#   bin/qemu-system-x86_64        stripped, with a GNU debuglink to
#   bin/qemu-system-x86_64.debug  (gdb finds the symbols for a backtrace)
#   share/qemu, share/seabios, lib/ipxe/qemu  symlinks to Debian's firmware
#                  directories (QEMU 7.2 looks for its ROMs relative to the
#                  binary: BIN/../share/qemu, ...)
#   src/           the .dsc, .orig.tar.xz and .debian.tar.xz (24 MB), kept;
#                  replaced when the host's qemu-system-x86 moves to another
#                  source version
#   apt/           private apt lists (deb-src bookworm, -updates, -security;
#                  the host's apt configuration is neither used nor changed)
#   .lab-qemu.stamp  source version + patches + this script (sha256): while
#                  it matches, the script is a no-op
# The build folder is a temp dir ($TMPDIR), removed.  Cost: one 24 MB download
# and ~4 min of both cores of a 2-core host (1457 ninja steps, nice'd), once.
#
# Exit status: 0 ready; 77 when build dependencies are missing (a loud
# message says which: tools/setup installs them); 1 on any other failure.
#
# Environment:
#   PASSVM_LAB_QEMU_VERSION=V  the Debian source version to build (default:
#                              the installed qemu-system-x86's)
#   PASSVM_LAB_QEMU_JOBS=N     ninja -j (default: nproc)
#   PASSVM_DEBIAN_MIRROR=URL   (default http://deb.debian.org/debian)
#
# Needs: dpkg-dev (dpkg-source), apt, patch, gcc, ninja-build, meson,
# pkg-config, python3, binutils, libglib2.0-dev, libpixman-1-dev,
# libcap-ng-dev, libfdt-dev, zlib1g-dev; at run time Debian's firmware
# (qemu-system-data, seabios, ipxe-qemu: qemu-system-x86 brings them).
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }
trap 'echo "$prog: error: command failed at line $LINENO" >&2' ERR

[ $# -eq 1 ] || { echo "usage: $prog CACHE_DIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
cache=$(cd "$1" && pwd)
stamp=$cache/.lab-qemu.stamp
mirror=${PASSVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
patchdir=$here/qemu-patches
jobs=${PASSVM_LAB_QEMU_JOBS:-$(nproc)}
patches=("$patchdir"/*.patch)
[ -f "${patches[0]}" ] || die "no patches in $patchdir"

exec 8>"$cache/.lab-qemu.lock"
flock 8

# Source version: the host's qemu-system-x86's Source: version (a binNMU's
# +bN is not part of it): 1:7.2+dfsg-7+deb12u18.
ver=${PASSVM_LAB_QEMU_VERSION:-$(dpkg-query -W -f '${source:Version}' qemu-system-x86 2>/dev/null || true)}
[ -n "$ver" ] || die "no qemu-system-x86 installed (apt-get install qemu-system-x86), or set PASSVM_LAB_QEMU_VERSION"
uver=${ver#*:} # no epoch in file names: 7.2+dfsg-7+deb12u18
want="qemu=$ver patches=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1) script=$(sha256sum <"$0" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$cache/bin/qemu-system-x86_64" ]; then
	exit 0 # up to date
fi
rm -f "$stamp"

# --- Build dependencies: missing ones are a loud skip (77) --------------------
need=(dpkg-dev apt patch gcc ninja-build meson pkg-config python3 binutils
	libglib2.0-dev libpixman-1-dev libcap-ng-dev libfdt-dev zlib1g-dev
	qemu-system-data seabios ipxe-qemu debian-archive-keyring)
missing=()
for p in "${need[@]}"; do
	[ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	{
		echo "$prog: ************************************************************"
		echo "$prog: SKIP: cannot build the lab's patched QEMU: missing Debian packages:"
		echo "$prog:   ${missing[*]}"
		echo "$prog: install them (tools/setup does): apt-get install ${missing[*]}"
		echo "$prog: ************************************************************"
	} >&2
	exit 77
fi

# --- The source package (private apt configuration, deb-src only) -----------
srcdir=$cache/src
if [ ! -f "$srcdir/qemu_${uver}.dsc" ]; then
	apt=$cache/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$srcdir"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n\nTypes: deb-src\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' \
		"$mirror" "$keyring" "${mirror%/debian}/debian-security" "$keyring" >"$apt/debian.sources"
	aptopts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/dev/null
		-o Dir::Etc::sourcelist="$apt/debian.sources" -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt/cache" -o Acquire::Languages=none)
	[ "$(id -u)" -ne 0 ] || aptopts+=(-o APT::Sandbox::User=root)
	note "apt-get update (deb-src, private lists in $apt) ..."
	apt-get -q "${aptopts[@]}" update >&2 || die "apt-get update failed"
	rm -f "$srcdir"/qemu_* # another version's files
	note "downloading the qemu $ver source package (24 MB) ..."
	(cd "$srcdir" && apt-get -q "${aptopts[@]}" source --download-only "qemu=$ver" >&2) ||
		die "apt-get source qemu=$ver failed (the archive keeps only its newest version:" \
			"upgrade qemu-system-x86, or set PASSVM_LAB_QEMU_VERSION)"
fi

# --- Unpack (Debian's quilt series applied), our patches on top, build --------
work=$(mktemp -d "${TMPDIR:-/tmp}/lab-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-source -x "$srcdir/qemu_${uver}.dsc" "$work/qemu" >"$work/dpkg-source.log" 2>&1 ||
	{ tail -n 20 "$work/dpkg-source.log" >&2; die "dpkg-source -x failed"; }
for p in "${patches[@]}"; do
	patch -d "$work/qemu" -p1 --quiet --forward <"$p" >&2 || die "${p##*/} does not apply to qemu $ver"
done
mkdir "$work/build"
(cd "$work/build" && ../qemu/configure \
	--target-list=x86_64-softmmu --without-default-features \
	--enable-tcg --enable-kvm --enable-virtfs --enable-attr --enable-cap-ng --enable-fdt=system \
	--disable-docs --disable-tools --disable-guest-agent \
	--disable-user --disable-linux-user --disable-bsd-user --audio-drv-list= \
	--disable-install-blobs --with-git-submodules=ignore \
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var --libexecdir=/usr/lib/qemu \
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
	--with-pkgversion="Debian $ver + passvm lab patches" >"$work/configure.log" 2>&1) ||
	{ tail -n 30 "$work/configure.log" >&2; die "configure failed"; }
note "building qemu-system-x86_64 $ver with ${#patches[@]} lab patch(es) (~4 min on 2 cores, once) ..."
t0=$SECONDS
nice -n 10 ninja -C "$work/build" -j "$jobs" qemu-system-x86_64 >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log" >&2; die "the build failed"; }
bin=$work/build/qemu-system-x86_64
mkdir -p "$cache/bin" "$cache/share" "$cache/lib/ipxe"
objcopy --only-keep-debug "$bin" "$cache/bin/qemu-system-x86_64.debug"
(cd "$cache/bin" && objcopy --strip-debug --add-gnu-debuglink=qemu-system-x86_64.debug "$bin" qemu-system-x86_64.new)
mv "$cache/bin/qemu-system-x86_64.new" "$cache/bin/qemu-system-x86_64"
ln -sfn /usr/share/qemu "$cache/share/qemu"
ln -sfn /usr/share/seabios "$cache/share/seabios"
ln -sfn /usr/lib/ipxe/qemu "$cache/lib/ipxe/qemu"
"$cache/bin/qemu-system-x86_64" --version | head -n1 >&2 || die "the new binary does not run"
echo "$want" >"$stamp"
note "lab QEMU ready in $cache (built in $((SECONDS - t0)) s)"
