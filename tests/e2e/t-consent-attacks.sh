#!/usr/bin/env bash
# t-consent-attacks.sh - the consent attacks t-consent.sh leaves out
# (issue 6), with the same real peers on loopback: oidc-provider (HTTPS,
# PKCE required), smtp-server, chromium via playwright-core, the Drive
# fake checking bearer tokens by introspection, the installed cloudspoold,
# cloudspool-authd and cloudspool-upload.
#
#   1. code injection: cs_alice's authorization code presented at cs_bob's
#      callback state is refused (the token endpoint rejects bob's PKCE
#      verifier for alice's code): 400, audit consent-failed, nothing
#      stored for bob, bob's job still held, nothing delivered for bob.
#      Control: the same code at alice's own state works, so the refusal
#      above is the binding, not a dead code.
#   2. a tampered vault record (one byte of alice's record flipped): the
#      read fails (audited vault-read "authentication failed"), her job is
#      held, nothing delivered.
#   3. the token refresh (run by a cloudspool-upload child, never in the
#      daemon) against token endpoints with a self-signed certificate, a
#      certificate for another host, and TLS 1.1 only: refused by libcurl,
#      audited token-refresh-failed "TLS/certificate failure", the job is
#      deferred and retried (never delivered), the token record unchanged.
# Run as root under `flock /tmp/cs-e2e.lock` (installs users, binds ports).
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC_DIR/tests/e2e/lib.sh"

PEERS_DIR=$SRC_DIR/tests/consent
AUTHD=${CS_AUTHD:-$CS_SBINDIR/cloudspool-authd}
BUILD_DIR=${CS_BUILD_DIR:-$SRC_DIR/build}
VAULT_SEED=${CS_VAULT_SEED:-$BUILD_DIR/tests/e2e/vault-seed}
SHOTS=${CS_SHOT_DIR:-$SRC_DIR/build/test-logs/consent-attacks}
OIDC_PORT=19453
SMTP_PORT=19454
AUTHD_PORT=19455
DRIVE_PORT=19456
SELF_PORT=19457		# token endpoint: self-signed certificate
WRONG_PORT=19458	# token endpoint: certificate for another host
OLD_PORT=19459		# token endpoint: TLS 1.1 only
CB=https://127.0.0.1:$AUTHD_PORT
BG_PIDS=()
AUTHD_PID=

[ -d "$PEERS_DIR/node_modules/playwright-core" ] ||
	bail_out "npm packages missing: (cd tests/consent && npm ci)"
[ -x "$AUTHD" ] || bail_out "$AUTHD is not installed"
[ -x "$VAULT_SEED" ] || bail_out "$VAULT_SEED missing (make check in $BUILD_DIR)"
command -v gnutls-serv >/dev/null || bail_out "gnutls-serv missing (gnutls-bin)"
getent passwd cloudspool-auth >/dev/null || bail_out "no user cloudspool-auth"

# stop_peers - every server we started, by pid
stop_peers() {
	local p
	for p in "$AUTHD_PID" "${BG_PIDS[@]}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	AUTHD_PID=''
	BG_PIDS=()
}
trap 'stop_peers; cleanup_test' EXIT

