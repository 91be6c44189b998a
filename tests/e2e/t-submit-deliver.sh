#!/usr/bin/env bash
# t-submit-deliver.sh - the walking skeleton end to end: two real users
# submit documents (by file name, several at once, from stdin, through the
# drop helper directly); cloudspoold picks them up, processes and delivers
# each into its own user's folder, byte-identical, owned by that user with
# the configured mode; a name collision gets a suffix instead of
# overwriting; delivered jobs leave nothing in the spool; the plaintext
# marker never appears outside the delivered files; the audit trail records
# the deliveries and verifies. Also: no key before the first pass (75), the
# daemon's privilege separation (cloudspool, no capabilities, one root
# agent), config errors with FILE:LINE, one daemon per spool, and inotify
# waking the daemon long before its tick.
source "$(dirname "$0")/lib.sh"

setup_standard

# Before the daemon ever ran there is no key: a clear temporary failure.
alice_doc=$(user_document cs_alice early.txt "$(new_marker)")
submit_as cs_alice "$alice_doc"
if [ "$RUN_STATUS" -eq 75 ] && grep -qi 'key' <<<"$RUN_ERR"; then
	ok "submit before the daemon's first pass fails with EX_TEMPFAIL (no key yet)"
else
	not_ok "submit before the daemon's first pass fails with EX_TEMPFAIL (no key yet)" "$(run_diag)"
fi
ok_if "nothing is left in the spool by the refused submission" spool_is_empty

start_daemon
wait_for_public_key || bail_out "the daemon published no public key within 20 s" "$(tail -n 20 "$LOGS/daemon.log")"
ok "the daemon's first pass publishes the spool's public key"

ok_if "check-config accepts the test config" "$CTL" -c "$CONF" check-config

# Privilege separation: the daemon runs as cloudspool without capabilities;
# only its small delivery agent stays root.
wait_until 5 test -n "$(ps -o pid= --ppid "$DAEMON_PID")"
daemon_user=$(ps -o user= -p "$DAEMON_PID" | tr -d ' ')
daemon_caps=$(awk '/^CapEff/ { print $2 }' "/proc/$DAEMON_PID/status" 2>/dev/null)
if [ "$daemon_user" = cloudspool ] && [ "$daemon_caps" = 0000000000000000 ]; then
	ok "cloudspoold runs as cloudspool with no effective capabilities"
else
	not_ok "cloudspoold runs as cloudspool with no effective capabilities" "user $daemon_user, CapEff $daemon_caps"
fi
children=$(ps -o user=,comm= --ppid "$DAEMON_PID")
if [ "$(wc -l <<<"$children")" -eq 1 ] && grep -q '^root ' <<<"$children"; then
	ok "one root child: the delivery agent"
else
	not_ok "one root child: the delivery agent" "$children"
fi

# Config errors name FILE:LINE and stop every program.
{
	standard_config "$SPOOL"
	printf 'no_such_key = 1\n'
} | install_config "$WORK/bad.conf"
bad_line=$(grep -n no_such_key "$WORK/bad.conf" | cut -d: -f1)
run_cmd "$CTL" -c "$WORK/bad.conf" check-config
if [ "$RUN_STATUS" -eq 78 ] && grep -qF "bad.conf:$bad_line" <<<"$RUN_OUT$RUN_ERR"; then
	ok "check-config rejects an unknown key with exit 78 and FILE:LINE"
else
	not_ok "check-config rejects an unknown key with exit 78 and FILE:LINE" "$(run_diag)"
fi
run_cmd "$DROP" -c "$WORK/bad.conf" -a t </dev/null
ok_if "cloudspool-drop refuses a broken config with exit 78" test "$RUN_STATUS" -eq 78
run_daemon_once -c "$WORK/bad.conf"
ok_if "cloudspoold refuses a broken config" test "$?" -ne 0
{
	standard_config "$SPOOL"
	printf '\n[action orphan]\ndestination = nowhere\nusers = *\n'
} | install_config "$WORK/bad2.conf"
run_cmd "$CTL" -c "$WORK/bad2.conf" check-config
if [ "$RUN_STATUS" -eq 78 ] && grep -q 'nowhere' <<<"$RUN_OUT$RUN_ERR"; then
	ok "check-config rejects an action naming an undefined destination"
else
	not_ok "check-config rejects an action naming an undefined destination" "$(run_diag)"
fi

