/* Validators behind the PII detectors: checksums, issuer and country
 * tables, number ranges, address syntax. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "detect-internal.h"

#define D_NUM (DCL_DIGIT | DCL_HEX | DCL_LOCAL | DCL_PHONE)
#define D_HEXA (DCL_ALPHA | DCL_HEX | DCL_LOCAL)
#define D_ALPHA (DCL_ALPHA | DCL_LOCAL)

const uint8_t detect_class[256] = {
	['0' ... '9'] = D_NUM,
	['A' ... 'F'] = D_HEXA,
	['G' ... 'Z'] = D_ALPHA,
	['a' ... 'f'] = D_HEXA,
	['g' ... 'z'] = D_ALPHA,
	['@'] = DCL_AT,
	['.'] = DCL_DOT | DCL_LOCAL | DCL_PHONE,
	[':'] = DCL_COLON,
	['_'] = DCL_LOCAL,
	['%'] = DCL_LOCAL,
	['\''] = DCL_LOCAL,
	['+'] = DCL_LOCAL | DCL_PHONE,
	['-'] = DCL_LOCAL | DCL_PHONE,
	[' '] = DCL_PHONE,
	['('] = DCL_PHONE,
	[')'] = DCL_PHONE,
};

bool
luhn_valid(const char *digits, size_t len)
{
	unsigned sum = 0;
	bool dbl = false;

	if (len < 2)
		return false;
	for (size_t i = len; i-- > 0;) {
		unsigned d;

		if (!detect_digit(digits[i]))
			return false;
		d = (unsigned)(digits[i] - '0');
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

/* Issuer identification: a range of leading digits and the lengths the
 * network issues (bit n set = n digits). */
#define LEN(n) (UINT32_C(1) << (n))
#define LENS(a, b) ((LEN((b) + 1) - 1) & ~(LEN(a) - 1))

static const struct card_issuer {
	unsigned lo, hi;
	unsigned prefix_len;
	uint32_t lengths;
} card_issuers[] = {
	{ 4, 4, 1, LEN(13) | LEN(16) | LEN(19) },     /* Visa */
	{ 51, 55, 2, LEN(16) },                       /* Mastercard */
	{ 2221, 2720, 4, LEN(16) },                   /* Mastercard 2-series */
	{ 34, 34, 2, LEN(15) },                       /* American Express */
	{ 37, 37, 2, LEN(15) },
	{ 6011, 6011, 4, LENS(16, 19) },              /* Discover */
	{ 644, 649, 3, LENS(16, 19) },
	{ 65, 65, 2, LENS(16, 19) },
	{ 3528, 3589, 4, LENS(16, 19) },              /* JCB */
	{ 300, 305, 3, LENS(14, 19) },                /* Diners Club */
	{ 36, 36, 2, LENS(14, 19) },
	{ 38, 38, 2, LENS(14, 19) },
	{ 62, 62, 2, LENS(16, 19) },                  /* UnionPay */
	{ 5018, 5018, 4, LENS(12, 19) },              /* Maestro */
	{ 5020, 5020, 4, LENS(12, 19) },
	{ 5038, 5038, 4, LENS(12, 19) },
	{ 5893, 5893, 4, LENS(12, 19) },
	{ 6304, 6304, 4, LENS(12, 19) },
	{ 6759, 6759, 4, LENS(12, 19) },
	{ 6761, 6763, 4, LENS(12, 19) },
	{ 2200, 2204, 4, LENS(16, 19) },              /* Mir */
};

bool
card_number_valid(const char *s, size_t len)
{
	char digits[19];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (detect_digit(s[i])) {
			if (n == sizeof(digits))
				return false;
			digits[n++] = s[i];
		} else if (s[i] != ' ' && s[i] != '-') {
			return false;
		}
	}
	if (n < 13)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(card_issuers); i++) {
		const struct card_issuer *c = &card_issuers[i];
		unsigned prefix = 0;

		for (size_t j = 0; j < c->prefix_len; j++)
			prefix = prefix * 10 + (unsigned)(digits[j] - '0');
		if (prefix >= c->lo && prefix <= c->hi &&
		    (c->lengths & LEN(n)))
			return luhn_valid(digits, n);
	}
	return false;
}

