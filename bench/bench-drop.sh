#!/usr/bin/env bash
# bench-drop.sh - sealing throughput and memory of cloudspool-drop.
#
#   sudo bench/bench-drop.sh            5 runs (RUNS=N to change)
#
# Measures, in one run on one filesystem:
#   1. cloudspool-drop sealing a 200 MiB random file into the spool (as an
#      unprivileged user, exactly as a user would submit it) against its
#      peer, `dd if=FILE of=OUT bs=1M conv=fsync` of the same bytes into the
#      same filesystem. RUNS pairs, alternating which goes first, with the
#      page cache dropped before every measurement when the kernel lets us.
#      Reports MiB/s of each and the per-pair ratio drop/dd (target >= 0.7).
#   2. Peak RSS of cloudspool-drop for 1, 50 and 200 MiB inputs (target:
#      flat, a few MB), from /usr/bin/time -f %M when installed, otherwise
#      by polling VmHWM in /proc/PID/status every 10 ms.
#   3. When strace is installed: the number of read(2) calls the helper
#      makes for a 1 MiB input, which shows the size of its input reads.
#
# Environment: RUNS (5), SIZE_MB (200), RSS_RUNS (3), RSS_METHOD (poll:
# use the VmHWM poller even when /usr/bin/time is installed), BENCH_ROOT
# (/srv/cloudspool-bench), BENCH_USER (csbench). Needs root; makes the user
# if missing and removes it at the end; removes every job it submitted.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$BENCH_DIR/common.sh"

RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-200}
RSS_RUNS=${RSS_RUNS:-3}

bench_require_root
DROP=$(bench_find_prog cloudspool-drop /usr/sbin/cloudspool-drop)
DAEMON=$(bench_find_prog cloudspoold /usr/sbin/cloudspoold)
TIME_BIN=
[ -x /usr/bin/time ] && [ "${RSS_METHOD:-}" != poll ] && TIME_BIN=/usr/bin/time
STRACE=$(command -v strace 2>/dev/null || true)

DD_OUT=$BENCH_ROOT/dd.out
DROP_OUT=$BENCH_ROOT/drop.stdout
DROP_ERR=$BENCH_ROOT/drop.stderr
JOBS=()
CHILD=

# cleanup - stop a helper we started, remove its jobs, the dd copy, the user
cleanup() {
	local rc=$? id
	trap - EXIT INT TERM
	bench_stop_pid "$CHILD"
	for id in "${JOBS[@]}"; do
		rm -f -- "$BENCH_SPOOL/incoming/$id"
	done
	bench_purge_incoming
	rm -f -- "$DD_OUT" "$DROP_OUT" "$DROP_ERR" "$BENCH_ROOT/strace.out"
	rm -f -- "$BENCH_ROOT"/{drop.mibps,dd.mibps,ratio,rss-1,rss-50,rss-200}
	bench_remove_user
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# forget_job ID - remove a sealed job from incoming/ (no daemon runs here)
forget_job() {
	rm -f -- "$BENCH_SPOOL/incoming/$1"
}

# no_daemon_on_spool - a running cloudspoold would pick the jobs up
no_daemon_on_spool() {
	local pid
	pid=$(cat "$BENCH_SPOOL/cloudspoold.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ -d "/proc/$pid" ] &&
	    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = cloudspoold ]; then
		bench_die "cloudspoold (pid $pid) is running on $BENCH_SPOOL; stop it first"
	fi
}

# run_drop FILE NAME - submit FILE as the bench user; sets DROP_US (elapsed
# microseconds), DROP_RSS (peak RSS in KiB) and DROP_JOB (the job id)
run_drop() {
	local in=$1 name=$2 t0 t1 rc=0 k v _ hwm state
	DROP_RSS=0
	if [ -n "$TIME_BIN" ]; then
		# in the background and waited for, so that a signal to this
		# script is handled at once (the trap stops the helper)
		t0=$(bench_now_us)
		"${BENCH_AS_USER[@]}" "$TIME_BIN" -f 'cs-bench-maxrss-kb %M' \
		    "$DROP" -c "$BENCH_CONF" -a demo -n "$name" \
		    <"$in" >"$DROP_OUT" 2>"$DROP_ERR" &
		CHILD=$!
		wait "$CHILD" || rc=$?
		t1=$(bench_now_us)
		CHILD=
		DROP_RSS=$(awk '/^cs-bench-maxrss-kb /{ print $2 }' "$DROP_ERR")
	else
		t0=$(bench_now_us)
		"${BENCH_AS_USER[@]}" "$DROP" -c "$BENCH_CONF" -a demo -n "$name" \
		    <"$in" >"$DROP_OUT" 2>"$DROP_ERR" &
		CHILD=$!
		# VmHWM only grows; read it (no fork) until the helper is a zombie
		while :; do
			hwm='' state=''
			while read -r k v _; do
				case $k in
				VmHWM:) hwm=$v ;;
				State:) state=$v ;;
				esac
			done <"/proc/$CHILD/status" 2>/dev/null || break
			[ -n "$hwm" ] && [ "$hwm" -gt "$DROP_RSS" ] && DROP_RSS=$hwm
			[ "$state" = Z ] || [ -z "$state" ] && break
			bench_nap 0.01
		done
		wait "$CHILD" || rc=$?
		t1=$(bench_now_us)
		CHILD=
	fi
	DROP_JOB=$(head -n 1 "$DROP_OUT" 2>/dev/null || true)
	if [ "$rc" -ne 0 ] || ! [[ $DROP_JOB =~ ^[0-9]{14}-[0-9a-f]{12}$ ]]; then
		bench_die "cloudspool-drop failed (exit $rc): $(grep -v '^cs-bench-maxrss-kb ' "$DROP_ERR" | head -3)"
	fi
	JOBS+=("$DROP_JOB")
	DROP_US=$((t1 - t0))
}

