/* Consent snapshots: consent state of many subjects for a purpose, as of
 * one ledger size and time, with the active set held in memory. */
#include "config.h"

#include <endian.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"
#include "crypto.h"
#include "ledger.h"

#define SNAPSHOT_MAX_PURPOSES 16
#define SNAPSHOT_CACHE_KIB 8192

/* Asks for huge pages where a large table is read at random, before it is
 * first written: each lookup would otherwise also miss the TLB. */
static void
huge_pages(void *p, size_t len)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);

	if (b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
}

/*
 * A set of fixed-size entries keyed by their first bytes, which are random
 * (subject tokens, HMAC lookup keys): entries are kept densely in one array
 * and found through an open-addressing table of slots, each the entry's
 * position and 32 bits of its key, so that a probe past other keys seldom
 * reads their entries. An entry costs its size plus 16 bytes or less.
 */
struct keytab {
	uint8_t *entries;  /* n entries of size bytes, each starting with
			    * its key */
	size_t size;
	size_t keylen;
	size_t n, alloc;   /* entries used and allocated */
	uint64_t *slots;   /* 32 key bits << 32 | (1 + position); 0: free */
	size_t cap;        /* slots, a power of two */
};

#define KEYTAB_INIT(entry_size, key_len) \
	((struct keytab){ .size = (entry_size), .keylen = (key_len) })

/* splitmix64's finalizer */
static uint64_t
mix64(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint64_t
keytab_hash(const uint8_t *key)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	/* Mixed, should some keys not be random after all: the slot is
	 * taken from the low bits, the tag from the high ones. */
	return mix64(h);
}

#define KEYTAB_TAG 0xffffffff00000000ULL

static uint8_t *
keytab_entry(const struct keytab *t, uint64_t slot)
{
	return t->entries + (size_t)((uint32_t)slot - 1) * t->size;
}

/* Keys are tokens or lookup keys: compared with a constant length, the
 * compiler inlines the comparison. */
static bool
keytab_key_eq(const struct keytab *t, const uint8_t *a, const uint8_t *b)
{
	if (t->keylen == STORE_TOKEN_LEN)
		return memcmp(a, b, STORE_TOKEN_LEN) == 0;
	if (t->keylen == STORE_LOOKUP_LEN)
		return memcmp(a, b, STORE_LOOKUP_LEN) == 0;
	return memcmp(a, b, t->keylen) == 0;
}

/* The entry for key, or NULL with *ret_free the slot where it would go. */
static void *
keytab_probe(const struct keytab *t, const uint8_t *key, size_t *ret_free)
{
	uint64_t h = keytab_hash(key);
	size_t j = (size_t)h & (t->cap - 1);

	for (; t->slots[j]; j = (j + 1) & (t->cap - 1))
		if ((t->slots[j] & KEYTAB_TAG) == (h & KEYTAB_TAG) &&
		    keytab_key_eq(t, keytab_entry(t, t->slots[j]), key))
			return keytab_entry(t, t->slots[j]);
	if (ret_free)
		*ret_free = j;
	return NULL;
}

static void *
keytab_find(const struct keytab *t, const uint8_t *key)
{
	if (t->cap == 0)
		return NULL;
	return keytab_probe(t, key, NULL);
}

/* Indexes every entry in a table of cap slots (at least twice n). */
static int
keytab_index(struct keytab *t, size_t cap)
{
	uint64_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t h = keytab_hash(t->entries + i * t->size);
		size_t j = (size_t)h & (cap - 1);

		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = (h & KEYTAB_TAG) | (i + 1);
	}
	return 0;
}

/* A new entry for key, zeroed but for its key, and not indexed: on its
 * own, for keys known to be unique that are only collected. */
static int
keytab_append(struct keytab *t, const uint8_t *key, void **ret)
{
	uint8_t *e;

	if (t->n >= UINT32_MAX - 1)
		return -E2BIG;
	if (t->n == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 1024;
		uint8_t *entries = reallocarray(t->entries, alloc, t->size);

		if (!entries)
			return -ENOMEM;
		t->entries = entries;
		t->alloc = alloc;
	}
	e = t->entries + t->n++ * t->size;
	memset(e, 0, t->size);
	memcpy(e, key, t->keylen);
	*ret = e;
	return 0;
}

