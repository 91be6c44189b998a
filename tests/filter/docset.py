#!/usr/bin/env python3
"""docset.py - list a result container (lib/docset.h) read from stdin.

Prints one line per record: KIND INDEX LENGTH SHA256; the report record's
line ends with its JSON. With --extract KIND INDEX FILE, writes that
record's payload to FILE. Exits 1 on any framing error.
"""
import hashlib
import struct
import sys


def records(data):
    if data[:8] != b"CSDOCSET":
        sys.exit("docset.py: bad magic")
    off = 8
    while True:
        if len(data) - off < 16:
            sys.exit("docset.py: truncated")
        kind, index, length = struct.unpack(">IIQ", data[off:off + 16])
        off += 16
        if kind == 0:
            if off != len(data):
                sys.exit("docset.py: trailing bytes")
            return
        if length > len(data) - off:
            sys.exit("docset.py: overlong record")
        yield kind, index, data[off:off + length]
        off += length


def main():
    data = sys.stdin.buffer.read()
    want = None
    if len(sys.argv) == 5 and sys.argv[1] == "--extract":
        want = (int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    for kind, index, payload in records(data):
        if want and (kind, index) == want[:2]:
            with open(want[2], "wb") as f:
                f.write(payload)
        line = "%d %d %d %s" % (kind, index, len(payload),
                                hashlib.sha256(payload).hexdigest())
        if kind == 3:
            line += " " + payload.decode()
        print(line)


main()
