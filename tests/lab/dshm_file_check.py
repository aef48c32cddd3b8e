#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Read a display-shm file after the VM is gone (no live session: the
producer's heartbeat has stopped) and check what the guest's
passvm-shm-producer left in it: the LGMP 6 header, the KVMFR 20 user data
naming the producer, and the last posted frame, every pixel of which must be
the test pattern for its serial (display-shm/testpattern.h). Offsets:
display-shm/PROTOCOL.md.
  dshm_file_check.py FILE
"""
import struct
import sys

TP_SQUARE = 32


def tp_pixel(serial, w, h, x, y):
    sx = (serial * 4) % (w - TP_SQUARE) if w > TP_SQUARE else 0
    sy = (h - TP_SQUARE) // 2 if h > TP_SQUARE else 0
    if sx <= x < sx + TP_SQUARE and sy <= y < sy + TP_SQUARE:
        return 0xffffffff
    return 0xff400000 | ((y & 0xff) << 8) | (x & 0xff)


def main(path):
    m = open(path, 'rb').read()
    magic, version, session = struct.unpack_from('<III', m, 0)
    if magic != 0x504d474c or version != 6:
        return f'no LGMP 6 header (magic {magic:#x}, version {version})'
    if m[5756:5764] != b'KVMFR---' or struct.unpack_from('<I', m, 5764)[0] != 20:
        return 'no KVMFR 20 user data'
    hostver = m[5768:5800].split(b'\0')[0].decode()
    nq = struct.unpack_from('<I', m, 24)[0]
    for i in range(min(nq, 5)):
        q = 32 + 1144 * i
        qid, nmsg, _, _, pos, msgs = struct.unpack_from('<IIIIII', m, q)
        if qid == 2:
            break
    else:
        return 'no frame queue (id 2)'
    last = (pos + nmsg - 1) % nmsg
    _, size, off, _ = struct.unpack_from('<IIII', m, msgs + 16 * last)
    (fmt, serial, ftype, _, _, dw, dh, fw, fh, _, stride, pitch,
     fboff) = struct.unpack_from('<13I', m, off)
    wp = struct.unpack_from('<I', m, off + fboff)[0]
    data = off + fboff + 4
    if ftype != 1 or wp < dh * pitch:
        return f'frame {serial}: type {ftype}, {wp} of {dh * pitch} bytes written'
    bad = 0
    for y in range(dh):
        row = struct.unpack_from(f'<{dw}I', m, data + y * pitch)
        for x in range(dw):
            if row[x] != tp_pixel(serial, fw, fh, x, y):
                if bad < 5:
                    print(f'pixel {x},{y} is {row[x]:#010x}')
                bad += 1
    if bad:
        return f'frame {serial}: {bad} pixels differ from the test pattern'
    print(f'host file: session {session:#x}, producer "{hostver}", last frame serial '
          f'{serial} {fw}x{fh} BGRA: all {dw * dh} pixels are the test pattern')
    return None


if __name__ == '__main__':
    why = main(sys.argv[1])
    if why:
        print(f'FAIL: {why}')
        sys.exit(1)
