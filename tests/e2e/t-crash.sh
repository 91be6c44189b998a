#!/usr/bin/env bash
# t-crash.sh - a crash at any instruction loses nothing and duplicates
# nothing. 50 jobs of 64 KiB to 3 MiB from two users (ten queued before the
# first start, the rest submitted while the daemon keeps dying); the
# foreground daemon is killed with SIGKILL at random moments (0.02-0.3 s
# after its start; every third time together with its agent and worker)
# and restarted, over and over, until every job is delivered. Then: each of
# the 50 documents is in its owner's folder exactly once and byte-identical
# (no "-1" duplicate, no leftover temporary file), the spool holds no job
# and no record, each job has exactly one "delivered" audit line, the audit
# trail verifies, and no plaintext marker was ever on disk outside the
# delivery folders (the spool and logs are searched after every kill,
# everything at the end). The daemon's helpers (delivery agent, worker) must
# not outlive it. CS_CRASH_TRACE=1 prints progress per kill.
source "$(dirname "$0")/lib.sh"

JOBS=50
MAX_KILLS=${CS_CRASH_MAX_KILLS:-150}
setup_standard tick=1s retry_initial=1s retry_max=2s

run_daemon_once || bail_out "cloudspoold --once (first pass) failed" "$(tail -n 20 "$LOGS/daemon-once.log")"
wait_for_public_key || bail_out "no public key after the first pass"

declare -A job_user job_name job_doc
submitted=0

# submit_one - job number n from alternating users, 64 KiB to 3 MiB, so
# that a kill lands in the middle of work often
submit_one() {
	local n=$1 user name doc kib
	if [ $((n % 2)) -eq 0 ]; then user=cs_alice; else user=cs_bob; fi
	name=$(printf 'crash-%02d.bin' "$n")
	kib=$(((RANDOM % 3072) + 64))
	doc=$(user_document "$user" "$name" "$(new_marker)" "$kib")
	drop_as "$user" -a t -n "$name" <"$doc"
	if [ "$RUN_STATUS" -ne 0 ] || ! is_job_id "$RUN_OUT"; then
		not_ok "job $n is accepted" "$(run_diag)"
		return
	fi
	job_user[$RUN_OUT]=$user
	job_name[$RUN_OUT]=$name
	job_doc[$RUN_OUT]=$doc
	submitted=$((submitted + 1))
}

# delivered_count - how many of the submitted jobs have arrived and left
# the spool
delivered_count() {
	local id n=0
	for id in "${!job_user[@]}"; do
		[ -f "$(delivered_file "${job_user[$id]}" "${job_name[$id]}")" ] && job_gone "$id" && n=$((n + 1))
	done
	printf '%d\n' "$n"
}

# random_pause - 0.02 to 0.30 s
random_pause() {
	sleep "0.$(printf '%02d' $(((RANDOM % 29) + 2)))"
}

# Ten jobs wait before the first start; the rest come in twos and threes
# while the daemon is down or running, so kills hit pickup, decryption,
# processing, delivery and shredding alike.
FIRST=10
for n in $(seq 1 "$FIRST"); do
	submit_one "$n"
done
ok_if "the first $FIRST jobs are queued" test "$submitted" -eq "$FIRST"

