/* Unit tests for the dataset readers (rules/reader*.c). */
#include "unit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

#include "buf.h"
#include "crypto.h"
#include "reader-internal.h"
#include "reader.h"

#define DATA TEST_DATA_DIR "/readers/"

/* Renders every record as "line:f1|f2|..." (absent fields as "~"), every
 * malformed record as "line:!", and a final fatal error as "!errno". */
static char *
render(struct reader *r)
{
	struct buf out = BUF_INIT(0);
	const struct reader_field *all;
	size_t nall;
	int k;

	while ((k = reader_next(r)) != 0) {
		all = reader_fields(r, &nall);
		if (k == -EBADMSG) {
			assert_non_null(reader_error(r));
			assert_int_equal(reader_field(r, 0).value, NULL);
			assert_int_equal(nall, 0);
			buf_printf(&out, "%" PRIu64 ":!\n", reader_line(r));
			continue;
		}
		if (k < 0) {
			assert_non_null(reader_error(r));
			assert_int_equal(nall, 0);
			buf_printf(&out, "!%d\n", -k);
			break;
		}
		assert_int_equal(k, 1);
		/* reader_fields() gives what reader_field() gives */
		assert_true(nall <= reader_ncolumns(r));
		for (size_t i = 0; i < reader_ncolumns(r); i++) {
			struct reader_field f = reader_field(r, i);

			assert_ptr_equal(i < nall ? all[i].value : NULL,
			    f.value);
			if (i < nall)
				assert_int_equal(all[i].len, f.len);
		}
		buf_printf(&out, "%" PRIu64 ":", reader_line(r));
		for (size_t i = 0; i < reader_ncolumns(r); i++) {
			struct reader_field f = reader_field(r, i);

			if (i > 0)
				buf_append_byte(&out, '|');
			if (f.value)
				buf_append(&out, f.value, f.len);
			else
				buf_append_byte(&out, '~');
		}
		buf_append_byte(&out, '\n');
	}
	if (!out.data)
		buf_append(&out, "", 0);
	return buf_steal(&out);
}

static char *
render_memory(const char *data, size_t len, const struct reader_options *o,
    size_t chunk)
{
	_cleanup_(reader_freep) struct reader *r = NULL;

	assert_int_equal(reader_open_memory(data, len, o, &r), 0);
	if (chunk)
		assert_int_equal(reader_set_chunk_size(r, chunk), 0);
	return render(r);
}

/* Reads data with every chunk size from 1 to 40 and the default one and
 * checks that each gives the expected rendering. */
static void
check_all_chunks(const char *data, size_t len, const struct reader_options *o,
    const char *expected)
{
	for (size_t chunk = 0; chunk <= 40; chunk++) {
		_cleanup_free_ char *got = render_memory(data, len, o, chunk);

		if (strcmp(got, expected) != 0)
			fail_msg("chunk %zu: got\n%s\nexpected\n%s", chunk,
			    got, expected);
	}
}

static void
check_csv(const char *data, const char *expected)
{
	struct reader_options o = { .format = READER_CSV };

	check_all_chunks(data, strlen(data), &o, expected);
}

static void
t_format_names(void **state)
{
	enum reader_format f;

	assert_int_equal(reader_format_from_string("csv", &f), 0);
	assert_int_equal(f, READER_CSV);
	assert_int_equal(reader_format_from_string("ndjson", &f), 0);
	assert_int_equal(f, READER_JSONL);
	assert_int_equal(reader_format_from_string("tsv", &f), 0);
	assert_int_equal(f, READER_TSV);
	f = READER_TSV;
	assert_int_equal(reader_format_from_string("xml", &f), -EINVAL);
	assert_int_equal(f, READER_TSV);
	assert_int_equal(reader_format_from_path("/d/users.csv.gz", &f), 0);
	assert_int_equal(f, READER_CSV);
	assert_int_equal(reader_format_from_path("a.JSONL", &f), 0);
	assert_int_equal(f, READER_JSONL);
	assert_int_equal(reader_format_from_path("a.tsv", &f), 0);
	assert_int_equal(f, READER_TSV);
	assert_int_equal(reader_format_from_path("a.gz", &f), -EINVAL);
	assert_int_equal(reader_format_from_path("csv", &f), -EINVAL);
}

