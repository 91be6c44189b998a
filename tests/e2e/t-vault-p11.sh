#!/usr/bin/env bash
# t-vault-p11.sh - the token vault's secret in a PKCS#11 token (SoftHSM2),
# end to end through the installed daemon:
#
#   1. a SoftHSM2 token owned by cloudspool (SOFTHSM2_CONF in the test
#      root) with an RSA key generated inside it, private and never
#      extractable (p11tool --generate-privkey --mark-private);
#   2. the daemon starts in the file-key mode and makes keys/vault.key;
#      cs_alice's Drive token is put in the vault (tests/e2e/vault-seed, as
#      an accepted grant would be);
#   3. `cloudspoolctl vault-wrap` with a wrong PIN changes nothing; with
#      the right one it writes keys/vault.wrapped and shreds vault.key; a
#      second run refuses; a daemon still configured for the key file
#      refuses to start rather than make a new, empty vault;
#   4. with pkcs11_url and pkcs11_pin_file the daemon unwraps the secret
#      through the token and delivers a job of cs_alice to the Drive fake,
#      which accepts only her bearer token (the record written under the
#      key file opens: same vault); the read is audited;
#   5. p11tool shows the key CKA_SENSITIVE and CKA_NEVER_EXTRACTABLE and
#      cannot export it; with a wrong PIN in pkcs11_pin_file the daemon
#      does not start.
#
# Needs softhsm2 and gnutls-bin (p11tool); the Drive fake needs node.
# Audit lines are matched with `jq -c select(...) | grep -q .`: jq 1.6's
# -e exits 4 when the last line of the file does not match.
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.sh"
LIMIT=1
source "$SRC_DIR/tests/e2e/netservers.sh"

SOFTHSM_LIB=${CS_SOFTHSM_LIB:-/usr/lib/softhsm/libsofthsm2.so}
[ -r "$SOFTHSM_LIB" ] || bail_out "SoftHSM2 is not installed (package softhsm2)"
command -v p11tool >/dev/null || bail_out "p11tool is not installed (package gnutls-bin)"
command -v softhsm2-util >/dev/null || bail_out "softhsm2-util is not installed"

PIN=$(od -An -tu4 -N4 /dev/urandom | tr -d ' ' | cut -c1-6)
PIN=${PIN}19	# at least 4 digits whatever od gave
SO_PIN=so-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
KEY_URL="pkcs11:token=cse2e;object=vault;type=private"

# as_cloudspool - run a command as the daemon user with our token config
as_cloudspool() {
	runuser -u cloudspool -- env SOFTHSM2_CONF="$HSM/softhsm2.conf" "$@"
}

