#!/usr/bin/env bash
# t-limits.sh - the submission limits give a clear error and leave nothing
# behind: no key yet (75), a document over max_job_size (65, whether it
# comes as a file or streams on stdin), the free-space floor (75), the
# per-user job count (75, per user, freed again when a job goes; the job
# lists of user and admin show the waiting jobs), and a drop helper
# interrupted by SIGTERM mid-stream. "Nothing behind" means incoming/ holds
# no new entry, not even a temporary one. A helper killed by SIGKILL cannot
# clean up: its dot-named partial file is shredded by the daemon once older
# than stale_incoming (the daemon's clock is moved with libfaketime).
source "$(dirname "$0")/lib.sh"

setup_test_root
create_user cs_alice
create_user cs_bob
touch "$TEST_ROOT/blocker"
{
	standard_config "$SPOOL" max_job_size=1M max_jobs_per_user=3
	# A destination under a regular file: every delivery fails, so jobs
	# stay in the spool and count against the quota.
	printf '\n[destination broken]\nprovider = localdir\npath = %s/blocker/%%u\nmode = 0600\n' "$TEST_ROOT"
	printf '\n[action stuck]\ndestination = broken\nusers = cs_alice cs_bob\n'
} | install_config "$CONF"
standard_config "$SPOOL" max_job_size=1M max_jobs_per_user=3 min_free_space=1000T |
	install_config "$TEST_ROOT/floor.conf"
init_spool

# incoming_count - entries in incoming/, temporary ones included
incoming_count() {
	find "$SPOOL/incoming" -mindepth 1 | wc -l
}

# check_refused - want status, description: the last run_cmd exited with
# want and incoming/ is back to the count given in $baseline
check_refused() {
	local want=$1 desc=$2
	if [ "$RUN_STATUS" -eq "$want" ] && [ "$(incoming_count)" -eq "$baseline" ] && [ -n "$RUN_ERR" ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected exit $want and $baseline entries in incoming/, got $(incoming_count)" "$(run_diag)"
	fi
}

# --- no key before the daemon's first pass
baseline=0
make_document "$WORK/small.txt" "$(new_marker)" 2
drop_as cs_alice -a t -n small.txt <"$WORK/small.txt"
check_refused 75 "no key yet: EX_TEMPFAIL (75) with a message, nothing left"
grep -qi key <<<"$RUN_ERR" && ok "the message says there is no key yet" ||
	not_ok "the message says there is no key yet" "$RUN_ERR"

run_daemon_once || bail_out "cloudspoold --once failed" "$(tail -n 20 "$LOGS/daemon-once.log")"
wait_for_public_key || bail_out "no public key after the first pass"

# --- max_job_size = 1M
baseline=$(incoming_count)
big=$(user_document cs_alice big.bin "$(new_marker)" 2048) # 2 MiB
drop_as cs_alice -a t -n big.bin <"$big"
check_refused 65 "cloudspool-drop: over max_job_size gives EX_DATAERR (65), nothing left in incoming/"
submit_as cs_alice "$big"
check_refused 65 "cloudspool submit FILE over max_job_size: exit 65, nothing left"
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a t --name big.bin - <"$big"
check_refused 65 "cloudspool submit - (stdin) over max_job_size: exit 65, nothing left"
cat "$big" | drop_as cs_alice -a t -n piped.bin
check_refused 65 "over max_job_size through a pipe (size unknown up front): exit 65, nothing left"

exact=$(user_document cs_alice exact.bin "$(new_marker)" 1)
head -c 1048576 /dev/urandom >"$exact"
drop_as cs_alice -a t -n exact.bin <"$exact"
id_exact=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ] && is_job_id "$id_exact"; then
	ok "a document of exactly max_job_size is accepted"
	run_daemon_once
	if wait_for_delivery cs_alice exact.bin "$id_exact" 10 && cmp -s "$exact" "$(delivered_file cs_alice exact.bin)"; then
		ok "and delivered intact"
	else
		not_ok "and delivered intact" "$(spool_entries)" "$(ls -la "$SCANS/cs_alice" 2>&1)"
	fi
