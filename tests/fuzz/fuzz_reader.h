/* Shared body of the reader fuzz targets: read the input three ways and
 * check that the chunk size never changes what is read. */
#ifndef CONSENTD_FUZZ_READER_H
#define CONSENTD_FUZZ_READER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "reader.h"

/* Digests everything the reader returns: records, fields, columns, line
 * numbers, malformed records and the final status. */
static void
fuzz_reader_digest(const uint8_t *data, size_t size,
    const struct reader_options *o, size_t chunk, uint8_t out[SHA256_LEN])
{
	struct reader *r = NULL;
	struct sha256_stream *h = sha256_stream_new();
	uint8_t fp[SHA256_LEN];
	int k;

	if (!h)
		abort();
	if (reader_open_memory(data, size, o, &r) < 0)
		abort();
	if (chunk && reader_set_chunk_size(r, chunk) < 0)
		abort();
	do {
		uint64_t line;

		k = reader_next(r);
		line = reader_line(r);
		sha256_stream_update(h, &k, sizeof(k));
		if (k == 0)
			break;
		if (k < 0 && !reader_error(r))
			abort();
		if (k == -EBADMSG) {
			sha256_stream_update(h, &line, sizeof(line));
			continue;
		}
		if (k < 0)
			break;
		sha256_stream_update(h, &line, sizeof(line));
		for (size_t i = 0; i < reader_ncolumns(r); i++) {
			struct reader_field f = reader_field(r, i);
			const char *name = reader_column_name(r, i);
			size_t idx;

			if (!name || reader_column_index(r, name, &idx) < 0 ||
			    idx != i)
				abort();
			if (f.value && o->max_field && f.len > o->max_field)
				abort();
			sha256_stream_update(h, name, strlen(name) + 1);
			sha256_stream_update(h, &f.len, sizeof(f.len));
			if (f.value)
				sha256_stream_update(h, f.value, f.len);
		}
	} while (k != 0);
	if (k == 0) {
		/* the fingerprint covers exactly the input */
		uint8_t want[SHA256_LEN];

		reader_fingerprint(r, fp);
		sha256(data, size, want);
		if (memcmp(fp, want, SHA256_LEN) != 0 ||
		    reader_bytes(r) != size)
			abort();
	}
	reader_free(r);
	sha256_stream_final(h, out);
	sha256_stream_free(h);
}

static int
fuzz_reader(enum reader_format format, const uint8_t *data, size_t size)
{
	struct reader_options small = {
		.format = format,
		.max_field = 64,
		.max_columns = 16,
		.max_record = 256,
	};
	struct reader_options defaults = { .format = format };
	uint8_t a[SHA256_LEN], b[SHA256_LEN];

	fuzz_reader_digest(data, size, &small, 0, a);
	fuzz_reader_digest(data, size, &small, 1 + size % 13, b);
	if (memcmp(a, b, SHA256_LEN) != 0)
		abort();
	fuzz_reader_digest(data, size, &defaults, 0, a);
	return 0;
}

#endif
