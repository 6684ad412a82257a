/* Policies: the YAML policy language (consentd-policy(5)) parsed into an
 * immutable structure that evaluations share: once parsed, a policy is only
 * read, so any number of threads may evaluate it at once. */
#ifndef CONSENTD_POLICY_H
#define CONSENTD_POLICY_H

#include "crypto.h"
#include "detect.h"
#include "diag.h"
#include "macro.h"
#include "timeutil.h"

/* Largest policy file accepted, in bytes. */
#define POLICY_MAX_SIZE ((size_t)1 << 20)

enum policy_mode {
	POLICY_ENFORCE, /* fail denies, error makes the decision error */
	POLICY_AUDIT,   /* fail is reported; the decision stays allow */
	POLICY_SHADOW,  /* evaluated and reported; never changes the decision */
};

enum rule_kind {
	RULE_CONSENT,
	RULE_FIELDS,
	RULE_PII,
	RULE_K_ANONYMITY,
	RULE_L_DIVERSITY,
	RULE_RETENTION,
	RULE_DP_BUDGET,
	_RULE_KIND_MAX,
};

/* A list of owned strings. */
struct policy_strv {
	char **v;
	size_t n;
};

/* match.labels: a label and the values it may take (any of them). */
struct policy_label {
	char *key;
	struct policy_strv values;
};

enum consent_limit {
	CONSENT_LIMIT_COUNT,    /* max_missing: N rows */
	CONSENT_LIMIT_FRACTION, /* max_missing: 0.05 or 5% of rows */
};

struct rule_consent {
	char *purpose;             /* NULL: the job's purpose */
	enum consent_limit limit;
	uint64_t max_count;        /* CONSENT_LIMIT_COUNT */
	double max_fraction;       /* CONSENT_LIMIT_FRACTION, 0..1 */
};

struct rule_fields {
	struct policy_strv allow;            /* fnmatch globs on names */
	struct policy_strv deny;
	struct policy_strv allow_categories; /* fideslang category keys */
	struct policy_strv deny_categories;
};

struct rule_pii_custom {
	char *name;
	char *pattern;
	enum detector_checksum validate;
};

struct rule_pii {
	enum detector_kind *kinds; /* built-in detectors, without repeats */
	size_t nkinds;
	struct rule_pii_custom *custom;
	size_t ncustom;
	double max_rate;                    /* 0..1, per column */
	struct policy_strv columns;         /* empty: every column not safe */
	struct policy_strv exclude_columns;
	/* Compiled at parse time, which validates the patterns; detector i
	 * is kinds[i] for i < nkinds, then custom[i - nkinds]. Evaluations
	 * build their own set (its date-of-birth reference day is the
	 * evaluation time's), so this one is never changed. */
	struct detector_set *set;
};

struct rule_k_anonymity {
	struct policy_strv quasi_identifiers; /* empty: the manifest's */
	uint64_t k;
};

struct rule_l_diversity {
	char *sensitive;
	struct policy_strv quasi_identifiers; /* empty: the manifest's */
	uint64_t l;
};

struct rule_retention {
	char *field; /* NULL: the manifest's timestamp field */
	usec_t max_age;
};

enum dp_scope {
	DP_SCOPE_DATASET,
	DP_SCOPE_GROUP,
};

enum dp_accountant {
	DP_ACCOUNTANT_RDP,
	DP_ACCOUNTANT_BASIC,
};

struct rule_dp_budget {
	double epsilon;        /* > 0 */
	double delta;          /* in (0, 1); 0 when not given */
	bool has_delta;
	enum dp_scope scope;
	char *group;           /* DP_SCOPE_GROUP */
	enum dp_accountant accountant;
};

struct policy_rule {
	char *name;
	char *description;  /* NULL when absent */
	enum rule_kind kind;
	unsigned line, col; /* position of the rule in the file */
	union {
		struct rule_consent consent;
		struct rule_fields fields;
		struct rule_pii pii;
		struct rule_k_anonymity k_anonymity;
		struct rule_l_diversity l_diversity;
		struct rule_retention retention;
		struct rule_dp_budget dp_budget;
	};
};

struct policy {
	char *file;        /* name used in diagnostics */
	char *name;
	char *version;     /* NULL when absent */
	char *description; /* NULL when absent */
	enum policy_mode mode;
	struct policy_strv purposes; /* match.purposes; empty: any purpose */
	struct policy_label *labels; /* match.labels */
	size_t nlabels;
	struct policy_rule *rules;
	size_t nrules;
	uint8_t hash[SHA256_LEN];     /* SHA-256 of the file's exact bytes */
	char hash_hex[2 * SHA256_LEN + 1];
};

/* Parses a policy file. Every error found is added to errors as
 * file:line:col with the expected form; warnings (deprecated taxonomy keys)
 * go to warnings, which may be NULL. Returns 0 and *ret on success,
 * -EINVAL when the file has errors, -errno on I/O failure (also added to
 * errors). *ret is untouched on failure. */
int policy_parse_file(const char *path, struct policy **ret,
    struct diag *errors, struct diag *warnings);
/* The same over bytes in memory; name is used in diagnostics. */
int policy_parse_string(const char *name, const char *data, size_t len,
    struct policy **ret, struct diag *errors, struct diag *warnings);
void policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free)
#define _cleanup_policy_ _cleanup_(policy_freep)

/* Names as written in policies; NULL for an out-of-range value. */
const char *policy_mode_name(enum policy_mode m);
const char *rule_kind_name(enum rule_kind k);

/* True when the policy's match.purposes covers purpose: equal, or an
 * ancestor on a dot boundary ("marketing" covers "marketing.advertising").
 * A policy without purposes covers every purpose, and NULL. */
bool policy_matches_purpose(const struct policy *p, const char *purpose);
/* Whether category (a field's) is covered by any of the keys (a rule's). */
bool policy_categories_cover(const struct policy_strv *keys,
    const char *category);

#endif
