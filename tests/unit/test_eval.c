/* Unit tests for the evaluator (rules/eval.c, rules/check_*.c): golden cases
 * in tests/data/eval/<case>/case.json, and the interfaces around them. */
#include "unit.h"

#include <inttypes.h>
#include <pthread.h>

#include "buf.h"
#include "codec.h"
#include "crypto.h"
#include "eval.h"
#include "json.h"

#define EVAL_DIR TEST_DATA_DIR "/eval/"

/* A consent source over a JSON object {purpose: [subjects]}; a subject
 * listed in fail_on makes the lookup fail. */
struct fake_consent {
	const json_t *active;
	const char *fail_on;
	unsigned lookups;
	pthread_mutex_t lock;
};

static int
fake_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	struct fake_consent *f = userdata;
	const json_t *list = json_object_get(f->active, purpose);
	size_t i;
	json_t *v;

	pthread_mutex_lock(&f->lock);
	f->lookups++;
	pthread_mutex_unlock(&f->lock);
	if (f->fail_on && strlen(f->fail_on) == len &&
	    memcmp(f->fail_on, subject, len) == 0)
		return -EIO;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s && strlen(s) == len && memcmp(s, subject, len) == 0)
			return 1;
	}
	return 0;
}

/* Whether got has everything expected has: objects by key (extra keys in
 * got are fine), arrays element by element with the same length, numbers
 * by value. On a mismatch, prints where. */
static bool
json_matches(const json_t *exp, const json_t *got, const char *path)
{
	char sub[512];

	if (json_is_number(exp) && json_is_number(got)) {
		double a = json_number_value(exp), b = json_number_value(got);

		if (a == b || (a != 0 && b / a > 0.999999 && b / a < 1.000001))
			return true;
	} else if (json_is_object(exp) && json_is_object(got)) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)exp, key, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!json_object_get(got, key)) {
				fprintf(stderr, "%s: missing\n", sub);
				return false;
			}
			if (!json_matches(v, json_object_get(got, key), sub))
				return false;
		}
		return true;
	} else if (json_is_array(exp) && json_is_array(got)) {
		if (json_array_size(exp) == json_array_size(got)) {
			for (size_t i = 0; i < json_array_size(exp); i++) {
				snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
				if (!json_matches(json_array_get(exp, i),
					json_array_get(got, i), sub))
					return false;
			}
			return true;
		}
	} else if (json_equal((json_t *)exp, (json_t *)got)) {
		return true;
	}
	{
		_cleanup_free_ char *a = json_dumps(exp, JSON_ENCODE_ANY);
		_cleanup_free_ char *b = json_dumps(got, JSON_ENCODE_ANY);

		fprintf(stderr, "%s: expected %s, got %s\n", path, a, b);
	}
	return false;
}

struct loaded {
	struct policy *policies[8];
	size_t npolicies;
	struct manifest *manifests[8];
	size_t nmanifests;
};

static void
loaded_free(struct loaded *l)
{
	for (size_t i = 0; i < l->npolicies; i++)
		policy_free(l->policies[i]);
	for (size_t i = 0; i < l->nmanifests; i++)
		manifest_free(l->manifests[i]);
}

static void
load(const char *dir, const json_t *c, struct loaded *l)
{
	const json_t *v;
	size_t i;
	char path[1024];

	json_array_foreach(json_object_get(c, "policies"), i, v) {
		struct diag d = { 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(v));
		if (policy_parse_file(path, &l->policies[l->npolicies], &d,
			NULL) != 0) {
			diag_print(&d, stderr);
			fail_msg("cannot parse %s", path);
		}
		l->npolicies++;
	}
	json_array_foreach(json_object_get(c, "manifests"), i, v) {
		struct diag d = { 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(v));
		if (manifest_parse_file(path, &l->manifests[l->nmanifests], &d,
			NULL) != 0) {
			diag_print(&d, stderr);
			fail_msg("cannot parse %s", path);
		}
		l->nmanifests++;
	}
}

