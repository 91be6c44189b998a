#!/usr/bin/env bash
# t-audit.sh - the audit trail is tamper-evident end to end. After a real
# delivery the log has one JSON line per event (key created, submitted,
# delivered, shredded ...), `cloudspoolctl audit show` prints it and
# `cloudspoolctl audit verify` says "audit: ok (N lines)". Then, on the
# spool's own audit folder (backed up and restored between cases, with no
# daemon running): an edited byte, a removed line, a truncated last line, a
# removed last line, swapped lines, an appended copy of a line and an
# edited head record each make verify exit 1 and name the bad line (where
# there is one). The restored trail verifies again, and keeps growing
# verifiably with admin actions (keys rotate, audited) and new jobs.
source "$(dirname "$0")/lib.sh"

setup_standard
run_daemon_once || bail_out "cloudspoold --once (first pass) failed" "$(tail -n 20 "$LOGS/daemon-once.log")"
marker=$(new_marker)
doc=$(user_document cs_alice audited.pdf "$marker" 4)
submit_as cs_alice "$doc"
id=$RUN_OUT
is_job_id "$id" || bail_out "cs_alice could not submit" "$(run_diag)"
run_daemon_once
wait_for_delivery cs_alice audited.pdf "$id" 10 || bail_out "the job was not delivered" "$(spool_entries)"
# A second job, so the log has lines after the first delivery too.
submit_as cs_bob "$(user_document cs_bob second.pdf "$marker" 2)"
id2=$RUN_OUT
run_daemon_once
wait_for_delivery cs_bob second.pdf "$id2" 10 || not_ok "the second job is delivered" "$(spool_entries)"

# A hostile file name: terminal escapes, a bell, a newline, bad UTF-8.
hostile_name=$(printf 'evil\033]0;pwned\007\033[31mred\nsecond line\377.pdf')
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a t --name "$hostile_name" - <"$doc"
id_h=$RUN_OUT
run_daemon_once
job_gone "$id_h" || not_ok "the job with a hostile name is processed" "$(run_diag)" "$(spool_entries)"

log=$(audit_log_file)
audit_dir=$SPOOL/audit
lines=$(wc -l <"$log")

# --- the intact trail
if [ "$lines" -ge 6 ] && [ "$(jq -c 'select(type == "object")' "$log" 2>/dev/null | wc -l)" -eq "$lines" ]; then
	ok "the audit log has $lines lines, each one JSON object"
else
	not_ok "the audit log has at least 6 lines, each one JSON object" "$(head -c 2000 "$log")"
fi
missing_events=()
for ev in submitted delivered shredded; do
	audit_has "$ev" "$id" || missing_events+=("$ev")
done
if [ "${#missing_events[@]}" -eq 0 ]; then
	ok "the job's submitted, delivered and shredded events are in the trail"
else
	not_ok "the job's submitted, delivered and shredded events are in the trail" \
		"missing: ${missing_events[*]}" "events: $(jq -r .event "$log" | sort | uniq -c | tr '\n' ' ')"
fi
# (jq -e reports on the last input only in jq 1.6: count output lines)
if jq -c 'select(.mac == null or (.mac | test("^[0-9a-f]{64}$") | not))' "$log" 2>/dev/null | grep -q .; then
	not_ok "every line carries a 64-hex-digit mac" "$(jq -c 'select(.mac == null)' "$log" | head -n 3)"
else
	ok "every line carries a 64-hex-digit mac"
fi
if ! grep -qF "$marker" "$log"; then
	ok "the audit trail holds no document content"
else
	not_ok "the audit trail holds no document content"
fi
if ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$log" && [ "$(jq -c . "$log" | wc -l)" -eq "$lines" ]; then
	ok "a hostile file name leaves no control byte in the audit log, one JSON line per event"
else
	not_ok "a hostile file name leaves no control byte in the audit log, one JSON line per event" \
		"$(audit_lines_mentioning "$id_h" | cat -v)"
fi
run_cmd "$CTL" -c "$CONF" audit show
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$RUN_OUT"; then
	not_ok "audit show prints no control byte" "$(cat -v <<<"$RUN_OUT" | grep -F "$id_h")"
else
	ok "audit show prints no control byte"
fi
run_cmd "$CTL" -c "$CONF" audit show
if [ "$RUN_STATUS" -eq 0 ] && grep -qF "$id" <<<"$RUN_OUT"; then
	ok "cloudspoolctl audit show prints the trail"
else
	not_ok "cloudspoolctl audit show prints the trail" "$(run_diag | head -n 20)"
fi
run_cmd "$CTL" -c "$CONF" audit verify
if [ "$RUN_STATUS" -eq 0 ] && [ "$RUN_OUT" = "audit: ok ($lines lines)" ]; then
	ok "audit verify: 'audit: ok ($lines lines)'"
