/* Unit tests for the PII detectors (rules/detect*.c). */
#include "unit.h"

#include <inttypes.h>
#include <stdio.h>

#include "detect-internal.h"

/* Scans value with a set holding only kind. */
static bool
hit(enum detector_kind kind, const char *value, bool dob_context)
{
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	char err[128];
	uint64_t bits;

	assert_int_equal(detector_set_new(&kind, 1, NULL, 0, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(detector_set_reference_date(s, 2026, 11, 29), 0);
	bits = detector_set_scan(s, NULL, value, strlen(value), dob_context);
	assert_true(bits <= 1);
	return bits == 1;
}

static void
expect(enum detector_kind kind, const char *const *yes, size_t nyes,
    const char *const *no, size_t nno)
{
	for (size_t i = 0; i < nyes; i++)
		if (!hit(kind, yes[i], true))
			fail_msg("%s: missed '%s'", detector_kind_name(kind),
			    yes[i]);
	for (size_t i = 0; i < nno; i++)
		if (hit(kind, no[i], true))
			fail_msg("%s: false hit on '%s'",
			    detector_kind_name(kind), no[i]);
}

#define EXPECT(kind, yes, no)                                                  \
	expect((kind), (yes), ELEMENTSOF(yes), (no), ELEMENTSOF(no))

static void
t_email(void **state)
{
	static const char *const yes[] = {
		"jane.doe@example.com",
		"Contact: jane.doe+news@mail.example.co.uk.",
		"mailto:jane@example.org",
		"<o'brien@example.ie>",
		"https://example.com/invite?to=jane@example.com",
		"a@b.cd",
		"x y z, first_last@sub-domain.example.museum; ",
	};
	static const char *const no[] = {
		"https://user@example.com/path",
		"ftp://user:secret@files.example.org/pub",
		"ssh://git@host.example.com:22/repo",
		"a@b",
		"root@localhost",
		"logo@2x.png",
		"user@example.c",
		"user@example.123",
		"user@-example.com",
		"user@example-.com",
		"user@.example.com",
		"a..b@example.com",
		"@example.com",
		"no at sign here.",
		"user@exa_mple.com",
	};

	EXPECT(DETECT_EMAIL, yes, no);
	assert_true(email_valid("jane@example.com", 16));
	assert_false(email_valid("jane@example", 12));
	assert_false(email_valid("jane example.com", 16));
	assert_false(email_valid("ja ne@example.com", 17));
}

static void
t_phone(void **state)
{
	static const char *const yes[] = {
		"+1 (415) 555-2671",
		"+14155552671",
		"+44 20 7946 0018",
		"+44 (0)20 7946 0018",
		"+33 1 23 45 67 89",
		"0044 20 7946 0018",
		"(415) 555-2671",
		"(415)555-2671",
		"415-555-2671",
		"415.555.2671",
		"1-415-555-2671",
		"call 415 555 2671 after 5",
		"020 7946 0018",
		"01 23 45 67 89",
		"01.23.45.67.89",
		"030 12345678",
		"(020) 7946 0018",
		"Tel.: 415-555-2671 - 24/7",
	};
	static const char *const no[] = {
		"4155552671",            /* ungrouped: an ID */
		"02079460018",
		"12345678901",
		"+1234567",              /* too short for E.164 */
		"+1234567890123456",     /* too long */
		"2023-11-20",
		"12/25/2023",
		"01-02-2006",
		"123-45-6789",           /* SSN shape */
		"4111 1111 1111 1111",   /* card shape */
		"192.168.100.200",
		"3.14159265358979",
		"order 1234 5678 90",
		"115-555-2671",          /* NANP area cannot start with 1 */
		"415-155-2671",          /* nor the exchange */
		"ID415-555-2671",
		"415-555-2671x",
		"415--555-2671",
		"1 000 000 000",
		"00 00 00 00 00",
	};

	EXPECT(DETECT_PHONE, yes, no);
}

static void
t_credit_card(void **state)
{
	static const char *const yes[] = {
		"4111111111111111",                 /* Visa */
		"4111 1111 1111 1111",
		"4111-1111-1111-1111",
		"4222222222222",                    /* Visa, 13 digits */
		"5555555555554444",                 /* Mastercard */
		"2223003122003222",                 /* Mastercard 2-series */
		"378282246310005",                  /* Amex */
		"3782 822463 10005",
		"6011111111111117",                 /* Discover */
		"3530111333300000",                 /* JCB */
		"30569309025904",                   /* Diners */
		"6200000000000005",                 /* UnionPay */
		"6759649826438453",                 /* Maestro */
		"paid with 4111 1111 1111 1111 on monday",
		"card:4111111111111111.",
		"items 12 4111 1111 1111 1111",
		/* a card inside a longer chain of groups */
		"12-4111-1111-1111-1111",
		"1 2 4111 1111 1111 1111",
	};
	static const char *const no[] = {
		"4111111111111112",                 /* Luhn fails */
		"4111 1111 1111 1112",
		"ORDER-4111-1111-1111-1112",
		"9111111111111110",                 /* Luhn ok, no issuer */
		"1234567890123452",
		"7000000000000005",
		"37828224631000",                   /* Amex has 15 digits */
		"41111111111111110",                /* Visa has no 17 */
		"41111111111111111111",             /* 20 digits */
		"x4111111111111111",
		"4111111111111111y",
		"1.4111111111111111",
		"411 1111 1111 1111 1",
		"4111 1111-1111 1111",              /* mixed separators */
		"4111  1111 1111 1111",
		/* chains of fewer than 13 digits, whatever their layout */
		"2026-06-04T02:24:00Z 4111 1111 1111",
		"4111-1111-1111 4111",
	};

	EXPECT(DETECT_CREDIT_CARD, yes, no);
	assert_true(luhn_valid("79927398713", 11));
	assert_false(luhn_valid("79927398710", 11));
	assert_false(luhn_valid("7992739871a", 11));
	assert_false(luhn_valid("0", 1));
	assert_true(card_number_valid("4111 1111 1111 1111", 19));
	assert_false(card_number_valid("4111.1111.1111.1111", 19));
	assert_false(card_number_valid("9111111111111110", 16));
}

static void
t_iban(void **state)
{
	static const char *const yes[] = {
		"DE89370400440532013000",
		"DE89 3704 0044 0532 0130 00",
		"de89 3704 0044 0532 0130 00",
		"GB82WEST12345698765432",
		"GB82 WEST 1234 5698 7654 32",
		"FR1420041010050500013M02606",
		"NL91ABNA0417164300",
		"NO9386011117947",
		"pay to: DE89370400440532013000, thanks",
		"to GB82 WEST 1234 5698 7654 32",
		"1.DE89370400440532013000",
		"DE12 x DE89370400440532013000",
	};
	static const char *const no[] = {
		"DE89370400440532013001",            /* one digit changed */
		"DE89 3704 0044 0532 0130 01",
		"DE8937040044053201300",             /* too short */
		"DE893704004405320130000",           /* too long */
		"XX89370400440532013000",            /* no such country */
		"GB82WEST1234569876543",
		"ID DE89370400440532013000X",
		"DE89 370 4004 4053 2013 000",       /* bad grouping */
		"NODE89370400440532013000",
		"xDE89370400440532013000",           /* not where a word starts */
		"_DE89370400440532013000",
		"DE89370400440532013000_",
		"DE89",
		"x DE89",
	};

	EXPECT(DETECT_IBAN, yes, no);
	assert_true(iban_valid("GB82 WEST 1234 5698 7654 32", 27));
	assert_false(iban_valid("GB82-WEST-1234-5698-7654-32", 27));
}

static void
t_us_ssn(void **state)
{
	static const char *const yes[] = {
		"123-45-6789",
		"SSN: 123-45-6789.",
		"123456789",
		"  123456789 ",
		"899-99-9999",
	};
	static const char *const no[] = {
		"000-12-3456",         /* area 000 */
		"666-12-3456",         /* area 666 */
		"900-12-3456",         /* areas 900-999 */
		"999-12-3456",
		"123-00-4567",         /* group 00 */
		"123-45-0000",         /* serial 0000 */
		"12-25-2023",          /* a date */
		"2023-11-2023",
		"2023-11-20",
		"1123-45-6789",
		"123-45-67890",
		"123-45-6789-1",
		"x123-45-6789",
		"id 123456789",        /* bare form only as the whole value */
		"1234567890",
		"12345678",
		"000000000",
		"1.123-45-6789",
	};

	EXPECT(DETECT_US_SSN, yes, no);
	assert_true(us_ssn_valid("123-45-6789", 11));
	assert_true(us_ssn_valid("123456789", 9));
	assert_false(us_ssn_valid("123-456789", 10));
	assert_false(us_ssn_valid("123 45 6789", 11));
}

static void
t_ipv4(void **state)
{
	static const char *const yes[] = {
		"10.0.0.1",
		"host 192.168.1.254:8080",
		"from 203.0.113.9.",
		"0.0.0.0",
		"255.255.255.255",
		"(198.51.100.7)",
	};
	static const char *const no[] = {
		"1.2.3.4.5",
		"v1.2.3.4",
		"release 1.2.3.4b",
		"256.1.1.1",
		"01.2.3.4",
		"1.2.3",
		"version 1.2.3",
		"1..2.3.4",
		"10.0.0.1.2.3",
		".10.0.0.1",
	};

	EXPECT(DETECT_IPV4, yes, no);
	assert_true(ipv4_valid("127.0.0.1", 9));
	assert_false(ipv4_valid("127.0.0.1 ", 10));
	assert_false(ipv4_valid("127.0.0", 7));
	assert_false(ipv4_valid("1234.0.0.1", 10));
}

static void
t_ipv6(void **state)
{
	static const char *const yes[] = {
		"2001:db8::1",
		"addr=[fe80::1]:80",
		"::ffff:192.0.2.1",
		"2001:0db8:85a3:0000:0000:8a2e:0370:7334",
		"client ::1 connected",
	};
	static const char *const no[] = {
		"std::vector",
		"12:30:45",
		"00:1a:2b:3c:4d:5e",
		"::",
		"a:b",
		"2001:db8::1::2",
		"x2001:db8::1",
		"2001:db8::1g",
	};

	EXPECT(DETECT_IPV6, yes, no);
	assert_true(ipv6_valid("::1", 3));
	assert_false(ipv6_valid("1::2::3", 7));
	assert_false(ipv6_valid(":::::::::::::::::::::::::::::::::::::::::::::::",
	    47));
}

static void
t_date_of_birth(void **state)
{
	static const char *const yes[] = {
		"1990-05-17",
		"1990/05/17",
		"1990-5-7",
		"1990-05-17T00:00:00Z",
		"17/05/1990",
		"05/17/1990",
		"17.05.1990",
		"17-05-1990",
		"19900517",
		"17 May 1990",
		"7 Sept 1990",
		"17-May-1990",
		"May 17, 1990",
		"September 7 1990",
		"  1990-05-17 ",
		"2026-11-29",
		"1900-01-01",
		"29/02/2000",
	};
	static const char *const no[] = {
		"1899-12-31",
		"2026-11-30",          /* after the reference day */
		"2999-01-01",
		"1990-02-30",
		"1990-13-01",
		"31/31/1990",
		"29/02/1900",
		"17 Mai 1990",
		"Ma 17, 1990",
		"1990",
		"born 1990-05-17",
		"1990-05-17 extra",
		"17/05/90",
		"12345678",
		"",
	};

	EXPECT(DETECT_DATE_OF_BIRTH, yes, no);
	/* only where the column says birth date */
	assert_false(hit(DETECT_DATE_OF_BIRTH, "1990-05-17", false));
}

/* The pre-filter counts digits sixteen bytes at a time with overlapping
 * tails: an SSN has exactly the nine digits the filter asks for, so any
 * miscount at any length or offset loses it. */
static void
t_prefilter_lengths(void **state)
{
	static const enum detector_kind kinds[] = { DETECT_US_SSN,
		DETECT_CREDIT_CARD, DETECT_PHONE };
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	char err[128], v[128];

	assert_int_equal(detector_set_new(kinds, 3, NULL, 0, &s, err,
	    sizeof(err)), 0);
	for (size_t pre = 0; pre < 40; pre++)
		for (size_t post = 0; post < 40; post++) {
			int n = snprintf(v, sizeof(v), "%.*s123-45-6789%.*s",
			    (int)pre, "xxxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxxxxx",
			    (int)post, " yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");

			if (pre > 0)
				v[pre - 1] = ' ';
			assert_int_equal(detector_set_scan(s, NULL, v,
			    (size_t)n, false), 1);
			n = snprintf(v, sizeof(v), "%.*s4111111111111111%.*s",
			    (int)pre, "                                        ",
			    (int)post, "                                        ");
			assert_int_equal(detector_set_scan(s, NULL, v,
			    (size_t)n, false), 2);
		}
}

/* The finders run on v whatever the pre-filter says, as bits of the
 * default set's kinds (DETECT_EMAIL ... DETECT_IPV6). */
static uint64_t
finders_all(const char *v, size_t n)
{
	return (uint64_t)detect_find_email(v, n) << DETECT_EMAIL |
	    (uint64_t)detect_find_phone(v, n) << DETECT_PHONE |
	    (uint64_t)detect_find_card(v, n) << DETECT_CREDIT_CARD |
	    (uint64_t)detect_find_iban(v, n) << DETECT_IBAN |
	    (uint64_t)detect_find_ssn(v, n) << DETECT_US_SSN |
	    (uint64_t)detect_find_ipv4(v, n) << DETECT_IPV4 |
	    (uint64_t)detect_find_ipv6(v, n) << DETECT_IPV6;
}

static uint64_t
prng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A random byte of alphabet, and a random string of fewer than max of
 * them (into v): the random values of the equivalence tests below. */
static char
random_pick(const char *alphabet, uint64_t *x)
{
	return alphabet[prng_next(x) % strlen(alphabet)];
}

static size_t
random_string(char *v, size_t max, const char *alphabet, uint64_t *x)
{
	size_t n = prng_next(x) % max;

	for (size_t i = 0; i < n; i++)
		v[i] = random_pick(alphabet, x);
	return n;
}

/* The pre-filter only spares finders values they would reject: over
 * PII-shaped values (hits and near misses of every finder), random edits
 * of them and random strings, at every length around the 16-byte blocks
 * and the 64 bytes of the shape masks, a scan finds exactly what the
 * finders find when each runs on its own. */
static void
t_prefilter_exact(void **state)
{
	static const char *const seeds[] = {
		"+44 20 7946 0018", "(415) 555-2671", "415-555-2671",
		"1 415 555 2671", "020 7946 0018", "01 23 45 67 89",
		"030 12345678", "0049 30 1234567", "+1 (415) 555-2671",
		"4111 1111 1111 1111", "4111-1111-1111-1111",
		"4111111111111111", "3782 822463 10005", "5555555555554444",
		"DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
		"fr1420041010050500013m02606", "123-45-6789", "123456789",
		"10.142.3.81", "192.168.0.1.", "255.255.255.255", "1.2.3.4",
		"4222222222222", "4222-2222-2222-2", "1.2.3.4 at 12345678",
		"(020)79460018", "(0301)2345678",
		"a 9.8.7.6.",
		"2001:db8::8a2e:370:7334", "::1", "fe80::1%eth0",
		"::ffff:192.0.2.1", "2026-06-04T02:24:00Z",
		"user-00356778", "3527.97", "dana.example0@example.net",
		"a_b::c", "x+y@example.co.uk", "v1.2.3.4", "(0)20 7946 0018",
		"00 44 20 7946 0018", "12:34:56 on 2026-01-02",
		"call 555-2671 or +49 30 1234 5678 now",
		/* timestamps, and a chain of more groups than a phone
		 * candidate takes, glued to a word, before a phone */
		"2026-06-04 02:24:00", "2026-06-04T02:24:00.12345678",
		"2026-06-04T02:24:00+01:00", "20260604T022400Z",
		"x1 2 3 4 5 6 7 8 9 020 7946 0018",
		"1-2-3-4-5-6-7-8-9-020 7946 0018x",
		"see DE89370400440532013000 and 4111 1111 1111 1111",
	};
	static const char *const fills[] = { "1", "1234 ", "020 7946 ",
		"12-", "1.2.", "DE89", "1:2:", "0", "+1 ", "(0)1" };
	static const char alphabet[] = "0123456789000   --..++(()):_@"
				       "aAfFzZ/,xT\t";
	enum detector_kind kinds[] = { DETECT_EMAIL, DETECT_PHONE,
		DETECT_CREDIT_CARD, DETECT_IBAN, DETECT_US_SSN, DETECT_IPV4,
		DETECT_IPV6 };
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	uint64_t x = 0x9e3779b97f4a7c15, checked = 0, hits = 0;
	char err[128], v[160];

	assert_int_equal(detector_set_new(kinds, ELEMENTSOF(kinds), NULL, 0,
	    &s, err, sizeof(err)), 0);
	/* every length, with digits all along (the masks are built in
	 * pieces that depend on the length) */
	for (size_t n = 0; n < 100; n++)
		for (size_t p = 0; p < ELEMENTSOF(fills); p++) {
			size_t fl = strlen(fills[p]);

			for (size_t i = 0; i < n; i++)
				v[i] = fills[p][i % fl];
			if (detector_set_scan(s, NULL, v, n, false) !=
			    finders_all(v, n))
				fail_msg("scan and finders differ on '%.*s'",
				    (int)n, v);
		}
	for (int iter = 0; iter < 200000; iter++) {
		size_t n, edits;

		if (iter % 4 == 3) {
			/* random bytes of the alphabet */
			n = random_string(v, 90, alphabet, &x);
		} else {
			const char *seed = seeds[prng_next(&x) %
			    ELEMENTSOF(seeds)];
			size_t pre = prng_next(&x) % 3 == 0 ?
			    prng_next(&x) % 50 : 0;

			/* a seed, perhaps after filler to shift it across
			 * the blocks, then a few edits */
			memset(v, prng_next(&x) % 2 ? ' ' : 'q', pre);
			n = pre + strlen(seed);
			memcpy(v + pre, seed, strlen(seed));
			edits = prng_next(&x) % 4;
			for (size_t e = 0; e < edits && n > 0; e++) {
				size_t at = prng_next(&x) % n;
				char c = random_pick(alphabet, &x);

				switch (prng_next(&x) % 3) {
				case 0:
					v[at] = c;
					break;
				case 1:
					if (n + 1 < sizeof(v)) {
						memmove(v + at + 1, v + at,
						    n - at);
						v[at] = c;
						n++;
					}
					break;
				default:
					memmove(v + at, v + at + 1, n - at - 1);
					n--;
					break;
				}
			}
		}
		{
			uint64_t want = finders_all(v, n);
			uint64_t got = detector_set_scan(s, NULL, v, n, false);

			if (got != want)
				fail_msg("scan gives %#" PRIx64 ", the finders "
				    "%#" PRIx64 " on '%.*s' (%zu bytes)", got,
				    want, (int)n, v, n);
			checked++;
			hits += want != 0;
		}
	}
	/* the values are close enough to PII for the test to mean much */
	assert_true(hits > checked / 4);
}

/* detect_find_email() as first written, with the local part checked by
 * detect_email_local_ok(): the model the finder must agree with. */
static bool
email_model(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = i, e = i + 1, d;

		if (s[i] != '@')
			continue;
		while (l > 0 && detect_is(s[l - 1], DCL_LOCAL))
			l--;
		while (l < i && (s[l] == '.' || s[l] == '\''))
			l++;
		if (l == i)
			continue;
		if (l >= 3 && memcmp(s + l - 3, "://", 3) == 0)
			continue;
		if (l >= 1 && s[l - 1] == ':') {
			size_t u = l - 1;

			while (u > 0 && detect_is(s[u - 1], DCL_LOCAL))
				u--;
			if (u >= 3 && memcmp(s + u - 3, "://", 3) == 0)
				continue;
		}
		while (e < n && (detect_alnum(s[e]) || s[e] == '-' ||
		    s[e] == '.'))
			e++;
		while (e > i + 1 && s[e - 1] == '.')
			e--;
		for (d = i + 1; d < e && detect_digit(s[d]); d++)
			;
		if (d > i + 1 && d + 1 < e && (s[d] == 'x' || s[d] == 'X') &&
		    s[d + 1] == '.')
			continue;
		if (detect_email_local_ok(s + l, i - l) &&
		    detect_email_domain_ok(s + i + 1, e - i - 1))
			return true;
	}
	return false;
}

/* The e-mail finder agrees with its model on addresses, random edits of
 * them and random strings of the bytes that matter to it. */
#define L63 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"
#define L50 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
_Static_assert(sizeof(L63) == 64 && sizeof(L50) == 51, "label lengths");
static void
t_email_model(void **state)
{
	static const char *const seeds[] = { "dana.example0@example.net",
		"a..b@example.com", "a.@example.com", ".a@example.com",
		"'a'@example.com", "x@y.z", "http://user@host.com",
		"ftp://u:pw@host.example.org", "logo@2x.png", "a@b@c.de",
		"first.last+tag@sub.example.co.uk", "a@-x.com", "a@x-.com",
		"a@x..com", "a@x.c0m", "me@localhost", "u%x@ex.am.ple.",
		"logo@2X.png", "a@12x.de", "a@x2.de", "a@2xx.de",
		/* a label of 63 and of 64 bytes; a domain of 253 and of 254 */
		"a@" L63 ".de", "a@" L63 "x.de",
		"a@" L63 "." L63 "." L63 "." L50 "abcdefgh.de",
		"a@" L63 "." L63 "." L63 "." L50 "abcdefghi.de" };
	static const char alphabet[] = "aZ0._%'+-@@..:/xX";
	uint64_t x = 0x2545f4914f6cdd1d, hits = 0;
	char v[512];
	size_t n;

	for (int iter = 0; iter < 300000; iter++) {
		if (iter % 3 == 2) {
			n = random_string(v, 40, alphabet, &x);
		} else {
			const char *seed = seeds[prng_next(&x) %
			    ELEMENTSOF(seeds)];

			n = strlen(seed);
			memcpy(v, seed, n);
			for (int e = prng_next(&x) % 3; e > 0 && n > 0; e--)
				v[prng_next(&x) % n] = random_pick(alphabet,
				    &x);
			if (prng_next(&x) % 4 == 0) {
				/* a long local part, around the 64 allowed */
				size_t pad = 55 + prng_next(&x) % 15;

				memmove(v + pad, v, n);
				memset(v, prng_next(&x) % 2 ? 'a' : '.', pad);
				n += pad;
			}
		}
		if (detect_find_email(v, n) != email_model(v, n))
			fail_msg("finder and model differ on '%.*s'", (int)n,
			    v);
		hits += email_model(v, n);
	}
	assert_true(hits > 10000);
}

static void
t_names(void **state)
{
	enum detector_kind k = DETECT_IBAN, two[2];
	enum detector_checksum c;
	size_t n;

	for (size_t i = 0; i < _DETECT_BUILTIN_MAX; i++) {
		assert_int_equal(detector_kind_from_name(
		    detector_kind_name((enum detector_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(detector_kind_from_name("ip_address", &k), 1);
	assert_int_equal(k, DETECT_IPV4);
	assert_int_equal(detector_kinds_from_name("ip_address", two, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(two[1], DETECT_IPV6);
	assert_int_equal(detector_kinds_from_name("iban", two, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(two[0], DETECT_IBAN);
	k = DETECT_PHONE;
	assert_int_equal(detector_kind_from_name("custom", &k), -EINVAL);
	assert_int_equal(detector_kind_from_name("passport", &k), -EINVAL);
	assert_int_equal(k, DETECT_PHONE);
	assert_null(detector_kind_name((enum detector_kind)99));
	for (size_t i = 0; detector_default_names[i]; i++)
		assert_int_equal(detector_kind_from_name(
		    detector_default_names[i], &k), 0);

	assert_int_equal(detector_checksum_from_name("luhn", &c), 0);
	assert_int_equal(c, CHECKSUM_LUHN);
	assert_int_equal(detector_checksum_from_name("verhoeff", &c), 0);
	assert_int_equal(c, CHECKSUM_VERHOEFF);
	assert_int_equal(detector_checksum_from_name("crc32", &c), -EINVAL);
	assert_int_equal(c, CHECKSUM_VERHOEFF);
}

static void
t_set(void **state)
{
	static const enum detector_kind kinds[] = { DETECT_EMAIL, DETECT_PHONE,
		DETECT_CREDIT_CARD, DETECT_IBAN, DETECT_US_SSN, DETECT_IPV4,
		DETECT_IPV6, DETECT_DATE_OF_BIRTH };
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	_cleanup_(detector_scratch_freep) struct detector_scratch *sc = NULL;
	enum detector_kind many[65];
	struct detector_set *none = (struct detector_set *)0x1;
	const char *v;
	char err[128] = "";

	assert_int_equal(detector_set_new(kinds, ELEMENTSOF(kinds), NULL, 0,
	    &s, err, sizeof(err)), 0);
	assert_int_equal(detector_set_size(s), 8);
	assert_string_equal(detector_set_name(s, 2), "credit_card");
	assert_null(detector_set_name(s, 8));
	sc = detector_scratch_new(s);
	assert_non_null(sc);

	v = "mail jane@example.com or call +44 20 7946 0018 from 10.1.2.3";
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), false),
	    (1 << 0) | (1 << 1) | (1 << 5));
	v = "4111 1111 1111 1111 / DE89370400440532013000 / 2001:db8::7";
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), false),
	    (1 << 2) | (1 << 3) | (1 << 6));
	v = "123-45-6789";
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), false),
	    1 << 4);
	v = "1990-05-17";
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), false), 0);
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), true),
	    1 << 7);
	v = "nothing personal in here, just words and 42 numbers";
	assert_int_equal(detector_set_scan(s, sc, v, strlen(v), true), 0);
	assert_int_equal(detector_set_scan(s, sc, "", 0, true), 0);
	assert_int_equal(detector_set_scan(s, sc, NULL, 0, true), 0);
	assert_int_equal(detector_scratch_errors(sc), 0);

	for (size_t i = 0; i < ELEMENTSOF(many); i++)
		many[i] = DETECT_EMAIL;
	assert_int_equal(detector_set_new(many, 64, NULL, 0, &none, err,
	    sizeof(err)), 0);
	detector_set_free(none);
	none = (struct detector_set *)0x1;
	assert_int_equal(detector_set_new(many, 65, NULL, 0, &none, err,
	    sizeof(err)), -E2BIG);
	assert_string_equal(err, "more than 64 detectors");
	many[3] = DETECT_CUSTOM;
	assert_int_equal(detector_set_new(many, 4, NULL, 0, &none, err,
	    sizeof(err)), -EINVAL);
	assert_ptr_equal(none, (struct detector_set *)0x1);
	assert_int_equal(detector_set_reference_date(s, 2026, 2, 29), -EINVAL);
	detector_set_free(NULL);
	detector_scratch_free(NULL);
}

