#!/usr/bin/env bash
# bench-cups.sh - 200 print jobs queued at once through a private cupsd:
# the cloudspool backend against CUPS's own file:///dev/null device.
#
#   sudo bench/bench-cups.sh          3 runs of 200 jobs (RUNS=, N= to change)
#
# One private cupsd (tests/e2e/cupsd.sh: own ServerRoot, spool, logs,
# loopback port; never the system's) with two queues that share the same
# PPD (backend/cloudspool.ppd: PDF goes to the backend unfiltered), so the
# only difference is the backend:
#   CSBench    cloudspool:/demo   the cloudspool backend -> cloudspool-drop
#   NullBench  file:///dev/null   cupsd's built-in file device (the peer
#                                 the issue names; cupsd runs no process)
#   ExecBench  csnull:/           a two-line /bin/sh backend that reads the
#                                 job into /dev/null: the cost of any
#                                 external backend, so the difference to
#                                 it is what our backend and the drop
#                                 helper themselves add
# For each queue and run: the queue is disabled, N small PDF jobs are
# queued with `lp -U csbench` (so they are all waiting "at once"), then
# the queue is enabled and the clock runs until `lpstat -o QUEUE` is empty.
# Runs alternate which queue goes first. cloudspoold runs in the
# foreground on the bench spool throughout; for the cloudspool queue a
# second clock runs from enabling the queue until all N files are in the
# user's folder (before the next queue's batch starts),
# and every delivered file is compared with the input (none lost, none
# twice).
#
# Reports, per run and as medians: jobs/s of each queue through CUPS, the
# backend's added time per job ((T_cloudspool - T_peer) / N against each
# peer), and the submit-to-delivered time of the whole batch.
#
# Environment: RUNS (3), N (200), BENCH_ROOT (/srv/cloudspool-bench),
# BENCH_USER (csbench). Needs root, the installed programs
# (./setup.sh install) and cups, cups-daemon, cups-client.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$BENCH_DIR/common.sh"
# shellcheck source=tests/e2e/cupsd.sh
. "$BENCH_DIR/../tests/e2e/cupsd.sh"
# shellcheck source=../scripts/pdf.sh
. "$BENCH_DIR/../scripts/pdf.sh"

RUNS=${RUNS:-3}
N=${N:-200}
TIMEOUT_S=${TIMEOUT_S:-300}
CB_ROOT=$BENCH_ROOT/cups-bench
CB_CONF=$CB_ROOT/cs.conf
CB_SPOOL=$CB_ROOT/spool
CB_SCANS=$CB_ROOT/scans
PPD=${PPD:-/usr/share/cloudspool/cloudspool.ppd}
DAEMON_PID=

bench_require_root
DAEMON=$(bench_find_prog cloudspoold /usr/sbin/cloudspoold)
CTL=$(bench_find_prog cloudspoolctl /usr/sbin/cloudspoolctl)
[ -x /usr/lib/cups/backend/cloudspool ] || bench_die "the CUPS backend is not installed"
command -v cupsd >/dev/null || bench_die "cupsd is not installed (cups-daemon)"
[ -r "$PPD" ] || bench_die "$PPD is missing"

# cleanup - stop what we started (by pid), remove the user and the files
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	cupsd_stop >/dev/null 2>&1 || true
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	rm -rf -- "${CB_SCANS:?}"
	bench_remove_user
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cb_setup - config (root 0644, quota above N), spool, first key pair
cb_setup() {
	rm -rf -- "$CB_ROOT"
	install -d -m 0755 "$BENCH_ROOT" "$CB_ROOT" "$CB_SCANS"
	cat >"$CB_CONF" <<EOF
# written by bench/bench-cups.sh
[spool]
directory = $CB_SPOOL
tick = 1s
max_jobs_per_user = $((N * 2 + 10))
[destination local]
provider = localdir
path = $CB_SCANS/%u
[action demo]
destination = local
description = bench
users = *
EOF
	chown root:root "$CB_CONF"
	chmod 0644 "$CB_CONF"
	"$CTL" -c "$CB_CONF" init >/dev/null || bench_die "cloudspoolctl init failed"
	"$DAEMON" -c "$CB_CONF" --once >"$CB_ROOT/once.log" 2>&1 ||
		bench_die "cloudspoold --once failed: $(tail -n 3 "$CB_ROOT/once.log")"
}

# cb_make_pdf - a one-page PDF of about 2 KiB (scripts/pdf.sh)
cb_make_pdf() {
	local out=$1 s="BT /F1 12 Tf 72 720 Td (cloudspool bench page) Tj ET" i
	for i in $(seq 1 30); do
		s+=$'\n'"BT /F1 8 Tf 72 $((700 - i * 12)) Td (line $i of the bench document) Tj ET"
	done
	pdf_write "$out" "$s"
	chmod 0644 "$out"
}

# cb_queue_empty QUEUE - no unfinished job on the queue
cb_queue_empty() {
	local jobs
	jobs=$(lpstat -o "$1" 2>/dev/null) || return 1
	[ -z "$jobs" ]
}

# cb_delivered - files in the bench user's folder
cb_delivered() {
	local n
	n=$(find "$CB_SCANS/$BENCH_USER" -maxdepth 1 -type f 2>/dev/null | wc -l) || true
	echo "${n:-0}"
}

