#!/usr/bin/env bash
# test-fakes.sh - the Drive, Graph, Dropbox and Nextcloud fakes driven by the curl
# command line, as TAP: each protocol rule a client depends on, and each
# fault kind. Needs node and curl only; installs nothing; runs from the
# source tree. Scratch files go to build/ (not /tmp: the end-to-end tests
# search /tmp for plaintext markers).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
SCRATCH_PARENT=${CS_BUILD_DIR:-$SRC_DIR/build}
mkdir -p "$SCRATCH_PARENT" || exit 1
W=$(mktemp -d "$SCRATCH_PARENT/fakes-test.XXXXXX") || exit 1
PIDS=()
N=0
FAILED=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# ok - one TAP line: ok DESCRIPTION CONDITION-COMMAND...
ok() {
	local desc=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N - $desc"
	else
		echo "not ok $N - $desc"
		FAILED=$((FAILED + 1))
		[ -f "$W/h" ] && sed 's/^/#   hdr: /' "$W/h" | head -n 12
		[ -f "$W/b" ] && head -c 400 "$W/b" | sed 's/^/#   body: /' && echo
	fi
}

# jget FILE EXPR - a value from a JSON file (EXPR in JavaScript, on j)
jget() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); process.stdout.write(typeof v === "object" ? JSON.stringify(v) : String(v));' "$1" "$2" 2>/dev/null
}

# hdr NAME - a response header's value from $W/h (case-insensitive)
hdr() {
	awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == n { sub(/\r$/, "", $2); print $2 }' "$W/h" | tail -n 1
}

# req ARGS... - curl into $W/h (headers) and $W/b (body); sets CODE and RC
req() {
	: >"$W/h"
	: >"$W/b"
	CODE=$(curl -s -D "$W/h" -o "$W/b" -w '%{http_code}' "$@")
	RC=$?
}

# start_fake NAME ARGS... - start NAME.js, wait for "listening PORT", set PORT
start_fake() {
	local name=$1 i
	shift
	: >"$W/$name.out"
	node "$HERE/$name.js" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	PIDS+=($!)
	for i in $(seq 1 100); do
		PORT=$(awk '/^listening /{print $2}' "$W/$name.out")
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "# $name did not start: $(cat "$W/$name.err")"
	return 1
}

# faults URL JSON - set the fault rules of a running fake
faults() {
	curl -s -o /dev/null -w '%{http_code}' -X POST "$1/__fake/faults" -H 'Content-Type: application/json' -d "$2"
}

# dropbox_hash FILE - Dropbox's content_hash computed with coreutils only
dropbox_hash() {
	local d=$W/blocks f hexes=""
	rm -rf "$d" && mkdir "$d"
	split -b 4194304 -a 4 "$1" "$d/b."
	for f in "$d"/b.*; do hexes="$hexes$(sha256sum "$f" | cut -c1-64)"; done
	printf "$(echo "$hexes" | sed 's/../\\x&/g')" | sha256sum | cut -c1-64
}

echo "1..79"
head -c 700000 /dev/urandom >"$W/f700k"
head -c 9000000 /dev/urandom >"$W/f9m"
printf 'tok-alice\ntok-bob other-client\n' >"$W/tokens"
AUTH='Authorization: Bearer tok-alice'
JSON='Content-Type: application/json; charset=UTF-8'

# ---------------------------------------------------------------- Drive
start_fake drive --port 0 --store "$W/drive" --tokens "$W/tokens" || exit 1
DR=http://127.0.0.1:$PORT

req -X POST "$DR/drive/v3/files?fields=id,name,mimeType" -H "$AUTH" -H "$JSON" \
	-d '{"name":"Scans","mimeType":"application/vnd.google-apps.folder"}'
FOLDER=$(jget "$W/b" j.id)
ok "drive: folder create answers 200 with the id" test "$CODE" = 200 -a -n "$FOLDER" -a -d "$W/drive/Scans"

req -X POST "$DR/upload/drive/v3/files?uploadType=resumable&fields=id,name,size,md5Checksum,appProperties,parents" \
	-H "$AUTH" -H "$JSON" -H 'X-Upload-Content-Length: 700000' -H 'X-Upload-Content-Type: application/pdf' \
	-d "{\"name\":\"scan.pdf\",\"parents\":[\"$FOLDER\"],\"appProperties\":{\"scanId\":\"job-1\"}}"
SESSION=$(hdr location)
ok "drive: initiate answers 200 and a Location session URI" test "$CODE" = 200 -a -n "$SESSION"

req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "drive: status query before any data: 308 without a Range header" test "$CODE" = 308 -a -z "$(hdr range)"

head -c 300000 "$W/f700k" >"$W/c1"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-299999/700000' --data-binary @"$W/c1"
ok "drive: a non-final chunk that is not a multiple of 256 KiB is refused with 400" test "$CODE" = 400
ok "drive: errors have Google's shape (error.code, error.errors[0].reason)" \
	test "$(jget "$W/b" 'j.error.code + "/" + j.error.errors[0].reason')" = "400/badRequest"

head -c 262144 "$W/f700k" >"$W/c1"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "drive: a 256 KiB chunk answers 308 with Range: bytes=0-262143" test "$CODE" = 308 -a "$(hdr range)" = "bytes=0-262143"

