/* Unit tests for lib/timeutil: RFC 3339 parsing and formatting, durations. */
#include "unit.h"

#include "timeutil.h"

#define SEC(s) ((usec_t)(s) * USEC_PER_SEC)

static void
assert_time(const char *s, usec_t expect)
{
	usec_t t = -42;

	if (time_parse_rfc3339(s, &t) != 0)
		fail_msg("'%s' was rejected", s);
	if (t != expect)
		fail_msg("'%s' parsed as %lld, expected %lld", s, (long long)t,
		    (long long)expect);
}

static void
assert_time_rejected(const char *s)
{
	usec_t t = -42;

	if (time_parse_rfc3339(s, &t) != -EINVAL)
		fail_msg("'%s' was not rejected with -EINVAL", s);
	assert_int_equal(t, -42);
}

static void
test_rfc3339_utc(void **state)
{
	assert_time("1970-01-01T00:00:00Z", 0);
	assert_time("2026-11-29T10:00:00Z", SEC(1795946400));
	assert_time("2026-11-29t10:00:00z", SEC(1795946400));
	assert_time("2026-11-29 10:00:00Z", SEC(1795946400));
	assert_time("1969-12-31T23:59:59Z", SEC(-1));
	assert_time("1900-03-01T00:00:00Z", SEC(-2203891200));
	assert_time("0001-01-01T00:00:00Z", SEC(-62135596800));
	/* A leap second folds into the next second. */
	assert_time("2016-12-31T23:59:60Z", SEC(1483228800));
}

static void
test_rfc3339_offsets(void **state)
{
	assert_time("2026-11-29T11:00:00+01:00", SEC(1795946400));
	assert_time("2026-11-29T04:30:00-05:30", SEC(1795946400));
	assert_time("2026-11-29T10:00:00+00:00", SEC(1795946400));
	assert_time("2026-11-29T10:00:00-00:00", SEC(1795946400));
	/* The offset can move the instant across a day boundary. */
	assert_time("2026-11-30T00:30:00+14:30", SEC(1795946400));
	assert_time("1970-01-01T00:00:00+23:59", SEC(-(23 * 3600 + 59 * 60)));
}

static void
test_rfc3339_fractions(void **state)
{
	assert_time("1970-01-01T00:00:00.5Z", 500000);
	assert_time("1970-01-01T00:00:00.000001Z", 1);
	assert_time("1970-01-01T00:00:01.123456Z", 1123456);
	/* Digits beyond microseconds are truncated, not rounded. */
	assert_time("1970-01-01T00:00:01.1234569Z", 1123456);
	assert_time("1969-12-31T23:59:59.75Z", -250000);
	assert_time("2026-11-29T11:00:00.25+01:00", SEC(1795946400) + 250000);
}

static void
test_rfc3339_calendar(void **state)
{
	assert_time("2024-02-29", SEC(1709164800));
	assert_time("2000-02-29T00:00:00Z", SEC(951782400));
	assert_time("2026-04-30", SEC(1777507200));
	assert_time("2026-12-31", SEC(1798675200));
	assert_time_rejected("2023-02-29");
	assert_time_rejected("1900-02-29T00:00:00Z");
	assert_time_rejected("2024-02-30");
	assert_time_rejected("2026-04-31");
	assert_time_rejected("2026-06-31T00:00:00Z");
	assert_time_rejected("2026-00-10");
	assert_time_rejected("2026-13-01");
	assert_time_rejected("2026-01-00");
	assert_time_rejected("2026-01-32");
}

static void
test_rfc3339_bare_date(void **state)
{
	usec_t a, b;

	assert_int_equal(time_parse_rfc3339("2026-11-29", &a), 0);
	assert_int_equal(time_parse_rfc3339("2026-11-29T00:00:00Z", &b), 0);
	assert_int_equal(a, b);
	assert_int_equal(a % USEC_PER_DAY, 0);
}

