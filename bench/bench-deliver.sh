#!/usr/bin/env bash
# bench-deliver.sh - 500 small jobs (4 KiB) through the installed daemon,
# spread over four destinations in one run: localdir (the peer), WebDAV
# (rclone), S3 (s3rver) and the Google Drive fake (https), each at its
# default concurrency (4). Prints, per destination and in all: jobs per
# second (delivered / (last arrival - first submission)) and the
# spool-to-delivered latency at the median and the 99th percentile, from
# bench/deliver_watch.py's own clock (submit returned -> the file is at
# the server). The set-up is the end-to-end tests' (tests/e2e/lib.sh,
# netservers.sh): it creates users cs_alice and cs_bob, so run it alone:
#   flock /tmp/cs-e2e.lock bench/bench-deliver.sh
# Environment: BENCH_JOBS (500), BENCH_PARALLEL (submitters at once, 8).
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC_DIR/tests/e2e/lib.sh"
LIMIT=4
DAV_BWLIMIT=0		# no bandwidth limit here: rclone at full speed
source "$SRC_DIR/tests/e2e/netservers.sh"
NJOBS=${BENCH_JOBS:-500}
PARALLEL=${BENCH_PARALLEL:-8}

net_setup authorization_hold=1h delivery_window=1h retry_initial=1s retry_max=5s \
	max_jobs_per_user=2000 >&2
DESTS=(t dav s3 drive)
: >"$WORK/jobs.tsv"
for k in $(seq 1 "$NJOBS"); do
	if [ $((k % 2)) -eq 1 ]; then u=cs_alice; else u=cs_bob; fi
	a=${DESTS[$((k % 4))]}
	name=$(printf 'b-%s-%03d.txt' "$a" "$k")
	doc=$(user_document "$u" "$name" "$(new_marker)" 4)
	printf '%s\t%s\t%s\t%s\n' "$u" "$a" "$doc" "$name" >>"$WORK/jobs.tsv"
done
CS_SUBMIT="$CLOUDSPOOL -c $CONF submit" python3 "$SRC_DIR/bench/deliver_watch.py" \
	"$WORK/jobs.tsv" "$PARALLEL" 300 "$SCANS" "$DAV/scans" "$S3DIR/scans" "$DRIVE_STORE" \
	>"$WORK/times" || bail_out "deliver_watch.py failed"

# report ACTION LABEL - one line of figures from WORK/times
report() {
	awk -v a="$1" -v label="$2" '
		a == "all" || $1 == a {
			n++; if (first == "" || $2 < first) first = $2
			if ($3 != "") { d++; lat[d] = $3 - $2; if ($3 > last) last = $3 }
		}
		END {
			if (d == 0) { printf "%-22s %d jobs, none delivered\n", label, n; exit }
			# sort the latencies (insertion sort: a few hundred)
			for (i = 2; i <= d; i++) { v = lat[i]; j = i - 1
				while (j > 0 && lat[j] > v) { lat[j + 1] = lat[j]; j-- }
				lat[j + 1] = v }
			p50 = lat[int((d - 1) * 0.50) + 1]; p99 = lat[int((d - 1) * 0.99) + 1]
			printf "%-22s %3d/%3d delivered  %6.1f jobs/s  latency p50 %6.0f ms  p99 %6.0f ms\n",
				label, d, n, d / (last - first), p50 * 1000, p99 * 1000
		}' "$WORK/times"
}
echo "# bench-deliver: $NJOBS jobs of 4 KiB, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
report t "localdir (peer)"
report dav "webdav (rclone)"
report s3 "s3 (s3rver)"
report drive "gdrive (fake, https)"
report all "all destinations"
stop_daemon
check_audit_verifies >&2
spool_is_empty && echo "# spool empty at the end" || echo "# spool NOT empty at the end"
finish >&2
