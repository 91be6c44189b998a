#!/usr/bin/env bash
# t-ocr.sh - document processing through the daemon, end to end (issue 5):
# cs_alice submits a crooked, noisy 3-page TIFF scan with a blank sheet in
# the middle (submit --pages, so it travels as the spool's page stream) to
# an action with ocr = eng, deskew, despeckle, remove_blank and
# deliver_removed. letter.pdf arrives in her folder with 2 pages and a text
# layer holding the words of both (and the marker printed on each page),
# letter-removed.pdf holds the blank sheet, the audit's "processed" line
# lists page 2 as removed and no OCR timeout. cs_bob submits a plain
# 3-page TIFF file to an action with split_every = 2: batch-1.pdf (2 pages)
# and batch-2.pdf (the third page, told apart by its Letter size) arrive,
# the audit has "document delivered" (1 of 2) before "delivered". The
# markers (in the TIFFs' ImageDescription and printed on the pages, so the
# OCR text carries them too) are nowhere but in the delivered files.
source "$(dirname "$0")/lib.sh"

# ocr_config - the standard config plus the two processing actions
ocr_config() {
	standard_config "$SPOOL"
	printf '\n[action ocr]\ndestination = local\ndescription = searchable PDF\n'
	printf 'users = cs_alice cs_bob\nocr = eng\ndeskew = yes\ndespeckle = yes\n'
	printf 'remove_blank = yes\ndeliver_removed = yes\n'
	printf '\n[action split]\ndestination = local\ndescription = two pages each\n'
	printf 'users = cs_alice cs_bob\nsplit_every = 2\n'
}

setup_test_root
create_user cs_alice
create_user cs_bob
ocr_config | install_config "$CONF"
init_spool

for tool in convert pdftotext pdfinfo pdfimages qpdf; do
	command -v "$tool" >/dev/null || bail_out "$tool is not installed (./setup.sh deps)"
done

# page - a gray 300 dpi A5 page of TEXT rotated by ANGLE, blurred and
# noised like a scan (as tests/filter/t-filter.sh makes them; the rotation
# adds an alpha channel, which the multi-page TIFF drops with -alpha off:
# submit --pages takes gray, not gray+alpha)
page() {	# page OUT ANGLE TEXT [SIZE]
	local size=${4:-1748x2480}
	convert -size "$size" xc:white -font DejaVu-Serif -pointsize 12 \
		-density 300 -units PixelsPerInch -fill black \
		-annotate +200+300 "$3" -background white -rotate "$2" +repage \
		-gravity center -extent "$size" -blur 0x0.7 \
		-attenuate 0.4 +noise Gaussian -colorspace Gray -depth 8 "$1"
}

# blank - tinted paper with noise and nothing on it
blank() {
	convert -size 1748x2480 -density 300 -units PixelsPerInch \
		xc:'#efe8d0' -attenuate 0.6 +noise Gaussian -blur 0x0.5 \
		-colorspace Gray -depth 8 "$1"
}

# ocr_marker - a marker Tesseract reads back exactly (letters then
# digits), remembered for assert_no_markers like new_marker's
ocr_marker() {
	local m
	m=Csmark$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')
	printf '%s\n' "$m" >>"$WORK/markers"
	printf '%s\n' "$m"
}

# pdf_pages - pdfinfo's page count (empty when not a PDF)
pdf_pages() {
	pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'
}

# pdf_words - the PDF's text layer on one line
pdf_words() {
	pdftotext "$1" - 2>/dev/null | tr -s ' \n\f' ' '
}

# to_home - copy a file of WORK into a user's home, owned by the user
to_home() {	# to_home USER FILE -> prints the new path
	local path
	path=$(user_home "$1")/$(basename "$2")
	cp "$2" "$path" && chown "$1:" "$path" && chmod 0600 "$path"
	printf '%s\n' "$path"
}