/* Runs tests/data/eval/<name>/case.json and returns the result as JSON. */
static json_t *
run_case(const char *name, struct fake_consent *fc_out)
{
	char dir[512], path[1024];
	json_error_t jerr;
	_cleanup_json_ json_t *c = NULL;
	const json_t *consent, *v;
	struct fake_consent fc = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct consent_source src = { 0 };
	struct eval_options opt = { 0 };
	struct loaded l = { 0 };
	_cleanup_eval_result_ struct eval_result *res = NULL;
	json_t *out;
	size_t i;

	snprintf(dir, sizeof(dir), EVAL_DIR "%s", name);
	snprintf(path, sizeof(path), "%s/case.json", dir);
	c = json_load_file(path, 0, &jerr);
	if (!c)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	load(dir, c, &l);
	opt.purpose = json_string_value(json_object_get(c, "purpose"));
	assert_int_equal(time_parse_rfc3339(json_string_value(
				 json_object_get(c, "at")), &opt.at),
	    0);
	opt.max_classes = (size_t)json_integer_value(
	    json_object_get(c, "max_classes"));
	if ((consent = json_object_get(c, "consent"))) {
		fc.active = json_object_get(consent, "active");
		src.userdata = &fc;
		src.lookup = fake_lookup;
		src.snapshot_size = (uint64_t)json_integer_value(
		    json_object_get(consent, "snapshot_size"));
		opt.consent = &src;
	}
	assert_int_equal(eval_run(l.policies, l.npolicies, l.manifests,
			     l.nmanifests, &opt, &res),
	    0);
	out = eval_result_to_json(res);
	assert_non_null(out);
	if (!json_matches(json_object_get(c, "expect"), out, name)) {
		_cleanup_free_ char *s = json_dumps(out, JSON_INDENT(2));

		fprintf(stderr, "%s\n", s);
		fail_msg("case %s: the result does not match", name);
	}
	/* Evidence and messages never hold values from the data. */
	{
		_cleanup_free_ char *s = json_dumps(out, 0);

		json_array_foreach(json_object_get(c, "absent"), i, v)
			if (strstr(s, json_string_value(v)))
				fail_msg("case %s: the result holds '%s'",
				    name, json_string_value(v));
	}
	if (fc_out)
		fc_out->lookups = fc.lookups;
	loaded_free(&l);
	return out;
}

