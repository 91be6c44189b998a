#!/usr/bin/env bash
# run.sh - the filter's hostile-image checks, as TAP:
#   1. the committed corpus (tests/fuzz/corpus) replayed through the decoding
#      path of the normal build (tests/fuzz/replay);
#   2. the same through the sanitizer build (build-asan), unless
#      CS_SKIP_ASAN=1 or it is not built;
#   3. each corpus file through the real program: exit 0 or 1, and on 1
#      exactly one line on stderr (normal and sanitizer builds);
#   4. when clang is installed: a libFuzzer build of fuzz_decode.c, run for
#      CS_FUZZ_SECONDS (default 30) on a copy of the corpus; a crash fails
#      and leaves its input in BUILD_DIR/fuzz/.
# Usage: run.sh [BUILD_DIR]
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$(cd "${1:-$SRC_DIR/build}" && pwd)
ASAN_DIR=${CS_ASAN_DIR:-$SRC_DIR/build-asan}
SECONDS_TO_FUZZ=${CS_FUZZ_SECONDS:-30}
n=0
fail=0

ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# replay - a replay binary over the corpus; its TAP indented as comments
replay() {	# replay BINARY LABEL [ENV...]
	local bin=$1 label=$2
	shift 2
	if [ ! -x "$bin" ]; then
		ok 1 "$label: $bin is not built (make check builds it)"
		return
	fi
	env "$@" "$bin" "$HERE"/corpus/* >"$BUILD_DIR/fuzz-replay.log" 2>&1
	local st=$?
	sed 's/^/# /' "$BUILD_DIR/fuzz-replay.log" | tail -n 5
	ok "$st" "$label: the corpus replays through the decoder ($(ls "$HERE"/corpus | wc -l) files)"
}

# cli_each - each corpus file through the program
cli_each() {	# cli_each PROGRAM LABEL [ENV...]
	local prog=$1 label=$2 f st bad=""
	shift 2
	[ -x "$prog" ] || { ok 1 "$label: $prog is not built"; return; }
	for f in "$HERE"/corpus/*; do
		env "$@" "$prog" "$f" -o /dev/null 2>"$BUILD_DIR/fuzz-cli.log"
		st=$?
		if [ "$st" -eq 1 ] && [ "$(wc -l <"$BUILD_DIR/fuzz-cli.log")" -eq 1 ]; then
			continue	# refused with one clear line
		fi
		if [ "$st" -eq 0 ] && ! grep -qv '^cloudspool-filter: report: ' "$BUILD_DIR/fuzz-cli.log"; then
			continue	# converted, nothing but the report said
		fi
		bad="$bad $(basename "$f")(exit $st, $(wc -l <"$BUILD_DIR/fuzz-cli.log") lines)"
	done
	[ -z "$bad" ]
	ok $? "$label: every corpus file converts or fails with exit 1 and one line${bad:+ (bad:$bad)}"
}

echo "# fuzz corpus: $HERE/corpus"
replay "$BUILD_DIR/tests/fuzz/replay" "normal build"
cli_each "$BUILD_DIR/cloudspool-filter" "normal build"
if [ "${CS_SKIP_ASAN:-0}" != 1 ] && [ -x "$ASAN_DIR/tests/fuzz/replay" ]; then
	replay "$ASAN_DIR/tests/fuzz/replay" "sanitizer build" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
	# the sandboxed child cannot start LeakSanitizer's tracer thread
	cli_each "$ASAN_DIR/cloudspool-filter" "sanitizer build" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
fi

if command -v clang >/dev/null; then
	FZ=$BUILD_DIR/fuzz
	mkdir -p "$FZ/corpus"
	cp "$HERE"/corpus/* "$FZ/corpus/"
	# shellcheck disable=SC2046
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-I"$SRC_DIR/lib" -I"$SRC_DIR/filters" $(pkg-config --cflags lept libtiff-4) \
		"$HERE/fuzz_decode.c" "$SRC_DIR/filters/source.c" "$SRC_DIR/filters/clean.c" \
		"$SRC_DIR/filters/source_pages.c" "$SRC_DIR/filters/encode.c" \
		"$SRC_DIR/filters/buf.c" "$SRC_DIR/filters/g4.c" "$SRC_DIR/lib/pagestream.c" \
		$(pkg-config --libs lept libtiff-4 zlib) -lm -o "$FZ/fuzz_decode" 2>"$FZ/build.log"
	ok $? "libFuzzer harness builds with clang"
	if [ -x "$FZ/fuzz_decode" ]; then
		# A fixed seed: a finding in CI is reproducible with the same
		# source (the time bound still caps the run on a slow machine).
		# Findings go to the log's artifact; add them to corpus/ once
		# fixed, so the replay above keeps them fixed.
		(cd "$FZ" && ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
			./fuzz_decode -seed=1 -runs="${CS_FUZZ_RUNS:-150000}" \
			-max_total_time="$SECONDS_TO_FUZZ" -rss_limit_mb=2048 \
			-malloc_limit_mb=1024 -timeout=20 -max_len=65536 corpus \
			>"$FZ/fuzz.log" 2>&1)
		st=$?
		grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$FZ/fuzz.log" | tail -n 1 | sed 's/^/# /'
		[ "$st" -ne 0 ] && tail -n 30 "$FZ/fuzz.log" | sed 's/^/# /'
		ok "$st" "libFuzzer: ${CS_FUZZ_RUNS:-150000} runs (seed 1, at most ${SECONDS_TO_FUZZ}s) on the decoding path without a crash"
	fi
else
	echo "# clang not installed: no libFuzzer run (the corpus replays above)"
fi
echo "1..$n"
exit $fail
