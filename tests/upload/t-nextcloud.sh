#!/usr/bin/env bash
# t-nextcloud.sh - the webdav provider's chunked = nextcloud path (chunked
# upload v2) against tests/fakes/nextcloud.js: a 30 MB document in 5 MiB
# chunks delivered byte-identical into a user folder it creates; a kill -9
# in the middle then a resume that re-sends no stored chunk; a MOVE .file
# whose answer is lost, then a rerun that finds the file delivered; 503
# with Retry-After as temporary; a chunk_size under Nextcloud's 5 MB floor
# refused before anything is sent; a connection reset mid-chunk survived;
# a permanent failure or an abandoned job leaves no upload folder behind.
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=webdav
command -v node >/dev/null || { skip "node not installed"; exit 0; }
FAKE=$UP_SRC/tests/fakes/nextcloud.js

STORE=$UP_TMP/nc
mkdir -p "$STORE/svc/scans"		# the admin's folder; alice's is made by the uploader
printf 'svc app-password-1\n' >"$UP_TMP/passwords"
P=$(free_port)
start_bg "$UP_TMP/nextcloud.log" node "$FAKE" --port "$P" --store "$STORE" --tokens "$UP_TMP/passwords"
wait_port "$P"; ok $? "the Nextcloud fake listens"
BASE=http://127.0.0.1:$P
OUT=$STORE/svc/scans/alice

