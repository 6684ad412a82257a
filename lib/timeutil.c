/* RFC 3339 times and human durations. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

usec_t
now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

usec_t
now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

uint64_t
now_monotonic_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) +
	    (uint64_t)ts.tv_nsec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timegm/TZ dependency. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
parse_digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return 0;
}

int
time_parse_rfc3339(const char *s, usec_t *ret)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int year, mon, day, hour = 0, min = 0, sec = 0, frac_usec = 0;
	int64_t offset = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' ||
	    parse_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
	    parse_digits(&p, 2, &day) < 0)
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1)
		return -EINVAL;
	if (day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
		return -EINVAL;
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' ||
	    parse_digits(&p, 2, &min) < 0 || *p++ != ':' ||
	    parse_digits(&p, 2, &sec) < 0)
		return -EINVAL;
	/* 60 is a leap second; it folds into the next second. */
	if (hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	if (*p == '.') {
		int scale = 100000, n = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale > 0)
				frac_usec += (*p - '0') * scale;
			scale /= 10;
			p++;
			n++;
		}
		if (n == 0)
			return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (parse_digits(&p, 2, &oh) < 0 || *p++ != ':' ||
		    parse_digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -EINVAL;
		offset = sign * ((int64_t)oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
done:
	*ret = ((days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 +
		    hour * 3600 + min * 60 + sec - offset) *
		       USEC_PER_SEC +
	    frac_usec);
	return 0;
}

char *
time_format_rfc3339(usec_t t, char *out)
{
	int64_t secs = t / USEC_PER_SEC, usec = t % USEC_PER_SEC;
	int64_t days, y;
	unsigned m, d;
	int rem;

	if (usec < 0) {
		usec += USEC_PER_SEC;
		secs--;
	}
	days = secs / 86400;
	rem = (int)(secs % 86400);
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (usec)
		snprintf(out, TIME_RFC3339_MAX,
		    "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ", (long long)y, m,
		    d, rem / 3600, rem / 60 % 60, rem % 60, (long long)usec);
	else
		snprintf(out, TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
		    (long long)y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
	return out;
}

static const struct {
	const char *suffix;
	usec_t usec;
} duration_units[] = {
	/* Longest suffix first where one is a prefix of another. */
	{ "us", 1 },
	{ "ms", USEC_PER_MSEC },
	{ "s", USEC_PER_SEC },
	{ "min", USEC_PER_MIN },
	{ "m", USEC_PER_MIN },
	{ "h", USEC_PER_HOUR },
	{ "d", USEC_PER_DAY },
	{ "w", USEC_PER_WEEK },
};

int
duration_parse(const char *s, usec_t *ret)
{
	usec_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		uint64_t n = 0;
		const char *start = p;
		size_t best = 0;
		usec_t unit = 0;

		while (isdigit((unsigned char)*p)) {
			if (n > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p == start)
			return -EINVAL;
		for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
			size_t l = strlen(duration_units[i].suffix);
			if (strncmp(p, duration_units[i].suffix, l) == 0 &&
			    !isalpha((unsigned char)p[l]) && l > best) {
				best = l;
				unit = duration_units[i].usec;
			}
		}
		if (best == 0) {
			/* A bare number means seconds, only on its own. */
			if (*p != '\0' || start != s)
				return -EINVAL;
			unit = USEC_PER_SEC;
		}
		p += best;
		if (n > (uint64_t)(INT64_MAX / unit) ||
		    total > INT64_MAX - (usec_t)n * unit)
			return -ERANGE;
		total += (usec_t)n * unit;
	}
	*ret = total;
	return 0;
}

char *
duration_format(usec_t d, char *out, size_t outlen)
{
	static const struct {
		const char *suffix;
		usec_t usec;
	} units[] = {
		{ "d", USEC_PER_DAY }, { "h", USEC_PER_HOUR },
		{ "m", USEC_PER_MIN }, { "s", USEC_PER_SEC },
		{ "ms", USEC_PER_MSEC }, { "us", 1 },
	};
	size_t o = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (d <= 0) {
		snprintf(out, outlen, "0");
		return out;
	}
	for (size_t i = 0; i < ELEMENTSOF(units) && d > 0; i++) {
		if (d >= units[i].usec) {
			int n = snprintf(out + o, outlen - o, "%lld%s",
			    (long long)(d / units[i].usec), units[i].suffix);
			if (n < 0 || (size_t)n >= outlen - o) {
				/* Drop the unit that did not fit whole. */
				out[o] = '\0';
				break;
			}
			o += (size_t)n;
			d %= units[i].usec;
		}
	}
	return out;
}
