# shellcheck shell=bash
# tests/e2e/netservers.sh - three network destinations for a daemon-level
# test or bench (source it after lib.sh): WebDAV (`rclone serve webdav`,
# 1 MiB/s), S3 (s3rver, tests/upload/node_modules) and the Google Drive
# fake (tests/fakes/drive.js, https with a test CA given as ca_file). Drive
# needs consent, so the config has an [authorization] section (no authd,
# no mail: every user has a token) and each user's access token is put in
# the vault with tests/e2e/vault-seed, as an accepted grant would be.
#
# net_setup CONFIG_ARGS... makes the test root, users cs_alice and cs_bob,
# starts the three servers, writes the config (destinations dav, s3,
# drive, each with concurrency = $LIMIT, and the standard localdir "local"
# with action "t"), starts the daemon and seeds the tokens. Servers are
# stopped by pid (stop_servers, in the EXIT trap).
BUILD_DIR=${CS_BUILD_DIR:-$SRC_DIR/build}
VAULT_SEED=${CS_VAULT_SEED:-$BUILD_DIR/tests/e2e/vault-seed}
S3RVER=$SRC_DIR/tests/upload/node_modules/.bin/s3rver
FAKES=$SRC_DIR/tests/fakes
LIMIT=${LIMIT:-4}	# concurrency of each destination (set before sourcing)

command -v rclone >/dev/null || bail_out "rclone is not installed (setup.sh deps)"
command -v node >/dev/null || bail_out "node is not installed (setup.sh deps)"
command -v ss >/dev/null || bail_out "ss is not installed (iproute2)"
[ -x "$S3RVER" ] || bail_out "s3rver missing: (cd tests/upload && npm ci)"
[ -x "$VAULT_SEED" ] || bail_out "$VAULT_SEED missing (make check in $BUILD_DIR)"

# free_port - an unused loopback TCP port
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# port_open PORT - something listens on it
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Servers are ours: started and stopped by pid, never by name.
RCLONE_PID='' S3_PID='' DRIVE_PID='' SAMPLER_PID=''
stop_servers() {
	local p
	for p in "$SAMPLER_PID" "$RCLONE_PID" "$S3_PID" "$DRIVE_PID"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SAMPLER_PID='' RCLONE_PID='' S3_PID='' DRIVE_PID=''
}

start_rclone() {
	rclone serve webdav "$DAV" --addr "127.0.0.1:$DAV_PORT" --user svc \
		--pass "$DAV_PASSWORD" --dir-cache-time 0s --bwlimit "${DAV_BWLIMIT:-1M}" \
		>>"$SRVLOGS/rclone.log" 2>&1 &
	RCLONE_PID=$!
	wait_until 10 port_open "$DAV_PORT"
}

start_s3rver() {
	"$S3RVER" -d "$S3DIR" -a 127.0.0.1 -p "$S3_PORT" --configure-bucket scans \
		--no-vhost-buckets >>"$SRVLOGS/s3rver.log" 2>&1 &
	S3_PID=$!
	wait_until 20 port_open "$S3_PORT"
}

start_drive() {
	node "$FAKES/drive.js" --port "$DRIVE_PORT" --store "$DRIVE_STORE" \
		--tokens "$WORK/drive.tokens" --tls-cert "$PKI/srv.pem" \
		--tls-key "$PKI/srv.key" >>"$SRVLOGS/drive.log" 2>&1 &
	DRIVE_PID=$!
	wait_until 10 port_open "$DRIVE_PORT"
}

# drive_ctl METHOD PATH [JSON] - the fake's control routes
drive_ctl() {
	curl -sf --cacert "$PKI/ca.pem" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data "$3"} \
		"https://127.0.0.1:$DRIVE_PORT$2"
}

# make_pki - a test CA and a certificate for 127.0.0.1, in PKI
make_pki() {
	install -d -m 0755 "$PKI"
	printf 'cn = "cloudspool test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$PKI/ca.tmpl"
	printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$PKI/srv.tmpl"
	certtool -p --key-type ecdsa --outfile "$PKI/ca.key" 2>/dev/null &&
		certtool -s --load-privkey "$PKI/ca.key" --template "$PKI/ca.tmpl" \
			--outfile "$PKI/ca.pem" 2>/dev/null &&
		certtool -p --key-type ecdsa --outfile "$PKI/srv.key" 2>/dev/null &&
		certtool -c --load-privkey "$PKI/srv.key" --load-ca-certificate "$PKI/ca.pem" \
			--load-ca-privkey "$PKI/ca.key" --template "$PKI/srv.tmpl" \
			--outfile "$PKI/srv.pem" 2>/dev/null &&
		chmod 0644 "$PKI/ca.pem"
}

