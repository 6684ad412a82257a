/* Policy parsing: strict, every error reported with file:line:col. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "codec.h"
#include "policy.h"
#include "ruleutil.h"
#include "taxonomy.h"
#include "yamlnode.h"

#define POLICY_MAX_RULES 256
#define POLICY_MAX_K 1000000
#define POLICY_MAX_L 1000
#define POLICY_MAX_EPSILON 1e6
#define POLICY_MAX_DETECTORS 64

/* Parser state: diagnostics go to errors; anything but -EINVAL (already
 * reported) aborts the parse. */
struct pparse {
	struct diag *errors;
	struct diag *warnings;
};

/* Continues after a reported error, stops on anything else. */
#define PP_TRY(expr)                                                           \
	do {                                                                   \
		int _r_ = (expr);                                              \
		if (_r_ < 0 && _r_ != -EINVAL)                                 \
			return _r_;                                            \
	} while (0)

static const char *const mode_names[] = {
	[POLICY_ENFORCE] = "enforce",
	[POLICY_AUDIT] = "audit",
	[POLICY_SHADOW] = "shadow",
};

static const char *const kind_names[] = {
	[RULE_CONSENT] = "consent",
	[RULE_FIELDS] = "fields",
	[RULE_PII] = "pii",
	[RULE_K_ANONYMITY] = "k_anonymity",
	[RULE_L_DIVERSITY] = "l_diversity",
	[RULE_RETENTION] = "retention",
	[RULE_DP_BUDGET] = "dp_budget",
};

const char *
policy_mode_name(enum policy_mode m)
{
	if ((unsigned)m >= ELEMENTSOF(mode_names))
		return NULL;
	return mode_names[m];
}

const char *
rule_kind_name(enum rule_kind k)
{
	if ((unsigned)k >= ELEMENTSOF(kind_names))
		return NULL;
	return kind_names[k];
}

static void
strv_free(struct policy_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct policy_strv){ 0 };
}

static void
rule_free_contents(struct policy_rule *r)
{
	free(r->name);
	free(r->description);
	switch (r->kind) {
	case RULE_CONSENT:
		free(r->consent.purpose);
		break;
	case RULE_FIELDS:
		strv_free(&r->fields.allow);
		strv_free(&r->fields.deny);
		strv_free(&r->fields.allow_categories);
		strv_free(&r->fields.deny_categories);
		break;
	case RULE_PII:
		free(r->pii.kinds);
		for (size_t i = 0; i < r->pii.ncustom; i++) {
			free(r->pii.custom[i].name);
			free(r->pii.custom[i].pattern);
		}
		free(r->pii.custom);
		strv_free(&r->pii.columns);
		strv_free(&r->pii.exclude_columns);
		detector_set_free(r->pii.set);
		break;
	case RULE_K_ANONYMITY:
		strv_free(&r->k_anonymity.quasi_identifiers);
		break;
	case RULE_L_DIVERSITY:
		free(r->l_diversity.sensitive);
		strv_free(&r->l_diversity.quasi_identifiers);
		break;
	case RULE_RETENTION:
		free(r->retention.field);
		break;
	case RULE_DP_BUDGET:
		free(r->dp_budget.group);
		break;
	case _RULE_KIND_MAX:
		break;
	}
}

void
policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->file);
	free(p->name);
	free(p->version);
	free(p->description);
	strv_free(&p->purposes);
	for (size_t i = 0; i < p->nlabels; i++) {
		free(p->labels[i].key);
		strv_free(&p->labels[i].values);
	}
	free(p->labels);
	for (size_t i = 0; i < p->nrules; i++)
		rule_free_contents(&p->rules[i]);
	free(p->rules);
	free(p);
}

bool
policy_matches_purpose(const struct policy *p, const char *purpose)
{
	if (p->purposes.n == 0)
		return true;
	if (!purpose)
		return false;
	for (size_t i = 0; i < p->purposes.n; i++)
		if (taxonomy_covers(p->purposes.v[i], purpose))
			return true;
	return false;
}

bool
policy_categories_cover(const struct policy_strv *keys, const char *category)
{
	for (size_t i = 0; i < keys->n; i++)
		if (taxonomy_covers(keys->v[i], category))
			return true;
	return false;
}

static int
require(struct pparse *pp, const struct ynode *map, const char *key,
    const char *where, const char *form, const struct ynode **ret)
{
	const struct ynode *n = ynode_get(map, key);

	if (!n) {
		ydiag(pp->errors, map, "%s needs '%s' (%s)", where, key, form);
		return -EINVAL;
	}
	*ret = n;
	return 0;
}

