#!/bin/sh
# make lint as a test: the tree must be clean, and the checker must catch
# the banned calls and machine paths of a tree made to contain them.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
lint=$top_srcdir/tests/lint.sh
status=0

echo "# lint.sh on $top_srcdir"
if ! sh "$lint" "$top_srcdir"; then
	echo "FAIL: the tree has lint errors (above)"
	status=1
fi

# A tree with known problems, in the build directory.
tmp=$(pwd)/lint-test.dir
rm -rf "$tmp"
mkdir -p "$tmp/lib" "$tmp/cli" "$tmp/tests" "$tmp/docs" || exit 99
cat >"$tmp/lib/bad.c" <<'EOF'
/* Names in comments are fine: strcpy(a, b), system("x"). */
static const char *msg = "do not sprintf(buf) here";
static const char quote = '"'; static int n = atoi("1");
int
f(char *b, struct ops *p, struct s s)
{
	snprintf(b, 4, "%d", 1); vsnprintf(b, 4, "x", ap);
	(void)strtoll(b, NULL, 10); (void)fgets(b, 4, stdin);
	p->system(b); s.rand(); my_strcpy(b, b);
	strcpy(b, "x");
	return system ("ls") + (int)strtok_r(b, " ", &b) + rand();
}
/* A comment over
   lines: strcat(a, b) */
char *q = alloca(10); char *u = "\"strcat(x)\"";
EOF
cat >"$tmp/cli/also.h" <<'EOF'
#define COPY(a, b) strncpy(a, b, sizeof(a)) /* gets(x) */
EOF
# Banned calls in tests/ are not checked.
echo 'int x = atoi("1");' >"$tmp/tests/t.c"
printf 'config at /%s/alice/consentd.yaml\nsee https://example.com/home/x\n' \
    home >"$tmp/docs/notes.md"
printf 'cd /%s/ci && make\n' work >"$tmp/docs/build.md"

cat >"$tmp/expected" <<'EOF'
cli/also.h:1: strncpy() is banned: use snprintf() or memcpy() with a length
lib/bad.c:3: atoi() is banned: use strtol() and check errno and the end
lib/bad.c:10: strcpy() is banned: use snprintf() or a struct buf
lib/bad.c:11: system() is banned: use posix_spawn() or fork() and execve()
lib/bad.c:11: strtok_r() is banned: parse explicitly, or use strsep()
lib/bad.c:11: rand() is banned: use random_bytes()
lib/bad.c:15: alloca() is banned: use a bounded array or malloc()
docs/build.md:1: machine-specific absolute path
docs/notes.md:1: machine-specific absolute path
EOF

echo "# lint.sh on a tree with known problems"
sh "$lint" "$tmp" >"$tmp/got"
rc=$?
if [ "$rc" -ne 1 ]; then
	echo "FAIL: lint.sh exited $rc on a bad tree, expected 1"
	status=1
fi
if ! diff -u "$tmp/expected" "$tmp/got"; then
	echo "FAIL: lint.sh output differs (- expected, + got)"
	status=1
fi

# And a clean tree passes.
rm -rf "$tmp/lib" "$tmp/cli" "$tmp/docs"
if ! sh "$lint" "$tmp"; then
	echo "FAIL: lint.sh rejects a clean tree"
	status=1
fi

[ "$status" -eq 0 ] && rm -rf "$tmp"
exit $status