kills=0
lingering_total=0
leaked_at=
next=$((FIRST + 1))
while [ "$kills" -lt "$MAX_KILLS" ]; do
	for i in 1 2; do
		[ "$next" -le "$JOBS" ] && submit_one "$next" && next=$((next + 1))
	done
	start_daemon
	random_pause
	if [ "$next" -le "$JOBS" ] && [ $((RANDOM % 2)) -eq 0 ]; then
		submit_one "$next"
		next=$((next + 1))
	fi
	if ! daemon_alive; then
		wait "$DAEMON_PID" 2>/dev/null
		not_ok "the daemon is alive before kill $((kills + 1))" "it exited with status $?" \
			"$(tail -n 20 "$LOGS/daemon.log")"
		DAEMON_PID=
	else
		# every third kill takes the agent and the worker down with it
		if [ $((kills % 3)) -eq 2 ]; then kill_daemon_hard tree; else kill_daemon_hard; fi
		kills=$((kills + 1))
		lingering_total=$((lingering_total + ${#LINGERING[@]}))
		[ -n "${CS_CRASH_TRACE:-}" ] && diag "kill $kills: $(delivered_count) delivered"
	fi
	if [ -z "$leaked_at" ] && spool_has_marker; then
		leaked_at=$kills
	fi
	if [ "$next" -gt "$JOBS" ] && [ "$(delivered_count)" -eq "$JOBS" ]; then
		break
	fi
done
diag "$kills kills; $(delivered_count) of $JOBS jobs delivered during the kill loop"
if [ "$kills" -ge 8 ]; then
	ok "the daemon was killed with SIGKILL $kills times"
else
	not_ok "the daemon was killed with SIGKILL at least 8 times" "only $kills kills"
fi
if [ -z "$leaked_at" ]; then
	ok "no plaintext marker in the spool or the logs after any kill"
else
	not_ok "no plaintext marker in the spool or the logs after any kill" "first seen after kill $leaked_at"
fi
if [ "$lingering_total" -eq 0 ]; then
	ok "the daemon's helper processes never outlive it"
else
	not_ok "the daemon's helper processes never outlive it" "$lingering_total helper processes were still running 3 s after a kill"
fi

# A last, undisturbed run finishes whatever the kills left.
start_daemon
wait_until 120 test "$(delivered_count)" -eq "$JOBS"
ok_if "the daemon survives the recovery" daemon_alive
stop_daemon
ok_if "all $JOBS jobs were submitted" test "$submitted" -eq "$JOBS"

missing=() differ=() wrong_owner=()
for id in "${!job_user[@]}"; do
	path=$(delivered_file "${job_user[$id]}" "${job_name[$id]}")
	if [ ! -f "$path" ]; then
		missing+=("${job_name[$id]} ($id)")
	elif ! cmp -s "${job_doc[$id]}" "$path"; then
		differ+=("${job_name[$id]}")
	elif [ "$(stat -c %U "$path")" != "${job_user[$id]}" ]; then
		wrong_owner+=("${job_name[$id]}")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	ok "every job was delivered"
else
	not_ok "every job was delivered" "missing: ${missing[*]}" "$(spool_entries)" "corrupt/: $(corrupt_entries)"
fi
if [ "${#differ[@]}" -eq 0 ] && [ "${#wrong_owner[@]}" -eq 0 ]; then
	ok "every delivered file is byte-identical and owned by its user"
else
	not_ok "every delivered file is byte-identical and owned by its user" \
		"differ: ${differ[*]}" "wrong owner: ${wrong_owner[*]}"
fi

# expected_entries - the names each user's folder must hold, no more
expected_entries() {
	local id
	for id in "${!job_user[@]}"; do
		[ "${job_user[$id]}" = "$1" ] && printf '%s\n' "${job_name[$id]}"
	done | sort
}
extra=""
for user in cs_alice cs_bob; do
	extra+=$(comm -13 <(expected_entries "$user") <(ls -A "$SCANS/$user" 2>/dev/null | sort))
done
if [ -z "$extra" ]; then
	ok "no duplicate and no leftover temporary file in the delivery folders"
else
	not_ok "no duplicate and no leftover temporary file in the delivery folders" "extra entries:" "$extra"
fi

twice=()
for id in "${!job_user[@]}"; do
	c=$(audit_count delivered "$id")
	[ "$c" -eq 1 ] || twice+=("$id: $c")
done
if [ "${#twice[@]}" -eq 0 ]; then
	ok "each job has exactly one delivered audit line"
else
	not_ok "each job has exactly one delivered audit line" "${twice[@]}"
fi

# The trail must say where each document went, even after a kill.
wrong_where=()
for id in "${!job_user[@]}"; do
	want=$(delivered_file "${job_user[$id]}" "${job_name[$id]}")
	got=$(jq -r --arg id "$id" 'select(.event == "delivered" and .job == $id) | .where' "$(audit_log_file)" | tail -n 1)
	[ "$got" = "$want" ] || wrong_where+=("$id: '$got'")
done
if [ "${#wrong_where[@]}" -eq 0 ]; then
	ok "each delivered audit line names the delivered file"
else
	not_ok "each delivered audit line names the delivered file" "${wrong_where[@]}"
fi

if spool_is_empty && [ -z "$(corrupt_entries)" ]; then
	ok "the spool holds no job, no record and nothing quarantined"
else
	not_ok "the spool holds no job, no record and nothing quarantined" "$(spool_entries)" "corrupt/: $(corrupt_entries)"
fi
check_audit_verifies "audit verify: ok after $kills kills"
assert_no_markers
finish
