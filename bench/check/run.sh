#!/bin/sh
# Check benchmark: end-to-end latency of `consentctl check` (process start
# to exit) on a metadata-only job and on a 10,000-row dataset, the same jobs
# evaluated offline by `consentctl evaluate` (the baseline for the daemon's
# overhead), and decisions/s with concurrent clients on POST /v1/check, all
# in one run, side by side; then where the time of a metadata-only check
# goes (process start, daemon threads, fsyncs, budget state).
#
# usage: bench/check/run.sh [BUILDDIR]     (from anywhere; default ./build)
# build first: make consentd consentctl bench/check/check_bench
#   bench/check/start_curl bench/check/start_nocurl
# environment (defaults): REPS=200 timed runs per case and round, taken
# CHUNK=20 at a time, the cases in turn; ROUNDS=3;
# CLIENTS=16; LOAD_N=400 checks per throughput run (metadata-only),
# LOAD_N_10K=160 (10k rows); ROWS=10000; PROFILE=1 (0: skip the profile:
# strace, perf, open reservations, ledger size); GROWTH_N=300 unsettled
# checks for the open-reservation experiment; LEDGER_N=100000 consents
# added for the ledger-size experiment.
#
# Two scratch daemons run on the embedded default configuration (as
# demo.sh): one whose only policy is bench-metadata-only (a fields rule and
# a dp_budget rule: no rule needs the rows), one with
# policies/gdpr-training-baseline.yaml. Every run uses a fresh job id. Each
# allowed job reserves privacy budget; as a pipeline settles a job after
# training, the timed loops settle their jobs (POST /v1/jobs/finish) after
# every CHUNK runs, untimed, then wait 150 ms (longer than the 100 ms
# checkpoint interval) so that settling never overlaps a timed run. Each
# round starts fresh daemons. Figures are medians over ROUNDS rounds of
# per-round medians (p50) and 99th percentiles (nearest rank).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-build}
builddir=$(cd "$builddir" && pwd)
REPS=${REPS:-200}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-16}
LOAD_N=${LOAD_N:-400}
LOAD_N_10K=${LOAD_N_10K:-160}
ROWS=${ROWS:-10000}
GROWTH_N=${GROWTH_N:-300}
CHUNK=${CHUNK:-20}
LEDGER_N=${LEDGER_N:-100000}
PROFILE=${PROFILE:-1}

consentd=$builddir/consentd
consentctl=$builddir/consentctl
cb=$builddir/bench/check/check_bench
for p in "$consentd" "$consentctl" "$cb" "$builddir/bench/check/start_curl" \
    "$builddir/bench/check/start_nocurl"; do
	[ -x "$p" ] || {
		echo "missing $p: in $builddir run make consentd consentctl bench/check/check_bench bench/check/start_curl bench/check/start_nocurl" >&2
		exit 2
	}
done
if [ -f "$builddir/Makefile" ] && grep -q -- '^CFLAGS = .*-O0' "$builddir/Makefile"; then
	echo "run.sh: $builddir is a debug (-O0) build; use an optimized one" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/consentd-bench-check.XXXXXX")
results=$work/results
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1 /proc/loadavg; }
put() { echo "$1 $2" >> "$results"; }
# Median of a key's values over the rounds.
med() {
	awk -v k="$1" '$1 == k { print $2 }' "$results" | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}
# A field of a "key value key value ..." line.
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# start NAME POLICYDIR: a scratch consentd; sets ${NAME}_pid.
start() {
	st=$work/$1
	mkdir -p "$st"
	"$consentd" --foreground --state-dir "$st/state" --socket "$st/sock" \
	    --policies "$2" > "$st/consentd.log" 2>&1 &
	eval "${1}_pid=$!"
	pids="$pids $!"
	i=0
	until "$consentctl" --socket "$st/sock" status > /dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 "$!" 2>/dev/null; then
			echo "consentd did not start:" >&2
			cat "$st/consentd.log" >&2
			exit 3
		fi
		sleep 0.05
	done
}
# stop NAME: stops the daemon and removes its state.
stop() {
	eval "p=\${${1}_pid:-}"
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	pids=$(echo "$pids" | sed "s/ $p\b//")
	eval "${1}_pid="
	rm -rf "${work:?}/$1"
}

