/* Detector sets: names, the pre-filter and dispatch of a scan, and custom
 * PCRE2 detectors with optional checksum validation. */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "detect-internal.h"

#define DETECT_MAX 64
/* Bounds on the work one custom detector may do on one value. */
#define DETECT_MATCH_LIMIT 1000000
#define DETECT_DEPTH_LIMIT 10000
#define DETECT_MAX_ATTEMPTS 64
#define DETECT_JIT_STACK_START (32 * 1024)
#define DETECT_JIT_STACK_MAX (1024 * 1024)

static const char *const detector_names[] = {
	[DETECT_EMAIL] = "email",
	[DETECT_PHONE] = "phone",
	[DETECT_CREDIT_CARD] = "credit_card",
	[DETECT_IBAN] = "iban",
	[DETECT_US_SSN] = "us_ssn",
	[DETECT_IPV4] = "ipv4",
	[DETECT_IPV6] = "ipv6",
	[DETECT_DATE_OF_BIRTH] = "date_of_birth",
	[DETECT_CUSTOM] = "custom",
};

const char *const detector_default_names[] = {
	"email", "phone", "credit_card", "iban", "us_ssn", "ipv4", "ipv6",
	"date_of_birth", NULL,
};

struct detector_entry {
	enum detector_kind kind;
	char *name; /* custom detectors only */
	pcre2_code *code;
	enum detector_checksum validate;
};

struct detector_set {
	size_t n;
	struct detector_entry e[DETECT_MAX];
	bool has_custom;
	uint64_t builtin[_DETECT_BUILTIN_MAX]; /* result bits of each kind */
	unsigned kinds; /* bit k: a detector of kind k is in the set */
	int64_t ref_days; /* the last plausible birth day */
};

struct detector_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	uint64_t errors;
};

int
detector_kind_from_name(const char *name, enum detector_kind *ret)
{
	if (streq(name, "ip_address")) {
		*ret = DETECT_IPV4;
		return 1;
	}
	for (size_t i = 0; i < _DETECT_BUILTIN_MAX; i++)
		if (streq(name, detector_names[i])) {
			*ret = (enum detector_kind)i;
			return 0;
		}
	return -EINVAL;
}

int
detector_kinds_from_name(const char *name, enum detector_kind ret[2],
    size_t *ret_n)
{
	enum detector_kind k;
	int r;

	r = detector_kind_from_name(name, &k);
	if (r < 0)
		return r;
	ret[0] = k;
	if (r == 1)
		ret[1] = DETECT_IPV6;
	*ret_n = r == 1 ? 2 : 1;
	return 0;
}

const char *
detector_kind_name(enum detector_kind k)
{
	if ((unsigned)k >= ELEMENTSOF(detector_names))
		return NULL;
	return detector_names[k];
}

