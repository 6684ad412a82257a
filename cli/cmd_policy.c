/* consentctl policy validate|test and consentctl evaluate: offline checks of
 * policies and manifests, and evaluations of datasets against policies. */
#include "config.h"

#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <string.h>

#include "consentctl.h"
#include "diag.h"
#include "eval.h"
#include "json.h"
#include "manifest.h"
#include "policy.h"
#include "timeutil.h"
#include "yamlnode.h"

#define POLICY_TEST_MAX_FILES 64

static void
diag_json_append(json_t *list, const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(list,
		    json_pack("{s:s,s:I,s:I,s:s}", "file", d->items[i].file,
			"line", (json_int_t)d->items[i].line, "column",
			(json_int_t)d->items[i].col, "message",
			d->items[i].message));
}

/* Prints warnings as "file:line:col: warning: message". */
static void
print_warnings(const struct diag *w, FILE *f)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct diag_item *it = &w->items[i];

		if (it->line && it->col)
			fprintf(f, "%s:%u:%u: warning: %s\n", it->file,
			    it->line, it->col, it->message);
		else
			fprintf(f, "%s: warning: %s\n", it->file, it->message);
	}
}

/* policy validate */

enum file_kind {
	FILE_AUTO,
	FILE_POLICY,
	FILE_MANIFEST,
};

/* A manifest has a top-level 'dataset' and no 'rules'; anything else is
 * validated as a policy (whose errors then say what is missing). */
static enum file_kind
guess_kind(const char *path)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	enum file_kind k = FILE_POLICY;

	if (ydoc_load_file(path, POLICY_MAX_SIZE, &doc, &d) == 0 &&
	    doc->root && ynode_get(doc->root, "dataset") &&
	    !ynode_get(doc->root, "rules"))
		k = FILE_MANIFEST;
	diag_clear(&d);
	return k;
}

static int
policy_validate(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "manifest", no_argument, NULL, 'm' },
		{ "policy", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum file_kind force = FILE_AUTO;
	_cleanup_json_ json_t *out = NULL;
	bool bad = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+mph", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			force = FILE_MANIFEST;
			break;
		case 'p':
			force = FILE_POLICY;
			break;
		case 'h':
			printf("Usage: consentctl policy validate [--policy | "
			       "--manifest] FILE...\n\n"
			       "Checks policies (consentd-policy(5)) and dataset "
			       "manifests\n(consentd-manifest(5)), and prints "
			       "\"FILE: ok\" or every error\nas FILE:LINE:COLUMN: "
			       "MESSAGE. A file with a top-level 'dataset'\nand no "
			       "'rules' is a manifest, unless --policy or "
			       "--manifest says.\nExit status: 0 all valid, 2 "
			       "any error.\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("policy validate: expected FILE...");
	if (ctx->json && !(out = json_array()))
		return EXIT_UNAVAILABLE;
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		enum file_kind k = force == FILE_AUTO ? guess_kind(path) : force;
		struct diag d = { 0 }, w = { 0 };
		struct policy *p = NULL;
		struct manifest *m = NULL;
		int r;

		if (k == FILE_MANIFEST)
			r = manifest_parse_file(path, &m, &d, &w);
		else
			r = policy_parse_file(path, &p, &d, &w);
		if (r == -ENOMEM) {
			diag_clear(&d);
			diag_clear(&w);
			return cli_usage_error("out of memory");
		}
		if (r < 0)
			bad = true;
		if (out) {
			json_t *o = json_pack("{s:s,s:s,s:b,s:[],s:[]}",
			    "file", path, "kind",
			    k == FILE_MANIFEST ? "manifest" : "policy", "ok",
			    r == 0, "errors", "warnings");

			if (o) {
				diag_json_append(json_object_get(o, "errors"),
				    &d);
				diag_json_append(json_object_get(o,
						     "warnings"),
				    &w);
				if (p)
					json_object_set_new(o, "sha256",
					    json_string(p->hash_hex));
				else if (m)
					json_object_set_new(o, "sha256",
					    json_string(m->hash_hex));
				json_array_append_new(out, o);
			}
		} else {
			print_warnings(&w, stderr);
			if (r == 0)
				printf("%s: ok\n", path);
			else
				diag_print(&d, stderr);
		}
		policy_free(p);
		manifest_free(m);
		diag_clear(&d);
		diag_clear(&w);
	}
	if (out)
		cli_print_json(out);
	return bad ? EXIT_USAGE : EXIT_OK;
}