static void
test_rfc3339_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"now",
		"2026",
		"2026-11",
		"26-11-29",
		"2026/11/29",
		"2026-11-29X",
		"2026-11-29T",
		"2026-11-29T10:00:00",       /* no offset */
		"2026-11-29T10:00Z",
		"2026-11-29T24:00:00Z",
		"2026-11-29T10:60:00Z",
		"2026-11-29T10:00:61Z",
		"2026-11-29T10:00:00.Z",
		"2026-11-29T10:00:00+1:00",
		"2026-11-29T10:00:00+01",
		"2026-11-29T10:00:00+0100",
		"2026-11-29T10:00:00+24:00",
		"2026-11-29T10:00:00+01:60",
		"2026-11-29T10:00:00Z ",
		" 2026-11-29T10:00:00Z",
		"2026-11-29T10:00:00ZZ",
		"2026-11-29T1O:00:00Z",
		"+2026-11-29",
		"2026-11-29 ",
		"2026-1-29",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_time_rejected(bad[i]);
	assert_time_rejected(NULL);
}

static void
assert_format(usec_t t, const char *expect)
{
	char out[TIME_RFC3339_MAX];
	usec_t back = 0;

	assert_ptr_equal(time_format_rfc3339(t, out), out);
	assert_string_equal(out, expect);
	assert_int_equal(time_parse_rfc3339(out, &back), 0);
	assert_int_equal(back, t);
}

static void
test_rfc3339_format(void **state)
{
	assert_format(0, "1970-01-01T00:00:00Z");
	assert_format(1, "1970-01-01T00:00:00.000001Z");
	assert_format(SEC(1795946400), "2026-11-29T10:00:00Z");
	assert_format(SEC(1795946400) + 500000, "2026-11-29T10:00:00.500000Z");
	assert_format(SEC(1709164800) + SEC(86399), "2024-02-29T23:59:59Z");
	/* Before 1970: negative times, with and without fractions. */
	assert_format(-1, "1969-12-31T23:59:59.999999Z");
	assert_format(SEC(-1), "1969-12-31T23:59:59Z");
	assert_format(SEC(-86400), "1969-12-31T00:00:00Z");
	assert_format(SEC(-86400) - 1, "1969-12-30T23:59:59.999999Z");
	assert_format(SEC(-2203891200), "1900-03-01T00:00:00Z");
	assert_format(SEC(-62135596800), "0001-01-01T00:00:00Z");
	assert_format(SEC(253402300799) + 999999,
	    "9999-12-31T23:59:59.999999Z");
}

