/* retention rules: no record older than max_age at the evaluation time
 * (passed in, so that a decision can be reproduced). */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "timeutil.h"

struct retention_state {
	struct check_column field;
	usec_t cutoff;           /* records before this are expired */
	uint64_t rows;
	uint64_t expired;
	uint64_t unparseable;    /* absent, empty or not RFC 3339 */
	struct check_rows lines;
};

static int
retention_begin(struct check *c)
{
	const struct rule_retention *rt = &c->rule->retention;
	struct retention_state *s;
	const char *field = rt->field;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->state = s;
	if (!field) {
		int r = check_manifest_role_field(c->manifest,
		    MANIFEST_ROLE_TIMESTAMP, &field);

		if (r == -ENOTUNIQ)
			return check_set_error(c,
			    "the manifest of '%s' has several fields with role "
			    "timestamp; name one with retention.field",
			    c->manifest->dataset);
		if (r < 0)
			return check_set_error(c,
			    "no timestamp field: set retention.field or give "
			    "a field role: timestamp in the manifest of '%s'",
			    c->manifest->dataset);
	}
	s->field.name = field;
	if (c->opt->at < INT64_MIN + rt->max_age)
		return check_set_error(c, "evaluation time out of range");
	s->cutoff = c->opt->at - rt->max_age;
	return 0;
}

static int
retention_row(struct check *c, const struct reader *r, uint64_t line)
{
	struct retention_state *s = c->state;
	struct reader_field f;
	char text[64];
	usec_t t;

	s->rows++;
	check_column_resolve(&s->field, r);
	f = check_column_field(&s->field, r);
	if (!f.value || f.len == 0 || f.len >= sizeof(text)) {
		s->unparseable++;
		check_rows_add(&s->lines, line);
		return 0;
	}
	memcpy(text, f.value, f.len);
	text[f.len] = '\0';
	if (time_parse_rfc3339(text, &t) < 0) {
		s->unparseable++;
		check_rows_add(&s->lines, line);
		return 0;
	}
	if (t < s->cutoff) {
		s->expired++;
		check_rows_add(&s->lines, line);
	}
	return 0;
}

static int
retention_end(struct check *c, const struct reader *r, bool complete)
{
	struct retention_state *s = c->state;
	char age[64], at[TIME_RFC3339_MAX];
	int k;

	if (!complete)
		return check_set_error(c,
		    "the data could not be read to its end");
	if (s->rows > 0 && !s->field.found)
		return check_set_error(c,
		    "timestamp field '%s' is not a column of the data",
		    s->field.name);
	duration_format(c->rule->retention.max_age, age, sizeof(age));
	if ((k = check_evidence_set(c, "field", check_json_string(s->field.name))) <
		0 ||
	    (k = check_evidence_set(c, "max_age", json_string(age))) < 0 ||
	    (k = check_evidence_set(c, "at",
		 json_string(time_format_rfc3339(c->opt->at, at)))) < 0 ||
	    (k = check_evidence_uint(c, "rows", s->rows)) < 0 ||
	    (k = check_evidence_uint(c, "expired", s->expired)) < 0 ||
	    (k = check_evidence_uint(c, "unparseable", s->unparseable)) < 0 ||
	    (k = check_evidence_set(c, "lines", check_rows_json(&s->lines))) <
		0)
		return k;
	if (s->expired == 0 && s->unparseable == 0)
		return check_set(c, EVAL_PASS,
		    "%" PRIu64 " rows, none older than %s", s->rows, age);
	return check_set(c, EVAL_FAIL,
	    "%" PRIu64 " of %" PRIu64 " rows older than %s, %" PRIu64
	    " with a missing or unreadable '%s'",
	    s->expired, s->rows, age, s->unparseable, s->field.name);
}

const struct check_ops check_retention_ops = {
	.begin = retention_begin,
	.row = retention_row,
	.end = retention_end,
	.free_state = free,
};
