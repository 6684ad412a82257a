/* The storage interface on SQLite (WAL, synchronous=FULL): the one place
 * that maps SQLITE_* codes to -errno and keeps SQLite's message. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

#define STORE_SCHEMA_VERSION 2
/* PRAGMA application_id: "cnsd". */
#define STORE_APPLICATION_ID 0x636e7364

enum {
	ST_ENTRY_PUT,
	ST_ENTRY_GET,
	ST_ENTRY_RANGE,
	ST_LOG_SIZE,
	ST_HASH_PUT,
	ST_HASH_GET,
	ST_HASH_COUNT,
	ST_HASH_ALL,
	ST_CP_PUT,
	ST_CP_LATEST,
	ST_CP_COVERING,
	ST_CP_ALL,
	ST_META_GET,
	ST_META_SET,
	ST_SUBJ_GET,
	ST_SUBJ_PUT,
	ST_SUBJ_DEL,
	ST_SUBJ_ALL,
	ST_CONSENT_ADD,
	ST_CONSENT_STATE,
	ST_CONSENT_ALL,
	ST_DECISION_PUT,
	ST_DECISION_GET,
	ST_POLICY_PUT,
	ST_POLICY_GET,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_READ_BEGIN,
	ST_READ_END,
	_ST_MAX,
};

static const char *const store_sql[_ST_MAX] = {
	[ST_ENTRY_PUT] = "INSERT INTO entries(idx, data) VALUES (?1, ?2)",
	[ST_ENTRY_GET] = "SELECT data FROM entries WHERE idx = ?1",
	[ST_ENTRY_RANGE] = "SELECT idx, data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
	[ST_LOG_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM entries",
	[ST_HASH_PUT] = "INSERT INTO hashes(id, hash) VALUES (?1, ?2)",
	[ST_HASH_GET] = "SELECT hash FROM hashes WHERE id = ?1",
	[ST_HASH_COUNT] = "SELECT coalesce(max(id) + 1, 0) FROM hashes",
	[ST_HASH_ALL] = "SELECT id, hash FROM hashes ORDER BY id",
	[ST_CP_PUT] = "INSERT INTO checkpoints(size, root, note, created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_CP_LATEST] = "SELECT size, root, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1",
	[ST_CP_COVERING] = "SELECT size, root, note, created_at FROM checkpoints WHERE size >= ?1 ORDER BY size LIMIT 1",
	[ST_CP_ALL] = "SELECT size, root, note, created_at FROM checkpoints ORDER BY size",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_SUBJ_GET] = "SELECT token, mac, created_at FROM subjects WHERE lookup = ?1",
	[ST_SUBJ_PUT] = "INSERT INTO subjects(lookup, token, mac, created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_SUBJ_DEL] = "DELETE FROM subjects WHERE lookup = ?1",
	[ST_SUBJ_ALL] = "SELECT lookup, token, mac, created_at FROM subjects",
	[ST_CONSENT_ADD] = "INSERT INTO consent_events(idx, token, purpose, kind, at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_CONSENT_STATE] = "SELECT idx, purpose, kind, at, expires_at FROM consent_events "
			     "WHERE token = ?1 AND (?2 IS NULL OR purpose = ?2) AND at <= ?3 AND idx < ?4 "
			     "ORDER BY purpose, at DESC, idx DESC",
	[ST_CONSENT_ALL] = "SELECT idx, token, purpose, kind, at, expires_at FROM consent_events ORDER BY idx",
	[ST_DECISION_PUT] = "INSERT INTO decisions(job, idx, decision) VALUES (?1, ?2, ?3)"
			    " ON CONFLICT(job) DO UPDATE SET idx = excluded.idx, decision = excluded.decision",
	[ST_DECISION_GET] = "SELECT idx, decision FROM decisions WHERE job = ?1",
	[ST_POLICY_PUT] = "INSERT OR IGNORE INTO policy_versions(sha256, idx, name) VALUES (?1, ?2, ?3)",
	[ST_POLICY_GET] = "SELECT idx FROM policy_versions WHERE sha256 = ?1",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_READ_BEGIN] = "BEGIN DEFERRED",
	[ST_READ_END] = "COMMIT",
};

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	/* The log: verbatim entry bytes, and stored Merkle hashes. */
	"CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS hashes(id INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL,"
	" note TEXT NOT NULL, created_at INTEGER NOT NULL);"
	/* Erasable: the only link between a person and the log. */
	"CREATE TABLE IF NOT EXISTS subjects(lookup BLOB PRIMARY KEY, token BLOB NOT NULL,"
	" mac BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;"
	/* Derived from the log; rebuilt by reindex. */
	"CREATE TABLE IF NOT EXISTS consent_events(idx INTEGER PRIMARY KEY, token BLOB NOT NULL,"
	" purpose TEXT NOT NULL, kind INTEGER NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS consent_events_by_subject ON consent_events(token, purpose, at, idx);"
	"CREATE TABLE IF NOT EXISTS decisions(job TEXT PRIMARY KEY, idx INTEGER NOT NULL,"
	" decision TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS policy_versions(sha256 TEXT PRIMARY KEY, idx INTEGER NOT NULL,"
	" name TEXT NOT NULL) WITHOUT ROWID;"
	/* Which subjects' data each allowed job used (not derived: the
	 * decision entry carries the set's digest). */
	"CREATE TABLE IF NOT EXISTS lineage(job TEXT PRIMARY KEY, tokens BLOB NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS budgets(name TEXT PRIMARY KEY, state TEXT NOT NULL)"
	" WITHOUT ROWID;"
	/* Each budget's charges, kept beside its state so that the state a
	 * check reads stays the same size however long the history. */
	"CREATE TABLE IF NOT EXISTS budget_reservations(budget TEXT NOT NULL, job TEXT NOT NULL,"
	" cost TEXT NOT NULL, expires TEXT NOT NULL, PRIMARY KEY(budget, job)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS budget_history(budget TEXT NOT NULL, idx INTEGER NOT NULL,"
	" kind TEXT NOT NULL, job TEXT NOT NULL, PRIMARY KEY(budget, idx)) WITHOUT ROWID;"
	/* Append-only, as a guard against mistakes (verify catches the rest). */
	"CREATE TRIGGER IF NOT EXISTS entries_append_only BEFORE UPDATE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS hashes_append_only BEFORE UPDATE ON hashes"
	" BEGIN SELECT RAISE(ABORT, 'ledger hashes are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS hashes_no_delete BEFORE DELETE ON hashes"
	" BEGIN SELECT RAISE(ABORT, 'ledger hashes are append-only'); END;";

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[_ST_MAX];
	char errmsg[256];
	bool read_only;
};

