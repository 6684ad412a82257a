/* Dataset manifests: consentd's format and fideslang datasets. */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "manifest.h"
#include "ruleutil.h"
#include "taxonomy.h"
#include "yamlnode.h"

struct mparse {
	struct diag *errors;
	struct diag *warnings;
	struct manifest *m;
};

#define MP_TRY(expr)                                                           \
	do {                                                                   \
		int _r_ = (expr);                                              \
		if (_r_ < 0 && _r_ != -EINVAL)                                 \
			return _r_;                                            \
	} while (0)

static const char *const role_names[] = {
	[MANIFEST_ROLE_NONE] = "none",
	[MANIFEST_ROLE_IDENTIFIER] = "identifier",
	[MANIFEST_ROLE_QUASI_IDENTIFIER] = "quasi_identifier",
	[MANIFEST_ROLE_SENSITIVE] = "sensitive",
	[MANIFEST_ROLE_TIMESTAMP] = "timestamp",
	[MANIFEST_ROLE_SAFE] = "safe",
};

const char *
manifest_role_name(enum manifest_role r)
{
	if ((unsigned)r >= ELEMENTSOF(role_names))
		return NULL;
	return role_names[r];
}

static void
field_free_contents(struct manifest_field *f)
{
	free(f->name);
	for (size_t i = 0; i < f->ncategories; i++)
		free(f->categories[i]);
	free(f->categories);
}

void
manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->file);
	free(m->dataset);
	free(m->description);
	free(m->path);
	free(m->data_path);
	free(m->subject_field);
	for (size_t i = 0; i < m->nlabels; i++) {
		free(m->labels[i].key);
		free(m->labels[i].value);
	}
	free(m->labels);
	for (size_t i = 0; i < m->nfields; i++)
		field_free_contents(&m->fields[i]);
	free(m->fields);
	free(m);
}

const struct manifest_field *
manifest_field(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (streq(m->fields[i].name, name))
			return &m->fields[i];
	return NULL;
}

const char *
manifest_label(const struct manifest *m, const char *key)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (streq(m->labels[i].key, key))
			return m->labels[i].value;
	return NULL;
}

static int
dup_string(struct mparse *mp, const struct ynode *n, char **ret)
{
	const char *s;
	char *copy;

	if (ynode_string(n, mp->errors, &s) < 0)
		return -EINVAL;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	free(*ret);
	*ret = copy;
	return 0;
}

/* A data category in a manifest: a fideslang key, or an extension one
 * level below one (user.contact.work_email under user.contact), as
 * fideslang's custom categories need a known parent. */
static int
check_category(struct mparse *mp, const struct ynode *n)
{
	const struct taxonomy_entry *e;
	char parent[256];
	const char *dot;

	if (!taxonomy_key_valid(n->value)) {
		ydiag(mp->errors, n,
		    "invalid data category '%s': expected a dotted fideslang "
		    "key such as user.contact.email",
		    n->value);
		return -EINVAL;
	}
	e = taxonomy_lookup(TAXONOMY_CATEGORY, n->value);
	if (!e && (dot = strrchr(n->value, '.')) &&
	    (size_t)(dot - n->value) < sizeof(parent)) {
		memcpy(parent, n->value, (size_t)(dot - n->value));
		parent[dot - n->value] = '\0';
		e = taxonomy_lookup(TAXONOMY_CATEGORY, parent);
		if (e) {
			if (mp->warnings)
				ydiag(mp->warnings, n,
				    "data category '%s' is not in the "
				    "fideslang taxonomy; taken as a custom "
				    "category under '%s'",
				    n->value, e->key);
			return 0;
		}
	}
	if (!e) {
		ydiag(mp->errors, n,
		    "unknown data category '%s': neither a fideslang category "
		    "nor one level below one (such as user.contact.work_email)",
		    n->value);
		return -EINVAL;
	}
	if (e->replaced_by && mp->warnings)
		ydiag(mp->warnings, n,
		    "data category '%s' is deprecated in fideslang; use '%s'",
		    e->key, e->replaced_by);
	return 0;
}

