/* Dataset readers: input (file or memory, gzip), the window, columns, API. */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "reader-internal.h"

#define READER_GZIP_WINDOW_BITS (15 + 16)

int
reader_format_from_string(const char *s, enum reader_format *ret)
{
	enum reader_format f;

	if (streq(s, "csv"))
		f = READER_CSV;
	else if (streq(s, "tsv"))
		f = READER_TSV;
	else if (streq(s, "jsonl") || streq(s, "ndjson"))
		f = READER_JSONL;
	else
		return -EINVAL;
	*ret = f;
	return 0;
}

static bool
reader_has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

int
reader_format_from_path(const char *path, enum reader_format *ret)
{
	static const struct {
		const char *suffix;
		enum reader_format format;
	} table[] = {
		{ ".csv", READER_CSV },
		{ ".tsv", READER_TSV },
		{ ".tab", READER_TSV },
		{ ".jsonl", READER_JSONL },
		{ ".ndjson", READER_JSONL },
	};
	size_t len;

	if (!path)
		return -EINVAL;
	len = strlen(path);
	if (reader_has_suffix(path, len, ".gz"))
		len -= 3;
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (reader_has_suffix(path, len, table[i].suffix)) {
			*ret = table[i].format;
			return 0;
		}
	return -EINVAL;
}

void
reader_set_error(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
}

static int
reader_new(const struct reader_options *opt, struct reader **ret)
{
	struct reader *r;

	if (!opt || (opt->format != READER_CSV && opt->format != READER_TSV &&
	    opt->format != READER_JSONL))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->format = opt->format;
	r->max_field = opt->max_field ? opt->max_field :
	    READER_MAX_FIELD_DEFAULT;
	r->max_columns = opt->max_columns ? opt->max_columns :
	    READER_MAX_COLUMNS_DEFAULT;
	r->max_record = opt->max_record ? opt->max_record :
	    READER_MAX_RECORD_DEFAULT;
	if (r->max_columns > UINT32_MAX - 1)
		r->max_columns = UINT32_MAX - 1;
	r->chunk = READER_CHUNK_DEFAULT;
	r->line = 1;
	r->text = BUF_INIT(0);
	r->keypath = BUF_INIT(4096);
	r->sha = sha256_stream_new();
	if (!r->sha) {
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

int
reader_open(const char *path, const struct reader_options *opt,
    struct reader **ret)
{
	struct reader *r = NULL;
	struct stat st;
	int fd, k;

	if (!path)
		return -EINVAL;
	/* Non-blocking, so that a FIFO cannot stall the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		k = -errno;
		close(fd);
		return k;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	/* Datasets are regular files: a FIFO or device could block a worker
	 * forever or never end. */
	if (!S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(fd);
		return -EINVAL;
	}
	k = reader_new(opt, &r);
	if (k < 0) {
		close(fd);
		return k;
	}
	r->fd = fd;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*ret = r;
	return 0;
}

int
reader_open_memory(const void *data, size_t len,
    const struct reader_options *opt, struct reader **ret)
{
	struct reader *r = NULL;
	int k;

	if (!data && len > 0)
		return -EINVAL;
	k = reader_new(opt, &r);
	if (k < 0)
		return k;
	r->mem = data;
	r->mem_len = len;
	*ret = r;
	return 0;
}

int
reader_set_chunk_size(struct reader *r, size_t size)
{
	if (!r || size == 0 || size > ((size_t)1 << 30))
		return -EINVAL;
	if (r->started)
		return -EBUSY;
	r->chunk = size;
	return 0;
}

void
reader_free(struct reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->zs_init)
		inflateEnd(&r->zs);
	sha256_stream_free(r->sha);
	if (r->format == READER_JSONL)
		reader_jsonl_release(r);
	buf_free(&r->text);
	buf_free(&r->keypath);
	for (size_t i = 0; i < r->ncolumns; i++)
		free(r->names[i]);
	free(r->names);
	free(r->htab);
	free(r->spans);
	free(r->fields);
	free(r->win);
	free(r->rawbuf);
	free(r);
}

/* Raw input. */

static void
reader_raw_account(struct reader *r, const uint8_t *p, size_t n)
{
	sha256_stream_update(r->sha, p, n);
	r->nbytes += n;
}

static void
reader_raw_finish(struct reader *r)
{
	r->raw_eof = true;
	if (!r->digest_done) {
		sha256_stream_final(r->sha, r->digest);
		r->digest_done = true;
	}
}

/* Reads up to n bytes of the file into dst, hashed and counted. Returns
 * the number read, 0 at the end of the input, or -errno. */
static int
reader_raw_read(struct reader *r, uint8_t *dst, size_t n)
{
	ssize_t k;

	n = MIN(n, (size_t)INT32_MAX);
	do
		k = read(r->fd, dst, n);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		k = -errno;
		reader_set_error(r, "Failed to read: %s", strerror((int)-k));
		return (int)k;
	}
	if (k == 0) {
		reader_raw_finish(r);
		return 0;
	}
	reader_raw_account(r, dst, (size_t)k);
	return (int)k;
}

