#!/usr/bin/env bash
# t-retention.sh - the retention promises under a moved clock (libfaketime,
# wall clock only: sleeps stay real). A job whose delivery keeps failing
# (its destination path runs through a regular file, which fails for every
# user, root included) must still exist at submitted + 47 h and be shredded
# at + 49 h (authorization_hold 24 h + delivery_window 24 h), with an audit
# line whose reason names the deadline; key epochs rotate every 24 h, and
# the first epoch's private key is destroyed once no job sealed to it can
# exist any more (rotation + hold + window later) but not while one can.
# Part two: deadlines survive downtime - a daemon started after the deadline
# shreds the job in its first pass.
source "$(dirname "$0")/lib.sh"

setup_test_root
create_user cs_alice
touch "$TEST_ROOT/blocker"
{
	standard_config "$SPOOL" dest_path="$TEST_ROOT/blocker/%u" users=cs_alice
} | install_config "$CONF"
init_spool
faketime_library >/dev/null || bail_out "libfaketime is not installed (package libfaketime)"

# epoch_key_files - the epoch private key files in keys/
epoch_key_files() {
	find "${1:-$SPOOL}/keys" -maxdepth 1 -type f -name 'epoch-*' -printf '%f\n' 2>/dev/null | sort
}

# job_exists - the job file is in a state folder (not quarantined)
job_exists() {
	find "$SPOOL"/{incoming,active,deferred,hold} -maxdepth 1 -name "$1" 2>/dev/null | grep -q .
}

# shred_reason - the reason of the job's shredded audit line
shred_reason() {
	jq -r --arg id "$1" 'select(.event == "shredded" and (tostring | contains($id))) | .reason // .why // empty' \
		"$(audit_log_file "${2:-$SPOOL}")" 2>/dev/null | head -n 1
}

# move_clock - set the daemon's clock and give it a few ticks to act
move_clock() {
	set_fake_offset "$1"
	sleep "${2:-3}"
}

set_fake_offset +0
start_daemon --faketime
wait_for_public_key || bail_out "the faked daemon published no key" "$(tail -n 20 "$LOGS/daemon.log")"
mapfile -t first_keys < <(epoch_key_files)
if [ "${#first_keys[@]}" -eq 1 ]; then
	ok "the first pass creates one epoch key (${first_keys[0]})"
else
	not_ok "the first pass creates one epoch key" "keys/: $(ls -la "$SPOOL/keys")"
fi

marker=$(new_marker)
doc=$(user_document cs_alice undeliverable.pdf "$marker" 8)
submit_as cs_alice "$doc"
id=$RUN_OUT
is_job_id "$id" || bail_out "cs_alice could not submit" "$(run_diag)"

if wait_until 20 audit_has deferred "$id"; then
	ok "the undeliverable job is deferred with an audit line"
else
	not_ok "the undeliverable job is deferred with an audit line" "$(spool_entries)" "$(tail -n 5 "$(audit_log_file)")"
fi
ok_if "the job is kept in the spool" job_exists "$id"

# --- a day later: a new epoch
move_clock +25h
if wait_until 15 test "$(epoch_key_files | wc -l)" -ge 2; then
	ok "after key_rotation (24 h) a second epoch key exists"
else
	not_ok "after key_rotation (24 h) a second epoch key exists" "$(epoch_key_files)"
fi
if [ -n "${first_keys[0]:-}" ] && [ -f "$SPOOL/keys/${first_keys[0]}" ]; then
	ok "the first epoch's key is kept while jobs sealed to it may exist"
else
	not_ok "the first epoch's key is kept while jobs sealed to it may exist" "$(epoch_key_files)"
fi

# --- 47 h: not yet
move_clock +47h
if job_exists "$id" && ! audit_has shredded "$id"; then
	ok "at submitted + 47 h the job still exists"
else
	not_ok "at submitted + 47 h the job still exists" "$(spool_entries)" "$(audit_lines_mentioning "$id" | tail -n 3)"
fi

# --- 49 h: past hold + window
move_clock +49h 0
if wait_until 20 job_gone "$id"; then
	ok "at submitted + 49 h the job is gone (no file, no record, not quarantined)"
