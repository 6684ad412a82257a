/* CSV (RFC 4180) and TSV (IANA text/tab-separated-values) record parser. */
#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "reader-internal.h"

/* Returned by the scanner when the window holds no more of the record. */
#define TEXT_NEED_MORE 2

static void
text_bad(struct reader *r, const char *what)
{
	if (r->rec_bad)
		return;
	r->rec_bad = true;
	reader_set_error(r, "%s", what);
}

/* Records one finished field of the record being parsed. Inlined: it runs
 * once per field. */
static inline __attribute__((always_inline)) int
text_end_field(struct reader *r, size_t start, size_t len)
{
	size_t n = r->nfields_seen++;
	int k;

	if (r->rec_bad)
		return 0;
	if (n >= r->max_columns) {
		r->rec_bad = true;
		reader_set_error(r, "more than %zu fields", r->max_columns);
		return 0;
	}
	if (len > r->max_field) {
		r->rec_bad = true;
		reader_set_error(r, "field %zu longer than %zu bytes", n + 1,
		    r->max_field);
		return 0;
	}
	/* Surplus fields of a data record are counted, not kept. */
	if (r->header_done && n >= r->ncolumns)
		return 0;
	if (n >= r->spans_cap) {
		k = reader_spans_reserve(r, n + 1);
		if (k < 0)
			return k;
	}
	r->spans[n].off = start - r->rec_start;
	r->spans[n].len = len;
	r->nspans = n + 1;
	return 0;
}

static int
text_header(struct reader *r)
{
	size_t c;
	int k;

	if (r->rec_bad) {
		reader_set_error(r, "malformed header row");
		return -EINVAL;
	}
	for (size_t i = 0; i < r->nspans; i++) {
		const char *name = r->win + r->rec_start + r->spans[i].off;
		size_t len = r->spans[i].len;

		if (len == 0) {
			reader_set_error(r, "header: column %zu has an empty "
			    "name", i + 1);
			return -EINVAL;
		}
		k = reader_column_add(r, name, len, &c);
		if (k == -EEXIST) {
			reader_set_error(r, "header: column %zu repeats the "
			    "name of an earlier column", i + 1);
			return -EINVAL;
		}
		if (k == -EINVAL) {
			reader_set_error(r, "header: column %zu name holds a "
			    "NUL byte", i + 1);
			return -EINVAL;
		}
		if (k < 0)
			return k;
	}
	r->header_done = true;
	return reader_fields_reserve(r, r->ncolumns);
}

/* The record [rec_start, pos) is complete. */
static int
text_end_record(struct reader *r)
{
	r->state = READER_ST_RECORD_START;
	if (!r->rec_bad && r->pos - r->rec_start > r->max_record) {
		r->rec_bad = true;
		reader_set_error(r, "record longer than %zu bytes",
		    r->max_record);
	}
	if (!r->header_done)
		return text_header(r);
	r->nrecords++;
	if (!r->rec_bad && r->nfields_seen != r->ncolumns) {
		r->rec_bad = true;
		reader_set_error(r, "record has %zu fields, expected %zu",
		    r->nfields_seen, r->ncolumns);
	}
	if (r->rec_bad)
		return -EBADMSG;
	for (size_t i = 0; i < r->ncolumns; i++) {
		r->fields[i].value = r->win + r->rec_start + r->spans[i].off;
		r->fields[i].len = r->spans[i].len;
	}
	r->nfields = r->ncolumns;
	return 1;
}

static size_t
text_count_newlines(const char *p, size_t n)
{
	const char *end = p + n;
	size_t count = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		count++;
		p++;
	}
	return count;
}

/* Offset of the first of a, b or c in p[0, n), or n. Fields are short and
 * end at any of three bytes, where memchr looks for one: compare sixteen
 * bytes at a time where SSE2 is there. */
static size_t
text_find3(const char *p, size_t n, char a, char b, char c)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a);
	const __m128i vb = _mm_set1_epi8(b);
	const __m128i vc = _mm_set1_epi8(c);

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va),
		    _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc));
		int bits = _mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz((unsigned)bits);
	}
#endif
	for (; i < n; i++)
		if (p[i] == a || p[i] == b || p[i] == c)
			return i;
	return n;
}

#ifdef __SSE2__
/* Bit i set where byte i of the 64 at p is a, b or c. */
static inline uint64_t
text_mask64(const char *p, char a, char b, char c)
{
	const __m128i va = _mm_set1_epi8(a);
	const __m128i vb = _mm_set1_epi8(b);
	const __m128i vc = _mm_set1_epi8(c);
	uint64_t m = 0;

	for (int i = 0; i < 4; i++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		__m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va),
		    _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc));

		m |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << (16 * i);
	}
	return m;
}

/* The next delimiter, newline or quote at or after the bits already taken
 * of the 64-byte block at *scan, into *e; false where the window holds no
 * further whole block or the record has grown past its limit. */
