/* The evaluator: applicable policies, one pass per dataset, the decision. */
#include "config.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "codec.h"
#include "eval.h"

static const char *const decision_names[] = {
	[EVAL_ALLOW] = "allow",
	[EVAL_DENY] = "deny",
	[EVAL_ERROR] = "error",
};

static const char *const outcome_names[] = {
	[EVAL_PASS] = "pass",
	[EVAL_FAIL] = "fail",
	[EVAL_OUTCOME_ERROR] = "error",
	[EVAL_NOT_EVALUATED] = "not_evaluated",
	[EVAL_DEFERRED] = "deferred",
};

const char *
eval_decision_name(enum eval_decision d)
{
	if ((unsigned)d >= ELEMENTSOF(decision_names))
		return NULL;
	return decision_names[d];
}

const char *
eval_outcome_name(enum eval_outcome o)
{
	if ((unsigned)o >= ELEMENTSOF(outcome_names))
		return NULL;
	return outcome_names[o];
}

int
eval_decision_from_name(const char *s, enum eval_decision *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(decision_names); i++)
		if (streq(s, decision_names[i])) {
			*ret = (enum eval_decision)i;
			return 0;
		}
	return -EINVAL;
}

int
eval_outcome_from_name(const char *s, enum eval_outcome *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(outcome_names); i++)
		if (streq(s, outcome_names[i])) {
			*ret = (enum eval_outcome)i;
			return 0;
		}
	return -EINVAL;
}

/* Severity order for summarizing outcomes: pass < deferred <
 * not_evaluated < fail < error. */
static int
outcome_rank(enum eval_outcome o)
{
	switch (o) {
	case EVAL_PASS:
		return 0;
	case EVAL_DEFERRED:
		return 1;
	case EVAL_NOT_EVALUATED:
		return 2;
	case EVAL_FAIL:
		return 3;
	case EVAL_OUTCOME_ERROR:
		return 4;
	}
	return 4;
}

void
consent_source_close(struct consent_source *s)
{
	if (!s)
		return;
	if (s->close)
		s->close(s->userdata);
	*s = (struct consent_source){ 0 };
}

/* Check helpers (check.h). */

static int
check_vset(struct check *c, enum eval_outcome o, const char *fmt, va_list ap)
{
	char *reason;

	if (vasprintf(&reason, fmt, ap) < 0)
		return -ENOMEM;
	free(c->out->reason);
	c->out->reason = reason;
	c->out->outcome = o;
	return 0;
}

int
check_set(struct check *c, enum eval_outcome o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = check_vset(c, o, fmt, ap);
	va_end(ap);
	return r;
}

int
check_set_error(struct check *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (c->done)
		return 0;
	c->done = true;
	va_start(ap, fmt);
	r = check_vset(c, EVAL_OUTCOME_ERROR, fmt, ap);
	va_end(ap);
	return r;
}

int
check_evidence_set(struct check *c, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	if (!c->out->evidence) {
		c->out->evidence = json_object();
		if (!c->out->evidence) {
			json_decref(v);
			return -ENOMEM;
		}
	}
	if (json_object_set_new(c->out->evidence, key, v) < 0)
		return -ENOMEM;
	return 0;
}

int
check_evidence_uint(struct check *c, const char *key, uint64_t v)
{
	return check_evidence_set(c, key,
	    json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t
utf8_valid_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

char *
check_printable(const char *s)
{
	struct buf b = BUF_INIT(0);
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_valid_len(p);
		int r;

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			r = buf_printf(&b, "\\x%02x", *p);
			n = 1;
		} else
			r = buf_append(&b, p, n);
		if (r < 0) {
			buf_free(&b);
			return NULL;
		}
		p += n;
	}
	if (!b.data && buf_append(&b, "", 0) < 0)
		return NULL;
	return buf_steal(&b);
}

json_t *
check_json_string(const char *s)
{
	_cleanup_free_ char *clean = check_printable(s);

	return clean ? json_string(clean) : NULL;
}