static int
field_add_category(struct manifest_field *f, const char *key)
{
	char **nc;
	char *copy;

	for (size_t i = 0; i < f->ncategories; i++)
		if (streq(f->categories[i], key))
			return 0;
	copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	nc = realloc(f->categories, (f->ncategories + 1) * sizeof(*nc));
	if (!nc) {
		free(copy);
		return -ENOMEM;
	}
	f->categories = nc;
	f->categories[f->ncategories++] = copy;
	return 0;
}

/* A list of categories (or a single one when single is true). */
static int
parse_categories(struct mparse *mp, const struct ynode *n, bool single,
    struct manifest_field *f)
{
	int ret = 0;

	if (single) {
		const char *s;

		if (ynode_string(n, mp->errors, &s) < 0)
			return -EINVAL;
		if (check_category(mp, n) < 0)
			return -EINVAL;
		return field_add_category(f, s);
	}
	if (n->type != YNODE_SEQ) {
		ydiag(mp->errors, n,
		    "expected a list of data categories, such as "
		    "[user.contact.email]");
		return -EINVAL;
	}
	if (n->n > RULEUTIL_MAX_LIST) {
		ydiag(mp->errors, n, "more than %d data categories",
		    RULEUTIL_MAX_LIST);
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *s;

		if (ynode_string(n->items[i], mp->errors, &s) < 0 ||
		    check_category(mp, n->items[i]) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (field_add_category(f, s) < 0)
			return -ENOMEM;
	}
	return ret;
}

static int
parse_role(struct mparse *mp, const struct ynode *n, enum manifest_role *ret)
{
	const char *s;

	if (ynode_string(n, mp->errors, &s) < 0)
		return -EINVAL;
	for (size_t i = MANIFEST_ROLE_IDENTIFIER; i < ELEMENTSOF(role_names);
	    i++)
		if (streq(s, role_names[i])) {
			*ret = (enum manifest_role)i;
			return 0;
		}
	ydiag(mp->errors, n,
	    "unknown role '%s'; expected identifier, quasi_identifier, "
	    "sensitive, timestamp or safe",
	    s);
	return -EINVAL;
}

/* Adds a field; a repeated name is an error at its second position. */
static int
add_field(struct mparse *mp, const struct ynode *at, const char *name,
    struct manifest_field **ret)
{
	struct manifest *m = mp->m;
	struct manifest_field *nf;
	char *copy;