tail -c +524289 "$W/f700k" >"$W/c3"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 524288-699999/700000' --data-binary @"$W/c3"
ok "drive: a chunk past the stored offset (a gap) is refused with 400" test "$CODE" = 400

req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "drive: status query in the middle: 308 with the stored Range" test "$CODE" = 308 -a "$(hdr range)" = "bytes=0-262143"

tail -c +262145 "$W/f700k" >"$W/c2"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 262144-699999/700000' --data-binary @"$W/c2"
FILE_ID=$(jget "$W/b" j.id)
ok "drive: the final chunk answers 200 with the File (size as a string, md5Checksum)" \
	test "$CODE" = 200 -a "$(jget "$W/b" j.size)" = 700000 -a "$(jget "$W/b" j.md5Checksum)" = "$(md5sum <"$W/f700k" | cut -c1-32)"
ok "drive: the File carries appProperties and parents" \
	test "$(jget "$W/b" 'j.appProperties.scanId + "," + j.parents[0]')" = "job-1,$FOLDER"
ok "drive: the stored file is byte-identical" cmp -s "$W/f700k" "$W/drive/Scans/scan.pdf"

req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "drive: status query after completion answers 200 with the same File" test "$CODE" = 200 -a "$(jget "$W/b" j.id)" = "$FILE_ID"

req -G "$DR/drive/v3/files" -H "$AUTH" --data-urlencode "q=appProperties has { key='scanId' and value='job-1' } and trashed = false and '$FOLDER' in parents" \
	--data-urlencode 'fields=files(id,name,size)'
ok "drive: files.list q with appProperties has / in parents / trashed finds the upload" \
	test "$CODE" = 200 -a "$(jget "$W/b" 'j.files.length + ":" + j.files[0].id')" = "1:$FILE_ID"

req -G "$DR/drive/v3/files" -H "$AUTH" --data-urlencode "q=name = 'Scans' and mimeType = 'application/vnd.google-apps.folder'"
ok "drive: files.list q name = / mimeType = finds the folder, default fields only" \
	test "$(jget "$W/b" 'j.files.length + ":" + Object.keys(j.files[0]).sort().join(",")')" = "1:id,kind,mimeType,name"

req -G "$DR/drive/v3/files" -H 'Authorization: Bearer tok-bob' --data-urlencode "q=name = 'Scans'"
ok "drive: drive.file: another OAuth client sees none of it" test "$CODE" = 200 -a "$(jget "$W/b" j.files.length)" = 0

req "$DR/drive/v3/files/$FILE_ID?fields=id,(size" -H "$AUTH"
ok "drive: a bad fields selection is 400" test "$CODE" = 400

req "$DR/drive/v3/files/$FILE_ID?fields=id,size" -H "$AUTH"
ok "drive: files.get returns the File with the chosen fields" test "$CODE" = 200 -a "$(jget "$W/b" 'j.id + ":" + j.size')" = "$FILE_ID:700000"

req -X POST "$DR/upload/drive/v3/files?uploadType=resumable" -H 'Authorization: Bearer tok-bob' -H "$JSON" \
	-d "{\"name\":\"x.pdf\",\"parents\":[\"$FOLDER\"]}"
ok "drive: uploading into a folder the client did not create is 404 notFound" \
	test "$CODE" = 404 -a "$(jget "$W/b" 'j.error.errors[0].reason')" = notFound

req -X PUT "$DR/upload/drive/v3/files?uploadType=resumable&upload_id=nope" -H 'Content-Range: bytes */10'
ok "drive: an unknown session is 404" test "$CODE" = 404

req "$DR/drive/v3/files" -H 'Authorization: Bearer wrong'
ok "drive: a bad token is 401 with WWW-Authenticate: Bearer ... error=\"invalid_token\"" \
	test "$CODE" = 401 -a -n "$(hdr www-authenticate | grep 'error="invalid_token"')"

printf 'tok-bob other-client\n' >"$W/tokens"
req "$DR/drive/v3/files" -H "$AUTH"
ok "drive: a token removed from the token file is refused at once" test "$CODE" = 401
printf 'tok-alice\ntok-bob other-client\n' >"$W/tokens"

new_drive_session() { # SIZE NAME -> SESSION
	req -X POST "$DR/upload/drive/v3/files?uploadType=resumable" -H "$AUTH" -H "$JSON" \
		-H "X-Upload-Content-Length: $1" -d "{\"name\":\"$2\",\"parents\":[\"$FOLDER\"]}"
	SESSION=$(hdr location)
}

new_drive_session 700000 expiring.pdf
curl -s -o /dev/null -X POST "$DR/__fake/expire-sessions"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "drive: an expired session is 404 (restart the upload)" test "$CODE" = 404

# faults on Drive
new_drive_session 700000 faulty.pdf
ok "drive: POST /__fake/faults accepts a rule list" test "$(faults "$DR" '[{"match":"upload-chunk","nth":1,"action":"429","retry_after":7}]')" = 200
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "fault 429: answered 429 with Retry-After: 7 and reason rateLimitExceeded" \
	test "$CODE" = 429 -a "$(hdr retry-after)" = 7 -a "$(jget "$W/b" 'j.error.errors[0].reason')" = rateLimitExceeded
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault 429: nothing of that chunk was stored" test "$CODE" = 308 -a -z "$(hdr range)"