# Data: the demo's 20-row reviews (metadata-only job) and ROWS rows with
# the same columns, every subject with consent recorded.
data=$work/data
"$top/contrib/demo/make-data.sh" "$data"
"$top/bench/check/gen-data.sh" "$data" rows10k "$ROWS"
mkdir -p "$work/pol-meta" "$work/pol-gdpr"
cp "$top/policies/gdpr-training-baseline.yaml" "$work/pol-gdpr/"
cat > "$work/pol-meta/metadata-only.yaml" <<'EOF'
# Only rules that need no data scan: the manifest's declared categories
# and a differential-privacy budget (as in gdpr-training-baseline).
name: bench-metadata-only
version: "1"
mode: enforce
match:
  purposes: [train_ai_system]
rules:
  - name: no-direct-contact
    fields:
      deny_categories: [user.contact, user.name]
  - name: budget
    dp_budget: { epsilon: 8, delta: 1e-6, scope: dataset, accountant: rdp }
EOF
# Jobs: DP-SGD, batches of 10 of 10,000 rows (q = 0.001), sigma 2, 100
# steps: epsilon 0.16 at delta 1e-6 alone, so thousands of settled jobs
# fit the baseline's budget of epsilon 8.
privacy='{ "mechanism": "dp-sgd", "noise_multiplier": 2, "sample_rate": 0.001, "steps": 100, "delta": 1e-6 }'
# job TAG MANIFEST FORMAT: a job template with id TAG-{}.
job() {
	if [ "$3" = yaml ]; then
		printf 'job: %s-{}\npurpose: train_ai_system\ndatasets: [%s]\nrequester: bench@example.org\nprivacy: %s\n' \
		    "$1" "$2" "$privacy"
	else
		printf '{ "job": "%s-{}", "purpose": "train_ai_system", "datasets": ["%s"], "requester": "bench@example.org", "privacy": %s }\n' \
		    "$1" "$2" "$privacy"
	fi
}
mman=$data/reviews.yaml
gman=$data/rows10k.yaml
mpol=$work/pol-meta/metadata-only.yaml
gpol=$work/pol-gdpr/gdpr-training-baseline.yaml

msock=$work/meta/sock
gsock=$work/gdpr/sock
# Fresh daemons for each round, so that rounds start from the same ledger:
# 20 consents (metadata-only) and ROWS consents (10k), then one warm-up
# check and evaluation of each case (untimed; every case must allow).
daemons() {
	stop meta
	stop gdpr
	start meta "$work/pol-meta"
	start gdpr "$work/pol-gdpr"
	"$consentctl" --socket "$msock" consent import "$data/consents.csv" > /dev/null
	"$consentctl" --socket "$gsock" consent import "$data/rows10k-consents.csv" > "$work/import.out"
	grep -q "^$ROWS accepted, 0 rejected" "$work/import.out" || {
		echo "consent import failed:" >&2; cat "$work/import.out" >&2; exit 3; }
	job warm "$mman" yaml | sed 's/{}/meta/' > "$work/warm.yaml"
	"$consentctl" --socket "$msock" check "$work/warm.yaml" > /dev/null
	job warm "$gman" yaml | sed 's/{}/gdpr/' > "$work/warm.yaml"
	"$consentctl" --socket "$gsock" check "$work/warm.yaml" > /dev/null
	"$consentctl" evaluate --policy "$mpol" --manifest "$mman" \
	    --purpose train_ai_system --ledger "$work/meta/state/ledger.db" > /dev/null
	"$consentctl" evaluate --policy "$gpol" --manifest "$gman" \
	    --purpose train_ai_system --ledger "$work/gdpr/state/ledger.db" > /dev/null
}

echo "# consentd check benchmark"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- lib rules daemon cli 2>/dev/null || echo ' (with uncommitted changes in lib rules daemon cli)')"
echo "machine: $(nproc) cpus, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "build: $builddir ($(sed -n 's/^CFLAGS = //p' "$builddir/Makefile" 2>/dev/null))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reps=$REPS rounds=$ROUNDS clients=$CLIENTS load_n=$LOAD_N load_n_10k=$LOAD_N_10K rows=$ROWS"
echo