static void
t_csv_basic(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_CSV };
	const char *d = "name,email\r\nalice,a@example.com\r\nbob,\r\n";
	size_t i;

	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_ncolumns(r), 2);
	assert_string_equal(reader_column_name(r, 0), "name");
	assert_string_equal(reader_column_name(r, 1), "email");
	assert_null(reader_column_name(r, 2));
	assert_int_equal(reader_column_index(r, "email", &i), 0);
	assert_int_equal(i, 1);
	i = 42;
	assert_int_equal(reader_column_index(r, "phone", &i), -ENOENT);
	assert_int_equal(i, 42);
	assert_int_equal(reader_record_number(r), 1);
	assert_int_equal(reader_line(r), 2);
	assert_int_equal(reader_field(r, 1).len, 13);
	assert_memory_equal(reader_field(r, 1).value, "a@example.com", 13);
	assert_null(reader_field(r, 2).value);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_field(r, 1).len, 0);
	assert_non_null(reader_field(r, 1).value);
	assert_int_equal(reader_record_number(r), 2);
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(reader_bytes(r), strlen(d));
}

static void
t_csv_quotes(void **state)
{
	check_csv("a,b,c\n\"x, y\",\"he said \"\"hi\"\"\",z\n"
		  "\"\",\"\"\"\",\"a\"\"\"\"b\"\n",
	    "2:x, y|he said \"hi\"|z\n3:|\"|a\"\"b\n");
	/* the last record may lack its line break */
	check_csv("a,b\n\"1\",\"2\"", "2:1|2\n");
	check_csv("a,b\n1,2", "2:1|2\n");
	check_csv("a,b\n1,", "2:1|\n");
	/* CR inside an unquoted field is data; CRLF after quotes ends it */
	check_csv("a,b\r\nx\ry,\"z\"\r\n\"q\",w\r\n",
	    "2:x\ry|z\n3:q|w\n");
}

static void
t_csv_embedded_newlines(void **state)
{
	check_csv("a,b\n\"line1\nline2\",x\nnext,y\n\"p\r\nq\n\nr\",z\nlast,1\n",
	    "2:line1\nline2|x\n4:next|y\n5:p\r\nq\n\nr|z\n9:last|1\n");
}

static void
t_csv_bom_blank_lines(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_CSV };
	const char *d = "\xef\xbb\xbfid,v\n\n1,2\r\n\r\n\n3,4\n";

	check_csv(d, "3:1|2\n6:3|4\n");
	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), 1);
	assert_string_equal(reader_column_name(r, 0), "id");
	/* a BOM later in the data is data */
	check_csv("x\n\xef\xbb\xbf\n", "2:\xef\xbb\xbf\n");
}

static void
t_csv_empty_fields(void **state)
{
	check_csv("a,b,c\n,,\n\"\",x,\n,\"\",\"\"\n", "2:||\n3:|x|\n4:||\n");
	/* only a header, or nothing at all */
	check_csv("a,b\n", "");
	check_csv("", "");
	check_csv("\n\n", "");
}

static void
t_csv_field_counts(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_CSV };
	const char *d = "a,b\n1,2\n3\n4,5,6\n7,8\n";

	check_csv(d, "2:1|2\n3:!\n4:!\n5:7|8\n");
	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_int_equal(reader_line(r), 3);
	assert_int_equal(reader_record_number(r), 2);
	assert_string_equal(reader_error(r),
	    "record has 1 fields, expected 2");
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r),
	    "record has 3 fields, expected 2");
	assert_int_equal(reader_next(r), 1);
	assert_null(reader_error(r));
	assert_int_equal(reader_record_number(r), 4);
	assert_int_equal(reader_next(r), 0);
}

