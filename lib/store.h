/* The storage interface: everything the ledger keeps goes through these
 * functions, so that another engine (PostgreSQL) can stand behind the same
 * header. The embedded implementation is store_sqlite.c. */
#ifndef CONSENTD_STORE_H
#define CONSENTD_STORE_H

#include "merkle.h"
#include "macro.h"
#include "timeutil.h"

#define STORE_TOKEN_LEN 16  /* random per-subject token, as stored in entries */
#define STORE_LOOKUP_LEN 32 /* HMAC(deployment secret, subject id) */

struct store;

enum store_flags {
	STORE_READ_ONLY = 1 << 0, /* open without writing (offline verify) */
	STORE_CREATE = 1 << 1,    /* create the database if missing */
};

/* Opens (and migrates) the database. -ENOENT if missing without
 * STORE_CREATE; -EROFS if it cannot be written; -EBADMSG if it is not a
 * consentd ledger; -EPROTO if its schema is newer than this program.
 * On failure a message goes to errbuf (which may be NULL). */
int store_open(const char *path, int flags, struct store **ret, char *errbuf,
    size_t errlen);
void store_close(struct store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store *, store_close)
/* The engine's message for the last failure (never NULL). */
const char *store_errmsg(const struct store *s);

/* Write transactions. Commit is durable (fsync) when it returns 0. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Read snapshots: every read between these sees one consistent state. */
int store_read_begin(struct store *s);
void store_read_end(struct store *s);
/* Bounds the connection's page cache (64 MiB by default). */
int store_cache_limit(struct store *s, unsigned kib);

/* Key/value metadata (schema version, origin, verifier key). */
int store_meta_get(struct store *s, const char *key, char **ret);
int store_meta_set(struct store *s, const char *key, const char *value);

/* The log: entries numbered from 0, contiguous, never changed. */
int store_log_size(struct store *s, uint64_t *ret);
int store_entry_put(struct store *s, uint64_t index, const void *data,
    size_t len);
/* *ret_data is malloc'd. -ENOENT past the end. */
int store_entry_get(struct store *s, uint64_t index, uint8_t **ret_data,
    size_t *ret_len);
/* Calls fn for every entry in [start, end) in index order; stops early and
 * returns fn's value if it is non-zero. The data is valid during the call. */
typedef int (*store_entry_fn)(void *userdata, uint64_t index,
    const uint8_t *data, size_t len);
int store_entry_foreach(struct store *s, uint64_t start, uint64_t end,
    store_entry_fn fn, void *userdata);

/* Stored Merkle hashes (merkle.h numbering), written append-only. */
int store_hashes_put(struct store *s, uint64_t first, const uint8_t (*h)[32],
    size_t n);
int store_hashes_count(struct store *s, uint64_t *ret);
/* A reader for merkle.h over this store; valid while s is open. */
struct merkle_hash_reader store_hash_reader(struct store *s);
typedef int (*store_hash_fn)(void *userdata, uint64_t id, const uint8_t *hash,
    size_t len);
int store_hash_foreach(struct store *s, store_hash_fn fn, void *userdata);

/* A cursor over the stored hashes in id order, for checks that walk the
 * whole log in step with the entries. next() returns 1 with a hash, 0 at
 * the end, -errno on failure. */
struct store_cursor;
int store_hash_cursor_open(struct store *s, struct store_cursor **ret);
int store_hash_cursor_next(struct store_cursor *c, uint64_t *ret_id,
    const uint8_t **ret_hash, size_t *ret_len);
void store_cursor_close(struct store_cursor *c);

/* Signed checkpoints, one per log size. */
struct store_checkpoint {
	uint64_t size;
	uint8_t root[32];
	char *note;       /* the signed note, as published (owned) */
	usec_t created_at;
};
void store_checkpoint_done(struct store_checkpoint *c);
int store_checkpoint_put(struct store *s, const struct store_checkpoint *c);
/* -ENOENT when there is none. */
int store_checkpoint_latest(struct store *s, struct store_checkpoint *ret);
/* The earliest checkpoint whose size is >= size; -ENOENT if none. */
int store_checkpoint_covering(struct store *s, uint64_t size,
    struct store_checkpoint *ret);
typedef int (*store_checkpoint_fn)(void *userdata,
    const struct store_checkpoint *c);
int store_checkpoint_foreach(struct store *s, store_checkpoint_fn fn,
    void *userdata);