#define GOLDEN(name)                                                           \
	static void t_##name(void **state)                                     \
	{                                                                      \
		json_decref(run_case(#name, NULL));                            \
	}

GOLDEN(consent)
GOLDEN(consent_no_source)
GOLDEN(fields)
GOLDEN(pii_undeclared)
GOLDEN(kanon)
GOLDEN(kanon_cap)
GOLDEN(retention)
GOLDEN(modes)
GOLDEN(malformed)
GOLDEN(unreadable)
GOLDEN(no_policy)
GOLDEN(labels)
GOLDEN(odd_names)

/* One lookup per record with a subject, and the dataset's fingerprint is
 * the SHA-256 of the file as stored. */
static void
t_consent_lookups_and_fingerprint(void **state)
{
	struct fake_consent fc = { 0 };
	_cleanup_json_ json_t *out = run_case("consent", &fc);
	_cleanup_free_ char *data = NULL;
	const json_t *ds = json_array_get(json_object_get(out, "datasets"), 0);
	uint8_t h[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	FILE *f;
	long n;

	/* 5 rules: the 4 of the job's purpose and one other; 4 records out
	 * of 5 have a subject. */
	assert_int_equal(fc.lookups, 5 * 4);
	f = fopen(EVAL_DIR "consent/users.csv", "re");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	sha256(data, (size_t)n, h);
	hex_encode(h, SHA256_LEN, hex);
	assert_string_equal(json_string_value(json_object_get(ds,
				"fingerprint")),
	    hex);
	assert_int_equal(json_integer_value(json_object_get(ds, "bytes")), n);
}

static void
load_case(const char *name, struct loaded *l)
{
	char dir[512], path[1024];
	json_error_t jerr;
	_cleanup_json_ json_t *c = NULL;

	snprintf(dir, sizeof(dir), EVAL_DIR "%s", name);
	snprintf(path, sizeof(path), "%s/case.json", dir);
	c = json_load_file(path, 0, &jerr);
	assert_non_null(c);
	load(dir, c, l);
}

/* A failing consent lookup is an error, never a pass. */
static void
t_consent_lookup_error(void **state)
{
	struct loaded l = { 0 };
	_cleanup_json_ json_t *active = json_pack("{s:[s,s,s]}",
	    "train_ai_system", "u1", "u2", "u5");
	struct fake_consent fc = { .active = active, .fail_on = "u3",
		.lock = PTHREAD_MUTEX_INITIALIZER };
	struct consent_source src = { .userdata = &fc, .lookup = fake_lookup };
	struct eval_options opt = { .purpose = "train_ai_system",
		.consent = &src };
	_cleanup_eval_result_ struct eval_result *res = NULL;
	enum eval_outcome o;

	load_case("consent", &l);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 1, &opt, &res),
	    0);
	assert_int_equal(eval_result_rule_outcome(res, "consented", &o), 0);
	assert_int_equal(o, EVAL_OUTCOME_ERROR);
	assert_int_equal(eval_result_rule_outcome(res,
			     "consent-limits/count-2", &o),
	    0);
	assert_int_equal(o, EVAL_OUTCOME_ERROR);
	assert_int_equal(eval_result_rule_outcome(res, "other/count-2", &o),
	    -ENOENT);
	assert_int_equal(eval_result_rule_outcome(res, "nope", &o), -ENOENT);
	/* The policy's rules all error: the decision is error, not allow. */
	assert_int_equal(res->decision, EVAL_ERROR);
	assert_non_null(strstr(res->policies[0].rules[0].reason,
	    "consent lookup failed at line 4"));
	loaded_free(&l);
}

/* Without a purpose, a consent rule naming none cannot be evaluated, and
 * policies that name purposes do not apply. */
static void
t_no_purpose(void **state)
{
	struct loaded l = { 0 };
	_cleanup_json_ json_t *active = json_object();
	struct fake_consent fc = { .active = active,
		.lock = PTHREAD_MUTEX_INITIALIZER };
	struct consent_source src = { .userdata = &fc, .lookup = fake_lookup };
	struct eval_options opt = { .consent = &src };
	_cleanup_eval_result_ struct eval_result *a = NULL, *b = NULL;

	load_case("consent_no_source", &l);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 1, &opt, &a),
	    0);
	assert_int_equal(a->decision, EVAL_ERROR);
	assert_int_equal(a->policies[0].rules[0].outcome, EVAL_OUTCOME_ERROR);
	assert_non_null(strstr(a->policies[0].rules[0].reason, "no purpose"));
	loaded_free(&l);

	memset(&l, 0, sizeof(l));
	load_case("consent", &l);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 1, &opt, &b),
	    0);
	assert_int_equal(b->decision, EVAL_DENY);
	assert_int_equal(b->npolicies, 0);
	assert_int_equal(b->nskipped, 1);
	loaded_free(&l);
}

static void
t_allow_unmatched(void **state)
{
	struct loaded l = { 0 };
	struct eval_options opt = { .purpose = "train_ai_system",
		.allow_unmatched = true };
	_cleanup_eval_result_ struct eval_result *a = NULL, *b = NULL;

	load_case("no_policy", &l);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 1, &opt, &a),
	    0);
	assert_int_equal(a->decision, EVAL_ALLOW);
	loaded_free(&l);

	memset(&l, 0, sizeof(l));
	load_case("labels", &l);
	opt.purpose = "analytics";
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 2, &opt, &b),
	    0);
	assert_int_equal(b->decision, EVAL_ALLOW);
	assert_false(b->datasets[1].covered);
	loaded_free(&l);
}

static void
t_invalid_arguments(void **state)
{
	struct loaded l = { 0 };
	struct eval_options opt = { .purpose = "x" };
	struct eval_result *res = NULL;
	struct manifest *none[1] = { NULL };

	load_case("retention", &l);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 0, &opt, &res),
	    -EINVAL);
	assert_int_equal(eval_run(l.policies, 1, l.manifests, 1, NULL, &res),
	    -EINVAL);
	assert_int_equal(eval_run(l.policies, 1, none, 1, &opt, &res),
	    -EINVAL);
	assert_null(res);
	loaded_free(&l);
	eval_result_free(NULL);
}

static void
t_names(void **state)
{
	enum eval_decision d;
	enum eval_outcome o;

	assert_string_equal(eval_decision_name(EVAL_DENY), "deny");
	assert_string_equal(eval_outcome_name(EVAL_NOT_EVALUATED),
	    "not_evaluated");
	assert_null(eval_outcome_name((enum eval_outcome)99));
	assert_int_equal(eval_decision_from_name("error", &d), 0);
	assert_int_equal(d, EVAL_ERROR);
	assert_int_equal(eval_outcome_from_name("deferred", &o), 0);
	assert_int_equal(o, EVAL_DEFERRED);
	assert_int_equal(eval_outcome_from_name("passed", &o), -EINVAL);
	assert_string_equal(rule_kind_name(RULE_L_DIVERSITY), "l_diversity");
	assert_string_equal(policy_mode_name(POLICY_SHADOW), "shadow");
}