/* A fixed consent source for tests: purpose -> sorted subjects. */
struct fixed_consent {
	char **purposes;
	struct fixed_subjects {
		char **v;
		size_t n;
	} *subjects;
	size_t n;
};

static void
fixed_consent_free(struct fixed_consent *fc)
{
	for (size_t i = 0; i < fc->n; i++) {
		free(fc->purposes[i]);
		for (size_t j = 0; j < fc->subjects[i].n; j++)
			free(fc->subjects[i].v[j]);
		free(fc->subjects[i].v);
	}
	free(fc->purposes);
	free(fc->subjects);
	*fc = (struct fixed_consent){ 0 };
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
fixed_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	const struct fixed_consent *fc = userdata;
	_cleanup_free_ char *key = strndup(subject, len);
	const char *k = key;

	if (!key)
		return -ENOMEM;
	for (size_t i = 0; i < fc->n; i++)
		if (streq(fc->purposes[i], purpose))
			return bsearch(&k, fc->subjects[i].v, fc->subjects[i].n,
				   sizeof(char *), cmp_str) != NULL;
	return 0;
}

/* A test case of `policy test` (consentd-policy(5), TESTS). */
struct policy_case {
	char *file;
	char *name;
	char **policies;   /* paths, joined to the test file's directory */
	size_t npolicies;
	char **manifests;
	size_t nmanifests;
	char *purpose;
	usec_t at;
	bool has_consent;
	uint64_t snapshot_size;
	struct fixed_consent consent;
	enum eval_decision decision;
	char **rules;      /* expected rule outcomes */
	enum eval_outcome *outcomes;
	size_t nrules;
};

static void
policy_case_free(struct policy_case *c)
{
	free(c->file);
	free(c->name);
	for (size_t i = 0; i < c->npolicies; i++)
		free(c->policies[i]);
	free(c->policies);
	for (size_t i = 0; i < c->nmanifests; i++)
		free(c->manifests[i]);
	free(c->manifests);
	free(c->purpose);
	fixed_consent_free(&c->consent);
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	free(c->outcomes);
}

static char *
join_dir(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');
	char *s;

	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&s, "%.*s/%s", (int)(slash - file), file, rel) < 0)
		return NULL;
	return s;
}

/* A string or a list of strings, as paths relative to the test file. */
static int
case_paths(const char *file, const struct ynode *n, struct diag *d,
    char ***ret, size_t *ret_n)
{
	const struct ynode *const *items = &n;
	size_t count = 1;

	if (n->type == YNODE_SEQ) {
		items = (const struct ynode *const *)n->items;
		count = n->n;
	}
	if (count == 0 || count > POLICY_TEST_MAX_FILES) {
		ydiag(d, n, "expected 1 to %d files", POLICY_TEST_MAX_FILES);
		return -EINVAL;
	}
	*ret = calloc(count, sizeof(char *));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const char *s;

		if (ynode_string(items[i], d, &s) < 0)
			return -EINVAL;
		(*ret)[i] = join_dir(file, s);
		if (!(*ret)[i])
			return -ENOMEM;
		(*ret_n)++;
	}
	return 0;
}

