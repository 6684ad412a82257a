/* Offline verification and export of a ledger: needs the database (or an
 * export) and the verifier key, never a secret or a running daemon. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "crypto.h"
#include "json.h"
#include "ledger.h"

#define EXPORT_LINE_MAX ((size_t)1 << 20)

struct consent_digest {
	uint64_t index;
	uint8_t digest[32];
};

struct replay_state {
	bool check_consents;
	struct consent_digest *consents;
	size_t nconsents, capconsents;
	bool bad;
	uint64_t bad_index;
	char message[256];
};

struct replay_thread;

struct verifier {
	struct ledger_verify_report *rep;
	const struct note_verifier *key;
	struct merkle_frontier *tree;
	struct checkpoint *cps;      /* verified, sorted by size, unique */
	size_t ncps, next_cp;
	uint64_t expected;           /* next entry index */
	uint64_t last_good;          /* size of the last matching checkpoint */
	/* Database mode: the stored hashes, walked in step with the entries. */
	struct store_cursor *hashes;
	bool hash_mismatch;
	uint64_t hash_mismatch_index;
	/* Parsing the entries: inline (exports), or on a second thread with
	 * the consent index replayed too (databases). */
	struct replay_state inline_replay;
	struct replay_thread *replay;
	int flags;
};

static int
vfail(struct verifier *v, bool has_index, uint64_t index, const char *fmt,
    ...) _printf_(4, 5);

