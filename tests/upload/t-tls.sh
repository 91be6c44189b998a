#!/usr/bin/env bash
# t-tls.sh - the TLS policy as the uploader applies it: a server that
# speaks only TLS 1.1, one with a self-signed certificate, one whose
# certificate names another host. Each is refused, class temporary (the
# daemon retries until the delivery window closes), with a reason naming
# TLS or the certificate.
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=webdav
command -v gnutls-serv >/dev/null || { skip "gnutls-serv (gnutls-bin) not installed"; exit 0; }
make_ca; ok $? "a test CA and certificates"
DOC=$UP_TMP/doc
make_doc "$DOC" 1

# refused NAME PRIORITY CERT KEY - run one server, expect a TLS refusal
refused() {
	local port pid
	port=$(free_port)
	gnutls-serv --http --port "$port" --priority "$2" --x509certfile "$3" \
		--x509keyfile "$4" >"$UP_TMP/$1.log" 2>&1 &
	pid=$!
	wait_port "$port"
	request "$UP_TMP/$1.req" "{\"url\":\"https://127.0.0.1:$port/%u\",\"user\":\"u\",\"ca_file\":\"$UP_TMP/ca.pem\"}" \
		'{"password":"p"}' "$DOC" x.pdf "job-$1"
	drive "$UP_TMP/$1.req" "$DOC" "$UP_TMP/$1.state"
	[ $? -eq 1 ] && [ "$(field class)" = temporary ] && field reason | grep -qE 'TLS|certificate'
	ok $? "$1: refused, temporary, the reason names TLS"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

refused tls1.1-only 'NORMAL:-VERS-ALL:+VERS-TLS1.1' "$UP_TMP/srv.pem" "$UP_TMP/srv.key"
refused self-signed 'NORMAL' "$UP_TMP/self.pem" "$UP_TMP/self.key"
refused wrong-host 'NORMAL' "$UP_TMP/wrong.pem" "$UP_TMP/wrong.key"
# the control case: the same server with the right certificate is reached
port=$(free_port)
gnutls-serv --http --port "$port" --x509certfile "$UP_TMP/srv.pem" --x509keyfile "$UP_TMP/srv.key" >"$UP_TMP/good.log" 2>&1 &
UP_PIDS+=("$!")
wait_port "$port"
request "$UP_TMP/good.req" "{\"url\":\"https://127.0.0.1:$port/%u\",\"user\":\"u\",\"ca_file\":\"$UP_TMP/ca.pem\"}" \
	'{"password":"p"}' "$DOC" x.pdf job-good
drive "$UP_TMP/good.req" "$DOC" "$UP_TMP/good.state"
! field reason | grep -qE 'TLS|certificate'; ok $? "control: a good certificate passes the handshake (gnutls-serv then answers HTTP)"