int
detector_checksum_from_name(const char *name, enum detector_checksum *ret)
{
	static const struct {
		const char *name;
		enum detector_checksum c;
	} table[] = {
		{ "none", CHECKSUM_NONE },
		{ "luhn", CHECKSUM_LUHN },
		{ "mod97", CHECKSUM_MOD97 },
		{ "iban", CHECKSUM_IBAN },
		{ "verhoeff", CHECKSUM_VERHOEFF },
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (streq(name, table[i].name)) {
			*ret = table[i].c;
			return 0;
		}
	return -EINVAL;
}

static void
detector_entry_clear(struct detector_entry *e)
{
	free(e->name);
	pcre2_code_free(e->code);
}

void
detector_set_free(struct detector_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		detector_entry_clear(&s->e[i]);
	free(s);
}

static void
detector_err(char *errbuf, size_t errlen, const char *fmt, ...)
    _printf_(3, 4);

static void
detector_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static int
detector_compile(const struct detector_custom_spec *spec,
    struct detector_entry *e, char *errbuf, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	e->code = pcre2_compile((PCRE2_SPTR)spec->pattern,
	    PCRE2_ZERO_TERMINATED, PCRE2_NEVER_BACKSLASH_C, &code, &off,
	    NULL);
	if (!e->code) {
		if (code == PCRE2_ERROR_HEAP_FAILED)
			return -ENOMEM;
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		detector_err(errbuf, errlen,
		    "detector '%s': bad pattern at offset %zu: %s", spec->name,
		    (size_t)off, (const char *)msg);
		return -EINVAL;
	}
	/* Without JIT support (or memory for it) the interpreter runs the
	 * same pattern, only slower. */
	(void)pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
	return 0;
}

static int64_t
detector_today(void)
{
	time_t t = time(NULL);
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm))
		return 0;
	return detect_days_from_civil(tm.tm_year + 1900,
	    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

int
detector_set_new(const enum detector_kind *kinds, size_t nkinds,
    const struct detector_custom_spec *custom, size_t ncustom,
    struct detector_set **ret, char *errbuf, size_t errlen)
{
	_cleanup_(detector_set_freep) struct detector_set *s = NULL;
	int k;

	if ((nkinds && !kinds) || (ncustom && !custom) || !ret) {
		detector_err(errbuf, errlen, "invalid arguments");
		return -EINVAL;
	}
	if (nkinds > DETECT_MAX || ncustom > DETECT_MAX - nkinds) {
		detector_err(errbuf, errlen, "more than %d detectors",
		    DETECT_MAX);
		return -E2BIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ref_days = detector_today();
	for (size_t i = 0; i < nkinds; i++) {
		if ((unsigned)kinds[i] >= _DETECT_BUILTIN_MAX) {
			detector_err(errbuf, errlen, "unknown detector kind %d",
			    (int)kinds[i]);
			return -EINVAL;
		}
		s->builtin[kinds[i]] |= UINT64_C(1) << s->n;
		s->kinds |= 1U << kinds[i];
		s->e[s->n++].kind = kinds[i];
	}
	for (size_t i = 0; i < ncustom; i++) {
		const struct detector_custom_spec *spec = &custom[i];
		struct detector_entry *e = &s->e[s->n];

		if (!spec->name || !spec->name[0] || !spec->pattern) {
			detector_err(errbuf, errlen,
			    "custom detector %zu needs a name and a pattern",
			    i + 1);
			return -EINVAL;
		}
		if ((unsigned)spec->validate > CHECKSUM_VERHOEFF) {
			detector_err(errbuf, errlen,
			    "detector '%s': unknown checksum", spec->name);
			return -EINVAL;
		}
		e->kind = DETECT_CUSTOM;
		e->validate = spec->validate;
		e->name = strdup(spec->name);
		if (!e->name)
			return -ENOMEM;
		s->n++;
		k = detector_compile(spec, e, errbuf, errlen);
		if (k < 0)
			return k;
		s->has_custom = true;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int
detector_set_reference_date(struct detector_set *s, int year, int month,
    int day)
{
	if (!s || year < 1900 || year > 9999 ||
	    !detect_date_valid(year, month, day))
		return -EINVAL;
	s->ref_days = detect_days_from_civil(year, (unsigned)month,
	    (unsigned)day);
	return 0;
}

size_t
detector_set_size(const struct detector_set *s)
{
	return s ? s->n : 0;
}

const char *
detector_set_name(const struct detector_set *s, size_t i)
{
	if (!s || i >= s->n)
		return NULL;
	if (s->e[i].kind == DETECT_CUSTOM)
		return s->e[i].name;
	return detector_names[s->e[i].kind];
}

struct detector_scratch *
detector_scratch_new(const struct detector_set *s)
{
	struct detector_scratch *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->md = pcre2_match_data_create(1, NULL);
	sc->mctx = pcre2_match_context_create(NULL);
	if (!sc->md || !sc->mctx) {
		detector_scratch_free(sc);
		return NULL;
	}
	pcre2_set_match_limit(sc->mctx, DETECT_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mctx, DETECT_DEPTH_LIMIT);
	if (s && s->has_custom) {
		sc->jit = pcre2_jit_stack_create(DETECT_JIT_STACK_START,
		    DETECT_JIT_STACK_MAX, NULL);
		/* NULL when JIT is unavailable: the default stack serves. */
		if (sc->jit)
			pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit);
	}
	return sc;
}

void
detector_scratch_free(struct detector_scratch *sc)
{
	if (!sc)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jit);
	free(sc);
}

uint64_t
detector_scratch_errors(const struct detector_scratch *sc)
{
	return sc ? sc->errors : 0;
}

static bool
detector_luhn_any(const char *s, size_t n)
{
	char digits[64];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!detect_digit(s[i]))
			continue;
		if (k == sizeof(digits))
			return false;
		digits[k++] = s[i];
	}
	return luhn_valid(digits, k);
}

