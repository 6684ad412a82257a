# Sourced by run.sh and import.sh: a scratch directory removed on exit and
# a consentd in it. Set work_prefix before sourcing; daemon_start uses
# $consentd and $consentctl.
work=$(mktemp -d "${TMPDIR:-/tmp}/$work_prefix.XXXXXX")
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh consentd on a fresh state directory, answering status.
daemon_start() {
	rm -rf "$work/state" "$work/sock"
	mkdir -p "$work/state"
	"$consentd" --foreground --state-dir "$work/state" --socket "$work/sock" \
	    > "$work/consentd.log" 2>&1 &
	daemon_pid=$!
	i=0
	until "$consentctl" --socket "$work/sock" status > /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			echo "consentd did not start:" >&2
			cat "$work/consentd.log" >&2
			exit 3
		fi
		sleep 0.1
	done
}
daemon_stop() {
	kill "$daemon_pid"
	wait "$daemon_pid" || true
	daemon_pid=
}
