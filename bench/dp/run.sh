#!/bin/sh
# Benchmarks the DP accountant (C) against the Python reference, and prints
# a Markdown section for bench/RESULTS.md.
# Usage: bench/dp/run.sh [BUILDDIR]
# BUILDDIR (default: build-dp-rel) is configured without --enable-debug
# if it does not exist yet.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-dp-rel}
if [ ! -f "$build/Makefile" ]; then
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q >/dev/null)
fi
if grep -q -- '-O0' "$build/Makefile"; then
	echo "run.sh: $build is a debug (-O0) build; use an optimized one" >&2
	exit 2
fi
make -C "$build" bench/dp/bench_dp >/dev/null
bin=$build/bench/dp/bench_dp
py=python3

c_out=$("$bin" 2001)
py_out=$("$py" "$top/tests/dp/reference.py" --bench 1000)
get() { printf '%s\n' "$1" | awk -F'\t' -v k="$2" '$1 == k { print $2 }'; }
c_one=$(get "$c_out" c_one_job_s)
c_chk=$(get "$c_out" c_check_1000_s)
c_known=$(get "$c_out" c_check_1000_known_job_s)
p_one=$(get "$py_out" python_one_job_s)
p_many=$(get "$py_out" python_compose_1000_s)
ms() { awk -v s="$1" 'BEGIN { printf "%.3f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }

cat <<EOT
## dp

Command: \`bench/dp/run.sh\` (C built with the default -O2 flags:
\`bench/dp/bench_dp 2001\`, median of 2001 runs; Python $("$py" -c 'import sys; print(sys.version.split()[0])'):
\`tests/dp/reference.py --bench 1000\`, median of 21 runs for one job, one
run for 1000 jobs). Machine: $(nproc) cores (\`nproc\`), $(free -g | awk '/^Mem:/ { print $2 }') GiB (\`free -g\`), CPU
"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" (/proc/cpuinfo); load average $(cut -d' ' -f1-3 /proc/loadavg) at
the end of the run.

Job: DP-SGD, q = 256/60000, sigma = 1.1, T = 14063, delta = 1e-5, default
order grid (155 orders).

| what | C median | Python | Python / C |
|---|---|---|---|
| epsilon of one job, from scratch (curve + conversion) | $(ms "$c_one") ms | $(ms "$p_one") ms | $(ratio "$p_one" "$c_one") |
| check against a budget holding 1000 jobs (load stored curve, job curve, add, convert) | $(ms "$c_chk") ms | $(ms "$p_many") ms (composing 1000 jobs from scratch) | $(ratio "$p_many" "$c_chk") |
| the same check when the job's curve is known | $(ms "$c_known") ms | | |

Targets: one job <= 0.2 ms; a check against 1000 prior jobs <= 0.2 ms.
EOT
