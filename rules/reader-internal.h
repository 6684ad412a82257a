/* Shared state of the dataset readers: input layer, window, columns. */
#ifndef CONSENTD_READER_INTERNAL_H
#define CONSENTD_READER_INTERNAL_H

#include <jansson.h>
#include <zlib.h>

#include "buf.h"
#include "crypto.h"
#include "reader.h"

#define READER_CHUNK_DEFAULT ((size_t)256 * 1024)
#define READER_MAX_FIELD_DEFAULT ((size_t)1024 * 1024)
#define READER_MAX_COLUMNS_DEFAULT ((size_t)4096)
#define READER_MAX_RECORD_DEFAULT ((size_t)16 * 1024 * 1024)
#define READER_ERRMSG_MAX 160

/* A field of the record being parsed, as offsets from its first byte (CSV,
 * TSV) or as a column index and a value (JSONL). */
struct reader_span {
	size_t off;
	size_t len;
	size_t column;
	const char *ptr; /* JSONL: value outside the window, or NULL */
};

struct reader {
	enum reader_format format;
	size_t max_field;
	size_t max_columns;
	size_t max_record;
	size_t chunk; /* raw read size and most decoded bytes per fill */

	/* Raw input: a descriptor or memory, hashed and counted as read. */
	int fd;
	const uint8_t *mem;
	size_t mem_len;
	size_t mem_off;
	uint8_t *rawbuf;
	size_t rawbuf_cap;
	const uint8_t *raw; /* pending raw bytes, in rawbuf or mem */
	size_t raw_len;
	bool raw_eof;
	uint64_t nbytes;
	struct sha256_stream *sha;
	uint8_t digest[SHA256_LEN];
	bool digest_done;

	/* gzip decoding */
	bool started;
	bool gzip;
	bool zs_init;
	bool gz_boundary; /* a member just ended, no output since */
	int gz_error;     /* failure found after output was produced */
	char gz_errmsg[READER_ERRMSG_MAX];
	z_stream zs;

	/* Decoded bytes: [0, win_len) of win, parsed from pos. Every offset
	 * below that points into the window is shifted by reader_fill(). */
	char *win;
	size_t win_cap;
	size_t win_len;
	size_t pos;
	bool eof; /* no decoded bytes will follow win_len */

	/* parser state */
	int state;
	size_t rec_start;
	size_t fld_start;
	size_t wr;     /* write cursor for unescaped quoted fields */
	size_t nfields_seen;
	bool rec_bad;
	bool header_done;
	uint64_t line;     /* physical line at pos, 1-based */
	uint64_t rec_line; /* line on which the current record starts */
	uint64_t nrecords;
	int fatal; /* sticky error, returned by every later reader_next */
	char errmsg[READER_ERRMSG_MAX];

	/* the record being parsed, then the current record */
	struct reader_span *spans;
	size_t nspans;
	size_t spans_cap;
	struct reader_field *fields;
	size_t fields_cap;
	size_t nfields;

	/* columns, with a hash index for JSONL key paths */
	char **names;
	size_t ncolumns;
	size_t names_cap;
	uint32_t *htab; /* column index + 1; 0 = empty slot */
	size_t htab_cap;

	/* JSONL */
	json_t *json;
	struct buf text;    /* JSON text of non-string values */
	struct buf keypath; /* dotted key of the value being flattened */
};

/* Parser states shared by CSV and TSV (JSONL uses the first and last). */
enum {
	READER_ST_RECORD_START,
	READER_ST_FIELD_START,
	READER_ST_UNQUOTED,
	READER_ST_QUOTED,
	READER_ST_AFTER_QUOTE,
	READER_ST_SKIP_LINE,
};

/* reader.c */
/* Moves [keep, win_len) to the start of the window and appends decoded
 * bytes. Returns the number of bytes added, 0 at the end of the data
 * (and sets eof), or a fatal -errno with errmsg set. */
int reader_fill(struct reader *r, size_t keep);
void reader_set_error(struct reader *r, const char *fmt, ...) _printf_(2, 3);
int reader_spans_reserve(struct reader *r, size_t n);
int reader_fields_reserve(struct reader *r, size_t n);
/* Adds a column (copying len bytes of name); -EEXIST if the name is
 * taken, -E2BIG beyond max_columns, -EINVAL if it holds a NUL byte. */
int reader_column_add(struct reader *r, const char *name, size_t len,
    size_t *ret);
int reader_column_find(const struct reader *r, const char *name, size_t len,
    size_t *ret);

/* reader_text.c */
int reader_text_next(struct reader *r);

/* reader_jsonl.c */
int reader_jsonl_next(struct reader *r);
void reader_jsonl_release(struct reader *r);

#endif