/* Appends up to one chunk of raw bytes to the pending ones. Returns the
 * number added, 0 at the end of the input, or -errno. */
static int
reader_raw_more(struct reader *r)
{
	size_t n;
	int k;

	if (r->raw_eof)
		return 0;
	if (r->fd < 0) {
		/* Memory: the pending bytes are a window onto the data. */
		n = MIN(r->chunk, r->mem_len - r->mem_off);
		if (n == 0) {
			reader_raw_finish(r);
			return 0;
		}
		if (r->raw_len == 0)
			r->raw = r->mem + r->mem_off;
		reader_raw_account(r, r->mem + r->mem_off, n);
		r->mem_off += n;
		r->raw_len += n;
		return (int)MIN(n, (size_t)INT32_MAX);
	}
	if (!r->rawbuf) {
		r->rawbuf_cap = MAX(r->chunk, (size_t)16);
		r->rawbuf = malloc(r->rawbuf_cap);
		if (!r->rawbuf)
			return -ENOMEM;
	}
	if (r->raw_len > 0 && r->raw != r->rawbuf)
		memmove(r->rawbuf, r->raw, r->raw_len);
	r->raw = r->rawbuf;
	n = MIN(r->chunk, r->rawbuf_cap - r->raw_len);
	if (n == 0)
		return -ENOBUFS;
	k = reader_raw_read(r, r->rawbuf + r->raw_len, n);
	if (k > 0)
		r->raw_len += (size_t)k;
	return k;
}

static void
reader_raw_consume(struct reader *r, size_t n)
{
	r->raw += n;
	r->raw_len -= n;
}

static int
reader_start(struct reader *r)
{
	int k;

	r->started = true;
	while (r->raw_len < 2) {
		k = reader_raw_more(r);
		if (k < 0)
			return k;
		if (k == 0)
			break;
	}
	if (r->raw_len >= 2 && r->raw[0] == 0x1f && r->raw[1] == 0x8b) {
		r->gzip = true;
		k = inflateInit2(&r->zs, READER_GZIP_WINDOW_BITS);
		if (k != Z_OK) {
			reader_set_error(r, "Failed to start gzip decoding");
			return k == Z_MEM_ERROR ? -ENOMEM : -EIO;
		}
		r->zs_init = true;
	}
	return 0;
}

/* Decodes into [win_len, win_len + room). Returns bytes produced, 0 at the
 * end of the stream, or -errno. */
static int
reader_inflate(struct reader *r, size_t room)
{
	char saved[READER_ERRMSG_MAX];
	z_stream *zs = &r->zs;
	int k, z;

	memcpy(saved, r->errmsg, sizeof(saved));
	if (r->gz_error < 0) {
		memcpy(r->errmsg, r->gz_errmsg, sizeof(r->errmsg));
		return r->gz_error;
	}
	for (;;) {
		size_t in_before, out_before, produced;

		if (r->raw_len == 0 && !r->raw_eof) {
			k = reader_raw_more(r);
			if (k < 0)
				return k;
		}
		/* inflateReset() zeroes total_in: nothing of a next member
		 * was seen, so the data ended cleanly. */
		if (r->raw_len == 0 && r->raw_eof && r->gz_boundary &&
		    zs->total_in == 0)
			return 0;
		zs->next_in = (Bytef *)r->raw;
		zs->avail_in = (uInt)MIN(r->raw_len, (size_t)UINT32_MAX);
		zs->next_out = (Bytef *)r->win + r->win_len;
		zs->avail_out = (uInt)MIN(room, (size_t)UINT32_MAX);
		in_before = zs->avail_in;
		out_before = zs->avail_out;
		z = inflate(zs, Z_NO_FLUSH);
		reader_raw_consume(r, in_before - zs->avail_in);
		produced = out_before - zs->avail_out;
		if (produced > 0)
			r->gz_boundary = false;
		switch (z) {
		case Z_STREAM_END:
			/* Another member may follow (concatenated gzip). */
			k = inflateReset(zs);
			if (k != Z_OK) {
				reader_set_error(r, "Failed to decompress");
				return -EIO;
			}
			r->gz_boundary = true;
			if (produced > 0)
				return (int)produced;
			continue;
		case Z_OK:
		case Z_BUF_ERROR:
			if (produced > 0)
				return (int)produced;
			if (r->raw_len > 0 || !r->raw_eof) {
				if (in_before != zs->avail_in)
					continue;
				/* zlib made no progress with input and
				 * room to spare: give up rather than spin */
				reader_set_error(r, "Failed to decompress");
				return -EIO;
			}
			/* all input given and nothing more comes out */
			reader_set_error(r, "Failed to decompress: truncated "
			    "gzip stream");
			return -EIO;
		case Z_MEM_ERROR:
			k = -ENOMEM;
			reader_set_error(r, "Failed to decompress: out of "
			    "memory");
			break;
		default:
			k = -EIO;
			if (r->gz_boundary)
				reader_set_error(r, "Failed to decompress: "
				    "trailing data after gzip stream");
			else
				reader_set_error(r, "Failed to decompress: "
				    "corrupt gzip data (%s)",
				    zs->msg ? zs->msg : "unknown error");
			break;
		}
		if (produced == 0)
			return k;
		/* Hand out what was decoded before the damage, so that the
		 * records read never depend on the chunk size; fail on the
		 * next call. The parser's own message stays in place. */
		r->gz_error = k;
		memcpy(r->gz_errmsg, r->errmsg, sizeof(r->gz_errmsg));
		memcpy(r->errmsg, saved, sizeof(r->errmsg));
		return (int)produced;
	}
}

