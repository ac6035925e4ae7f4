#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_chan_ring (tests/fuzz/corpus/chan_ring): valid rings, wrapped
rings (PAD records and gaps under a header's size before the data's end) and broken ones, in the
input layout of tests/fuzz/fuzz_chan_ring.c (struct fuzz_chan_input, then direction 0's data from
tail on). Usage: chan_ring_seeds.py OUTDIR"""
import hashlib, os, struct, sys

RING = 512 * 1024
PAD, MSG, DROP = 1, 2, 3


def rec(kind, body=b"", flags=0, dest=0, length=None, body_len=None):
    n = len(body) if body_len is None else body_len
    ln = (32 + len(body) + 7) & ~7 if length is None else length
    r = struct.pack("<IHHIiIIQ", ln, kind, flags, dest, 7, 0, n, 0) + body
    return r + b"\0" * (((32 + len(body) + 7) & ~7) - len(r))


def seed(tail, records, head=None, phead=0, ptail=0, sleeping=1, slot=3, sizes=(0, 8, 100, 4000, 65535, 1)):
    data = b"".join(records)
    head = tail + len(data) if head is None else head
    hdr = struct.pack("<QQQQII6H4x", head, tail, phead, ptail, sleeping, slot, *sizes)
    return hdr + data


def main(out):
    os.makedirs(out, exist_ok=True)
    msgs = [rec(MSG, bytes(i % 251 for i in range(n)), flags=n % 4) for n in (0, 1, 8, 31, 200)]
    seeds = [
        seed(0, []),                                                   # empty
        seed(0, msgs + [rec(DROP, dest=5)]),                           # valid, from zero
        seed(7 * RING + 4096, msgs),                                   # valid, later pass
        seed(3 * RING - 64, [rec(PAD, length=64)] + msgs),             # PAD then wrap
        seed(3 * RING - 24, [b"\0" * 24] + msgs),                      # gap under a header
        seed(3 * RING - 72, [rec(MSG, b"x" * 40)] + msgs),             # a record reaching the end
        seed(0, msgs, head=RING + 8),                                  # head beyond size
        seed(64, msgs, head=56),                                       # head behind tail
        seed(0, msgs, head=44),                                        # misaligned head
        seed(0, [rec(9)]),                                             # unknown kind
        seed(0, [rec(MSG, b"abc", flags=0x10)]),                       # bad flags
        seed(0, [rec(MSG, b"abcdefgh", body_len=20)]),                 # len/body_len mismatch
        seed(RING - 64, [rec(MSG, b"y" * 96)]),                        # straddles the end
        seed(RING - 64, [rec(PAD, length=56)] + msgs),                 # PAD short of the end
        seed(0, [rec(MSG, b"", body_len=70000, length=(32 + 70000 + 7) & ~7)], head=RING),  # body > max
        seed(0, msgs, phead=5 * RING, ptail=5 * RING + 8),             # producer: tail beyond head
        seed(0, msgs, phead=5 * RING, ptail=4 * RING - 8),             # producer: tail too far back
        seed(0, msgs, phead=5 * RING - 40, ptail=4 * RING + 200000),   # producer wraps with a gap
        seed(0, msgs, phead=5 * RING, ptail=4 * RING, slot=0xFFFFFFFF),  # producer full
    ]
    for s in seeds:
        with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)


if __name__ == "__main__":
    main(sys.argv[1])