# run_dd FILE - the peer: same bytes, same filesystem, fsync at the end
run_dd() {
	local t0 t1
	rm -f -- "$DD_OUT"
	t0=$(bench_now_us)
	dd if="$1" of="$DD_OUT" bs=1M conv=fsync status=none &
	CHILD=$!
	wait "$CHILD" || bench_die "dd failed"
	t1=$(bench_now_us)
	CHILD=
	DD_US=$((t1 - t0))
	rm -f -- "$DD_OUT"
}

# mibps BYTES MICROSECONDS
mibps() {
	awk -v b="$1" -v us="$2" 'BEGIN { printf "%.1f\n", b / 1048576 / (us / 1e6) }'
}

# row LABEL - "median  min  max" of the numbers on stdin, one table row
row() {
	local med min max
	read -r _ med _ min max < <(bench_stats)
	printf '%-30s %10s %10s %10s\n' "$1" "$med" "$min" "$max"
}

echo "== cloudspool-drop throughput and memory ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo "   drop helper: $(bench_describe_prog "$DROP")"
bench_setup_root "$DAEMON"
no_daemon_on_spool
bench_ensure_user
BIG=$BENCH_ROOT/input-${SIZE_MB}m.bin
bench_make_input "$BIG" $((SIZE_MB * 1048576))
bench_make_input "$BENCH_ROOT/input-1m.bin" 1048576 "$BIG"
bench_make_input "$BENCH_ROOT/input-50m.bin" $((50 * 1048576)) "$BIG"
BYTES=$(stat -c %s "$BIG")

# 0. the helper works at all, and leaves a job a little larger than its input
run_drop "$BENCH_ROOT/input-1m.bin" warmup.bin
sealed=$(stat -c %s "$BENCH_SPOOL/incoming/$DROP_JOB")
forget_job "$DROP_JOB"
echo "   1 MiB input seals to $sealed bytes (overhead $((sealed - 1048576)) bytes)"

