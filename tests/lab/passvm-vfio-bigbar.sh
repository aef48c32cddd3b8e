#!/usr/bin/env bash
# On the host: a BAR of many GiB and option ROMs through passvm's VFIO, on
# the lab's real vfio-pci and KVM (the test guest's tests/vfio-bigbar says
# what the guest checks).
#   1. vfio_bigbar_files.py makes a 32 GiB sparse file with marked words (the
#      memory behind QEMU's ivshmem-plain BAR2, a 64-bit prefetchable BAR of
#      that size) and two option ROMs: one QEMU gives edu (romfile=, the
#      device's own ROM), one passvm's profile gives ivshmem (romfile =);
#   2. the lab (lab-run) gets both devices behind its IOMMU on vfio-pci and
#      runs passvm with them and that profile; the guest reads the marks,
#      writes its own words, and checks both ROMs' MD5s;
#   3. here, the guest's words must be in the file.
# passvm-vfio-bigbar.sh LAB_RUN CACHE PASSVM_GUEST PASSVM KERNEL INITRD
set -euo pipefail
lab_run=$1 cache=$2 passvm_guest=$3 passvm=$4 kernel=$5 initrd=$6
here=$(dirname "$(realpath "$0")")
size=$((32 << 30))

# A sparse 32 GiB file: on a tmpfs /dev/shm it must not be counted against a
# small tmpfs, so it lives in TMPDIR (disk); the pages touched are few.
work=$(mktemp -d "${TMPDIR:-/tmp}/passvm-bigbar.XXXXXX")
trap 'rm -rf "$work"' EXIT
arg=$(python3 "$here/vfio_bigbar_files.py" make "$work" "$size")
cat >"$work/bigbar.ini" <<EOF
# passvm-vfio-bigbar: ivshmem (the second --vfio-dev) gets a ROM from a file
[passthrough.ivshmem]
address = 0000:00:11.0
romfile = $work/rom-file.rom
EOF

# lab-run: device i of --vfio-dev sits at slot 0x10 + i (edu 00:10.0,
# ivshmem 00:11.0).
"$lab_run" --cache "$cache" --smp 2 \
	--qemu-object "memory-backend-file,id=bigbar,size=$size,mem-path=$work/bar.img,share=on" \
	--vfio-dev "edu,romfile=$work/rom-dev.rom" \
	--vfio-dev "ivshmem-plain,memdev=bigbar" \
	-- "$passvm_guest" --arg "$arg" \
	--expect-stderr 'vfio 0000:00:11.0: guest 00:' \
	-- "$passvm" "$kernel" "$initrd" vfio-bigbar "$work/bigbar.ini" --memory 256M --no-rng \
	--vfio 0000:00:10.0
python3 "$here/vfio_bigbar_files.py" check "$work" "$size"
