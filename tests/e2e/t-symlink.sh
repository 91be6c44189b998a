#!/usr/bin/env bash
# t-symlink.sh - delivery never follows a symlink a user planted. The
# delivery agent starts as root, so a followed link would let a user make it
# overwrite or create any file on the system. Cases: a symlink at the target
# name pointing to an existing file outside (must stay untouched; the
# document lands under another name), a dangling symlink at the target name
# (its target must not be created), and a symlink in place of the user's
# own folder (delivery must not write through it), and file names that
# try to climb out of the folder or hide in it.
source "$(dirname "$0")/lib.sh"

setup_standard
outside=$TEST_ROOT/outside
install -d -m 0755 -o root -g root "$outside"

start_daemon
wait_for_public_key || bail_out "no public key" "$(tail -n 20 "$LOGS/daemon.log")"

# A first delivery creates cs_alice's folder, owned by her.
marker_0=$(new_marker)
doc_0=$(user_document cs_alice first.txt "$marker_0" 1)
submit_as cs_alice "$doc_0"
if wait_for_delivery cs_alice first.txt "$RUN_OUT" 30; then
	ok "a first delivery creates cs_alice's folder"
else
	bail_out "a first delivery creates cs_alice's folder" "$(run_diag)" "$(ls -laR "$SCANS")"
fi
folder=$SCANS/cs_alice

# --- a symlink at the target name, to a file cs_alice must not write
printf 'root-owned original\n' >"$outside/target"
chmod 0644 "$outside/target"
before=$(sha256sum <"$outside/target")
as_user cs_alice ln -s "$outside/target" "$folder/victim.pdf" ||
	bail_out "cs_alice could not plant a symlink in her folder"
marker_1=$(new_marker)
doc_1=$(user_document cs_alice victim.pdf "$marker_1" 4)
submit_as cs_alice "$doc_1"
id_1=$RUN_OUT
is_job_id "$id_1" || not_ok "cs_alice submits victim.pdf" "$(run_diag)"
if wait_until 30 job_gone "$id_1"; then
	ok "the job with a symlink at its target name leaves the spool"
else
	not_ok "the job with a symlink at its target name leaves the spool" "$(spool_entries)"
fi
if [ "$(sha256sum <"$outside/target")" = "$before" ] && [ "$(stat -c '%U %a' "$outside/target")" = "root 644" ]; then
	ok "the symlink's target outside the folder is untouched"
else
	not_ok "the symlink's target outside the folder is untouched" "$(ls -l "$outside/target")"
fi
if [ -L "$folder/victim.pdf" ] && [ "$(readlink "$folder/victim.pdf")" = "$outside/target" ]; then
	ok "the planted symlink itself is left as it was"
else
	not_ok "the planted symlink itself is left as it was" "$(ls -la "$folder")"
