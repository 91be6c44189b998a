#!/usr/bin/env bash
# t-refresh.sh - cloudspool-upload's "refresh" operation, the token
# refresh the daemon hands to a sandboxed child (spoold/up_refresh.c,
# doc/UPLOAD-PROTOCOL.md section 6), driven straight from the build dir
# by tests/upload/refresh-driver.py against a token endpoint over HTTPS
# (tests/upload/token-endpoint.py) and gnutls-serv for the TLS refusals:
#   - a refresh: the new token comes back on the socket; expires_at is
#     counted from the daemon's "now"; the endpoint got a refresh_token
#     grant with the client secret in the body;
#   - a provider that does not rotate: the old refresh token is kept;
#   - invalid_grant: class "revoked"; a 503: class "temporary";
#   - TLS 1.1 only, a self-signed and a wrong-host certificate: class
#     "refused", the reason says "TLS/certificate failure".
. "$(dirname "$0")/lib.sh"
need_built
DRV="python3 $UP_SRC/tests/upload/refresh-driver.py $CS_UPLOADER"
make_ca; ok $? "a test CA and certificates"

# endpoint NAME SCRIPT_LINES... - start a token endpoint answering the
# given lines in turn; its port in EP_PORT
endpoint() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$UP_TMP/$name.script"
	: >"$UP_TMP/$name.log"
	EP_PORT=$(free_port)
	start_bg "$UP_TMP/$name.out" python3 "$UP_SRC/tests/upload/token-endpoint.py" "$EP_PORT" \
		"$UP_TMP/srv.pem" "$UP_TMP/srv.key" "$UP_TMP/$name.script" "$UP_TMP/$name.log"
	wait_port "$EP_PORT"
}

# refresh_req FILE PORT [REFRESH_TOKEN] - a refresh request to port
refresh_req() {
	printf '{"op":"refresh","destination":"t","now":1000000,"client":{"client_id":"cid","token_url":"https://127.0.0.1:%s/token","ca_file":"%s"},"secrets":{"client_secret":"s3cret-%s"},"token":{"access_token":"old-at","refresh_token":"%s","token_type":"Bearer","expires_at":1}}\n' \
		"$2" "$UP_TMP/ca.pem" "$RANDOM" "${3:-old-rt}" >"$1"
}

# run_refresh REQ - the driver's line in UP_OUT
run_refresh() {
	UP_OUT=$($DRV "$1" 2>>"$UP_TMP/driver.err")
	echo "# driver: $UP_OUT" | cut -c1-300
}

# 1. a refresh with rotation
endpoint rotate '200 {"access_token":"new-at","refresh_token":"new-rt","token_type":"Bearer","expires_in":3600}'
refresh_req "$UP_TMP/rotate.req" "$EP_PORT"
run_refresh "$UP_TMP/rotate.req"
[ "$(field type)" = token ] && [ "$(field token.access_token)" = new-at ] &&
	[ "$(field token.refresh_token)" = new-rt ] && [ "$(field _status)" = 0 ] && [ "$(field _extra)" = 0 ]
ok $? "refresh: the new access and rotated refresh token come back, one answer, exit 0"
[ "$(field token.expires_at)" = 1003600 ]
ok $? "refresh: expires_at is counted from the daemon's now (1000000 + 3600)"
grep -q 'grant_type=refresh_token' "$UP_TMP/rotate.log" && grep -q 'refresh_token=old-rt' "$UP_TMP/rotate.log" &&
	grep -q 'client_secret=s3cret-' "$UP_TMP/rotate.log" && grep -q 'client_id=cid' "$UP_TMP/rotate.log"
ok $? "refresh: the endpoint got a refresh_token grant with the client credentials in the body"

# 2. no rotation: the old refresh token is kept
endpoint keep '200 {"access_token":"new-at2","token_type":"Bearer","expires_in":60}'
refresh_req "$UP_TMP/keep.req" "$EP_PORT" keep-this-rt
run_refresh "$UP_TMP/keep.req"
[ "$(field token.access_token)" = new-at2 ] && [ "$(field token.refresh_token)" = keep-this-rt ]
ok $? "refresh without rotation: the old refresh token is kept"

# 3. invalid_grant and a server error
endpoint revoked '400 {"error":"invalid_grant","error_description":"grant revoked"}'
refresh_req "$UP_TMP/revoked.req" "$EP_PORT"
run_refresh "$UP_TMP/revoked.req"
[ "$(field type)" = fail ] && [ "$(field class)" = revoked ] && field reason | grep -q invalid_grant
ok $? "invalid_grant: class revoked, the reason says invalid_grant"
endpoint busy '503 {}'
refresh_req "$UP_TMP/busy.req" "$EP_PORT"
run_refresh "$UP_TMP/busy.req"
[ "$(field type)" = fail ] && [ "$(field class)" = temporary ]
ok $? "503: class temporary"

# 4. TLS refusals: nothing reaches an HTTP layer
if command -v gnutls-serv >/dev/null; then
	# refused NAME PRIORITY CERT KEY
	refused() {
		local port pid
		port=$(free_port)
		gnutls-serv --http --port "$port" --priority "$2" --x509certfile "$3" \
			--x509keyfile "$4" >"$UP_TMP/$1.log" 2>&1 &
		pid=$!
		wait_port "$port"
		refresh_req "$UP_TMP/$1.req" "$port"
		run_refresh "$UP_TMP/$1.req"
		[ "$(field type)" = fail ] && [ "$(field class)" = refused ] &&
			field reason | grep -q 'TLS/certificate failure'
		ok $? "$1 token endpoint: refused, the reason says TLS/certificate failure"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	}
	refused tls1.1-only 'NORMAL:-VERS-ALL:+VERS-TLS1.1' "$UP_TMP/srv.pem" "$UP_TMP/srv.key"
	refused self-signed 'NORMAL' "$UP_TMP/self.pem" "$UP_TMP/self.key"
	refused wrong-host 'NORMAL' "$UP_TMP/wrong.pem" "$UP_TMP/wrong.key"
else
	skip "gnutls-serv (gnutls-bin) not installed"
fi

# 5. a bad request is refused before any network use
printf '{"op":"refresh","destination":"t","now":1,"client":{},"token":{}}\n' >"$UP_TMP/bad.req"
run_refresh "$UP_TMP/bad.req"
[ "$(field answer)" = null ] && [ "$(field status)" = 64 ] &&
	grep -q 'refresh request needs' "$UP_TMP/driver.err"
ok $? "a refresh request without a token endpoint: no answer, exit 64, one line on stderr"
