/* The interface between the evaluator (eval.c) and the checks of each rule
 * kind (check_*.c): a check sees every well-formed record of one dataset
 * in one pass, then decides. Not installed; rules/ only. */
#ifndef CONSENTD_CHECK_H
#define CONSENTD_CHECK_H

#include <jansson.h>

#include "eval.h"
#include "manifest.h"
#include "policy.h"
#include "reader.h"

/* Row numbers kept as examples (at most EVAL_MAX_EXAMPLES). */
struct check_rows {
	uint64_t v[EVAL_MAX_EXAMPLES];
	size_t n;
};

/* One rule over one dataset. */
struct check {
	const struct check_ops *ops;
	const struct policy_rule *rule;
	const struct manifest *manifest;
	const struct eval_options *opt;
	struct eval_rule_result *out; /* the check fills outcome, reason and
				       * evidence in end() */
	void *state;                  /* owned by the check's ops */
	bool done;                    /* the outcome is final: rows are
				       * skipped, end() is not called */
	uint64_t nsec;                /* time spent in this check (for
				       * records, an estimate: eval.c) */
};

struct check_ops {
	/* Allocates state; an error here becomes the rule's error outcome
	 * through check_set_error (return 0) or -ENOMEM. */
	int (*begin)(struct check *c);
	/* One well-formed record; row is its 1-based number. Returns 0, or
	 * -ENOMEM; other problems are recorded with check_set_error. */
	int (*row)(struct check *c, const struct reader *r, uint64_t row);
	/* The data was read to its end (complete) or not (an I/O error:
	 * the check must not pass; r is NULL when the file could not be
	 * opened). Sets the outcome. Returns 0 or -ENOMEM. Not called after
	 * check_set_error. */
	int (*end)(struct check *c, const struct reader *r, bool complete);
	void (*free_state)(void *state);
};

extern const struct check_ops check_consent_ops;
extern const struct check_ops check_fields_ops;
extern const struct check_ops check_pii_ops;
extern const struct check_ops check_k_anonymity_ops;
extern const struct check_ops check_l_diversity_ops;
extern const struct check_ops check_retention_ops;

/* Sets the outcome error with a reason (printf-style) unless an outcome
 * was set already; later rows are skipped. Returns 0 or -ENOMEM. */
int check_set_error(struct check *c, const char *fmt, ...) _printf_(2, 3);
/* Sets outcome and reason. Returns 0 or -ENOMEM. */
int check_set(struct check *c, enum eval_outcome o, const char *fmt, ...)
    _printf_(3, 4);

/* Evidence helpers: each returns 0 or -ENOMEM; v is consumed. */
int check_evidence_set(struct check *c, const char *key, json_t *v);
int check_evidence_uint(struct check *c, const char *key, uint64_t v);
json_t *check_rows_json(const struct check_rows *rows);
/* Keeps row among the first EVAL_MAX_EXAMPLES. Inline: rules call it for
 * every record they count. */
static inline void
check_rows_add(struct check_rows *rows, uint64_t row)
{
	if (rows->n < EVAL_MAX_EXAMPLES)
		rows->v[rows->n++] = row;
}

/* Column lookup: the index of name in the data, resolved once seen
 * (JSONL columns appear as records are read). */
struct check_column {
	const char *name;
	size_t index;
	bool found;
};
void check_column_lookup(struct check_column *col, const struct reader *r);
/* Inline: rules call it on every record, and it is seldom more than one
 * test. */
static inline void
check_column_resolve(struct check_column *col, const struct reader *r)
{
	if (!col->found && col->name)
		check_column_lookup(col, r);
}
/* The field of col in the current record; value NULL when absent. */
struct reader_field check_column_field(const struct check_column *col,
    const struct reader *r);

/* The manifest's only field with this role: 0 and *ret, -ENOENT when none,
 * -ENOTUNIQ when several. */
int check_manifest_role_field(const struct manifest *m,
    enum manifest_role role, const char **ret);

/* Names read from the data (column names) may hold any bytes: these give
 * them as valid UTF-8 without control characters, each other byte written
 * as \xNN. check_printable returns a malloc'd string (NULL: no memory). */
char *check_printable(const char *s);
json_t *check_json_string(const char *s);

/* Whether name matches any of the fnmatch(3) globs. */
bool check_globs_match(const struct policy_strv *globs, const char *name);

#endif
