#!/bin/sh
# Builds consentd and runs the whole test suite (make check).
# Ends with one line "N passed, N failed" (", N skipped" when any were
# skipped); exits non-zero if anything failed.
# Usage: ./test.sh [--sanitizers]   (ASan + UBSan build in build-san/)
set -eu
top=$(cd "$(dirname "$0")" && pwd)
builddir="$top/build"
args=""
if [ "${1:-}" = "--sanitizers" ]; then
	builddir="$top/build-san"
	args="--enable-sanitizers"
fi
# shellcheck disable=SC2086
"$top/contrib/bootstrap.sh" "$builddir" $args
cd "$builddir"
status=0
make -j"$(nproc)" check >make-check.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' make-check.out || true
if [ "$status" -ne 0 ]; then
	# Show what failed: the log of each failing test.
	for log in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') 2>/dev/null); do
		echo "---- ${log%.trs}.log"
		tail -n 60 "${log%.trs}.log"
	done
	grep -E 'error|Error' make-check.out | head -n 40 || true
fi
count() { sed -n "s/^# $1: *//p" make-check.out | tail -n 1; }
pass=$(count PASS); fail=$(count FAIL); err=$(count ERROR); skip=$(count SKIP)
xpass=$(count XPASS)
pass=${pass:-0}; fail=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} )); skip=${skip:-0}
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	fail=1 # the build itself failed
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