static int
vfail(struct verifier *v, bool has_index, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	if (!v->rep->ok)
		return -EBADMSG; /* keep the first failure */
	v->rep->ok = false;
	v->rep->has_bad_index = has_index;
	v->rep->bad_index = index;
	va_start(ap, fmt);
	vsnprintf(v->rep->message, sizeof(v->rep->message), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int
cp_compare(const void *a, const void *b)
{
	const struct checkpoint *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Adds a signed checkpoint after checking its signature. */
static int
verifier_add_checkpoint(struct verifier *v, const char *note, size_t len,
    const char *what)
{
	struct checkpoint cp = { 0 };
	struct checkpoint *p;
	int r;

	r = checkpoint_open(note, len, v->key, 1, NULL, &cp);
	if (r < 0)
		return vfail(v, false, 0,
		    "%s is not a checkpoint signed by key '%s' (altered, or signed by another key)",
		    what, v->key->name);
	for (size_t i = 0; i < v->ncps; i++)
		if (v->cps[i].size == cp.size) {
			bool same = crypto_memeq(v->cps[i].root, cp.root, 32);
			checkpoint_done(&cp);
			if (!same)
				return vfail(v, false, 0,
				    "two signed checkpoints of size %llu disagree: the log forked",
				    (unsigned long long)v->cps[i].size);
			return 0;
		}
	p = realloc(v->cps, (v->ncps + 1) * sizeof(*p));
	if (!p) {
		checkpoint_done(&cp);
		return -ENOMEM;
	}
	v->cps = p;
	v->cps[v->ncps++] = cp;
	v->rep->checkpoints++;
	return 0;
}

static int
verifier_check_checkpoints_at(struct verifier *v)
{
	uint64_t size = merkle_frontier_size(v->tree);
	uint8_t root[MERKLE_HASH_LEN];

	while (v->next_cp < v->ncps && v->cps[v->next_cp].size == size) {
		merkle_frontier_root(v->tree, root);
		if (!crypto_memeq(root, v->cps[v->next_cp].root, 32)) {
			if (v->hash_mismatch && v->hash_mismatch_index >= v->last_good)
				return vfail(v, true, v->hash_mismatch_index,
				    "entry %llu was altered: it does not match its stored hash, and entries %llu..%llu no longer match the checkpoint signed at size %llu",
				    (unsigned long long)v->hash_mismatch_index,
				    (unsigned long long)v->last_good,
				    (unsigned long long)size - 1,
				    (unsigned long long)size);
			return vfail(v, true, v->last_good,
			    "entries %llu..%llu do not match the checkpoint signed at size %llu: an entry in that range was altered, inserted, removed or moved",
			    (unsigned long long)v->last_good,
			    (unsigned long long)size - 1,
			    (unsigned long long)size);
		}
		v->last_good = size;
		v->next_cp++;
	}
	return 0;
}

static int
consent_row_digest(const struct store_consent *c, uint8_t out[32])
{
	uint8_t buf[STORE_TOKEN_LEN + sizeof(c->purpose) + 1 + 8 + 8];
	size_t n = strlen(c->purpose), o = 0;

	memcpy(buf, c->token, STORE_TOKEN_LEN);
	o += STORE_TOKEN_LEN;
	memcpy(buf + o, c->purpose, n + 1);
	o += n + 1;
	buf[o++] = (uint8_t)c->kind;
	for (int i = 7; i >= 0; i--)
		buf[o++] = (uint8_t)((uint64_t)c->at >> (8 * i));
	for (int i = 7; i >= 0; i--)
		buf[o++] = (uint8_t)((uint64_t)c->expires_at >> (8 * i));
	sha256(buf, o, out);
	return 0;
}

/* The consent row an entry implies, as the daemon indexes it. */
static int
consent_expected(const json_t *body, struct store_consent *c)
{
	const char *subject = json_string_value(json_object_get(body, "subject"));
	const char *purpose = json_string_value(json_object_get(body, "purpose"));
	const char *event = json_string_value(json_object_get(body, "event"));
	const char *at = json_string_value(json_object_get(body, "at"));
	const json_t *exp = json_object_get(body, "expires");

	memset(c, 0, sizeof(*c));
	if (!subject || !purpose || !event || !at ||
	    hex_decode(subject, strlen(subject), c->token, STORE_TOKEN_LEN) < 0 ||
	    strlen(purpose) >= sizeof(c->purpose) ||
	    time_parse_rfc3339(at, &c->at) < 0)
		return -EBADMSG;
	c->kind = streq(event, "grant") ? CONSENT_GRANT :
	    streq(event, "revoke")	    ? CONSENT_REVOKE :
	    streq(event, "expire")	    ? CONSENT_EXPIRE :
					      0;
	if (!c->kind)
		return -EBADMSG;
	if (exp && (!json_is_string(exp) ||
			time_parse_rfc3339(json_string_value(exp),
			    &c->expires_at) < 0))
		return -EBADMSG;
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
	return 0;
}

/*
 * Parsing every entry (to check it is well formed, and to replay the
 * consent index) costs more than hashing it. With a database, a second
 * thread does it while the first reads and hashes, in batches.
 */

static int
replay_one(struct replay_state *rs, uint64_t index, const uint8_t *data,
    size_t len)
{
	char kind[LEDGER_KIND_MAX + 1];
	struct store_consent c;
	json_t *body = NULL;
	int r;

	if (rs->bad)
		return 0;
	r = ledger_entry_decode(data, len, kind, &body);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		rs->bad = true;
		rs->bad_index = index;
		snprintf(rs->message, sizeof(rs->message),
		    "entry %llu is not a valid ledger entry",
		    (unsigned long long)index);
		return 0;
	}
	if (rs->check_consents && streq(kind, "consent")) {
		if (consent_expected(body, &c) < 0) {
			json_decref(body);
			rs->bad = true;
			rs->bad_index = index;
			snprintf(rs->message, sizeof(rs->message),
			    "entry %llu is a malformed consent event",
			    (unsigned long long)index);
			return 0;
		}
		if (rs->nconsents == rs->capconsents) {
			size_t cap = rs->capconsents ? 2 * rs->capconsents : 1024;
			struct consent_digest *p = realloc(rs->consents,
			    cap * sizeof(*p));
			if (!p) {
				json_decref(body);
				return -ENOMEM;
			}
			rs->consents = p;
			rs->capconsents = cap;
		}
		rs->consents[rs->nconsents].index = index;
		consent_row_digest(&c, rs->consents[rs->nconsents].digest);
		rs->nconsents++;
	}
	json_decref(body);
	return 0;
}

#define REPLAY_BATCH_BYTES ((size_t)1 << 20)
#define REPLAY_QUEUE_MAX 8

struct replay_batch {
	struct buf data;      /* the entries' bytes, back to back */
	uint64_t *index;
	size_t *len;
	size_t n, cap;
	struct replay_batch *next;
};

struct replay_thread {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct replay_batch *head, *tail, *filling;
	size_t queued;
	bool done;
	int error;
	struct replay_state state;   /* what the thread parsed */
	struct replay_state own;     /* what the caller parsed itself */
};

static void
replay_batch_free(struct replay_batch *b)
{
	if (!b)
		return;
	buf_free(&b->data);
	free(b->index);
	free(b->len);
	free(b);
}

static void *
replay_main(void *arg)
{
	struct replay_thread *rt = arg;

	for (;;) {
		struct replay_batch *b;
		size_t off = 0;

		pthread_mutex_lock(&rt->lock);
		while (!rt->head && !rt->done)
			pthread_cond_wait(&rt->cond, &rt->lock);
		b = rt->head;
		if (!b) {
			pthread_mutex_unlock(&rt->lock);
			return NULL;
		}
		rt->head = b->next;
		if (!rt->head)
			rt->tail = NULL;
		rt->queued--;
		pthread_cond_broadcast(&rt->cond);
		pthread_mutex_unlock(&rt->lock);
		for (size_t i = 0; i < b->n && rt->error == 0; i++) {
			int r = replay_one(&rt->state, b->index[i],
			    (const uint8_t *)b->data.data + off, b->len[i]);
			if (r < 0)
				rt->error = r;
			off += b->len[i];
		}
		replay_batch_free(b);
	}
}

static int
replay_push(struct replay_thread *rt)
{
	struct replay_batch *b = rt->filling;

	if (!b || b->n == 0)
		return 0;
	rt->filling = NULL;
	pthread_mutex_lock(&rt->lock);
	if (rt->queued >= 2 && !rt->done) {
		/* The thread is behind: parse this batch here rather than
		 * wait, which balances the two cores. */
		size_t off = 0;
		int r = 0;
		pthread_mutex_unlock(&rt->lock);
		for (size_t i = 0; i < b->n && r == 0; i++) {
			r = replay_one(&rt->own, b->index[i],
			    (const uint8_t *)b->data.data + off, b->len[i]);
			off += b->len[i];
		}
		replay_batch_free(b);
		return r;
	}
	while (rt->queued >= REPLAY_QUEUE_MAX)
		pthread_cond_wait(&rt->cond, &rt->lock);
	if (rt->tail)
		rt->tail->next = b;
	else
		rt->head = b;
	rt->tail = b;
	rt->queued++;
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

static int
replay_submit(struct replay_thread *rt, uint64_t index, const uint8_t *data,
    size_t len)
{
	struct replay_batch *b = rt->filling;
	int r;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->data = BUF_INIT(REPLAY_BATCH_BYTES + LEDGER_ENTRY_MAX);
		rt->filling = b;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		uint64_t *ix = realloc(b->index, cap * sizeof(*ix));
		size_t *ln;
		if (!ix)
			return -ENOMEM;
		b->index = ix;
		ln = realloc(b->len, cap * sizeof(*ln));
		if (!ln)
			return -ENOMEM;
		b->len = ln;
		b->cap = cap;
	}
	r = buf_append(&b->data, data, len);
	if (r < 0)
		return r;
	b->index[b->n] = index;
	b->len[b->n++] = len;
	if (b->data.len >= REPLAY_BATCH_BYTES)
		return replay_push(rt);
	return 0;
}

/* Merges what the caller parsed into what the thread parsed: both lists
 * are in index order; the first bad entry is the lower index. */
static int
replay_merge(struct replay_state *a, struct replay_state *b)
{
	struct consent_digest *m;
	size_t i = 0, j = 0, k = 0;

	if (b->bad && (!a->bad || b->bad_index < a->bad_index)) {
		a->bad = true;
		a->bad_index = b->bad_index;
		memcpy(a->message, b->message, sizeof(a->message));
	}
	if (b->nconsents == 0)
		return 0;
	m = malloc((a->nconsents + b->nconsents) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	while (i < a->nconsents || j < b->nconsents)
		if (j >= b->nconsents ||
		    (i < a->nconsents && a->consents[i].index < b->consents[j].index))
			m[k++] = a->consents[i++];
		else
			m[k++] = b->consents[j++];
	free(a->consents);
	a->consents = m;
	a->nconsents = a->capconsents = k;
	return 0;
}

static int
replay_start(struct replay_thread **ret)
{
	struct replay_thread *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	rt->state.check_consents = true;
	rt->own.check_consents = true;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->cond, NULL);
	r = pthread_create(&rt->thread, NULL, replay_main, rt);
	if (r != 0) {
		pthread_mutex_destroy(&rt->lock);
		pthread_cond_destroy(&rt->cond);
		free(rt);
		return -r;
	}
	*ret = rt;
	return 0;
}

/* Hands over the last batch and waits for the thread. */
static int
replay_finish(struct replay_thread *rt)
{
	replay_push(rt);
	pthread_mutex_lock(&rt->lock);
	rt->done = true;
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
	pthread_join(rt->thread, NULL);
	if (rt->error < 0)
		return rt->error;
	return replay_merge(&rt->state, &rt->own);
}

static void
replay_free(struct replay_thread *rt)
{
	if (!rt)
		return;
	replay_batch_free(rt->filling);
	while (rt->head) {
		struct replay_batch *b = rt->head;
		rt->head = b->next;
		replay_batch_free(b);
	}
	free(rt->state.consents);
	free(rt->own.consents);
	pthread_mutex_destroy(&rt->lock);
	pthread_cond_destroy(&rt->cond);
	free(rt);
}

static int
verifier_entry(void *userdata, uint64_t index, const uint8_t *data,
    size_t len)
{
	struct verifier *v = userdata;
	uint8_t stored[MERKLE_MAX_STORED_PER_LEAF][MERKLE_HASH_LEN];
	uint8_t leaf[MERKLE_HASH_LEN];
	size_t n;
	int r;

	if (index != v->expected)
		return vfail(v, true, v->expected,
		    index > v->expected ?
			"entry %llu is missing (the next stored entry is %llu)" :
			"entry %llu appears twice (found %llu again)",
		    (unsigned long long)v->expected, (unsigned long long)index);
	if (!v->replay) {
		r = replay_one(&v->inline_replay, index, data, len);
		if (r < 0)
			return r;
		if (v->inline_replay.bad)
			return vfail(v, true, v->inline_replay.bad_index, "%s",
			    v->inline_replay.message);
	} else {
		r = replay_submit(v->replay, index, data, len);
		if (r < 0)
			return r;
	}

	merkle_leaf_hash(data, len, leaf);
	r = merkle_frontier_append_stored(v->tree, leaf, stored, &n);
	if (r < 0)
		return r;
	if (v->hashes) {
		uint64_t id0 = merkle_stored_hash_index(0, index);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *h;
			uint64_t id;
			size_t hl;
			r = store_hash_cursor_next(v->hashes, &id, &h, &hl);
			if (r < 0)
				return r;
			if (r == 0 || id != id0 + i || hl != 32 ||
			    !crypto_memeq(h, stored[i], 32)) {
				if (!v->hash_mismatch) {
					/* Hash i covers the last 2^i leaves up
					 * to this one: name the first. */
					v->hash_mismatch = true;
					v->hash_mismatch_index =
					    index + 1 - ((uint64_t)1 << i);
				}
				/* Stop comparing: the cursor is out of step. */
				store_cursor_close(v->hashes);
				v->hashes = NULL;
				break;
			}
		}
	}
	v->expected = index + 1;
	v->rep->entries++;
	return verifier_check_checkpoints_at(v);
}

static int
verifier_start(struct verifier *v, struct ledger_verify_report *rep,
    const struct note_verifier *key)
{
	memset(rep, 0, sizeof(*rep));
	rep->ok = true;
	v->rep = rep;
	v->key = key;
	return merkle_frontier_new(&v->tree);
}

static int
verifier_finish(struct verifier *v)
{
	if (v->ncps > 1)
		qsort(v->cps, v->ncps, sizeof(*v->cps), cp_compare);
	if (v->ncps > 0)
		v->rep->latest_size = v->cps[v->ncps - 1].size;
	return 0;
}

static void
verifier_done(struct verifier *v)
{
	for (size_t i = 0; i < v->ncps; i++)
		checkpoint_done(&v->cps[i]);
	free(v->cps);
	free(v->inline_replay.consents);
	replay_free(v->replay);
	store_cursor_close(v->hashes);
	merkle_frontier_free(v->tree);
}

/* After all entries: truncation, unsigned logs, leftover hashes. */
static int
verifier_end(struct verifier *v)
{
	if (!v->rep->ok)
		return -EBADMSG;
	if (v->ncps == 0)
		return vfail(v, false, 0,
		    "no checkpoint signed by key '%s': nothing vouches for this log",
		    v->key->name);
	if (v->next_cp < v->ncps)
		return vfail(v, true, v->expected,
		    "the log has %llu entries, but a checkpoint signed at size %llu covers more: entries were removed",
		    (unsigned long long)v->expected,
		    (unsigned long long)v->cps[v->next_cp].size);
	if (v->hash_mismatch)
		return vfail(v, true, v->hash_mismatch_index,
		    "the stored hashes do not match entry %llu (altered entry or hash table)",
		    (unsigned long long)v->hash_mismatch_index);
	v->rep->unsigned_tail = v->expected - v->rep->latest_size;
	if (v->rep->unsigned_tail > 0 &&
	    !(v->flags & LEDGER_VERIFY_ALLOW_UNSIGNED_TAIL))
		return vfail(v, true, v->rep->latest_size,
		    "entries %llu..%llu come after the latest signed checkpoint (size %llu): no signature covers them",
		    (unsigned long long)v->rep->latest_size,
		    (unsigned long long)v->expected - 1,
		    (unsigned long long)v->rep->latest_size);
	return 0;
}

struct consent_walk {
	struct verifier *v;
	const struct consent_digest *list; /* what the log implies */
	size_t n;
	size_t i;
};

static int
consent_walk_row(void *userdata, const struct store_consent *c)
{
	struct consent_walk *w = userdata;
	struct verifier *v = w->v;
	uint8_t d[32];

	if (w->i >= w->n)
		return vfail(v, true, c->index,
		    "the consent index has a row for entry %llu that the log does not justify",
		    (unsigned long long)c->index);
	if (c->index != w->list[w->i].index) {
		uint64_t at = MIN(c->index, w->list[w->i].index);
		return vfail(v, true, at,
		    "the consent index does not match the log at entry %llu",
		    (unsigned long long)at);
	}
	consent_row_digest(c, d);
	if (!crypto_memeq(d, w->list[w->i].digest, 32))
		return vfail(v, true, c->index,
		    "the consent index row for entry %llu was altered",
		    (unsigned long long)c->index);
	w->i++;
	return 0;
}

struct cp_collect {
	struct verifier *v;
	struct store *s;
};

static int
collect_db_checkpoint(void *userdata, const struct store_checkpoint *c)
{
	struct cp_collect *cc = userdata;
	struct verifier *v = cc->v;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "the checkpoint stored for size %llu",
	    (unsigned long long)c->size);
	r = verifier_add_checkpoint(v, c->note, strlen(c->note), what);
	if (r < 0)
		return r;
	/* The note is what is signed; the row's columns must agree with it. */
	for (size_t i = 0; i < v->ncps; i++)
		if (v->cps[i].size == c->size &&
		    crypto_memeq(v->cps[i].root, c->root, 32))
			return 0;
	return vfail(v, false, 0,
	    "the checkpoint row for size %llu does not match its signed note",
	    (unsigned long long)c->size);
}

