/* Growable byte buffers with a hard maximum, for anything built from input. */
#ifndef CONSENTD_BUF_H
#define CONSENTD_BUF_H

#include "macro.h"

struct buf {
	char *data;  /* owned; always NUL-terminated when non-NULL */
	size_t len;  /* bytes used, excluding the terminating NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* appends that would exceed this fail with -E2BIG; 0 = 1 GiB */
};

#define BUF_INIT(maxlen) ((struct buf){ .max = (maxlen) })

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_byte(struct buf *b, uint8_t c);
int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
/* Big-endian integers, for binary encodings. */
int buf_append_u16be(struct buf *b, uint16_t v);
int buf_append_u32be(struct buf *b, uint32_t v);
int buf_append_u64be(struct buf *b, uint64_t v);
void buf_reset(struct buf *b);
/* Frees the storage; if the buffer may hold secrets, wipes it first. */
void buf_free(struct buf *b);
void buf_free_secret(struct buf *b);
/* Gives the caller the data (never NULL on success) and empties the buffer. */
char *buf_steal(struct buf *b);

#define _cleanup_buf_ _cleanup_(buf_free)

#endif
