#!/usr/bin/env bash
# t-isolation.sh - one user cannot reach another's documents: cs_bob can
# neither list, read nor delete anything in the spool (cs_alice's sealed job
# waiting in incoming/, keys, audit, status) nor in cs_alice's delivery
# folder; cs_bob cannot submit as cs_alice (-u is for trusted submitters
# only), while root, a trusted submitter, can; a user outside the action's
# users gets EX_NOPERM (77) and leaves nothing in the spool; the setgid
# helper refuses a config a user wrote (or one anybody could change), since
# such a config could point it at any folder.
source "$(dirname "$0")/lib.sh"

setup_standard
create_user cs_carol

run_daemon_once || bail_out "cloudspoold --once (first pass) failed" "$(tail -n 20 "$LOGS/daemon-once.log")"
wait_for_public_key || bail_out "no public key after the first pass"

# --- cs_alice's job waits in incoming/ (the daemon is not running)
marker_a=$(new_marker)
doc_a=$(user_document cs_alice secret-alice.pdf "$marker_a" 16)
submit_as cs_alice "$doc_a"
id_a=$RUN_OUT
is_job_id "$id_a" || bail_out "cs_alice could not submit" "$(run_diag)"
mapfile -t spool_files < <(find "$SPOOL" -mindepth 1 ! -type d)
mapfile -t spool_dirs < <(find "$SPOOL" -type d)
if printf '%s\n' "${spool_files[@]}" | grep -q "incoming/$id_a"; then
	ok "cs_alice's sealed job waits in incoming/"
else
	not_ok "cs_alice's sealed job waits in incoming/" "$(spool_entries)"
fi

assert_no_marker "$marker_a" "the waiting job is sealed: its marker is nowhere on disk but in cs_alice's home"

# check_user_cannot_list - every spool folder is closed to a user
check_user_cannot_list() {
	local user=$1 dir listable=()
	for dir in "${spool_dirs[@]}"; do
		if as_user "$user" ls -A "$dir" >/dev/null 2>&1; then
			listable+=("$dir")
		fi
	done
	if [ "${#listable[@]}" -eq 0 ]; then
		ok "$user cannot list any folder of the spool"
	else
		not_ok "$user cannot list any folder of the spool" "listable: ${listable[*]}"
	fi
}

# check_user_cannot_read - no spool file is readable by a user
check_user_cannot_read() {
	local user=$1 f readable=()
	for f in "${spool_files[@]}"; do
		if as_user "$user" head -c 1 "$f" >/dev/null 2>&1; then
			readable+=("$f")
		fi
	done
	if [ "${#readable[@]}" -eq 0 ]; then
		ok "$user cannot read any file of the spool (${#spool_files[@]} files)"
	else
		not_ok "$user cannot read any file of the spool" "readable: ${readable[*]}"
	fi
}

# check_user_cannot_delete - rm and mv of every spool file fail for a user
check_user_cannot_delete() {
	local user=$1 f gone=()
	for f in "${spool_files[@]}"; do
		as_user "$user" rm -f "$f" >/dev/null 2>&1
		as_user "$user" mv -f "$f" "$(user_home "$user")/" >/dev/null 2>&1
		[ -e "$f" ] || [ -L "$f" ] || gone+=("$f")
	done
	if [ "${#gone[@]}" -eq 0 ]; then
		ok "$user cannot delete or move any file of the spool"
	else
		not_ok "$user cannot delete or move any file of the spool" "gone: ${gone[*]}"
	fi
}

# Permission bits are not the whole story: no ACL may open anything up.
acls=$(getfacl -R -p -s "$SPOOL" 2>/dev/null)
if [ -z "$acls" ]; then
	ok "no file or folder of the spool carries an extended ACL"
else
	not_ok "no file or folder of the spool carries an extended ACL" "$acls"
fi
check_user_cannot_list cs_bob
check_user_cannot_read cs_bob
check_user_cannot_delete cs_bob
check_user_cannot_list cs_alice
check_user_cannot_read cs_alice

# cs_alice cannot even take her own submission back out of incoming/.
if as_user cs_alice rm -f "$SPOOL/incoming/$id_a" 2>/dev/null; [ -e "$SPOOL/incoming/$id_a" ]; then
	ok "cs_alice cannot remove her own sealed job from incoming/"
