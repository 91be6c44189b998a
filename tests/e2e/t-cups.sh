#!/usr/bin/env bash
# t-cups.sh - print to cloud through a real, private cupsd (never the
# system's; tests/e2e/cupsd.sh): queues made with `cloudspoolctl cups-queue
# add`, discovery through `lpinfo -v`, jobs printed with `lp -U USER` that
# arrive in that user's folder named from the title and byte-identical for
# PDF; a user not allowed the action gets the job cancelled with the reason
# in cupsd's error_log and nothing in the spool; a job printed before the
# spool daemon ever ran is retried by CUPS and delivered exactly once when
# it starts; hostile titles, user names and options give sanitized names
# and no crash; the backend's own contract (usage, bad URI, SIGTERM) is
# checked by running it directly as lp, as cupsd does. No plaintext marker
# outside the delivered files; cupsd's RequestRoot holds the document while
# a job is queued (that is CUPS's spool, not ours), so it is left out of
# the marker search and checked to be empty once every job is done.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
source "$E2E_DIR/lib.sh"
source "$E2E_DIR/cupsd.sh"
# shellcheck source=../../scripts/pdf.sh
source "$E2E_DIR/../../scripts/pdf.sh"

BACKEND=${CS_CUPS_BACKEND:-/usr/lib/cups/backend/cloudspool}
CUPS_ROOT=$TEST_ROOT/cups

for p in cupsd lp lpadmin lpstat lpinfo; do
	command -v "$p" >/dev/null || { echo "1..0 # SKIP $p is not installed (setup.sh deps)"; exit 0; }
done

setup_test_root
[ -x "$BACKEND" ] || bail_out "$BACKEND is not installed (./setup.sh install)"
create_user cs_alice
create_user cs_bob
{
	standard_config "$SPOOL"
	printf '\n[action private]\ndestination = local\ndescription = only alice\nusers = cs_alice\n'
} | install_config "$CONF"
init_spool

# cleanup_cups - stop our cupsd before lib.sh's cleanup (users, test root)
cleanup_cups() {
	local status=$?
	cupsd_stop >/dev/null 2>&1
	(exit "$status")
	cleanup_test
}
trap cleanup_cups EXIT

# make_pdf - path, marker: a small one-page text PDF with the marker in its
# content and binary bytes in its header comment (scripts/pdf.sh)
make_pdf() {
	local out=$1 marker=$2 stream i
	stream="BT /F1 12 Tf 72 720 Td ($marker) Tj ET"
	for i in $(seq 1 40); do
		stream+=$'\n'"BT /F1 8 Tf 72 $((700 - i * 12)) Td ($marker $(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')) Tj ET"
	done
	pdf_write "$out" "$stream" $'%\xe2\xe3\xcf\xd3'
}

# user_pdf - user, file name, marker: a PDF in the user's home, theirs
user_pdf() {
	local path
	path=$(user_home "$1")/$2
	make_pdf "$path" "$3"
	chown "$1:" "$path"
	chmod 0644 "$path"
	printf '%s\n' "$path"
}

# print_as - user, queue, title, file, extra lp options: lp -U; JOB gets
# the CUPS job number
print_as() {
	local user=$1 queue=$2 title=$3 file=$4
	shift 4
	run_cmd lp -U "$user" -d "$queue" -t "$title" "$@" "$file"
	JOB=$(cupsd_job_id "$RUN_OUT")
}

# job_finished - the CUPS job left the queue (completed, cancelled, aborted)
job_finished() {
	local jobs
	jobs=$(lpstat -o 2>/dev/null) || return 1
	! grep -qE -- "-$1( |$)" <<<"$jobs"
}

# job_log_has - job number, fixed text: the job's error_log lines have it
# (read whole: grep -q in a pipe would SIGPIPE the writer under pipefail)
job_log_has() {
	local lines
	lines=$(cupsd_job_log "$1")
	grep -qF -- "$2" <<<"$lines"
}

# backend_as_lp - run the installed backend as cupsd does (user lp, our
# config); RUN_* as run_cmd
backend_as_lp() {
	run_cmd runuser -u lp -- env DEVICE_URI="${URI:-cloudspool:/t}" \
		CLOUDSPOOL_CONF="$CONF" "$BACKEND" "$@"
}

# Our cupsd's own folders are searched for markers, but not its RequestRoot.
EXTRA_SEARCH_DIRS=("$CUPS_ROOT/log" "$CUPS_ROOT/cache" "$CUPS_ROOT/state" "$CUPS_ROOT/etc")

