#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot-time benchmark: passvm vs qemu-system-x86_64 -enable-kvm, same Debian
# kernel, same test-guest initramfs, in the lab (bench/README.md, section 2).
#
# usage: bench/boot-lab.sh [--build DIR] [--passvm BIN] [--cache DIR]
#                          [--initrd FILE] [--rounds N] [--kernel K]
#                          [--no-quiet] [--qemu-extra "ARGS"] [--timeout SEC]
#                          [--lab-console FILE] [-v]
#
# Run on the host, it re-runs itself in ONE lab (tests/lab/lab-run --smp 2);
# in there it does N rounds (default 5) of: for each kernel (vmlinux = PVH
# entry, bzImage = x86 boot protocol), boot the test guest once under QEMU
# and once under passvm (which goes first alternates from round to round),
# both with 2 vCPUs, 512 MiB and the command line
#     console=ttyS0 quiet passvm.test=boot
# and measures wall time from just before the VMM process is started to
#   marker: the line "PASSVM-TEST-PASS boot" arriving on the console, i.e.
#           the kernel booted and /init ran (what the issue calls "to /init");
#   exit:   the VMM's console pipe reaching EOF (the process exited, after
#           the guest powered off).
# Both VMMs write the guest console to the same pipe into the same bash
# `read` loop timed with $EPOCHREALTIME (builtins only: no exec per line).
# Prints one line per boot, then per kernel the medians and the ratio
# passvm/QEMU of the medians (goal: < 1).
#
#   --build DIR      the meson build tree (default: BUILD = <src>/build):
#                    passvm is DIR/passvm, the cache DIR/tests/guest
#   --passvm BIN     passvm binary (default BUILD/passvm)
#   --cache DIR      kernel cache with vmlinux + bzImage (default
#                    BUILD/tests/guest; also lab-run's --cache)
#   --initrd FILE    test guest (default CACHE/test-guest.cpio.gz)
#   --rounds N       rounds (default 5)
#   --kernel K       vmlinux, bzImage or both (default both)
#   --no-quiet       drop "quiet": the whole kernel log goes to the console
#                    (shows the console's cost), and the guest's own clock
#                    at "Run /init" is reported (guest_init_s)
#   --qemu LIST      QEMU variants to compare with, comma-separated
#                    (default plain): plain = the command line below, nonic
#                    = plus "-nic none", min = plus "-nodefaults -serial stdio"
#   --qemu-extra A   more arguments for every QEMU variant (word-split)
#   --timeout SEC    kill a boot after SEC seconds (default 240)
#   --lab-console F  keep the lab's own console log in F
#   -v               print each boot's console on stderr
# Exit status: 0, 1 if a boot failed (no marker or a non-zero exit), 77 when
# the lab cannot run here (no qemu-system-x86_64 or busybox-static).
set -euo pipefail

prog=${0##*/}
here=$(dirname "$(realpath "$0")")
src=$(dirname "$here")
die() { echo "$prog: error: $*" >&2; exit 1; }

build=$src/build passvm='' cache='' initrd='' rounds=5 kernels=both quiet=quiet
qemu_variants=plain qemu_extra='' timeout=240 lab_console='' verbose=0
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:?}; shift 2 ;;
	--passvm) passvm=${2:?}; shift 2 ;;
	--cache) cache=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--rounds) rounds=${2:?}; shift 2 ;;
	--kernel) kernels=${2:?}; shift 2 ;;
	--no-quiet) quiet=''; shift ;;
	--qemu) qemu_variants=${2:?}; shift 2 ;;
	--qemu-extra) qemu_extra=${2-}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--lab-console) lab_console=${2:?}; shift 2 ;;
	-v) verbose=1; shift ;;
	*) awk 'NR >= 6 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0" >&2; exit 2 ;;
	esac
done
case $kernels in
both) kernels="vmlinux bzImage" ;;
vmlinux | bzImage) ;;
*) die "--kernel takes vmlinux, bzImage or both" ;;
esac
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive integer"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout takes a positive integer"
passvm=${passvm:-$build/passvm}
cache=${cache:-$build/tests/guest}
initrd=${initrd:-$cache/test-guest.cpio.gz}

