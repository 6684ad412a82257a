#!/bin/sh
# Scan benchmark: `consentctl evaluate` (the offline product path) over a
# generated CSV of about SIZE_MB megabytes (10 columns, some with PII, a
# subject column) against a ledger of SUBJECTS subjects, in three modes:
#   (a) consent join only: every row's subject looked up in the ledger
#   (b) the default PII detectors only, on every column
#   (c) consent + PII + k-anonymity (city x age_band, k = 5)
# and, as the baseline, ripgrep -j1 --count-matches with regular
# expressions for the same kinds of PII (no validation, no columns). For
# reference also bench_scan (reader and detectors without the evaluator)
# and its --read-only mode, (a) on a 1000-row file (the fixed cost of
# loading the consent snapshot), and (a)-(c) on a SMALL_MB file, to show
# that peak RSS does not grow with the file.
#
# Each figure is the median of RUNS runs (each measure on its own): wall
# clock, CPU time (user + system; evaluate and bench_scan use one thread)
# and peak RSS, from /usr/bin/time. On a shared machine the wall clock
# also counts time other processes held the core; CPU time is the
# one-core figure.
#
# usage: bench/scan/run.sh [BUILDDIR]   (from the source tree; default build)
# build first: make consentctl bench/scan/bench_scan bench/ledger/ledger_bench
# environment (defaults): SIZE_MB=1000 SMALL_MB=100 SUBJECTS=1000000 RUNS=3
# PURPOSE=analytics. Inputs are cached in ${TMPDIR:-/tmp}/consentd-bench-scan
# (the CSVs by size and gen.py's hash, the ledger by SUBJECTS); remove that
# directory to free the space (about 4 GB with the defaults).
set -eu

builddir=${1:-build}
SIZE_MB=${SIZE_MB:-1000}
SMALL_MB=${SMALL_MB:-100}
SUBJECTS=${SUBJECTS:-1000000}
RUNS=${RUNS:-3}
PURPOSE=${PURPOSE:-analytics}
here=$(dirname "$0")

consentctl=$builddir/consentctl
bench=$builddir/bench/scan/bench_scan
lb=$builddir/bench/ledger/ledger_bench
for p in "$consentctl" "$bench" "$lb"; do
	[ -x "$p" ] || {
		echo "missing $p: in $builddir run make consentctl bench/scan/bench_scan bench/ledger/ledger_bench" >&2
		exit 2
	}