cupsd_start "$CUPS_ROOT" "$CONF" ||
	bail_out "the private cupsd did not start" "$(tail -n 20 "$CUPS_ROOT/log/error_log" 2>&1)"
ok "a private cupsd runs on $CUPS_SERVER (root $CUPS_ROOT)"
if grep -q "CLOUDSPOOL_CONF=$CONF" /proc/"$CUPSD_PID"/environ 2>/dev/null; then
	diag "note: CLOUDSPOOL_CONF is in cupsd's own environment"
fi

# --- queues, with the tool
run_cmd "$CTL" -c "$CONF" cups-queue add Cloud t
ok_if "cloudspoolctl cups-queue add Cloud t" test "$RUN_STATUS" -eq 0
run_cmd "$CTL" -c "$CONF" cups-queue add Private private
ok_if "cloudspoolctl cups-queue add Private private" test "$RUN_STATUS" -eq 0
run_cmd "$CTL" -c "$CONF" cups-queue add Nope no-such-action
if [ "$RUN_STATUS" -eq 78 ] && ! lpstat -v Nope >/dev/null 2>&1; then
	ok "cups-queue add refuses an action the config does not define (78), no queue made"
else
	not_ok "cups-queue add refuses an action the config does not define (78), no queue made" "$(run_diag)"
fi
run_cmd "$CTL" -c "$CONF" cups-queue add ../evil t
ok_if "cups-queue add refuses a queue name with a path separator (64)" test "$RUN_STATUS" -eq 64
run_cmd "$CTL" -c "$CONF" cups-queue list
if [ "$RUN_STATUS" -eq 0 ] && [ "$(sort <<<"$RUN_OUT")" = "$(printf 'Cloud t\nPrivate private')" ]; then
	ok "cups-queue list shows the two cloudspool queues and their actions"
else
	not_ok "cups-queue list shows the two cloudspool queues and their actions" "$(run_diag)"
fi
if grep -q 'cloudspool:/t$' <<<"$(lpstat -v Cloud 2>/dev/null)" &&
	grep -q 'enabled' <<<"$(lpstat -p Cloud 2>/dev/null)" &&
	grep -q 'printer-is-shared=true' <<<"$(lpoptions -p Cloud 2>/dev/null)"; then
	ok "queue Cloud: device cloudspool:/t, enabled, accepting, shared"
else
	not_ok "queue Cloud: device cloudspool:/t, enabled, accepting, shared" \
		"$(lpstat -v Cloud 2>&1; lpstat -p Cloud 2>&1; lpoptions -p Cloud 2>&1)"
fi
if grep -q 'cupsFilter2: "application/pdf application/vnd.cups-pdf 0 -"' "$CUPS_ROOT/etc/ppd/Cloud.ppd" 2>/dev/null; then
	ok "the queue's PPD passes PDF to the backend unfiltered"
else
	not_ok "the queue's PPD passes PDF to the backend unfiltered" "$(ls -la "$CUPS_ROOT/etc/ppd" 2>&1)"
fi

# --- discovery
run_cmd lpinfo -v
n_t=$(grep -c '^direct cloudspool:/t$' <<<"$RUN_OUT")
n_p=$(grep -c '^direct cloudspool:/private$' <<<"$RUN_OUT")
n_all=$(grep -c 'cloudspool:' <<<"$RUN_OUT")
if [ "$RUN_STATUS" -eq 0 ] && [ "$n_t" -eq 1 ] && [ "$n_p" -eq 1 ] && [ "$n_all" -eq 2 ]; then
	ok "lpinfo -v through the private cupsd lists one cloudspool URI per action"
else
	not_ok "lpinfo -v through the private cupsd lists one cloudspool URI per action" "$(run_diag)"
fi
run_cmd lpinfo -l --include-schemes cloudspool -v
if grep -q 'make-and-model = cloudspool t' <<<"$RUN_OUT" &&
	grep -q 'info = test delivery (local)' <<<"$RUN_OUT" &&
	grep -q 'device-id = MFG:cloudspool;MDL:private;' <<<"$RUN_OUT"; then
	ok "discovery gives make-and-model, info (description and destination) and device id"
else
	not_ok "discovery gives make-and-model, info (description and destination) and device id" "$(run_diag)"
fi

