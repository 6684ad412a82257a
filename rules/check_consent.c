/* consent rules: every record's subject must have active consent for the
 * purpose, up to max_missing records. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "check.h"

struct consent_state {
	const char *purpose;
	struct check_column subject;
	uint64_t rows;
	uint64_t missing;    /* no active consent, including no subject */
	uint64_t no_subject; /* the subject field is absent or empty */
	struct check_rows lines;
};

static int
consent_begin(struct check *c)
{
	const struct rule_consent *rc = &c->rule->consent;
	struct consent_state *s;

	if (!c->opt->consent || !c->opt->consent->lookup) {
		c->done = true;
		return check_set(c, EVAL_NOT_EVALUATED,
		    "no consent source was given (such as the ledger), so "
		    "consent was not checked");
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->state = s;
	s->purpose = rc->purpose ? rc->purpose : c->opt->purpose;
	if (!s->purpose)
		return check_set_error(c,
		    "no purpose: the job gave none and the rule names none");
	if (!c->manifest->subject_field)
		return check_set_error(c,
		    "the manifest of dataset '%s' declares no subject_field",
		    c->manifest->dataset);
	s->subject.name = c->manifest->subject_field;
	return 0;
}

static int
consent_row(struct check *c, const struct reader *r, uint64_t line)
{
	struct consent_state *s = c->state;
	struct reader_field f;
	int k;

	s->rows++;
	check_column_resolve(&s->subject, r);
	f = check_column_field(&s->subject, r);
	if (!f.value || f.len == 0) {
		s->no_subject++;
		s->missing++;
		check_rows_add(&s->lines, line);
		return 0;
	}
	k = c->opt->consent->lookup(c->opt->consent->userdata, f.value, f.len,
	    s->purpose);
	if (k < 0)
		return check_set_error(c,
		    "consent lookup failed at line %" PRIu64 ": %s", line,
		    strerror(-k));
	if (k == 0) {
		s->missing++;
		check_rows_add(&s->lines, line);
	}
	return 0;
}

static int
consent_end(struct check *c, const struct reader *r, bool complete)
{
	const struct rule_consent *rc = &c->rule->consent;
	struct consent_state *s = c->state;
	char limit[64];
	bool over;
	int k;

	if (!complete)
		return check_set_error(c,
		    "the data could not be read to its end");
	if (s->rows > 0 && !s->subject.found)
		return check_set_error(c,
		    "subject field '%s' is not a column of the data",
		    s->subject.name);
	if (rc->limit == CONSENT_LIMIT_COUNT) {
		over = s->missing > rc->max_count;
		snprintf(limit, sizeof(limit), "%" PRIu64, rc->max_count);
	} else {
		over = s->rows > 0 &&
		    (double)s->missing > rc->max_fraction * (double)s->rows;
		snprintf(limit, sizeof(limit), "%g%%",
		    rc->max_fraction * 100.0);
	}
	if ((k = check_evidence_set(c, "purpose", check_json_string(s->purpose))) <
		0 ||
	    (k = check_evidence_uint(c, "rows", s->rows)) < 0 ||
	    (k = check_evidence_uint(c, "missing", s->missing)) < 0 ||
	    (k = check_evidence_uint(c, "no_subject", s->no_subject)) < 0 ||
	    (k = check_evidence_set(c, "max_missing",
		 rc->limit == CONSENT_LIMIT_COUNT ?
		 json_integer((json_int_t)MIN(rc->max_count,
		     (uint64_t)INT64_MAX)) :
		 json_real(rc->max_fraction))) < 0 ||
	    (k = check_evidence_uint(c, "snapshot_size",
		 c->opt->consent->snapshot_size)) < 0 ||
	    (k = check_evidence_set(c, "lines", check_rows_json(&s->lines))) <
		0)
		return k;
	return check_set(c, over ? EVAL_FAIL : EVAL_PASS,
	    "%" PRIu64 " of %" PRIu64 " rows lack active consent for '%s' "
	    "(allowed: %s)",
	    s->missing, s->rows, s->purpose, limit);
}

const struct check_ops check_consent_ops = {
	.begin = consent_begin,
	.row = consent_row,
	.end = consent_end,
	.free_state = free,
};
