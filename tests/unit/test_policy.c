/* Unit tests for policy parsing (rules/policy.c) and the fideslang taxonomy
 * (rules/taxonomy.c). */
#include "unit.h"

#include <glob.h>

#include "buf.h"
#include "codec.h"
#include "crypto.h"
#include "policy.h"
#include "taxonomy.h"

#define POLICIES_DIR TEST_DATA_DIR "/../../policies"

static int
parse(const char *yaml, struct policy **ret, struct diag *d)
{
	return policy_parse_string("p.yaml", yaml, strlen(yaml), ret, d, NULL);
}

/* Asserts that diagnostic i is at line:col and its message contains text. */
static void
expect_diag(const struct diag *d, size_t i, unsigned line, unsigned col,
    const char *text)
{
	if (i >= d->n) {
		diag_print(d, stderr);
		fail_msg("expected at least %zu diagnostics, got %zu", i + 1,
		    d->n);
	}
	if (d->items[i].line != line || d->items[i].col != col ||
	    !strstr(d->items[i].message, text)) {
		diag_print(d, stderr);
		fail_msg("diagnostic %zu: expected %u:%u '%s', got %u:%u '%s'",
		    i, line, col, text, d->items[i].line, d->items[i].col,
		    d->items[i].message);
	}
	assert_string_equal(d->items[i].file, "p.yaml");
}

/* Parses yaml, expects failure with exactly one diagnostic. */
static void
expect_one_error(const char *yaml, unsigned line, unsigned col,
    const char *text)
{
	struct diag d = { 0 };
	struct policy *p = NULL;

	assert_int_equal(parse(yaml, &p, &d), -EINVAL);
	assert_null(p);
	expect_diag(&d, 0, line, col, text);
	if (d.n != 1) {
		diag_print(&d, stderr);
		fail_msg("expected 1 diagnostic, got %zu", d.n);
	}
	diag_clear(&d);
}

static const char full_policy[] =
    "name: gdpr-training-baseline\n"
    "version: 3\n"
    "description: Baseline for training on EU user data\n"
    "mode: audit\n"
    "match:\n"
    "  purposes: [train_ai_system, analytics]\n"
    "  labels: { region: eu, tier: [gold, silver] }\n"
    "rules:\n"
    "  - name: consented\n"
    "    consent: { purpose: train_ai_system, max_missing: 5 }\n"
    "  - name: few-missing\n"
    "    consent: { max_missing: 2.5% }\n"
    "  - name: fraction\n"
    "    consent: { max_missing: 0.01 }\n"
    "  - name: default-consent\n"
    "    consent:\n"
    "  - name: no-contact\n"
    "    description: no direct contact data\n"
    "    fields:\n"
    "      deny: ['*email*', phone]\n"
    "      deny_categories: [user.contact, user.name]\n"
    "      allow_categories: [user.demographic]\n"
    "  - name: raw-pii\n"
    "    pii:\n"
    "      detect: [email, ip_address, email]\n"
    "      custom:\n"
    "        - { name: employee_id, pattern: 'E[0-9]{6}', "
    "validate: luhn }\n"
    "      max_rate: 0.001\n"
    "      columns: ['*']\n"
    "      exclude_columns: [id]\n"
    "  - name: k-anon\n"
    "    k_anonymity: { quasi_identifiers: [zip, birth_year], k: 10 }\n"
    "  - name: l-div\n"
    "    l_diversity: { sensitive: diagnosis, l: 3 }\n"
    "  - name: fresh\n"
    "    retention: { field: collected_at, max_age: 730d }\n"
    "  - name: budget\n"
    "    dp_budget: { epsilon: 8, delta: 1e-6, scope: group eu-users, "
    "accountant: basic }\n";

