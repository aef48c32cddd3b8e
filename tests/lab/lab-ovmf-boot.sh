#!/usr/bin/env bash
#
# lab-ovmf-boot.sh KERNEL INITRD    (runs in the lab: lab-run --qemu patched)
#
# UEFI firmware booting an OS, in the lab: Debian's QEMU (the lab's
# /usr/bin/qemu-system-x86_64, -enable-kvm on the lab's nested /dev/kvm) runs
# Debian's OVMF (pflash OVMF_CODE_4M.fd + a copy of OVMF_VARS_4M.fd) with a
# FAT ESP on virtio-blk, built here with dosfstools + mtools: startup.nsh,
# KERNEL as \vmlinuz.efi (Debian's bzImage, an EFI stub) and INITRD as
# \initrd.img.  OVMF's boot manager finds no boot option that loads, starts
# its shell, and the shell runs startup.nsh:
#   \vmlinuz.efi initrd=\initrd.img console=ttyS0 panic=-1 passvm.test=boot
# Passes when the L2 serial console shows the kernel's "Linux version" and
# "efi: EFI v2.70 by EDK II" (the kernel runs on EDK II's EFI system table)
# and the test guest's "PASSVM-TEST-PASS boot" (its /init ran; it then
# powers off).  L2 has 1 vCPU, 512 MB; ~60 s in the lab.
#
# Needs the lab's QEMU patched (tests/lab/build-lab-qemu.sh): with Debian's
# stock QEMU 7.2 as the lab, the lab aborts once OVMF is up
# (qemu-patches/0001-lab-tcg-svm-lock.patch).
set -euo pipefail

prog=${0##*/}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "$prog: FAIL: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: $prog KERNEL INITRD" >&2; exit 2; }
kernel=$1 initrd=$2
[ -c /dev/kvm ] || skip "no /dev/kvm in the lab (kvm-amd did not load)"
code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
{ [ -f "$code" ] && [ -f "$vars" ]; } || skip "no $code / $vars (apt-get install ovmf)"
for t in mkfs.fat mmd mcopy qemu-system-x86_64; do
	command -v $t >/dev/null || skip "no $t (tools/setup installs dosfstools, mtools, qemu-system-x86)"
done
{ [ -f "$kernel" ] && [ -f "$initrd" ]; } || fail "no $kernel or $initrd"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lab-ovmf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/serial.log

# The ESP: a 64 MiB FAT disk image (no partition table: OVMF's FAT driver
# takes the whole disk as the file system).
esp=$tmp/esp.img
mkfs.fat -C -n PASSVM-ESP "$esp" 65536 >/dev/null
printf 'fs0:\r\n\\vmlinuz.efi initrd=\\initrd.img console=ttyS0 panic=-1 passvm.test=boot\r\n' >"$tmp/startup.nsh"
mcopy -i "$esp" "$tmp/startup.nsh" ::/startup.nsh
mcopy -i "$esp" "$kernel" ::/vmlinuz.efi
mcopy -i "$esp" "$initrd" ::/initrd.img
cp "$vars" "$tmp/vars.fd"

echo "$prog: $(qemu-system-x86_64 --version | head -n1) -enable-kvm, OVMF, ESP with $(basename "$kernel")"
t0=$(date +%s.%N)
rc=0
timeout --kill-after=10 300 qemu-system-x86_64 -enable-kvm -machine q35 -cpu host -m 512 -smp 1 \
	-display none -monitor none -serial "file:$log" -no-reboot -nic none \
	-drive "if=pflash,format=raw,readonly=on,file=$code" \
	-drive "if=pflash,format=raw,file=$tmp/vars.fd" \
	-drive "if=virtio,format=raw,file=$esp" </dev/null || rc=$?
t1=$(date +%s.%N)
echo "$prog: L2 QEMU exited $rc after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

# The console, without EDK II's terminal escapes and CRs.
clean=$tmp/serial.txt
sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r//g' "$log" >"$clean" 2>/dev/null || : >"$clean"
grep -a -E 'BdsDxe: starting|UEFI Interactive Shell|Linux version|efi: EFI v|Command line:|PASSVM-TEST-|Kernel panic' "$clean" |
	cut -c1-160 | sed 's/^/L2: /' || true
bad=''
grep -a -q 'Linux version' "$clean" || bad+=' no "Linux version" (the kernel did not start);'
grep -a -q 'efi: EFI v2.70 by EDK II' "$clean" || bad+=' no "efi: EFI v2.70 by EDK II";'
grep -a -q 'PASSVM-TEST-PASS boot' "$clean" || bad+=' no "PASSVM-TEST-PASS boot" (the initrd'"'"'s /init did not run);'
[ "$rc" = 0 ] || bad+=" QEMU exited $rc (124: timed out);"
if [ -n "$bad" ]; then
	echo "--- last 40 lines of the L2 console:" >&2
	tail -n 40 "$clean" | cut -c1-200 >&2
	fail "${bad%;}"
fi
echo "$prog: OVMF booted Debian's kernel from the ESP, and its /init ran"