static int
case_consent(const struct ynode *n, struct diag *d, struct policy_case *c)
{
	static const char *const keys[] = { "snapshot_size", "active" };
	const struct ynode *v, *active;
	int64_t size;

	if (ynode_expect(n, YNODE_MAP, d, "'consent'") < 0)
		return -EINVAL;
	for (size_t i = 0; i < n->n; i++)
		if (!streq(n->keys[i]->value, keys[0]) &&
		    !streq(n->keys[i]->value, keys[1])) {
			ydiag(d, n->keys[i], "unknown key '%s' in 'consent'; "
			    "expected snapshot_size or active",
			    n->keys[i]->value);
			return -EINVAL;
		}
	c->has_consent = true;
	if ((v = ynode_get(n, "snapshot_size"))) {
		if (ynode_int64(v, d, 0, INT64_MAX, &size) < 0)
			return -EINVAL;
		c->snapshot_size = (uint64_t)size;
	}
	active = ynode_get(n, "active");
	if (!active)
		return 0;
	if (ynode_expect(active, YNODE_MAP, d,
		"'active' (purpose: [subjects])") < 0)
		return -EINVAL;
	c->consent.purposes = calloc(active->n + 1, sizeof(char *));
	c->consent.subjects = calloc(active->n + 1,
	    sizeof(*c->consent.subjects));
	if (!c->consent.purposes || !c->consent.subjects)
		return -ENOMEM;
	for (size_t i = 0; i < active->n; i++) {
		const struct ynode *list = active->items[i];
		struct fixed_subjects *s = &c->consent.subjects[i];

		c->consent.purposes[i] = strdup(active->keys[i]->value);
		c->consent.n++;
		if (!c->consent.purposes[i])
			return -ENOMEM;
		if (ynode_expect(list, YNODE_SEQ, d, "a list of subjects") < 0)
			return -EINVAL;
		s->v = calloc(list->n + 1, sizeof(char *));
		if (!s->v)
			return -ENOMEM;
		for (size_t j = 0; j < list->n; j++) {
			const char *subj;

			if (ynode_string(list->items[j], d, &subj) < 0)
				return -EINVAL;
			if (!(s->v[s->n++] = strdup(subj)))
				return -ENOMEM;
		}
		qsort(s->v, s->n, sizeof(char *), cmp_str);
	}
	return 0;
}

static int
case_expect(const struct ynode *n, struct diag *d, struct policy_case *c)
{
	const struct ynode *v, *rules;
	const char *s;

	if (ynode_expect(n, YNODE_MAP, d, "'expect'") < 0)
		return -EINVAL;
	for (size_t i = 0; i < n->n; i++)
		if (!streq(n->keys[i]->value, "decision") &&
		    !streq(n->keys[i]->value, "rules")) {
			ydiag(d, n->keys[i], "unknown key '%s' in 'expect'; "
			    "expected decision or rules",
			    n->keys[i]->value);
			return -EINVAL;
		}
	if (!(v = ynode_get(n, "decision"))) {
		ydiag(d, n, "'expect' needs 'decision' (allow, deny or error)");
		return -EINVAL;
	}
	if (ynode_string(v, d, &s) < 0)
		return -EINVAL;
	if (eval_decision_from_name(s, &c->decision) < 0) {
		ydiag(d, v, "unknown decision '%s'; expected allow, deny or "
		    "error", s);
		return -EINVAL;
	}
	rules = ynode_get(n, "rules");
	if (!rules)
		return 0;
	if (ynode_expect(rules, YNODE_MAP, d,
		"'rules' (rule: outcome, or policy/rule: outcome)") < 0)
		return -EINVAL;
	c->rules = calloc(rules->n + 1, sizeof(char *));
	c->outcomes = calloc(rules->n + 1, sizeof(*c->outcomes));
	if (!c->rules || !c->outcomes)
		return -ENOMEM;
	for (size_t i = 0; i < rules->n; i++) {
		if (ynode_string(rules->items[i], d, &s) < 0)
			return -EINVAL;
		if (eval_outcome_from_name(s, &c->outcomes[c->nrules]) < 0) {
			ydiag(d, rules->items[i],
			    "unknown outcome '%s'; expected pass, fail, error, "
			    "not_evaluated or deferred",
			    s);
			return -EINVAL;
		}
		if (!(c->rules[c->nrules++] = strdup(rules->keys[i]->value)))
			return -ENOMEM;
	}
	return 0;
}