# --- printed before the spool daemon ever ran: no key, CUPS retries
marker_r=$(new_marker)
doc_r=$(user_pdf cs_alice early.pdf "$marker_r")
print_as cs_alice Cloud "Early bird" "$doc_r"
job_r=$JOB
if [ "$RUN_STATUS" -eq 0 ] && [ -n "$job_r" ]; then
	ok "lp -U cs_alice -d Cloud queues a job before cloudspoold ever ran"
else
	not_ok "lp -U cs_alice -d Cloud queues a job before cloudspoold ever ran" "$(run_diag)"
fi
# retry_seen - cupsd ran the backend at least twice, both answered RETRY
retry_seen() {
	[ "$(cupsd_job_log "$job_r" | grep -c 'returned status 6')" -ge 2 ]
}
if wait_until 30 retry_seen; then
	ok "with no spool key the backend exits RETRY and cupsd tries again"
else
	not_ok "with no spool key the backend exits RETRY and cupsd tries again" "$(cupsd_job_log "$job_r" | grep -v ' D ' | tail -n 15)"
fi
if job_log_has "$job_r" 'no public key yet' && ! job_finished "$job_r"; then
	ok "the job stays queued in CUPS and the log says why (no key yet)"
else
	not_ok "the job stays queued in CUPS and the log says why (no key yet)" "$(lpstat -o 2>&1)" \
		"$(cupsd_job_log "$job_r" | grep -v ' D ' | tail -n 10)"
fi
ok_if "nothing is delivered and the spool is empty while the daemon is down" \
	test ! -e "$SCANS/cs_alice" -a -z "$(spool_entries)"

start_daemon
wait_for_public_key || bail_out "the daemon published no public key within 20 s" "$(tail -n 20 "$LOGS/daemon.log")"
if wait_until 30 test -f "$SCANS/cs_alice/Early bird.pdf" && wait_until 30 job_finished "$job_r"; then
	ok "once the daemon runs, CUPS's retry delivers the job"
else
	not_ok "once the daemon runs, CUPS's retry delivers the job" "$(ls -la "$SCANS/cs_alice" 2>&1)" "$(lpstat -o 2>&1)"
fi
sleep 3	# a second delivery, if there were one, would show by now
early_files=$(find "$SCANS/cs_alice" -maxdepth 1 -type f -name 'Early*' 2>/dev/null | wc -l)
if [ "$early_files" -eq 1 ] && cmp -s "$doc_r" "$SCANS/cs_alice/Early bird.pdf" &&
	[ "$(audit_count delivered "Early bird.pdf")" -eq 1 ]; then
	ok "delivered exactly once (one file, one delivered audit line), byte-identical"
else
	not_ok "delivered exactly once (one file, one delivered audit line), byte-identical" \
		"$(ls -la "$SCANS/cs_alice")" "delivered lines: $(audit_count delivered "Early bird.pdf")"
fi

# --- alice and bob print PDFs
marker_a=$(new_marker)
marker_b=$(new_marker)
doc_a=$(user_pdf cs_alice a.pdf "$marker_a")
doc_b=$(user_pdf cs_bob b.pdf "$marker_b")
print_as cs_alice Cloud "Title 1" "$doc_a"
job_a=$JOB
print_as cs_bob Cloud "Quarterly report.pdf" "$doc_b"
job_b=$JOB
for pair in "cs_alice|Title 1.pdf|$doc_a|$job_a" "cs_bob|Quarterly report.pdf|$doc_b|$job_b"; do
	IFS='|' read -r user name doc job <<<"$pair"
	if wait_until 30 test -f "$SCANS/$user/$name" && wait_until 30 job_finished "$job" &&
		wait_until 10 spool_is_empty; then
		if cmp -s "$doc" "$SCANS/$user/$name"; then
			ok "$user's job arrives in $user's folder as '$name', byte-identical"
		else
			not_ok "$user's job arrives in $user's folder as '$name', byte-identical" "$(cmp "$doc" "$SCANS/$user/$name" 2>&1)"
		fi
	else
		not_ok "$user's job arrives in $user's folder as '$name'" "$(ls -la "$SCANS/$user" 2>&1)" \
			"$(cupsd_job_log "$job" | grep -v ' D ' | tail -n 10)"
	fi
done
ok_if "the CUPS job id is in the audit trail (origin)" audit_has_any_of "cups job $job_a" submitted picked_up delivered
if [ ! -e "$SCANS/cs_bob/Title 1.pdf" ] && [ ! -e "$SCANS/cs_alice/Quarterly report.pdf" ]; then
	ok "neither job reaches the other user's folder"
