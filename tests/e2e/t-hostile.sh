#!/usr/bin/env bash
# t-hostile.sh - pickup survives whatever lands in incoming/. The daemon
# trusts a file's owner and nothing the file says about itself, so junk
# written by a compromised drop helper or by the daemon's own user must be
# quarantined in corrupt/ or ignored, with an audit line, and never crash,
# hang or mislead the daemon: a truncated job, a wrong magic, a future
# format version, an absurd header length, a file far over max_job_size,
# an empty file, a job owned by cs_bob whose sealed metadata claims
# cs_alice, a job planted by the cloudspool user, a symlink, a hard link, a
# FIFO, a directory, a name that is no job id, and files that vanish between
# listing and opening; also half-written dot-files (old, fresh, symlinked,
# FIFO, huge), and queued jobs whose user or action disappeared. A genuine
# job in the same pass is still delivered; nothing hostile reaches a
# delivery folder; the audit trail verifies.
source "$(dirname "$0")/lib.sh"

setup_standard max_job_size=1M
outside=$TEST_ROOT/outside
install -d -m 0755 -o root -g root "$outside"

run_daemon_once || bail_out "cloudspoold --once (first pass) failed" "$(tail -n 20 "$LOGS/daemon-once.log")"
wait_for_public_key || bail_out "no public key after the first pass"

# A genuine job of cs_alice's, kept as the raw material of the variants.
marker=$(new_marker)
doc=$(user_document cs_alice genuine.pdf "$marker" 16)
submit_as cs_alice "$doc"
genuine=$RUN_OUT
is_job_id "$genuine" || bail_out "cs_alice could not submit" "$(run_diag)"
raw=$WORK/genuine.raw
cp "$SPOOL/incoming/$genuine" "$raw" || bail_out "cannot copy the sealed job"
size=$(stat -c %s "$raw")
ok_if "the sealed job starts with the magic CLDSPOOL" test "$(head -c 8 "$raw")" = CLDSPOOL

declare -A planted # job-shaped name -> what it is

# plant - name, owner, what: move a prepared file into incoming/ as owner
# (group cloudspool-drop, mode 0640 as the drop helper leaves them)
plant() {
	local src=$1 owner=$2 what=$3 name
	name=$(random_job_id)
	chown "$owner:cloudspool-drop" "$src"
	chmod 0640 "$src"
	mv "$src" "$SPOOL/incoming/$name"
	planted[$name]=$what
}

# variant - a copy of the genuine job to modify
variant() {
	cp "$raw" "$WORK/variant"
	printf '%s\n' "$WORK/variant"
}

# patch_bytes - file, offset, bytes as \x escapes: overwrite in place
patch_bytes() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

f=$(variant); truncate -s $((size / 2)) "$f"; plant "$f" cs_alice "truncated to half"
f=$(variant); truncate -s 40 "$f"; plant "$f" cs_alice "truncated inside the header"
f=$(variant); patch_bytes "$f" 0 'XXXXXXXX'; plant "$f" cs_alice "wrong magic"
f=$(variant); patch_bytes "$f" 8 '\x00\x63'; plant "$f" cs_alice "future version 99"
f=$(variant); patch_bytes "$f" 10 '\xff\xff'; plant "$f" cs_alice "absurd header length"
f=$(variant); patch_bytes "$f" 16 '\xff\xff\xff\xff\xff\xff\xff\xff'; plant "$f" cs_alice "absurd key epoch"
f=$(variant); patch_bytes "$f" $((size - 20)) '\x00\x01\x02\x03'; plant "$f" cs_alice "flipped bytes in the last chunk"
f=$(variant); truncate -s 256M "$f"; plant "$f" cs_alice "256 MiB sparse file (max_job_size 1M)"
: >"$WORK/variant"; plant "$WORK/variant" cs_alice "empty file"
head -c 5000 /dev/urandom >"$WORK/variant"; plant "$WORK/variant" cs_alice "random bytes"
f=$(variant); plant "$f" cs_bob "a copy under another name (metadata names another job)"

# genuine_job - submit another real job of cs_alice's; prints its id
genuine_job() {
	submit_as cs_alice "$(user_document cs_alice "$1" "$marker" 2)"
	is_job_id "$RUN_OUT" || bail_out "cs_alice could not submit $1" "$(run_diag)"
	printf '%s\n' "$RUN_OUT"
}
# Real jobs under their own names, with one thing wrong each: the owner
# (the file says cs_alice, the owner is cs_bob or cloudspool), the link count.
name=$(genuine_job owner-bob.pdf)
chown cs_bob "$SPOOL/incoming/$name"
planted[$name]="owned by cs_bob, sealed metadata claims cs_alice"
name=$(genuine_job owner-daemon.pdf)
chown cloudspool "$SPOOL/incoming/$name"
planted[$name]="owned by the daemon user, sealed metadata claims cs_alice"
name=$(genuine_job hardlinked.pdf)
ln "$SPOOL/incoming/$name" "$outside/hardlink"
planted[$name]="hard link (a second name outside the spool)"