/* The erasable subject map: lookup key -> token, with a MAC over both. */
struct store_subject {
	uint8_t lookup[STORE_LOOKUP_LEN];
	uint8_t token[STORE_TOKEN_LEN];
	uint8_t mac[32];
	usec_t created_at;
};
int store_subject_get(struct store *s, const uint8_t lookup[STORE_LOOKUP_LEN],
    struct store_subject *ret);
int store_subject_put(struct store *s, const struct store_subject *subj);
/* -ENOENT if there was no such subject. */
int store_subject_delete(struct store *s,
    const uint8_t lookup[STORE_LOOKUP_LEN]);
typedef int (*store_subject_fn)(void *userdata,
    const struct store_subject *subj);
int store_subject_foreach(struct store *s, store_subject_fn fn,
    void *userdata);

/* Consent events, derived from the log (rebuilt by reindex). */
enum consent_event_kind {
	CONSENT_GRANT = 1,
	CONSENT_REVOKE = 2,
	CONSENT_EXPIRE = 3,
};
struct store_consent {
	uint8_t token[STORE_TOKEN_LEN];
	char purpose[128];
	enum consent_event_kind kind;
	usec_t at;          /* when the event takes effect */
	usec_t expires_at;  /* 0: never */
	uint64_t index;     /* ledger entry */
};
int store_consent_add(struct store *s, const struct store_consent *c);
/* The latest event for each purpose (or only `purpose` when non-NULL) of a
 * token, among entries below max_size that took effect at or before `at`.
 * fn is called once per purpose. */
typedef int (*store_consent_fn)(void *userdata, const struct store_consent *c);
int store_consent_state(struct store *s, const uint8_t token[STORE_TOKEN_LEN],
    const char *purpose, usec_t at, uint64_t max_size, store_consent_fn fn,
    void *userdata);
/* Every event for one purpose among entries below max_size that took
 * effect at or before `at`, ordered by token, then time, then index (so
 * the last row of each token is its state). */
int store_consent_purpose_foreach(struct store *s, const char *purpose,
    usec_t at, uint64_t max_size, store_consent_fn fn, void *userdata);
/* Every event for one purpose among entries below max_size, in ledger
 * order (one pass over the table, whatever the purpose). */
int store_consent_purpose_events(struct store *s, const char *purpose,
    uint64_t max_size, store_consent_fn fn, void *userdata);
/* Every event, in ledger order (for verification against the log). */
int store_consent_foreach(struct store *s, store_consent_fn fn,
    void *userdata);
int store_consent_clear(struct store *s);

/* Decisions by job id (derived), policy versions by SHA-256 (derived). */
int store_decision_put(struct store *s, const char *job, uint64_t index,
    const char *decision);
int store_decision_get(struct store *s, const char *job, uint64_t *ret_index);
int store_policy_version_put(struct store *s, const char *sha256_hex,
    uint64_t index, const char *name);
int store_policy_version_get(struct store *s, const char *sha256_hex,
    uint64_t *ret_index);

/* Lineage: the sorted subject tokens each allowed job used. */
int store_lineage_put(struct store *s, const char *job, const void *tokens,
    size_t len);
typedef int (*store_lineage_fn)(void *userdata, const char *job,
    const uint8_t *tokens, size_t len, uint64_t decision_index);
int store_lineage_foreach(struct store *s, store_lineage_fn fn,
    void *userdata);

/* DP budgets: each budget's accumulated state as JSON text (derived). */
int store_budget_get(struct store *s, const char *name, char **ret_state);
int store_budget_put(struct store *s, const char *name, const char *state);
typedef int (*store_budget_fn)(void *userdata, const char *name,
    const char *state);
int store_budget_foreach(struct store *s, store_budget_fn fn, void *userdata);
/* Open budget reservations (derived): cost is a base64 curve blob,
 * expires an RFC 3339 time. foreach filters by budget and/or job (NULL:
 * any). */
int store_reservation_put(struct store *s, const char *budget,
    const char *job, const char *cost, const char *expires);
int store_reservation_delete(struct store *s, const char *budget,
    const char *job);
typedef int (*store_reservation_fn)(void *userdata, const char *budget,
    const char *job, const char *cost, const char *expires);
int store_reservation_foreach(struct store *s, const char *budget,
    const char *job, store_reservation_fn fn, void *userdata);
/* Each budget's charges in ledger order (derived). */
int store_budget_history_add(struct store *s, const char *budget,
    uint64_t index, const char *kind, const char *job);
typedef int (*store_history_fn)(void *userdata, uint64_t index,
    const char *kind, const char *job);
int store_budget_history_foreach(struct store *s, const char *budget,
    store_history_fn fn, void *userdata);

#endif
