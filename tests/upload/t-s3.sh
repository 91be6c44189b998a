#!/usr/bin/env bash
# t-s3.sh - the s3 provider against s3rver (npm, tests/upload/package.json):
# a 50 MB multipart upload
# killed with -9 in the middle and resumed, one object, byte-identical;
# the same job run again finds it delivered. (s3rver 3.7 accepts any
# signature and has no ListParts: SigV4 is checked against the AWS examples
# in tests/unit/test_upload.c; resume here uses the checkpointed ETags.)
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=s3
S3RVER=$UP_SRC/tests/upload/node_modules/.bin/s3rver
[ -x "$S3RVER" ] || { skip "s3rver not installed (./setup.sh deps runs npm ci in tests/upload)"; exit 0; }
P=$(free_port)
mkdir -p "$UP_TMP/s3"
start_bg "$UP_TMP/s3rver.log" "$S3RVER" -d "$UP_TMP/s3" -a 127.0.0.1 -p "$P" \
	--configure-bucket scans --no-vhost-buckets
wait_port "$P"; ok $? "s3rver listens"

DOC=$UP_TMP/doc
make_doc "$DOC" 50
SET="{\"endpoint\":\"http://127.0.0.1:$P\",\"bucket\":\"scans\",\"access_key_id\":\"S3RVER\",\"addressing\":\"path\",\"chunk_size\":\"8M\"}"
request "$UP_TMP/r1" "$SET" '{"secret_key":"S3RVER"}' "$DOC" scan.pdf job-1
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1" --kill-after 20000000
[ $? -eq 3 ]; ok $? "the uploader was killed after 20 MB"
[ "$(jq -r .upload_id "$UP_TMP/s1")" != null ] && [ "$(jq -r .parts "$UP_TMP/s1")" -ge 2 ]
ok $? "the checkpoint holds the upload id and the parts sent"
OBJ=$UP_TMP/s3/scans/alice/scan.pdf._S3rver_object
[ ! -e "$OBJ" ]; ok $? "no object exists after the kill"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "the rerun resumes and completes"
[ "$(field where)" = s3://scans/alice/scan.pdf ]; ok $? "... at s3://scans/alice/scan.pdf (key prefix %u/)"
cmp -s "$DOC" "$OBJ"; ok $? "... byte-identical"
PARTS=$(grep -c 'Stored part' "$UP_TMP/s3rver.log")
[ "$PARTS" -le 9 ]; ok $? "parts already stored were not sent again ($PARTS part PUTs for 7 parts)"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"
[ $? -eq 0 ] && [ "$(field earlier)" = true ]; ok $? "the same job again: found delivered, nothing sent"
[ "$(find "$UP_TMP/s3/scans" -name '*._S3rver_object' | wc -l)" -eq 1 ]; ok $? "exactly one object"
request "$UP_TMP/r2" "$SET" '{"secret_key":"S3RVER"}' "$DOC" scan.pdf job-2
drive "$UP_TMP/r2" "$DOC" "$UP_TMP/s2" && [ "$(field remote_id)" = alice/scan-1.pdf ]
ok $? "another job named scan.pdf becomes alice/scan-1.pdf"
