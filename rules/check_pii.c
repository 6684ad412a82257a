/* pii rules: the data itself is scanned with validating detectors, column by
 * column, so an undeclared column of e-mail addresses is still found. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "detect.h"
#include "taxonomy.h"

#define PII_MAX_LISTED 100
#define PII_REASON_NAMES 5
#define PII_DOB_CATEGORY "user.demographic.date_of_birth"

struct pii_column {
	bool decided;  /* scan and dob are known */
	bool scan;
	bool dob;      /* birth-date context for the date_of_birth detector */
	uint64_t values; /* non-empty values scanned */
	uint64_t hits;   /* values in which some detector matched */
	uint64_t mask;   /* detectors that matched (bit i: detector i) */
	struct check_rows lines;
};

struct pii_state {
	/* Built per evaluation: its date_of_birth reference day is the
	 * evaluation's, so a replayed decision sees the same detections. */
	struct detector_set *set;
	struct detector_scratch *scratch;
	struct pii_column *cols;
	size_t ncols;
};

static void
pii_free(void *p)
{
	struct pii_state *s = p;

	if (!s)
		return;
	detector_scratch_free(s->scratch);
	detector_set_free(s->set);
	free(s->cols);
	free(s);
}

/* A column name that says "birth date": contains "birth", or has "dob" as
 * a word (date_of_birth, birthDate, dob, dob_utc; not "adobe"). */
static bool
name_is_dob(const char *name)
{
	char lower[256];
	size_t n = strlen(name);
	const char *p;

	if (n >= sizeof(lower))
		n = sizeof(lower) - 1;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[n] = '\0';
	if (strstr(lower, "birth"))
		return true;
	for (p = lower; (p = strstr(p, "dob")); p += 3) {
		bool start = p == lower || !isalnum((unsigned char)p[-1]);
		bool end = !isalnum((unsigned char)p[3]);

		if (start && end)
			return true;
	}
	return false;
}

static void
decide_column(struct check *c, struct pii_column *col, const char *name)
{
	const struct rule_pii *rp = &c->rule->pii;
	const struct manifest_field *f = name ?
	    manifest_field(c->manifest, name) : NULL;

	col->decided = true;
	if (!name)
		return;
	if (rp->columns.n > 0)
		col->scan = check_globs_match(&rp->columns, name);
	else
		col->scan = !(f && f->role == MANIFEST_ROLE_SAFE);
	if (check_globs_match(&rp->exclude_columns, name))
		col->scan = false;
	col->dob = name_is_dob(name);
	for (size_t i = 0; f && i < f->ncategories && !col->dob; i++)
		col->dob = taxonomy_covers(PII_DOB_CATEGORY, f->categories[i]);
}