faults "$DR" '[{"match":"upload-chunk","every":true,"action":"503"},{"match":"status","nth":1,"action":"500"}]' >/dev/null
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
C1=$CODE
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "fault 503 with every: true fires on each chunk" test "$C1" = 503 -a "$CODE" = 503
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault 500 on the first status query" test "$CODE" = 500

faults "$DR" '[{"match":"upload-chunk","nth":1,"action":"reset","bytes":100000}]' >/dev/null
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "fault reset: the connection dies mid-body (no HTTP answer)" test "$RC" -ne 0 -a "$CODE" = 000
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault reset: nothing of the cut chunk counts as stored" test "$CODE" = 308 -a -z "$(hdr range)"

head -c 524288 "$W/f700k" >"$W/c12"
faults "$DR" '[{"match":"upload-chunk","nth":1,"action":"reset","bytes":300000}]' >/dev/null
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-524287/700000' --data-binary @"$W/c12"
C1=$RC
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault reset at 300000 bytes: Drive keeps the whole 256 KiB units that arrived (Range bytes=0-262143)" \
	test "$C1" -ne 0 -a "$CODE" = 308 -a "$(hdr range)" = "bytes=0-262143"
new_drive_session 700000 faulty.pdf

faults "$DR" '[{"match":"upload-chunk","nth":1,"action":"partial","bytes":100000}]' >/dev/null
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "fault partial: 308 with Range covering only the 100000 stored bytes" test "$CODE" = 308 -a "$(hdr range)" = "bytes=0-99999"

faults "$DR" '[{"match":"any","nth":1,"action":"401"}]' >/dev/null
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
C1=$CODE
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault 401: one request refused as with an expired token, the next one passes" test "$C1" = 401 -a "$CODE" = 308

# resend from the stored offset: Google accepts a chunk that starts at or
# before the stored end (here 0-262143 again, overlapping the 100000 bytes)
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 0-262143/700000' --data-binary @"$W/c1"
ok "drive: resending a chunk from offset 0 after a partial store is accepted" test "$CODE" = 308 -a "$(hdr range)" = "bytes=0-262143"
curl -s -X POST "$DR/__fake/stats/reset" -o /dev/null
faults "$DR" '[{"match":"finish","nth":1,"action":"drop-response"}]' >/dev/null
head -c 524288 "$W/f700k" | tail -c 262144 >"$W/c2b"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 262144-524287/700000' --data-binary @"$W/c2b"
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes 524288-699999/700000' --data-binary @"$W/c3"
ok "fault drop-response: the final chunk gets no answer" test "$RC" -ne 0 -a "$CODE" = 000
req -X PUT "$SESSION" -H "$AUTH" -H 'Content-Range: bytes */700000'
ok "fault drop-response: yet the upload completed (status query: 200 + File)" test "$CODE" = 200
curl -s "$DR/__fake/stats" -o "$W/stats"
ok "fault drop-response: /__fake/stats counts exactly one completed upload" test "$(jget "$W/stats" j.completed_uploads)" = 1
curl -s "$DR/__fake/files" -o "$W/files"
ok "drive: /__fake/files lists the sha256 of what is stored" \
	test "$(jget "$W/files" 'j.find(f => f.name === "faulty.pdf").sha256')" = "$(sha256sum <"$W/f700k" | cut -c1-64)"
faults "$DR" '[{"match":"create-session","nth":1,"action":"403-rate"},{"match":"create-session","nth":2,"action":"quota"}]' >/dev/null
new_drive_session 10 r.pdf
C1=$CODE
R1=$(jget "$W/b" 'j.error.errors[0].reason')
new_drive_session 10 r.pdf
ok "faults 403-rate and quota (drive): 403 userRateLimitExceeded, then 403 storageQuotaExceeded" \
	test "$C1/$R1" = "403/userRateLimitExceeded" -a "$CODE/$(jget "$W/b" 'j.error.errors[0].reason')" = "403/storageQuotaExceeded"
ok "fault rules reject nonsense with 400" test "$(faults "$DR" '[{"match":"upload-chunk","action":"explode","nth":1}]')" = 400

# ---------------------------------------------------------------- Graph
start_fake graph --port 0 --store "$W/graph" --tokens "$W/tokens" || exit 1
GB=http://127.0.0.1:$PORT
GR=$GB/v1.0
head -c 327680 "$W/f700k" >"$W/g1"
head -c 655360 "$W/f700k" | tail -c 327680 >"$W/g2"
tail -c +655361 "$W/f700k" >"$W/g3"

new_graph_session() { # NAME BEHAVIOUR -> UPLOAD
	req -X POST "$GR/me/drive/special/approot:/$1:/createUploadSession" -H "$AUTH" -H "$JSON" \
		-d "{\"item\":{\"@microsoft.graph.conflictBehavior\":\"$2\"}}"
	UPLOAD=$(jget "$W/b" j.uploadUrl)
}

new_graph_session scan.pdf rename
ok "graph: createUploadSession answers 200 with uploadUrl and expirationDateTime" \
	test "$CODE" = 200 -a -n "$UPLOAD" -a -n "$(jget "$W/b" j.expirationDateTime)"
