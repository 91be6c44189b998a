#!/usr/bin/env bash
# t-refresh-daemon.sh - the daemon's side of the token refresh
# (spoold/refresh.c), from the build dir, nothing installed: cloudspoold
# runs as the cloudspool user (so it honours CLOUDSPOOL_UPLOAD and
# CLOUDSPOOL_FILTER and takes both from build/), root submits through
# build/cloudspool-drop with -u (a trusted submitter). Private user
# (csr_alice), folder (build/test-upload/) and ports, so it runs beside
# the end-to-end tests without their lock.
#   - destination good: an expired token is refreshed by the child at a
#     token endpoint (tests/upload/token-endpoint.py), the new token is
#     stored (token-refreshed) and the job delivered to the Drive fake,
#     which accepts only the new access token;
#   - destination bad: the token endpoint's certificate is self-signed:
#     token-refresh-failed "TLS/certificate failure", the job deferred and
#     retried, never delivered, its vault record byte-identical.
# Needs root (useradd, runuser), node (the Drive fake) and gnutls-serv.
# tests/run-tests.sh runs it twice: with build/, and with the sanitizer
# daemon from build-asan/ (CS_BUILD_DIR) running build/'s helpers.
. "$(dirname "$0")/lib.sh"
B=$UP_BUILD
# the uploader and filter the daemon runs: a sanitizer build's cannot
# live under the rlimits the daemon gives them, so CS_HELPERS_DIR lets a
# sanitizer-built daemon (CS_BUILD_DIR=build-asan) run the main build's
H=${CS_HELPERS_DIR:-$B}
U=csr_alice
DAEMON_PID=
if [ "$(id -u)" -ne 0 ] || ! getent passwd cloudspool >/dev/null || ! command -v node >/dev/null ||
	! command -v gnutls-serv >/dev/null || [ ! -x "$B/cloudspoold" ] || [ ! -x "$B/tests/e2e/vault-seed" ]; then
	skip "needs root, the cloudspool user, node, gnutls-serv and a build with make check"
	exit 0
