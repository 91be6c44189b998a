# shellcheck shell=bash
# tests/e2e/cupsd.sh - a private cupsd for the CUPS tests and the CUPS bench
# (source it; t-cups.sh and bench/bench-cups.sh do). Never the system's
# cupsd: its own ServerRoot, spool, logs, state and a loopback port, as in
# the shared TESTING.md recipe:
#
#   ROOT/etc/        cupsd.conf, cups-files.conf, ppd/ (ServerRoot)
#   ROOT/spool/      RequestRoot (job files while jobs are queued), tmp/
#   ROOT/cache/ ROOT/state/ ROOT/log/ ROOT/run/cups.sock
#   ROOT/bin/        ServerBin: a symlink to each folder of /usr/lib/cups
#                    but backend/, which is a folder of symlinks to each
#                    installed backend (so ours, /usr/lib/cups/backend/
#                    cloudspool, is run from there as cupsd would run it)
#                    except those whose discovery probes the network
#                    (snmp, dnssd, mdns, driverless*)
#
# cups-files.conf has `SetEnv CLOUDSPOOL_CONF FILE`: cupsd passes it to the
# backend, which hands it to the drop helper (-c). Retries are fast
# (JobRetryInterval 1) and unlimited (JobRetryLimit 0), job files are not
# kept after a job (PreserveJobFiles No).
#
# Functions set CUPSD_PID and export CUPS_SERVER=127.0.0.1:PORT, so lp,
# lpstat, lpadmin, lpinfo and cloudspoolctl talk to this cupsd only.

CUPSD_ROOT=
CUPSD_PORT=
CUPSD_PID=

# cupsd_write_config - ROOT PORT CLOUDSPOOL_CONF: the two config files
cupsd_write_config() {
	local root=$1 port=$2 csconf=$3
	cat >"$root/etc/cupsd.conf" <<EOF
# private cupsd for cloudspool tests (tests/e2e/cupsd.sh)
Listen 127.0.0.1:$port
Listen $root/run/cups.sock
LogLevel debug
MaxLogSize 0
MaxJobs 0
MaxJobsPerPrinter 0
MaxJobsPerUser 0
JobRetryInterval 1
JobRetryLimit 0
PreserveJobFiles No
PreserveJobHistory Yes
Browsing No
<Location />
Order allow,deny
Allow from 127.0.0.1
</Location>
<Policy default>
<Limit All>
Order deny,allow
</Limit>
</Policy>
EOF
	cat >"$root/etc/cups-files.conf" <<EOF
ServerRoot $root/etc
RequestRoot $root/spool
TempDir $root/spool/tmp
CacheDir $root/cache
StateDir $root/state
ErrorLog $root/log/error_log
AccessLog $root/log/access_log
PageLog $root/log/page_log
ServerBin $root/bin
DataDir /usr/share/cups
User lp
Group lp
FileDevice Yes
SetEnv CLOUDSPOOL_CONF $csconf
EOF
}

# cupsd_make_serverbin - ROOT/bin as described above
cupsd_make_serverbin() {
	local root=$1 d b
	mkdir -p "$root/bin/backend"
	for d in /usr/lib/cups/*; do
		[ "$(basename "$d")" = backend ] && continue
		ln -sfn "$d" "$root/bin/$(basename "$d")"
	done
	for b in /usr/lib/cups/backend/*; do
		case $(basename "$b") in
		# discovery (lpinfo -v) would make these probe the network:
		# SNMP broadcasts, DNS-SD and IPP Everywhere browsing. Tests
		# talk to loopback only.
		snmp | dnssd | mdns | driverless | driverless-fax) continue ;;
		esac
		ln -sfn "$b" "$root/bin/backend/$(basename "$b")"
	done
}

# cupsd_running - the scheduler answers on our port
cupsd_running() {
	lpstat -r 2>/dev/null | grep -q 'is running'
}

# cupsd_start ROOT CLOUDSPOOL_CONF - lay out ROOT, start cupsd -f on a
# free loopback port; 0 when it answers within 20 s
cupsd_start() {
	local root=$1 csconf=$2 try
	CUPSD_ROOT=$root
	install -d -m 0755 "$root" "$root/etc" "$root/etc/ppd" "$root/cache" \
		"$root/state" "$root/log" "$root/run" "$root/bin"
	install -d -m 0710 -g lp "$root/spool"
	install -d -m 1770 -g lp "$root/spool/tmp"
	cupsd_make_serverbin "$root"
	for try in 1 2 3 4 5; do
		CUPSD_PORT=$((20000 + RANDOM % 20000))
		ss -ltn 2>/dev/null | grep -q ":$CUPSD_PORT " && continue
		cupsd_write_config "$root" "$CUPSD_PORT" "$csconf"
		export CUPS_SERVER=127.0.0.1:$CUPSD_PORT
		cupsd -f -c "$root/etc/cupsd.conf" -s "$root/etc/cups-files.conf" \
			>>"$root/log/cupsd.out" 2>&1 </dev/null &
		CUPSD_PID=$!
		local i
		for i in $(seq 1 200); do
			cupsd_running && return 0
			kill -0 "$CUPSD_PID" 2>/dev/null || break
			sleep 0.1
		done
		cupsd_stop
	done
	return 1
}

# cupsd_stop - SIGTERM our cupsd (by pid), wait, then SIGKILL
cupsd_stop() {
	local i
	[ -n "$CUPSD_PID" ] || return 0
	kill -TERM "$CUPSD_PID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$CUPSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$CUPSD_PID" 2>/dev/null
	wait "$CUPSD_PID" 2>/dev/null
	CUPSD_PID=
}

# cupsd_no_jobs - no job left that is not completed (pending, held,
# processing); lpstat -o prints nothing
cupsd_no_jobs() {
	[ -z "$(lpstat -o 2>/dev/null)" ]
}

# cupsd_job_id - the number in lp's "request id is QUEUE-N (1 file(s))"
cupsd_job_id() {
	sed -n 's/^request id is .*-\([0-9][0-9]*\) .*/\1/p' <<<"$1"
}

# cupsd_job_log - the error_log lines of one job
cupsd_job_log() {
	grep -aF "[Job $1]" "$CUPSD_ROOT/log/error_log" 2>/dev/null
}

# cupsd_request_files - job document files left in RequestRoot (d*)
cupsd_request_files() {
	find "$CUPSD_ROOT/spool" -maxdepth 1 -type f -name 'd*' 2>/dev/null
}