req -X PUT "$UPLOAD" -H "$AUTH" -H 'Content-Range: bytes 0-327679/700000' --data-binary @"$W/g1"
ok "graph: a PUT to the pre-authenticated uploadUrl with Authorization is 401" test "$CODE" = 401
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 0-327679/700000' --data-binary @"$W/g1"
ok "graph: a 320 KiB fragment answers 202 with nextExpectedRanges [\"327680-\"]" \
	test "$CODE" = 202 -a "$(jget "$W/b" 'j.nextExpectedRanges.join()')" = "327680-"
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 0-327679/700000' --data-binary @"$W/g1"
ok "graph: an overlapping fragment is 416 invalidRange / fragmentOverlap" \
	test "$CODE" = 416 -a "$(jget "$W/b" 'j.error.code + "/" + j.error.innerError.code')" = "invalidRange/fragmentOverlap"
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 655360-699999/700000' --data-binary @"$W/g3"
ok "graph: a fragment out of order is 416 fragmentOutOfOrder" \
	test "$CODE" = 416 -a "$(jget "$W/b" j.error.innerError.code)" = fragmentOutOfOrder
head -c 100000 "$W/g2" >"$W/g2s"
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 327680-427679/700000' --data-binary @"$W/g2s"
ok "graph: a non-final fragment that is not a multiple of 320 KiB is refused (400)" test "$CODE" = 400
faults "$GB" '[{"match":"upload-chunk","nth":1,"action":"partial","bytes":1000}]' >/dev/null
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 327680-655359/700000' --data-binary @"$W/g2"
ok "fault partial (graph): 202 with nextExpectedRanges after the 1000 stored bytes" \
	test "$CODE" = 202 -a "$(jget "$W/b" 'j.nextExpectedRanges.join()')" = "328680-"
req "$UPLOAD"
ok "graph: GET uploadUrl reports the status (nextExpectedRanges)" \
	test "$CODE" = 200 -a "$(jget "$W/b" 'j.nextExpectedRanges.join()')" = "328680-"
# restart from the server's offset: that is a fragment of 326680 bytes, not
# a multiple of 320 KiB -- so resend the rest in one final fragment
tail -c +328681 "$W/f700k" >"$W/g23"
faults "$GB" '[{"match":"upload-chunk","nth":1,"action":"reset","bytes":5000}]' >/dev/null
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 328680-699999/700000' --data-binary @"$W/g23"
C1=$RC
req "$UPLOAD"
ok "fault reset (graph): the cut fragment is discarded entirely" \
	test "$C1" -ne 0 -a "$(jget "$W/b" 'j.nextExpectedRanges.join()')" = "328680-"
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 328680-699999/700000' --data-binary @"$W/g23"
ok "graph: the last fragment answers 201 with the driveItem (id, name, size, file, parentReference)" \
	test "$CODE" = 201 -a "$(jget "$W/b" 'j.name + ":" + j.size + ":" + (!!j.file) + ":" + j.parentReference.id.length')" = "scan.pdf:700000:true:35"
ok "graph: the stored file is byte-identical" cmp -s "$W/f700k" "$W/graph/scan.pdf"
req "$UPLOAD"
ok "graph: the uploadUrl is 404 once the upload is complete" test "$CODE" = 404

new_graph_session scan.pdf rename
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 0-699999/700000' --data-binary @"$W/f700k"
ok "graph: conflictBehavior rename stores the second one as \"scan 1.pdf\"" \
	test "$CODE" = 201 -a "$(jget "$W/b" j.name)" = "scan 1.pdf" -a -f "$W/graph/scan 1.pdf"
new_graph_session scan.pdf fail
ok "graph: conflictBehavior fail on an existing name is 409 nameAlreadyExists" \
	test "$CODE" = 409 -a "$(jget "$W/b" j.error.code)" = nameAlreadyExists
req "$GR/me/drive/special/approot:/scan%201.pdf" -H "$AUTH"
C1=$CODE
req "$GR/me/drive/special/approot:/none.pdf" -H "$AUTH"
ok "graph: GET approot:/name finds the item (200) or not (404 itemNotFound)" \
	test "$C1" = 200 -a "$CODE" = 404 -a "$(jget "$W/b" j.error.code)" = itemNotFound
new_graph_session cancel.pdf replace
req -X DELETE "$UPLOAD"
C1=$CODE
req "$UPLOAD"
ok "graph: DELETE uploadUrl cancels (204, then 404)" test "$C1" = 204 -a "$CODE" = 404
faults "$GB" '[{"match":"create-session","nth":1,"action":"429","retry_after":3}]' >/dev/null
new_graph_session t.pdf rename
ok "fault 429 (graph): Retry-After: 3 and error code activityLimitReached" \
	test "$CODE" = 429 -a "$(hdr retry-after)" = 3 -a "$(jget "$W/b" j.error.code)" = activityLimitReached