static void
t_csv_malformed_quotes(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_CSV };
	const char *d = "a,b\n1,\"abc\n2,3\n";

	/* unterminated quote: the rest of the file is that one record */
	check_csv(d, "2:!\n");
	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r), "unterminated quoted field");
	assert_int_equal(reader_line(r), 2);
	assert_int_equal(reader_next(r), 0);

	/* a quote inside an unquoted field; reading goes on at the next
	 * line */
	check_csv("a,b\n1,x\"y\n2,3\n", "2:!\n3:2|3\n");
	/* junk after a closing quote, also after a multi-line field */
	check_csv("a,b\n\"x\"y,1\n2,3\n", "2:!\n3:2|3\n");
	check_csv("a,b\n\"x\ny\" ,1\n2,3\n", "2:!\n4:2|3\n");
	check_csv("a,b\n\"x\"\r,1\n2,3\n", "2:!\n3:2|3\n");
}

static void
t_csv_header_errors(void **state)
{
	struct {
		const char *data;
		const char *message;
	} cases[] = {
		{ "a,b,a\n1,2,3\n", "header: column 3 repeats the name of an "
		  "earlier column" },
		{ "a,,c\n1,2,3\n", "header: column 2 has an empty name" },
		{ "a,b,\n1,2,3\n", "header: column 3 has an empty name" },
		{ "a,\"b\nc\"x\n1,2\n", "malformed header row" },
		{ "a,b\0c\n1,2\n", "header: column 2 name holds a NUL byte" },
	};
	struct reader_options o = { .format = READER_CSV };

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(reader_freep) struct reader *r = NULL;
		size_t len = strlen(cases[i].data);

		if (i == 4)
			len = 10;
		assert_int_equal(reader_open_memory(cases[i].data, len, &o,
		    &r), 0);
		assert_int_equal(reader_next(r), -EINVAL);
		assert_string_equal(reader_error(r), cases[i].message);
		/* the error is sticky */
		assert_int_equal(reader_next(r), -EINVAL);
	}
}

static void
t_csv_limits(void **state)
{
	struct reader_options o = { .format = READER_CSV, .max_field = 8 };
	const char *d = "a,b\n123456789,1\nok,2\n\"123456789\",3\n"
			"\"1234\"\"5678\",4\n12345678,5\n";

	check_all_chunks(d, strlen(d), &o,
	    "2:!\n3:ok|2\n4:!\n5:!\n6:12345678|5\n");

	/* the limit applies to the field without the CR of a CRLF */
	o = (struct reader_options){ .format = READER_CSV, .max_field = 4 };
	check_all_chunks("a\n1234\r\n12345\r\n1\n", 17, &o,
	    "2:1234\n3:!\n4:1\n");

	o = (struct reader_options){ .format = READER_CSV, .max_columns = 2 };
	check_all_chunks("a,b\n1,2,3\n4,5\n", 14, &o, "2:!\n3:4|5\n");
	check_all_chunks("a,b,c\n1,2,3\n", 12, &o, "!22\n");

	o = (struct reader_options){ .format = READER_CSV, .max_record = 12 };
	d = "a,b\n1234,5678\n123456,789012\n\"1\n2\n3\n4\n5\n6\n7\",8\n1,2\n";
	check_all_chunks(d, strlen(d), &o, "2:1234|5678\n3:!\n4:!\n11:1|2\n");
}

static void
t_csv_huge_field_bounded(void **state)
{
	/* A 4 MiB field, far beyond max_field and max_record: malformed, the
	 * reader goes on after it, and the window stays small. */
	struct reader_options o = {
		.format = READER_CSV,
		.max_field = 1000,
		.max_record = 64 * 1024,
	};
	size_t n = 4 * 1024 * 1024;
	_cleanup_free_ char *d = malloc(n + 64);
	_cleanup_(reader_freep) struct reader *r = NULL;
	size_t len = 0;

	assert_non_null(d);
	memcpy(d, "a,b\n1,\"", 7);
	len = 7;
	memset(d + len, 'x', n);
	len += n;
	memcpy(d + len, "\",2\n3,4\n", 8);
	len += 8;
	assert_int_equal(reader_open_memory(d, len, &o, &r), 0);
	assert_int_equal(reader_set_chunk_size(r, 4096), 0);
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r), "field 2 longer than 1000 bytes");
	assert_int_equal(reader_next(r), 1);
	assert_memory_equal(reader_field(r, 0).value, "3", 1);
	assert_int_equal(reader_next(r), 0);
	assert_true(r->win_cap <= 2 * (64 * 1024 + 4096));

	/* the same field unquoted */
	reader_free(TAKE_PTR(r));
	memset(d + 6, 'y', n + 1);
	assert_int_equal(reader_open_memory(d, len, &o, &r), 0);
	assert_int_equal(reader_set_chunk_size(r, 4096), 0);
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_next(r), 0);
	assert_true(r->win_cap <= 2 * (64 * 1024 + 4096));
}

