# shellcheck shell=bash
# bench/common.sh - shared set-up and statistics for the cloudspool benches.
# Sourced by bench-drop.sh and bench-latency.sh; not meant to be run.
#
# Everything the benches make lives under $BENCH_ROOT (default
# /srv/cloudspool-bench, never /tmp: the spool must sit on the same kind of
# filesystem a real spool would). The programs are whatever is installed:
# cloudspool-drop and cloudspoold from PATH, else /usr/sbin. Nothing is built.

BENCH_ROOT=${BENCH_ROOT:-/srv/cloudspool-bench}
BENCH_USER=${BENCH_USER:-csbench}
BENCH_CONF=$BENCH_ROOT/cs.conf
BENCH_SPOOL=$BENCH_ROOT/spool
BENCH_SCANS=$BENCH_ROOT/scans

# bench_die - one line, then a failed exit (the caller's trap cleans up)
bench_die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# bench_note - progress on stderr, so stdout stays the report
bench_note() {
	printf '  %s\n' "$*" >&2
}

# bench_find_prog - an installed program: PATH first, then a fixed place
bench_find_prog() {
	local name=$1 fallback=$2 p
	if p=$(command -v "$name" 2>/dev/null) && [ -x "$p" ]; then
		printf '%s\n' "$p"
	elif [ -x "$fallback" ]; then
		printf '%s\n' "$fallback"
	else
		bench_die "$name is not installed (looked in PATH and $fallback)"
	fi
}

# bench_describe_prog PATH - "PATH (mode owner:group, mtime, sha256 prefix)"
bench_describe_prog() {
	printf '%s (%s, %s, sha256 %s)\n' "$1" "$(stat -c '%A %U:%G' "$1")" \
	    "$(date -u -r "$1" '+%Y-%m-%d %H:%M:%S UTC')" \
	    "$(sha256sum "$1" | cut -c1-12)"
}

# bench_require_root - the benches create a user and a spool
bench_require_root() {
	[ "$(id -u)" -eq 0 ] || bench_die "run as root (e.g. sudo $0): it creates a user and a spool"
	command -v setpriv >/dev/null || bench_die "setpriv (util-linux) is required"
}

# bench_setup_root - bench root, config (root, 0644) and spool with keys
bench_setup_root() {
	local daemon=$1
	mkdir -p "$BENCH_ROOT" "$BENCH_SPOOL" "$BENCH_SCANS"
	chmod 0755 "$BENCH_ROOT" "$BENCH_SCANS"
	chown cloudspool "$BENCH_SPOOL"
	cat >"$BENCH_CONF.new" <<EOF
# written by bench/common.sh - cloudspool benchmark spool
[spool]
directory = $BENCH_SPOOL
tick = 1s
max_job_size = 1G
[destination local]
provider = localdir
path = $BENCH_SCANS/%u
[action demo]
destination = local
users = *
EOF
	chown root:root "$BENCH_CONF.new"
	chmod 0644 "$BENCH_CONF.new"
	mv -f "$BENCH_CONF.new" "$BENCH_CONF"
	# one pass as root lays out the spool and makes the first key pair
	"$daemon" -c "$BENCH_CONF" --once >"$BENCH_ROOT/once.log" 2>&1 ||
		bench_die "cloudspoold --once failed: $(tail -3 "$BENCH_ROOT/once.log")"
}

# bench_ensure_user - the unprivileged submitter; BENCH_MADE_USER=1 when we
# created it (then the caller's cleanup removes it again)
BENCH_MADE_USER=0
bench_ensure_user() {
	if ! id "$BENCH_USER" >/dev/null 2>&1; then
		useradd -m "$BENCH_USER" || bench_die "useradd $BENCH_USER failed"
		BENCH_MADE_USER=1
	fi
}

# bench_purge_incoming - remove whatever the bench user left in incoming/
# (a job finished while we were being interrupted, or a temporary file);
# only this bench's own spool, only files that user owns
bench_purge_incoming() {
	local uid
	uid=$(id -u "$BENCH_USER" 2>/dev/null) || return 0
	[ -d "$BENCH_SPOOL/incoming" ] || return 0
	find "$BENCH_SPOOL/incoming" -mindepth 1 -maxdepth 1 -type f \
	    -uid "$uid" -delete 2>/dev/null || true
}

