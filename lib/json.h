/* JSON helpers on jansson: strict parsing with limits, typed field access,
 * the API error body. */
#ifndef CONSENTD_JSON_H
#define CONSENTD_JSON_H

#include <jansson.h>

#include "err.h"
#include "macro.h"

/* jansson provides json_decrefp. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parses exactly one JSON value (objects/arrays nested ≤ 64 deep). On
 * failure writes a message with line:column into errbuf. */
json_t *json_parse(const char *data, size_t len, char *errbuf, size_t errlen);
/* json_loadb() that also fails when an allocation failed during the parse
 * (jansson 2.14 may then drop a character of a token, or report a syntax
 * error): 0 and *ret, -ENOMEM, or -EINVAL with e filled in. */
int json_load_checked(const char *data, size_t len, size_t flags,
    json_t **ret, json_error_t *e);

/* Serializes compactly; malloc'd, or NULL. */
char *json_to_string(const json_t *v);
/* json_dumps() that fails (NULL) when an allocation failed during the
 * dump, instead of returning text with a key left out. Everything that
 * writes JSON uses this (make lint bans json_dumps() elsewhere). */
char *json_dumps_checked(const json_t *v, size_t flags);
/* Appends s[0..len) as a JSON string, quotes included, byte for byte as
 * json_dumps() writes it (compact, no JSON_ENSURE_ASCII or
 * JSON_ESCAPE_SLASH): printable ASCII is copied with '"' and '\\'
 * escaped; anything else goes through jansson itself. -EINVAL for text
 * that is not UTF-8, -E2BIG past b's maximum, -ENOMEM. */
struct buf;
int json_buf_string(struct buf *b, const char *s, size_t len);
/* One member of an object: ',' unless first, "key": (a key that needs no
 * escaping), then the value as json_buf_string() writes it. */
int json_buf_member(struct buf *b, bool first, const char *key,
    const char *value, size_t len);
/* Arenas: between json_arena_begin() and json_arena_end() on a thread,
 * jansson's allocations of up to 4 KiB on that thread come from the
 * arena, in chunks, and freeing them costs nothing; json_arena_end()
 * gives the chunks back. Everything jansson allocated in the scope must
 * be released (json_decref()) before its end: the caller owns no arena
 * memory past it (json_dumps_checked() returns malloc'd text even in a
 * scope). Other threads, and allocations made before the scope, are not
 * affected. Scopes nest. */
struct json_arena_chunk;
struct json_arena {
	struct json_arena_chunk *chunk; /* newest; each links the one before */
	struct json_arena *outer;
};
void json_arena_begin(struct json_arena *a);
void json_arena_end(struct json_arena *a);
/* How many of jansson's allocations have failed on this thread so far.
 * Building a document with calls whose failure goes unchecked
 * (json_object_set_new(), json_array_append_new()) is safe when the count
 * is compared before and after, and the document refused if it moved. */
unsigned long json_alloc_failure_count(void);

/* {"error":{"code":"<name>","message":"<message>"}} */
json_t *json_error_body(enum err_code code, const char *message);

/* Typed access to an object's members. Each returns 0, -ENOENT when the
 * member is absent (and not required), or -EINVAL with a message when
 * it has the wrong type. */
int json_get_string(const json_t *obj, const char *key, bool required,
    const char **ret, char *errbuf, size_t errlen);
int json_get_int(const json_t *obj, const char *key, bool required,
    int64_t min, int64_t max, int64_t *ret, char *errbuf, size_t errlen);
int json_get_number(const json_t *obj, const char *key, bool required,
    double *ret, char *errbuf, size_t errlen);
/* Rejects members not in allowed (a NULL-terminated list). */
int json_check_keys(const json_t *obj, const char *const *allowed,
    char *errbuf, size_t errlen);

#endif