static int
pii_begin(struct check *c)
{
	const struct rule_pii *rp = &c->rule->pii;
	_cleanup_free_ struct detector_custom_spec *specs = NULL;
	struct pii_state *s;
	time_t secs = (time_t)(c->opt->at / USEC_PER_SEC);
	char err[256] = "";
	struct tm tm;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->state = s;
	if (rp->ncustom) {
		specs = calloc(rp->ncustom, sizeof(*specs));
		if (!specs)
			return -ENOMEM;
	}
	for (size_t i = 0; i < rp->ncustom; i++)
		specs[i] = (struct detector_custom_spec){ rp->custom[i].name,
			rp->custom[i].pattern, rp->custom[i].validate };
	r = detector_set_new(rp->kinds, rp->nkinds, specs, rp->ncustom,
	    &s->set, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return check_set_error(c, "cannot build the detectors: %s",
		    *err ? err : strerror(-r));
	if (!gmtime_r(&secs, &tm))
		return check_set_error(c, "evaluation time out of range");
	r = detector_set_reference_date(s->set, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
	if (r < 0)
		return check_set_error(c,
		    "cannot set the reference date of the detectors: %s",
		    strerror(-r));
	s->scratch = detector_scratch_new(s->set);
	if (!s->scratch)
		return -ENOMEM;
	return 0;
}

static int
pii_row(struct check *c, const struct reader *r, uint64_t line)
{
	struct pii_state *s = c->state;
	size_t n = reader_ncolumns(r), nf;
	const struct reader_field *fields = reader_fields(r, &nf);

	if (n > s->ncols) {
		struct pii_column *nc = realloc(s->cols, n * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		memset(nc + s->ncols, 0, (n - s->ncols) * sizeof(*nc));
		s->cols = nc;
		s->ncols = n;
	}
	for (size_t i = 0; i < n; i++) {
		struct pii_column *col = &s->cols[i];
		const struct reader_field *f;
		uint64_t bits;

		if (!col->decided)
			decide_column(c, col, reader_column_name(r, i));
		if (!col->scan || i >= nf)
			continue;
		f = &fields[i];
		if (!f->value || f->len == 0)
			continue;
		col->values++;
		bits = detector_set_scan(s->set, s->scratch, f->value,
		    f->len, col->dob);
		if (!bits)
			continue;
		col->hits++;
		col->mask |= bits;
		check_rows_add(&col->lines, line);
	}
	return 0;
}

static json_t *
detector_names(const struct detector_set *set, uint64_t mask)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < detector_set_size(set) && i < 64; i++)
		if ((mask >> i) & 1 &&
		    json_array_append_new(a,
			json_string(detector_set_name(set, i))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
pii_end(struct check *c, const struct reader *r, bool complete)
{
	const struct rule_pii *rp = &c->rule->pii;
	struct pii_state *s = c->state;
	_cleanup_buf_ struct buf names = BUF_INIT(4096);
	json_t *list;
	size_t scanned = 0, over = 0, listed = 0;
	int k;

	if (!complete)
		return check_set_error(c,
		    "the data could not be read to its end");
	list = json_array();
	if (check_evidence_set(c, "columns", list) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->ncols; i++) {
		const struct pii_column *col = &s->cols[i];
		const char *name = reader_column_name(r, i);
		_cleanup_free_ char *shown = NULL;
		double rate;
		json_t *o;

		if (!col->scan)
			continue;
		scanned++;
		if (col->hits == 0)
			continue;
		if (!(shown = check_printable(name)))
			return -ENOMEM;
		rate = (double)col->hits / (double)col->values;
		if (rate > rp->max_rate) {
			if (over < PII_REASON_NAMES &&
			    buf_printf(&names, "%s'%s' (%.4g%%)",
				over ? ", " : "", shown, rate * 100.0) < 0)
				return -ENOMEM;
			over++;
		}
		if (listed++ >= PII_MAX_LISTED)
			continue;
		o = json_pack("{s:s,s:b,s:I,s:I,s:f,s:o,s:o}", "column", shown,
		    "declared", manifest_field(c->manifest, name) != NULL,
		    "hits", (json_int_t)col->hits, "values",
		    (json_int_t)col->values, "rate", rate, "detectors",
		    detector_names(s->set, col->mask), "lines",
		    check_rows_json(&col->lines));
		if (!o || json_array_append_new(list, o) < 0)
			return -ENOMEM;
	}
	if ((k = check_evidence_uint(c, "columns_scanned", scanned)) < 0 ||
	    (k = check_evidence_uint(c, "columns_over_rate", over)) < 0 ||
	    (k = check_evidence_set(c, "max_rate", json_real(rp->max_rate))) <
		0 ||
	    (k = check_evidence_uint(c, "scan_errors",
		 detector_scratch_errors(s->scratch))) < 0)
		return k;
	if (over == 0)
		return check_set(c, EVAL_PASS,
		    "%zu column%s scanned, %zu with detections, none above "
		    "the allowed rate %g%%",
		    scanned, scanned == 1 ? "" : "s", listed,
		    rp->max_rate * 100.0);
	return check_set(c, EVAL_FAIL,
	    "personal data found above the allowed rate %g%% in %zu "
	    "column%s: %s%s",
	    rp->max_rate * 100.0, over, over == 1 ? "" : "s",
	    names.data ? names.data : "",
	    over > PII_REASON_NAMES ? ", ..." : "");
}

const struct check_ops check_pii_ops = {
	.begin = pii_begin,
	.row = pii_row,
	.end = pii_end,
	.free_state = pii_free,
};
