#!/usr/bin/env bash
# bench-scan.sh - `cloudspool scan` of a 50-page batch against scanimage.
#
#   sudo bench/bench-scan.sh             5 rounds (ROUNDS=, PAGES= to change)
#
# Issue 3's promise: scanning a 50-page batch into the spool takes no more
# than 1.2x what `scanimage --batch --format=tiff` takes with the same
# settings, measured in the same run. Both scan SANE's `test` backend (a
# private SANE_CONFIG_DIR whose dll.conf holds `test`) as the bench user:
# 300 dpi gray, the colour pattern, PAGES pages from the flatbed with
# --batch-count (the test backend's feeder holds only 10 pages).
#   scanimage: writes PAGES TIFF files into a scratch folder;
#   cloudspool scan: streams PAGES pages into cloudspool-drop --pages,
#     which seals them into the bench spool (no daemon runs: the jobs are
#     removed from incoming/ after each round). So what is timed is the
#     scan up to the sealed job; the PDF the daemon's filter makes of it
#     later (NAME.pdf) is not part of it, and no delivered file name is
#     looked for. The peer's TIFF files stay the yardstick: they are what
#     scanimage writes when it saves a batch.
# The three alternate within each round, so drift hits all: scanimage,
# cloudspool scan with the default page_compression (lossless: Deflate
# for these gray pages), and with page_compression = none (raw pages, as
# before pages were compressed). Reports the median, min and max seconds
# of each, the ratios of the medians, the sealed spool file's size of one
# PAGES-page job with none, lossless and jpeg, and the peak RSS of the
# last cloudspool scan (/usr/bin/time when installed).
#
# Environment: ROUNDS (5), PAGES (50), BENCH_ROOT (/srv/cloudspool-bench),
# BENCH_USER (csbench). Needs root; makes the user if missing and removes
# it at the end.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$BENCH_DIR/common.sh"

ROUNDS=${ROUNDS:-5}
PAGES=${PAGES:-50}
OPTS=(-d test --resolution 300 --mode Gray --test-picture "Color pattern" --batch-count "$PAGES")

bench_require_root
# /usr/bin, where make install puts it (PATH may hold a stale copy)
CLOUDSPOOL=${CLOUDSPOOL:-/usr/bin/cloudspool}
[ -x "$CLOUDSPOOL" ] || bench_die "$CLOUDSPOOL is not installed"
DAEMON=$(bench_find_prog cloudspoold /usr/sbin/cloudspoold)
command -v scanimage >/dev/null || bench_die "scanimage (sane-utils) is required"
SANE_DIR=$BENCH_ROOT/sane
PEER_DIR=$BENCH_ROOT/scanimage-out