static inline bool
text_fast_next(const struct reader *r, size_t start, size_t *scan,
    uint64_t *m, char delim, char quote, size_t *e)
{
	while (*m == 0) {
		*scan += 64;
		if (*scan + 64 > r->win_len || *scan - start > r->max_record)
			return false;
		*m = text_mask64(r->win + *scan, delim, '\n', quote);
	}
	*e = *scan + (size_t)__builtin_ctzll(*m);
	*m &= *m - 1;
	return true;
}

/* The common data record, whole in the window: as many fields as the
 * header, each unquoted (no quote byte in it) or quoted without a doubled
 * quote or a line break inside, within every limit, ended by a newline.
 * Its delimiters, newlines and quotes are found 64 bytes at a time, and
 * the record is taken as text_scan() would take it: the same spans, line
 * and position, and its fields set as text_end_record() sets them (the
 * record is whole in the window, so they point into it at once). Returns
 * true with the record read, or false having changed nothing the state
 * machine reads (fields[] aside, which it sets anew): it then parses the
 * record from its start. */
static bool
text_fast_record(struct reader *r, char delim, bool quoting)
{
	const char *w = r->win;
	const char quote = quoting ? '"' : delim;
	const size_t start = r->pos, ncol = r->ncolumns;
	size_t scan = start, fld = start, n = 0, e;
	uint64_t m;

	if (!r->header_done || r->fields_cap < ncol ||
	    start + 64 > r->win_len || w[start] == '\n' || w[start] == '\r')
		return false;
	m = text_mask64(w + scan, delim, '\n', quote);
	for (;;) {
		size_t off = fld, len;

		if (!text_fast_next(r, start, &scan, &m, delim, quote, &e))
			return false;
		if (quoting && w[e] == '"') {
			/* only an opening quote, and its closing one */
			if (e != fld)
				return false;
			do {
				if (!text_fast_next(r, start, &scan, &m, delim,
				    quote, &e) || w[e] == '\n')
					return false;
			} while (w[e] != '"');
			off = fld + 1;
			len = e - off;
			if (!text_fast_next(r, start, &scan, &m, delim, quote,
			    &e) || e != off + len + 1 || w[e] == '"')
				return false;
		} else {
			len = e - fld;
			if (w[e] == '\n' && len > 0 && w[e - 1] == '\r')
				len--;
		}
		if (n >= ncol || len > r->max_field)
			return false;
		/* the record is whole in the window: its fields are final */
		r->fields[n].value = w + off;
		r->fields[n].len = len;
		n++;
		fld = e + 1;
		if (w[e] != '\n')
			continue;
		if (n != ncol || e + 1 - start > r->max_record)
			return false;
		r->rec_start = start;
		r->rec_line = r->line;
		r->rec_bad = false;
		r->nfields_seen = n;
		r->nspans = 0;
		r->nfields = n;
		r->nrecords++;
		r->pos = e + 1;
		r->line++;
		return true;
	}
}
#endif

/* Scans from pos. Returns 1 at the end of a record, 0 at the end of the
 * data before any record, TEXT_NEED_MORE when the window is exhausted, or
 * -errno. */