# make_tls - a test CA, a server certificate for 127.0.0.1 from it, one
# from it for another host, and a self-signed one for 127.0.0.1
make_tls() {
	local d=$TEST_ROOT/tls n
	install -d -m 0755 "$d"
	certtool --generate-privkey --key-type ecdsa --outfile "$d/ca.key" 2>/dev/null
	printf 'cn = cloudspool test CA\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" 2>/dev/null
	printf 'cn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$d/server.tmpl"
	printf 'cn = wrong.example\ndns_name = wrong.example\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$d/wrong.tmpl"
	for n in server wrong self; do
		certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$d/$n.key" 2>/dev/null
	done
	certtool --generate-certificate --load-privkey "$d/server.key" --load-ca-certificate "$d/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/server.tmpl" --outfile "$d/server.pem" 2>/dev/null
	certtool --generate-certificate --load-privkey "$d/wrong.key" --load-ca-certificate "$d/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/wrong.tmpl" --outfile "$d/wrong.pem" 2>/dev/null
	certtool --generate-self-signed --load-privkey "$d/self.key" --template "$d/server.tmpl" \
		--outfile "$d/self.pem" 2>/dev/null
	chmod 0644 "$d"/*.pem "$d/server.key" "$d/wrong.key" "$d/self.key"
	chmod 0600 "$d/ca.key"
	printf 'cloudspool-test-secret\n' >"$TEST_ROOT/client-secret"
	# read by authd as root at its start and by the daemon (cloudspool)
	chown root:cloudspool "$TEST_ROOT/client-secret"
	chmod 0640 "$TEST_ROOT/client-secret"
}

# gdrive_dest NAME TOKEN_PORT - a Drive destination whose token endpoint
# is at TOKEN_PORT (the uploads go to the Drive fake)
gdrive_dest() {
	cat <<EOF

[destination $1]
provider = gdrive
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
client_id = cloudspool
client_secret_file = $TEST_ROOT/client-secret
authorize_url = https://127.0.0.1:$OIDC_PORT/auth
token_url = https://127.0.0.1:$2/token
scope = openid offline_access
auth_params = prompt=consent
ca_file = $TEST_ROOT/tls/ca.pem

[action $1]
destination = $1
users = cs_alice cs_bob
EOF
}

# attacks_config - the standard config, destinations cloud (the real
# provider), self, wrong and old (broken token endpoints), [authorization]
attacks_config() {
	standard_config "$SPOOL"
	gdrive_dest cloud "$OIDC_PORT"
	gdrive_dest self "$SELF_PORT"
	gdrive_dest wrong "$WRONG_PORT"
	gdrive_dest old "$OLD_PORT"
	cat <<EOF

[authorization]
callback_url = $CB
listen = 127.0.0.1
port = $AUTHD_PORT
cert_file = $TEST_ROOT/tls/server.pem
key_file = $TEST_ROOT/tls/server.key
state_dir = $TEST_ROOT/authd-state
smtp_url = smtp://127.0.0.1:$SMTP_PORT
smtp_from = cloudspool@scan.test
smtp_ca_file = $TEST_ROOT/tls/ca.pem
address_rule = domain:example.test
default_locale = en
EOF
}

# mails_to - how many captured messages are addressed to $1
mails_to() {
	grep -l "^To: $1" "$WORK/mail"/*.eml 2>/dev/null | wc -l
}

# link_in_last_mail_to - the consent link of the newest email to $1
link_in_last_mail_to() {
	local f
	for f in $(grep -l "^To: $1" "$WORK/mail"/*.eml 2>/dev/null | sort); do
		node "$PEERS_DIR/mailtext.mjs" "$f"
	done | grep -oE "$CB/authorize\?t=[A-Za-z0-9_-]{43}" | tail -n 1
}

# url_param URL NAME - one query parameter of a URL
url_param() {
	sed -E "s/.*[?&]$2=([^&]*).*/\1/" <<<"$1"
}

# curl_cb - GET a URL at authd, print the HTTP status
curl_cb() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$TEST_ROOT/tls/ca.pem" "$1"
}

# drive_files - how many documents the Drive fake holds
drive_files() {
	find "$WORK/drive" -type f 2>/dev/null | wc -l
}

# drive_has NAME - the Drive fake holds a document called NAME
drive_has() {
	[ -n "$(find "$WORK/drive" -type f -name "$1" 2>/dev/null)" ]
}

# bg LOG CMD... - start a server in the background, remember its pid
bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PIDS+=("$!")
}

# seed USER DEST - a token whose access token is expired (so the next
# read refreshes it) with a refresh token, as a grant would leave it
seed() {
	printf '{"access_token":"at-%s","refresh_token":"rt-%s","token_type":"Bearer","expires_at":1}' "$2" "$2" |
		runuser -u cloudspool -- "$VAULT_SEED" "$SPOOL" "$(id -u "$1")" "$1" "$2"
}