/* The entry for key, added if missing. */
static int
keytab_add(struct keytab *t, const uint8_t *key, void **ret)
{
	size_t j;
	int r;

	if ((t->n + 1) * 2 > t->cap) {
		r = keytab_index(t, t->cap ? t->cap * 2 : 1024);
		if (r < 0)
			return r;
	}
	*ret = keytab_probe(t, key, &j);
	if (*ret)
		return 0;
	r = keytab_append(t, key, ret);
	if (r < 0)
		return r;
	t->slots[j] = (keytab_hash(key) & KEYTAB_TAG) | t->n;
	return 0;
}

static void
keytab_free(struct keytab *t)
{
	free(t->entries);
	free(t->slots);
	*t = KEYTAB_INIT(t->size, t->keylen);
}

/*
 * Probes of a keytab begun before they are made, for a stream of keys (the
 * scans of a load): the slot of a key is fetched when the key is queued,
 * the entry that slot names when KEYTAB_AHEAD / 2 keys have followed, and
 * the key comes out to be handled, with the table as it is then, when
 * KEYTAB_AHEAD have. A table larger than the caches then makes the scan
 * wait for many keys' memory at once rather than for each in turn.
 */
#define KEYTAB_AHEAD 16

struct keytab_ahead {
	const struct keytab *t;
	uint8_t *items; /* KEYTAB_AHEAD items of size bytes, each starting
			 * with its key */
	size_t size;
	size_t head, n;
};

/* Always inlined, as the prefetches are what they are for (see
 * activeset_prefetch). */
static inline __attribute__((always_inline)) void
keytab_prefetch(const struct keytab *t, const uint8_t *key, bool entry)
{
	const uint64_t *slot;

	if (t->cap == 0)
		return;
	slot = &t->slots[(size_t)keytab_hash(key) & (t->cap - 1)];
	if (!entry) {
		__builtin_prefetch(slot);
	} else if (*slot) {
		const uint8_t *e = keytab_entry(t, *slot);

		__builtin_prefetch(e);
		__builtin_prefetch(e + t->size - 1);
	}
}

static uint8_t *
keytab_ahead_item(const struct keytab_ahead *q, size_t i)
{
	return q->items + (q->head + i) % KEYTAB_AHEAD * q->size;
}

/* Takes the oldest item out into ret; false when there is none. */
static bool
keytab_ahead_pop(struct keytab_ahead *q, void *ret)
{
	if (q->n == 0)
		return false;
	memcpy(ret, keytab_ahead_item(q, 0), q->size);
	q->head = (q->head + 1) % KEYTAB_AHEAD;
	q->n--;
	return true;
}

/* Queues a copy of item. When the queue was full, the oldest item is first
 * taken out into ret, and true returned: the caller handles it. */
static bool
keytab_ahead_push(struct keytab_ahead *q, const void *item, void *ret)
{
	bool full = q->n == KEYTAB_AHEAD && keytab_ahead_pop(q, ret);

	memcpy(keytab_ahead_item(q, q->n), item, q->size);
	keytab_prefetch(q->t, item, false);
	if (q->n >= KEYTAB_AHEAD / 2)
		keytab_prefetch(q->t, keytab_ahead_item(q,
		    q->n - KEYTAB_AHEAD / 2), true);
	q->n++;
	return full;
}

/* A subject with active consent for a purpose: its subject-map lookup key,
 * which each record's subject id is hashed to, and its token. */
struct active_subject {
	uint8_t lookup[STORE_LOOKUP_LEN];
	uint8_t token[STORE_TOKEN_LEN];
};

/*
 * The subjects with active consent for a purpose, as looked up for every
 * record: an open-addressing table of their lookup keys, built once and at
 * most two thirds full, 32 bytes a slot so that two share a cache line
 * and none straddles two; the tokens, which only lineage reads, in a
 * table of their own at the same slots.
 */
struct activeset {
	uint8_t (*keys)[STORE_LOOKUP_LEN];
	uint8_t (*tokens)[STORE_TOKEN_LEN];
	uint64_t *used;     /* a bit per slot */
	size_t cap, n;
};

static size_t
activeset_slot(const struct activeset *a, const uint8_t *lookup)
{
	/* The high half of hash * cap: a slot below cap without a division
	 * on every lookup. */
	return (size_t)(((unsigned __int128)keytab_hash(lookup) * a->cap) >>
	    64);
}

static bool
activeset_used(const struct activeset *a, size_t j)
{
	return a->used[j / 64] & (UINT64_C(1) << (j % 64));
}