else
	not_ok "audit verify: 'audit: ok ($lines lines)'" "$(run_diag)"
fi

# --- tampering, case by case on the live audit folder
cp -a "$audit_dir" "$WORK/audit.orig"

# restore_audit - put the untouched audit folder back
restore_audit() {
	rm -rf "$audit_dir"
	cp -a "$WORK/audit.orig" "$audit_dir"
}

# edit_line - rewrite line n of the log with a sed expression
edit_line() {
	sed -i "$1{$2}" "$log"
}

# check_tamper_found - description, line number to be named (or "")
check_tamper_found() {
	local desc=$1 line=$2
	run_cmd "$CTL" -c "$CONF" audit verify
	if [ "$RUN_STATUS" -eq 1 ] &&
		{ [ -z "$line" ] || grep -qiE "line[^0-9]{0,3}$line([^0-9]|$)|(^|[^0-9])$line lines?([^a-z]|$)" <<<"$RUN_OUT$RUN_ERR"; }; then
		ok "$desc: verify exits 1${line:+ and names line $line}"
	else
		not_ok "$desc: verify exits 1${line:+ and names line $line}" "$(run_diag)"
	fi
	restore_audit
}

# One byte of line 2's event name changed (its JSON stays valid).
edit_line 2 's/"event":"\(.\)/"event":"X/'
if cmp -s "$log" "$WORK/audit.orig/audit.log"; then
	not_ok "the edit of line 2 took effect" "$(sed -n 2p "$log")"
fi
check_tamper_found "one byte of line 2 edited" 2

# One digit of line 3's timestamp changed.
edit_line 3 's/\("ts":"[0-9]\{3\}\)[0-9]/\19/'
cmp -s "$log" "$WORK/audit.orig/audit.log" && sed -i '3s/\("ts":"[0-9]\{3\}\)9/\18/' "$log"
check_tamper_found "the timestamp of line 3 changed" 3

sed -i '3d' "$log"
check_tamper_found "line 3 removed" 3

sed -i '1d' "$log"
check_tamper_found "the first line removed" 1

truncate -s -20 "$log"
check_tamper_found "the last line truncated" "$lines"

sed -i '$d' "$log"
check_tamper_found "the last line removed" ""

sed -i '2{h;d};3{G}' "$log"
check_tamper_found "lines 2 and 3 swapped" 2

last_line=$(tail -n 1 "$log")
printf '%s\n' "$last_line" >>"$log"
check_tamper_found "a copy of the last line appended" $((lines + 1))

: >"$log"
check_tamper_found "the log emptied (head still says $lines lines)" ""

if [ -f "$audit_dir/head" ]; then
	sed -i 's/seq [0-9]*/seq 1/' "$audit_dir/head"
	check_tamper_found "the head record edited" ""
	rm -f "$audit_dir/head"
	check_tamper_found "the head record removed" ""
else
	not_ok "audit/head exists" "$(ls -la "$audit_dir")"
fi

# Verification of the restored trail, then the daemon appends to it fine.
check_audit_verifies "the restored trail verifies again"

# Admin actions are audited too: a key rotation by hand.
run_cmd "$CTL" -c "$CONF" keys rotate
if [ "$RUN_STATUS" -eq 0 ] && jq -c 'select(.event == "admin" and (tostring | test("rotate")))' "$log" 2>/dev/null | grep -q . &&
	[ "$(jq -c 'select(.event == "key_created")' "$log" | wc -l)" -ge 2 ]; then
	ok "cloudspoolctl keys rotate makes a new epoch, audited as an admin action and key_created"
else
	not_ok "cloudspoolctl keys rotate makes a new epoch, audited as an admin action and key_created" \
		"$(run_diag)" "$(tail -n 3 "$log")"
fi
run_cmd "$CTL" -c "$CONF" keys list
if [ "$RUN_STATUS" -eq 0 ] && [ "$(grep -c . <<<"$RUN_OUT")" -ge 2 ] && grep -q 'current' <<<"$RUN_OUT"; then
	ok "cloudspoolctl keys list shows both epochs and the current one"
else
	not_ok "cloudspoolctl keys list shows both epochs and the current one" "$(run_diag)"
fi
submit_as cs_alice "$(user_document cs_alice third.pdf "$marker" 1)"
id3=$RUN_OUT
run_daemon_once
if wait_for_delivery cs_alice third.pdf "$id3" 10; then
	ok "a job sealed to the new epoch is delivered"
else
	not_ok "a job sealed to the new epoch is delivered" "$(run_diag)" "$(spool_entries)"
fi
check_audit_verifies "after more events the trail still verifies"
assert_no_markers
finish
