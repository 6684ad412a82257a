#!/bin/sh
# Ledger benchmark, side by side on the same rows: bulk import and 32
# concurrent single appends through consentd, raw SQLite inserts of the same
# entry bytes (batched: the ceiling; one transaction per row: the naive
# design), the ledger library in-process, offline verify of a large ledger
# beside sha256sum of its bytes, and inclusion/consistency proof times.
#
# usage: bench/ledger/run.sh [BUILDDIR]      (from the source tree; default ./build)
# build first: make consentd consentctl bench/ledger/ledger_bench bench/ledger/loadgen
# environment (defaults): N=200000 rows; VERIFY_N=1000000 entries for verify
# and proofs; RUNS=3; CLIENTS=32; SINGLE_N=$N requests; FSYNC_N=2000 rows;
# PROOFS=10000 of each kind; CHECKPOINT_EVERY=10000 entries (big ledger).
# Every figure is the median of RUNS runs; wall-clock rates come with the CPU
# time behind them, because on a shared machine the wall clock includes
# other people's work.
set -eu

builddir=${1:-build}
N=${N:-200000}
VERIFY_N=${VERIFY_N:-1000000}
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-32}
SINGLE_N=${SINGLE_N:-$N}
FSYNC_N=${FSYNC_N:-2000}
PROOFS=${PROOFS:-10000}
CHECKPOINT_EVERY=${CHECKPOINT_EVERY:-10000}

consentd=$builddir/consentd
consentctl=$builddir/consentctl
lb=$builddir/bench/ledger/ledger_bench
loadgen=$builddir/bench/ledger/loadgen
for p in "$consentd" "$consentctl" "$lb" "$loadgen"; do
	[ -x "$p" ] || {
		echo "missing $p: in $builddir run make consentd consentctl bench/ledger/ledger_bench bench/ledger/loadgen" >&2
		exit 2
	}
done
if [ -x /usr/bin/time ]; then timer=/usr/bin/time; else timer=; fi
hz=$(getconf CLK_TCK)

work_prefix=consentd-bench-ledger
. "$(dirname "$0")/daemon.sh"
results=$work/results

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
# Appends "KEY VALUE" to the results.
put() { echo "$1 $2" >> "$results"; }
# The median of a key's values.
med() {
	awk -v k="$1" '$1 == k { print $2 }' "$results" | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}
# A field of a "name key value key value ..." line.
field() { awk -v k="$2" '{ for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Runs a command; its user+system CPU seconds go to $work/cpu.
timed() {
	if [ -n "$timer" ]; then
		"$timer" -f "%U %S" -o "$work/cpu.raw" "$@"
		awk '{ s = $1 + $2 } END { printf "%.2f\n", s }' "$work/cpu.raw" > "$work/cpu"
	else
		"$@"
		echo 0 > "$work/cpu"
	fi
}

# consentd's CPU seconds: "main other", the event loop thread (HTTP) and the
# other threads (the ledger writer).
daemon_cpu() {
	for t in /proc/"$daemon_pid"/task/*; do
		echo "${t##*/} $(cut -d')' -f2 "$t/stat")"
	done | awk -v pid="$daemon_pid" -v hz="$hz" '
	    { c = ($13 + $14) / hz; if ($1 == pid) m += c; else o += c }
	    END { printf "%.2f %.2f\n", m, o }'
}
# "main other" CPU between two daemon_cpu snapshots, and their sum.
cpu_delta() {
	echo "$1 $2" | awk '{ printf "%.2f %.2f %.2f\n", $3 - $1, $4 - $2, $3 - $1 + $4 - $2 }'
}

echo "# consentd ledger benchmark"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit: $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "machine: $(nproc) cpus, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rows: N=$N (single appends: $SINGLE_N, fsync per row: $FSYNC_N), verify/proofs: $VERIFY_N entries, runs: $RUNS"
echo

csv=$work/rows.csv
"$lb" gen "$N" "$csv"