else
	not_ok "neither job reaches the other user's folder" "$(ls -laR "$SCANS")"
fi
if job_log_has "$job_a" 'argv[6]=' &&
	job_log_has "$job_a" 'application/pdf to printer/Cloud/application/vnd.cups-pdf, cost 0'; then
	ok "cupsd hands the PDF file to the backend with no filter in between"
else
	not_ok "cupsd hands the PDF file to the backend with no filter in between" "$(cupsd_job_log "$job_a" | grep -i filter)"
fi

# --- copies: one document, and the log says so
marker_c=$(new_marker)
doc_c=$(user_pdf cs_bob c.pdf "$marker_c")
print_as cs_bob Cloud "three copies" "$doc_c" -n 3
if wait_until 30 job_finished "$JOB" && wait_until 10 test -f "$SCANS/cs_bob/three copies.pdf" &&
	[ "$(find "$SCANS/cs_bob" -name 'three copies*' | wc -l)" -eq 1 ] &&
	job_log_has "$JOB" '3 copies requested'; then
	ok "lp -n 3 stores one document and says so in the job's log"
else
	not_ok "lp -n 3 stores one document and says so in the job's log" "$(ls -la "$SCANS/cs_bob")" \
		"$(cupsd_job_log "$JOB" | grep -v ' D ' | tail -n 5)"
fi

# --- plain text goes through CUPS's own filters and arrives as PDF
marker_t=$(new_marker)
printf 'plain text printed to the cloud\n%s\n' "$marker_t" >"$WORK/plain.txt"
chmod 0644 "$WORK/plain.txt"
print_as cs_alice Cloud "notes" "$WORK/plain.txt"
if wait_until 60 job_finished "$JOB" && wait_until 10 test -f "$SCANS/cs_alice/notes.pdf" &&
	[ "$(head -c 5 "$SCANS/cs_alice/notes.pdf")" = "%PDF-" ]; then
	ok "a text job is converted by CUPS's filters and arrives as notes.pdf"
else
	not_ok "a text job is converted by CUPS's filters and arrives as notes.pdf" "$(ls -la "$SCANS/cs_alice")" \
		"$(cupsd_job_log "$JOB" | grep -v ' D ' | tail -n 10)"
fi

# --- a user not allowed the action: cancelled, reason in the error_log
marker_n=$(new_marker)
doc_n=$(user_pdf cs_bob n.pdf "$marker_n")
print_as cs_bob Private "not for bob" "$doc_n"
job_n=$JOB
if wait_until 30 job_finished "$job_n" &&
	job_log_has "$job_n" 'returned status 5' &&
	grep -aE "^E .*\[Job $job_n\].*may not use action .*private" "$CUPS_ROOT/log/error_log" >/dev/null; then
	ok "cs_bob on the private queue: job cancelled, ERROR in cupsd's error_log names the reason"
else
	not_ok "cs_bob on the private queue: job cancelled, ERROR in cupsd's error_log names the reason" \
		"$(cupsd_job_log "$job_n" | grep -v ' D ' | tail -n 10)"
fi
if grep -q "Private-$job_n" <<<"$(lpstat -W completed -o 2>/dev/null)" &&
	grep -q enabled <<<"$(lpstat -p Private 2>/dev/null)"; then
	ok "the cancelled job is in the completed list and the queue stays enabled"
else
	not_ok "the cancelled job is in the completed list and the queue stays enabled" "$(lpstat -W completed -o 2>&1; lpstat -p Private 2>&1)"
fi
ok_if "nothing of the refused job is in the spool or any folder" \
	test -z "$(spool_entries)" -a ! -e "$SCANS/cs_bob/not for bob.pdf"

# an unknown user: cancelled as well
print_as no_such_user_x Cloud "ghost" "$doc_n"
if wait_until 30 job_finished "$JOB" && job_log_has "$JOB" 'returned status 5' &&
	job_log_has "$JOB" 'is not a user of this print server'; then
	ok "a job from a user unknown to the server is cancelled with a reason"
else
	not_ok "a job from a user unknown to the server is cancelled with a reason" "$(cupsd_job_log "$JOB" | grep -v ' D ' | tail -n 5)"
fi

