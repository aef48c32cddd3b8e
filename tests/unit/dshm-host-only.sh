#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# display-shm without a VM: passvm-shm-producer and a consumer process on
# one shm file. The consumer starts first (a viewer waiting for the guest).
# usage: dshm-host-only.sh PRODUCER CONSUMER_CHECK
set -u
producer=$1 consumer=$2
dir=/dev/shm; [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
shm=$(mktemp "$dir/passvm-dshm-test.XXXXXX") || exit 99
trap 'rm -f "$shm"' EXIT
truncate -s 32M "$shm"
"$consumer" "$shm" 40 30 >"$shm.c" 2>&1 &
cpid=$!
sleep 0.3
timeout 60 "$producer" --file "$shm" --size 640x360 --fps 200 --frames 40 --quiet >"$shm.p" 2>&1
prc=$?
wait $cpid; crc=$?
cat "$shm.p" "$shm.c"; rm -f "$shm.p" "$shm.c"
[ $prc = 0 ] || { echo "FAIL: producer exit $prc"; exit 1; }
[ $crc = 0 ] || { echo "FAIL: consumer exit $crc"; exit 1; }
echo PASS