static void
t_full_policy(void **state)
{
	struct diag d = { 0 };
	_cleanup_policy_ struct policy *p = NULL;
	uint8_t h[SHA256_LEN];
	const struct policy_rule *r;

	if (parse(full_policy, &p, &d) != 0) {
		diag_print(&d, stderr);
		fail();
	}
	assert_int_equal(d.n, 0);
	assert_string_equal(p->name, "gdpr-training-baseline");
	assert_string_equal(p->version, "3");
	assert_string_equal(p->description,
	    "Baseline for training on EU user data");
	assert_int_equal(p->mode, POLICY_AUDIT);
	assert_int_equal(p->purposes.n, 2);
	assert_string_equal(p->purposes.v[1], "analytics");
	assert_int_equal(p->nlabels, 2);
	assert_string_equal(p->labels[0].key, "region");
	assert_int_equal(p->labels[0].values.n, 1);
	assert_string_equal(p->labels[1].values.v[1], "silver");
	assert_int_equal(p->nrules, 10);

	r = &p->rules[0];
	assert_string_equal(r->name, "consented");
	assert_int_equal(r->kind, RULE_CONSENT);
	assert_int_equal(r->line, 9);
	assert_int_equal(r->col, 5);
	assert_string_equal(r->consent.purpose, "train_ai_system");
	assert_int_equal(r->consent.limit, CONSENT_LIMIT_COUNT);
	assert_int_equal(r->consent.max_count, 5);
	r = &p->rules[1];
	assert_null(r->consent.purpose);
	assert_int_equal(r->consent.limit, CONSENT_LIMIT_FRACTION);
	assert_true(r->consent.max_fraction > 0.0249 &&
	    r->consent.max_fraction < 0.0251);
	r = &p->rules[2];
	assert_int_equal(r->consent.limit, CONSENT_LIMIT_FRACTION);
	assert_true(r->consent.max_fraction == 0.01);
	r = &p->rules[3];
	assert_int_equal(r->kind, RULE_CONSENT);
	assert_int_equal(r->consent.limit, CONSENT_LIMIT_COUNT);
	assert_int_equal(r->consent.max_count, 0);

	r = &p->rules[4];
	assert_int_equal(r->kind, RULE_FIELDS);
	assert_string_equal(r->description, "no direct contact data");
	assert_int_equal(r->fields.deny.n, 2);
	assert_string_equal(r->fields.deny.v[0], "*email*");
	assert_int_equal(r->fields.deny_categories.n, 2);
	assert_int_equal(r->fields.allow_categories.n, 1);
	assert_int_equal(r->fields.allow.n, 0);

	r = &p->rules[5];
	assert_int_equal(r->kind, RULE_PII);
	/* email once, ip_address as both IPv4 and IPv6. */
	assert_int_equal(r->pii.nkinds, 3);
	assert_int_equal(r->pii.kinds[0], DETECT_EMAIL);
	assert_int_equal(r->pii.kinds[1], DETECT_IPV4);
	assert_int_equal(r->pii.kinds[2], DETECT_IPV6);
	assert_int_equal(r->pii.ncustom, 1);
	assert_string_equal(r->pii.custom[0].name, "employee_id");
	assert_int_equal(r->pii.custom[0].validate, CHECKSUM_LUHN);
	assert_true(r->pii.max_rate == 0.001);
	assert_non_null(r->pii.set);
	assert_int_equal(detector_set_size(r->pii.set), 4);
	assert_string_equal(detector_set_name(r->pii.set, 3), "employee_id");
	assert_int_equal(r->pii.exclude_columns.n, 1);

	r = &p->rules[6];
	assert_int_equal(r->kind, RULE_K_ANONYMITY);
	assert_int_equal(r->k_anonymity.k, 10);
	assert_int_equal(r->k_anonymity.quasi_identifiers.n, 2);
	r = &p->rules[7];
	assert_int_equal(r->kind, RULE_L_DIVERSITY);
	assert_string_equal(r->l_diversity.sensitive, "diagnosis");
	assert_int_equal(r->l_diversity.l, 3);
	assert_int_equal(r->l_diversity.quasi_identifiers.n, 0);
	r = &p->rules[8];
	assert_int_equal(r->kind, RULE_RETENTION);
	assert_string_equal(r->retention.field, "collected_at");
	assert_int_equal(r->retention.max_age, 730 * USEC_PER_DAY);
	r = &p->rules[9];
	assert_int_equal(r->kind, RULE_DP_BUDGET);
	assert_true(r->dp_budget.epsilon == 8.0);
	assert_true(r->dp_budget.has_delta);
	assert_true(r->dp_budget.delta == 1e-6);
	assert_int_equal(r->dp_budget.scope, DP_SCOPE_GROUP);
	assert_string_equal(r->dp_budget.group, "eu-users");
	assert_int_equal(r->dp_budget.accountant, DP_ACCOUNTANT_BASIC);

	/* The hash names the exact bytes. */
	sha256(full_policy, strlen(full_policy), h);
	assert_memory_equal(p->hash, h, SHA256_LEN);
	{
		char hex[2 * SHA256_LEN + 1];

		hex_encode(h, SHA256_LEN, hex);
		assert_string_equal(p->hash_hex, hex);
	}
}