static int
store_errno(struct store *s, int rc)
{
	const char *m = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	snprintf(s->errmsg, sizeof(s->errmsg), "%s", m ? m : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_IOERR:
		return -EIO;
	default:
		return -EIO;
	}
}

const char *
store_errmsg(const struct store *s)
{
	return s && s->errmsg[0] ? s->errmsg : "no error";
}

static sqlite3_stmt *
stmt(struct store *s, int which)
{
	sqlite3_stmt *st = s->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement that returns no rows. */
static int
exec_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_errno(s, rc);
	return 0;
}

static int
store_exec(struct store *s, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK) {
		int r = store_errno(s, rc);
		if (err)
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", err);
		sqlite3_free(err);
		return r;
	}
	return 0;
}

static int
pragma_int(struct store *s, const char *sql, int *ret)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_errno(s, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_errno(s, rc);
}

static int
store_migrate(struct store *s)
{
	int app = 0, version = 0, tables = 0, r;

	r = pragma_int(s, "PRAGMA application_id", &app);
	if (r < 0)
		return r;
	r = pragma_int(s, "PRAGMA user_version", &version);
	if (r < 0)
		return r;
	r = pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables);
	if (r < 0)
		return r;
	if (app == 0 && tables > 0) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		    "not a consentd ledger (a different SQLite database)");
		return -EBADMSG;
	}
	if (app != 0 && app != STORE_APPLICATION_ID) {
		snprintf(s->errmsg, sizeof(s->errmsg), "not a consentd ledger");
		return -EBADMSG;
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		    "ledger schema %d is newer than this program's (%d)",
		    version, STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (s->read_only) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		    "ledger schema %d needs a migration; open it read-write",
		    version);
		return -EROFS;
	}
	r = store_exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = store_exec(s, store_schema);
	if (r >= 0)
		r = store_exec(s, "PRAGMA application_id = 1668182884");
	if (r >= 0)
		r = store_exec(s, "PRAGMA user_version = 2");
	if (r < 0) {
		store_exec(s, "ROLLBACK");
		return r;
	}
	return store_exec(s, "COMMIT");
}