# --- On the host: check the inputs, then go into the lab ---------------------
if [ -z "${PASSVM_LAB:-}" ]; then
	[ -x "$passvm" ] || die "no passvm at $passvm (build it: ninja -C $build passvm)"
	for k in $kernels; do
		[ -f "$cache/$k" ] || die "no $cache/$k (ninja -C $build tests/guest/vmlinux)"
	done
	[ -f "$initrd" ] || die "no test guest at $initrd (ninja -C $build tests/guest/test-guest.cpio.gz)"
	passvm=$(realpath "$passvm") cache=$(realpath "$cache") initrd=$(realpath "$initrd")
	nk=$(wc -w <<<"$kernels")
	lab=("$src/tests/lab/lab-run" --smp 2 --cache "$cache"
		--timeout $((120 + (rounds + 1) * nk * 2 * timeout / 2)))
	[ -z "$lab_console" ] || lab+=(--console "$lab_console")
	exec "${lab[@]}" -- "$here/$prog" "${args[@]}" \
		--passvm "$passvm" --cache "$cache" --initrd "$initrd"
fi

# --- In the lab ----------------------------------------------------------------
[ -c /dev/kvm ] || die "no /dev/kvm in the lab"
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64 in the lab"
append="console=ttyS0${quiet:+ $quiet} passvm.test=boot"
# shellcheck disable=SC2206 # word splitting wanted
qemu_extra_a=($qemu_extra)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# us_to_s MICROSECONDS: "S.mmm" (builtins only).
us_to_s() { printf '%d.%03d' $(($1 / 1000000)) $(($1 % 1000000 / 1000)); }

# qemu_args VARIANT: the QEMU arguments that VARIANT adds to the common
# command line (see --qemu).
qemu_args() {
	case $1 in
	plain) qv=() ;;
	nonic) qv=(-nic none) ;;
	min) qv=(-nodefaults -serial stdio) ;;
	*) die "unknown QEMU variant '$1' (plain, nonic, min)" ;;
	esac
}