static void
t_defaults(void **state)
{
	struct diag d = { 0 };
	_cleanup_policy_ struct policy *p = NULL;
	size_t ndefault = 0;

	assert_int_equal(parse("name: p\n"
				"rules:\n"
				"  - name: scan\n"
				"    pii: {}\n"
				"  - name: budget\n"
				"    dp_budget: { epsilon: 1 }\n",
			     &p, &d),
	    0);
	assert_int_equal(p->mode, POLICY_ENFORCE);
	assert_null(p->version);
	assert_int_equal(p->purposes.n, 0);
	/* pii without detect: the detector module's default set. */
	for (size_t i = 0; detector_default_names[i]; i++)
		ndefault += streq(detector_default_names[i], "ip_address") ? 2 :
		    1;
	assert_int_equal(p->rules[0].pii.nkinds, ndefault);
	assert_true(ndefault >= 8);
	assert_true(p->rules[0].pii.max_rate == 0.0);
	assert_int_equal(p->rules[1].dp_budget.scope, DP_SCOPE_DATASET);
	assert_int_equal(p->rules[1].dp_budget.accountant, DP_ACCOUNTANT_RDP);
	assert_false(p->rules[1].dp_budget.has_delta);
}

static void
t_unknown_key(void **state)
{
	expect_one_error("name: p\n"
			 "colour: blue\n"
			 "rules: [ { name: a, retention: { max_age: 1d } } ]\n",
	    2, 1, "unknown key 'colour' in a policy; expected one of: name");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    retention: { max_age: 1d, feild: t }\n",
	    4, 31, "unknown key 'feild' in 'retention' options");
	expect_one_error("name: p\n"
			 "match: { purpose: [x] }\n"
			 "rules: [ { name: a, retention: { max_age: 1d } } ]\n",
	    2, 10, "unknown key 'purpose' in 'match'");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    retention: { max_age: 1d }\n"
			 "    severity: high\n",
	    5, 5, "unknown key 'severity' in a rule");
}

