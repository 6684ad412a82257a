#!/bin/sh
# The manual pages render without a single warning, and say what the code
# has: every consentctl command and subcommand in consentctl(1), every route
# of daemon/server.c in consentd(8), every key of daemon/config.c and its
# embedded default, verbatim, in consentd.yaml(5), and every field and
# privacy mechanism of lib/job.c in consentd-job(5).
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
: "${CONSENTCTL:=$top_builddir/consentctl}"
man_dir="$top_srcdir/man"
fail=0

if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	render() {
		LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		    man --warnings -E UTF-8 -l -Tutf8 -Z "$1" 2>&1 >/dev/null
	}
elif command -v groff >/dev/null 2>&1; then
	render() {
		groff -k -t -man -ww -z "$1" 2>&1
	}
else
	echo "SKIP: neither man nor groff is installed"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pages=0
bad=0
for page in "$man_dir"/*.[1-8]; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	out=$(render "$page")
	if [ -n "$out" ]; then
		echo "FAIL: $page renders with warnings:"
		printf '%s\n' "$out"
		bad=$((bad + 1))
		fail=1
	fi
done
if [ "$pages" -eq 0 ]; then
	echo "FAIL: no manual pages in $man_dir"
	exit 1
fi
echo "$((pages - bad)) of $pages manual pages render without warnings"

# The source of a page with roff's escaped hyphens and font changes
# removed, so that plain text can be searched in it.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"
}

# consentctl(1): each command has a section, and each subcommand a synopsis.
if [ ! -x "$CONSENTCTL" ]; then
	echo "FAIL: CONSENTCTL ($CONSENTCTL) is not an executable"
	exit 1
fi
plain "$man_dir/consentctl.1" > "$tmp/consentctl.1"
# The names listed under "Commands:" or "Subcommands:" in a help text.
listed() {
	awk '/^(Sub)?[Cc]ommands:$/ { on = 1; next }
	    on && /^$/ { on = 0 }
	    on && /^  [a-z]/ { print $1 }'
}
commands=$("$CONSENTCTL" --help | listed)
if [ -z "$commands" ]; then
	echo "FAIL: no command list in '$CONSENTCTL --help'"
	exit 1
fi
n=0
for cmd in $commands; do
	n=$((n + 1))
	if ! grep -Eq "^\\.SS $cmd( |\$)" "$tmp/consentctl.1"; then
		echo "FAIL: consentctl command '$cmd' has no section in consentctl.1"
		fail=1
	fi
	"$CONSENTCTL" "$cmd" --help 2>/dev/null | listed > "$tmp/subs"
	while read -r sub; do
		n=$((n + 1))
		if ! grep -Eq "^\\.SY \"consentctl $cmd $sub\"" "$tmp/consentctl.1"; then
			echo "FAIL: 'consentctl $cmd $sub' has no synopsis in consentctl.1"
			fail=1
		fi
	done < "$tmp/subs"
done
echo "$n consentctl commands and subcommands checked in consentctl.1"

# consentd(8): every route of the table in daemon/server.c.
plain "$man_dir/consentd.8" > "$tmp/consentd.8"
sed -n '/^static const struct route routes\[\]/,/^};/p' \
    "$top_srcdir/daemon/server.c" |
    grep -o 'EVHTTP_REQ_[A-Z]*, "[^"]*"' |
    sed -e 's/^EVHTTP_REQ_\([A-Z]*\), "\([^"]*\)"$/\1 \2/' > "$tmp/routes"
if [ ! -s "$tmp/routes" ]; then
	echo "FAIL: no routes found in daemon/server.c"
	fail=1
fi
while read -r route; do
	if ! grep -Fq "$route" "$tmp/consentd.8"; then
		echo "FAIL: route '$route' is not in consentd.8"
		fail=1
	fi
done < "$tmp/routes"
echo "$(wc -l < "$tmp/routes") routes checked in consentd.8"

# consentd.yaml(5): every key of the table in daemon/config.c, and the
# embedded default configuration, byte for byte.
plain "$man_dir/consentd.yaml.5" > "$tmp/consentd.yaml.5"
sed -n '/^static const struct config_key config_keys\[\]/,/^};/p' \
    "$top_srcdir/daemon/config.c" |
    sed -n 's/^[[:space:]]*{ "\([a-z_.]*\)", CONFIG_.*/\1/p' > "$tmp/keys"
if [ ! -s "$tmp/keys" ]; then
	echo "FAIL: no configuration keys found in daemon/config.c"
	fail=1
fi
while read -r key; do
	if ! grep -Fqx ".B $key" "$tmp/consentd.yaml.5"; then
		echo "FAIL: configuration key '$key' is not described in consentd.yaml.5"
		fail=1
	fi
done < "$tmp/keys"
echo "$(wc -l < "$tmp/keys") configuration keys checked in consentd.yaml.5"

sed -n '/^const char config_embedded_default\[\] =/,/;$/p' \
    "$top_srcdir/daemon/config.c" |
    sed -n 's/^[[:space:]]*"\(.*\)";\{0,1\}$/\1/p' |
    sed -e 's/\\n$//' -e 's/\\"/"/g' > "$tmp/default.c"
awk '/^\.SH EMBEDDED DEFAULT/ { sec = 1; next }
    sec && /^\.SH/ { exit }
    sec && /^\.EX$/ { ex = 1; next }
    sec && /^\.EE$/ { exit }
    ex { print }' "$tmp/consentd.yaml.5" > "$tmp/default.man"
if [ ! -s "$tmp/default.c" ] || ! cmp -s "$tmp/default.c" "$tmp/default.man"; then
	echo "FAIL: the embedded default in consentd.yaml.5 differs from daemon/config.c:"
	diff "$tmp/default.c" "$tmp/default.man"
	fail=1
else
	echo "the embedded default in consentd.yaml.5 matches daemon/config.c"
fi

# consentd-job(5): every field of a job and every privacy mechanism with
# its parameters, from the tables in lib/job.c, each as a bold term.
plain "$man_dir/consentd-job.5" > "$tmp/consentd-job.5"
{
	sed -n '/^static const char \*const job_fields\[\]/,/};/p' \
	    "$top_srcdir/lib/job.c"
	sed -n '/^} mechanisms\[\] = {/,/^};/p' "$top_srcdir/lib/job.c"
} | grep -o '"[a-z_-]*"' | tr -d '"' | sort -u > "$tmp/jobwords"
if [ ! -s "$tmp/jobwords" ]; then
	echo "FAIL: no job fields found in lib/job.c"
	fail=1
fi
while read -r word; do
	if ! grep -Eq "^\.BR? $word( |\$)" "$tmp/consentd-job.5"; then
		echo "FAIL: job field or mechanism '$word' is not described in consentd-job.5"
		fail=1
	fi
done < "$tmp/jobwords"
echo "$(wc -l < "$tmp/jobwords") job fields and mechanisms checked in consentd-job.5"

exit $fail