echo "## 1. bulk import: consentctl consent import (requests of up to 10000 events, the next read while one is recorded) into a fresh consentd"
for r in $(seq "$RUNS"); do
	daemon_start
	c0=$(daemon_cpu)
	t0=$(now)
	timed "$consentctl" --socket "$work/sock" consent import "$csv" > "$work/import.out"
	t1=$(now)
	c1=$(daemon_cpu)
	daemon_stop
	grep -q "^$N accepted, 0 rejected" "$work/import.out" || {
		echo "import failed:" >&2; cat "$work/import.out" >&2; exit 3; }
	s=$(calc "%.3f" "$t1 - $t0")
	set -- $(cpu_delta "$c0" "$c1")
	put import_s "$s"
	put import_rate "$(calc "%.0f" "$N / $s")"
	put import_daemon_cpu "$3"
	put import_http_cpu "$1"
	put import_writer_cpu "$2"
	put import_client_cpu "$(cat "$work/cpu")"
	echo "run $r: $s s, $(calc "%.0f" "$N / $s") entries/s; CPU: consentd $3 s (event loop $1, writer $2), consentctl $(cat "$work/cpu") s; load $(load)"
done
echo

echo "## 2. single appends: $CLIENTS clients, one event per POST /v1/consents, keep-alive"
for r in $(seq "$RUNS"); do
	daemon_start
	c0=$(daemon_cpu)
	timed "$loadgen" "$work/sock" "$CLIENTS" "$SINGLE_N" > "$work/loadgen.out"
	c1=$(daemon_cpu)
	daemon_stop
	cat "$work/loadgen.out"
	put single_rate "$(field "$work/loadgen.out" requests_per_s)"
	put single_p50 "$(field "$work/loadgen.out" p50_ms)"
	put single_p99 "$(field "$work/loadgen.out" p99_ms)"
	set -- $(cpu_delta "$c0" "$c1")
	put single_daemon_cpu "$3"
	put single_http_cpu "$1"
	put single_writer_cpu "$2"
	put single_client_cpu "$(cat "$work/cpu")"
	echo "run $r: CPU: consentd $3 s (event loop $1, writer $2), loadgen $(cat "$work/cpu") s; load $(load)"
done
echo

wide=$((CLIENTS * 4))
echo "## 2b. the same with $wide clients (one run): does group commit scale with concurrency?"
daemon_start
timed "$loadgen" "$work/sock" "$wide" "$SINGLE_N" > "$work/loadgen.out"
daemon_stop
cat "$work/loadgen.out"
put wide_rate "$(field "$work/loadgen.out" requests_per_s)"
put wide_p50 "$(field "$work/loadgen.out" p50_ms)"
put wide_p99 "$(field "$work/loadgen.out" p99_ms)"
echo

echo "## 3. raw SQLite: the same entry bytes, one transaction per 1000 rows (WAL, synchronous=FULL)"
for r in $(seq "$RUNS"); do
	rm -f "$work/raw.db" "$work/raw.db-wal" "$work/raw.db-shm"
	"$lb" raw "$work/raw.db" "$N" 1000 | tee "$work/raw.out"
	put raw_rate "$(field "$work/raw.out" rows_per_s)"
	put raw_cpu "$(field "$work/raw.out" cpu_s)"
	put raw_bytes "$(field "$work/raw.out" bytes_per_row)"
	put raw_written "$(field "$work/raw.out" written_per_row)"
done
echo

echo "## 3a. the ledger's SQLite work alone (store.h: subject map, consent index, entry, hashes), 1000 rows/txn"
for r in $(seq "$RUNS"); do
	rm -f "$work/store.db" "$work/store.db-wal" "$work/store.db-shm"
	"$lb" store "$work/store.db" "$N" 1000 | tee "$work/store.out"
	put store_rate "$(field "$work/store.out" rows_per_s)"
	put store_cpu "$(field "$work/store.out" cpu_s)"
	put store_written "$(field "$work/store.out" written_per_row)"
done
rm -f "$work/store.db"*
echo

echo "## 4. fsync per insert: one transaction per row"
for r in $(seq "$RUNS"); do
	rm -f "$work/fsync.db" "$work/fsync.db-wal" "$work/fsync.db-shm"
	"$lb" raw "$work/fsync.db" "$FSYNC_N" 1 | tee "$work/fsync.out"
	put fsync_rate "$(field "$work/fsync.out" rows_per_s)"
done
echo

