/* Unit tests for consent snapshots (lib/ledger_snapshot.c): each subject's
 * latest event for the purpose, as of a ledger size and a time, decides;
 * events recorded out of time order, expiries, erasures and the lineage
 * tokens; a few thousand random subjects against a model; and the memo
 * of answers, which changes none. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "consent.h"
#include "ledger.h"
#include "ledger_fixture.h"
#include "macro.h"

/* 2025-01-01T00:00:00Z */
#define T0 ((usec_t)1735689600 * USEC_PER_SEC)
#define SEC(n) (T0 + (usec_t)(n) * USEC_PER_SEC)

struct fixture {
	struct ledger_fixture lf;
	struct ledger *l;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	ledger_fixture_open(&f->lf, "test-snapshot");
	f->l = f->lf.l;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ledger_fixture_close(&f->lf);
	free(f);
	return 0;
}

/* Records one consent event (inside the caller's transaction); expires 0:
 * never. Returns the entry's index. */
static uint64_t
record(struct ledger *l, const char *subject, const char *purpose,
    const char *event, usec_t at, usec_t expires)
{
	char ats[TIME_RFC3339_MAX], exps[TIME_RFC3339_MAX], err[256];
	uint8_t token[STORE_TOKEN_LEN];
	struct consent_event ev;
	uint64_t index;
	json_t *in, *body;

	in = json_pack("{s:s, s:s, s:s, s:s}", "subject", subject, "purpose",
	    purpose, "event", event, "at", time_format_rfc3339(at, ats));
	assert_non_null(in);
	if (expires)
		assert_int_equal(json_object_set_new(in, "expires",
		    json_string(time_format_rfc3339(expires, exps))), 0);
	assert_int_equal(consent_event_parse(in, now_realtime(), &ev, err,
	    sizeof(err)), 0);
	json_decref(in);
	assert_int_equal(ledger_subject_token(l, ev.subject, true, token), 0);
	body = consent_entry_body(&ev, token, now_realtime());
	assert_non_null(body);
	assert_int_equal(ledger_append_json(l, "consent", body, &index, NULL),
	    0);
	json_decref(body);
	consent_event_done(&ev);
	return index;
}

static struct ledger_snapshot *
snapshot(struct fixture *f, uint64_t size, usec_t at)
{
	struct ledger_snapshot *s = NULL;
	char err[512];

	assert_int_equal(ledger_snapshot_open(f->lf.db, f->lf.secret, size, at, &s,
	    err, sizeof(err)), 0);
	return s;
}

static int
lookup(struct ledger_snapshot *s, const char *subject, const char *purpose)
{
	return ledger_snapshot_lookup(s, subject, strlen(subject), purpose);
}

static void
test_latest_event_decides(void **state)
{
	struct fixture *f = *state;
	struct ledger_snapshot *s;
	uint64_t last;

	assert_int_equal(ledger_begin(f->l), 0);
	record(f->l, "alice", "train", "grant", SEC(10), 0);
	record(f->l, "alice", "train", "revoke", SEC(20), 0);
	/* Recorded late, backdated: the grant is still the latest. */
	record(f->l, "bob", "train", "grant", SEC(20), 0);
	record(f->l, "bob", "train", "revoke", SEC(5), 0);
	record(f->l, "carol", "train", "grant", SEC(10), SEC(25));
	record(f->l, "dave", "analytics", "grant", SEC(10), 0);
	/* At the same time, the later entry wins. */
	record(f->l, "erin", "train", "revoke", SEC(10), 0);
	record(f->l, "erin", "train", "grant", SEC(10), 0);
	record(f->l, "frank", "train", "grant", SEC(10), 0);
	record(f->l, "frank", "train", "expire", SEC(12), 0);
	last = record(f->l, "gus", "train", "grant", SEC(10), 0);
	assert_int_equal(ledger_commit(f->l), 0);

	s = snapshot(f, 0, SEC(30));
	assert_int_equal(ledger_snapshot_size(s), last + 1);
	assert_int_equal(lookup(s, "alice", "train"), 0);
	assert_int_equal(lookup(s, "bob", "train"), 1);
	assert_int_equal(lookup(s, "carol", "train"), 0); /* expired */
	assert_int_equal(lookup(s, "dave", "train"), 0);
	assert_int_equal(lookup(s, "dave", "analytics"), 1);
	assert_int_equal(lookup(s, "erin", "train"), 1);
	assert_int_equal(lookup(s, "frank", "train"), 0);
	assert_int_equal(lookup(s, "gus", "train"), 1);
	assert_int_equal(lookup(s, "nobody", "train"), 0);
	assert_int_equal(ledger_snapshot_lookup(s, "", 0, "train"), 0);
	assert_int_equal(lookup(s, "alice", "unknown-purpose"), 0);
	ledger_snapshot_close(s);

	/* Earlier: alice's revocation and carol's expiry lie ahead. */
	s = snapshot(f, 0, SEC(15));
	assert_int_equal(lookup(s, "alice", "train"), 1);
	assert_int_equal(lookup(s, "bob", "train"), 0);   /* only the revoke */
	assert_int_equal(lookup(s, "carol", "train"), 1);
	assert_int_equal(lookup(s, "frank", "train"), 0);
	ledger_snapshot_close(s);

	/* A smaller ledger: gus's grant is not in it. */
	s = snapshot(f, last, SEC(30));
	assert_int_equal(ledger_snapshot_size(s), last);
	assert_int_equal(lookup(s, "gus", "train"), 0);
	assert_int_equal(lookup(s, "bob", "train"), 1);
	ledger_snapshot_close(s);
}

