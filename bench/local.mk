# bench/: benchmarks anyone can run after building; results in
# bench/RESULTS.md.

# Ledger benchmark (bench/ledger/run.sh): bulk import, concurrent single
# appends, the raw SQLite ceiling, fsync per insert, verify and proofs.
noinst_PROGRAMS += bench/ledger/ledger_bench bench/ledger/loadgen
bench_ledger_ledger_bench_SOURCES = bench/ledger/ledger_bench.c \
	bench/ledger/rows.h
bench_ledger_ledger_bench_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_ledger_ledger_bench_LDADD = lib/libcore.la $(DEP_LIBS)
bench_ledger_loadgen_SOURCES = bench/ledger/loadgen.c bench/ledger/rows.h
bench_ledger_loadgen_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_ledger_loadgen_LDADD = $(DEP_LIBS) -lpthread
EXTRA_DIST += bench/ledger/run.sh bench/ledger/amplification.py