static int
policy_case_load(const char *file, struct policy_case *c, struct diag *d)
{
	static const char *const keys[] = { "name", "description", "policy",
		"policies", "manifest", "manifests", "purpose", "at", "consent",
		"expect" };
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	const struct ynode *root, *v;
	const char *s, *base;
	int r;

	r = ydoc_load_file(file, POLICY_MAX_SIZE, &doc, d);
	if (r < 0)
		return r;
	root = doc->root;
	if (!root || root->type != YNODE_MAP) {
		diag_add(d, file, 1, 1, "expected a test case: a mapping with "
		    "policies, manifests, purpose and expect");
		return -EINVAL;
	}
	for (size_t i = 0; i < root->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < ELEMENTSOF(keys) && !ok; j++)
			ok = streq(root->keys[i]->value, keys[j]);
		if (!ok) {
			ydiag(d, root->keys[i],
			    "unknown key '%s' in a test case; expected name, "
			    "description, policies, manifests, purpose, at, "
			    "consent or expect",
			    root->keys[i]->value);
			return -EINVAL;
		}
	}
	if (!(c->file = strdup(file)))
		return -ENOMEM;
	if ((v = ynode_get(root, "name"))) {
		if (ynode_string(v, d, &s) < 0)
			return -EINVAL;
		c->name = strdup(s);
	} else {
		base = strrchr(file, '/');
		base = base ? base + 1 : file;
		c->name = strndup(base, strcspn(base, "."));
	}
	if (!c->name)
		return -ENOMEM;
	if (!(v = ynode_get(root, "policies")))
		v = ynode_get(root, "policy");
	if (!v) {
		ydiag(d, root, "a test case needs 'policies'");
		return -EINVAL;
	}
	if ((r = case_paths(file, v, d, &c->policies, &c->npolicies)) < 0)
		return r;
	if (!(v = ynode_get(root, "manifests")))
		v = ynode_get(root, "manifest");
	if (!v) {
		ydiag(d, root, "a test case needs 'manifests'");
		return -EINVAL;
	}
	if ((r = case_paths(file, v, d, &c->manifests, &c->nmanifests)) < 0)
		return r;
	if ((v = ynode_get(root, "purpose"))) {
		if (ynode_string(v, d, &s) < 0)
			return -EINVAL;
		if (!(c->purpose = strdup(s)))
			return -ENOMEM;
	}
	if (!(v = ynode_get(root, "at"))) {
		/* Reproducible: a test names its evaluation time. */
		ydiag(d, root, "a test case needs 'at' (an RFC 3339 time)");
		return -EINVAL;
	}
	if (ynode_string(v, d, &s) < 0)
		return -EINVAL;
	if (time_parse_rfc3339(s, &c->at) < 0) {
		ydiag(d, v, "expected an RFC 3339 time such as "
		    "2026-11-29T00:00:00Z");
		return -EINVAL;
	}
	if ((v = ynode_get(root, "consent")) &&
	    (r = case_consent(v, d, c)) < 0)
		return r;
	if (!(v = ynode_get(root, "expect"))) {
		ydiag(d, root, "a test case needs 'expect'");
		return -EINVAL;
	}
	return case_expect(v, d, c);
}

struct loaded_inputs {
	struct policy **policies;
	size_t npolicies;
	struct manifest **manifests;
	size_t nmanifests;
};

static void
loaded_inputs_free(struct loaded_inputs *in)
{
	for (size_t i = 0; i < in->npolicies; i++)
		policy_free(in->policies[i]);
	free(in->policies);
	for (size_t i = 0; i < in->nmanifests; i++)
		manifest_free(in->manifests[i]);
	free(in->manifests);
	*in = (struct loaded_inputs){ 0 };
}

/* Parses every file, collecting every error: -EINVAL if any. */
static int
load_inputs(char *const *policies, size_t np, char *const *manifests,
    size_t nm, struct loaded_inputs *in, struct diag *d, struct diag *w)
{
	int ret = 0, r;

	in->policies = calloc(np ? np : 1, sizeof(*in->policies));
	in->manifests = calloc(nm ? nm : 1, sizeof(*in->manifests));
	if (!in->policies || !in->manifests)
		return -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		r = policy_parse_file(policies[i],
		    &in->policies[in->npolicies], d, w);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			ret = -EINVAL;
		else
			in->npolicies++;
	}
	for (size_t i = 0; i < nm; i++) {
		r = manifest_parse_file(manifests[i],
		    &in->manifests[in->nmanifests], d, w);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			ret = -EINVAL;
		else
			in->nmanifests++;
	}
	return ret;
}

/* Runs one case; returns 1 passed, 0 failed (reasons in failures),
 * -EINVAL for an invalid case (diagnostics in d), -ENOMEM. */
