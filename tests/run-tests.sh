#!/usr/bin/env bash
# tests/run-tests.sh - run every cloudspool test and count the results.
#
#   1. unit tests (cmocka) of the main build in build/ (`make check` builds
#      them; each tests/unit/test_* runs with CMOCKA_MESSAGE_OUTPUT=TAP);
#   2. the same unit tests from a second build in build-asan/ with
#      -fsanitize=address,undefined, leak detection on and every sanitizer
#      report fatal;
#   3. every end-to-end script tests/e2e/t-*.sh, against the installed
#      programs (./setup.sh install), as root, with real users;
#   4. the end-to-end scripts that stress the daemon most (CS_E2E_ASAN_SCRIPTS)
#      again, driving the sanitizer-built cloudspoold from build-asan/
#      (and its cloudspool-authd: t-device's device flows are threads);
#   5. the fakes of the Drive, Graph and Dropbox upload APIs
#      (tests/fakes/test-fakes.sh: node and curl, no install needed), then
#      the uploader's tests tests/upload/t-*.sh, which run cloudspool-upload
#      straight from build/ against loopback servers (rclone, s3rver, moto
#      where the machine has it, the cloud fakes, gnutls-serv): nothing is
#      installed (t-refresh-daemon also runs the sanitizer-built daemon from
#      build-asan/); then the document
#      filter straight from build/ (tests/filter/t-filter.sh), its fuzz
#      corpus replayed through the normal and the sanitizer build, and a
#      bounded libFuzzer run when clang is there (tests/fuzz/run.sh;
#      CS_FUZZ_SECONDS, default 30); then the message catalogs against
#      the sources (tests/l10n/t-catalog.sh).
#
# Every part prints TAP. The runner counts "ok" and "not ok" lines across
# all of them; a program that exits non-zero without a "not ok" line, or
# prints no result at all, or runs fewer tests than it planned, counts as one
# more failure. Failing lines are printed again at the end, and the last line
# is exactly "N passed, N failed"; the exit status is non-zero on any
# failure. Logs go to build/test-logs/ (not /tmp: the end-to-end tests
# search /tmp for plaintext).
#
# Environment: CS_BUILD_DIR (default build/), CS_ASAN_DIR (default
# build-asan/), CS_E2E_FILTER (a glob: run only matching e2e scripts),
# CS_E2E_ASAN_SCRIPTS (names for part 4), CS_SKIP_ASAN=1 (parts 2 and 4),
# CS_SKIP_UNIT=1 and CS_SKIP_E2E=1 to leave parts out while developing.
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${CS_BUILD_DIR:-$SRC_DIR/build}
ASAN_DIR=${CS_ASAN_DIR:-$SRC_DIR/build-asan}
LOG_DIR=$BUILD_DIR/test-logs
E2E_FILTER=${CS_E2E_FILTER:-t-*.sh}
E2E_ASAN_SCRIPTS=${CS_E2E_ASAN_SCRIPTS:-t-submit-deliver t-hostile t-crash t-retention t-deliver-net t-deliver-many t-ocr t-device}
UNIT_TIMEOUT=300
E2E_TIMEOUT=900
ASAN_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
ASAN_LDFLAGS="-fsanitize=address,undefined"

PASSED=0
FAILED=0
FAILURES=()
SKIPPED=()

# section - a visible heading (a TAP comment, so no counter reads it)
section() {
	printf '\n# === %s ===\n' "$*"
}

# count_failure - one failure the runner itself found
count_failure() {
	FAILED=$((FAILED + 1))
	FAILURES+=("not ok - $*")
	printf 'not ok - %s\n' "$*"
}

# count_pass - one step the runner itself checked
count_pass() {
	PASSED=$((PASSED + 1))
	printf 'ok - %s\n' "$*"
}

