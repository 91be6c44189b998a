#!/usr/bin/env bash
# bench-latency.sh - submit-to-delivered latency of a small file.
#
#   sudo bench/bench-latency.sh          5 rounds of 20 (ROUNDS=, N= to change)
#
# Starts `cloudspoold --foreground` on the bench spool, then, N times per
# round and one after another, submits a 10 KiB random file with
# cloudspool-drop as an unprivileged user and measures from just before the
# submit to the moment the delivered file exists in the user's folder
# (polled every POLL_MS ms, default 1; the localdir provider links the file in only once it
# is complete and fsynced). The latency is split into the submit (drop
# helper returns: sealed, renamed, synced) and the daemon's part (inotify
# wake-up, pickup, decrypt, pass-through worker, delivery, shred).
#
# Peer, measured in the same loop right after each submission: `cp FILE
# DEST && sync` of the same file into the same filesystem: the floor for
# "a file is durably somewhere else".
#
# Reports median, p90 and max in ms per round and over all samples; target
# median < 1000 ms. Every delivered file is compared with the input.
#
# Every sample (microseconds) of the last run stays in
# $BENCH_ROOT/latency-samples.txt.
#
# Environment: ROUNDS (5), N (20), SIZE_KB (10), POLL_MS (1), BENCH_ROOT
# (/srv/cloudspool-bench), BENCH_USER (csbench). Needs root; makes the user
# if missing and removes it at the end.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$BENCH_DIR/common.sh"

ROUNDS=${ROUNDS:-5}
N=${N:-20}
SIZE_KB=${SIZE_KB:-10}
TIMEOUT_S=${TIMEOUT_S:-30}
# 1 ms rather than 5: the daemon's part is only a few ms, and a 5 ms poll
# rounded every sample up to the next poll (readings came out 6 or 12 ms)
POLL_MS=${POLL_MS:-1}
POLL_S=$(awk -v m="$POLL_MS" 'BEGIN { printf "%.3f", m / 1000 }')

bench_require_root
DROP=$(bench_find_prog cloudspool-drop /usr/sbin/cloudspool-drop)
DAEMON=$(bench_find_prog cloudspoold /usr/sbin/cloudspoold)

INPUT=$BENCH_ROOT/input-${SIZE_KB}k.bin
PEER_DIR=$BENCH_ROOT/peer
DAEMON_LOG=$BENCH_ROOT/cloudspoold.log
DATA=$BENCH_ROOT/latency.data
SAMPLES=$BENCH_ROOT/latency-samples.txt	# kept: every sample of the last run
DAEMON_PID=

# cleanup - stop the daemon we started, remove delivered files and the user
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_daemon || true
	bench_purge_incoming
	rm -rf -- "$PEER_DIR" "$DATA" "$BENCH_ROOT/drop.stdout" "$BENCH_ROOT/drop.stderr"
	bench_remove_user
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop_daemon - SIGTERM to the pid we started, then reap it
stop_daemon() {
	local rc=0
	[ -n "$DAEMON_PID" ] || return 0
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
	fi
	wait "$DAEMON_PID" 2>/dev/null || rc=$?
	DAEMON_PID=
	DAEMON_RC=$rc
}

# no_daemon_on_spool - two daemons on one spool would not measure anything
no_daemon_on_spool() {
	local pid
	pid=$(cat "$BENCH_SPOOL/cloudspoold.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ -d "/proc/$pid" ] &&
	    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = cloudspoold ]; then
		bench_die "cloudspoold (pid $pid) is already running on $BENCH_SPOOL; stop it first"
	fi
}

# submit_and_wait NAME - one submission; sets SUBMIT_US and TOTAL_US
submit_and_wait() {
	local name=$1 dest=$BENCH_SCANS/$BENCH_USER/$1 t0 t1 t2 deadline job
	t0=$(bench_now_us)
	if ! "${BENCH_AS_USER[@]}" "$DROP" -c "$BENCH_CONF" -a demo -n "$name" \
	    <"$INPUT" >"$BENCH_ROOT/drop.stdout" 2>"$BENCH_ROOT/drop.stderr"; then
		bench_die "cloudspool-drop failed: $(head -3 "$BENCH_ROOT/drop.stderr")"
	fi
	t1=$(bench_now_us)
	deadline=$((t0 + TIMEOUT_S * 1000000))
	while [ ! -e "$dest" ]; do
		bench_nap "$POLL_S"
		t2=$(bench_now_us)
		if ((t2 > deadline)); then
			job=$(head -n 1 "$BENCH_ROOT/drop.stdout")
			bench_die "job $job ($name) not delivered after ${TIMEOUT_S}s; daemon log: $(tail -3 "$DAEMON_LOG")"
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null ||
			bench_die "cloudspoold exited; log: $(tail -5 "$DAEMON_LOG")"
	done
	t2=$(bench_now_us)
	SUBMIT_US=$((t1 - t0))
	TOTAL_US=$((t2 - t0))
	cmp -s "$INPUT" "$dest" || bench_die "$dest differs from the submitted file"
	rm -f -- "$dest"
}

