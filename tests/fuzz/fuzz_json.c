/* Fuzz target for lib/json: parse any bytes, read every member with every
 * typed getter, and check that what we print we can parse back. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

#define FUZZ_JSON_MAX_DEPTH 64

static void
fuzz_json_check(bool ok)
{
	if (!ok)
		abort();
}

/* An error message is "nesting deeper than ..." or starts "line:column: ". */
static void
fuzz_json_check_error(const char *err)
{
	int line, col, n = 0;

	if (strncmp(err, "nesting deeper than", 19) == 0)
		return;
	fuzz_json_check(sscanf(err, "%d:%d: %n", &line, &col, &n) == 2 &&
	    n > 0 && line >= 0 && col >= 0);
}

static void
fuzz_json_members(const json_t *obj)
{
	static const char *const allowed[] = { "subject", "purpose", "n",
		NULL };
	char err[160];
	const char *key, *s;
	json_t *v;
	int64_t i;
	double x;

	if (json_check_keys(obj, allowed, err, sizeof(err)) < 0)
		fuzz_json_check(strncmp(err, "unknown field '", 15) == 0);
	json_object_foreach((json_t *)obj, key, v) {
		if (json_get_string(obj, key, true, &s, err, sizeof(err)) == 0)
			fuzz_json_check(json_is_string(v) &&
			    strlen(s) == json_string_length(v));
		else
			fuzz_json_check(!json_is_string(v));
		if (json_get_int(obj, key, false, -10, 10, &i, err,
			sizeof(err)) == 0)
			fuzz_json_check(json_is_integer(v) && i >= -10 &&
			    i <= 10);
		(void)json_get_int(obj, key, true, INT64_MIN, INT64_MAX, &i,
		    err, sizeof(err));
		if (json_get_number(obj, key, true, &x, err, sizeof(err)) == 0)
			fuzz_json_check(json_is_number(v));
	}
	/* Absent members. */
	fuzz_json_check(json_get_string(obj, "", false, &s, err,
	    sizeof(err)) == -ENOENT || json_object_get(obj, "") != NULL);
}

static void
fuzz_json_walk(const json_t *v, unsigned depth)
{
	const char *key;
	json_t *m;
	size_t i;

	fuzz_json_check(depth <= FUZZ_JSON_MAX_DEPTH);
	if (json_is_object(v)) {
		fuzz_json_members(v);
		json_object_foreach((json_t *)v, key, m)
			fuzz_json_walk(m, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			fuzz_json_walk(m, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160] = "";
	json_t *v, *again, *body;
	char *text;

	v = json_parse((const char *)data, size, err, sizeof(err));
	if (!v) {
		fuzz_json_check_error(err);
		return 0;
	}
	fuzz_json_walk(v, 0);

	/* Our own output parses back to an equal value. */
	text = json_to_string(v);
	fuzz_json_check(text != NULL);
	again = json_parse(text, strlen(text), err, sizeof(err));
	fuzz_json_check(again != NULL && json_equal(v, again));
	json_decref(again);
	free(text);

	/* The error body carries any message, and any code maps to one. */
	body = json_error_body(size > 0 ? (enum err_code)data[0] : ERR_OK,
	    json_is_string(v) ? json_string_value(v) : NULL);
	fuzz_json_check(body != NULL);
	fuzz_json_check(json_is_string(json_object_get(json_object_get(body,
	    "error"), "code")));
	json_decref(body);
	json_decref(v);
	return 0;
}