# record_tap_results - count one program's TAP output in log; label names
# it in the failure list; status is its exit status
record_tap_results() {
	local log=$1 label=$2 status=$3
	local oks nots skips planned line
	# a skipped test is not a passed one: counted apart and listed
	skips=$(grep -cE '^ok([[:space:]].*)?#[[:space:]]*SKIP' "$log")
	oks=$(($(grep -cE '^ok([[:space:]]|$)' "$log") - skips))
	nots=$(grep -cE '^not ok([[:space:]]|$)' "$log")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	PASSED=$((PASSED + oks))
	FAILED=$((FAILED + nots))
	while IFS= read -r line; do
		FAILURES+=("$label: $line")
	done < <(grep -E '^not ok([[:space:]]|$)' "$log")
	while IFS= read -r line; do
		SKIPPED+=("$label: $line")
	done < <(grep -E '^ok([[:space:]].*)?#[[:space:]]*SKIP' "$log")
	if [ "$oks" -eq 0 ] && [ "$nots" -eq 0 ] && [ "$skips" -eq 0 ]; then
		count_failure "$label printed no test result (exit status $status)"
	elif [ "$status" -ne 0 ] && [ "$nots" -eq 0 ]; then
		count_failure "$label exited with status $status but reported no failure"
	elif [ "$planned" -gt $((oks + nots + skips)) ]; then
		count_failure "$label planned $planned tests but ran $((oks + nots + skips))"
	fi
}

# run_logged - run a command with a timeout, its output both to the
# terminal and to log; returns the command's exit status
run_logged() {
	local log=$1 limit=$2
	shift 2
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1 </dev/null
	local status=$?
	cat "$log"
	[ "$status" -eq 124 ] && printf '# timed out after %ss\n' "$limit" | tee -a "$log"
	return "$status"
}

# run_unit_binaries - every tests/unit/test_* of a build dir, TAP counted;
# extra arguments are VAR=value settings for the environment
run_unit_binaries() {
	local build=$1 tag=$2 test name status found=0
	shift 2
	for test in "$build"/tests/unit/test_*; do
		[ -f "$test" ] && [ -x "$test" ] || continue
		found=1
		name=$(basename "$test")
		printf '# --- %s (%s)\n' "$name" "$tag"
		run_logged "$LOG_DIR/unit-$tag-$name.log" "$UNIT_TIMEOUT" \
			env CMOCKA_MESSAGE_OUTPUT=TAP CS_TEST_DATA="$SRC_DIR/tests/data" "$@" "$test"
		status=$?
		record_tap_results "$LOG_DIR/unit-$tag-$name.log" "$tag/$name" "$status"
	done
	[ "$found" -eq 1 ] || count_failure "$tag: no unit test programs in $build/tests/unit"
}

# run_main_unit_tests - make check in build/, then run each unit test
run_main_unit_tests() {
	section "unit tests (main build: $BUILD_DIR)"
	if [ ! -f "$BUILD_DIR/Makefile" ]; then
		count_failure "main build: no $BUILD_DIR/Makefile (run ./setup.sh build)"
		return
	fi
	# -k: a unit test that does not build must not hide the others
	if run_logged "$LOG_DIR/make-check.log" 1200 make -C "$BUILD_DIR" -k -j2 check >/dev/null; then
		count_pass "main build: make check"
	else
		grep -E 'error|Error' "$LOG_DIR/make-check.log" | tail -n 20
		count_failure "main build: make check failed (log: $LOG_DIR/make-check.log)"
	fi
	run_unit_binaries "$BUILD_DIR" main
}

# configure_asan_build - configure build-asan/ once (out of tree)
configure_asan_build() {
	if [ -f "$ASAN_DIR/Makefile" ]; then
		# reuse it only when configured the way this script does
		"$ASAN_DIR/config.status" --config 2>/dev/null | grep -qE -- "(^| )'?--prefix=/usr'?( |$)" && return 0
		rm -rf "$ASAN_DIR"
	fi
	if [ -f "$SRC_DIR/config.status" ]; then
		echo "# the source tree is configured in place; an out-of-tree build needs 'make distclean' there"
		return 1
	fi
	[ -x "$SRC_DIR/configure" ] || (cd "$SRC_DIR" && autoreconf -fi) || return 1
	mkdir -p "$ASAN_DIR"
	# --disable-werror: -O1 with sanitizers warns differently; the main
	# build is the one that holds the tree to -Werror.
	# the installed layout's paths, so the sanitizer-built daemon finds
	# the installed worker and config
	(cd "$ASAN_DIR" && "$SRC_DIR/configure" --disable-werror \
		--prefix=/usr --sysconfdir=/etc --localstatedir=/var \
		CFLAGS="$ASAN_CFLAGS" LDFLAGS="$ASAN_LDFLAGS")
}

