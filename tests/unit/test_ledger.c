/* Unit tests for lib/ledger: checkpoints signed inside a batch's
 * transaction, and what a failed or rolled-back batch leaves behind. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "codec.h"
#include "consent.h"
#include "json.h"
#include "ledger.h"
#include "ledger_fixture.h"
#include "macro.h"

struct fixture {
	struct ledger_fixture lf;
	struct note_verifier v;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	ledger_fixture_open(&f->lf, "test-ledger");
	assert_int_equal(note_verifier_parse(ledger_vkey(f->lf.l), &f->v), 0);
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

static void
append_n(struct ledger *l, int n)
{
	for (int i = 0; i < n; i++) {
		json_t *body = json_pack("{s:s, s:i}", "what", "test", "n", i);

		assert_non_null(body);
		assert_int_equal(ledger_append_json(l, "test", body, NULL,
		    NULL), 0);
		json_decref(body);
	}
}

/* The latest stored checkpoint: its size, after checking its signature
 * and that its root is the ledger's root at that size. */
static uint64_t
latest_size(struct fixture *f)
{
	struct store_checkpoint cp = { 0 };
	struct checkpoint c = { 0 };
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t size;

	assert_int_equal(ledger_latest_checkpoint(f->lf.l, &cp), 0);
	assert_int_equal(checkpoint_open(cp.note, strlen(cp.note), &f->v, 1,
	    ledger_origin(f->lf.l), &c), 0);
	assert_int_equal(c.size, cp.size);
	assert_int_equal(ledger_root(f->lf.l, cp.size, root), 0);
	assert_memory_equal(c.root, root, sizeof(root));
	assert_memory_equal(cp.root, root, sizeof(root));
	size = cp.size;
	checkpoint_done(&c);
	store_checkpoint_done(&cp);
	return size;
}

static void
test_staged_checkpoint_commits_with_the_batch(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 3);
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 1);
	/* Signing the same size twice in the batch makes nothing new. */
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 0);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	assert_int_equal(ledger_size(f->lf.l), 3);
	assert_int_equal(latest_size(f), 3);
	/* Nothing new since: no second checkpoint. */
	assert_int_equal(ledger_checkpoint(f->lf.l), 0);

	/* A later batch checkpoints its own end, not an earlier size. */
	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 4);
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 1);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	assert_int_equal(latest_size(f), 7);
}

static void
test_rollback_discards_the_staged_checkpoint(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 2);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	assert_int_equal(ledger_checkpoint(f->lf.l), 1);
	assert_int_equal(latest_size(f), 2);

	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 5);
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 1);
	ledger_rollback(f->lf.l);
	assert_int_equal(ledger_size(f->lf.l), 2);
	assert_int_equal(latest_size(f), 2);
	/* Nothing was lost but the batch: the same size still needs no
	 * checkpoint, and a new batch is signed at its own end. */
	assert_int_equal(ledger_checkpoint(f->lf.l), 0);
	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 1);
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 1);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	assert_int_equal(latest_size(f), 3);
}

static void
test_checkpoint_calls_in_the_wrong_state(void **state)
{
	struct fixture *f = *state;

	/* Outside a transaction there is nothing to stage into. */
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), -EINVAL);
	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 1);
	/* Inside one, a checkpoint of the committed size would be stored
	 * with a batch it does not cover. */
	assert_int_equal(ledger_checkpoint(f->lf.l), -EBUSY);
	ledger_rollback(f->lf.l);
	assert_int_equal(ledger_size(f->lf.l), 0);
}

static void
test_reopen_sees_the_staged_checkpoint(void **state)
{
	struct fixture *f = *state;
	struct ledger_options o = { .db_path = f->lf.db, .key_path = f->lf.key,
		.secret_path = f->lf.secret,
		.origin = LEDGER_FIXTURE_ORIGIN };
	char err[256];

	assert_int_equal(ledger_begin(f->lf.l), 0);
	append_n(f->lf.l, 6);
	assert_int_equal(ledger_checkpoint_staged(f->lf.l), 1);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	ledger_close(f->lf.l);
	f->lf.l = NULL;
	/* Opening checks the stored tree against the latest checkpoint. */
	assert_int_equal(ledger_open(&o, &f->lf.l, err, sizeof(err)), 0);
	assert_int_equal(ledger_size(f->lf.l), 6);
	assert_int_equal(latest_size(f), 6);
	assert_int_equal(ledger_checkpoint(f->lf.l), 0);
}

