#!/bin/sh
# make lint: banned C functions in lib/ rules/ daemon/ cli/, and
# machine-specific absolute paths in the tracked files. Prints
# "file:line: problem" for each hit and exits 1 if there is any.
#
# Usage: lint.sh [top_srcdir]
# In a git checkout the path check covers the files git tracks; in an
# unpacked tarball, every file except the generated build system.
set -u
top=${1:-.}
cd "$top" || exit 2

status=0

# Prints "file:line: name() is banned: hint" for each call of a banned
# function. Comments, string and character literals are blanked first, so
# that prose and messages may name them; member calls (p->system(),
# s.rand()) and longer names (snprintf, strtoll, fgets) are not calls of
# the banned function.
lint_banned() {
	awk '
	BEGIN {
		hint["strcpy"] = "use snprintf() or a struct buf"
		hint["strcat"] = "use snprintf() or a struct buf"
		hint["strncpy"] = "use snprintf() or memcpy() with a length"
		hint["sprintf"] = "use snprintf()"
		hint["vsprintf"] = "use vsnprintf()"
		hint["gets"] = "use fgets() or getline()"
		hint["atoi"] = "use strtol() and check errno and the end"
		hint["atol"] = "use strtol() and check errno and the end"
		hint["atoll"] = "use strtoll() and check errno and the end"
		hint["atof"] = "use strtod() and check errno and the end"
		hint["strtok"] = "parse explicitly, or use strsep()"
		hint["strtok_r"] = "parse explicitly, or use strsep()"
		hint["tmpnam"] = "use mkstemp() or mkdtemp()"
		hint["tempnam"] = "use mkstemp() or mkdtemp()"
		hint["mktemp"] = "use mkstemp() or mkdtemp()"
		hint["rand"] = "use random_bytes()"
		hint["srand"] = "use random_bytes()"
		hint["system"] = "use posix_spawn() or fork() and execve()"
		hint["alloca"] = "use a bounded array or malloc()"
		# jansson 2.14 drops characters (parse) and keys (dump) when an
		# allocation fails, and still succeeds; lib/json.c checks.
		hint["json_dumps"] = "use json_dumps_checked()"
		hint["json_loads"] = "use json_load_checked()"
		hint["json_loadb"] = "use json_load_checked()"
		hint["json_loadf"] = "use json_load_checked()"
		hint["json_dump_callback"] = "use json_dumps_checked()"
		names = ""
		for (n in hint)
			names = names (names == "" ? "" : "|") n
		call = "(^|[^A-Za-z0-9_.>])(" names ")[ \t]*\\("
	}
	FNR == 1 { in_comment = 0 }
	{
		line = $0
		out = ""
		i = 1
		len = length(line)
		while (i <= len) {
			c = substr(line, i, 1)
			two = substr(line, i, 2)
			if (in_comment) {
				if (two == "*/") {
					in_comment = 0
					out = out "  "
					i += 2
				} else {
					out = out " "
					i++
				}
			} else if (two == "/*") {
				in_comment = 1
				out = out "  "
				i += 2
			} else if (two == "//") {
				break
			} else if (c == "\"" || c == "\047") {
				# A literal: blank it up to the closing quote.
				q = c
				out = out q
				i++
				while (i <= len && substr(line, i, 1) != q) {
					if (substr(line, i, 1) == "\\")
						i++
					out = out " "
					i++
				}
				out = out q
				i++
			} else {
				out = out c
				i++
			}
		}
		rest = out
		while (match(rest, call)) {
			m = substr(rest, RSTART, RLENGTH)
			sub(/^[^A-Za-z_]/, "", m)
			sub(/[ \t]*\($/, "", m)
			rest = substr(rest, RSTART + RLENGTH)
			if (m ~ /^json_/ && FILENAME ~ /(^|\/)lib\/json\.c$/)
				continue
			printf "%s:%d: %s() is banned: %s\n", \
			    FILENAME, FNR, m, hint[m]
		}
	}' "$@"
}

sources=$(find lib rules daemon cli -type f \( -name '*.c' -o -name '*.h' \) \
    2>/dev/null | LC_ALL=C sort)
if [ -n "$sources" ]; then
	# shellcheck disable=SC2086 # one argument per file
	hits=$(lint_banned $sources)
	if [ -n "$hits" ]; then
		echo "$hits"
		status=1
	fi
fi

# Files to search for machine paths: what git tracks, or, outside a git
# checkout of this very tree, everything but the generated build system.
lint_files() {
	gittop=$(git rev-parse --show-toplevel 2>/dev/null)
	if [ "$gittop" = "$(pwd -P)" ]; then
		git ls-files
	else
		find . \( -name .git -o -name autom4te.cache -o -name _build \
		    -o -name build -o -name 'build-*' -o -name build-aux \
		    -o -name m4 -o -name _inst -o -name .deps -o -name .libs \
		    -o -path ./fuzz \) -prune -o -type f \
		    ! -name configure ! -name 'configure~' ! -name Makefile.in \
		    ! -name Makefile ! -name aclocal.m4 ! -name 'config.h*' \
		    ! -name config.log ! -name config.status ! -name libtool \
		    ! -name stamp-h1 ! -name '*.log' ! -name '*.trs' \
		    -print | sed 's|^\./||' | LC_ALL=C sort
	fi
}

# Home and work directories at the root of some machine's file system.
# The pattern is assembled so that this file does not match itself.
machine_dirs='work|home|Users'
pathhits=$(lint_files | while IFS= read -r f; do
	[ -f "$f" ] || continue
	grep -HnIE "(^|[^A-Za-z0-9_.~/-])/($machine_dirs)/" "$f" 2>/dev/null
done | sed 's/^\([^:]*:[0-9]*\):.*$/\1: machine-specific absolute path/')
if [ -n "$pathhits" ]; then
	echo "$pathhits"
	status=1
fi

exit $status