static int
policy_case_run(const struct policy_case *c, json_t *failures,
    struct diag *d, struct diag *w)
{
	struct loaded_inputs in = { 0 };
	struct consent_source src = { .userdata = (void *)&c->consent,
		.lookup = fixed_lookup, .snapshot_size = c->snapshot_size };
	struct eval_options opt = { .purpose = c->purpose, .at = c->at,
		.consent = c->has_consent ? &src : NULL };
	_cleanup_eval_result_ struct eval_result *res = NULL;
	int r;

	r = load_inputs(c->policies, c->npolicies, c->manifests,
	    c->nmanifests, &in, d, w);
	if (r < 0) {
		loaded_inputs_free(&in);
		return r;
	}
	r = eval_run(in.policies, in.npolicies, in.manifests, in.nmanifests,
	    &opt, &res);
	loaded_inputs_free(&in);
	if (r < 0)
		return r;
	if (res->decision != c->decision)
		json_array_append_new(failures,
		    json_sprintf("expected decision %s, got %s (%s)",
			eval_decision_name(c->decision),
			eval_decision_name(res->decision),
			res->reason ? res->reason : ""));
	for (size_t i = 0; i < c->nrules; i++) {
		enum eval_outcome o;

		if (eval_result_rule_outcome(res, c->rules[i], &o) < 0)
			json_array_append_new(failures,
			    json_sprintf("rule '%s': expected %s, but no "
					 "applicable policy has it",
				c->rules[i], eval_outcome_name(c->outcomes[i])));
		else if (o != c->outcomes[i])
			json_array_append_new(failures,
			    json_sprintf("rule '%s': expected %s, got %s",
				c->rules[i], eval_outcome_name(c->outcomes[i]),
				eval_outcome_name(o)));
	}
	return json_array_size(failures) == 0 ? 1 : 0;
}

static int
policy_test(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *out = NULL;
	_cleanup_free_ char *pattern = NULL;
	size_t passed = 0, failed = 0, invalid = 0;
	glob_t g;
	int r;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: consentctl policy test DIR\n\n"
		       "Runs the test cases DIR/tests/*.yaml (consentd-policy(5), "
		       "TESTS): each\nevaluates small datasets against policies "
		       "and compares the decision\nand rule outcomes with the "
		       "expected ones. Prints PASS or FAIL per case\nand a "
		       "summary. Exit status: 0 all passed, 1 a case failed, "
		       "2 a case\nor a file is invalid, or there are no "
		       "cases.\n");
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("policy test: expected one DIR");
	if (asprintf(&pattern, "%s/tests/*.yaml", argv[1]) < 0)
		return EXIT_UNAVAILABLE;
	r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
		if (r == 0)
			globfree(&g);
		return cli_usage_error("policy test: no test cases in '%s'",
		    pattern);
	}
	if (r != 0)
		return cli_usage_error("policy test: cannot list '%s'",
		    pattern);
	if (ctx->json && !(out = json_array())) {
		globfree(&g);
		return EXIT_UNAVAILABLE;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct policy_case c = { 0 };
		struct diag d = { 0 }, w = { 0 };
		_cleanup_json_ json_t *failures = json_array();
		const char *status;

		r = policy_case_load(g.gl_pathv[i], &c, &d);
		if (r >= 0)
			r = policy_case_run(&c, failures, &d, &w);
		if (r == -ENOMEM || !failures) {
			policy_case_free(&c);
			globfree(&g);
			return cli_usage_error("out of memory");
		}
		status = r == 1 ? "PASS" : r == 0 ? "FAIL" : "ERROR";
		if (r == 1)
			passed++;
		else if (r == 0)
			failed++;
		else
			invalid++;
		if (out) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:O,s:[]}", "name",
			    c.name ? c.name : g.gl_pathv[i], "file",
			    g.gl_pathv[i], "status", status, "failures",
			    failures, "errors");

			if (o) {
				diag_json_append(json_object_get(o, "errors"),
				    &d);
				json_array_append_new(out, o);
			}
		} else if (r == 1) {
			printf("PASS %s\n", c.name);
		} else if (r == 0) {
			size_t k;
			json_t *f;

			printf("FAIL %s", c.name);
			json_array_foreach(failures, k, f)
				printf("%s %s", k ? ";" : ":",
				    json_string_value(f));
			printf("\n");
		} else {
			printf("ERROR %s: invalid test case\n",
			    c.name ? c.name : g.gl_pathv[i]);
			diag_print(&d, stderr);
		}
		policy_case_free(&c);
		diag_clear(&d);
		diag_clear(&w);
	}
	globfree(&g);
	if (out) {
		_cleanup_json_ json_t *summary = json_pack(
		    "{s:O,s:I,s:I,s:I}", "tests", out, "passed",
		    (json_int_t)passed, "failed", (json_int_t)failed, "invalid",
		    (json_int_t)invalid);

		cli_print_json(summary);
	} else {
		printf("%zu test%s: %zu passed, %zu failed", passed + failed +
		    invalid, passed + failed + invalid == 1 ? "" : "s",
		    passed, failed);
		if (invalid)
			printf(", %zu invalid", invalid);
		printf("\n");
	}
	if (invalid)
		return EXIT_USAGE;
	return failed ? EXIT_NEGATIVE : EXIT_OK;
}

