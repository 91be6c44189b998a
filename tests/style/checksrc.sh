#!/usr/bin/env bash
# checksrc.sh - the project's source rules, as TAP (curl's checksrc idea):
# banned unbounded string functions, one result per file, and KNF basics.
# Run from the top of the tree.
set -u
n=0
fail=0
report() {	# report OK|FAIL description
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
files=$(git ls-files 'lib/*.[ch]' 'backend/*.[ch]' 'spoold/*.[ch]' 'filters/*.[ch]' 'tests/unit/*.c')
for f in $files; do
	bad=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets)\s*\(' "$f" | grep -v '^\s*/\*' || true)
	if [ -z "$bad" ]; then report OK "$f: no banned functions"
	else report FAIL "$f: banned function: $bad"; fi
	bad=$(grep -nE '[[:space:]]+$' "$f" || true)
	if [ -z "$bad" ]; then report OK "$f: no trailing white space"
	else report FAIL "$f: trailing white space at $(echo "$bad" | cut -d: -f1 | head -3 | tr '\n' ' ')"; fi
	case "$f" in *.c)
		if head -3 "$f" | grep -q '^/\*'; then report OK "$f: opens with a comment"
		else report FAIL "$f: must open with a comment saying what it is"; fi
	esac
done
exit $fail