json_t *
check_rows_json(const struct check_rows *rows)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < rows->n; i++)
		if (json_array_append_new(a,
			json_integer((json_int_t)rows->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

void
check_column_lookup(struct check_column *col, const struct reader *r)
{
	if (reader_column_index(r, col->name, &col->index) == 0)
		col->found = true;
}

struct reader_field
check_column_field(const struct check_column *col, const struct reader *r)
{
	if (!col->found)
		return (struct reader_field){ NULL, 0 };
	return reader_field(r, col->index);
}

int
check_manifest_role_field(const struct manifest *m, enum manifest_role role,
    const char **ret)
{
	const char *found = NULL;

	for (size_t i = 0; i < m->nfields; i++) {
		if (m->fields[i].role != role)
			continue;
		if (found)
			return -ENOTUNIQ;
		found = m->fields[i].name;
	}
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

bool
check_globs_match(const struct policy_strv *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (fnmatch(globs->v[i], name, 0) == 0)
			return true;
	return false;
}

/* Results. */

static void
rule_result_free_contents(struct eval_rule_result *rr)
{
	free(rr->name);
	free(rr->dataset);
	free(rr->reason);
	json_decref(rr->evidence);
}

void
eval_result_free(struct eval_result *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->purpose);
	for (size_t i = 0; i < r->npolicies; i++) {
		struct eval_policy_result *p = &r->policies[i];

		free(p->name);
		free(p->version);
		free(p->file);
		for (size_t j = 0; j < p->nrules; j++)
			rule_result_free_contents(&p->rules[j]);
		free(p->rules);
	}
	free(r->policies);
	for (size_t i = 0; i < r->nskipped; i++)
		free(r->skipped[i]);
	free(r->skipped);
	for (size_t i = 0; i < r->ndatasets; i++) {
		free(r->datasets[i].name);
		free(r->datasets[i].manifest);
		free(r->datasets[i].path);
		free(r->datasets[i].error_message);
		free(r->datasets[i].malformed_reason);
	}
	free(r->datasets);
	free(r);
}

static char *
strdup_or_null(const char *s, bool *oom)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*oom = true;
	return c;
}

static bool
labels_match(const struct policy *p, const struct manifest *m)
{
	for (size_t i = 0; i < p->nlabels; i++) {
		const char *v = manifest_label(m, p->labels[i].key);
		bool ok = false;

		for (size_t j = 0; v && j < p->labels[i].values.n && !ok; j++)
			ok = streq(v, p->labels[i].values.v[j]);
		if (!ok)
			return false;
	}
	return true;
}

static const struct check_ops *
ops_for(enum rule_kind k)
{
	switch (k) {
	case RULE_CONSENT:
		return &check_consent_ops;
	case RULE_FIELDS:
		return &check_fields_ops;
	case RULE_PII:
		return &check_pii_ops;
	case RULE_K_ANONYMITY:
		return &check_k_anonymity_ops;
	case RULE_L_DIVERSITY:
		return &check_l_diversity_ops;
	case RULE_RETENTION:
		return &check_retention_ops;
	case RULE_DP_BUDGET:
	case _RULE_KIND_MAX:
		break;
	}
	return NULL;
}

/* dp_budget rules are carried through for the daemon's budget store. */
static int
dp_budget_result(const struct policy_rule *rule, struct eval_rule_result *out)
{
	const struct rule_dp_budget *b = &rule->dp_budget;
	json_t *e;

	out->outcome = EVAL_DEFERRED;
	out->reason = strdup("privacy budget is charged by consentd's budget "
	    "store");
	e = json_pack("{s:f,s:s,s:s}", "epsilon", b->epsilon, "scope",
	    b->scope == DP_SCOPE_GROUP ? "group" : "dataset", "accountant",
	    b->accountant == DP_ACCOUNTANT_BASIC ? "basic" : "rdp");
	if (!out->reason || !e) {
		json_decref(e);
		return -ENOMEM;
	}
	out->evidence = e;
	if (b->has_delta &&
	    json_object_set_new(e, "delta", json_real(b->delta)) < 0)
		return -ENOMEM;
	if (b->group &&
	    json_object_set_new(e, "group", json_string(b->group)) < 0)
		return -ENOMEM;
	return 0;
}

static void
checks_free(struct check *checks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (checks[i].ops && checks[i].ops->free_state)
			checks[i].ops->free_state(checks[i].state);
	free(checks);
}

static int
timed_begin(struct check *c)
{
	uint64_t t0 = now_monotonic_nsec();
	int r = c->ops->begin ? c->ops->begin(c) : 0;

	c->nsec += now_monotonic_nsec() - t0;
	return r;
}

static int
timed_end(struct check *c, const struct reader *rd, bool complete)
{
	uint64_t t0 = now_monotonic_nsec();
	int r = c->ops->end(c, rd, complete);

	c->nsec += now_monotonic_nsec() - t0;
	c->out->duration_us = c->nsec / 1000;
	return r;
}

/*
 * A rule's duration_us is measured, not for every record (two clock
 * readings per record and check cost more than some checks), but for each
 * of the first EVAL_TIMED_ROWS records and then for one record in
 * EVAL_TIMED_STRIDE, which stands for the stride: for a large dataset it
 * is an estimate, from tens of thousands of samples, of the time the
 * check took.
 */
#define EVAL_TIMED_ROWS 1024
#define EVAL_TIMED_STRIDE 64

/* How many records the row'th (1-based) stands for in the checks' times;
 * 0: it is not timed. */
static uint64_t
row_time_weight(uint64_t row)
{
	if (row <= EVAL_TIMED_ROWS)
		return 1;
	return row % EVAL_TIMED_STRIDE == 0 ? EVAL_TIMED_STRIDE : 0;
}

/* Feeds one record to every check. When weight is not 0, times each (one
 * clock reading between two checks ends the one and starts the next) and
 * counts the time weight times. */
static int
rows_feed(struct check *checks, size_t nchecks, const struct reader *rd,
    uint64_t weight)
{
	uint64_t t0 = weight ? now_monotonic_nsec() : 0, t1;
	int r;

	for (size_t i = 0; i < nchecks; i++) {
		struct check *c = &checks[i];

		if (c->done || !c->ops->row)
			continue;
		r = c->ops->row(c, rd, reader_line(rd));
		if (weight) {
			t1 = now_monotonic_nsec();
			c->nsec += weight * (t1 - t0);
			t0 = t1;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Reads one dataset to its end, feeding every check. */
static int
eval_dataset(struct eval_dataset_result *dr, const struct manifest *m,
    struct check *checks, size_t nchecks)
{
	struct reader_options ro = { .format = m->format };
	_cleanup_(reader_freep) struct reader *rd = NULL;
	bool complete = false;
	int r;

	for (size_t i = 0; i < nchecks; i++) {
		r = timed_begin(&checks[i]);
		if (r < 0)
			return r;
	}
	r = reader_open(m->data_path, &ro, &rd);
	if (r == -ENOMEM)
		return r; /* not a property of the data: no decision */
	if (r < 0) {
		dr->error = r;
		if (asprintf(&dr->error_message, "cannot open '%s': %s",
			m->data_path, strerror(-r)) < 0)
			return -ENOMEM;
	}
	while (rd) {
		r = reader_next(rd);
		if (r == 0) {
			complete = true;
			break;
		}
		if (r == -EBADMSG) {
			/* The reader's messages never quote the data. */
			if (!dr->malformed_reason && reader_error(rd) &&
			    !(dr->malformed_reason = strdup(reader_error(rd))))
				return -ENOMEM;
			if (dr->nmalformed_lines < EVAL_MAX_EXAMPLES)
				dr->malformed_lines[dr->nmalformed_lines++] =
				    reader_line(rd);
			dr->malformed++;
			continue;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			dr->error = r;
			if (asprintf(&dr->error_message,
				"cannot read '%s' near line %" PRIu64 ": %s",
				m->data_path, reader_line(rd),
				r == -ENOMEM ? strerror(-r) :
				(reader_error(rd) ? reader_error(rd) :
				strerror(-r))) < 0)
				return -ENOMEM;
			break;
		}
		dr->rows++;
		r = rows_feed(checks, nchecks, rd, row_time_weight(dr->rows));
		if (r < 0)
			return r;
	}
	if (rd) {
		dr->bytes = reader_bytes(rd);
		if (complete) {
			uint8_t fp[SHA256_LEN];

			reader_fingerprint(rd, fp);
			hex_encode(fp, SHA256_LEN, dr->fingerprint);
		}
	}
	for (size_t i = 0; i < nchecks; i++) {
		if (checks[i].done) {
			checks[i].out->duration_us = checks[i].nsec / 1000;
			continue;
		}
		r = timed_end(&checks[i], rd, complete);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The synthetic "read" rule: a dataset's malformed records (fail) or a
 * read error (error), in every applicable policy covering it. */
static int
read_result(const struct eval_dataset_result *dr,
    struct eval_rule_result *out)
{
	struct check_rows lines = { .n = dr->nmalformed_lines };
	json_t *e;

	memcpy(lines.v, dr->malformed_lines, sizeof(lines.v));
	out->kind = "read";
	out->name = strdup("read");
	out->dataset = strdup(dr->name);
	if (!out->name || !out->dataset)
		return -ENOMEM;
	if (dr->error) {
		out->outcome = EVAL_OUTCOME_ERROR;
		out->reason = strdup(dr->error_message ? dr->error_message :
		    "cannot read the data");
	} else {
		out->outcome = EVAL_FAIL;
		if (asprintf(&out->reason, "%" PRIu64 " malformed record%s%s%s",
			dr->malformed, dr->malformed == 1 ? "" : "s",
			dr->malformed_reason ? "; first: " : "",
			dr->malformed_reason ? dr->malformed_reason : "") < 0)
			out->reason = NULL;
	}
	e = json_object();
	out->evidence = e;
	if (!out->reason || !e)
		return -ENOMEM;
	if (json_object_set_new(e, "malformed_rows",
		json_integer((json_int_t)dr->malformed)) < 0 ||
	    json_object_set_new(e, "lines", check_rows_json(&lines)) < 0)
		return -ENOMEM;
	if (dr->error && json_object_set_new(e, "error",
			     json_string(strerror(-dr->error))) < 0)
		return -ENOMEM;
	return 0;
}

static int
set_reason(struct eval_result *res, const char *fmt, ...) _printf_(2, 3);

static int
set_reason(struct eval_result *res, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	free(res->reason);
	res->reason = s;
	return 0;
}

/* Decides from the policies' effects: deny > error > allow (a definite
 * denial outranks an evaluation that could not finish; both refuse). */
static int
decide(struct eval_result *res, const struct eval_options *opt,
    size_t nuncovered, const char *uncovered)
{
	const struct eval_policy_result *first_deny = NULL, *first_err = NULL;
	const struct eval_rule_result *deny_rule = NULL, *err_rule = NULL;
	size_t violations = 0;

	for (size_t i = 0; i < res->npolicies; i++) {
		struct eval_policy_result *p = &res->policies[i];

		p->effect = EVAL_ALLOW;
		for (size_t j = 0; j < p->nrules; j++) {
			const struct eval_rule_result *rr = &p->rules[j];
			bool bad = rr->outcome == EVAL_FAIL ||
			    rr->outcome == EVAL_OUTCOME_ERROR ||
			    rr->outcome == EVAL_NOT_EVALUATED;

			if (!bad)
				continue;
			if (p->mode == POLICY_AUDIT)
				violations++;
			if (p->mode != POLICY_ENFORCE)
				continue;
			if (rr->outcome == EVAL_FAIL) {
				p->effect = EVAL_DENY;
				if (!first_deny) {
					first_deny = p;
					deny_rule = rr;
				}
			} else {
				if (p->effect != EVAL_DENY)
					p->effect = EVAL_ERROR;
				if (!first_err) {
					first_err = p;
					err_rule = rr;
				}
			}
		}
	}
	if (res->npolicies == 0 && !opt->allow_unmatched) {
		res->decision = EVAL_DENY;
		return set_reason(res, "no policy applies to purpose '%s'",
		    opt->purpose ? opt->purpose : "(none)");
	}
	if (first_deny) {
		res->decision = EVAL_DENY;
		return set_reason(res,
		    "policy '%s': rule '%s' failed on dataset '%s': %s",
		    first_deny->name, deny_rule->name, deny_rule->dataset,
		    deny_rule->reason ? deny_rule->reason : "failed");
	}
	if (nuncovered && !opt->allow_unmatched) {
		res->decision = EVAL_DENY;
		return set_reason(res,
		    "dataset '%s' is not covered by any applicable policy",
		    uncovered);
	}
	if (first_err) {
		res->decision = EVAL_ERROR;
		return set_reason(res,
		    "policy '%s': rule '%s' on dataset '%s' is %s: %s",
		    first_err->name, err_rule->name, err_rule->dataset,
		    eval_outcome_name(err_rule->outcome),
		    err_rule->reason ? err_rule->reason : "no reason");
	}
	res->decision = EVAL_ALLOW;
	if (res->npolicies == 0)
		return set_reason(res, "no policy applies; allowed as "
		    "unmatched");
	if (violations)
		return set_reason(res,
		    "allowed with %zu audit violation%s", violations,
		    violations == 1 ? "" : "s");
	return set_reason(res, "%zu polic%s applied; no enforced rule failed",
	    res->npolicies, res->npolicies == 1 ? "y" : "ies");
}

static int
eval_run_inner(struct policy *const *policies, size_t npolicies,
    struct manifest *const *manifests, size_t nmanifests,
    const struct eval_options *opt, struct eval_result *res)
{
	size_t *pidx = NULL; /* applicable policy -> index in policies */
	size_t nuncovered = 0;
	const char *uncovered = NULL;
	bool oom = false;
	int r = 0;

	res->datasets = calloc(nmanifests, sizeof(*res->datasets));
	res->policies = calloc(npolicies ? npolicies : 1,
	    sizeof(*res->policies));
	res->skipped = calloc(npolicies ? npolicies : 1, sizeof(char *));
	pidx = calloc(npolicies ? npolicies : 1, sizeof(*pidx));
	if (!res->datasets || !res->policies || !res->skipped || !pidx) {
		free(pidx);
		return -ENOMEM;
	}
	for (size_t d = 0; d < nmanifests; d++) {
		struct eval_dataset_result *dr = &res->datasets[d];
		const struct manifest *m = manifests[d];

		res->ndatasets++;
		dr->name = strdup_or_null(m->dataset, &oom);
		dr->manifest = strdup_or_null(m->file, &oom);
		dr->path = strdup_or_null(m->data_path, &oom);
		dr->format = m->format;
		memcpy(dr->manifest_hash, m->hash_hex,
		    sizeof(dr->manifest_hash));
	}
	/* Applicable: the purpose matches and so do some dataset's labels. */
	for (size_t i = 0; i < npolicies && !oom; i++) {
		const struct policy *p = policies[i];
		struct eval_policy_result *pr;
		size_t nmatch = 0;

		for (size_t d = 0; d < nmanifests; d++)
			if (labels_match(p, manifests[d]))
				nmatch++;
		if (!policy_matches_purpose(p, opt->purpose) || nmatch == 0) {
			res->skipped[res->nskipped] = strdup_or_null(p->name,
			    &oom);
			res->nskipped++;
			continue;
		}
		pidx[res->npolicies] = i;
		pr = &res->policies[res->npolicies++];
		pr->name = strdup_or_null(p->name, &oom);
		pr->version = strdup_or_null(p->version, &oom);
		pr->file = strdup_or_null(p->file, &oom);
		memcpy(pr->hash_hex, p->hash_hex, sizeof(pr->hash_hex));
		pr->mode = p->mode;
		/* Every rule on every matching dataset, and a read result per
		 * dataset: allocated once so checks can point into it. */
		pr->rules = calloc(p->nrules * nmatch + nmatch,
		    sizeof(*pr->rules));
		if (!pr->rules)
			oom = true;
	}
	if (oom) {
		free(pidx);
		return -ENOMEM;
	}
	for (size_t d = 0; d < nmanifests && r >= 0; d++) {
		const struct manifest *m = manifests[d];
		struct eval_dataset_result *dr = &res->datasets[d];
		struct check *checks = NULL;
		size_t nchecks = 0, cap = 0;

		for (size_t a = 0; a < res->npolicies; a++)
			if (labels_match(policies[pidx[a]], m)) {
				dr->covered = true;
				cap += policies[pidx[a]]->nrules;
			}
		if (!dr->covered && nuncovered++ == 0)
			uncovered = m->dataset;
		checks = calloc(cap ? cap : 1, sizeof(*checks));
		if (!checks) {
			r = -ENOMEM;
			break;
		}
		for (size_t a = 0; a < res->npolicies && r >= 0; a++) {
			const struct policy *p = policies[pidx[a]];
			struct eval_policy_result *pr = &res->policies[a];

			if (!labels_match(p, m))
				continue;
			for (size_t k = 0; k < p->nrules; k++) {
				const struct policy_rule *rule = &p->rules[k];
				struct eval_rule_result *out =
				    &pr->rules[pr->nrules++];

				out->name = strdup(rule->name);
				out->kind = rule_kind_name(rule->kind);
				out->dataset = strdup(m->dataset);
				out->outcome = EVAL_OUTCOME_ERROR;
				if (!out->name || !out->dataset) {
					r = -ENOMEM;
					break;
				}
				if (rule->kind == RULE_DP_BUDGET) {
					r = dp_budget_result(rule, out);
					if (r < 0)
						break;
					continue;
				}
				checks[nchecks++] = (struct check){
					.ops = ops_for(rule->kind),
					.rule = rule,
					.manifest = m,
					.opt = opt,
					.out = out,
				};
			}
		}
		if (r >= 0)
			r = eval_dataset(dr, m, checks, nchecks);
		checks_free(checks, nchecks);
		if (r < 0)
			break;
		if (!dr->error && dr->malformed == 0)
			continue;
		for (size_t a = 0; a < res->npolicies && r >= 0; a++) {
			struct eval_policy_result *pr = &res->policies[a];

			if (labels_match(policies[pidx[a]], m))
				r = read_result(dr, &pr->rules[pr->nrules++]);
		}
	}
	free(pidx);
	if (r < 0)
		return r;
	return decide(res, opt, nuncovered, uncovered);
}

int
eval_run(struct policy *const *policies, size_t npolicies,
    struct manifest *const *manifests, size_t nmanifests,
    const struct eval_options *opt, struct eval_result **ret)
{
	_cleanup_eval_result_ struct eval_result *res = NULL;
	usec_t t0 = now_monotonic();
	int r;

	if (!opt || !ret || nmanifests == 0 || !manifests ||
	    (npolicies && !policies))
		return -EINVAL;
	for (size_t i = 0; i < npolicies; i++)
		if (!policies[i])
			return -EINVAL;
	for (size_t i = 0; i < nmanifests; i++)
		if (!manifests[i])
			return -EINVAL;
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	res->at = opt->at;
	if (opt->purpose && !(res->purpose = strdup(opt->purpose)))
		return -ENOMEM;
	r = eval_run_inner(policies, npolicies, manifests, nmanifests, opt,
	    res);
	if (r < 0)
		return r;
	res->duration_us = (uint64_t)(now_monotonic() - t0);
	*ret = TAKE_PTR(res);
	return 0;
}

int
eval_result_rule_outcome(const struct eval_result *r, const char *rule,
    enum eval_outcome *ret)
{
	const char *slash = strchr(rule, '/');
	size_t plen = slash ? (size_t)(slash - rule) : 0;
	const char *rname = slash ? slash + 1 : rule;
	bool found = false;
	enum eval_outcome worst = EVAL_PASS;

	for (size_t i = 0; i < r->npolicies; i++) {
		const struct eval_policy_result *p = &r->policies[i];

		if (slash && (strlen(p->name) != plen ||
				 strncmp(p->name, rule, plen) != 0))
			continue;
		for (size_t j = 0; j < p->nrules; j++) {
			const struct eval_rule_result *rr = &p->rules[j];

			if (!streq(rr->name, rname))
				continue;
			if (!found || outcome_rank(rr->outcome) >
				outcome_rank(worst))
				worst = rr->outcome;
			found = true;
		}
	}
	if (!found)
		return -ENOENT;
	*ret = worst;
	return 0;
}

/* JSON. */

static const char *
format_name(enum reader_format f)
{
	switch (f) {
	case READER_CSV:
		return "csv";
	case READER_TSV:
		return "tsv";
	case READER_JSONL:
		return "jsonl";
	}
	return "?";
}

/* Strings in results may come from file names or data: always valid. */
static json_t *
json_str_or_null(const char *s)
{
	return s ? check_json_string(s) : json_null();
}

static json_t *
rule_result_json(const struct eval_rule_result *rr)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, "name", json_string(rr->name)) < 0 ||
	    json_object_set_new(o, "kind", json_string(rr->kind)) < 0 ||
	    json_object_set_new(o, "dataset", json_str_or_null(rr->dataset)) <
		0 ||
	    json_object_set_new(o, "outcome",
		json_string(eval_outcome_name(rr->outcome))) < 0 ||
	    json_object_set_new(o, "reason", json_str_or_null(rr->reason)) <
		0 ||
	    json_object_set_new(o, "evidence",
		rr->evidence ? json_incref(rr->evidence) : json_object()) < 0 ||
	    json_object_set_new(o, "duration_us",
		json_integer((json_int_t)rr->duration_us)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
policy_result_json(const struct eval_policy_result *p)
{
	json_t *o = json_object(), *rules = json_array();

	if (!o || !rules)
		goto fail;
	for (size_t j = 0; j < p->nrules; j++)
		if (json_array_append_new(rules,
			rule_result_json(&p->rules[j])) < 0)
			goto fail;
	if (json_object_set_new(o, "name", json_string(p->name)) < 0 ||
	    json_object_set_new(o, "version", json_str_or_null(p->version)) <
		0 ||
	    json_object_set_new(o, "file", json_str_or_null(p->file)) < 0 ||
	    json_object_set_new(o, "sha256", json_string(p->hash_hex)) < 0 ||
	    json_object_set_new(o, "mode",
		json_string(policy_mode_name(p->mode))) < 0 ||
	    json_object_set_new(o, "effect",
		json_string(eval_decision_name(p->effect))) < 0)
		goto fail;
	if (json_object_set_new(o, "rules", rules) < 0) {
		rules = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(rules);
	json_decref(o);
	return NULL;
}

static json_t *
dataset_result_json(const struct eval_dataset_result *d)
{
	struct check_rows lines = { .n = d->nmalformed_lines };
	json_t *o = json_object();

	memcpy(lines.v, d->malformed_lines, sizeof(lines.v));
	if (!o)
		return NULL;
	if (json_object_set_new(o, "name", json_string(d->name)) < 0 ||
	    json_object_set_new(o, "manifest", json_str_or_null(d->manifest)) <
		0 ||
	    json_object_set_new(o, "manifest_sha256",
		json_string(d->manifest_hash)) < 0 ||
	    json_object_set_new(o, "path", json_str_or_null(d->path)) < 0 ||
	    json_object_set_new(o, "format",
		json_string(format_name(d->format))) < 0 ||
	    json_object_set_new(o, "covered", json_boolean(d->covered)) < 0 ||
	    json_object_set_new(o, "fingerprint",
		d->fingerprint[0] ? json_string(d->fingerprint) :
		json_null()) < 0 ||
	    json_object_set_new(o, "rows", json_integer((json_int_t)d->rows)) <
		0 ||
	    json_object_set_new(o, "bytes",
		json_integer((json_int_t)d->bytes)) < 0 ||
	    json_object_set_new(o, "malformed_rows",
		json_integer((json_int_t)d->malformed)) < 0 ||
	    json_object_set_new(o, "malformed_lines",
		check_rows_json(&lines)) < 0 ||
	    json_object_set_new(o, "malformed_reason",
		json_str_or_null(d->malformed_reason)) < 0 ||
	    json_object_set_new(o, "error",
		json_str_or_null(d->error_message)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
eval_result_to_json(const struct eval_result *r)
{
	char at[TIME_RFC3339_MAX];
	json_t *o = json_object(), *pols = json_array(), *dss = json_array();
	json_t *skipped = json_array(), *viol = json_array(), *v;

	if (!o || !pols || !dss || !skipped || !viol)
		goto fail;
	for (size_t i = 0; i < r->npolicies; i++) {
		const struct eval_policy_result *p = &r->policies[i];

		if (json_array_append_new(pols, policy_result_json(p)) < 0)
			goto fail;
		if (p->mode == POLICY_SHADOW)
			continue;
		for (size_t j = 0; j < p->nrules; j++) {
			const struct eval_rule_result *rr = &p->rules[j];

			if (rr->outcome == EVAL_PASS ||
			    rr->outcome == EVAL_DEFERRED)
				continue;
			v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "policy",
			    p->name, "mode", policy_mode_name(p->mode), "rule",
			    rr->name, "dataset", rr->dataset, "outcome",
			    eval_outcome_name(rr->outcome));
			if (json_array_append_new(viol, v) < 0)
				goto fail;
		}
	}
	for (size_t i = 0; i < r->ndatasets; i++)
		if (json_array_append_new(dss,
			dataset_result_json(&r->datasets[i])) < 0)
			goto fail;
	for (size_t i = 0; i < r->nskipped; i++)
		if (json_array_append_new(skipped, json_string(r->skipped[i])) <
		    0)
			goto fail;
	if (json_object_set_new(o, "decision",
		json_string(eval_decision_name(r->decision))) < 0 ||
	    json_object_set_new(o, "reason", json_str_or_null(r->reason)) < 0 ||
	    json_object_set_new(o, "purpose", json_str_or_null(r->purpose)) <
		0 ||
	    json_object_set_new(o, "at",
		json_string(time_format_rfc3339(r->at, at))) < 0 ||
	    json_object_set_new(o, "duration_us",
		json_integer((json_int_t)r->duration_us)) < 0)
		goto fail;
	if (json_object_set_new(o, "datasets", dss) < 0) {
		dss = NULL;
		goto fail;
	}
	dss = NULL;
	if (json_object_set_new(o, "policies", pols) < 0) {
		pols = NULL;
		goto fail;
	}
	pols = NULL;
	if (json_object_set_new(o, "skipped_policies", skipped) < 0) {
		skipped = NULL;
		goto fail;
	}
	skipped = NULL;
	if (json_object_set_new(o, "violations", viol) < 0) {
		viol = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	json_decref(pols);
	json_decref(dss);
	json_decref(skipped);
	json_decref(viol);
	return NULL;
}