static bool
detector_checksum_ok(enum detector_checksum c, const char *s, size_t n)
{
	switch (c) {
	case CHECKSUM_NONE:
		return true;
	case CHECKSUM_LUHN:
		return detector_luhn_any(s, n);
	case CHECKSUM_MOD97:
		return detect_mod97_valid(s, n);
	case CHECKSUM_IBAN:
		return iban_valid(s, n);
	case CHECKSUM_VERHOEFF:
		return detect_verhoeff_valid(s, n);
	}
	return false;
}

/* 1 match, 0 none, -1 error (limits hit, out of memory). */
static int
detector_custom_scan(const struct detector_entry *e,
    struct detector_scratch *sc, const char *v, size_t len)
{
	PCRE2_SIZE start = 0;

	for (int attempt = 0; attempt < DETECT_MAX_ATTEMPTS; attempt++) {
		PCRE2_SIZE *ov;
		int rc;

		rc = pcre2_match(e->code, (PCRE2_SPTR)v, len, start, 0, sc->md,
		    sc->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return -1;
		ov = pcre2_get_ovector_pointer(sc->md);
		if (ov[1] < ov[0])
			return -1; /* \K pushed the start past the end */
		if (detector_checksum_ok(e->validate, v + ov[0],
		    ov[1] - ov[0]))
			return 1;
		/* a failed checksum: look for a match starting later */
		start = ov[0] + 1;
		if (start > len)
			return 0;
	}
	return 0;
}

#ifdef __SSE2__
struct detect_acc {
	__m128i at, dot, colon, alpha, hex, digit, count;
	size_t lanes;
	size_t ndig;
};

static size_t
detect_sum_lanes(__m128i count)
{
	__m128i sums = _mm_sad_epu8(count, _mm_setzero_si128());

	return (size_t)_mm_cvtsi128_si32(sums) +
	    (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
}

/* Adds sixteen bytes; only lanes set in valid count as digits (the class
 * flags do not mind bytes seen twice). */
static inline void
detect_acc_add(struct detect_acc *acc, __m128i x, __m128i valid)
{
	const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('a'));
	const __m128i dm = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)),
	    d);

	/* per-lane digit counts, summed before they wrap */
	acc->count = _mm_sub_epi8(acc->count, _mm_and_si128(dm, valid));
	if (++acc->lanes == 255) {
		acc->ndig += detect_sum_lanes(acc->count);
		acc->count = _mm_setzero_si128();
		acc->lanes = 0;
	}
	acc->digit = _mm_or_si128(acc->digit, dm);
	acc->alpha = _mm_or_si128(acc->alpha,
	    _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l));
	acc->hex = _mm_or_si128(acc->hex,
	    _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l));
	acc->at = _mm_or_si128(acc->at, _mm_cmpeq_epi8(x, _mm_set1_epi8('@')));
	acc->dot = _mm_or_si128(acc->dot,
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	acc->colon = _mm_or_si128(acc->colon,
	    _mm_cmpeq_epi8(x, _mm_set1_epi8(':')));
}

/* Loaded from offset r, the last r lanes are set. */
static const uint8_t detect_tail_mask[32] = { [16 ... 31] = 0xff };
#endif

