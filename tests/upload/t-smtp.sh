#!/usr/bin/env bash
# t-smtp.sh - the smtp provider (scan to email) against smtp-server from
# npm: a message over STARTTLS with the document attached byte for byte,
# From/To/Subject; TLS refused when the server offers no STARTTLS or a
# self-signed certificate; the size limit with and without a fallback;
# at most once: a run that finds {"phase":"sending"} sends nothing, a
# lost answer after the whole message is not re-sent, a refused message
# resets the state so a later run may send.
. "$(dirname "$0")/lib.sh"
need_built
UP_PROVIDER=smtp
NODE_DIR=$UP_SRC/tests/upload/node_modules
command -v node >/dev/null && [ -d "$NODE_DIR/smtp-server" ] || {
	skip "node or smtp-server missing (setup.sh installs tests/upload's npm packages)"; exit 0; }
make_ca; ok $? "a test CA and server certificates (certtool)"

MAIL=$UP_TMP/mail
P_STARTTLS=$(free_port); P_PLAIN=$(free_port); P_TLS=$(free_port)
P_DROP=$(free_port); P_REJECT=$(free_port); P_SELF=$(free_port)
start_bg "$UP_TMP/sink.log" node "$UP_SRC/tests/upload/smtp-sink.mjs" "$MAIL" \
	"$UP_TMP/srv.pem" "$UP_TMP/srv.key" starttls="$P_STARTTLS" plain="$P_PLAIN" \
	tls="$P_TLS" drop="$P_DROP" reject="$P_REJECT"
start_bg "$UP_TMP/sink-self.log" node "$UP_SRC/tests/upload/smtp-sink.mjs" "$MAIL" \
	"$UP_TMP/self.pem" "$UP_TMP/self.key" starttls-self="$P_SELF"
wait_port "$P_STARTTLS" && wait_port "$P_REJECT" && wait_port "$P_SELF"
ok $? "smtp-server listens (STARTTLS, none, smtps, drop, reject, self-signed)"

