#!/bin/sh
# The allocation-failure torture under valgrind's memcheck: leaks and invalid
# accesses on the error paths, with every TORTURE_STEP-th allocation failing
# (default 7) to keep the run short. Skips (77) without valgrind or in a
# sanitizer build. Arguments go to the torture program (-c NAME, -n N).
set -u

: "${top_builddir:=.}"
: "${top_srcdir:=$(dirname "$0")/../..}"
prog="$top_builddir/tests/torture/torture"
step="${TORTURE_STEP:-7}"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: skipped: valgrind is not installed"
	exit 77
fi
"$prog" -l >/dev/null
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "valgrind.sh: skipped: sanitizer build"
	exit 77
elif [ "$rc" -ne 0 ]; then
	echo "valgrind.sh: $prog -l failed ($rc)"
	exit 1
fi

# nouserintercepts: valgrind replaces glibc's allocator, not the program's
# malloc(), which counts and fails allocations before calling glibc's.
start=$(date +%s)
TORTURE_STEP="$step" valgrind -q \
	--soname-synonyms=somalloc=nouserintercepts \
	--suppressions="$top_srcdir/tests/torture/valgrind.supp" \
	--leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --error-exitcode=1 "$prog" "$@"
rc=$?
end=$(date +%s)
echo "valgrind.sh: TORTURE_STEP=$step, $((end - start)) s, exit status $rc"
exit "$rc"