/* The classes present in v and its number of digits. */
static void
detect_summary(const char *v, size_t len, unsigned *ret_seen,
    size_t *ret_ndig)
{
	unsigned seen = 0;
	size_t ndig = 0, i = 0;

#ifdef __SSE2__
	if (len >= 8) {
		const __m128i all = _mm_set1_epi8(-1);
		struct detect_acc acc = { 0 };

		acc.at = acc.dot = acc.colon = acc.alpha = acc.hex =
		    acc.digit = acc.count = _mm_setzero_si128();
		if (len >= 16) {
			for (; i + 16 <= len; i += 16)
				detect_acc_add(&acc, _mm_loadu_si128(
				    (const __m128i *)(v + i)), all);
			/* the last bytes, overlapping ones already seen */
			if (i < len)
				detect_acc_add(&acc, _mm_loadu_si128(
				    (const __m128i *)(v + len - 16)),
				    _mm_loadu_si128((const __m128i *)
				    (detect_tail_mask + (len - i))));
		} else {
			/* two overlapping halves */
			__m128i x = _mm_unpacklo_epi64(
			    _mm_loadl_epi64((const __m128i *)v),
			    _mm_loadl_epi64((const __m128i *)(v + len - 8)));
			__m128i valid = _mm_or_si128(_mm_set_epi64x(0, -1),
			    _mm_loadu_si128((const __m128i *)
			    (detect_tail_mask + (len - 8))));

			detect_acc_add(&acc, x, valid);
		}
		i = len;
		ndig = acc.ndig + detect_sum_lanes(acc.count);
		seen |= _mm_movemask_epi8(acc.digit) ? DCL_DIGIT | DCL_HEX : 0;
		seen |= _mm_movemask_epi8(acc.alpha) ? DCL_ALPHA : 0;
		seen |= _mm_movemask_epi8(acc.hex) ? DCL_HEX : 0;
		seen |= _mm_movemask_epi8(acc.at) ? DCL_AT : 0;
		seen |= _mm_movemask_epi8(acc.dot) ? DCL_DOT : 0;
		seen |= _mm_movemask_epi8(acc.colon) ? DCL_COLON : 0;
	}
#endif
	for (; i < len; i++) {
		uint8_t c = detect_class[(uint8_t)v[i]];

		seen |= c;
		ndig += c & DCL_DIGIT;
	}
	*ret_seen = seen;
	*ret_ndig = ndig;
}

/* Values of up to DETECT_MASK_MAX bytes, most fields, are also summed up
 * as one bit mask per byte class (bit i for byte i), where the shapes a
 * finder needs are looked for with a few shifts. Each detect_may_*() is
 * false only when its finder cannot match, whatever else the value
 * holds: the finder decides, the masks only spare it values it would
 * reject. */
#define DETECT_MASK_MAX 64

struct detect_masks {
	uint64_t digit, alpha, hexl, dot, colon; /* hexl: a-f, A-F */
	uint64_t dash, space, plus, lparen, rparen, zero, under;
};

#ifdef __SSE2__
/* Bits of the bytes of x that lie in [lo, lo + span]. */
static inline unsigned
detect_in_range(__m128i x, char lo, char span)
{
	const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));

	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_min_epu8(d, _mm_set1_epi8(span)), d));
}

static inline unsigned
detect_eq(__m128i x, char c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x,
	    _mm_set1_epi8(c)));
}

/* Adds the sixteen bytes of x as those at offset at (a byte seen twice
 * gives the same bits twice). */
static inline __attribute__((always_inline)) void
detect_masks_add(struct detect_masks *m, __m128i x, unsigned at)
{
	const __m128i folded = _mm_or_si128(x, _mm_set1_epi8(0x20));

	m->digit |= (uint64_t)detect_in_range(x, '0', 9) << at;
	m->alpha |= (uint64_t)detect_in_range(folded, 'a', 25) << at;
	m->hexl |= (uint64_t)detect_in_range(folded, 'a', 5) << at;
	m->dot |= (uint64_t)detect_eq(x, '.') << at;
	m->colon |= (uint64_t)detect_eq(x, ':') << at;
	m->dash |= (uint64_t)detect_eq(x, '-') << at;
	m->space |= (uint64_t)detect_eq(x, ' ') << at;
	m->plus |= (uint64_t)detect_eq(x, '+') << at;
	m->lparen |= (uint64_t)detect_eq(x, '(') << at;
	m->rparen |= (uint64_t)detect_eq(x, ')') << at;
	m->zero |= (uint64_t)detect_eq(x, '0') << at;
	m->under |= (uint64_t)detect_eq(x, '_') << at;
}
#endif

