#!/usr/bin/env bash
# t-deliver-abandon.sh - a job whose delivery window closes in the middle
# of a Nextcloud chunked upload (the fake answers every chunk 503): before
# the daemon shreds it, it runs the uploader once more with "abandon", and
# the job's upload folder is deleted from the server instead of being left
# there (Nextcloud would keep it, chunks and all, until its own clean-up).
# Checked: the upload folder existed while the job was retried; after the
# window it is gone, the job is shredded as expired, and the audit trail
# has "upload abandoning" and "upload abandoned" (result: deleted).
# (before lib.sh, which changes to /)
FAKE=$(cd "$(dirname "$0")/../fakes" && pwd)/nextcloud.js
source "$(dirname "$0")/lib.sh"

command -v node >/dev/null || bail_out "node is not installed (setup.sh deps)"

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

setup_test_root
FAKE_PID=
trap 'kill "$FAKE_PID" 2>/dev/null; cleanup_test' EXIT
create_user cs_alice
PASSWORD=pw-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" >"$WORK/nc.password"
chown cloudspool "$WORK/nc.password"
chmod 0600 "$WORK/nc.password"
chmod 0711 "$WORK"
printf 'svc %s\n' "$PASSWORD" >"$WORK/nc.logins"
mkdir -p "$WORK/nc/svc/scans"
PORT=$(free_port)
node "$FAKE" --port "$PORT" --store "$WORK/nc" --tokens "$WORK/nc.logins" >>"$LOGS/nextcloud.log" 2>&1 &
FAKE_PID=$!
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null ||
	bail_out "the Nextcloud fake did not start" "$(tail -n 5 "$LOGS/nextcloud.log")"
BASE=http://127.0.0.1:$PORT
# every chunk PUT is refused (503, Retry-After 1): the upload folder is
# made (MKCOL) and checkpointed, then the job is retried until its window
# closes
curl -sf -X POST -H 'Content-Type: application/json' \
	-d '[{"match":"upload-chunk","every":true,"action":"503","retry_after":1}]' \
	"$BASE/__fake/faults" >/dev/null || bail_out "cannot set the fake's faults"
ok "the Nextcloud fake listens and refuses every chunk"

{
	standard_config "$SPOOL" authorization_hold=2s delivery_window=14s retry_initial=1s retry_max=2s
	printf '\n[destination nc]\nprovider = webdav\nurl = %s/remote.php/dav/files/svc/scans/%%u\n' "$BASE"
	printf 'user = svc\npassword_file = %s\nchunked = nextcloud\nchunk_size = 5M\n' "$WORK/nc.password"
	printf '\n[action nc]\ndestination = nc\nusers = cs_alice\n'
} | install_config "$CONF"
init_spool
start_daemon
wait_for_public_key || bail_out "no public key" "$(tail -n 20 "$LOGS/daemon.log")"

doc=$WORK/doc.bin
{ printf '%s\n' "$(new_marker)"; head -c $((7 * 1048576)) /dev/urandom; } >"$doc"
chown cs_alice "$doc"
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a nc --name doc.bin - <"$doc"
id=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT$RUN_ERR" | head -n 1)
is_job_id "$id" || bail_out "no job id from submit" "$(run_diag)"

open_upload() {
	curl -sf "$BASE/__fake/uploads" | jq -e --arg u "cloudspool-$id" '[.open[] | select(.id == $u)] | length == 1' >/dev/null
}
if wait_until 20 open_upload; then
	ok "the job's upload folder exists while the job is retried"
else
	not_ok "the job's upload folder exists while the job is retried" \
		"$(curl -s "$BASE/__fake/uploads" | head -c 500)" "$(tail -n 20 "$LOGS/daemon.log")"
fi
if wait_until 40 job_gone "$id"; then
	ok "the job is shredded when its window closes"
else
	not_ok "the job is shredded when its window closes" "$(tail -n 20 "$LOGS/daemon.log")"
fi
if open_upload; then
	not_ok "... and its upload folder is gone from the server" "$(curl -s "$BASE/__fake/uploads" | head -c 500)"
else
	ok "... and its upload folder is gone from the server"
fi
reason=$(audit_lines_mentioning "$id" | jq -r 'select(.event == "shredded") | .reason')
ok_if "... shredded as expired ($reason)" grep -q '^expired' <<<"$reason"
ok_if "the audit trail says the upload was being abandoned" audit_has "upload abandoning" "$id"
result=$(audit_lines_mentioning "$id" | jq -r 'select(.event == "upload abandoned") | .result')
ok_if "... and that its data was deleted ($result)" grep -q 'deleted' <<<"$result"
ok_if "nothing arrived under the final name" test ! -e "$WORK/nc/svc/scans/cs_alice/doc.bin"

stop_daemon
check_audit_verifies
assert_no_markers
finish