_Static_assert(STORE_APPLICATION_ID == 1668182884, "application_id literal");

int
store_open(const char *path, int flags, struct store **ret, char *errbuf,
    size_t errlen)
{
	struct store *s;
	int oflags = SQLITE_OPEN_NOMUTEX, rc, r;
	struct stat st;

	if (!(flags & STORE_CREATE) && stat(path, &st) < 0) {
		r = -errno;
		if (errbuf)
			snprintf(errbuf, errlen, "%s", strerror(-r));
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->read_only = flags & STORE_READ_ONLY;
	if (s->read_only)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
		    ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = store_errno(s, rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	if (!s->read_only) {
		/* WAL + FULL: a commit returns after the WAL is fsync'd. */
		r = store_exec(s, "PRAGMA journal_mode = WAL");
		if (r >= 0)
			r = store_exec(s, "PRAGMA synchronous = FULL");
		/* Fewer, larger WAL checkpoints: each one is a copy, with its
		 * own fsync inside a commit, and a bulk import rewrites the
		 * same index pages in every transaction, which one checkpoint
		 * copies once. 32768 pages: a WAL of up to 128 MiB. */
		if (r >= 0)
			r = store_exec(s, "PRAGMA wal_autocheckpoint = 32768");
		if (r < 0)
			goto fail;
	}
	r = store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
			  " PRAGMA temp_store = MEMORY");
	if (r < 0)
		goto fail;
	r = store_migrate(s);
	if (r < 0)
		goto fail;
	for (int i = 0; i < _ST_MAX; i++) {
		rc = sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			r = store_errno(s, rc);
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	if (errbuf)
		snprintf(errbuf, errlen, "%s", s->errmsg[0] ? s->errmsg :
		    strerror(-r));
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

/* A parameter for store_each_row(). */
struct bind {
	enum { BIND_INT, BIND_TEXT, BIND_BLOB, BIND_NULL } type;
	int64_t i;
	const void *p;
	size_t len;
};
#define BIND_I64(v) ((struct bind){ .type = BIND_INT, .i = (int64_t)(v) })
#define BIND_U64(v)                                                           \
	((struct bind){ .type = BIND_INT,                                     \
	    .i = (v) > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(v) })
#define BIND_TEXT_OR_NULL(v)                                                  \
	((struct bind){ .type = (v) ? BIND_TEXT : BIND_NULL, .p = (v) })
#define BIND_BLOB(v, n) ((struct bind){ .type = BIND_BLOB, .p = (v), .len = (n) })

typedef int (*row_fn)(struct store *s, sqlite3_stmt *st, void *userdata);

static void
bind_all(sqlite3_stmt *st, const struct bind *binds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k = (int)i + 1;
		switch (binds[i].type) {
		case BIND_INT:
			sqlite3_bind_int64(st, k, binds[i].i);
			break;
		case BIND_TEXT:
			sqlite3_bind_text(st, k, binds[i].p, -1, SQLITE_STATIC);
			break;
		case BIND_BLOB:
			sqlite3_bind_blob(st, k, binds[i].p, (int)binds[i].len,
			    SQLITE_STATIC);
			break;
		case BIND_NULL:
			break;
		}
	}
}

/* Runs a statement that returns no rows, with a statement of its own. */
static int
exec_bound(struct store *s, const char *sql, const struct bind *b, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_errno(s, rc);
	bind_all(st, b, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_errno(s, rc);
}

/* Runs a query with a statement of its own (so that the callback may use
 * the prepared ones), calling fn for each row until it returns non-zero,
 * which is then returned; SQLite failures become -errno. */
static int
store_each_row(struct store *s, const char *sql, const struct bind *binds,
    size_t nbinds, row_fn fn, void *userdata)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_errno(s, rc);
	bind_all(st, binds, nbinds);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(s, st, userdata);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_errno(s, rc);
	sqlite3_finalize(st);
	return r;
}

static const void *
column_blob(sqlite3_stmt *st, int col)
{
	const void *b = sqlite3_column_blob(st, col);

	return b ? b : "";
}

int
store_begin(struct store *s)
{
	return exec_done(s, stmt(s, ST_BEGIN));
}

int
store_commit(struct store *s)
{
	int r = exec_done(s, stmt(s, ST_COMMIT));

	if (r < 0)
		store_rollback(s);
	return r;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec_done(s, stmt(s, ST_ROLLBACK));
}

int
store_read_begin(struct store *s)
{
	return exec_done(s, stmt(s, ST_READ_BEGIN));
}

void
store_read_end(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec_done(s, stmt(s, ST_READ_END));
}

int
store_cache_limit(struct store *s, unsigned kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%u", kib);
	return store_exec(s, sql);
}

int
store_meta_get(struct store *s, const char *key, char **ret)
{
	sqlite3_stmt *st = stmt(s, ST_META_GET);
	int rc, r = -ENOENT;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		*ret = strdup(v ? v : "");
		r = *ret ? 0 : -ENOMEM;
	} else if (rc != SQLITE_DONE)
		r = store_errno(s, rc);
	sqlite3_reset(st);
	return r;
}

int
store_meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(s, ST_META_SET);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return exec_done(s, st);
}