faults "$GB" '[{"match":"finish","nth":1,"action":"quota"}]' >/dev/null
new_graph_session q.pdf rename
req -X PUT "$UPLOAD" -H 'Content-Range: bytes 0-699999/700000' --data-binary @"$W/f700k"
ok "fault quota (graph): 507 quotaLimitReached on the last fragment" test "$CODE" = 507 -a "$(jget "$W/b" j.error.code)" = quotaLimitReached
ok "graph: a Drive-only fault action (403-rate) is refused" test "$(faults "$GB" '[{"match":"any","nth":1,"action":"403-rate"}]')" = 400

# twenty uploads of one name at once: twenty files, none overwritten
graph_same_name() {
	local u
	u=$(curl -s -X POST "$GR/me/drive/special/approot:/same.pdf:/createUploadSession" -H "$AUTH" -H "$JSON" \
		-d '{"item":{"@microsoft.graph.conflictBehavior":"rename"}}' | sed -n 's/.*"uploadUrl":"\([^"]*\)".*/\1/p')
	curl -s -o /dev/null -w '%{http_code}\n' -X PUT "$u" -H 'Content-Range: bytes 0-699999/700000' --data-binary @"$W/f700k"
}
JOBS=()
for i in $(seq 1 20); do graph_same_name >"$W/par.$i" & JOBS+=($!); done
wait "${JOBS[@]}"
SAME_OK=$(cat "$W"/par.* | grep -c '^201$')
SAME_FILES=$(find "$W/graph" -maxdepth 1 -name 'same*.pdf' -exec cmp -s "$W/f700k" {} \; -print | wc -l)
ok "graph: 20 concurrent uploads to one name with rename: 20 distinct, whole files ($SAME_OK x 201, $SAME_FILES files)" \
	test "$SAME_OK" = 20 -a "$SAME_FILES" = 20

# ---------------------------------------------------------------- Dropbox
echo '[{"match":"create-session","nth":2,"action":"503"}]' >"$W/dbx-faults.json"
start_fake dropbox --port 0 --store "$W/dropbox" --tokens "$W/tokens" --faults "$W/dbx-faults.json" || exit 1
DBB=http://127.0.0.1:$PORT
DB=$DBB/2
OCT='Content-Type: application/octet-stream'
head -c 4194304 "$W/f9m" >"$W/d1"
head -c 8388608 "$W/f9m" | tail -c 4194304 >"$W/d2"
tail -c +8388609 "$W/f9m" >"$W/d3"

req -X POST "$DB/files/upload_session/start" -H "$AUTH" -H "$OCT" -H 'Dropbox-API-Arg: {"close":false}' --data-binary @"$W/d1"
SID=$(jget "$W/b" j.session_id)
ok "dropbox: upload_session/start with data answers a session_id" test "$CODE" = 200 -a -n "$SID"
req -X POST "$DB/files/upload_session/start" -H "$AUTH" -H "$OCT" -H 'Dropbox-API-Arg: {}' --data-binary 'abc'
ok "--faults FILE: the second start answers 503" test "$CODE" = 503
req -X POST "$DB/files/upload_session/append_v2" -H "$AUTH" -H "$OCT" \
	-H "Dropbox-API-Arg: {\"cursor\":{\"session_id\":\"$SID\",\"offset\":0}}" --data-binary @"$W/d2"
ok "dropbox: a wrong offset is 409 incorrect_offset with correct_offset 4194304" \
	test "$CODE" = 409 -a "$(jget "$W/b" 'j.error[".tag"] + ":" + j.error.correct_offset + ":" + j.error_summary')" = "incorrect_offset:4194304:incorrect_offset/.."
faults "$DBB" '[{"match":"upload-chunk","nth":1,"action":"drop-response"}]' >/dev/null
req -X POST "$DB/files/upload_session/append_v2" -H "$AUTH" -H "$OCT" \
	-H "Dropbox-API-Arg: {\"cursor\":{\"session_id\":\"$SID\",\"offset\":4194304}}" --data-binary @"$W/d2"
C1=$RC
req -X POST "$DB/files/upload_session/append_v2" -H "$AUTH" -H "$OCT" \
	-H "Dropbox-API-Arg: {\"cursor\":{\"session_id\":\"$SID\",\"offset\":4194304}}" --data-binary @"$W/d2"
ok "fault drop-response (dropbox): the append was stored though unanswered; the retry learns correct_offset 8388608" \
	test "$C1" -ne 0 -a "$CODE" = 409 -a "$(jget "$W/b" j.error.correct_offset)" = 8388608
req -X POST "$DB/files/upload_session/append_v2" -H "$AUTH" \
	-H "Dropbox-API-Arg: {\"cursor\":{\"session_id\":\"$SID\",\"offset\":8388608}}" --data-binary @"$W/d3"
ok "dropbox: a content call without Content-Type application/octet-stream is 400 (text)" test "$CODE" = 400
req -X POST "$DB/files/upload_session/append_v2" -H "$AUTH" -H "$OCT" -H 'Content-Length: 157286401' \
	-H "Dropbox-API-Arg: {\"cursor\":{\"session_id\":\"$SID\",\"offset\":8388608}}" --data-binary 'x'
ok "dropbox: a request over 150 MiB is 409 payload_too_large" \
	test "$CODE" = 409 -a "$(jget "$W/b" 'j.error[".tag"]')" = payload_too_large