else
	not_ok "a document of exactly max_job_size is accepted" "$(run_diag)"
fi

# --- min_free_space far above what the disk has
baseline=$(incoming_count)
run_cmd as_user cs_alice "$DROP" -c "$TEST_ROOT/floor.conf" -a t -n floor.txt <"$WORK/small.txt"
check_refused 75 "below the free-space floor: EX_TEMPFAIL (75), nothing left"

# --- max_jobs_per_user = 3 (jobs of action stuck stay in the spool)
ids=()
for i in 1 2 3; do
	drop_as cs_alice -a stuck -n "stuck-$i.txt" <"$WORK/small.txt"
	ids+=("$RUN_OUT")
	[ "$RUN_STATUS" -eq 0 ] || not_ok "cs_alice's job $i of 3 is accepted" "$(run_diag)"
done
run_daemon_once
if [ "$(find "$SPOOL"/{active,deferred,hold} -maxdepth 1 -name '*-*' ! -name '*.state' | wc -l)" -eq 3 ]; then
	ok "three undeliverable jobs of cs_alice wait in the spool"
else
	not_ok "three undeliverable jobs of cs_alice wait in the spool" "$(spool_entries)"
fi
# The user's own job list (published by the daemon) and the admin's.
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" jobs
listed=0
for id in "${ids[@]}"; do grep -qF "$id" <<<"$RUN_OUT" && listed=$((listed + 1)); done
if [ "$RUN_STATUS" -eq 0 ] && [ "$listed" -eq 3 ]; then
	ok "cloudspool jobs shows cs_alice her three waiting jobs"
else
	not_ok "cloudspool jobs shows cs_alice her three waiting jobs" "$(run_diag)"
fi
run_cmd as_user cs_bob "$CLOUDSPOOL" -c "$CONF" jobs
if [ "$RUN_STATUS" -eq 0 ] && ! grep -qF "${ids[0]}" <<<"$RUN_OUT"; then
	ok "cloudspool jobs does not show them to cs_bob"
else
	not_ok "cloudspool jobs does not show them to cs_bob" "$(run_diag)"
fi
run_cmd "$CTL" -c "$CONF" jobs
listed=0
for id in "${ids[@]}"; do grep -qF "$id" <<<"$RUN_OUT" && listed=$((listed + 1)); done
if [ "$RUN_STATUS" -eq 0 ] && [ "$listed" -eq 3 ]; then
	ok "cloudspoolctl jobs lists the three waiting jobs"
else
	not_ok "cloudspoolctl jobs lists the three waiting jobs" "$(run_diag)"
fi

baseline=$(incoming_count)
drop_as cs_alice -a t -n fourth.txt <"$WORK/small.txt"
check_refused 75 "a fourth job over max_jobs_per_user: EX_TEMPFAIL (75), nothing left"
submit_as cs_alice "$(user_document cs_alice over-quota.txt "$(new_marker)" 1)"
check_refused 75 "cloudspool submit over the quota: exit 75 too"

drop_as cs_bob -a t -n bob.txt <"$WORK/small.txt"
id_bob=$RUN_OUT
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "the quota is per user: cs_bob may still submit"
else
	not_ok "the quota is per user: cs_bob may still submit" "$(run_diag)"
fi
run_daemon_once
if wait_for_delivery cs_bob bob.txt "$id_bob" 10; then
	ok "cs_bob's job is delivered"
else
	not_ok "cs_bob's job is delivered" "$(spool_entries)"
fi

# An admin shreds one stuck job: a slot is free again after the next pass.
run_cmd "$CTL" -c "$CONF" shred "${ids[0]}"
if [ "$RUN_STATUS" -eq 0 ] && job_gone "${ids[0]}" && audit_has shredded "${ids[0]}"; then
	ok "cloudspoolctl shred JOB removes the job, audited as shredded"
