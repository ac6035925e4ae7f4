#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_chan_records (tests/fuzz/corpus/chan_records): programs of a
peer's actions on a direct channel, in the input layout of tests/fuzz/fuzz_chan_records.c (a
config byte, then ops). Usage: chan_records_seeds.py OUTDIR"""
import hashlib, os, struct, sys

PRODUCE, SCRIBBLE, DRAIN, RECEIVE, TICKET, ROUTE_DEL, ROUTE_ADD, TOKEN, CONSUME, HANGUP, LOCAL = (
    0, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13)
MSG, DROP = 1, 3          # low bits of produce's k byte
DEST_ONCE, TICKET_F = 1, 2


def produce(kind=MSG, flags=0, d=0, rp=0, msgh_id=5, tk=0, body=b"", reply32=None):
    k = kind | (flags << 2)
    reply = bytes([rp]) if reply32 is None else bytes([0xf0]) + struct.pack("<I", reply32)
    return bytes([PRODUCE, k, d]) + reply + bytes([msgh_id, tk, len(body)]) + body


def seed(config, *ops):
    return bytes([config]) + b"".join(ops)


def main(out):
    os.makedirs(out, exist_ok=True)
    rx = bytes([RECEIVE, 0])
    rx_reply = bytes([RECEIVE, 1])  # reply to the send-once right that came with a message
    seeds = [
        # a valid message to a route (slot 0 -> port 0), with and without the peer's reply token
        seed(0, produce(d=0, body=b"abcd"), bytes([DRAIN]), rx),
        seed(1, produce(d=2, rp=1, body=b"hello"), bytes([DRAIN]), rx_reply, bytes([CONSUME])),
        seed(0, produce(d=3, rp=2, body=b"x" * 40), bytes([DRAIN]), rx, bytes([CONSUME])),
        # a reply to our token 1
        seed(0, produce(flags=DEST_ONCE, d=1, body=b"re"), bytes([DRAIN]), rx),
        # DROP_ONCE of token 2
        seed(1, produce(kind=DROP, d=2), bytes([DRAIN]), rx),
        # a ticket record (slot 1), then its ticket through "machd"
        seed(0, produce(flags=TICKET_F, d=1), bytes([DRAIN, TICKET, 0, 8, DRAIN]), rx),
        # the ticket first, then its record
        seed(2, bytes([TICKET, 0, 0]), produce(flags=TICKET_F, d=0), bytes([DRAIN]), rx),
        # a slot past CHAN_SLOTS, a token never issued, the same token twice
        seed(0, produce(d=5), bytes([DRAIN]), bytes([LOCAL, 0, 0])),
        seed(1, produce(flags=DEST_ONCE, d=6), bytes([DRAIN])),
        seed(0, produce(flags=DEST_ONCE, d=1), produce(kind=DROP, d=1), bytes([DRAIN]), rx),
        # a broken head (not a multiple of 8)
        seed(0, produce(d=0, body=b"ok"), bytes([SCRIBBLE, 0, 3, DRAIN]), rx),
        # a route not there yet: parked, then ROUTE_ADD; ROUTE_DEL with a record waiting
        seed(0, produce(d=4, body=b"wait"), bytes([DRAIN, ROUTE_ADD, 4, 3, 9]), rx),
        seed(0, produce(d=7, body=b"last"), bytes([ROUTE_DEL, 2, DRAIN]), rx),
        # a full queue (port 1 limited to 1): parked until received
        seed(2, *[produce(d=1, body=bytes([i])) for i in range(80)], bytes([DRAIN]), rx, bytes([DRAIN]), rx),
        # new tokens, the peer hangs up with them outstanding
        seed(0, bytes([TOKEN, TOKEN]), produce(d=0, rp=3), bytes([DRAIN, HANGUP, 0]), rx),
        # regressions: a hostile record found by the drain of ROUTE_DEL or of the peer's hang-up
        # freed the channel under its caller (use after free)
        seed(0, produce(d=5), bytes([ROUTE_DEL, 0])),
        seed(0, produce(d=5), bytes([HANGUP, 0])),
        # regression: a peer's reply token 0xffffffff (the proxy map's tombstone key) leaked
        # its proxy; now refused as hostile like any token past CHAN_MAX_TOKENS
        seed(0, produce(d=0, reply32=0xffffffff), produce(d=0, rp=1), bytes([DRAIN]), rx),
        seed(0, produce(flags=DEST_ONCE, d=1, reply32=0x10001), bytes([DRAIN]), rx),
        # the peer scribbles over its tail on our records, then a reply right is destroyed (the
        # DROP_ONCE waited forever for room: now the channel drops)
        seed(0, produce(d=0, rp=1), bytes([DRAIN, SCRIBBLE, 2]) + struct.pack("<Q", 12345), rx),
    ]
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(out, name), "wb") as f:
            f.write(s)


if __name__ == "__main__":
    main(sys.argv[1])
