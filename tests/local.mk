# tests/: cmocka unit tests, integration tests (Python), data.
TEST_EXTENSIONS = .py .sh
PY_LOG_COMPILER = $(PYTHON3)
AM_PY_LOG_FLAGS =
SH_LOG_COMPILER = $(SHELL)
if SANITIZERS
TESTS_SANITIZERS = yes
else
TESTS_SANITIZERS = no
endif
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir; \
	CONSENTD='$(abs_top_builddir)/consentd'; CONSENTCTL='$(abs_top_builddir)/consentctl'; \
	export CONSENTD CONSENTCTL; \
	CONSENTD_SANITIZERS='$(TESTS_SANITIZERS)'; export CONSENTD_SANITIZERS;

UNIT_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS) $(CMOCKA_CFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
UNIT_LIBS = lib/libcore.la $(CMOCKA_LIBS) $(DEP_LIBS)

EXTRA_DIST += tests/lint.sh

# Integration tests: a real consentd on a temporary socket, driven over
# HTTP and through consentctl.
integration_tests = \
	tests/integration/test_daemon.py \
	tests/integration/test_ledger.py \
	tests/integration/test_check.py \
	tests/integration/test_access.py \
	tests/integration/test_alerts.py \
	tests/integration/test_tls.py \
	tests/integration/test_transport.py \
	tests/integration/test_drills.py \
	tests/integration/test_valgrind.py \
	tests/integration/test_systemd.sh
TESTS += $(integration_tests)
EXTRA_DIST += tests/integration/harness.py $(integration_tests)

include tests/lib.mk
include tests/fuzz/local.mk
