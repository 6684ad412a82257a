/* JSON Lines reader: one object per line, flattened into dotted key paths. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "reader-internal.h"

#define JSONL_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

void
reader_jsonl_release(struct reader *r)
{
	for (size_t i = 0; i < r->nspans; i++)
		if (r->spans[i].column < r->fields_cap)
			r->fields[r->spans[i].column] =
			    (struct reader_field){ NULL, 0 };
	r->nspans = 0;
	r->nfields = 0;
	if (r->json) {
		json_decref(r->json);
		r->json = NULL;
	}
	r->text.len = 0;
}

static int
jsonl_bad(struct reader *r, const char *what)
{
	reader_set_error(r, "%s", what);
	return -EBADMSG;
}

static int
jsonl_add_value(struct reader *r, json_t *v)
{
	struct reader_span *sp;
	const char *ptr = NULL;
	size_t col, off = 0, len;
	int k;

	k = reader_column_find(r, r->keypath.data, r->keypath.len, &col);
	if (k < 0) {
		k = reader_column_add(r, r->keypath.data, r->keypath.len,
		    &col);
		if (k == -E2BIG) {
			reader_set_error(r, "more than %zu distinct keys",
			    r->max_columns);
			return -EBADMSG;
		}
		if (k < 0)
			return k;
	}
	k = reader_fields_reserve(r, r->ncolumns);
	if (k < 0)
		return k;
	if (json_is_null(v))
		return 0;
	if (r->fields[col].value)
		return jsonl_bad(r, "two keys flatten to the same path");

	if (json_is_string(v)) {
		ptr = json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_true(v)) {
		ptr = "true";
		len = 4;
	} else if (json_is_false(v)) {
		ptr = "false";
		len = 5;
	} else {
		/* A parsed value always serializes: only memory can fail
		 * (jansson allocates to check arrays and objects for
		 * cycles). */
		len = json_dumpb(v, NULL, 0, JSONL_DUMP_FLAGS);
		if (len == 0)
			return -ENOMEM;
		if (len <= r->max_field) {
			k = buf_reserve(&r->text, len);
			if (k == -E2BIG)
				return jsonl_bad(r, "record too large");
			if (k < 0)
				return k;
			off = r->text.len;
			if (json_dumpb(v, r->text.data + off, len,
			    JSONL_DUMP_FLAGS) != len)
				return -ENOMEM;
			r->text.len += len;
			r->text.data[r->text.len] = '\0';
		}
	}
	if (len > r->max_field) {
		reader_set_error(r, "value longer than %zu bytes",
		    r->max_field);
		return -EBADMSG;
	}
	k = reader_spans_reserve(r, r->nspans + 1);
	if (k < 0)
		return k;
	sp = &r->spans[r->nspans++];
	sp->column = col;
	sp->off = off;
	sp->len = len;
	sp->ptr = ptr;
	/* Marks the column as set; the final pointer is resolved later,
	 * once the text buffer has stopped moving. */
	r->fields[col].value = "";
	return 0;
}

static int
jsonl_flatten(struct reader *r, json_t *obj)
{
	const char *key;
	json_t *v;
	int k;

	json_object_foreach(obj, key, v) {
		size_t saved = r->keypath.len;

		if (saved > 0)
			k = buf_append_byte(&r->keypath, '.');
		else
			k = 0;
		if (k >= 0)
			k = buf_append_str(&r->keypath, key);
		if (k == -E2BIG)
			return jsonl_bad(r, "key path too long");
		if (k < 0)
			return k;
		if (json_is_object(v))
			k = jsonl_flatten(r, v);
		else
			k = jsonl_add_value(r, v);
		if (k < 0)
			return k;
		r->keypath.len = saved;
		r->keypath.data[saved] = '\0';
	}
	return 0;
}

static bool
jsonl_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

static int
jsonl_parse(struct reader *r, const char *line, size_t len)
{
	json_error_t err;
	int k;

	/* Only positions go into the message: jansson's text may quote the
	 * data, which can be personal. */
	k = json_load_checked(line, len, JSON_REJECT_DUPLICATES, &r->json,
	    &err);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		reader_set_error(r, "invalid JSON at column %d", err.column);
		return -EBADMSG;
	}
	if (!json_is_object(r->json))
		return jsonl_bad(r, "line is not a JSON object");
	buf_reset(&r->keypath);
	k = buf_append(&r->keypath, "", 0);
	if (k < 0)
		return k;
	k = jsonl_flatten(r, r->json);
	if (k < 0)
		return k;
	for (size_t i = 0; i < r->nspans; i++) {
		struct reader_span *sp = &r->spans[i];

		r->fields[sp->column].value = sp->ptr ? sp->ptr :
		    r->text.data + sp->off;
		r->fields[sp->column].len = sp->len;
	}
	r->nfields = r->ncolumns;
	return 1;
}

int
reader_jsonl_next(struct reader *r)
{
	int k;

	reader_jsonl_release(r);
	if (r->text.max == 0)
		r->text.max = r->max_record > SIZE_MAX / 2 ? SIZE_MAX / 2 :
		    r->max_record * 2;
	for (;;) {
		char *w = r->win;
		size_t end = r->win_len;
		const char *nl;
		size_t from, e, len;

		if (r->state == READER_ST_SKIP_LINE) {
			nl = r->pos < end ?
			    memchr(w + r->pos, '\n', end - r->pos) : NULL;
			if (nl || r->eof) {
				r->pos = nl ? (size_t)(nl - w) + 1 : end;
				if (nl)
					r->line++;
				r->state = READER_ST_RECORD_START;
				return -EBADMSG;
			}
			r->pos = end;
			k = reader_fill(r, r->pos);
			if (k < 0)
				return k;
			continue;
		}
		if (r->pos == end && r->eof)
			return 0;
		/* fld_start remembers how far a previous search went. */
		from = r->fld_start > r->pos && r->fld_start <= end ?
		    r->fld_start : r->pos;
		nl = from < end ? memchr(w + from, '\n', end - from) : NULL;
		if (!nl && !r->eof) {
			if (end - r->pos > r->max_record) {
				r->rec_line = r->line;
				r->nrecords++;
				reader_set_error(r, "record longer than %zu "
				    "bytes", r->max_record);
				r->state = READER_ST_SKIP_LINE;
				r->pos = end;
				continue;
			}
			r->fld_start = end;
			k = reader_fill(r, r->pos);
			if (k < 0)
				return k;
			continue;
		}
		e = nl ? (size_t)(nl - w) : end;
		len = e - r->pos;
		r->rec_line = r->line;
		r->rec_start = r->pos;
		r->fld_start = 0;
		r->pos = nl ? e + 1 : end;
		if (nl)
			r->line++;
		if (jsonl_blank(w + r->rec_start, len))
			continue;
		r->nrecords++;
		if (len > r->max_record) {
			reader_set_error(r, "record longer than %zu bytes",
			    r->max_record);
			return -EBADMSG;
		}
		k = jsonl_parse(r, w + r->rec_start, len);
		if (k < 0) {
			reader_jsonl_release(r);
			return k;
		}
		return k;
	}
}
