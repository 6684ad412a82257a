/* Finders: locate candidates for each built-in detector inside a value and
 * validate them. The rules that decide what counts are written out here
 * and in detect.h. */
#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "detect-internal.h"

static bool
detect_word(char c)
{
	return detect_alnum(c) || c == '_';
}

/* The first position from i on that holds a digit, a or b, or n: the
 * finders of numbers skip the text between numbers sixteen bytes at a
 * time. */
static inline size_t
detect_next_digit_or(const char *s, size_t n, size_t i, char a, char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);

	for (; i + 16 <= n; i += 16) {
		const __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
		const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
		const __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d,
		    _mm_set1_epi8(9)), d), _mm_or_si128(_mm_cmpeq_epi8(x, va),
		    _mm_cmpeq_epi8(x, vb)));
		const unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	while (i < n && !detect_digit(s[i]) && s[i] != a && s[i] != b)
		i++;
	return i;
}

static inline size_t
detect_next_digit(const char *s, size_t n, size_t i)
{
	return detect_next_digit_or(s, n, i, '0', '0');
}

/* E-mail: local@domain where the domain is dotted and ends in letters.
 * The user part of a URL ("scheme://user@host", "scheme://user:pw@host")
 * is not an address; neither are image names like "logo@2x.png". */

static bool
email_url_userinfo(const char *s, size_t l)
{
	size_t u;

	if (l >= 3 && memcmp(s + l - 3, "://", 3) == 0)
		return true;
	if (l >= 1 && s[l - 1] == ':') {
		u = l - 1;
		while (u > 0 && detect_is(s[u - 1], DCL_LOCAL))
			u--;
		if (u >= 3 && memcmp(s + u - 3, "://", 3) == 0)
			return true;
	}
	return false;
}

/* The domain of an address, from s[from]: the longest run of letters,
 * digits, '-' and '.' there, less its trailing dots, is a name
 * detect_email_domain_ok() takes and no image scale ("2x.png": digits and
 * an x for a first label). Both are checked in the pass that finds where
 * the run ends. */
static bool
email_domain_at(const char *s, size_t n, size_t from)
{
	size_t label = 0, labels = 0, digits = 0, tld = 0, dots = 0;
	size_t end = from;
	bool alpha = true, tld_alpha = false, bad = false, scale = false;

	for (size_t i = from; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (dots++ > 0)
				continue;
			/* a label ends */
			if (label == 0 || label > 63 || s[i - 1] == '-')
				bad = true;
			if (labels == 0 && digits > 0 && label == digits + 1 &&
			    (s[i - 1] | 0x20) == 'x')
				scale = true;
			labels++;
			tld = label;
			tld_alpha = alpha;
			label = 0;
			continue;
		}
		if (!detect_alnum(c) && c != '-')
			break;
		if (dots > 1)
			bad = true; /* an empty label */
		dots = 0;
		if (label == 0) {
			if (c == '-')
				bad = true;
			alpha = true;
		}
		if (labels == 0 && label == digits && detect_digit(c))
			digits++;
		if (!detect_is(c, DCL_ALPHA))
			alpha = false;
		label++;
		end = i + 1;
	}
	/* Trailing dots are not the domain's: the label before them ended
	 * at the first. */
	if (dots == 0) {
		if (label == 0 || label > 63 || s[end - 1] == '-')
			bad = true;
		labels++;
		tld = label;
		tld_alpha = alpha;
	}
	return !bad && !scale && end - from <= 253 && labels >= 2 &&
	    tld_alpha && tld >= 2;
}

bool
detect_find_email(const char *s, size_t n)
{
	const char *end = s + n, *p = s, *at;

	while (p < end && (at = memchr(p, '@', (size_t)(end - p)))) {
		size_t i = (size_t)(at - s), l = i;
		size_t dots = SIZE_MAX; /* where the last ".." before i starts */

		p = at + 1;
		while (l > 0 && detect_is(s[l - 1], DCL_LOCAL)) {
			l--;
			if (s[l] == '.' && dots == SIZE_MAX && l + 1 < i &&
			    s[l + 1] == '.')
				dots = l;
		}
		while (l < i && (s[l] == '.' || s[l] == '\''))
			l++;
		if (l == i || email_url_userinfo(s, l))
			continue;
		/* detect_email_local_ok(s + l, i - l), knowing that every
		 * byte of it is DCL_LOCAL and the first is no dot */
		if (i - l > 64 || s[i - 1] == '.' ||
		    (dots != SIZE_MAX && dots >= l))
			continue;
		if (email_domain_at(s, n, i + 1))
			return true;
	}
	return false;
}

