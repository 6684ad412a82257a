# man/: the manual pages, and a test that they render without warnings and
# cover the commands, routes and configuration keys in the code.
dist_man_MANS += man/consentd.8 man/consentctl.1 man/consentd.yaml.5 \
	man/consentd-job.5
TESTS += tests/man-test.sh
EXTRA_DIST += tests/man-test.sh
