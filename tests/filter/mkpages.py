#!/usr/bin/env python3
"""mkpages.py - write the spool's page stream (lib/pagestream.h) to stdout.

Usage: mkpages.py WIDTH HEIGHT DPI RAWFILE [RAWFILE...]
Each RAWFILE holds WIDTH*HEIGHT 8-bit gray samples (convert ... gray:FILE);
each becomes one page. The end marker follows the last page.
"""
import struct
import sys


def header(width, height, dpi):
    # magic, version, channels, depth, flags, width, height, bpl, xres, yres
    return (b"CSPG" + bytes([1, 1, 8, 0]) +
            struct.pack(">5I", width, height, width, dpi, dpi) + bytes(4))


def main():
    width, height, dpi = (int(v) for v in sys.argv[1:4])
    out = sys.stdout.buffer
    for name in sys.argv[4:]:
        with open(name, "rb") as f:
            data = f.read()
        if len(data) != width * height:
            sys.exit("mkpages.py: %s is not %dx%d gray" % (name, width, height))
        out.write(header(width, height, dpi))
        out.write(data)
    out.write(b"CSPE" + bytes([1]) + bytes(27))


main()