static void
reader_shift(size_t *off, size_t keep)
{
	*off = *off >= keep ? *off - keep : 0;
}

int
reader_fill(struct reader *r, size_t keep)
{
	size_t kept, room;
	int k;

	if (r->eof)
		return 0;
	if (!r->started) {
		k = reader_start(r);
		if (k < 0)
			return k;
	}
	if (keep > r->win_len)
		keep = r->win_len;
	kept = r->win_len - keep;
	if (keep > 0) {
		if (kept > 0)
			memmove(r->win, r->win + keep, kept);
		r->win_len = kept;
		reader_shift(&r->pos, keep);
		reader_shift(&r->rec_start, keep);
		reader_shift(&r->fld_start, keep);
		reader_shift(&r->wr, keep);
	}
	if (r->win_cap - r->win_len < r->chunk) {
		size_t cap = r->win_cap ? r->win_cap : r->chunk * 2;
		char *p;

		while (cap - r->win_len < r->chunk) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		p = realloc(r->win, cap);
		if (!p)
			return -ENOMEM;
		r->win = p;
		r->win_cap = cap;
	}
	room = MIN(r->chunk, r->win_cap - r->win_len);
	if (r->gzip) {
		k = reader_inflate(r, room);
	} else if (r->raw_len == 0 && r->fd >= 0) {
		/* Plain data from a file: read straight into the window. */
		k = r->raw_eof ? 0 : reader_raw_read(r,
		    (uint8_t *)r->win + r->win_len, room);
	} else {
		if (r->raw_len == 0) {
			k = reader_raw_more(r);
			if (k < 0)
				return k;
		}
		k = (int)MIN(MIN(room, r->raw_len), (size_t)INT32_MAX);
		if (k > 0) {
			memcpy(r->win + r->win_len, r->raw, (size_t)k);
			reader_raw_consume(r, (size_t)k);
		}
	}
	if (k < 0)
		return k;
	if (k == 0) {
		r->eof = true;
		/* Bytes after the end of the data still count as stored. */
		while (!r->raw_eof) {
			int m = reader_raw_more(r);

			if (m < 0)
				return m;
			r->raw_len = 0;
		}
		return 0;
	}
	r->win_len += (size_t)k;
	return k;
}

