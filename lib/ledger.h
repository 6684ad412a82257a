/* The ledger: one append-only, verifiable log of every auditable event
 * (RFC 9162 tree, C2SP signed checkpoints) over the storage interface,
 * with the entry encoding, the subject map and the derived consent index.
 * Not thread-safe: one thread uses a struct ledger at a time. */
#ifndef CONSENTD_LEDGER_H
#define CONSENTD_LEDGER_H

#include <jansson.h>

#include "merkle.h"
#include "note.h"
#include "store.h"

/* docs/ledger-format.md. Entries larger than this are refused up front. */
#define LEDGER_ENTRY_MAX 65535
#define LEDGER_ENTRY_MAGIC "consentd-entry/v1"
#define LEDGER_KIND_MAX 31
#define LEDGER_SUBJECT_MAX 1024 /* bytes in a subject id */
/* The meta row that changes, in the same transaction, whenever the
 * consent index or the subject map changes (decimal; absent: 0). */
#define LEDGER_META_CONSENT_GENERATION "consent_generation"
int ledger_parse_generation(const char *v, uint64_t *ret);

struct ledger;

struct ledger_options {
	const char *db_path;
	const char *key_path;     /* signer key; NULL: read-only, no signing */
	const char *secret_path;  /* subject-map secret; NULL: no subject map */
	const char *origin;       /* checkpoint origin; the key's name */
	bool create;              /* create the database and keys if missing */
	bool read_only;
	/* Skip the start-up checks (root recomputed from the entries): for
	 * short-lived read handles of a ledger the daemon already checked. */
	bool no_verify;
};

/*
 * Entries: "consentd-entry/v1 <kind>\n<JSON object>", the JSON compact with
 * sorted keys, produced once and never re-serialized.
 */
/* -EMSGSIZE above LEDGER_ENTRY_MAX; -EINVAL for a bad kind. *ret_data is
 * malloc'd. */
int ledger_entry_encode(const char *kind, const json_t *body,
    uint8_t **ret_data, size_t *ret_len);
/* Strict: -EBADMSG for anything that encode would not have produced.
 * kind must hold LEDGER_KIND_MAX + 1 bytes; *ret_body is a new reference. */
int ledger_entry_decode(const uint8_t *data, size_t len, char *kind,
    json_t **ret_body);

/* Opens the store and keys. A writable ledger checks on open that its
 * stored tree matches its latest signed checkpoint and that every entry
 * after that checkpoint matches its stored leaf hash (-EBADMSG with a
 * message otherwise), and that the key files are private (-EPERM). */
int ledger_open(const struct ledger_options *o, struct ledger **ret,
    char *errbuf, size_t errlen);
void ledger_close(struct ledger *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ledger *, ledger_close)
struct store *ledger_store(struct ledger *l);
/* For a second handle on the same database (readers): picks up entries
 * that another handle committed since. */
int ledger_refresh(struct ledger *l);
uint64_t ledger_size(const struct ledger *l);
const char *ledger_origin(const struct ledger *l);
/* The verifier key text, name+hash+base64; NULL for an unsigned ledger. */
const char *ledger_vkey(const struct ledger *l);
const char *ledger_errmsg(const struct ledger *l);

/* Derived state that lib/ cannot compute itself (budgets) is kept by a
 * hook, called for every entry but consent events (which the ledger
 * indexes itself) as it is appended and on reindex, inside the same
 * transaction; a failure fails the append. */
typedef int (*ledger_index_hook)(void *userdata, struct ledger *l,
    uint64_t index, const char *kind, const json_t *body);
void ledger_set_index_hook(struct ledger *l, ledger_index_hook fn,
    void *userdata);

/* Writing. Appends happen inside begin/commit; a failed batch must be
 * rolled back with ledger_rollback(), which also rewinds the tree. */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);
/* Appends encoded entry bytes, updates the derived tables, and returns the
 * index and leaf hash. */
int ledger_append(struct ledger *l, const uint8_t *data, size_t len,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN]);
int ledger_append_json(struct ledger *l, const char *kind, const json_t *body,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN]);
/* Signs and stores a checkpoint for the current size, in its own
 * transaction, if the size changed since the last one. Returns 1 when it
 * made one, 0 when there was nothing new. */