faults "$DBB" '[{"match":"finish","nth":1,"action":"429","retry_after":2}]' >/dev/null
FIN_ARG="{\"cursor\":{\"session_id\":\"$SID\",\"offset\":8388608},\"commit\":{\"path\":\"/Scans/scan.pdf\",\"mode\":\"add\",\"autorename\":true}}"
req -X POST "$DB/files/upload_session/finish" -H "$AUTH" -H "$OCT" -H "Dropbox-API-Arg: $FIN_ARG" --data-binary @"$W/d3"
ok "fault 429 (dropbox): Retry-After header and JSON retry_after" \
	test "$CODE" = 429 -a "$(hdr retry-after)" = 2 -a "$(jget "$W/b" 'j.error.retry_after + ":" + j.error.reason[".tag"]')" = "2:too_many_requests"
req -X POST "$DB/files/upload_session/finish" -H "$AUTH" -H "$OCT" -H "Dropbox-API-Arg: $FIN_ARG" --data-binary @"$W/d3"
ok "dropbox: finish commits the file with its metadata" \
	test "$CODE" = 200 -a "$(jget "$W/b" 'j.path_display + ":" + j.size + ":" + j.id.slice(0, 3)')" = "/Scans/scan.pdf:9000000:id:"
ok "dropbox: content_hash is SHA-256 over the SHA-256 of each 4 MiB block" \
	test "$(jget "$W/b" j.content_hash)" = "$(dropbox_hash "$W/f9m")"
ok "dropbox: the stored file is byte-identical" cmp -s "$W/f9m" "$W/dropbox/Scans/scan.pdf"
req -X POST "$DB/files/upload_session/finish" -H "$AUTH" -H "$OCT" -H "Dropbox-API-Arg: $FIN_ARG" --data-binary @"$W/d3"
ok "dropbox: finishing a finished session is 409 lookup_failed/not_found" \
	test "$CODE" = 409 -a "$(jget "$W/b" j.error_summary)" = "lookup_failed/not_found/.."
req -X POST "$DB/files/upload" -H "$AUTH" -H "$OCT" -H 'Dropbox-API-Arg: {"path":"/Scans/scan.pdf","mode":"add","autorename":true}' --data-binary 'abc'
ok "dropbox: autorename stores \"scan (1).pdf\"" test "$CODE" = 200 -a "$(jget "$W/b" j.name)" = "scan (1).pdf"
JOBS=()
for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST "$DB/files/upload" -H "$AUTH" -H "$OCT" \
		-H 'Dropbox-API-Arg: {"path":"/par/same.pdf","mode":"add","autorename":true}' --data-binary @"$W/f700k" >"$W/dpar.$i" &
	JOBS+=($!)
done
wait "${JOBS[@]}"
SAME_OK=$(cat "$W"/dpar.* | grep -c '^200$')
SAME_FILES=$(find "$W/dropbox/par" -maxdepth 1 -name 'same*.pdf' -exec cmp -s "$W/f700k" {} \; -print | wc -l)
ok "dropbox: 20 concurrent uploads to one path with autorename: 20 distinct, whole files ($SAME_OK x 200, $SAME_FILES files)" \
	test "$SAME_OK" = 20 -a "$SAME_FILES" = 20
req -X POST "$DB/files/upload" -H "$AUTH" -H "$OCT" -H 'Dropbox-API-Arg: {"path":"/Scans/scan.pdf","mode":"add","autorename":false}' --data-binary 'abc'
ok "dropbox: add without autorename on a taken name is 409 path/conflict/file" \
	test "$CODE" = 409 -a "$(jget "$W/b" j.error_summary)" = "path/conflict/file/.."
req -X POST "$DB/files/get_metadata" -H "$AUTH" -H 'Content-Type: application/json' -d '{"path":"/scans/SCAN.pdf"}'
C1=$CODE
T1=$(jget "$W/b" 'j[".tag"] + ":" + j.size')
req -X POST "$DB/files/get_metadata" -H "$AUTH" -H 'Content-Type: application/json' -d '{"path":"/Scans/none.pdf"}'
ok "dropbox: get_metadata finds the file case-insensitively, else 409 path/not_found" \
	test "$C1" = 200 -a "$T1" = "file:9000000" -a "$CODE" = 409 -a "$(jget "$W/b" j.error_summary)" = "path/not_found/.."
faults "$DBB" '[{"match":"finish","nth":1,"action":"quota"}]' >/dev/null
req -X POST "$DB/files/upload" -H "$AUTH" -H "$OCT" -H 'Dropbox-API-Arg: {"path":"/q.pdf","mode":"add","autorename":true}' --data-binary 'abc'
ok "fault quota (dropbox): 409 path/insufficient_space" test "$CODE" = 409 -a "$(jget "$W/b" j.error_summary)" = "path/insufficient_space/.."
req -X POST "$DB/files/get_metadata" -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' -d '{"path":"/x"}'
ok "dropbox: a bad token is 401 invalid_access_token" \
	test "$CODE" = 401 -a "$(jget "$W/b" 'j.error[".tag"]')" = invalid_access_token