static int
single_uint64(struct store *s, int which, uint64_t *ret)
{
	sqlite3_stmt *st = stmt(s, which);
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_errno(s, rc);
}

int
store_log_size(struct store *s, uint64_t *ret)
{
	return single_uint64(s, ST_LOG_SIZE, ret);
}

int
store_hashes_count(struct store *s, uint64_t *ret)
{
	return single_uint64(s, ST_HASH_COUNT, ret);
}

int
store_entry_put(struct store *s, uint64_t index, const void *data, size_t len)
{
	sqlite3_stmt *st = stmt(s, ST_ENTRY_PUT);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	return exec_done(s, st);
}

int
store_entry_get(struct store *s, uint64_t index, uint8_t **ret_data,
    size_t *ret_len)
{
	sqlite3_stmt *st = stmt(s, ST_ENTRY_GET);
	int rc, r = -ENOENT;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		uint8_t *p = malloc(n + 1);
		if (!p)
			r = -ENOMEM;
		else {
			if (n)
				memcpy(p, sqlite3_column_blob(st, 0), n);
			p[n] = '\0';
			*ret_data = p;
			*ret_len = n;
			r = 0;
		}
	} else if (rc != SQLITE_DONE)
		r = store_errno(s, rc);
	sqlite3_reset(st);
	return r;
}

struct fn_and_data {
	void *fn;
	void *userdata;
};

static int
entry_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_entry_fn)f->fn)(f->userdata,
	    (uint64_t)sqlite3_column_int64(st, 0), column_blob(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1));
}

int
store_entry_foreach(struct store *s, uint64_t start, uint64_t end,
    store_entry_fn fn, void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };
	struct bind b[] = { BIND_U64(start), BIND_U64(end) };

	return store_each_row(s, store_sql[ST_ENTRY_RANGE], b, ELEMENTSOF(b),
	    entry_row, &f);
}

int
store_hashes_put(struct store *s, uint64_t first, const uint8_t (*h)[32],
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = stmt(s, ST_HASH_PUT);
		int r;

		sqlite3_bind_int64(st, 1, (sqlite3_int64)(first + i));
		sqlite3_bind_blob(st, 2, h[i], 32, SQLITE_STATIC);
		r = exec_done(s, st);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
store_hash_read(void *userdata, const uint64_t *indexes, size_t n,
    uint8_t (*ret)[MERKLE_HASH_LEN])
{
	struct store *s = userdata;

	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = stmt(s, ST_HASH_GET);
		int rc;

		sqlite3_bind_int64(st, 1, (sqlite3_int64)indexes[i]);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc == SQLITE_DONE) {
				snprintf(s->errmsg, sizeof(s->errmsg),
				    "stored hash %llu is missing",
				    (unsigned long long)indexes[i]);
				return -EBADMSG;
			}
			return store_errno(s, rc);
		}
		if (sqlite3_column_bytes(st, 0) != MERKLE_HASH_LEN) {
			sqlite3_reset(st);
			snprintf(s->errmsg, sizeof(s->errmsg),
			    "stored hash %llu has the wrong length",
			    (unsigned long long)indexes[i]);
			return -EBADMSG;
		}
		memcpy(ret[i], sqlite3_column_blob(st, 0), MERKLE_HASH_LEN);
		sqlite3_reset(st);
	}
	return 0;
}

struct merkle_hash_reader
store_hash_reader(struct store *s)
{
	return (struct merkle_hash_reader){ .userdata = s,
		.read = store_hash_read };
}

static int
hash_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_hash_fn)f->fn)(f->userdata,
	    (uint64_t)sqlite3_column_int64(st, 0), column_blob(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1));
}

