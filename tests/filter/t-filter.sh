#!/usr/bin/env bash
# t-filter.sh - cloudspool-filter from the build directory, no install:
# a skewed, noisy scan comes out as a searchable PDF with the expected words
# and its skew measured; blank-page removal and splitting give the right
# files; the output is byte-identical on two runs (and with 1 or 2 threads);
# the worker modes return a well-formed result container (a PDF passes
# through unchanged, a page stream becomes a PDF); garbage and truncated
# images give exit 1 and one line on stderr; the sandbox holds; a QR code
# PATCHT on a separator sheet splits a batch there (and only with that
# text); a page whose OCR passes --ocr-timeout is delivered image-only and
# listed in ocr_timeouts while the other pages keep their text.
#
# Usage: t-filter.sh [BUILD_DIR]   (default: build/ next to tests/)
# Needs ImageMagick's convert, pdftotext, pdfinfo, pdfimages, jq and qrencode
# (setup.sh installs them).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$(cd "${1:-${CS_BUILD_DIR:-$SRC_DIR/build}}" && pwd)
FILTER=$BUILD_DIR/cloudspool-filter
WORK=$(mktemp -d "$BUILD_DIR/t-filter.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
n=0
fail=0

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# page - a gray 300 dpi A5 page of TEXT rotated by ANGLE, blurred and noised
page() {	# page OUT ANGLE TEXT
	convert -size 1748x2480 xc:white -font DejaVu-Serif -pointsize 12 \
		-density 300 -units PixelsPerInch -fill black \
		-annotate +200+300 "$3" -background white -rotate "$2" +repage \
		-gravity center -extent 1748x2480 -blur 0x0.7 \
		-attenuate 0.4 +noise Gaussian -colorspace Gray -depth 8 "$1"
}

# blank - tinted paper with noise and nothing on it
blank() {
	convert -size 1748x2480 -density 300 -units PixelsPerInch \
		xc:'#efe8d0' -attenuate 0.6 +noise Gaussian -blur 0x0.5 \
		-colorspace Gray -depth 8 "$1"
}

# report_field - a report's JSON field from the last report line of a log
report_field() {	# report_field LOG FIELD
	sed -n 's/^cloudspool-filter: report: //p' "$1" | tail -n 1 | jq -c ".$2"
}

echo "1..27"
cd "$WORK" || exit 1
TEXT1=$'Invoice number 4711 from Hamburg\nThe quick brown fox jumps over the lazy dog.\nPlease pay within thirty days, thank you.'
TEXT2=$'Second letter about the harbour\nSphinx of black quartz, judge my vow.'
page p1.tif -2.3 "$TEXT1"
page p2.tif 1.1 "$TEXT2"
page one.tif 0 "Only one line here: meeting notes."
blank b.tif
convert p1.tif b.tif one.tif p2.tif -compress lzw batch.tif

# 1-4: OCR of a skewed, noisy page
"$FILTER" --deskew --despeckle --remove-blank --ocr eng p1.tif -o p1.pdf 2>p1.log
ok $? "a skewed noisy page converts (--deskew --despeckle --remove-blank --ocr eng)"
words=$(pdftotext p1.pdf - 2>/dev/null | tr -s ' \n' ' ')
missing=""
for w in Invoice 4711 Hamburg quick brown jumps lazy thirty; do
	case "$words" in *"$w"*) ;; *) missing="$missing $w" ;; esac
done
[ -z "$missing" ]
ok $? "pdftotext finds the page's words (missing:${missing:- none})"
skew=$(report_field p1.log 'deskew[0]')
awk -v s="$skew" 'BEGIN { d = s - 2.3; if (d < 0) d = -d; exit !(d < 0.1) }'
ok $? "the skew is measured within 0.1 degree of 2.3 (got $skew)"
pdfinfo p1.pdf | grep -q 'Page size: *419.52 x 595.2 pts'
ok $? "the page size comes from the resolution (A5 at 300 dpi)"

# 5-6: the image is G4 when bilevel, JPEG otherwise
grep -aq CCITTFaxDecode p1.pdf
ok $? "a despeckled page is delivered as CCITT G4"
"$FILTER" p2.tif -o gray.pdf 2>/dev/null && grep -aq DCTDecode gray.pdf
ok $? "a gray page without cleanup is delivered as JPEG"

# 7-9: blank removal keeps the one-line page; removed pages delivered
"$FILTER" --remove-blank --deliver-removed batch.tif -o batch.pdf 2>batch.log
ok $? "a batch with a blank page converts"
[ "$(pdfinfo batch.pdf | sed -n 's/^Pages: *//p')" = 3 ] &&
	[ "$(report_field batch.log removed)" = "[2]" ]
