#!/bin/sh
# Interoperability of lib/merkle.c and lib/note.c with Go's reference
# implementation (golang.org/x/mod/sumdb/note and sumdb/tlog), both ways:
# consentd writes trees, signed checkpoints, proofs and receipts that Go
# checks, and Go writes ones that consentd checks; tampered files must be
# rejected by both. Skips (77) without Go or golang-golang-x-mod-dev.
set -u

: "${top_srcdir:?}" "${top_builddir:?}"
GOSRC=/usr/share/gocode
GEN="$top_builddir/tests/interop/tlog_interop"

if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: go not found"
	exit 77
fi
if [ ! -d "$GOSRC/src/golang.org/x/mod/sumdb/note" ]; then
	echo "SKIP: $GOSRC/src/golang.org/x/mod not found (golang-golang-x-mod-dev)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlog-interop.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# GOPATH mode, no network, caches in the temporary directory: works as root,
# in CI and in distcheck's read-only source tree.
if ! env GO111MODULE=off GOPATH="$GOSRC" GOCACHE="$tmp/gocache" \
	GOFLAGS= GOPROXY=off HOME="$tmp" \
	go build -o "$tmp/tlogcheck" "$top_srcdir/tests/interop/tlogcheck.go"
then
	echo "FAIL: cannot build tests/interop/tlogcheck.go"
	exit 99
fi

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS DESCRIPTION COMMAND...
expect() {
	_want=$1
	_what=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	_got=$?
	if [ "$_got" -eq "$_want" ]; then
		ok "$_what"
	else
		not_ok "$_what (exit $_got, want $_want)"
	fi
	# Show why (a rejection must be for the reason the test expects).
	[ "$_want" -eq 0 ] && [ "$_got" -eq 0 ] || sed 's/^/  /' "$tmp/out"
}

# tamper FILE KIND FIELD OUT: replaces the first character of field FIELD of
# the first line starting with KIND (and having that field) by another
# base64 character, keeping the file well-formed.
tamper() {
	awk -v kind="$2" -v field="$3" '
		!done && $1 == kind && NF >= field && $field != "-" {
			c = substr($field, 1, 1)
			$field = (c == "A" ? "B" : "A") substr($field, 2)
			done = 1
		}
		{ print }
	' "$1" >"$4"
}

# tamper_note FILE KIND FROM TO OUT: decodes the base64 of the first KIND
# line, replaces the first match of the regular expression FROM by TO,
# re-encodes.
tamper_note() {
	line=$(grep -m1 "^$2 " "$1" | cut -d' ' -f2)
	new=$(printf '%s' "$line" | base64 -d | sed "0,/$3/s//$4/" | base64 -w0)
	awk -v kind="$2" -v old="$line" -v new="$new" '
		!done && $1 == kind && $2 == old { $2 = new; done = 1 }
		{ print }
	' "$1" >"$5"
}

for n in 1 2 3 7 8 100 1000 4097; do
	f="$tmp/c$n.txt"
	expect 0 "consentd writes a tree of $n" "$GEN" gen "$n" "$f"
	expect 0 "Go accepts consentd's tree of $n" "$tmp/tlogcheck" check "$f"
	expect 0 "consentd accepts its tree of $n" "$GEN" check "$f"

	g="$tmp/g$n.txt"
	expect 0 "Go writes a tree of $n" "$tmp/tlogcheck" gen "$n" "$g"
	expect 0 "consentd accepts Go's tree of $n" "$GEN" check "$g"
done

# Tampering, on the tree of 100 written by consentd: Go and consentd both
# reject it (exit 1, a verification failure, not a format error).
f="$tmp/c100.txt"
tamper "$f" inclusion 5 "$tmp/t1.txt"
tamper "$f" consistency 4 "$tmp/t2.txt"
tamper "$f" leaf 2 "$tmp/t3.txt"
tamper "$f" inclusion 4 "$tmp/t4.txt"
tamper_note "$f" checkpoint '^1$' '2' "$tmp/t5.txt"
idx=$(grep -m1 '^receipt ' "$f" | cut -d' ' -f2 | base64 -d | sed -n 's/^index //p')
tamper_note "$f" receipt '^index [0-9]*' "index $(( (idx + 1) % 100 ))" "$tmp/t6.txt"
tamper_note "$f" checkpoint 'consentd-interop$' 'consentd-interoq' "$tmp/t7.txt"
tamper_note "$f" receipt 'c2sp.org\/tlog-proof@v1' 'c2sp.org\/tlog-proof@v2' "$tmp/t8.txt"
for t in 1 2 3 4 5 6 7 8; do
	case $t in
	1) what="a flipped inclusion proof hash" ;;
	2) what="a flipped consistency proof hash" ;;
	3) what="a changed leaf" ;;
	4) what="a changed leaf hash" ;;
	5) what="a checkpoint whose size was changed" ;;
	6) what="a receipt for another index" ;;
	7) what="a checkpoint whose origin was changed" ;;
	8) what="a receipt of another version" ;;
	esac
	if cmp -s "$f" "$tmp/t$t.txt"; then
		not_ok "tampering with $what changed nothing"
		continue
	fi
	expect 1 "Go rejects $what" "$tmp/tlogcheck" check "$tmp/t$t.txt"
	expect 1 "consentd rejects $what" "$GEN" check "$tmp/t$t.txt"
done

# And the other way: Go's file, tampered, is rejected by consentd.
g="$tmp/g100.txt"
tamper "$g" inclusion 6 "$tmp/u1.txt"
tamper_note "$g" checkpoint '^1$' '2' "$tmp/u2.txt"
expect 1 "consentd rejects Go's flipped inclusion proof" "$GEN" check "$tmp/u1.txt"
expect 1 "consentd rejects Go's altered checkpoint" "$GEN" check "$tmp/u2.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