# run_asan_unit_tests - the sanitizer build and its unit tests
run_asan_unit_tests() {
	section "unit tests (AddressSanitizer + UBSan build: $ASAN_DIR)"
	if ! configure_asan_build >"$LOG_DIR/asan-configure.log" 2>&1 </dev/null; then
		tail -n 40 "$LOG_DIR/asan-configure.log"
		count_failure "asan build: configure failed (log: $LOG_DIR/asan-configure.log)"
		return
	fi
	if run_logged "$LOG_DIR/asan-make.log" 1200 make -C "$ASAN_DIR" -k -j2 check >/dev/null; then
		count_pass "asan build: make check (programs and unit tests)"
	else
		grep -E 'error|Error' "$LOG_DIR/asan-make.log" | tail -n 20
		count_failure "asan build: make check failed (log: $LOG_DIR/asan-make.log)"
	fi
	run_unit_binaries "$ASAN_DIR" asan \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
}

# run_e2e_tests - every tests/e2e/t-*.sh, one after another (they share
# the test user names)
run_e2e_tests() {
	local script name status found=0
	section "end-to-end tests (installed programs)"
	if [ "$(id -u)" -ne 0 ]; then
		count_failure "e2e: must run as root (they create users)"
		return
	fi
	for script in "$SRC_DIR"/tests/e2e/$E2E_FILTER; do
		[ -f "$script" ] || continue
		found=1
		name=$(basename "$script" .sh)
		printf '# --- %s\n' "$name"
		local started=$SECONDS
		run_logged "$LOG_DIR/e2e-$name.log" "$E2E_TIMEOUT" bash "$script"
		status=$?
		printf '# %s: %ss\n' "$name" "$((SECONDS - started))"
		record_tap_results "$LOG_DIR/e2e-$name.log" "e2e/$name" "$status"
	done
	[ "$found" -eq 1 ] || count_failure "e2e: no scripts match tests/e2e/$E2E_FILTER"
}

# run_e2e_asan_tests - the e2e scripts that stress the daemon most, again,
# with the sanitizer-built cloudspoold, and cloudspool-authd where a script
# starts one (t-device: its threads), installed helpers otherwise; each
# script ends with a check that the daemon logs hold no sanitizer report.
# Leak checks are off here: LeakSanitizer cannot inspect a process that
# dropped its privileges; libfaketime's preload may precede the ASan runtime.
run_e2e_asan_tests() {
	local name status
	section "end-to-end tests with the sanitizer-built cloudspoold"
	if [ ! -x "$ASAN_DIR/cloudspoold" ]; then
		count_failure "e2e-asan: no $ASAN_DIR/cloudspoold"
		return
	fi
	for name in $E2E_ASAN_SCRIPTS; do
		[ -f "$SRC_DIR/tests/e2e/$name.sh" ] || continue
		printf '# --- %s (asan daemon)\n' "$name"
		run_logged "$LOG_DIR/e2e-asan-$name.log" "$E2E_TIMEOUT" \
			env CS_DAEMON="$ASAN_DIR/cloudspoold" \
			CS_AUTHD="$ASAN_DIR/cloudspool-authd" \
			ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:verify_asan_link_order=0 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			bash "$SRC_DIR/tests/e2e/$name.sh"
		status=$?
		record_tap_results "$LOG_DIR/e2e-asan-$name.log" "e2e-asan/$name" "$status"
	done
}

# run_upload_tests - tests/upload/t-*.sh against build/ (no install)
run_upload_tests() {
	local script name status
	section "uploader tests (cloudspool-upload from $BUILD_DIR)"
	for script in "$SRC_DIR"/tests/upload/t-*.sh; do
		[ -f "$script" ] || continue
		name=$(basename "$script" .sh)
		printf '# --- %s\n' "$name"
		local started=$SECONDS
		run_logged "$LOG_DIR/upload-$name.log" 600 env CS_BUILD_DIR="$BUILD_DIR" bash "$script"
		status=$?
		printf '# %s: %ss\n' "$name" "$((SECONDS - started))"
		record_tap_results "$LOG_DIR/upload-$name.log" "upload/$name" "$status"
	done
	# the daemon's token refresh path again, with the sanitizer-built
	# daemon (its helpers from build/: sanitizers and rlimits do not mix)
	if [ "${CS_SKIP_ASAN:-0}" != 1 ] && [ -x "$ASAN_DIR/cloudspoold" ]; then
		printf '# --- t-refresh-daemon (sanitizer daemon from %s)\n' "$ASAN_DIR"
		run_logged "$LOG_DIR/upload-asan-t-refresh-daemon.log" 600 env \
			CS_BUILD_DIR="$ASAN_DIR" CS_HELPERS_DIR="$BUILD_DIR" \
			bash "$SRC_DIR/tests/upload/t-refresh-daemon.sh"
		status=$?
		record_tap_results "$LOG_DIR/upload-asan-t-refresh-daemon.log" \
			"upload-asan/t-refresh-daemon" "$status"
	fi
}