/* Phone numbers. A candidate is a run of digits and phone punctuation
 * (space, '-', '.', parentheses, a leading '+'), not glued to letters or
 * digits, ending where the punctuation stops fitting (two separators in a
 * row, a stray parenthesis, any other character). It is a phone
 * number when it is one of:
 *  - international: '+' then 8 to 15 digits (E.164), any grouping, or
 *    "00" then 8 to 15 digits in at least two groups;
 *  - NANP: [1] AAA EEE NNNN in three (four) groups, area and exchange
 *    starting with 2-9, the area code optionally in parentheses;
 *  - national with a trunk 0: a first group of 2 to 5 digits starting
 *    with 0 (not 00), at least two groups of 2 to 8 digits, 9 to 12
 *    digits in all (UK 020 7946 0018, FR 01 23 45 67 89, DE 030 1234567).
 * Ungrouped national numbers are not phones: they look like the IDs,
 * amounts and account numbers that fill datasets. */

struct phone_parse {
	bool plus;
	size_t ngroups;
	size_t glen[PHONE_MAX_GROUPS];
	const char *g[PHONE_MAX_GROUPS];
	int paren; /* index of the group in parentheses, or -1 */
	size_t digits;
};

static bool
phone_sep(char c)
{
	return c == ' ' || c == '-' || c == '.';
}

/* Parses the longest phone-shaped prefix of s[i, n): groups of digits,
 * one separator between groups (none needed after a closing parenthesis),
 * one group in parentheses, a leading '+'. Returns where the last whole
 * group ends; pp->ngroups is 0 when nothing fits. */
static size_t
phone_scan(const char *s, size_t n, size_t i, struct phone_parse *pp)
{
	size_t end = i;

	/* g and glen are written before they are read. */
	pp->plus = false;
	pp->ngroups = 0;
	pp->paren = -1;
	pp->digits = 0;
	if (s[i] == '+') {
		pp->plus = true;
		i++;
	}
	while (i < n) {
		bool open = false;
		size_t start;

		if (s[i] == '(') {
			if (pp->paren >= 0)
				break;
			open = true;
			i++;
		}
		start = i;
		while (i < n && detect_digit(s[i]))
			i++;
		if (i == start || (open && (i >= n || s[i] != ')')))
			break;
		if (pp->ngroups == PHONE_MAX_GROUPS) {
			pp->ngroups = 0;
			return i;
		}
		pp->g[pp->ngroups] = s + start;
		pp->glen[pp->ngroups] = i - start;
		pp->digits += i - start;
		if (open) {
			pp->paren = (int)pp->ngroups;
			i++;
		}
		pp->ngroups++;
		end = i;
		if (i == n)
			break;
		if (phone_sep(s[i]) && i + 1 < n &&
		    (detect_digit(s[i + 1]) || s[i + 1] == '('))
			i++;
		else if (!open || !(detect_digit(s[i]) || s[i] == '('))
			break;
	}
	return end;
}

static bool
phone_match(const struct phone_parse *pp)
{
	size_t k = 0;

	if (pp->ngroups == 0 || pp->digits < 8)
		return false;
	if (pp->plus)
		return pp->g[0][0] != '0' && pp->digits <= 15;
	if (pp->ngroups < 2)
		return false;
	if (pp->glen[0] >= 2 && pp->g[0][0] == '0' && pp->g[0][1] == '0')
		return pp->digits >= 10 && pp->digits <= 17 &&
		    (pp->glen[0] > 2 ? pp->g[0][2] : pp->g[1][0]) != '0';
	if (pp->ngroups == 4 && pp->glen[0] == 1 && pp->g[0][0] == '1')
		k = 1;
	if (pp->ngroups - k == 3 && pp->glen[k] == 3 &&
	    pp->glen[k + 1] == 3 && pp->glen[k + 2] == 4 &&
	    pp->g[k][0] >= '2' && pp->g[k + 1][0] >= '2' &&
	    (pp->paren < 0 || pp->paren == (int)k))
		return true;
	if (pp->g[0][0] == '0' && pp->glen[0] >= 2 && pp->glen[0] <= 5 &&
	    pp->digits >= 9 && pp->digits <= 12 && pp->paren <= 0) {
		for (size_t i = 1; i < pp->ngroups; i++)
			if (pp->glen[i] < 2 || pp->glen[i] > 8)
				return false;
		return true;
	}
	return false;
}

