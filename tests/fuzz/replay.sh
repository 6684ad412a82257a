#!/bin/sh
# Replays each fuzz target's seed corpus and saved regressions without
# libFuzzer: every tests/fuzz/fuzz_<name>.c is built with the configured
# compiler and flags (ASan and UBSan in an --enable-sanitizers build), linked
# with cli/libcli.la, rules/librules.la, lib/libcore.la and
# tests/fuzz/standalone.c, and
# run over tests/fuzz/corpus/<name>/ and tests/fuzz/regressions/<name>/.
#
# FUZZ_TARGETS="yaml json" limits the run to some targets;
# FUZZ_REPLAY_WRAPPER="valgrind -q --error-exitcode=1 --leak-check=full"
# runs each target under a checker.
set -u
fuzz_prog=replay
fuzz_here=$(cd "$(dirname "$0")" && pwd)
. "$fuzz_here/common.sh"
fuzz_setup

out=$builddir/fuzz/replay
mkdir -p "$out" || fuzz_die "cannot create $out"

compile() {
	$CC $fuzz_cppflags $CPPFLAGS $CFLAGS $DEP_CFLAGS -c "$1" -o "$2"
}

targets=$(fuzz_targets)
if [ -z "$targets" ]; then
	echo "$fuzz_prog: no fuzz targets in $fuzz_dir"
	exit 77
fi

compile "$fuzz_dir/standalone.c" "$out/standalone.o" ||
	fuzz_die "cannot build the standalone driver"

failed=
for name in $targets; do
	bin=$out/fuzz_$name$EXEEXT
	rm -f "$bin" "$out/fuzz_$name.o"
	if ! compile "$fuzz_dir/fuzz_$name.c" "$out/fuzz_$name.o" ||
	    ! $LIBTOOL --silent --tag=CC --mode=link $CC $CFLAGS $LDFLAGS \
	    -o "$bin" "$out/fuzz_$name.o" "$out/standalone.o" \
	    "$builddir/cli/libcli.la" "$builddir/rules/librules.la" \
	    "$builddir/lib/libcore.la" \
	    $DEP_LIBS; then
		echo "FAIL: fuzz_$name: does not build"
		failed="$failed $name"
		continue
	fi
	# shellcheck disable=SC2046 # one argument per directory
	if ${FUZZ_REPLAY_WRAPPER:-} "$bin" $(fuzz_input_dirs "$name"); then
		echo "PASS: fuzz_$name"
	else
		echo "FAIL: fuzz_$name: the input named last above failed"
		failed="$failed $name"
	fi
done

if [ -n "$failed" ]; then
	echo "$fuzz_prog: failed:$failed"
	exit 1
fi
exit 0