static int
dup_string(struct pparse *pp, const struct ynode *n, char **ret)
{
	const char *s;
	char *copy;

	if (ynode_string(n, pp->errors, &s) < 0)
		return -EINVAL;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

static int
parse_name(struct pparse *pp, const struct ynode *n, const char *what,
    char **ret)
{
	const char *s;
	char *copy;

	if (ynode_string(n, pp->errors, &s) < 0)
		return -EINVAL;
	if (!ruleutil_name_valid(s)) {
		ydiag(pp->errors, n,
		    "invalid %s '%s': expected up to %d letters, digits, '.', "
		    "'_' or '-', starting with a letter or digit",
		    what, s, RULEUTIL_NAME_MAX);
		return -EINVAL;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

static int
strv_push(struct policy_strv *v, const char *s)
{
	char **nv;
	char *copy;

	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	v->v = nv;
	v->v[v->n++] = copy;
	return 0;
}

static bool
strv_contains(const struct policy_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(v->v[i], s))
			return true;
	return false;
}

/* A list of non-empty strings; "what" names it in messages. */
static int
parse_strv(struct pparse *pp, const struct ynode *n, const char *what,
    struct policy_strv *ret)
{
	int r = 0;

	if (n->type != YNODE_SEQ) {
		ydiag(pp->errors, n, "expected a list of strings for '%s'",
		    what);
		return -EINVAL;
	}
	if (n->n > RULEUTIL_MAX_LIST) {
		ydiag(pp->errors, n, "'%s' has more than %d items", what,
		    RULEUTIL_MAX_LIST);
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		const char *s;

		if (ynode_string(it, pp->errors, &s) < 0) {
			r = -EINVAL;
			continue;
		}
		if (*s == '\0') {
			ydiag(pp->errors, it, "empty string in '%s'", what);
			r = -EINVAL;
			continue;
		}
		if (strv_contains(ret, s))
			continue;
		if (strv_push(ret, s) < 0)
			return -ENOMEM;
	}
	return r;
}

/* A list of fideslang data categories: each must be a known key. */
static int
parse_categories(struct pparse *pp, const struct ynode *n, const char *what,
    struct policy_strv *ret)
{
	int r;

	r = parse_strv(pp, n, what, ret);
	if (r < 0 && r != -EINVAL)
		return r;
	if (n->type != YNODE_SEQ)
		return r;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		const struct taxonomy_entry *e, *near;

		if (it->type != YNODE_SCALAR || ynode_is_null(it) ||
		    it->len == 0)
			continue;
		if (!taxonomy_key_valid(it->value)) {
			ydiag(pp->errors, it,
			    "invalid data category '%s': expected a dotted "
			    "fideslang key such as user.contact.email",
			    it->value);
			r = -EINVAL;
			continue;
		}
		e = taxonomy_lookup(TAXONOMY_CATEGORY, it->value);
		if (!e) {
			near = taxonomy_nearest(TAXONOMY_CATEGORY, it->value);
			if (near)
				ydiag(pp->errors, it,
				    "unknown data category '%s' (not in the "
				    "fideslang taxonomy; nearest known: '%s')",
				    it->value, near->key);
			else
				ydiag(pp->errors, it,
				    "unknown data category '%s' (not in the "
				    "fideslang taxonomy)",
				    it->value);
			r = -EINVAL;
		} else if (e->replaced_by && pp->warnings) {
			ydiag(pp->warnings, it,
			    "data category '%s' is deprecated in fideslang; "
			    "use '%s'",
			    e->key, e->replaced_by);
		}
	}
	return r;
}

/* Globs: any non-empty string; fnmatch(3) accepts every pattern. */
static int
parse_globs(struct pparse *pp, const struct ynode *n, const char *what,
    struct policy_strv *ret)
{
	return parse_strv(pp, n, what, ret);
}

/* A fraction between 0 and 1, written as 0.05 or as 5%. */
static int
parse_fraction(const struct ynode *n, double *ret)
{
	char *end;
	double v;
	bool percent;

	if (n->type != YNODE_SCALAR || n->len == 0 || ynode_is_null(n))
		return -EINVAL;
	percent = n->value[n->len - 1] == '%';
	errno = 0;
	v = strtod(n->value, &end);
	if (errno != 0 || end == n->value ||
	    end != n->value + n->len - (percent ? 1 : 0))
		return -EINVAL;
	if (percent)
		v /= 100.0;
	if (!(v >= 0.0 && v <= 1.0))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_max_missing(struct pparse *pp, const struct ynode *n,
    struct rule_consent *c)
{
	bool integer = n->type == YNODE_SCALAR && n->len > 0;

	for (size_t i = 0; integer && i < n->len; i++)
		if (n->value[i] < '0' || n->value[i] > '9')
			integer = false;
	if (integer) {
		int64_t v;

		if (ynode_int64(n, pp->errors, 0, INT64_MAX, &v) < 0)
			return -EINVAL;
		c->limit = CONSENT_LIMIT_COUNT;
		c->max_count = (uint64_t)v;
		return 0;
	}
	if (parse_fraction(n, &c->max_fraction) == 0) {
		c->limit = CONSENT_LIMIT_FRACTION;
		return 0;
	}
	ydiag(pp->errors, n,
	    "expected max_missing as a row count (0, 5), a fraction between 0 "
	    "and 1 (0.01) or a percentage (1%%)");
	return -EINVAL;
}

/* A rule's options: a mapping, or null/absent for the defaults. */
static int
options_map(struct pparse *pp, const struct ynode *n, const char *kind,
    const char *const *allowed, size_t nallowed)
{
	char where[64];

	if (ynode_is_null(n))
		return 1;
	if (n->type != YNODE_MAP) {
		ydiag(pp->errors, n, "expected a mapping of options for '%s'",
		    kind);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "'%s' options", kind);
	return ruleutil_check_keys(pp->errors, n, allowed, nallowed, where);
}

static int
parse_consent(struct pparse *pp, const struct ynode *n, struct rule_consent *c)
{
	static const char *const keys[] = { "purpose", "max_missing" };
	const struct ynode *v;
	int r, ret;

	c->limit = CONSENT_LIMIT_COUNT;
	c->max_count = 0;
	ret = options_map(pp, n, "consent", keys, ELEMENTSOF(keys));
	if (ret == 1)
		return 0;
	if (n->type != YNODE_MAP)
		return -EINVAL;
	if ((v = ynode_get(n, "purpose"))) {
		r = dup_string(pp, v, &c->purpose);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "max_missing")) &&
	    parse_max_missing(pp, v, c) < 0)
		ret = -EINVAL;
	return ret;
}