static void
test_rfc3339_round_trip(void **state)
{
	char out[TIME_RFC3339_MAX];

	/* A century either side of the epoch: leap days, 1900 and 2000. */
	for (int64_t day = -36600; day < 36600; day += 7) {
		usec_t t = day * USEC_PER_DAY + SEC(day % 86400) + day % 1000;
		usec_t back;

		time_format_rfc3339(t, out);
		assert_int_equal(time_parse_rfc3339(out, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
assert_duration(const char *s, usec_t expect)
{
	usec_t d = -42;

	if (duration_parse(s, &d) != 0)
		fail_msg("'%s' was rejected", s);
	if (d != expect)
		fail_msg("'%s' parsed as %lld, expected %lld", s, (long long)d,
		    (long long)expect);
}

static void
assert_duration_error(const char *s, int error)
{
	usec_t d = -42;
	int r = duration_parse(s, &d);

	if (r != error)
		fail_msg("'%s' returned %d, expected %d", s ? s : "(null)", r,
		    error);
	assert_int_equal(d, -42);
}

static void
test_duration_parse(void **state)
{
	assert_duration("730d", 730 * USEC_PER_DAY);
	assert_duration("12h", 12 * USEC_PER_HOUR);
	assert_duration("500ms", 500 * USEC_PER_MSEC);
	assert_duration("1h30m", USEC_PER_HOUR + 30 * USEC_PER_MIN);
	assert_duration("2w", 2 * USEC_PER_WEEK);
	assert_duration("10us", 10);
	assert_duration("45s", SEC(45));
	assert_duration("5min", 5 * USEC_PER_MIN);
	assert_duration("1d12h", USEC_PER_DAY + 12 * USEC_PER_HOUR);
	assert_duration("1m1s1ms1us", USEC_PER_MIN + SEC(1) + 1000 + 1);
	assert_duration("0", 0);
	assert_duration("0s", 0);
	/* A bare number is seconds. */
	assert_duration("90", SEC(90));
	assert_duration("007", SEC(7));
	/* The largest representable value, and just below it. */
	assert_duration("9223372036854775807us", INT64_MAX);
	assert_duration("106751991d", 106751991 * USEC_PER_DAY);
}

static void
test_duration_overflow(void **state)
{
	assert_duration_error("9223372036854775808us", -ERANGE);
	assert_duration_error("106751992d", -ERANGE);
	assert_duration_error("15250285w", -ERANGE);
	assert_duration_error("9223372036855", -ERANGE);
	assert_duration_error("99999999999999999999999999", -ERANGE);
	assert_duration_error("106751991d106751991d", -ERANGE);
	assert_duration_error("9223372036854775807us1us", -ERANGE);
}

static void
test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"", "12x", "-1", "h", "1h30", "1.5h", " 1h", "1h ", "1 h",
		"1hh", "1mins", "1H", "+1s", "1d-1h", "ms", "1e3", "0x10",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_duration_error(bad[i], -EINVAL);
	assert_duration_error(NULL, -EINVAL);
}

static void
assert_duration_format(usec_t d, const char *expect)
{
	char out[64];
	usec_t back = -1;

	assert_ptr_equal(duration_format(d, out, sizeof(out)), out);
	assert_string_equal(out, expect);
	assert_int_equal(duration_parse(out, &back), 0);
	assert_int_equal(back, d < 0 ? 0 : d);
}

static void
test_duration_format(void **state)
{
	assert_duration_format(0, "0");
	assert_duration_format(1, "1us");
	assert_duration_format(500 * USEC_PER_MSEC, "500ms");
	assert_duration_format(SEC(45), "45s");
	assert_duration_format(USEC_PER_HOUR + 30 * USEC_PER_MIN, "1h30m");
	assert_duration_format(USEC_PER_DAY + 12 * USEC_PER_HOUR, "1d12h");
	assert_duration_format(2 * USEC_PER_WEEK, "14d");
	assert_duration_format(730 * USEC_PER_DAY, "730d");
	assert_duration_format(USEC_PER_DAY + USEC_PER_HOUR + USEC_PER_MIN +
		SEC(1) + USEC_PER_MSEC + 1,
	    "1d1h1m1s1ms1us");
	assert_duration_format(INT64_MAX, "106751991d4h54s775ms807us");
	/* Negative durations do not exist; they print as zero. */
	assert_duration_format(-5, "0");
}

static void
test_duration_format_short_buffer(void **state)
{
	char out[8];

	/* Truncation drops whole units, never leaves half a number. */
	memset(out, 'x', sizeof(out));
	duration_format(USEC_PER_DAY + 12 * USEC_PER_HOUR, out, 4);
	assert_string_equal(out, "1d");
	duration_format(USEC_PER_DAY + 12 * USEC_PER_HOUR, out, 2);
	assert_string_equal(out, "");
	duration_format(USEC_PER_DAY + 12 * USEC_PER_HOUR, out, 6);
	assert_string_equal(out, "1d12h");
	memset(out, 'x', sizeof(out));
	duration_format(SEC(1), out, 0);
	assert_int_equal(out[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_utc),
		cmocka_unit_test(test_rfc3339_offsets),
		cmocka_unit_test(test_rfc3339_fractions),
		cmocka_unit_test(test_rfc3339_calendar),
		cmocka_unit_test(test_rfc3339_bare_date),
		cmocka_unit_test(test_rfc3339_garbage),
		cmocka_unit_test(test_rfc3339_format),
		cmocka_unit_test(test_rfc3339_round_trip),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_format_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