setup_standard
# setup_test_root set its own EXIT trap: ours stops the servers first
trap 'stop_peers; cleanup_test' EXIT
make_tls
attacks_config | install_config "$CONF"
install -d -m 0755 "$SHOTS"
rm -f "$SHOTS"/*.png
install -d -m 0700 "$WORK/mail" "$WORK/drive"
EXTRA_SEARCH_DIRS+=("$TEST_ROOT/authd-state" "$WORK/mail")

bg "$LOGS/peers.log" node "$PEERS_DIR/peers.mjs" "$TEST_ROOT/tls/server.pem" "$TEST_ROOT/tls/server.key" \
	"$OIDC_PORT" "$SMTP_PORT" "$CB/callback" "$WORK/mail"
wait_until 20 grep -q 'peers ready' "$LOGS/peers.log" ||
	bail_out "oidc-provider/smtp-server did not start" "$(cat "$LOGS/peers.log")"
bg "$LOGS/drive.log" node "$SRC_DIR/tests/fakes/drive.js" --port "$DRIVE_PORT" --store "$WORK/drive" \
	--tls-cert "$TEST_ROOT/tls/server.pem" --tls-key "$TEST_ROOT/tls/server.key" \
	--introspect "https://127.0.0.1:$OIDC_PORT/token/introspection" \
	--introspect-client drive-fake:drive-fake-secret \
	--introspect-ca "$TEST_ROOT/tls/ca.pem"
wait_until 20 grep -q listening "$LOGS/drive.log" ||
	bail_out "the Drive fake did not start" "$(cat "$LOGS/drive.log")"
T=$TEST_ROOT/tls
bg "$LOGS/tok-self.log" gnutls-serv --http --port "$SELF_PORT" --x509certfile "$T/self.pem" --x509keyfile "$T/self.key"
bg "$LOGS/tok-wrong.log" gnutls-serv --http --port "$WRONG_PORT" --x509certfile "$T/wrong.pem" --x509keyfile "$T/wrong.key"
bg "$LOGS/tok-old.log" gnutls-serv --http --port "$OLD_PORT" --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.1' \
	--x509certfile "$T/server.pem" --x509keyfile "$T/server.key"
for p in "$SELF_PORT" "$WRONG_PORT" "$OLD_PORT"; do
	wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null ||
		bail_out "gnutls-serv on port $p did not start" "$(cat "$LOGS"/tok-*.log)"
done

start_daemon
"$AUTHD" -c "$CONF" -e >>"$LOGS/authd.log" 2>&1 </dev/null &
AUTHD_PID=$!
wait_until 20 bash -c "curl -s -o /dev/null --cacert $T/ca.pem $CB/" ||
	bail_out "authd did not start" "$(cat "$LOGS/authd.log")"
# the daemon started first here: when consent/ had no setgid bit yet, the
# public key got the daemon's group and authd (which reads it through its
# folder fd, by its group or as "other") once waited for it for ever; it
# is world-readable now, whatever its group (a public key)
ok_if "consent/vault.pub is 0644 (authd reads it whatever its group)" \
	test "$(stat -c %a "$SPOOL/consent/vault.pub")" = 644
alice_uid=$(id -u cs_alice)
bob_uid=$(id -u cs_bob)

# ---- 1. code injection: alice's code at bob's state
m1=$(new_marker)
doc_a=$(user_document cs_alice alice1.txt "$m1")
submit_as cs_alice "$doc_a" -a cloud
job_a=$RUN_OUT
m2=$(new_marker)
doc_b=$(user_document cs_bob bob1.txt "$m2")
submit_as cs_bob "$doc_b" -a cloud
job_b=$RUN_OUT
wait_until 30 bash -c "[ -e '$SPOOL/hold/$job_a' ] && [ -e '$SPOOL/hold/$job_b' ]"
ok_if "both users' jobs to the consent destination are held" \
	bash -c "[ -e '$SPOOL/hold/$job_a' ] && [ -e '$SPOOL/hold/$job_b' ]"
wait_until 30 bash -c "$(declare -f mails_to); WORK=$WORK; [ \$(mails_to cs_alice@example.test) -ge 1 ] && [ \$(mails_to cs_bob@example.test) -ge 1 ]"
link_a=$(link_in_last_mail_to cs_alice@example.test)
link_b=$(link_in_last_mail_to cs_bob@example.test)
ok_if "each user got a consent link" bash -c "[ -n '$link_a' ] && [ -n '$link_b' ]"
out_a=$(cd "$PEERS_DIR" && node code-grab.mjs "$link_a" cs_alice "$SHOTS" alice 2>>"$LOGS/browser.log")
out_b=$(cd "$PEERS_DIR" && node code-grab.mjs "$link_b" cs_bob "$SHOTS" bob 2>>"$LOGS/browser.log")
diag "alice: $out_a"
diag "bob: $out_b"
cb_a=$(jq -r '.callback // empty' <<<"$out_a")
cb_b=$(jq -r '.callback // empty' <<<"$out_b")
code_a=$(url_param "$cb_a" code)
state_a=$(url_param "$cb_a" state)
state_b=$(url_param "$cb_b" state)
ok_if "the provider issued a code to each user's session (consent given in the browser)" \
	bash -c "[ -n '$code_a' ] && [ -n '$state_a' ] && [ -n '$state_b' ] && [ '$state_a' != '$state_b' ]"
status=$(curl_cb "$CB/callback?code=$code_a&state=$state_b")
ok_if "alice's code at bob's state: refused (HTTP 400)" test "$status" = 400
# authd's event reaches the chain at the daemon's next pass
wait_until 20 bash -c "jq -s -e 'any(.[]; .event==\"consent-failed\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: consent-failed for bob, the token endpoint's invalid_grant" bash -c \
	"jq -s -e 'any(.[]; .event==\"consent-failed\" and .user==\"cs_bob\" and (.reason|test(\"invalid_grant\")))' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "nothing stored for bob (no tokens/$bob_uid-cloud)" test ! -e "$SPOOL/tokens/$bob_uid-cloud"
ok_if "and nothing for alice either: bob's session cannot store her grant" test ! -e "$SPOOL/tokens/$alice_uid-cloud"
ok_if "bob's job is still held" test -e "$SPOOL/hold/$job_b"
ok_if "audit: no granted line so far" test "$(audit_count granted)" -eq 0
# control: the very same code at alice's own state goes through
status=$(curl_cb "$CB/callback?code=$code_a&state=$state_a")
ok_if "control: alice's code at alice's state is accepted (HTTP 200)" test "$status" = 200
wait_until 30 test -e "$SPOOL/tokens/$alice_uid-cloud"
ok_if "control: alice's grant is in the vault" test -e "$SPOOL/tokens/$alice_uid-cloud"
wait_until 60 drive_has alice1.txt
ok_if "control: alice's held job is released and delivered" drive_has alice1.txt
ok_if "nothing was delivered for bob" bash -c "! find '$WORK/drive' -type f -name 'bob1.txt' | grep -q ."
ok_if "bob's job is still held after alice's consent" test -e "$SPOOL/hold/$job_b"
ok_if "audit: exactly one grant (alice's)" bash -c \
	"[ \$(jq -c 'select(.event==\"granted\")' '$SPOOL/audit/audit.log' | wc -l) -eq 1 ] && jq -s -e 'any(.[]; .event==\"granted\" and .uid==$alice_uid)' '$SPOOL/audit/audit.log' >/dev/null"

# ---- 2. a tampered vault record
rec=$SPOOL/tokens/$alice_uid-cloud
size=$(stat -c %s "$rec")
# one byte in the middle (the sealed token), xor 0x01
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'r+b').write(b)" "$rec"
ok_if "alice's record was changed in place (same size)" test "$(stat -c %s "$rec")" -eq "$size"
before=$(drive_files)
m3=$(new_marker)
doc_t=$(user_document cs_alice tampered.txt "$m3")
submit_as cs_alice "$doc_t" -a cloud
job_t=$RUN_OUT
wait_until 30 test -e "$SPOOL/hold/$job_t"
ok_if "tampered record: the job is held, not delivered" test -e "$SPOOL/hold/$job_t"
ok_if "audit: the read of the tampered record failed authentication, naming the job" bash -c \
	"jq -s -e 'any(.[]; .event==\"vault-read\" and .job==\"$job_t\" and (.result|test(\"authentication\")))' '$SPOOL/audit/audit.log' >/dev/null"
sleep 3
ok_if "tampered record: nothing new at the Drive fake" test "$(drive_files)" -eq "$before"
ok_if "audit: no delivered line for that job" bash -c "! jq -e 'select(.event==\"delivered\" and .job==\"$job_t\")' '$SPOOL/audit/audit.log' | grep -q ."

# ---- 3. refresh against broken token endpoints, in the upload child
for dest in self wrong old; do
	seed cs_alice "$dest" 2>>"$LOGS/seed.log" || bail_out "vault-seed $dest" "$(cat "$LOGS/seed.log")"
done
ok "alice has tokens (expired, with refresh tokens) for self, wrong and old"
declare -A sum job
for dest in self wrong old; do
	sum[$dest]=$(sha256sum "$SPOOL/tokens/$alice_uid-$dest" | cut -d' ' -f1)
	m=$(new_marker)
	d=$(user_document cs_alice "to-$dest.txt" "$m")
	submit_as cs_alice "$d" -a "$dest"
	job[$dest]=$RUN_OUT
done
for dest in self wrong old; do
	wait_until 40 bash -c "jq -s -e 'any(.[]; .event==\"token-refresh-failed\" and .destination==\"$dest\")' '$SPOOL/audit/audit.log' >/dev/null"
done
declare -A case_name=([self]="self-signed certificate" [wrong]="certificate for another host" [old]="TLS 1.1 only")
for dest in self wrong old; do
	what=${case_name[$dest]}
	ok_if "$what: refresh refused, audited token-refresh-failed with TLS/certificate failure" bash -c \
		"jq -s -e 'any(.[]; .event==\"token-refresh-failed\" and .destination==\"$dest\" and .uid==$alice_uid and (.reason|test(\"TLS/certificate failure\")))' '$SPOOL/audit/audit.log' >/dev/null"
	ok_if "$what: the endpoint saw a TLS handshake (the refresh reached it)" \
		grep -qE 'handshake|Accepted connection' "$LOGS/tok-$dest.log"
done
sleep 3
for dest in self wrong old; do
	what=${case_name[$dest]}
	j=${job[$dest]}
	ok_if "$what: the job waits in deferred/ to be retried" test -e "$SPOOL/deferred/$j"
	ok_if "$what: audit says deferred, with the refresh's reason" bash -c \
		"jq -s -e 'any(.[]; .event==\"deferred\" and .job==\"$j\" and (.reason|test(\"token refresh failed\")))' '$SPOOL/audit/audit.log' >/dev/null"
	wait_until 20 bash -c "jq -s -e 'any(.[]; .event==\"deferred\" and .job==\"$j\" and .attempts >= 2)' '$SPOOL/audit/audit.log' >/dev/null"
	ok_if "$what: and retried (a second attempt, deferred again)" bash -c \
		"jq -s -e 'any(.[]; .event==\"deferred\" and .job==\"$j\" and .attempts >= 2)' '$SPOOL/audit/audit.log' >/dev/null"
	ok_if "$what: not delivered (no delivered line, no file at the Drive fake)" bash -c \
		"! jq -e 'select(.event==\"delivered\" and .job==\"$j\")' '$SPOOL/audit/audit.log' | grep -q . && ! find '$WORK/drive' -type f -name 'to-$dest.txt' | grep -q ."
	ok_if "$what: the token record is unchanged" test \
		"$(sha256sum "$SPOOL/tokens/$alice_uid-$dest" | cut -d' ' -f1)" = "${sum[$dest]}"
	ok_if "$what: not revoked (no token-revoked line)" bash -c \
		"! jq -e 'select(.event==\"token-revoked\" and .destination==\"$dest\")' '$SPOOL/audit/audit.log' | grep -q ."
done
ok_if "cloudspoold has no OAuth HTTP code of its own (refresh and revoke only in cloudspool-upload)" \
	bash -c "nm '$DAEMON' >/dev/null 2>&1 && ! nm '$DAEMON' | grep -qE 'cs_oauth_(refresh|revoke)'"
ok_if "the daemon is still running" daemon_alive

# a client secret any local user may read stops authd at its start, with
# a line naming the file and the mode (it reads secrets as root, once)
cp -p "$TEST_ROOT/client-secret" "$TEST_ROOT/open-secret"
chmod 0644 "$TEST_ROOT/open-secret"
sed "s|^client_secret_file = .*|client_secret_file = $TEST_ROOT/open-secret|" "$CONF" >"$TEST_ROOT/open.conf"
run_cmd timeout 20 "$AUTHD" -c "$TEST_ROOT/open.conf" -e
ok_if "authd refuses a world-readable client secret: exit $RUN_STATUS, one line naming it" \
	bash -c "[ $RUN_STATUS -eq 78 ] && grep -q 'open-secret is mode 0644: it must be 0600 or 0640' <<<\"\$1\"" _ "$RUN_ERR"

stop_daemon
stop_peers
check_audit_verifies
assert_no_markers
finish
