/* k_anonymity and l_diversity rules: equivalence classes over the
 * quasi-identifiers, kept as 128-bit digests in a bounded hash table (the
 * values themselves are never reported, nor kept beyond the rule: only a
 * small cache of recent tuples, wiped at its end). */
#include "config.h"

#include <endian.h>
#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"

#define KANON_DIGEST 16
#define KANON_MAX_KEY ((size_t)64 << 20)
/* The cache of recent tuples: slots (a power of two) and the longest
 * tuple it holds, in bytes of the length-prefixed key. */
#define KANON_MEMO_SLOTS 256
#define KANON_MEMO_KEY 112

struct kclass {
	uint8_t key[KANON_DIGEST];
	bool used;
	uint64_t count;
	/* l_diversity: distinct sensitive values seen, up to l. */
	uint8_t (*sens)[KANON_DIGEST];
	uint32_t nsens;
};

/* A tuple seen recently and its class. Datasets have few classes next to
 * their rows, so most rows repeat a recent tuple; an exact comparison of
 * the key bytes then stands in for the SHA-256 and the table lookup, and
 * the class is the one the digest gives. */
struct kanon_memo {
	uint32_t len; /* of key; 0 for an empty slot */
	size_t slot;  /* of the class in the table */
	uint8_t key[KANON_MEMO_KEY];
};

struct kanon_state {
	bool ldiv;
	uint64_t threshold;        /* k or l */
	struct check_column *qi;
	size_t nqi;
	struct reader_field *vals; /* the current record's, nqi of them */
	struct check_column sensitive;
	struct kclass *table;
	size_t cap;                /* slots, a power of two */
	size_t nclasses;
	size_t stored;             /* classes + sensitive digests kept */
	size_t max;                /* cap on stored */
	uint64_t rows;
	struct buf key;
	struct kanon_memo *memo;   /* KANON_MEMO_SLOTS */
};

static void
kanon_free(void *p)
{
	struct kanon_state *s = p;

	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->table[i].sens);
	free(s->table);
	free(s->qi);
	free(s->vals);
	buf_free_secret(&s->key); /* the last long tuple */
	if (s->memo)
		secure_wipe(s->memo, KANON_MEMO_SLOTS * sizeof(*s->memo));
	free(s->memo);
	free(s);
}

static int
kanon_begin(struct check *c)
{
	const struct manifest *m = c->manifest;
	const struct policy_strv *qis;
	struct kanon_state *s;
	size_t n = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->state = s;
	s->key = BUF_INIT(KANON_MAX_KEY);
	s->max = c->opt->max_classes ? c->opt->max_classes :
	    EVAL_DEFAULT_MAX_CLASSES;
	if (c->rule->kind == RULE_L_DIVERSITY) {
		s->ldiv = true;
		s->threshold = c->rule->l_diversity.l;
		qis = &c->rule->l_diversity.quasi_identifiers;
		s->sensitive.name = c->rule->l_diversity.sensitive;
	} else {
		s->threshold = c->rule->k_anonymity.k;
		qis = &c->rule->k_anonymity.quasi_identifiers;
	}
	n = qis->n;
	if (n == 0)
		for (size_t i = 0; i < m->nfields; i++)
			if (m->fields[i].role == MANIFEST_ROLE_QUASI_IDENTIFIER)
				n++;
	if (n == 0)
		return check_set_error(c,
		    "no quasi-identifiers: list them in the rule or give "
		    "fields role: quasi_identifier in the manifest of '%s'",
		    m->dataset);
	s->qi = calloc(n, sizeof(*s->qi));
	s->vals = calloc(n, sizeof(*s->vals));
	if (!s->qi || !s->vals)
		return -ENOMEM;
	if (qis->n > 0)
		for (size_t i = 0; i < qis->n; i++)
			s->qi[s->nqi++].name = qis->v[i];
	else
		for (size_t i = 0; i < m->nfields; i++)
			if (m->fields[i].role == MANIFEST_ROLE_QUASI_IDENTIFIER)
				s->qi[s->nqi++].name = m->fields[i].name;
	s->table = calloc(1024, sizeof(*s->table));
	if (!s->table)
		return -ENOMEM;
	s->cap = 1024;
	s->memo = calloc(KANON_MEMO_SLOTS, sizeof(*s->memo));
	if (!s->memo)
		return -ENOMEM;
	return 0;
}

