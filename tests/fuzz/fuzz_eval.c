/* Fuzz target for rules/eval.c and the checks: any bytes as a dataset (the
 * first byte picks CSV, TSV or JSONL), evaluated against a policy with every
 * rule kind; the decision is never allow when the data was not read whole,
 * and the result always serializes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fuzz.h"

static const char fuzz_eval_policy[] =
    "name: every-kind\n"
    "rules:\n"
    "  - name: consented\n"
    "    consent: { max_missing: 50% }\n"
    "  - name: fields\n"
    "    fields: { deny: ['*mail*'], allow_categories: [user] }\n"
    "  - name: pii\n"
    "    pii:\n"
    "      max_rate: 0.5\n"
    "      custom: [ { name: num, pattern: '[0-9]{4,}', validate: luhn } ]\n"
    "  - name: k\n"
    "    k_anonymity: { k: 2 }\n"
    "  - name: l\n"
    "    l_diversity: { sensitive: b, l: 2 }\n"
    "  - name: fresh\n"
    "    retention: { max_age: 30d }\n"
    "  - name: budget\n"
    "    dp_budget: { epsilon: 1 }\n";

static const char *const fuzz_eval_formats[] = { "csv", "tsv", "jsonl" };

static void
fuzz_eval_check(bool ok)
{
	if (!ok)
		abort();
}

/* Subjects whose first byte is odd have consented. */
static int
fuzz_eval_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	return len > 0 && (subject[0] & 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *policy;
	struct diag d = { 0 };
	struct manifest *m = NULL;
	struct eval_result *res = NULL;
	struct consent_source src = { .lookup = fuzz_eval_lookup,
		.snapshot_size = 1 };
	struct eval_options opt = { .purpose = "train_ai_system",
		.at = INT64_C(1796000000) * USEC_PER_SEC, .consent = &src,
		.max_classes = 64 };
	char manifest[512];
	json_t *j;
	int fd, n;

	if (!policy)
		fuzz_eval_check(policy_parse_string("policy.yaml",
				    fuzz_eval_policy, strlen(fuzz_eval_policy),
				    &policy, &d, NULL) == 0);
	if (size < 1)
		return 0;
	{
		/* Unlinked at once: the data is reached as /proc/self/fd/N. */
		char tmp[] = "/tmp/fuzz-eval.XXXXXX";

		fd = mkstemp(tmp);
		fuzz_eval_check(fd >= 0 && unlink(tmp) == 0);
	}
	fuzz_eval_check(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
	n = snprintf(manifest, sizeof(manifest),
	    "dataset: fuzz\n"
	    "path: '%d'\n"
	    "format: %s\n"
	    "subject_field: a\n"
	    "fields:\n"
	    "  a: { category: user.unique_id, role: quasi_identifier }\n"
	    "  b: { role: sensitive }\n"
	    "  c: { role: timestamp, category: user.contact.email }\n",
	    fd, fuzz_eval_formats[data[0] % 3]);
	fuzz_eval_check(n > 0 && (size_t)n < sizeof(manifest));
	fuzz_eval_check(manifest_parse_string("m.yaml", manifest, (size_t)n,
			    "/proc/self/fd", &m, &d, NULL) == 0);
	fuzz_eval_check(eval_run(&policy, 1, &m, 1, &opt, &res) == 0);
	if (res->datasets[0].malformed > 0 || res->datasets[0].error)
		fuzz_eval_check(res->decision != EVAL_ALLOW);
	if (res->datasets[0].error)
		fuzz_eval_check(res->datasets[0].fingerprint[0] == '\0');
	fuzz_eval_check(res->npolicies == 1 && res->policies[0].nrules >= 7);
	j = eval_result_to_json(res);
	fuzz_eval_check(j != NULL);
	json_decref(j);
	eval_result_free(res);
	manifest_free(m);
	close(fd);
	diag_clear(&d);
	return 0;
}