int
store_hash_foreach(struct store *s, store_hash_fn fn, void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, store_sql[ST_HASH_ALL], NULL, 0, hash_row, &f);
}

void
store_checkpoint_done(struct store_checkpoint *c)
{
	free(c->note);
	c->note = NULL;
}

int
store_checkpoint_put(struct store *s, const struct store_checkpoint *c)
{
	sqlite3_stmt *st = stmt(s, ST_CP_PUT);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->size);
	sqlite3_bind_blob(st, 2, c->root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->created_at);
	return exec_done(s, st);
}

static int
checkpoint_row(struct store *s, sqlite3_stmt *st, struct store_checkpoint *ret)
{
	const char *note = (const char *)sqlite3_column_text(st, 2);

	if (sqlite3_column_bytes(st, 1) != 32 || !note) {
		snprintf(s->errmsg, sizeof(s->errmsg),
		    "checkpoint row for size %lld is malformed",
		    (long long)sqlite3_column_int64(st, 0));
		return -EBADMSG;
	}
	ret->size = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(ret->root, sqlite3_column_blob(st, 1), 32);
	ret->created_at = sqlite3_column_int64(st, 3);
	ret->note = strdup(note);
	return ret->note ? 0 : -ENOMEM;
}

static int
checkpoint_one(struct store *s, sqlite3_stmt *st, struct store_checkpoint *ret)
{
	int rc = sqlite3_step(st), r;

	if (rc == SQLITE_ROW)
		r = checkpoint_row(s, st, ret);
	else
		r = rc == SQLITE_DONE ? -ENOENT : store_errno(s, rc);
	sqlite3_reset(st);
	return r;
}

int
store_checkpoint_latest(struct store *s, struct store_checkpoint *ret)
{
	return checkpoint_one(s, stmt(s, ST_CP_LATEST), ret);
}

int
store_checkpoint_covering(struct store *s, uint64_t size,
    struct store_checkpoint *ret)
{
	sqlite3_stmt *st = stmt(s, ST_CP_COVERING);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	return checkpoint_one(s, st, ret);
}

static int
checkpoint_each_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;
	struct store_checkpoint c = { 0 };
	int r = checkpoint_row(s, st, &c);

	if (r == 0)
		r = ((store_checkpoint_fn)f->fn)(f->userdata, &c);
	store_checkpoint_done(&c);
	return r;
}

int
store_checkpoint_foreach(struct store *s, store_checkpoint_fn fn,
    void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, store_sql[ST_CP_ALL], NULL, 0,
	    checkpoint_each_row, &f);
}

static int
subject_row(struct store *s, sqlite3_stmt *st, int col,
    struct store_subject *ret)
{
	if (sqlite3_column_bytes(st, col) != STORE_TOKEN_LEN ||
	    sqlite3_column_bytes(st, col + 1) != 32) {
		snprintf(s->errmsg, sizeof(s->errmsg), "subject row is malformed");
		return -EBADMSG;
	}
	memcpy(ret->token, sqlite3_column_blob(st, col), STORE_TOKEN_LEN);
	memcpy(ret->mac, sqlite3_column_blob(st, col + 1), 32);
	ret->created_at = sqlite3_column_int64(st, col + 2);
	return 0;
}

int
store_subject_get(struct store *s, const uint8_t lookup[STORE_LOOKUP_LEN],
    struct store_subject *ret)
{
	sqlite3_stmt *st = stmt(s, ST_SUBJ_GET);
	int rc, r;

	sqlite3_bind_blob(st, 1, lookup, STORE_LOOKUP_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = subject_row(s, st, 0, ret);
		if (r == 0)
			memcpy(ret->lookup, lookup, STORE_LOOKUP_LEN);
	} else
		r = rc == SQLITE_DONE ? -ENOENT : store_errno(s, rc);
	sqlite3_reset(st);
	return r;
}

int
store_subject_put(struct store *s, const struct store_subject *subj)
{
	sqlite3_stmt *st = stmt(s, ST_SUBJ_PUT);

	sqlite3_bind_blob(st, 1, subj->lookup, STORE_LOOKUP_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, subj->token, STORE_TOKEN_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, subj->mac, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, subj->created_at);
	return exec_done(s, st);
}