static void
t_tsv(void **state)
{
	struct reader_options o = { .format = READER_TSV };
	const char *d = "a\tb\tc\nx\\ty\t\"q\"\t\r\n\n1\t2\n\"a,b\"\t\"\t\"\r\n";

	check_all_chunks(d, strlen(d), &o,
	    "2:x\\ty|\"q\"|\n4:!\n5:\"a,b\"|\"|\"\n");
}

static void
t_jsonl(void **state)
{
	struct reader_options o = { .format = READER_JSONL };
	const char *d =
	    "{\"id\":1,\"user\":{\"email\":\"a@example.com\",\"age\":31.5}}\n"
	    "\n"
	    "  \r\n"
	    "{\"id\":2,\"tags\":[\"x\",1],\"ok\":true,\"no\":false,"
	    "\"user\":{\"email\":null},\"e\":{}}\r\n"
	    "[1,2]\n"
	    "\"just a string\"\n"
	    "{\"id\":3,\n"
	    "{\"id\":4,\"id\":5}\n"
	    "{\"a\":{\"b\":1},\"a.b\":2}\n"
	    "{\"user\":{\"name\":\"q\\\"uote\"},\"deep\":{\"x\":{\"y\":{\"z\":0}}}}";

	check_all_chunks(d, strlen(d), &o,
	    "1:1|a@example.com|31.5\n"
	    "4:2|~|~|[\"x\",1]|true|false\n"
	    "5:!\n6:!\n7:!\n8:!\n9:!\n"
	    "10:~|~|~|~|~|~|~|q\"uote|0\n");
}

static void
t_jsonl_columns(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_JSONL, .max_columns = 3 };
	const char *d = "{\"a\":1,\"b\":{\"c\":\"x\"}}\n"
			"{\"d\":1,\"e\":2}\n"
			"{\"b\":{\"c\":\"y\"},\"a\":null}\n"
			"[]\n"
			"{\"s\":\"\\u0000\"}\n"
			"{\"d\":\"1234567890\"}\n";
	size_t i;

	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_ncolumns(r), 2);
	assert_string_equal(reader_column_name(r, 1), "b.c");
	assert_int_equal(reader_column_index(r, "b.c", &i), 0);
	assert_int_equal(i, 1);
	/* the column limit makes the record malformed; the columns it added
	 * before stay */
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r), "more than 3 distinct keys");
	assert_int_equal(reader_line(r), 2);
	assert_int_equal(reader_ncolumns(r), 3);
	assert_int_equal(reader_next(r), 1);
	assert_null(reader_field(r, 0).value);
	assert_memory_equal(reader_field(r, 1).value, "y", 1);
	assert_null(reader_field(r, 2).value);
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r), "line is not a JSON object");
	assert_int_equal(reader_next(r), -EBADMSG);
	assert_string_equal(reader_error(r), "invalid JSON at column 13");
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_field(r, 2).len, 10);
	assert_int_equal(reader_record_number(r), 6);
	assert_int_equal(reader_next(r), 0);
}

static void
t_jsonl_limits(void **state)
{
	struct reader_options o = { .format = READER_JSONL, .max_field = 4,
		.max_record = 38 };
	const char *d = "{\"a\":\"1234\"}\n"
			"{\"a\":\"12345\"}\n"
			"{\"a\":12345}\n"
			"{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":5}\n"
			"{\"a\":[1,2]}\n";

	check_all_chunks(d, strlen(d), &o,
	    "1:1234\n2:!\n3:!\n4:!\n5:!\n");
}

