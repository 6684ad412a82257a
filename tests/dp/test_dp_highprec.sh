#!/bin/sh
# The C accountant's epsilon is never below a 50-digit evaluation
# (tests/dp/highprec.py). Skips (77) without Python 3 and mpmath.
set -u
eval_prog=${top_builddir:-.}/tests/dp/dp_eval
src=${top_srcdir:-.}
py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 &&
	    "$p" -c 'import mpmath' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "SKIP: no python3 with mpmath"
	exit 77
fi
if [ ! -x "$eval_prog" ]; then
	echo "FAIL: $eval_prog not built"
	exit 1
fi
exec "$py" "$src/tests/dp/highprec.py" "$eval_prog"
