# tests/: cmocka unit tests for lib/, one program per module, and make lint.
if HAVE_CMOCKA
lib_unit_tests = \
	tests/unit/test_buf \
	tests/unit/test_codec \
	tests/unit/test_crypto \
	tests/unit/test_diag \
	tests/unit/test_err \
	tests/unit/test_json \
	tests/unit/test_ledger \
	tests/unit/test_ledger_snapshot \
	tests/unit/test_timeutil \
	tests/unit/test_yamlnode
check_PROGRAMS += $(lib_unit_tests)
TESTS += $(lib_unit_tests)

tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_buf_LDADD = $(UNIT_LIBS)

tests_unit_test_codec_SOURCES = tests/unit/test_codec.c
tests_unit_test_codec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_codec_LDADD = $(UNIT_LIBS)

tests_unit_test_crypto_SOURCES = tests/unit/test_crypto.c
tests_unit_test_crypto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_crypto_LDADD = $(UNIT_LIBS)

tests_unit_test_diag_SOURCES = tests/unit/test_diag.c
tests_unit_test_diag_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_diag_LDADD = $(UNIT_LIBS)

tests_unit_test_err_SOURCES = tests/unit/test_err.c
tests_unit_test_err_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_err_LDADD = $(UNIT_LIBS)

tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_json_LDADD = $(UNIT_LIBS)

tests_unit_test_ledger_SOURCES = tests/unit/test_ledger.c
tests_unit_test_ledger_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ledger_LDADD = $(UNIT_LIBS)

tests_unit_test_ledger_snapshot_SOURCES = tests/unit/test_ledger_snapshot.c
tests_unit_test_ledger_snapshot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ledger_snapshot_LDADD = $(UNIT_LIBS)

tests_unit_test_timeutil_SOURCES = tests/unit/test_timeutil.c
tests_unit_test_timeutil_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_timeutil_LDADD = $(UNIT_LIBS)

tests_unit_test_yamlnode_SOURCES = tests/unit/test_yamlnode.c
tests_unit_test_yamlnode_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_yamlnode_LDADD = $(UNIT_LIBS)
endif

EXTRA_DIST += tests/unit/unit.h tests/unit/ledger_fixture.h \
	tests/data/lib/positions.yaml

# The banned-function and machine-path checks, as a test (see `make lint`).
TESTS += tests/lint-test.sh
EXTRA_DIST += tests/lint-test.sh
