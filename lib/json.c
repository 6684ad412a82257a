/* JSON helpers. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#define JSON_MAX_DEPTH 64

/* jansson's lexer ignores a failure to grow its token buffer (load.c,
 * lex_save() in 2.14) and drops the character: "10000" would parse as
 * 1000. Its allocations therefore go through json_alloc(), which notes a
 * failure for json_load_checked() to refuse the result. */
static __thread bool json_alloc_failed;
static __thread unsigned long json_alloc_failures;
static pthread_once_t json_alloc_once = PTHREAD_ONCE_INIT;

/* The arena of this thread's scope, if any (json_arena_begin()). */
static __thread struct json_arena *json_arena_current;

#define ARENA_ALIGN 16
#define ARENA_CHUNK_MIN ((size_t)64 << 10)
#define ARENA_CHUNK_MAX ((size_t)4 << 20)
#define ARENA_LARGE 4096 /* bytes: larger allocations use malloc */

struct json_arena_chunk {
	struct json_arena_chunk *prev;
	size_t size, used;       /* of data */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static void *
arena_alloc(struct json_arena *a, size_t size)
{
	struct json_arena_chunk *c = a->chunk;
	size_t n = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (size == 0 || size > ARENA_LARGE)
		return NULL;
	if (!c || c->size - c->used < n) {
		size_t want = c ? c->size * 2 : ARENA_CHUNK_MIN;

		if (want > ARENA_CHUNK_MAX)
			want = ARENA_CHUNK_MAX;
		c = malloc(sizeof(*c) + want);
		if (!c)
			return NULL;
		c->prev = a->chunk;
		c->size = want;
		c->used = 0;
		a->chunk = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static bool
arena_owns(const struct json_arena *a, const void *p)
{
	const unsigned char *b = p;

	for (const struct json_arena_chunk *c = a->chunk; c; c = c->prev)
		if (b >= c->data && b < c->data + c->size)
			return true;
	return false;
}

static void *
json_alloc(size_t size)
{
	void *p = json_arena_current ? arena_alloc(json_arena_current, size) :
				       NULL;

	if (!p)
		p = malloc(size);
	if (!p) {
		json_alloc_failed = true;
		json_alloc_failures++;
	}
	return p;
}

static void
json_free(void *p)
{
	/* Arena memory goes back all at once, at the scope's end. */
	if (p && json_arena_current && arena_owns(json_arena_current, p))
		return;
	free(p);
}

static void
json_alloc_install(void)
{
	json_set_alloc_funcs(json_alloc, json_free);
}

void
json_arena_begin(struct json_arena *a)
{
	pthread_once(&json_alloc_once, json_alloc_install);
	*a = (struct json_arena){ .outer = json_arena_current };
	json_arena_current = a;
}

void
json_arena_end(struct json_arena *a)
{
	struct json_arena_chunk *c = a->chunk;

	json_arena_current = a->outer;
	while (c) {
		struct json_arena_chunk *prev = c->prev;

		free(c);
		c = prev;
	}
	a->chunk = NULL;
}

unsigned long
json_alloc_failure_count(void)
{
	pthread_once(&json_alloc_once, json_alloc_install);
	return json_alloc_failures;
}

int
json_load_checked(const char *data, size_t len, size_t flags, json_t **ret,
    json_error_t *e)
{
	json_t *v;

	pthread_once(&json_alloc_once, json_alloc_install);
	json_alloc_failed = false;
	v = json_loadb(data, len, flags, e);
	if (json_alloc_failed) {
		json_decref(v);
		return -ENOMEM;
	}
	if (!v)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* jansson's dump ignores a failed write of an object's key (dump.c,
 * do_dump() in 2.14: the result of dump_string() for the key is not
 * checked) and goes on, so that an allocation failure while its buffer
 * grows drops the key from the text and json_dumps() still succeeds: a
 * ledger entry would be signed with a key missing. The same allocation
 * hook refuses such a result. */
char *
json_dumps_checked(const json_t *v, size_t flags)
{
	char *s;

	pthread_once(&json_alloc_once, json_alloc_install);
	json_alloc_failed = false;
	s = json_dumps(v, flags);
	if (json_alloc_failed) {
		json_free(s);
		return NULL;
	}
	/* The caller frees the text with free(): never arena memory. */
	if (s && json_arena_current && arena_owns(json_arena_current, s)) {
		char *copy = strdup(s);

		json_free(s);
		return copy;
	}
	return s;
}

int
json_buf_string(struct buf *b, const char *s, size_t len)
{
	_cleanup_free_ char *dumped = NULL;
	json_t *v;
	size_t extra = 2;
	char *p;
	int r;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x80)
			goto jansson;
		extra += 1 + (c == '"' || c == '\\');
	}
	r = buf_reserve(b, extra);
	if (r < 0)
		return r;
	p = b->data + b->len;
	*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			*p++ = '\\';
		*p++ = s[i];
	}
	*p++ = '"';
	*p = '\0';
	b->len += extra;
	return 0;
jansson:
	/* Control characters, and UTF-8 that jansson checks: rare in what
	 * is written this way, so its own code writes them. */
	v = json_stringn(s, len);
	if (!v)
		return -EINVAL;
	dumped = json_dumps_checked(v, JSON_ENCODE_ANY);
	json_decref(v);
	if (!dumped)
		return -ENOMEM;
	return buf_append_str(b, dumped);
}

int
json_buf_member(struct buf *b, bool first, const char *key, const char *value,
    size_t len)
{
	size_t klen = strlen(key);
	char *p;
	int r = buf_reserve(b, klen + 4);

	if (r < 0)
		return r;
	p = b->data + b->len;
	if (!first)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	b->len = (size_t)(p - b->data);
	return json_buf_string(b, value, len);
}

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
	json_t *v = NULL;
	int r;

	if (!json_depth_ok(data, len)) {
		snprintf(errbuf, errlen, "nesting deeper than %d levels",
		    JSON_MAX_DEPTH);
		return NULL;
	}
	r = json_load_checked(data, len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &v, &e);
	if (r == -ENOMEM)
		snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
	else if (r < 0)
		snprintf(errbuf, errlen, "%d:%d: %s", e.line, e.column, e.text);
	return r < 0 ? NULL : v;
}

char *
json_to_string(const json_t *v)
{
	return json_dumps_checked(v, JSON_COMPACT | JSON_ENCODE_ANY);
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
