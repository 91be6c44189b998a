#!/usr/bin/env bash
# t-consent.sh - user consent end to end, with real peers on loopback:
# oidc-provider (HTTPS, PKCE required) as the provider, smtp-server with
# STARTTLS capturing mail, Debian's chromium driven by playwright-core as
# the user, the installed cloudspoold and cloudspool-authd.
#
#   1. a job to a consent-needing destination is held; one email with the
#      link; a second job of the same pair is held with no second email;
#   2. the browser opens the link, signs in and consents (screenshots in
#      build/test-logs/consent/); the grant lands in the vault and both
#      held jobs are released at once;
#   3. attacks: the link again, the callback again (replayed state), a
#      forged state, a token record copied to another user: each refused,
#      audited, nothing stored (a tampered record: tests/unit/test_vault);
#      invalid_grant on refresh: record deleted, a new consent email;
#   4. TLS: TLS 1.1, a static-RSA suite and plain HTTP refused by authd;
#      libcurl (the daemon's SMTP) refuses a certificate from another CA;
#   5. expiry under libfaketime: at authorization_hold the held job is
#      shredded with "not authorized" and a notice email goes out.
# Released jobs are delivered to the Drive fake (tests/fakes/drive.js),
# which takes an upload only with a bearer token oidc-provider's
# introspection endpoint says is active.
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC_DIR/tests/e2e/lib.sh"

PEERS_DIR=$SRC_DIR/tests/consent
AUTHD=${CS_AUTHD:-$CS_SBINDIR/cloudspool-authd}
SHOTS=${CS_SHOT_DIR:-$SRC_DIR/build/test-logs/consent}
OIDC_PORT=19443
SMTP_PORT=19025
AUTHD_PORT=19444
DRIVE_PORT=19445
CB=https://127.0.0.1:$AUTHD_PORT
PEERS_PID=
AUTHD_PID=
DRIVE_PID=

[ -d "$PEERS_DIR/node_modules/oidc-provider" ] ||
	bail_out "npm packages missing: (cd tests/consent && npm ci)"
[ -x "$AUTHD" ] || bail_out "$AUTHD is not installed"
getent passwd cloudspool-auth >/dev/null || bail_out "no user cloudspool-auth"

# stop_peers - our node and authd processes, by pid
stop_peers() {
	[ -n "$AUTHD_PID" ] && kill "$AUTHD_PID" 2>/dev/null && wait "$AUTHD_PID" 2>/dev/null
	[ -n "$PEERS_PID" ] && kill "$PEERS_PID" 2>/dev/null && wait "$PEERS_PID" 2>/dev/null
	[ -n "$DRIVE_PID" ] && kill "$DRIVE_PID" 2>/dev/null && wait "$DRIVE_PID" 2>/dev/null
	AUTHD_PID= PEERS_PID= DRIVE_PID=
}
trap 'stop_peers; cleanup_test' EXIT

