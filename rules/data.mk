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

EXTRA_DIST += \
	tests/data/readers/events.jsonl \
	tests/data/readers/people-multi.csv.gz \
	tests/data/readers/people.csv \
	tests/data/readers/people.csv.gz \
	tests/data/readers/people.tsv \
	tests/data/readers/truncated.csv.gz