	for (size_t i = 0; i < m->nfields; i++)
		if (streq(m->fields[i].name, name)) {
			ydiag(mp->errors, at,
			    "duplicate field '%s' (first at line %u)", name,
			    m->fields[i].line);
			return -EINVAL;
		}
	if (m->nfields >= MANIFEST_MAX_FIELDS) {
		ydiag(mp->errors, at, "more than %d fields",
		    MANIFEST_MAX_FIELDS);
		return -EINVAL;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	nf = realloc(m->fields, (m->nfields + 1) * sizeof(*nf));
	if (!nf) {
		free(copy);
		return -ENOMEM;
	}
	m->fields = nf;
	nf = &m->fields[m->nfields++];
	*nf = (struct manifest_field){ .name = copy, .line = at->line,
		.col = at->col };
	*ret = nf;
	return 0;
}

static int
parse_labels(struct mparse *mp, const struct ynode *n)
{
	struct manifest *m = mp->m;
	int ret = 0;

	if (ynode_expect(n, YNODE_MAP, mp->errors, "'labels'") < 0)
		return -EINVAL;
	m->labels = calloc(n->n ? n->n : 1, sizeof(*m->labels));
	if (!m->labels)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct manifest_label *l = &m->labels[m->nlabels];
		const char *s;

		if (n->keys[i]->len == 0) {
			ydiag(mp->errors, n->keys[i], "empty label name");
			ret = -EINVAL;
			continue;
		}
		if (n->items[i]->type != YNODE_SCALAR ||
		    ynode_string(n->items[i], mp->errors, &s) < 0) {
			if (n->items[i]->type != YNODE_SCALAR)
				ydiag(mp->errors, n->items[i],
				    "expected a string value for label '%s'",
				    n->keys[i]->value);
			ret = -EINVAL;
			continue;
		}
		l->key = strdup(n->keys[i]->value);
		l->value = strdup(s);
		m->nlabels++;
		if (!l->key || !l->value)
			return -ENOMEM;
	}
	return ret;
}

static int
parse_path(struct mparse *mp, const struct ynode *n)
{
	const char *s, *p;

	if (ynode_string(n, mp->errors, &s) < 0)
		return -EINVAL;
	if (*s == '\0') {
		ydiag(mp->errors, n, "empty path");
		return -EINVAL;
	}
	if (*s == '/') {
		ydiag(mp->errors, n,
		    "absolute path '%s': expected a path relative to the "
		    "manifest's directory",
		    s);
		return -EINVAL;
	}
	for (p = s; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			ydiag(mp->errors, n,
			    "path '%s' leaves the manifest's directory "
			    "('..' is not allowed)",
			    s);
			return -EINVAL;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return dup_string(mp, n, &mp->m->path);
}

static int
parse_format(struct mparse *mp, const struct ynode *n, bool *set)
{
	const char *s;

	if (ynode_string(n, mp->errors, &s) < 0)
		return -EINVAL;
	if (reader_format_from_string(s, &mp->m->format) < 0) {
		ydiag(mp->errors, n,
		    "unknown format '%s'; expected csv, tsv or jsonl", s);
		return -EINVAL;
	}
	*set = true;
	return 0;
}

/* Fills in the format from the file name when not given, and data_path. */
static int
finish(struct mparse *mp, const struct ynode *at, bool format_set,
    const char *base_dir)
{
	struct manifest *m = mp->m;

	if (!m->path)
		return -EINVAL;
	if (!format_set &&
	    reader_format_from_path(m->path, &m->format) < 0) {
		ydiag(mp->errors, at,
		    "cannot tell the format of '%s' from its name; add "
		    "format: csv, tsv or jsonl",
		    m->path);
		return -EINVAL;
	}
	if (!base_dir || streq(base_dir, "") || streq(base_dir, "."))
		m->data_path = strdup(m->path);
	else if (asprintf(&m->data_path, "%s%s%s", base_dir,
		     base_dir[strlen(base_dir) - 1] == '/' ? "" : "/",
		     m->path) < 0)
		m->data_path = NULL;
	return m->data_path ? 0 : -ENOMEM;
}

/* consentd's own format: a mapping with a 'dataset' name. */
static int
parse_native_field(struct mparse *mp, const struct ynode *key,
    const struct ynode *v)
{
	static const char *const keys[] = { "category", "categories", "role",
		"description" };
	struct manifest_field *f;
	const struct ynode *c;
	int r, ret;

	if (key->len == 0) {
		ydiag(mp->errors, key, "empty field name");
		return -EINVAL;
	}
	r = add_field(mp, key, key->value, &f);
	if (r < 0)
		return r;
	if (ynode_is_null(v))
		return 0;
	if (v->type != YNODE_MAP) {
		ydiag(mp->errors, v,
		    "expected a mapping for field '%s' ({category: KEY, "
		    "role: ROLE})",
		    key->value);
		return -EINVAL;
	}
	ret = ruleutil_check_keys(mp->errors, v, keys, ELEMENTSOF(keys),
	    "a field");
	if (ynode_get(v, "category") && ynode_get(v, "categories")) {
		ydiag(mp->errors, ynode_get(v, "categories"),
		    "give either 'category' or 'categories', not both");
		ret = -EINVAL;
	}
	if ((c = ynode_get(v, "category"))) {
		r = parse_categories(mp, c, true, f);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((c = ynode_get(v, "categories"))) {
		r = parse_categories(mp, c, false, f);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((c = ynode_get(v, "role")) && parse_role(mp, c, &f->role) < 0)
		ret = -EINVAL;
	if ((c = ynode_get(v, "description")) &&
	    (c->type != YNODE_SCALAR || ynode_is_null(c))) {
		ydiag(mp->errors, c, "expected a string");
		ret = -EINVAL;
	}
	return ret;
}

static int
parse_native(struct mparse *mp, const struct ynode *root, const char *base_dir)
{
	static const char *const keys[] = { "dataset", "description", "path",
		"format", "subject_field", "labels", "fields" };
	struct manifest *m = mp->m;
	const struct ynode *v;
	bool format_set = false;
	int r, ret;

	ret = ruleutil_check_keys(mp->errors, root, keys, ELEMENTSOF(keys),
	    "a manifest");
	if ((v = ynode_get(root, "dataset"))) {
		const char *s;

		if (ynode_string(v, mp->errors, &s) < 0)
			ret = -EINVAL;
		else if (!ruleutil_name_valid(s)) {
			ydiag(mp->errors, v,
			    "invalid dataset name '%s': expected up to %d "
			    "letters, digits, '.', '_' or '-', starting with a "
			    "letter or digit",
			    s, RULEUTIL_NAME_MAX);
			ret = -EINVAL;
		} else if (!(m->dataset = strdup(s)))
			return -ENOMEM;
	}
	if ((v = ynode_get(root, "description"))) {
		r = dup_string(mp, v, &m->description);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(root, "path"))) {
		r = parse_path(mp, v);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	} else {
		ydiag(mp->errors, root,
		    "a manifest needs 'path' (the data file, relative to the "
		    "manifest)");
		ret = -EINVAL;
	}
	if ((v = ynode_get(root, "format")) &&
	    parse_format(mp, v, &format_set) < 0)
		ret = -EINVAL;
	if ((v = ynode_get(root, "subject_field"))) {
		r = dup_string(mp, v, &m->subject_field);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(root, "labels"))) {
		r = parse_labels(mp, v);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(root, "fields"))) {
		if (ynode_is_null(v)) {
			/* No declared fields: every column judged by name. */
		} else if (v->type != YNODE_MAP) {
			ydiag(mp->errors, v,
			    "expected a mapping of field names to "
			    "{category, role}");
			ret = -EINVAL;
		} else {
			for (size_t i = 0; i < v->n; i++) {
				r = parse_native_field(mp, v->keys[i],
				    v->items[i]);
				MP_TRY(r);
				ret = r < 0 ? r : ret;
			}
		}
	}
	if (ret < 0)
		return ret;
	return finish(mp, ynode_get(root, "path"), format_set, base_dir);
}

/* fideslang keys accepted and not used here (fideslang ignores others
 * too, but a misspelt key would silently drop a category). */
static const char *const fides_dataset_keys[] = { "fides_key",
	"organization_fides_key", "tags", "name", "description", "meta",
	"data_categories", "fides_meta", "fidesops_meta", "collections",
	"retention", "data_qualifier", "data_qualifiers", "joint_controller",
	"third_country_transfers", "consentd" };
static const char *const fides_collection_keys[] = { "name", "description",
	"data_categories", "fields", "fides_meta", "fidesops_meta",
	"retention", "data_qualifier", "data_qualifiers" };
static const char *const fides_field_keys[] = { "name", "description",
	"data_categories", "fields", "fides_meta", "fidesops_meta",
	"retention", "data_qualifier", "data_qualifiers", "consentd" };

/* Categories inherited by every field (dataset and collection level). */
struct fides_inherit {
	const struct ynode *lists[2];
};

struct fides_state {
	const struct ynode *identity; /* first field with fides_meta.identity */
	unsigned nidentities;
};

static int parse_fides_fields(struct mparse *mp, const struct ynode *list,
    const char *prefix, const struct fides_inherit *inh,
    struct fides_state *st, unsigned depth);

static int
parse_fides_field(struct mparse *mp, const struct ynode *n, const char *prefix,
    const struct fides_inherit *inh, struct fides_state *st, unsigned depth)
{
	_cleanup_free_ char *full = NULL;
	struct manifest_field *f;
	const struct ynode *name, *v;
	const char *s;
	int r, ret;

	if (ynode_expect(n, YNODE_MAP, mp->errors, "a fideslang field") < 0)
		return -EINVAL;
	ret = ruleutil_check_keys(mp->errors, n, fides_field_keys,
	    ELEMENTSOF(fides_field_keys), "a fideslang field");
	name = ynode_get(n, "name");
	if (!name) {
		ydiag(mp->errors, n, "a fideslang field needs 'name'");
		return -EINVAL;
	}
	if (ynode_string(name, mp->errors, &s) < 0)
		return -EINVAL;
	if (*s == '\0') {
		ydiag(mp->errors, name, "empty field name");
		return -EINVAL;
	}
	if (prefix)
		r = asprintf(&full, "%s.%s", prefix, s);
	else
		r = (full = strdup(s)) ? 0 : -1;
	if (r < 0)
		return -ENOMEM;
	if ((v = ynode_get(n, "fields")) && !ynode_is_null(v)) {
		/* An object: its leaves are the columns (a.b in JSONL). */
		r = parse_fides_fields(mp, v, full, inh, st, depth + 1);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
		if (ynode_get(n, "data_categories") ||
		    ynode_get(n, "consentd")) {
			r = add_field(mp, name, full, &f);
			MP_TRY(r);
			if (r < 0)
				return r;
		} else
			return ret;
	} else {
		r = add_field(mp, name, full, &f);
		if (r < 0)
			return r;
	}
	/* Inherited lists were checked once, in parse_fideslang(). */
	for (size_t i = 0; i < ELEMENTSOF(inh->lists); i++)
		for (size_t j = 0; inh->lists[i] && j < inh->lists[i]->n; j++)
			if (field_add_category(f,
				inh->lists[i]->items[j]->value) < 0)
				return -ENOMEM;
	if ((v = ynode_get(n, "data_categories")) && !ynode_is_null(v)) {
		r = parse_categories(mp, v, false, f);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "fides_meta")) && v->type == YNODE_MAP &&
	    ynode_get(v, "identity")) {
		if (st->nidentities++ == 0)
			st->identity = name;
	}
	if ((v = ynode_get(n, "consentd"))) {
		static const char *const keys[] = { "role" };
		const struct ynode *role;

		if (ynode_expect(v, YNODE_MAP, mp->errors, "'consentd'") < 0)
			return -EINVAL;
		if (ruleutil_check_keys(mp->errors, v, keys, ELEMENTSOF(keys),
			"a field's 'consentd'") < 0)
			ret = -EINVAL;
		if ((role = ynode_get(v, "role")) &&
		    parse_role(mp, role, &f->role) < 0)
			ret = -EINVAL;
	}
	return ret;
}