# fake GET|POST ROUTE [JSON] - a control route of the fake
fake() {
	if [ $# -gt 2 ]; then curl -s -X "$1" -H 'Content-Type: application/json' -d "$3" "$BASE$2"
	else curl -s -X "$1" "$BASE$2"; fi
}

DOC=$UP_TMP/doc
make_doc "$DOC" 30
SZ=$(stat -c %s "$DOC")
CHUNKS=$(( (SZ + 5242879) / 5242880 ))	# 7: six of 5 MiB and a short one
SET="{\"url\":\"$BASE/remote.php/dav/files/svc/scans/%u\",\"user\":\"svc\",\"chunked\":\"nextcloud\",\"chunk_size\":\"5M\"}"
SECRET='{"password":"app-password-1"}'

# 1. a whole delivery
request "$UP_TMP/r1" "$SET" "$SECRET" "$DOC" scan.pdf job-1
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "delivered with chunked = nextcloud"
[ "$(field earlier)" = false ]; ok $? "... not 'earlier'"
cmp -s "$DOC" "$OUT/scan.pdf"; ok $? "... byte-identical in the user folder it created"
ST=$(fake GET /__fake/stats)
[ "$(jq '.by_kind["upload-chunk"]' <<<"$ST")" -eq "$CHUNKS" ] && [ "$(jq .sessions_created <<<"$ST")" -eq 1 ] &&
	[ "$(jq .completed_uploads <<<"$ST")" -eq 1 ]
ok $? "... as one upload of $CHUNKS chunk PUTs and one assembly"
[ "$(fake GET /__fake/uploads | jq '.open | length')" -eq 0 ]; ok $? "... and the upload folder is gone"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1" && [ "$(field earlier)" = true ]
ok $? "the same job run again is found delivered (earlier)"
[ "$(find "$OUT" -type f | wc -l)" -eq 1 ]; ok $? "... one file"

# 2. kill -9 in the middle of chunk 3, then resume
fake POST /__fake/stats/reset >/dev/null
request "$UP_TMP/r2" "$SET" "$SECRET" "$DOC" killed.pdf job-2
drive "$UP_TMP/r2" "$DOC" "$UP_TMP/s2" --kill-after 13000000
[ $? -eq 3 ]; ok $? "the uploader was killed after 13 MB"
UPS=$(fake GET /__fake/uploads)
STORED=$(jq '[.open[] | select(.id == "cloudspool-job-2") | .chunks[]] | length' <<<"$UPS")
[ "$STORED" -eq 2 ] && [ ! -e "$OUT/killed.pdf" ]; ok $? "two whole chunks stored (got $STORED), nothing under the final name"
fake POST /__fake/stats/reset >/dev/null
drive "$UP_TMP/r2" "$DOC" "$UP_TMP/s2"; ok $? "the rerun delivers"
cmp -s "$DOC" "$OUT/killed.pdf"; ok $? "... byte-identical"
ST=$(fake GET /__fake/stats)
[ "$(jq '.by_kind["upload-chunk"]' <<<"$ST")" -eq $((CHUNKS - STORED)) ] &&
	[ "$(jq .bytes_received <<<"$ST")" -eq $((SZ - STORED * 5242880)) ]
ok $? "... sending only the $((CHUNKS - STORED)) missing chunks ($(jq -c '[.by_kind["upload-chunk"], .bytes_received]' <<<"$ST"))"
DUPS=$(fake GET /__fake/uploads | jq '[.chunk_puts[] | select(.upload == "cloudspool-job-2" and .complete)] | group_by(.chunk) | map(select(length > 1)) | length')
[ "$DUPS" -eq 0 ]; ok $? "... no chunk was stored twice"
[ "$(find "$OUT" -name 'killed*' | wc -l)" -eq 1 ]; ok $? "... exactly one killed.pdf"

# 3. the answer to MOVE .file is lost (assembled, then the connection is
# reset). libcurl resends a request whose reused connection died before
# any answer, and the second MOVE finds the upload folder gone (404): the
# uploader must then find the file delivered, not fail permanently
fake POST /__fake/faults '[{"match":"finish","nth":1,"action":"drop-response"}]' >/dev/null
fake POST /__fake/stats/reset >/dev/null
request "$UP_TMP/r3" "$SET" "$SECRET" "$DOC" dropped.pdf job-3
drive "$UP_TMP/r3" "$DOC" "$UP_TMP/s3"; R3=$?
FIN=$(fake GET /__fake/stats | jq '.by_kind.finish')
[ "$R3" -eq 0 ] && [ "$(field earlier)" = true ] ||
	{ [ "$R3" -eq 1 ] && [ "$(field class)" = temporary ]; }
ok $? "a lost MOVE answer is found delivered (earlier) or is temporary, never permanent ($FIN MOVE requests)"
[ "$(jq -r .phase "$UP_TMP/s3")" = move ]; ok $? "... with the MOVE phase checkpointed"
fake DELETE /__fake/faults >/dev/null
drive "$UP_TMP/r3" "$DOC" "$UP_TMP/s3" && [ "$(field earlier)" = true ]
ok $? "the rerun reports it delivered earlier"
[ "$(find "$OUT" -name 'dropped*' | wc -l)" -eq 1 ] && cmp -s "$DOC" "$OUT/dropped.pdf"
ok $? "... one byte-identical dropped.pdf"
[ "$(fake GET /__fake/stats | jq .completed_uploads)" -eq 1 ]; ok $? "... assembled once"

# 4. 503 with Retry-After on a chunk: temporary, retry_after passed on
fake POST /__fake/faults '[{"match":"upload-chunk","nth":2,"action":"503","retry_after":120}]' >/dev/null
request "$UP_TMP/r4" "$SET" "$SECRET" "$DOC" busy.pdf job-4
drive "$UP_TMP/r4" "$DOC" "$UP_TMP/s4"
[ $? -eq 1 ] && [ "$(field class)" = temporary ] && [ "$(field http_status)" = 503 ] &&
	[ "$(field retry_after)" -ge 100 ] && [ "$(field retry_after)" -le 120 ]
ok $? "503 Retry-After: 120 is temporary with retry_after $(field retry_after)"
fake DELETE /__fake/faults >/dev/null
drive "$UP_TMP/r4" "$DOC" "$UP_TMP/s4" && cmp -s "$DOC" "$OUT/busy.pdf"
ok $? "... and the next attempt delivers"

# 5. a connection reset in the middle of a chunk is retried in the run
fake POST /__fake/faults '[{"match":"upload-chunk","nth":3,"action":"reset","bytes":1000000}]' >/dev/null
request "$UP_TMP/r5" "$SET" "$SECRET" "$DOC" reset.pdf job-5
drive "$UP_TMP/r5" "$DOC" "$UP_TMP/s5" && cmp -s "$DOC" "$OUT/reset.pdf"
ok $? "a reset mid-chunk is retried and the file arrives byte-identical"
fake DELETE /__fake/faults >/dev/null

# 6. a chunk_size under Nextcloud's 5 MB floor would only fail at assembly,
# after everything was sent: it is refused up front
request "$UP_TMP/r6" "${SET/\"5M\"/\"1M\"}" "$SECRET" "$DOC" small.pdf job-6
fake POST /__fake/stats/reset >/dev/null
drive "$UP_TMP/r6" "$DOC" "$UP_TMP/s6"
[ $? -eq 1 ] && [ "$(field class)" = permanent ] && field reason | grep -q chunk_size &&
	[ "$(fake GET /__fake/stats | jq .requests)" -eq 0 ]
ok $? "chunk_size 1M with chunked = nextcloud is permanent, nothing sent"

# 7. a wrong app password is class auth
request "$UP_TMP/r7" "$SET" '{"password":"revoked"}' "$DOC" x.pdf job-7
drive "$UP_TMP/r7" "$DOC" "$UP_TMP/s7"
[ $? -eq 1 ] && [ "$(field class)" = auth ] && [ "$(field http_status)" = 401 ]; ok $? "a wrong app password is class auth (401)"
[ "$(find "$STORE" -path "$STORE/.staging" -prune -o -type f -print | wc -l)" -eq 5 ]
ok $? "five files in the store in all"

# open_upload JOB - 1 when the fake still holds the job's upload folder
open_upload() {
	fake GET /__fake/uploads | jq "[.open[] | select(.id == \"cloudspool-$1\")] | length"
}

# 8. a permanent failure mid-upload (507 quota on chunk 3): the upload
# folder, two chunks in it, is deleted before the answer
fake POST /__fake/faults '[{"match":"upload-chunk","nth":3,"action":"quota"}]' >/dev/null
request "$UP_TMP/r8" "$SET" "$SECRET" "$DOC" full.pdf job-8
drive "$UP_TMP/r8" "$DOC" "$UP_TMP/s8"
[ $? -eq 1 ] && [ "$(field class)" = permanent ] && [ "$(field http_status)" = 507 ]
ok $? "507 on a chunk is permanent"
[ "$(open_upload job-8)" -eq 0 ] && [ ! -e "$OUT/full.pdf" ]
ok $? "... and its upload folder was deleted (no chunks left behind)"
fake DELETE /__fake/faults >/dev/null

# 9. a job shredded undelivered (killed mid-upload, the window closed):
# the daemon runs the uploader with "abandon": true, the last state, an
# empty document and a job id that need not be the remote one (a job of
# several documents): the URLs to delete come from the state
request "$UP_TMP/r9" "$SET" "$SECRET" "$DOC" gone.pdf job-9
drive "$UP_TMP/r9" "$DOC" "$UP_TMP/s9" --kill-after 13000000
[ $? -eq 3 ] && [ "$(open_upload job-9)" -eq 1 ]; ok $? "killed mid-upload: the upload folder stays"
: >"$UP_TMP/empty"
jq -c '.abandon = true | .job = "job-9-as-the-daemon-knows-it" | .name = "abandoned" | .size = 0 | .sha256 = ""' \
	"$UP_TMP/r9" >"$UP_TMP/r9a"
fake POST /__fake/stats/reset >/dev/null
drive "$UP_TMP/r9a" "$UP_TMP/empty" "$UP_TMP/s9"
[ $? -eq 0 ] && field where | grep -q '^abandoned: .*deleted' && [ "$(open_upload job-9)" -eq 0 ] &&
	[ ! -e "$OUT/gone.pdf" ] && [ "$(fake GET /__fake/stats | jq .bytes_received)" -eq 0 ]
ok $? "abandon: the upload folder is deleted, nothing sent, no file"
drive "$UP_TMP/r9a" "$UP_TMP/empty" "$UP_TMP/s9" && field where | grep -q '^abandoned: nothing'
ok $? "abandon again: nothing left to remove"