static json_t *
consent_body(const char *token_hex, const char *purpose, const char *event)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "subject",
	    token_hex, "purpose", purpose, "event", event, "at",
	    "2026-11-29T10:00:00Z", "recorded", "2026-11-29T10:00:01.5Z",
	    "method", "web \"form\" \\\"subject\\\":\\\"x");
}

/* A prepared consent is the entry ledger_append_json() would write for the
 * same body with the subject's token, and indexes the same way. */
static void
test_prepared_consent_matches_the_json_path(void **state)
{
	struct fixture *f = *state;
	static const char blank[] = "00000000000000000000000000000000";
	struct ledger_consent c[3];
	struct ledger_verify_report rep;
	uint8_t token[STORE_TOKEN_LEN], leaf[MERKLE_HASH_LEN];
	char hex[2 * STORE_TOKEN_LEN + 1];
	uint64_t index;
	const char *subjects[] = { "alice@example.org", "bob", "alice@example.org" };
	const char *events[] = { "grant", "grant", "revoke" };

	for (int i = 0; i < 3; i++) {
		json_t *b = consent_body(blank, "train_ai_system", events[i]);

		assert_int_equal(ledger_consent_prepare(f->lf.l, subjects[i], b,
		    &c[i]), 0);
		json_decref(b);
	}
	assert_int_equal(ledger_begin(f->lf.l), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ledger_consent_append(f->lf.l, &c[i], &index,
		    leaf), 0);
		assert_int_equal(index, i);
	}
	assert_int_equal(ledger_commit(f->lf.l), 0);
	/* The same subject got the same token; another subject another. */
	assert_memory_equal(c[0].row.token, c[2].row.token, STORE_TOKEN_LEN);
	assert_memory_not_equal(c[0].row.token, c[1].row.token,
	    STORE_TOKEN_LEN);
	for (int i = 0; i < 3; i++) {
		_cleanup_free_ uint8_t *want = NULL, *got = NULL;
		size_t wlen, glen;
		json_t *b;

		assert_int_equal(ledger_subject_token(f->lf.l, subjects[i], false,
		    token), 0);
		assert_memory_equal(token, c[i].row.token, STORE_TOKEN_LEN);
		hex_encode(token, STORE_TOKEN_LEN, hex);
		b = consent_body(hex, "train_ai_system", events[i]);
		assert_int_equal(ledger_entry_encode("consent", b, &want,
		    &wlen), 0);
		json_decref(b);
		assert_int_equal(store_entry_get(ledger_store(f->lf.l), i, &got,
		    &glen), 0);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		ledger_consent_done(&c[i]);
	}
	/* Offline verification replays the log into the consent index and
	 * compares it with the stored one. */
	assert_int_equal(ledger_checkpoint(f->lf.l), 1);
	assert_int_equal(ledger_verify_db(f->lf.db, &f->v, NULL, 0, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.entries, 3);
}

static void
test_prepare_refuses_bad_input(void **state)
{
	struct fixture *f = *state;
	struct ledger_consent c;
	char big[LEDGER_SUBJECT_MAX + 2];
	json_t *b = consent_body("00000000000000000000000000000000",
	    "train_ai_system", "grant");
	json_t *bad = json_pack("{s:s, s:s}", "subject",
	    "00000000000000000000000000000000", "purpose", "x");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(ledger_consent_prepare(f->lf.l, "", b, &c), -EINVAL);
	assert_int_equal(ledger_consent_prepare(f->lf.l, big, b, &c), -EINVAL);
	assert_int_equal(ledger_consent_prepare(f->lf.l, "alice", bad, &c),
	    -EBADMSG);
	assert_null(c.data);
	json_decref(b);
	json_decref(bad);
	/* Appending needs a transaction. */
	b = consent_body("00000000000000000000000000000000",
	    "train_ai_system", "grant");
	assert_int_equal(ledger_consent_prepare(f->lf.l, "alice", b, &c), 0);
	json_decref(b);
	assert_int_equal(ledger_consent_append(f->lf.l, &c, NULL, NULL), -EINVAL);
	ledger_consent_done(&c);
	assert_int_equal(ledger_size(f->lf.l), 0);
}