int ledger_checkpoint(struct ledger *l);
/* Signs the tree as it will be once the open transaction commits, and
 * stores the note in that transaction, so that the batch and its
 * checkpoint need one commit (one fsync) between them. The note becomes
 * the latest checkpoint when ledger_commit() succeeds; a rollback or a
 * failed commit discards it with the batch. Returns 1 or 0 as
 * ledger_checkpoint() does. */
int ledger_checkpoint_staged(struct ledger *l);
/* Latest checkpoint (release with store_checkpoint_done()). */
int ledger_latest_checkpoint(struct ledger *l, struct store_checkpoint *ret);

/* Proofs against the tree of `size` entries. */
int ledger_inclusion_proof(struct ledger *l, uint64_t index, uint64_t size,
    uint8_t (*proof)[MERKLE_HASH_LEN], size_t *ret_len,
    uint8_t ret_leaf[MERKLE_HASH_LEN]);
int ledger_consistency_proof(struct ledger *l, uint64_t from, uint64_t to,
    uint8_t (*proof)[MERKLE_HASH_LEN], size_t *ret_len);
int ledger_root(struct ledger *l, uint64_t size, uint8_t out[MERKLE_HASH_LEN]);

/* Subjects: the erasable map from a subject id to its random token. With
 * create, a new subject gets a token (inside the caller's transaction).
 * -ENOENT for an unknown subject without create, -ENOKEY without a secret. */
int ledger_subject_token(struct ledger *l, const char *subject, bool create,
    uint8_t ret_token[STORE_TOKEN_LEN]);
/*
 * Consent events in two steps, so that the ledger's writer does only what
 * must be serialized. ledger_consent_prepare() runs on any thread with its
 * own struct ledger (one with the secret): it computes the subject's lookup
 * key, a token and MAC for it should it be new, the encoded entry with the
 * token left blank, and its consent index row. ledger_consent_append() then
 * runs on the writer, in its transaction: it finds or creates the subject's
 * token, writes it into the entry and the row, and appends. The entry is
 * byte for byte the one ledger_append_json() would write for the same body.
 */
struct ledger_consent {
	uint8_t lookup[STORE_LOOKUP_LEN];
	uint8_t new_token[STORE_TOKEN_LEN]; /* used if the subject is new */
	uint8_t new_mac[32];
	uint8_t *data;                      /* the entry (malloc'd) */
	size_t len;
	size_t token_at;                    /* offset of its 32 hex digits */
	struct store_consent row;
};
/* body: the entry body with "subject" holding 32 hex digits (any; they are
 * overwritten). -EINVAL for a bad subject id, -EMSGSIZE for an entry over
 * LEDGER_ENTRY_MAX, -EBADMSG for a body that is not a consent event,
 * -ENOKEY without the secret. */
int ledger_consent_prepare(struct ledger *l, const char *subject,
    const json_t *body, struct ledger_consent *ret);
/* The same from a validated event, its entry written directly
 * (consent_entry_write()) with recorded as its time of recording: the
 * bytes, offset and row that ledger_consent_prepare() gives for
 * consent_entry_body(ev, any token, recorded), without building that
 * body or parsing it back. Errors as ledger_consent_prepare()'s. */
struct consent_event;
int ledger_consent_prepare_event(struct ledger *l,
    const struct consent_event *ev, usec_t recorded,
    struct ledger_consent *ret);
/* Its part that needs no secret: the entry bytes, the token's offset and
 * the index row (ret's lookup, new_token and new_mac are left zero). */
int ledger_consent_encode(const json_t *body, struct ledger_consent *ret);
int ledger_consent_append(struct ledger *l, struct ledger_consent *c,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN]);
void ledger_consent_done(struct ledger_consent *c);

/* Deletes the mapping and appends an erasure entry (in the caller's
 * transaction). -ENOENT if unknown. */
int ledger_subject_erase(struct ledger *l, const char *subject,
    uint64_t *ret_index);
/* Checks the MAC of every subject-map row: 0, or -EBADMSG with the count of
 * bad rows in *ret_bad. */
