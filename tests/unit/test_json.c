/* Unit tests for lib/json: strict parsing, typed members, the error body. */
#include "unit.h"

#include "buf.h"
#include "json.h"

static json_t *
parse(const char *text, char *err, size_t errlen)
{
	return json_parse(text, strlen(text), err, errlen);
}

static void
assert_parse_error(const char *text, const char *expect)
{
	char err[256] = "";
	json_t *v = parse(text, err, sizeof(err));

	if (v) {
		json_decref(v);
		fail_msg("'%s' was accepted", text);
	}
	assert_string_equal(err, expect);
}

static char *
nested(unsigned depth, const char *open, const char *close)
{
	struct buf b = BUF_INIT(0);

	for (unsigned i = 0; i < depth; i++)
		assert_int_equal(buf_append_str(&b, open), 0);
	assert_int_equal(buf_append_str(&b, "1"), 0);
	for (unsigned i = 0; i < depth; i++)
		assert_int_equal(buf_append_str(&b, close), 0);
	return buf_steal(&b);
}

static void
test_parse_values(void **state)
{
	char err[128];
	json_t *v;

	v = parse("{\"a\": [1, 2.5, \"x\", null, true]}", err, sizeof(err));
	assert_non_null(v);
	assert_true(json_is_object(v));
	assert_int_equal(json_array_size(json_object_get(v, "a")), 5);
	json_decref(v);
	/* Any value at the top level, not only objects and arrays. */
	v = parse("42", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
	v = parse("\"s\"", err, sizeof(err));
	assert_string_equal(json_string_value(v), "s");
	json_decref(v);
	/* Only the counted bytes are parsed. */
	v = json_parse("[1]garbage", 3, err, sizeof(err));
	assert_non_null(v);
	json_decref(v);
}

static void
test_parse_depth(void **state)
{
	char err[128];
	char *text;
	json_t *v;

	text = nested(64, "[", "]");
	v = parse(text, err, sizeof(err));
	assert_non_null(v);
	json_decref(v);
	free(text);
	text = nested(63, "{\"k\":", "}");
	v = parse(text, err, sizeof(err));
	assert_non_null(v);
	json_decref(v);
	free(text);

	text = nested(65, "[", "]");
	assert_parse_error(text, "nesting deeper than 64 levels");
	free(text);
	text = nested(65, "{\"k\":", "}");
	assert_parse_error(text, "nesting deeper than 64 levels");
	free(text);
	text = nested(100000, "[", "]");
	assert_parse_error(text, "nesting deeper than 64 levels");
	free(text);
}

static void
test_parse_depth_ignores_strings(void **state)
{
	struct buf b = BUF_INIT(0);
	char err[128];
	json_t *v;

	/* Brackets inside strings, after an escaped quote, do not nest. */
	assert_int_equal(buf_append_str(&b, "[\"\\\"\\\\"), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_append_str(&b, "[{"), 0);
	assert_int_equal(buf_append_str(&b, "\"]"), 0);
	v = json_parse(b.data, b.len, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_string_length(json_array_get(v, 0)), 402);
	json_decref(v);
	buf_free(&b);
}

static void
test_parse_errors(void **state)
{
	/* Each message carries line:column. */
	assert_parse_error("{\"a\":1,\"a\":2}",
	    "1:10: duplicate object key near '\"a\"'");
	assert_parse_error("{\n  \"a\": tru\n}",
	    "2:10: invalid token near 'tru'");
	assert_parse_error("[1,\n2,\n]", "3:1: unexpected token near ']'");
	assert_parse_error("{} x", "1:4: end of file expected near 'x'");
	assert_parse_error("", "1:0: unexpected token near end of file");
	assert_parse_error("\"a\\u0000b\"",
	    "1:10: \\u0000 is not allowed without JSON_ALLOW_NUL "
	    "near '\"a\\u0000b\"'");
}

static void
test_parse_error_truncated(void **state)
{
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_null(parse("{", err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "1:1: ", 5);
}

static void
test_to_string(void **state)
{
	json_t *v = json_pack("{s:[i,i], s:s}", "a", 1, 2, "b", "x");
	json_t *n = json_integer(7);
	char *s;

	s = json_to_string(v);
	assert_string_equal(s, "{\"a\":[1,2],\"b\":\"x\"}");
	free(s);
	s = json_to_string(n);
	assert_string_equal(s, "7");
	free(s);
	json_decref(v);
	json_decref(n);
}

static void
test_error_body(void **state)
{
	json_t *v;
	json_t *e;
	char *s;

	v = json_error_body(ERR_NOT_FOUND, NULL);
	assert_non_null(v);
	assert_int_equal(json_object_size(v), 1);
	e = json_object_get(v, "error");
	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 2);
	assert_string_equal(json_string_value(json_object_get(e, "code")),
	    "not_found");
	assert_string_equal(json_string_value(json_object_get(e, "message")),
	    "No such resource");
	json_decref(v);

	v = json_error_body(ERR_INVALID_ARGUMENT, "field 'k' must be >= 2");
	s = json_to_string(v);
	assert_string_equal(s, "{\"error\":{\"code\":\"invalid_argument\","
			       "\"message\":\"field 'k' must be >= 2\"}}");
	free(s);
	json_decref(v);

	/* Unknown codes become internal errors. */
	v = json_error_body((enum err_code)999, NULL);
	e = json_object_get(v, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")),
	    "internal");
	assert_string_equal(json_string_value(json_object_get(e, "message")),
	    "Internal error");
	json_decref(v);
}

static json_t *
members(void)
{
	char err[128];
	json_t *v = parse("{\"s\": \"text\", \"i\": 7, \"neg\": -3, \"r\": 2.5,"
			  " \"big\": 9223372036854775807, \"n\": null,"
			  " \"obj\": {}, \"t\": true}",
	    err, sizeof(err));

	assert_non_null(v);
	return v;
}

static void
test_get_string(void **state)
{
	json_t *v = members();
	char err[128] = "";
	const char *s = NULL;

	assert_int_equal(json_get_string(v, "s", true, &s, err, sizeof(err)),
	    0);
	assert_string_equal(s, "text");
	s = "untouched";
	assert_int_equal(json_get_string(v, "x", false, &s, err, sizeof(err)),
	    -ENOENT);
	/* null counts as absent. */
	assert_int_equal(json_get_string(v, "n", false, &s, err, sizeof(err)),
	    -ENOENT);
	assert_string_equal(err, "");
	assert_int_equal(json_get_string(v, "x", true, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "missing required field 'x'");
	assert_int_equal(json_get_string(v, "n", true, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "missing required field 'n'");
	assert_int_equal(json_get_string(v, "i", false, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "field 'i' must be a string");
	assert_int_equal(json_get_string(v, "obj", true, &s, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "field 'obj' must be a string");
	assert_string_equal(s, "untouched");
	json_decref(v);
}

static void
test_get_int(void **state)
{
	json_t *v = members();
	char err[128] = "";
	int64_t i = 0;

	assert_int_equal(json_get_int(v, "i", true, 0, 10, &i, err,
	    sizeof(err)), 0);
	assert_int_equal(i, 7);
	/* Bounds are inclusive. */
	assert_int_equal(json_get_int(v, "i", true, 7, 7, &i, err,
	    sizeof(err)), 0);
	assert_int_equal(json_get_int(v, "neg", true, -3, 0, &i, err,
	    sizeof(err)), 0);
	assert_int_equal(i, -3);
	assert_int_equal(json_get_int(v, "big", true, 0, INT64_MAX, &i, err,
	    sizeof(err)), 0);
	assert_int_equal(i, INT64_MAX);

	i = 55;
	assert_int_equal(json_get_int(v, "x", false, 0, 10, &i, err,
	    sizeof(err)), -ENOENT);
	assert_int_equal(json_get_int(v, "x", true, 0, 10, &i, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "missing required field 'x'");
	assert_int_equal(json_get_int(v, "i", true, 0, 6, &i, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err,
	    "field 'i' must be an integer between 0 and 6");
	assert_int_equal(json_get_int(v, "neg", true, -2, 6, &i, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err,
	    "field 'neg' must be an integer between -2 and 6");
	/* A real is not an integer, even when it has no fraction. */
	assert_int_equal(json_get_int(v, "r", true, 0, 10, &i, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(json_get_int(v, "s", true, 0, 10, &i, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(json_get_int(v, "t", true, 0, 10, &i, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(i, 55);
	json_decref(v);

	v = json_pack("{s:f}", "whole", 3.0);
	assert_int_equal(json_get_int(v, "whole", true, 0, 10, &i, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err,
	    "field 'whole' must be an integer between 0 and 10");
	json_decref(v);
}

static void
test_get_number(void **state)
{
	json_t *v = members();
	char err[128] = "";
	double d = 0;

	assert_int_equal(json_get_number(v, "r", true, &d, err, sizeof(err)),
	    0);
	assert_true(d == 2.5);
	assert_int_equal(json_get_number(v, "i", true, &d, err, sizeof(err)),
	    0);
	assert_true(d == 7.0);
	d = 9.75;
	assert_int_equal(json_get_number(v, "x", false, &d, err, sizeof(err)),
	    -ENOENT);
	assert_int_equal(json_get_number(v, "x", true, &d, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "missing required field 'x'");
	assert_int_equal(json_get_number(v, "s", true, &d, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "field 's' must be a number");
	assert_int_equal(json_get_number(v, "t", false, &d, err, sizeof(err)),
	    -EINVAL);
	assert_true(d == 9.75);
	json_decref(v);
}

static void
test_members_of_non_objects(void **state)
{
	json_t *a = json_array();
	char err[128] = "";
	const char *s;

	assert_int_equal(json_get_string(a, "s", false, &s, err, sizeof(err)),
	    -ENOENT);
	assert_int_equal(json_get_string(a, "s", true, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "missing required field 's'");
	json_decref(a);
}

static void
test_check_keys(void **state)
{
	static const char *const allowed[] = { "s", "i", "neg", "r", "big",
		"n", "obj", "t", NULL };
	static const char *const fewer[] = { "s", "i", NULL };
	static const char *const none[] = { NULL };
	json_t *v = members();
	json_t *empty = json_object();
	char err[128] = "";

	assert_int_equal(json_check_keys(v, allowed, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(json_check_keys(empty, none, err, sizeof(err)), 0);
	assert_int_equal(json_check_keys(v, fewer, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown field 'neg'");
	assert_int_equal(json_check_keys(v, none, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown field 's'");
	json_decref(empty);
	json_decref(v);
}

/* The same text as json_dumps() of the string, for every byte alone and
 * for strings mixing escapes, UTF-8 and control characters; the same
 * refusal for text that is not UTF-8. */
static void
check_string_as_jansson(const char *s, size_t len)
{
	_cleanup_buf_ struct buf b = BUF_INIT(0);
	json_t *v = json_stringn(s, len);
	char *want = v ? json_dumps_checked(v, JSON_ENCODE_ANY) : NULL;
	int r;

	assert_int_equal(buf_append_str(&b, "x"), 0);
	r = json_buf_string(&b, s, len);
	if (!v) {
		assert_int_equal(r, -EINVAL);
		assert_int_equal(b.len, 1);
	} else {
		assert_int_equal(r, 0);
		assert_non_null(want);
		assert_string_equal(b.data + 1, want);
		assert_int_equal(b.len, 1 + strlen(want));
	}
	free(want);
	json_decref(v);
}

static void
test_buf_string(void **state)
{
	static const char *const cases[] = {
		"", "plain", "a\"quote\"", "back\\slash", "\\\"", "/slash/",
		"tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f", "caf\xc3\xa9",
		"\xe2\x82\xac euro", "\xf0\x9f\x98\x80 emoji", "\xc3",
		"\xff\xfe", "\xed\xa0\x80", "mixed \"\xc3\xa9\"\\\x02 end",
	};
	char one[1];
	_cleanup_buf_ struct buf small = BUF_INIT(4);

	(void)state;
	for (int c = 0; c < 256; c++) {
		one[0] = (char)c;
		check_string_as_jansson(one, 1);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		check_string_as_jansson(cases[i], strlen(cases[i]));
	check_string_as_jansson("nul\0inside", 11);
	/* A buffer's maximum holds. */
	assert_int_equal(json_buf_string(&small, "abcd", 4), -E2BIG);
	assert_int_equal(json_buf_string(&small, "ab", 2), 0);
	assert_string_equal(small.data, "\"ab\"");
}

/* In an arena scope, parsed values, packed ones and large strings are
 * freed inside it; text from json_dumps_checked() is malloc'd (freed
 * with free(), after the scope too); values made before the scope are
 * freed normally inside it; scopes nest; jansson works after them. */
static void
test_arena(void **state)
{
	json_t *before = json_pack("{s:s}", "made", "before");
	char big[10000], err[64], *text;
	struct json_arena outer, inner;
	json_t *v, *w;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_arena_begin(&outer);
	v = parse("[{\"a\":\"b\",\"c\":[1,2,3]},{\"d\":null}]", err,
	    sizeof(err));
	assert_non_null(v);
	for (int i = 0; i < 20000; i++)
		json_array_append_new(v, json_pack("{s:i, s:s}", "i", i, "s",
		    i % 1000 ? "small" : big));
	text = json_dumps_checked(json_array_get(v, 0), JSON_COMPACT);
	assert_string_equal(text, "{\"a\":\"b\",\"c\":[1,2,3]}");
	json_arena_begin(&inner);
	w = json_pack("{s:o}", "kept", json_string(big));
	assert_int_equal(strlen(json_string_value(json_object_get(w,
	    "kept"))), sizeof(big) - 1);
	json_decref(w);
	json_arena_end(&inner);
	json_decref(before);
	json_decref(v);
	json_arena_end(&outer);
	free(text);
	v = json_pack("{s:s}", "made", "after");
	assert_non_null(v);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_depth_ignores_strings),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_error_truncated),
		cmocka_unit_test(test_to_string),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_get_string),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_get_number),
		cmocka_unit_test(test_members_of_non_objects),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_buf_string),
		cmocka_unit_test(test_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
