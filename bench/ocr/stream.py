#!/usr/bin/env python3
"""stream.py - a long scan as the spool's page stream, on stdout.

Usage: stream.py CORPUS_DIR PAGES
Repeats five text pages of the corpus (raw 8-bit gray, 2480x3508, 300 dpi)
until PAGES pages, then the end marker: the long-job RSS check's input.
"""
import struct
import subprocess
import sys

corpus, n = sys.argv[1], int(sys.argv[2])
raws = [subprocess.run(["convert", "%s/page-%02d.tif" % (corpus, i), "-depth", "8", "gray:-"],
                       check=True, capture_output=True).stdout for i in (1, 2, 4, 5, 6)]
out = sys.stdout.buffer
for p in range(n):
    out.write(b"CSPG" + bytes([1, 1, 8, 0]) +
              struct.pack(">5I", 2480, 3508, 2480, 300, 300) + bytes(4))
    out.write(raws[p % len(raws)])
out.write(b"CSPE" + bytes([1]) + bytes(27))