fi
landed=$(grep -lF "$marker_1" "$folder"/* 2>/dev/null | head -n 1)
if [ -n "$landed" ] && [ ! -L "$landed" ] && cmp -s "$doc_1" "$landed"; then
	ok "the document lands under another name ($(basename "$landed"))"
else
	not_ok "the document lands under another name" "$(ls -la "$folder")"
fi

# --- a dangling symlink at the target name: its target must not appear
as_user cs_alice ln -s "$outside/created-through-link" "$folder/dangling.pdf"
marker_2=$(new_marker)
doc_2=$(user_document cs_alice dangling.pdf "$marker_2" 4)
submit_as cs_alice "$doc_2"
id_2=$RUN_OUT
wait_until 30 job_gone "$id_2"
if [ ! -e "$outside/created-through-link" ]; then
	ok "a dangling symlink at the target name does not create its target"
else
	not_ok "a dangling symlink at the target name does not create its target" "$(ls -la "$outside")"
fi
landed=$(grep -lF "$marker_2" "$folder"/* 2>/dev/null | head -n 1)
if [ -n "$landed" ] && [ ! -L "$landed" ] && cmp -s "$doc_2" "$landed"; then
	ok "that document lands under another name ($(basename "$landed"))"
else
	not_ok "that document lands under another name" "$(ls -la "$folder")"
fi

# --- the user's folder itself replaced with a symlink (to a root folder)
install -d -m 0755 -o root -g root "$outside/bobdir"
ln -s "$outside/bobdir" "$SCANS/cs_bob"
marker_3=$(new_marker)
doc_3=$(user_document cs_bob through-folder.pdf "$marker_3" 4)
submit_as cs_bob "$doc_3"
id_3=$RUN_OUT
is_job_id "$id_3" || not_ok "cs_bob submits" "$(run_diag)"
# Give the daemon time for the pickup and several delivery attempts.
wait_until 15 audit_has_any_of "$id_3" deferred shredded delivered
sleep 3
if [ -z "$(ls -A "$outside/bobdir")" ]; then
	ok "delivery does not write through a symlink in place of the user's folder"
else
	not_ok "delivery does not write through a symlink in place of the user's folder" "$(ls -la "$outside/bobdir")"
fi
if [ -L "$SCANS/cs_bob" ] && [ "$(stat -c '%U' "$outside/bobdir")" = root ]; then
	ok "the symlinked folder and its target keep their owner (no chown through the link)"
else
	not_ok "the symlinked folder and its target keep their owner (no chown through the link)" \
		"$(ls -la "$SCANS" "$outside")"
fi
if [ "$(audit_count delivered "$id_3")" -eq 0 ]; then
	ok "the job is not reported delivered"
else
	not_ok "the job is not reported delivered" "$(audit_lines_mentioning "$id_3")"
fi
# What becomes of the job is policy: kept for a retry (deferred) or
# shredded at once with a reason; either way it must be audited.
job_fate() {
	if spool_holds_job "$1" && audit_has deferred "$1"; then
		echo deferred
	elif job_gone "$1" && audit_has shredded "$1"; then
		echo shredded
	else
		echo unknown
	fi
}
fate=$(job_fate "$id_3")
case $fate in
deferred) ok "the job is deferred (kept sealed for a retry), with an audit line" ;;
shredded) ok "the job is shredded with a reason: $(jq -r --arg id "$id_3" 'select(.event == "shredded" and .job == $id) | .reason' "$(audit_log_file)")" ;;
*) not_ok "the job is deferred or shredded, with an audit line" "$(spool_entries)" "$(audit_lines_mentioning "$id_3")" ;;
esac

rm -f "$SCANS/cs_bob"
if [ "$fate" = deferred ]; then
	# Once the admin removes the link, the retry delivers into a real folder.
	if wait_for_delivery cs_bob through-folder.pdf "$id_3" 30 &&
		cmp -s "$doc_3" "$(delivered_file cs_bob through-folder.pdf)" &&
		[ "$(stat -c '%U %F' "$SCANS/cs_bob")" = "cs_bob directory" ]; then
		ok "after the link is removed the retry delivers into cs_bob's own new folder"
	else
		not_ok "after the link is removed the retry delivers into cs_bob's own new folder" \
			"$(ls -la "$SCANS" "$SCANS/cs_bob" 2>&1)" "$(spool_entries)"
	fi
fi

# --- a symlink to another user's folder: bob's file must not reach alice
rm -rf "$SCANS/cs_bob"
ln -s "$SCANS/cs_alice" "$SCANS/cs_bob"
count_alice=$(find "$folder" -mindepth 1 | wc -l)
marker_4=$(new_marker)
doc_4=$(user_document cs_bob to-alice.pdf "$marker_4" 2)
submit_as cs_bob "$doc_4"
id_4=$RUN_OUT
wait_until 15 audit_has_any_of "$id_4" deferred shredded delivered
sleep 2
if [ "$(find "$folder" -mindepth 1 | wc -l)" -eq "$count_alice" ] && ! grep -rqF "$marker_4" "$folder"; then
	ok "a symlink to cs_alice's folder does not carry cs_bob's document into it"
else
	not_ok "a symlink to cs_alice's folder does not carry cs_bob's document into it" "$(ls -la "$folder")"
fi
fate=$(job_fate "$id_4")
[ "$fate" != unknown ] && ok "that job too is $fate, audited" ||
	not_ok "that job too is deferred or shredded, audited" "$(audit_lines_mentioning "$id_4")"
rm -f "$SCANS/cs_bob"
if [ "$fate" = deferred ]; then
	if wait_for_delivery cs_bob to-alice.pdf "$id_4" 30; then
		ok "cs_bob's job is delivered to his own folder once the link is gone"
	else
		not_ok "cs_bob's job is delivered to his own folder once the link is gone" "$(spool_entries)"
	fi
fi

# --- names chosen by the user cannot leave the user's folder
marker_6=$(new_marker)
make_document "$WORK/named.txt" "$marker_6" 1
ids=()
for name in '../../escape.pdf' '/etc/cron.d/evil' '.hidden.pdf' 'line
break.pdf' '..'; do
	run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a t --name "$name" - <"$WORK/named.txt"
	ids+=("$RUN_OUT")
done
for id in "${ids[@]}"; do wait_until 30 job_gone "$id"; done
escaped=$(find "$TEST_ROOT" /etc/cron.d -path "$SCANS/cs_alice" -prune -o -type f -newer "$WORK/named.txt" -print 2>/dev/null |
	grep -v "^$LOGS/\|^$WORK/\|^$SPOOL/")
if [ -z "$escaped" ] && [ ! -e /etc/cron.d/evil ]; then
	ok "names with ../, /, a leading dot or a newline stay inside cs_alice's folder"
else
	not_ok "names with ../, /, a leading dot or a newline stay inside cs_alice's folder" "$escaped"
fi
delivered_named=$(grep -lF "$marker_6" "$folder"/* 2>/dev/null | wc -l)
if [ "$delivered_named" -eq 5 ]; then
	ok "all five are delivered there"
else
	not_ok "all five are delivered there" "$delivered_named found" "$(ls -la "$folder")"
fi
if [ -z "$(find "$folder" -mindepth 1 -name '.*')" ] && [ -z "$(find "$folder" -mindepth 1 -name "*$'\n'*")" ]; then
	ok "no delivered name starts with a dot or holds a newline"
else
	not_ok "no delivered name starts with a dot or holds a newline" "$(ls -lab "$folder")"
fi

ok_if "the daemon is still running" daemon_alive
stop_daemon
check_audit_verifies
assert_no_markers
finish
