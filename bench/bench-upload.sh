#!/usr/bin/env bash
# bench-upload.sh - 200 MB through cloudspool-upload to loopback WebDAV
# (rclone) and to the Drive fake (tests/fakes/drive.js or CS_FAKES_DIR),
# against curl(1) uploading the same bytes to the same server in the same
# run. Prints throughput of both, the ratio, and the uploader's peak RSS
# (GNU time). Run from the source tree after a build in build/.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${CS_BUILD_DIR:-$SRC/build}
T=$B/bench-upload
FAKES=${CS_FAKES_DIR:-$SRC/tests/fakes}
MB=${BENCH_MB:-200}
rm -rf "$T"; mkdir -p "$T/dav/scans"
head -c $((MB * 1048576)) /dev/urandom >"$T/doc"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
now() { date +%s.%N; }
rate() { echo "scale=1; $MB * 1.048576 / ($2 - $1)" | bc; }
P=$(port)
rclone serve webdav "$T/dav" --addr "127.0.0.1:$P" --user svc --pass pw --dir-cache-time 0s >"$T/rclone.log" 2>&1 &
RC=$!
trap 'kill $RC ${DF:-} 2>/dev/null' EXIT
waitp "$P"
SZ=$(stat -c %s "$T/doc")
printf '{"provider":"webdav","destination":"b","settings":{"url":"http://127.0.0.1:%s/scans/%%u","user":"svc"},"secrets":{"password":"pw"},"user":"bench","uid":1,"job":"bench-1","name":"b.bin","size":%s,"sha256":"x","token":null}\n' "$P" "$SZ" >"$T/req"
curl -s -u svc:pw -X MKCOL "http://127.0.0.1:$P/scans/bench/" >/dev/null
t0=$(now); curl -s -o /dev/null -u svc:pw -T "$T/doc" "http://127.0.0.1:$P/scans/bench/curl.bin"; t1=$(now)
CS_UPLOADER=$B/cloudspool-upload /usr/bin/time -f '%M' -o "$T/rss" "$B/tests/upload/upload-driver" "$T/req" "$T/doc" "$T/state" >/dev/null
t2=$(now)
# the driver's peak covers the uploader too (getrusage children max)
c=$(rate "$t0" "$t1"); u=$(rate "$t1" "$t2")
echo "webdav: curl $c MB/s, cloudspool-upload $u MB/s, ratio $(echo "scale=3; $u / $c" | bc), peak RSS $(cat "$T/rss") KiB"
if [ -f "$FAKES/drive.js" ]; then
	P2=$(port)
	echo tok >"$T/tokens"
	node "$FAKES/drive.js" --port "$P2" --store "$T/drive" --tokens "$T/tokens" >"$T/drive.log" 2>&1 &
	DF=$!
	waitp "$P2"
	printf '{"provider":"gdrive","destination":"b","settings":{"api_url":"http://127.0.0.1:%s","upload_url":"http://127.0.0.1:%s/upload","chunk_size":"64M"},"secrets":{},"user":"bench","uid":1,"job":"bench-2","name":"b.bin","size":%s,"sha256":"x","token":{"access_token":"tok"}}\n' "$P2" "$P2" "$SZ" >"$T/dreq"
	loc=$(curl -s -D - -o /dev/null -H 'Authorization: Bearer tok' -H 'Content-Type: application/json' \
		--data '{"name":"curl.bin"}' "http://127.0.0.1:$P2/upload/drive/v3/files?uploadType=resumable" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	t0=$(now); curl -s -o /dev/null -H 'Authorization: Bearer tok' -T "$T/doc" "$loc"; t1=$(now)
	CS_UPLOADER=$B/cloudspool-upload /usr/bin/time -f '%M' -o "$T/rss2" "$B/tests/upload/upload-driver" "$T/dreq" "$T/doc" "$T/dstate" >/dev/null
	t2=$(now)
	c=$(rate "$t0" "$t1"); u=$(rate "$t1" "$t2")
	echo "drive fake: curl $c MB/s (one PUT), cloudspool-upload $u MB/s (64 MiB chunks), ratio $(echo "scale=3; $u / $c" | bc), peak RSS $(cat "$T/rss2") KiB"
fi
rm -rf "$T"