int
reader_spans_reserve(struct reader *r, size_t n)
{
	struct reader_span *p;
	size_t cap;

	if (n <= r->spans_cap)
		return 0;
	cap = MAX(r->spans_cap * 2, MAX(n, (size_t)16));
	p = reallocarray(r->spans, cap, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->spans = p;
	r->spans_cap = cap;
	return 0;
}

int
reader_fields_reserve(struct reader *r, size_t n)
{
	struct reader_field *p;
	size_t cap;

	if (n <= r->fields_cap)
		return 0;
	cap = MAX(r->fields_cap * 2, MAX(n, (size_t)16));
	p = reallocarray(r->fields, cap, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + r->fields_cap, 0, (cap - r->fields_cap) * sizeof(*p));
	r->fields = p;
	r->fields_cap = cap;
	return 0;
}

/* Columns. */

static uint64_t
reader_hash(const char *s, size_t len)
{
	/* FNV-1a: column names are short; collisions only cost probes. */
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

int
reader_column_find(const struct reader *r, const char *name, size_t len,
    size_t *ret)
{
	size_t mask, i;

	if (r->htab_cap == 0)
		return -ENOENT;
	mask = r->htab_cap - 1;
	for (i = reader_hash(name, len) & mask; r->htab[i]; i = (i + 1) & mask) {
		size_t c = r->htab[i] - 1;

		if (strlen(r->names[c]) == len &&
		    memcmp(r->names[c], name, len) == 0) {
			*ret = c;
			return 0;
		}
	}
	return -ENOENT;
}

static int
reader_htab_grow(struct reader *r)
{
	size_t cap = r->htab_cap ? r->htab_cap * 2 : 64;
	uint32_t *t;

	t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t c = 0; c < r->ncolumns; c++) {
		size_t i = reader_hash(r->names[c], strlen(r->names[c])) &
		    (cap - 1);

		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = (uint32_t)(c + 1);
	}
	free(r->htab);
	r->htab = t;
	r->htab_cap = cap;
	return 0;
}

int
reader_column_add(struct reader *r, const char *name, size_t len,
    size_t *ret)
{
	size_t c, i;
	char *copy;
	int k;

	if (memchr(name, '\0', len))
		return -EINVAL;
	if (reader_column_find(r, name, len, &c) == 0)
		return -EEXIST;
	if (r->ncolumns >= r->max_columns)
		return -E2BIG;
	if ((r->ncolumns + 1) * 2 > r->htab_cap) {
		k = reader_htab_grow(r);
		if (k < 0)
			return k;
	}
	if (r->ncolumns == r->names_cap) {
		size_t cap = r->names_cap ? r->names_cap * 2 : 16;
		char **p = reallocarray(r->names, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->names = p;
		r->names_cap = cap;
	}
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	c = r->ncolumns++;
	r->names[c] = copy;
	for (i = reader_hash(name, len) & (r->htab_cap - 1); r->htab[i];
	    i = (i + 1) & (r->htab_cap - 1))
		;
	r->htab[i] = (uint32_t)(c + 1);
	*ret = c;
	return 0;
}

size_t
reader_ncolumns(const struct reader *r)
{
	return r ? r->ncolumns : 0;
}

const char *
reader_column_name(const struct reader *r, size_t i)
{
	return r && i < r->ncolumns ? r->names[i] : NULL;
}

int
reader_column_index(const struct reader *r, const char *name, size_t *ret)
{
	size_t c;
	int k;

	if (!r || !name)
		return -EINVAL;
	k = reader_column_find(r, name, strlen(name), &c);
	if (k < 0)
		return k;
	*ret = c;
	return 0;
}

/* Records. */

int
reader_next(struct reader *r)
{
	int k;

	if (!r)
		return -EINVAL;
	if (r->fatal < 0)
		return r->fatal;
	r->nfields = 0;
	r->errmsg[0] = '\0';
	if (!r->started) {
		/* A UTF-8 byte order mark may precede the first record. */
		while (r->win_len < 3 && !r->eof) {
			k = reader_fill(r, 0);
			if (k < 0)
				goto fail;
		}
		if (r->win_len >= 3 && memcmp(r->win, "\xef\xbb\xbf", 3) == 0)
			r->pos = 3;
	}
	if (r->format == READER_JSONL)
		k = reader_jsonl_next(r);
	else
		k = reader_text_next(r);
	if (k >= 0 || k == -EBADMSG)
		return k;
fail:
	if (r->errmsg[0] == '\0')
		reader_set_error(r, "Failed to read: %s", strerror(-k));
	r->nfields = 0;
	r->fatal = k;
	return k;
}

struct reader_field
reader_field(const struct reader *r, size_t i)
{
	if (!r || i >= r->nfields)
		return (struct reader_field){ NULL, 0 };
	return r->fields[i];
}

const struct reader_field *
reader_fields(const struct reader *r, size_t *ret_n)
{
	*ret_n = r ? r->nfields : 0;
	return r ? r->fields : NULL;
}

uint64_t
reader_line(const struct reader *r)
{
	return r ? r->rec_line : 0;
}

uint64_t
reader_record_number(const struct reader *r)
{
	return r ? r->nrecords : 0;
}

const char *
reader_error(const struct reader *r)
{
	if (!r || r->errmsg[0] == '\0')
		return NULL;
	return r->errmsg;
}

uint64_t
reader_bytes(const struct reader *r)
{
	return r ? r->nbytes : 0;
}

void
reader_fingerprint(const struct reader *r, uint8_t out[SHA256_LEN])
{
	if (r && r->digest_done)
		memcpy(out, r->digest, SHA256_LEN);
	else
		memset(out, 0, SHA256_LEN);
}