else
	not_ok "cs_alice cannot remove her own sealed job from incoming/"
fi

# --- jobs lists only one's own jobs
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" jobs
if ! grep -qF "$id_a" <<<"$RUN_OUT$RUN_ERR"; then
	ok "cs_bob's cloudspool jobs does not show cs_alice's job"
else
	not_ok "cs_bob's cloudspool jobs does not show cs_alice's job" "$(run_diag)"
fi

# --- deliver, then the delivered file is cs_alice's alone
run_daemon_once || not_ok "cloudspoold --once delivers" "$(tail -n 20 "$LOGS/daemon-once.log")"
delivered=$(delivered_file cs_alice secret-alice.pdf)
if wait_for_delivery cs_alice secret-alice.pdf "$id_a" 10 && cmp -s "$doc_a" "$delivered"; then
	ok "cs_alice's document is delivered to her folder"
else
	not_ok "cs_alice's document is delivered to her folder" "$(ls -laR "$SCANS" 2>&1)" "$(spool_entries)"
fi
acls=$(getfacl -R -p -s "$SCANS" 2>/dev/null)
if [ -z "$acls" ]; then
	ok "delivered files and folders carry no extended ACL"
else
	not_ok "delivered files and folders carry no extended ACL" "$acls"
fi
run_cmd as_user cs_bob cat "$delivered"
ok_if "cs_bob cannot read cs_alice's delivered file" test "$RUN_STATUS" -ne 0
run_cmd as_user cs_bob ls "$SCANS/cs_alice"
ok_if "cs_bob cannot list cs_alice's delivery folder" test "$RUN_STATUS" -ne 0
as_user cs_bob rm -f "$delivered" >/dev/null 2>&1
ok_if "cs_bob cannot delete cs_alice's delivered file" test -f "$delivered"
run_cmd as_user cs_bob touch "$SCANS/cs_alice/planted-by-bob"
ok_if "cs_bob cannot create files in cs_alice's delivery folder" test ! -e "$SCANS/cs_alice/planted-by-bob"
run_cmd as_user cs_alice cmp -s "$delivered" "$doc_a"
ok_if "cs_alice can read her delivered file" test "$RUN_STATUS" -eq 0

# --- submitting as someone else
incoming_count() {
	find "$SPOOL/incoming" -mindepth 1 | wc -l
}
before=$(incoming_count)
marker_b=$(new_marker)
make_document "$WORK/bob.txt" "$marker_b" 2
drop_as cs_bob -a t -u cs_alice -n as-alice.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -eq 77 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cs_bob cannot submit as cs_alice with -u (exit 77, nothing in the spool)"
else
	not_ok "cs_bob cannot submit as cs_alice with -u (exit 77, nothing in the spool)" "$(run_diag)"
fi
drop_as cs_bob -a t -e alice@example.org -n with-email.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -eq 77 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cs_bob cannot set another email address with -e (exit 77)"
else
	not_ok "cs_bob cannot set another email address with -e (exit 77)" "$(run_diag)"
fi

# root is a trusted submitter (the CUPS backend model): it may name the user
run_cmd "$DROP" -c "$CONF" -a t -u cs_alice -n on-behalf.txt <"$WORK/bob.txt"
id_r=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_r"; then
	ok "root may submit on behalf of cs_alice with -u"
	run_daemon_once
	if wait_for_delivery cs_alice on-behalf.txt "$id_r" 10 &&
		[ "$(stat -c %U "$(delivered_file cs_alice on-behalf.txt)")" = cs_alice ]; then
		ok "a job submitted on behalf of cs_alice is delivered to cs_alice, owned by her"
	else
		not_ok "a job submitted on behalf of cs_alice is delivered to cs_alice, owned by her" \
			"$(ls -laR "$SCANS" 2>&1)"
	fi
	if audit_lines_mentioning "$id_r" | grep -q '"submitter"[[:space:]]*:[[:space:]]*"root"'; then
		ok "the audit trail records root as the submitter"
	else
		not_ok "the audit trail records root as the submitter" "$(audit_lines_mentioning "$id_r")"
	fi
