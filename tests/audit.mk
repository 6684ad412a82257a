# tests/: the auditor queries (consentctl log and report).
TESTS += tests/integration/test_audit.py
EXTRA_DIST += tests/integration/test_audit.py
