/* fields rules: every column, declared in the manifest or found in the data,
 * judged by name (globs) and by declared fideslang category. */
#include "config.h"

#include <fnmatch.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "taxonomy.h"

#define FIELDS_MAX_LISTED 100
#define FIELDS_REASON_NAMES 5

struct fields_verdict {
	/* "denied_name", "denied_category" or "not_allowed" */
	const char *why;
	const char *matched;  /* the glob or category key of the rule */
	const char *category; /* the field's category that matched */
};

static const char *
first_glob(const struct policy_strv *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (fnmatch(globs->v[i], name, 0) == 0)
			return globs->v[i];
	return NULL;
}

/* Returns true when the column violates the rule, with the verdict. */
static bool
judge(const struct rule_fields *rf, const char *name,
    const struct manifest_field *f, struct fields_verdict *v)
{
	bool allow_list = rf->allow.n > 0 || rf->allow_categories.n > 0;
	const char *g;

	if ((g = first_glob(&rf->deny, name))) {
		*v = (struct fields_verdict){ "denied_name", g, NULL };
		return true;
	}
	for (size_t i = 0; f && i < f->ncategories; i++)
		for (size_t j = 0; j < rf->deny_categories.n; j++)
			if (taxonomy_covers(rf->deny_categories.v[j],
				f->categories[i])) {
				*v = (struct fields_verdict){ "denied_category",
					rf->deny_categories.v[j],
					f->categories[i] };
				return true;
			}
	if (!allow_list)
		return false;
	if (first_glob(&rf->allow, name))
		return false;
	/* Allowed by category only when every declared category is; an
	 * undeclared column has none and is judged by its name alone. */
	if (f && f->ncategories > 0 && rf->allow_categories.n > 0) {
		bool all = true;

		for (size_t i = 0; i < f->ncategories && all; i++)
			if (!policy_categories_cover(&rf->allow_categories,
				f->categories[i])) {
				all = false;
				*v = (struct fields_verdict){ "not_allowed",
					NULL, f->categories[i] };
			}
		if (all)
			return false;
		return true;
	}
	*v = (struct fields_verdict){ "not_allowed", NULL, NULL };
	return true;
}

static int
fields_add(struct check *c, json_t *list, struct buf *names, size_t *nbad,
    const char *name, const struct manifest_field *f, bool in_data)
{
	struct fields_verdict v = { 0 };
	_cleanup_free_ char *shown = NULL;
	json_t *o;

	if (!judge(&c->rule->fields, name, f, &v))
		return 0;
	shown = check_printable(name);
	if (!shown)
		return -ENOMEM;
	if (*nbad < FIELDS_REASON_NAMES &&
	    buf_printf(names, "%s'%s'", *nbad ? ", " : "", shown) < 0)
		return -ENOMEM;
	if ((*nbad)++ >= FIELDS_MAX_LISTED)
		return 0;
	o = json_pack("{s:s,s:s,s:b,s:b}", "column", shown, "reason", v.why,
	    "declared", f != NULL, "in_data", in_data);
	if (!o)
		return -ENOMEM;
	if ((v.matched && json_object_set_new(o, "rule_entry",
			      json_string(v.matched)) < 0) ||
	    (v.category && json_object_set_new(o, "category",
			       json_string(v.category)) < 0)) {
		json_decref(o);
		return -ENOMEM;
	}
	if (json_array_append_new(list, o) < 0)
		return -ENOMEM;
	return 0;
}

static int
fields_end(struct check *c, const struct reader *r, bool complete)
{
	const struct manifest *m = c->manifest;
	_cleanup_buf_ struct buf names = BUF_INIT(4096);
	json_t *list;
	size_t nbad = 0, checked = 0, undeclared = 0;
	int k;

	if (!complete)
		return check_set_error(c,
		    "the data could not be read to its end, so its columns "
		    "are not known");
	list = json_array();
	if (check_evidence_set(c, "violations", list) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < m->nfields; i++) {
		size_t idx;
		bool in_data = reader_column_index(r, m->fields[i].name,
		    &idx) == 0;

		checked++;
		k = fields_add(c, list, &names, &nbad, m->fields[i].name,
		    &m->fields[i], in_data);
		if (k < 0)
			return k;
	}
	for (size_t i = 0; i < reader_ncolumns(r); i++) {
		const char *name = reader_column_name(r, i);

		if (!name || manifest_field(m, name))
			continue;
		checked++;
		undeclared++;
		k = fields_add(c, list, &names, &nbad, name, NULL, true);
		if (k < 0)
			return k;
	}
	if ((k = check_evidence_uint(c, "columns_checked", checked)) < 0 ||
	    (k = check_evidence_uint(c, "undeclared_columns", undeclared)) <
		0 ||
	    (k = check_evidence_uint(c, "violations_total", nbad)) < 0)
		return k;
	if (nbad == 0)
		return check_set(c, EVAL_PASS, "%zu column%s checked, none "
		    "denied", checked, checked == 1 ? "" : "s");
	return check_set(c, EVAL_FAIL, "%zu of %zu columns not allowed: %s%s",
	    nbad, checked, names.data ? names.data : "",
	    nbad > FIELDS_REASON_NAMES ? ", ..." : "");
}

const struct check_ops check_fields_ops = {
	.end = fields_end,
};