else
	not_ok "at submitted + 49 h the job is gone (no file, no record, not quarantined)" "$(spool_entries)" "$(corrupt_entries)"
fi
reason=$(shred_reason "$id")
if audit_has shredded "$id" && grep -qiE 'window|deadline|expir|retention|48' <<<"$reason"; then
	ok "the audit trail has a shredded line whose reason names the deadline ($reason)"
else
	not_ok "the audit trail has a shredded line whose reason names the deadline" \
		"reason: '$reason'" "$(audit_lines_mentioning "$id")"
fi
if [ -n "${first_keys[0]:-}" ] && [ -f "$SPOOL/keys/${first_keys[0]}" ]; then
	ok "at + 49 h the first epoch's key still exists (a job sealed just before the rotation may live to + 73 h)"
else
	not_ok "at + 49 h the first epoch's key still exists (a job sealed just before the rotation may live to + 73 h)" \
		"$(epoch_key_files)"
fi

# --- 74 h: epoch one retired at + 25 h, + 48 h of retention: key destroyed
move_clock +74h 0
if [ -n "${first_keys[0]:-}" ] && wait_until 20 test ! -e "$SPOOL/keys/${first_keys[0]}"; then
	ok "the first epoch's private key is destroyed after rotation + hold + window"
else
	not_ok "the first epoch's private key is destroyed after rotation + hold + window" "$(epoch_key_files)"
fi
if jq -c 'select(.event | test("key"; "i")) | select(.event | test("destroy|shred|delet"; "i"))' \
	"$(audit_log_file)" 2>/dev/null | grep -q .; then
	ok "the key's destruction is audited"
else
	not_ok "the key's destruction is audited" "$(jq -r .event "$(audit_log_file)" | sort | uniq -c)"
fi
if [ "$(epoch_key_files | wc -l)" -ge 1 ] && [ -s "$SPOOL/public/current" ]; then
	ok "a current epoch key remains"
else
	not_ok "a current epoch key remains" "$(epoch_key_files)"
fi
ok_if "the faked daemon is still running" daemon_alive
stop_daemon
check_audit_verifies "audit verify: ok after the clock jumps"

# --- part two: the deadline holds across downtime
spool2=$TEST_ROOT/spool2
EXTRA_SEARCH_DIRS+=("$spool2")
conf2=$TEST_ROOT/downtime.conf
standard_config "$spool2" dest_path="$TEST_ROOT/blocker/%u" users=cs_alice | install_config "$conf2"
init_spool "$conf2" "$spool2"
lib=$(faketime_library)
fake_once() {
	run_daemon_once -c "$conf2" env LD_PRELOAD="$lib" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1
}
run_daemon_once -c "$conf2" || not_ok "first pass on the second spool" "$(tail -n 20 "$LOGS/daemon-once.log")"
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$conf2" submit -a t "$doc"
id2=$RUN_OUT
is_job_id "$id2" || bail_out "submit to the second spool" "$(run_diag)"
run_daemon_once -c "$conf2"
if find "$spool2"/{active,deferred,hold} -name "$id2" | grep -q . && audit_has deferred "$id2" "$spool2"; then
	ok "downtime: the job is picked up and its delivery deferred"
else
	not_ok "downtime: the job is picked up and its delivery deferred" "$(spool_entries "$spool2")"
fi
fake_once +47h
if find "$spool2"/{active,deferred,hold} -name "$id2" | grep -q .; then
	ok "downtime: a daemon started at + 47 h keeps the job"
else
	not_ok "downtime: a daemon started at + 47 h keeps the job" "$(spool_entries "$spool2")"
fi
fake_once +49h
status=$?
if [ "$status" -eq 0 ] && job_gone "$id2" "$spool2" && audit_has shredded "$id2" "$spool2"; then
	ok "downtime: a daemon started at + 49 h shreds the job in its first pass, audited"
else
	not_ok "downtime: a daemon started at + 49 h shreds the job in its first pass, audited" \
		"exit $status" "$(spool_entries "$spool2")"
fi
check_audit_verifies "audit verify of the second spool: ok" "$conf2"

assert_no_markers
finish