# chunk KEY N [exec options] -- CMD...: N timed runs, added to KEY's
# series.
chunk() {
	key=$1
	n=$2
	shift 2
	rc=0
	"$cb" exec "$n" "$work/part.runs" "$@" > "$work/part.out" || rc=$?
	# Exit status 1: some runs did not allow (or a settlement failed);
	# they are counted and reported, and their times kept.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "$key failed:" >&2; cat "$work/part.out" >&2; exit 3
	fi
	put "${key}_fails" "$(field "$work/part.out" fails)"
	cat "$work/part.runs" >> "$work/$key.runs"
	cat "$work/part.out" >> "$work/$key.chunks"
}
# done_series KEY: KEY's p50 and p99 (nearest rank) of wall and CPU time
# over all its runs, and consentd's per-check thread times averaged over
# its chunks (of equal size), to $work/KEY.out and the results.
done_series() {
	key=$1
	{
		cut -d' ' -f1 "$work/$key.runs" | sort -g | awk '
		    { v[NR] = $1 }
		    END { k = int(NR * 0.99); if (k < NR * 0.99) k++
			  printf "n %d wall_p50_ms %s wall_p99_ms %s ", NR, v[int((NR + 1) / 2)], v[k] }'
		cut -d' ' -f2 "$work/$key.runs" | sort -g | awk '
		    { v[NR] = $1 }
		    END { k = int(NR * 0.99); if (k < NR * 0.99) k++
			  printf "cpu_p50_ms %s cpu_p99_ms %s ", v[int((NR + 1) / 2)], v[k] }'
		awk '
		    { for (i = 1; i < NF; i++) if ($i ~ /^d_/) { s[$i] += $(i + 1); if (!($i in o)) { o[$i] = ++no; name[no] = $i } } }
		    END { for (j = 1; j <= no; j++) printf "%s %.3f ", name[j], s[name[j]] / NR }' "$work/$key.chunks"
		echo
	} > "$work/$key.out"
	rm -f "$work/$key.runs" "$work/$key.chunks"
	for f in wall_p50_ms wall_p99_ms cpu_p50_ms d_loop_run_ms d_ledger_run_ms \
	    d_workers_run_ms d_loop_wait_ms d_ledger_wait_ms d_workers_wait_ms; do
		v=$(field "$work/$key.out" "$f")
		[ -n "$v" ] && put "${key}_$f" "$v"
	done
	echo "  $key: $(cat "$work/$key.out")"
}
series() {
	chunk "$@"
	done_series "$1"
}
# Server-side duration of a round's checks, from the daemon's log (whole ms).
server_ms() {
	grep -o "Check '$2-[0-9-]*' .*(\([0-9]*\) ms)" "$work/$1/consentd.log" |
	    sed 's/.*(\([0-9]*\) ms)$/\1/' | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)]; else print "- -" }'
}

# Entries in a daemon's ledger (its latest checkpoint).
entries() {
	"$consentctl" --json --socket "$1" ledger checkpoint |
	    sed -n 's/^ *"size": *\([0-9]*\).*/\1/p'
}

