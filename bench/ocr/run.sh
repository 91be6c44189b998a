#!/usr/bin/env bash
# run.sh - the OCR benchmark: ocrmypdf --deskew against cloudspool-filter
# --deskew --despeckle --remove-blank --ocr eng on the same generated pages
# in the same run; then peak RSS of a 20- and a 200-page job.
#
# Usage: bench/ocr/run.sh [BUILD_DIR] [TEXT_PAGES]   (defaults: build/, 10)
# Environment: CS_BENCH_DIR (work dir, reused: the corpus is generated
# once), CS_BENCH_LONG (pages of the long job, default 200),
# CS_BENCH_ONLY_LONG=1 (only the RSS check).
# Prints a summary block for doc/BENCHMARKS.md. Not part of the CI tests.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-$SRC_DIR/build}
NPAGES=${2:-10}
FILTER=$BUILD_DIR/cloudspool-filter
WORK=${CS_BENCH_DIR:-$(mktemp -d /var/tmp/cs-bench-ocr.XXXXXX)}
OPTS=(--deskew --despeckle --remove-blank --ocr eng)

# measure - wall seconds and peak RSS (KiB) of a command, into $wall $rss
measure() {
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/cmd.log"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
}

[ -f "$WORK/corpus/corpus.tif" ] || python3 "$HERE/gen.py" "$WORK/corpus" "$NPAGES"
C=$WORK/corpus
pages=$(wc -l <"$C/kinds.txt")

peer_wall=- peer_rss=- our_wall=1 our_rss=- report={} blank=0 skew_err=-
peer_acc=- peer_m=- peer_t=- peer_one=- peer_pages=- peer_size=1
our_acc=- our_m=- our_t=- our_one=- our_pages=- our_size=- peer_wall=1
if [ "${CS_BENCH_ONLY_LONG:-0}" != 1 ]; then
measure ocrmypdf --deskew "$C/corpus.tif" "$WORK/ocrmypdf.pdf"
peer_wall=$wall peer_rss=$rss
measure "$FILTER" "${OPTS[@]}" "$C/corpus.tif" -o "$WORK/ours.pdf"
our_wall=$wall our_rss=$rss
report=$(sed -n 's/^cloudspool-filter: report: //p' "$WORK/cmd.log")
read -r peer_acc peer_m peer_t peer_one peer_pages < <(python3 "$HERE/score.py" "$C" "$WORK/ocrmypdf.pdf")
read -r our_acc our_m our_t our_one our_pages < <(python3 "$HERE/score.py" "$C" "$WORK/ours.pdf" --blank-removed)
peer_size=$(stat -c %s "$WORK/ocrmypdf.pdf")
our_size=$(stat -c %s "$WORK/ours.pdf")
blank=$(awk '$2 == "blank" { print $1 }' "$C/kinds.txt")
# our deskew is the correction, the opposite of the generator's rotation
skew_err=$(echo "$report" | jq -r '.deskew | @tsv' | tr '\t' '\n' |
	paste - "$C/angles.txt" | awk '{ e = $1 + $3; if (e < 0) e = -e;
		if (e > m) m = e } END { printf "%.3f", m }')
fi

# peak RSS against page count: the spool's page stream, streamed
long_job() {	# long_job PAGES
	measure_stdin "$FILTER" --worker-pages --jobs 2 "${OPTS[@]}" \
		< <(python3 "$HERE/stream.py" "$C" "$1")
}
measure_stdin() {
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/long.set" 2>"$WORK/cmd.log"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
}
long_job 20
rss20=$rss wall20=$wall
long_job "${CS_BENCH_LONG:-200}"
rss200=$rss wall200=$wall

cat <<EOT
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB
corpus: $pages pages (A4, 300 dpi gray, rotated, blurred, noised; blank page $blank)
ocrmypdf --deskew:     wall ${peer_wall}s  rss ${peer_rss} KiB  size $peer_size  accuracy $peer_acc ($peer_m/$peer_t)  pages $peer_pages
cloudspool-filter:     wall ${our_wall}s  rss ${our_rss} KiB  size $our_size  accuracy $our_acc ($our_m/$our_t)  pages $our_pages
wall ratio (ours/peer): $(awk -v a="$our_wall" -v b="$peer_wall" 'BEGIN { printf "%.3f", a / b }')
size ratio (ours/peer): $(awk -v a="$our_size" -v b="$peer_size" 'BEGIN { printf "%.3f", a / b }')
pages/minute (ours): $(awk -v p="$pages" -v w="$our_wall" 'BEGIN { printf "%.1f", p * 60 / w }')  (ocrmypdf: $(awk -v p="$pages" -v w="$peer_wall" 'BEGIN { printf "%.1f", p * 60 / w }'))
report: $report
blank page removed: $(echo "$report" | jq -r --argjson b "$blank" '.removed == [$b]')   one-line page kept: $our_one
max deskew error: $skew_err degrees
long job (page stream, --jobs 2): 20 pages rss ${rss20} KiB wall ${wall20}s; ${CS_BENCH_LONG:-200} pages rss ${rss200} KiB wall ${wall200}s
EOT