static void
t_wrong_type(void **state)
{
	expect_one_error("name: [p]\n"
			 "rules: [ { name: a, retention: { max_age: 1d } } ]\n",
	    1, 7, "expected a string");
	expect_one_error("name: p\n"
			 "rules: { name: a }\n",
	    2, 8, "expected a non-empty list of rules");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    fields: { deny: email }\n",
	    4, 21, "expected a list of strings for 'deny'");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    k_anonymity: { k: ten }\n",
	    4, 23, "expected an integer between 2 and");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    k_anonymity: { k: 1 }\n",
	    4, 23, "expected an integer between 2 and");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    consent: [x]\n",
	    4, 14, "expected a mapping of options for 'consent'");
	expect_one_error("name: p\n"
			 "mode: block\n"
			 "rules: [ { name: a, retention: { max_age: 1d } } ]\n",
	    2, 7, "unknown mode 'block'; expected enforce, audit or shadow");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    dp_budget: { epsilon: 1, delta: 1 }\n",
	    4, 37, "expected delta strictly between 0 and 1");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    dp_budget: { epsilon: 0 }\n",
	    4, 27, "expected epsilon greater than 0");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    dp_budget: { epsilon: 1, scope: everyone }\n",
	    4, 37, "expected scope 'dataset' or 'group NAME'");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    pii: { max_rate: 2 }\n",
	    4, 22, "expected max_rate as a fraction between 0 and 1");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    consent: { max_missing: -1 }\n",
	    4, 29, "expected max_missing as a row count");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: a\n"
			 "    consent: { max_missing: 150% }\n",
	    4, 29, "expected max_missing as a row count");
}

static void
t_bad_duration(void **state)
{
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: fresh\n"
			 "    retention: { max_age: two years }\n",
	    4, 27, "expected a duration such as 730d");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: fresh\n"
			 "    retention: { max_age: 0d }\n",
	    4, 27, "max_age must be longer than zero");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: fresh\n"
			 "    retention: { field: t }\n",
	    4, 16, "a retention rule needs 'max_age'");
}

static void
t_unknown_detector(void **state)
{
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: scan\n"
			 "    pii: { detect: [email, passport] }\n",
	    4, 28, "unknown detector 'passport'; expected one of: email");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: scan\n"
			 "    pii:\n"
			 "      custom:\n"
			 "        - { name: x, pattern: 'x+', validate: crc32 }\n",
	    6, 47, "unknown validation 'crc32'; expected one of: luhn");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: scan\n"
			 "    pii:\n"
			 "      custom:\n"
			 "        - { name: email, pattern: 'x+' }\n",
	    6, 19, "custom detector name 'email' is the name of a built-in");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: scan\n"
			 "    pii: { detect: [] }\n",
	    4, 10, "a pii rule needs at least one detector");
}

static void
t_bad_pcre(void **state)
{
	struct diag d = { 0 };
	struct policy *p = NULL;

	assert_int_equal(parse("name: p\n"
			       "rules:\n"
			       "  - name: scan\n"
			       "    pii:\n"
			       "      custom:\n"
			       "        - name: ok\n"
			       "          pattern: 'A[0-9]+'\n"
			       "        - name: broken\n"
			       "          pattern: 'E[0-9'\n"
			       "        - name: unbalanced\n"
			       "          pattern: '(ab'\n",
			 &p, &d),
	    -EINVAL);
	assert_null(p);
	expect_diag(&d, 0, 9, 20,
	    "invalid pattern for custom detector 'broken': ");
	expect_diag(&d, 1, 11, 20,
	    "invalid pattern for custom detector 'unbalanced': ");
	assert_int_equal(d.n, 2);
	diag_clear(&d);
}

static void
t_duplicate_rule(void **state)
{
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: fresh\n"
			 "    retention: { max_age: 1d }\n"
			 "  - name: other\n"
			 "    retention: { max_age: 2d }\n"
			 "  - name: fresh\n"
			 "    retention: { max_age: 3d }\n",
	    7, 11, "duplicate rule name 'fresh' (first at line 3)");
}