/* The masks of v, len <= DETECT_MASK_MAX; bits past len are clear. */
static void
detect_masks_of(const char *v, size_t len, struct detect_masks *m)
{
	*m = (struct detect_masks){ 0 };
#ifdef __SSE2__
	if (len >= 16) {
		size_t i;

		for (i = 0; i + 16 <= len; i += 16)
			detect_masks_add(m, _mm_loadu_si128((const __m128i *)
			    (v + i)), (unsigned)i);
		/* the last bytes, overlapping ones already seen */
		if (i < len)
			detect_masks_add(m, _mm_loadu_si128((const __m128i *)
			    (v + len - 16)), (unsigned)len - 16);
	} else {
		/* the value and zeros after it, which belong to no class */
		uint64_t lo = 0, hi = 0;

		if (len > 8) {
			memcpy(&lo, v, 8);
			memcpy(&hi, v + len - 8, 8);
			hi >>= 8 * (16 - len); /* bytes 8 to len - 1 */
		} else if (len == 8) {
			memcpy(&lo, v, 8);
		} else {
			for (size_t i = len; i-- > 0;)
				lo = lo << 8 | (uint8_t)v[i];
		}
		detect_masks_add(m, _mm_set_epi64x((long long)hi,
		    (long long)lo), 0);
	}
#else
	for (size_t i = 0; i < len; i++) {
		const uint64_t bit = UINT64_C(1) << i;
		const char c = v[i];
		const uint8_t cl = detect_class[(uint8_t)c];

		if (cl & DCL_DIGIT)
			m->digit |= bit;
		if (cl & DCL_ALPHA)
			m->alpha |= bit;
		if ((cl & (DCL_ALPHA | DCL_HEX)) == (DCL_ALPHA | DCL_HEX))
			m->hexl |= bit;
		m->dot |= c == '.' ? bit : 0;
		m->colon |= c == ':' ? bit : 0;
		m->dash |= c == '-' ? bit : 0;
		m->space |= c == ' ' ? bit : 0;
		m->plus |= c == '+' ? bit : 0;
		m->lparen |= c == '(' ? bit : 0;
		m->rparen |= c == ')' ? bit : 0;
		m->zero |= c == '0' ? bit : 0;
		m->under |= c == '_' ? bit : 0;
	}
#endif
}

/* Set bits of x. Without the POPCNT instruction (baseline x86-64),
 * __builtin_popcountll() is a call into libgcc's table walk, which the
 * phone pre-filter below would make for most values with digits. */
static inline unsigned
detect_popcount(uint64_t x)
{
#ifdef __POPCNT__
	return (unsigned)__builtin_popcountll(x);
#else
	x -= (x >> 1) & UINT64_C(0x5555555555555555);
	x = (x & UINT64_C(0x3333333333333333)) +
	    ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
#endif
}

/* Phone (detect_find_phone): a '+', or two groups at least (a group, a
 * separator and a digit or '(', or a digit or '(' right after a closing
 * parenthesis) and one of: a group of a 0 and more digits ("00"
 * international, trunk 0), or groups of exactly three and exactly four
 * digits (NANP). Groups are whole runs of digits. */
/* Without '+' or parentheses, each phone candidate is a whole chain of
 * digit groups joined by single separators (phone_scan() stops at
 * nothing else, unless the chain has more groups than PHONE_MAX_GROUPS),
 * and it matches only with 8 digits or more and no word byte on either
 * side. Whether some chain of the value could. */
static bool
detect_may_phone_chain(const struct detect_masks *m)
{
	const uint64_t d = m->digit, sep = m->space | m->dash | m->dot;
	const uint64_t word = d | m->alpha | m->under;
	const uint64_t chain = d | (sep & (d << 1) & (d >> 1));
	uint64_t starts = chain & ~(chain << 1);

	while (starts) {
		const unsigned s = (unsigned)__builtin_ctzll(starts);
		const uint64_t from = ~(chain >> s);
		const unsigned len = from ? (unsigned)__builtin_ctzll(from) :
					    64 - s;
		const uint64_t run = (len >= 64 ? ~UINT64_C(0) :
		    (UINT64_C(1) << len) - 1) << s;
		const unsigned e = s + len; /* the byte after the chain */

		starts &= starts - 1;
		if (detect_popcount(d & run) < 8)
			continue;
		if (detect_popcount(d & ~(d << 1) & run) >
		    PHONE_MAX_GROUPS)
			return true; /* more groups than phone_scan() takes */
		if ((s > 0 && ((word >> (s - 1)) & 1)) ||
		    (e < 64 && ((word >> e) & 1)))
			continue; /* glued to a word */
		return true;
	}
	return false;
}

