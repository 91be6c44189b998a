#!/usr/bin/env bash
# t-deliver-many.sh - fifty jobs from two users at once, to three network
# destinations, with faults, through the installed daemon:
#
#   dav    WebDAV, `rclone serve webdav` (plain http on loopback, 1 MiB/s);
#          stopped and restarted in the middle of the run; concurrency = 2
#   s3     S3, s3rver (npm, tests/upload/node_modules); killed -9 and
#          restarted in the middle of the run; concurrency = 2
#   drive  Google Drive, the fake (tests/fakes/drive.js) over https with a
#          test CA (ca_file); faults: 429 with Retry-After, 503, a
#          connection reset in the middle of a chunk, and a finished upload
#          whose answer is lost (drop-response: the ambiguous failure);
#          concurrency = 2. Drive needs consent: the daemon runs with an
#          [authorization] section, and each user's access token is put in
#          the vault with tests/e2e/vault-seed (as an accepted grant would),
#          since no browser takes part here.
#
# Checked: every job is delivered exactly once (one file per name at its
# server, byte-identical, one "delivered" audit line) or shredded with a
# reason in the audit trail; nothing is left half-uploaded (no WebDAV part
# file); the spool ends empty; the audit trail verifies; no plaintext
# marker in the spool, /tmp, logs; and, sampled every 50 ms with ps and
# ss, never more than 2 cloudspool-upload processes per destination (and
# never more than 6 in all). Short windows: the whole test takes about a
# minute.
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.sh"

NJOBS=50
LIMIT=2		# concurrency of each destination
source "$SRC_DIR/tests/e2e/netservers.sh"

# sampler - every 50 ms: the uploaders running (ps) and, from their TCP
# connections (ss), which server each talks to; one line per sample:
# "TOTAL DAV S3 DRIVE"
sampler() {
	local total pids dav s3 drv line pid port
	while :; do
		# our daemon's children only: another test's uploaders are not ours
		mapfile -t pids < <(ps -o pid=,comm= --ppid "$DAEMON_PID" |
			awk '$2 ~ /^cloudspool-upl/ { print $1 }')
		local -A ours=()
		for pid in "${pids[@]}"; do ours[$pid]=1; done
		total=${#pids[@]}
		dav=0 s3=0 drv=0
		if [ "$total" -gt 0 ]; then
			# one "pid port" per uploader and server it is connected to (sorted
			# unique: an uploader counts once per server)
			while read -r pid port; do
				[ -n "${ours[$pid]:-}" ] || continue
				case $port in
				"$DAV_PORT") dav=$((dav + 1)) ;;
				"$S3_PORT") s3=$((s3 + 1)) ;;
				"$DRIVE_PORT") drv=$((drv + 1)) ;;
				esac
			done < <(ss -Htnp state established 2>/dev/null |
				awk '/cloudspool-upl/ { n = split($4, a, ":"); port = a[n];
					match($0, /pid=[0-9]+/);
					print substr($0, RSTART + 4, RLENGTH - 4), port }' | sort -u)
		fi
		line="$total $dav $s3 $drv"
		printf '%s\n' "$line"
		sleep 0.05
	done
}


# ---------------------------------------------------------------- set-up

net_setup authorization_hold=5s delivery_window=75s retry_initial=1s retry_max=3s \
	max_jobs_per_user=100

# Faults at the Drive fake, counted per kind of request from now on.
# Small documents are one chunk each, so every upload-chunk is a finish.
FAULTS='[
 {"match":"upload-chunk","nth":2,"action":"429","retry_after":3},
 {"match":"create-session","nth":4,"action":"503"},
 {"match":"upload-chunk","nth":5,"action":"reset","bytes":1000},
 {"match":"finish","nth":7,"action":"drop-response"},
 {"match":"upload-chunk","nth":9,"action":"503","retry_after":1},
 {"match":"lookup","nth":12,"action":"429","retry_after":1}
]'
if drive_ctl POST /__fake/faults "$FAULTS" >/dev/null; then
	ok "faults armed at the Drive fake (429 + Retry-After, 503, reset mid-chunk, lost answer)"
else
	not_ok "faults armed at the Drive fake"
fi

# ------------------------------------------------------------ fifty jobs

