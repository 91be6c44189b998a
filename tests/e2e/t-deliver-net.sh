#!/usr/bin/env bash
# t-deliver-net.sh - delivery to a network destination through the whole
# daemon: cloudspoold filters the job, runs cloudspool-upload, and a real
# WebDAV server (`rclone serve webdav`) receives the file. Checked: the file
# arrives once and byte-identical; the audit trail says where; the daemon
# killed -9 in the middle of a large upload resumes from its sealed
# upload after a restart and still leaves exactly one whole file; the job
# record never holds a path or URL in clear; a
# permanent refusal shreds the job with the provider's reason; a server
# whose certificate does not verify is retried, then the job is shredded
# when its window closes; no plaintext marker reaches the spool or /tmp.
source "$(dirname "$0")/lib.sh"

command -v rclone >/dev/null || bail_out "rclone is not installed (setup.sh deps)"

# free_port - an unused loopback TCP port
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# start_rclone PORT DIR [ARGS...] - a WebDAV server; pid into RCLONE_PIDS
RCLONE_PIDS=()
start_rclone() {
	local port=$1 dir=$2
	shift 2
	rclone serve webdav "$dir" --addr "127.0.0.1:$port" --user svc \
		--pass "$DAV_PASSWORD" --dir-cache-time 0s "$@" \
		>>"$LOGS/rclone-$port.log" 2>&1 &
	RCLONE_PIDS+=("$!")
	wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}

# submit_to - user, action, submit arguments: RUN_OUT holds the job id
submit_to() {
	local user=$1 action=$2
	shift 2
	run_cmd as_user "$user" "$CLOUDSPOOL" -c "$CONF" submit -a "$action" "$@"
}

# net_config - the standard config plus WebDAV destinations and actions
net_config() {
	standard_config "$SPOOL" "$@"
	printf '\n[destination dav]\nprovider = webdav\nurl = http://127.0.0.1:%s/scans/%%u\n' "$PORT"
	printf 'user = svc\npassword_file = %s\n' "$WORK/dav.password"
	printf '\n[action dav]\ndestination = dav\nusers = cs_alice cs_bob\n'
	printf '\n[destination gone]\nprovider = webdav\nurl = http://127.0.0.1:%s/no-such-folder/%%u\n' "$PORT"
	printf 'user = svc\npassword_file = %s\n' "$WORK/dav.password"
	printf '\n[action gone]\ndestination = gone\nusers = cs_alice\n'
	printf '\n[destination badtls]\nprovider = webdav\nurl = https://127.0.0.1:%s/scans/%%u\n' "$TLS_PORT"
	printf 'user = svc\npassword_file = %s\n' "$WORK/dav.password"
	printf '\n[action badtls]\ndestination = badtls\nusers = cs_alice\n'
}

setup_test_root
# the WebDAV servers go with the test, whatever ends it
trap 'kill "${RCLONE_PIDS[@]}" 2>/dev/null; cleanup_test' EXIT
create_user cs_alice
create_user cs_bob
DAV_PASSWORD=pw-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
printf '%s\n' "$DAV_PASSWORD" >"$WORK/dav.password"
chown cloudspool "$WORK/dav.password"
chmod 0600 "$WORK/dav.password"
chmod 0711 "$WORK"
DAV=$WORK/dav
mkdir -p "$DAV/scans"
PORT=$(free_port)
TLS_PORT=$(free_port)
# A self-signed certificate: the uploader must refuse it.
certtool -p --key-type ecdsa --outfile "$WORK/self.key" 2>/dev/null
printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$WORK/self.tmpl"
certtool -s --load-privkey "$WORK/self.key" --template "$WORK/self.tmpl" \
	--outfile "$WORK/self.pem" 2>/dev/null
# 8 MiB/s: slow enough to kill the daemon in the middle of a 40 MiB upload
start_rclone "$PORT" "$DAV" --bwlimit 8M ||
	bail_out "rclone serve webdav did not start" "$(tail -n 5 "$LOGS/rclone-$PORT.log")"
start_rclone "$TLS_PORT" "$DAV" --cert "$WORK/self.pem" --key "$WORK/self.key" ||
	bail_out "rclone serve webdav (TLS) did not start"
ok "rclone serves WebDAV on loopback (plain and with a self-signed certificate)"

net_config authorization_hold=5s delivery_window=30s retry_initial=1s retry_max=2s | install_config "$CONF"
init_spool
ok_if "check-config accepts webdav destinations" "$CTL" -c "$CONF" check-config
start_daemon
wait_for_public_key || bail_out "no public key" "$(tail -n 20 "$LOGS/daemon.log")"

# 1. A small document arrives once, byte-identical, in the user's folder.
marker=$(new_marker)
doc=$(user_document cs_alice net.txt "$marker")
submit_to cs_alice dav "$doc"
id=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT$RUN_ERR" | head -n 1)
if wait_until 30 test -f "$DAV/scans/cs_alice/net.txt" && wait_until 30 job_gone "$id"; then
	ok "a document submitted to a WebDAV action is delivered"
else
	not_ok "a document submitted to a WebDAV action is delivered" \
		"$(run_diag)" "$(tail -n 20 "$LOGS/daemon.log")" "$(find "$DAV" | head)"
fi
ok_if "the delivered file is byte-identical" cmp -s "$doc" "$DAV/scans/cs_alice/net.txt"
where=$(jq -r --arg id "$id" 'select(.event == "delivered" and .job == $id) | .where' \
	"$(audit_log_file)" 2>/dev/null)
