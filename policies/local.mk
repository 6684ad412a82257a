# policies/: the shipped policies, ready to use, and their test cases.
policiesdir = $(pkgdatadir)/policies
dist_policies_DATA = \
	policies/gdpr-training-baseline.yaml \
	policies/no-direct-identifiers.yaml \
	policies/research-audit.yaml

# consentctl policy test policies: every case in policies/tests/.
TESTS += policies/run-tests.sh
EXTRA_DIST += policies/run-tests.sh \
	policies/tests/data/people-clean.csv \
	policies/tests/data/people-clean.yaml \
	policies/tests/data/people-iban.csv \
	policies/tests/data/people-iban.yaml \
	policies/tests/data/people-names.csv \
	policies/tests/data/people-names.yaml \
	policies/tests/data/people-passport.csv \
	policies/tests/data/people-passport.yaml \
	policies/tests/data/reviews-contact.csv \
	policies/tests/data/reviews-contact.yaml \
	policies/tests/data/reviews-email.csv \
	policies/tests/data/reviews-email.yaml \
	policies/tests/data/reviews-small-class.csv \
	policies/tests/data/reviews-small-class.yaml \
	policies/tests/data/reviews-stale.csv \
	policies/tests/data/reviews-stale.yaml \
	policies/tests/data/reviews.csv \
	policies/tests/data/reviews.yaml \
	policies/tests/gdpr-clean.yaml \
	policies/tests/gdpr-contact-column.yaml \
	policies/tests/gdpr-hidden-email.yaml \
	policies/tests/gdpr-missing-consent.yaml \
	policies/tests/gdpr-no-ledger.yaml \
	policies/tests/gdpr-other-purpose.yaml \
	policies/tests/gdpr-small-class.yaml \
	policies/tests/gdpr-stale.yaml \
	policies/tests/ndi-clean.yaml \
	policies/tests/ndi-government-id.yaml \
	policies/tests/ndi-iban-in-notes.yaml \
	policies/tests/ndi-name-column.yaml \
	policies/tests/research-violations.yaml \
	policies/tests/research-with-baseline.yaml