int
store_subject_delete(struct store *s, const uint8_t lookup[STORE_LOOKUP_LEN])
{
	sqlite3_stmt *st = stmt(s, ST_SUBJ_DEL);
	int r;

	sqlite3_bind_blob(st, 1, lookup, STORE_LOOKUP_LEN, SQLITE_STATIC);
	r = exec_done(s, st);
	if (r == 0 && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	return r;
}

static int
subject_each_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;
	struct store_subject subj = { 0 };
	int r;

	if (sqlite3_column_bytes(st, 0) != STORE_LOOKUP_LEN) {
		snprintf(s->errmsg, sizeof(s->errmsg), "subject row is malformed");
		return -EBADMSG;
	}
	memcpy(subj.lookup, sqlite3_column_blob(st, 0), STORE_LOOKUP_LEN);
	r = subject_row(s, st, 1, &subj);
	return r < 0 ? r : ((store_subject_fn)f->fn)(f->userdata, &subj);
}

int
store_subject_foreach(struct store *s, store_subject_fn fn, void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, store_sql[ST_SUBJ_ALL], NULL, 0,
	    subject_each_row, &f);
}

int
store_consent_add(struct store *s, const struct store_consent *c)
{
	sqlite3_stmt *st = stmt(s, ST_CONSENT_ADD);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->index);
	sqlite3_bind_blob(st, 2, c->token, STORE_TOKEN_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)c->kind);
	sqlite3_bind_int64(st, 5, c->at);
	sqlite3_bind_int64(st, 6, c->expires_at);
	return exec_done(s, st);
}

static int
consent_row(sqlite3_stmt *st, int idx_col, int purpose_col,
    struct store_consent *c)
{
	const char *p = (const char *)sqlite3_column_text(st, purpose_col);
	size_t n = p ? strnlen(p, sizeof(c->purpose) - 1) : 0;

	c->index = (uint64_t)sqlite3_column_int64(st, idx_col);
	/* As snprintf "%s" would, without its cost on every row. */
	if (n > 0)
		memcpy(c->purpose, p, n);
	c->purpose[n] = '\0';
	c->kind = (enum consent_event_kind)sqlite3_column_int(st, purpose_col + 1);
	c->at = sqlite3_column_int64(st, purpose_col + 2);
	c->expires_at = sqlite3_column_int64(st, purpose_col + 3);
	return 0;
}

struct latest_per_purpose {
	store_consent_fn fn;
	void *userdata;
	const uint8_t *token;
	char last[128];
	bool have_last;
};

static int
consent_state_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct latest_per_purpose *l = userdata;
	struct store_consent c = { 0 };

	consent_row(st, 0, 1, &c);
	/* Rows come newest first within each purpose. */
	if (l->have_last && strcmp(l->last, c.purpose) == 0)
		return 0;
	memcpy(c.token, l->token, STORE_TOKEN_LEN);
	snprintf(l->last, sizeof(l->last), "%s", c.purpose);
	l->have_last = true;
	return l->fn(l->userdata, &c);
}

int
store_consent_state(struct store *s, const uint8_t token[STORE_TOKEN_LEN],
    const char *purpose, usec_t at, uint64_t max_size, store_consent_fn fn,
    void *userdata)
{
	struct latest_per_purpose l = { .fn = fn, .userdata = userdata,
		.token = token };
	struct bind b[] = { BIND_BLOB(token, STORE_TOKEN_LEN),
		BIND_TEXT_OR_NULL(purpose), BIND_I64(at), BIND_U64(max_size) };

	return store_each_row(s, store_sql[ST_CONSENT_STATE], b, ELEMENTSOF(b),
	    consent_state_row, &l);
}

static int
consent_each_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;
	struct store_consent c = { 0 };

	if (sqlite3_column_bytes(st, 1) != STORE_TOKEN_LEN)
		return -EBADMSG;
	memcpy(c.token, sqlite3_column_blob(st, 1), STORE_TOKEN_LEN);
	consent_row(st, 0, 2, &c);
	return ((store_consent_fn)f->fn)(f->userdata, &c);
}

int
store_consent_foreach(struct store *s, store_consent_fn fn, void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, store_sql[ST_CONSENT_ALL], NULL, 0,
	    consent_each_row, &f);
}

int
store_consent_clear(struct store *s)
{
	return store_exec(s, "DELETE FROM consent_events; DELETE FROM decisions;"
			     " DELETE FROM policy_versions; DELETE FROM budgets;"
			     " DELETE FROM budget_history; DELETE FROM budget_reservations");
}

