/* Unit tests for dataset manifests (rules/manifest.c), in consentd's format
 * and as fideslang datasets. */
#include "unit.h"

#include "crypto.h"
#include "manifest.h"

#define DATA TEST_DATA_DIR "/manifest/"

static int
parse(const char *yaml, struct manifest **ret, struct diag *d)
{
	return manifest_parse_string("m.yaml", yaml, strlen(yaml), "/srv/data",
	    ret, d, NULL);
}

static void
expect_diag(const struct diag *d, size_t i, unsigned line, unsigned col,
    const char *text)
{
	if (i >= d->n) {
		diag_print(d, stderr);
		fail_msg("expected at least %zu diagnostics, got %zu", i + 1,
		    d->n);
	}
	if (d->items[i].line != line || d->items[i].col != col ||
	    !strstr(d->items[i].message, text)) {
		diag_print(d, stderr);
		fail_msg("diagnostic %zu: expected %u:%u '%s', got %u:%u '%s'",
		    i, line, col, text, d->items[i].line, d->items[i].col,
		    d->items[i].message);
	}
}

static void
expect_one_error(const char *yaml, unsigned line, unsigned col,
    const char *text)
{
	struct diag d = { 0 };
	struct manifest *m = NULL;

	assert_int_equal(parse(yaml, &m, &d), -EINVAL);
	assert_null(m);
	expect_diag(&d, 0, line, col, text);
	if (d.n != 1) {
		diag_print(&d, stderr);
		fail_msg("expected 1 diagnostic, got %zu", d.n);
	}
	diag_clear(&d);
}

static void
t_native(void **state)
{
	struct diag d = { 0 }, w = { 0 };
	_cleanup_manifest_ struct manifest *m = NULL;
	const struct manifest_field *f;

	if (manifest_parse_file(DATA "users.yaml", &m, &d, &w) != 0) {
		diag_print(&d, stderr);
		fail();
	}
	/* A custom category under a known one is accepted, with a warning. */
	assert_int_equal(w.n, 1);
	assert_int_equal(w.items[0].line, 11);
	assert_int_equal(w.items[0].col, 27);
	assert_non_null(strstr(w.items[0].message,
	    "'user.contact.work_email' is not in the fideslang taxonomy; "
	    "taken as a custom category under 'user.contact'"));
	diag_clear(&w);
	assert_false(m->fideslang);
	assert_string_equal(m->dataset, "users-2026q3");
	assert_string_equal(m->description,
	    "Sign-ups from the EU shop, third quarter");
	assert_string_equal(m->path, "data/users.csv.gz");
	assert_string_equal(m->data_path, DATA "data/users.csv.gz");
	assert_int_equal(m->format, READER_CSV);
	assert_string_equal(m->subject_field, "user_id");
	assert_string_equal(manifest_label(m, "region"), "eu");
	assert_string_equal(manifest_label(m, "tier"), "gold");
	assert_null(manifest_label(m, "country"));
	assert_int_equal(m->nfields, 7);

	f = manifest_field(m, "zip");
	assert_non_null(f);
	assert_int_equal(f->role, MANIFEST_ROLE_QUASI_IDENTIFIER);
	assert_int_equal(f->ncategories, 1);
	assert_string_equal(f->categories[0],
	    "user.contact.address.postal_code");
	assert_int_equal(f->line, 9);
	assert_int_equal(f->col, 3);
	/* An extension of a fideslang category is accepted. */
	f = manifest_field(m, "work_email");
	assert_string_equal(f->categories[0], "user.contact.work_email");
	assert_int_equal(f->role, MANIFEST_ROLE_NONE);
	assert_int_equal(manifest_field(m, "plan")->role, MANIFEST_ROLE_SAFE);
	assert_int_equal(manifest_field(m, "signup_at")->role,
	    MANIFEST_ROLE_TIMESTAMP);
	f = manifest_field(m, "notes");
	assert_non_null(f);
	assert_int_equal(f->ncategories, 0);
	assert_null(manifest_field(m, "email"));
	assert_string_equal(manifest_role_name(MANIFEST_ROLE_QUASI_IDENTIFIER),
	    "quasi_identifier");
}