int ledger_subjects_verify(struct ledger *l, uint64_t *ret_bad);

/*
 * Consent snapshots: "did this subject consent to this purpose?" as of a
 * fixed ledger size and time, for checks over whole datasets. The set of
 * subjects with active consent is loaded once per purpose, from one scan
 * of the consent index in entry order and one of the subject map, into an
 * in-memory table keyed by lookup key; each lookup is then one keyed hash
 * and one probe of that table, with no database read. One thread at a
 * time.
 */
struct ledger_snapshot;
/* Opens its own read-only connection. size 0: the current size. */
int ledger_snapshot_open(const char *db_path, const char *secret_path,
    uint64_t size, usec_t at, struct ledger_snapshot **ret, char *errbuf,
    size_t errlen);
/* The same on a read-only connection the caller keeps open between
 * snapshots (used by one snapshot at a time), with the subject-map secret
 * the caller holds: no file is opened. The snapshot's read transaction
 * begins here; closing the snapshot ends it and leaves st open. */
int ledger_snapshot_open_store(struct store *st, const uint8_t secret[32],
    uint64_t size, usec_t at, struct ledger_snapshot **ret);
/*
 * Sharing what a snapshot loaded. Loading a purpose reads the whole consent
 * index and subject map; a daemon answering many checks keeps the loaded
 * set and gives it to the next snapshot, which uses it only if it is the
 * same answer: the same consent generation (no consent event, erasure or
 * reindex committed in between), both snapshots at the ledger's current
 * size, and no event or expiry of that purpose taking effect between the
 * two times.
 */
struct ledger_consent_set;
/* A reference to the set this snapshot loaded for purpose: -ENOENT if it
 * loaded none (nothing is loaded here), -ESTALE if it cannot be shared. */
int ledger_snapshot_export(struct ledger_snapshot *s, const char *purpose,
    struct ledger_consent_set **ret);
/* 1 when the snapshot will answer from set (it takes a reference), 0 when
 * the set is not its answer and it will load its own. */
int ledger_snapshot_import(struct ledger_snapshot *s,
    struct ledger_consent_set *set);
void ledger_consent_set_unref(struct ledger_consent_set *set);
uint64_t ledger_snapshot_generation(const struct ledger_snapshot *s);
/* 1 active, 0 not (never recorded, erased, revoked, expired), -errno. */
int ledger_snapshot_lookup(struct ledger_snapshot *s, const char *subject,
    size_t len, const char *purpose);
/*
 * The same lookup in steps, for a stream of them. Each step asks for the
 * memory the next one reads, so that work done in between, such as the
 * steps of the next records' lookups, overlaps the wait for it (otherwise
 * most of a lookup's time):
 *  - _start() takes the subject id: one of up to LEDGER_MEMO_ID bytes is
 *    kept in *ret and its entry in the snapshot's memo asked for; a
 *    longer one is hashed to its lookup key at once (as _advance() does);
 *  - _advance(), optional, takes the answer from the memo when the
 *    subject was looked up before in this snapshot, or else computes its
 *    lookup key and asks for the consent set's memory;
 *  - _finish() answers as ledger_snapshot_lookup() would (and collects
 *    the subject), doing what _advance() was not called for; *l is
 *    spent.
 * _start() fails as ledger_snapshot_lookup() does (loading the purpose),
 * _finish() only when memory runs out while collecting.
 */
#define LEDGER_MEMO_ID 27
/* may_alias: a consent rule keeps it in storage of its own type (struct
 * consent_pending), where the source's steps use it in place. */
struct __attribute__((may_alias)) ledger_lookup {
	uint8_t lookup[STORE_LOOKUP_LEN]; /* once hashed */
	uint8_t id[LEDGER_MEMO_ID + 1];   /* the id, zero-padded, then its
					   * length: while memo is true */
	uint32_t memo_gen;   /* of the memo that bucket is in */
	void *purpose;       /* the purpose loaded; NULL: no subject can
			      * match */
	size_t slot;         /* where the probe of the set starts */
	size_t bucket;       /* of the memo */
	int answer;          /* found in the memo: 1 + slot, 0: no consent;
			      * -1: not yet */
	bool memo;           /* the id is in id[] and the memo is asked */
	bool hashed;         /* lookup and slot are set */
};
int ledger_snapshot_lookup_start(struct ledger_snapshot *s,
    const char *subject, size_t len, const char *purpose,
    struct ledger_lookup *ret);
