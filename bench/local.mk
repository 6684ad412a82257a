# bench/: benchmarks anyone can run after building; results in
# bench/RESULTS.md. bench/bench.h: their clocks and medians.
EXTRA_DIST += bench/bench.h

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
EXTRA_DIST += bench/ledger/run.sh bench/ledger/import.sh \
	bench/ledger/daemon.sh bench/ledger/amplification.py

# Check benchmark (bench/check/run.sh): consentctl check latency, the
# offline evaluate baseline, and 16-client throughput of POST /v1/check.
noinst_PROGRAMS += bench/check/check_bench bench/check/start_curl \
	bench/check/start_nocurl
bench_check_check_bench_SOURCES = bench/check/check_bench.c
bench_check_check_bench_LDADD = -lpthread -lm
bench_check_start_curl_SOURCES = bench/check/start_probe.c
bench_check_start_curl_CPPFLAGS = $(AM_CPPFLAGS) -DWITH_CURL
bench_check_start_curl_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) \
	$(CRYPTO_CFLAGS) $(CURL_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) \
	$(ZLIB_CFLAGS) $(PCRE2_CFLAGS)
bench_check_start_curl_LDADD = $(CURL_LIBS) $(HTTP_PARSER_LIBS) $(SQLITE_LIBS) \
	$(CRYPTO_LIBS) \
	$(YAML_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) $(PCRE2_LIBS) -lm
bench_check_start_nocurl_SOURCES = bench/check/start_probe.c
bench_check_start_nocurl_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) \
	$(CRYPTO_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS) \
	$(PCRE2_CFLAGS)
bench_check_start_nocurl_LDADD = $(HTTP_PARSER_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) \
	$(YAML_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) $(PCRE2_LIBS) -lm
EXTRA_DIST += bench/check/run.sh bench/check/gen-data.sh
