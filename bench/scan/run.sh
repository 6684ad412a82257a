#!/bin/sh
# Scan benchmark: consentd's reader + default detectors against ripgrep
# counting every match of equivalent regular expressions (one core).
# usage: bench/scan/run.sh [ROWS] [BUILDDIR]   (from the source tree)
set -eu
rows=${1:-1000000}
builddir=${2:-build}
here=$(dirname "$0")
bench="$builddir/bench/scan/bench_scan"
data=${TMPDIR:-/tmp}/consentd-bench-scan-$rows.csv
runs=${RUNS:-3}

[ -x "$bench" ] || { echo "build $bench first (make bench/scan/bench_scan)" >&2; exit 2; }
command -v rg > /dev/null || { echo "ripgrep (rg) is needed for the baseline" >&2; exit 2; }
[ -f "$data" ] || python3 "$here/gen.py" "$rows" "$data"
size=$(wc -c < "$data")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "file: $data ($size bytes, $rows rows)"
echo "machine: $(nproc) cpus, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"

cat "$data" > /dev/null    # warm the page cache for both tools
out=$(mktemp)
for i in $(seq "$runs"); do
	"$bench" "$data" >> "$out"
done
grep '^bytes' "$out" >&2
ours=$(awk '/^bytes/ { print $10 }' "$out" | median)
ours_cpu=$(awk '/^bytes/ { print $18 }' "$out" | median)
rows_s=$(awk '/^bytes/ { print $12 }' "$out" | median)
rss=$(awk '/^bytes/ { print $14 }' "$out" | median)
grep '^hits' "$out" | head -1
rm -f "$out"

# The same kinds of PII, as regular expressions without validation.
email="[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
phone='(\+[0-9][0-9 ()-]{7,18}[0-9]|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}|0[0-9]{1,4}( [0-9]{2,8}){1,4})'
card='\b[0-9]{4}([ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}\b'
iban='\b[A-Za-z]{2}[0-9]{2}( ?[A-Za-z0-9]{4}){2,7}( ?[A-Za-z0-9]{1,4})?\b'
ssn='\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b'
ipv4='\b([0-9]{1,3}\.){3}[0-9]{1,3}\b'
ipv6='\b[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}\b'
times=$(mktemp)
for i in $(seq "$runs"); do
	s=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$times.cpu" rg -j1 --count-matches -e "$email" \
		    -e "$phone" -e "$card" -e "$iban" -e "$ssn" -e "$ipv4" \
		    -e "$ipv6" "$data" > /dev/null
	else
		rg -j1 --count-matches -e "$email" -e "$phone" -e "$card" -e "$iban" \
		    -e "$ssn" -e "$ipv4" -e "$ipv6" "$data" > /dev/null
		echo "0 0" > "$times.cpu"
	fi
	e=$(date +%s.%N)
	echo "$s $e $(cat "$times.cpu")" | awk -v b="$size" \
	    '{ c = $3 + $4; printf "%.1f %.1f\n", b / 1e6 / ($2 - $1), (c > 0 ? b / 1e6 / c : 0) }' >> "$times"
done
rg_mbs=$(cut -d' ' -f1 "$times" | median)
rg_cpu=$(cut -d' ' -f2 "$times" | median)
rm -f "$times" "$times.cpu"
echo "consentd scan: $ours MB/s wall, $ours_cpu MB/s CPU, $rows_s rows/s, peak RSS $rss KiB (median of $runs)"
echo "ripgrep -j1:   $rg_mbs MB/s wall, $rg_cpu MB/s CPU (median of $runs)"
echo "ratio (consentd / ripgrep): $(echo "$ours $rg_mbs" | awk '{ printf "%.2f", $1 / $2 }') wall, $(echo "$ours_cpu $rg_cpu" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }') CPU"
