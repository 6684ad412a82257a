# rules/dp: the differential-privacy accountant.
rules_librules_la_SOURCES += \
	rules/dp/dp.h rules/dp/dp-internal.h \
	rules/dp/rdp.c rules/dp/curve.c rules/dp/convert.c

# Evaluates epsilon for jobs given on the command line (for the tests).
check_PROGRAMS += tests/dp/dp_eval
tests_dp_dp_eval_SOURCES = tests/dp/dp_eval.c tests/dp/jobspec.c tests/dp/jobspec.h
tests_dp_dp_eval_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS) -I$(top_srcdir)/tests/dp
tests_dp_dp_eval_LDADD = rules/librules.la lib/libcore.la $(DEP_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_dp
TESTS += tests/unit/test_dp
tests_unit_test_dp_SOURCES = tests/unit/test_dp.c tests/dp/jobspec.c tests/dp/jobspec.h
tests_unit_test_dp_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tests/dp
tests_unit_test_dp_LDADD = rules/librules.la $(UNIT_LIBS)
endif

TESTS += tests/dp/test_dp_highprec.sh tests/dp/test_dp_cli.sh

noinst_PROGRAMS += bench/dp/bench_dp
bench_dp_bench_dp_SOURCES = bench/dp/bench_dp.c
bench_dp_bench_dp_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_dp_bench_dp_LDADD = rules/librules.la lib/libcore.la $(DEP_LIBS)

EXTRA_DIST += \
	tests/data/dp_parity.tsv \
	tests/dp/reference.py tests/dp/highprec.py \
	tests/dp/test_dp_highprec.sh tests/dp/test_dp_cli.sh \
	bench/dp/run.sh \
	docs/dp.md