# bench_descendants PID - the pids below PID (children first, then theirs)
bench_descendants() {
	local kid
	for kid in $(cat "/proc/$1/task/$1/children" 2>/dev/null || true); do
		echo "$kid"
		bench_descendants "$kid"
	done
}

# bench_stop_pid PID - TERM a process we started and everything below it
# (e.g. /usr/bin/time's child, the helper), by pid only; then reap it
bench_stop_pid() {
	local pid=$1 kids
	[ -n "$pid" ] || return 0
	kids=$(bench_descendants "$pid")
	# shellcheck disable=SC2086 # kids is a list of pids
	[ -z "$kids" ] || kill -TERM $kids 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# the helper may outlive its parent by a moment: wait (at most 5 s)
	# until the processes below are gone, so the user can be removed
	for ((n = 0; n < 500; n++)); do
		local alive=0 k
		for k in $kids; do
			[ -d "/proc/$k" ] && [ "$(awk '/^State:/ { print $2 }' "/proc/$k/status" 2>/dev/null)" != Z ] && alive=1
		done
		[ "$alive" = 0 ] && break
		bench_nap 0.01
	done
}

# bench_remove_user - undo bench_ensure_user, and its delivered files
bench_remove_user() {
	rm -rf "${BENCH_SCANS:?}/$BENCH_USER"
	if [ "$BENCH_MADE_USER" = 1 ]; then
		userdel -r "$BENCH_USER" >/dev/null 2>&1 || true
		BENCH_MADE_USER=0
	fi
}

# BENCH_AS_USER - prefix that runs a command as the bench user: setpriv
# execs it in place (no PAM session, no extra process). Used as an array,
# not a function, so that `"${BENCH_AS_USER[@]}" prog &` leaves the program
# itself in $! (a function run with & would be a bash subshell)
# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_AS_USER=(setpriv --reuid="$BENCH_USER" --regid="$BENCH_USER" --init-groups --)

# bench_make_input FILE BYTES [FROM] - random bytes, made once and kept;
# with FROM, the first BYTES of that file
bench_make_input() {
	local file=$1 bytes=$2 from=${3:-}
	if [ -f "$file" ] && [ "$(stat -c %s "$file")" = "$bytes" ]; then
		return 0
	fi
	bench_note "generating $file ($bytes bytes)"
	if [ -n "$from" ]; then
		head -c "$bytes" "$from" >"$file.new"
	else
		head -c "$bytes" /dev/urandom >"$file.new"
	fi
	chmod 0644 "$file.new"
	mv -f "$file.new" "$file"
}

# bench_now_us - wall clock in microseconds, no fork
bench_now_us() {
	local t=$EPOCHREALTIME
	printf '%s\n' "${t/./}"
}

# bench_drop_caches - sync, then drop the page cache; 1 when done
bench_drop_caches() {
	sync
	if { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		echo 1
	else
		echo 0
	fi
}

# bench_nap SECONDS - sleep without forking (read times out on a pipe that
# never gets data); used by the 5 ms poll loops
exec {BENCH_NAP_FD}<> <(:)
bench_nap() {
	read -r -t "$1" -u "$BENCH_NAP_FD" _ || true
}

# bench_stats - read one number a line; print "n median p90 min max"
# (p90 by nearest rank; the median of an even count is the mean of the two)
bench_stats() {
	sort -g | awk '
		{ v[NR] = $1 }
		END {
			n = NR
			if (n == 0) { print "0 nan nan nan nan"; exit }
			if (n % 2) med = v[(n + 1) / 2]
			else med = (v[n / 2] + v[n / 2 + 1]) / 2
			r = int(0.9 * n); if (r < 0.9 * n) r++
			if (r < 1) r = 1
			printf "%d %.6g %.6g %.6g %.6g\n", n, med, v[r], v[1], v[n]
		}'
}