# peer - cp FILE DEST && sync, same file, same filesystem; sets PEER_US
peer() {
	local t0 t1
	t0=$(bench_now_us)
	cp "$INPUT" "$PEER_DIR/copy.bin" && sync
	t1=$(bench_now_us)
	PEER_US=$((t1 - t0))
	rm -f -- "$PEER_DIR/copy.bin"
}

# col FIELD [ROUND] - the ms values of one column of $DATA (all rounds, or one)
col() {
	awk -v f="$1" -v r="${2:-0}" '(r == 0 || $1 == r) { printf "%.3f\n", $f / 1000 }' "$DATA"
}

# fmt_stats - "median p90 max" in ms with one decimal
fmt_stats() {
	bench_stats | awk '{ printf "%8.1f %8.1f %8.1f\n", $2, $3, $5 }'
}

echo "== cloudspool submit-to-delivered latency ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo "   drop helper: $(bench_describe_prog "$DROP")"
echo "   daemon:      $(bench_describe_prog "$DAEMON")"
bench_setup_root "$DAEMON"
no_daemon_on_spool
bench_ensure_user
bench_make_input "$INPUT" $((SIZE_KB * 1024))
rm -rf -- "${BENCH_SCANS:?}/$BENCH_USER" "$PEER_DIR"
mkdir -p "$PEER_DIR"

"$DAEMON" -c "$BENCH_CONF" --foreground >"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
bench_note "cloudspoold pid $DAEMON_PID, log $DAEMON_LOG"

# warm-up, not counted: the daemon is up, its folders and the user's
# destination folder exist, the helper and the input are in the page cache
submit_and_wait warmup.bin
bench_note "warm-up delivered in $((TOTAL_US / 1000)) ms"

: >"$DATA"
for ((r = 1; r <= ROUNDS; r++)); do
	for ((i = 1; i <= N; i++)); do
		submit_and_wait "lat-$r-$i.bin"
		peer
		echo "$r $i $SUBMIT_US $TOTAL_US $PEER_US" >>"$DATA"
	done
	printf '  round %d: cloudspool median %s ms, cp+sync median %s ms\n' "$r" \
	    "$(col 4 "$r" | bench_stats | awk '{ printf "%.1f", $2 }')" \
	    "$(col 5 "$r" | bench_stats | awk '{ printf "%.1f", $2 }')" >&2
done

stop_daemon
{
	echo "# round i submit_us total_us peer_us ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
	cat "$DATA"
} >"$SAMPLES"
left=$(find "$BENCH_SPOOL"/{incoming,active,hold,deferred,corrupt} -type f 2>/dev/null | wc -l)

echo
echo "== Summary: $ROUNDS rounds x $N sequential submissions of $SIZE_KB KiB (ms; polled every $POLL_MS ms)"
printf '%-7s | %-26s | %-26s | %-17s | %s\n' "" "submit to delivered" "cp + sync (peer)" "submit only" "ratio"
printf '%-7s | %8s %8s %8s | %8s %8s %8s | %8s %8s | %s\n' round median p90 max median p90 max median max "median/peer"
for ((r = 1; r <= ROUNDS; r++)); do
	read -r tm tp tx < <(col 4 "$r" | fmt_stats)
	read -r pm pp px < <(col 5 "$r" | fmt_stats)
	read -r sm _ sx < <(col 3 "$r" | fmt_stats)
	printf '%-7s | %8s %8s %8s | %8s %8s %8s | %8s %8s | %.2f\n' "$r" \
	    "$tm" "$tp" "$tx" "$pm" "$pp" "$px" "$sm" "$sx" \
	    "$(awk -v a="$tm" -v b="$pm" 'BEGIN { print a / b }')"
done
read -r tm tp tx < <(col 4 | fmt_stats)
read -r pm pp px < <(col 5 | fmt_stats)
read -r sm _ sx < <(col 3 | fmt_stats)
printf '%-7s | %8s %8s %8s | %8s %8s %8s | %8s %8s | %.2f\n' all \
    "$tm" "$tp" "$tx" "$pm" "$pp" "$px" "$sm" "$sx" \
    "$(awk -v a="$tm" -v b="$pm" 'BEGIN { print a / b }')"
# spread of the per-round medians
read -r _ rmed _ rmin rmax < <(for ((r = 1; r <= ROUNDS; r++)); do col 4 "$r" | bench_stats | awk '{ print $2 }'; done | bench_stats)
printf 'per-round median of submit to delivered: median %.1f ms, range %.1f - %.1f ms\n' "$rmed" "$rmin" "$rmax"
echo "target median < 1000 ms: $(awk -v m="$tm" 'BEGIN { print (m < 1000) ? "meets" : "MISSES" }'); worst case $tx ms"
echo "jobs left in the spool after the run: $left; daemon exit status: ${DAEMON_RC:-?}"