# Job k: user alternates, destination cycles dav, s3, drive. WebDAV
# documents are larger (rclone takes 1 MiB/s) so uploads overlap there.
ACTIONS=(dav s3 drive)
declare -a J_USER J_ACTION J_NAME J_DOC J_ID
for k in $(seq 1 "$NJOBS"); do
	if [ $((k % 2)) -eq 1 ]; then u=cs_alice; else u=cs_bob; fi
	a=${ACTIONS[$((k % 3))]}
	name=$(printf 'many-%s-%02d.txt' "$a" "$k")
	kib=4
	[ "$a" = dav ] && kib=$((256 + k * 8))
	J_USER[k]=$u J_ACTION[k]=$a J_NAME[k]=$name
	J_DOC[k]=$(user_document "$u" "$name" "$(new_marker)" "$kib")
done

sampler >"$WORK/samples" 2>/dev/null &
SAMPLER_PID=$!

started=$SECONDS
for k in $(seq 1 "$NJOBS"); do
	as_user "${J_USER[k]}" "$CLOUDSPOOL" -c "$CONF" submit -a "${J_ACTION[k]}" \
		"${J_DOC[k]}" >"$SUB/$k.out" 2>&1 &
done
wait_subs() {
	local k
	for k in $(seq 1 "$NJOBS"); do
		grep -Eqo '[0-9]{14}-[0-9a-f]{12}' "$SUB/$k.out" 2>/dev/null || return 1
	done
}
wait_until 60 wait_subs
missing=0
for k in $(seq 1 "$NJOBS"); do
	J_ID[k]=$(grep -Eo '[0-9]{14}-[0-9a-f]{12}' "$SUB/$k.out" 2>/dev/null | head -n 1)
	[ -n "${J_ID[k]}" ] || missing=$((missing + 1))
done
if [ "$missing" -eq 0 ]; then
	ok "$NJOBS jobs submitted at once by two users across three destinations"
else
	not_ok "$NJOBS jobs submitted at once" "$missing without a job id" "$(cat "$SUB/1.out")"
fi

# ------------------------------------------------ faults in the middle

# dav_done / s3_done - files delivered so far at each server
dav_done() { find "$DAV/scans" -type f -name 'many-*' | wc -l; }
s3_done() { find "$S3DIR/scans" -type f -name '*._S3rver_object' | wc -l; }
at_least() { [ "$("$1")" -ge "$2" ]; }

NDAV=0 NS3=0
for k in $(seq 1 "$NJOBS"); do
	case ${J_ACTION[k]} in dav) NDAV=$((NDAV + 1)) ;; s3) NS3=$((NS3 + 1)) ;; esac
done

if wait_until 40 at_least s3_done 2; then
	n=$(s3_done)
	kill -KILL "$S3_PID"; wait "$S3_PID" 2>/dev/null; S3_PID=
	sleep 2
	if start_s3rver; then
		ok "s3rver killed -9 after $n of $NS3 objects and restarted"
		ok_if "... in the middle of the S3 deliveries" test "$n" -lt "$NS3"
	else
		not_ok "s3rver restarts" "$(tail -n 5 "$SRVLOGS/s3rver.log")"
	fi
else
	not_ok "S3 deliveries begin" "$(tail -n 20 "$LOGS/daemon.log")"
fi
if wait_until 40 at_least dav_done 3; then
	n=$(dav_done)
	kill -TERM "$RCLONE_PID"; wait "$RCLONE_PID" 2>/dev/null; RCLONE_PID=
	sleep 3
	if start_rclone; then
		ok "rclone stopped after $n of $NDAV files and restarted 3 s later"
		ok_if "... in the middle of the WebDAV deliveries" test "$n" -lt "$NDAV"
	else
		not_ok "rclone restarts" "$(tail -n 5 "$SRVLOGS/rclone.log")"
	fi
else
	not_ok "WebDAV deliveries begin" "$(tail -n 20 "$LOGS/daemon.log")"
fi

# --------------------------------------------------------- the outcome

all_gone() {
	local k
	for k in $(seq 1 "$NJOBS"); do
		[ -n "${J_ID[k]}" ] && spool_holds_job "${J_ID[k]}" && return 1
	done
	return 0
}
if wait_until 100 all_gone; then
	ok "every job has left the spool ($((SECONDS - started)) s after the submissions)"
else
	not_ok "every job has left the spool" "$(spool_entries | head -n 20)" \
		"$(tail -n 20 "$LOGS/daemon.log")"
fi
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=