int
cmd_policy(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "validate", policy_validate,
		    "check policies and manifests, reporting every error" },
		{ "test", policy_test,
		    "run a directory's policy test cases (DIR/tests/*.yaml)" },
	};

	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "Checks policies (consentd-policy(5)) and manifests "
	    "(consentd-manifest(5)) offline.");
}

/* evaluate */

static const char *
format_name(enum reader_format f)
{
	return f == READER_TSV ? "tsv" : f == READER_JSONL ? "jsonl" : "csv";
}

static void
print_result(const struct eval_result *res)
{
	printf("decision: %s\n", eval_decision_name(res->decision));
	if (res->reason)
		printf("reason: %s\n", res->reason);
	for (size_t i = 0; i < res->npolicies; i++) {
		const struct eval_policy_result *p = &res->policies[i];

		printf("\npolicy %s (%s%s%s, sha256 %.16s): %s\n", p->name,
		    policy_mode_name(p->mode), p->version ? ", version " : "",
		    p->version ? p->version : "", p->hash_hex,
		    p->effect == EVAL_DENY ? "denies" :
		    p->effect == EVAL_ERROR ? "cannot decide" : "allows");
		for (size_t j = 0; j < p->nrules; j++) {
			const struct eval_rule_result *rr = &p->rules[j];

			printf("  %-13s %-24s %s: %s\n",
			    eval_outcome_name(rr->outcome), rr->name,
			    rr->dataset ? rr->dataset : "-",
			    rr->reason ? rr->reason : "");
		}
	}
	if (res->nskipped) {
		printf("\nnot applicable:");
		for (size_t i = 0; i < res->nskipped; i++)
			printf("%s %s", i ? "," : "", res->skipped[i]);
		printf("\n");
	}
	printf("\n");
	for (size_t i = 0; i < res->ndatasets; i++) {
		const struct eval_dataset_result *d = &res->datasets[i];

		printf("dataset %s: %s (%s), %" PRIu64 " rows, %" PRIu64
		       " bytes, sha256 %s%s\n",
		    d->name, d->path, format_name(d->format), d->rows, d->bytes,
		    d->fingerprint[0] ? d->fingerprint : "(not read to the end)",
		    d->covered ? "" : ", not covered by any applicable policy");
		if (d->malformed)
			printf("  %" PRIu64 " malformed record%s, first at line "
			       "%" PRIu64 ": %s\n",
			    d->malformed, d->malformed == 1 ? "" : "s",
			    d->nmalformed_lines ? d->malformed_lines[0] : 0,
			    d->malformed_reason ? d->malformed_reason : "");
		if (d->error_message)
			printf("  %s\n", d->error_message);
	}
}

static int
push_arg(char ***v, size_t *n, char *arg)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	(*v)[(*n)++] = arg;
	return 0;
}