/* A consent source whose every lookup takes at least 20 us. */
static int
slow_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	usec_t t0 = now_monotonic();

	(*(unsigned *)userdata)++;
	while (now_monotonic() - t0 < 20)
		;
	return 1;
}

/* A dataset many.csv, in a directory the test makes. */
static const char many_manifest[] = "dataset: many\npath: many.csv\n"
				    "subject_field: user_id\nfields:\n"
				    "  user_id: { category: user.unique_id, "
				    "role: identifier }\n";

/* Parses a policy and a manifest (its data in dir) and evaluates. */
static struct eval_result *
eval_strings(const char *policy, const char *manifest, const char *dir,
    const struct eval_options *opt)
{
	_cleanup_policy_ struct policy *p = NULL;
	_cleanup_manifest_ struct manifest *m = NULL;
	struct eval_result *res = NULL;
	struct diag d = { 0 };

	assert_int_equal(policy_parse_string("policy", policy, strlen(policy),
			     &p, &d, NULL),
	    0);
	assert_int_equal(manifest_parse_string("many", manifest,
			     strlen(manifest), dir, &m, &d, NULL),
	    0);
	assert_int_equal(eval_run(&p, 1, &m, 1, opt, &res), 0);
	return res;
}

/* The same with many_manifest. */
static struct eval_result *
eval_many(const char *policy, const char *dir,
    const struct eval_options *opt)
{
	return eval_strings(policy, many_manifest, dir, opt);
}

/* A rule's duration_us over many records, timed one record in 64 after
 * the first 1024, still counts every record: at least 20 us for each of
 * 5000 lookups. */
static void
t_duration_sampled(void **state)
{
	static const char policy[] = "name: slow\nrules:\n"
				     "  - name: consented\n"
				     "    consent: { max_missing: 0 }\n";
	char dir[] = "/tmp/consentd-eval-XXXXXX", path[64];
	_cleanup_eval_result_ struct eval_result *res = NULL;
	unsigned lookups = 0;
	struct consent_source src = { .userdata = &lookups,
		.lookup = slow_lookup };
	struct eval_options opt = { .purpose = "x", .consent = &src };
	uint64_t us;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/many.csv", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "user_id\n");
	for (int i = 0; i < 5000; i++)
		fprintf(f, "u%d\n", i);
	assert_int_equal(fclose(f), 0);
	res = eval_many(policy, dir, &opt);
	assert_int_equal(lookups, 5000);
	assert_int_equal(res->datasets[0].rows, 5000);
	us = res->policies[0].rules[0].duration_us;
	if (us < 5000 * 20 * 9 / 10)
		fail_msg("duration_us %" PRIu64 " for 5000 lookups of 20 us",
		    us);
	unlink(path);
	rmdir(dir);
}

/* k-anonymity over more classes than the cache of recent tuples has slots
 * (and than the class table first has room for), rows of a class far
 * apart, tuples too long for the cache and tuples that differ only in
 * where one value ends: the counts are exact. */