# The files at each server: one per name, byte-identical
drive_ctl GET /__fake/files >"$WORK/drive.files" || : >"$WORK/drive.files"
# copies NAME - where a name (or a renamed twin) landed, one line each
copies() {
	local k=$1 user=${J_USER[$1]} name=${J_NAME[$1]} stem=${J_NAME[$1]%.txt}
	case ${J_ACTION[k]} in
	dav) find "$DAV/scans/$user" -type f -name "$stem*" 2>/dev/null ;;
	s3) find "$S3DIR/scans/$user" -type f -name "$stem*._S3rver_object" 2>/dev/null ;;
	drive) jq -r --arg n "$name" --arg s "$stem" \
		'.[] | select(.name == $n or (.name | startswith($s))) | .path' \
		"$WORK/drive.files" | sed "s|^|$DRIVE_STORE/|" ;;
	esac
}
delivered=0 shredded=0 bad=()
for k in $(seq 1 "$NJOBS"); do
	id=${J_ID[k]}
	[ -n "$id" ] || continue
	mapfile -t c < <(copies "$k")
	nd=$(audit_count delivered "$id")
	reason=$(jq -r --arg id "$id" 'select(.event == "shredded" and .job == $id) | .reason' \
		"$(audit_log_file)" 2>/dev/null | head -n 1)
	if [ "$nd" -eq 1 ] && [ "${#c[@]}" -eq 1 ] && cmp -s "${J_DOC[k]}" "${c[0]}"; then
		delivered=$((delivered + 1))
	elif [ "$nd" -eq 0 ] && [ "${#c[@]}" -eq 0 ] && [ -n "$reason" ]; then
		shredded=$((shredded + 1))
		diag "job $k (${J_ACTION[k]}) shredded: $reason"
	else
		bad+=("job $k ${J_ACTION[k]} ${J_USER[k]} $id: $nd delivered lines, ${#c[@]} copies (${c[*]}), shredded: '${reason}'")
	fi
done
if [ "${#bad[@]}" -eq 0 ] && [ $((delivered + shredded)) -eq "$NJOBS" ]; then
	ok "every job delivered exactly once, byte-identical ($delivered), or shredded with a reason ($shredded)"
else
	not_ok "every job delivered exactly once or shredded with a reason" "${bad[@]}"
fi
# only temporary faults were injected: everything must have arrived
ok_if "all $NJOBS jobs were delivered (the faults were all temporary)" test "$delivered" -eq "$NJOBS"
leftover=$(find "$DAV" "$DRIVE_STORE" -name '.cloudspool-*' -type f; find "$DRIVE_STORE/.staging" -type f 2>/dev/null)
if [ -z "$leftover" ]; then
	ok "no partial upload left at the servers"
else
	not_ok "no partial upload left at the servers" "$leftover"
fi

# The faults really happened, and the daemon saw them
fired=$(drive_ctl GET /__fake/stats | jq '.faults_fired // 0')
if [ "${fired:-0}" -ge 5 ]; then
	ok "the Drive fake fired $fired faults"
else
	not_ok "the Drive fake fired its faults" "faults_fired=$fired"
fi
ok_if "a delivery was deferred with the provider's Retry-After or a server error" \
	bash -c "jq -r 'select(.event == \"deferred\") | .reason' '$(audit_log_file)' | grep -qiE '429|503|rate|unavailable|retry'"
ndefer=$(audit_count deferred "")
diag "deferred lines in the audit trail: $ndefer"

# Concurrency, from the samples
max_of() { awk -v c="$1" 'BEGIN { m = 0 } $c > m { m = $c } END { print m }' "$WORK/samples"; }
nsamples=$(wc -l <"$WORK/samples")
mt=$(max_of 1) md=$(max_of 2) ms=$(max_of 3) mg=$(max_of 4)
diag "$nsamples samples; most uploaders at once: all $mt, dav $md, s3 $ms, drive $mg"
if [ "$nsamples" -ge 20 ] && [ "$md" -le "$LIMIT" ] && [ "$ms" -le "$LIMIT" ] &&
	[ "$mg" -le "$LIMIT" ] && [ "$mt" -le $((3 * LIMIT)) ]; then
	ok "never more than $LIMIT uploaders per destination (concurrency = $LIMIT), $((3 * LIMIT)) in all"
else
	not_ok "never more than $LIMIT uploaders per destination" \
		"max: all $mt, dav $md, s3 $ms, drive $mg; $nsamples samples"
fi
# the sampler must be able to see a limit reached, or the check above
# proves nothing: WebDAV at 1 MiB/s keeps two uploads busy for a while
ok_if "... and the limit was reached at the WebDAV destination (the sampler sees it)" \
	test "$md" -eq "$LIMIT"

ok_if "the spool ends empty" spool_is_empty
stop_daemon
check_audit_verifies
assert_no_markers
finish
