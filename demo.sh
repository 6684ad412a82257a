#!/bin/sh
# The main job, end to end, on the embedded default configuration in a
# scratch directory: build, start consentd, record consents, run
# pre-training checks (one passes; one is blocked for personal data in the
# data, one by an exhausted privacy budget, one for a revoked consent),
# show the audit trail, lineage and a report (HTML written to a file),
# verify the ledger offline, and stop cleanly. Safe to rerun.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
builddir="$top/build"
"$top/contrib/bootstrap.sh" "$builddir"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/consentd-demo.XXXXXX")
sock="$scratch/consentd.sock"
mkdir -p "$scratch/policies"
cp "$top/policies/gdpr-training-baseline.yaml" "$scratch/policies/"
"$top/contrib/demo/make-data.sh" "$scratch/data"

ctl() { echo "\$ consentctl $*"; "$builddir/consentctl" --socket "$sock" "$@"; }
# A blocked check exits 1: show it, and carry on.
ctl_blocked() {
	status=0
	ctl "$@" || status=$?
	if [ "$status" -ne 1 ]; then
		echo "demo: expected this check to be blocked (exit 1), got $status" >&2
		exit 1
	fi
	echo "(exit status 1: the pipeline stops here)"
}

"$builddir/consentd" --foreground --state-dir "$scratch/state" \
	--socket "$sock" --policies "$scratch/policies" \
	>"$scratch/consentd.log" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	echo "(scratch directory: $scratch; daemon log: $scratch/consentd.log)"
}
trap cleanup EXIT
i=0
until [ -S "$sock" ]; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$scratch/consentd.log" >&2
		echo "consentd did not start" >&2
		exit 1
	fi
	sleep 0.05
done

echo "== consentd is running (embedded default configuration, scratch state in $scratch)"
ctl status
echo
echo "== 1. Consents are recorded in the signed ledger"
ctl consent import "$scratch/data/consents.csv"
ctl consent show u-0001
echo
echo "== 2. A training job that may run"
ctl check "$scratch/data/job-train.yaml"
echo
echo "== 3. Personal data the manifest did not declare is found in the data itself"
ctl_blocked check "$scratch/data/job-pii.yaml"
echo
echo "== 4. The first job finishes early and settles its privacy cost"
ctl job finish sentiment-ft-0001 --steps 800
ctl budget show
echo
echo "== 5. A release the remaining privacy budget cannot pay is blocked"
ctl_blocked check "$scratch/data/job-budget.yaml"
echo
echo "== 6. A subject revokes consent; the next job over the same data is blocked"
ctl consent revoke u-0007 train_ai_system
ctl_blocked check "$scratch/data/job-after-revoke.yaml"
echo
echo "== 7. The audit trail: every event is a signed ledger entry"
ctl log --kind decision,budget_settle,policy
ctl log --subject u-0007
echo
echo "== 8. Which jobs used the data of a subject who has since revoked consent"
ctl lineage u-0007
ctl impact || true
echo
echo "== 9. A report for the auditor (text here, HTML to a file)"
ctl report
"$builddir/consentctl" --socket "$sock" report --format html -o "$scratch/report.html"
echo "(HTML report with charts written to $scratch/report.html)"
echo
echo "== 10. An auditor verifies the ledger offline, with the public key alone"
echo "\$ consentctl ledger key > ledger.vkey"
"$builddir/consentctl" --socket "$sock" ledger key > "$scratch/ledger.vkey"
cat "$scratch/ledger.vkey"
ctl ledger checkpoint
ctl ledger verify

echo
echo "== stopping consentd"
kill -TERM "$pid"
wait "$pid"
status=$?
trap - EXIT
echo "\$ consentctl ledger verify --db state/ledger.db --key ledger.vkey   (no daemon, no secret)"
"$builddir/consentctl" ledger verify --db "$scratch/state/ledger.db" --key "$scratch/ledger.vkey"
echo "consentd exited with status $status"
echo "(scratch directory: $scratch; daemon log: $scratch/consentd.log)"
