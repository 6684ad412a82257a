#!/bin/sh
# consentctl dp: outputs and exit codes. Skips (77) until consentctl has
# the dp command.
set -u
ctl=${CONSENTCTL:-}
if [ -z "$ctl" ] || [ ! -x "$ctl" ] || ! "$ctl" dp --help >/dev/null 2>&1; then
	echo "SKIP: no consentctl with 'dp' (CONSENTCTL='$ctl')"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0

# expect STATUS DESCRIPTION -- ARGS...: runs consentctl, checks the status.
expect() {
	want=$1
	what=$2
	shift 3
	"$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"
		sed 's/^/  stderr: /' "$tmp/err"
		fails=$((fails + 1))
		return 1
	fi
	passes=$((passes + 1))
	return 0
}

# has FILE PATTERN DESCRIPTION
has() {
	if grep -q -- "$2" "$1"; then
		passes=$((passes + 1))
	else
		echo "FAIL: $3: '$2' not in $1:"
		sed 's/^/  /' "$1"
		fails=$((fails + 1))
	fi
}

mnist="--noise-multiplier 1.1 --sample-rate 0.0042666666666666667 --steps 14063 --delta 1e-5"

# shellcheck disable=SC2086
expect 0 "epsilon, text" -- dp epsilon $mnist
has "$tmp/out" '^epsilon: 2\.59666$' "MNIST epsilon, rounded up to 6 digits"
has "$tmp/out" '^order: 8\.1$' "MNIST optimal order"
has "$tmp/out" '^conversion: improved$' "default conversion"

# shellcheck disable=SC2086
expect 0 "epsilon, json" -- --json dp epsilon $mnist
has "$tmp/out" '"epsilon": 2\.5966555286' "json epsilon"
has "$tmp/out" '"order": 8\.0999' "json order"
has "$tmp/out" '"order_at_edge": false' "json edge flag"
has "$tmp/out" '"conversion": "improved"' "json conversion"
has "$tmp/out" '"delta": 1' "json delta"

# shellcheck disable=SC2086
expect 0 "classic conversion" -- --json dp epsilon $mnist --conversion classic
has "$tmp/out" '"epsilon": 3\.00838104' "classic epsilon"

expect 0 "grid edge" -- dp epsilon --noise-multiplier 50 --sample-rate 0.001 \
	--steps 10 --delta 1e-5 --orders 2,4,8
has "$tmp/out" '^order: 8$' "optimum at the last order"
has "$tmp/out" '^note: .*edge' "edge note"

expect 0 "gaussian" -- --json dp epsilon --mechanism gaussian \
	--noise-multiplier 1 --delta 1e-5
has "$tmp/out" '"epsilon": 4\.7285070672' "gaussian epsilon"
expect 0 "laplace" -- dp epsilon --mechanism laplace --scale 10 --count 50 \
	--delta 1e-6
has "$tmp/out" '^epsilon: 3\.29962$' "laplace epsilon"

expect 0 "noise" -- --json dp noise --target-epsilon 3 \
	--sample-rate 0.0042666666666666667 --steps 14063 --delta 1e-5
has "$tmp/out" '"noise_multiplier": 1\.0' "noise multiplier"
has "$tmp/out" '"epsilon": 2\.9' "epsilon at that noise"

expect 0 "dp --help" -- dp --help
has "$tmp/out" 'Usage: consentctl' "dp usage"
expect 0 "dp epsilon --help" -- dp epsilon --help
has "$tmp/out" '--noise-multiplier' "epsilon usage"
expect 0 "dp noise --help" -- dp noise --help
has "$tmp/out" '--target-epsilon' "noise usage"

base="--sample-rate 0.01 --steps 100 --delta 1e-5"
# shellcheck disable=SC2086
{
expect 2 "sigma 0" -- dp epsilon --noise-multiplier 0 $base
has "$tmp/err" 'noise multiplier' "message names the noise multiplier"
expect 2 "sigma negative" -- dp epsilon --noise-multiplier -1 $base
expect 2 "sigma NaN" -- dp epsilon --noise-multiplier nan $base
expect 2 "sigma trailing garbage" -- dp epsilon --noise-multiplier 1.1x $base
has "$tmp/err" "1.1x" "message quotes the bad number"
expect 2 "q > 1" -- dp epsilon --noise-multiplier 1 --sample-rate 1.5 \
	--steps 10 --delta 1e-5
has "$tmp/err" 'sample rate' "message names the sample rate"
expect 2 "q < 0" -- dp epsilon --noise-multiplier 1 --sample-rate -0.1 \
	--steps 10 --delta 1e-5
expect 2 "steps negative" -- dp epsilon --noise-multiplier 1 \
	--sample-rate 0.1 --steps -3 --delta 1e-5
expect 2 "steps fractional" -- dp epsilon --noise-multiplier 1 \
	--sample-rate 0.1 --steps 2.5 --delta 1e-5
expect 2 "delta 0" -- dp epsilon --noise-multiplier 1 --sample-rate 0.1 \
	--steps 10 --delta 0
expect 2 "delta 1" -- dp epsilon --noise-multiplier 1 --sample-rate 0.1 \
	--steps 10 --delta 1
expect 2 "missing delta" -- dp epsilon --noise-multiplier 1 \
	--sample-rate 0.1 --steps 10
has "$tmp/err" 'delta' "message names the missing option"
expect 2 "missing steps" -- dp epsilon --noise-multiplier 1 \
	--sample-rate 0.1 --delta 1e-5
expect 2 "bad orders" -- dp epsilon --noise-multiplier 1 $base --orders 3,2
expect 2 "bad conversion" -- dp epsilon --noise-multiplier 1 $base \
	--conversion fast
expect 2 "bad mechanism" -- dp epsilon --mechanism rr --delta 1e-5
expect 2 "unknown option" -- dp epsilon --noise-multiplier 1 $base --fast
expect 2 "no subcommand" -- dp
expect 2 "unknown subcommand" -- dp spend
expect 2 "noise without target" -- dp noise $base
expect 2 "noise target 0" -- dp noise --target-epsilon 0 $base
}

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