# many_config - the standard config, three destinations, three actions,
# and an [authorization] section (consent on: the vault exists; no authd
# and no mail are needed while every user has a token)
many_config() {
	standard_config "$SPOOL" "$@"
	cat <<EOF

[destination dav]
provider = webdav
url = http://127.0.0.1:$DAV_PORT/scans/%u
user = svc
password_file = $WORK/dav.password
concurrency = $LIMIT

[action dav]
destination = dav
users = cs_alice cs_bob

[destination s3]
provider = s3
endpoint = http://127.0.0.1:$S3_PORT
bucket = scans
access_key_id = S3RVER
secret_key_file = $WORK/s3.secret
addressing = path
concurrency = $LIMIT

[action s3]
destination = s3
users = cs_alice cs_bob

[destination drive]
provider = gdrive
client_id = cloudspool-test
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
ca_file = $PKI/ca.pem
concurrency = $LIMIT

[action drive]
destination = drive
users = cs_alice cs_bob

[authorization]
callback_url = https://127.0.0.1:1
EOF
}

# seed_token USER TOKEN - the user's Drive token into the vault
seed_token() {
	local uid
	uid=$(id -u "$1")
	printf '{"access_token":"%s","expires_at":0}' "$2" |
		runuser -u cloudspool -- "$VAULT_SEED" "$SPOOL" "$uid" "$1" drive
}

# net_setup - everything up to a running daemon with tokens in its vault
net_setup() {
	setup_test_root
	trap 'stop_servers; cleanup_test' EXIT
	create_user cs_alice
	create_user cs_bob
	chmod 0711 "$WORK"
	SRVLOGS=$WORK/srvlogs
	DAV=$WORK/dav
	S3DIR=$WORK/s3
	DRIVE_STORE=$WORK/drive
	PKI=$WORK/pki
	SUB=$WORK/sub
	mkdir -p "$SRVLOGS" "$DAV/scans" "$S3DIR" "$DRIVE_STORE" "$SUB"
	DAV_PASSWORD=pw-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$DAV_PASSWORD" >"$WORK/dav.password"
	printf 'S3RVER\n' >"$WORK/s3.secret"
	chown cloudspool "$WORK/dav.password" "$WORK/s3.secret"
	chmod 0600 "$WORK/dav.password" "$WORK/s3.secret"
	# each user is a client of its own: the fake keeps their drives apart
	printf 'tok-alice client-alice\ntok-bob client-bob\n' >"$WORK/drive.tokens"
	DAV_PORT=$(free_port)
	S3_PORT=$(free_port)
	DRIVE_PORT=$(free_port)
	make_pki || bail_out "certtool could not make the test CA"

	start_rclone || bail_out "rclone serve webdav did not start" "$(tail -n 5 "$SRVLOGS/rclone.log")"
	start_s3rver || bail_out "s3rver did not start" "$(tail -n 5 "$SRVLOGS/s3rver.log")"
	start_drive || bail_out "the Drive fake did not start" "$(tail -n 5 "$SRVLOGS/drive.log")"
	ok "WebDAV (rclone), S3 (s3rver) and the Drive fake (https) listen on loopback"

	many_config "$@" | install_config "$CONF"
	init_spool
	ok_if "check-config accepts the three destinations" "$CTL" -c "$CONF" check-config
	start_daemon
	wait_for_public_key || bail_out "no public key" "$(tail -n 20 "$LOGS/daemon.log")"
	wait_until 10 test -s "$SPOOL/keys/vault.key" ||
		bail_out "the daemon made no vault key" "$(tail -n 20 "$LOGS/daemon.log")"
	if seed_token cs_alice tok-alice 2>"$WORK/seed.err" &&
		seed_token cs_bob tok-bob 2>>"$WORK/seed.err"; then
		ok "each user's Drive token is in the vault (vault-seed)"
	else
		bail_out "each user's Drive token is in the vault (vault-seed)" "$(cat "$WORK/seed.err")"
	fi
}
