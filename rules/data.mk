# rules/: dataset readers and PII detectors.
rules_librules_la_SOURCES += \
	rules/reader.h \
	rules/reader-internal.h \
	rules/reader.c \
	rules/reader_text.c \
	rules/reader_jsonl.c \
	rules/detect.h \
	rules/detect-internal.h \
	rules/detect.c \
	rules/detect_find.c \
	rules/detect_validate.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_reader
TESTS += tests/unit/test_reader
tests_unit_test_reader_SOURCES = tests/unit/test_reader.c
tests_unit_test_reader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reader_LDADD = rules/librules.la $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_detect
TESTS += tests/unit/test_detect
tests_unit_test_detect_SOURCES = tests/unit/test_detect.c
tests_unit_test_detect_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_detect_LDADD = rules/librules.la $(UNIT_LIBS)
endif

# Scan benchmark: reader + default detectors (bench/scan/run.sh).
noinst_PROGRAMS += bench/scan/bench_scan
bench_scan_bench_scan_SOURCES = bench/scan/bench_scan.c
bench_scan_bench_scan_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_scan_bench_scan_LDADD = rules/librules.la lib/libcore.la $(DEP_LIBS)
# ... and the consent rule's lookups alone (bench/scan/bench_lookup.c).
noinst_PROGRAMS += bench/scan/bench_lookup
bench_scan_bench_lookup_SOURCES = bench/scan/bench_lookup.c
bench_scan_bench_lookup_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_scan_bench_lookup_LDADD = lib/libcore.la $(DEP_LIBS)

EXTRA_DIST += \
	tests/data/readers/events.jsonl \
	tests/data/readers/people-multi.csv.gz \
	tests/data/readers/people.csv \
	tests/data/readers/people.csv.gz \
	tests/data/readers/people.tsv \
	tests/data/readers/truncated.csv.gz \
	tests/fuzz/fuzz_reader.h \
	tests/fuzz/fuzz_reader_csv.c \
	tests/fuzz/fuzz_reader_jsonl.c \
	tests/fuzz/fuzz_reader_tsv.c \
	tests/fuzz/fuzz_detect.c \
	tests/fuzz/corpus/reader_csv/basic.csv \
	tests/fuzz/corpus/reader_csv/gzip-two-members.csv.gz \
	tests/fuzz/corpus/reader_csv/malformed.csv \
	tests/fuzz/corpus/reader_csv/multiline.csv \
	tests/fuzz/regressions/reader_csv/field-limit-before-crlf.csv \
	tests/fuzz/regressions/reader_csv/gzip-corrupt-after-output.csv.gz \
	tests/fuzz/corpus/reader_tsv/basic.tsv \
	tests/fuzz/corpus/reader_tsv/gzip.tsv.gz \
	tests/fuzz/regressions/reader_tsv/gzip-truncated-pending-output.gz \
	tests/fuzz/corpus/reader_jsonl/basic.jsonl \
	tests/fuzz/corpus/reader_jsonl/gzip.jsonl.gz \
	tests/fuzz/corpus/reader_jsonl/malformed.jsonl \
	tests/fuzz/regressions/reader_jsonl/gzip-corrupt-long-line.jsonl.gz \
	tests/fuzz/regressions/reader_jsonl/gzip-truncated-pending-output.gz \
	tests/fuzz/corpus/detect/card.txt \
	tests/fuzz/corpus/detect/custom.txt \
	tests/fuzz/corpus/detect/dob.txt \
	tests/fuzz/corpus/detect/email.txt \
	tests/fuzz/corpus/detect/iban.txt \
	tests/fuzz/corpus/detect/ids.txt \
	tests/fuzz/corpus/detect/phone.txt \
	bench/scan/gen.py \
	bench/scan/run.sh