fi
# done - stop the daemon (its children die with it) and remove the user
done_daemon() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	userdel -r -f "$U" >/dev/null 2>&1
}
trap 'done_daemon; finish' EXIT
make_ca; ok $? "a test CA and certificates"
chmod 0755 "$UP_TMP"
chmod 0644 "$UP_TMP"/*.pem "$UP_TMP"/*.key
getent passwd "$U" >/dev/null && userdel -r -f "$U" >/dev/null 2>&1
useradd -M -s /usr/sbin/nologin "$U" || { ok 1 "useradd $U"; exit 1; }
PD=$(free_port) PT=$(free_port) PB=$(free_port)
printf 'new-at\n' >"$UP_TMP/drive-tokens"
printf '200 {"access_token":"new-at","refresh_token":"new-rt","token_type":"Bearer","expires_in":3600}\n' >"$UP_TMP/script"
printf 'client-secret\n' >"$UP_TMP/secret"
chmod 0644 "$UP_TMP/drive-tokens"
# a secret must be 0600/0640: the daemon runs as cloudspool
chown cloudspool "$UP_TMP/secret"
chmod 0600 "$UP_TMP/secret"
mkdir -p "$UP_TMP/drive"
start_bg "$UP_TMP/drive.log" node "$UP_SRC/tests/fakes/drive.js" --port "$PD" --store "$UP_TMP/drive" \
	--tokens "$UP_TMP/drive-tokens" --tls-cert "$UP_TMP/srv.pem" --tls-key "$UP_TMP/srv.key"
start_bg "$UP_TMP/tok.out" python3 "$UP_SRC/tests/upload/token-endpoint.py" "$PT" "$UP_TMP/srv.pem" \
	"$UP_TMP/srv.key" "$UP_TMP/script" "$UP_TMP/tok.log"
# a token endpoint that accepts connections and never says a word
PH=$(free_port)
start_bg "$UP_TMP/hang.log" python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); held = []
while True: held.append(s.accept()[0])' "$PH"
start_bg "$UP_TMP/bad.log" gnutls-serv --http --port "$PB" --x509certfile "$UP_TMP/self.pem" \
	--x509keyfile "$UP_TMP/self.key"
wait_port "$PD" && wait_port "$PT" && wait_port "$PB" && wait_port "$PH"
ok $? "the Drive fake, the token endpoint and the self-signed endpoint listen"

# dest NAME TOKEN_PORT - a Drive destination and its action
dest() {
	printf '\n[destination %s]\nprovider = gdrive\napi_url = https://127.0.0.1:%s\nupload_url = https://127.0.0.1:%s/upload\nclient_id = cid\nclient_secret_file = %s\ntoken_url = https://127.0.0.1:%s/token\nca_file = %s\n\n[action %s]\ndestination = %s\nusers = %s\n' \
		"$1" "$PD" "$PD" "$UP_TMP/secret" "$2" "$UP_TMP/ca.pem" "$1" "$1" "$U"
}
SP=$UP_TMP/spool
CONF=$UP_TMP/cloudspool.conf
{
	printf '[spool]\ndirectory = %s\ntick = 1s\nmax_job_size = 16M\nmin_free_space = 16M\ntrusted_submitters = root\n' "$SP"
	printf '\n[retention]\nauthorization_hold = 24h\ndelivery_window = 24h\nretry_initial = 1s\nretry_max = 2s\n'
	dest good "$PT"
	dest bad "$PB"
	dest hang "$PH"
	printf '\n[authorization]\ncallback_url = https://127.0.0.1:1\n'
} >"$CONF"
chmod 0644 "$CONF"
"$B/cloudspoolctl" -c "$CONF" init >"$UP_TMP/init.log" 2>&1
ok $? "cloudspoolctl init (build dir)"
(cd / && exec runuser -u cloudspool -- env CLOUDSPOOL_UPLOAD="$H/cloudspool-upload" \
	CLOUDSPOOL_FILTER="$H/cloudspool-filter" "$B/cloudspoold" -c "$CONF" --foreground) \
	>"$UP_TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do [ -e "$SP/keys/vault.key" ] && break; sleep 0.1; done
uid=$(id -u "$U")
for d in good bad hang; do
	printf '{"access_token":"old-at","refresh_token":"old-rt","token_type":"Bearer","expires_at":1}' |
		runuser -u cloudspool -- "$B/tests/e2e/vault-seed" "$SP" "$uid" "$U" "$d" 2>>"$UP_TMP/seed.err"
done
[ -e "$SP/tokens/$uid-good" ] && [ -e "$SP/tokens/$uid-bad" ] && [ -e "$SP/tokens/$uid-hang" ]
ok $? "expired tokens with refresh tokens in the vault (vault-seed)"
sum_bad=$(sha256sum "$SP/tokens/$uid-bad" | cut -d' ' -f1)
# the hanging refresh first: before the refresh left the daemon, its
# libcurl call (30 s timeout) stalled every pass, and the good job with it
job_hang=$(printf 'hang %s\n' "$RANDOM" | setpriv --egid cloudspool-drop --keep-groups "$B/cloudspool-drop" -c "$CONF" -a hang -n hang.txt -u "$U")
for _ in $(seq 100); do grep -q "$job_hang" "$SP/audit/audit.log" 2>/dev/null && break; sleep 0.1; done
sleep 1
t0=$SECONDS
job_good=$(printf 'good %s\n' "$RANDOM" | setpriv --egid cloudspool-drop --keep-groups "$B/cloudspool-drop" -c "$CONF" -a good -n good.txt -u "$U")
job_bad=$(printf 'bad %s\n' "$RANDOM" | setpriv --egid cloudspool-drop --keep-groups "$B/cloudspool-drop" -c "$CONF" -a bad -n bad.txt -u "$U")
# root (a trusted submitter, -u) with the drop helper's group, as the
# setgid helper would run: the daemon reads the file through that group
[[ $job_good =~ ^[0-9]{14}-[0-9a-f]{12}$ && $job_bad =~ ^[0-9]{14}-[0-9a-f]{12}$ ]]
ok $? "two jobs submitted ($job_good, $job_bad)"
[ -n "$job_good" ] && [ -n "$job_bad" ] || exit 1
A=$SP/audit/audit.log
# has JQ_CONDITION - some audit line matches
has() {
	jq -s -e "any(.[]; $1)" "$A" >/dev/null 2>&1
}
for _ in $(seq 200); do
	has ".event==\"delivered\" and .job==\"$job_good\"" &&
		has ".event==\"deferred\" and .job==\"$job_bad\" and .attempts >= 2" && break
	sleep 0.1
done
t_good=$((SECONDS - t0))
has ".event==\"token-refreshed\" and .destination==\"good\" and .uid==$uid"
ok $? "good: audit token-refreshed"
has ".event==\"delivered\" and .job==\"$job_good\"" && [ "$t_good" -le 10 ] &&
	! has ".event==\"token-refresh-failed\" and .destination==\"hang\""
ok $? "a token endpoint that never answers stalls nothing: good delivered in ${t_good} s while that refresh still runs"
grep -q 'grant_type=refresh_token&refresh_token=old-rt&client_id=cid&client_secret=client-secret' "$UP_TMP/tok.log"
ok $? "good: the token endpoint got the refresh grant with the client credentials"
has ".event==\"delivered\" and .job==\"$job_good\"" && [ -f "$UP_TMP/drive/cloudspool/good.txt" ]
ok $? "good: delivered with the new access token (the Drive fake knows only new-at)"
has ".event==\"token-refresh-failed\" and .destination==\"bad\" and (.reason|test(\"TLS/certificate failure\"))"
ok $? "bad: audit token-refresh-failed, TLS/certificate failure"
has ".event==\"deferred\" and .job==\"$job_bad\" and .attempts >= 2 and (.reason|test(\"token refresh failed\"))"
ok $? "bad: the job is deferred with the reason and retried"
[ -e "$SP/deferred/$job_bad" ] && ! has ".event==\"delivered\" and .job==\"$job_bad\"" &&
	[ ! -e "$UP_TMP/drive/cloudspool/bad.txt" ]
ok $? "bad: not delivered, still in deferred/"
[ "$(sha256sum "$SP/tokens/$uid-bad" | cut -d' ' -f1)" = "$sum_bad" ]
ok $? "bad: the vault record is unchanged"
kill -0 "$DAEMON_PID" 2>/dev/null
ok $? "the daemon is still running"
done_daemon
# a sanitizer build (CS_BUILD_DIR=build-asan) reports into the daemon's log
! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$UP_TMP/daemon.log"
ok $? "no sanitizer report in the daemon's log (meaningful with build-asan)"
