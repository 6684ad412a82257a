/* Unit tests for lib/diag: collecting, capping and printing diagnostics. */
#include "unit.h"

#include "diag.h"

/* Prints d into a malloc'd string. */
static char *
print_to_string(const struct diag *d)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	diag_print(d, f);
	assert_int_equal(fclose(f), 0);
	return s;
}

static void
test_collect(void **state)
{
	struct diag d = { 0 };

	assert_int_equal(diag_count(&d), 0);
	diag_add(&d, "policy.yaml", 3, 7, "expected %s, got %d", "a string",
	    5);
	diag_add(&d, NULL, 1, 1, "no file");
	diag_add(&d, "job.yaml", 0, 0, "cannot open");
	assert_int_equal(diag_count(&d), 3);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.dropped, 0);
	assert_string_equal(d.items[0].file, "policy.yaml");
	assert_int_equal(d.items[0].line, 3);
	assert_int_equal(d.items[0].col, 7);
	assert_string_equal(d.items[0].message, "expected a string, got 5");
	/* A NULL file name is reported as "<input>". */
	assert_string_equal(d.items[1].file, "<input>");
	assert_int_equal(d.items[2].line, 0);
	diag_clear(&d);
}

static void
test_file_name_is_copied(void **state)
{
	struct diag d = { 0 };
	char name[] = "a.yaml";

	diag_add(&d, name, 1, 2, "x");
	name[0] = 'b';
	assert_string_equal(d.items[0].file, "a.yaml");
	diag_clear(&d);
}

static void
test_cap(void **state)
{
	struct diag d = { .max = 2 };
	char *s;

	for (int i = 1; i <= 5; i++)
		diag_add(&d, "f", (unsigned)i, 1, "error %d", i);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.dropped, 3);
	assert_int_equal(diag_count(&d), 5);
	assert_string_equal(d.items[1].message, "error 2");
	s = print_to_string(&d);
	assert_string_equal(s, "f:1:1: error 1\n"
			       "f:2:1: error 2\n"
			       "(3 more errors not shown)\n");
	free(s);
	diag_clear(&d);
}

static void
test_default_cap(void **state)
{
	struct diag d = { 0 };

	for (int i = 0; i < 150; i++)
		diag_add(&d, "f", 1, 1, "error %d", i);
	assert_int_equal(d.n, 100);
	assert_int_equal(d.dropped, 50);
	assert_int_equal(diag_count(&d), 150);
	for (size_t i = 0; i < d.n; i++) {
		char expect[32];

		snprintf(expect, sizeof(expect), "error %zu", i);
		assert_string_equal(d.items[i].message, expect);
	}
	diag_clear(&d);
}

static void
test_print_format(void **state)
{
	struct diag d = { 0 };
	char *s;

	diag_add(&d, "policy.yaml", 12, 5, "unknown key '%s'", "rulez");
	diag_add(&d, "policy.yaml", 4, 0, "line only");
	diag_add(&d, "job.yaml", 0, 0, "not a regular file");
	s = print_to_string(&d);
	assert_string_equal(s, "policy.yaml:12:5: unknown key 'rulez'\n"
			       "policy.yaml:4: line only\n"
			       "job.yaml: not a regular file\n");
	free(s);
	diag_clear(&d);

	s = print_to_string(&d);
	assert_string_equal(s, "");
	free(s);
}

static void
test_clear_keeps_max(void **state)
{
	struct diag d = { .max = 1 };

	diag_add(&d, "f", 1, 1, "a");
	diag_add(&d, "f", 2, 1, "b");
	diag_clear(&d);
	assert_int_equal(diag_count(&d), 0);
	assert_int_equal(d.dropped, 0);
	assert_null(d.items);
	assert_int_equal(d.max, 1);
	diag_add(&d, "f", 3, 1, "c");
	diag_add(&d, "f", 4, 1, "d");
	assert_int_equal(d.n, 1);
	assert_int_equal(d.dropped, 1);
	assert_string_equal(d.items[0].message, "c");
	diag_clear(&d);
	/* Clearing an empty collection is harmless. */
	diag_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_file_name_is_copied),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_print_format),
		cmocka_unit_test(test_clear_keeps_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