static int
text_scan(struct reader *r, char delim, bool quoting)
{
	char *w = r->win;
	size_t end = r->win_len;
	int k;

	for (;;) {
		switch (r->state) {
		case READER_ST_RECORD_START:
			if (r->pos == end)
				return r->eof ? 0 : TEXT_NEED_MORE;
			/* Blank lines separate nothing: skip them. */
			if (w[r->pos] == '\n') {
				r->pos++;
				r->line++;
				continue;
			}
			if (w[r->pos] == '\r') {
				if (r->pos + 1 == end && !r->eof)
					return TEXT_NEED_MORE;
				if (r->pos + 1 < end && w[r->pos + 1] == '\n') {
					r->pos += 2;
					r->line++;
					continue;
				}
			}
			r->rec_start = r->pos;
			r->rec_line = r->line;
			r->rec_bad = false;
			r->nfields_seen = 0;
			r->nspans = 0;
			r->state = READER_ST_FIELD_START;
			continue;

		case READER_ST_FIELD_START:
			if (r->pos == end && !r->eof)
				return TEXT_NEED_MORE;
			if (quoting && r->pos < end && w[r->pos] == '"') {
				r->pos++;
				r->fld_start = r->wr = r->pos;
				r->state = READER_ST_QUOTED;
				continue;
			}
			r->fld_start = r->pos;
			r->state = READER_ST_UNQUOTED;
			continue;

		case READER_ST_UNQUOTED: {
			size_t e, len;
			char at;

			e = r->pos + text_find3(w + r->pos, end - r->pos, delim,
			    '\n', quoting ? '"' : delim);
			if (e == end) {
				r->pos = end;
				if (!r->eof)
					return TEXT_NEED_MORE;
				k = text_end_field(r, r->fld_start,
				    end - r->fld_start);
				return k < 0 ? k : 1;
			}
			at = w[e];
			if (at == '"' && quoting) {
				text_bad(r, "quote inside an unquoted field");
				r->pos = e;
				r->state = READER_ST_SKIP_LINE;
				continue;
			}
			len = e - r->fld_start;
			if (at == delim) {
				k = text_end_field(r, r->fld_start, len);
				if (k < 0)
					return k;
				r->pos = e + 1;
				/* What READER_ST_FIELD_START would do with an
				 * unquoted field that follows in the window. */
				if (r->pos < end && !(quoting &&
				    w[r->pos] == '"')) {
					r->fld_start = r->pos;
					continue;
				}
				r->state = READER_ST_FIELD_START;
				continue;
			}
			if (len > 0 && w[e - 1] == '\r')
				len--;
			k = text_end_field(r, r->fld_start, len);
			if (k < 0)
				return k;
			r->pos = e + 1;
			r->line++;
			return 1;
		}

		case READER_ST_QUOTED: {
			const char *q = memchr(w + r->pos, '"', end - r->pos);
			size_t stop = q ? (size_t)(q - w) : end;
			size_t n = stop - r->pos;

			r->line += text_count_newlines(w + r->pos, n);
			if (!r->rec_bad) {
				if (r->wr != r->pos)
					memmove(w + r->wr, w + r->pos, n);
				r->wr += n;
			}
			r->pos = stop;
			if (!q) {
				if (!r->eof)
					return TEXT_NEED_MORE;
				text_bad(r, "unterminated quoted field");
				return 1;
			}
			if (r->pos + 1 == end && !r->eof)
				return TEXT_NEED_MORE;
			if (r->pos + 1 < end && w[r->pos + 1] == '"') {
				/* "" stands for one quote */
				if (!r->rec_bad)
					w[r->wr++] = '"';
				r->pos += 2;
				continue;
			}
			r->pos++;
			k = text_end_field(r, r->fld_start,
			    r->rec_bad ? 0 : r->wr - r->fld_start);
			if (k < 0)
				return k;
			r->state = READER_ST_AFTER_QUOTE;
			continue;
		}

		case READER_ST_AFTER_QUOTE:
			if (r->pos == end)
				return r->eof ? 1 : TEXT_NEED_MORE;
			if (w[r->pos] == delim) {
				r->pos++;
				r->state = READER_ST_FIELD_START;
				continue;
			}
			if (w[r->pos] == '\n') {
				r->pos++;
				r->line++;
				return 1;
			}
			if (w[r->pos] == '\r') {
				if (r->pos + 1 == end && !r->eof)
					return TEXT_NEED_MORE;
				if (r->pos + 1 < end && w[r->pos + 1] == '\n') {
					r->pos += 2;
					r->line++;
					return 1;
				}
			}
			text_bad(r, "unexpected character after a closing "
			    "quote");
			r->state = READER_ST_SKIP_LINE;
			continue;

		case READER_ST_SKIP_LINE: {
			const char *nl = memchr(w + r->pos, '\n',
			    end - r->pos);

			if (nl) {
				r->pos = (size_t)(nl - w) + 1;
				r->line++;
				return 1;
			}
			r->pos = end;
			return r->eof ? 1 : TEXT_NEED_MORE;
		}

		default:
			return -EINVAL;
		}
	}
}

/* Before more data is read: enforce the limits that bound the window. */
static void
text_check_limits(struct reader *r)
{
	if (r->rec_bad || r->state == READER_ST_RECORD_START)
		return;
	if (r->pos - r->rec_start > r->max_record) {
		r->rec_bad = true;
		reader_set_error(r, "record longer than %zu bytes",
		    r->max_record);
	} else if (r->state == READER_ST_UNQUOTED &&
	    r->pos - r->fld_start > r->max_field + 1) {
		/* + 1: a CR seen so far may turn out to end the line */
		r->rec_bad = true;
		reader_set_error(r, "field %zu longer than %zu bytes",
		    r->nfields_seen + 1, r->max_field);
	} else if (r->state == READER_ST_QUOTED &&
	    r->wr - r->fld_start > r->max_field) {
		r->rec_bad = true;
		reader_set_error(r, "field %zu longer than %zu bytes",
		    r->nfields_seen + 1, r->max_field);
	}
}

int
reader_text_next(struct reader *r)
{
	char delim = r->format == READER_TSV ? '\t' : ',';
	bool quoting = r->format == READER_CSV;
	int k;

	for (;;) {
#ifdef __SSE2__
		if (r->state == READER_ST_RECORD_START &&
		    text_fast_record(r, delim, quoting))
			return 1;
#endif
		k = text_scan(r, delim, quoting);
		if (k == 1) {
			k = text_end_record(r);
			if (k != 0)
				return k;
			/* the header row: go on to the first record */
			continue;
		}
		if (k <= 0)
			return k;
		text_check_limits(r);
		k = reader_fill(r, r->rec_bad || r->state ==
		    READER_ST_RECORD_START ? r->pos : r->rec_start);
		if (k < 0)
			return k;
	}
}