bool
detect_find_phone(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		struct phone_parse pp;
		size_t start, end;

		start = i = detect_next_digit_or(s, n, i, '+', '(');
		if (i == n)
			break;
		end = phone_scan(s, n, start, &pp);
		if ((start == 0 || !detect_word(s[start - 1])) &&
		    (end == n || !detect_word(s[end])) && phone_match(&pp))
			return true;
		/* go on after this candidate (and the digits glued to it) */
		i = MAX(end, start + 1);
		while (i < n && detect_digit(s[i]))
			i++;
	}
	return false;
}

/* Payment cards: 13 to 19 digits, contiguous or grouped by a single
 * space or dash (groups of four with a shorter last one, or the 4-6-5
 * and 4-6-4 layouts of Amex and Diners), not glued to a word or to a
 * longer number, with a known issuer prefix and a valid Luhn digit. */

static bool
card_shape(const size_t *glen, size_t k)
{
	if (k == 1)
		return glen[0] >= 13 && glen[0] <= 19;
	if (k == 3 && glen[0] == 4 && glen[1] == 6 &&
	    (glen[2] == 5 || glen[2] == 4))
		return true;
	for (size_t i = 0; i + 1 < k; i++)
		if (glen[i] != 4)
			return false;
	return glen[k - 1] >= 1 && glen[k - 1] <= 4;
}

static bool
card_group_next(const char *s, size_t n, size_t pos, char *sep)
{
	if (pos + 1 >= n || (s[pos] != ' ' && s[pos] != '-') ||
	    !detect_digit(s[pos + 1]))
		return false;
	if (*sep && *sep != s[pos])
		return false;
	*sep = s[pos];
	return true;
}

static bool
card_try(const char *s, size_t n, size_t ga)
{
	size_t glen[19], k = 0, total = 0, pos = ga;
	char digits[19];
	char sep = 0;

	for (;;) {
		size_t st = pos;

		while (pos < n && detect_digit(s[pos]))
			pos++;
		if (total + (pos - st) > 19)
			return false;
		memcpy(digits + total, s + st, pos - st);
		total += pos - st;
		glen[k++] = pos - st;
		if (total >= 13 && card_shape(glen, k) &&
		    (pos == n || !detect_word(s[pos])) &&
		    card_number_valid(digits, total))
			return true;
		if (!card_group_next(s, n, pos, &sep))
			return false;
		pos++;
	}
}

/* The digits of the chain of groups from i (each group joined to the next
 * by one space or dash, of either kind), and in *ret_end where its last
 * group ends. */
static size_t
card_chain_digits(const char *s, size_t n, size_t i, size_t *ret_end)
{
	size_t digits = 0;

	for (;;) {
		size_t st = i;
		char sep = 0;

		while (i < n && detect_digit(s[i]))
			i++;
		digits += i - st;
		if (!card_group_next(s, n, i, &sep))
			break;
		i++;
	}
	*ret_end = i;
	return digits;
}

bool
detect_find_card(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t ga;
		bool glued;

		i = detect_next_digit(s, n, i);
		if (i == n)
			break;
		/* A card needs 13 digits in one chain of groups: a chain with
		 * fewer is passed over whole. */
		if (card_chain_digits(s, n, i, &ga) < 13) {
			i = ga;
			continue;
		}
		glued = i > 0 && (detect_word(s[i - 1]) ||
		    ((s[i - 1] == '.' || s[i - 1] == ',') && i > 1 &&
		    detect_digit(s[i - 2])));
		/* every group of the chain may start a card number */
		for (ga = i;;) {
			size_t p = ga;
			char sep = 0;

			if (!(ga == i && glued) && card_try(s, n, ga))
				return true;
			while (p < n && detect_digit(s[p]))
				p++;
			if (!card_group_next(s, n, p, &sep)) {
				i = p;
				break;
			}
			ga = p + 1;
		}
	}
	return false;
}

/* IBAN: country letters, two check digits and the BBAN, case-insensitive,
 * contiguous or printed in groups of four separated by single spaces,
 * not glued to a word; the length must be the country's and the mod 97
 * check must hold. Whether one starts at i: the country letters and check
 * digits were already seen; then the country's length in letters and
 * digits follows. */
static bool
iban_at(const char *s, size_t n, size_t i)
{
	char v[34];
	size_t want, k = 0, j = i;

	want = detect_iban_length(s[i], s[i + 1]);
	if (want == 0)
		return false;
	while (k < want && j < n) {
		if (detect_alnum(s[j])) {
			v[k++] = s[j++];
		} else if (s[j] == ' ' && k % 4 == 0 && j + 1 < n &&
		    detect_alnum(s[j + 1])) {
			j++;
		} else {
			break;
		}
	}
	return k == want && (j == n || !detect_word(s[j])) && iban_valid(v, k);
}