# 3. (first, it is quick) how the helper reads its input
READ_CALLS=
if [ -n "$STRACE" ]; then
	"$STRACE" -e trace=read -o "$BENCH_ROOT/strace.out" \
	    "${BENCH_AS_USER[@]}" "$DROP" -c "$BENCH_CONF" -a demo -n strace.bin \
	    <"$BENCH_ROOT/input-1m.bin" >"$DROP_OUT" 2>"$DROP_ERR" &
	CHILD=$!
	wait "$CHILD" ||
		bench_die "cloudspool-drop under strace failed: $(head -3 "$DROP_ERR")"
	CHILD=
	id=$(head -n 1 "$DROP_OUT")
	JOBS+=("$id")
	forget_job "$id"
	# only the reads of standard input: "read(0, ..., SIZE) = GOT"
	read -r READ_CALLS READ_BYTES READ_ASK < <(awk '
		/^read\(0,/ { n++; got += $NF; ask = $(NF - 2) }
		END { sub(/\)$/, "", ask); printf "%d %d %s\n", n, got, ask }' \
	    "$BENCH_ROOT/strace.out")
	rm -f -- "$BENCH_ROOT/strace.out"
	echo "   strace: $READ_CALLS read(0) calls for a 1 MiB input, $READ_BYTES bytes," \
	    "each asking for $READ_ASK bytes"
fi

# 1. throughput, RUNS alternating pairs, cold cache before each measurement
echo "   $RUNS alternating runs of $SIZE_MB MiB (drop first in odd runs, dd first in even runs)"
printf '   %-4s %12s %12s %8s %10s %s\n' run "drop MiB/s" "dd MiB/s" ratio "drop RSS" "cache dropped"
: >"$BENCH_ROOT/drop.mibps"; : >"$BENCH_ROOT/dd.mibps"; : >"$BENCH_ROOT/ratio"
: >"$BENCH_ROOT/rss-200"
CACHE_DROPPED=1
for ((i = 1; i <= RUNS; i++)); do
	for which in drop dd; do
		if (( i % 2 == 0 )); then
			if [ "$which" = drop ]; then which='dd'; else which='drop'; fi
		fi
		c=$(bench_drop_caches)
		[ "$c" = 1 ] || CACHE_DROPPED=0
		if [ "$which" = drop ]; then
			run_drop "$BIG" "bench-$i.bin"
			forget_job "$DROP_JOB"
		else
			run_dd "$BIG"
		fi
	done
	d=$(mibps "$BYTES" "$DROP_US")
	p=$(mibps "$BYTES" "$DD_US")
	r=$(awk -v d="$d" -v p="$p" 'BEGIN { printf "%.3f\n", d / p }')
	echo "$d" >>"$BENCH_ROOT/drop.mibps"
	echo "$p" >>"$BENCH_ROOT/dd.mibps"
	echo "$r" >>"$BENCH_ROOT/ratio"
	echo "$DROP_RSS" >>"$BENCH_ROOT/rss-200"
	printf '   %-4s %12s %12s %8s %7s KiB %s\n' "$i" "$d" "$p" "$r" "$DROP_RSS" \
	    "$([ "$c" = 1 ] && echo yes || echo no)"
done

# 2. peak RSS for 1 and 50 MiB (200 MiB came with the throughput runs)
for size in 1 50; do
	: >"$BENCH_ROOT/rss-$size"
	for ((i = 1; i <= RSS_RUNS; i++)); do
		run_drop "$BENCH_ROOT/input-${size}m.bin" "rss-$size-$i.bin"
		forget_job "$DROP_JOB"
		echo "$DROP_RSS" >>"$BENCH_ROOT/rss-$size"
	done
done

# summary
med_ratio=$(bench_stats <"$BENCH_ROOT/ratio" | awk '{ print $2 }')
verdict=$(awk -v r="$med_ratio" 'BEGIN { print (r >= 0.7) ? "meets" : "MISSES" }')
echo
echo "== Summary: $SIZE_MB MiB, $RUNS runs, page cache dropped: $([ "$CACHE_DROPPED" = 1 ] && echo yes || echo no)"
printf '%-30s %10s %10s %10s\n' "" median min max
row "dd conv=fsync (MiB/s)" <"$BENCH_ROOT/dd.mibps"
row "cloudspool-drop (MiB/s)" <"$BENCH_ROOT/drop.mibps"
row "ratio drop/dd (per run)" <"$BENCH_ROOT/ratio"
echo "ratio target >= 0.70: $verdict (median $med_ratio)"
[ -n "$READ_CALLS" ] && echo "read(0) calls for 1 MiB of input: $READ_CALLS (each asks for $READ_ASK bytes)"
echo
echo "peak RSS of cloudspool-drop (KiB; $([ -n "$TIME_BIN" ] && echo '/usr/bin/time -f %M' || echo 'VmHWM polled every 10 ms'))"
printf '%-30s %10s %10s %10s\n' "input" median min max
row "1 MiB ($RSS_RUNS runs)" <"$BENCH_ROOT/rss-1"
row "50 MiB ($RSS_RUNS runs)" <"$BENCH_ROOT/rss-50"
row "$SIZE_MB MiB ($RUNS runs)" <"$BENCH_ROOT/rss-200"
rm -f "$BENCH_ROOT"/{drop.mibps,dd.mibps,ratio,rss-1,rss-50,rss-200}