# ------------------------------------------------------------ Nextcloud
printf 'svc app-pw\n' >"$W/nc-passwords"
mkdir -p "$W/nextcloud/svc/scans"
start_fake nextcloud --port 0 --store "$W/nextcloud" --tokens "$W/nc-passwords" || exit 1
NC=http://127.0.0.1:$PORT
NCA=(-u svc:app-pw)
UP=$NC/remote.php/dav/uploads/svc/up1
NCDEST="Destination: $NC/remote.php/dav/files/svc/scans/big.bin"
head -c 5242880 /dev/urandom >"$W/nc1"
head -c 5000000 /dev/urandom >"$W/nc-small"
head -c 1000 /dev/urandom >"$W/nc2"
req -X MKCOL "$UP"
ok "nextcloud: no credentials is 401 with WWW-Authenticate Basic" test "$CODE" = 401 -a "$(hdr WWW-Authenticate | cut -c1-5)" = Basic
req "${NCA[@]}" -X MKCOL "$UP" -H "$NCDEST"
C1=$CODE
req "${NCA[@]}" -X PUT "$UP/00001" --data-binary @"$W/nc1" -H 'OC-Total-Length: 5243880'
ok "nextcloud: MKCOL of an upload is 201; a chunk without Destination is 400" test "$C1" = 201 -a "$CODE" = 400
req "${NCA[@]}" -X PUT "$UP/10001" --data-binary @"$W/nc2" -H "$NCDEST"
ok "nextcloud: a chunk named 10001 is 400" test "$CODE" = 400
req "${NCA[@]}" -X PUT "$UP/00001" --data-binary @"$W/nc-small" -H "$NCDEST"
C1=$CODE
req "${NCA[@]}" -X PUT "$UP/00002" --data-binary @"$W/nc2" -H "$NCDEST"
req "${NCA[@]}" -X MOVE "$UP/.file" -H "$NCDEST" -H 'OC-Total-Length: 5001000'
ok "nextcloud: chunks are 201; MOVE .file with a small (5000000 B) chunk that is not last is 400" test "$C1" = 201 -a "$CODE" = 400
req "${NCA[@]}" -X PUT "$UP/00001" --data-binary @"$W/nc1" -H "$NCDEST" -H 'OC-Total-Length: 5243880'
C1=$CODE
req "${NCA[@]}" -X PROPFIND "$UP" -H "$NCDEST" -H 'Depth: 1'
ok "nextcloud: re-PUT of a chunk is 204; PROPFIND Depth 1 lists both chunks with sizes (207)" \
	test "$C1" = 204 -a "$CODE" = 207 -a "$(grep -o '<d:getcontentlength>[0-9]*' "$W/b" | cut -d'>' -f2 | tr '\n' ,)" = "5242880,1000,"
req "${NCA[@]}" -X MOVE "$UP/.file" -H "$NCDEST" -H 'OC-Total-Length: 5243881'
ok "nextcloud: MOVE .file with a wrong OC-Total-Length is 400" test "$CODE" = 400
req "${NCA[@]}" -X MOVE "$UP/.file" -H "$NCDEST" -H 'OC-Total-Length: 5243880'
C1=$CODE
cat "$W/nc1" "$W/nc2" >"$W/nc-all"
ok "nextcloud: MOVE .file assembles in name order: 201, byte-identical" test "$C1" = 201 && cmp -s "$W/nc-all" "$W/nextcloud/svc/scans/big.bin"
req "${NCA[@]}" -X PROPFIND "$UP" -H "$NCDEST" -H 'Depth: 1'
ok "nextcloud: the upload folder is gone after assembly (404)" test "$CODE" = 404
req "${NCA[@]}" -X MKCOL "$NC/remote.php/dav/uploads/svc/up2" -H "$NCDEST"
req "${NCA[@]}" -X PUT "$NC/remote.php/dav/uploads/svc/up2/1" --data-binary @"$W/nc2" -H "$NCDEST"
req "${NCA[@]}" -X MOVE "$NC/remote.php/dav/uploads/svc/up2/.file" -H "$NCDEST" -H 'OC-Total-Length: 1000'
ok "nextcloud: assembling over an existing file is 204" test "$CODE" = 204 && cmp -s "$W/nc2" "$W/nextcloud/svc/scans/big.bin"
req "${NCA[@]}" -X MKCOL "$NC/remote.php/dav/uploads/svc/up3" -H "$NCDEST"
req "${NCA[@]}" -X DELETE "$NC/remote.php/dav/uploads/svc/up3" -H "$NCDEST"
C1=$CODE
req "${NCA[@]}" -X PROPFIND "$NC/remote.php/dav/uploads/svc/up3" -H "$NCDEST" -H 'Depth: 1'
ok "nextcloud: DELETE of an upload folder is 204, then 404" test "$C1" = 204 -a "$CODE" = 404
req "${NCA[@]}" -X MKCOL "$NC/remote.php/dav/files/svc/a/b"
C1=$CODE
req "${NCA[@]}" -X MKCOL "$NC/remote.php/dav/files/svc/a"
C2=$CODE
req "${NCA[@]}" -X PUT "$NC/remote.php/dav/files/svc/a/t.bin" --data-binary @"$W/nc2"
C3=$CODE
req "${NCA[@]}" -X MOVE "$NC/remote.php/dav/files/svc/a/t.bin" -H "Destination: $NC/remote.php/dav/files/svc/scans/big.bin" -H 'Overwrite: F'
ok "nextcloud files: MKCOL 409 without parent, 201; PUT 201; MOVE onto a file with Overwrite F is 412" \
	test "$C1$C2$C3$CODE" = 409201201412
