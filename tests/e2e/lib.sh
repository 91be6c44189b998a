# shellcheck shell=bash
# tests/e2e/lib.sh - shared helpers of the end-to-end tests (source it).
#
# The tests drive the installed programs (./setup.sh install) as root, with
# real users, each in a private spool and delivery folder, so they never
# touch the system's own spool or /srv/scans:
#
#   /srv/cloudspool-test/<test>/cloudspool.conf  root-owned 0644 config
#   /srv/cloudspool-test/<test>/spool/           the test's spool (cloudspool)
#   /srv/cloudspool-test/<test>/scans/%u/        the localdir destination
#   /srv/cloudspool-test/<test>/logs/            daemon output
#   /srv/cloudspool-test/<test>/work/            the harness's scratch files
#
# Not under /tmp: delivered files hold plaintext markers, and /tmp is one of
# the places searched for them. Every document carries a random marker;
# assert_no_markers searches the spool, /tmp, /var/tmp, /dev/shm, /var/log,
# the daemon logs and core files for every marker of the test (never the
# delivery folder, the users' homes or the harness's own originals).
#
# Output is TAP: ok/not_ok number each line, finish prints the plan and
# exits non-zero when anything failed. set -e is off on purpose: a failed
# check is reported and the test goes on. The EXIT trap stops the daemons
# the test started (by pid), removes its users, and removes the test root
# when everything passed (CS_KEEP_TEST_ROOT=1 keeps it).

set -uo pipefail
umask 022
cd / || exit 1

CS_BINDIR=${CS_BINDIR:-/usr/bin}
CS_SBINDIR=${CS_SBINDIR:-/usr/sbin}
CLOUDSPOOL=$CS_BINDIR/cloudspool
DROP=$CS_SBINDIR/cloudspool-drop
# CS_DAEMON: another cloudspoold to drive (tests/run-tests.sh passes the
# sanitizer build's); everything else is always the installed programs
DAEMON=${CS_DAEMON:-$CS_SBINDIR/cloudspoold}
CTL=$CS_SBINDIR/cloudspoolctl

TEST_NAME=$(basename "$0" .sh)
TEST_BASE=/srv/cloudspool-test
TEST_ROOT=$TEST_BASE/$TEST_NAME
CONF=$TEST_ROOT/cloudspool.conf
SPOOL=$TEST_ROOT/spool
SCANS=$TEST_ROOT/scans
LOGS=$TEST_ROOT/logs
WORK=$TEST_ROOT/work
JOB_ID_RE='^[0-9]{14}-[0-9a-f]{12}$'
STATE_DIRS=(incoming active deferred hold)

TAP_COUNT=0
TAP_FAILS=0
TEST_USERS=()
DAEMON_PID=
DAEMON_EXTRA_PIDS=()
EXTRA_SEARCH_DIRS=()
RUN_OUT=
RUN_ERR=
RUN_STATUS=0

# ---------------------------------------------------------------- TAP

# ok - one passing test line
ok() {
	TAP_COUNT=$((TAP_COUNT + 1))
	printf 'ok %d - %s\n' "$TAP_COUNT" "$1"
}

# not_ok - one failing test line, then each further argument as a comment
not_ok() {
	TAP_COUNT=$((TAP_COUNT + 1))
	TAP_FAILS=$((TAP_FAILS + 1))
	printf 'not ok %d - %s\n' "$TAP_COUNT" "$1"
	shift
	diag "$@"
}

# diag - TAP comment lines (multi-line arguments are split, each prefixed)
diag() {
	local text line
	for text in "$@"; do
		while IFS= read -r line; do
			printf '#   %s\n' "$line"
		done <<<"$text"
	done
}

# ok_if - ok when a shell condition (a command) succeeds, else not_ok
ok_if() {
	local desc=$1
	shift
	if "$@" >"$WORK/ok_if.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc" "failed: $*" "$(head -c 2000 "$WORK/ok_if.out")"
	fi
}

# skip - a test that cannot run here, with a reason (the runner lists it
# apart and does not count it as passed)
skip() {
	TAP_COUNT=$((TAP_COUNT + 1))
	printf 'ok %d - %s # SKIP %s\n' "$TAP_COUNT" "$1" "$2"
}

# bail_out - a failure that makes the rest meaningless: report and stop
bail_out() {
	not_ok "$1" "${@:2}"
	printf '# Bail out! %s\n' "$1"
	finish
}

