#!/usr/bin/env bash
# Run inside the lab (tests/lab/lab-run --qemu patched): Debian's stock OVMF
# boots under passvm from the reset vector and starts Debian's kernel (its EFI
# stub) from a FAT ESP on virtio-blk, through the UEFI shell's startup.nsh.
# The guest's "efi" test checks it runs under UEFI and sees the variables.
# The profile says only `firmware = uefi`: passvm picks OVMF_CODE_4M.fd from
# QEMU's firmware descriptors and makes the VM's vars file from the
# descriptor's template on this first run; OVMF's own writes (boot options)
# must then be in that file, and the template untouched.
# Without ACPI through fw_cfg (not built yet) the guest cannot power off: the
# test stops passvm (SIGTERM) once the guest has reported.
# usage: passvm-ovmf.sh PASSVM BZIMAGE INITRD
set -uo pipefail
passvm=$1 kernel=$2 initrd=$3
[ -c /dev/kvm ] || { echo "SKIP: no /dev/kvm in the lab (kvm-amd did not load)"; exit 77; }
for t in mkfs.fat mcopy; do
	command -v $t >/dev/null || { echo "SKIP: no $t (apt-get install dosfstools mtools)"; exit 77; }
done
template=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -f "$template" ] || { echo "SKIP: no $template (apt-get install ovmf)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The ESP: the kernel and initrd, and the shell script BDS falls back to.
mkfs.fat -C "$work/esp.img" 65536 >/dev/null
mcopy -i "$work/esp.img" "$kernel" ::/vmlinuz.efi
mcopy -i "$work/esp.img" "$initrd" ::/initrd.img
printf 'fs0:\\vmlinuz.efi initrd=\\initrd.img console=ttyS0 passvm.test=efi\r\n' >"$work/startup.nsh"
mcopy -i "$work/esp.img" "$work/startup.nsh" ::/startup.nsh
cat >"$work/ovmf.ini" <<INI
[machine]
memory = 1G
rng = no
[cpu]
hyperv = off
[boot]
firmware = uefi
[disk.esp]
path = esp.img
INI
sum_before=$(sha256sum <"$template")

serial=$work/serial.log
: >"$serial"
PASSVM_EXPERIMENTAL_FIRMWARE=1 "$passvm" run "$work/ovmf.ini" --serial "file:$serial" \
	>"$work/stderr" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	grep -aq 'PASSVM-TEST-\(PASS\|FAIL\) efi' "$serial" && break
	kill -0 $pid 2>/dev/null || break
	sleep 1
done
kill -TERM $pid 2>/dev/null
wait $pid
st=$?
echo "--- passvm exited $st; its stderr:"
cat "$work/stderr"
echo "--- the serial console (escapes dropped):"
tr -d '\033\r' <"$serial" | grep -av '^\s*$' | tail -n 60

grep -aq 'BdsDxe: loading Boot' "$serial" || fail "OVMF's boot manager never ran"
grep -aq 'efi: EFI v2.70 by EDK II' "$serial" || fail "the kernel was not started by OVMF"
grep -aq 'PASSVM-TEST-PASS efi' "$serial" || fail "the guest's efi test did not pass"
grep -aq 'PASSVM-INFO efi=64 ' "$serial" || fail "the guest does not see 64-bit UEFI firmware"
vars=$work/ovmf.vars.fd
if [ ! -f "$vars" ]; then
	fail "no vars file $vars was made from the template"
else
	[ "$(stat -c %s "$vars")" = "$(stat -c %s "$template")" ] || fail "vars file size differs"
	cmp -s "$vars" "$template" && fail "OVMF's variable writes are not in the vars file"
fi
[ "$(sha256sum <"$template")" = "$sum_before" ] || fail "the template changed"
[ $fails = 0 ] && echo PASS
exit $((fails > 0))