static int
parse_fides_fields(struct mparse *mp, const struct ynode *list,
    const char *prefix, const struct fides_inherit *inh,
    struct fides_state *st, unsigned depth)
{
	int r, ret = 0;

	if (depth > 16) {
		ydiag(mp->errors, list, "fields nested deeper than 16 levels");
		return -EINVAL;
	}
	if (list->type != YNODE_SEQ) {
		ydiag(mp->errors, list,
		    "expected a list of fields ([{name: NAME, "
		    "data_categories: [...]}])");
		return -EINVAL;
	}
	for (size_t i = 0; i < list->n; i++) {
		r = parse_fides_field(mp, list->items[i], prefix, inh, st,
		    depth);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	return ret;
}

static int
parse_fides_consentd(struct mparse *mp, const struct ynode *n,
    bool *format_set, const struct ynode **ret_collection)
{
	static const char *const keys[] = { "path", "format", "subject_field",
		"labels", "collection" };
	struct manifest *m = mp->m;
	const struct ynode *v;
	int r, ret;

	if (ynode_expect(n, YNODE_MAP, mp->errors, "'consentd'") < 0)
		return -EINVAL;
	ret = ruleutil_check_keys(mp->errors, n, keys, ELEMENTSOF(keys),
	    "'consentd'");
	if ((v = ynode_get(n, "path"))) {
		r = parse_path(mp, v);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	} else {
		ydiag(mp->errors, n,
		    "'consentd' needs 'path' (the data file, relative to the "
		    "manifest)");
		ret = -EINVAL;
	}
	if ((v = ynode_get(n, "format")) &&
	    parse_format(mp, v, format_set) < 0)
		ret = -EINVAL;
	if ((v = ynode_get(n, "subject_field"))) {
		r = dup_string(mp, v, &m->subject_field);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "labels"))) {
		r = parse_labels(mp, v);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((v = ynode_get(n, "collection"))) {
		const char *s;

		if (ynode_string(v, mp->errors, &s) < 0)
			ret = -EINVAL;
		else
			*ret_collection = v;
	}
	return ret;
}

