#!/usr/bin/env bash
# bench-upload.sh - 200 MB through cloudspool-upload to loopback WebDAV
# (rclone) and to the Drive fake (tests/fakes/drive.js or CS_FAKES_DIR),
# against curl(1) uploading the same bytes to the same server in the same
# run. Each target runs BENCH_ROUNDS rounds (default 3) of one curl upload
# and one of ours, alternating which goes first (so page-cache warmth and
# a neighbour's burst fall on both sides alike); prints each round's
# throughput and ratio, the median ratio, and the uploader's peak RSS
# (GNU time). BENCH_MB (200), BENCH_CHUNK: the Drive chunk_size (default
# 32M, the provider's default), BENCH_TARGETS ("webdav drive").
# Run from the source tree after a build in build/.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${CS_BUILD_DIR:-$SRC/build}
T=$B/bench-upload
FAKES=${CS_FAKES_DIR:-$SRC/tests/fakes}
MB=${BENCH_MB:-200}
ROUNDS=${BENCH_ROUNDS:-3}
CHUNK=${BENCH_CHUNK:-32M}
TARGETS=${BENCH_TARGETS:-webdav drive}
rm -rf "$T"; mkdir -p "$T/dav/scans/bench"
head -c $((MB * 1048576)) /dev/urandom >"$T/doc"
SZ=$(stat -c %s "$T/doc")
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
now() { date +%s.%N; }
rate() { echo "scale=1; $MB * 1.048576 / ($2 - $1)" | bc; }
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null' EXIT

# ours REQ - one upload through the driver, timed; MB/s on stdout
ours() {
	local t0 t1
	rm -f "$T/state"
	t0=$(now)
	CS_UPLOADER=$B/cloudspool-upload /usr/bin/time -f '%M' -o "$T/rss" \
		"$B/tests/upload/upload-driver" "$1" "$T/doc" "$T/state" >/dev/null
	t1=$(now)
	rate "$t0" "$t1"
}

# rounds NAME CURL_FN REQ_FN - alternate curl_fn and ours (REQ_FN N prints
# round N's request file); print each round and the median ratio
rounds() {
	local name=$1 curl_fn=$2 req_fn=$3 i c u ratios=()
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) -eq 1 ]; then
			c=$($curl_fn "$i"); u=$(ours "$($req_fn "$i")")
		else
			u=$(ours "$($req_fn "$i")"); c=$($curl_fn "$i")
		fi
		ratios+=("$(echo "scale=3; $u / $c" | bc)")
		echo "$name round $i: curl $c MB/s, cloudspool-upload $u MB/s, ratio ${ratios[-1]}, peak RSS $(cat "$T/rss") KiB"
	done
	echo "$name: median ratio $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') over $ROUNDS rounds ($MB MiB)"
}

if [[ " $TARGETS " == *" webdav "* ]]; then
	P=$(port)
	rclone serve webdav "$T/dav" --addr "127.0.0.1:$P" --user svc --pass pw --dir-cache-time 0s >"$T/rclone.log" 2>&1 &
	PIDS+=("$!")
	waitp "$P"
	dav_curl() {
		local t0 t1
		t0=$(now); curl -s -o /dev/null -u svc:pw -T "$T/doc" "http://127.0.0.1:$P/scans/bench/curl-$1.bin"; t1=$(now)
		rate "$t0" "$t1"
	}
	dav_req() {
		printf '{"provider":"webdav","destination":"b","settings":{"url":"http://127.0.0.1:%s/scans/%%u","user":"svc"},"secrets":{"password":"pw"},"user":"bench","uid":1,"job":"bench-%s","name":"b%s.bin","size":%s,"sha256":"x","token":null}\n' \
			"$P" "$1" "$1" "$SZ" >"$T/req$1"
		echo "$T/req$1"
	}
	rounds webdav dav_curl dav_req
fi
if [[ " $TARGETS " == *" drive "* ]] && [ -f "$FAKES/drive.js" ]; then
	P2=$(port)
	echo tok >"$T/tokens"
	node "$FAKES/drive.js" --port "$P2" --store "$T/drive" --tokens "$T/tokens" >"$T/drive.log" 2>&1 &
	PIDS+=("$!")
	waitp "$P2"
	# the session is opened before the clock starts for curl; ours opens
	# its own inside the timing (and finds its folder), so curl is favoured
	drive_curl() {
		local loc t0 t1
		loc=$(curl -s -D - -o /dev/null -H 'Authorization: Bearer tok' -H 'Content-Type: application/json' \
			--data "{\"name\":\"curl-$1.bin\"}" "http://127.0.0.1:$P2/upload/drive/v3/files?uploadType=resumable" |
			tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
		t0=$(now); curl -s -o /dev/null -H 'Authorization: Bearer tok' -T "$T/doc" "$loc"; t1=$(now)
		rate "$t0" "$t1"
	}
	drive_req() {
		printf '{"provider":"gdrive","destination":"b","settings":{"api_url":"http://127.0.0.1:%s","upload_url":"http://127.0.0.1:%s/upload","chunk_size":"%s"},"secrets":{},"user":"bench","uid":1,"job":"bench-d%s","name":"b%s.bin","size":%s,"sha256":"x","token":{"access_token":"tok"}}\n' \
			"$P2" "$P2" "$CHUNK" "$1" "$1" "$SZ" >"$T/dreq$1"
		echo "$T/dreq$1"
	}
	rounds "drive fake (chunk_size $CHUNK)" drive_curl drive_req
fi
rm -rf "$T"
