#!/bin/sh
# The main job, end to end, on the embedded default configuration in a
# scratch directory: build, start consentd, talk to it with consentctl,
# and stop it cleanly. Safe to rerun.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
builddir="$top/build"
"$top/contrib/bootstrap.sh" "$builddir"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/consentd-demo.XXXXXX")
sock="$scratch/consentd.sock"
consentd="$builddir/consentd"
ctl() { echo "\$ consentctl $*"; "$builddir/consentctl" --socket "$sock" "$@"; }

"$consentd" --foreground --state-dir "$scratch/state" --socket "$sock" \
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

echo "== consentd is running on $sock (embedded default configuration)"
ctl status
echo
echo "== stopping consentd"
kill -TERM "$pid"
wait "$pid"
status=$?
trap - EXIT
echo "consentd exited with status $status"
echo "(scratch directory: $scratch; daemon log: $scratch/consentd.log)"