if [ "$(audit_count delivered "$id")" -eq 1 ] && grep -q 'net.txt' <<<"$where"; then
	ok "the audit trail has one delivered line saying where ($where)"
else
	not_ok "the audit trail has one delivered line saying where" "$where"
fi
ok_if "the audit trail has the upload start" audit_has "upload started" "$id"

# 2. kill -9 of the daemon in the middle of a 40 MiB upload (rclone takes
# 8 MiB/s, so it lasts about five seconds), then restart.
big=$WORK/big.bin
{ printf '%s\n' "$(new_marker)"; head -c $((40 * 1048576)) /dev/urandom; } >"$big"
chown cs_alice "$big"
submit_to cs_alice dav --name big.bin - <"$big"
bid=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT$RUN_ERR" | head -n 1)
# the uploader writes a hidden part file first, then moves it into place
part_is_growing() {
	local f
	f=$(find "$DAV/scans/cs_alice" -name '.cloudspool-*' -size +4M 2>/dev/null | head -n 1)
	[ -n "$f" ]
}
if wait_until 30 part_is_growing; then
	ok "a 40 MiB upload is under way (part file on the server)"
	kill_daemon_hard tree
	ok "the daemon and its uploader are killed -9 mid-upload"
	if [ -e "$DAV/scans/cs_alice/big.bin" ]; then
		not_ok "nothing is under the final name after the kill"
	else
		ok "nothing is under the final name after the kill"
	fi
	rec=$(cat "$SPOOL"/{active,deferred}/"$bid".state 2>/dev/null)
	if [ -n "$rec" ] && ! grep -q -e 'scans' -e 'cloudspool-' -e 'http' <<<"$rec"; then
		ok "the job record holds no path or URL in clear"
	else
		not_ok "the job record holds no path or URL in clear" "$rec"
	fi
	start_daemon
	if wait_until 60 test -f "$DAV/scans/cs_alice/big.bin" && wait_until 30 job_gone "$bid"; then
		ok "after the restart the upload completes"
	else
		not_ok "after the restart the upload completes" "$(tail -n 20 "$LOGS/daemon.log")"
	fi
	ok_if "... byte-identical" cmp -s "$big" "$DAV/scans/cs_alice/big.bin"
	n=$(find "$DAV/scans/cs_alice" -name 'big*' | wc -l)
	if [ "$n" -eq 1 ] && [ -z "$(find "$DAV" -name '.cloudspool-*')" ]; then
		ok "... exactly one copy, no partial file left"
	else
		not_ok "... exactly one copy, no partial file left" "$(find "$DAV" | head -n 20)"
	fi
	ok_if "the big job is recorded delivered once" test "$(audit_count delivered "$bid")" -eq 1
	# the server may still hold the killed PUT's lock (423): retried
	ok_if "... after more than one upload attempt" test "$(audit_count "upload started" "$bid")" -ge 2
else
	not_ok "a 40 MiB upload is under way (part file on the server)" "$(tail -n 20 "$LOGS/daemon.log")"
fi

# 3. A permanent refusal (the admin's folder is gone) shreds with a reason.
doc=$(user_document cs_alice gone.txt "$(new_marker)")
submit_to cs_alice gone "$doc"
gid=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT$RUN_ERR" | head -n 1)
if wait_until 30 job_gone "$gid"; then
	reason=$(jq -r --arg id "$gid" 'select(.event == "shredded" and .job == $id) | .reason' \
		"$(audit_log_file)")
	if grep -q '^undeliverable' <<<"$reason"; then
		ok "a permanent refusal shreds the job with the provider's reason ($reason)"
	else
		not_ok "a permanent refusal shreds the job with the provider's reason" "$reason"
	fi
else
	not_ok "a permanent refusal shreds the job" "$(tail -n 20 "$LOGS/daemon.log")"
fi
ok_if "... and an audit line says the delivery failed" audit_has "delivery failed" "$gid"

# 4. A certificate that does not verify: deferred with a TLS reason, then
# shredded when its window (5 s + 30 s here) closes; nothing arrives.
doc=$(user_document cs_alice tls.txt "$(new_marker)")
submit_to cs_alice badtls "$doc"
tid=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT$RUN_ERR" | head -n 1)
deferred_for_tls() {
	jq -r --arg id "$tid" 'select(.event == "deferred" and .job == $id) | .reason' \
		"$(audit_log_file)" 2>/dev/null | grep -qi -e tls -e certif
}
if wait_until 30 deferred_for_tls; then
	ok "a self-signed server certificate defers the job with a TLS reason"
else
	not_ok "a self-signed server certificate defers the job with a TLS reason" \
		"$(jq -c --arg id "$tid" 'select(.job == $id)' "$(audit_log_file)" | tail -n 3)"
fi
if wait_until 60 job_gone "$tid" &&
	audit_lines_mentioning "$tid" | jq -r 'select(.event == "shredded") | .reason' | grep -q expired; then
	ok "... retried until the window closed, then shredded as expired"
else
	not_ok "... retried until the window closed, then shredded as expired" \
		"$(audit_lines_mentioning "$tid" | tail -n 3)"
fi
ok_if "... and nothing arrived" test ! -e "$DAV/scans/cs_alice/tls.txt"

stop_daemon
check_audit_verifies
assert_no_markers
finish
