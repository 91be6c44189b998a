#!/usr/bin/env bash
# t-s3-moto.sh - the s3 provider against moto's S3 server (moto_server),
# which, unlike s3rver, has ListParts and honours If-None-Match on
# CompleteMultipartUpload:
#  - a multipart upload killed with -9 and resumed from what ListParts
#    reports (the checkpoint's part list is wiped first, so only the
#    server can say which parts it holds): the held parts are not sent
#    again, one byte-identical object, the job run again finds it;
#  - another writer takes the key between CreateMultipartUpload and
#    Complete (upload-driver --on-state): Complete with If-None-Match: *
#    is refused (412), the other object is left alone, and the next run
#    delivers under name-1; with if_none_match = no the same race
#    overwrites it (the control that shows the header is what protects);
#  - the daemon's "abandon" run for a job given up aborts its upload.
# moto is not packaged in Debian 12; the test skips where moto_server is
# missing (see doc/ARCHITECTURE.md). moto checks no signatures; SigV4 is
# checked against the AWS examples in tests/unit/test_upload.c.
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=s3
# not in Debian: found on PATH, or in the pyenv this machine image carries
# (CI may run with a PATH that does not include its shims)
MOTO=${CS_MOTO_SERVER:-$(command -v moto_server || true)}
[ -n "$MOTO" ] || [ ! -x "${HOME:-/root}/.pyenv/shims/moto_server" ] ||
	MOTO=${HOME:-/root}/.pyenv/shims/moto_server
[ -n "$MOTO" ] || { skip "moto_server not found (moto is not in Debian 12)"; exit 0; }
P=$(free_port)
start_bg "$UP_TMP/moto.log" "$MOTO" -H 127.0.0.1 -p "$P"
wait_port "$P"; ok $? "moto_server listens"
B=http://127.0.0.1:$P/scans

# s3c ARGS... - curl with SigV4 (moto wants a signed request, any key)
s3c() {
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user AK:SK "$@"
}
s3c -X PUT "$B" -o /dev/null -w '%{http_code}' | grep -q 200; ok $? "bucket created"
# part_puts KEY - UploadPart requests moto logged for a key so far
part_puts() {
	grep -c "PUT /scans/$1?partNumber=" "$UP_TMP/moto.log"
}

DOC=$UP_TMP/doc
make_doc "$DOC" 30
NPARTS=7   # 30 MiB + the marker line in 5 MiB parts
SET="{\"endpoint\":\"http://127.0.0.1:$P\",\"bucket\":\"scans\",\"access_key_id\":\"AK\",\"addressing\":\"path\",\"chunk_size\":\"5M\""
request "$UP_TMP/r1" "$SET}" '{"secret_key":"SK"}' "$DOC" scan.pdf job-1
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1" --kill-after 16000000
[ $? -eq 3 ]; ok $? "the uploader was killed after 16 MB"
ID=$(jq -r .upload_id "$UP_TMP/s1")
HELD=$(s3c "$B/alice/scan.pdf?uploadId=$ID" | grep -o '<PartNumber>' | wc -l)
[ "$HELD" -ge 3 ] && [ "$HELD" -lt $NPARTS ]; ok $? "ListParts: the store holds $HELD of $NPARTS parts"
# forget the checkpoint's parts: only ListParts can tell what is there
jq '.parts = 0 | .etags = []' "$UP_TMP/s1" >"$UP_TMP/s1.new" && mv "$UP_TMP/s1.new" "$UP_TMP/s1"
BEFORE=$(part_puts alice/scan.pdf)
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"
[ $? -eq 0 ] && [ "$(field earlier)" = false ]; ok $? "the rerun resumes and completes"
SENT=$(( $(part_puts alice/scan.pdf) - BEFORE ))
[ "$SENT" -eq $((NPARTS - HELD)) ]; ok $? "only the $((NPARTS - HELD)) missing parts were sent ($SENT)"
grep -q "GET /scans/alice/scan.pdf?max-parts=1000&part-number-marker=0&uploadId=" "$UP_TMP/moto.log"
ok $? "... after asking ListParts"
s3c "$B/alice/scan.pdf" -o "$UP_TMP/got1" && cmp -s "$DOC" "$UP_TMP/got1"; ok $? "the object is byte-identical"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"
[ $? -eq 0 ] && [ "$(field earlier)" = true ]; ok $? "the same job again: found delivered, nothing sent"
[ "$(s3c "$B?list-type=2&prefix=alice/" | grep -o '<Key>' | wc -l)" -eq 1 ]; ok $? "exactly one object"