# audit_event_line - the line number of the first audit line with this
# event that mentions this text (0 when none)
audit_event_line() {	# audit_event_line EVENT TEXT
	jq -n --arg ev "$1" --arg t "$2" '[inputs] | to_entries |
		map(select(.value.event == $ev and (.value | tostring | contains($t)))) |
		(.[0].key // -1) + 1' "$(audit_log_file)" 2>/dev/null || echo 0
}

ok_if "check-config accepts the ocr and split actions" "$CTL" -c "$CONF" check-config

start_daemon
wait_for_public_key || bail_out "the daemon published no public key within 20 s" "$(tail -n 20 "$LOGS/daemon.log")"

# --- cs_alice: a skewed, noisy letter with a blank back, as page stream
m1=$(ocr_marker)
m2=$(ocr_marker)
mt=$(new_marker)
page "$WORK/a1.tif" -2.3 $'Quarterly invoice from Hamburg\nReference '"$m1"$'\nThe quick brown fox jumps over the lazy dog.'
blank "$WORK/a2.tif"
page "$WORK/a3.tif" 1.4 $'Second letter about the harbour\nReference '"$m2"$'\nSphinx of black quartz, judge my vow.'
convert "$WORK/a1.tif" "$WORK/a2.tif" "$WORK/a3.tif" -alpha off -set comment "$mt" \
	-compress lzw "$WORK/letter.tif" || bail_out "cannot make the test scan"
letter=$(to_home cs_alice "$WORK/letter.tif")

started=$(date +%s%N)
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a ocr --pages --name letter.pdf "$letter"
id_a=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_a"; then
	ok "cs_alice submits a 3-page TIFF with --pages to the ocr action"
else
	not_ok "cs_alice submits a 3-page TIFF with --pages to the ocr action" "$(run_diag)"
fi
out=$(delivered_file cs_alice letter.pdf)
removed=$(delivered_file cs_alice letter-removed.pdf)
if wait_for_delivery cs_alice letter.pdf "$id_a" 45; then
	ok "letter.pdf is delivered to cs_alice's folder ($(( ($(date +%s%N) - started) / 1000000 )) ms after submission)"
else
	not_ok "letter.pdf is delivered to cs_alice's folder" "not within 45 s" \
		"$(ls -la "$SCANS/cs_alice" 2>&1)" "$(spool_entries)" "$(tail -n 10 "$LOGS/daemon.log")"
fi
words=$(pdf_words "$out")
missing=""
for w in Quarterly invoice Hamburg quick brown jumps lazy "$m1" harbour Sphinx quartz judge "$m2"; do
	case "$words" in *"$w"*) ;; *) missing="$missing $w" ;; esac
done
if [ "$(pdf_pages "$out")" = 2 ] && [ -z "$missing" ]; then
	ok "letter.pdf has 2 pages and is searchable: pdftotext finds both pages' words and markers"
else
	not_ok "letter.pdf has 2 pages and is searchable" "pages: $(pdf_pages "$out")" \
		"missing:$missing" "text: ${words:0:400}"
fi
ok_if "letter.pdf is owned by cs_alice with mode 0600" \
	test "$(stat -c '%U %a' "$out" 2>&1)" = "cs_alice 600"
ok_if "letter.pdf passes qpdf --check" qpdf --check "$out"
if [ "$(pdf_pages "$removed")" = 1 ] &&
	[ -z "$(pdftotext "$removed" - 2>/dev/null | tr -d '[:space:]')" ]; then
	ok "letter-removed.pdf holds the one blank page"
else
	not_ok "letter-removed.pdf holds the one blank page" \
		"$(ls -la "$SCANS/cs_alice" 2>&1)" "pages: $(pdf_pages "$removed")"
fi
report=$(jq -c --arg id "$id_a" 'select(.event == "processed" and (tostring | contains($id))) | .report' \
	"$(audit_log_file)" 2>/dev/null | head -n 1)
if [ "$(jq -c '.removed' <<<"$report" 2>/dev/null)" = "[2]" ] &&
	[ "$(jq -c '.ocr_timeouts' <<<"$report" 2>/dev/null)" = "[]" ] &&
	[ "$(jq -c '.pages_in' <<<"$report" 2>/dev/null)" = 3 ]; then
	ok "the audit's processed line lists page 2 as removed (and no OCR timeout)"
else
	not_ok "the audit's processed line lists page 2 as removed" "report: $report" \
		"$(audit_lines_mentioning "$id_a")"
fi
# deskew = yes and despeckle = yes reached the filter: the skew measured
# on pages 1 and 3 (rotated by -2.3 and +1.4 degrees) and G4 images
skews=$(jq -r '.deskew | "\(.[0]) \(.[2])"' <<<"$report" 2>/dev/null)
if awk -v s="$skews" 'BEGIN { split(s, a, " "); d1 = a[1] - 2.3; d3 = a[2] + 1.4;
	if (d1 < 0) d1 = -d1; if (d3 < 0) d3 = -d3; exit !(a[1] != "" && d1 < 0.1 && d3 < 0.1) }' &&
	[ "$(pdfimages -list "$out" 2>/dev/null | awk 'NR > 2 && $9 == "ccitt"' | wc -l)" = 2 ]; then
	ok "deskew and despeckle ran: skews $skews measured (2.3 and -1.4), both pages CCITT G4"
else
	not_ok "deskew and despeckle ran: skews measured, pages CCITT G4" "skews: $skews" \
		"$(pdfimages -list "$out" 2>&1)"
fi
if [ "$(audit_count delivered "$id_a")" -ge 1 ] &&
	[ "$(audit_count "document delivered" "$id_a")" -eq 1 ]; then
	ok "the audit has letter.pdf and letter-removed.pdf delivered (1 document delivered, then delivered)"
else
	not_ok "the audit has letter.pdf and letter-removed.pdf delivered" "$(audit_lines_mentioning "$id_a")"
fi