else
	not_ok "root may submit on behalf of cs_alice with -u" "$(run_diag)"
fi
drop_as root -a t -u no_such_user_cs -n x.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -eq 67 ]; then
	ok "an unknown user name with -u gives EX_NOUSER (67)"
else
	not_ok "an unknown user name with -u gives EX_NOUSER (67)" "$(run_diag)"
fi

# The drop helper's group gives no read access: a user cannot submit a
# file she cannot read herself.
before=$(incoming_count)
submit_as cs_bob /etc/shadow
if [ "$RUN_STATUS" -ne 0 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cloudspool submit of a file the user cannot read fails, nothing queued"
else
	not_ok "cloudspool submit of a file the user cannot read fails, nothing queued" "$(run_diag)"
fi

# --- a user the action does not allow
before=$(incoming_count)
marker_c=$(new_marker)
doc_c=$(user_document cs_carol carol.pdf "$marker_c" 2)
drop_as cs_carol -a t -n carol.pdf <"$doc_c"
if [ "$RUN_STATUS" -eq 77 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "a user outside the action's users gets exit 77 and leaves nothing in the spool"
else
	not_ok "a user outside the action's users gets exit 77 and leaves nothing in the spool" "$(run_diag)"
fi
submit_as cs_carol "$doc_c"
if [ "$RUN_STATUS" -ne 0 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cloudspool submit by that user fails too"
else
	not_ok "cloudspool submit by that user fails too" "$(run_diag)"
fi
run_cmd as_user cs_carol "$CLOUDSPOOL" -c "$CONF" actions
if ! grep -qw t <<<"$RUN_OUT"; then
	ok "cloudspool actions does not offer the action to that user"
else
	not_ok "cloudspool actions does not offer the action to that user" "$(run_diag)"
fi
drop_as cs_bob -a no-such-action -n x.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -ne 0 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "an unknown action is refused (exit $RUN_STATUS)"
else
	not_ok "an unknown action is refused" "$(run_diag)"
fi

# --- configs the setgid helper must not trust
# A config owned by the user, allowing everyone: refused.
bob_conf=$(user_home cs_bob)/evil.conf
standard_config "$SPOOL" users='*' >"$bob_conf"
chown cs_bob: "$bob_conf"
chmod 0644 "$bob_conf"
run_cmd as_user cs_bob "$DROP" -c "$bob_conf" -a t -n evil.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -ne 0 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cloudspool-drop refuses a -c config owned by the user (exit $RUN_STATUS)"
else
	not_ok "cloudspool-drop refuses a -c config owned by the user" "$(run_diag)"
fi
[ "$RUN_STATUS" -eq 78 ] || [ "$RUN_STATUS" -eq 77 ] ||
	diag "note: exit status $RUN_STATUS (EX_CONFIG 78 or EX_NOPERM 77 expected)"
# Owned by root but group-writable: refused as well.
standard_config "$SPOOL" users='*' | install_config "$TEST_ROOT/group-writable.conf"
chmod 0664 "$TEST_ROOT/group-writable.conf"
chgrp cs_carol "$TEST_ROOT/group-writable.conf"
run_cmd as_user cs_carol "$DROP" -c "$TEST_ROOT/group-writable.conf" -a t -n gw.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -ne 0 ] && [ "$(incoming_count)" -eq "$before" ]; then
	ok "cloudspool-drop refuses a root-owned but group-writable -c config (exit $RUN_STATUS)"
else
	not_ok "cloudspool-drop refuses a root-owned but group-writable -c config" "$(run_diag)"
fi
# The same file, root-owned and 0644, is accepted (the test config works).
chgrp root "$TEST_ROOT/group-writable.conf"
chmod 0644 "$TEST_ROOT/group-writable.conf"
run_cmd as_user cs_carol "$DROP" -c "$TEST_ROOT/group-writable.conf" -a t -n gw.txt <"$WORK/bob.txt"
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "the same config, root-owned 0644, is accepted"
else
	not_ok "the same config, root-owned 0644, is accepted" "$(run_diag)"
fi
run_daemon_once

ok_if "the drop helper is setgid, not setuid" test "$(stat -c %A "$DROP" | cut -c4,7)" = xs

check_audit_verifies
assert_no_markers
finish