/* A prepared lookup of one text key that yields one index. */
static int
index_by_key(struct store *s, int which, const char *key, uint64_t *ret)
{
	sqlite3_stmt *st = stmt(s, which);
	int rc, r;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
		r = 0;
	} else
		r = rc == SQLITE_DONE ? -ENOENT : store_errno(s, rc);
	sqlite3_reset(st);
	return r;
}

int
store_decision_put(struct store *s, const char *job, uint64_t index,
    const char *decision)
{
	sqlite3_stmt *st = stmt(s, ST_DECISION_PUT);

	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_text(st, 3, decision, -1, SQLITE_STATIC);
	return exec_done(s, st);
}

int
store_decision_get(struct store *s, const char *job, uint64_t *ret_index)
{
	return index_by_key(s, ST_DECISION_GET, job, ret_index);
}

int
store_policy_version_put(struct store *s, const char *sha256_hex,
    uint64_t index, const char *name)
{
	sqlite3_stmt *st = stmt(s, ST_POLICY_PUT);

	sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	return exec_done(s, st);
}

int
store_policy_version_get(struct store *s, const char *sha256_hex,
    uint64_t *ret_index)
{
	return index_by_key(s, ST_POLICY_GET, sha256_hex, ret_index);
}

int
store_lineage_put(struct store *s, const char *job, const void *tokens,
    size_t len)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(job), BIND_BLOB(tokens, len) };

	return exec_bound(s, "INSERT INTO lineage(job, tokens) VALUES (?1, ?2)"
			     " ON CONFLICT(job) DO UPDATE SET tokens = excluded.tokens",
	    b, ELEMENTSOF(b));
}

static int
lineage_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_lineage_fn)f->fn)(f->userdata,
	    (const char *)sqlite3_column_text(st, 0), column_blob(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1),
	    (uint64_t)sqlite3_column_int64(st, 2));
}

int
store_lineage_foreach(struct store *s, store_lineage_fn fn, void *userdata)
{
	static const char sql[] = "SELECT l.job, l.tokens, d.idx FROM lineage l"
				  " JOIN decisions d ON d.job = l.job ORDER BY d.idx";
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, sql, NULL, 0, lineage_row, &f);
}

static int
budget_state_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	char **ret = userdata;

	*ret = strdup((const char *)sqlite3_column_text(st, 0));
	return *ret ? 1 : -ENOMEM;
}

int
store_budget_get(struct store *s, const char *name, char **ret_state)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(name) };
	int r = store_each_row(s, "SELECT state FROM budgets WHERE name = ?1",
	    b, ELEMENTSOF(b), budget_state_row, ret_state);

	return r == 1 ? 0 : r == 0 ? -ENOENT : r;
}

int
store_budget_put(struct store *s, const char *name, const char *state)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(name), BIND_TEXT_OR_NULL(state) };

	return exec_bound(s, "INSERT INTO budgets(name, state) VALUES (?1, ?2)"
			     " ON CONFLICT(name) DO UPDATE SET state = excluded.state",
	    b, ELEMENTSOF(b));
}

static int
budget_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_budget_fn)f->fn)(f->userdata,
	    (const char *)sqlite3_column_text(st, 0),
	    (const char *)sqlite3_column_text(st, 1));
}

int
store_budget_foreach(struct store *s, store_budget_fn fn, void *userdata)
{
	static const char sql[] = "SELECT name, state FROM budgets ORDER BY name";
	struct fn_and_data f = { (void *)fn, userdata };

	return store_each_row(s, sql, NULL, 0, budget_row, &f);
}

struct store_cursor {
	struct store *s;
	sqlite3_stmt *st;
};

int
store_hash_cursor_open(struct store *s, struct store_cursor **ret)
{
	struct store_cursor *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->s = s;
	rc = sqlite3_prepare_v2(s->db, store_sql[ST_HASH_ALL], -1, &c->st, NULL);
	if (rc != SQLITE_OK) {
		free(c);
		return store_errno(s, rc);
	}
	*ret = c;
	return 0;
}

int
store_hash_cursor_next(struct store_cursor *c, uint64_t *ret_id,
    const uint8_t **ret_hash, size_t *ret_len)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_errno(c->s, rc);
	*ret_id = (uint64_t)sqlite3_column_int64(c->st, 0);
	*ret_hash = sqlite3_column_blob(c->st, 1);
	*ret_len = (size_t)sqlite3_column_bytes(c->st, 1);
	if (!*ret_hash)
		*ret_hash = (const uint8_t *)"";
	return 1;
}