/* Moves the entries of a keytab (unique keys) into the set. */
static int
activeset_build(struct activeset *a, struct keytab *from)
{
	const struct active_subject *e = (const void *)from->entries;

	a->n = from->n;
	a->cap = from->n + from->n / 2 + 1;
	a->keys = aligned_alloc(64, (a->cap * sizeof(*a->keys) + 63) & ~(size_t)63);
	a->tokens = malloc(a->cap * sizeof(*a->tokens));
	a->used = calloc((a->cap + 63) / 64, sizeof(*a->used));
	if (!a->keys || !a->tokens || !a->used)
		return -ENOMEM;
	huge_pages(a->keys, a->cap * sizeof(*a->keys));
	for (size_t i = 0; i < from->n; i++) {
		size_t j = activeset_slot(a, e[i].lookup);

		while (activeset_used(a, j))
			j = j + 1 < a->cap ? j + 1 : 0;
		memcpy(a->keys[j], e[i].lookup, STORE_LOOKUP_LEN);
		memcpy(a->tokens[j], e[i].token, STORE_TOKEN_LEN);
		a->used[j / 64] |= UINT64_C(1) << (j % 64);
	}
	keytab_free(from);
	return 0;
}

/* Asks for the memory a probe from slot j reads first. Always inlined:
 * GCC takes a function of prefetches alone for one without effects, and
 * drops the calls. */
static inline __attribute__((always_inline)) void
activeset_prefetch(const struct activeset *a, size_t j)
{
	__builtin_prefetch(a->keys[j]);
	__builtin_prefetch(&a->used[j / 64]);
}

/* The slot of lookup, probing from slot j (activeset_slot()), or -1. */
static ssize_t
activeset_find_from(const struct activeset *a, size_t j,
    const uint8_t *lookup)
{
	for (; activeset_used(a, j); j = j + 1 < a->cap ? j + 1 : 0)
		if (memcmp(a->keys[j], lookup, STORE_LOOKUP_LEN) == 0)
			return (ssize_t)j;
	return -1;
}

static void
activeset_free(struct activeset *a)
{
	free(a->keys);
	free(a->tokens);
	free(a->used);
	*a = (struct activeset){ 0 };
}

/* A purpose's active subjects as one snapshot loaded them: immutable once
 * built, shared by reference between snapshots (and threads) for which
 * they are the same (ledger_snapshot_import()). */
struct ledger_consent_set {
	_Atomic unsigned refs;
	char *purpose;
	struct activeset active;
	uint64_t generation;  /* the consent generation it was loaded at */
	uint64_t size;        /* the ledger size it was loaded at */
	bool shareable;       /* loaded at the ledger's current size */
	usec_t from, until;   /* the times it is the answer for */
};

static void
consent_set_free(struct ledger_consent_set *set)
{
	activeset_free(&set->active);
	free(set->purpose);
	free(set);
}

void
ledger_consent_set_unref(struct ledger_consent_set *set)
{
	if (set && atomic_fetch_sub(&set->refs, 1) == 1)
		consent_set_free(set);
}

/*
 * The answers a snapshot gave, by subject id: a dataset names most of its
 * subjects on many rows, and each answer costs an HMAC (two dependent
 * SHA-256 compressions, about 110 ns) and a probe of a set larger than the
 * caches, where an answer from the memo costs a hash of the id and one
 * cache line, asked for a step ahead. Ids of up to LEDGER_MEMO_ID bytes,
 * compared whole; buckets of two entries (a cache line), the newer first,
 * a full bucket dropping its older one. So a hash that puts many ids in
 * one bucket costs their lookups the memo, never a wrong answer. Each
 * snapshot has its own, for one thread.
 */
struct memo_entry {
	uint8_t id[LEDGER_MEMO_ID + 1]; /* as in struct ledger_lookup; all
					 * zero: free (no id is empty) */
	uint32_t answer;                /* 1 + slot in the set, 0: none */
};

_Static_assert(sizeof(struct memo_entry) == 32, "two entries a cache line");

struct snapshot_purpose {
	struct ledger_consent_set *set;
	struct memo_entry (*memo)[2]; /* buckets; NULL: none */
	void *memo_alloc;             /* where memo lies */
	size_t memo_mask;             /* buckets - 1 */
	size_t memo_max;              /* entries it may grow to */
	size_t memo_added;            /* entries added since it grew */
	uint32_t memo_gen;            /* times it grew */
	bool memo_tried;              /* allocated, or given up */
};