# boot VMM KERNEL ROUND: one timed boot (VMM: passvm or qemu-VARIANT); prints
# a result line and appends it to $tmp/results.
fails=0
boot() {
	local vmm=$1 k=$2 round=$3 cmd log=$tmp/console err=$tmp/stderr qv
	if [ "$vmm" = passvm ]; then
		cmd=("$passvm" run --kernel "$cache/$k" --initrd "$initrd" --append "$append"
			--cpus 2 --memory 512M --serial stdio)
	else
		qemu_args "${vmm#qemu-}"
		cmd=(qemu-system-x86_64 -enable-kvm -machine q35 -cpu host -m 512 -smp 2
			-nographic -no-reboot "${qv[@]}" "${qemu_extra_a[@]}"
			-kernel "$cache/$k" -initrd "$initrd" -append "$append")
	fi
	local line marker='' ginit='' goff='' t0 t1 pid rc=0 lf
	exec {lf}>"$log"
	t0=${EPOCHREALTIME/./}
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ -z $marker && $line == *"PASSVM-TEST-PASS boot"* ]]; then
			marker=${EPOCHREALTIME/./}
		elif [[ -z $ginit && $line == *"] Run /init as init process"* ]]; then
			ginit=${line#*[}
			ginit=${ginit%%]*}
			ginit=${ginit// /}
		elif [[ -z $goff && $line == *"] reboot: Power down"* ]]; then
			goff=${line#*[}
			goff=${goff%%]*}
			goff=${goff// /}
		fi
		printf '%s\n' "$line" >&$lf
	done < <(exec timeout -s KILL "$timeout" "${cmd[@]}" </dev/null 2>"$err")
	t1=${EPOCHREALTIME/./}
	pid=$!
	wait "$pid" || rc=$?
	exec {lf}>&-
	[ "$verbose" = 0 ] || { echo "--- $vmm $k round $round: ${cmd[*]}" && cat "$log" "$err"; } >&2
	if [ -z "$marker" ] || [ "$rc" != 0 ]; then
		echo "boot-lab kernel=$k vmm=$vmm round=$round FAILED (exit status $rc${marker:-, no PASSVM-TEST-PASS boot}); console and stderr tail:"
		tail -n 20 "$log" "$err" | tr -d '\r'
		fails=$((fails + 1))
		return 0
	fi
	local r
	r="boot-lab kernel=$k vmm=$vmm round=$round marker_s=$(us_to_s $((marker - t0))) exit_s=$(us_to_s $((t1 - t0)))"
	[ -z "$ginit" ] || r+=" guest_init_s=$ginit"
	[ -z "$goff" ] || r+=" guest_off_s=$goff"
	echo "$r"
	echo "$r" >>"$tmp/results"
}

# Warm the lab's page cache (the host's files come over 9p) and both VMMs'
# first-run costs (QEMU's firmware and option ROMs, the dynamic loader): one
# untimed boot of each VMM first.
for k in $kernels; do cat "$cache/$k"; done | cat - "$initrd" "$passvm" >/dev/null
read -r lab_kver </proc/sys/kernel/osrelease
lab_cpus=$(nproc)
echo "== in the lab: Linux $lab_kver, $lab_cpus CPUs; $(qemu-system-x86_64 -version | head -n 1)"
vmms=(passvm)
for v in ${qemu_variants//,/ }; do qemu_args "$v"; vmms+=("qemu-$v"); done
echo "== append: \"$append\"; QEMU variants: ${qemu_variants//,/ }${qemu_extra:+ (+ $qemu_extra)}; $rounds rounds"
k1=${kernels%% *}
: >"$tmp/results"
for vmm in "${vmms[@]}"; do boot "$vmm" "$k1" 0 >/dev/null; done
: >"$tmp/results"
fails=0

# Round r starts with VMM number r (mod the count): each VMM comes first, in
# the middle and last equally often over enough rounds.
nv=${#vmms[@]}
for ((round = 1; round <= rounds; round++)); do
	for k in $kernels; do
		for ((i = 0; i < nv; i++)); do
			boot "${vmms[(round - 1 + i) % nv]}" "$k" "$round"
		done
	done
done

echo
awk -v vmms="${vmms[*]}" '
	function val(key,   i, f) {
		for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == key) return f[2] }
		return ""
	}
	function med(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		if (!n) return -1
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function mn(list,   a, n, i, m) {
		n = split(list, a, " "); m = a[1] + 0
		for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0
		return m
	}
	function opt(list, fmt) { return list == "" ? "-" : sprintf(fmt, med(list)) }
	{
		k = val("kernel"); v = val("vmm")
		if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
		mk[k, v] = mk[k, v] " " val("marker_s"); ex[k, v] = ex[k, v] " " val("exit_s")
		g = val("guest_init_s"); if (g != "") gi[k, v] = gi[k, v] " " g
		g = val("guest_off_s")
		if (g != "") { go[k, v] = go[k, v] " " g; pre[k, v] = pre[k, v] " " (val("exit_s") - g) }
		cnt[k, v]++
	}
	END {
		nv = split(vmms, vm, " ")
		printf "%-8s %-12s %5s | %8s %8s | %8s %8s | %9s %9s %9s\n", "kernel", "vmm", "boots",
		       "marker", "(min)", "exit", "(min)", "g.init", "g.off", "exit-g.off"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			for (j = 1; j <= nv; j++) {
				v = vm[j]
				if (!cnt[k, v]) continue
				printf "%-8s %-12s %5d | %7.2fs %7.2fs | %7.2fs %7.2fs | %9s %9s %9s\n", k, v, cnt[k, v],
				       med(mk[k, v]), mn(mk[k, v]), med(ex[k, v]), mn(ex[k, v]),
				       opt(gi[k, v], "%.2fs"), opt(go[k, v], "%.2fs"), opt(pre[k, v], "%.2fs")
			}
			for (j = 1; j <= nv; j++) {
				v = vm[j]
				if (v == "passvm" || !cnt[k, v] || !cnt[k, "passvm"]) continue
				printf "%-8s %-12s %5s | %7.2fx %8s | %7.2fx %8s | %9s %9s %9s\n", k, "passvm/" substr(v, 6), "",
				       med(mk[k, "passvm"]) / med(mk[k, v]), "", med(ex[k, "passvm"]) / med(ex[k, v]), "",
				       (gi[k, v] != "" && gi[k, "passvm"] != "") ? sprintf("%.2fx", med(gi[k, "passvm"]) / med(gi[k, v])) : "-",
				       (go[k, v] != "" && go[k, "passvm"] != "") ? sprintf("%.2fx", med(go[k, "passvm"]) / med(go[k, v])) : "-",
				       (pre[k, v] != "" && pre[k, "passvm"] != "") ? sprintf("%.2fx", med(pre[k, "passvm"]) / med(pre[k, v])) : "-"
			}
		}
		printf "(medians (and minimum) of wall seconds from the VMM process start to: marker =\n"
		printf " \"PASSVM-TEST-PASS boot\" on the console, exit = the VMM exited; guest clock at\n"
		printf " \"Run /init\" (g.init, needs --no-quiet) and at \"reboot: Power down\" (g.off);\n"
		printf " exit-g.off ~ time outside the guest kernel: VMM start, firmware, loading/\n"
		printf " decompressing the kernel, VMM exit.  passvm/X = ratio of medians, goal < 1)\n"
	}' "$tmp/results"
[ "$fails" = 0 ] || { echo "$prog: $fails boot(s) failed" >&2; exit 1; }