# --- hostile titles and options through CUPS
marker_h=$(new_marker)
doc_h=$(user_pdf cs_alice h.pdf "$marker_h")
before=$(find "$SCANS/cs_alice" -maxdepth 1 -type f | wc -l)
hostile_titles=("../../../etc/passwd" $'two\nlines\rand\ttabs' ".hidden" "/abs/path" "$(printf 'x%.0s' $(seq 1 400))")
for t in "${hostile_titles[@]}"; do
	print_as cs_alice Cloud "$t" "$doc_h" -o 'x=$(touch /tmp/cs-pwned)' -o "y=../../z"
done
print_as cs_alice Cloud "" "$doc_h"
wait_until 60 cupsd_no_jobs
wait_until 30 spool_is_empty
# cupsd itself turns a job-name with control characters or over 255
# bytes into "Untitled"; the backend runs below get the raw bytes
after=$(find "$SCANS/cs_alice" -maxdepth 1 -type f | wc -l)
bad=$(find "$SCANS" -mindepth 1 \( -type d -path "$SCANS/cs_*/*" -o -name '.*' -o -name '*[[:cntrl:]]*' \) 2>/dev/null)
if [ "$((after - before))" -eq 6 ] && [ -z "$bad" ] && [ ! -e /etc/passwd.pdf ] && [ ! -e /tmp/cs-pwned ] &&
	[ -n "$(find "$SCANS/cs_alice" -maxdepth 1 -name '*etc_passwd.pdf')" ]; then
	ok "hostile titles and options: six files in cs_alice's folder only, no dot file, no control character"
else
	not_ok "hostile titles and options: six files in cs_alice's folder only, no dot file, no control character" \
		"new files: $((after - before))" "$(ls -la "$SCANS/cs_alice")" "bad: $bad"
fi
longest=$(find "$SCANS/cs_alice" -maxdepth 1 -type f -printf '%f\n' | awk '{ print length($0) }' | sort -n | tail -n 1)
ok_if "no delivered name is longer than 255 bytes" test "${longest:-0}" -le 255

# --- the backend run directly as lp, as cupsd would: the same contract
install -d -m 0755 "$TEST_ROOT/pub"
install -m 0644 "$doc_h" "$TEST_ROOT/pub/h.pdf"
doc_h=$TEST_ROOT/pub/h.pdf
printf 'x%.0s' $(seq 1 65536) >"$WORK/title64k"
title64k=$(cat "$WORK/title64k")
before=$(find "$SCANS/cs_alice" -maxdepth 1 -type f | wc -l)
backend_as_lp 901 cs_alice "$title64k" 1 "" "$doc_h"
if [ "$RUN_STATUS" -eq 0 ]; then
	ok "backend: a 64 KiB title is accepted (exit CUPS_BACKEND_OK)"
else
	not_ok "backend: a 64 KiB title is accepted (exit CUPS_BACKEND_OK)" "$(run_diag)"
fi
backend_as_lp 902 cs_alice $'caf\xc3\xa9 \xff\xfe\x80 bad' 1 "" "$doc_h"
ok_if "backend: a non-UTF-8 title is accepted" test "$RUN_STATUS" -eq 0
backend_as_lp 903 cs_alice $'two\nlines\r\x1b[31m' 1 "" "$doc_h"
ok_if "backend: a title with control characters is accepted" test "$RUN_STATUS" -eq 0
# files_at_least - cs_alice's folder holds at least N files
files_at_least() {
	[ "$(find "$SCANS/cs_alice" -maxdepth 1 -type f | wc -l)" -ge "$1" ]
}
wait_until 30 files_at_least $((before + 3))
wait_until 30 spool_is_empty
if [ -f "$SCANS/cs_alice/café ___ bad.pdf" ] && [ -f "$SCANS/cs_alice/two_lines__[31m.pdf" ] &&
	[ -n "$(find "$SCANS/cs_alice" -maxdepth 1 -name 'xxxxxxxx*.pdf' -printf '%f\n' | awk 'length($0) == 255')" ]; then
	ok "backend: invalid bytes and control characters become '_', valid UTF-8 is kept, a 64 KiB title is cut to 255 bytes with .pdf"
else
	not_ok "backend: invalid bytes and control characters become '_', valid UTF-8 is kept, a 64 KiB title is cut to 255 bytes with .pdf" \
		"$(ls "$SCANS/cs_alice" | cut -c1-80)"