static bool
detect_may_phone(const struct detect_masks *m)
{
	const uint64_t d = m->digit, sep = m->space | m->dash | m->dot;
	const uint64_t open = d | m->lparen, close = d | m->rparen;
	const uint64_t starts = d & ~(d << 1);
	uint64_t next;

	if (m->plus)
		return true;
	next = ((close << 1) & sep & (open >> 1)) | ((m->rparen << 1) & open);
	if (!next)
		return false;
	if (!(starts & m->zero & (d >> 1)) &&
	    !((starts & (d >> 1) & (d >> 2) & ~(d >> 3)) &&
		(starts & (d >> 1) & (d >> 2) & (d >> 3) & ~(d >> 4))))
		return false;
	/* the costlier test last: dates and times get this far */
	return (m->lparen | m->rparen) || detect_may_phone_chain(m);
}

/* Card (detect_find_card): 13 digits in one chain of groups joined by a
 * space or dash between digits, so 13 bytes in a row of those. */
static bool
detect_may_card(const struct detect_masks *m)
{
	const uint64_t d = m->digit;
	uint64_t c = d | ((m->space | m->dash) & (d << 1) & (d >> 1));

	c &= c >> 1; /* runs of 2 */
	c &= c >> 2; /* of 4 */
	c &= c >> 4; /* of 8 */
	c &= c >> 5; /* of 13 */
	return c != 0;
}

/* IBAN (detect_find_iban): two letters and two digits in a row. */
static bool
detect_may_iban(const struct detect_masks *m)
{
	return (m->alpha & (m->alpha >> 1) & (m->digit >> 2) &
	    (m->digit >> 3)) != 0;
}

/* SSN (detect_find_ssn): AAA-GG-SSSS, or nine digits in all (the bare
 * form is the whole value). */
static bool
detect_may_ssn(const struct detect_masks *m, size_t ndig)
{
	const uint64_t d = m->digit, h = m->dash;

	if (ndig == 9)
		return true;
	return (d & (d >> 1) & (d >> 2) & (h >> 3) & (d >> 4) & (d >> 5) &
	    (h >> 6) & (d >> 7) & (d >> 8) & (d >> 9) & (d >> 10)) != 0;
}

/* IPv4 (detect_find_ipv4): three dots and seven digits and dots in a
 * row. */
static bool
detect_may_ipv4(const struct detect_masks *m)
{
	uint64_t dots = m->dot, e = m->digit | m->dot;

	dots &= dots - 1;
	dots &= dots - 1;
	if (!dots)
		return false;
	e &= e >> 1; /* runs of 2 */
	e &= e >> 2; /* of 4 */
	e &= e >> 3; /* of 7 */
	return e != 0;
}

/* IPv6 (detect_find_ipv6): a run of hex digits, colons and dots with two
 * colons, not preceded by a word byte. */
static bool
detect_may_ipv6(const struct detect_masks *m)
{
	const uint64_t x = m->digit | m->hexl | m->colon | m->dot;
	const uint64_t word = m->digit | m->alpha | m->under;
	const uint64_t starts = x & ~(x << 1) & ~(word << 1);
	/* adding a run's lowest bit flips the whole run */
	uint64_t colons = x & ((x + starts) ^ x) & m->colon;

	return (colons & (colons - 1)) != 0;
}

#define DETECT_BIT(kind) (1U << (kind))

/* Of the finders in run, those whose shape a value of up to
 * DETECT_MASK_MAX bytes has. Kept out of line: most values never need
 * it. */
static __attribute__((noinline)) unsigned
detect_shapes(const char *v, size_t len, size_t ndig, unsigned run)
{
	struct detect_masks m;

	detect_masks_of(v, len, &m);
	if ((run & DETECT_BIT(DETECT_PHONE)) && !detect_may_phone(&m))
		run &= ~DETECT_BIT(DETECT_PHONE);
	if ((run & DETECT_BIT(DETECT_CREDIT_CARD)) && !detect_may_card(&m))
		run &= ~DETECT_BIT(DETECT_CREDIT_CARD);
	if ((run & DETECT_BIT(DETECT_IBAN)) && !detect_may_iban(&m))
		run &= ~DETECT_BIT(DETECT_IBAN);
	if ((run & DETECT_BIT(DETECT_US_SSN)) && !detect_may_ssn(&m, ndig))
		run &= ~DETECT_BIT(DETECT_US_SSN);
	if ((run & DETECT_BIT(DETECT_IPV4)) && !detect_may_ipv4(&m))
		run &= ~DETECT_BIT(DETECT_IPV4);
	if ((run & DETECT_BIT(DETECT_IPV6)) && !detect_may_ipv6(&m))
		run &= ~DETECT_BIT(DETECT_IPV6);
	return run;
}

