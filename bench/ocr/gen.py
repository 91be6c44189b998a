#!/usr/bin/env python3
"""gen.py - the OCR benchmark's corpus (bench/ocr/README.md).

Usage: gen.py OUTDIR [TEXT_PAGES]
Typesets prose.txt (DejaVu Serif 11 pt) onto A4 pages at 300 dpi gray with
ImageMagick, each page rotated by a known angle in [-3, 3], blurred and
noised like a scan; adds a noisy tinted blank page and a one-line page.
Writes OUTDIR/page-NN.tif, OUTDIR/corpus.tif (all pages, in order),
OUTDIR/truth-NN.txt (each page's words), OUTDIR/angles.txt ("NN ANGLE"
per page; the blank page's angle is 0) and OUTDIR/kinds.txt.
"""
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 2480, 3508


def convert(*args):
    subprocess.run(["convert", *args], check=True)


def text_page(out, text, angle, seed):
    # caption: wraps the prose to the text block's width
    convert("-density", "300", "-units", "PixelsPerInch", "-size", "1980x",
            "-font", "DejaVu-Serif", "-pointsize", "11", "-background",
            "white", "-fill", "black", "caption:" + text, "-gravity",
            "northwest", "-background", "white", "-extent", "%dx%d-250-300" % (W, H),
            "-rotate", str(angle), "+repage", "-gravity", "center",
            "-extent", "%dx%d" % (W, H), "-blur", "0x0.8", "-seed", str(seed),
            "-attenuate", "0.5", "+noise", "Gaussian", "-alpha", "off",
            "-colorspace", "Gray", "-depth", "8", "-compress", "lzw", out)


def blank_page(out, seed):
    convert("-density", "300", "-units", "PixelsPerInch", "-size",
            "%dx%d" % (W, H), "xc:#efe6cf", "-seed", str(seed),
            "-attenuate", "0.7", "+noise", "Gaussian", "-blur", "0x0.6",
            "-alpha", "off", "-colorspace", "Gray", "-depth", "8", "-compress",
            "lzw", out)


def main():
    outdir = sys.argv[1]
    npages = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    os.makedirs(outdir, exist_ok=True)
    paras = [p for p in open(os.path.join(HERE, "prose.txt")).read().split("\n") if p]
    rng = random.Random(5)
    pages = []
    for i in range(npages):
        # three paragraphs a page, rotating through the prose
        text = "\n".join(paras[(3 * i + k) % len(paras)] for k in range(3))
        angle = round(rng.uniform(-3, 3), 2)
        pages.append(("text", text, angle))
    # the blank page after the second page, the one-line page near the end
    pages.insert(2, ("blank", "", 0))
    pages.insert(len(pages) - 1, ("oneline", "Note: the meeting moved to Thursday.", 0.8))
    names = []
    with open(os.path.join(outdir, "angles.txt"), "w") as fa, \
            open(os.path.join(outdir, "kinds.txt"), "w") as fk:
        for n, (kind, text, angle) in enumerate(pages, 1):
            name = os.path.join(outdir, "page-%02d.tif" % n)
            if kind == "blank":
                blank_page(name, n)
            else:
                text_page(name, text, angle, n)
            with open(os.path.join(outdir, "truth-%02d.txt" % n), "w") as ft:
                ft.write(text + "\n")
            fa.write("%d %s\n" % (n, angle))
            fk.write("%d %s\n" % (n, kind))
            names.append(name)
    subprocess.run(["tiffcp", *names, os.path.join(outdir, "corpus.tif")], check=True)


main()