else
	not_ok "cloudspoolctl shred JOB removes the job, audited as shredded" "$(run_diag)" "$(spool_entries)"
fi
run_daemon_once
drop_as cs_alice -a stuck -n again.txt <"$WORK/small.txt"
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "after a job is gone cs_alice may submit again"
	ids+=("$RUN_OUT")
else
	not_ok "after a job is gone cs_alice may submit again" "$(run_diag)"
fi

# --- a drop helper stopped by a signal mid-stream removes its partial file
baseline=$(incoming_count)
mkfifo "$WORK/slow.fifo"
as_user cs_alice "$DROP" -c "$CONF" -a t -n interrupted.bin <"$WORK/slow.fifo" >/dev/null 2>&1 &
drop_pid=$!
exec 7>"$WORK/slow.fifo"
head -c 200000 /dev/urandom >&7
sleep 1
grown=$(incoming_count)
# the drop helper is the leaf of the subshell -> runuser -> helper chain
kill -TERM "$(process_tree "$drop_pid" | tail -n 1)" 2>/dev/null
wait "$drop_pid" 2>/dev/null
exec 7>&-
rm -f "$WORK/slow.fifo"
if [ "$(incoming_count)" -eq "$baseline" ]; then
	ok "a drop helper killed by SIGTERM mid-stream leaves nothing in incoming/"
else
	not_ok "a drop helper killed by SIGTERM mid-stream leaves nothing in incoming/" \
		"incoming/ had $grown entries while it ran: $(ls -la "$SPOOL/incoming")"
fi
[ "$grown" -gt "$baseline" ] || diag "note: no temporary file was seen while the drop helper streamed"

# --- SIGKILL cannot be caught: the half-written file stays until the
# daemon removes it after stale_incoming (1 h; the daemon's clock is moved)
baseline=$(incoming_count)
mkfifo "$WORK/slow.fifo"
as_user cs_alice "$DROP" -c "$CONF" -a t -n killed.bin <"$WORK/slow.fifo" >/dev/null 2>&1 &
drop_pid=$!
exec 7>"$WORK/slow.fifo"
head -c 200000 /dev/urandom >&7
sleep 1
kill -KILL "$(process_tree "$drop_pid" | tail -n 1)" 2>/dev/null
wait "$drop_pid" 2>/dev/null
exec 7>&-
rm -f "$WORK/slow.fifo"
left=$(find "$SPOOL/incoming" -mindepth 1 -maxdepth 1 -name '.*' -printf '%f\n')
if [ -n "$left" ]; then
	ok "a drop helper killed with SIGKILL leaves only a dot-named partial file"
	run_daemon_once
	if [ -e "$SPOOL/incoming/$left" ]; then
		ok "a fresh partial file survives a daemon pass (its helper may still be writing)"
	else
		not_ok "a fresh partial file survives a daemon pass (its helper may still be writing)"
	fi
	run_daemon_once env LD_PRELOAD="$(faketime_library)" FAKETIME=+2h FAKETIME_DONT_FAKE_MONOTONIC=1
	if [ ! -e "$SPOOL/incoming/$left" ] && audit_has shredded "${left#.}"; then
		ok "after stale_incoming the daemon shreds the partial file, audited"
	else
		not_ok "after stale_incoming the daemon shreds the partial file, audited" "$(ls -la "$SPOOL/incoming")"
	fi
else
	diag "note: no partial file left after SIGKILL"
	ok "a drop helper killed with SIGKILL leaves nothing at all"
fi

# Clean up the stuck jobs by hand so nothing outlives the test.
for id in "${ids[@]:1}"; do
	"$CTL" -c "$CONF" shred "$id" >/dev/null 2>&1
done
ok_if "after shredding the stuck jobs the spool is empty" spool_is_empty
check_audit_verifies
assert_no_markers
finish
