#!/bin/sh
# The bulk import step of run.sh alone, for comparing builds: each run
# starts a fresh consentd, imports the same rows with `consentctl consent
# import`, and prints the wall clock, the rate, and the CPU time per event
# of each of consentd's threads (from /proc, in thread-id order: the event
# loop first, then the ledger writer) and of consentctl (getrusage through
# /usr/bin/time). With several build directories the runs alternate
# between them, so that a shared machine's load falls on each alike; the
# medians close the output.
#
# usage: bench/ledger/import.sh BUILDDIR [BUILDDIR...]   (from the source tree)
# environment (defaults): N=200000 rows (bench/ledger/rows.h); RUNS=5 per
# build. Each build needs consentd and consentctl; the first also
# bench/ledger/ledger_bench, which writes the rows.
set -eu

N=${N:-200000}
RUNS=${RUNS:-5}
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
for b in "$@"; do
	for p in consentd consentctl; do
		[ -x "$b/$p" ] || { echo "missing $b/$p" >&2; exit 2; }
	done
done
hz=$(getconf CLK_TCK)
work_prefix=consentd-bench-import
. "$(dirname "$0")/daemon.sh"

# "tid:cpu-seconds ..." for each thread of the daemon.
threads_cpu() {
	for t in /proc/"$daemon_pid"/task/*; do
		echo "${t##*/} $(cut -d')' -f2 "$t/stat")"
	done | sort -n | awk -v hz="$hz" '{ printf "%s:%.3f ", $1, ($13 + $14) / hz }'
}

one_run() {
	b=$1
	consentd=$b/consentd consentctl=$b/consentctl
	daemon_start
	load=$(cut -d' ' -f1 /proc/loadavg)
	c0=$(threads_cpu)
	t0=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$work/cpu" "$b/consentctl" \
	    --socket "$work/sock" consent import "$work/rows.csv" > "$work/out"
	t1=$(date +%s.%N)
	c1=$(threads_cpu)
	daemon_stop
	grep -q "^$N accepted, 0 rejected" "$work/out" || {
		echo "import failed:" >&2; cat "$work/out" >&2; exit 3; }
	echo "$b|$c0|$c1|$t0 $t1|$(cat "$work/cpu")|$N|$load" | awk -F'|' '{
		split($4, t, " "); wall = t[2] - t[1]; n = $6
		split($2, a, " "); for (i in a) { split(a[i], kv, ":"); c0[kv[1]] = kv[2] }
		split($3, b, " "); threads = ""
		for (i = 1; i in b; i++) {
			split(b[i], kv, ":"); d = (kv[2] - c0[kv[1]]) / n * 1e6
			if (d >= 0.05) threads = threads sprintf(" %.2f", d)
		}
		split($5, c, " ")
		printf "%s wall %.3f s, %.0f entries/s; CPU us/event: consentd threads%s, consentctl %.2f; load %s\n",
		    $1, wall, n / wall, threads, (c[1] + c[2]) / n * 1e6, $7 }' |
	    tee -a "$work/results"
}

"$1/bench/ledger/ledger_bench" gen "$N" "$work/rows.csv"
echo "# bulk import of $N rows, $RUNS runs per build, alternating; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for r in $(seq "$RUNS"); do
	for b in "$@"; do
		one_run "$b"
	done
done
echo "# medians"
for b in "$@"; do
	awk -v b="$b" '$1 == b { sub(/,$/, "", $5); print $5 }' "$work/results" |
	    sort -g | awk -v b="$b" '{ v[NR] = $1 }
	    END { printf "%s: %.0f entries/s\n", b, v[int((NR + 1) / 2)] }'
done
