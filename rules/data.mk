# rules/: dataset readers and PII detectors.