int
cmd_evaluate(struct cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_LEDGER = 0x100, OPT_AT, OPT_ALLOW_UNMATCHED };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "purpose", required_argument, NULL, 'P' },
		{ "ledger", required_argument, NULL, OPT_LEDGER },
		{ "at", required_argument, NULL, OPT_AT },
		{ "allow-unmatched", no_argument, NULL, OPT_ALLOW_UNMATCHED },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ char **policies = NULL, **manifests = NULL;
	size_t np = 0, nm = 0;
	const char *ledger = NULL, *at = NULL;
	struct eval_options opt = { 0 };
	struct consent_source src = { 0 };
	struct loaded_inputs in = { 0 };
	struct diag d = { 0 }, w = { 0 };
	_cleanup_eval_result_ struct eval_result *res = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:m:P:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'p':
			if (push_arg(&policies, &np, optarg) < 0)
				return EXIT_UNAVAILABLE;
			break;
		case 'm':
			if (push_arg(&manifests, &nm, optarg) < 0)
				return EXIT_UNAVAILABLE;
			break;
		case 'P':
			opt.purpose = optarg;
			break;
		case OPT_LEDGER:
			ledger = optarg;
			break;
		case OPT_AT:
			at = optarg;
			break;
		case OPT_ALLOW_UNMATCHED:
			opt.allow_unmatched = true;
			break;
		case 'h':
			printf("Usage: consentctl evaluate --policy FILE... "
			       "--manifest FILE... [--purpose P]\n"
			       "                          [--ledger DB] [--at "
			       "TIME] [--allow-unmatched]\n\n"
			       "Evaluates the datasets described by the "
			       "manifests against the policies\nfor the purpose, "
			       "offline, and prints the decision with the "
			       "outcome and\nreason of every rule (--json: the "
			       "whole result).\n\n"
			       "  -p, --policy FILE     a policy; repeat for "
			       "more\n"
			       "  -m, --manifest FILE   a dataset manifest; "
			       "repeat for more\n"
			       "  -P, --purpose P       the job's purpose (a "
			       "fideslang data use)\n"
			       "      --ledger DB       check consent in this "
			       "ledger database; without it\n"
			       "                        consent rules are not "
			       "evaluated (never allow)\n"
			       "      --at TIME         evaluation time, RFC "
			       "3339 (default: now)\n"
			       "      --allow-unmatched allow datasets no "
			       "applicable policy covers\n\n"
			       "Exit status: 0 allow, 1 deny, 2 invalid input, "
			       "3 error.\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("evaluate: unexpected argument '%s'",
		    argv[optind]);
	if (np == 0 || nm == 0)
		return cli_usage_error("evaluate: expected --policy FILE and "
				       "--manifest FILE");
	opt.at = now_realtime();
	if (at && time_parse_rfc3339(at, &opt.at) < 0)
		return cli_usage_error("evaluate: --at: '%s' is not an RFC "
				       "3339 time",
		    at);
	r = load_inputs(policies, np, manifests, nm, &in, &d, &w);
	print_warnings(&w, stderr);
	diag_print(&d, stderr);
	diag_clear(&d);
	diag_clear(&w);
	if (r < 0) {
		loaded_inputs_free(&in);
		return r == -ENOMEM ? EXIT_UNAVAILABLE : EXIT_USAGE;
	}
	if (ledger) {
		r = ledger_consent_source_open(ledger, &src);
		if (r < 0) {
			loaded_inputs_free(&in);
			fprintf(stderr, "consentctl: cannot open the ledger "
					"'%s' as a consent source: %s\n",
			    ledger,
			    r == -EOPNOTSUPP ? "ledger support not built" :
			    strerror(-r));
			return EXIT_UNAVAILABLE;
		}
		opt.consent = &src;
	}
	r = eval_run(in.policies, in.npolicies, in.manifests, in.nmanifests,
	    &opt, &res);
	loaded_inputs_free(&in);
	if (r < 0) {
		consent_source_close(&src);
		fprintf(stderr, "consentctl: evaluation failed: %s\n",
		    strerror(-r));
		return EXIT_UNAVAILABLE;
	}
	if (ctx->json) {
		_cleanup_json_ json_t *o = eval_result_to_json(res);

		if (!o) {
			consent_source_close(&src);
			return EXIT_UNAVAILABLE;
		}
		cli_print_json(o);
	} else {
		print_result(res);
	}
	consent_source_close(&src);
	switch (res->decision) {
	case EVAL_ALLOW:
		return EXIT_OK;
	case EVAL_DENY:
		return EXIT_NEGATIVE;
	case EVAL_ERROR:
		break;
	}
	return EXIT_UNAVAILABLE;
}