void ledger_snapshot_lookup_advance(struct ledger_snapshot *s,
    struct ledger_lookup *l);
int ledger_snapshot_lookup_finish(struct ledger_snapshot *s,
    struct ledger_lookup *l);
/* The entries the memo of a purpose starts with and the most it may grow
 * to (each rounded down to a power of two; max 0: no memo), for tests and
 * benchmarks. By default it starts with LEDGER_MEMO_FIRST and grows
 * fourfold, whenever more ids were added than it holds, up to twice the
 * purpose's active subjects and at most LEDGER_MEMO_MAX. */
#define LEDGER_MEMO_FIRST ((size_t)4096)
#define LEDGER_MEMO_MAX ((size_t)1 << 20)
void ledger_snapshot_memo_size(struct ledger_snapshot *s, size_t first,
    size_t max);
uint64_t ledger_snapshot_size(const struct ledger_snapshot *s);
/* Lineage: remember every subject found with active consent, and return
 * their tokens sorted (STORE_TOKEN_LEN bytes each; *ret malloc'd). */
void ledger_snapshot_collect(struct ledger_snapshot *s, bool on);
int ledger_snapshot_tokens(const struct ledger_snapshot *s, uint8_t **ret,
    size_t *ret_n);
/* The subject map's lookup key: HMAC-SHA256(secret, label || subject),
 * with key an hmac_key of the secret. */
struct hmac_key;
int ledger_subject_lookup_key(const struct hmac_key *key, const char *subject,
    size_t len, uint8_t out[STORE_LOOKUP_LEN]);
/* Copies the deployment secret (out may be NULL to test for one). */
int ledger_snapshot_secret(const struct ledger *l, uint8_t out[32]);
void ledger_snapshot_close(struct ledger_snapshot *s);

/* Rebuilds the derived tables from the log (in one transaction; the _in_txn
 * form inside the caller's). */
int ledger_reindex(struct ledger *l, uint64_t *ret_entries);
int ledger_reindex_in_txn(struct ledger *l, uint64_t *ret_entries);

/*
 * Offline verification: needs only the database (or an export) and the
 * verifier key. Checks every entry against the stored hashes and every
 * signed checkpoint against the recomputed tree, the derived consent
 * index against a replay of the log, and the checkpoint signatures.
 */
struct ledger_verify_report {
	uint64_t entries;           /* entries read */
	uint64_t checkpoints;       /* signed checkpoints checked */
	uint64_t latest_size;       /* size of the latest signed checkpoint */
	uint64_t unsigned_tail;     /* entries after it */
	bool ok;
	uint64_t bad_index;         /* first bad entry, when one is named */
	bool has_bad_index;
	char message[512];          /* what failed, naming the entry */
};
enum ledger_verify_flags {
	/* Accept entries after the latest signed checkpoint (checked against
	 * the stored hashes only): for a live ledger, between batches. */
	LEDGER_VERIFY_ALLOW_UNSIGNED_TAIL = 1 << 0,
};
int ledger_verify_db(const char *db_path, const struct note_verifier *key,
    const char *checkpoint_note, int flags, struct ledger_verify_report *ret);
int ledger_verify_export(const char *path, const struct note_verifier *key,
    const char *checkpoint_note, int flags, struct ledger_verify_report *ret);

/* Export: one JSON object per line: {"index", "leaf" (base64 of the exact
 * stored bytes), "kind", "entry" (the decoded fields)}, then checkpoints as
 * {"checkpoint": note, "size"}. */
int ledger_export(struct ledger *l, FILE *out, uint64_t *ret_entries);

/* Key files. */
int ledger_keygen(const char *path, const char *origin, char **ret_vkey);
int ledger_load_signer(const char *path, struct note_signer *ret,
    char *errbuf, size_t errlen);

#endif