for r in $(seq "$ROUNDS"); do
	daemons
	echo "## round $r (load average $(load); ledger entries: metadata-only daemon $(entries "$msock"), 10k daemon $(entries "$gsock"))"
	series noop "$REPS" -- "$cb" noop
	series start_nocurl "$REPS" -- "$builddir/bench/check/start_nocurl"
	series start_curl "$REPS" -- "$builddir/bench/check/start_curl"
	series version "$REPS" -- "$consentctl" --version

	# The cases in turn, CHUNK runs at a time, so that each sees the
	# same ledger sizes (every check appends a decision and a settlement).
	c=0
	while [ $((c * CHUNK)) -lt "$REPS" ]; do
		c=$((c + 1))
		job "mc$r-$c" "$mman" yaml > "$work/tpl.yaml"
		chunk meta_check "$CHUNK" --subst "$work/tpl.yaml" "$work/job.yaml" \
		    --pid "$meta_pid" --finish "$msock" "mc$r-$c-{}" "$CHUNK" -- \
		    "$consentctl" --socket "$msock" check "$work/job.yaml"
		job "mp$r-$c" "$mman" json > "$work/tpl.json"
		chunk meta_post "$CHUNK" --subst "$work/tpl.json" "$work/job.json" \
		    --pid "$meta_pid" --finish "$msock" "mp$r-$c-{}" "$CHUNK" -- \
		    "$cb" post "$msock" "$work/job.json"
		chunk meta_eval "$CHUNK" -- "$consentctl" evaluate --policy "$mpol" \
		    --manifest "$mman" --purpose train_ai_system \
		    --ledger "$work/meta/state/ledger.db"
		job "gc$r-$c" "$gman" yaml > "$work/tpl.yaml"
		chunk gdpr_check "$CHUNK" --subst "$work/tpl.yaml" "$work/job.yaml" \
		    --pid "$gdpr_pid" --finish "$gsock" "gc$r-$c-{}" "$CHUNK" -- \
		    "$consentctl" --socket "$gsock" check "$work/job.yaml"
		chunk gdpr_eval "$CHUNK" -- "$consentctl" evaluate --policy "$gpol" \
		    --manifest "$gman" --purpose train_ai_system \
		    --ledger "$work/gdpr/state/ledger.db"
	done
	for k in meta_check meta_post meta_eval gdpr_check gdpr_eval; do
		done_series "$k"
	done
	for k in meta gdpr; do
		[ "$k" = meta ] && tag=mc$r || tag=gc$r
		set -- $(server_ms "$k" "$tag")
		put "${k}_server_p50_ms" "$1"
		put "${k}_server_p99_ms" "$2"
		echo "  ${k}_check server-side (log): p50 $1 ms, p99 $2 ms"
	done
	echo "  ledger entries after the timed runs: metadata-only daemon $(entries "$msock"), 10k daemon $(entries "$gsock")"

	job "ml$r" "$mman" json > "$work/load.json"
	rc=0
	"$cb" load "$msock" "$CLIENTS" "$LOAD_N" "$work/load.json" \
	    --finish "ml$r-{}" > "$work/load.out" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "load failed:" >&2; cat "$work/load.out" >&2; exit 3
	fi
	put meta_load_fails "$(($(field "$work/load.out" errors) + $(field "$work/load.out" denied)))"
	put meta_load_rate "$(field "$work/load.out" decisions_per_s)"
	put meta_load_p50_ms "$(field "$work/load.out" p50_ms)"
	put meta_load_p99_ms "$(field "$work/load.out" p99_ms)"
	echo "  meta_load: $(cat "$work/load.out")"
	job "gl$r" "$gman" json > "$work/load.json"
	rc=0
	"$cb" load "$gsock" "$CLIENTS" "$LOAD_N_10K" "$work/load.json" \
	    --finish "gl$r-{}" > "$work/load.out" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "load failed:" >&2; cat "$work/load.out" >&2; exit 3
	fi
	put gdpr_load_fails "$(($(field "$work/load.out" errors) + $(field "$work/load.out" denied)))"
	put gdpr_load_rate "$(field "$work/load.out" decisions_per_s)"
	put gdpr_load_p50_ms "$(field "$work/load.out" p50_ms)"
	put gdpr_load_p99_ms "$(field "$work/load.out" p99_ms)"
	echo "  gdpr_load: $(cat "$work/load.out")"
	for k in meta gdpr; do
		c=$work/${k}_check.out
		e=$work/${k}_eval.out
		put "${k}_overhead_ms" "$(calc "%.2f" "$(field "$c" wall_p50_ms) - $(field "$e" wall_p50_ms)")"
		put "${k}_ratio" "$(calc "%.2f" "$(field "$c" wall_p50_ms) / $(field "$e" wall_p50_ms)")"
		# CPU: consentctl check (p50) + consentd's threads (mean per
		# check) against consentctl evaluate (p50).
		put "${k}_check_total_cpu_ms" "$(calc "%.2f" "$(field "$c" cpu_p50_ms) + $(field "$c" d_loop_run_ms) + $(field "$c" d_ledger_run_ms) + $(field "$c" d_workers_run_ms)")"
		put "${k}_cpu_overhead_ms" "$(calc "%.2f" "$(field "$c" cpu_p50_ms) + $(field "$c" d_loop_run_ms) + $(field "$c" d_ledger_run_ms) + $(field "$c" d_workers_run_ms) - $(field "$e" cpu_p50_ms)")"
		put "${k}_check_d_wait_ms" "$(calc "%.2f" "$(field "$c" d_loop_wait_ms) + $(field "$c" d_ledger_wait_ms) + $(field "$c" d_workers_wait_ms)")"
		put "${k}_eval_offcpu_ms" "$(calc "%.2f" "$(field "$e" wall_p50_ms) - $(field "$e" cpu_p50_ms)")"
	done
	echo
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
entries_end="metadata-only daemon $(entries "$msock"), 10k daemon $(entries "$gsock") (last round)"

