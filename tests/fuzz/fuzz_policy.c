/* Fuzz target for rules/policy.c: parse any bytes as a policy and check the
 * parser's promises (all-or-nothing, positioned errors, unique names). */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "fuzz.h"
#include "policy.h"

static void
fuzz_policy_check(bool ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag errors = { 0 }, warnings = { 0 };
	struct policy *p = NULL;
	uint8_t h[SHA256_LEN];
	int r;

	r = policy_parse_string("fuzz.yaml", (const char *)data, size, &p,
	    &errors, &warnings);
	if (r == 0) {
		fuzz_policy_check(p && diag_count(&errors) == 0);
		fuzz_policy_check(p->name && p->nrules >= 1);
		fuzz_policy_check(policy_mode_name(p->mode) != NULL);
		sha256(data, size, h);
		fuzz_policy_check(memcmp(h, p->hash, SHA256_LEN) == 0);
		for (size_t i = 0; i < p->nrules; i++) {
			const struct policy_rule *rule = &p->rules[i];

			fuzz_policy_check(rule->name &&
			    rule_kind_name(rule->kind) != NULL);
			for (size_t j = 0; j < i; j++)
				fuzz_policy_check(!streq(rule->name,
				    p->rules[j].name));
			if (rule->kind == RULE_PII)
				fuzz_policy_check(rule->pii.set &&
				    detector_set_size(rule->pii.set) ==
					rule->pii.nkinds + rule->pii.ncustom);
		}
		(void)policy_matches_purpose(p, "train_ai_system");
		policy_free(p);
	} else {
		fuzz_policy_check(p == NULL);
		if (r == -EINVAL) {
			fuzz_policy_check(diag_count(&errors) > 0);
			for (size_t i = 0; i < errors.n; i++)
				fuzz_policy_check(
				    streq(errors.items[i].file, "fuzz.yaml"));
		} else {
			fuzz_policy_check(r == -ENOMEM);
		}
	}
	diag_clear(&errors);
	diag_clear(&warnings);
	return 0;
}