static void
t_custom(void **state)
{
	static const struct detector_custom_spec specs[] = {
		{ "employee_id", "\\bEMP-[0-9]{6}\\b", CHECKSUM_NONE },
		{ "loyalty_card", "\\b[0-9]{16}\\b", CHECKSUM_LUHN },
		{ "national_id", "\\b[0-9]{4} [0-9]{4} [0-9]{4}\\b",
		  CHECKSUM_VERHOEFF },
		{ "ref", "\\bRF[0-9]{3,}\\b", CHECKSUM_MOD97 },
		{ "iban_like", "[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}",
		  CHECKSUM_IBAN },
	};
	static const enum detector_kind kinds[] = { DETECT_EMAIL };
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	_cleanup_(detector_scratch_freep) struct detector_scratch *sc = NULL;
	char err[160];
	const char *v;

	assert_int_equal(detector_set_new(kinds, 1, specs, ELEMENTSOF(specs),
	    &s, err, sizeof(err)), 0);
	assert_int_equal(detector_set_size(s), 6);
	assert_string_equal(detector_set_name(s, 0), "email");
	assert_string_equal(detector_set_name(s, 1), "employee_id");
	assert_string_equal(detector_set_name(s, 5), "iban_like");
	sc = detector_scratch_new(s);
	assert_non_null(sc);

#define SCAN(str) detector_set_scan(s, sc, (str), strlen(str), false)
	assert_int_equal(SCAN("badge EMP-123456 issued"), 1 << 1);
	assert_int_equal(SCAN("badge EMP-1234567"), 0);
	/* the checksum decides, and a later match may pass it */
	assert_int_equal(SCAN("card 4111111111111111"), 1 << 2);
	assert_int_equal(SCAN("card 4111111111111112"), 0);
	assert_int_equal(SCAN("4111111111111112 then 9111111111111110"),
	    1 << 2);
	assert_int_equal(SCAN("id 2341 2341 2346"), 1 << 3);
	assert_int_equal(SCAN("id 2341 2341 2345"), 0);
	assert_int_equal(SCAN("RF195"), 1 << 4);
	assert_int_equal(SCAN("RF196"), 0);
	assert_int_equal(SCAN("XDE89370400440532013000"), 1 << 5);
	assert_int_equal(SCAN("DE89370400440532013001"), 0);
	assert_int_equal(SCAN("EMP-000001 jane@example.com"),
	    (1 << 0) | (1 << 1));
	/* without a scratch: same answers */
	v = "EMP-654321";
	assert_int_equal(detector_set_scan(s, NULL, v, strlen(v), false),
	    1 << 1);
	assert_int_equal(detector_scratch_errors(sc), 0);
#undef SCAN
}