static void
t_jsonl_values(void **state)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_JSONL };
	const char *d = "{\"a\":[1,{\"b\":2}],\"n\":-7,\"f\":1e3}\n";

	assert_int_equal(reader_open_memory(d, strlen(d), &o, &r), 0);
	assert_int_equal(reader_next(r), 1);
	assert_int_equal(reader_field(r, 0).len, 11);
	assert_memory_equal(reader_field(r, 0).value, "[1,{\"b\":2}]", 11);
	assert_memory_equal(reader_field(r, 1).value, "-7", 2);
	assert_memory_equal(reader_field(r, 2).value, "1000.0", 6);
}

/* gzip-compresses data as n members of about equal size. */
static char *
gzip_members(const char *data, size_t len, size_t n, size_t *ret_len)
{
	struct buf out = BUF_INIT(0);
	size_t per = n ? (len + n - 1) / n : len;

	for (size_t off = 0; off < len || (off == 0 && len == 0);) {
		size_t m = MIN(per, len - off);
		z_stream zs = { 0 };
		uLong bound;

		assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8,
		    Z_DEFAULT_STRATEGY), Z_OK);
		bound = deflateBound(&zs, m) + 32;
		assert_int_equal(buf_reserve(&out, bound), 0);
		zs.next_in = (Bytef *)data + off;
		zs.avail_in = (uInt)m;
		zs.next_out = (Bytef *)out.data + out.len;
		zs.avail_out = (uInt)bound;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		out.len += bound - zs.avail_out;
		deflateEnd(&zs);
		off += m;
		if (m == 0)
			break;
	}
	*ret_len = out.len;
	return buf_steal(&out);
}

static void
t_gzip(void **state)
{
	struct reader_options o = { .format = READER_CSV };
	const char *d = "a,b\n\"multi\nline\",1\nx,2\ny,3\n";
	const char *want = "2:multi\nline|1\n4:x|2\n5:y|3\n";
	size_t zlen;

	for (size_t n = 1; n <= 4; n++) {
		_cleanup_free_ char *z = gzip_members(d, strlen(d), n, &zlen);

		check_all_chunks(z, zlen, &o, want);
	}
}

static void
t_gzip_errors(void **state)
{
	struct reader_options o = { .format = READER_CSV };
	const char *d = "a,b\n1,2\n3,4\n5,6\n7,8\n";
	_cleanup_free_ char *z = NULL;
	_cleanup_free_ char *bad = NULL;
	size_t zlen;

	z = gzip_members(d, strlen(d), 2, &zlen);
	bad = malloc(zlen + 8);
	assert_non_null(bad);

	/* truncated in the middle, or just before the trailer ends */
	for (size_t cut = 3; cut < zlen; cut += 5) {
		_cleanup_(reader_freep) struct reader *r = NULL;
		_cleanup_free_ char *got = NULL;
		int k;

		assert_int_equal(reader_open_memory(z, cut, &o, &r), 0);
		got = render(r);
		assert_non_null(strstr(got, "!5\n"));
		k = reader_next(r);
		assert_int_equal(k, -EIO);
	}
	{
		_cleanup_(reader_freep) struct reader *r = NULL;

		assert_int_equal(reader_open_memory(z, zlen - 1, &o, &r), 0);
		while (reader_next(r) > 0)
			;
		assert_int_equal(reader_next(r), -EIO);
		assert_string_equal(reader_error(r),
		    "Failed to decompress: truncated gzip stream");
	}
	/* corrupt deflate data */
	memcpy(bad, z, zlen);
	bad[12] ^= 0x55;
	bad[13] ^= 0xff;
	check_all_chunks(bad, zlen, &o, "!5\n");
	/* trailing bytes that are not a member */
	memcpy(bad, z, zlen);
	memcpy(bad + zlen, "junk", 4);
	check_all_chunks(bad, zlen + 4, &o,
	    "2:1|2\n3:3|4\n4:5|6\n5:7|8\n!5\n");
	bad[zlen] = 0x1f;
	check_all_chunks(bad, zlen + 1, &o,
	    "2:1|2\n3:3|4\n4:5|6\n5:7|8\n!5\n");
	{
		_cleanup_(reader_freep) struct reader *r = NULL;

		assert_int_equal(reader_open_memory(bad, zlen + 4, &o, &r), 0);
		while (reader_next(r) > 0)
			;
		assert_string_equal(reader_error(r),
		    "Failed to decompress: trailing data after gzip stream");
	}
	/* the magic alone */
	check_all_chunks("\x1f\x8b", 2, &o, "!5\n");
}

