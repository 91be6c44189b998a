#!/usr/bin/env bash
# tests/upload/lib.sh - what the uploader's tests share: TAP counting, a
# scratch folder under the build dir (never /tmp: other tests search /tmp
# for plaintext markers), servers started and stopped by their own pid,
# free loopback ports, a test CA made with certtool, and running
# cloudspool-upload through tests/upload/upload-driver.
#
# Environment: CS_BUILD_DIR (default SRC/build).
set -uo pipefail

UP_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UP_BUILD=${CS_BUILD_DIR:-$UP_SRC/build}
UP_DRIVER=$UP_BUILD/tests/upload/upload-driver
export CS_UPLOADER=$UP_BUILD/cloudspool-upload
UP_TMP=$UP_BUILD/test-upload/$(basename "$0" .sh)
UP_N=0
UP_FAILED=0
UP_PIDS=()

rm -rf "$UP_TMP"
mkdir -p "$UP_TMP"

# ok COND_STATUS DESCRIPTION - one TAP line from a status (0 = pass)
ok() {
	UP_N=$((UP_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $UP_N - $2"
	else echo "not ok $UP_N - $2"; UP_FAILED=1; fi
}

# skip DESCRIPTION - a test that cannot run here
skip() {
	UP_N=$((UP_N + 1))
	echo "ok $UP_N - # SKIP $1"
}

# finish - the plan, stop servers, exit status
finish() {
	local p
	for p in "${UP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	echo "1..$UP_N"
	exit "$UP_FAILED"
}
trap finish EXIT

# need_built - the uploader and the driver must exist
need_built() {
	if [ ! -x "$CS_UPLOADER" ] || [ ! -x "$UP_DRIVER" ]; then
		echo "not ok 1 - $CS_UPLOADER or $UP_DRIVER missing (make check)"
		UP_N=1
		UP_FAILED=1
		exit 1
	fi
}

# free_port - an unused loopback TCP port
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT - until something listens (10 s at most)
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_bg LOG CMD... - start a server, remember its pid
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	UP_PIDS+=("$!")
}

# make_ca - UP_TMP/ca.pem, srv.pem/srv.key (127.0.0.1, localhost),
# wrong.pem (signed by the CA for another host), self.pem (self-signed)
make_ca() {
	local d=$UP_TMP/pki
	mkdir -p "$d"
	printf 'cn = "cloudspool test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
	printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ndns_name = "localhost"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$d/srv.tmpl"
	printf 'cn = "wrong.example"\ndns_name = "wrong.example"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$d/wrong.tmpl"
	certtool -p --key-type ecdsa --outfile "$d/ca.key" 2>/dev/null
	certtool -s --load-privkey "$d/ca.key" --template "$d/ca.tmpl" --outfile "$UP_TMP/ca.pem" 2>/dev/null
	for n in srv wrong self; do
		certtool -p --key-type ecdsa --outfile "$UP_TMP/$n.key" 2>/dev/null
	done
	certtool -c --load-privkey "$UP_TMP/srv.key" --load-ca-certificate "$UP_TMP/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/srv.tmpl" --outfile "$UP_TMP/srv.pem" 2>/dev/null
	certtool -c --load-privkey "$UP_TMP/wrong.key" --load-ca-certificate "$UP_TMP/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/wrong.tmpl" --outfile "$UP_TMP/wrong.pem" 2>/dev/null
	certtool -s --load-privkey "$UP_TMP/self.key" --template "$d/srv.tmpl" --outfile "$UP_TMP/self.pem" 2>/dev/null
	[ -s "$UP_TMP/srv.pem" ] && [ -s "$UP_TMP/wrong.pem" ] && [ -s "$UP_TMP/self.pem" ]
}

# make_doc FILE MIB - random bytes with a marker at the start
make_doc() {
	{ printf 'CSMARKER-%s\n' "$RANDOM$RANDOM"; head -c "$(($2 * 1048576))" /dev/urandom; } >"$1"
}

# request FILE JSON_SETTINGS JSON_SECRETS DOC NAME JOB [TOKEN] - a request
request() {
	local size sha tok=null
	size=$(stat -c %s "$4")
	sha=$(sha256sum "$4" | cut -d' ' -f1)
	[ -n "${7:-}" ] && tok="{\"access_token\":\"$7\",\"expires_at\":4102444800}"
	printf '{"provider":"%s","destination":"t","settings":%s,"secrets":%s,"user":"alice","uid":1001,"job":"%s","name":"%s","size":%s,"sha256":"%s","token":%s,"state":null}\n' \
		"$UP_PROVIDER" "$2" "$3" "$6" "$5" "$size" "$sha" "$tok" >"$1"
}

# drive REQ DOC STATE [--kill-after N] - run the driver; its one line in
# UP_OUT, its exit status returned
drive() {
	UP_OUT=$("$UP_DRIVER" "$@" 2>>"$UP_TMP/driver.err")
	local st=$?
	echo "# driver: $UP_OUT (exit $st)" | cut -c1-300
	return $st
}

# field NAME - a field of UP_OUT
field() {
	printf '%s' "$UP_OUT" | jq -r ".$1"
}