# cleanup - jobs, scratch pages and the user
cleanup() {
	trap - EXIT INT TERM
	bench_purge_incoming
	rm -rf -- "$PEER_DIR" "$BENCH_ROOT/scan.times" "$BENCH_ROOT/peer.times"
	bench_remove_user
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_setup_root "$DAEMON"
# the same action with raw pages and with JPEG pages
printf '\n[action demo_raw]\ndestination = local\nusers = *\npage_compression = none\n' >>"$BENCH_CONF"
printf '\n[action demo_jpeg]\ndestination = local\nusers = *\npage_compression = jpeg\n' >>"$BENCH_CONF"
bench_ensure_user
mkdir -p "$SANE_DIR"
printf 'test\n' >"$SANE_DIR/dll.conf"
chmod 0755 "$SANE_DIR"
chmod 0644 "$SANE_DIR/dll.conf"
export SANE_CONFIG_DIR=$SANE_DIR
: >"$BENCH_ROOT/scan.times"
: >"$BENCH_ROOT/raw.times"
: >"$BENCH_ROOT/peer.times"

# spool_bytes - the size of the one job in incoming/ (the sealed file)
spool_bytes() {
	find "$BENCH_SPOOL/incoming" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

echo "cloudspool scan vs scanimage, $PAGES pages at 300 dpi gray, $ROUNDS rounds"
echo "programs: $(bench_describe_prog "$CLOUDSPOOL")"
for ((round = 1; round <= ROUNDS; round++)); do
	rm -rf "$PEER_DIR"
	install -d -o "$BENCH_USER" "$PEER_DIR"
	t0=$(bench_now_us)
	(cd "$PEER_DIR" && "${BENCH_AS_USER[@]}" scanimage "${OPTS[@]}" --format=tiff \
		--batch="$PEER_DIR/p%03d.tif" >/dev/null 2>&1) || bench_die "scanimage failed"
	t1=$(bench_now_us)
	"${BENCH_AS_USER[@]}" "$CLOUDSPOOL" -c "$BENCH_CONF" scan -a demo "${OPTS[@]}" >/dev/null ||
		bench_die "cloudspool scan failed"
	t2=$(bench_now_us)
	bench_purge_incoming
	t3=$(bench_now_us)
	"${BENCH_AS_USER[@]}" "$CLOUDSPOOL" -c "$BENCH_CONF" scan -a demo_raw "${OPTS[@]}" >/dev/null ||
		bench_die "cloudspool scan (raw pages) failed"
	t4=$(bench_now_us)
	bench_purge_incoming
	echo "$(( t1 - t0 ))" >>"$BENCH_ROOT/peer.times"
	echo "$(( t2 - t1 ))" >>"$BENCH_ROOT/scan.times"
	echo "$(( t4 - t3 ))" >>"$BENCH_ROOT/raw.times"
	bench_note "round $round: scanimage $(( (t1 - t0) / 1000 )) ms, cloudspool scan $(( (t2 - t1) / 1000 )) ms, raw pages $(( (t4 - t3) / 1000 )) ms"
done
read -r _ peer_med _ peer_min peer_max < <(bench_stats <"$BENCH_ROOT/peer.times")
read -r _ scan_med _ scan_min scan_max < <(bench_stats <"$BENCH_ROOT/scan.times")
read -r _ raw_med _ raw_min raw_max < <(bench_stats <"$BENCH_ROOT/raw.times")
ratio=$(awk -v a="$scan_med" -v b="$peer_med" 'BEGIN { printf "%.2f", a / b }')
raw_ratio=$(awk -v a="$raw_med" -v b="$peer_med" 'BEGIN { printf "%.2f", a / b }')
printf 'scanimage --batch --format=tiff  median %.3f s (min %.3f, max %.3f)\n' \
	"$(awk -v v="$peer_med" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$peer_min" 'BEGIN { print v / 1e6 }')" \
	"$(awk -v v="$peer_max" 'BEGIN { print v / 1e6 }')"
printf 'cloudspool scan                  median %.3f s (min %.3f, max %.3f)\n' \
	"$(awk -v v="$scan_med" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$scan_min" 'BEGIN { print v / 1e6 }')" \
	"$(awk -v v="$scan_max" 'BEGIN { print v / 1e6 }')"
printf 'cloudspool scan, raw pages      median %.3f s (min %.3f, max %.3f), ratio %s\n' \
	"$(awk -v v="$raw_med" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$raw_min" 'BEGIN { print v / 1e6 }')" \
	"$(awk -v v="$raw_max" 'BEGIN { print v / 1e6 }')" "$raw_ratio"
if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.2) }'; then
	echo "ratio $ratio: target (<= 1.2x scanimage) met"
else
	echo "ratio $ratio: target (<= 1.2x scanimage) NOT met"
fi
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$BENCH_ROOT/rss" "${BENCH_AS_USER[@]}" "$CLOUDSPOOL" -c "$BENCH_CONF" \
		scan -a demo "${OPTS[@]}" >/dev/null
	bench_purge_incoming
	echo "peak RSS of cloudspool scan: $(cat "$BENCH_ROOT/rss") KiB"
fi
# the sealed job of PAGES pages, per page_compression, and the peer's TIFFs
peer_bytes=$(du -sb "$PEER_DIR" | cut -f 1)
for act in demo_raw:none demo:lossless demo_jpeg:jpeg; do
	"${BENCH_AS_USER[@]}" "$CLOUDSPOOL" -c "$BENCH_CONF" scan -a "${act%%:*}" "${OPTS[@]}" >/dev/null ||
		bench_die "cloudspool scan -a ${act%%:*} failed"
	bytes=$(spool_bytes)
	bench_purge_incoming
	printf 'spool file, page_compression = %-8s %12d bytes (%.3fx the raw job)\n' "${act#*:}" "$bytes" \
		"$(awk -v a="$bytes" -v b="${raw_bytes:-$bytes}" 'BEGIN { print a / b }')"
	raw_bytes=${raw_bytes:-$bytes}
done
echo "scanimage's $PAGES uncompressed TIFF files: $peer_bytes bytes"