# --- cs_bob: a plain 3-page TIFF file to split_every = 2; page 3 is
# Letter-sized so the split's order shows in the page sizes
mb=$(new_marker)
page "$WORK/b1.tif" 0.8 "First page of the batch"
page "$WORK/b2.tif" -0.5 "Second page of the batch"
page "$WORK/b3.tif" 0 "Third page, Letter size" 2550x3300
convert "$WORK/b1.tif" "$WORK/b2.tif" "$WORK/b3.tif" -alpha off -set comment "$mb" \
	-compress lzw "$WORK/batch.tif" || bail_out "cannot make the test batch"
batch=$(to_home cs_bob "$WORK/batch.tif")
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" submit -a split "$batch"
id_b=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_b"; then
	ok "cs_bob submits a plain 3-page TIFF file to the split action"
else
	not_ok "cs_bob submits a plain 3-page TIFF file to the split action" "$(run_diag)"
fi
b1=$(delivered_file cs_bob batch-1.pdf)
b2=$(delivered_file cs_bob batch-2.pdf)
if wait_for_delivery cs_bob batch-2.pdf "$id_b" 45 && [ -f "$b1" ]; then
	ok "batch-1.pdf and batch-2.pdf are delivered to cs_bob's folder"
else
	not_ok "batch-1.pdf and batch-2.pdf are delivered to cs_bob's folder" \
		"$(ls -la "$SCANS/cs_bob" 2>&1)" "$(spool_entries)" "$(tail -n 10 "$LOGS/daemon.log")"
fi
size1=$(pdfinfo "$b1" 2>/dev/null | sed -n 's/^Page size: *//p')
size2=$(pdfinfo "$b2" 2>/dev/null | sed -n 's/^Page size: *//p')
if [ "$(pdf_pages "$b1")" = 2 ] && [ "$(pdf_pages "$b2")" = 1 ] &&
	[ ! -e "$(delivered_file cs_bob batch-3.pdf)" ] && [ ! -e "$(delivered_file cs_bob batch.pdf)" ] &&
	[[ $size1 == "419.52 x 595.2 pts"* ]] && [[ $size2 == "612 x 792 pts"* ]]; then
	ok "batch-1.pdf holds pages 1-2 (A5), batch-2.pdf page 3 (Letter); nothing else"
else
	not_ok "batch-1.pdf holds pages 1-2 (A5), batch-2.pdf page 3 (Letter)" \
		"pages: $(pdf_pages "$b1") + $(pdf_pages "$b2")" "sizes: $size1 / $size2" \
		"$(ls -la "$SCANS/cs_bob" 2>&1)"
fi
doc_line=$(audit_event_line "document delivered" "$id_b")
del_line=$(audit_event_line delivered "$id_b")
if [ "$(audit_count "document delivered" "$id_b")" -eq 1 ] &&
	[ "$(audit_count delivered "$id_b")" -eq 1 ] &&
	[ "$doc_line" -gt 0 ] && [ "$del_line" -gt "$doc_line" ]; then
	ok "the audit has \"document delivered\" (1 of 2) and then \"delivered\" for the split job"
else
	not_ok "the audit has \"document delivered\" then \"delivered\" for the split job" \
		"lines $doc_line, $del_line" "$(audit_lines_mentioning "$id_b")"
fi
if [ ! -e "$SCANS/cs_alice/batch-1.pdf" ] && [ ! -e "$SCANS/cs_bob/letter.pdf" ]; then
	ok "neither user's documents reach the other's folder"
else
	not_ok "neither user's documents reach the other's folder" "$(ls -laR "$SCANS")"
fi

# A malformed image (a TIFF cut short after its first strip) is refused
# by the sandboxed filter: the job is quarantined with the filter's one-line
# reason, not retried, and the daemon carries on.
head -c 2000 "$WORK/batch.tif" >"$WORK/broken.tif"
broken=$(to_home cs_bob "$WORK/broken.tif")
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" submit -a split "$broken"
id_x=$RUN_OUT
quarantined() {
	audit_has quarantined "$id_x" && [ -n "$(corrupt_entries)" ]
}
if is_job_id "$id_x" && wait_until 30 quarantined; then
	reason=$(jq -r --arg id "$id_x" 'select(.event == "quarantined" and (.file // "" | contains($id))) | .reason' \
		"$(audit_log_file)" | head -n 1)
	if grep -qi -e malformed -e image <<<"$reason"; then
		ok "a malformed TIFF is quarantined with the filter's reason ($reason)"
	else
		not_ok "a malformed TIFF is quarantined with the filter's reason" "$reason" \
			"$(audit_lines_mentioning "$id_x")"
	fi
else
	not_ok "a malformed TIFF is quarantined" "$(run_diag)" "$(audit_lines_mentioning "$id_x")" \
		"$(spool_entries)"
fi
ok_if "... and never retried (no deferred line)" test "$(audit_count deferred "$id_x")" -eq 0

ok_if "the daemon is still running" daemon_alive
ok_if "delivered jobs leave nothing in the spool" spool_is_empty
stop_daemon
check_audit_verifies
assert_no_markers "no marker (TIFF metadata or OCR text) in the spool, /tmp, /var/tmp, /dev/shm, logs or core files"
finish