static int
parse_fields(struct pparse *pp, const struct ynode *n, struct rule_fields *f)
{
	static const char *const keys[] = { "allow", "deny", "allow_categories",
		"deny_categories" };
	const struct ynode *v;
	int r, ret;

	r = options_map(pp, n, "fields", keys, ELEMENTSOF(keys));
	if (r == 1) {
		ydiag(pp->errors, n,
		    "a fields rule needs at least one of: allow, deny, "
		    "allow_categories, deny_categories");
		return -EINVAL;
	}
	if (n->type != YNODE_MAP)
		return -EINVAL;
	ret = r;
	if ((v = ynode_get(n, "allow"))) {
		r = parse_globs(pp, v, "allow", &f->allow);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "deny"))) {
		r = parse_globs(pp, v, "deny", &f->deny);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "allow_categories"))) {
		r = parse_categories(pp, v, "allow_categories",
		    &f->allow_categories);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "deny_categories"))) {
		r = parse_categories(pp, v, "deny_categories",
		    &f->deny_categories);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if (ret == 0 && !ynode_get(n, "allow") && !ynode_get(n, "deny") &&
	    !ynode_get(n, "allow_categories") &&
	    !ynode_get(n, "deny_categories")) {
		ydiag(pp->errors, n,
		    "a fields rule needs at least one of: allow, deny, "
		    "allow_categories, deny_categories");
		ret = -EINVAL;
	}
	return ret;
}