struct ledger_snapshot {
	struct store *store;
	bool borrowed;      /* store is the caller's: not closed with us */
	uint8_t secret[32];
	struct hmac_key *hmac;
	uint64_t size;
	bool at_current;     /* size is the current size in the transaction */
	uint64_t generation; /* the consent generation, read in it */
	usec_t at;
	struct snapshot_purpose purposes[SNAPSHOT_MAX_PURPOSES];
	size_t npurposes;
	bool collect;
	struct keytab used; /* tokens of subjects found with active consent */
	/* entries in a purpose's memo, at first and at most; it starts
	 * small, so that a check of a few rows does not zero megabytes */
	size_t memo_first, memo_limit;
};

/* Loading a purpose: the latest event of each token comes from one scan of
 * the consent index in entry order (sequential reads: the index by token
 * would cost a random read of the table per event), then the subject map
 * is scanned once for the lookup keys of the tokens left active. */
struct token_state {
	uint8_t token[STORE_TOKEN_LEN];
	usec_t at;   /* of the latest event so far */
	bool active;
};

/* A subject of the map, queued by its token (the key of states). */
struct subject_item {
	uint8_t token[STORE_TOKEN_LEN];
	uint8_t lookup[STORE_LOOKUP_LEN];
};

struct load {
	const struct ledger_snapshot *snap;
	const char *purpose;
	struct keytab states; /* of struct token_state */
	struct keytab active; /* of struct active_subject, not indexed */
	usec_t until;         /* the first time an event or expiry of the
			       * purpose takes effect after the snapshot's */
	/* events and subjects on their way to states */
	struct keytab_ahead events, subjects;
	struct token_state event_items[KEYTAB_AHEAD];
	struct subject_item subject_items[KEYTAB_AHEAD];
};

/* An event of the purpose, in entry order: the latest of its token wins. */
static int
load_event_apply(struct load *ld, const struct token_state *ev)
{
	struct token_state *ts;
	int r;

	r = keytab_add(&ld->states, ev->token, (void **)&ts);
	if (r < 0)
		return r;
	/* Entries come in index order: of events at the same time, the
	 * later entry wins. */
	if (ts->at > ev->at)
		return 0;
	ts->at = ev->at;
	ts->active = ev->active;
	return 0;
}

static int
load_event(void *userdata, const struct store_consent *c)
{
	struct load *ld = userdata;
	struct token_state ev, out;

	/* The query keeps only these; checked again as it is cheap. */
	if (c->index >= ld->snap->size || strcmp(c->purpose, ld->purpose) != 0)
		return 0;
	/* Anything that changes with time bounds when the loaded set stays
	 * the answer: an event that takes effect later, an expiry. */
	if (c->at > ld->snap->at) {
		ld->until = MIN(ld->until, c->at);
		return 0;
	}
	if (c->expires_at > ld->snap->at)
		ld->until = MIN(ld->until, c->expires_at);
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.token, c->token, STORE_TOKEN_LEN);
	ev.at = c->at;
	ev.active = c->kind == CONSENT_GRANT &&
	    (c->expires_at == 0 || c->expires_at > ld->snap->at);
	if (!keytab_ahead_push(&ld->events, &ev, &out))
		return 0;
	return load_event_apply(ld, &out);
}

/* A subject is kept when its token is active. */
static int
load_subject_apply(struct load *ld, const struct subject_item *subj)
{
	const struct token_state *ts = keytab_find(&ld->states, subj->token);
	struct active_subject *a;
	int r;

	if (!ts || !ts->active)
		return 0;
	/* Lookup keys are unique: no index needed. */
	r = keytab_append(&ld->active, subj->lookup, (void **)&a);
	if (r < 0)
		return r;
	memcpy(a->token, subj->token, STORE_TOKEN_LEN);
	return 0;
}

static int
load_subject(void *userdata, const struct store_subject *subj)
{
	struct load *ld = userdata;
	struct subject_item item, out;

	memcpy(item.token, subj->token, STORE_TOKEN_LEN);
	memcpy(item.lookup, subj->lookup, STORE_LOOKUP_LEN);
	if (!keytab_ahead_push(&ld->subjects, &item, &out))
		return 0;
	return load_subject_apply(ld, &out);
}

/* Both scans, each followed by the keys still queued. */
static int
load_scan(struct load *ld, struct store *st)
{
	struct token_state ev;
	struct subject_item subj;
	int r;

	r = store_consent_purpose_events(st, ld->purpose, ld->snap->size,
	    load_event, ld);
	while (r >= 0 && keytab_ahead_pop(&ld->events, &ev))
		r = load_event_apply(ld, &ev);
	if (r < 0 || ld->states.n == 0)
		return r;
	r = store_subject_foreach(st, load_subject, ld);
	while (r >= 0 && keytab_ahead_pop(&ld->subjects, &subj))
		r = load_subject_apply(ld, &subj);
	return r;
}