# Planted by the cloudspool user itself: a symlink, a FIFO, a directory.
cp "$raw" "$outside/link-target"
before_target=$(sha256sum <"$outside/link-target")
name=$(random_job_id)
as_user cloudspool ln -s "$outside/link-target" "$SPOOL/incoming/$name" && planted[$name]="symlink to a job"
name=$(random_job_id)
as_user cloudspool ln -s /etc/shadow "$SPOOL/incoming/$name" && planted[$name]="symlink to /etc/shadow"
name=$(random_job_id)
as_user cloudspool mkfifo "$SPOOL/incoming/$name" && planted[$name]="FIFO"
name=$(random_job_id)
as_user cloudspool mkdir "$SPOOL/incoming/$name" && planted[$name]="directory"
# Not a job name at all.
cp "$raw" "$SPOOL/incoming/not-a-job-id"
chown cs_alice:cloudspool-drop "$SPOOL/incoming/not-a-job-id"
planted[not-a-job-id]="a name that is no job id"

# Dot names are the drop helper's half-written files: an old one is
# shredded (stale_incoming), a fresh one is left alone; an old dot-symlink,
# dot-FIFO or huge sparse dot-file must be removed without following,
# blocking or writing gigabytes.
declare -A stale # dot name -> what it is
name=.$(random_job_id)
head -c 3000 /dev/urandom >"$SPOOL/incoming/$name"
chown cs_alice:cloudspool-drop "$SPOOL/incoming/$name"
touch -d '2 hours ago' "$SPOOL/incoming/$name"
stale[$name]="a half-written file older than stale_incoming"
fresh=.$(random_job_id)
head -c 3000 /dev/urandom >"$SPOOL/incoming/$fresh"
chown cs_alice:cloudspool-drop "$SPOOL/incoming/$fresh"
cp "$raw" "$outside/dot-link-target"
name=.$(random_job_id)
ln -s "$outside/dot-link-target" "$SPOOL/incoming/$name"
touch -h -d '2 hours ago' "$SPOOL/incoming/$name"
stale[$name]="an old dot-symlink"
name=.$(random_job_id)
mkfifo "$SPOOL/incoming/$name"
touch -d '2 hours ago' "$SPOOL/incoming/$name"
stale[$name]="an old dot-FIFO"
name=.$(random_job_id)
truncate -s 64G "$SPOOL/incoming/$name"
touch -d '2 hours ago' "$SPOOL/incoming/$name"
stale[$name]="an old 64 GiB sparse dot-file"

diag "planted ${#planted[@]} hostile entries and ${#stale[@]} stale dot-files next to the genuine job"

# --- one pass over all of it
started=$SECONDS
run_daemon_once
status=$?
elapsed=$((SECONDS - started))
if [ "$status" -eq 0 ]; then
	ok "cloudspoold --once over the hostile entries exits 0 (${elapsed}s)"
else
	not_ok "cloudspoold --once over the hostile entries exits 0" "exit $status after ${elapsed}s" \
		"$(tail -n 30 "$LOGS/daemon-once.log")"
fi

if wait_for_delivery cs_alice genuine.pdf "$genuine" 5 && cmp -s "$doc" "$(delivered_file cs_alice genuine.pdf)"; then
	ok "the genuine job in the same pass is delivered intact"
else
	not_ok "the genuine job in the same pass is delivered intact" "$(spool_entries)"
fi

corrupt_list=$(corrupt_entries)
for name in "${!planted[@]}"; do
	what=${planted[$name]}
	in_corrupt=0 audited=0
	grep -qxF "$name" <<<"$corrupt_list" && in_corrupt=1
	audit_lines_mentioning "$name" | grep -q . && audited=1
	if [ "$audited" -eq 1 ]; then
		where=ignored
		[ "$in_corrupt" -eq 1 ] && where="quarantined in corrupt/"
		[ -e "$SPOOL/incoming/$name" ] || [ -L "$SPOOL/incoming/$name" ] || [ "$in_corrupt" -eq 1 ] ||
			where="removed"
		ok "$what: $where, with an audit line"
	else
		not_ok "$what: quarantined or ignored with an audit line" \
			"in corrupt/: $in_corrupt; still in incoming/: $(ls -la "$SPOOL/incoming/$name" 2>&1)"
	fi
done

for name in "${!stale[@]}"; do
	if [ ! -e "$SPOOL/incoming/$name" ] && [ ! -L "$SPOOL/incoming/$name" ]; then
		ok "${stale[$name]}: removed"
	else
		not_ok "${stale[$name]}: removed" "$(ls -la "$SPOOL/incoming/$name")"
	fi
done
if [ -f "$SPOOL/incoming/$fresh" ]; then
	ok "a fresh half-written file is left to its drop helper"
else
	not_ok "a fresh half-written file is left to its drop helper" "$(ls -la "$SPOOL/incoming")"