#define KANON_MIX UINT64_C(0xff51afd7ed558ccd)

static uint64_t
mix_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * KANON_MIX;
	return h ^ (h >> 29);
}

/*
 * A cheap hash of the current record's quasi-identifier values (s->vals)
 * and their key's length, to pick a cache slot, whose key is then compared
 * in full. Taken from the values where they lie, not from their key: the
 * key's bytes, just written one value at a time, would be read back as
 * words before the stores that wrote them are done.
 */
static size_t
memo_slot(const struct kanon_state *s, size_t len)
{
	uint64_t h = len * UINT64_C(0x9e3779b97f4a7c15);

	for (size_t i = 0; i < s->nqi; i++) {
		const struct reader_field f = s->vals[i];
		size_t j = 0;

		h = mix_word(h, f.value ? f.len + 1 : 0);
		if (!f.value)
			continue;
		for (; j + 8 <= f.len; j += 8)
			h = mix_word(h, load_le64(f.value + j));
		/* the last bytes: the last 8 (some hashed already), or all
		 * of a short value */
		if (j < f.len)
			h = mix_word(h, f.len >= 8 ?
			    load_le64(f.value + f.len - 8) :
			    load_le_short(f.value, f.len));
	}
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return (size_t)(h >> 32) & (KANON_MEMO_SLOTS - 1);
}

static size_t
slot_of(const uint8_t key[KANON_DIGEST], size_t cap)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)h & (cap - 1);
}

static int
grow(struct kanon_state *s)
{
	size_t ncap = s->cap * 2;
	struct kclass *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->table[i].used)
			continue;
		for (j = slot_of(s->table[i].key, ncap); nt[j].used;
		    j = (j + 1) & (ncap - 1))
			;
		nt[j] = s->table[i];
	}
	free(s->table);
	s->table = nt;
	s->cap = ncap;
	/* the classes moved: forget where they were */
	for (size_t i = 0; i < KANON_MEMO_SLOTS; i++)
		s->memo[i].len = 0;
	return 0;
}

/* The class for key, created if new; NULL with *ret_r set on failure
 * (-ENOMEM, or -E2BIG past the cap). */
static struct kclass *
lookup(struct kanon_state *s, const uint8_t key[KANON_DIGEST], int *ret_r)
{
	size_t j;

	for (j = slot_of(key, s->cap); s->table[j].used;
	    j = (j + 1) & (s->cap - 1))
		if (memcmp(s->table[j].key, key, KANON_DIGEST) == 0)
			return &s->table[j];
	if (s->stored >= s->max) {
		*ret_r = -E2BIG;
		return NULL;
	}
	if ((s->nclasses + 1) * 10 > s->cap * 7) {
		*ret_r = grow(s);
		if (*ret_r < 0)
			return NULL;
		for (j = slot_of(key, s->cap); s->table[j].used;
		    j = (j + 1) & (s->cap - 1))
			;
	}
	s->table[j].used = true;
	memcpy(s->table[j].key, key, KANON_DIGEST);
	s->nclasses++;
	s->stored++;
	return &s->table[j];
}

/* The class of a key: its SHA-256, truncated, in the table. */
static struct kclass *
lookup_key(struct kanon_state *s, const uint8_t *key, size_t len,
    int *ret_r)
{
	uint8_t d[SHA256_LEN];

	sha256(key, len, d);
	return lookup(s, d, ret_r);
}

/* The value of quasi-identifier i in the current record (NULL: absent). */
static inline struct reader_field
kanon_value(struct kanon_state *s, const struct reader *r,
    const struct reader_field *fields, size_t nf, size_t i)
{
	struct check_column *col = &s->qi[i];

	check_column_resolve(col, r);
	if (col->found && col->index < nf)
		return fields[col->index];
	return (struct reader_field){ NULL, 0 };
}

/* One value of a key: 0 for an absent value, else 1, its length (8 bytes,
 * big-endian) and its bytes. Returns the bytes written. */