static int
snapshot_purpose(struct ledger_snapshot *s, const char *purpose,
    struct snapshot_purpose **ret)
{
	struct ledger_consent_set *set;
	struct load *ld;
	int r;

	for (size_t i = 0; i < s->npurposes; i++)
		if (strcmp(s->purposes[i].set->purpose, purpose) == 0) {
			*ret = &s->purposes[i];
			return 0;
		}
	if (s->npurposes == SNAPSHOT_MAX_PURPOSES)
		return -E2BIG;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	atomic_init(&set->refs, 1);
	set->purpose = strdup(purpose);
	if (!set->purpose) {
		free(set);
		return -ENOMEM;
	}
	ld = calloc(1, sizeof(*ld));
	if (!ld) {
		consent_set_free(set);
		return -ENOMEM;
	}
	*ld = (struct load){ .snap = s, .purpose = purpose,
		.states = KEYTAB_INIT(sizeof(struct token_state),
		    STORE_TOKEN_LEN),
		.active = KEYTAB_INIT(sizeof(struct active_subject),
		    STORE_LOOKUP_LEN),
		.until = INT64_MAX };
	ld->events = (struct keytab_ahead){ .t = &ld->states,
		.items = (uint8_t *)ld->event_items,
		.size = sizeof(ld->event_items[0]) };
	ld->subjects = (struct keytab_ahead){ .t = &ld->states,
		.items = (uint8_t *)ld->subject_items,
		.size = sizeof(ld->subject_items[0]) };
	r = load_scan(ld, s->store);
	keytab_free(&ld->states);
	if (r >= 0)
		r = activeset_build(&set->active, &ld->active);
	keytab_free(&ld->active);
	set->until = ld->until;
	free(ld);
	if (r < 0) {
		consent_set_free(set);
		return r;
	}
	set->generation = s->generation;
	set->size = s->size;
	set->shareable = s->at_current;
	set->from = s->at;
	s->purposes[s->npurposes] = (struct snapshot_purpose){ .set = set };
	*ret = &s->purposes[s->npurposes++];
	return 0;
}

int
ledger_snapshot_export(struct ledger_snapshot *s, const char *purpose,
    struct ledger_consent_set **ret)
{
	for (size_t i = 0; i < s->npurposes; i++) {
		struct ledger_consent_set *set = s->purposes[i].set;

		if (strcmp(set->purpose, purpose) != 0)
			continue;
		if (!set->shareable)
			return -ESTALE;
		atomic_fetch_add(&set->refs, 1);
		*ret = set;
		return 0;
	}
	return -ENOENT;
}

int
ledger_snapshot_import(struct ledger_snapshot *s,
    struct ledger_consent_set *set)
{
	/* The same consent rows (same generation, and no row beyond the
	 * size either was taken at: both at the current size), and no
	 * event or expiry of the purpose between the two times. */
	if (!set->shareable || !s->at_current ||
	    set->generation != s->generation || s->size < set->size ||
	    s->at < set->from || s->at >= set->until)
		return 0;
	for (size_t i = 0; i < s->npurposes; i++)
		if (strcmp(s->purposes[i].set->purpose, set->purpose) == 0)
			return 0;
	if (s->npurposes == SNAPSHOT_MAX_PURPOSES)
		return 0;
	atomic_fetch_add(&set->refs, 1);
	s->purposes[s->npurposes++] = (struct snapshot_purpose){ .set = set };
	return 1;
}

uint64_t
ledger_snapshot_generation(const struct ledger_snapshot *s)
{
	return s->generation;
}

/* The consent generation, in the snapshot's read transaction. */
static int
snapshot_read_generation(struct ledger_snapshot *s)
{
	char *v = NULL;
	int r = store_meta_get(s->store, LEDGER_META_CONSENT_GENERATION, &v);

	s->generation = 0;
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = ledger_parse_generation(v, &s->generation);
	free(v);
	return r;
}