CA=$UP_TMP/ca.pem
# settings PORT [SCHEME] [EXTRA_JSON] - a destination's settings
settings() {
	printf '{"url":"%s://127.0.0.1:%s","from":"scanner@example.org","ca_file":"%s"%s}' \
		"${2:-smtp}" "$1" "$CA" "${3:-}"
}
# with_email REQ [ADDR] - add the job's "email" to a request
with_email() {
	jq -c --arg e "${2:-alice@example.org}" '. + {email: $e}' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
# count MODE - messages a server accepted
count() {
	find "$MAIL/$1" -name '*.eml' 2>/dev/null | wc -l
}
# eml FILE WHAT [ARG] - a header, or the attachment (decoded) to ARG
eml() {
	python3 - "$@" <<'PY'
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
what = sys.argv[2]
if what == 'attachment':
    parts = [p for p in msg.iter_attachments()]
    assert len(parts) == 1, len(parts)
    open(sys.argv[3], 'wb').write(parts[0].get_content())
    print(parts[0].get_content_type(), parts[0].get_filename())
elif what == 'body':
    print(msg.get_body(preferencelist=('plain',)).get_content())
else:
    print(msg[what])
PY
}

DOC=$UP_TMP/doc
make_doc "$DOC" 3
BIG=$UP_TMP/big
make_doc "$BIG" 2

# 1. delivered over STARTTLS to the job's address
request "$UP_TMP/r1" "$(settings "$P_STARTTLS")" '{}' "$DOC" scan.pdf job-1
with_email "$UP_TMP/r1"
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "mailed over STARTTLS"
[ "$(field earlier)" = false ] && [ "$(field where)" = "email to alice@example.org" ]
ok $? "... done, not earlier, where names the address"
[ "$(count starttls)" -eq 1 ]; ok $? "... exactly one message arrived"
M1=$(find "$MAIL/starttls" -name '*.eml' | head -1)
[ "$(eml "$M1" attachment "$UP_TMP/got1")" = "application/pdf scan.pdf" ]
ok $? "... one attachment, application/pdf, named scan.pdf"
cmp -s "$DOC" "$UP_TMP/got1"; ok $? "... the decoded attachment is byte-identical"
[ "$(eml "$M1" From)" = scanner@example.org ] && [ "$(eml "$M1" To)" = alice@example.org ]
ok $? "... From is the destination's from, To the job's email"
eml "$M1" Subject | grep -q 'scan.pdf'; ok $? "... the subject names the file"
! eml "$M1" body | grep -q CSMARKER && eml "$M1" body | grep -q 'scan.pdf'
ok $? "... the body names the file and holds none of its content"
[ "$(jq -r .phase "$UP_TMP/s1")" = sending ]; ok $? "... {\"phase\":\"sending\"} was checkpointed first"

# 2. the same job again (state "sending"): nothing is sent twice
drive "$UP_TMP/r1" "$DOC" "$UP_TMP/s1"; ok $? "the same job run again answers done"
[ "$(field earlier)" = true ] && [ "$(field where)" = "(sent before a restart; not re-sent)" ]
ok $? "... earlier, '(sent before a restart; not re-sent)'"
[ "$(count starttls)" -eq 1 ]; ok $? "... and no second message"

# 3. a fresh job that starts with {"phase":"sending"} sends nothing
request "$UP_TMP/r3" "$(settings "$P_STARTTLS")" '{}' "$DOC" other.pdf job-3
with_email "$UP_TMP/r3"
echo '{"phase":"sending"}' >"$UP_TMP/s3"
drive "$UP_TMP/r3" "$DOC" "$UP_TMP/s3" && [ "$(field earlier)" = true ]
ok $? "a run starting at phase sending answers done earlier=true"
[ "$(count starttls)" -eq 1 ]; ok $? "... and sends nothing"

# 4. "to" template; .tif type; smtps://
request "$UP_TMP/r4" "$(settings "$P_TLS" smtps ',"to":"%u@mail.example.org"')" '{}' "$DOC" page.tif job-4
with_email "$UP_TMP/r4"
drive "$UP_TMP/r4" "$DOC" "$UP_TMP/s4"; ok $? "mailed over smtps://"
M4=$(find "$MAIL/tls" -name '*.eml' | head -1)
[ -n "$M4" ] && [ "$(eml "$M4" To)" = alice@mail.example.org ]; ok $? "... to the 'to' template (%u), not the job's email"
[ "$(eml "$M4" attachment "$UP_TMP/got4")" = "image/tiff page.tif" ] && cmp -s "$DOC" "$UP_TMP/got4"
ok $? "... a .tif goes as image/tiff, byte-identical"
request "$UP_TMP/r4b" "$(settings "$P_TLS" smtps)" '{}' "$DOC" notes.bin job-4b
with_email "$UP_TMP/r4b" bob@example.org
drive "$UP_TMP/r4b" "$DOC" "$UP_TMP/s4b" && M=$(grep -l 'bob@example.org' "$MAIL"/tls/*.eml) &&
	[ "$(eml "$M" attachment "$UP_TMP/got4b")" = "application/octet-stream notes.bin" ]
ok $? "... another extension goes as application/octet-stream"

# 5. TLS refused: no STARTTLS offered, self-signed certificate
request "$UP_TMP/r5" "$(settings "$P_PLAIN")" '{}' "$DOC" x.pdf job-5
with_email "$UP_TMP/r5"
drive "$UP_TMP/r5" "$DOC" "$UP_TMP/s5"
[ $? -eq 1 ] && [ "$(field class)" = temporary ] && field reason | grep -q TLS
ok $? "a server without STARTTLS is refused: temporary, the reason names TLS"
[ "$(count plain)" -eq 0 ] && [ "$(jq -c . "$UP_TMP/s5")" = '{}' ]
ok $? "... nothing sent, the state reset to {} so a later run sends"
request "$UP_TMP/r6" "$(settings "$P_SELF")" '{}' "$DOC" x.pdf job-6
with_email "$UP_TMP/r6"
drive "$UP_TMP/r6" "$DOC" "$UP_TMP/s6"
[ $? -eq 1 ] && [ "$(field class)" = temporary ] && field reason | grep -q 'TLS/certificate failure'
ok $? "a self-signed certificate is refused: temporary, TLS/certificate failure"
[ "$(count starttls-self)" -eq 0 ]; ok $? "... and nothing was sent"

# 6. over max_size: permanent without a fallback, class fallback with one
request "$UP_TMP/r7" "$(settings "$P_STARTTLS" smtp ',"max_size":"1M"')" '{}' "$BIG" big.pdf job-7
with_email "$UP_TMP/r7"
drive "$UP_TMP/r7" "$BIG" "$UP_TMP/s7"
[ $? -eq 1 ] && [ "$(field class)" = permanent ] &&
	field reason | grep -q "document of $(stat -c %s "$BIG") bytes is over the email limit"
ok $? "over max_size without a fallback: permanent, 'document of N bytes is over the email limit'"
request "$UP_TMP/r8" "$(settings "$P_STARTTLS" smtp ',"max_size":"1M","fallback":"home"')" '{}' "$BIG" big.pdf job-8
with_email "$UP_TMP/r8"
drive "$UP_TMP/r8" "$BIG" "$UP_TMP/s8"
[ $? -eq 1 ] && [ "$(field class)" = fallback ]; ok $? "over max_size with a fallback: class fallback"
[ "$(count starttls)" -eq 1 ] && [ ! -e "$UP_TMP/s7" ] && [ ! -e "$UP_TMP/s8" ]; ok $? "... neither sent a message nor checkpointed"

# 7. the server's answer to the whole message is lost: at most once
request "$UP_TMP/r9" "$(settings "$P_DROP")" '{}' "$DOC" lost.pdf job-9
with_email "$UP_TMP/r9"
drive "$UP_TMP/r9" "$DOC" "$UP_TMP/s9" && field where | grep -q 'not re-sent'
ok $? "a connection closed after the whole message: done, 'not re-sent'"
drive "$UP_TMP/r9" "$DOC" "$UP_TMP/s9" && [ "$(field earlier)" = true ] && [ "$(count drop)" -eq 1 ]
ok $? "... a rerun sends no second copy"

# 8. the server refuses the message (552): permanent, state reset
request "$UP_TMP/r10" "$(settings "$P_REJECT")" '{}' "$DOC" no.pdf job-10
with_email "$UP_TMP/r10"
drive "$UP_TMP/r10" "$DOC" "$UP_TMP/s10"
[ $? -eq 1 ] && [ "$(field class)" = permanent ] && field reason | grep -q 552 &&
	[ "$(jq -c . "$UP_TMP/s10")" = '{}' ]
ok $? "a 552 answer to the data is permanent and resets the state to {}"

# 9. no address at all: permanent
request "$UP_TMP/r11" "$(settings "$P_STARTTLS")" '{}' "$DOC" x.pdf job-11
drive "$UP_TMP/r11" "$DOC" "$UP_TMP/s11"
[ $? -eq 1 ] && [ "$(field class)" = permanent ] && field reason | grep -q 'no address'
ok $? "no job email and no 'to': permanent, 'no address'"
[ "$(count starttls)" -eq 1 ]; ok $? "... nothing sent"
