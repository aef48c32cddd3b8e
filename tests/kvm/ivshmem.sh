#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# display-shm's ivshmem-plain device end to end on /dev/kvm: the ivshmem
# payload finds 1af4:1110, reads a marker this script put into the host
# file and writes a pattern that must then be in the file. Also: the file
# is grown to --shm-size and kept after exit; a larger file and a size
# that is not a power of two are refused by name.
# usage: ivshmem.sh PASSVM PAYLOAD
set -u
passvm=$1 payload=$2
. "$(dirname "$0")/kvm-lib.sh"
kvm_setup passvm-ivshmem

shm=$tmp/shm
printf 'HOSTDATA' | dd of="$shm" bs=1 seek=65536 conv=notrunc status=none
timeout 30 "$passvm" run --kernel "$payload" --serial "file:$tmp/log" --shm "$shm" \
	--shm-size 1M --append "shm_size=1048576 host_marker=1" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/log" "$tmp/out"
[ $rc = 0 ] || fail "passvm exit $rc"
grep -q 'PAYLOAD-OK ivshmem' "$tmp/log" || fail "payload did not pass"
[ -f "$shm" ] || fail "the shm file was removed on exit"
[ "$(stat -c %s "$shm")" = 1048576 ] || fail "file is $(stat -c %s "$shm") bytes, want 1048576"
[ "$(head -c 17 "$shm")" = PASSVM-IVSHMEM-OK ] || fail "guest's magic not at offset 0"
# word 0 of the pattern is 1, word 1 is 0x9e3779ba (little endian)
got=$(od -A n -t x4 -j 256 -N 8 "$shm" | tr -s ' ')
[ "$got" = " 00000001 9e3779ba" ] || fail "pattern at 0x100 is '$got'"
got=$(od -A n -t x4 -j $((1048576 - 4)) -N 4 "$shm" | tr -d ' ')
[ "$got" = c0ffee11 ] || fail "last word is '$got', want c0ffee11"

# A file larger than --shm-size: refused, named.
truncate -s 2M "$tmp/big"
out=$(timeout 30 "$passvm" run --kernel "$payload" --serial none --shm "$tmp/big" \
	--shm-size 1M 2>&1); rc=$?
echo "$out"
[ $rc != 0 ] && grep -q "$tmp/big" <<<"$out" || fail "a 2M file for a 1M device was not refused by name"
out=$(timeout 30 "$passvm" run --kernel "$payload" --serial none --shm "$tmp/x" \
	--shm-size 3M 2>&1); rc=$?
echo "$out"
[ $rc = 2 ] && grep -q -- '--shm-size 3M' <<<"$out" || fail "--shm-size 3M not refused as a usage error"

kvm_done