int
ledger_snapshot_open(const char *db_path, const char *secret_path,
    uint64_t size, usec_t at, struct ledger_snapshot **ret, char *errbuf,
    size_t errlen)
{
	struct ledger_options o = { .db_path = db_path,
		.secret_path = secret_path, .read_only = true,
		.no_verify = true };
	struct ledger *l = NULL;
	struct ledger_snapshot *s;
	uint64_t current;
	int r;

	/* The ledger gives the size and the secret (its integrity is the
	 * daemon's start-up check); the snapshot keeps only its own read
	 * connection. */
	r = ledger_open(&o, &l, errbuf, errlen);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s) {
		ledger_close(l);
		return -ENOMEM;
	}
	s->used = KEYTAB_INIT(STORE_TOKEN_LEN, STORE_TOKEN_LEN);
	s->memo_first = LEDGER_MEMO_FIRST;
	s->memo_limit = LEDGER_MEMO_MAX;
	r = ledger_snapshot_secret(l, s->secret);
	current = ledger_size(l);
	ledger_close(l);
	if (r < 0) {
		snprintf(errbuf, errlen, "no subject-map secret at '%s'",
		    secret_path);
		free(s);
		return r;
	}
	r = hmac_key_new(s->secret, sizeof(s->secret), &s->hmac);
	if (r >= 0)
		r = store_open(db_path, STORE_READ_ONLY, &s->store, errbuf,
		    errlen);
	/* Its reads are scans, each page read once: a page cache as large
	 * as the writer's would only be memory to fill. */
	if (r >= 0)
		r = store_cache_limit(s->store, SNAPSHOT_CACHE_KIB);
	if (r >= 0)
		r = store_read_begin(s->store);
	if (r >= 0)
		r = snapshot_read_generation(s);
	if (r < 0) {
		ledger_snapshot_close(s);
		return r;
	}
	/* The size came from another connection, before this transaction:
	 * what it loads is not offered for sharing (at_current false). */
	s->size = size && size < current ? size : current;
	s->at = at;
	*ret = s;
	return 0;
}

int
ledger_snapshot_open_store(struct store *st, const uint8_t secret[32],
    uint64_t size, usec_t at, struct ledger_snapshot **ret)
{
	struct ledger_snapshot *s = calloc(1, sizeof(*s));
	uint64_t current;
	int r;

	if (!s)
		return -ENOMEM;
	s->used = KEYTAB_INIT(STORE_TOKEN_LEN, STORE_TOKEN_LEN);
	s->memo_first = LEDGER_MEMO_FIRST;
	s->memo_limit = LEDGER_MEMO_MAX;
	memcpy(s->secret, secret, sizeof(s->secret));
	r = hmac_key_new(s->secret, sizeof(s->secret), &s->hmac);
	if (r < 0) {
		ledger_snapshot_close(s);
		return r;
	}
	/* The size is read in the snapshot's own read transaction. */
	r = store_read_begin(st);
	if (r < 0) {
		ledger_snapshot_close(s);
		return r;
	}
	s->store = st;
	s->borrowed = true;
	r = store_log_size(st, &current);
	if (r >= 0)
		r = snapshot_read_generation(s);
	if (r < 0) {
		ledger_snapshot_close(s);
		return r;
	}
	s->size = size && size < current ? size : current;
	s->at_current = s->size == current;
	s->at = at;
	*ret = s;
	return 0;
}

static size_t
memo_hash(const struct snapshot_purpose *p, const uint64_t w[4])
{
	return (size_t)mix64(w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL) ^
	    ((w[2] ^ (w[3] << 29)) * 0xc2b2ae3d27d4eb4fULL)) & p->memo_mask;
}

/* The memo key's words, from its bytes: as memo_key_words() gives them. */
static size_t
memo_bucket(const struct snapshot_purpose *p, const uint8_t *id)
{
	uint64_t w[4] = { 0 };

	memcpy(w, id, LEDGER_MEMO_ID + 1);
	for (int i = 0; i < 4; i++)
		w[i] = le64toh(w[i]);
	return memo_hash(p, w);
}

/*
 * An id of 1 to LEDGER_MEMO_ID bytes as the words of its memo key (the id
 * zero-padded, its length in the last byte), read with whole-word loads of
 * the id alone: building the key bytewise and reading it back as words
 * would make each load wait for the stores it overlaps.
 */
static void
memo_key_words(const char *s, size_t len, uint64_t w[4])
{
	w[0] = w[1] = w[2] = 0;
	w[3] = (uint64_t)len << 24;
	if (len < 8) {
		w[0] = load_le_short(s, len);
		return;
	}
	w[0] = load_le64(s);
	/* the last 8 bytes, shifted so that the last word holds the bytes
	 * from its own start on */
	if (len <= 16) {
		if (len > 8)
			w[1] = load_le64(s + len - 8) >> (8 * (16 - len));
	} else if (len <= 24) {
		w[1] = load_le64(s + 8);
		w[2] = load_le64(s + len - 8) >> (8 * (24 - len));
	} else {
		w[1] = load_le64(s + 8);
		w[2] = load_le64(s + 16);
		w[3] |= load_le64(s + len - 8) >> (8 * (32 - len));
	}
}