m() { med "$1"; }
verdict() { calc "%s" "($1) ? \"met\" : \"missed\""; }
echo "## results (medians of $ROUNDS rounds; latency from process start to exit)"
echo
echo "| case | consentctl check p50 / p99 (ms) | consentctl evaluate p50 / p99 (ms) | daemon overhead, p50 (ms) | check / evaluate | check server-side p50 / p99 (ms, log) | $CLIENTS clients: decisions/s (p50 / p99 ms per check) |"
echo "|---|---|---|---|---|---|---|"
echo "| metadata-only (20 rows) | $(m meta_check_wall_p50_ms) / $(m meta_check_wall_p99_ms) | $(m meta_eval_wall_p50_ms) / $(m meta_eval_wall_p99_ms) | $(m meta_overhead_ms) | $(m meta_ratio) | $(m meta_server_p50_ms) / $(m meta_server_p99_ms) | $(m meta_load_rate) ($(m meta_load_p50_ms) / $(m meta_load_p99_ms)) |"
echo "| $ROWS rows, gdpr-training-baseline | $(m gdpr_check_wall_p50_ms) / $(m gdpr_check_wall_p99_ms) | $(m gdpr_eval_wall_p50_ms) / $(m gdpr_eval_wall_p99_ms) | $(m gdpr_overhead_ms) | $(m gdpr_ratio) | $(m gdpr_server_p50_ms) / $(m gdpr_server_p99_ms) | $(m gdpr_load_rate) ($(m gdpr_load_p50_ms) / $(m gdpr_load_p99_ms)) |"
echo
echo "CPU time (ms): check = consentctl check (p50) + consentd threads (mean per check); evaluate = consentctl evaluate (p50)"
echo
echo "| case | check CPU | evaluate CPU | CPU overhead | consentd threads runnable, waiting for a CPU, per check | evaluate off CPU (wall - CPU) |"
echo "|---|---|---|---|---|---|"
echo "| metadata-only | $(m meta_check_total_cpu_ms) | $(m meta_eval_cpu_p50_ms) | $(m meta_cpu_overhead_ms) | $(m meta_check_d_wait_ms) | $(m meta_eval_offcpu_ms) |"
echo "| $ROWS rows | $(m gdpr_check_total_cpu_ms) | $(m gdpr_eval_cpu_p50_ms) | $(m gdpr_cpu_overhead_ms) | $(m gdpr_check_d_wait_ms) | $(m gdpr_eval_offcpu_ms) |"
echo
echo "| process | wall p50 / p99 (ms) | its own CPU p50 (ms) | consentd CPU per check: event loop / ledger writer / workers (ms) | consentd waiting for a CPU: event loop / ledger writer / workers (ms) |"
echo "|---|---|---|---|---|"
echo "| check_bench noop (libc only) | $(m noop_wall_p50_ms) / $(m noop_wall_p99_ms) | $(m noop_cpu_p50_ms) | | |"
echo "| start_nocurl (consentctl's libraries) | $(m start_nocurl_wall_p50_ms) / $(m start_nocurl_wall_p99_ms) | $(m start_nocurl_cpu_p50_ms) | | |"
echo "| start_curl (consentctl's libraries plus libcurl, its former transport) | $(m start_curl_wall_p50_ms) / $(m start_curl_wall_p99_ms) | $(m start_curl_cpu_p50_ms) | | |"
echo "| consentctl --version | $(m version_wall_p50_ms) / $(m version_wall_p99_ms) | $(m version_cpu_p50_ms) | | |"
echo "| consentctl check, metadata-only | $(m meta_check_wall_p50_ms) / $(m meta_check_wall_p99_ms) | $(m meta_check_cpu_p50_ms) | $(m meta_check_d_loop_run_ms) / $(m meta_check_d_ledger_run_ms) / $(m meta_check_d_workers_run_ms) | $(m meta_check_d_loop_wait_ms) / $(m meta_check_d_ledger_wait_ms) / $(m meta_check_d_workers_wait_ms) |"
echo "| check_bench post (libc-only client, same check) | $(m meta_post_wall_p50_ms) / $(m meta_post_wall_p99_ms) | $(m meta_post_cpu_p50_ms) | $(m meta_post_d_loop_run_ms) / $(m meta_post_d_ledger_run_ms) / $(m meta_post_d_workers_run_ms) | $(m meta_post_d_loop_wait_ms) / $(m meta_post_d_ledger_wait_ms) / $(m meta_post_d_workers_wait_ms) |"
echo "| consentctl evaluate, metadata-only | $(m meta_eval_wall_p50_ms) / $(m meta_eval_wall_p99_ms) | $(m meta_eval_cpu_p50_ms) | | |"
echo "| consentctl check, $ROWS rows | $(m gdpr_check_wall_p50_ms) / $(m gdpr_check_wall_p99_ms) | $(m gdpr_check_cpu_p50_ms) | $(m gdpr_check_d_loop_run_ms) / $(m gdpr_check_d_ledger_run_ms) / $(m gdpr_check_d_workers_run_ms) | $(m gdpr_check_d_loop_wait_ms) / $(m gdpr_check_d_ledger_wait_ms) / $(m gdpr_check_d_workers_wait_ms) |"
echo "| consentctl evaluate, $ROWS rows | $(m gdpr_eval_wall_p50_ms) / $(m gdpr_eval_wall_p99_ms) | $(m gdpr_eval_cpu_p50_ms) | | |"
echo
echo "targets: metadata-only check p50 <= 5 ms: $(verdict "$(m meta_check_wall_p50_ms) <= 5") ($(m meta_check_wall_p50_ms) ms);"
echo "daemon overhead over offline evaluation <= 2 ms: metadata-only $(verdict "$(m meta_overhead_ms) <= 2") ($(m meta_overhead_ms) ms), $ROWS rows $(verdict "$(m gdpr_overhead_ms) <= 2") ($(m gdpr_overhead_ms) ms)"
# Answers other than allow (and failed requests), summed over the rounds.
total() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$results"; }
echo "answers other than allow, all rounds: metadata-only check $(total meta_check_fails), libc-only client $(total meta_post_fails), evaluate $(total meta_eval_fails), load $(total meta_load_fails); $ROWS rows check $(total gdpr_check_fails), evaluate $(total gdpr_eval_fails), load $(total gdpr_load_fails)"
echo "load average at end: $load_end; ledger entries at end: $entries_end"
echo