echo "## 3b. the ledger library in-process (lib/ledger.h, no HTTP): transactions of 1000"
for r in $(seq "$RUNS"); do
	rm -rf "$work/lib"
	mkdir -m 700 "$work/lib"
	"$lb" make "$work/lib" "$N" "$CHECKPOINT_EVERY" | tee "$work/lib.out"
	put lib_rate "$(field "$work/lib.out" entries_per_s)"
	put lib_cpu "$(field "$work/lib.out" cpu_s)"
	put lib_written "$(field "$work/lib.out" written_per_entry)"
done
rm -rf "$work/lib" "$work/raw.db"*
echo

echo "## 5. offline verify of $VERIFY_N entries beside sha256sum of their bytes"
big=$work/big
mkdir -m 700 "$big"
echo "building the ledger with lib/ledger.h (transactions of 1000, a checkpoint every $CHECKPOINT_EVERY entries):"
"$lb" make "$big" "$VERIFY_N" "$CHECKPOINT_EVERY" | tee "$work/big.out"
"$lb" bytes "$big/ledger.db" "$work/entries.bin"
echo "ledger.db: $(du -k "$big/ledger.db" | cut -f1) KiB; entry bytes: $(wc -c < "$work/entries.bin") bytes"
cat "$big/ledger.db" "$work/entries.bin" > /dev/null
for r in $(seq "$RUNS"); do
	t0=$(now)
	timed "$consentctl" ledger verify --db "$big/ledger.db" --key "$big/ledger.vkey" > "$work/verify.out"
	t1=$(now)
	grep -q "^OK: $VERIFY_N entries" "$work/verify.out" || {
		echo "verify failed:" >&2; cat "$work/verify.out" >&2; exit 3; }
	v=$(calc "%.3f" "$t1 - $t0")
	vc=$(cat "$work/cpu")
	t0=$(now)
	timed sha256sum "$work/entries.bin" > /dev/null
	t1=$(now)
	h=$(calc "%.3f" "$t1 - $t0")
	hc=$(cat "$work/cpu")
	put verify_s "$v"
	put verify_cpu "$vc"
	put sha_s "$h"
	put sha_cpu "$hc"
	put verify_ratio "$(calc "%.1f" "$v / $h")"
	put verify_cpu_ratio "$(calc "%.1f" "$vc / ($hc > 0 ? $hc : 0.01)")"
	echo "run $r: verify $v s (CPU $vc s), sha256sum $h s (CPU $hc s), ratio $(calc "%.1f" "$v / $h"); load $(load)"
done
echo

echo "## 6. proofs at $VERIFY_N entries: $PROOFS random inclusion and consistency proofs (in-process)"
for r in $(seq "$RUNS"); do
	"$lb" proofs "$big/ledger.db" "$PROOFS" | tee "$work/proofs.out"
	for k in inclusion consistency inclusion_in_read_txn; do
		grep "^$k count" "$work/proofs.out" > "$work/p"
		for q in median_us p99_us cpu_median_us cpu_p99_us; do
			put "${k}_$q" "$(field "$work/p" $q)"
		done
	done
	put proof_open "$(grep '^open' "$work/proofs.out" | awk '{ print $5 }')"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

raw=$(med raw_rate)
imp=$(med import_rate)
single=$(med single_rate)
p99=$(med single_p99)
ver=$(med verify_s)
fsync=$(med fsync_rate)
inc99=$(med inclusion_p99_us)
con99=$(med consistency_p99_us)
inc99c=$(med inclusion_cpu_p99_us)
con99c=$(med consistency_cpu_p99_us)
per_k() { calc "%.1f" "1e6 * $1 / $2"; }  # microseconds per row
verdict() { if [ "$1" = 1 ]; then echo met; else echo "NOT met"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? 1 : 0 }'; }

