# rules/: policies, manifests and rule evaluation.
rules_librules_la_SOURCES += \
	rules/taxonomy.c rules/taxonomy.h \
	rules/ruleutil.c rules/ruleutil.h \
	rules/policy.c rules/policy.h \
	rules/manifest.c rules/manifest.h \
	rules/eval.c rules/eval.h rules/check.h \
	rules/check_consent.c \
	rules/check_fields.c \
	rules/check_pii.c \
	rules/check_kanon.c \
	rules/check_retention.c

# The fideslang taxonomy (CC BY 4.0; rules/taxonomy/NOTICE) is compiled into
# rules/taxonomy.c and installed as data for other tools.
taxonomydir = $(pkgdatadir)/taxonomy
dist_taxonomy_DATA = rules/taxonomy/fideslang.tsv rules/taxonomy/NOTICE
EXTRA_DIST += rules/taxonomy/tsv2c.py

dist_man_MANS += man/consentd-policy.5 man/consentd-manifest.5

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_policy tests/unit/test_manifest \
	tests/unit/test_eval
TESTS += tests/unit/test_policy tests/unit/test_manifest tests/unit/test_eval
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(UNIT_CFLAGS) \
	-DTAXONOMY_TSV=\"$(abs_top_srcdir)/rules/taxonomy/fideslang.tsv\"
tests_unit_test_policy_LDADD = rules/librules.la $(UNIT_LIBS)
tests_unit_test_manifest_SOURCES = tests/unit/test_manifest.c
tests_unit_test_manifest_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_manifest_LDADD = rules/librules.la $(UNIT_LIBS)
tests_unit_test_eval_SOURCES = tests/unit/test_eval.c
tests_unit_test_eval_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_eval_LDADD = rules/librules.la $(UNIT_LIBS)
endif

# Test data of the unit tests above.
EXTRA_DIST += \
	tests/data/eval/consent/case.json \
	tests/data/eval/consent/policy.yaml \
	tests/data/eval/consent/users.csv \
	tests/data/eval/consent/users.yaml \
	tests/data/eval/consent_no_source/case.json \
	tests/data/eval/consent_no_source/policy.yaml \
	tests/data/eval/consent_no_source/users.csv \
	tests/data/eval/consent_no_source/users.yaml \
	tests/data/eval/fields/case.json \
	tests/data/eval/fields/people.csv \
	tests/data/eval/fields/people.yaml \
	tests/data/eval/fields/policy.yaml \
	tests/data/eval/kanon/case.json \
	tests/data/eval/kanon/patients.csv.gz \
	tests/data/eval/kanon/patients.yaml \
	tests/data/eval/kanon/policy.yaml \
	tests/data/eval/kanon_cap/case.json \
	tests/data/eval/kanon_cap/patients.csv.gz \
	tests/data/eval/kanon_cap/patients.yaml \
	tests/data/eval/kanon_cap/policy.yaml \
	tests/data/eval/labels/case.json \
	tests/data/eval/labels/eu.yaml \
	tests/data/eval/labels/log.csv \
	tests/data/eval/labels/policy.yaml \
	tests/data/eval/labels/us.yaml \
	tests/data/eval/malformed/audit.yaml \
	tests/data/eval/malformed/case.json \
	tests/data/eval/malformed/enforce.yaml \
	tests/data/eval/malformed/orders.csv \
	tests/data/eval/malformed/orders.yaml \
	tests/data/eval/modes/audit.yaml \
	tests/data/eval/modes/case.json \
	tests/data/eval/modes/enforce.yaml \
	tests/data/eval/modes/people.csv \
	tests/data/eval/modes/people.yaml \
	tests/data/eval/modes/shadow.yaml \
	tests/data/eval/no_policy/case.json \
	tests/data/eval/no_policy/log.csv \
	tests/data/eval/no_policy/log.yaml \
	tests/data/eval/no_policy/policy.yaml \
	tests/data/eval/odd_names/case.json \
	tests/data/eval/odd_names/odd.csv \
	tests/data/eval/odd_names/odd.yaml \
	tests/data/eval/odd_names/policy.yaml \
	tests/data/eval/pii_undeclared/case.json \
	tests/data/eval/pii_undeclared/events.jsonl \
	tests/data/eval/pii_undeclared/events.yaml \
	tests/data/eval/pii_undeclared/policy.yaml \
	tests/data/eval/retention/case.json \
	tests/data/eval/retention/log.csv \
	tests/data/eval/retention/log.yaml \
	tests/data/eval/retention/policy.yaml \
	tests/data/eval/unreadable/case.json \
	tests/data/eval/unreadable/gone.yaml \
	tests/data/eval/unreadable/policy.yaml \
	tests/data/manifest/users-fides.yml \
	tests/data/manifest/users.yaml

# consentctl policy validate|test and evaluate, when consentctl is built.
TESTS += tests/integration/test_policy_cli.py
EXTRA_DIST += tests/integration/test_policy_cli.py