/* Whatever the damage, the records read before the failure are the same
 * for every chunk size: cut the stream everywhere, and flip each byte. */
static void
t_gzip_damage_chunk_independent(void **state)
{
	struct reader_options o = { .format = READER_CSV };
	struct buf d = BUF_INIT(0);
	_cleanup_free_ char *z = NULL;
	_cleanup_free_ char *bad = NULL;
	size_t zlen;

	buf_append_str(&d, "id,v\n");
	for (int i = 0; i < 40; i++)
		buf_printf(&d, "%d,\"value %d\nsecond line\"\n", i, i * 7919);
	z = gzip_members(d.data, d.len, 3, &zlen);
	buf_free(&d);
	bad = malloc(zlen);
	assert_non_null(bad);
	for (size_t cut = 0; cut < zlen; cut += 3) {
		_cleanup_free_ char *want = render_memory(z, cut, &o, 0);

		check_all_chunks(z, cut, &o, want);
	}
	for (size_t i = 10; i < zlen; i += 7) {
		_cleanup_free_ char *want = NULL;

		memcpy(bad, z, zlen);
		bad[i] ^= 0x21;
		want = render_memory(bad, zlen, &o, 0);
		check_all_chunks(bad, zlen, &o, want);
	}
}

static char *
slurp(const char *path, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT(0);
	char tmp[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		assert_int_equal(buf_append(&b, tmp, n), 0);
	*ret_len = b.len;
	if (!b.data)
		buf_append(&b, "", 0);
	return buf_steal(&b);
}

static void
check_file(const char *name, enum reader_format format, size_t chunk,
    const char *expected)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = format };
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *bytes = NULL;
	_cleanup_free_ char *got = NULL;
	uint8_t want[SHA256_LEN], fp[SHA256_LEN];
	size_t len;

	assert_true(asprintf(&path, "%s%s", DATA, name) > 0);
	bytes = slurp(path, &len);
	sha256(bytes, len, want);
	assert_int_equal(reader_open(path, &o, &r), 0);
	if (chunk)
		assert_int_equal(reader_set_chunk_size(r, chunk), 0);
	reader_fingerprint(r, fp);
	assert_memory_not_equal(fp, want, SHA256_LEN);
	got = render(r);
	assert_string_equal(got, expected);
	reader_fingerprint(r, fp);
	assert_memory_equal(fp, want, SHA256_LEN);
	assert_int_equal(reader_bytes(r), len);
}

static void
t_files(void **state)
{
	static const char people[] =
	    "2:1|Ada Example|ada@example.com|+44 20 7946 0018\n"
	    "3:2|Bob \"B\" Example|bob@example.org|\n"
	    "4:3|Multi\nLine|c@example.net|415-555-2671\n"
	    "6:!\n"
	    "7:5|Eve|eve@example.com|01 23 45 67 89\n";
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64 };

	for (size_t i = 0; i < ELEMENTSOF(chunks); i++) {
		check_file("people.csv", READER_CSV, chunks[i], people);
		check_file("people.csv.gz", READER_CSV, chunks[i], people);
		check_file("people-multi.csv.gz", READER_CSV, chunks[i],
		    people);
		check_file("people.tsv", READER_TSV, chunks[i],
		    "2:1|Ada|ada@example.com\n3:2|Bob|\\tbob\n");
		check_file("events.jsonl", READER_JSONL, chunks[i],
		    "1:1|login|ada@example.com\n"
		    "2:!\n"
		    "4:2|logout|~|10.0.0.1\n");
		check_file("truncated.csv.gz", READER_CSV, chunks[i],
		    "2:1|Ada Example|ada@example.com|+44 20 7946 0018\n!5\n");
	}
}