/* An event prepared from its fields (the entry written directly) is the
 * entry, token offset and index row of the same event prepared from its
 * jansson body, byte for byte: details present or not, an expiry or
 * not, times with and without microseconds, text that needs escaping,
 * UTF-8. */
static void
test_prepared_event_matches_the_body_path(void **state)
{
	static const char *const events[] = {
		"{\"subject\":\"alice\",\"purpose\":\"train_ai_system\"}",
		"{\"subject\":\"bob\",\"purpose\":\"analytics\",\"event\":\"revoke\","
		"\"at\":\"2025-01-01T00:00:00Z\"}",
		"{\"subject\":\"c\\\"q\\\\\",\"purpose\":\"a.b-c_d\",\"event\":\"grant\","
		"\"at\":\"2025-03-04T05:06:07.000123Z\",\"expires\":\"2030-01-01T00:00:00.5Z\","
		"\"method\":\"web \\\"form\\\" \\\\ /x\",\"source\":\"cmp.example.org\","
		"\"text_version\":\"v3\",\"text_sha256\":"
		"\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
		"\"jurisdiction\":\"EU\",\"controller\":\"Caf\\u00e9 \\u20ac \\ud83d\\ude00 GmbH\"}",
		"{\"subject\":\"d\",\"purpose\":\"p\",\"event\":\"expire\",\"controller\":\"\","
		"\"source\":\"\\u0041\\/\"}",
	};
	struct fixture *f = *state;
	usec_t now = now_realtime();

	for (size_t i = 0; i < ELEMENTSOF(events); i++) {
		static const uint8_t blank[STORE_TOKEN_LEN];
		struct consent_event ev;
		struct ledger_consent a, b;
		char err[256];
		json_t *in = json_parse(events[i], strlen(events[i]), err,
		    sizeof(err));
		json_t *body;

		assert_non_null(in);
		assert_int_equal(consent_event_parse(in, now, &ev, err,
		    sizeof(err)), 0);
		for (int usec = 0; usec < 2; usec++) {
			usec_t recorded = now - now % USEC_PER_SEC + usec * 7;

			body = consent_entry_body(&ev, blank, recorded);
			assert_non_null(body);
			assert_int_equal(ledger_consent_prepare(f->lf.l,
			    ev.subject, body, &a), 0);
			json_decref(body);
			assert_int_equal(ledger_consent_prepare_event(f->lf.l,
			    &ev, recorded, &b), 0);
			assert_int_equal(a.len, b.len);
			assert_memory_equal(a.data, b.data, a.len);
			assert_int_equal(a.token_at, b.token_at);
			assert_memory_equal(a.lookup, b.lookup, STORE_LOOKUP_LEN);
			assert_memory_equal(&a.row, &b.row, sizeof(a.row));
			ledger_consent_done(&a);
			ledger_consent_done(&b);
		}
		consent_event_done(&ev);
		json_decref(in);
	}
}

/* New subjects' tokens are all different, across refills of the random
 * pool they are drawn from. */
static void
test_new_tokens_are_distinct(void **state)
{
	struct fixture *f = *state;
	enum { N = 700 };
	uint8_t (*tokens)[STORE_TOKEN_LEN] = calloc(N, STORE_TOKEN_LEN);
	static const uint8_t zero[STORE_TOKEN_LEN];

	assert_non_null(tokens);
	assert_int_equal(ledger_begin(f->lf.l), 0);
	for (int i = 0; i < N; i++) {
		char subject[32];

		snprintf(subject, sizeof(subject), "subject-%d", i);
		assert_int_equal(ledger_subject_token(f->lf.l, subject, true,
		    tokens[i]), 0);
		assert_memory_not_equal(tokens[i], zero, STORE_TOKEN_LEN);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(tokens[i], tokens[j],
			    STORE_TOKEN_LEN);
	}
	assert_int_equal(ledger_commit(f->lf.l), 0);
	free(tokens);
}

static json_t *
consent_body_at(const char *purpose, const char *event, const char *at,
    const char *expires)
{
	json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s}", "subject",
	    "00000000000000000000000000000000", "purpose", purpose, "event",
	    event, "at", at, "recorded", "2026-11-29T10:00:01Z");

	if (b && expires)
		json_object_set_new(b, "expires", json_string(expires));
	return b;
}