# finish - the plan, and the exit status (the EXIT trap cleans up); with
# a sanitizer-built daemon (CS_DAEMON) its logs must hold no report
finish() {
	local reports
	if [ -n "${CS_DAEMON:-}" ] && [ -d "$LOGS" ]; then
		reports=$(grep -hE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOGS"/*.log 2>/dev/null | head -n 5)
		if [ -z "$reports" ]; then
			ok "no sanitizer report from $DAEMON"
		else
			not_ok "no sanitizer report from $DAEMON" "$reports"
		fi
	fi
	printf '1..%d\n' "$TAP_COUNT"
	[ "$TAP_FAILS" -eq 0 ] && exit 0
	exit 1
}

# ------------------------------------------------------- running things

# run_cmd - run a command; RUN_OUT, RUN_ERR and RUN_STATUS receive its
# stdout, stderr and exit status (which it also returns)
run_cmd() {
	"$@" >"$WORK/run.out" 2>"$WORK/run.err"
	RUN_STATUS=$?
	RUN_OUT=$(cat "$WORK/run.out")
	RUN_ERR=$(cat "$WORK/run.err")
	return "$RUN_STATUS"
}

# as_user - run a command as a user (no login shell, cwd /)
as_user() {
	local user=$1
	shift
	(cd / && runuser -u "$user" -- "$@")
}

# run_diag - what the last run_cmd printed, for a not_ok
run_diag() {
	printf 'exit status %s\nstdout: %s\nstderr: %s\n' "$RUN_STATUS" "$RUN_OUT" "$RUN_ERR"
}

# expect_status - run_cmd a command and check its exit status
expect_status() {
	local want=$1 desc=$2
	shift 2
	run_cmd "$@"
	if [ "$RUN_STATUS" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected exit status $want" "$(run_diag)"
	fi
}

# wait_until - poll a command every 0.1 s until it succeeds or seconds pass
wait_until() {
	local seconds=$1 deadline
	shift
	deadline=$((SECONDS + seconds))
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# ------------------------------------------------------------- set-up

# require_installed - the programs, the daemon user and the drop group
require_installed() {
	local p
	[ "$(id -u)" -eq 0 ] || bail_out "the end-to-end tests run as root"
	for p in "$CLOUDSPOOL" "$DROP" "$DAEMON" "$CTL"; do
		[ -x "$p" ] || bail_out "$p is not installed (./setup.sh install)"
	done
	getent passwd cloudspool >/dev/null || bail_out "no user cloudspool"
	getent group cloudspool-drop >/dev/null || bail_out "no group cloudspool-drop"
	[ "$(stat -c '%G %a' "$DROP")" = "cloudspool-drop 2755" ] ||
		bail_out "$DROP is not setgid cloudspool-drop" "$(stat -c '%U:%G %a' "$DROP")"
}

# setup_test_root - a fresh test root, the traps, the scratch folders
setup_test_root() {
	require_installed
	trap cleanup_test EXIT
	trap 'exit 130' INT TERM
	rm -rf "$TEST_ROOT"
	install -d -m 0755 -o root -g root "$TEST_BASE" "$TEST_ROOT" "$SCANS"
	install -d -m 0700 -o root -g root "$LOGS" "$WORK"
	: >"$WORK/markers"
	chmod 0600 "$WORK/markers"
	date +%s >"$WORK/started"
}

# cleanup_test - stop daemons, remove users, remove the test root if green
cleanup_test() {
	local status=$? user
	stop_daemon >/dev/null 2>&1
	for user in "${TEST_USERS[@]}"; do
		remove_user "$user"
	done
	if [ "$TAP_FAILS" -eq 0 ] && [ "$status" -eq 0 ] && [ "${CS_KEEP_TEST_ROOT:-0}" != 1 ]; then
		rm -rf "$TEST_ROOT"
	else
		printf '# kept %s for inspection\n' "$TEST_ROOT"
	fi
}

# create_user - a fresh ordinary user with a home, removed at exit
create_user() {
	local user=$1
	getent passwd "$user" >/dev/null && remove_user "$user"
	useradd --create-home --shell /bin/bash "$user" ||
		bail_out "useradd $user failed"
	TEST_USERS+=("$user")
}

# remove_user - userdel -r, quietly (mail spool warnings)
remove_user() {
	getent passwd "$1" >/dev/null || return 0
	userdel -r -f "$1" >/dev/null 2>&1 || userdel -f "$1" >/dev/null 2>&1
}

# user_home - a user's home folder
user_home() {
	getent passwd "$1" | cut -d: -f6
}

# standard_config - config text for a spool; KEY=VALUE arguments override
# [spool] and [retention] keys; destination "local" (localdir, SCANS/%u,
# mode 0600) and action "t" (users cs_alice cs_bob) follow
standard_config() {
	local spool=$1 kv key
	shift
	local -A v=(
		[tick]=1s [max_job_size]=256M [max_jobs_per_user]=100
		[min_free_space]=64M [trusted_submitters]="root lp"
		[authorization_hold]=24h [delivery_window]=24h [key_rotation]=24h
		[retry_initial]=1s [retry_max]=2s [stale_incoming]=1h
		[dest_path]="$SCANS/%u" [users]="cs_alice cs_bob"
	)
	for kv in "$@"; do
		v[${kv%%=*}]=${kv#*=}
	done
	printf '# written by %s\n[spool]\ndirectory = %s\n' "$TEST_NAME" "$spool"
	for key in tick max_job_size max_jobs_per_user min_free_space trusted_submitters; do
		printf '%s = %s\n' "$key" "${v[$key]}"
	done
	printf '\n[retention]\n'
	for key in authorization_hold delivery_window key_rotation retry_initial retry_max stale_incoming; do
		printf '%s = %s\n' "$key" "${v[$key]}"
	done
	printf '\n[destination local]\nprovider = localdir\npath = %s\nmode = 0600\n' "${v[dest_path]}"
	printf '\n[action t]\ndestination = local\ndescription = test delivery\nusers = %s\n' "${v[users]}"
}

# install_config - stdin to a root-owned 0644 config file
install_config() {
	local file=$1
	cat >"$file.new" && chown root:root "$file.new" && chmod 0644 "$file.new" &&
		mv -f "$file.new" "$file"
}

# init_spool - cloudspoolctl init for a config; bail out when it fails
init_spool() {
	local conf=${1:-$CONF} spool=${2:-$SPOOL}
	run_cmd "$CTL" -c "$conf" init ||
		bail_out "cloudspoolctl -c $conf init" "$(run_diag)"
	[ "$(stat -c %U "$spool" 2>/dev/null)" = cloudspool ] ||
		bail_out "cloudspoolctl init did not make $spool owned by cloudspool" \
			"$(ls -ld "$spool" 2>&1)"
}

# setup_standard - test root, users cs_alice and cs_bob, standard config
# (arguments go to standard_config), initialised spool
setup_standard() {
	setup_test_root
	create_user cs_alice
	create_user cs_bob
	standard_config "$SPOOL" "$@" | install_config "$CONF"
	init_spool
}

# ------------------------------------------------------ documents, markers

# new_marker - a random marker, remembered for assert_no_markers
new_marker() {
	local m
	m=CSMARK$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$m" >>"$WORK/markers"
	printf '%s\n' "$m"
}

# make_document - path, marker, size in KiB (default 4): random text with
# the marker on the first line and before every 4000 bytes, so that any
# leaked chunk of plaintext shows
make_document() {
	local path=$1 marker=$2 kib=${3:-4}
	{
		printf 'cloudspool test document\n%s\n' "$marker"
		head -c $((kib * 768)) /dev/urandom | base64 -w 4000 |
			awk -v m="$marker" '{ print; print m }'
	} >"$path"
}

# user_document - a document in a user's home, owned by the user (0600);
# prints its path
user_document() {
	local user=$1 name=$2 marker=$3 kib=${4:-4} path
	path=$(user_home "$user")/$name
	make_document "$path" "$marker" "$kib"
	chown "$user:" "$path"
	chmod 0600 "$path"
	printf '%s\n' "$path"
}

# marker_search_paths - where plaintext must never be
marker_search_paths() {
	local d
	for d in "$SPOOL" "${EXTRA_SEARCH_DIRS[@]}" /tmp /var/tmp /dev/shm /var/log \
		"$LOGS" /var/spool/cloudspool /var/crash /var/lib/systemd/coredump; do
		[ -e "$d" ] && printf '%s\n' "$d"
	done
	# core files: core_pattern here is a plain name, written to the
	# crashing process's cwd (/, the spool, the test root)
	find / "$TEST_ROOT" -maxdepth 1 -type f -name 'core*' 2>/dev/null
}

# assert_no_markers - no marker of this test anywhere it must not be
assert_no_markers() {
	local desc=${1:-no plaintext marker in the spool, /tmp, /var/tmp, /dev/shm, logs or core files}
	local hits
	local -a paths
	[ -s "$WORK/markers" ] || { ok "$desc (no markers yet)"; return; }
	mapfile -t paths < <(marker_search_paths)
	hits=$(grep -rlFa -D skip --no-messages -f "$WORK/markers" -- "${paths[@]}" 2>/dev/null)
	if [ -z "$hits" ]; then
		ok "$desc"
	else
		not_ok "$desc" "found in:" "$hits"
	fi
}

# assert_no_marker - one marker, the same places as assert_no_markers
assert_no_marker() {
	local marker=$1 desc=${2:-the marker is nowhere but in the delivered file}
	local hits
	local -a paths
	mapfile -t paths < <(marker_search_paths)
	hits=$(grep -rlFa -D skip --no-messages -e "$marker" -- "${paths[@]}" 2>/dev/null)
	if [ -z "$hits" ]; then
		ok "$desc"
	else
		not_ok "$desc" "found in:" "$hits"
	fi
}

# spool_has_marker - quick check of the spool alone (after each kill)
spool_has_marker() {
	grep -rqFa -D skip --no-messages -f "$WORK/markers" -- "$SPOOL" "$LOGS"
}

# ----------------------------------------------------------------- daemon

# faketime_library - libfaketime's path on this machine
faketime_library() {
	local f
	for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
		[ -e "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

# set_fake_offset - the running faked daemon's clock: "+0", "+25h", ...
set_fake_offset() {
	printf '%s\n' "$1" >"$WORK/faketime"
	chmod 0644 "$WORK/faketime"
}

# start_daemon - cloudspoold --foreground in the background, as root (it
# forks its agent and drops to cloudspool); --faketime runs it under
# libfaketime reading WORK/faketime (set_fake_offset); -c CONF optional
start_daemon() {
	local conf=$CONF fake=0 lib
	while [ $# -gt 0 ]; do
		case $1 in
		--faketime) fake=1 ;;
		-c) conf=$2; shift ;;
		esac
		shift
	done
	[ -z "$DAEMON_PID" ] || stop_daemon
	if [ "$fake" -eq 1 ]; then
		lib=$(faketime_library) || bail_out "libfaketime not found (package libfaketime)"
		[ -f "$WORK/faketime" ] || set_fake_offset +0
		# the timestamp file must be readable after the drop to cloudspool
		chmod 0711 "$WORK"
		LD_PRELOAD=$lib FAKETIME_TIMESTAMP_FILE=$WORK/faketime FAKETIME_NO_CACHE=1 \
			FAKETIME_DONT_FAKE_MONOTONIC=1 \
			"$DAEMON" -c "$conf" --foreground >>"$LOGS/daemon.log" 2>&1 </dev/null &
	else
		"$DAEMON" -c "$conf" --foreground >>"$LOGS/daemon.log" 2>&1 </dev/null &
	fi
	DAEMON_PID=$!
	DAEMON_EXTRA_PIDS=()
}

# daemon_alive - the daemon we started is still running
daemon_alive() {
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null
}

# process_tree - a pid and all its descendants, parents first
process_tree() {
	local pid=$1 child
	printf '%s\n' "$pid"
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		process_tree "$child"
	done
}

# stop_daemon - SIGTERM, wait up to 10 s, then SIGKILL what is left of its
# process tree; DAEMON_STATUS receives its exit status
stop_daemon() {
	local pids i
	DAEMON_STATUS=
	[ -n "$DAEMON_PID" ] || return 0
	mapfile -t pids < <(process_tree "$DAEMON_PID")
	kill -TERM "$DAEMON_PID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "${pids[@]}" "${DAEMON_EXTRA_PIDS[@]}" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_STATUS=$?
	DAEMON_PID=
	DAEMON_EXTRA_PIDS=()
}

# kill_daemon_hard - kill -9 the daemon now; its children (agent, worker)
# get 3 s to notice and exit on their own; LINGERING receives the pids that
# did not (those are then killed too). With "tree", the whole process tree
# gets SIGKILL at once instead (a power cut, or systemd killing the cgroup).
kill_daemon_hard() {
	local mode=${1:-daemon} pids pid i
	LINGERING=()
	[ -n "$DAEMON_PID" ] || return 0
	mapfile -t pids < <(process_tree "$DAEMON_PID")
	if [ "$mode" = tree ]; then
		kill -KILL "${pids[@]}" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		return 0
	fi
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	for i in $(seq 1 30); do
		LINGERING=()
		for pid in "${pids[@]:1}"; do
			kill -0 "$pid" 2>/dev/null && LINGERING+=("$pid")
		done
		[ "${#LINGERING[@]}" -eq 0 ] && break
		sleep 0.1
	done
	[ "${#LINGERING[@]}" -eq 0 ] || kill -KILL "${LINGERING[@]}" 2>/dev/null
	DAEMON_PID=
}

# run_daemon_once - cloudspoold --once (one pass); returns its status;
# extra arguments go before the program (e.g. env VAR=value)
run_daemon_once() {
	local conf=$CONF
	if [ "${1:-}" = -c ]; then conf=$2; shift 2; fi
	timeout --kill-after=5 120 "$@" "$DAEMON" -c "$conf" --once \
		>>"$LOGS/daemon-once.log" 2>&1 </dev/null
}

# wait_for_public_key - the first pass publishes the first epoch's key
wait_for_public_key() {
	local spool=${1:-$SPOOL}
	wait_until 20 test -s "$spool/public/current"
}

# ------------------------------------------------------------ the spool

# spool_entries - names in the job state folders (jobs and their records)
spool_entries() {
	local spool=${1:-$SPOOL} d
	for d in "${STATE_DIRS[@]}"; do
		find "$spool/$d" -mindepth 1 -maxdepth 1 -printf "$d/%f\n" 2>/dev/null
	done
}

# spool_holds_job - a job id is somewhere in the spool (a state folder or
# corrupt/), as a job file or a record
spool_holds_job() {
	local id=$1 spool=${2:-$SPOOL}
	find "$spool"/{incoming,active,deferred,hold,corrupt} -mindepth 1 -maxdepth 1 \
		-name "$id*" 2>/dev/null | grep -q .
}

# spool_is_empty - no job and no record in any state folder
spool_is_empty() {
	[ -z "$(spool_entries "${1:-$SPOOL}")" ]
}

# corrupt_entries - what is quarantined
corrupt_entries() {
	find "${1:-$SPOOL}/corrupt" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null
}

# job_gone - the job is neither a file nor a record anywhere in the spool
job_gone() {
	! spool_holds_job "$@"
}

# delivered_file - where a job named NAME for USER lands
delivered_file() {
	printf '%s/%s/%s\n' "$SCANS" "$1" "$2"
}

# wait_for_delivery - user, name, job id, seconds: the file is there and
# the job has left the spool (so the file is complete)
wait_for_delivery() {
	local user=$1 name=$2 id=$3 seconds=${4:-30}
	wait_until "$seconds" test -f "$(delivered_file "$user" "$name")" &&
		wait_until "$seconds" job_gone "$id"
}

# ---------------------------------------------------------------- audit

# audit_log_file - the spool's audit log
audit_log_file() {
	printf '%s/audit/audit.log\n' "${1:-$SPOOL}"
}

# audit_count - lines of the audit log with this event that mention this
# text anywhere (the job id, a file name); text may be empty
audit_count() {
	local event=$1 text=${2:-} spool=${3:-$SPOOL}
	jq -c --arg ev "$event" --arg t "$text" \
		'select(.event == $ev and (tostring | contains($t)))' \
		"$(audit_log_file "$spool")" 2>/dev/null | wc -l
}

# audit_has - at least one line with this event mentioning this text
audit_has() {
	[ "$(audit_count "$@")" -ge 1 ]
}

# audit_has_any_of - text, events: a line of any of the events mentions text
audit_has_any_of() {
	local text=$1 ev
	shift
	for ev in "$@"; do
		audit_has "$ev" "$text" && return 0
	done
	return 1
}

# audit_lines_mentioning - every audit line that mentions a text
audit_lines_mentioning() {
	grep -F -- "$1" "$(audit_log_file "${2:-$SPOOL}")" 2>/dev/null
}

# check_audit_verifies - cloudspoolctl audit verify succeeds and says ok
check_audit_verifies() {
	local desc=${1:-cloudspoolctl audit verify: ok} conf=${2:-$CONF}
	run_cmd "$CTL" -c "$conf" audit verify
	if [ "$RUN_STATUS" -eq 0 ] && grep -q '^audit: ok' <<<"$RUN_OUT"; then
		ok "$desc"
	else
		not_ok "$desc" "$(run_diag)"
	fi
}

# --------------------------------------------------------- submissions

# submit_as - user, file, extra submit arguments: cloudspool submit -a t
# FILE; RUN_OUT holds the job id
submit_as() {
	local user=$1 file=$2
	shift 2
	run_cmd as_user "$user" "$CLOUDSPOOL" -c "$CONF" submit -a t "$@" "$file"
}

# drop_as - user, drop helper arguments; stdin is the document
drop_as() {
	local user=$1
	shift
	run_cmd as_user "$user" "$DROP" -c "$CONF" "$@"
}

# is_job_id - one well-formed job id
is_job_id() {
	[[ $1 =~ $JOB_ID_RE ]]
}

# random_job_id - a name with the shape of a job id (hostile input)
random_job_id() {
	printf '%s-%s\n' "$(date -u +%Y%m%d%H%M%S)" "$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
}
