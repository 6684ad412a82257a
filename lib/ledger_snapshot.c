/* Consent snapshots: consent state of many subjects for a purpose, as of
 * one ledger size and time, with the active set held in memory. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "ledger.h"

#define SNAPSHOT_MAX_PURPOSES 16

/* An open-addressing set of random 16-byte tokens (their first bytes are
 * already uniformly distributed, so they are their own hash). */
struct tokenset {
	uint8_t (*slots)[STORE_TOKEN_LEN];
	bool *used;
	size_t cap, n;
};

static uint64_t
token_hash(const uint8_t *t)
{
	uint64_t h;

	memcpy(&h, t, sizeof(h));
	return h;
}

static int
tokenset_grow(struct tokenset *ts)
{
	size_t cap = ts->cap ? ts->cap * 2 : 1024;
	uint8_t (*slots)[STORE_TOKEN_LEN] = calloc(cap, STORE_TOKEN_LEN);
	bool *used = calloc(cap, sizeof(bool));

	if (!slots || !used) {
		free(slots);
		free(used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ts->cap; i++) {
		if (!ts->used[i])
			continue;
		size_t j = token_hash(ts->slots[i]) & (cap - 1);
		while (used[j])
			j = (j + 1) & (cap - 1);
		memcpy(slots[j], ts->slots[i], STORE_TOKEN_LEN);
		used[j] = true;
	}
	free(ts->slots);
	free(ts->used);
	ts->slots = slots;
	ts->used = used;
	ts->cap = cap;
	return 0;
}

static int
tokenset_add(struct tokenset *ts, const uint8_t *t)
{
	size_t j;
	int r;

	if ((ts->n + 1) * 2 > ts->cap) {
		r = tokenset_grow(ts);
		if (r < 0)
			return r;
	}
	j = token_hash(t) & (ts->cap - 1);
	while (ts->used[j]) {
		if (memcmp(ts->slots[j], t, STORE_TOKEN_LEN) == 0)
			return 0;
		j = (j + 1) & (ts->cap - 1);
	}
	memcpy(ts->slots[j], t, STORE_TOKEN_LEN);
	ts->used[j] = true;
	ts->n++;
	return 0;
}

static bool
tokenset_has(const struct tokenset *ts, const uint8_t *t)
{
	size_t j;

	if (ts->cap == 0)
		return false;
	j = token_hash(t) & (ts->cap - 1);
	while (ts->used[j]) {
		if (memcmp(ts->slots[j], t, STORE_TOKEN_LEN) == 0)
			return true;
		j = (j + 1) & (ts->cap - 1);
	}
	return false;
}

static void
tokenset_free(struct tokenset *ts)
{
	free(ts->slots);
	free(ts->used);
	memset(ts, 0, sizeof(*ts));
}

struct snapshot_purpose {
	char *purpose;
	struct tokenset active;
};

struct ledger_snapshot {
	struct store *store;
	uint8_t secret[32];
	struct hmac_key *hmac;
	uint64_t size;
	usec_t at;
	struct snapshot_purpose purposes[SNAPSHOT_MAX_PURPOSES];
	size_t npurposes;
	bool collect;
	struct tokenset used; /* subjects found with active consent */
};

/* Rows come grouped by token, in time order: the last row of a group is
 * that token's state. */
struct load {
	struct tokenset *set;
	usec_t at;
	bool have;
	struct store_consent last;
};

static int
load_flush(struct load *ld)
{
	if (!ld->have)
		return 0;
	if (ld->last.kind == CONSENT_GRANT &&
	    (ld->last.expires_at == 0 || ld->last.expires_at > ld->at))
		return tokenset_add(ld->set, ld->last.token);
	return 0;
}

static int
load_row(void *userdata, const struct store_consent *c)
{
	struct load *ld = userdata;
	int r = 0;

	if (ld->have && memcmp(ld->last.token, c->token, STORE_TOKEN_LEN) != 0)
		r = load_flush(ld);
	ld->last = *c;
	ld->have = true;
	return r;
}

static int
snapshot_purpose(struct ledger_snapshot *s, const char *purpose,
    struct tokenset **ret)
{
	struct snapshot_purpose *p;
	struct load ld = { .at = s->at };
	int r;

	for (size_t i = 0; i < s->npurposes; i++)
		if (strcmp(s->purposes[i].purpose, purpose) == 0) {
			*ret = &s->purposes[i].active;
			return 0;
		}
	if (s->npurposes == SNAPSHOT_MAX_PURPOSES)
		return -E2BIG;
	p = &s->purposes[s->npurposes];
	p->purpose = strdup(purpose);
	if (!p->purpose)
		return -ENOMEM;
	ld.set = &p->active;
	r = store_consent_purpose_foreach(s->store, purpose, s->at, s->size,
	    load_row, &ld);
	if (r >= 0)
		r = load_flush(&ld);
	if (r < 0) {
		tokenset_free(&p->active);
		free(p->purpose);
		p->purpose = NULL;
		return r;
	}
	s->npurposes++;
	*ret = &p->active;
	return 0;
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
	if (r >= 0)
		r = store_read_begin(s->store);
	if (r < 0) {
		ledger_snapshot_close(s);
		return r;
	}
	s->size = size && size < current ? size : current;
	s->at = at;
	*ret = s;
	return 0;
}

int
ledger_snapshot_lookup(struct ledger_snapshot *s, const char *subject,
    size_t len, const char *purpose)
{
	struct store_subject subj;
	struct tokenset *set;
	int r;

	if (len == 0 || len > LEDGER_SUBJECT_MAX)
		return 0; /* no such subject can have consented */
	r = snapshot_purpose(s, purpose, &set);
	if (r < 0)
		return r;
	if (set->n == 0)
		return 0;
	r = ledger_subject_lookup_key(s->hmac, subject, len, subj.lookup);
	if (r < 0)
		return r;
	r = store_subject_get(s->store, subj.lookup, &subj);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!tokenset_has(set, subj.token))
		return 0;
	if (s->collect) {
		r = tokenset_add(&s->used, subj.token);
		if (r < 0)
			return r;
	}
	return 1;
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
	size_t n = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < s->used.cap; i++)
		if (s->used.used[i])
			memcpy(out + STORE_TOKEN_LEN * n++, s->used.slots[i],
			    STORE_TOKEN_LEN);
	qsort(out, n, STORE_TOKEN_LEN, token_cmp);
	*ret = out;
	*ret_n = n;
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
		tokenset_free(&s->purposes[i].active);
		free(s->purposes[i].purpose);
	}
	tokenset_free(&s->used);
	if (s->store) {
		store_read_end(s->store);
		store_close(s->store);
	}
	secure_wipe(s->secret, sizeof(s->secret));
	hmac_key_free(s->hmac);
	free(s);
}