static void
test_erased_subject_and_lineage_tokens(void **state)
{
	struct fixture *f = *state;
	struct ledger_snapshot *s;
	uint8_t want[2][STORE_TOKEN_LEN], *tokens = NULL;
	uint64_t erased;
	size_t n = 0;

	assert_int_equal(ledger_begin(f->l), 0);
	record(f->l, "alice", "train", "grant", SEC(10), 0);
	record(f->l, "bob", "train", "grant", SEC(10), 0);
	record(f->l, "carol", "train", "grant", SEC(10), 0);
	record(f->l, "dave", "train", "revoke", SEC(10), 0);
	assert_int_equal(ledger_subject_erase(f->l, "carol", &erased), 0);
	assert_int_equal(ledger_commit(f->l), 0);
	assert_int_equal(ledger_subject_token(f->l, "alice", false, want[0]),
	    0);
	assert_int_equal(ledger_subject_token(f->l, "bob", false, want[1]), 0);
	if (memcmp(want[0], want[1], STORE_TOKEN_LEN) > 0) {
		uint8_t t[STORE_TOKEN_LEN];

		memcpy(t, want[0], sizeof(t));
		memcpy(want[0], want[1], sizeof(t));
		memcpy(want[1], t, sizeof(t));
	}

	s = snapshot(f, 0, SEC(30));
	ledger_snapshot_collect(s, true);
	assert_int_equal(lookup(s, "carol", "train"), 0);
	assert_int_equal(lookup(s, "dave", "train"), 0);
	assert_int_equal(lookup(s, "bob", "train"), 1);
	assert_int_equal(lookup(s, "alice", "train"), 1);
	assert_int_equal(lookup(s, "bob", "train"), 1);
	assert_int_equal(ledger_snapshot_tokens(s, &tokens, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(tokens, want, sizeof(want));
	free(tokens);
	ledger_snapshot_close(s);

	/* Lookups in two halves collect the same tokens, when finished. */
	s = snapshot(f, 0, SEC(30));
	ledger_snapshot_collect(s, true);
	{
		static const char *const who[] = { "alice", "carol", "bob",
			"dave", "" };
		struct ledger_lookup l[ELEMENTSOF(who)];

		for (size_t i = 0; i < ELEMENTSOF(who); i++)
			assert_int_equal(ledger_snapshot_lookup_start(s,
			    who[i], strlen(who[i]), "train", &l[i]), 0);
		assert_int_equal(ledger_snapshot_tokens(s, &tokens, &n), 0);
		assert_int_equal(n, 0);
		free(tokens);
		for (size_t i = 0; i < ELEMENTSOF(who); i++)
			assert_int_equal(ledger_snapshot_lookup_finish(s,
			    &l[i]), i == 0 || i == 2);
	}
	assert_int_equal(ledger_snapshot_tokens(s, &tokens, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(tokens, want, sizeof(want));
	free(tokens);
	ledger_snapshot_close(s);
}

/* A few thousand subjects (past the tables' first growth), events with
 * random times, kinds, purposes and expiries, against a model. */
#define MODEL_SUBJECTS 3000
#define MODEL_EVENTS 3

struct model_event {
	int purpose;
	const char *kind;
	usec_t at, expires;
	uint64_t index;
};

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
model_active(const struct model_event *ev, size_t n, int purpose,
    uint64_t size, usec_t at)
{
	const struct model_event *latest = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct model_event *e = &ev[i];

		if (e->purpose != purpose || e->at > at || e->index >= size)
			continue;
		if (!latest || e->at > latest->at ||
		    (e->at == latest->at && e->index > latest->index))
			latest = e;
	}
	return latest && strcmp(latest->kind, "grant") == 0 &&
	    (latest->expires == 0 || latest->expires > at);
}

static void
test_random_subjects_match_the_model(void **state)
{
	static const char *const purposes[] = { "train", "analytics" };
	static const char *const kinds[] = { "grant", "grant", "revoke",
		"expire" };
	struct fixture *f = *state;
	struct model_event (*ev)[MODEL_EVENTS] = calloc(MODEL_SUBJECTS,
	    sizeof(*ev));
	size_t *nev = calloc(MODEL_SUBJECTS, sizeof(*nev));
	uint64_t x = 0x9e3779b97f4a7c15ULL, size;
	const usec_t ats[] = { SEC(400), SEC(700), SEC(2000) };

	assert_non_null(ev);
	assert_non_null(nev);
	assert_int_equal(ledger_begin(f->l), 0);
	/* Rounds of events in subject order, so that a subject's events are
	 * far apart in the ledger and not in time order. */
	for (size_t round = 0; round < MODEL_EVENTS; round++)
		for (size_t i = 0; i < MODEL_SUBJECTS; i++) {
			struct model_event *e = &ev[i][nev[i]];
			char subject[32];

			if (round > 0 && rnd(&x) % 3 == 0)
				continue;
			snprintf(subject, sizeof(subject), "subject-%zu", i);
			e->purpose = (int)(rnd(&x) % 2);
			e->kind = kinds[rnd(&x) % 4];
			e->at = SEC(rnd(&x) % 1000);
			if (streq(e->kind, "grant") && rnd(&x) % 4 == 0)
				e->expires = e->at + (rnd(&x) % 1000 + 1) *
				    USEC_PER_SEC;
			e->index = record(f->l, subject,
			    purposes[e->purpose], e->kind, e->at,
			    e->expires);
			nev[i]++;
		}
	assert_int_equal(ledger_commit(f->l), 0);
	size = ledger_size(f->l);

	for (size_t k = 0; k < ELEMENTSOF(ats); k++)
		for (int half = 0; half < 2; half++) {
			uint64_t sz = half ? size / 2 : 0;
			struct ledger_snapshot *s = snapshot(f, sz, ats[k]);
			size_t active = 0;

			for (size_t i = 0; i < MODEL_SUBJECTS; i++)
				for (int p = 0; p < 2; p++) {
					char subject[32];
					int want = model_active(ev[i], nev[i],
					    p, sz ? sz : size, ats[k]);

					snprintf(subject, sizeof(subject),
					    "subject-%zu", i);
					assert_int_equal(lookup(s, subject,
					    purposes[p]), want);
					active += (size_t)want;
				}
			/* The same answers from lookups in two halves, with
			 * several begun before the first is finished. */
			for (size_t i = 0; i < MODEL_SUBJECTS; i += 8) {
				struct ledger_lookup l[16];
				size_t n = 0;

				for (size_t j = i; j < MODEL_SUBJECTS &&
				    j < i + 8; j++)
					for (int p = 0; p < 2; p++) {
						char subject[32];

						snprintf(subject,
						    sizeof(subject),
						    "subject-%zu", j);
						assert_int_equal(
						    ledger_snapshot_lookup_start(
							s, subject,
							strlen(subject),
							purposes[p], &l[n++]),
						    0);
					}
				n = 0;
				for (size_t j = i; j < MODEL_SUBJECTS &&
				    j < i + 8; j++)
					for (int p = 0; p < 2; p++)
						assert_int_equal(
						    ledger_snapshot_lookup_finish(
							s, &l[n++]),
						    model_active(ev[j], nev[j],
							p, sz ? sz : size,
							ats[k]));
			}
			/* Both outcomes are exercised. */
			assert_true(active > 0);
			assert_true(active < 2 * MODEL_SUBJECTS);
			ledger_snapshot_close(s);
		}
	free(ev);
	free(nev);
}

/* Subjects with ids of 1 to 40 bytes, around the memo's LEDGER_MEMO_ID. */
#define MEMO_SUBJECTS 400

static void
memo_subject(size_t i, char *out, size_t outlen)
{
	size_t len = 1 + i % 40, d;

	/* i's digits last, after 'x's up to the length: ids of a length
	 * differ in their last bytes only */
	snprintf(out, outlen, "%zu", i);
	d = strlen(out);
	if (d < len) {
		memmove(out + len - d, out, d + 1);
		memset(out, 'x', len - d);
	}
}

/*
 * The memo of answers changes no answer and no collected token: the same
 * stream of lookups, most subjects many times, in random steps (advanced
 * or not, several in flight), against a snapshot without a memo, with the
 * default memo, with a memo of one bucket, where every id collides and is
 * dropped again and again, and with one that grows from one bucket to 32
 * while lookups begun in the smaller ones are in flight.
 */
static void
test_memo_gives_the_same_answers(void **state)
{
	/* entries at first and at most */
	static const size_t limits[][2] = { { 0, 0 },
		{ LEDGER_MEMO_FIRST, LEDGER_MEMO_MAX }, { 2, 2 }, { 16, 16 },
		{ 2, 64 } };
	struct fixture *f = *state;
	uint8_t *tokens[ELEMENTSOF(limits)] = { NULL };
	size_t ntokens[ELEMENTSOF(limits)];
	char id[64];

	assert_int_equal(ledger_begin(f->l), 0);
	for (size_t i = 0; i < MEMO_SUBJECTS; i++) {
		memo_subject(i, id, sizeof(id));
		if (i % 5 == 4)
			continue; /* never recorded */
		record(f->l, id, "train", i % 3 == 0 ? "revoke" : "grant",
		    SEC(10), 0);
	}
	assert_int_equal(ledger_commit(f->l), 0);

	for (size_t k = 0; k < ELEMENTSOF(limits); k++) {
		struct ledger_snapshot *s = snapshot(f, 0, SEC(30));
		struct ledger_lookup q[8];
		size_t who[8], head = 0, n = 0, found = 0;
		uint64_t x = 0x2545f4914f6cdd1dULL;

		ledger_snapshot_memo_size(s, limits[k][0], limits[k][1]);
		ledger_snapshot_collect(s, true);
		for (size_t step = 0; step < 20000 || n > 0; step++) {
			uint64_t r = rnd(&x);

			if (step < 20000 && n < ELEMENTSOF(q) && r % 3 != 0) {
				size_t i = (size_t)(rnd(&x) % MEMO_SUBJECTS);
				size_t at = (head + n++) % ELEMENTSOF(q);

				/* a few subjects most of the time */
				if (r % 5 != 0)
					i %= 37;
				memo_subject(i, id, sizeof(id));
				who[at] = i;
				assert_int_equal(ledger_snapshot_lookup_start(s,
				    id, strlen(id), "train", &q[at]), 0);
			} else if (n > 0 && r % 3 == 0 && r % 2 == 0) {
				ledger_snapshot_lookup_advance(s,
				    &q[(head + (size_t)(r >> 8) % n) %
					ELEMENTSOF(q)]);
			} else if (n > 0) {
				int got = ledger_snapshot_lookup_finish(s,
				    &q[head]);
				size_t i = who[head];

				/* granted, unless revoked or never
				 * recorded */
				assert_int_equal(got, i % 5 != 4 && i % 3 != 0);
				found += (size_t)got;
				head = (head + 1) % ELEMENTSOF(q);
				n--;
			}
		}
		assert_true(found > 0);
		assert_int_equal(ledger_snapshot_tokens(s, &tokens[k],
		    &ntokens[k]), 0);
		assert_true(ntokens[k] > 0);
		assert_int_equal(ntokens[k], ntokens[0]);
		assert_memory_equal(tokens[k], tokens[0],
		    ntokens[0] * STORE_TOKEN_LEN);
		ledger_snapshot_close(s);
	}
	for (size_t k = 0; k < ELEMENTSOF(limits); k++)
		free(tokens[k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_latest_event_decides,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_erased_subject_and_lineage_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memo_gives_the_same_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_random_subjects_match_the_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