[ "$PROFILE" = 1 ] || exit 0
echo "## profile of the metadata-only check"
echo
# The budget's state, parsed and rewritten by every reservation and
# settlement (consentd's budgets table; GET /v1/budgets when sqlite3 is
# missing).
bsize() {
	if command -v sqlite3 > /dev/null; then
		sqlite3 "file:$1/state/ledger.db?mode=ro" \
		    "SELECT length(state) FROM budgets WHERE name = 'dataset:reviews'"
	else
		"$consentctl" --json --socket "$1/sock" budget show | wc -c
	fi
}
echo "budget state of dataset:reviews after the last round (every job settled): $(bsize "$work/meta") bytes of JSON"
echo

# fsyncs and page I/O: 20 checks under strace, not settled (settlement
# would be traced too); strace slows the daemon, but fdatasync durations
# are the device's.
if command -v strace > /dev/null; then
	job fs "$mman" yaml > "$work/tpl.yaml"
	strace -f -y -T -e trace=fsync,fdatasync,pwrite64,pread64 -p "$meta_pid" \
	    -o "$work/strace.out" 2> /dev/null &
	spid=$!
	sleep 1
	"$cb" exec 20 "$work/fs.runs" --subst "$work/tpl.yaml" "$work/job.yaml" \
	    -- "$consentctl" --socket "$msock" check "$work/job.yaml" > /dev/null
	sleep 0.3
	kill "$spid"
	wait "$spid" 2> /dev/null || true
	"$cb" settle "$msock" "fs-{}" 1 20
	echo "system calls of consentd per metadata-only check (20 checks under strace -f -T):"
	awk '
	    /sync\(/ {
		f = $0; sub(/.*sync\([0-9]+</, "", f); sub(/>.*/, "", f)
		sub(/.*\//, "", f)
		t = $NF; gsub(/[<>]/, "", t)
		n[f]++; s[f] += t
	    }
	    /pwrite64\(/ { w++ }
	    /pread64\(/ { rd++ }
	    END {
		for (f in n) printf "  fdatasync on %s: %.2f per check, %.2f ms each (mean)\n", f, n[f] / 20, s[f] / n[f] * 1000
		printf "  pwrite64: %.0f per check; pread64: %.0f per check\n", w / 20, rd / 20
	    }' "$work/strace.out"
	echo
fi

echo "process start: consentctl links $(ldd "$consentctl" | wc -l) shared objects, start_nocurl $(ldd "$builddir/bench/check/start_nocurl" | wc -l), check_bench $(ldd "$cb" | wc -l)"
LD_DEBUG=statistics "$consentctl" --version 2>&1 > /dev/null |
    sed -n 's/.*\(total startup time in dynamic loader: .*\)/  consentctl: \1/p; s/.*\(number of relocations: .*\)/  consentctl: \1/p' | head -2
echo

if command -v perf > /dev/null &&
    perf record -q -o "$work/perf.probe" -- true > /dev/null 2>&1; then
	echo "perf (cpu-clock), consentctl --version x 100, by shared object:"
	perf record -q -F 10000 -o "$work/perf.ver" -- sh -c \
	    "for i in \$(seq 100); do '$consentctl' --version; done" > /dev/null 2>&1
	perf report -i "$work/perf.ver" --sort dso --stdio -g none 2> /dev/null |
	    grep '%' | head -5 | sed 's/^/  /'
	echo
	# CPU by function, inclusive: the samples whose call stack holds the
	# function (once per sample), at FREQ Hz, per run.
	# incl DATA FREQ RUNS COMM FUNCTION...
	incl() {
		i_data=$1 i_freq=$2 i_runs=$3 i_comm=$4
		shift 4
		perf script -i "$i_data" --comm "$i_comm" 2> /dev/null | awk -v freq="$i_freq" \
		    -v runs="$i_runs" -v list="$*" '
		    function flush() { if (!have) return; n++
			for (i = 1; i <= nf; i++) if (f[i] in on) c[i]++
			delete on; have = 0 }
		    BEGIN { nf = split(list, f, " ") }
		    /^[^ \t]/ { flush(); have = 1; next }
		    NF >= 2 { s = $2; sub(/\+0x.*/, "", s); on[s] = 1 }
		    END { flush()
			printf "  (all samples: %.2f ms of CPU per run)\n", n / freq * 1000 / runs
			for (i = 1; i <= nf; i++)
				printf "  %-30s %5.1f%%  %7.3f ms\n", f[i], 100 * c[i] / (n ? n : 1), c[i] / freq * 1000 / runs }'
	}
	# consentd during 100 metadata-only checks, settled every 16 as in the
	# rounds (settlement is in the samples too: settle_run).
	job pf "$mman" yaml > "$work/tpl.yaml"
	perf record -q --call-graph dwarf,16384 -F 1000 -p "$meta_pid" \
	    -o "$work/perf.d" > /dev/null 2>&1 &
	ppid=$!
	sleep 1
	"$cb" exec 100 "$work/pf.runs" --subst "$work/tpl.yaml" "$work/job.yaml" \
	    --pid "$meta_pid" --finish "$msock" "pf-{}" 16 -- \
	    "$consentctl" --socket "$msock" check "$work/job.yaml" > "$work/pf.out"
	kill -INT "$ppid"
	wait "$ppid" 2> /dev/null || true
	echo "consentd under perf (ledger of $(entries "$msock") entries), 100 metadata-only checks settled every 16; per check, during the timed checks alone: event loop $(field "$work/pf.out" d_loop_run_ms), ledger writer $(field "$work/pf.out" d_ledger_run_ms), workers $(field "$work/pf.out" d_workers_run_ms) ms of CPU. By function, inclusive, per check and its settlement:"
	incl "$work/perf.d" 1000 100 consentd \
	    check_work ledger_snapshot_open ledger_open ledger_check_entries \
	    store_open manifest_parse_file eval_run check_commit budget_reserve \
	    budget_job_cost state_load budget_index_entry ledger_append_json \
	    ledger_commit service_checkpoint note_sign ledger_receipt_json \
	    settle_run json_load_checked json_dumps event_base_loop
	echo
	# consentctl itself during 50 metadata-only checks.
	job pc "$mman" yaml > "$work/tpl.yaml"
	perf record -q --call-graph dwarf,16384 -F 5000 -o "$work/perf.c" -- \
	    "$cb" exec 50 /dev/null --subst "$work/tpl.yaml" "$work/job.yaml" \
	    --finish "$msock" "pc-{}" 10 -- \
	    "$consentctl" --socket "$msock" check "$work/job.yaml" > /dev/null 2>&1
	echo "consentctl check, metadata-only, under perf, by function, inclusive, per run (outside main: process start and exit):"
	incl "$work/perf.c" 5000 50 consentctl \
	    _dl_start _dl_relocate_object main load_job cli_call \
	    curl_global_init curl_easy_perform json_loadb
	echo
	# The 10k evaluation, offline (the same code runs in consentd's
	# workers).
	perf record -q --call-graph dwarf,16384 -F 2000 -o "$work/perf.e" -- \
	    "$cb" exec 10 /dev/null -- "$consentctl" evaluate --policy "$gpol" \
	    --manifest "$gman" --purpose train_ai_system \
	    --ledger "$work/gdpr/state/ledger.db" > /dev/null 2>&1
	echo "consentctl evaluate, $ROWS rows, under perf (ledger of $(entries "$gsock") entries), by function, inclusive, per run (outside main: process start and exit):"
	incl "$work/perf.e" 2000 10 consentctl \
	    main ledger_consent_source_open ledger_check_entries eval_run \
	    reader_next pii_row kanon_row ledger_snapshot_lookup \
	    snapshot_purpose ledger_subject_lookup_key store_subject_get
	echo
fi

# Open reservations: checks that are not settled keep a reservation each
# in the budget's state, which every later check reads and rewrites.
echo "open reservations: $GROWTH_N metadata-only checks without settling, on a fresh daemon"
start growth "$work/pol-meta"
gsock2=$work/growth/sock
"$consentctl" --socket "$gsock2" consent import "$data/consents.csv" > /dev/null
job gr "$mman" yaml > "$work/tpl.yaml"
"$cb" exec "$GROWTH_N" "$work/growth.runs" --subst "$work/tpl.yaml" "$work/job.yaml" \
    --pid "$growth_pid" -- \
    "$consentctl" --socket "$gsock2" check "$work/job.yaml" > "$work/growth.out"
tenth=$((GROWTH_N / 10))
p50() { cut -d' ' -f"$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "  check p50 over the first $tenth: $(head -n "$tenth" "$work/growth.runs" | p50 1) ms; over the last $tenth: $(tail -n "$tenth" "$work/growth.runs" | p50 1) ms"
echo "  budget state after $GROWTH_N open reservations: $(bsize "$work/growth") bytes; consentd ledger writer CPU per check over the series: $(field "$work/growth.out" d_ledger_run_ms) ms"
"$cb" settle "$gsock2" "gr-{}" 1 "$GROWTH_N"
echo

# Ledger size: every check opens the ledger for its consent snapshot.
n0=$(entries "$gsock2")
job l0 "$mman" yaml > "$work/tpl.yaml"
"$cb" exec 50 "$work/l0.runs" --subst "$work/tpl.yaml" "$work/job.yaml" \
    --pid "$growth_pid" --finish "$gsock2" "l0-{}" 16 -- \
    "$consentctl" --socket "$gsock2" check "$work/job.yaml" > "$work/l0.out"
"$cb" exec 50 "$work/e0.runs" -- "$consentctl" evaluate --policy "$mpol" \
    --manifest "$mman" --purpose train_ai_system \
    --ledger "$work/growth/state/ledger.db" > "$work/e0.out"
"$top/bench/check/gen-data.sh" "$work/big" big "$LEDGER_N"
"$consentctl" --socket "$gsock2" consent import "$work/big/big-consents.csv" > /dev/null
n1=$(entries "$gsock2")
job l1 "$mman" yaml > "$work/tpl.yaml"
"$cb" exec 50 "$work/l1.runs" --subst "$work/tpl.yaml" "$work/job.yaml" \
    --pid "$growth_pid" --finish "$gsock2" "l1-{}" 16 -- \
    "$consentctl" --socket "$gsock2" check "$work/job.yaml" > "$work/l1.out"
"$cb" exec 50 "$work/e1.runs" -- "$consentctl" evaluate --policy "$mpol" \
    --manifest "$mman" --purpose train_ai_system \
    --ledger "$work/growth/state/ledger.db" > "$work/e1.out"
"$cb" exec 50 "$work/e2.runs" -- "$consentctl" evaluate --policy "$mpol" \
    --manifest "$mman" --purpose train_ai_system > "$work/e2.out"
echo "ledger size: metadata-only check (50 runs, settled) and evaluate --ledger (50 runs), p50"
echo "| ledger entries | check wall (ms) | consentd workers CPU per check (ms) | evaluate --ledger wall / CPU (ms) |"
echo "|---|---|---|---|"
echo "| $n0 | $(field "$work/l0.out" wall_p50_ms) | $(field "$work/l0.out" d_workers_run_ms) | $(field "$work/e0.out" wall_p50_ms) / $(field "$work/e0.out" cpu_p50_ms) |"
echo "| $n1 | $(field "$work/l1.out" wall_p50_ms) | $(field "$work/l1.out" d_workers_run_ms) | $(field "$work/e1.out" wall_p50_ms) / $(field "$work/e1.out" cpu_p50_ms) |"
echo "evaluate without --ledger (no consent rule in this policy): $(field "$work/e2.out" wall_p50_ms) / $(field "$work/e2.out" cpu_p50_ms) ms"
echo "per 1000 ledger entries: consentd workers $(calc "%.3f" "($(field "$work/l1.out" d_workers_run_ms) - $(field "$work/l0.out" d_workers_run_ms)) / ($n1 - $n0) * 1000") ms CPU per check, evaluate $(calc "%.3f" "($(field "$work/e1.out" cpu_p50_ms) - $(field "$work/e0.out" cpu_p50_ms)) / ($n1 - $n0) * 1000") ms CPU"