/* IBAN lengths by country, from the ISO 13616 registry. */
static const struct iban_country {
	char code[3];
	uint8_t length;
} iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 },
	{ "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 },
	{ "BR", 29 }, { "BY", 28 }, { "CH", 21 }, { "CR", 22 }, { "CY", 28 },
	{ "CZ", 24 }, { "DE", 22 }, { "DJ", 27 }, { "DK", 18 }, { "DO", 28 },
	{ "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FK", 18 },
	{ "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
	{ "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 },
	{ "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 },
	{ "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 },
	{ "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "LY", 25 },
	{ "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 }, { "MN", 20 },
	{ "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 },
	{ "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 },
	{ "PT", 25 }, { "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 },
	{ "SA", 24 }, { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "SO", 23 }, { "ST", 25 }, { "SV", 28 },
	{ "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 },
	{ "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static char
detect_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Expected IBAN length for a country code, or 0. */
size_t
detect_iban_length(char a, char b)
{
	size_t lo = 0, hi = ELEMENTSOF(iban_countries);

	a = detect_upper(a);
	b = detect_upper(b);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *c = iban_countries[mid].code;
		int cmp = c[0] != a ? c[0] - a : c[1] - b;

		if (cmp == 0)
			return iban_countries[mid].length;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static unsigned
iban_mod97_step(unsigned r, char c)
{
	if (detect_digit(c))
		return (r * 10 + (unsigned)(c - '0')) % 97;
	return (r * 100 + (unsigned)(detect_upper(c) - 'A' + 10)) % 97;
}

bool
iban_valid(const char *s, size_t len)
{
	char v[34];
	size_t n = 0, want;
	unsigned r = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (!detect_alnum(s[i]) || n == sizeof(v))
			return false;
		v[n++] = s[i];
	}
	if (n < 5 || !detect_is(v[0], DCL_ALPHA) ||
	    !detect_is(v[1], DCL_ALPHA) || !detect_digit(v[2]) ||
	    !detect_digit(v[3]))
		return false;
	want = detect_iban_length(v[0], v[1]);
	if (want == 0 || n != want)
		return false;
	/* ISO 7064 mod 97-10 over BBAN, country and check digits */
	for (size_t i = 4; i < n; i++)
		r = iban_mod97_step(r, v[i]);
	for (size_t i = 0; i < 4; i++)
		r = iban_mod97_step(r, v[i]);
	return r == 1;
}

bool
detect_mod97_valid(const char *digits, size_t len)
{
	unsigned r = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (!detect_digit(digits[i]))
			continue;
		r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
		n++;
	}
	return n >= 3 && r == 1;
}

bool
detect_verhoeff_valid(const char *digits, size_t len)
{
	static const uint8_t d[10][10] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
		{ 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 },
		{ 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 },
		{ 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
		{ 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 },
		{ 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
		{ 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 },
		{ 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
		{ 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 },
		{ 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
	};
	static const uint8_t p[8][10] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
		{ 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 },
		{ 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 },
		{ 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
		{ 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 },
		{ 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
		{ 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 },
		{ 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 },
	};
	unsigned c = 0;
	size_t n = 0;

	for (size_t i = len; i-- > 0;) {
		if (!detect_digit(digits[i]))
			continue;
		c = d[c][p[n % 8][digits[i] - '0']];
		n++;
	}
	return n >= 2 && c == 0;
}

static unsigned
detect_number(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static bool
detect_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!detect_digit(s[i]))
			return false;
	return true;
}

bool
us_ssn_valid(const char *s, size_t len)
{
	char v[9];
	unsigned area, group, serial;

	if (len == 11) {
		if (s[3] != '-' || s[6] != '-' || !detect_all_digits(s, 3) ||
		    !detect_all_digits(s + 4, 2) ||
		    !detect_all_digits(s + 7, 4))
			return false;
		memcpy(v, s, 3);
		memcpy(v + 3, s + 4, 2);
		memcpy(v + 5, s + 7, 4);
	} else if (len == 9 && detect_all_digits(s, 9)) {
		memcpy(v, s, 9);
	} else {
		return false;
	}
	area = detect_number(v, 3);
	group = detect_number(v + 3, 2);
	serial = detect_number(v + 5, 4);
	/* Never issued: area 000, 666 and 900-999, group 00, serial 0000. */
	return area != 0 && area != 666 && area < 900 && group != 0 &&
	    serial != 0;
}

bool
detect_email_local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!detect_is(s[i], DCL_LOCAL))
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

bool
detect_email_domain_ok(const char *s, size_t n)
{
	size_t label = 0, labels = 0, tld_start = 0;
	bool tld_alpha = true;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			labels++;
			label = 0;
			continue;
		}
		if (label == 0) {
			if (!detect_alnum(s[i]))
				return false;
			tld_start = i;
			tld_alpha = true;
		} else if (!detect_alnum(s[i]) && s[i] != '-') {
			return false;
		}
		if (!detect_is(s[i], DCL_ALPHA))
			tld_alpha = false;
		label++;
	}
	/* A dotted name ending in a top-level domain of letters. */
	return labels >= 2 && tld_alpha && n - tld_start >= 2;
}

bool
email_valid(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t l;

	if (!at)
		return false;
	l = (size_t)(at - s);
	return detect_email_local_ok(s, l) &&
	    detect_email_domain_ok(at + 1, len - l - 1);
}

bool
ipv4_valid(const char *s, size_t len)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			start = ++i;
		}
		while (i < len && detect_digit(s[i]) && i - start < 4)
			i++;
		if (i == start || i - start > 3)
			return false;
		if (s[start] == '0' && i - start > 1)
			return false;
		if (detect_number(s + start, i - start) > 255)
			return false;
	}
	return i == len;
}

bool
ipv6_valid(const char *s, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* Days from 1970-01-01 in the proleptic Gregorian calendar. */
int64_t
detect_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool
detect_date_valid(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}