static size_t
kanon_put(uint8_t *p, struct reader_field f)
{
	if (!f.value) {
		p[0] = 0;
		return 1;
	}
	p[0] = 1;
	for (int b = 7; b >= 0; b--)
		p[8 - b] = (uint8_t)(f.len >> (8 * b));
	memcpy(p + 9, f.value, f.len);
	return 9 + f.len;
}

/* The current record's quasi-identifier values into s->vals; returns the
 * length of their key (kanon_put() of each). */
static size_t
kanon_values(struct kanon_state *s, const struct reader *r)
{
	const struct reader_field *fields;
	size_t nf, len = 0;

	fields = reader_fields(r, &nf);
	for (size_t i = 0; i < s->nqi; i++) {
		s->vals[i] = kanon_value(s, r, fields, nf, i);
		len += s->vals[i].value ? 9 + s->vals[i].len : 1;
	}
	return len;
}

/* The key of the values in s->vals, length-prefixed so that ("ab","c")
 * differs from ("a","bc"), and an absent value from an empty one. */
static void
kanon_key(const struct kanon_state *s, uint8_t *p)
{
	for (size_t i = 0; i < s->nqi; i++)
		p += kanon_put(p, s->vals[i]);
}

/* Whether a cached tuple's key (of len bytes) is the key of the values in
 * s->vals, compared value by value with the values where they lie. */
static bool
memo_matches(const struct kanon_memo *m, const struct kanon_state *s,
    size_t len)
{
	const uint8_t *p = m->key;

	if (m->len != len)
		return false;
	for (size_t i = 0; i < s->nqi; i++) {
		const struct reader_field f = s->vals[i];
		uint64_t n;

		if (!f.value) {
			if (*p++ != 0)
				return false;
			continue;
		}
		memcpy(&n, p + 1, 8);
		if (p[0] != 1 || be64toh(n) != f.len ||
		    memcmp(p + 9, f.value, f.len) != 0)
			return false;
		p += 9 + f.len;
	}
	return true;
}

/* The key of the values in s->vals (len bytes) into s->key, for a tuple
 * too long for the cache; -E2BIG past its cap. */
static int
kanon_long_key(struct kanon_state *s, size_t len)
{
	int e;

	buf_reset(&s->key);
	e = buf_reserve(&s->key, len);
	if (e < 0)
		return e;
	kanon_key(s, (uint8_t *)s->key.data);
	s->key.len = len;
	s->key.data[len] = '\0';
	return 0;
}

/* The class of the current record's tuple (s->vals, a key of len bytes,
 * at most KANON_MEMO_KEY), through the cache of recent tuples. */
static struct kclass *
kanon_short_class(struct kanon_state *s, size_t len, int *ret_r)
{
	struct kanon_memo *m = &s->memo[memo_slot(s, len)];
	struct kclass *k;

	if (memo_matches(m, s, len))
		return &s->table[m->slot];
	kanon_key(s, m->key);
	m->len = 0; /* until its class is found */
	k = lookup_key(s, m->key, len, ret_r);
	if (k) {
		/* after lookup(), which may have grown the table */
		m->len = (uint32_t)len;
		m->slot = (size_t)(k - s->table);
	}
	return k;
}

