#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Exit-cost benchmark: passvm vs a bare KVM_RUN loop (bench/README.md).
#
# usage: bench/run.sh [-n N] [-r REPS] [--rounds K] [-v] [--build-dir DIR]
#                     [--no-build] [--passvm BIN --raw BIN --payload ELF]
# Builds passvm, bench/kvm_exit_raw and the bench_exits payload in DIR
# (default: build-bench in the source tree) unless --no-build, then runs
# the bare loop and passvm alternately K times (default 3; alternating
# spreads host noise over both), each measuring N exits (default 200000)
# REPS times (default 5), and prints guest-TSC cycles and ns per exit and
# the passvm/raw ratio of the best figures (goal: <= 1.20 for PIO and MMIO
# exits) plus the ratio of the medians.
# Exit 77 when /dev/kvm can't be opened, 1 on any failure.
set -eu -o pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
n=200000 reps=5 rounds=3 verbose= build=$src/build-bench do_build=1
passvm= raw= payload=
while [ $# -gt 0 ]; do
	case "$1" in
	-n) n=$2; shift 2 ;;
	-r) reps=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	--build-dir) build=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--passvm) passvm=$2; shift 2 ;;
	--raw) raw=$2; shift 2 ;;
	--payload) payload=$2; shift 2 ;;
	*) echo "usage: $0 [-n N] [-r REPS] [--rounds K] [-v] [--build-dir DIR] [--no-build] [--passvm BIN --raw BIN --payload ELF]" >&2; exit 2 ;;
	esac
done

dev=${PASSVM_KVM_DEV:-/dev/kvm}
# -c first: "<>" would create a missing path as a regular file.
if [ ! -c "$dev" ] || ! { exec 3<>"$dev"; } 2>/dev/null; then
	echo "SKIP: cannot open $dev read-write: no KVM to benchmark" >&2
	exit 77
fi
exec 3<&-

if [ $do_build = 1 ]; then
	[ -d "$build" ] || meson setup "$build" "$src" --buildtype=release >/dev/null
	ninja -C "$build" passvm bench/kvm_exit_raw tests/payloads/bench_exits.elf >/dev/null
fi
passvm=${passvm:-$build/passvm}
raw=${raw:-$build/bench/kvm_exit_raw}
payload=${payload:-$build/tests/payloads/bench_exits.elf}

tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

echo "== $rounds rounds, alternating: $raw -n $n -r $reps  /  $passvm run --kernel $payload"
for ((i = 1; i <= rounds; i++)); do
	"$raw" -n "$n" -r "$reps" >"$tmp/raw.$i"
	t0=$(date +%s%N)
	if ! timeout 600 "$passvm" run --kernel "$payload" --serial "file:$tmp/serial.$i" \
		--append "bench_n=$n bench_reps=$reps" --memory 64M </dev/null >"$tmp/out" 2>"$tmp/err"; then
		echo "passvm failed:" >&2
		cat "$tmp/serial.$i" "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	tr -d '\r' <"$tmp/serial.$i" | grep '^BENCH' >"$tmp/pv.$i" || {
		echo "no BENCH lines from the payload:" >&2; cat "$tmp/serial.$i" "$tmp/err" >&2; exit 1; }
	echo "round $i: passvm process wall time $(( (t1 - t0) / 1000000 )) ms"
	if [ -n "$verbose" ]; then cat "$tmp/raw.$i" "$tmp/pv.$i"; fi
done
cat "$tmp"/raw.* >"$tmp/raw"
cat "$tmp"/pv.* >"$tmp/pv"

echo
awk -v goal=1.20 '
	function val(line, key,   i, f) {
		for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == key) return f[2] + 0 }
		return ""
	}
	function med(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return a[int((n + 1) / 2)] + 0
	}
	FILENAME ~ /raw$/ && /^RAW tsc_khz=/ { split($2, f, "="); khz = f[2]; next }
	FILENAME ~ /raw$/ && /^RAW / { k = $2; v = val($0, "min")
		if (!(k in rmin) || v < rmin[k]) rmin[k] = v; rmeds[k] = rmeds[k] " " val($0, "median"); next }
	FILENAME ~ /pv$/ && /^BENCH / { k = $2; v = val($0, "min")
		if (!(k in pmin)) order[++nk] = k
		if (!(k in pmin) || v < pmin[k]) pmin[k] = v; pmeds[k] = pmeds[k] " " val($0, "median") }
	END {
		printf "%-20s %9s %9s %8s %8s %7s %8s | %7s\n", "exit kind", "raw cyc", "pvm cyc",
		       "raw ns", "pvm ns", "ratio", "+ns", "med.rat"
		for (i = 1; i <= nk; i++) {
			k = order[i]; rk = (k == "pio_out_serial_scr") ? "pio_out" : k
			if (!(rk in rmin)) { printf "%-20s %9s %9d\n", k, "-", pmin[k]; continue }
			r = rmin[rk]; p = pmin[k]; ratio = p / r; mr = med(pmeds[k]) / med(rmeds[rk])
			flag = (ratio > goal && k !~ /cpuid/ && k != "pio_out_serial_scr") ? "  > goal" : ""
			printf "%-20s %9d %9d %8.0f %8.0f %6.2fx %8.0f | %6.2fx%s\n", k, r, p, r * 1e6 / khz,
			       p * 1e6 / khz, ratio, (p - r) * 1e6 / khz, mr, flag
		}
		printf "(guest TSC cycles per exit, best of all rounds x reps; ns at the host TSC rate\n"
		printf " %d kHz; ratio = passvm / raw, goal <= %.2f; med.rat = ratio of the medians;\n", khz, goal
		printf " pio_out_serial_scr includes the 16550 model and is compared with raw pio_out)\n"
	}' "$tmp/raw" "$tmp/pv"