static void
record(struct fixture *f, const char *subject, const char *event,
    const char *at, const char *expires)
{
	struct ledger_consent c;
	json_t *b = consent_body_at("train_ai_system", event, at, expires);

	assert_int_equal(ledger_consent_prepare(f->lf.l, subject, b, &c), 0);
	json_decref(b);
	assert_int_equal(ledger_begin(f->lf.l), 0);
	assert_int_equal(ledger_consent_append(f->lf.l, &c, NULL, NULL), 0);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	ledger_consent_done(&c);
}

/* Snapshots on a connection kept between them see the ledger as of their
 * own start, and leave the connection usable for the next. */
static void
test_snapshot_on_a_kept_connection(void **state)
{
	struct fixture *f = *state;
	struct ledger_snapshot *snap;
	struct store *st;
	uint8_t secret[32];
	usec_t at;
	char err[256];

	assert_int_equal(ledger_snapshot_secret(f->lf.l, secret), 0);
	assert_int_equal(store_open(f->lf.db, STORE_READ_ONLY, &st, err,
	    sizeof(err)), 0);
	record(f, "alice", "grant", "2026-11-29T10:00:00Z", NULL);
	at = now_realtime() + USEC_PER_SEC;
	assert_int_equal(ledger_snapshot_open_store(st, secret, 0, at, &snap),
	    0);
	assert_int_equal(ledger_snapshot_size(snap), 1);
	assert_int_equal(ledger_snapshot_lookup(snap, "alice", 5,
	    "train_ai_system"), 1);
	assert_int_equal(ledger_snapshot_lookup(snap, "bob", 3,
	    "train_ai_system"), 0);
	/* Appends after the snapshot began are not in it. */
	record(f, "bob", "grant", "2026-11-29T10:00:00Z", NULL);
	record(f, "alice", "revoke", "2026-11-29T10:00:00Z", NULL);
	assert_int_equal(ledger_snapshot_lookup(snap, "bob", 3,
	    "train_ai_system"), 0);
	assert_int_equal(ledger_snapshot_lookup(snap, "alice", 5,
	    "train_ai_system"), 1);
	ledger_snapshot_close(snap);
	/* The next snapshot on the same connection sees them. */
	at = now_realtime() + USEC_PER_SEC;
	assert_int_equal(ledger_snapshot_open_store(st, secret, 0, at, &snap),
	    0);
	assert_int_equal(ledger_snapshot_size(snap), 3);
	assert_int_equal(ledger_snapshot_lookup(snap, "bob", 3,
	    "train_ai_system"), 1);
	assert_int_equal(ledger_snapshot_lookup(snap, "alice", 5,
	    "train_ai_system"), 0);
	ledger_snapshot_close(snap);
	/* A size bound still applies. */
	assert_int_equal(ledger_snapshot_open_store(st, secret, 1, at, &snap),
	    0);
	assert_int_equal(ledger_snapshot_size(snap), 1);
	assert_int_equal(ledger_snapshot_lookup(snap, "alice", 5,
	    "train_ai_system"), 1);
	ledger_snapshot_close(snap);
	store_close(st);
}

static struct ledger_snapshot *
snap_at(struct store *st, const uint8_t secret[32], const char *when)
{
	struct ledger_snapshot *snap;
	usec_t at;

	assert_int_equal(time_parse_rfc3339(when, &at), 0);
	assert_int_equal(ledger_snapshot_open_store(st, secret, 0, at, &snap),
	    0);
	return snap;
}

static int
active(struct ledger_snapshot *snap, const char *subject)
{
	return ledger_snapshot_lookup(snap, subject, strlen(subject),
	    "train_ai_system");
}

/* A loaded consent set is shared with a later snapshot only while it is
 * that snapshot's answer. */
