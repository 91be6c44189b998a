#!/usr/bin/env bash
# t-onedrive-consumer.sh - exactly once on consumer OneDrive, whose items
# report only file.hashes.quickXorHash (no sha256Hash): the Graph fake in
# --mode consumer. The answer to the last fragment is lost (the fake
# stores the file, then resets the connection): the uploader must
# recognise its file by size + quickXorHash (computed in C, compared with
# the fake's independent JavaScript one) and answer done/earlier with no
# second file, even when another file of the same name and size but other
# content sits in the app folder first (size alone would pick that one).
# An "abandon" run (the daemon giving a job up) deletes the session.
. "$(dirname "$0")/lib.sh"
need_built
FAKES=${CS_FAKES_DIR:-$UP_SRC/tests/fakes}
[ -f "$FAKES/graph.js" ] || { skip "no fakes in $FAKES (set CS_FAKES_DIR)"; exit 0; }
make_ca; ok $? "a test CA and a server certificate"
echo good-token >"$UP_TMP/tokens"
UP_PROVIDER=onedrive
node "$FAKES/quickxor.js" --self-test; ok $? "the fake's quickXorHash matches the published vectors"

PORT=$(free_port)
mkdir -p "$UP_TMP/store"
start_bg "$UP_TMP/graph.log" node "$FAKES/graph.js" --port "$PORT" --store "$UP_TMP/store" \
	--tokens "$UP_TMP/tokens" --tls-cert "$UP_TMP/srv.pem" --tls-key "$UP_TMP/srv.key" --mode consumer
wait_port "$PORT"; ok $? "the Graph fake (consumer mode) listens"
BASE=https://127.0.0.1:$PORT
SET="{\"api_url\":\"$BASE/v1.0\",\"client_id\":\"c\",\"chunk_size\":\"1280K\",\"ca_file\":\"$UP_TMP/ca.pem\"}"

ctl() {
	curl -sf --cacert "$UP_TMP/ca.pem" -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$BASE$2"
}
# count_sum SHA - stored files holding those bytes
count_sum() {
	ctl GET /__fake/files | jq "[.[] | select((.sha256 // \"\" | ascii_downcase) == \"$1\")] | length"
}

DOC=$UP_TMP/doc
make_doc "$DOC" 3
SUM=$(sha256sum "$DOC" | cut -d' ' -f1)
# a decoy of exactly the same size, other bytes, delivered first as scan.pdf
DECOY=$UP_TMP/decoy
head -c "$(stat -c %s "$DOC")" /dev/urandom >"$DECOY"
request "$UP_TMP/r0" "$SET" '{}' "$DECOY" scan.pdf job-decoy good-token
drive "$UP_TMP/r0" "$DECOY" "$UP_TMP/s0"; ok $? "a decoy of the same size is delivered as scan.pdf"
ITEM=$(curl -sf --cacert "$UP_TMP/ca.pem" -H 'Authorization: Bearer good-token' \
	"$BASE/v1.0/me/drive/special/approot:/scan.pdf")
[ "$(printf '%s' "$ITEM" | jq -r '.file.hashes.sha256Hash // "none"')" = none ] &&
	[ "$(printf '%s' "$ITEM" | jq -r '.file.hashes.quickXorHash')" = "$(node "$FAKES/quickxor.js" "$DECOY")" ]
ok $? "consumer mode: the item reports quickXorHash only"

ctl POST /__fake/faults '[{"match":"finish","nth":1,"action":"drop-response"}]' >/dev/null
request "$UP_TMP/r1" "$SET" '{}' "$DOC" scan.pdf job-1 good-token
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"
[ $? -eq 0 ] && [ "$(field earlier)" = true ]
ok $? "the last fragment's answer lost: the file is found (done, earlier)"
[ "$(field where)" = "OneDrive: Apps/<app>/scan 1.pdf" ]
ok $? "... as 'scan 1.pdf', not the decoy 'scan.pdf' of the same size ($(field where))"
[ "$(count_sum "$SUM")" -eq 1 ]; ok $? "exactly one file holds the document"
[ "$(ctl GET /__fake/stats | jq .completed_uploads)" -eq 2 ]; ok $? "two uploads completed in all (decoy + ours)"

# the job run again from its last checkpoint (the session is gone): found
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"
[ $? -eq 0 ] && [ "$(field earlier)" = true ] && [ "$(count_sum "$SUM")" -eq 1 ]
ok $? "the job run again from its checkpoint finds it, still one file"

# a job given up at its deadline: the daemon's "abandon" run (empty
# document, last state, no token) deletes the upload session
request "$UP_TMP/r2" "$SET" '{}' "$DOC" given-up.pdf job-2 good-token
drive "$UP_TMP/r2" "$DOC" "$UP_TMP/s2" --kill-after 1500000
SESS=$(jq -r .session "$UP_TMP/s2")
[ "$(curl -s --cacert "$UP_TMP/ca.pem" -o /dev/null -w '%{http_code}' "$SESS")" = 200 ]
ok $? "killed mid-upload: the upload session is open"
: >"$UP_TMP/empty"
jq -c '.abandon = true | .token = null | .name = "abandoned" | .size = 0 | .sha256 = ""' "$UP_TMP/r2" >"$UP_TMP/r2a"
drive "$UP_TMP/r2a" "$UP_TMP/empty" "$UP_TMP/s2"
[ $? -eq 0 ] && field where | grep -q 'session was deleted' &&
	[ "$(curl -s --cacert "$UP_TMP/ca.pem" -o /dev/null -w '%{http_code}' "$SESS")" = 404 ]
ok $? "abandon: the upload session is deleted (its uploadUrl now 404s)"
