#!/usr/bin/env bash
# t-clouds.sh - the gdrive, onedrive and dropbox providers against the
# fakes of their upload APIs (tests/fakes/, or CS_FAKES_DIR), over HTTPS
# with a test CA: for each, a 50 MB upload killed with -9 in the middle and
# resumed from the server's offset, exactly one byte-identical file; the
# job run again finds it delivered; then injected faults: a connection
# reset mid-chunk (recovered inside the run), 429 and 503 with Retry-After
# (temporary, retry_after passed on), 401 (class auth).
. "$(dirname "$0")/lib.sh"
need_built
FAKES=${CS_FAKES_DIR:-$UP_SRC/tests/fakes}
[ -f "$FAKES/drive.js" ] || { skip "no fakes in $FAKES (set CS_FAKES_DIR)"; exit 0; }
make_ca; ok $? "a test CA and a server certificate"
echo good-token >"$UP_TMP/tokens"
DOC=$UP_TMP/doc
make_doc "$DOC" 50
SUM=$(sha256sum "$DOC" | cut -d' ' -f1)

# fake NAME - start tests/fakes/NAME.js on a free port; URL in BASE
fake() {
	local port
	port=$(free_port)
	mkdir -p "$UP_TMP/store-$1"
	start_bg "$UP_TMP/$1.log" node "$FAKES/$1.js" --port "$port" --store "$UP_TMP/store-$1" \
		--tokens "$UP_TMP/tokens" --tls-cert "$UP_TMP/srv.pem" --tls-key "$UP_TMP/srv.key"
	wait_port "$port"
	BASE=https://127.0.0.1:$port
}

# ctl METHOD PATH [JSON] - the fake's control routes
ctl() {
	curl -sf --cacert "$UP_TMP/ca.pem" -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$BASE$2"
}

# files_with_our_sum - how many stored files hold the document
files_with_our_sum() {
	ctl GET /__fake/files | jq "[.[] | select((.sha256 // \"\" | ascii_downcase) == \"$SUM\")] | length"
}

# one_provider NAME FAKE SETTINGS - the whole sequence for one provider
one_provider() {
	local p=$1 f=$2 set=$3 st
	UP_PROVIDER=$p
	fake "$f"; ok $? "$p: the $f fake listens"
	set=${set//BASE/$BASE}
	request "$UP_TMP/$p-r1" "$set" '{}' "$DOC" scan.pdf "job-$p-1" good-token
	drive "$UP_TMP/$p-r1" "$DOC" "$UP_TMP/$p-s1" --kill-after 20000000
	[ $? -eq 3 ]; ok $? "$p: killed after 20 MB"
	[ "$(files_with_our_sum)" -eq 0 ]; ok $? "$p: no file yet after the kill"
	drive "$UP_TMP/$p-r1" "$DOC" "$UP_TMP/$p-s1"; ok $? "$p: the rerun resumes and completes"
	[ "$(field earlier)" = false ]; ok $? "$p: ... not 'earlier'"
	[ "$(files_with_our_sum)" -eq 1 ]; ok $? "$p: exactly one byte-identical file (SHA-256)"
	st=$(ctl GET /__fake/stats | jq '.bytes_received // .bytes_in // 0')
	[ "$st" -lt $((50 * 1048576 + 30 * 1048576)) ]; ok $? "$p: resumed from the server's offset ($st bytes received in all)"
	drive "$UP_TMP/$p-r1" "$DOC" "$UP_TMP/$p-s1"
	[ $? -eq 0 ] && [ "$(field earlier)" = true ] && [ "$(files_with_our_sum)" -eq 1 ]
	ok $? "$p: the job run again is found delivered, no second file"

	# faults, each on a fresh job
	ctl POST /__fake/faults '[{"match":"upload-chunk","action":"reset","nth":2,"bytes":100000}]' >/dev/null
	request "$UP_TMP/$p-r2" "$set" '{}' "$DOC" reset.pdf "job-$p-2" good-token
	drive "$UP_TMP/$p-r2" "$DOC" "$UP_TMP/$p-s2"
	[ $? -eq 0 ] && [ "$(files_with_our_sum)" -eq 2 ]; ok $? "$p: a reset mid-chunk is recovered within the run"
	ctl POST /__fake/faults '[{"match":"any","action":"429","every":true,"retry_after":37}]' >/dev/null
	request "$UP_TMP/$p-r3" "$set" '{}' "$DOC" busy.pdf "job-$p-3" good-token
	drive "$UP_TMP/$p-r3" "$DOC" "$UP_TMP/$p-s3"
	[ $? -eq 1 ] && [ "$(field class)" = temporary ] && [ "$(field retry_after)" = 37 ] && [ "$(field http_status)" = 429 ]
	ok $? "$p: 429 + Retry-After 37 -> temporary, retry_after 37"
	ctl POST /__fake/faults '[{"match":"any","action":"503","every":true,"retry_after":5}]' >/dev/null
	drive "$UP_TMP/$p-r3" "$DOC" "$UP_TMP/$p-s3"
	[ $? -eq 1 ] && [ "$(field class)" = temporary ] && [ "$(field retry_after)" = 5 ] && [ "$(field http_status)" = 503 ]
	ok $? "$p: 503 + Retry-After 5 -> temporary, retry_after 5"
	ctl DELETE /__fake/faults >/dev/null
	request "$UP_TMP/$p-r4" "$set" '{}' "$DOC" x.pdf "job-$p-4" bad-token
	drive "$UP_TMP/$p-r4" "$DOC" "$UP_TMP/$p-s4"
	[ $? -eq 1 ] && [ "$(field class)" = auth ]; ok $? "$p: an invalid token -> class auth"
	request "$UP_TMP/$p-r5" "$set" '{}' "$DOC" x.pdf "job-$p-5" good-token
	drive "$UP_TMP/$p-r5" "$DOC" "$UP_TMP/$p-s5" && [ "$(files_with_our_sum)" -eq 3 ]
	ok $? "$p: after the faults a new job still delivers"
}

CA="\"ca_file\":\"$UP_TMP/ca.pem\""
one_provider gdrive drive "{\"api_url\":\"BASE\",\"upload_url\":\"BASE/upload\",\"client_id\":\"c\",$CA}"
one_provider onedrive graph "{\"api_url\":\"BASE/v1.0\",\"client_id\":\"c\",$CA}"
one_provider dropbox dropbox "{\"api_url\":\"BASE\",\"content_url\":\"BASE\",\"client_id\":\"c\",$CA}"
