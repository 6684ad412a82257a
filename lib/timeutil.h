/* Times as microseconds since the Unix epoch; RFC 3339 and durations. */
#ifndef CONSENTD_TIMEUTIL_H
#define CONSENTD_TIMEUTIL_H

#include "macro.h"

typedef int64_t usec_t;

#define USEC_PER_MSEC INT64_C(1000)
#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_MIN (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK (7 * USEC_PER_DAY)

usec_t now_realtime(void);
usec_t now_monotonic(void);
/* The monotonic clock in nanoseconds, for timing short pieces of work. */
uint64_t now_monotonic_nsec(void);

/* Parses RFC 3339 ("2026-11-29T10:00:00Z", "...T10:00:00.5+01:00"); also a
 * bare date ("2026-11-29", midnight UTC). -EINVAL on anything else. */
int time_parse_rfc3339(const char *s, usec_t *ret);
/* Formats in UTC with a Z suffix; fractional seconds only when non-zero.
 * out must hold TIME_RFC3339_MAX bytes. */
#define TIME_RFC3339_MAX 40
char *time_format_rfc3339(usec_t t, char *out);

/* Parses "730d", "12h", "500ms", "1h30m", "2w", "45s", "10us"; a bare
 * number is seconds. Negative, empty or overflowing values: -EINVAL/-ERANGE. */
int duration_parse(const char *s, usec_t *ret);
/* Formats in the largest exact units, e.g. "1d12h". out: 64 bytes. */
char *duration_format(usec_t d, char *out, size_t outlen);

#endif
