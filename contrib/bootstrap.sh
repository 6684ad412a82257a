#!/bin/sh
# Installs the Debian packages consentd needs (as root, only those missing),
# then configures and builds it in a build directory. Safe to rerun.
# Usage: contrib/bootstrap.sh BUILDDIR [CONFIGURE-ARGS...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$1
shift

packages="build-essential autoconf automake libtool pkg-config
libsqlite3-dev libssl-dev libcurl4-openssl-dev libyaml-dev libjansson-dev
libevent-dev zlib1g-dev libpcre2-dev libhttp-parser-dev libcmocka-dev python3 sqlite3
clang libfuzzer-14-dev libclang-rt-14-dev valgrind golang-go golang-golang-x-mod-dev
python3-numpy python3-scipy ripgrep curl"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "Installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq || true
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		echo "Missing Debian packages:$missing" >&2
		echo "Install them (apt-get install$missing) or rerun as root." >&2
		exit 1
	fi
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	./autogen.sh >/dev/null
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ] ||
   [ "$(cat .configure-args 2>/dev/null)" != "$*" ]; then
	"$top/configure" -q "$@"
	echo "$*" > .configure-args
fi
make -s -j"$(nproc)" >/dev/null