static void
t_kanon_many_classes(void **state)
{
	static const char policy[] = "name: anon\nrules:\n"
				     "  - name: k5\n"
				     "    k_anonymity: { k: 5 }\n";
	static const char manifest[] = "dataset: many\npath: many.csv\n"
				       "fields:\n"
				       "  zip: { role: quasi_identifier }\n"
				       "  band: { role: quasi_identifier }\n";
	enum { NCLASS = 2000 };
	char dir[] = "/tmp/consentd-eval-XXXXXX", path[64];
	_cleanup_eval_result_ struct eval_result *res = NULL;
	struct eval_options opt = { .purpose = "x" };
	uint64_t rows = 0, below = 0, rows_below = 0;
	const json_t *ev;
	char longer[200];
	FILE *f;

	memset(longer, 'L', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/many.csv", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "zip,band\n");
	/* Every class has k rows, two rows apart, so that a few classes are
	 * in the cache when the class table grows; one class in 50 has a
	 * zip longer than the cache holds. A row counted in another class
	 * or lost leaves a class below k. */
	for (int t = 0; t < NCLASS + 8; t++)
		for (int k = 0; k < 5; k++) {
			int j = t - 2 * k;

			if (j < 0 || j >= NCLASS)
				continue;
			fprintf(f, "%s%d,b%d\n", j % 50 ? "z" : longer, j,
			    j % 7);
			rows++;
		}
	/* ("ab", "c") three times and ("a", "bc") twice, interleaved */
	for (int i = 0; i < 5; i++)
		fprintf(f, "%s\n", i % 2 ? "a,bc" : "ab,c");
	rows += 5;
	below += 2;
	rows_below += 5;
	assert_int_equal(fclose(f), 0);

	res = eval_strings(policy, manifest, dir, &opt);
	ev = res->policies[0].rules[0].evidence;
	assert_int_equal(json_integer_value(json_object_get(ev, "rows")), rows);
	assert_int_equal(json_integer_value(json_object_get(ev, "classes")),
	    NCLASS + 2);
	assert_int_equal(json_integer_value(json_object_get(ev,
				 "smallest_class")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(ev,
				 "classes_below_k")),
	    below);
	assert_int_equal(json_integer_value(json_object_get(ev,
				 "rows_in_classes_below")),
	    rows_below);
	unlink(path);
	rmdir(dir);
}

static char *result_text(struct eval_result *res);

/* A consent source by rule: subject "uN" consented when N is not a
 * multiple of 3; the lookup of fail_on fails, in start or in finish. */
struct ruled_source {
	const char *fail_on;
	bool fail_in_finish;
	unsigned lookups, started, finished, advanced;
	bool misstep; /* advance twice or after finish, finish twice */
};

static int
rule_answer(struct ruled_source *rc, const char *subject, size_t len)
{
	if (rc->fail_on && strlen(rc->fail_on) == len &&
	    memcmp(rc->fail_on, subject, len) == 0)
		return -EIO;
	return len > 1 && strtol(subject + 1, NULL, 10) % 3 != 0;
}

static int
rule_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	struct ruled_source *rc = userdata;

	rc->lookups++;
	return rule_answer(rc, subject, len);
}

static int
rule_start(void *userdata, const char *subject, size_t len,
    const char *purpose, struct consent_pending *ret)
{
	struct ruled_source *rc = userdata;
	int k = rule_answer(rc, subject, len);

	rc->started++;
	if (k < 0 && !rc->fail_in_finish)
		return k;
	memset(ret, 0, sizeof(*ret));
	ret->opaque[0] = (uint64_t)(int64_t)k;
	return 0;
}

/* opaque[1]: 1 once advanced, 2 once finished */
static void
rule_advance(void *userdata, struct consent_pending *p)
{
	struct ruled_source *rc = userdata;

	rc->advanced++;
	rc->misstep |= p->opaque[1] != 0;
	p->opaque[1] = 1;
}

static int
rule_finish(void *userdata, struct consent_pending *p)
{
	struct ruled_source *rc = userdata;

	rc->finished++;
	rc->misstep |= p->opaque[1] > 1;
	p->opaque[1] = 2;
	return (int)(int64_t)p->opaque[0];
}

/* Evaluates a consent policy over a CSV of 200 subjects, some of them
 * empty, written in dir, with rc as the source (steps: 1, lookup alone; 2,
 * start and finish; 3, with advance too); the result as text, durations
 * left out. */
static char *
eval_many_subjects(const char *dir, struct ruled_source *rc, int steps)
{
	static const char policy[] = "name: many\nrules:\n"
				     "  - name: strict\n"
				     "    consent: { max_missing: 0 }\n"
				     "  - name: lenient\n"
				     "    consent: { max_missing: 500 }\n";
	char path[64];
	_cleanup_eval_result_ struct eval_result *res = NULL;
	struct consent_source src = { .userdata = rc, .lookup = rule_lookup };
	struct eval_options opt = { .purpose = "x", .consent = &src };
	FILE *f;

	if (steps > 1) {
		src.start = rule_start;
		src.finish = rule_finish;
	}
	if (steps > 2)
		src.advance = rule_advance;
	snprintf(path, sizeof(path), "%s/many.csv", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "user_id,n\n");
	for (int i = 0; i < 200; i++) {
		if (i % 7 == 3)
			fprintf(f, ",%d\n", i);
		else
			fprintf(f, "u%d,%d\n", i, i);
	}
	assert_int_equal(fclose(f), 0);
	res = eval_many(policy, dir, &opt);
	unlink(path);
	return result_text(res);
}

