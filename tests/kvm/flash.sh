#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Firmware flash end to end on /dev/kvm (vmm/hw/pflash*.c): passvm boots a
# firmware image (tests/payloads/flash_fw.S) from the reset vector with an
# vars file below it (4 MiB together); the firmware drives the store with the CFI
# commands OVMF uses. The file must then hold its program and erase, the
# next run must see them, and the code file stays as it was. Also: firmware
# boot is refused without the development switch, and bad images and vars
# files are refused by name.
# usage: flash.sh PASSVM FLASH_FW_BIN
set -u
passvm=$1 fw=$2
. "$(dirname "$0")/kvm-lib.sh"
kvm_setup passvm-flash
export PASSVM_EXPERIMENTAL_FIRMWARE=1

cp "$fw" "$tmp/code.fd"
# vars: 4 MiB - 4 KiB, so code + vars make a 4 MiB flash as OVMF's do (the
# firmware check wants that of a code image no descriptor names). The test
# firmware uses its last 8 KiB, which real mode reaches (CS base 0xFFFF0000):
# fwv is the file offset of 0xFFFFD000. 'V' there, erased elsewhere, and
# a pattern in the block after it, which the firmware erases.
vsize=$((4 * 1024 * 1024 - 4096)) fwv=$((4 * 1024 * 1024 - 4096 - 0x2000))
python3 -c "
import sys
n, at = int(sys.argv[2]), int(sys.argv[3])
v = bytearray(b'\xff' * n); v[at] = ord('V'); v[at + 0x1800] = 0x42
open(sys.argv[1], 'wb').write(v)" "$tmp/vars.fd" $vsize $fwv
profile() { # FILE CODE VARS
	printf '[machine]\nrng = no\n[cpu]\nhyperv = off\n[boot]\nfirmware = %s\nvars = %s\n' \
		"$2" "$3" >"$1"
}
profile "$tmp/vm.ini" code.fd vars.fd

run() { # NAME WANT_STATUS PROFILE: output in $out
	out=$(timeout 30 "$passvm" run "$3" --serial stdio </dev/null 2>&1)
	local st=$?
	echo "--- $1: exit $st"; echo "$out"
	[ "$st" = "$2" ] || fail "$1: exit $st, want $2"
}

run first 0 "$tmp/vm.ini"
grep -q FLASH-OK <<<"$out" || fail "first run: no FLASH-OK"
grep -q 'FLASH-PREV FF' <<<"$out" || fail "first run: the store was not erased at 0x100"
[ "$(od -A n -t x1 -j $((fwv + 0x100)) -N 1 "$tmp/vars.fd" | tr -d ' ')" = 58 ] ||
	fail "the programmed 'X' is not in the vars file"
[ "$(od -A n -t x1 -j $fwv -N 1 "$tmp/vars.fd" | tr -d ' ')" = 56 ] ||
	fail "the probe changed byte 0 of the vars file"
[ "$(od -v -A n -t x1 -j $((fwv + 0x1000)) -N 4096 "$tmp/vars.fd" | tr -d ' \nf')" = "" ] ||
	fail "the erased block is not all 0xFF in the file"
cmp -s "$fw" "$tmp/code.fd" || fail "the code file changed"

run second 0 "$tmp/vm.ini"
grep -q 'FLASH-PREV 58' <<<"$out" || fail "second run did not see the first run's write"

# Without the development switch: refused, naming the profile.
out=$(PASSVM_EXPERIMENTAL_FIRMWARE= timeout 30 "$passvm" run "$tmp/vm.ini" 2>&1); st=$?
[ $st = 2 ] && grep -q 'UEFI firmware boot' <<<"$out" ||
	fail "firmware boot without the switch: exit $st: $out"

# A vars file that is not whole 4 KiB blocks; a missing image; a directory.
head -c 5000 /dev/zero >"$tmp/odd.fd"
profile "$tmp/odd.ini" code.fd odd.fd
run odd-vars 2 "$tmp/odd.ini"
grep -q 'odd.fd is 5000 bytes' <<<"$out" || fail "odd-size vars not named"
profile "$tmp/missing.ini" nowhere.fd vars.fd
run missing-code 2 "$tmp/missing.ini"
grep -q 'nowhere.fd: No such file' <<<"$out" || fail "missing firmware not named"
mkdir "$tmp/dir.fd"
profile "$tmp/dir.ini" dir.fd vars.fd
run dir-code 2 "$tmp/dir.ini"
grep -q 'dir.fd' <<<"$out" || fail "a directory as firmware not named"
[ "$(od -A n -t x1 -j $((fwv + 0x100)) -N 1 "$tmp/vars.fd" | tr -d ' ')" = 58 ] ||
	fail "a refused run changed the vars file"

kvm_done
