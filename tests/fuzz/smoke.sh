#!/bin/sh
# A short libFuzzer pass in make check: each target for $FUZZ_SMOKE_SECONDS
# (default 5). Skipped when $FUZZ_CC cannot build a libFuzzer binary.
# Inputs that crash are reported, not saved: run `make fuzz` to keep them.
set -u
fuzz_prog=smoke
fuzz_here=$(cd "$(dirname "$0")" && pwd)
. "$fuzz_here/common.sh"
fuzz_setup

probe=$builddir/fuzz/smoke/probe
mkdir -p "$probe" || fuzz_die "cannot create $probe"
cat >"$probe/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return size > 0 && data[0] == 0;
}
EOF
if ! $FUZZ_CC -fsanitize=fuzzer,address,undefined "$probe/probe.c" \
    -o "$probe/probe" >"$probe/log" 2>&1; then
	echo "$fuzz_prog: '$FUZZ_CC' cannot build with libFuzzer:"
	cat "$probe/log"
	exit 77
fi

FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-$FUZZ_SMOKE_SECONDS_DEFAULT}
FUZZ_SAVE=no
export FUZZ_SECONDS FUZZ_SAVE
$FUZZ_SHELL "$fuzz_here/run.sh" smoke
rc=$?
# 77 means "skipped" to the harness; only run.sh's own skip may say so.
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || [ "$rc" -eq 99 ] || rc=1
exit "$rc"