req "${NCA[@]}" -I "$NC/remote.php/dav/files/svc/a/t.bin"
ok "nextcloud files: HEAD gives Content-Length" test "$CODE" = 200 -a "$(hdr Content-Length)" = 1000
test "$(faults "$NC" '[{"match":"upload-chunk","nth":1,"action":"503","retry_after":30}]')" = 200
req "${NCA[@]}" -X MKCOL "$NC/remote.php/dav/uploads/svc/up4" -H "$NCDEST"
req "${NCA[@]}" -X PUT "$NC/remote.php/dav/uploads/svc/up4/1" --data-binary @"$W/nc2" -H "$NCDEST"
ok "fault 503 (nextcloud): Retry-After and a Sabre XML error" test "$CODE" = 503 -a "$(hdr Retry-After)" = 30 && grep -q 'ServiceUnavailable' "$W/b"
test "$(faults "$NC" '[{"match":"upload-chunk","nth":1,"action":"reset","bytes":100000}]')" = 200
req "${NCA[@]}" -X PUT "$NC/remote.php/dav/uploads/svc/up4/1" --data-binary @"$W/nc1" -H "$NCDEST"
C1=$RC
req "${NCA[@]}" -X PROPFIND "$NC/remote.php/dav/uploads/svc/up4" -H "$NCDEST" -H 'Depth: 1'
ok "fault reset (nextcloud): the chunk PUT dies and nothing of it is stored" test "$C1" -ne 0 -a "$CODE" = 207 && ! grep -q getcontentlength "$W/b"
test "$(faults "$NC" '[{"match":"finish","nth":1,"action":"drop-response"}]')" = 200
req "${NCA[@]}" -X PUT "$NC/remote.php/dav/uploads/svc/up4/1" --data-binary @"$W/nc2" -H "$NCDEST"
req "${NCA[@]}" -X MOVE "$NC/remote.php/dav/uploads/svc/up4/.file" -H "Destination: $NC/remote.php/dav/files/svc/scans/dropped.bin" -H 'OC-Total-Length: 1000'
C1=$RC
ok "fault drop-response (nextcloud): MOVE .file assembles, the answer is lost" test "$C1" -ne 0 && cmp -s "$W/nc2" "$W/nextcloud/svc/scans/dropped.bin"
ok "nextcloud: the partial fault is refused (Nextcloud keeps no part of a chunk)" \
	test "$(faults "$NC" '[{"match":"upload-chunk","nth":1,"action":"partial","bytes":1}]')" = 400

# ------------------------------------------------- introspection and TLS
cat >"$W/introspect.js" <<'EOF'
// a minimal RFC 7662 endpoint: "itok" is active for client "c1"
require('http').createServer((req, res) => {
	let b = '';
	req.on('data', (d) => { b += d; });
	req.on('end', () => {
		const ok = req.headers.authorization === 'Basic ' + Buffer.from('rs:secret').toString('base64');
		const active = ok && new URLSearchParams(b).get('token') === 'itok';
		res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(active ? { active: true, client_id: 'c1' } : { active: false }));
	});
}).listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });
EOF
: >"$W/introspect.out"
node "$W/introspect.js" >"$W/introspect.out" &
PIDS+=($!)
for i in $(seq 1 100); do IP=$(awk '/^listening /{print $2}' "$W/introspect.out"); [ -n "$IP" ] && break; sleep 0.05; done
start_fake drive --port 0 --store "$W/drive2" --introspect "http://127.0.0.1:$IP/introspect" --introspect-client rs:secret || exit 1
req "http://127.0.0.1:$PORT/drive/v3/files" -H 'Authorization: Bearer itok'
C1=$CODE
req "http://127.0.0.1:$PORT/drive/v3/files" -H 'Authorization: Bearer other'
ok "introspection: an active token passes, an inactive one is 401" test "$C1" = 200 -a "$CODE" = 401

if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
	start_fake graph --port 0 --store "$W/graph2" --tokens "$W/tokens" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" || exit 1
	req --cacert "$W/cert.pem" -X POST "https://127.0.0.1:$PORT/v1.0/me/drive/special/approot:/t.pdf:/createUploadSession" -H "$AUTH"
	ok "TLS: the fake serves HTTPS and hands out https upload URLs" test "$CODE" = 200 -a "$(jget "$W/b" 'j.uploadUrl.slice(0, 8)')" = "https://"
	start_fake dropbox --port 0 --store "$W/dropbox2" --tokens "$W/tokens" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" --tls-version TLSv1.1 || exit 1
	PROTO=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' 2>/dev/null | awk '/^ *Protocol *:/ { print $3 }')
	ok "TLS: --tls-version TLSv1.1 presents an outdated server (negotiated: ${PROTO:-none})" test "$PROTO" = TLSv1.1
else
	N=$((N + 2))
	echo "ok $((N - 1)) - TLS # SKIP openssl not installed"
	echo "ok $N - TLS 1.1 # SKIP openssl not installed"
fi

[ "$FAILED" -eq 0 ]