int
ledger_verify_db(const char *db_path, const struct note_verifier *key,
    const char *checkpoint_note, int flags, struct ledger_verify_report *ret)
{
	struct verifier v = { 0 };
	_cleanup_(store_closep) struct store *s = NULL;
	char err[256];
	uint64_t size = 0, nh = 0;
	int r;

	r = verifier_start(&v, ret, key);
	if (r < 0)
		return r;
	v.flags = flags;
	r = store_open(db_path, STORE_READ_ONLY, &s, err, sizeof(err));
	if (r < 0) {
		snprintf(ret->message, sizeof(ret->message),
		    "cannot open '%s': %s", db_path, err);
		ret->ok = false;
		verifier_done(&v);
		return r;
	}
	r = store_read_begin(s);
	if (r >= 0) {
		struct cp_collect cc = { .v = &v, .s = s };
		r = store_checkpoint_foreach(s, collect_db_checkpoint, &cc);
	}
	if (r >= 0 && checkpoint_note)
		r = verifier_add_checkpoint(&v, checkpoint_note,
		    strlen(checkpoint_note), "the given checkpoint");
	if (r >= 0)
		r = verifier_finish(&v);
	if (r >= 0 && v.ncps > 0 && v.cps[0].size == 0)
		r = verifier_check_checkpoints_at(&v);
	if (r >= 0)
		r = store_hash_cursor_open(s, &v.hashes);
	if (r >= 0)
		r = replay_start(&v.replay);
	if (r >= 0)
		r = store_entry_foreach(s, 0, UINT64_MAX, verifier_entry, &v);
	if (v.replay) {
		/* The parsing thread's verdict, merged: the lower index
		 * is the first bad entry. */
		int rr = replay_finish(v.replay);
		const struct replay_state *st = &v.replay->state;
		if (r >= 0 && rr < 0)
			r = rr;
		if (st->bad && (ret->ok || !ret->has_bad_index ||
				   st->bad_index < ret->bad_index)) {
			ret->ok = true; /* let vfail record this one */
			r = vfail(&v, true, st->bad_index, "%s", st->message);
		}
	}
	if (r >= 0)
		r = verifier_end(&v);
	if (r >= 0) {
		/* Every stored hash must belong to an entry. */
		r = store_log_size(s, &size);
		if (r >= 0)
			r = store_hashes_count(s, &nh);
		if (r >= 0 && nh != merkle_stored_hash_count(size))
			r = vfail(&v, false, 0,
			    "the hash table holds %llu hashes; %llu entries need %llu",
			    (unsigned long long)nh, (unsigned long long)size,
			    (unsigned long long)merkle_stored_hash_count(size));
	}
	if (r >= 0) {
		struct consent_walk w = { .v = &v,
			.list = v.replay->state.consents,
			.n = v.replay->state.nconsents };
		r = store_consent_foreach(s, consent_walk_row, &w);
		if (r >= 0 && w.i < w.n)
			r = vfail(&v, true, w.list[w.i].index,
			    "the consent index is missing entry %llu",
			    (unsigned long long)w.list[w.i].index);
	}
	store_read_end(s);
	if (r < 0 && ret->ok) {
		ret->ok = false;
		snprintf(ret->message, sizeof(ret->message),
		    "cannot read the ledger: %s", r == -EBADMSG ?
			store_errmsg(s) : strerror(-r));
	}
	verifier_done(&v);
	return ret->ok ? 0 : -EBADMSG;
}

