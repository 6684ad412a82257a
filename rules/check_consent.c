/* consent rules: every record's subject must have active consent for the
 * purpose, up to max_missing records. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "check.h"

/* Records whose answers are taken this many records later (or at the end),
 * so that a source with start and finish looks the next ones up before it
 * reads an answer from memory; a source's advance step is made halfway. */
#define CONSENT_IN_FLIGHT 4
#define CONSENT_ADVANCE (CONSENT_IN_FLIGHT / 2)

/* A record whose answer is not taken yet. */
struct consent_queued {
	struct consent_pending pending; /* when answer is CONSENT_STARTED */
	uint64_t line;
	int answer;       /* lookup's answer, or CONSENT_STARTED */
	bool no_subject;  /* the subject field is absent or empty */
};

#define CONSENT_STARTED (-1)

struct consent_state {
	const char *purpose;
	struct check_column subject;
	uint64_t rows;
	uint64_t missing;    /* no active consent, including no subject */
	uint64_t no_subject; /* the subject field is absent or empty */
	struct check_rows lines;
	struct consent_queued queue[CONSENT_IN_FLIGHT]; /* a ring */
	size_t head, queued;
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
consent_lookup_failed(struct check *c, uint64_t line, int k)
{
	return check_set_error(c, "consent lookup failed at line %" PRIu64
	    ": %s", line, strerror(-k));
}

/* Takes the answer of the oldest queued record. */
static int
consent_take(struct check *c)
{
	const struct consent_source *src = c->opt->consent;
	struct consent_state *s = c->state;
	struct consent_queued *q = &s->queue[s->head];
	int k = q->answer;

	s->head = (s->head + 1) % CONSENT_IN_FLIGHT;
	s->queued--;
	if (k == CONSENT_STARTED)
		k = src->finish(src->userdata, &q->pending);
	if (k < 0)
		return consent_lookup_failed(c, q->line, k);
	if (q->no_subject)
		s->no_subject++;
	if (k == 0) {
		s->missing++;
		check_rows_add(&s->lines, q->line);
	}
	return 0;
}

/* Takes every queued answer, in record order, up to an error. */
static int
consent_take_all(struct check *c)
{
	struct consent_state *s = c->state;
	int r = 0;

	while (s->queued > 0 && r >= 0 && !c->done)
		r = consent_take(c);
	return r;
}

static int
consent_row(struct check *c, const struct reader *r, uint64_t line)
{
	const struct consent_source *src = c->opt->consent;
	struct consent_state *s = c->state;
	struct consent_queued *q;
	struct reader_field f;
	int k;

	s->rows++;
	check_column_resolve(&s->subject, r);
	f = check_column_field(&s->subject, r);
	if (s->queued == CONSENT_IN_FLIGHT) {
		k = consent_take(c);
		if (k < 0 || c->done)
			return k;
	}
	q = &s->queue[(s->head + s->queued) % CONSENT_IN_FLIGHT];
	q->line = line;
	q->no_subject = !f.value || f.len == 0;
	q->answer = 0;
	if (!q->no_subject) {
		if (src->start && src->finish) {
			k = src->start(src->userdata, f.value, f.len,
			    s->purpose, &q->pending);
			q->answer = CONSENT_STARTED;
		} else
			k = q->answer = src->lookup(src->userdata, f.value,
			    f.len, s->purpose);
		if (k < 0) {
			/* The records before this one come first. */
			int t = consent_take_all(c);

			if (t < 0 || c->done)
				return t;
			return consent_lookup_failed(c, line, k);
		}
	}
	s->queued++;
	if (src->advance && s->queued > CONSENT_ADVANCE) {
		q = &s->queue[(s->head + s->queued - 1 - CONSENT_ADVANCE) %
		    CONSENT_IN_FLIGHT];
		if (q->answer == CONSENT_STARTED)
			src->advance(src->userdata, &q->pending);
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
	k = consent_take_all(c);
	if (k < 0 || c->done)
		return k;
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
