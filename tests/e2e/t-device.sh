#!/usr/bin/env bash
# t-device.sh - `cloudspool authorize` (the device grant, RFC 8628) and
# `cloudspool revoke` end to end, with real peers on loopback:
# oidc-provider with its device flow (tests/consent/peers.mjs, client
# cloudspool-device), Debian's chromium as the user entering the code
# (tests/consent/device.mjs, screenshots in build/test-logs/device/), the
# Drive fake checking bearer tokens by introspection, the installed
# cloudspoold, cloudspool-authd and cloudspool.
#
#   1. authd's socket is 0666 in a 0755 folder; a job of alice's is held;
#   2. `cloudspool authorize cloud` prints a URI and a user code and waits;
#      meanwhile a second one of alice's is refused (one flow per user),
#      bob's own is cancelled by Ctrl-C, and a request naming alice's uid
#      is refused; the browser enters the code and consents: the CLI exits
#      0, the token is in the vault under alice's uid and the held job is
#      delivered;
#   3. bob's `cloudspool revoke cloud` leaves alice's token alone;
#      alice's removes her record, revokes at the provider (which then
#      refuses the old refresh token), audited;
#   4. declining at the provider: the CLI exits non-zero with one clear
#      line; a destination without device_url, or unknown: a clear error.
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC_DIR/tests/e2e/lib.sh"

PEERS_DIR=$SRC_DIR/tests/consent
AUTHD=${CS_AUTHD:-$CS_SBINDIR/cloudspool-authd}
BUILD_DIR=${CS_BUILD_DIR:-$SRC_DIR/build}
VAULT_SEED=${CS_VAULT_SEED:-$BUILD_DIR/tests/e2e/vault-seed}
SHOTS=${CS_SHOT_DIR:-$SRC_DIR/build/test-logs/device}
OIDC_PORT=19543
SMTP_PORT=19525
AUTHD_PORT=19544
DRIVE_PORT=19545
OIDC=https://127.0.0.1:$OIDC_PORT
CB=https://127.0.0.1:$AUTHD_PORT
PEERS_PID=
AUTHD_PID=
DRIVE_PID=
CLI_PIDS=()

[ -d "$PEERS_DIR/node_modules/oidc-provider" ] ||
	bail_out "npm packages missing: (cd tests/consent && npm ci)"
[ -x "$AUTHD" ] || bail_out "$AUTHD is not installed"
[ -x "$VAULT_SEED" ] || bail_out "$VAULT_SEED missing (make check in $BUILD_DIR)"
getent passwd cloudspool-auth >/dev/null || bail_out "no user cloudspool-auth"

# stop_peers - our node, authd and CLI processes, by pid
stop_peers() {
	local p
	for p in "${CLI_PIDS[@]}" "$AUTHD_PID" "$PEERS_PID" "$DRIVE_PID"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	CLI_PIDS=() AUTHD_PID='' PEERS_PID='' DRIVE_PID=''
}
trap 'stop_peers; cleanup_test' EXIT

