#!/usr/bin/env python3
"""Files for the passvm-vfio-bigbar lab test (tests/lab/passvm-vfio-bigbar.sh).

  vfio_bigbar_files.py make DIR BARSIZE
      DIR/bar.img   a sparse file of BARSIZE bytes, the memory behind QEMU's
                    ivshmem-plain BAR2, with a 32-bit marker at each offset
                    of MARK_OFFSETS (relative to BARSIZE)
      DIR/rom-dev.rom   the option ROM QEMU gives edu (romfile=): the device's own
      DIR/rom-file.rom  the ROM passvm's profile gives ivshmem (romfile =)
      and prints the guest's argument: BARSIZE:MARKS:MD5-DEV:MD5-FILE
  vfio_bigbar_files.py check DIR BARSIZE
      the guest's writes arrived in bar.img (GUEST_OFFSETS)

A ROM is a valid PCI expansion ROM image (0x55AA, a PCIR structure with its
length and the last-image bit): both the lab's and the guest's kernel read a
ROM through pci_map_rom(), which stops at what the headers say.
"""
import hashlib
import os
import struct
import sys

GIB = 1 << 30


def mark_offsets(size):
    """Offsets the host marks: the first word, one past 4 GiB (above 32
    bits: a BAR mapped with 32-bit truncation would miss it), the last."""
    return [0, min(4 * GIB + 4096, size // 2), size - 4]


def guest_offsets(size):
    """Offsets the guest writes (tests/guest/tests/vfio-bigbar)."""
    return [size - 4096, size // 2 + 8]


def mark_value(i):
    return 0x50564D00 | i  # "PVM" + index


def guest_value(i):
    return 0x600DB000 | i  # the guest writes these (its script says so too)


def rom_image(size, vendor, device, seed):
    """An x86 option ROM of SIZE bytes (a multiple of 512) whose bytes past
    the headers are a pattern of SEED."""
    data = bytearray((seed * 7 + i * 13) & 0xFF for i in range(size))
    pcir = 0x40
    data[0:3] = bytes([0x55, 0xAA, size // 512])
    data[0x18:0x1A] = struct.pack('<H', pcir)
    data[pcir:pcir + 0x18] = b'PCIR' + struct.pack(
        '<HHHHBBBBHHBBH', vendor, device, 0, 0x18, 0, 0, 0, 0xFF,
        size // 512, 1, 0, 0x80, 0)
    return bytes(data)


def make(d, size):
    with open(os.path.join(d, 'bar.img'), 'wb') as f:
        f.truncate(size)
        for i, off in enumerate(mark_offsets(size)):
            f.seek(off)
            f.write(struct.pack('<I', mark_value(i)))
    sums = []
    for name, rsize, ven, dev, seed in (('rom-dev.rom', 32768, 0x1234, 0x11e8, 1),
                                        ('rom-file.rom', 12288, 0x1af4, 0x1110, 2)):
        img = rom_image(rsize, ven, dev, seed)
        with open(os.path.join(d, name), 'wb') as f:
            f.write(img)
        sums.append(hashlib.md5(img).hexdigest())
    marks = ','.join('%x=%08x' % (off, mark_value(i)) for i, off in enumerate(mark_offsets(size)))
    print('%x:%s:%s:%s' % (size, marks, sums[0], sums[1]))


def check(d, size):
    bad = 0
    with open(os.path.join(d, 'bar.img'), 'rb') as f:
        for i, off in enumerate(guest_offsets(size)):
            f.seek(off)
            got = struct.unpack('<I', f.read(4))[0]
            ok = got == guest_value(i)
            bad += not ok
            print('bar.img at %#x: %#010x (%s %#010x)' %
                  (off, got, 'the guest wrote' if ok else 'FAIL: expected', guest_value(i)))
    return 1 if bad else 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('make', 'check'):
        sys.exit(__doc__)
    d, size = sys.argv[2], int(sys.argv[3], 0)
    if sys.argv[1] == 'make':
        make(d, size)
        return 0
    return check(d, size)


if __name__ == '__main__':
    sys.exit(main())