# p11_config - the standard config, the Drive destination needing consent,
# and [authorization]; with an argument, the PIN file of the PKCS#11 mode
p11_config() {
	standard_config "$SPOOL" users=cs_alice
	cat <<EOF

[destination drive]
provider = gdrive
client_id = cloudspool-test
api_url = https://127.0.0.1:$DRIVE_PORT
upload_url = https://127.0.0.1:$DRIVE_PORT/upload
ca_file = $PKI/ca.pem
concurrency = 1

[action drive]
destination = drive
users = cs_alice

[authorization]
callback_url = https://127.0.0.1:1
EOF
	if [ $# -gt 0 ]; then
		printf 'pkcs11_url = %s\npkcs11_pin_file = %s\n' "$KEY_URL" "$1"
	fi
}

# ------------------------------------------------------------ set-up

setup_test_root
trap 'stop_servers; cleanup_test' EXIT
create_user cs_alice
chmod 0711 "$WORK"
SRVLOGS=$WORK/srvlogs PKI=$WORK/pki DRIVE_STORE=$WORK/drive
HSM=$TEST_ROOT/hsm
mkdir -p "$SRVLOGS" "$DRIVE_STORE"
printf 'tok-alice client-alice\n' >"$WORK/drive.tokens"
DRIVE_PORT=$(free_port)
make_pki || bail_out "certtool could not make the test CA"
start_drive || bail_out "the Drive fake did not start" "$(tail -n 5 "$SRVLOGS/drive.log")"

# The token belongs to the daemon user, as a production token's files
# (or an HSM's access) would; the PIN file too, readable by it only.
install -d -m 0700 -o cloudspool -g cloudspool "$HSM" "$HSM/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$HSM" >"$HSM/softhsm2.conf"
chmod 0644 "$HSM/softhsm2.conf"
printf '%s\n' "$PIN" >"$HSM/pin"
printf '0000\n' >"$HSM/wrong-pin"
chown cloudspool:cloudspool "$HSM/pin" "$HSM/wrong-pin"
chmod 0600 "$HSM/pin" "$HSM/wrong-pin"
if as_cloudspool softhsm2-util --init-token --free --label cse2e --pin "$PIN" \
	--so-pin "$SO_PIN" >"$WORK/hsm.out" 2>&1 &&
	as_cloudspool env GNUTLS_PIN="$PIN" p11tool --provider "$SOFTHSM_LIB" --login \
		--generate-privkey rsa --bits 2048 --label vault --mark-private \
		"pkcs11:token=cse2e" >>"$WORK/hsm.out" 2>&1; then
	ok "SoftHSM2 token with an RSA key generated inside it (private, not extractable)"
else
	bail_out "SoftHSM2 token and key" "$(cat "$WORK/hsm.out")"
fi
# the daemon (started as root, then cloudspool) and cloudspoolctl find
# the token through this
export SOFTHSM2_CONF=$HSM/softhsm2.conf

# ------------------------------------- the file-key vault, with a token

p11_config | install_config "$CONF"
init_spool
start_daemon
wait_for_public_key || bail_out "no public key" "$(tail -n 20 "$LOGS/daemon.log")"
wait_until 10 test -s "$SPOOL/keys/vault.key" ||
	bail_out "the daemon made keys/vault.key" "$(tail -n 20 "$LOGS/daemon.log")"
stop_daemon
if printf '{"access_token":"tok-alice","expires_at":0}' |
	runuser -u cloudspool -- "$VAULT_SEED" "$SPOOL" "$(id -u cs_alice)" cs_alice drive \
		2>"$WORK/seed.err"; then
	ok "cs_alice's Drive token is in the vault, sealed under keys/vault.key"
else
	bail_out "cs_alice's Drive token is in the vault" "$(cat "$WORK/seed.err")"
fi
record=$SPOOL/tokens/$(id -u cs_alice)-drive
record_sum=$(sha256sum "$record" | cut -d' ' -f1)

# -------------------------------------------------------- vault-wrap

run_cmd "$CTL" -c "$CONF" vault-wrap --pkcs11-url "$KEY_URL" --pin-file "$HSM/wrong-pin"
if [ "$RUN_STATUS" -ne 0 ] && [ -s "$SPOOL/keys/vault.key" ] &&
	[ ! -e "$SPOOL/keys/vault.wrapped" ]; then
	ok "vault-wrap with a wrong PIN fails and changes nothing (exit $RUN_STATUS)"
else
	not_ok "vault-wrap with a wrong PIN fails and changes nothing" "$(run_diag)" \
		"$(ls -l "$SPOOL/keys")"
fi
ok_if "... with a one-line reason" bash -c \
	"[ \$(wc -l <'$WORK/run.err') -eq 1 ] && grep -qi 'PKCS#11\\|pin\\|unwrap' '$WORK/run.err'"

run_cmd "$CTL" -c "$CONF" vault-wrap --pkcs11-url "$KEY_URL" --pin-file "$HSM/pin"
if [ "$RUN_STATUS" -eq 0 ] && [ -s "$SPOOL/keys/vault.wrapped" ]; then
	ok "cloudspoolctl vault-wrap writes keys/vault.wrapped"
else
	not_ok "cloudspoolctl vault-wrap writes keys/vault.wrapped" "$(run_diag)"
fi
ok_if "... owned by cloudspool, mode 0600" test "$(stat -c '%U %a' "$SPOOL/keys/vault.wrapped")" = "cloudspool 600"
ok_if "... and keys/vault.key is shredded" test ! -e "$SPOOL/keys/vault.key"
ok_if "... the vault record itself is untouched" test "$(sha256sum "$record" | cut -d' ' -f1)" = "$record_sum"
ok_if "... audited (vault-wrapped, key file shredded)" bash -c \
	"jq -c 'select(.event == \"vault-wrapped\" and .key_file == \"shredded\" and .result == \"ok\")' '$(audit_log_file)' | grep -q ."
ok_if "... the PIN is nowhere in the audit trail" bash -c "! grep -qF -- '$PIN' '$(audit_log_file)'"

run_cmd "$CTL" -c "$CONF" vault-wrap --pkcs11-url "$KEY_URL" --pin-file "$HSM/pin"
ok_if "a second vault-wrap refuses (keys/vault.wrapped exists)" bash -c \
	"[ $RUN_STATUS -ne 0 ] && grep -q 'already wrapped' '$WORK/run.err'"

# still configured for the key file: no silent new vault
run_daemon_once
status=$?
ok_if "a daemon configured for the key file refuses to start beside vault.wrapped" bash -c \
	"[ $status -ne 0 ] && grep -q 'vault.wrapped exists' '$LOGS/daemon-once.log'"
ok_if "... and made no new keys/vault.key" test ! -e "$SPOOL/keys/vault.key"

# --------------------------------------- the daemon in PKCS#11 mode

p11_config "$HSM/pin" | install_config "$CONF"
ok_if "check-config accepts pkcs11_url and pkcs11_pin_file" "$CTL" -c "$CONF" check-config
# the daemon republishes the vault's public key once the vault is open:
# its return proves the unwrap, not just a process that has yet to fail
rm -f "$SPOOL/consent/vault.pub"
start_daemon
if wait_until 20 test -s "$SPOOL/consent/vault.pub" && daemon_alive; then
	ok "cloudspoold starts with the vault key unwrapped through the token"
else
	bail_out "cloudspoold starts in PKCS#11 mode" "$(tail -n 20 "$LOGS/daemon.log")"
fi

marker=$(new_marker)
doc=$(user_document cs_alice p11-scan.txt "$marker")
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a drive "$doc"
job=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' <<<"$RUN_OUT" | head -n 1)
if is_job_id "$job"; then
	ok "cs_alice submits a scan to the Drive destination ($job)"
else
	bail_out "cs_alice submits a scan to the Drive destination" "$(run_diag)"
fi
if wait_until 40 audit_has delivered "$job"; then
	ok "the job is delivered with the token from the vault"
else
	not_ok "the job is delivered with the token from the vault" \
		"$(audit_lines_mentioning "$job" | tail -n 5)" "$(tail -n 20 "$LOGS/daemon.log")"
fi
drive_ctl GET /__fake/files >"$WORK/drive.files" || : >"$WORK/drive.files"
path=$(jq -r '.[] | select(.name == "p11-scan.txt" and .client == "client-alice") | .path' \
	"$WORK/drive.files" | head -n 1)
ok_if "... the Drive fake has it under cs_alice's bearer token, byte-identical" \
	cmp "$doc" "$DRIVE_STORE/$path"
ok_if "... the vault read is audited (vault-read: cs_alice, drive, delivery, success, the job)" bash -c \
	"jq -c --arg j '$job' 'select(.event == \"vault-read\" and .user == \"cs_alice\" and .destination == \"drive\" and .why == \"delivery\" and .result == \"success\" and .job == \$j)' '$(audit_log_file)' | grep -q ."
ok_if "... and keys/vault.key was never made again" test ! -e "$SPOOL/keys/vault.key"
stop_daemon

# ------------------------------------------------ the key stays inside

as_cloudspool p11tool --provider "$SOFTHSM_LIB" --login --set-pin "$PIN" \
	--list-all-privkeys "pkcs11:token=cse2e" >"$WORK/p11.list" 2>&1
ok_if "p11tool: the token's key is CKA_SENSITIVE and CKA_NEVER_EXTRACTABLE" bash -c \
	"grep -q CKA_SENSITIVE '$WORK/p11.list' && grep -q CKA_NEVER_EXTRACTABLE '$WORK/p11.list'"
as_cloudspool env GNUTLS_PIN="$PIN" p11tool --provider "$SOFTHSM_LIB" --login \
	--export "$KEY_URL" >"$WORK/p11.export" 2>&1
export_status=$?
ok_if "p11tool --export cannot take the private key out of the token" bash -c \
	"! grep -q 'PRIVATE KEY' '$WORK/p11.export' && ([ $export_status -ne 0 ] || grep -qi 'not available' '$WORK/p11.export')"
ok_if "the spool holds no plain vault key file" bash -c \
	"! find '$SPOOL' -type f -exec grep -l CSVKEY {} + 2>/dev/null | grep -q . && test ! -e '$SPOOL/keys/vault.key'"

# a wrong PIN: the daemon does not start (and the token is not locked:
# the PIN callback never retries)
p11_config "$HSM/wrong-pin" | install_config "$CONF"
run_daemon_once
status=$?
ok_if "with a wrong pkcs11_pin_file the daemon refuses to start" bash -c \
	"[ $status -ne 0 ] && grep -qi 'unwrap\|pkcs#11\|pin' '$LOGS/daemon-once.log'"

check_audit_verifies
assert_no_markers
finish