/* The custom detectors' hits on a value. */
static __attribute__((noinline)) uint64_t
detect_custom_hits(const struct detector_set *s, struct detector_scratch *sc,
    const char *value, size_t len)
{
	struct detector_scratch *own = NULL;
	uint64_t hits = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct detector_entry *e = &s->e[i];
		int r;

		if (e->kind != DETECT_CUSTOM)
			continue;
		if (!sc && !own) {
			own = detector_scratch_new(s);
			if (!own) {
				hits |= UINT64_C(1) << i; /* fail closed */
				continue;
			}
		}
		r = detector_custom_scan(e, sc ? sc : own, value, len);
		if (r < 0) {
			/* A value the pattern cannot decide on is reported,
			 * never silently passed. */
			(sc ? sc : own)->errors++;
			r = 1;
		}
		if (r > 0)
			hits |= UINT64_C(1) << i;
	}
	detector_scratch_free(own);
	return hits;
}

uint64_t
detector_set_scan(const struct detector_set *s, struct detector_scratch *sc,
    const char *value, size_t len, bool dob_context)
{
	uint64_t hits = 0;
	unsigned seen = 0, run = 0;
	size_t ndig = 0;

	if (!s || !value || len == 0)
		return 0;
	/* One pass of cheap facts decides which finders can possibly hit. */
	detect_summary(value, len, &seen, &ndig);
	if ((seen & DCL_AT) && (seen & DCL_DOT) && len >= 6)
		run |= DETECT_BIT(DETECT_EMAIL);
	if (ndig >= 8)
		run |= DETECT_BIT(DETECT_PHONE);
	if (ndig >= 13)
		run |= DETECT_BIT(DETECT_CREDIT_CARD);
	if (ndig >= 2 && (seen & DCL_ALPHA) && len >= 15)
		run |= DETECT_BIT(DETECT_IBAN);
	if (ndig >= 9)
		run |= DETECT_BIT(DETECT_US_SSN);
	if (ndig >= 4 && (seen & DCL_DOT))
		run |= DETECT_BIT(DETECT_IPV4);
	if ((seen & DCL_COLON) && (seen & DCL_HEX))
		run |= DETECT_BIT(DETECT_IPV6);
	if (dob_context && ndig >= 4)
		run |= DETECT_BIT(DETECT_DATE_OF_BIRTH);
	run &= s->kinds;
	/* Then the shapes they need, where that costs less than running
	 * the finders still in: values with many digits. */
	if (ndig >= 8 && len <= DETECT_MASK_MAX && run)
		run = detect_shapes(value, len, ndig, run);
#define DETECT_RUN(kind, found)                                                \
	if ((run & DETECT_BIT(kind)) && (found))                               \
		hits |= s->builtin[kind];
	DETECT_RUN(DETECT_EMAIL, detect_find_email(value, len));
	DETECT_RUN(DETECT_PHONE, detect_find_phone(value, len));
	DETECT_RUN(DETECT_CREDIT_CARD, detect_find_card(value, len));
	DETECT_RUN(DETECT_IBAN, detect_find_iban(value, len));
	DETECT_RUN(DETECT_US_SSN, detect_find_ssn(value, len));
	DETECT_RUN(DETECT_IPV4, detect_find_ipv4(value, len));
	DETECT_RUN(DETECT_IPV6, detect_find_ipv6(value, len));
	DETECT_RUN(DETECT_DATE_OF_BIRTH,
	    detect_find_dob(value, len, s->ref_days));
#undef DETECT_RUN
	if (s->has_custom)
		hits |= detect_custom_hits(s, sc, value, len);
	return hits;
}
