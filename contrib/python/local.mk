# contrib/python: the pipeline hook, its DP-SGD example, and their test.
TESTS += tests/integration/test_hook.py
EXTRA_DIST += contrib/python/consentd_hook.py contrib/python/train_dp_sgd_example.py contrib/python/README.md tests/integration/test_hook.py