/* A fideslang dataset file: dataset: [ {fides_key, collections, ...} ]. */
static int
parse_fideslang(struct mparse *mp, const struct ynode *root,
    const char *base_dir)
{
	struct manifest *m = mp->m;
	const struct ynode *list = ynode_get(root, "dataset"), *ds, *v;
	const struct ynode *colls, *coll = NULL, *want = NULL, *cons;
	struct fides_inherit inh = { { NULL, NULL } };
	struct fides_state st = { 0 };
	bool format_set = false;
	int r, ret;

	m->fideslang = true;
	{
		static const char *const keys[] = { "dataset" };

		ret = ruleutil_check_keys(mp->errors, root, keys,
		    ELEMENTSOF(keys), "a fideslang dataset file");
	}
	if (list->n != 1) {
		ydiag(mp->errors, list,
		    "expected exactly one dataset in the list (a manifest "
		    "describes one data file), got %zu",
		    list->n);
		return -EINVAL;
	}
	ds = list->items[0];
	if (ynode_expect(ds, YNODE_MAP, mp->errors, "a fideslang dataset") < 0)
		return -EINVAL;
	r = ruleutil_check_keys(mp->errors, ds, fides_dataset_keys,
	    ELEMENTSOF(fides_dataset_keys), "a fideslang dataset");
	ret = r < 0 ? r : ret;
	if (!(v = ynode_get(ds, "fides_key"))) {
		ydiag(mp->errors, ds, "a fideslang dataset needs 'fides_key'");
		ret = -EINVAL;
	} else {
		const char *s;

		if (ynode_string(v, mp->errors, &s) < 0)
			ret = -EINVAL;
		else if (!ruleutil_name_valid(s)) {
			ydiag(mp->errors, v,
			    "invalid fides_key '%s': expected letters, "
			    "digits, '.', '_' or '-'",
			    s);
			ret = -EINVAL;
		} else if (!(m->dataset = strdup(s)))
			return -ENOMEM;
	}
	if ((v = ynode_get(ds, "description")) && !ynode_is_null(v)) {
		r = dup_string(mp, v, &m->description);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	}
	if ((cons = ynode_get(ds, "consentd"))) {
		r = parse_fides_consentd(mp, cons, &format_set, &want);
		MP_TRY(r);
		ret = r < 0 ? r : ret;
	} else {
		ydiag(mp->errors, ds,
		    "a fideslang dataset used as a manifest needs a "
		    "'consentd' key ({path: FILE, format, subject_field, "
		    "labels, collection})");
		ret = -EINVAL;
	}
	if ((v = ynode_get(ds, "data_categories")) && !ynode_is_null(v))
		inh.lists[0] = v;
	colls = ynode_get(ds, "collections");
	if (!colls) {
		ydiag(mp->errors, ds,
		    "a fideslang dataset needs 'collections'");
		return -EINVAL;
	}
	if (colls->type != YNODE_SEQ || colls->n == 0) {
		ydiag(mp->errors, colls, "expected a non-empty list of "
		    "collections");
		return -EINVAL;
	}
	for (size_t i = 0; i < colls->n; i++) {
		const struct ynode *c = colls->items[i], *name;

		if (ynode_expect(c, YNODE_MAP, mp->errors,
			"a fideslang collection") < 0) {
			ret = -EINVAL;
			continue;
		}
		if (ruleutil_check_keys(mp->errors, c, fides_collection_keys,
			ELEMENTSOF(fides_collection_keys),
			"a fideslang collection") < 0)
			ret = -EINVAL;
		name = ynode_get(c, "name");
		if (!name || name->type != YNODE_SCALAR) {
			ydiag(mp->errors, c,
			    "a fideslang collection needs 'name'");
			ret = -EINVAL;
			continue;
		}
		if (want ? streq(name->value, want->value) : colls->n == 1)
			coll = c;
	}
	if (!coll) {
		if (want)
			ydiag(mp->errors, want,
			    "no collection named '%s' in this dataset",
			    want->value);
		else
			ydiag(mp->errors, colls,
			    "the dataset has %zu collections: name the one "
			    "describing the data file with consentd.collection",
			    colls->n);
		return -EINVAL;
	}
	if ((v = ynode_get(coll, "data_categories")) && !ynode_is_null(v))
		inh.lists[1] = v;
	/* Inherited lists are checked once here, not once per field. */
	for (size_t i = 0; i < ELEMENTSOF(inh.lists); i++)
		if (inh.lists[i]) {
			struct manifest_field scratch = { 0 };

			r = parse_categories(mp, inh.lists[i], false, &scratch);
			field_free_contents(&scratch);
			MP_TRY(r);
			if (r < 0) {
				ret = r;
				inh.lists[i] = NULL;
			}
		}
	if (!(v = ynode_get(coll, "fields"))) {
		ydiag(mp->errors, coll,
		    "a fideslang collection needs 'fields'");
		return -EINVAL;
	}
	r = parse_fides_fields(mp, v, NULL, &inh, &st, 0);
	MP_TRY(r);
	ret = r < 0 ? r : ret;
	if (!m->subject_field && st.nidentities == 1) {
		/* The identity that DSRs query by is the data subject. */
		const struct manifest_field *f = NULL;

		for (size_t i = 0; i < m->nfields && !f; i++)
			if (m->fields[i].line == st.identity->line &&
			    m->fields[i].col == st.identity->col)
				f = &m->fields[i];
		if (f && !(m->subject_field = strdup(f->name)))
			return -ENOMEM;
	}
	if (ret < 0)
		return ret;
	return finish(mp, ynode_get(cons, "path"), format_set, base_dir);
}

