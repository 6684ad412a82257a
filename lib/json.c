/* JSON helpers. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

static bool
json_depth_ok(const char *data, size_t len)
{
	/* jansson has no depth limit of its own; count brackets outside
	 * strings before parsing, so deep nesting cannot exhaust the stack. */
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

json_t *
json_parse(const char *data, size_t len, char *errbuf, size_t errlen)
{
	json_error_t e;
	json_t *v;

	if (!json_depth_ok(data, len)) {
		snprintf(errbuf, errlen, "nesting deeper than %d levels",
		    JSON_MAX_DEPTH);
		return NULL;
	}
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &e);
	if (!v)
		snprintf(errbuf, errlen, "%d:%d: %s", e.line, e.column, e.text);
	return v;
}

char *
json_to_string(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

json_t *
json_error_body(enum err_code code, const char *message)
{
	const struct err_info *info = err_info(code);

	return json_pack("{s:{s:s, s:s}}", "error", "code", info->name,
	    "message", message ? message : info->message);
}

static int
json_member(const json_t *obj, const char *key, bool required, json_t **ret,
    char *errbuf, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required) {
			snprintf(errbuf, errlen, "missing required field '%s'",
			    key);
			return -EINVAL;
		}
		return -ENOENT;
	}
	*ret = v;
	return 0;
}

int
json_get_string(const json_t *obj, const char *key, bool required,
    const char **ret, char *errbuf, size_t errlen)
{
	json_t *v;
	int r = json_member(obj, key, required, &v, errbuf, errlen);

	if (r < 0)
		return r;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(errbuf, errlen, "field '%s' must be a string", key);
		return -EINVAL;
	}
	*ret = json_string_value(v);
	return 0;
}

int
json_get_int(const json_t *obj, const char *key, bool required, int64_t min,
    int64_t max, int64_t *ret, char *errbuf, size_t errlen)
{
	json_t *v;
	int r = json_member(obj, key, required, &v, errbuf, errlen);

	if (r < 0)
		return r;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(errbuf, errlen,
		    "field '%s' must be an integer between %lld and %lld", key,
		    (long long)min, (long long)max);
		return -EINVAL;
	}
	*ret = json_integer_value(v);
	return 0;
}

int
json_get_number(const json_t *obj, const char *key, bool required,
    double *ret, char *errbuf, size_t errlen)
{
	json_t *v;
	int r = json_member(obj, key, required, &v, errbuf, errlen);

	if (r < 0)
		return r;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		snprintf(errbuf, errlen, "field '%s' must be a number", key);
		return -EINVAL;
	}
	*ret = json_number_value(v);
	return 0;
}

int
json_check_keys(const json_t *obj, const char *const *allowed, char *errbuf,
    size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0) {
				ok = true;
				break;
			}
		if (!ok) {
			snprintf(errbuf, errlen, "unknown field '%s'", key);
			return -EINVAL;
		}
	}
	return 0;
}
