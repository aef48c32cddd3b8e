#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""scream_check.py REC.wav FRAMES: does the recording hold the scream
payload's stream (tests/payloads/scream.c: frame f is left = 7f, right =
13f + 1, 16-bit) whole: every frame exact and in order? Runs of silence
between frames (the host fell behind) are reported, not failed; anything
else (a lost, repeated or changed frame) fails, naming the frame."""
import struct
import sys
import wave


def frame(f):
    return ((f * 7) & 0xffff, (f * 13 + 1) & 0xffff)


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    with wave.open(path) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (2, 2, 48000):
            print(f"{path}: not 48 kHz 16-bit stereo")
            return 1
        rec = list(struct.iter_unpack('<HH', w.readframes(w.getnframes())))
    want = [frame(f) for f in range(n)]
    start = next((i for i in range(len(rec) - 8) if rec[i:i + 8] == want[:8]), None)
    if start is None:
        print(f"the stream's first frames are not in the {len(rec)}-frame recording")
        return 1
    i, j, gaps = start, 0, []
    while j < n and i < len(rec):
        if rec[i] == want[j]:
            i, j = i + 1, j + 1
            continue
        k = i
        while k < len(rec) and rec[k] == (0, 0):
            k += 1
        if k > i and k < len(rec) and rec[k] == want[j]:
            gaps.append((j, k - i))
            i = k
            continue
        got = rec[i] if i < len(rec) else None
        print(f"frame {j}: recorded {got}, want {want[j]}")
        return 1
    if j < n:
        print(f"the recording ends after {j} of {n} frames")
        return 1
    print(f"all {n} frames exact and in order (from recorded frame {start}); "
          f"{len(gaps)} silent gaps {gaps[:8]}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