done
command -v rg > /dev/null || { echo "ripgrep (rg) is needed for the baseline" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed" >&2; exit 2; }

cache=${TMPDIR:-/tmp}/consentd-bench-scan
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/consentd-bench-scan-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
results=$work/results

# Inputs. The ledger: `ledger_bench make` records 2 events per subject
# user-00000000 ... (model-training granted; analytics granted by four
# subjects in five, revoked by the fifth), with the subject key beside the
# database, as consentd keeps it.
ledger=$cache/ledger-$SUBJECTS
if [ ! -f "$ledger/ledger.vkey" ]; then
	echo "building the ledger: $((2 * SUBJECTS)) events, $SUBJECTS subjects ($ledger)"
	rm -rf "$ledger" "$ledger.tmp"
	mkdir -p "$ledger.tmp"
	"$lb" make "$ledger.tmp" $((2 * SUBJECTS)) 100000
	mv "$ledger.tmp" "$ledger"
fi
gen=$(sha256sum "$here/gen.py" | cut -c1-8)
# data NAME MB: the CSV and its manifest, generated once.
data() {
	csv=$cache/$1-$gen.csv
	if [ ! -f "$csv" ]; then
		echo "generating $csv ($2 MB)"
		python3 "$here/gen.py" --subjects "$SUBJECTS" --mb "$2" "$csv.tmp"
		mv "$csv.tmp" "$csv"
	fi
	cat > "$cache/$1-$gen.yaml" <<EOM
dataset: $1
path: $1-$gen.csv
subject_field: user_id
fields:
  user_id: { category: user.unique_id, role: identifier }
  city: { category: user.location.imprecise, role: quasi_identifier }
  age_band: { category: user.demographic.age_range, role: quasi_identifier }
  created: { role: timestamp }
EOM
}
data "scan-${SIZE_MB}MB" "$SIZE_MB"
big=$csv
data "scan-${SMALL_MB}MB" "$SMALL_MB"
small=$csv
tiny=$cache/scan-tiny-$gen.csv
head -n 1001 "$big" > "$tiny"
sed "s/scan-${SIZE_MB}MB-$gen.csv/scan-tiny-$gen.csv/; s/^dataset: .*/dataset: scan-tiny/" \
    "$cache/scan-${SIZE_MB}MB-$gen.yaml" > "$cache/scan-tiny-$gen.yaml"

cat > "$work/consent.yaml" <<EOM
name: scan-consent
rules:
  - name: consented
    consent: { max_missing: 0 }
EOM
cat > "$work/pii.yaml" <<EOM
name: scan-pii
rules:
  - name: no-raw-pii
    pii: { max_rate: 0 }
EOM
cat > "$work/full.yaml" <<EOM
name: scan-full
rules:
  - name: consented
    consent: { max_missing: 0 }
  - name: no-raw-pii
    pii: { max_rate: 0 }
  - name: k-anonymous
    k_anonymity: { k: 5 }
EOM

load() { cut -d' ' -f1 /proc/loadavg; }
# timed KEY BYTES ROWS CMD...: one run; appends "KEY wall cpu rss_kib bytes
# rows load" to the results. ROWS "-" takes the rows from evaluate's JSON.
timed() {
	key=$1 bytes=$2 rows=$3
	shift 3
	l=$(load)
	rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" || rc=$?
	[ "$rc" -le 1 ] || { echo "$key: exit status $rc" >&2; cat "$work/out" >&2; exit 1; }
	if [ "$rows" = - ]; then
		rows=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["datasets"][0]["rows"])' "$work/out")
	fi
	tail -n 1 "$work/time" | awk -v k="$key" -v b="$bytes" -v r="$rows" -v l="$l" \
	    '{ printf "%s %s %.2f %s %s %s %s\n", k, $1, $2 + $3, $4, b, r, l }' >> "$results"
}
# evaluate KEY POLICY CSV: evaluate's JSON kept per key, for the reasons
# and the rules' own times.
evaluate() {
	m=${3%.csv}.yaml
	timed "$1" "$(wc -c < "$3")" - "$consentctl" --json evaluate \
	    --policy "$work/$2.yaml" --manifest "$m" --purpose "$PURPOSE" \
	    --ledger "$ledger/ledger.db"
	python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' \
	    "$work/out" >> "$work/$1.json"
}

# The same kinds of PII, as regular expressions without validation.
email="[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
phone='(\+[0-9][0-9 ()-]{7,18}[0-9]|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}|0[0-9]{1,4}( [0-9]{2,8}){1,4})'
card='\b[0-9]{4}([ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}\b'
iban='\b[A-Za-z]{2}[0-9]{2}( ?[A-Za-z0-9]{4}){2,7}( ?[A-Za-z0-9]{1,4})?\b'
ssn='\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b'
ipv4='\b([0-9]{1,3}\.){3}[0-9]{1,3}\b'
ipv6='\b[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}\b'

bigsize=$(wc -c < "$big")
bigrows=$(($(wc -l < "$big") - 1))
echo "file: $big ($bigsize bytes, $bigrows rows); small: $small ($(wc -c < "$small") bytes)"
echo "ledger: $ledger/ledger.db ($(wc -c < "$ledger/ledger.db") bytes, $SUBJECTS subjects), purpose $PURPOSE"
echo "machine: $(nproc) cpus, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: $(rg --version | sed -n 1p), $("$consentctl" --version)"

