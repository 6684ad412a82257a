# tests/torture/: allocation-failure torture of the parsers (docs/torture.md),
# natively and under valgrind.
check_PROGRAMS += tests/torture/torture
TESTS += tests/torture/torture tests/torture/valgrind.sh
tests_torture_torture_SOURCES = tests/torture/torture.c
tests_torture_torture_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_torture_torture_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTOP_SRCDIR=\"$(abs_top_srcdir)\"
tests_torture_torture_LDADD = rules/librules.la lib/libcore.la $(DEP_LIBS)
EXTRA_DIST += tests/torture/valgrind.sh tests/torture/valgrind.supp \
	docs/torture.md
