#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""scream_check.py REC.wav FRAMES: does the recording hold the scream
payload's stream (tests/payloads/scream.c: frame f is left = 7f, right =
13f + 1, 16-bit) whole: every frame exact and in order? Runs of silence
between frames (the host fell behind) are reported, not failed; anything
else (a lost, repeated or changed frame) fails, naming the frame.

scream_check.py --run MIN REC.wav: does the recording hold MIN frames of
the stream in a row, exact, from wherever it starts (after PipeWire was
restarted mid-stream)?"""
import struct
import sys
import wave


def frame(f):
    return ((f * 7) & 0xffff, (f * 13 + 1) & 0xffff)


def longest_run(rec):
    """The longest run of frames that each follow the one before."""
    best = run = 0
    for i in range(1, len(rec)):
        a, b = rec[i - 1], rec[i]
        if a != (0, 0) and b == ((a[0] + 7) & 0xffff, (a[1] + 13) & 0xffff):
            run += 1
            best = max(best, run + 1)
        else:
            run = 0
    return best


def read(path):
    with wave.open(path) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (2, 2, 48000):
            return None
        return list(struct.iter_unpack('<HH', w.readframes(w.getnframes())))


def main():
    if sys.argv[1] == '--run':
        need, path = int(sys.argv[2]), sys.argv[3]
        rec = read(path)
        if rec is None:
            print(f"{path}: not 48 kHz 16-bit stereo")
            return 1
        best = longest_run(rec)
        print(f"longest run of the stream: {best} frames in a row (need {need})")
        return 0 if best >= need else 1
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
