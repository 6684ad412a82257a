#!/bin/sh
# The unit's sandbox: `systemd-analyze security --offline=true` must rate
# its exposure below the target, and `systemd-analyze verify` must accept it.
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze"; exit 77; }
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
max=${CONSENTD_MAX_EXPOSURE:-1.5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@sbindir@|$top_builddir|g" "$top_srcdir/systemd/consentd.service.in" > "$tmp/consentd.service"
cp "$top_srcdir/systemd/consentd.socket" "$tmp/"
out=$(systemd-analyze security --offline=true --no-pager "$tmp/consentd.service" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for consentd.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	printf '%s\n' "$out"
	echo "FAIL: no exposure score"
	exit 1
fi
echo "exposure: $score (target below $max)"
if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
	:
else
	printf '%s\n' "$out" | grep -E '✗' || true
	echo "FAIL: exposure $score exceeds $max"
	exit 1
fi