/* Puts an entry at the front of its bucket, unless it is there already
 * (another lookup of the same id may have finished first). */
static void
memo_put(struct memo_entry *b, const uint8_t *id, uint32_t answer)
{
	if (memcmp(b[0].id, id, LEDGER_MEMO_ID + 1) == 0)
		return;
	b[1] = b[0];
	memcpy(b[0].id, id, LEDGER_MEMO_ID + 1);
	b[0].answer = answer;
}

/* Gives the purpose a memo of n entries (a power of two), with the
 * entries of the one it had, each bucket's older one first. */
static int
memo_resize(struct snapshot_purpose *p, size_t n)
{
	struct memo_entry (*old)[2] = p->memo;
	void *old_alloc = p->memo_alloc;
	size_t old_buckets = old ? p->memo_mask + 1 : 0;
	void *mem;

	/* calloc, as the pages of a large one are zero already; a bucket
	 * a cache line. */
	mem = calloc(n + 2, sizeof(struct memo_entry));
	if (!mem)
		return -ENOMEM;
	p->memo_alloc = mem;
	p->memo = (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
	huge_pages(p->memo, n * sizeof(struct memo_entry));
	p->memo_mask = n / 2 - 1;
	p->memo_added = 0;
	p->memo_gen++;
	for (size_t i = 0; i < old_buckets; i++)
		for (int e = 1; e >= 0; e--)
			if (old[i][e].id[LEDGER_MEMO_ID] != 0)
				memo_put(p->memo[memo_bucket(p, old[i][e].id)],
				    old[i][e].id, old[i][e].answer);
	free(old_alloc);
	return 0;
}

/* The memo of a purpose with a non-empty set, allocated at its first
 * lookup; it may grow to twice as many entries as the set has subjects
 * (ids without consent are remembered too), a power of two, at most
 * memo_limit. NULL when there is none: a memo only saves time. */
static struct memo_entry (*snapshot_memo(struct ledger_snapshot *s,
    struct snapshot_purpose *p))[2]
{
	size_t want = MIN(s->memo_limit, p->set->active.n * 2), n = 2;
	size_t first = 2;

	if (p->memo_tried)
		return p->memo;
	p->memo_tried = true;
	if (want < 2)
		return NULL;
	while (n * 2 <= want)
		n *= 2;
	while (first * 2 <= MIN(n, s->memo_first))
		first *= 2;
	p->memo_max = n;
	if (memo_resize(p, first) < 0)
		return NULL;
	return p->memo;
}

/* The id's lookup key and where its probe starts; asks for that memory. */
static int
lookup_hash(struct ledger_snapshot *s, const char *subject, size_t len,
    struct ledger_lookup *l)
{
	const struct activeset *set =
	    &((const struct snapshot_purpose *)l->purpose)->set->active;
	int r = ledger_subject_lookup_key(s->hmac, subject, len, l->lookup);

	if (r < 0)
		return r;
	l->slot = activeset_slot(set, l->lookup);
	l->hashed = true;
	activeset_prefetch(set, l->slot);
	return 0;
}

int
ledger_snapshot_lookup_start(struct ledger_snapshot *s, const char *subject,
    size_t len, const char *purpose, struct ledger_lookup *ret)
{
	struct snapshot_purpose *p;
	int r;

	ret->purpose = NULL;
	ret->answer = -1;
	ret->memo = ret->hashed = false;
	/* Otherwise no such subject can have consented. */
	if (len == 0 || len > LEDGER_SUBJECT_MAX)
		return 0;
	r = snapshot_purpose(s, purpose, &p);
	if (r < 0)
		return r;
	if (p->set->active.n == 0)
		return 0;
	ret->purpose = p;
	if (len <= LEDGER_MEMO_ID && snapshot_memo(s, p)) {
		uint64_t w[4];

		memo_key_words(subject, len, w);
		ret->bucket = memo_hash(p, w);
		for (int i = 0; i < 4; i++)
			w[i] = htole64(w[i]);
		memcpy(ret->id, w, sizeof(ret->id));
		ret->memo_gen = p->memo_gen;
		ret->memo = true;
		__builtin_prefetch(p->memo[ret->bucket]);
		return 0;
	}
	return lookup_hash(s, subject, len, ret);
}

void
ledger_snapshot_lookup_advance(struct ledger_snapshot *s,
    struct ledger_lookup *l)
{
	const struct snapshot_purpose *p = l->purpose;
	const struct memo_entry *b;

	if (!p || !l->memo || l->hashed || l->answer >= 0)
		return;
	if (l->memo_gen != p->memo_gen) {
		/* The memo grew since the lookup began. */
		l->bucket = memo_bucket(p, l->id);
		l->memo_gen = p->memo_gen;
	}
	b = p->memo[l->bucket];
	for (int i = 0; i < 2; i++)
		if (memcmp(b[i].id, l->id, sizeof(l->id)) == 0) {
			l->answer = (int)b[i].answer;
			return;
		}
	/* A failure here is _finish()'s to report, as it hashes again. */
	(void)lookup_hash(s, (const char *)l->id, l->id[LEDGER_MEMO_ID], l);
}

/* Remembers the answer for the id (1 + slot, or 0), and grows the memo
 * once more ids were added than it holds. */
static void
memo_add(struct ledger_lookup *l, uint32_t answer)
{
	struct snapshot_purpose *p = l->purpose;
	size_t entries = 2 * (p->memo_mask + 1);

	if (l->memo_gen != p->memo_gen) {
		l->bucket = memo_bucket(p, l->id);
		l->memo_gen = p->memo_gen;
	}
	memo_put(p->memo[l->bucket], l->id, answer);
	if (++p->memo_added > entries && entries < p->memo_max &&
	    memo_resize(p, MIN(p->memo_max, entries * 4)) < 0)
		p->memo_max = entries; /* no memory: stay as it is */
}

int
ledger_snapshot_lookup_finish(struct ledger_snapshot *s,
    struct ledger_lookup *l)
{
	const struct activeset *set;
	ssize_t a;
	void *used;
	int r;

	if (!l->purpose)
		return 0;
	set = &((const struct snapshot_purpose *)l->purpose)->set->active;
	if (l->memo && !l->hashed && l->answer < 0) {
		ledger_snapshot_lookup_advance(s, l);
		if (l->answer < 0 && !l->hashed) {
			r = lookup_hash(s, (const char *)l->id,
			    l->id[LEDGER_MEMO_ID], l);
			if (r < 0)
				return r;
		}
	}
	if (l->answer >= 0)
		a = (ssize_t)l->answer - 1;
	else {
		a = activeset_find_from(set, l->slot, l->lookup);
		if (l->memo)
			memo_add(l, (uint32_t)(a + 1));
	}
	if (a < 0)
		return 0;
	if (s->collect) {
		r = keytab_add(&s->used, set->tokens[a], &used);
		if (r < 0)
			return r;
	}
	return 1;
}

int
ledger_snapshot_lookup(struct ledger_snapshot *s, const char *subject,
    size_t len, const char *purpose)
{
	struct ledger_lookup l;
	int r;

	r = ledger_snapshot_lookup_start(s, subject, len, purpose, &l);
	if (r < 0)
		return r;
	return ledger_snapshot_lookup_finish(s, &l);
}

void
ledger_snapshot_memo_size(struct ledger_snapshot *s, size_t first,
    size_t max)
{
	s->memo_first = first;
	s->memo_limit = max;
}

void
ledger_snapshot_collect(struct ledger_snapshot *s, bool on)
{
	s->collect = on;
}

static int
token_cmp(const void *a, const void *b)
{
	return memcmp(a, b, STORE_TOKEN_LEN);
}

int
ledger_snapshot_tokens(const struct ledger_snapshot *s, uint8_t **ret,
    size_t *ret_n)
{
	uint8_t *out = malloc(s->used.n * STORE_TOKEN_LEN + 1);

	if (!out)
		return -ENOMEM;
	if (s->used.n > 0)
		memcpy(out, s->used.entries, s->used.n * STORE_TOKEN_LEN);
	qsort(out, s->used.n, STORE_TOKEN_LEN, token_cmp);
	*ret = out;
	*ret_n = s->used.n;
	return 0;
}

uint64_t
ledger_snapshot_size(const struct ledger_snapshot *s)
{
	return s->size;
}

void
ledger_snapshot_close(struct ledger_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npurposes; i++) {
		ledger_consent_set_unref(s->purposes[i].set);
		free(s->purposes[i].memo_alloc);
	}
	keytab_free(&s->used);
	if (s->store) {
		store_read_end(s->store);
		if (!s->borrowed)
			store_close(s->store);
	}
	secure_wipe(s->secret, sizeof(s->secret));
	hmac_key_free(s->hmac);
	free(s);
}