void
store_cursor_close(struct store_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->st);
	free(c);
}

int
store_consent_purpose_foreach(struct store *s, const char *purpose, usec_t at,
    uint64_t max_size, store_consent_fn fn, void *userdata)
{
	static const char sql[] =
	    "SELECT idx, token, purpose, kind, at, expires_at FROM consent_events"
	    " WHERE purpose = ?1 AND at <= ?2 AND idx < ?3 ORDER BY token, at, idx";
	struct fn_and_data f = { (void *)fn, userdata };
	struct bind b[] = { BIND_TEXT_OR_NULL(purpose), BIND_I64(at),
		BIND_U64(max_size) };

	return store_each_row(s, sql, b, ELEMENTSOF(b), consent_each_row, &f);
}

int
store_consent_purpose_events(struct store *s, const char *purpose,
    uint64_t max_size, store_consent_fn fn, void *userdata)
{
	static const char sql[] =
	    "SELECT idx, token, purpose, kind, at, expires_at FROM consent_events"
	    " WHERE purpose = ?1 AND idx < ?2 ORDER BY idx";
	struct fn_and_data f = { (void *)fn, userdata };
	struct bind b[] = { BIND_TEXT_OR_NULL(purpose), BIND_U64(max_size) };

	return store_each_row(s, sql, b, ELEMENTSOF(b), consent_each_row, &f);
}

int
store_budget_history_add(struct store *s, const char *budget, uint64_t index,
    const char *kind, const char *job)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(budget), BIND_U64(index),
		BIND_TEXT_OR_NULL(kind), BIND_TEXT_OR_NULL(job) };

	return exec_bound(s, "INSERT OR REPLACE INTO budget_history(budget, idx,"
			     " kind, job) VALUES (?1, ?2, ?3, ?4)",
	    b, ELEMENTSOF(b));
}

static int
history_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_history_fn)f->fn)(f->userdata,
	    (uint64_t)sqlite3_column_int64(st, 0),
	    (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 2));
}

int
store_budget_history_foreach(struct store *s, const char *budget,
    store_history_fn fn, void *userdata)
{
	static const char sql[] = "SELECT idx, kind, job FROM budget_history"
				  " WHERE budget = ?1 ORDER BY idx";
	struct fn_and_data f = { (void *)fn, userdata };
	struct bind b[] = { BIND_TEXT_OR_NULL(budget) };

	return store_each_row(s, sql, b, ELEMENTSOF(b), history_row, &f);
}

int
store_reservation_put(struct store *s, const char *budget, const char *job,
    const char *cost, const char *expires)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(budget), BIND_TEXT_OR_NULL(job),
		BIND_TEXT_OR_NULL(cost), BIND_TEXT_OR_NULL(expires) };

	return exec_bound(s,
	    "INSERT OR REPLACE INTO budget_reservations(budget, job, cost, expires)"
	    " VALUES (?1, ?2, ?3, ?4)", b, ELEMENTSOF(b));
}

int
store_reservation_delete(struct store *s, const char *budget, const char *job)
{
	struct bind b[] = { BIND_TEXT_OR_NULL(budget), BIND_TEXT_OR_NULL(job) };

	return exec_bound(s,
	    "DELETE FROM budget_reservations WHERE budget = ?1 AND job = ?2", b,
	    ELEMENTSOF(b));
}

static int
reservation_row(struct store *s, sqlite3_stmt *st, void *userdata)
{
	struct fn_and_data *f = userdata;

	return ((store_reservation_fn)f->fn)(f->userdata,
	    (const char *)sqlite3_column_text(st, 0),
	    (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 2),
	    (const char *)sqlite3_column_text(st, 3));
}

int
store_reservation_foreach(struct store *s, const char *budget,
    const char *job, store_reservation_fn fn, void *userdata)
{
	struct fn_and_data f = { (void *)fn, userdata };
	struct bind b[] = { BIND_TEXT_OR_NULL(budget), BIND_TEXT_OR_NULL(job) };

	return store_each_row(s,
	    "SELECT budget, job, cost, expires FROM budget_reservations"
	    " WHERE (?1 IS NULL OR budget = ?1) AND (?2 IS NULL OR job = ?2)"
	    " ORDER BY budget, job", b, ELEMENTSOF(b), reservation_row, &f);
}