fi
backend_as_lp 903 cs_alice t 1 </dev/null
ok_if "backend: 4 arguments is a usage error (CUPS_BACKEND_FAILED)" test "$RUN_STATUS" -eq 1
URI=cloudspool:/../etc backend_as_lp 904 cs_alice "t" 1 "" "$doc_h"
if [ "$RUN_STATUS" -eq 1 ] && grep -q '^ERROR: .*device URI' <<<"$RUN_ERR"; then
	ok "backend: a bad device URI is a named misconfiguration (FAILED)"
else
	not_ok "backend: a bad device URI is a named misconfiguration (FAILED)" "$(run_diag)"
fi
URI=cloudspool:/gone backend_as_lp 905 cs_alice "t" 1 "" "$doc_h"
if [ "$RUN_STATUS" -eq 1 ] && grep -q "^ERROR: .*action 'gone'" <<<"$RUN_ERR"; then
	ok "backend: a queue naming a removed action is a named misconfiguration (FAILED)"
else
	not_ok "backend: a queue naming a removed action is a named misconfiguration (FAILED)" "$(run_diag)"
fi
run_cmd runuser -u lp -- env CLOUDSPOOL_CONF="$CONF" "$BACKEND"
if [ "$RUN_STATUS" -eq 0 ] &&
	grep -qx 'direct cloudspool:/t "cloudspool t" "test delivery (local)" "MFG:cloudspool;MDL:t;" ""' <<<"$RUN_OUT"; then
	ok "backend: discovery prints the backend(7) line for each action"
else
	not_ok "backend: discovery prints the backend(7) line for each action" "$(run_diag)"
fi
# SIGTERM while the drop helper is reading: no job, no partial file, RETRY
mkfifo -m 0666 "$WORK/fifo"
chmod 0711 "$WORK"
runuser -u lp -- env DEVICE_URI=cloudspool:/t CLOUDSPOOL_CONF="$CONF" "$BACKEND" 906 cs_alice slow 1 "" \
	<"$WORK/fifo" >"$WORK/term.out" 2>"$WORK/term.err" &
term_pid=$!
exec {fifo_fd}>"$WORK/fifo"
printf '%%PDF-1.4 partial %s\n' "$(new_marker)" >&"$fifo_fd"
sleep 1
backend_pid=$(pgrep -P "$term_pid" -x cloudspool | head -n 1)
kill -TERM "${backend_pid:-$term_pid}" 2>/dev/null
wait "$term_pid"
term_status=$?
exec {fifo_fd}>&-
if [ "$term_status" -eq 6 ] && [ -z "$(find "$SPOOL/incoming" -mindepth 1 2>/dev/null)" ]; then
	ok "backend: SIGTERM mid-job reaches the drop helper; no partial file, exit RETRY"
else
	not_ok "backend: SIGTERM mid-job reaches the drop helper; no partial file, exit RETRY" \
		"exit $term_status" "$(cat "$WORK/term.err")" "$(find "$SPOOL/incoming" -mindepth 1 2>&1)"
fi

# --- the end: every job done, nothing left anywhere
wait_until 30 cupsd_no_jobs
ok_if "no job is left in CUPS (lpstat -o is empty)" cupsd_no_jobs
wait_until 10 spool_is_empty
ok_if "nothing is left in the cloudspool spool" spool_is_empty
if [ -z "$(cupsd_request_files)" ]; then
	ok "cupsd's RequestRoot holds no document file once the jobs are done"
else
	not_ok "cupsd's RequestRoot holds no document file once the jobs are done" "$(cupsd_request_files)"
fi
check_audit_verifies
assert_no_markers "no marker in the spool, /tmp, /var/tmp, /dev/shm, logs (ours and cupsd's) or core files"
run_cmd "$CTL" -c "$CONF" cups-queue remove Cloud
if [ "$RUN_STATUS" -eq 0 ] && ! lpstat -v Cloud >/dev/null 2>&1; then
	ok "cups-queue remove Cloud removes the queue"
else
	not_ok "cups-queue remove Cloud removes the queue" "$(run_diag)"
fi
lpadmin -p Other -E -v file:///dev/null -P /usr/share/cloudspool/cloudspool.ppd >/dev/null 2>&1
run_cmd "$CTL" -c "$CONF" cups-queue remove Other
if [ "$RUN_STATUS" -eq 1 ] && lpstat -v Other >/dev/null 2>&1; then
	ok "cups-queue remove leaves a queue that is not cloudspool's alone"
else
	not_ok "cups-queue remove leaves a queue that is not cloudspool's alone" "$(run_diag)"
fi
stop_daemon
cupsd_stop
finish