# make_tls - a CA and a certificate for 127.0.0.1, and the client secret
make_tls() {
	local d=$TEST_ROOT/tls
	install -d -m 0755 "$d"
	certtool --generate-privkey --key-type ecdsa --outfile "$d/ca.key" 2>/dev/null
	printf 'cn = cloudspool test CA\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" 2>/dev/null
	certtool --generate-privkey --key-type ecdsa --outfile "$d/server.key" 2>/dev/null
	printf 'cn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$d/server.tmpl"
	certtool --generate-certificate --load-privkey "$d/server.key" --load-ca-certificate "$d/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/server.tmpl" --outfile "$d/server.pem" 2>/dev/null
	chmod 0644 "$d"/*.pem "$d/server.key"	# node (root) and authd only
	chmod 0600 "$d/ca.key"
	# authd (cloudspool-auth) and the daemon (cloudspool) both read it
	printf 'cloudspool-test-secret\n' >"$TEST_ROOT/client-secret"
	# read by authd as root at its start and by the daemon (cloudspool)
	chown root:cloudspool "$TEST_ROOT/client-secret"
	chmod 0640 "$TEST_ROOT/client-secret"
}

# device_config - the standard config, destinations cloud (device grant)
# and nodev (none), action c, [authorization] with the device socket
device_config() {
	standard_config "$SPOOL"
	cat <<EOF

[destination cloud]
provider = gdrive
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
client_id = cloudspool-device
client_secret_file = $TEST_ROOT/client-secret
authorize_url = $OIDC/auth
token_url = $OIDC/token
revoke_url = $OIDC/token/revocation
device_url = $OIDC/device/auth
scope = openid offline_access
ca_file = $TEST_ROOT/tls/ca.pem

[destination nodev]
provider = oauthtest
client_id = cloudspool
client_secret_file = $TEST_ROOT/client-secret
authorize_url = $OIDC/auth
token_url = $OIDC/token
ca_file = $TEST_ROOT/tls/ca.pem

[destination alicecloud]
provider = gdrive
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
client_id = cloudspool-device
client_secret_file = $TEST_ROOT/client-secret
authorize_url = $OIDC/auth
token_url = $OIDC/token
device_url = $OIDC/device/auth
ca_file = $TEST_ROOT/tls/ca.pem

[action c]
destination = cloud
users = cs_alice cs_bob

[action a]
destination = alicecloud
users = cs_alice

[authorization]
callback_url = $CB
listen = 127.0.0.1
port = $AUTHD_PORT
cert_file = $TEST_ROOT/tls/server.pem
key_file = $TEST_ROOT/tls/server.key
state_dir = $TEST_ROOT/authd-state
device_socket = $SOCK
EOF
}

# held_count - jobs in hold/
held_count() {
	find "$SPOOL/hold" -maxdepth 1 -type f ! -name '*.state' ! -name '.*' | wc -l
}

# authorize_bg - user, destination, tag: `cloudspool authorize` in the
# background, output in WORK/tag.out and .err, status in WORK/tag.rc
authorize_bg() {
	local user=$1 dest=$2 tag=$3
	rm -f "$WORK/$tag".{out,err,rc}
	(as_user "$user" "$CLOUDSPOOL" -c "$CONF" authorize "$dest" >"$WORK/$tag.out" \
		2>"$WORK/$tag.err"; echo $? >"$WORK/$tag.rc.new"; mv "$WORK/$tag.rc.new" "$WORK/$tag.rc") &
	CLI_PIDS+=($!)
}

# cli_pid - the pid of the cloudspool process of a user (the runuser child)
cli_pid() {
	pgrep -u "$1" -x cloudspool | head -n 1
}

# code_of - tag: "URI CODE" from what the CLI printed (the two indented
# lines), empty while it has printed nothing
code_of() {
	awk '/^    /{ printf "%s ", $1 }' "$WORK/$1.out" 2>/dev/null
}

# sock_send - user, JSON line: send it raw on authd's socket as user and
# print authd's first answer line
sock_send() {
	as_user "$1" node -e '
const c = require("net").createConnection(process.argv[1], () => c.write(process.argv[2] + "\n"));
let b = ""; c.on("data", (d) => { b += d; if (b.includes("\n")) { process.stdout.write(b.split("\n")[0]); c.end(); } });
c.on("error", (e) => { console.log("error " + e.message); });' "$SOCK" "$2"
}

# provider_refresh - a refresh_token grant at the provider with $1; prints
# the HTTP status and the error, if any
provider_refresh() {
	curl -s --cacert "$TEST_ROOT/tls/ca.pem" -w ' %{http_code}' "$OIDC/token" \
		-d grant_type=refresh_token --data-urlencode "refresh_token=$1" \
		-d client_id=cloudspool-device -d client_secret=cloudspool-test-secret
}

# introspect - "true" or "false": is token $1 active at the provider
introspect() {
	curl -s --cacert "$TEST_ROOT/tls/ca.pem" -u drive-fake:drive-fake-secret \
		"$OIDC/token/introspection" --data-urlencode "token=$1" | jq -r .active
}

setup_standard
SOCK=$TEST_ROOT/run/authd.sock
make_tls
device_config | install_config "$CONF"
install -d -m 0755 "$SHOTS"
rm -f "$SHOTS"/*.png
install -d -m 0700 "$WORK/mail" "$WORK/drive"
EXTRA_SEARCH_DIRS+=("$TEST_ROOT/authd-state")
alice_uid=$(id -u cs_alice)
bob_uid=$(id -u cs_bob)

node "$PEERS_DIR/peers.mjs" "$TEST_ROOT/tls/server.pem" "$TEST_ROOT/tls/server.key" \
	"$OIDC_PORT" "$SMTP_PORT" "$CB/callback" "$WORK/mail" >"$LOGS/peers.log" 2>&1 &
PEERS_PID=$!
wait_until 20 grep -q 'peers ready' "$LOGS/peers.log" ||
	bail_out "oidc-provider did not start" "$(cat "$LOGS/peers.log")"
node "$SRC_DIR/tests/fakes/drive.js" --port "$DRIVE_PORT" --store "$WORK/drive" \
	--tls-cert "$TEST_ROOT/tls/server.pem" --tls-key "$TEST_ROOT/tls/server.key" \
	--introspect "$OIDC/token/introspection" \
	--introspect-client drive-fake:drive-fake-secret \
	--introspect-ca "$TEST_ROOT/tls/ca.pem" >"$LOGS/drive.log" 2>&1 &
DRIVE_PID=$!
wait_until 20 grep -q listening "$LOGS/drive.log" ||
	bail_out "the Drive fake did not start" "$(cat "$LOGS/drive.log")"

start_daemon
"$AUTHD" -c "$CONF" -e >>"$LOGS/authd.log" 2>&1 </dev/null &
AUTHD_PID=$!
wait_until 30 test -S "$SOCK" ||
	bail_out "authd made no socket" "$(cat "$LOGS/authd.log")"
# the socket exists before authd serves it (it waits for the daemon's
# vault key), and a job needs the daemon's spool key: wait for both
wait_for_public_key || bail_out "the daemon published no spool key" "$(cat "$LOGS/daemon.log")"
wait_until 30 bash -c "curl -s -o /dev/null --cacert $TEST_ROOT/tls/ca.pem $CB/" ||
	bail_out "authd did not start serving" "$(cat "$LOGS/authd.log")"

# ---- 1. the socket, and a held job
ok_if "authd's socket is 0666 (every user asks for their own consent)" \
	test "$(stat -c %a "$SOCK")" = 666
ok_if "in a 0755 folder" test "$(stat -c %a "$(dirname "$SOCK")")" = 755
m1=$(new_marker)
doc1=$(user_document cs_alice scan1.txt "$m1")
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a c "$doc1"
job1=$RUN_OUT
is_job_id "$job1" || diag "submit: $(run_diag)"
wait_until 20 test "$(held_count)" -ge 1
ok_if "alice's job to the cloud destination is held" test -f "$SPOOL/hold/$job1"

# ---- 2. the device grant
authorize_bg cs_alice cloud alice
wait_until 20 test -n "$(code_of alice)"
read -r uri code <<<"$(code_of alice)"
diag "alice: $(cat "$WORK/alice.out")"
ok_if "cloudspool authorize prints the verification URI" test "$uri" = "$OIDC/device"
ok_if "and a user code" bash -c "[[ '$code' =~ ^[A-Z]{4}-[A-Z]{4}$ ]]"
ok_if "and waits" test ! -e "$WORK/alice.rc"

run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" authorize cloud
ok_if "a second flow of the same user is refused, with one clear line" \
	bash -c "[ $RUN_STATUS -ne 0 ] && [ \$(wc -l <<<'$RUN_ERR') -eq 1 ] && grep -q 'already waiting' <<<'$RUN_ERR'"

authorize_bg cs_bob cloud bob
wait_until 20 test -n "$(code_of bob)"
ok_if "bob gets a code of his own meanwhile" test -n "$(code_of bob)"
bob_cli=$(cli_pid cs_bob)
[ -n "$bob_cli" ] && kill -INT "$bob_cli"
wait_until 10 test -e "$WORK/bob.rc"
ok_if "Ctrl-C cancels bob's flow: exit 130, one line" \
	bash -c "[ \"\$(cat '$WORK/bob.rc')\" = 130 ] && grep -q 'cancelled' '$WORK/bob.err'"
wait_until 20 audit_has consent-device-cancelled cs_bob
ok_if "audit: consent-device-cancelled for bob" audit_has consent-device-cancelled cs_bob

reply=$(sock_send cs_bob "{\"op\":\"authorize\",\"destination\":\"cloud\",\"uid\":$alice_uid}")
ok_if "a request naming alice's uid is refused" bash -c "jq -e '.error' <<<'$reply' >/dev/null"
reply=$(sock_send cs_bob "{\"op\":\"revoke\",\"destination\":\"cloud\",\"user\":\"cs_alice\"}")
ok_if "a revoke naming alice is refused" bash -c "jq -e '.error' <<<'$reply' >/dev/null"

out=$(cd "$PEERS_DIR" && node device.mjs "$uri" "$code" cs_alice "$SHOTS" alice approve 2>>"$LOGS/browser.log")
diag "browser: $out"
ok_if "browser: code entered, signed in, consented" bash -c "jq -e '.text | test(\"Success\")' <<<'$out' >/dev/null"
ok_if "a screenshot of each page was kept" test "$(find "$SHOTS" -name 'alice-*.png' | wc -l)" -ge 4
wait_until 30 test -e "$WORK/alice.rc"
ok_if "cloudspool authorize exits 0 and says so" \
	bash -c "[ \"\$(cat '$WORK/alice.rc' 2>/dev/null)\" = 0 ] && grep -q '^authorized' '$WORK/alice.out'"
wait_until 20 test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "the token is in the vault under alice's uid" test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "and none under bob's" test ! -e "$SPOOL/tokens/$bob_uid-cloud"
wait_until 60 bash -c "[ -f '$WORK/drive/cloudspool/scan1.txt' ]"
ok_if "the held job is delivered to Drive (bearer token checked), byte-identical" \
	cmp -s "$doc1" "$WORK/drive/cloudspool/scan1.txt"
ok_if "audit: granted via device for alice" \
	bash -c "jq -s -e 'any(.[]; .event==\"granted\" and .via==\"device\" and .uid==$alice_uid)' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: consent-device-started and -granted" \
	bash -c "$(declare -f audit_count audit_log_file audit_has); SPOOL=$SPOOL; audit_has consent-device-started cs_alice && audit_has consent-device-granted cs_alice"

# ---- 3. revocation: bob cannot touch alice's token; alice can
token=$(runuser -u cloudspool -- "$VAULT_SEED" --read "$SPOOL" "$alice_uid" cs_alice cloud)
refresh=$(jq -r '.refresh_token // empty' <<<"$token")
ok_if "the device grant gave a refresh token" test -n "$refresh"
ok_if "the provider holds it active before revocation" test "$(introspect "$refresh")" = true
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" revoke cloud
wait_until 20 bash -c "jq -s -e 'any(.[]; .event==\"token-revoked\" and .uid==$bob_uid)' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "bob's cloudspool revoke reaches the daemon, for bob's uid" \
	bash -c "jq -s -e 'any(.[]; .event==\"token-revoked\" and .uid==$bob_uid and .by==\"user\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "alice's token is still there after bob's revoke" test -f "$SPOOL/tokens/$alice_uid-cloud"
ok_if "and still active at the provider" test "$(introspect "$refresh")" = true

run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" revoke cloud
ok_if "cloudspool revoke: exit 0, revocation requested" \
	bash -c "[ $RUN_STATUS -eq 0 ] && grep -q 'revocation requested' <<<'$RUN_OUT'"
wait_until 20 test ! -e "$SPOOL/tokens/$alice_uid-cloud"
ok_if "cloudspool revoke: alice's record is gone" test ! -e "$SPOOL/tokens/$alice_uid-cloud"
# the provider's revocation runs in a child of the daemon, after the shred
wait_until 30 bash -c "jq -s -e 'any(.[]; .event==\"token-revoked-at-provider\" and .uid==$alice_uid)' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: token-revoked-at-provider: revoked (by the daemon's child, not the daemon)" \
	bash -c "jq -s -e 'any(.[]; .event==\"token-revoked-at-provider\" and .uid==$alice_uid and .reason==\"revoked\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "the provider refuses the old refresh token (invalid_grant)" \
	bash -c "r=\$($(declare -f provider_refresh); TEST_ROOT=$TEST_ROOT OIDC=$OIDC; provider_refresh '$refresh'); grep -q invalid_grant <<<\"\$r\" && [[ \$r == *' 400' ]]"
ok_if "audit: token-revoked by the user, the provider's revocation requested, after an audited read" \
	bash -c "jq -s -e 'any(.[]; .event==\"token-revoked\" and .by==\"user\" and .uid==$alice_uid and .provider==\"requested\") and any(.[]; .event==\"vault-read\" and .why==\"revocation\" and .uid==$alice_uid)' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: consent-revoke-requested from authd" audit_has consent-revoke-requested cs_alice

# ---- 4. declined, no device grant, unknown destination
authorize_bg cs_alice cloud deny
wait_until 20 test -n "$(code_of deny)"
read -r uri code <<<"$(code_of deny)"
out=$(cd "$PEERS_DIR" && node device.mjs "$uri" "$code" cs_alice "$SHOTS" deny deny 2>>"$LOGS/browser.log")
diag "browser (deny): $out"
wait_until 30 test -e "$WORK/deny.rc"
diag "deny: $(cat "$WORK/deny.err" 2>/dev/null)"
ok_if "declined at the provider: non-zero exit and one clear line" \
	bash -c "[ \"\$(cat '$WORK/deny.rc' 2>/dev/null)\" = 77 ] && [ \$(wc -l <'$WORK/deny.err') -eq 1 ] && grep -q 'access denied' '$WORK/deny.err'"
ok_if "no token stored after a refusal" test ! -e "$SPOOL/tokens/$alice_uid-cloud"
wait_until 20 audit_has consent-device-denied cs_alice
ok_if "audit: consent-device-denied" audit_has consent-device-denied cs_alice

run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" authorize nodev
ok_if "a destination without device_url: a clear error, non-zero exit" \
	bash -c "[ $RUN_STATUS -ne 0 ] && grep -q 'does not offer the device grant' <<<'$RUN_ERR'"
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" authorize alicecloud
ok_if "a destination no action of bob's sends to: refused (exit 77), one clear line" \
	bash -c "[ $RUN_STATUS -eq 77 ] && grep -q 'no action you may use' <<<'$RUN_ERR'"
wait_until 20 bash -c "jq -s -e 'any(.[]; .event==\"consent-device-refused\" and .user==\"cs_bob\" and .destination==\"alicecloud\")' '$SPOOL/audit/audit.log' >/dev/null"
ok_if "audit: consent-device-refused for bob, no flow started" \
	bash -c "jq -s -e 'any(.[]; .event==\"consent-device-refused\" and .user==\"cs_bob\" and .destination==\"alicecloud\") and (any(.[]; .event==\"consent-device-started\" and .user==\"cs_bob\" and .destination==\"alicecloud\") | not)' '$SPOOL/audit/audit.log' >/dev/null"
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" authorize nosuch
ok_if "an unknown destination: a clear error, non-zero exit" \
	bash -c "[ $RUN_STATUS -ne 0 ] && grep -q 'no destination' <<<'$RUN_ERR'"

stop_daemon
stop_peers
check_audit_verifies
assert_no_markers
finish