# another writer takes the key while our parts go up
SMALL=$UP_TMP/small
make_doc "$SMALL" 6
echo "the other writer's object" >"$UP_TMP/other"
HOOK="[ -e $UP_TMP/hooked.\$(basename \$1) ] || { touch $UP_TMP/hooked.\$(basename \$1); curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user AK:SK -X PUT -H 'Content-Type: application/octet-stream' --data-binary @$UP_TMP/other $B/\$(jq -r .key \$1) -o /dev/null; }"
request "$UP_TMP/r2" "$SET}" '{"secret_key":"SK"}' "$SMALL" inm.pdf job-2
drive "$UP_TMP/r2" "$SMALL" "$UP_TMP/s2" --on-state "$HOOK"
[ $? -eq 1 ] && [ "$(field class)" = temporary ] && [ "$(field http_status)" = 412 ]
ok $? "Complete with If-None-Match on a key taken meanwhile: 412, temporary"
s3c "$B/alice/inm.pdf" -o "$UP_TMP/got2" && cmp -s "$UP_TMP/other" "$UP_TMP/got2"
ok $? "... the other writer's object is left alone"
drive "$UP_TMP/r2" "$SMALL" "$UP_TMP/s2"
[ $? -eq 0 ] && [ "$(field remote_id)" = alice/inm-1.pdf ]; ok $? "the next run delivers as alice/inm-1.pdf"
s3c "$B/alice/inm-1.pdf" -o "$UP_TMP/got3" && cmp -s "$SMALL" "$UP_TMP/got3"; ok $? "... byte-identical"

request "$UP_TMP/r3" "$SET,\"if_none_match\":\"no\"}" '{"secret_key":"SK"}' "$SMALL" ctl.pdf job-3
drive "$UP_TMP/r3" "$SMALL" "$UP_TMP/s3" --on-state "$HOOK"
s3c "$B/alice/ctl.pdf" -o "$UP_TMP/got4" && cmp -s "$SMALL" "$UP_TMP/got4"
ok $? "control: without If-None-Match the same race replaces the other writer's object"

# a job given up at its deadline: the daemon's "abandon" run (empty
# document, last state) aborts the multipart upload, freeing its parts
request "$UP_TMP/r5" "$SET}" '{"secret_key":"SK"}' "$DOC" given-up.pdf job-5
drive "$UP_TMP/r5" "$DOC" "$UP_TMP/s5" --kill-after 11000000
ID5=$(jq -r .upload_id "$UP_TMP/s5")
[ "$(s3c "$B/alice/given-up.pdf?uploadId=$ID5" -o /dev/null -w '%{http_code}')" = 200 ]
ok $? "killed mid-upload: the multipart upload is open"
: >"$UP_TMP/empty"
jq -c '.abandon = true | .job = "job-5-as-the-daemon-knows-it" | .name = "abandoned" | .size = 0 | .sha256 = ""' \
	"$UP_TMP/r5" >"$UP_TMP/r5a"
drive "$UP_TMP/r5a" "$UP_TMP/empty" "$UP_TMP/s5"
[ $? -eq 0 ] && field where | grep -q 'aborted'; ok $? "abandon: AbortMultipartUpload"
[ "$(s3c "$B/alice/given-up.pdf?uploadId=$ID5" -o /dev/null -w '%{http_code}')" = 404 ] &&
	! s3c "$B?uploads" | grep -q "$ID5"
ok $? "... the upload and its parts are gone, no object"
[ "$(s3c -I "$B/alice/given-up.pdf" -o /dev/null -w '%{http_code}')" = 404 ]; ok $? "... and no object was made"