fi
rm -f "$SPOOL/incoming/$fresh"
if [ -f "$outside/dot-link-target" ] && cmp -s "$raw" "$outside/dot-link-target"; then
	ok "the old dot-symlink's target is untouched (not overwritten through the link)"
else
	not_ok "the old dot-symlink's target is untouched (not overwritten through the link)" "$(ls -la "$outside")"
fi

other=$(find "$SCANS" -mindepth 1 -type f ! -path "$SCANS/cs_alice/genuine.pdf")
if [ -z "$other" ]; then
	ok "nothing hostile reached a delivery folder"
else
	not_ok "nothing hostile reached a delivery folder" "$other"
fi
if [ "$(sha256sum <"$outside/link-target")" = "$before_target" ] && [ -f "$outside/link-target" ]; then
	ok "the symlink's target outside the spool is untouched"
else
	not_ok "the symlink's target outside the spool is untouched" "$(ls -la "$outside")"
fi
ok_if "the hard link's other name outside the spool is untouched" test -f "$outside/hardlink"
ok_if "/etc/shadow is still there and still root's" test "$(stat -c %U /etc/shadow)" = root

# A second pass: no crash, nothing new delivered, nothing re-delivered.
run_daemon_once
status=$?
if [ "$status" -eq 0 ] && [ "$(audit_count delivered "$genuine")" -eq 1 ]; then
	ok "a second pass exits 0 and delivers nothing twice"
else
	not_ok "a second pass exits 0 and delivers nothing twice" "exit $status" \
		"$(tail -n 20 "$LOGS/daemon-once.log")"
fi

# --- files that vanish between listing and opening (a running daemon)
start_daemon
sleep 1
for i in $(seq 1 150); do
	name=$(random_job_id)
	cp "$raw" "$WORK/vanish"
	chown cs_alice:cloudspool-drop "$WORK/vanish"
	mv "$WORK/vanish" "$SPOOL/incoming/$name"
	[ $((i % 3)) -eq 0 ] && sleep 0.0$((RANDOM % 5))
	rm -f "$SPOOL/incoming/$name"
done
sleep 2
ok_if "the daemon is alive after 150 files vanished under it" daemon_alive
marker2=$(new_marker)
doc2=$(user_document cs_alice after-vanish.pdf "$marker2" 4)
submit_as cs_alice "$doc2"
if wait_for_delivery cs_alice after-vanish.pdf "$RUN_OUT" 30; then
	ok "a genuine job after the vanishing files is delivered"
else
	not_ok "a genuine job after the vanishing files is delivered" "$(run_diag)" "$(spool_entries)"
fi
stop_daemon

# --- the world changes under queued jobs: the user is deleted, the action
# is removed from the config. Neither may be delivered; both are audited.
create_user cs_dave
{
	standard_config "$SPOOL" max_job_size=1M users="cs_alice cs_bob cs_dave"
	printf '\n[action t2]\ndestination = local\nusers = cs_alice\n'
} | install_config "$CONF"
marker3=$(new_marker)
submit_as cs_dave "$(user_document cs_dave dave.pdf "$marker3" 2)"
id_dave=$RUN_OUT
run_cmd as_user cs_alice "$CLOUDSPOOL" -c "$CONF" submit -a t2 "$(user_document cs_alice removed-action.pdf "$marker3" 2)"
id_t2=$RUN_OUT
if is_job_id "$id_dave" && is_job_id "$id_t2"; then
	ok "two more jobs are queued (cs_dave's, and one for action t2)"
else
	not_ok "two more jobs are queued (cs_dave's, and one for action t2)" "$(run_diag)"
fi
userdel -r -f cs_dave >/dev/null 2>&1
standard_config "$SPOOL" max_job_size=1M | install_config "$CONF"
run_daemon_once
status=$?
ok_if "a pass after the user and the action are gone exits 0" test "$status" -eq 0
run_daemon_once
if [ -z "$(find "$SCANS" -name dave.pdf -o -name removed-action.pdf)" ]; then
	ok "neither job is delivered"
else
	not_ok "neither job is delivered" "$(find "$SCANS")"
fi
for pair in "cs_dave's job (user deleted):$id_dave" "the job of the removed action:$id_t2"; do
	what=${pair%%:*} id=${pair##*:}
	if audit_has_any_of "$id" rejected shredded deferred; then
		state=kept
		job_gone "$id" && state=gone
		ok "$what: audited ($(jq -r --arg id "$id" 'select(.job == $id) | .event' "$(audit_log_file)" | tail -n 1)), job $state"
	else
		not_ok "$what: audited" "$(audit_lines_mentioning "$id")"
	fi
done

# cloudspoolctl copes with the quarantine too.
run_cmd "$CTL" -c "$CONF" status
ok_if "cloudspoolctl status runs with a full corrupt/" test "$RUN_STATUS" -eq 0
check_audit_verifies
assert_no_markers
finish