static void
t_open_errors(void **state)
{
	struct reader *r = (struct reader *)0x1;
	struct reader_options o = { .format = READER_CSV };
	struct reader_options bad = { .format = (enum reader_format)7 };

	assert_int_equal(reader_open(DATA "no-such-file.csv", &o, &r),
	    -ENOENT);
	assert_int_equal(reader_open(DATA, &o, &r), -EISDIR);
	assert_int_equal(reader_open(DATA "people.csv", &bad, &r), -EINVAL);
	assert_int_equal(reader_open_memory(NULL, 3, &o, &r), -EINVAL);
	assert_ptr_equal(r, (struct reader *)0x1);
	r = NULL;
	assert_int_equal(reader_open_memory(NULL, 0, &o, &r), 0);
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(reader_set_chunk_size(r, 16), -EBUSY);
	reader_free(r);
	reader_free(NULL);
}

/* A few MiB of records of varied lengths, with quoted fields and line
 * breaks, read with the default chunk size so that records straddle it,
 * and checked record by record against what was generated. */
static void
t_large_straddling(void **state)
{
	struct reader_options o = { .format = READER_CSV };
	struct buf d = BUF_INIT(0);
	_cleanup_(reader_freep) struct reader *r = NULL;
	_cleanup_free_ char *data = NULL;
	uint64_t seed = 12345, line = 2;
	size_t nrec = 60000, len;
	char want[600];

	buf_append_str(&d, "id,text,n\n");
	for (size_t i = 0; i < nrec; i++) {
		size_t tl;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		tl = (seed >> 33) % 300;
		buf_printf(&d, "%zu,\"", i);
		for (size_t j = 0; j < tl; j++)
			buf_append_byte(&d, j % 97 == 50 ? '\n' :
			    (j % 61 == 7 ? ',' : 'a' + j % 26));
		buf_printf(&d, "\",%zu\n", tl);
	}
	len = d.len;
	data = buf_steal(&d);
	assert_true(len > 4 * READER_CHUNK_DEFAULT);
	assert_int_equal(reader_open_memory(data, len, &o, &r), 0);
	seed = 12345;
	for (size_t i = 0; i < nrec; i++) {
		struct reader_field f;
		size_t tl, nl = 0;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		tl = (seed >> 33) % 300;
		for (size_t j = 0; j < tl; j++) {
			want[j] = j % 97 == 50 ? '\n' :
			    (j % 61 == 7 ? ',' : 'a' + j % 26);
			nl += want[j] == '\n';
		}
		assert_int_equal(reader_next(r), 1);
		assert_int_equal(reader_line(r), line);
		f = reader_field(r, 1);
		assert_int_equal(f.len, tl);
		assert_memory_equal(f.value, want, tl);
		line += 1 + nl;
	}
	assert_int_equal(reader_next(r), 0);
}

/* A random field for t_fast_path: plain, quoted (with delimiters, a
 * doubled quote or a line break inside, now and then), empty, long, or
 * malformed (a stray quote, bytes after a closing one). */