cat "$big" "$small" "$ledger/ledger.db" > /dev/null # into the page cache
for i in $(seq "$RUNS"); do
	echo "run $i of $RUNS"
	evaluate a consent "$big"
	evaluate b pii "$big"
	evaluate c full "$big"
	timed rg "$bigsize" "$bigrows" rg -j1 --count-matches -e "$email" \
	    -e "$phone" -e "$card" -e "$iban" -e "$ssn" -e "$ipv4" -e "$ipv6" "$big"
	timed bench_scan "$bigsize" "$bigrows" "$bench" "$big"
	[ "$i" -gt 1 ] || grep '^hits' "$work/out" > "$work/hits"
	timed read_only "$bigsize" "$bigrows" "$bench" --read-only "$big"
	evaluate a_small consent "$small"
	evaluate b_small pii "$small"
	evaluate c_small full "$small"
	evaluate a_tiny consent "$tiny"
done
echo "load average during the runs: $(awk '{ print $7 }' "$results" | sort -g | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /')"
echo

# Medians, each column on its own.
med() {
	awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$results" | sort -g |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
rg_wall=$(echo "$bigsize $(med rg 2)" | awk '{ print $1 / 1e6 / $2 }')
rg_cpu=$(echo "$bigsize $(med rg 3)" | awk '{ print $1 / 1e6 / $2 }')
printf '| what | file | wall s | CPU s | MB/s wall | MB/s CPU | rows/s wall | rows/s CPU | peak RSS MiB | x ripgrep (CPU) | x ripgrep (wall) |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for key in a b c rg bench_scan read_only a_small b_small c_small a_tiny; do
	case $key in
	a) what="(a) consent join" ;;
	b) what="(b) PII detectors" ;;
	c) what="(c) consent + PII + k-anonymity" ;;
	rg) what="ripgrep -j1 --count-matches, 7 patterns" ;;
	bench_scan) what="bench_scan: reader + detectors" ;;
	read_only) what="bench_scan --read-only: reader" ;;
	a_small) what="(a) consent join" ;;
	b_small) what="(b) PII detectors" ;;
	c_small) what="(c) consent + PII + k-anonymity" ;;
	a_tiny) what="(a) consent join, 1000 rows" ;;
	esac
	wall=$(med "$key" 2) cpu=$(med "$key" 3) rss=$(med "$key" 4)
	bytes=$(med "$key" 5) rows=$(med "$key" 6)
	# Ratios to ripgrep only for the same file.
	case $key in
	*_small | *_tiny) rc=0 rw=0 ;;
	*) rc=$rg_cpu rw=$rg_wall ;;
	esac
	echo "$what|$bytes|$rows|$wall|$cpu|$rss|$rc|$rw" | awk -F'|' '{
		mbw = $2 / 1e6 / $4; mbc = $2 / 1e6 / $5
		printf "| %s | %.1f MB | %.2f | %.2f | %.1f | %.1f | %.0f | %.0f | %.1f | %s | %s |\n",
		    $1, $2 / 1e6, $4, $5, mbw, mbc, $3 / $4, $3 / $5, $6 / 1024,
		    ($7 > 0 ? sprintf("%.2f", mbc / $7) : "-"),
		    ($8 > 0 ? sprintf("%.2f", mbw / $8) : "-")
	}'
done
echo
echo "ripgrep memory-maps the file: its peak RSS counts the file's pages."
echo "ripgrep counts and consentd hits are not the same thing: ripgrep counts"
echo "regex matches; bench_scan counts validated values per detector."
cat "$work/hits"
echo

# What each rule found and its own time (median of the runs, from
# evaluate's duration_us; the consent rule's includes loading the snapshot).
python3 - "$work" <<'EOF'
import json, os, statistics, sys
work = sys.argv[1]
for key in ("a", "b", "c", "a_small", "c_small", "a_tiny"):
    runs = [json.loads(l) for l in open(os.path.join(work, key + ".json"))
            if l.strip()]
    d = runs[0]
    print("%s: decision %s, %d rows, evaluation %.2f s" % (key, d["decision"],
          d["datasets"][0]["rows"],
          statistics.median(r["duration_us"] for r in runs) / 1e6))
    for i, rule in enumerate(d["policies"][0]["rules"]):
        t = statistics.median(r["policies"][0]["rules"][i]["duration_us"]
                              for r in runs)
        print("  %-12s %7.2f s  %s: %s" % (rule["name"], t / 1e6,
              rule["outcome"], rule["reason"]))
EOF