static void
t_missing_name_and_kind(void **state)
{
	expect_one_error("rules:\n"
			 "  - name: fresh\n"
			 "    retention: { max_age: 1d }\n",
	    1, 1, "a policy needs 'name' (name: NAME)");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - retention: { max_age: 1d }\n",
	    3, 5, "a rule needs 'name' (name: NAME)");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: nothing\n",
	    3, 5, "a rule needs one of: consent, fields, pii");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: two\n"
			 "    consent: {}\n"
			 "    retention: { max_age: 1d }\n",
	    5, 5, "a rule has exactly one kind: 'consent' and 'retention'");
	expect_one_error("name: 'bad name'\n"
			 "rules: [ { name: a, retention: { max_age: 1d } } ]\n",
	    1, 7, "invalid policy name 'bad name'");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: read\n"
			 "    retention: { max_age: 1d }\n",
	    3, 11, "rule name 'read' is reserved");
	expect_one_error("name: p\n", 1, 1,
	    "a policy needs 'rules' (a list of rules)");
	expect_one_error("", 1, 1, "empty policy");
	expect_one_error("- a\n", 1, 1, "expected a policy: a mapping");
	expect_one_error("name: p\n"
			 "rules:\n"
			 "  - name: f\n"
			 "    fields: {}\n",
	    4, 13, "a fields rule needs at least one of");
}

static void
t_categories(void **state)
{
	struct diag d = { 0 };
	struct diag w = { 0 };
	struct policy *p = NULL;
	const char *yaml = "name: p\n"
			   "rules:\n"
			   "  - name: f\n"
			   "    fields:\n"
			   "      deny_categories: [user.contacts, user.contact]\n"
			   "      allow_categories: [customer.email, 'user..x']\n";

	assert_int_equal(policy_parse_string("p.yaml", yaml, strlen(yaml), &p,
			     &d, &w),
	    -EINVAL);
	expect_diag(&d, 0, 5, 25,
	    "unknown data category 'user.contacts' (not in the fideslang "
	    "taxonomy; nearest known: 'user')");
	expect_diag(&d, 1, 6, 26,
	    "unknown data category 'customer.email' (not in the fideslang "
	    "taxonomy)");
	expect_diag(&d, 2, 6, 42, "invalid data category 'user..x'");
	assert_int_equal(d.n, 3);
	assert_int_equal(w.n, 0);
	diag_clear(&d);
}

static void
t_deprecated_purpose_warns(void **state)
{
	struct diag d = { 0 };
	struct diag w = { 0 };
	_cleanup_policy_ struct policy *p = NULL;
	const char *yaml = "name: p\n"
			   "match: { purposes: [personalize.profiling] }\n"
			   "rules: [ { name: a, retention: { max_age: 1d } } ]\n";

	assert_int_equal(policy_parse_string("p.yaml", yaml, strlen(yaml), &p,
			     &d, &w),
	    0);
	assert_int_equal(d.n, 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.items[0].line, 2);
	assert_int_equal(w.items[0].col, 21);
	assert_non_null(strstr(w.items[0].message,
	    "use 'personalize.content.profiling'"));
	diag_clear(&w);
}

/* Every error in a file is reported, sorted by position. */
static void
t_all_errors(void **state)
{
	struct diag d = { 0 };
	struct policy *p = NULL;

	assert_int_equal(parse("name: p\n"
			       "mode: strict\n"
			       "extra: 1\n"
			       "rules:\n"
			       "  - name: a\n"
			       "    retention: { max_age: soon }\n"
			       "  - name: a\n"
			       "    pii: { detect: [emial] }\n"
			       "  - name: c\n"
			       "    k_anonymity: { k: 1 }\n"
			       "  - name: d\n"
			       "    consent: { max_missing: lots }\n",
			 &p, &d),
	    -EINVAL);
	assert_null(p);
	expect_diag(&d, 0, 2, 7, "unknown mode 'strict'");
	expect_diag(&d, 1, 3, 1, "unknown key 'extra'");
	expect_diag(&d, 2, 6, 27, "expected a duration");
	expect_diag(&d, 3, 7, 11, "duplicate rule name 'a'");
	expect_diag(&d, 4, 8, 21, "unknown detector 'emial'");
	expect_diag(&d, 5, 10, 23, "expected an integer between 2");
	expect_diag(&d, 6, 12, 29, "expected max_missing");
	assert_int_equal(diag_count(&d), 7);
	diag_clear(&d);
}