static int
pii_add_kind(struct rule_pii *p, enum detector_kind k)
{
	enum detector_kind *nk;

	for (size_t i = 0; i < p->nkinds; i++)
		if (p->kinds[i] == k)
			return 0;
	nk = realloc(p->kinds, (p->nkinds + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	p->kinds = nk;
	p->kinds[p->nkinds++] = k;
	return 0;
}

static int
parse_detector_names(struct pparse *pp, const struct ynode *n,
    struct rule_pii *p)
{
	int ret = 0;

	if (n->type != YNODE_SEQ) {
		ydiag(pp->errors, n,
		    "expected a list of detector names for 'detect'");
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		enum detector_kind k;
		const char *s;

		if (ynode_string(it, pp->errors, &s) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (streq(s, "ip_address")) {
			if (pii_add_kind(p, DETECT_IPV4) < 0 ||
			    pii_add_kind(p, DETECT_IPV6) < 0)
				return -ENOMEM;
			continue;
		}
		if (detector_kind_from_name(s, &k) < 0 || k == DETECT_CUSTOM) {
			ydiag(pp->errors, it,
			    "unknown detector '%s'; expected one of: email, "
			    "phone, credit_card, iban, us_ssn, ipv4, ipv6, "
			    "ip_address, date_of_birth (or a custom detector "
			    "under 'custom')",
			    s);
			ret = -EINVAL;
			continue;
		}
		if (pii_add_kind(p, k) < 0)
			return -ENOMEM;
	}
	return ret;
}

static int
pii_default_kinds(struct rule_pii *p)
{
	for (size_t i = 0; detector_default_names[i]; i++) {
		enum detector_kind k;

		if (streq(detector_default_names[i], "ip_address")) {
			if (pii_add_kind(p, DETECT_IPV4) < 0 ||
			    pii_add_kind(p, DETECT_IPV6) < 0)
				return -ENOMEM;
			continue;
		}
		if (detector_kind_from_name(detector_default_names[i], &k) < 0)
			continue;
		if (pii_add_kind(p, k) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int
parse_custom_detector(struct pparse *pp, const struct ynode *n,
    struct rule_pii *p)
{
	static const char *const keys[] = { "name", "pattern", "validate" };
	struct rule_pii_custom c = { .validate = CHECKSUM_NONE };
	const struct ynode *name = NULL, *pattern = NULL, *v;
	enum detector_kind k;
	int ret;

	if (ynode_expect(n, YNODE_MAP, pp->errors, "a custom detector") < 0)
		return -EINVAL;
	ret = ruleutil_check_keys(pp->errors, n, keys, ELEMENTSOF(keys),
	    "a custom detector");
	if (require(pp, n, "name", "a custom detector",
		"name: NAME", &name) < 0)
		ret = -EINVAL;
	if (require(pp, n, "pattern", "a custom detector",
		"pattern: PCRE2 regular expression", &pattern) < 0)
		ret = -EINVAL;
	if ((v = ynode_get(n, "validate"))) {
		const char *s;

		if (ynode_string(v, pp->errors, &s) < 0) {
			ret = -EINVAL;
		} else if (detector_checksum_from_name(s, &c.validate) < 0) {
			ydiag(pp->errors, v,
			    "unknown validation '%s'; expected one of: luhn, "
			    "mod97, iban, verhoeff, none",
			    s);
			ret = -EINVAL;
		}
	}
	if (ret < 0)
		return ret;
	ret = parse_name(pp, name, "detector name", &c.name);
	if (ret < 0)
		return ret;
	if (streq(c.name, "ip_address") ||
	    detector_kind_from_name(c.name, &k) == 0) {
		ydiag(pp->errors, name,
		    "custom detector name '%s' is the name of a built-in "
		    "detector",
		    c.name);
		free(c.name);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->ncustom; i++)
		if (streq(p->custom[i].name, c.name)) {
			ydiag(pp->errors, name,
			    "duplicate custom detector name '%s'", c.name);
			free(c.name);
			return -EINVAL;
		}
	ret = dup_string(pp, pattern, &c.pattern);
	if (ret < 0) {
		free(c.name);
		return ret;
	}
	{
		/* Compiled alone, so an error points at its own pattern. */
		struct detector_custom_spec spec = { c.name, c.pattern,
			c.validate };
		struct detector_set *set = NULL;
		char err[256] = "";
		int r;

		r = detector_set_new(NULL, 0, &spec, 1, &set, err, sizeof(err));
		detector_set_free(set);
		if (r == -ENOMEM) {
			free(c.name);
			free(c.pattern);
			return r;
		}
		if (r < 0) {
			ydiag(pp->errors, pattern,
			    "invalid pattern for custom detector '%s': %s",
			    c.name, *err ? err : strerror(-r));
			free(c.name);
			free(c.pattern);
			return -EINVAL;
		}
	}
	{
		struct rule_pii_custom *nc;

		nc = realloc(p->custom, (p->ncustom + 1) * sizeof(*nc));
		if (!nc) {
			free(c.name);
			free(c.pattern);
			return -ENOMEM;
		}
		p->custom = nc;
		p->custom[p->ncustom++] = c;
	}
	return 0;
}

static int
parse_pii(struct pparse *pp, const struct ynode *n, struct rule_pii *p)
{
	static const char *const keys[] = { "detect", "custom", "max_rate",
		"columns", "exclude_columns" };
	const struct ynode *v;
	int r, ret = 0;
	bool have_detect = false;

	r = options_map(pp, n, "pii", keys, ELEMENTSOF(keys));
	if (r != 1 && n->type != YNODE_MAP)
		return -EINVAL;
	ret = r == 1 ? 0 : r;
	if (r != 1) {
		if ((v = ynode_get(n, "detect"))) {
			have_detect = true;
			r = parse_detector_names(pp, v, p);
			PP_TRY(r);
			ret = r < 0 ? r : ret;
		}
		if ((v = ynode_get(n, "custom"))) {
			if (v->type != YNODE_SEQ) {
				ydiag(pp->errors, v,
				    "expected a list of custom detectors "
				    "({name, pattern, validate})");
				ret = -EINVAL;
			} else {
				for (size_t i = 0; i < v->n; i++) {
					r = parse_custom_detector(pp,
					    v->items[i], p);
					PP_TRY(r);
					ret = r < 0 ? r : ret;
				}
			}
		}
		if ((v = ynode_get(n, "max_rate")) &&
		    parse_fraction(v, &p->max_rate) < 0) {
			ydiag(pp->errors, v,
			    "expected max_rate as a fraction between 0 and 1 "
			    "(0.01) or a percentage (1%%)");
			ret = -EINVAL;
		}
		if ((v = ynode_get(n, "columns"))) {
			r = parse_globs(pp, v, "columns", &p->columns);
			PP_TRY(r);
			ret = r < 0 ? r : ret;
		}
		if ((v = ynode_get(n, "exclude_columns"))) {
			r = parse_globs(pp, v, "exclude_columns",
			    &p->exclude_columns);
			PP_TRY(r);
			ret = r < 0 ? r : ret;
		}
	}
	if (!have_detect) {
		r = pii_default_kinds(p);
		if (r < 0)
			return r;
	}
	if (ret < 0)
		return ret;
	if (p->nkinds + p->ncustom == 0) {
		ydiag(pp->errors, n, "a pii rule needs at least one detector");
		return -EINVAL;
	}
	if (p->nkinds + p->ncustom > POLICY_MAX_DETECTORS) {
		ydiag(pp->errors, n, "a pii rule has at most %d detectors",
		    POLICY_MAX_DETECTORS);
		return -EINVAL;
	}
	{
		_cleanup_free_ struct detector_custom_spec *specs = NULL;
		char err[256] = "";

		if (p->ncustom) {
			specs = calloc(p->ncustom, sizeof(*specs));
			if (!specs)
				return -ENOMEM;
		}
		for (size_t i = 0; i < p->ncustom; i++)
			specs[i] = (struct detector_custom_spec){
				p->custom[i].name, p->custom[i].pattern,
				p->custom[i].validate
			};
		r = detector_set_new(p->kinds, p->nkinds, specs, p->ncustom,
		    &p->set, err, sizeof(err));
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			ydiag(pp->errors, n, "cannot build the detectors: %s",
			    *err ? err : strerror(-r));
			return -EINVAL;
		}
	}
	return 0;
}

static int
parse_quasi(struct pparse *pp, const struct ynode *n, struct policy_strv *ret)
{
	const struct ynode *v = ynode_get(n, "quasi_identifiers");

	if (!v)
		return 0;
	return parse_strv(pp, v, "quasi_identifiers", ret);
}

static int
parse_k_anonymity(struct pparse *pp, const struct ynode *n,
    struct rule_k_anonymity *k)
{
	static const char *const keys[] = { "quasi_identifiers", "k" };
	const struct ynode *v;
	int64_t val;
	int r, ret;

	r = options_map(pp, n, "k_anonymity", keys, ELEMENTSOF(keys));
	if (r == 1) {
		ydiag(pp->errors, n, "a k_anonymity rule needs 'k' (k: N, "
		    "N >= 2)");
		return -EINVAL;
	}
	if (n->type != YNODE_MAP)
		return -EINVAL;
	ret = r;
	r = parse_quasi(pp, n, &k->quasi_identifiers);
	PP_TRY(r);
	ret = r < 0 ? r : ret;
	if (require(pp, n, "k", "a k_anonymity rule", "k: N, N >= 2",
		&v) < 0)
		return -EINVAL;
	if (ynode_int64(v, pp->errors, 2, POLICY_MAX_K, &val) < 0)
		return -EINVAL;
	k->k = (uint64_t)val;
	return ret;
}

static int
parse_l_diversity(struct pparse *pp, const struct ynode *n,
    struct rule_l_diversity *l)
{
	static const char *const keys[] = { "sensitive", "quasi_identifiers",
		"l" };
	const struct ynode *v;
	int64_t val;
	int r, ret;

	r = options_map(pp, n, "l_diversity", keys, ELEMENTSOF(keys));
	if (r == 1) {
		ydiag(pp->errors, n, "an l_diversity rule needs 'sensitive' "
		    "and 'l' (sensitive: FIELD, l: N, N >= 2)");
		return -EINVAL;
	}
	if (n->type != YNODE_MAP)
		return -EINVAL;
	ret = r;
	r = parse_quasi(pp, n, &l->quasi_identifiers);
	PP_TRY(r);
	ret = r < 0 ? r : ret;
	if (require(pp, n, "sensitive", "an l_diversity rule",
		"sensitive: FIELD", &v) < 0)
		ret = -EINVAL;
	else {
		r = dup_string(pp, v, &l->sensitive);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if (require(pp, n, "l", "an l_diversity rule", "l: N, N >= 2",
		&v) < 0)
		return -EINVAL;
	if (ynode_int64(v, pp->errors, 2, POLICY_MAX_L, &val) < 0)
		return -EINVAL;
	l->l = (uint64_t)val;
	return ret;
}

static int
parse_retention(struct pparse *pp, const struct ynode *n,
    struct rule_retention *rt)
{
	static const char *const keys[] = { "field", "max_age" };
	const struct ynode *v;
	int r, ret;

	r = options_map(pp, n, "retention", keys, ELEMENTSOF(keys));
	if (r == 1) {
		ydiag(pp->errors, n, "a retention rule needs 'max_age' "
		    "(max_age: DURATION, such as 730d)");
		return -EINVAL;
	}
	if (n->type != YNODE_MAP)
		return -EINVAL;
	ret = r;
	if ((v = ynode_get(n, "field"))) {
		r = dup_string(pp, v, &rt->field);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if (require(pp, n, "max_age", "a retention rule",
		"max_age: DURATION, such as 730d", &v) < 0)
		return -EINVAL;
	if (ynode_duration(v, pp->errors, &rt->max_age) < 0)
		return -EINVAL;
	if (rt->max_age <= 0) {
		ydiag(pp->errors, v, "max_age must be longer than zero");
		return -EINVAL;
	}
	return ret;
}

static int
parse_dp_budget(struct pparse *pp, const struct ynode *n,
    struct rule_dp_budget *b)
{
	static const char *const keys[] = { "epsilon", "delta", "scope",
		"accountant" };
	const struct ynode *v;
	const char *s;
	int r, ret;

	b->scope = DP_SCOPE_DATASET;
	b->accountant = DP_ACCOUNTANT_RDP;
	r = options_map(pp, n, "dp_budget", keys, ELEMENTSOF(keys));
	if (r == 1) {
		ydiag(pp->errors, n, "a dp_budget rule needs 'epsilon' "
		    "(epsilon: NUMBER > 0)");
		return -EINVAL;
	}
	if (n->type != YNODE_MAP)
		return -EINVAL;
	ret = r;
	if (require(pp, n, "epsilon", "a dp_budget rule",
		"epsilon: NUMBER > 0", &v) < 0)
		ret = -EINVAL;
	else if (ynode_double(v, pp->errors, &b->epsilon) < 0)
		ret = -EINVAL;
	else if (!(b->epsilon > 0 && b->epsilon <= POLICY_MAX_EPSILON)) {
		ydiag(pp->errors, v,
		    "expected epsilon greater than 0 and at most %g",
		    POLICY_MAX_EPSILON);
		ret = -EINVAL;
	}
	if ((v = ynode_get(n, "delta"))) {
		if (ynode_double(v, pp->errors, &b->delta) < 0)
			ret = -EINVAL;
		else if (!(b->delta > 0 && b->delta < 1)) {
			ydiag(pp->errors, v,
			    "expected delta strictly between 0 and 1");
			ret = -EINVAL;
		} else
			b->has_delta = true;
	}
	if ((v = ynode_get(n, "scope"))) {
		if (ynode_string(v, pp->errors, &s) < 0)
			ret = -EINVAL;
		else if (streq(s, "dataset"))
			b->scope = DP_SCOPE_DATASET;
		else if (strncmp(s, "group ", 6) == 0 &&
		    ruleutil_name_valid(s + 6)) {
			b->scope = DP_SCOPE_GROUP;
			b->group = strdup(s + 6);
			if (!b->group)
				return -ENOMEM;
		} else {
			ydiag(pp->errors, v,
			    "expected scope 'dataset' or 'group NAME'");
			ret = -EINVAL;
		}
	}
	if ((v = ynode_get(n, "accountant"))) {
		if (ynode_string(v, pp->errors, &s) < 0)
			ret = -EINVAL;
		else if (streq(s, "rdp"))
			b->accountant = DP_ACCOUNTANT_RDP;
		else if (streq(s, "basic"))
			b->accountant = DP_ACCOUNTANT_BASIC;
		else {
			ydiag(pp->errors, v,
			    "unknown accountant '%s'; expected rdp or basic",
			    s);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int
parse_rule(struct pparse *pp, const struct ynode *n, struct policy *p,
    struct policy_rule *rule)
{
	static const char *const keys[] = { "name", "description", "consent",
		"fields", "pii", "k_anonymity", "l_diversity", "retention",
		"dp_budget" };
	const struct ynode *kind_node = NULL, *v;
	int r, ret;

	rule->line = n->line;
	rule->col = n->col;
	rule->kind = _RULE_KIND_MAX;
	if (n->type != YNODE_MAP) {
		ydiag(pp->errors, n,
		    "expected a rule: a mapping with 'name' and one of: "
		    "consent, fields, pii, k_anonymity, l_diversity, "
		    "retention, dp_budget");
		return -EINVAL;
	}
	ret = ruleutil_check_keys(pp->errors, n, keys, ELEMENTSOF(keys),
	    "a rule");
	for (size_t i = 0; i < n->n; i++)
		for (size_t k = 0; k < _RULE_KIND_MAX; k++) {
			if (!streq(n->keys[i]->value, kind_names[k]))
				continue;
			if (kind_node) {
				ydiag(pp->errors, n->keys[i],
				    "a rule has exactly one kind: '%s' and "
				    "'%s' given",
				    kind_names[rule->kind], kind_names[k]);
				ret = -EINVAL;
				continue;
			}
			kind_node = n->items[i];
			rule->kind = (enum rule_kind)k;
		}
	if ((v = ynode_get(n, "name"))) {
		r = parse_name(pp, v, "rule name", &rule->name);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
		if (streq(rule->name, "read")) {
			/* Results name a dataset's read problems "read". */
			ydiag(pp->errors, v,
			    "rule name 'read' is reserved for the dataset "
			    "read check");
			ret = -EINVAL;
		}
		for (size_t i = 0; rule->name && i < p->nrules; i++)
			if (streq(p->rules[i].name, rule->name)) {
				ydiag(pp->errors, v,
				    "duplicate rule name '%s' (first at line "
				    "%u)",
				    rule->name, p->rules[i].line);
				ret = -EINVAL;
			}
	} else {
		ydiag(pp->errors, n, "a rule needs 'name' (name: NAME)");
		ret = -EINVAL;
	}
	if ((v = ynode_get(n, "description"))) {
		r = dup_string(pp, v, &rule->description);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if (!kind_node) {
		ydiag(pp->errors, n,
		    "a rule needs one of: consent, fields, pii, k_anonymity, "
		    "l_diversity, retention, dp_budget");
		return -EINVAL;
	}
	switch (rule->kind) {
	case RULE_CONSENT:
		r = parse_consent(pp, kind_node, &rule->consent);
		break;
	case RULE_FIELDS:
		r = parse_fields(pp, kind_node, &rule->fields);
		break;
	case RULE_PII:
		r = parse_pii(pp, kind_node, &rule->pii);
		break;
	case RULE_K_ANONYMITY:
		r = parse_k_anonymity(pp, kind_node, &rule->k_anonymity);
		break;
	case RULE_L_DIVERSITY:
		r = parse_l_diversity(pp, kind_node, &rule->l_diversity);
		break;
	case RULE_RETENTION:
		r = parse_retention(pp, kind_node, &rule->retention);
		break;
	case RULE_DP_BUDGET:
		r = parse_dp_budget(pp, kind_node, &rule->dp_budget);
		break;
	default:
		r = -EINVAL;
		break;
	}
	PP_TRY(r);
	return r < 0 ? r : ret;
}

static int
parse_labels(struct pparse *pp, const struct ynode *n, struct policy *p)
{
	int ret = 0;

	if (ynode_expect(n, YNODE_MAP, pp->errors, "'labels'") < 0)
		return -EINVAL;
	p->labels = calloc(n->n ? n->n : 1, sizeof(*p->labels));
	if (!p->labels)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *v = n->items[i];
		struct policy_label *l = &p->labels[p->nlabels];
		int r;

		if (n->keys[i]->len == 0) {
			ydiag(pp->errors, n->keys[i], "empty label name");
			ret = -EINVAL;
			continue;
		}
		l->key = strdup(n->keys[i]->value);
		if (!l->key)
			return -ENOMEM;
		p->nlabels++;
		if (v->type == YNODE_SCALAR) {
			const char *s;

			if (ynode_string(v, pp->errors, &s) < 0) {
				ret = -EINVAL;
				continue;
			}
			if (strv_push(&l->values, s) < 0)
				return -ENOMEM;
			continue;
		}
		if (v->type != YNODE_SEQ) {
			ydiag(pp->errors, v,
			    "expected a label value or a list of values for "
			    "label '%s'",
			    l->key);
			ret = -EINVAL;
			continue;
		}
		r = parse_strv(pp, v, l->key, &l->values);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
		if (r == 0 && l->values.n == 0) {
			ydiag(pp->errors, v,
			    "label '%s' needs at least one value", l->key);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int
parse_match(struct pparse *pp, const struct ynode *n, struct policy *p)
{
	static const char *const keys[] = { "purposes", "labels" };
	const struct ynode *v;
	int r, ret;

	if (ynode_expect(n, YNODE_MAP, pp->errors, "'match'") < 0)
		return -EINVAL;
	ret = ruleutil_check_keys(pp->errors, n, keys, ELEMENTSOF(keys),
	    "'match'");
	if ((v = ynode_get(n, "purposes"))) {
		r = parse_strv(pp, v, "purposes", &p->purposes);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
		for (size_t i = 0; r == 0 && i < v->n; i++) {
			const struct taxonomy_entry *e = taxonomy_lookup(
			    TAXONOMY_USE, v->items[i]->value);

			if (e && e->replaced_by && pp->warnings)
				ydiag(pp->warnings, v->items[i],
				    "purpose '%s' is a deprecated fideslang "
				    "data use; use '%s'",
				    e->key, e->replaced_by);
		}
	}
	if ((v = ynode_get(n, "labels"))) {
		r = parse_labels(pp, v, p);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	return ret;
}

static int
parse_mode(struct pparse *pp, const struct ynode *n, enum policy_mode *ret)
{
	const char *s;

	if (ynode_string(n, pp->errors, &s) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(mode_names); i++)
		if (streq(s, mode_names[i])) {
			*ret = (enum policy_mode)i;
			return 0;
		}
	ydiag(pp->errors, n, "unknown mode '%s'; expected enforce, audit or "
	    "shadow", s);
	return -EINVAL;
}

static int
parse_policy(struct pparse *pp, const struct ydoc *doc, struct policy *p)
{
	static const char *const keys[] = { "name", "version", "description",
		"mode", "match", "rules" };
	const struct ynode *root = doc->root, *v;
	int r, ret;

	if (!root) {
		diag_add(pp->errors, doc->file, 1, 1,
		    "empty policy: expected a mapping with name and rules");
		return -EINVAL;
	}
	if (root->type != YNODE_MAP) {
		ydiag(pp->errors, root,
		    "expected a policy: a mapping with name and rules, got %s",
		    ynode_type_name(root->type));
		return -EINVAL;
	}
	ret = ruleutil_check_keys(pp->errors, root, keys, ELEMENTSOF(keys),
	    "a policy");
	if ((v = ynode_get(root, "name"))) {
		r = parse_name(pp, v, "policy name", &p->name);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	} else {
		ydiag(pp->errors, root, "a policy needs 'name' (name: NAME)");
		ret = -EINVAL;
	}
	if ((v = ynode_get(root, "version"))) {
		r = dup_string(pp, v, &p->version);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(root, "description"))) {
		r = dup_string(pp, v, &p->description);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	p->mode = POLICY_ENFORCE;
	if ((v = ynode_get(root, "mode")) && parse_mode(pp, v, &p->mode) < 0)
		ret = -EINVAL;
	if ((v = ynode_get(root, "match"))) {
		r = parse_match(pp, v, p);
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	v = ynode_get(root, "rules");
	if (!v) {
		ydiag(pp->errors, root,
		    "a policy needs 'rules' (a list of rules)");
		return -EINVAL;
	}
	if (v->type != YNODE_SEQ || v->n == 0) {
		ydiag(pp->errors, v, "expected a non-empty list of rules");
		return -EINVAL;
	}
	if (v->n > POLICY_MAX_RULES) {
		ydiag(pp->errors, v, "a policy has at most %d rules",
		    POLICY_MAX_RULES);
		return -EINVAL;
	}
	p->rules = calloc(v->n, sizeof(*p->rules));
	if (!p->rules)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		r = parse_rule(pp, v->items[i], p, &p->rules[p->nrules]);
		/* Kept even when invalid, so that it is freed. */
		p->nrules++;
		PP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	return ret;
}

int
policy_parse_string(const char *name, const char *data, size_t len,
    struct policy **ret, struct diag *errors, struct diag *warnings)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	_cleanup_policy_ struct policy *p = NULL;
	struct pparse pp = { .errors = errors, .warnings = warnings };
	size_t before = diag_count(errors), first = errors->n;
	int r;

	if (len > POLICY_MAX_SIZE) {
		diag_add(errors, name, 0, 0, "larger than %zu bytes",
		    POLICY_MAX_SIZE);
		return -EINVAL;
	}
	r = ydoc_load_string(name, data, len, &doc, errors);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->file = strdup(doc->file);
	if (!p->file)
		return -ENOMEM;
	sha256(data, len, p->hash);
	hex_encode(p->hash, SHA256_LEN, p->hash_hex);
	r = parse_policy(&pp, doc, p);
	ruleutil_sort_diag(errors, first);
	if (r < 0 && r != -EINVAL)
		return r;
	if (r < 0 || diag_count(errors) != before)
		return -EINVAL;
	*ret = TAKE_PTR(p);
	return 0;
}

int
policy_parse_file(const char *path, struct policy **ret, struct diag *errors,
    struct diag *warnings)
{
	_cleanup_buf_ struct buf b = BUF_INIT(POLICY_MAX_SIZE);
	int r;

	r = ruleutil_read_file(path, POLICY_MAX_SIZE, &b, errors);
	if (r < 0)
		return r;
	return policy_parse_string(path, b.data ? b.data : "", b.len, ret,
	    errors, warnings);
}