static void
t_fideslang(void **state)
{
	struct diag d = { 0 };
	_cleanup_manifest_ struct manifest *m = NULL;
	const struct manifest_field *f;

	if (manifest_parse_file(DATA "users-fides.yml", &m, &d, NULL) != 0) {
		diag_print(&d, stderr);
		fail();
	}
	assert_true(m->fideslang);
	assert_string_equal(m->dataset, "users_2026q3");
	assert_string_equal(m->path, "users.jsonl");
	assert_int_equal(m->format, READER_JSONL);
	/* The one field with fides_meta.identity is the subject. */
	assert_string_equal(m->subject_field, "user_id");
	assert_string_equal(manifest_label(m, "region"), "eu");
	/* Fields of the named collection only; nested ones dotted. */
	assert_int_equal(m->nfields, 4);
	assert_null(manifest_field(m, "event"));
	assert_null(manifest_field(m, "address"));
	f = manifest_field(m, "address.zip");
	assert_non_null(f);
	assert_int_equal(f->role, MANIFEST_ROLE_QUASI_IDENTIFIER);
	/* Dataset and collection categories apply to every field. */
	assert_int_equal(f->ncategories, 3);
	assert_string_equal(f->categories[0], "user");
	assert_string_equal(f->categories[1], "user.account");
	assert_string_equal(f->categories[2],
	    "user.contact.address.postal_code");
	f = manifest_field(m, "user_id");
	assert_int_equal(f->role, MANIFEST_ROLE_IDENTIFIER);
	assert_string_equal(f->categories[2], "user.unique_id");
	assert_int_equal(manifest_field(m, "signup_at")->role,
	    MANIFEST_ROLE_TIMESTAMP);
	assert_non_null(manifest_field(m, "address.city"));
}

static void
t_hash(void **state)
{
	struct diag d = { 0 };
	_cleanup_manifest_ struct manifest *m = NULL;
	const char *yaml = "dataset: d\npath: x.tsv\n";
	uint8_t h[SHA256_LEN];

	assert_int_equal(parse(yaml, &m, &d), 0);
	sha256(yaml, strlen(yaml), h);
	assert_memory_equal(m->hash, h, SHA256_LEN);
	assert_int_equal(m->format, READER_TSV);
	assert_string_equal(m->data_path, "/srv/data/x.tsv");
	assert_null(m->subject_field);
	assert_int_equal(m->nfields, 0);
}

static void
t_paths(void **state)
{
	expect_one_error("dataset: d\npath: /etc/passwd\n", 2, 7,
	    "absolute path '/etc/passwd'");
	expect_one_error("dataset: d\npath: ../other/x.csv\n", 2, 7,
	    "leaves the manifest's directory");
	expect_one_error("dataset: d\npath: a/../../x.csv\n", 2, 7,
	    "leaves the manifest's directory");
	expect_one_error("dataset: d\npath: data.bin\n", 2, 7,
	    "cannot tell the format of 'data.bin'");
	expect_one_error("dataset: d\n", 1, 1, "a manifest needs 'path'");
	{
		struct diag d = { 0 };
		_cleanup_manifest_ struct manifest *m = NULL;

		/* Names that merely start with dots are fine. */
		assert_int_equal(parse("dataset: d\npath: ..data/.x.csv.gz\n",
				     &m, &d),
		    0);
		assert_string_equal(m->data_path, "/srv/data/..data/.x.csv.gz");
		assert_int_equal(m->format, READER_CSV);
	}
	{
		struct diag d = { 0 };
		_cleanup_manifest_ struct manifest *m = NULL;

		assert_int_equal(parse("dataset: d\npath: data.bin\n"
				       "format: ndjson\n",
				     &m, &d),
		    0);
		assert_int_equal(m->format, READER_JSONL);
	}
}