bool
detect_find_iban(const char *s, size_t n)
{
	/* Only where a word starts with two letters and two digits (and
	 * at least one byte follows them): found from the digits, which
	 * are few in most text. */
	for (size_t d = detect_next_digit(s, n, 2); d + 2 < n;
	    d = detect_next_digit(s, n, d + 1)) {
		size_t i = d - 2;

		if (detect_digit(s[d + 1]) && detect_is(s[i], DCL_ALPHA) &&
		    detect_is(s[i + 1], DCL_ALPHA) &&
		    (i == 0 || !detect_word(s[i - 1])) && iban_at(s, n, i))
			return true;
	}
	return false;
}

/* US SSN: the dashed AAA-GG-SSSS form anywhere in the text, not glued to
 * letters, digits, dashes or dots; the bare nine-digit form only when it
 * is the whole value (blanks aside), since nine-digit numbers inside text
 * are mostly something else. Both must pass the issuance ranges. */
bool
detect_find_ssn(const char *s, size_t n)
{
	const char *end = s + n, *p = s, *dash;
	size_t a = 0, b = n;

	while (p < end && (dash = memchr(p, '-', (size_t)(end - p)))) {
		size_t d = (size_t)(dash - s), i;

		p = dash + 1;
		if (d < 3 || d + 8 > n)
			continue;
		i = d - 3;
		if (i > 0 && (detect_word(s[i - 1]) || s[i - 1] == '-' ||
		    s[i - 1] == '.'))
			continue;
		if (i + 11 < n && (detect_word(s[i + 11]) ||
		    s[i + 11] == '-' || (s[i + 11] == '.' && i + 12 < n &&
		    detect_digit(s[i + 12]))))
			continue;
		if (us_ssn_valid(s + i, 11))
			return true;
	}
	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	return b - a == 9 && us_ssn_valid(s + a, 9);
}

/* IPv4: a dotted quad (0-255, no leading zeros) that is not part of a
 * longer dotted number ("1.2.3.4.5") or glued to a word ("v1.2.3.4"); a
 * dot that ends a sentence is allowed after it. */
bool
detect_find_ipv4(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, e;

		i = detect_next_digit(s, n, i);
		if (i == n)
			break;
		start = i;
		while (i < n && (detect_digit(s[i]) || s[i] == '.'))
			i++;
		if (start > 0 && (detect_word(s[start - 1]) ||
		    s[start - 1] == '.'))
			continue;
		if (i < n && detect_word(s[i]))
			continue;
		e = i;
		if (s[e - 1] == '.')
			e--;
		if (e - start >= 7 && ipv4_valid(s + start, e - start))
			return true;
	}
	return false;
}

/* IPv6: a run of hex digits, colons and dots with at least two colons and
 * one hex digit, not glued to a word ("std::vector" is not an address),
 * that inet_pton accepts. */
bool
detect_find_ipv6(const char *s, size_t n)
{
	const char *end = s + n, *p = s, *c;

	while (p < end && (c = memchr(p, ':', (size_t)(end - p)))) {
		size_t l = (size_t)(c - s), r = l, colons = 0, hex = 0;

		while (l > 0 && (detect_is(s[l - 1], DCL_HEX) ||
		    s[l - 1] == ':' || s[l - 1] == '.'))
			l--;
		while (r < n && (detect_is(s[r], DCL_HEX) || s[r] == ':' ||
		    s[r] == '.'))
			r++;
		p = s + r;
		if ((l > 0 && detect_word(s[l - 1])) ||
		    (r < n && detect_word(s[r])))
			continue;
		while (r > l && s[r - 1] == '.')
			r--;
		for (size_t i = l; i < r; i++) {
			colons += s[i] == ':';
			hex += detect_is(s[i], DCL_HEX);
		}
		if (colons >= 2 && hex > 0 && ipv6_valid(s + l, r - l))
			return true;
	}
	return false;
}

/* Dates of birth: the whole value is a date in one of the common forms
 * (2006-01-02, 2006/01/02, 20060102, 02/01/2006 or 01/02/2006 read
 * either way, 02.01.2006, 2 Jan 2006, 2-Jan-2006, Jan 2, 2006, January 2
 * 2006), optionally followed by a time after 'T' or a space when the
 * year comes first, between 1900-01-01 and the reference day. */

struct date_cursor {
	const char *s;
	size_t i, n;
};

