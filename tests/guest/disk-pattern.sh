#!/bin/sh
# disk-pattern.sh NONCE: print the 8 KiB the test guest's "disk-write" test
# writes at offset 0 of /dev/vda, for comparison on the host:
#   cmp <(tests/guest/disk-pattern.sh 42) <(head -c 8192 disk.img)
set -eu
[ $# -eq 1 ] || { echo "usage: $0 NONCE" >&2; exit 2; }
. "$(dirname "$0")/guest-lib.sh"
passvm_disk_pattern "$1"
