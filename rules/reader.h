/* Streaming dataset readers: CSV (RFC 4180), TSV, JSONL, each optionally
 * gzip-compressed, with bounded memory whatever the file size. */
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
 * -errno on I/O or decompression failure (stop reading). */
int reader_next(struct reader *r);
/* Field i of the current record; value NULL when the record lacks it. */
struct reader_field reader_field(const struct reader *r, size_t i);
/* 1-based physical line on which the current (or malformed) record
 * starts; records are counted separately by reader_record_number(). */
uint64_t reader_line(const struct reader *r);
uint64_t reader_record_number(const struct reader *r);
const char *reader_error(const struct reader *r);
/* Bytes consumed from the file as stored (compressed if gzip). */
uint64_t reader_bytes(const struct reader *r);
/* SHA-256 of the bytes as stored; complete once reader_next returned 0. */
void reader_fingerprint(const struct reader *r, uint8_t out[SHA256_LEN]);

#endif