ok $? "the noisy tinted blank page (2) is removed, the one-line page kept"
[ "$(pdfinfo batch-removed.pdf 2>/dev/null | sed -n 's/^Pages: *//p')" = 1 ]
ok $? "--deliver-removed writes the removed page to batch-removed.pdf"

# 10-11: splitting on the blank sheet
mkdir out
"$FILTER" --split-blank --output-dir out batch.tif 2>split.log &&
	[ "$(pdfinfo out/batch-1.pdf | sed -n 's/^Pages: *//p')" = 1 ] &&
	[ "$(pdfinfo out/batch-2.pdf | sed -n 's/^Pages: *//p')" = 2 ] &&
	[ ! -e out/batch-3.pdf ]
ok $? "--split-blank writes batch-1.pdf (1 page) and batch-2.pdf (2 pages)"
"$FILTER" --split-every 3 --output-dir out -o every.pdf batch.tif 2>/dev/null &&
	[ "$(pdfinfo out/every-1.pdf | sed -n 's/^Pages: *//p')" = 3 ] &&
	[ "$(pdfinfo out/every-2.pdf | sed -n 's/^Pages: *//p')" = 1 ]
ok $? "--split-every 3 on 4 pages writes 3 + 1 pages"

# 12-13: deterministic output
opts=(--deskew --despeckle --remove-blank --ocr eng --date 1700000000)
"$FILTER" "${opts[@]}" --jobs 1 batch.tif -o d1.pdf 2>/dev/null &&
	"$FILTER" "${opts[@]}" --jobs 2 batch.tif -o d2.pdf 2>/dev/null &&
	cmp -s d1.pdf d2.pdf
ok $? "two runs (1 and 2 threads) give byte-identical PDFs"
grep -aq 'CreationDate (D:20231114221320Z)' d1.pdf && ! grep -aq '/ID' d1.pdf
ok $? "--date sets the PDF's dates; no /ID"

# 14-16: hostile input
head -c 5000 /dev/urandom >garbage.bin
"$FILTER" garbage.bin -o g.pdf 2>g.log
st=$?
[ "$st" -eq 1 ] && [ "$(wc -l <g.log)" -eq 1 ]
ok $? "garbage input: exit 1 and one line ($(head -c 100 g.log))"
head -c 30000 p2.tif >cut.tif
"$FILTER" cut.tif -o c.pdf 2>c.log
st=$?
[ "$st" -eq 1 ] && [ "$(wc -l <c.log)" -eq 1 ]
ok $? "a truncated TIFF: exit 1 and one line ($(head -c 100 c.log))"
"$FILTER" --sandbox-selftest 2>/dev/null
ok $? "--sandbox-selftest: socket and open refused"

# 17-18: --worker passes a PDF through as document 1 of a container
"$FILTER" --worker --ocr eng <d1.pdf >w.set 2>w.log &&
	python3 "$HERE/docset.py" --extract 1 1 w.pdf <w.set >w.list &&
	cmp -s w.pdf d1.pdf && [ "$(wc -l <w.list)" -eq 2 ]
ok $? "--worker passes a PDF through unchanged in a result container"
"$FILTER" --worker --split-blank --ocr eng <batch.tif >ws.set 2>/dev/null &&
	python3 "$HERE/docset.py" <ws.set >ws.list &&
	[ "$(grep -c '^1 ' ws.list)" = 2 ] && grep -q '"removed":\[2\]' ws.list
ok $? "--worker --split-blank returns two documents and the report"

# 19-20: --worker-pages reads the spool's page stream
convert p1.tif -depth 8 gray:p1.gray && convert one.tif -depth 8 gray:one.gray &&
	python3 "$HERE/mkpages.py" 1748 2480 300 p1.gray one.gray >pages.csp
"$FILTER" --worker-pages --deskew --ocr eng <pages.csp >wp.set 2>/dev/null &&
	python3 "$HERE/docset.py" --extract 1 1 wp.pdf <wp.set >wp.list &&
	[ "$(pdfinfo wp.pdf | sed -n 's/^Pages: *//p')" = 2 ] &&
	pdftotext wp.pdf - | grep -q 'meeting notes'
ok $? "--worker-pages turns a page stream into a searchable 2-page PDF"
head -c 100000 pages.csp | "$FILTER" --worker-pages >/dev/null 2>cut.log
st=$?
[ "$st" -eq 1 ] && [ "$(wc -l <cut.log)" -eq 1 ]
ok $? "a cut page stream: exit 1 and one line ($(head -c 100 cut.log))"
# pages - a PDF's page count
pages() {
	pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'
}

# page_words - pdftotext of one page of a PDF, on one line
page_words() {	# page_words PDF PAGE
	pdftotext -f "$2" -l "$2" "$1" - 2>/dev/null | tr -s ' \n' ' '
}