echo "## summary (medians of $RUNS runs)"
echo
echo "| measurement | rows | wall-clock result | vs raw SQLite | CPU per row | written per row |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| bulk import (consentctl, 10000/request, pipelined) | $N | $imp entries/s | $(calc "%.2f" "$imp / $raw") | consentd $(per_k "$(med import_daemon_cpu)" "$N") us (writer $(per_k "$(med import_writer_cpu)" "$N")) + consentctl $(per_k "$(med import_client_cpu)" "$N") us | |"
echo "| $CLIENTS clients, 1 event/request | $SINGLE_N | $single req/s, p50 $(med single_p50) ms, p99 $p99 ms | $(calc "%.2f" "$single / $raw") | consentd $(per_k "$(med single_daemon_cpu)" "$SINGLE_N") us (writer $(per_k "$(med single_writer_cpu)" "$SINGLE_N")) + loadgen $(per_k "$(med single_client_cpu)" "$SINGLE_N") us | |"
echo "| $wide clients, 1 event/request (1 run) | $SINGLE_N | $(med wide_rate) req/s, p50 $(med wide_p50) ms, p99 $(med wide_p99) ms | $(calc "%.2f" "$(med wide_rate) / $raw") | | |"
echo "| ledger library in-process, 1000/txn | $N | $(med lib_rate) entries/s | $(calc "%.2f" "$(med lib_rate) / $raw") | $(per_k "$(med lib_cpu)" "$N") us | $(med lib_written) B |"
echo "| its SQLite work alone (store.h), 1000/txn | $N | $(med store_rate) rows/s | $(calc "%.2f" "$(med store_rate) / $raw") | $(per_k "$(med store_cpu)" "$N") us | $(med store_written) B |"
echo "| raw SQLite, 1000 rows/txn (ceiling) | $N | $raw rows/s | 1.00 | $(per_k "$(med raw_cpu)" "$N") us | $(med raw_written) B |"
echo "| raw SQLite, 1 row/txn (fsync each) | $FSYNC_N | $fsync rows/s | $(calc "%.3f" "$fsync / $raw") | | |"
echo "| consentctl ledger verify --db | $VERIFY_N | $ver s | | $(per_k "$(med verify_cpu)" "$VERIFY_N") us ($(med verify_cpu) s) | |"
echo "| sha256sum of the same entry bytes | $VERIFY_N | $(med sha_s) s | | $(per_k "$(med sha_cpu)" "$VERIFY_N") us ($(med sha_cpu) s) | |"
echo "| inclusion proof | $VERIFY_N | median $(med inclusion_median_us) us, p99 $inc99 us | | median $(med inclusion_cpu_median_us) us, p99 $inc99c us | |"
echo "| consistency proof | $VERIFY_N | median $(med consistency_median_us) us, p99 $con99 us | | median $(med consistency_cpu_median_us) us, p99 $con99c us | |"
echo "| inclusion proof in one read transaction | $VERIFY_N | median $(med inclusion_in_read_txn_median_us) us, p99 $(med inclusion_in_read_txn_p99_us) us | | median $(med inclusion_in_read_txn_cpu_median_us) us, p99 $(med inclusion_in_read_txn_cpu_p99_us) us | |"
echo "| ledger_open read-only (before proofs) | $VERIFY_N | $(med proof_open) s | | | |"
echo
echo "verify / sha256sum: wall $(med verify_ratio)x, CPU $(med verify_cpu_ratio)x"
echo "closed-loop bound for $CLIENTS clients if every commit cost one fsync-per-insert transaction: $(calc "%.0f" "$CLIENTS * $fsync")/s"
echo
echo "targets (wall clock, as measured on this machine):"
echo "- bulk >= 100000 entries/s and >= 60% of raw SQLite: $imp/s, $(calc "%.0f" "100 * $imp / $raw")% of raw: $(verdict "$(ge "$imp" 100000)") / $(verdict "$(ge "$imp" "$(calc "%.0f" "0.6 * $raw")")")"
echo "- single appends >= 10000/s with p99 <= 20 ms: $single/s, p99 $p99 ms: $(verdict "$(ge "$single" 10000)") / $(verdict "$(le "$p99" 20)")"
echo "- verify of $VERIFY_N entries <= 3 s: $ver s (CPU $(med verify_cpu) s): $(verdict "$(le "$ver" 3)") (by CPU: $(verdict "$(le "$(med verify_cpu)" 3)"))"
echo "- proof generation <= 1 ms: p99 inclusion $inc99 us, consistency $con99 us: $(verdict "$(le "$inc99" 1000)") / $(verdict "$(le "$con99" 1000)") (by CPU p99 $inc99c / $con99c us: $(verdict "$(le "$inc99c" 1000)") / $(verdict "$(le "$con99c" 1000)"))"