# cb_batch QUEUE RUN - queue N jobs on the stopped queue, start it, time
# until it is empty; prints the seconds
cb_batch() {
	local q=$1 run=$2 i t0 t1
	cupsdisable "$q"
	for i in $(seq 1 "$N"); do
		lp -U "$BENCH_USER" -d "$q" -t "r$run-$q-$i" "$CB_ROOT/doc.pdf" >/dev/null ||
			bench_die "lp failed for job $i on $q"
	done
	t0=$(bench_now_us)
	cupsenable "$q"
	for ((i = 0; i < TIMEOUT_S * 100; i++)); do
		cb_queue_empty "$q" && break
		bench_nap 0.01
	done
	t1=$(bench_now_us)
	cb_queue_empty "$q" || bench_die "$q still has jobs after ${TIMEOUT_S}s"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
	echo "$t0" >"$CB_ROOT/t0"
}

cb_setup
bench_ensure_user
cb_make_pdf "$CB_ROOT/doc.pdf"
install -d -m 0755 "$CB_ROOT/cups" "$CB_ROOT/cups/bin" "$CB_ROOT/cups/bin/backend"
printf '#!/bin/sh\n# csnull - bench peer: read the job, keep nothing\n[ $# -ge 6 ] || exit 0\ncat ${6:+"$6"} >/dev/null\n' \
	>"$CB_ROOT/cups/bin/backend/csnull"
chmod 0755 "$CB_ROOT/cups/bin/backend/csnull"
cupsd_start "$CB_ROOT/cups" "$CB_CONF" || bench_die "the private cupsd did not start"
"$CTL" -c "$CB_CONF" cups-queue add CSBench demo >/dev/null 2>&1 ||
	bench_die "cups-queue add failed"
lpadmin -p NullBench -E -v file:///dev/null -P "$PPD" 2>/dev/null ||
	bench_die "lpadmin NullBench failed"
lpadmin -p ExecBench -E -v csnull:/ -P "$PPD" 2>/dev/null ||
	bench_die "lpadmin ExecBench failed"
"$DAEMON" -c "$CB_CONF" --foreground >"$CB_ROOT/daemon.log" 2>&1 </dev/null &
DAEMON_PID=$!

bench_note "cupsd on $CUPS_SERVER, $RUNS runs of $N jobs per queue"
printf '| run | file:///dev/null s (jobs/s) | sh backend s (jobs/s) | cloudspool s (jobs/s) | added ms/job vs file: | vs sh | all %s delivered s | delivered / lost / extra |\n' "$N"
printf '|---|---:|---:|---:|---:|---:|---:|---|\n'
: >"$CB_ROOT/results"
for run in $(seq 1 "$RUNS"); do
	before=$(cb_delivered)
	# rotate the order, so drift hits every queue alike
	case $((run % 3)) in
	1) order="NullBench ExecBench CSBench" ;;
	2) order="CSBench NullBench ExecBench" ;;
	0) order="ExecBench CSBench NullBench" ;;
	esac
	declare -A t=()
	for q in $order; do
		t[$q]=$(cb_batch "$q" "$run")
		[ "$q" = CSBench ] || continue
		# from enabling the queue to the last file in the user's folder
		t0=$(cat "$CB_ROOT/t0")
		for ((i = 0; i < TIMEOUT_S * 100; i++)); do
			[ "$(cb_delivered)" -ge $((before + N)) ] && break
			bench_nap 0.01
		done
		t_del=$(awk -v a="$t0" -v b="$(bench_now_us)" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
	done
	sleep 1	# a duplicate delivery, if there were one, would show by now
	got=$(($(cb_delivered) - before))
	same=0
	for f in "$CB_SCANS/$BENCH_USER"/r"$run"-CSBench-*.pdf; do
		[ -f "$f" ] && cmp -s "$f" "$CB_ROOT/doc.pdf" && same=$((same + 1))
	done
	awk -v r="$run" -v tn="${t[NullBench]}" -v te="${t[ExecBench]}" -v tc="${t[CSBench]}" \
		-v n="$N" -v td="$t_del" -v d="$same" -v l="$((N - same))" -v x="$((got - N))" 'BEGIN {
		printf "| %d | %.2f (%.0f) | %.2f (%.0f) | %.2f (%.0f) | %.1f | %.1f | %s | %d / %d / %d |\n",
		    r, tn, n / tn, te, n / te, tc, n / tc, (tc - tn) * 1000 / n,
		    (tc - te) * 1000 / n, td, d, l, x }'
	echo "${t[NullBench]} ${t[ExecBench]} ${t[CSBench]}" >>"$CB_ROOT/results"
done
awk -v n="$N" '{ a[NR] = n / $1; b[NR] = n / $2; c[NR] = n / $3
		d[NR] = ($3 - $1) * 1000 / n; e[NR] = ($3 - $2) * 1000 / n }
	END {
		m = NR; asort(a); asort(b); asort(c); asort(d); asort(e)
		k = int((m + 1) / 2)
		printf "\nmedian of %d runs: file:///dev/null %.0f jobs/s, sh backend %.0f jobs/s, cloudspool %.0f jobs/s; cloudspool adds %.1f ms/job vs file:, %.1f ms/job vs the sh backend (min-max %.1f-%.1f)\n",
		    m, a[k], b[k], c[k], d[k], e[k], e[1], e[m]
	}' "$CB_ROOT/results"
leftover=$(find "$CB_SPOOL"/{incoming,active,deferred,hold} -mindepth 1 2>/dev/null | wc -l) || true
echo "spool entries left after the runs: $leftover; RequestRoot document files left: $(cupsd_request_files | wc -l)"