# 21-23: a separator sheet with a QR code PATCHT (as paperless-ngx uses),
# scanned a little crooked and noisy, splits the batch and is dropped
qrencode -o qr.png -s 10 PATCHT &&
	convert -size 1748x2480 xc:white -density 300 -units PixelsPerInch \
		qr.png -gravity center -composite -background white -rotate 1.5 \
		+repage -gravity center -extent 1748x2480 -blur 0x0.7 \
		-attenuate 0.4 +noise Gaussian -colorspace Gray -depth 8 sep.tif &&
	convert p1.tif sep.tif p2.tif one.tif -compress lzw bc.tif
mkdir bcout
"$FILTER" --split-barcode --ocr eng --output-dir bcout bc.tif 2>bc.log &&
	[ "$(pages bcout/bc-1.pdf)" = 1 ] && [ "$(pages bcout/bc-2.pdf)" = 2 ] &&
	[ ! -e bcout/bc-3.pdf ] && [ "$(report_field bc.log removed)" = "[2]" ]
ok $? "--split-barcode: the PATCHT sheet (2 of 4) splits into bc-1.pdf (1 page) and bc-2.pdf (2 pages)"
w1=$(page_words bcout/bc-1.pdf 1)
w2=$(page_words bcout/bc-2.pdf 1)$(page_words bcout/bc-2.pdf 2)
case "$w1|$w2" in
*Hamburg*"|"*harbour*meeting*) st=0 ;;
*) st=1 ;;
esac
ok $st "the separator is dropped: bc-1 holds page 1, bc-2 pages 3 and 4"
# (when splitting, the outputs are numbered even if there is only one)
"$FILTER" --split-barcode=OTHER -o other.pdf bc.tif 2>other.log &&
	[ "$(pages other-1.pdf)" = 4 ] && [ ! -e other-2.pdf ] &&
	[ "$(report_field other.log documents)" = 1 ] &&
	[ "$(report_field other.log removed)" = "[]" ]
ok $? "--split-barcode=OTHER ignores the PATCHT sheet: one 4-page document (other-1.pdf)"

# 24-27: the OCR deadline. A dense, noisy A4 page of 8-point text takes
# Tesseract several seconds here; short pages a fraction of one. With
# --ocr-timeout 1 (seconds) the dense page is given up on, not the rest.
python3 - >dense.txt <<'PY'
import random
random.seed(7)
w = ("lorem ipsum dolor sit amet harbour quartz invoice judge vow sphinx "
     "black brown lazy jumps thirty days meeting notes letter number").split()
for _ in range(120):
    print(" ".join(random.choice(w) for _ in range(22)))
PY
convert -size 2480x3508 xc:white -font DejaVu-Serif -pointsize 8 \
	-density 300 -units PixelsPerInch -fill black \
	-annotate +60+60 "$(cat dense.txt)" -background white -rotate 0.7 \
	+repage -gravity center -extent 2480x3508 -blur 0x0.8 \
	-attenuate 0.6 +noise Gaussian -colorspace Gray -depth 8 dense.tif &&
	convert p1.tif dense.tif one.tif -compress lzw slow.tif
t0=$(date +%s%N)
"$FILTER" --ocr eng --jobs 1 dense.tif -o dense-full.pdf 2>dense.log
st=$?
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$st" -eq 0 ] && [ "$(report_field dense.log ocr_timeouts)" = "[]" ] &&
	[ "$(page_words dense-full.pdf 1 | wc -w)" -gt 500 ]
ok $? "control: without a short deadline the dense page is read ($full_ms ms)"
t0=$(date +%s%N)
"$FILTER" --ocr eng --ocr-timeout 1 --jobs 1 slow.tif -o slow.pdf 2>slow.log
st=$?
slow_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$st" -eq 0 ] && [ "$(report_field slow.log ocr_timeouts)" = "[2]" ] &&
	[ "$(pages slow.pdf)" = 3 ]
ok $? "--ocr-timeout 1: exit 0, 3 pages, ocr_timeouts [2] ($(report_field slow.log ocr_timeouts))"
[ -z "$(page_words slow.pdf 2 | tr -d '[:space:]')" ] &&
	[ "$(pdfimages -f 2 -l 2 -list slow.pdf 2>/dev/null | sed 1,2d | wc -l)" = 1 ]
ok $? "the timed-out page is delivered as its image with no text layer"
case "$(page_words slow.pdf 1)|$(page_words slow.pdf 3)" in
*Invoice*Hamburg*"|"*meeting*notes*) st=0 ;;
*) st=1 ;;
esac
[ "$st" -eq 0 ] && [ "$((slow_ms * 2))" -lt "$full_ms" ]
ok $? "pages 1 and 3 keep their text, and the run took $slow_ms ms (under half of $full_ms)"
exit $fail