/* A source with start and finish, and one with an advance step between
 * them, give every rule the same outcome, counts and example lines, in
 * record order, as one with lookup alone, and a failure the same line,
 * whether start or finish fails. */
static void
t_consent_two_phase(void **state)
{
	char dir[] = "/tmp/consentd-eval-XXXXXX";
	struct ruled_source one = { 0 }, two = { 0 }, three = { 0 };
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	assert_non_null(mkdtemp(dir));
	a = eval_many_subjects(dir, &one, 1);
	b = eval_many_subjects(dir, &two, 2);
	c = eval_many_subjects(dir, &three, 3);
	assert_non_null(a);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	/* 171 subjects (29 are empty) under two rules. */
	assert_int_equal(one.lookups, 2 * 171);
	assert_int_equal(two.lookups, 0);
	assert_int_equal(two.started, 2 * 171);
	assert_int_equal(two.finished, 2 * 171);
	assert_int_equal(two.advanced, 0);
	/* Each lookup advanced once before it is finished, but for those
	 * of the last two records, which finish() completes (the very last
	 * has no subject). */
	assert_int_equal(three.started, 2 * 171);
	assert_int_equal(three.finished, 2 * 171);
	assert_int_equal(three.advanced, 2 * (171 - 1));
	assert_false(three.misstep);
	assert_non_null(strstr(a, "\"lines\": [2, 5, 8, 11, 12, 14, 17, 19, "
				  "20, 23]"));

	for (int where = 0; where < 4; where++) {
		struct ruled_source f = { .fail_on = "u100",
			.fail_in_finish = where >= 2 };
		_cleanup_free_ char *t = eval_many_subjects(dir, &f,
		    where == 0 ? 1 : where == 3 ? 3 : 2);

		/* u100 is on line 102 (the header is line 1). */
		assert_non_null(strstr(t, "consent lookup failed at line 102"));
		assert_null(strstr(t, "\"outcome\": \"pass\""));
	}
	rmdir(dir);
}

/* k-anonymity's cache of recent tuples compares a value's length too, not
 * only its bytes and what follows: ("\1" 8 bytes, "") and ("", "\1" 8 NUL
 * bytes) have keys of the same length, and without the lengths the second
 * reads as the first. 2048 variants of the first, each followed by the
 * second, so that some share its cache slot. */
static void
t_kanon_cache_compares_lengths(void **state)
{
	static const char policy[] = "name: anon\nrules:\n"
				     "  - name: k2\n"
				     "    k_anonymity: { k: 2 }\n";
	static const char manifest[] = "dataset: lens\npath: lens.csv\n"
				       "fields:\n"
				       "  zip: { role: quasi_identifier }\n"
				       "  band: { role: quasi_identifier }\n";
	static const char second[] = ",\001\0\0\0\0\0\0\0\0\n";
	enum { NVAR = 2048 };
	char dir[] = "/tmp/consentd-eval-XXXXXX", path[64];
	_cleanup_eval_result_ struct eval_result *res = NULL;
	struct eval_options opt = { .purpose = "x" };
	const json_t *ev;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lens.csv", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "zip,band\n");
	for (int x = 0; x < NVAR; x++) {
		fprintf(f, "\001%08d,\n", x);
		assert_int_equal(fwrite(second, 1, sizeof(second) - 1, f),
		    sizeof(second) - 1);
	}
	assert_int_equal(fclose(f), 0);

	res = eval_strings(policy, manifest, dir, &opt);
	ev = res->policies[0].rules[0].evidence;
	assert_int_equal(json_integer_value(json_object_get(ev, "rows")),
	    2 * NVAR);
	assert_int_equal(json_integer_value(json_object_get(ev, "classes")),
	    NVAR + 1);
	assert_int_equal(json_integer_value(json_object_get(ev,
				 "classes_below_k")),
	    NVAR);
	assert_int_equal(json_integer_value(json_object_get(ev,
				 "rows_in_classes_below")),
	    NVAR);
	unlink(path);
	rmdir(dir);
}

static int closed;

static void
count_close(void *userdata)
{
	closed++;
}

