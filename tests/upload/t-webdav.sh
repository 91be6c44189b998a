#!/usr/bin/env bash
# t-webdav.sh - the webdav provider against rclone's WebDAV server, over
# plain HTTP (loopback) and over HTTPS with a test CA: a byte-identical
# delivery, no second file when a job is run again, a kill -9 in the middle
# of the upload then a resume, name collisions, a missing admin folder.
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=webdav
command -v rclone >/dev/null || { skip "rclone not installed"; exit 0; }
make_ca; ok $? "a test CA and server certificates (certtool)"

DAV=$UP_TMP/dav
mkdir -p "$DAV/scans"
printf pw >"$UP_TMP/pw"
P1=$(free_port)
P2=$(free_port)
# --dir-cache-time 0s: the tests look at the folder behind rclone's back
start_bg "$UP_TMP/rclone-http.log" rclone serve webdav "$DAV" --addr "127.0.0.1:$P1" \
	--user svc --pass pw --dir-cache-time 0s
start_bg "$UP_TMP/rclone-https.log" rclone serve webdav "$DAV" --addr "127.0.0.1:$P2" \
	--user svc --pass pw --dir-cache-time 0s --cert "$UP_TMP/srv.pem" --key "$UP_TMP/srv.key"
wait_port "$P1" && wait_port "$P2"; ok $? "rclone serves WebDAV over http and https"

DOC=$UP_TMP/doc
make_doc "$DOC" 30
HTTP="{\"url\":\"http://127.0.0.1:$P1/scans/%u\",\"user\":\"svc\"}"
HTTPS="{\"url\":\"https://127.0.0.1:$P2/scans/%u\",\"user\":\"svc\",\"ca_file\":\"$UP_TMP/ca.pem\"}"
SECRET='{"password":"pw"}'

# 1. plain PUT over http
request "$UP_TMP/r1" "$HTTP" "$SECRET" "$DOC" scan.pdf job-1
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "delivered over http"
[ "$(field earlier)" = false ]; ok $? "first delivery is not 'earlier'"
cmp -s "$DOC" "$DAV/scans/alice/scan.pdf"; ok $? "the delivered file is byte-identical (user folder created)"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "the same job run again reports done"
[ "$(field earlier)" = true ]; ok $? "... as found earlier"
[ "$(find "$DAV/scans/alice" -type f | wc -l)" -eq 1 ]; ok $? "... and leaves one file"

# 2. another job with the same name gets the next free name
request "$UP_TMP/r2" "$HTTP" "$SECRET" "$DOC" scan.pdf job-2
drive "$UP_TMP/r2" "$DOC" "$UP_TMP/s2" && [ "$(basename "$(field where)")" = scan-1.pdf ]
ok $? "a second job named scan.pdf becomes scan-1.pdf, nothing replaced"
cmp -s "$DOC" "$DAV/scans/alice/scan-1.pdf"; ok $? "... byte-identical"

# 3. kill -9 in the middle, then resume: one whole file, no temporary left
request "$UP_TMP/r3" "$HTTPS" "$SECRET" "$DOC" killed.pdf job-3
drive "$UP_TMP/r3" "$DOC" "$UP_TMP/s3" --kill-after 10000000
[ $? -eq 3 ]; ok $? "the uploader was killed after 10 MB (https)"
[ ! -e "$DAV/scans/alice/killed.pdf" ]; ok $? "nothing under the final name after the kill"
drive "$UP_TMP/r3" "$DOC" "$UP_TMP/s3"; ok $? "the rerun delivers"
cmp -s "$DOC" "$DAV/scans/alice/killed.pdf"; ok $? "... byte-identical"
[ -z "$(find "$DAV/scans/alice" -name '.cloudspool-*')" ]; ok $? "... and no temporary file remains"
[ "$(find "$DAV/scans/alice" -name 'killed*' | wc -l)" -eq 1 ]; ok $? "... exactly one copy"

# 4. kill after the MOVE's checkpoint: the rerun finds it delivered
request "$UP_TMP/r4" "$HTTP" "$SECRET" "$DOC" late.pdf job-4
SZ=$(stat -c %s "$DOC")
drive "$UP_TMP/r4" "$DOC" "$UP_TMP/s4" --kill-after "$SZ"
[ $? -eq 3 ] && [ "$(jq -r .phase "$UP_TMP/s4")" = move ]; ok $? "killed at the MOVE checkpoint"
drive "$UP_TMP/r4" "$DOC" "$UP_TMP/s4"; ok $? "the rerun completes"
[ "$(find "$DAV/scans/alice" -name 'late*' | wc -l)" -eq 1 ] && cmp -s "$DOC" "$DAV/scans/alice/late.pdf"
ok $? "... one byte-identical late.pdf"

# 5. failures: wrong password (auth), admin folder missing (permanent),
# https without the CA (TLS, temporary)
request "$UP_TMP/r5" "$HTTP" '{"password":"nope"}' "$DOC" x.pdf job-5
drive "$UP_TMP/r5" "$DOC" "$UP_TMP/s5"
[ $? -eq 1 ] && [ "$(field class)" = auth ] && [ "$(field http_status)" = 401 ]; ok $? "a wrong password is class auth (401)"
request "$UP_TMP/r6" "{\"url\":\"http://127.0.0.1:$P1/gone/%u\",\"user\":\"svc\"}" "$SECRET" "$DOC" x.pdf job-6
drive "$UP_TMP/r6" "$DOC" "$UP_TMP/s6"
[ $? -eq 1 ] && [ "$(field class)" = permanent ]; ok $? "a missing admin folder is permanent"
request "$UP_TMP/r7" "{\"url\":\"https://127.0.0.1:$P2/scans/%u\",\"user\":\"svc\"}" "$SECRET" "$DOC" x.pdf job-7
drive "$UP_TMP/r7" "$DOC" "$UP_TMP/s7"
[ $? -eq 1 ] && [ "$(field class)" = temporary ] && field reason | grep -q TLS; ok $? "an untrusted certificate is temporary, reason names TLS"
[ -z "$(find "$DAV" -name 'x.pdf')" ]; ok $? "... and nothing was written"