static void
random_field(struct buf *d, uint64_t *seed, char delim)
{
	static const char plain[] = "abcXYZ0123456789 .@-+:";
	size_t kind, n;

	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	kind = (*seed >> 33) % 20;
	n = (*seed >> 45) % (kind == 0 ? 90 : 24);
	if (kind == 1)
		return; /* empty */
	if (kind >= 2 && kind <= 6) {
		buf_append_byte(d, '"');
		for (size_t i = 0; i < n; i++)
			buf_append_byte(d, i % 7 == 3 ? delim :
			    plain[(*seed >> (i % 40)) % (sizeof(plain) - 1)]);
		if (kind == 3)
			buf_append_str(d, "\"\"");
		if (kind == 4 && n % 3 == 0)
			buf_append_byte(d, '\n');
		buf_append_byte(d, '"');
		if (kind == 5 && n % 4 == 0)
			buf_append_byte(d, 'x');
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf_append_byte(d, plain[(*seed >> (i % 40)) %
		    (sizeof(plain) - 1)]);
	if (kind == 7 && n % 5 == 0)
		buf_append_byte(d, '"');
	if (kind == 8 && n % 5 == 0)
		buf_append_byte(d, '\r');
}

/* Records are split 64 bytes at a time where they can be (whole records
 * in the window, no doubled quote or line break in a quoted field); one
 * byte at a time the reader never has 64 bytes ahead and parses with its
 * state machine alone. Both must read random data the same way, at
 * default and at small limits, for CSV and TSV. */
static void
t_fast_path(void **state)
{
	static const struct reader_options opts[] = {
		{ .format = READER_CSV },
		{ .format = READER_CSV, .max_field = 20, .max_record = 150 },
		{ .format = READER_TSV },
		{ .format = READER_TSV, .max_field = 20, .max_record = 150 },
	};
	uint64_t seed = 99;

	for (size_t round = 0; round < 40; round++) {
		const struct reader_options *o = &opts[round % 4];
		const char delim = o->format == READER_TSV ? '\t' : ',';
		struct buf d = BUF_INIT(0);
		_cleanup_free_ char *data = NULL, *fast = NULL, *slow = NULL;
		size_t len;

		buf_append_str(&d, o->format == READER_TSV ?
		    "a\tb\tc\td\te\n" : "a,b,c,d,e\n");
		for (size_t rec = 0; rec < 400; rec++) {
			size_t nf;

			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			nf = (seed >> 60) == 0 ? 4 : (seed >> 60) == 1 ? 6 : 5;
			if ((seed >> 33) % 50 == 0)
				buf_append_str(&d, (seed >> 40) % 2 ? "\n" :
				    "\r\n");
			for (size_t f = 0; f < nf; f++) {
				if (f > 0)
					buf_append_byte(&d, delim);
				random_field(&d, &seed, delim);
			}
			buf_append_str(&d, (seed >> 50) % 4 == 0 ? "\r\n" :
			    "\n");
		}
		len = d.len;
		data = buf_steal(&d);
		fast = render_memory(data, len, o, 0);
		slow = render_memory(data, len, o, 1);
		if (strcmp(fast, slow) != 0)
			fail_msg("round %zu: 64 bytes at a time\n%s\n"
			    "byte by byte\n%s", round, fast, slow);
	}
}

/* A FIFO (or any non-regular file) is refused at once, not read. */
static void
t_open_refuses_fifo(void **state)
{
	struct reader_options opt = { .format = READER_CSV };
	struct reader *r = NULL;
	char dir[] = "/tmp/consentd-reader-XXXXXX", path[64];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.csv", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(reader_open(path, &opt, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(reader_open(dir, &opt, &r), -EISDIR);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_format_names),
		cmocka_unit_test(t_open_refuses_fifo),
		cmocka_unit_test(t_csv_basic),
		cmocka_unit_test(t_csv_quotes),
		cmocka_unit_test(t_csv_embedded_newlines),
		cmocka_unit_test(t_csv_bom_blank_lines),
		cmocka_unit_test(t_csv_empty_fields),
		cmocka_unit_test(t_csv_field_counts),
		cmocka_unit_test(t_csv_malformed_quotes),
		cmocka_unit_test(t_csv_header_errors),
		cmocka_unit_test(t_csv_limits),
		cmocka_unit_test(t_csv_huge_field_bounded),
		cmocka_unit_test(t_tsv),
		cmocka_unit_test(t_jsonl),
		cmocka_unit_test(t_jsonl_columns),
		cmocka_unit_test(t_jsonl_limits),
		cmocka_unit_test(t_jsonl_values),
		cmocka_unit_test(t_gzip),
		cmocka_unit_test(t_gzip_errors),
		cmocka_unit_test(t_gzip_damage_chunk_independent),
		cmocka_unit_test(t_files),
		cmocka_unit_test(t_open_errors),
		cmocka_unit_test(t_large_straddling),
		cmocka_unit_test(t_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