static void
t_consent_source_close(void **state)
{
	struct consent_source s = { .userdata = &closed, .close = count_close,
		.snapshot_size = 3 };

	consent_source_close(&s);
	assert_int_equal(closed, 1);
	assert_null(s.close);
	assert_int_equal(s.snapshot_size, 0);
	consent_source_close(&s);
	consent_source_close(NULL);
	assert_int_equal(closed, 1);
}

/* Several evaluations at once over the same policies and manifests give
 * the same results as one alone. */
struct worker {
	struct loaded *l;
	struct consent_source *src;
	char *json;
};

static char *
result_text(struct eval_result *res)
{
	_cleanup_json_ json_t *o = eval_result_to_json(res);

	/* Durations differ from run to run. */
	json_object_del(o, "duration_us");
	for (size_t i = 0; i < json_array_size(json_object_get(o,
					 "policies"));
	    i++) {
		json_t *rules = json_object_get(json_array_get(
		    json_object_get(o, "policies"), i), "rules");

		for (size_t j = 0; j < json_array_size(rules); j++)
			json_object_del(json_array_get(rules, j),
			    "duration_us");
	}
	return json_dumps(o, JSON_SORT_KEYS);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct eval_options opt = { .purpose = "train_ai_system",
		.consent = w->src, .at = 1 };
	struct eval_result *res = NULL;

	if (eval_run(w->l->policies, w->l->npolicies, w->l->manifests,
		w->l->nmanifests, &opt, &res) == 0) {
		w->json = result_text(res);
		eval_result_free(res);
	}
	return NULL;
}

static void
t_concurrent(void **state)
{
	struct loaded l = { 0 };
	_cleanup_json_ json_t *active = json_pack("{s:[s,s]}",
	    "train_ai_system", "u1", "u2");
	struct fake_consent fc = { .active = active,
		.lock = PTHREAD_MUTEX_INITIALIZER };
	struct consent_source src = { .userdata = &fc, .lookup = fake_lookup };
	struct worker w[4];
	pthread_t t[4];
	struct diag d = { 0 };

	load_case("consent", &l);
	/* Add the pii and k-anonymity policies: several kinds at once. */
	assert_int_equal(policy_parse_file(EVAL_DIR "pii_undeclared/policy.yaml",
			     &l.policies[l.npolicies++], &d, NULL),
	    0);
	assert_int_equal(policy_parse_file(EVAL_DIR "kanon/policy.yaml",
			     &l.policies[l.npolicies++], &d, NULL),
	    0);
	assert_int_equal(manifest_parse_file(EVAL_DIR "kanon/patients.yaml",
			     &l.manifests[l.nmanifests++], &d, NULL),
	    0);
	for (size_t i = 0; i < 4; i++) {
		w[i] = (struct worker){ &l, &src, NULL };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
				     &w[i]),
		    0);
	}
	for (size_t i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < 4; i++) {
		assert_non_null(w[i].json);
		assert_string_equal(w[i].json, w[0].json);
	}
	assert_non_null(strstr(w[0].json, "\"patients\""));
	for (size_t i = 0; i < 4; i++)
		free(w[i].json);
	loaded_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_consent),
		cmocka_unit_test(t_consent_no_source),
		cmocka_unit_test(t_fields),
		cmocka_unit_test(t_pii_undeclared),
		cmocka_unit_test(t_kanon),
		cmocka_unit_test(t_kanon_cap),
		cmocka_unit_test(t_kanon_many_classes),
		cmocka_unit_test(t_kanon_cache_compares_lengths),
		cmocka_unit_test(t_retention),
		cmocka_unit_test(t_modes),
		cmocka_unit_test(t_malformed),
		cmocka_unit_test(t_unreadable),
		cmocka_unit_test(t_no_policy),
		cmocka_unit_test(t_labels),
		cmocka_unit_test(t_odd_names),
		cmocka_unit_test(t_consent_lookups_and_fingerprint),
		cmocka_unit_test(t_consent_lookup_error),
		cmocka_unit_test(t_no_purpose),
		cmocka_unit_test(t_allow_unmatched),
		cmocka_unit_test(t_invalid_arguments),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_consent_source_close),
		cmocka_unit_test(t_duration_sampled),
		cmocka_unit_test(t_consent_two_phase),
		cmocka_unit_test(t_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
