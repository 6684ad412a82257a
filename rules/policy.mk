# rules/: policies, manifests and rule evaluation.