static int
add_sensitive(struct kanon_state *s, struct kclass *k, const char *v,
    size_t len)
{
	uint8_t d[SHA256_LEN];
	uint8_t (*ns)[KANON_DIGEST];

	if (k->nsens >= s->threshold)
		return 0;
	sha256(v, len, d);
	for (uint32_t i = 0; i < k->nsens; i++)
		if (memcmp(k->sens[i], d, KANON_DIGEST) == 0)
			return 0;
	if (s->stored >= s->max)
		return -E2BIG;
	ns = realloc(k->sens, (k->nsens + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	k->sens = ns;
	memcpy(k->sens[k->nsens++], d, KANON_DIGEST);
	s->stored++;
	return 0;
}

static int
kanon_row(struct check *c, const struct reader *r, uint64_t line)
{
	struct kanon_state *s = c->state;
	struct kclass *k;
	size_t len;
	int e = 0;

	s->rows++;
	len = kanon_values(s, r);
	if (len <= KANON_MEMO_KEY) {
		k = kanon_short_class(s, len, &e);
	} else {
		e = kanon_long_key(s, len);
		if (e < 0)
			return e == -ENOMEM ? e :
			    check_set_error(c,
				"quasi-identifier values at line %" PRIu64
				" are too long", line);
		k = lookup_key(s, (const uint8_t *)s->key.data, len, &e);
	}
	if (!k)
		goto fail;
	k->count++;
	if (s->ldiv) {
		struct reader_field f;

		check_column_resolve(&s->sensitive, r);
		f = check_column_field(&s->sensitive, r);
		/* An absent value adds no diversity. */
		if (f.value && (e = add_sensitive(s, k, f.value, f.len)) < 0)
			goto fail;
	}
	return 0;
fail:
	if (e == -E2BIG)
		return check_set_error(c,
		    "more than %zu equivalence classes and values to keep "
		    "(the evaluation's memory cap); coarsen the "
		    "quasi-identifiers or raise the cap",
		    s->max);
	return e;
}

static int
kanon_end(struct check *c, const struct reader *r, bool complete)
{
	struct kanon_state *s = c->state;
	uint64_t smallest = 0, below = 0, rows_below = 0;
	bool first = true;
	int k;

	if (!complete)
		return check_set_error(c,
		    "the data could not be read to its end");
	for (size_t i = 0; s->rows > 0 && i < s->nqi; i++)
		if (!s->qi[i].found)
			return check_set_error(c,
			    "quasi-identifier '%s' is not a column of the data",
			    s->qi[i].name);
	if (s->ldiv && s->rows > 0 && !s->sensitive.found)
		return check_set_error(c,
		    "sensitive field '%s' is not a column of the data",
		    s->sensitive.name);
	for (size_t i = 0; i < s->cap; i++) {
		const struct kclass *e = &s->table[i];
		uint64_t size = s->ldiv ? e->nsens : e->count;

		if (!e->used)
			continue;
		if (first || size < smallest)
			smallest = size;
		first = false;
		if (size < s->threshold) {
			below++;
			rows_below += e->count;
		}
	}
	{
		json_t *names = json_array();

		for (size_t i = 0; names && i < s->nqi; i++)
			if (json_array_append_new(names,
				check_json_string(s->qi[i].name)) < 0) {
				json_decref(names);
				names = NULL;
			}
		if ((k = check_evidence_set(c, "quasi_identifiers", names)) < 0)
			return k;
	}
	if ((k = check_evidence_uint(c, "rows", s->rows)) < 0 ||
	    (k = check_evidence_uint(c, "classes", s->nclasses)) < 0 ||
	    (k = check_evidence_uint(c, s->ldiv ? "smallest_diversity" :
		 "smallest_class", smallest)) < 0 ||
	    (k = check_evidence_uint(c, s->ldiv ? "classes_below_l" :
		 "classes_below_k", below)) < 0 ||
	    (k = check_evidence_uint(c, "rows_in_classes_below", rows_below)) <
		0 ||
	    (k = check_evidence_uint(c, s->ldiv ? "l" : "k", s->threshold)) <
		0)
		return k;
	if (s->ldiv && (k = check_evidence_set(c, "sensitive",
			    check_json_string(s->sensitive.name))) < 0)
		return k;
	if (below == 0)
		return check_set(c, EVAL_PASS,
		    s->ldiv ? "%zu classes, each with at least %" PRIu64
		    " distinct sensitive values" :
		    "%zu classes, the smallest of %" PRIu64 " rows",
		    s->nclasses, s->ldiv ? s->threshold : smallest);
	return check_set(c, EVAL_FAIL,
	    s->ldiv ? "%" PRIu64 " of %zu classes have fewer than %" PRIu64
	    " distinct sensitive values (%" PRIu64 " rows)" :
	    "%" PRIu64 " of %zu classes have fewer than %" PRIu64
	    " rows (%" PRIu64 " rows)",
	    below, s->nclasses, s->threshold, rows_below);
}

const struct check_ops check_k_anonymity_ops = {
	.begin = kanon_begin,
	.row = kanon_row,
	.end = kanon_end,
	.free_state = kanon_free,
};

const struct check_ops check_l_diversity_ops = {
	.begin = kanon_begin,
	.row = kanon_row,
	.end = kanon_end,
	.free_state = kanon_free,
};