static void
test_consent_sets_are_shared_only_while_valid(void **state)
{
	struct fixture *f = *state;
	struct ledger_consent_set *set;
	struct ledger_snapshot *a, *b;
	struct store *st;
	uint8_t secret[32];
	uint64_t gen;
	char err[256];
	json_t *other;

	assert_int_equal(ledger_snapshot_secret(f->lf.l, secret), 0);
	assert_int_equal(store_open(f->lf.db, STORE_READ_ONLY, &st, err,
	    sizeof(err)), 0);
	record(f, "alice", "grant", "2026-11-29T10:00:00Z", NULL);
	record(f, "bob", "grant", "2026-11-29T10:00:00Z",
	    "2026-11-29T12:00:00Z");
	record(f, "carol", "grant", "2026-11-29T13:00:00Z", NULL);

	a = snap_at(st, secret, "2026-11-29T11:00:00Z");
	gen = ledger_snapshot_generation(a);
	assert_int_equal(gen, 3);
	/* Nothing loaded yet: nothing to share. */
	assert_int_equal(ledger_snapshot_export(a, "train_ai_system", &set),
	    -ENOENT);
	assert_int_equal(active(a, "alice"), 1);
	assert_int_equal(active(a, "bob"), 1);
	assert_int_equal(active(a, "carol"), 0);
	assert_int_equal(ledger_snapshot_export(a, "train_ai_system", &set), 0);
	ledger_snapshot_close(a);

	/* Later, before bob's expiry and carol's grant: the same answer. */
	b = snap_at(st, secret, "2026-11-29T11:30:00Z");
	assert_int_equal(ledger_snapshot_import(b, set), 1);
	assert_int_equal(active(b, "alice"), 1);
	assert_int_equal(active(b, "bob"), 1);
	ledger_snapshot_close(b);
	/* At bob's expiry, or earlier than the set: not shared. */
	b = snap_at(st, secret, "2026-11-29T12:00:00Z");
	assert_int_equal(ledger_snapshot_import(b, set), 0);
	assert_int_equal(active(b, "bob"), 0);
	ledger_snapshot_close(b);
	b = snap_at(st, secret, "2026-11-29T10:30:00Z");
	assert_int_equal(ledger_snapshot_import(b, set), 0);
	ledger_snapshot_close(b);

	/* An entry that is not about consent leaves the generation alone. */
	other = json_pack("{s:s}", "what", "test");
	assert_int_equal(ledger_begin(f->lf.l), 0);
	assert_int_equal(ledger_append_json(f->lf.l, "test", other, NULL, NULL),
	    0);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	json_decref(other);
	b = snap_at(st, secret, "2026-11-29T11:30:00Z");
	assert_int_equal(ledger_snapshot_generation(b), gen);
	assert_int_equal(ledger_snapshot_import(b, set), 1);
	ledger_snapshot_close(b);

	/* A revocation moves it, and the old set is no longer offered. */
	record(f, "alice", "revoke", "2026-11-29T10:30:00Z", NULL);
	b = snap_at(st, secret, "2026-11-29T11:30:00Z");
	assert_int_equal(ledger_snapshot_generation(b), gen + 1);
	assert_int_equal(ledger_snapshot_import(b, set), 0);
	assert_int_equal(active(b, "alice"), 0);
	ledger_consent_set_unref(set);
	assert_int_equal(ledger_snapshot_export(b, "train_ai_system", &set), 0);
	ledger_snapshot_close(b);

	/* So does an erasure. */
	assert_int_equal(ledger_begin(f->lf.l), 0);
	assert_int_equal(ledger_subject_erase(f->lf.l, "bob", NULL), 0);
	assert_int_equal(ledger_commit(f->lf.l), 0);
	b = snap_at(st, secret, "2026-11-29T11:30:00Z");
	assert_int_equal(ledger_snapshot_generation(b), gen + 2);
	assert_int_equal(ledger_snapshot_import(b, set), 0);
	assert_int_equal(active(b, "bob"), 0);
	ledger_snapshot_close(b);
	ledger_consent_set_unref(set);

	/* A snapshot opened from the file does not offer what it loads. */
	assert_int_equal(ledger_snapshot_open(f->lf.db, f->lf.secret, 0,
	    now_realtime(), &a, err, sizeof(err)), 0);
	assert_int_equal(active(a, "carol"), 1);
	assert_int_equal(ledger_snapshot_export(a, "train_ai_system", &set),
	    -ESTALE);
	ledger_snapshot_close(a);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_staged_checkpoint_commits_with_the_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_rollback_discards_the_staged_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkpoint_calls_in_the_wrong_state, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reopen_sees_the_staged_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prepared_consent_matches_the_json_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_prepared_event_matches_the_body_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_refuses_bad_input,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_tokens_are_distinct,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_snapshot_on_a_kept_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_consent_sets_are_shared_only_while_valid, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
