/* Unit tests for lib/err: the table of user-visible error codes. */
#include "unit.h"

#include "err.h"
#include "macro.h"

/* The published names, by code. Codes are only appended: this list only
 * ever grows at the end, and an existing line never changes. */
static const char *const published[] = {
	[ERR_OK] = "ok",
	[ERR_INTERNAL] = "internal",
	[ERR_BAD_REQUEST] = "bad_request",
	[ERR_NOT_FOUND] = "not_found",
	[ERR_METHOD_NOT_ALLOWED] = "method_not_allowed",
	[ERR_PAYLOAD_TOO_LARGE] = "payload_too_large",
	[ERR_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type",
	[ERR_INVALID_JSON] = "invalid_json",
	[ERR_INVALID_ARGUMENT] = "invalid_argument",
	[ERR_UNAVAILABLE] = "unavailable",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_CONFLICT] = "conflict",
	[ERR_STORAGE] = "storage",
	[ERR_VERIFICATION_FAILED] = "verification_failed",
	[ERR_ENTRY_TOO_LARGE] = "entry_too_large",
	[ERR_OUT_OF_RANGE] = "out_of_range",
	[ERR_STORAGE_FULL] = "storage_full",
	[ERR_READ_ONLY] = "read_only",
	[ERR_NOT_IMPLEMENTED] = "not_implemented",
};

static void
test_codes_are_stable(void **state)
{
	assert_int_equal(ELEMENTSOF(published), _ERR_MAX);
	assert_int_equal(ERR_OK, 0);
	assert_int_equal(ERR_INTERNAL, 1);
	assert_int_equal(ERR_READ_ONLY, 17);
	assert_int_equal(ERR_NOT_IMPLEMENTED, 18);
	for (int c = 0; c < _ERR_MAX; c++) {
		const struct err_info *info = err_info((enum err_code)c);

		assert_int_equal(info->code, c);
		assert_string_equal(info->name, published[c]);
	}
}

static void
test_table_entries(void **state)
{
	for (int c = 0; c < _ERR_MAX; c++) {
		const struct err_info *info = err_info((enum err_code)c);

		assert_non_null(info->name);
		assert_true(strlen(info->name) > 0);
		/* Names are API: lowercase words joined by underscores. */
		assert_int_equal(strspn(info->name,
		    "abcdefghijklmnopqrstuvwxyz_"), strlen(info->name));
		assert_non_null(info->message);
		assert_true(strlen(info->message) > 0);
		if (c == ERR_OK) {
			assert_int_equal(info->http_status, 200);
			assert_int_equal(info->exit_status, EXIT_OK);
		} else {
			assert_in_range(info->http_status, 400, 599);
			assert_int_not_equal(info->exit_status, EXIT_OK);
		}
		assert_in_range(info->exit_status, EXIT_OK, EXIT_UNAVAILABLE);
		/* Server-side failures make consentctl say "unavailable";
		 * 501 is the one 5xx that answers the client's own mistake
		 * (a method no endpoint has). */
		if (c == ERR_NOT_IMPLEMENTED)
			assert_int_equal(info->exit_status, EXIT_USAGE);
		else if (info->http_status >= 500)
			assert_int_equal(info->exit_status, EXIT_UNAVAILABLE);
	}
}

static void
test_names_unique(void **state)
{
	for (int a = 0; a < _ERR_MAX; a++)
		for (int b = a + 1; b < _ERR_MAX; b++)
			assert_string_not_equal(
			    err_info((enum err_code)a)->name,
			    err_info((enum err_code)b)->name);
}

static void
test_by_name(void **state)
{
	for (int c = 0; c < _ERR_MAX; c++)
		assert_ptr_equal(err_info_by_name(published[c]),
		    err_info((enum err_code)c));
	assert_null(err_info_by_name("no_such_code"));
	assert_null(err_info_by_name("NOT_FOUND"));
	assert_null(err_info_by_name(""));
	assert_null(err_info_by_name(NULL));
}

static void
test_unknown_is_internal(void **state)
{
	const struct err_info *internal = err_info(ERR_INTERNAL);

	assert_ptr_equal(err_info(_ERR_MAX), internal);
	assert_ptr_equal(err_info((enum err_code)1000), internal);
	assert_ptr_equal(err_info((enum err_code)-1), internal);
	assert_int_equal(internal->http_status, 500);
}

static void
test_from_errno(void **state)
{
	static const struct {
		int error;
		enum err_code code;
	} map[] = {
		{ 0, ERR_OK },
		{ EINVAL, ERR_INVALID_ARGUMENT },
		{ EBADMSG, ERR_INVALID_ARGUMENT },
		{ ENOENT, ERR_NOT_FOUND },
		{ E2BIG, ERR_PAYLOAD_TOO_LARGE },
		{ EMSGSIZE, ERR_PAYLOAD_TOO_LARGE },
		{ ERANGE, ERR_OUT_OF_RANGE },
		{ EDOM, ERR_OUT_OF_RANGE },
		{ EACCES, ERR_FORBIDDEN },
		{ EPERM, ERR_FORBIDDEN },
		{ EEXIST, ERR_CONFLICT },
		{ ENOSPC, ERR_STORAGE_FULL },
		{ EDQUOT, ERR_STORAGE_FULL },
		{ EFBIG, ERR_STORAGE_FULL },
		{ EROFS, ERR_READ_ONLY },
		{ EIO, ERR_STORAGE },
		{ EAGAIN, ERR_UNAVAILABLE },
		{ EBUSY, ERR_UNAVAILABLE },
		{ ESHUTDOWN, ERR_UNAVAILABLE },
		{ ENOMEM, ERR_INTERNAL },
		{ EBADF, ERR_INTERNAL },
		{ 100000, ERR_INTERNAL },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++) {
		/* Negative errnos as our functions return them, or positive. */
		assert_int_equal(err_from_errno(-map[i].error), map[i].code);
		assert_int_equal(err_from_errno(map[i].error), map[i].code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_are_stable),
		cmocka_unit_test(test_table_entries),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_unknown_is_internal),
		cmocka_unit_test(test_from_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
