/* Evaluation of policies against a job's purpose and datasets: one
 * streaming pass per dataset feeds every rule; the result names every
 * policy, rule, outcome and piece of evidence (never personal data). */
#ifndef CONSENTD_EVAL_H
#define CONSENTD_EVAL_H

#include <jansson.h>

#include "macro.h"
#include "manifest.h"
#include "policy.h"
#include "timeutil.h"

/* Most row or line numbers kept as examples in one piece of evidence. */
#define EVAL_MAX_EXAMPLES 10
/* Default cap on equivalence classes per k_anonymity/l_diversity rule and
 * dataset; more classes is an `error` outcome, never a pass. */
#define EVAL_DEFAULT_MAX_CLASSES 1000000

/* A lookup begun and not yet answered: the consent source's own. */
struct consent_pending {
	uint64_t opaque[16];
};

/* Where consent rules ask whether a subject consented to a purpose. rules/
 * has no ledger access; the caller provides this (e.g. the ledger, or a
 * fixed set in tests). */
struct consent_source {
	void *userdata;
	/* 1: the subject (len bytes, not NUL-terminated) has active consent
	 * for purpose; 0: it has not; < 0: -errno, the rule is an error. */
	int (*lookup)(void *userdata, const char *subject, size_t len,
	    const char *purpose);
	/* Optional, both or neither: lookup in two halves, so that a rule
	 * can begin the lookups of the next records before it takes the
	 * answer of one (a source whose answer waits on memory overlaps the
	 * waits). start: 0 and *ret, or -errno as lookup; finish: lookup's
	 * answer. A consent rule finishes its lookups in the order it began
	 * them, and may leave some unfinished. */
	int (*start)(void *userdata, const char *subject, size_t len,
	    const char *purpose, struct consent_pending *ret);
	int (*finish)(void *userdata, struct consent_pending *p);
	/* Optional with them: a step between the two, made once a few more
	 * lookups have begun, for a source with a stage more to wait on
	 * memory for. finish must do it when it was not made. */
	void (*advance)(void *userdata, struct consent_pending *p);
	/* Size of the ledger snapshot the answers are taken from, reported
	 * in evidence so the decision can be replayed. */
	uint64_t snapshot_size;
	/* Releases userdata; may be NULL. */
	void (*close)(void *userdata);
};

/* Calls s->close (if any) and clears s; accepts NULL. */
void consent_source_close(struct consent_source *s);

/* Opens the ledger database read-only as a consent source. Provided by
 * lib/ with the ledger, not by rules/. -errno on failure. */
extern int ledger_consent_source_open(const char *db_path,
    struct consent_source *ret);
/* rules/consent_ledger.c: a source over an open snapshot, which the source
 * then owns (closed by consent_source_close). */
struct ledger_snapshot;
int ledger_consent_source_from_snapshot(struct ledger_snapshot *s,
    struct consent_source *ret);

enum eval_decision {
	EVAL_ALLOW,
	EVAL_DENY,
	EVAL_ERROR,
};

enum eval_outcome {
	EVAL_PASS,
	EVAL_FAIL,
	EVAL_OUTCOME_ERROR,
	EVAL_NOT_EVALUATED, /* could not be checked (no consent source) */
	EVAL_DEFERRED,      /* decided elsewhere (dp_budget: the daemon) */
};

struct eval_options {
	const char *purpose; /* the job's purpose; NULL: none given */
	usec_t at;           /* evaluation time for retention (reproducible) */
	/* NULL: consent rules are not_evaluated (never pass). */
	const struct consent_source *consent;
	size_t max_classes;  /* 0: EVAL_DEFAULT_MAX_CLASSES */
	/* When no applicable policy covers a dataset the decision is deny;
	 * set this to allow such datasets instead. */
	bool allow_unmatched;
};

struct eval_rule_result {
	char *name;       /* rule name; "read" for the dataset-read check */
	const char *kind; /* rule_kind_name(), or "read" (static) */
	char *dataset;    /* dataset name */
	enum eval_outcome outcome;
	char *reason;     /* one line for people: counts and columns only */
	json_t *evidence; /* object: counts, row numbers, column names */
	uint64_t duration_us;
};

struct eval_policy_result {
	char *name;
	char *version;    /* NULL when the policy has none */
	char *file;
	char hash_hex[2 * SHA256_LEN + 1];
	enum policy_mode mode;
	/* What this policy does to the decision: EVAL_ALLOW (nothing),
	 * EVAL_DENY or EVAL_ERROR; audit and shadow policies always ALLOW. */
	enum eval_decision effect;
	struct eval_rule_result *rules;
	size_t nrules;
};

struct eval_dataset_result {
	char *name;
	char *manifest;   /* manifest file */
	char manifest_hash[2 * SHA256_LEN + 1];
	char *path;       /* data file as opened */
	enum reader_format format;
	bool covered;     /* some applicable policy matches its labels */
	/* SHA-256 of the data as stored; "" unless read to its end. */
	char fingerprint[2 * SHA256_LEN + 1];
	uint64_t rows;    /* well-formed records */
	uint64_t bytes;   /* bytes read, as stored */
	uint64_t malformed;
	char *malformed_reason; /* the reader's message for the first one */
	uint64_t malformed_lines[EVAL_MAX_EXAMPLES];
	size_t nmalformed_lines;
	int error;        /* 0, or -errno when the data could not be read */
	char *error_message;
};

struct eval_result {
	enum eval_decision decision;
	char *reason;      /* one line summary */
	char *purpose;     /* NULL when none was given */
	usec_t at;
	struct eval_policy_result *policies; /* the applicable ones */
	size_t npolicies;
	char **skipped;    /* names of policies that did not apply */
	size_t nskipped;
	struct eval_dataset_result *datasets;
	size_t ndatasets;
	uint64_t duration_us;
};

/* Evaluates the policies for the purpose over the datasets. Problems with
 * the data or the rules are in the result (decision error or deny, never
 * allow); the return value is < 0 only for invalid arguments (-EINVAL) or
 * when memory runs out (-ENOMEM), and *ret is then untouched. Safe to call
 * from several threads at once over the same policies and manifests. */
int eval_run(struct policy *const *policies, size_t npolicies,
    struct manifest *const *manifests, size_t nmanifests,
    const struct eval_options *opt, struct eval_result **ret);
void eval_result_free(struct eval_result *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct eval_result *, eval_result_free)
#define _cleanup_eval_result_ _cleanup_(eval_result_freep)

/* The result as JSON (consentd-policy(5) describes the fields); a new
 * reference, or NULL when memory runs out. */
json_t *eval_result_to_json(const struct eval_result *r);

/* "allow", "deny", "error"; "pass", "fail", "error", "not_evaluated",
 * "deferred". */
const char *eval_decision_name(enum eval_decision d);
const char *eval_outcome_name(enum eval_outcome o);
/* Parses the names above; -EINVAL otherwise. */
int eval_decision_from_name(const char *s, enum eval_decision *ret);
int eval_outcome_from_name(const char *s, enum eval_outcome *ret);

/* The outcome of the named rule over all datasets (the worst: error, fail,
 * not_evaluated, deferred, pass); -ENOENT when no policy has it. */
int eval_result_rule_outcome(const struct eval_result *r, const char *rule,
    enum eval_outcome *ret);

#endif
