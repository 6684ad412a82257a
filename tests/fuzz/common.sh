# Shared by the fuzzing scripts: build configuration and target discovery.
# Sourced, not run. Expects top_builddir (and optionally top_srcdir) to be
# set, as make and the test harness do.

fuzz_die() {
	echo "$fuzz_prog: $*" >&2
	exit 99
}

# Loads fuzz/build.env, which make writes from the configured build.
fuzz_setup() {
	: "${top_builddir:=$(pwd)}"
	fuzz_env=$top_builddir/fuzz/build.env
	[ -r "$fuzz_env" ] ||
		fuzz_die "$fuzz_env is missing: run 'make check' or 'make fuzz'"
	# FUZZ_CC in the environment wins over the configured one.
	fuzz_cc_env=${FUZZ_CC:-}
	. "$fuzz_env"
	[ -z "$fuzz_cc_env" ] || FUZZ_CC=$fuzz_cc_env
	srcdir=$abs_top_srcdir
	builddir=$abs_top_builddir
	fuzz_dir=$srcdir/tests/fuzz
	# Every target sees the prototypes, whether or not it includes them.
	fuzz_cppflags="-I$builddir -I$srcdir/lib -I$srcdir/rules -I$srcdir/cli"
	fuzz_cppflags="$fuzz_cppflags -I$fuzz_dir"
	# config.h first: its feature macros (_GNU_SOURCE) must come before
	# any system header, fuzz.h's included, or functions such as memmem
	# are left undeclared.
	fuzz_cppflags="$fuzz_cppflags -include $builddir/config.h"
	fuzz_cppflags="$fuzz_cppflags -include $fuzz_dir/fuzz.h"
}

# Prints the names of the targets present (fuzz_<name>.c), one per line,
# restricted to $FUZZ_TARGETS (names separated by spaces or commas) if set.
fuzz_targets() {
	for f in "$fuzz_dir"/fuzz_*.c; do
		[ -f "$f" ] || continue
		name=${f##*/fuzz_}
		name=${name%.c}
		if [ -n "${FUZZ_TARGETS:-}" ]; then
			case " $(echo "$FUZZ_TARGETS" | tr ',' ' ') " in
			*" $name "*) ;;
			*) continue ;;
			esac
		fi
		echo "$name"
	done
}

# Prints the directories of saved inputs for target $1 that exist.
fuzz_input_dirs() {
	for d in "$fuzz_dir/corpus/$1" "$fuzz_dir/regressions/$1"; do
		[ -d "$d" ] && echo "$d"
	done
}

# Prints the library sources (.c) that lib/ and rules/ are built from, as
# listed in their Makefile fragments; generated ones come from the build
# directory.
fuzz_library_sources() {
	for s in $LIB_SOURCES; do
		case $s in
		*.c) ;;
		*) continue ;;
		esac
		if [ -f "$srcdir/$s" ]; then
			echo "$srcdir/$s"
		elif [ -f "$builddir/$s" ]; then
			echo "$builddir/$s"
		else
			fuzz_die "library source $s not found"
		fi
	done
}
