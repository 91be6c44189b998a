#!/usr/bin/env python3
"""score.py - word accuracy of a PDF's text layer against the corpus.

Usage: score.py CORPUS_DIR PDF [--blank-removed]
Extracts each PDF page's text with pdftotext and compares its words with
the page's truth (difflib's matching blocks over word lists: a word counts
when it is found in order). With --blank-removed the PDF is expected to
lack the blank page. Prints: accuracy matched total oneline_kept pages.
"""
import difflib
import os
import re
import subprocess
import sys


def words(text):
    return re.findall(r"[\w']+|[^\w\s]", text)


def page_text(pdf, n):
    return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), pdf, "-"],
                          check=True, capture_output=True, text=True).stdout


def main():
    corpus, pdf = sys.argv[1], sys.argv[2]
    blank_removed = "--blank-removed" in sys.argv
    kinds = [line.split()[1] for line in open(os.path.join(corpus, "kinds.txt"))]
    matched = total = 0
    oneline_kept = 0
    pdf_page = 0
    for n, kind in enumerate(kinds, 1):
        if kind == "blank" and blank_removed:
            continue
        pdf_page += 1
        if kind == "blank":
            continue
        truth = words(open(os.path.join(corpus, "truth-%02d.txt" % n)).read())
        got = words(page_text(pdf, pdf_page))
        sm = difflib.SequenceMatcher(None, truth, got, autojunk=False)
        m = sum(b.size for b in sm.get_matching_blocks())
        matched += m
        total += len(truth)
        if kind == "oneline" and m == len(truth):
            oneline_kept = 1
    pages = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True,
                           text=True).stdout
    npages = re.search(r"Pages:\s+(\d+)", pages).group(1)
    print("%.4f %d %d %d %s" % (matched / total, matched, total, oneline_kept, npages))


main()