run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" actions
if [ "$RUN_STATUS" -eq 0 ] && grep -qw t <<<"$RUN_OUT"; then
	ok "cloudspool actions lists the action t for cs_alice"
else
	not_ok "cloudspool actions lists the action t for cs_alice" "$(run_diag)"
fi

# --- one document each, by file name
marker_a=$(new_marker)
marker_b=$(new_marker)
doc_a=$(user_document cs_alice report-alice.pdf "$marker_a" 40)
doc_b=$(user_document cs_bob report-bob.pdf "$marker_b" 40)

submit_as cs_alice "$doc_a"
id_a=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_a"; then
	ok "cs_alice submits a file and gets a job id"
else
	not_ok "cs_alice submits a file and gets a job id" "$(run_diag)"
fi
submit_as cs_bob "$doc_b"
id_b=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_b"; then
	ok "cs_bob submits a file and gets a job id"
else
	not_ok "cs_bob submits a file and gets a job id" "$(run_diag)"
fi

declare -A folder_checked
# check_delivered - user, name, job id, original: arrived, identical,
# owned by the user with mode 0600 in a 0700 folder of the user's
check_delivered() {
	local user=$1 name=$2 id=$3 orig=$4 path
	path=$(delivered_file "$user" "$name")
	if ! wait_for_delivery "$user" "$name" "$id" 30; then
		not_ok "$user's $name is delivered" "not at $path within 30 s" \
			"$(ls -la "$SCANS/$user" 2>&1)" "$(spool_entries)"
		return
	fi
	if cmp -s "$orig" "$path"; then
		ok "$user's $name arrives byte-identical in $user's folder"
	else
		not_ok "$user's $name arrives byte-identical in $user's folder" \
			"$(cmp "$orig" "$path" 2>&1)"
	fi
	local got
	got=$(stat -c '%U %a' "$path")
	if [ "$got" = "$user 600" ]; then
		ok "$user's $name is owned by $user with mode 0600"
	else
		not_ok "$user's $name is owned by $user with mode 0600" "got: $got"
	fi
	[ -n "${folder_checked[$user]:-}" ] && return
	folder_checked[$user]=1
	got=$(stat -c '%U %a' "$SCANS/$user")
	if [ "$got" = "$user 700" ]; then
		ok "$user's folder is owned by $user with mode 0700"
	else
		not_ok "$user's folder is owned by $user with mode 0700" "got: $got"
	fi
}

# The daemon may have picked them up already or not: either way, sealed.
assert_no_marker "$marker_a" "cs_alice's marker is not in the spool, /tmp or the logs right after submission"
check_delivered cs_alice report-alice.pdf "$id_a" "$doc_a"
check_delivered cs_bob report-bob.pdf "$id_b" "$doc_b"

if [ ! -e "$SCANS/cs_bob/report-alice.pdf" ] && [ ! -e "$SCANS/cs_alice/report-bob.pdf" ]; then
	ok "neither document reaches the other user's folder"
else
	not_ok "neither document reaches the other user's folder" "$(ls -laR "$SCANS")"
fi

ok_if "delivered jobs leave no file and no record in the spool" spool_is_empty

if [ "$(audit_count delivered "$id_a")" -ge 1 ] && [ "$(audit_count delivered "$id_b")" -ge 1 ]; then
	ok "the audit trail has a delivered line for each job"
else
	not_ok "the audit trail has a delivered line for each job" "$(tail -n 20 "$(audit_log_file)")"
fi
if [ "$(audit_count shredded "$id_a")" -ge 1 ] && [ "$(audit_count shredded "$id_b")" -ge 1 ]; then
	ok "delivered jobs are shredded at once, audited"
else
	not_ok "delivered jobs are shredded at once, audited" "$(tail -n 20 "$(audit_log_file)")"
fi

# --- several files at once, --name, stdin, the drop helper itself
marker_c=$(new_marker)
doc_c1=$(user_document cs_alice one.txt "$marker_c" 2)
doc_c2=$(user_document cs_alice two.txt "$marker_c" 300)
submit_as cs_alice "$doc_c1" "$doc_c2"
mapfile -t ids <<<"$RUN_OUT"
if [ "$RUN_STATUS" -eq 0 ] && [ "${#ids[@]}" -eq 2 ] && is_job_id "${ids[0]}" && is_job_id "${ids[1]}"; then
	ok "submit with two files prints two job ids"
	check_delivered cs_alice one.txt "${ids[0]}" "$doc_c1"
	check_delivered cs_alice two.txt "${ids[1]}" "$doc_c2"
