/* Small macros shared by every module: cleanup attributes, sizes, ownership. */
#ifndef CONSENTD_MACRO_H
#define CONSENTD_MACRO_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _must_check_ __attribute__((warn_unused_result))

/* Hands ownership of *p to the caller and leaves NULL behind, so that a
 * cleanup attribute on the source does not free it. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _ptr_ = (p);                                     \
		(p) = NULL;                                                    \
		_ptr_;                                                         \
	})
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _fd_ = (fd);                                               \
		(fd) = -1;                                                     \
		_fd_;                                                          \
	})

static inline void
freep(void *p)
{
	free(*(void **)p);
}
static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares a cleanup helper calling func on *p when non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                \
	static inline void func##p(type *p)                                    \
	{                                                                      \
		if (*p)                                                        \
			func(*p);                                              \
	}

static inline bool
streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}

/* Little-endian words from unaligned bytes, each read alone: 8, 4, and n
 * (0 to 7, the first byte lowest, from overlapping loads). For packing a
 * short byte string into words without copying it bytewise first: a
 * word loaded right after such a copy waits for the stores it overlaps. */
static inline uint64_t
load_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline uint32_t
load_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t
load_le_short(const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n >= 4)
		return load_le32(b) | (uint64_t)load_le32(b + n - 4) <<
		    (8 * (n - 4));
	if (n == 0)
		return 0;
	return (uint64_t)b[0] | (uint64_t)b[n / 2] << (8 * (n / 2)) |
	    (uint64_t)b[n - 1] << (8 * (n - 1));
}

#endif