# run_style_check - the source rules (tests/style/checksrc.sh), as TAP
run_style_check() {
	local status
	section "source style (tests/style/checksrc.sh)"
	run_logged "$LOG_DIR/style.log" 120 bash "$SRC_DIR/tests/style/checksrc.sh"
	status=$?
	record_tap_results "$LOG_DIR/style.log" "style" "$status"
}

# run_fake_tests - the cloud API fakes against their own protocol rules
run_fake_tests() {
	local status
	section "cloud API fakes (tests/fakes/test-fakes.sh)"
	if ! command -v node >/dev/null || ! command -v curl >/dev/null; then
		count_failure "fakes: node and curl are needed (./setup.sh deps)"
		return
	fi
	run_logged "$LOG_DIR/fakes.log" 180 env CS_BUILD_DIR="$BUILD_DIR" bash "$SRC_DIR/tests/fakes/test-fakes.sh"
	status=$?
	record_tap_results "$LOG_DIR/fakes.log" "fakes" "$status"
}

# run_filter_tests - the filter's own script and its fuzz corpus, from the
# build directories (nothing installed, so no lock needed)
run_filter_tests() {
	local status
	section "document filter (tests/filter, tests/fuzz)"
	run_logged "$LOG_DIR/filter.log" 300 bash "$SRC_DIR/tests/filter/t-filter.sh" "$BUILD_DIR"
	status=$?
	record_tap_results "$LOG_DIR/filter.log" "filter" "$status"
	run_logged "$LOG_DIR/fuzz.log" 300 env CS_ASAN_DIR="$ASAN_DIR" \
		CS_SKIP_ASAN="${CS_SKIP_ASAN:-0}" bash "$SRC_DIR/tests/fuzz/run.sh" "$BUILD_DIR"
	status=$?
	record_tap_results "$LOG_DIR/fuzz.log" "fuzz" "$status"
}

# run_l10n_tests - the gettext catalogs against the sources (po/, from
# the build dir: nothing installed)
run_l10n_tests() {
	local status
	section "message catalogs (tests/l10n/t-catalog.sh)"
	run_logged "$LOG_DIR/l10n.log" 60 bash "$SRC_DIR/tests/l10n/t-catalog.sh" "$BUILD_DIR"
	status=$?
	record_tap_results "$LOG_DIR/l10n.log" "l10n" "$status"
}

# print_summary - failures again, then the closing line
print_summary() {
	local line
	section "summary"
	if [ "${#FAILURES[@]}" -gt 0 ]; then
		echo "# failed:"
		for line in "${FAILURES[@]}"; do
			printf '#   %s\n' "$line"
		done
	fi
	if [ "${#SKIPPED[@]}" -gt 0 ]; then
		echo "# skipped (not counted as passed):"
		for line in "${SKIPPED[@]}"; do
			printf '#   %s\n' "$line"
		done
	fi
	echo "# logs: $LOG_DIR"
	echo "$PASSED passed, $FAILED failed"
}

main() {
	mkdir -p "$LOG_DIR"
	cd "$SRC_DIR" || exit 1
	run_style_check
	[ "${CS_SKIP_UNIT:-0}" = 1 ] || run_main_unit_tests
	[ "${CS_SKIP_ASAN:-0}" = 1 ] || run_asan_unit_tests
	[ "${CS_SKIP_UNIT:-0}" = 1 ] || run_fake_tests
	[ "${CS_SKIP_UNIT:-0}" = 1 ] || run_upload_tests
	[ "${CS_SKIP_UNIT:-0}" = 1 ] || run_filter_tests
	[ "${CS_SKIP_UNIT:-0}" = 1 ] || run_l10n_tests
	if [ "${CS_SKIP_E2E:-0}" != 1 ]; then
		run_e2e_tests
		[ "${CS_SKIP_ASAN:-0}" = 1 ] || run_e2e_asan_tests
	fi
	print_summary
	[ "$FAILED" -eq 0 ]
}

main "$@"