static void
t_native_errors(void **state)
{
	struct diag d = { 0 };
	struct manifest *m = NULL;

	assert_int_equal(parse("dataset: users\n"
			       "path: users.csv\n"
			       "format: parquet\n"
			       "owner: me\n"
			       "labels: { region: [eu] }\n"
			       "fields:\n"
			       "  email: { category: user.contacts.email }\n"
			       "  zip: { role: quasi }\n"
			       "  age: { category: user.demographic, "
			       "categories: [user] }\n"
			       "  phone: user.contact.phone_number\n"
			       "  name: { category: customer.name }\n"
			       "  x: { colour: red }\n",
			 &m, &d),
	    -EINVAL);
	assert_null(m);
	expect_diag(&d, 0, 3, 9, "unknown format 'parquet'");
	expect_diag(&d, 1, 4, 1, "unknown key 'owner' in a manifest");
	expect_diag(&d, 2, 5, 19, "expected a string value for label 'region'");
	/* An extension needs a known parent: user.contacts is not one. */
	expect_diag(&d, 3, 7, 22, "unknown data category 'user.contacts.email'");
	expect_diag(&d, 4, 8, 16, "unknown role 'quasi'");
	expect_diag(&d, 5, 9, 50,
	    "give either 'category' or 'categories', not both");
	expect_diag(&d, 6, 10, 10, "expected a mapping for field 'phone'");
	expect_diag(&d, 7, 11, 21, "unknown data category 'customer.name'");
	expect_diag(&d, 8, 12, 8, "unknown key 'colour' in a field");
	assert_int_equal(diag_count(&d), 9);
	diag_clear(&d);

	expect_one_error("dataset: 'my data'\npath: x.csv\n", 1, 10,
	    "invalid dataset name 'my data'");
	expect_one_error("path: x.csv\n", 1, 1, "a manifest needs 'dataset'");
	expect_one_error("dataset: d\npath: x.csv\nfields: [a, b]\n", 3, 9,
	    "expected a mapping of field names");
	expect_one_error("[]\n", 1, 1, "expected a manifest");
}

static void
t_fideslang_errors(void **state)
{
	struct diag d = { 0 };
	struct manifest *m = NULL;

	expect_one_error("dataset:\n"
			 "  - fides_key: a\n"
			 "    collections: [ { name: c, fields: [] } ]\n",
	    2, 5, "a fideslang dataset used as a manifest needs a 'consentd'");
	expect_one_error("dataset:\n"
			 "  - fides_key: a\n"
			 "    consentd: { path: a.csv }\n"
			 "    collections: [ { name: c, fields: [] } ]\n"
			 "  - fides_key: b\n"
			 "    consentd: { path: b.csv }\n"
			 "    collections: [ { name: c, fields: [] } ]\n",
	    2, 3, "expected exactly one dataset in the list");
	expect_one_error("dataset:\n"
			 "  - fides_key: a\n"
			 "    consentd: { path: a.csv }\n"
			 "    collections:\n"
			 "      - { name: c1, fields: [] }\n"
			 "      - { name: c2, fields: [] }\n",
	    5, 7, "the dataset has 2 collections");
	expect_one_error("dataset:\n"
			 "  - fides_key: a\n"
			 "    consentd: { path: a.csv, collection: c3 }\n"
			 "    collections:\n"
			 "      - { name: c1, fields: [] }\n",
	    3, 42, "no collection named 'c3'");

	assert_int_equal(parse("dataset:\n"
			       "  - fides_key: a\n"
			       "    consentd: { path: a.csv, subjet: id }\n"
			       "    collections:\n"
			       "      - name: c\n"
			       "        fields:\n"
			       "          - name: id\n"
			       "            data_category: [user.unique_id]\n"
			       "          - name: e\n"
			       "            data_categories: [usr.email]\n"
			       "          - name: f\n"
			       "            consentd: { role: secret }\n"
			       "          - data_categories: [user]\n",
			 &m, &d),
	    -EINVAL);
	assert_null(m);
	expect_diag(&d, 0, 3, 30, "unknown key 'subjet' in 'consentd'");
	expect_diag(&d, 1, 8, 13,
	    "unknown key 'data_category' in a fideslang field");
	expect_diag(&d, 2, 10, 31,
	    "unknown data category 'usr.email'");
	expect_diag(&d, 3, 12, 31, "unknown role 'secret'");
	expect_diag(&d, 4, 13, 13, "a fideslang field needs 'name'");
	assert_int_equal(diag_count(&d), 5);
	diag_clear(&d);
}

static void
t_duplicate_fields(void **state)
{
	expect_one_error("dataset:\n"
			 "  - fides_key: a\n"
			 "    consentd: { path: a.csv }\n"
			 "    collections:\n"
			 "      - name: c\n"
			 "        fields:\n"
			 "          - name: id\n"
			 "          - name: id\n",
	    8, 19, "duplicate field 'id' (first at line 7)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_native),
		cmocka_unit_test(t_fideslang),
		cmocka_unit_test(t_hash),
		cmocka_unit_test(t_paths),
		cmocka_unit_test(t_native_errors),
		cmocka_unit_test(t_fideslang_errors),
		cmocka_unit_test(t_duplicate_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