static void
t_yaml_syntax_error(void **state)
{
	struct diag d = { 0 };
	struct policy *p = NULL;

	assert_int_equal(parse("name: p\nrules: [\n", &p, &d), -EINVAL);
	assert_null(p);
	assert_true(d.n >= 1);
	assert_string_equal(d.items[0].file, "p.yaml");
	assert_true(d.items[0].line >= 2);
	diag_clear(&d);
}

static void
t_parse_file(void **state)
{
	char path[] = "/tmp/test_policy.XXXXXX";
	struct diag d = { 0 };
	_cleanup_policy_ struct policy *p = NULL;
	struct policy *none = NULL;
	uint8_t h[SHA256_LEN];
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_policy, strlen(full_policy)),
	    (ssize_t)strlen(full_policy));
	close(fd);
	assert_int_equal(policy_parse_file(path, &p, &d, NULL), 0);
	sha256(full_policy, strlen(full_policy), h);
	assert_memory_equal(p->hash, h, SHA256_LEN);
	assert_string_equal(p->file, path);
	unlink(path);
	assert_int_equal(policy_parse_file(path, &none, &d, NULL), -ENOENT);
	assert_null(none);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 0);
	assert_non_null(strstr(d.items[0].message, "cannot open"));
	diag_clear(&d);
}

static void
t_purpose_matching(void **state)
{
	struct diag d = { 0 };
	_cleanup_policy_ struct policy *p = NULL;
	_cleanup_policy_ struct policy *any = NULL;

	assert_int_equal(parse("name: p\n"
			       "match: { purposes: [marketing, "
			       "train_ai_system] }\n"
			       "rules: [ { name: a, retention: "
			       "{ max_age: 1d } } ]\n",
			     &p, &d),
	    0);
	assert_true(policy_matches_purpose(p, "train_ai_system"));
	assert_true(policy_matches_purpose(p, "marketing"));
	assert_true(policy_matches_purpose(p, "marketing.advertising"));
	assert_false(policy_matches_purpose(p, "marketingx"));
	assert_false(policy_matches_purpose(p, "train_ai"));
	assert_false(policy_matches_purpose(p, "analytics"));
	assert_false(policy_matches_purpose(p, NULL));
	assert_int_equal(parse("name: any\n"
			       "rules: [ { name: a, retention: "
			       "{ max_age: 1d } } ]\n",
			     &any, &d),
	    0);
	assert_true(policy_matches_purpose(any, "anything"));
	assert_true(policy_matches_purpose(any, NULL));
}

static void
t_category_prefix(void **state)
{
	struct policy_strv keys = { (char *[]){ "user.contact",
					"user.financial" },
		2 };

	assert_true(taxonomy_covers("user.contact", "user.contact"));
	assert_true(taxonomy_covers("user.contact", "user.contact.email"));
	assert_true(taxonomy_covers("user.contact",
	    "user.contact.address.postal_code"));
	assert_true(taxonomy_covers("user", "user.contact.email"));
	assert_false(taxonomy_covers("user.contact", "user.contactless"));
	assert_false(taxonomy_covers("user.contact", "user"));
	assert_false(taxonomy_covers("user.contact.email", "user.contact"));
	assert_false(taxonomy_covers("", "user"));
	assert_false(taxonomy_covers(NULL, "user"));
	assert_true(policy_categories_cover(&keys,
	    "user.financial.credit_card"));
	assert_true(policy_categories_cover(&keys, "user.contact.phone_number"));
	assert_false(policy_categories_cover(&keys, "user.name"));
	assert_false(policy_categories_cover(&keys, "user.financials"));

	assert_true(taxonomy_key_valid("user.contact.email"));
	assert_true(taxonomy_key_valid("user.custom-thing_2"));
	assert_false(taxonomy_key_valid(""));
	assert_false(taxonomy_key_valid(".user"));
	assert_false(taxonomy_key_valid("user."));
	assert_false(taxonomy_key_valid("user..contact"));
	assert_false(taxonomy_key_valid("user contact"));

	assert_non_null(taxonomy_lookup(TAXONOMY_CATEGORY,
	    "user.demographic.date_of_birth"));
	assert_null(taxonomy_lookup(TAXONOMY_CATEGORY, "train_ai_system"));
	assert_non_null(taxonomy_lookup(TAXONOMY_USE, "train_ai_system"));
	assert_string_equal(taxonomy_nearest(TAXONOMY_CATEGORY,
				"user.contact.work_email")->key,
	    "user.contact");
	assert_null(taxonomy_nearest(TAXONOMY_CATEGORY, "customer.email"));
}