else
	not_ok "submit with two files prints two job ids" "$(run_diag)"
fi

marker_d=$(new_marker)
make_document "$WORK/stdin.txt" "$marker_d" 8
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" submit -a t --name from-stdin.txt - <"$WORK/stdin.txt"
id_d=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_d"; then
	ok "submit - reads the document from stdin"
	check_delivered cs_bob from-stdin.txt "$id_d" "$WORK/stdin.txt"
else
	not_ok "submit - reads the document from stdin" "$(run_diag)"
fi

drop_as cs_bob -a t -n dropped.bin <"$WORK/stdin.txt"
id_e=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_e"; then
	ok "cloudspool-drop -a t -n NAME < file prints a job id"
	check_delivered cs_bob dropped.bin "$id_e" "$WORK/stdin.txt"
else
	not_ok "cloudspool-drop -a t -n NAME < file prints a job id" "$(run_diag)"
fi

# An empty document is still a document.
: >"$WORK/empty.txt"
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" submit -a t --name empty.txt - <"$WORK/empty.txt"
if [ "$RUN_STATUS" -eq 0 ] && wait_for_delivery cs_bob empty.txt "$RUN_OUT" 30 &&
	[ ! -s "$SCANS/cs_bob/empty.txt" ]; then
	ok "an empty document is delivered as an empty file"
else
	not_ok "an empty document is delivered as an empty file" "$(run_diag)" "$(ls -la "$SCANS/cs_bob" 2>&1)"
fi

# --- a second document with the same name never overwrites the first
marker_f=$(new_marker)
doc_f=$(user_document cs_alice report-alice.pdf "$marker_f" 4)
submit_as cs_alice "$doc_f"
id_f=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && wait_for_delivery cs_alice report-alice-1.pdf "$id_f" 30; then
	if cmp -s "$doc_f" "$SCANS/cs_alice/report-alice-1.pdf" &&
		grep -qF "$marker_a" "$SCANS/cs_alice/report-alice.pdf"; then
		ok "a name collision is delivered as report-alice-1.pdf and the first file is untouched"
	else
		not_ok "a name collision is delivered as report-alice-1.pdf and the first file is untouched" \
			"contents differ"
	fi
else
	not_ok "a name collision is delivered as report-alice-1.pdf and the first file is untouched" \
		"$(run_diag)" "$(ls -la "$SCANS/cs_alice" 2>&1)"
fi

# --- a user's own job list comes from the daemon's published status
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" jobs
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "cloudspool jobs runs for cs_alice"
else
	not_ok "cloudspool jobs runs for cs_alice" "$(run_diag)"
fi
run_cmd "$CTL" -c "$CONF" status
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "cloudspoolctl status runs"
else
	not_ok "cloudspoolctl status runs" "$(run_diag)"
fi

ok_if "the daemon is still running" daemon_alive
stop_daemon
if [ "${DAEMON_STATUS:-1}" -eq 0 ] || [ "${DAEMON_STATUS:-1}" -eq 143 ]; then
	ok "the daemon stops cleanly on SIGTERM"
else
	not_ok "the daemon stops cleanly on SIGTERM" "exit status ${DAEMON_STATUS:-none}" "$(tail -n 20 "$LOGS/daemon.log")"
fi

# A new submission wakes the daemon at once (inotify), not at the next
# tick: with tick = 60s the document still arrives within 3 s.
standard_config "$SPOOL" tick=60s | install_config "$CONF"
start_daemon
sleep 1
# One daemon per spool: a second one (say, a cron --once) must not run a
# pass beside it.
run_daemon_once
status=$?
if [ "$status" -ne 0 ] && daemon_alive; then
	ok "a second cloudspoold on the same spool refuses to run (exit $status)"
else
	not_ok "a second cloudspoold on the same spool refuses to run" "exit $status" "$(tail -n 3 "$LOGS/daemon-once.log")"
fi

marker_g=$(new_marker)
doc_g=$(user_document cs_bob quick.pdf "$marker_g" 4)
submit_as cs_bob "$doc_g"
if wait_for_delivery cs_bob quick.pdf "$RUN_OUT" 3; then
	ok "with tick = 60s a submission is delivered within 3 s (inotify wake-up)"
else
	not_ok "with tick = 60s a submission is delivered within 3 s (inotify wake-up)" "$(spool_entries)"
fi
stop_daemon

ok_if "nothing is left in the spool" spool_is_empty
check_audit_verifies
assert_no_markers
finish
