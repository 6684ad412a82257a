/* Streaming dataset readers: CSV (RFC 4180), TSV, JSONL, each optionally
 * gzip-compressed, with bounded memory whatever the file size.
 *
 * Common to all formats: a UTF-8 byte order mark at the start is skipped;
 * lines end with LF or CRLF; blank lines are skipped (they are not
 * records). Memory stays below about max_record plus two read chunks.
 *
 * CSV: RFC 4180. The first record is the header and names the columns
 * (empty or repeated names make the file unreadable). Quoted fields may
 * hold the delimiter, "" for a quote, and line breaks (which still count
 * as physical lines). A quote inside an unquoted field, anything but a
 * delimiter or line end after a closing quote, an unterminated quote and
 * a wrong number of fields make the record malformed; a malformed record
 * ends at the end of the physical line where the error was found (or at
 * the end of the record, when only its size or field count is wrong).
 *
 * TSV: IANA text/tab-separated-values: header row, fields split on TAB,
 * no quoting; backslash sequences such as \t are kept as they are.
 *
 * JSONL: one JSON object per line. Nested objects are flattened into
 * dotted key paths ("a.b"); strings give their value, numbers, booleans
 * and arrays their compact JSON text, null and empty objects nothing.
 * Repeated keys, or two keys that flatten to one path, are malformed;
 * so are strings holding \u0000.
 *
 * gzip: recognized by its magic bytes whatever the name; concatenated
 * members are read in turn; truncated or corrupt data, or trailing bytes
 * that are not a gzip member, are an I/O error (-EIO). */
#ifndef CONSENTD_READER_H
#define CONSENTD_READER_H

#include "crypto.h"
#include "macro.h"

enum reader_format {
	READER_CSV,
	READER_TSV,
	READER_JSONL,
};

struct reader_options {
	enum reader_format format;
	/* gzip is detected from the magic bytes; nothing to configure. */
	size_t max_field;   /* longest field in bytes; 0 = 1 MiB */
	size_t max_columns; /* 0 = 4096 */
	size_t max_record;  /* longest record in bytes; 0 = 16 MiB */
};

/* One field of the current record; valid until the next reader_next(). */
struct reader_field {
	const char *value; /* not NUL-terminated in general; NULL if absent */
	size_t len;
};

struct reader;

/* Parses "csv", "tsv", "jsonl" (also "ndjson"); -EINVAL otherwise. */
int reader_format_from_string(const char *s, enum reader_format *ret);
/* Guesses from a file name: .csv, .tsv, .jsonl/.ndjson, each with an
 * optional .gz. -EINVAL if the name says nothing. */
int reader_format_from_path(const char *path, enum reader_format *ret);

int reader_open(const char *path, const struct reader_options *opt,
    struct reader **ret);
/* Reads from memory (tests, fuzzing); data must outlive the reader. */
int reader_open_memory(const void *data, size_t len,
    const struct reader_options *opt, struct reader **ret);
/* Sets how many bytes are read (and decoded) at a time, 256 KiB by
 * default; before the first reader_next only (-EBUSY after). Tests use
 * tiny sizes to cut records at every possible place. */
int reader_set_chunk_size(struct reader *r, size_t size);
void reader_free(struct reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct reader *, reader_free)

/* Columns: CSV/TSV from the header row (read by the first reader_next);
 * JSONL: every dotted key path seen so far ("a.b" for {"a":{"b":..}}), so
 * the count may grow as records are read. Column indexes never change. */
size_t reader_ncolumns(const struct reader *r);
const char *reader_column_name(const struct reader *r, size_t i);
/* -ENOENT if no such column (yet). */
int reader_column_index(const struct reader *r, const char *name,
    size_t *ret);

/* Reads the next record. Returns 1 with a record, 0 at the end of the
 * data, -EBADMSG for a malformed record (reader_error() says why and
 * reader_line() where; the next call continues after it), or another
 * -errno on failure: -EINVAL for an unusable CSV/TSV header row, -EIO
 * for I/O or decompression failure, -ENOMEM (stop reading: every later
 * call returns the same error). Messages never quote the data. */
int reader_next(struct reader *r);
/* Field i of the current record; value NULL when the record lacks it. */
struct reader_field reader_field(const struct reader *r, size_t i);
/* All the fields of the current record at once, as reader_field() gives
 * them: *ret_n of them, none before the first record or after an error.
 * Owned by the reader, valid until the next reader_next(). */
const struct reader_field *reader_fields(const struct reader *r,
    size_t *ret_n);
/* 1-based physical line on which the current (or malformed) record
 * starts; records are counted separately by reader_record_number(): the
 * 1-based number of the current data record, malformed ones included,
 * the header row excluded. */
uint64_t reader_line(const struct reader *r);
uint64_t reader_record_number(const struct reader *r);
const char *reader_error(const struct reader *r);
/* Bytes consumed from the file as stored (compressed if gzip). */
uint64_t reader_bytes(const struct reader *r);
/* SHA-256 of the bytes as stored; complete once reader_next returned 0
 * (all zeros before the whole input has been read). */
void reader_fingerprint(const struct reader *r, uint8_t out[SHA256_LEN]);

#endif