int
manifest_parse_string(const char *name, const char *data, size_t len,
    const char *base_dir, struct manifest **ret, struct diag *errors,
    struct diag *warnings)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	_cleanup_manifest_ struct manifest *m = NULL;
	struct mparse mp = { .errors = errors, .warnings = warnings };
	size_t before = diag_count(errors), first = errors->n;
	const struct ynode *root, *ds;
	int r;

	if (len > MANIFEST_MAX_SIZE) {
		diag_add(errors, name, 0, 0, "larger than %zu bytes",
		    MANIFEST_MAX_SIZE);
		return -EINVAL;
	}
	r = ydoc_load_string(name, data, len, &doc, errors);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->file = strdup(doc->file);
	if (!m->file)
		return -ENOMEM;
	sha256(data, len, m->hash);
	hex_encode(m->hash, SHA256_LEN, m->hash_hex);
	mp.m = m;
	root = doc->root;
	if (!root) {
		diag_add(errors, doc->file, 1, 1,
		    "empty manifest: expected a mapping with dataset and path");
		return -EINVAL;
	}
	if (root->type != YNODE_MAP) {
		ydiag(errors, root,
		    "expected a manifest: a mapping with dataset and path, "
		    "got %s",
		    ynode_type_name(root->type));
		return -EINVAL;
	}
	ds = ynode_get(root, "dataset");
	if (!ds) {
		ydiag(errors, root,
		    "a manifest needs 'dataset' (a name, or a fideslang "
		    "list of datasets)");
		/* Report the rest of the file too. */
		r = parse_native(&mp, root, base_dir);
		ruleutil_sort_diag(errors, first);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (ds->type == YNODE_SEQ)
		r = parse_fideslang(&mp, root, base_dir);
	else
		r = parse_native(&mp, root, base_dir);
	ruleutil_sort_diag(errors, first);
	if (r < 0 && r != -EINVAL)
		return r;
	if (r < 0 || diag_count(errors) != before)
		return -EINVAL;
	*ret = TAKE_PTR(m);
	return 0;
}

int
manifest_parse_file(const char *path, struct manifest **ret,
    struct diag *errors, struct diag *warnings)
{
	_cleanup_buf_ struct buf b = BUF_INIT(MANIFEST_MAX_SIZE);
	_cleanup_free_ char *dir = NULL;
	const char *slash;
	int r;

	r = ruleutil_read_file(path, MANIFEST_MAX_SIZE, &b, errors);
	if (r < 0)
		return r;
	slash = strrchr(path, '/');
	if (slash == path)
		dir = strdup("/");
	else if (slash)
		dir = strndup(path, (size_t)(slash - path));
	else
		dir = strdup(".");
	if (!dir)
		return -ENOMEM;
	return manifest_parse_string(path, b.data ? b.data : "", b.len, dir,
	    ret, errors, warnings);
}