/* Reads one line of at most EXPORT_LINE_MAX bytes; 1, 0 at EOF, -errno. */
static int
read_line(FILE *f, char **line, size_t *cap, size_t *ret_len)
{
	ssize_t n = getline(line, cap, f);

	if (n < 0)
		return ferror(f) ? -EIO : 0;
	if ((size_t)n > EXPORT_LINE_MAX)
		return -E2BIG;
	while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
		(*line)[--n] = '\0';
	*ret_len = (size_t)n;
	return 1;
}

int
ledger_verify_export(const char *path, const struct note_verifier *key,
    const char *checkpoint_note, int flags, struct ledger_verify_report *ret)
{
	struct verifier v = { 0 };
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, len;
	uint64_t lineno;
	int r;

	r = verifier_start(&v, ret, key);
	if (r < 0)
		return r;
	v.flags = flags;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		ret->ok = false;
		snprintf(ret->message, sizeof(ret->message), "cannot open '%s': %s",
		    path, strerror(-r));
		verifier_done(&v);
		return r;
	}
	/* Pass 1: the signed checkpoints. Pass 2: the entries. */
	for (int pass = 1; pass <= 2 && ret->ok; pass++) {
		rewind(f);
		lineno = 0;
		while ((r = read_line(f, &line, &cap, &len)) > 0) {
			json_error_t e;
			json_t *o;
			const char *note, *leaf;
			lineno++;
			if (len == 0)
				continue;
			o = NULL;
			r = json_load_checked(line, len,
			    JSON_REJECT_DUPLICATES, &o, &e);
			if (r == -ENOMEM)
				break;
			if (!o || !json_is_object(o)) {
				json_decref(o);
				r = vfail(&v, false, 0,
				    "%s:%llu: not a JSON object", path,
				    (unsigned long long)lineno);
				break;
			}
			note = json_string_value(json_object_get(o, "checkpoint"));
			leaf = json_string_value(json_object_get(o, "leaf"));
			if (pass == 1 && note) {
				char what[64];
				snprintf(what, sizeof(what), "the checkpoint on line %llu",
				    (unsigned long long)lineno);
				r = verifier_add_checkpoint(&v, note, strlen(note),
				    what);
			} else if (pass == 2 && leaf) {
				json_t *ji = json_object_get(o, "index");
				uint8_t *data = NULL;
				size_t dlen;
				if (!json_is_integer(ji) || json_integer_value(ji) < 0 ||
				    base64_decode(leaf, strlen(leaf), &data, &dlen) < 0)
					r = vfail(&v, false, 0,
					    "%s:%llu: malformed entry line", path,
					    (unsigned long long)lineno);
				else {
					/* What a reader sees must be what is
					 * hashed: the decoded fields match. */
					char kind[LEDGER_KIND_MAX + 1];
					json_t *body = NULL;
					const json_t *shown = json_object_get(o,
					    "entry");
					if (shown && (ledger_entry_decode(data, dlen,
							  kind, &body) < 0 ||
							 !json_equal(body, shown)))
						r = vfail(&v, true,
						    (uint64_t)json_integer_value(ji),
						    "%s:%llu: entry %llu's decoded fields do not match its bytes",
						    path, (unsigned long long)lineno,
						    (unsigned long long)json_integer_value(ji));
					json_decref(body);
					if (r >= 0)
						r = verifier_entry(&v,
						    (uint64_t)json_integer_value(ji),
						    data, dlen);
				}
				free(data);
			} else if (!note && !leaf) {
				r = vfail(&v, false, 0,
				    "%s:%llu: neither an entry nor a checkpoint",
				    path, (unsigned long long)lineno);
			}
			json_decref(o);
			if (r < 0)
				break;
		}
		if (r >= 0 && pass == 1) {
			if (checkpoint_note)
				r = verifier_add_checkpoint(&v, checkpoint_note,
				    strlen(checkpoint_note), "the given checkpoint");
			if (r >= 0)
				r = verifier_finish(&v);
			if (r >= 0 && v.ncps > 0 && v.cps[0].size == 0)
				r = verifier_check_checkpoints_at(&v);
		}
		if (r < 0)
			break;
	}
	if (r >= 0)
		r = verifier_end(&v);
	if (r < 0 && ret->ok) {
		ret->ok = false;
		snprintf(ret->message, sizeof(ret->message), "cannot read '%s': %s",
		    path, strerror(-r));
	}
	verifier_done(&v);
	return ret->ok ? 0 : -EBADMSG;
}