# make_tls - a CA and a certificate for 127.0.0.1 (and a second CA)
make_tls() {
	local d=$TEST_ROOT/tls
	install -d -m 0755 "$d"
	certtool --generate-privkey --key-type ecdsa --outfile "$d/ca.key" 2>/dev/null
	printf 'cn = cloudspool test CA\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" 2>/dev/null
	# RSA, so that a static-RSA key exchange would be possible were the
	# policy to allow it: the refusal below then means something
	certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$d/server.key" 2>/dev/null
	printf 'cn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$d/server.tmpl"
	certtool --generate-certificate --load-privkey "$d/server.key" --load-ca-certificate "$d/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/server.tmpl" --outfile "$d/server.pem" 2>/dev/null
	certtool --generate-privkey --key-type ecdsa --outfile "$d/other.key" 2>/dev/null
	certtool --generate-self-signed --load-privkey "$d/other.key" --template "$d/ca.tmpl" \
		--outfile "$d/other-ca.pem" 2>/dev/null
	chmod 0644 "$d"/*.pem "$d/server.key"	# node (root) and the test only
	chmod 0600 "$d/ca.key" "$d/other.key"
	# the client secret: authd (cloudspool-auth) and the daemon
	# (cloudspool) both read it; a site would use a shared group
	printf 'cloudspool-test-secret\n' >"$TEST_ROOT/client-secret"
	# read by authd as root at its start and by the daemon (cloudspool)
	chown root:cloudspool "$TEST_ROOT/client-secret"
	chmod 0640 "$TEST_ROOT/client-secret"
}

# consent_config - the standard config plus destination cloud, action c,
# and [authorization]; $1 is the SMTP CA file
consent_config() {
	standard_config "$SPOOL"
	cat <<EOF

[destination cloud]
provider = gdrive
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
client_id = cloudspool
client_secret_file = $TEST_ROOT/client-secret
authorize_url = https://127.0.0.1:$OIDC_PORT/auth
token_url = https://127.0.0.1:$OIDC_PORT/token
revoke_url = https://127.0.0.1:$OIDC_PORT/token/revocation
scope = openid offline_access
auth_params = prompt=consent
ca_file = $TEST_ROOT/tls/ca.pem

[action c]
destination = cloud
users = cs_alice cs_bob

[authorization]
callback_url = $CB
listen = 127.0.0.1
port = $AUTHD_PORT
cert_file = $TEST_ROOT/tls/server.pem
key_file = $TEST_ROOT/tls/server.key
state_dir = $TEST_ROOT/authd-state
smtp_url = smtp://127.0.0.1:$SMTP_PORT
smtp_from = cloudspool@scan.test
smtp_ca_file = ${1:-$TEST_ROOT/tls/ca.pem}
address_rule = domain:example.test
default_locale = en
locale_map = $TEST_ROOT/locales
EOF
}

# mails_to - how many captured messages are addressed to $1
mails_to() {
	grep -l "^To: $1" "$WORK/mail"/*.eml 2>/dev/null | wc -l
}

# mail_texts_to - every message to $1 as its reader sees it (decoded)
mail_texts_to() {
	local f
	for f in $(grep -l "^To: $1" "$WORK/mail"/*.eml 2>/dev/null | sort); do
		node "$PEERS_DIR/mailtext.mjs" "$f"
	done
}

# link_in_last_mail_to - the consent link of the newest email to $1
link_in_last_mail_to() {
	mail_texts_to "$1" | grep -oE "$CB/authorize\?t=[A-Za-z0-9_-]{43}" | tail -n 1
}

# held_count - jobs in hold/
held_count() {
	find "$SPOOL/hold" -maxdepth 1 -type f ! -name '*.state' ! -name '.*' | wc -l
}

# curl_cb - GET a URL at authd, print the HTTP status
curl_cb() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$TEST_ROOT/tls/ca.pem" "$1"
}

# start_peers - (re)start oidc-provider and smtp-server; a restart forgets
# every grant the provider gave (its store is in memory)
start_peers() {
	[ -n "$PEERS_PID" ] && kill "$PEERS_PID" 2>/dev/null && wait "$PEERS_PID" 2>/dev/null
	node "$PEERS_DIR/peers.mjs" "$TEST_ROOT/tls/server.pem" "$TEST_ROOT/tls/server.key" \
		"$OIDC_PORT" "$SMTP_PORT" "$CB/callback" "$WORK/mail" >"$LOGS/peers.log" 2>&1 &
	PEERS_PID=$!
	wait_until 20 grep -q 'peers ready' "$LOGS/peers.log" ||
		bail_out "oidc-provider/smtp-server did not start" "$(cat "$LOGS/peers.log")"
}

setup_standard
make_tls
printf 'cs_bob fr\n' >"$TEST_ROOT/locales"
consent_config | install_config "$CONF"
install -d -m 0755 "$SHOTS"
rm -f "$SHOTS"/*.png
install -d -m 0700 "$WORK/mail"
EXTRA_SEARCH_DIRS+=("$TEST_ROOT/authd-state" "$WORK/mail")

start_peers
# The Drive fake: a destination that takes an upload only with a bearer
# token the provider says is active (introspection)
install -d -m 0700 "$WORK/drive"
node "$SRC_DIR/tests/fakes/drive.js" --port "$DRIVE_PORT" --store "$WORK/drive" \
	--tls-cert "$TEST_ROOT/tls/server.pem" --tls-key "$TEST_ROOT/tls/server.key" \
	--introspect "https://127.0.0.1:$OIDC_PORT/token/introspection" \
	--introspect-client drive-fake:drive-fake-secret \
	--introspect-ca "$TEST_ROOT/tls/ca.pem" >"$LOGS/drive.log" 2>&1 &
DRIVE_PID=$!
wait_until 20 grep -q listening "$LOGS/drive.log" ||
	bail_out "the Drive fake did not start" "$(cat "$LOGS/drive.log")"
# (the store holds delivered documents: not searched for markers)

start_daemon --faketime
"$AUTHD" -c "$CONF" -e >>"$LOGS/authd.log" 2>&1 </dev/null &
AUTHD_PID=$!
wait_until 20 bash -c "curl -s -o /dev/null --cacert $TEST_ROOT/tls/ca.pem $CB/" ||
	bail_out "authd did not start" "$(cat "$LOGS/authd.log")"
ok "authd serves HTTPS as $(ps -o user= -p "$AUTHD_PID")"
ok_if "authd runs as cloudspool-auth, not root" test "$(ps -o user= -p "$AUTHD_PID" | tr -d ' ')" = cloudspool-auth

# ---- 1. hold and one email
m1=$(new_marker)
doc1=$(user_document cs_alice scan1.txt "$m1")
submit_as cs_alice "$doc1" -a c
job1=$RUN_OUT
wait_until 20 test "$(held_count)" -ge 1
ok_if "first job to the consent destination is held" test "$(held_count)" -eq 1
wait_until 20 test "$(mails_to cs_alice@example.test)" -ge 1
ok_if "one consent email to cs_alice@example.test" test "$(mails_to cs_alice@example.test)" -eq 1
link=$(link_in_last_mail_to cs_alice@example.test)
ok_if "the email carries a link to authd's /authorize" test -n "$link"
ok_if "the link token is not stored in the spool" bash -c "! grep -rqF -- '${link##*t=}' '$SPOOL'"
m2=$(new_marker)
doc2=$(user_document cs_alice scan2.txt "$m2")
submit_as cs_alice "$doc2" -a c
wait_until 20 test "$(held_count)" -ge 2
sleep 2
ok_if "second job of the pair is held too" test "$(held_count)" -eq 2
ok_if "and no second email while the hold lasts" test "$(mails_to cs_alice@example.test)" -eq 1
ok_if "audit: held and consent-requested" bash -c "$(declare -f audit_count audit_log_file); SPOOL=$SPOOL; [ \$(audit_count held) -eq 2 ] && [ \$(audit_count consent-requested) -eq 1 ]"

# ---- 2. the user consents in a real browser
out=$(cd "$PEERS_DIR" && node browser.mjs "$link" cs_alice "$SHOTS" alice 2>>"$LOGS/browser.log")
diag "browser: $out"
ok_if "browser: sign-in, consent, and authd's success page (200)" \
	bash -c "jq -e '.status == 200' <<<'$out' >/dev/null"
ok_if "the success page is in French (Accept-Language fr)" bash -c "jq -r .text <<<'$out' | grep -q 'Autorisation enregistr'"
ok_if "a screenshot of each page was kept" test "$(ls "$SHOTS"/alice-*.png 2>/dev/null | wc -l)" -ge 3
callback=$(jq -r .callback <<<"$out")
alice_uid=$(id -u cs_alice)
wait_until 20 test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "the token landed in the vault (tokens/$alice_uid-cloud, sealed)" test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "the vault record holds no token in the clear" bash -c "! grep -qa 'access_token' '$SPOOL/tokens/$alice_uid-cloud'"
wait_until 20 test "$(held_count)" -eq 0
ok_if "both held jobs were released at once" test "$(held_count)" -eq 0
# drive_has NAME DOC - the fake stored NAME, byte-identical to DOC
drive_has() {
	[ -f "$WORK/drive/cloudspool/$1" ] && cmp -s "$2" "$WORK/drive/cloudspool/$1"
}
wait_until 60 bash -c "$(declare -f drive_has); WORK=$WORK; drive_has scan1.txt '$doc1' && drive_has scan2.txt '$doc2'"
ok_if "both released jobs are delivered to Drive (bearer token checked by introspection), byte-identical" \
	bash -c "$(declare -f drive_has); WORK=$WORK; drive_has scan1.txt '$doc1' && drive_has scan2.txt '$doc2'"
ok_if "audit: the first job is recorded delivered" audit_has delivered "$job1"
ok_if "audit: granted once, released twice" bash -c "$(declare -f audit_count audit_log_file); SPOOL=$SPOOL; [ \$(audit_count granted) -eq 1 ] && [ \$(audit_count released) -eq 2 ]"
ok_if "audit: every vault read names its job and why" bash -c "jq -s -e 'any(.[]; .event==\"vault-read\" and .job != null and .why==\"delivery\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: authd's events arrive in the chain (consent-link-opened)" bash -c "$(declare -f audit_count audit_log_file); SPOOL=$SPOOL; [ \$(audit_count consent-link-opened) -ge 1 ]"
m3=$(new_marker)
doc3=$(user_document cs_alice scan3.txt "$m3")
submit_as cs_alice "$doc3" -a c
sleep 3
ok_if "a later job needs no email and is not held" bash -c "[ $(mails_to cs_alice@example.test) -eq 1 ] && [ \$(find '$SPOOL/hold' -name '$RUN_OUT' | wc -l) -eq 0 ]"

# ---- 3. attacks
ok_if "replayed link: refused (409)" test "$(curl_cb "$link")" = 409
ok_if "replayed state: refused (409)" test "$(curl_cb "$callback")" = 409
ok_if "forged state: refused (400)" test "$(curl_cb "$CB/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 400
ok_if "unknown link: refused (404)" test "$(curl_cb "$CB/authorize?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 404
ok_if "no open redirect: any other path is 404" test "$(curl_cb "$CB/redirect?to=https://evil.test")" = 404
sleep 2
ok_if "audit: each refusal has a line (replay x2, forged, unknown)" bash -c "[ \$(jq -c 'select(.event==\"consent-refused\")' '$SPOOL/audit/audit.log' | wc -l) -ge 4 ]"
bob_uid=$(id -u cs_bob)
cp "$SPOOL/tokens/$alice_uid-cloud" "$SPOOL/tokens/$bob_uid-cloud"
chown cloudspool: "$SPOOL/tokens/$bob_uid-cloud"
m4=$(new_marker)
doc4=$(user_document cs_bob scan4.txt "$m4")
submit_as cs_bob "$doc4" -a c
bob_job=$RUN_OUT
wait_until 20 test -f "$SPOOL/hold/$bob_job"
ok_if "a token record copied to another user does not open: bob's job is held" test -f "$SPOOL/hold/$bob_job"
ok_if "audit: the failed read is recorded" bash -c "jq -s -e 'any(.[]; .event==\"vault-read\" and .uid==$bob_uid and (.result|test(\"authentication\")))' '$SPOOL/audit/audit.log' >/dev/null"
wait_until 20 test "$(mails_to cs_bob@example.test)" -ge 1
ok_if "bob is asked for consent (in French, his locale)" bash -c "$(declare -f mail_texts_to); WORK=$WORK PEERS_DIR=$PEERS_DIR; mail_texts_to cs_bob@example.test | grep -q 'Subject: Num.risation en attente'"

# ---- invalid_grant on refresh. Access tokens live 30 s at the provider,
# under the 60 s margin, so every read refreshes; the provider keeps its
# grants in memory, so restarting it makes the stored refresh token
# unknown: invalid_grant.
ok_if "audit: the token was refreshed before use (rotation stored)" bash -c "jq -s -e 'any(.[]; .event==\"token-refreshed\")' '$SPOOL/audit/audit.log' >/dev/null"
start_peers
m5=$(new_marker)
doc5=$(user_document cs_alice scan5.txt "$m5")
submit_as cs_alice "$doc5" -a c
wait_until 20 test -f "$SPOOL/hold/$RUN_OUT"
ok_if "invalid_grant on refresh: the job is held" test -f "$SPOOL/hold/$RUN_OUT"
ok_if "invalid_grant on refresh: the vault record is deleted" test ! -e "$SPOOL/tokens/$alice_uid-cloud"
ok_if "audit: token-revoked" bash -c "jq -s -e 'any(.[]; .event==\"token-revoked\")' '$SPOOL/audit/audit.log' >/dev/null"
wait_until 20 test "$(mails_to cs_alice@example.test)" -ge 2
ok_if "a new consent email while the hold lasts" test "$(mails_to cs_alice@example.test)" -eq 2

# ---- consent again with the new link, then an admin revokes it
link2=$(link_in_last_mail_to cs_alice@example.test)
out=$(cd "$PEERS_DIR" && node browser.mjs "$link2" cs_alice "$SHOTS" alice-again 2>>"$LOGS/browser.log")
diag "browser: $out"
wait_until 20 test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "the new link works: consent stored again" test -f "$SPOOL/tokens/$alice_uid-cloud"
run_cmd "$CTL" -c "$CONF" revoke cs_alice cloud
revoked_ok=0
[ "$RUN_STATUS" -eq 0 ] && [[ $RUN_OUT == *"provider: revoked"* ]] && revoked_ok=1
ok_if "cloudspoolctl revoke: revoked at the provider (RFC 7009)" test "$revoked_ok" -eq 1
ok_if "cloudspoolctl revoke: the record is gone" test ! -e "$SPOOL/tokens/$alice_uid-cloud"
ok_if "audit: token-revoked by the admin, after an audited read" bash -c "jq -s -e 'any(.[]; .event==\"token-revoked\" and .admin != null and .provider==\"revoked\") and any(.[]; .event==\"vault-read\" and .why==\"revocation\")' '$SPOOL/audit/audit.log'"

# ---- 4. TLS policy at authd and in libcurl
ok_if "authd refuses TLS 1.1" bash -c "! gnutls-cli --no-ca-verification --priority NORMAL:-VERS-ALL:+VERS-TLS1.1 -p $AUTHD_PORT 127.0.0.1 </dev/null >/dev/null 2>&1"
ok_if "authd refuses a static-RSA (not forward-secret) suite" bash -c "! gnutls-cli --no-ca-verification --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA -p $AUTHD_PORT 127.0.0.1 </dev/null >/dev/null 2>&1"
ok_if "authd refuses a CBC suite in TLS 1.2" bash -c "! gnutls-cli --no-ca-verification --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC -p $AUTHD_PORT 127.0.0.1 </dev/null >/dev/null 2>&1"
ok_if "authd accepts TLS 1.2 with ECDHE-RSA and AES-GCM (the refusals above are not vacuous)" bash -c "gnutls-cli --x509cafile $TEST_ROOT/tls/ca.pem --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 -p $AUTHD_PORT 127.0.0.1 </dev/null >/dev/null 2>&1"
ok_if "authd accepts TLS 1.3 (the check above can fail)" bash -c "gnutls-cli --x509cafile $TEST_ROOT/tls/ca.pem -p $AUTHD_PORT 127.0.0.1 </dev/null >/dev/null 2>&1"
ok_if "authd refuses plain HTTP" bash -c "! curl -s -o /dev/null http://127.0.0.1:$AUTHD_PORT/authorize"

# ---- 5. expiry under libfaketime: bob's held job at 24 h
set_fake_offset +25h
wait_until 30 bash -c "[ ! -e '$SPOOL/hold/$bob_job' ]"
ok_if "at authorization_hold the held job is shredded" test ! -e "$SPOOL/hold/$bob_job"
ok_if "audit: shredded with reason not authorized" bash -c "jq -s -e 'any(.[]; .event==\"shredded\" and .job==\"$bob_job\" and (.reason|test(\"not authorized\")))' '$SPOOL/audit/audit.log' >/dev/null"
wait_until 30 bash -c "$(declare -f mail_texts_to); WORK=$WORK PEERS_DIR=$PEERS_DIR; mail_texts_to cs_bob@example.test | grep -q 'Fichier : scan4.txt'"
ok_if "bob gets the notice naming the file, in French" bash -c "$(declare -f mail_texts_to); WORK=$WORK PEERS_DIR=$PEERS_DIR; mail_texts_to cs_bob@example.test | grep -q 'Fichier : scan4.txt'"
set_fake_offset +0

# ---- libcurl refuses an SMTP server whose certificate is from another CA
stop_daemon
consent_config "$TEST_ROOT/tls/other-ca.pem" | install_config "$CONF"
# the live requests go, so the next held job asks again (by email)
find "$SPOOL/consent" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9a-f]{64}' -delete
before=$(ls "$WORK/mail" | wc -l)
m6=$(new_marker)
doc6=$(user_document cs_bob scan6.txt "$m6")
start_daemon
submit_as cs_bob "$doc6" -a c
wait_until 20 bash -c "jq -s -e 'any(.[]; .event==\"mail-failed\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "SMTP with a certificate from another CA: refused, audited mail-failed" bash -c "jq -s -e 'any(.[]; .event==\"mail-failed\")' '$SPOOL/audit/audit.log' >/dev/null && [ \$(ls '$WORK/mail' | wc -l) -eq $before ]"

stop_daemon
stop_peers
check_audit_verifies
assert_no_markers
finish