static void
t_custom_errors(void **state)
{
	struct detector_custom_spec bad = { "broken", "([a-z", CHECKSUM_NONE };
	struct detector_custom_spec slow = { "slow", "^(a+)+$", CHECKSUM_NONE };
	struct detector_custom_spec noname = { "", "x", CHECKSUM_NONE };
	struct detector_custom_spec badsum = { "x", "x",
		(enum detector_checksum)42 };
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	_cleanup_(detector_scratch_freep) struct detector_scratch *sc = NULL;
	struct detector_set *none = NULL;
	char err[160] = "";
	char v[64];

	assert_int_equal(detector_set_new(NULL, 0, &bad, 1, &none, err,
	    sizeof(err)), -EINVAL);
	assert_null(none);
	assert_non_null(strstr(err, "detector 'broken': bad pattern at "
	    "offset 5: "));
	assert_non_null(strstr(err, "missing terminating ]"));
	bad.pattern = "(abc";
	assert_int_equal(detector_set_new(NULL, 0, &bad, 1, &none, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "detector 'broken': bad pattern at offset 4: "
	    "missing closing parenthesis");
	assert_int_equal(detector_set_new(NULL, 0, &noname, 1, &none, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(detector_set_new(NULL, 0, &badsum, 1, &none, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "detector 'x': unknown checksum");
	/* a short error buffer still gets a terminated message */
	assert_int_equal(detector_set_new(NULL, 0, &bad, 1, &none, err, 8),
	    -EINVAL);
	assert_int_equal(strlen(err), 7);

	/* catastrophic backtracking stops at the match limit and is
	 * reported as a hit, never as a pass */
	assert_int_equal(detector_set_new(NULL, 0, &slow, 1, &s, err,
	    sizeof(err)), 0);
	sc = detector_scratch_new(s);
	assert_non_null(sc);
	memset(v, 'a', sizeof(v));
	v[sizeof(v) - 1] = '!';
	assert_int_equal(detector_set_scan(s, sc, v, sizeof(v), false), 1);
	assert_int_equal(detector_scratch_errors(sc), 1);
	assert_int_equal(detector_set_scan(s, sc, "aaaa", 4, false), 1);
	assert_int_equal(detector_set_scan(s, sc, "aab", 3, false), 0);
	assert_int_equal(detector_scratch_errors(sc), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_email),
		cmocka_unit_test(t_phone),
		cmocka_unit_test(t_credit_card),
		cmocka_unit_test(t_iban),
		cmocka_unit_test(t_us_ssn),
		cmocka_unit_test(t_ipv4),
		cmocka_unit_test(t_ipv6),
		cmocka_unit_test(t_date_of_birth),
		cmocka_unit_test(t_prefilter_lengths),
		cmocka_unit_test(t_prefilter_exact),
		cmocka_unit_test(t_email_model),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_set),
		cmocka_unit_test(t_custom),
		cmocka_unit_test(t_custom_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