struct exporter {
	FILE *out;
	uint64_t n;
};

static int
export_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	struct exporter *x = userdata;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL, *o;
	char *leaf, *line;
	int r = 0;

	leaf = base64_encode(data, len);
	if (!leaf)
		return -ENOMEM;
	if (ledger_entry_decode(data, len, kind, &body) < 0) {
		body = json_null();
		snprintf(kind, sizeof(kind), "invalid");
	}
	o = json_pack("{s:I, s:s, s:s, s:o}", "index", (json_int_t)index, "kind",
	    kind, "leaf", leaf, "entry", body);
	free(leaf);
	if (!o)
		return -ENOMEM;
	line = json_dumps_checked(o, JSON_COMPACT);
	json_decref(o);
	if (!line)
		return -ENOMEM;
	if (fprintf(x->out, "%s\n", line) < 0)
		r = -EIO;
	free(line);
	x->n++;
	return r;
}

static int
export_checkpoint(void *userdata, const struct store_checkpoint *c)
{
	struct exporter *x = userdata;
	json_t *o = json_pack("{s:I, s:s}", "size", (json_int_t)c->size,
	    "checkpoint", c->note);
	char *line;
	int r = 0;

	if (!o)
		return -ENOMEM;
	line = json_dumps_checked(o, JSON_COMPACT);
	json_decref(o);
	if (!line)
		return -ENOMEM;
	if (fprintf(x->out, "%s\n", line) < 0)
		r = -EIO;
	free(line);
	return r;
}

int
ledger_export(struct ledger *l, FILE *out, uint64_t *ret_entries)
{
	struct exporter x = { .out = out };
	struct store *s = ledger_store(l);
	int r;

	r = store_read_begin(s);
	if (r < 0)
		return r;
	r = store_entry_foreach(s, 0, UINT64_MAX, export_entry, &x);
	if (r >= 0)
		r = store_checkpoint_foreach(s, export_checkpoint, &x);
	store_read_end(s);
	if (r >= 0 && fflush(out) != 0)
		r = -EIO;
	if (r >= 0 && ret_entries)
		*ret_entries = x.n;
	return r;
}