static size_t
date_number(struct date_cursor *c, int *ret)
{
	size_t start = c->i;
	int v = 0;

	while (c->i < c->n && detect_digit(c->s[c->i]) && c->i - start < 8) {
		v = v * 10 + (c->s[c->i] - '0');
		c->i++;
	}
	*ret = v;
	return c->i - start;
}

static int
date_month_name(struct date_cursor *c)
{
	static const char *const names[12] = { "january", "february", "march",
		"april", "may", "june", "july", "august", "september",
		"october", "november", "december" };
	size_t start = c->i, len;

	while (c->i < c->n && detect_is(c->s[c->i], DCL_ALPHA))
		c->i++;
	len = c->i - start;
	if (len < 3)
		return 0;
	for (int m = 0; m < 12; m++) {
		size_t full = strlen(names[m]);

		if (len <= full && strncasecmp(c->s + start, names[m], len) ==
		    0 && (len == 3 || len == full || (m == 8 && len == 4))) {
			if (c->i < c->n && c->s[c->i] == '.' && len < full)
				c->i++;
			return m + 1;
		}
	}
	return 0;
}

static bool
date_plausible(int y, int m, int d, int64_t ref_days)
{
	int64_t days;

	if (y < 1900 || !detect_date_valid(y, m, d))
		return false;
	days = detect_days_from_civil(y, (unsigned)m, (unsigned)d);
	return days <= ref_days;
}

static bool
date_at_end(const struct date_cursor *c, bool time_allowed)
{
	if (c->i == c->n)
		return true;
	return time_allowed && (c->s[c->i] == 'T' || c->s[c->i] == ' ') &&
	    c->i + 1 < c->n && detect_digit(c->s[c->i + 1]);
}

bool
detect_find_dob(const char *s, size_t n, int64_t ref_days)
{
	struct date_cursor c = { s, 0, n };
	int a, b, y, m;
	size_t la, lb, ly;
	char sep;

	while (c.n > 0 && (s[c.n - 1] == ' ' || s[c.n - 1] == '\t'))
		c.n--;
	while (c.i < c.n && (s[c.i] == ' ' || s[c.i] == '\t'))
		c.i++;
	if (c.i == c.n)
		return false;

	if (detect_is(s[c.i], DCL_ALPHA)) {
		/* Jan 2, 2006 */
		m = date_month_name(&c);
		if (!m || c.i >= c.n || (s[c.i] != ' ' && s[c.i] != '-'))
			return false;
		c.i++;
		la = date_number(&c, &a);
		if (la < 1 || la > 2)
			return false;
		if (c.i < c.n && s[c.i] == ',')
			c.i++;
		if (c.i >= c.n || (s[c.i] != ' ' && s[c.i] != '-'))
			return false;
		c.i++;
		ly = date_number(&c, &y);
		return ly == 4 && date_at_end(&c, false) &&
		    date_plausible(y, m, a, ref_days);
	}

	la = date_number(&c, &a);
	if (la == 8 && date_at_end(&c, false))
		return date_plausible(a / 10000, a / 100 % 100, a % 100,
		    ref_days);
	if (c.i >= c.n)
		return false;
	sep = s[c.i];
	if (la == 4 && (sep == '-' || sep == '/' || sep == '.')) {
		/* 2006-01-02 */
		c.i++;
		lb = date_number(&c, &m);
		if (lb < 1 || lb > 2 || c.i >= c.n || s[c.i] != sep)
			return false;
		c.i++;
		ly = date_number(&c, &b);
		return ly >= 1 && ly <= 2 && date_at_end(&c, true) &&
		    date_plausible(a, m, b, ref_days);
	}
	if (la < 1 || la > 2)
		return false;
	if ((sep == ' ' || sep == '-') && c.i + 1 < c.n &&
	    detect_is(s[c.i + 1], DCL_ALPHA)) {
		/* 2 Jan 2006, 2-Jan-2006 */
		c.i++;
		m = date_month_name(&c);
		if (!m || c.i >= c.n || s[c.i] != sep)
			return false;
		c.i++;
		ly = date_number(&c, &y);
		return ly == 4 && date_at_end(&c, false) &&
		    date_plausible(y, m, a, ref_days);
	}
	if (sep != '/' && sep != '.' && sep != '-')
		return false;
	/* 02/01/2006: day first or month first */
	c.i++;
	lb = date_number(&c, &b);
	if (lb < 1 || lb > 2 || c.i >= c.n || s[c.i] != sep)
		return false;
	c.i++;
	ly = date_number(&c, &y);
	if (ly != 4 || !date_at_end(&c, false))
		return false;
	return date_plausible(y, b, a, ref_days) ||
	    date_plausible(y, a, b, ref_days);
}
