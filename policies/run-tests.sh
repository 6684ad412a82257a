#!/bin/sh
# Runs the shipped policies' test cases (policies/tests/*.yaml) with
# consentctl policy test; skipped (77) when consentctl is not built.
: "${CONSENTCTL:=./consentctl}"
: "${top_srcdir:=.}"
if [ ! -x "$CONSENTCTL" ] ||
    ! "$CONSENTCTL" policy --help >/dev/null 2>&1; then
	echo "SKIP: $CONSENTCTL has no policy command"
	exit 77
fi
exec "$CONSENTCTL" policy test "$top_srcdir/policies"
