#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check a screenshot (binary PPM) of `passvm view` showing the producer's
still picture (passvm-shm-producer --still --cursor X,Y): every pixel of the
frame area is the test pattern of serial 1 (display-shm/testpattern.h) or
the producer's red cursor triangle at X,Y; the letterbox bars are black.
With --waiting: the waiting screen's background colour instead.

  dshm_view_check.py SHOT.ppm --frame WxH [--cursor X,Y]
  dshm_view_check.py SHOT.ppm --waiting
"""
import argparse
import sys

TP_SQUARE = 32
WAIT_BG = (0x10, 0x18, 0x28)


def read_ppm(path):
    data = open(path, 'rb').read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b'P6' or fields[3] != b'255':
        sys.exit(f'{path}: not an 8-bit binary PPM')
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + w * h * 3]


def pattern(x, y, fw, fh):
    """tp_pixel(1, ...) as (R, G, B)."""
    sx = 4 % (fw - TP_SQUARE) if fw > TP_SQUARE else 0
    sy = (fh - TP_SQUARE) // 2 if fh > TP_SQUARE else 0
    if sx <= x < sx + TP_SQUARE and sy <= y < sy + TP_SQUARE:
        return (0xff, 0xff, 0xff)
    return (0x40, y & 0xff, x & 0xff)


def expected(x, y, fw, fh, cursor):
    if cursor:
        cx, cy = x - cursor[0], y - cursor[1]
        # producer.c's arrow: 16x16, opaque red where column <= row.
        if 0 <= cx < 16 and 0 <= cy < 16 and cx <= cy:
            return (0xff, 0, 0)
    return pattern(x, y, fw, fh)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('ppm')
    ap.add_argument('--frame')
    ap.add_argument('--cursor')
    ap.add_argument('--waiting', action='store_true')
    a = ap.parse_args()
    sw, sh, px = read_ppm(a.ppm)

    def at(x, y):
        i = (y * sw + x) * 3
        return tuple(px[i:i + 3])

    bad = []
    if a.waiting:
        for x, y in ((2, 2), (sw - 3, 2), (2, sh - 3), (sw // 2, sh // 4)):
            if at(x, y) != WAIT_BG:
                bad.append((x, y, at(x, y), WAIT_BG))
    else:
        fw, fh = map(int, a.frame.split('x'))
        cursor = tuple(map(int, a.cursor.split(','))) if a.cursor else None
        # Letterboxed at scale 1: the frame is centred in the screen.
        ox, oy = (sw - fw) // 2, (sh - fh) // 2
        for y in range(sh):
            for x in range(sw):
                if ox <= x < ox + fw and oy <= y < oy + fh:
                    want = expected(x - ox, y - oy, fw, fh, cursor)
                else:
                    want = (0, 0, 0)
                got = at(x, y)
                if got != want:
                    bad.append((x, y, got, want))
    for x, y, got, want in bad[:10]:
        print(f'pixel {x},{y}: {bytes(got).hex()} expected {bytes(want).hex()}')
    if bad:
        print(f'FAIL: {len(bad)} pixels differ')
        return 1
    print(f'ok: {sw}x{sh} screenshot as expected')
    return 0


if __name__ == '__main__':
    sys.exit(main())