/* The compiled table and rules/taxonomy/fideslang.tsv agree, line by line,
 * and the table is sorted (lookups use binary search). */
static void
t_taxonomy_matches_data_file(void **state)
{
	_cleanup_fclose_ FILE *f = fopen(TAXONOMY_TSV, "re");
	char line[1024];
	size_t i = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const struct taxonomy_entry *e;
		char *fields[5], *p = line;
		size_t n = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		while (n < 5) {
			fields[n++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		assert_int_equal(n, 5);
		e = taxonomy_entry_at(i);
		if (!e)
			fail_msg("the data file has more entries than the "
				 "table (at '%s')",
			    fields[1]);
		assert_int_equal(e->kind, streq(fields[0], "category") ?
			TAXONOMY_CATEGORY :
			TAXONOMY_USE);
		assert_true(streq(fields[0], "category") ||
		    streq(fields[0], "use"));
		assert_string_equal(e->key, fields[1]);
		if (fields[2][0])
			assert_string_equal(e->parent, fields[2]);
		else
			assert_null(e->parent);
		assert_string_equal(e->name, fields[3]);
		if (fields[4][0])
			assert_string_equal(e->replaced_by, fields[4]);
		else
			assert_null(e->replaced_by);
		/* Parents are entries of the same kind. */
		if (e->parent)
			assert_non_null(taxonomy_lookup(e->kind, e->parent));
		if (i > 0) {
			const struct taxonomy_entry *prev =
			    taxonomy_entry_at(i - 1);

			assert_true(prev->kind < e->kind ||
			    (prev->kind == e->kind &&
				strcmp(prev->key, e->key) < 0));
		}
		assert_ptr_equal(taxonomy_lookup(e->kind, e->key), e);
		i++;
	}
	assert_int_equal(i, taxonomy_size());
	assert_true(i > 100);
	assert_null(taxonomy_entry_at(i));
}

/* The shipped policies parse without errors or warnings. */
static void
t_shipped_policies(void **state)
{
	glob_t g;

	assert_int_equal(glob(POLICIES_DIR "/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct diag d = { 0 }, w = { 0 };
		struct policy *p = NULL;

		if (policy_parse_file(g.gl_pathv[i], &p, &d, &w) != 0 ||
		    w.n) {
			diag_print(&d, stderr);
			diag_print(&w, stderr);
			fail_msg("%s does not parse cleanly", g.gl_pathv[i]);
		}
		policy_free(p);
	}
	globfree(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_full_policy),
		cmocka_unit_test(t_defaults),
		cmocka_unit_test(t_unknown_key),
		cmocka_unit_test(t_wrong_type),
		cmocka_unit_test(t_bad_duration),
		cmocka_unit_test(t_unknown_detector),
		cmocka_unit_test(t_bad_pcre),
		cmocka_unit_test(t_duplicate_rule),
		cmocka_unit_test(t_missing_name_and_kind),
		cmocka_unit_test(t_categories),
		cmocka_unit_test(t_deprecated_purpose_warns),
		cmocka_unit_test(t_all_errors),
		cmocka_unit_test(t_yaml_syntax_error),
		cmocka_unit_test(t_parse_file),
		cmocka_unit_test(t_purpose_matching),
		cmocka_unit_test(t_category_prefix),
		cmocka_unit_test(t_taxonomy_matches_data_file),
		cmocka_unit_test(t_shipped_policies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
