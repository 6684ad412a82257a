#!/bin/sh
# Builds every fuzz target with libFuzzer, ASan and UBSan ($FUZZ_CC, clang)
# and runs each for $FUZZ_SECONDS on a copy of its corpus; `make fuzz`.
#
# lib/ and rules/ are compiled here from the sources their Makefile
# fragments list, with the fuzzing flags, into an archive of their own:
# the libtool archives are built by the configured compiler without
# coverage instrumentation. Everything is written under fuzz/<mode>/ in the
# build directory. A crashing input fails the run; with FUZZ_SAVE=yes (the
# default for `make fuzz`) it is also copied into
# tests/fuzz/regressions/<name>/ for the developer to fix and commit.
#
# Usage: run.sh [libfuzzer|smoke]   (the subdirectory of fuzz/ to use)
# Environment: FUZZ_SECONDS, FUZZ_TARGETS="yaml json", FUZZ_SAVE=yes|no,
# FUZZ_CFLAGS (replaces the default flags), FUZZ_ARGS (extra libFuzzer
# options), FUZZ_JOBS (parallel compiles).
set -u
fuzz_prog=fuzz
fuzz_here=$(cd "$(dirname "$0")" && pwd)
. "$fuzz_here/common.sh"
fuzz_setup

mode=${1:-libfuzzer}
seconds=${FUZZ_SECONDS:-$FUZZ_SECONDS_DEFAULT}
save=${FUZZ_SAVE:-yes}
jobs=${FUZZ_JOBS:-4}
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined"
flags=${FUZZ_CFLAGS:-$flags -fno-sanitize-recover=undefined}
out=$builddir/fuzz/$mode
objdir=$out/obj

targets=$(fuzz_targets)
[ -n "$targets" ] || { echo "$fuzz_prog: no fuzz targets"; exit 77; }
sources=$(fuzz_library_sources) || exit 99

rm -rf "$objdir"
mkdir -p "$objdir" || fuzz_die "cannot create $objdir"

# Compiles one library source into $objdir; the object is named after the
# source's path so that equal basenames in lib/ and rules/ do not clash.
fuzz_compile_one() {
	obj=$(echo "${1#"$srcdir"/}" | tr '/' '_')
	obj=$objdir/${obj%.c}.o
	$FUZZ_CC -std=gnu11 $flags -fsanitize=fuzzer-no-link $fuzz_cppflags \
	    $CPPFLAGS $DEP_CFLAGS -c "$1" -o "$obj"
}

echo "$fuzz_prog: compiling lib/ and rules/ with $FUZZ_CC"
pids=
n=0
status=0
for src in $sources; do
	fuzz_compile_one "$src" &
	pids="$pids $!"
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || status=1; done
		pids=
		n=0
	fi
done
for p in $pids; do wait "$p" || status=1; done
[ "$status" -eq 0 ] || { echo "$fuzz_prog: library build failed"; exit 1; }
rm -f "$out/libfuzzcore.a"
$AR cr "$out/libfuzzcore.a" "$objdir"/*.o ||
	fuzz_die "cannot archive the library objects"

failed=
for name in $targets; do
	bin=$out/fuzz_$name$EXEEXT
	work=$out/targets/$name
	if ! $FUZZ_CC -std=gnu11 $flags -fsanitize=fuzzer $fuzz_cppflags \
	    $CPPFLAGS $DEP_CFLAGS "$fuzz_dir/fuzz_$name.c" \
	    "$out/libfuzzcore.a" $DEP_LIBS -o "$bin"; then
		echo "FAIL: fuzz_$name: does not build"
		failed="$failed $name"
		continue
	fi

	# libFuzzer adds what it finds to the first directory: a copy, so
	# the source tree is only read.
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	for d in $(fuzz_input_dirs "$name"); do
		for f in "$d"/*; do
			[ -f "$f" ] && cp "$f" "$work/corpus/"
		done
	done
	dict=$fuzz_dir/dict/$name.dict
	if [ -f "$dict" ]; then dict=-dict=$dict; else dict=; fi

	echo "$fuzz_prog: fuzz_$name for ${seconds}s"
	(cd "$work" && "$bin" -max_total_time="$seconds" -timeout=20 \
	    -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
	    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	    $dict ${FUZZ_ARGS:-} "$work/corpus") >"$work/log" 2>&1
	rc=$?
	grep -E '^(Done|stat::|INFO: seed corpus)' "$work/log"

	found=
	for f in "$work"/artifacts/crash-* "$work"/artifacts/leak-* \
	    "$work"/artifacts/timeout-* "$work"/artifacts/oom-*; do
		[ -f "$f" ] && found="$found $f"
	done
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		n=$(ls "$work/corpus" | wc -l)
		echo "PASS: fuzz_$name ($n inputs in $work/corpus)"
		continue
	fi
	failed="$failed $name"
	tail -n 60 "$work/log"
	echo "FAIL: fuzz_$name (exit $rc); log: $work/log"
	for f in $found; do
		dest=$fuzz_dir/regressions/$name
		if [ "$save" = yes ] && mkdir -p "$dest" 2>/dev/null &&
		    cp "$f" "$dest/" 2>/dev/null; then
			echo "  saved $dest/${f##*/}:"
			echo "  fix the bug, then commit the input"
		else
			echo "  input: $f"
		fi
	done
done

if [ -n "$failed" ]; then
	echo "$fuzz_prog: failed:$failed"
	exit 1
fi
exit 0
