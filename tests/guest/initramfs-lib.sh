# shellcheck shell=bash
#
# Helpers shared by the initramfs builders (tests/guest/build-initramfs.sh
# and tests/lab/build-lab-initramfs.sh).  Source it from bash; it defines
# functions only and changes no shell options.
#
#   ilib_die MSG...                 print "PROG: error: MSG" and exit 1
#   ilib_static_busybox             print the path of a statically linked busybox
#   ilib_resolve_modules MODDIR M.. print the .ko paths (relative to MODDIR) of
#                                   modules M.. and their dependencies, in load order
#   ilib_install_busybox BB ROOT    copy busybox into ROOT/bin with applet links
#   ilib_install_modules MODDIR ROOT LIST M..
#                                   copy modules M.. (+deps) into ROOT/lib/modules
#                                   and write their load order to ROOT/LIST
#   ilib_cpio ROOT                  write a newc cpio of ROOT (owned by root, plus
#                                   a /dev/console node) to stdout
#   ilib_hash FILE..                print one sha256 over the given files' contents

ilib_die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

# A statically linked busybox (Debian package busybox-static).  A dynamically
# linked one (package busybox) would need the host's libc in the initramfs.
ilib_static_busybox() {
	local bb
	for bb in ${PASSVM_BUSYBOX:-} /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
		[ -n "$bb" ] && [ -x "$bb" ] || continue
		command -v readelf >/dev/null || ilib_die "readelf not found (install binutils)"
		# (No "readelf | grep -q": under pipefail a SIGPIPE would read as "static".)
		if [[ $(readelf -l "$bb" 2>/dev/null) == *'program interpreter'* ]]; then
			echo "${0##*/}: note: $bb is dynamically linked, skipping it" >&2
			continue
		fi
		echo "$bb"
		return 0
	done
	ilib_die "no statically linked busybox found (apt-get install busybox-static)"
}

# Resolve modules and their dependencies from MODDIR/modules.dep (as written
# by depmod: "kernel/a.ko: kernel/b.ko kernel/c.ko").  Names may use '-' or
# '_' and need no ".ko".  Modules built into the kernel (modules.builtin) are
# skipped.  Output: one path per line, each after all of its dependencies.
ilib_resolve_modules() {
	local moddir=$1
	shift
	[ -f "$moddir/modules.dep" ] || ilib_die "$moddir/modules.dep missing (run tests/guest/fetch-kernel.sh)"
	awk -v want="$*" '
	function norm(s) { gsub(/-/, "_", s); return s }
	function modname(p,  n, a) {
		n = split(p, a, "/"); p = a[n]
		sub(/\.ko(\.(xz|gz|zst))?$/, "", p)
		return norm(p)
	}
	# Depth first: dependencies first, each module once.
	function visit(m,  d, k, i) {
		if (m in done) return
		done[m] = 1
		k = split(deps[m], d, " ")
		for (i = k; i >= 1; i--) visit(d[i])
		print path[m]
	}
	FILENAME ~ /modules\.builtin$/ { builtin[modname($1)] = 1; next }
	{
		key = $1; sub(/:$/, "", key)
		m = modname(key); path[m] = key; deps[m] = ""
		for (i = 2; i <= NF; i++) deps[m] = deps[m] " " modname($i)
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			m = norm(w[i]); sub(/\.ko$/, "", m)
			if (m in path) visit(m)
			else if (m in builtin) printf "note: module %s is built into the kernel\n", w[i] > "/dev/stderr"
			else { printf "error: no module %s in modules.dep\n", w[i] > "/dev/stderr"; bad = 1 }
		}
		exit bad
	}' "$moddir/modules.builtin" "$moddir/modules.dep" ||
		ilib_die "cannot resolve modules: $*"
}

ilib_install_busybox() {
	local bb=$1 root=$2 applet
	mkdir -p "$root/bin"
	cp "$bb" "$root/bin/busybox"
	# Links for every applet, so scripts and humans can call "mount" etc.
	# (busybox-static's ash runs applets itself without exec anyway.)
	for applet in $("$bb" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	ln -sf bin "$root/sbin"
}

ilib_install_modules() {
	local moddir=$1 root=$2 list=$3 rel
	shift 3
	mkdir -p "$root/lib/modules"
	: >"$root/$list"
	[ $# -gt 0 ] || return 0
	local paths
	paths=$(ilib_resolve_modules "$moddir" "$@") || exit 1
	for rel in $paths; do
		mkdir -p "$root/lib/modules/${rel%/*}"
		# Compressed modules (Debian 6.12: .ko.xz) go in plain: busybox
		# insmod passes the file to init_module as it is.
		case $rel in
		*.ko.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/${rel%.xz}" || ilib_die "xz -d $rel failed"; rel=${rel%.xz} ;;
		*.ko.zst) zstd -dcq "$moddir/$rel" >"$root/lib/modules/${rel%.zst}" || ilib_die "zstd -d $rel failed"; rel=${rel%.zst} ;;
		*.ko.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/${rel%.gz}" || ilib_die "gzip -d $rel failed"; rel=${rel%.gz} ;;
		*) cp "$moddir/$rel" "$root/lib/modules/$rel" ;;
		esac
		echo "/lib/modules/$rel" >>"$root/$list"
	done
}

# One newc entry: name, mode (octal), rdev major, rdev minor; no data.
_ilib_cpio_entry() {
	local name=$1 mode=$2 maj=$3 min=$4 namesize hdr pad
	namesize=$((${#name} + 1))
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 $((8#$mode)) 0 0 1 0 0 0 0 "$maj" "$min" "$namesize" 0)
	printf '%s%s\0' "$hdr" "$name"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	[ $pad -eq 0 ] || head -c $pad /dev/zero
}

# GNU cpio cannot add a device node that is not on disk, and mknod needs
# root; the kernel opens /dev/console before /init runs, so we append a
# second, hand-made archive with that one node (the kernel unpacks
# concatenated archives).
ilib_cpio() {
	local root=$1
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) || ilib_die "cpio failed on $root"
	_ilib_cpio_entry dev/console 020600 5 1
	_ilib_cpio_entry TRAILER!!! 0 0 0
}

ilib_hash() {
	cat "$@" | sha256sum | cut -d' ' -f1
}
