/* The ledger: entry encoding, appends with stored Merkle hashes, signed
 * checkpoints, proofs, the subject map and the derived consent index. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "codec.h"
#include "consent.h"
#include "crypto.h"
#include "json.h"
#include "ledger.h"
#include "timeutil.h"

struct ledger {
	struct store *store;
	struct merkle_frontier *tree;  /* of the committed + pending entries */
	uint64_t committed_size;       /* size at the last commit */
	bool in_txn;
	bool can_sign;
	struct note_signer signer;
	char *vkey;
	char *origin;
	bool have_secret;
	uint8_t secret[32];
	struct hmac_key *hmac;         /* keyed with secret */
	ledger_index_hook hook;
	void *hook_userdata;
	uint64_t checkpoint_size;      /* size of the latest checkpoint */
	bool have_checkpoint;
	uint64_t staged_size;          /* checkpoint in the open transaction */
	bool staged_checkpoint;
	/* Random bytes for new subject tokens, drawn 4 KiB at a time: one
	 * call to the generator per 256 tokens instead of one per token. */
	uint8_t rand_pool[4096];
	bool consent_changed;          /* in the open transaction */
	size_t rand_left;              /* unused bytes at the pool's end */
	/* Subjects found or added in the open transaction (a bulk request
	 * names most subjects more than once): their tokens without the
	 * subject map's SELECT and MAC check. */
	struct subject_cache *subjects;
	char errmsg[512];
};

static int
ledger_fail(struct ledger *l, int r, const char *fmt, ...) _printf_(3, 4);

/* Open addressing on the lookup key (an HMAC output: its first bytes are
 * as good as any hash). A slot is in use when its generation is the
 * cache's; a new transaction starts a new generation, so that emptying
 * the cache costs nothing. Full, it stops taking subjects. */
#define SUBJECT_CACHE_SLOTS 16384

struct subject_cache {
	uint32_t generation;
	size_t used;
	struct subject_slot {
		uint32_t generation;
		uint8_t lookup[STORE_LOOKUP_LEN];
		uint8_t token[STORE_TOKEN_LEN];
	} slots[SUBJECT_CACHE_SLOTS];
};

static void
subject_cache_clear(struct ledger *l)
{
	if (!l->subjects)
		return;
	l->subjects->generation++;
	l->subjects->used = 0;
	if (l->subjects->generation == 0) {
		/* Wrapped: slots of the first generation would look used. */
		memset(l->subjects->slots, 0, sizeof(l->subjects->slots));
		l->subjects->generation = 1;
	}
}

/* The slot for lookup: its own, or the free one where it would go. */
static struct subject_slot *
subject_cache_slot(struct subject_cache *c,
    const uint8_t lookup[STORE_LOOKUP_LEN])
{
	uint64_t h;

	memcpy(&h, lookup, sizeof(h));
	for (size_t i = 0; i < SUBJECT_CACHE_SLOTS; i++) {
		struct subject_slot *s =
		    &c->slots[(h + i) & (SUBJECT_CACHE_SLOTS - 1)];

		if (s->generation != c->generation ||
		    memcmp(s->lookup, lookup, STORE_LOOKUP_LEN) == 0)
			return s;
	}
	return NULL;
}

static bool
subject_cache_get(struct ledger *l, const uint8_t lookup[STORE_LOOKUP_LEN],
    uint8_t ret_token[STORE_TOKEN_LEN])
{
	struct subject_slot *s;

	if (!l->subjects || !l->in_txn)
		return false;
	s = subject_cache_slot(l->subjects, lookup);
	if (!s || s->generation != l->subjects->generation)
		return false;
	memcpy(ret_token, s->token, STORE_TOKEN_LEN);
	return true;
}

static void
subject_cache_put(struct ledger *l, const uint8_t lookup[STORE_LOOKUP_LEN],
    const uint8_t token[STORE_TOKEN_LEN])
{
	struct subject_slot *s;

	if (!l->in_txn)
		return;
	if (!l->subjects) {
		l->subjects = calloc(1, sizeof(*l->subjects));
		if (!l->subjects)
			return; /* a cache is not needed */
		l->subjects->generation = 1;
	}
	if (l->subjects->used >= SUBJECT_CACHE_SLOTS / 4 * 3)
		return;
	s = subject_cache_slot(l->subjects, lookup);
	if (!s || s->generation == l->subjects->generation)
		return;
	s->generation = l->subjects->generation;
	memcpy(s->lookup, lookup, STORE_LOOKUP_LEN);
	memcpy(s->token, token, STORE_TOKEN_LEN);
	l->subjects->used++;
}

static int
ledger_fail(struct ledger *l, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->errmsg, sizeof(l->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

const char *
ledger_errmsg(const struct ledger *l)
{
	return l->errmsg[0] ? l->errmsg : "no error";
}

/* Entry encoding. */

static bool
kind_valid(const char *kind)
{
	size_t n = strlen(kind);

	if (n == 0 || n > LEDGER_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)kind[i]) && kind[i] != '_')
			return false;
	return true;
}

int
ledger_entry_encode(const char *kind, const json_t *body, uint8_t **ret_data,
    size_t *ret_len)
{
	_cleanup_free_ char *json = NULL;
	_cleanup_buf_ struct buf b = BUF_INIT(LEDGER_ENTRY_MAX);
	int r;

	if (!kind_valid(kind) || !json_is_object(body))
		return -EINVAL;
	json = json_dumps_checked(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (!json)
		return -ENOMEM;
	r = buf_printf(&b, "%s %s\n", LEDGER_ENTRY_MAGIC, kind);
	if (r >= 0)
		r = buf_append_str(&b, json);
	if (r == -E2BIG)
		return -EMSGSIZE;
	if (r < 0)
		return r;
	*ret_len = b.len;
	*ret_data = (uint8_t *)buf_steal(&b);
	return *ret_data ? 0 : -ENOMEM;
}

int
ledger_entry_decode(const uint8_t *data, size_t len, char *kind,
    json_t **ret_body)
{
	const size_t magic_len = strlen(LEDGER_ENTRY_MAGIC);
	const char *p = (const char *)data, *nl;
	size_t klen;
	json_error_t e;
	json_t *body = NULL;
	int r;

	if (len > LEDGER_ENTRY_MAX || len < magic_len + 3 ||
	    memcmp(p, LEDGER_ENTRY_MAGIC, magic_len) != 0 || p[magic_len] != ' ')
		return -EBADMSG;
	nl = memchr(p + magic_len + 1, '\n', len - magic_len - 1);
	if (!nl)
		return -EBADMSG;
	klen = (size_t)(nl - (p + magic_len + 1));
	if (klen == 0 || klen > LEDGER_KIND_MAX)
		return -EBADMSG;
	memcpy(kind, p + magic_len + 1, klen);
	kind[klen] = '\0';
	if (!kind_valid(kind))
		return -EBADMSG;
	/* Checked: jansson may drop a character when memory runs out. */
	r = json_load_checked(nl + 1, len - (size_t)(nl + 1 - p),
	    JSON_REJECT_DUPLICATES, &body, &e);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -EBADMSG;
	if (!json_is_object(body)) {
		json_decref(body);
		return -EBADMSG;
	}
	*ret_body = body;
	return 0;
}

/* Keys. */

static int
read_private_file(const char *path, char *buf, size_t size, size_t *ret_len,
    char *errbuf, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		snprintf(errbuf, errlen, "cannot open '%s': %s", path,
		    strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "'%s' is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & 0077) {
		snprintf(errbuf, errlen,
		    "'%s' is accessible by group or others (mode %04o); refusing a secret that others can read (chmod 600)",
		    path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	n = read(fd, buf, size - 1);
	if (n < 0) {
		int e = errno;
		snprintf(errbuf, errlen, "cannot read '%s': %s", path,
		    strerror(e));
		return -e;
	}
	buf[n] = '\0';
	*ret_len = (size_t)n;
	return 0;
}

static int
write_private_file(const char *path, const char *data, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len)
		return n < 0 ? -errno : -EIO;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int
ledger_load_signer(const char *path, struct note_signer *ret, char *errbuf,
    size_t errlen)
{
	char text[1024];
	size_t len;
	int r;

	r = read_private_file(path, text, sizeof(text), &len, errbuf, errlen);
	if (r < 0)
		return r;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	r = note_signer_parse(text, ret);
	secure_wipe(text, sizeof(text));
	if (r < 0) {
		snprintf(errbuf, errlen,
		    "'%s' is not a signer key (PRIVATE+KEY+name+hash+base64)",
		    path);
		return -EBADMSG;
	}
	return 0;
}

int
ledger_keygen(const char *path, const char *origin, char **ret_vkey)
{
	_cleanup_(buf_free_secret) struct buf b = BUF_INIT(1024);
	struct note_signer s;
	struct note_verifier v;
	char *skey = NULL;
	int r;

	r = note_signer_generate(origin, &s);
	if (r < 0)
		return r;
	r = note_signer_format(&s, &skey);
	if (r >= 0)
		r = buf_printf(&b, "%s\n", skey);
	note_secret_free(skey);
	if (r >= 0)
		r = write_private_file(path, b.data, b.len);
	if (r >= 0 && ret_vkey) {
		note_signer_verifier(&s, &v);
		r = note_verifier_format(&v, ret_vkey);
	}
	note_signer_wipe(&s);
	return r;
}

static int
load_or_create_secret(struct ledger *l, const char *path, bool create,
    char *errbuf, size_t errlen)
{
	char text[128];
	size_t len;
	int r;

	r = read_private_file(path, text, sizeof(text), &len, errbuf, errlen);
	if (r == -ENOENT && create) {
		uint8_t key[32];
		char hex[65];
		r = random_bytes(key, sizeof(key));
		if (r < 0)
			return r;
		hex_encode(key, sizeof(key), hex);
		hex[64] = '\n';
		r = write_private_file(path, hex, 65);
		secure_wipe(hex, sizeof(hex));
		secure_wipe(key, sizeof(key));
		if (r < 0) {
			snprintf(errbuf, errlen, "cannot create '%s': %s", path,
			    strerror(-r));
			return r;
		}
		r = read_private_file(path, text, sizeof(text), &len, errbuf,
		    errlen);
	}
	if (r < 0)
		return r;
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	r = hex_decode(text, len, l->secret, sizeof(l->secret));
	secure_wipe(text, sizeof(text));
	if (r < 0) {
		snprintf(errbuf, errlen, "'%s' is not a 64-digit hex secret",
		    path);
		return -EBADMSG;
	}
	r = hmac_key_new(l->secret, sizeof(l->secret), &l->hmac);
	if (r < 0)
		return r;
	l->have_secret = true;
	return 0;
}

/* Opening. */

static int ledger_check_tail(struct ledger *l, uint64_t from, uint64_t to);
static int ledger_check_entries(struct ledger *l,
    const struct store_checkpoint *cp);

void
ledger_close(struct ledger *l)
{
	if (!l)
		return;
	if (l->in_txn)
		ledger_rollback(l);
	merkle_frontier_free(l->tree);
	store_close(l->store);
	note_signer_wipe(&l->signer);
	secure_wipe(l->secret, sizeof(l->secret));
	secure_wipe(l->rand_pool, sizeof(l->rand_pool));
	if (l->subjects) {
		secure_wipe(l->subjects, sizeof(*l->subjects));
		free(l->subjects);
	}
	hmac_key_free(l->hmac);
	free(l->vkey);
	free(l->origin);
	free(l);
}

struct store *
ledger_store(struct ledger *l)
{
	return l->store;
}

int
ledger_refresh(struct ledger *l)
{
	uint64_t size;
	int r = store_log_size(l->store, &size);

	if (r < 0)
		return ledger_fail(l, r, "cannot read the log size: %s",
		    store_errmsg(l->store));
	/* Sizes past the in-memory tree are served from stored hashes. */
	l->committed_size = size;
	return 0;
}

uint64_t
ledger_size(const struct ledger *l)
{
	return l->committed_size;
}

const char *
ledger_origin(const struct ledger *l)
{
	return l->origin;
}

const char *
ledger_vkey(const struct ledger *l)
{
	return l->vkey;
}

static int
ledger_load_tree(struct ledger *l, uint64_t size)
{
	struct merkle_hash_reader rd = store_hash_reader(l->store);
	struct merkle_frontier *f = NULL;
	int r;

	r = merkle_frontier_new_from_reader(&rd, size, &f);
	if (r < 0)
		return ledger_fail(l, r, "cannot load the tree of %llu entries: %s",
		    (unsigned long long)size, store_errmsg(l->store));
	merkle_frontier_free(l->tree);
	l->tree = f;
	l->committed_size = size;
	return 0;
}

int
ledger_open(const struct ledger_options *o, struct ledger **ret, char *errbuf,
    size_t errlen)
{
	_cleanup_(ledger_closep) struct ledger *l = NULL;
	struct store_checkpoint cp = { 0 };
	uint64_t size, nhashes;
	char err[512] = "";
	bool fresh = true;
	int flags = 0, r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (o->read_only)
		flags |= STORE_READ_ONLY;
	else if (o->create)
		flags |= STORE_CREATE;
	r = store_open(o->db_path, flags, &l->store, err, sizeof(err));
	if (r < 0) {
		snprintf(errbuf, errlen, "cannot open ledger '%s': %s",
		    o->db_path, err);
		return r;
	}
	/* Keys are created only with the ledger: a ledger that has a history
	 * but lost its key must not quietly get a new one. */
	{
		uint64_t n = 0;
		if (store_log_size(l->store, &n) >= 0 && n > 0)
			fresh = false;
	}
	if (o->key_path) {
		r = ledger_load_signer(o->key_path, &l->signer, err, sizeof(err));
		if (r == -ENOENT && o->create && !fresh) {
			snprintf(errbuf, errlen,
			    "the signing key '%s' is missing, but the ledger already has entries: restore the key (a new one could not verify the history)",
			    o->key_path);
			return -ENOKEY;
		}
		if (r == -ENOENT && o->create) {
			r = ledger_keygen(o->key_path,
			    o->origin ? o->origin : "consentd.local/ledger", NULL);
			if (r < 0) {
				snprintf(errbuf, errlen, "cannot create key '%s': %s",
				    o->key_path, strerror(-r));
				return r;
			}
			r = ledger_load_signer(o->key_path, &l->signer, err,
			    sizeof(err));
		}
		if (r < 0) {
			snprintf(errbuf, errlen, "%s", err);
			return r;
		}
		if (o->origin && strcmp(o->origin, l->signer.name) != 0) {
			snprintf(errbuf, errlen,
			    "the key in '%s' is named '%s', but the configured origin is '%s'",
			    o->key_path, l->signer.name, o->origin);
			return -EINVAL;
		}
		struct note_verifier v;
		note_signer_verifier(&l->signer, &v);
		r = note_verifier_format(&v, &l->vkey);
		if (r < 0)
			return r;
		l->can_sign = true;
		l->origin = strdup(l->signer.name);
		if (!l->origin)
			return -ENOMEM;
	} else {
		r = store_meta_get(l->store, "origin", &l->origin);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (o->secret_path) {
		r = load_or_create_secret(l, o->secret_path, o->create && fresh,
		    err, sizeof(err));
		if (r == -ENOENT && o->create && !fresh)
			snprintf(err, sizeof(err),
			    "the subject-map secret '%s' is missing, but the ledger already has entries: restore it (without it no subject can be looked up)",
			    o->secret_path);
		if (r < 0) {
			snprintf(errbuf, errlen, "%s", err);
			return r;
		}
	}

	/* One read snapshot for the counts, the tree and the checks: a
	 * writer may be appending meanwhile. */
	r = store_read_begin(l->store);
	if (r >= 0)
		r = store_log_size(l->store, &size);
	if (r >= 0)
		r = store_hashes_count(l->store, &nhashes);
	if (r < 0) {
		snprintf(errbuf, errlen, "cannot read ledger: %s",
		    store_errmsg(l->store));
		return r;
	}
	if (nhashes != merkle_stored_hash_count(size)) {
		snprintf(errbuf, errlen,
		    "ledger has %llu entries but %llu stored hashes (expected %llu)",
		    (unsigned long long)size, (unsigned long long)nhashes,
		    (unsigned long long)merkle_stored_hash_count(size));
		return -EBADMSG;
	}
	r = ledger_load_tree(l, size);
	if (r < 0) {
		snprintf(errbuf, errlen, "%s", l->errmsg);
		return r;
	}

	r = o->no_verify ? -ENODATA : store_checkpoint_latest(l->store, &cp);
	if (r == -ENODATA) {
		r = 0;
	} else if (r == -ENOENT) {
		l->checkpoint_size = 0;
		r = ledger_check_tail(l, 0, size);
	} else if (r >= 0) {
		uint8_t root[MERKLE_HASH_LEN];
		l->checkpoint_size = cp.size;
		l->have_checkpoint = true;
		if (cp.size > size)
			r = ledger_fail(l, -EBADMSG,
			    "the ledger has %llu entries but its latest signed checkpoint covers %llu: entries were removed",
			    (unsigned long long)size,
			    (unsigned long long)cp.size);
		else if (l->can_sign) {
			struct note_verifier v;
			note_signer_verifier(&l->signer, &v);
			r = checkpoint_open(cp.note, strlen(cp.note), &v, 1,
			    l->origin, NULL);
			if (r < 0)
				r = ledger_fail(l, -EBADMSG,
				    "the latest checkpoint (size %llu) is not signed by this ledger's key",
				    (unsigned long long)cp.size);
		}
		if (r >= 0) {
			r = ledger_root(l, cp.size, root);
			if (r >= 0 && !crypto_memeq(root, cp.root, 32))
				r = ledger_fail(l, -EBADMSG,
				    "the stored tree of %llu entries does not match the latest signed checkpoint",
				    (unsigned long long)cp.size);
		}
		if (r >= 0)
			r = ledger_check_entries(l, &cp);
		if (r >= 0)
			r = ledger_check_tail(l, cp.size, size);
		store_checkpoint_done(&cp);
	}
	if (r < 0) {
		snprintf(errbuf, errlen, "%s", l->errmsg[0] ? l->errmsg :
		    store_errmsg(l->store));
		return r;
	}
	store_read_end(l->store);
	if (!o->read_only && l->origin) {
		_cleanup_free_ char *old = NULL;
		r = store_meta_get(l->store, "origin", &old);
		if (r == -ENOENT || (r >= 0 && strcmp(old, l->origin) != 0)) {
			if (r >= 0 && size > 0) {
				snprintf(errbuf, errlen,
				    "the ledger's origin is '%s', not '%s'", old,
				    l->origin);
				return -EINVAL;
			}
			r = store_meta_set(l->store, "origin", l->origin);
			if (r >= 0 && l->vkey)
				r = store_meta_set(l->store, "vkey", l->vkey);
		}
		if (r < 0) {
			snprintf(errbuf, errlen, "cannot write ledger: %s",
			    store_errmsg(l->store));
			return r;
		}
	}
	*ret = TAKE_PTR(l);
	return 0;
}

struct root_check {
	struct merkle_frontier *f;
};

static int
root_check_entry(void *userdata, uint64_t index, const uint8_t *data,
    size_t len)
{
	struct root_check *rc = userdata;

	if (index != merkle_frontier_size(rc->f))
		return -EBADMSG;
	return merkle_frontier_append_data(rc->f, data, len);
}

/* Recomputes the root from the entries themselves (not from the stored
 * hashes) and compares it with the signed checkpoint. */
static int
ledger_check_entries(struct ledger *l, const struct store_checkpoint *cp)
{
	_cleanup_merkle_frontier_ struct merkle_frontier *f = NULL;
	struct root_check rc;
	uint8_t root[MERKLE_HASH_LEN];
	int r;

	r = merkle_frontier_new(&f);
	if (r < 0)
		return r;
	rc.f = f;
	r = store_entry_foreach(l->store, 0, cp->size, root_check_entry, &rc);
	if (r == -EBADMSG || (r >= 0 && merkle_frontier_size(f) != cp->size))
		return ledger_fail(l, -EBADMSG,
		    "entries are missing below the latest signed checkpoint (size %llu)",
		    (unsigned long long)cp->size);
	if (r < 0)
		return ledger_fail(l, r, "cannot read entries: %s",
		    store_errmsg(l->store));
	merkle_frontier_root(f, root);
	if (!crypto_memeq(root, cp->root, MERKLE_HASH_LEN))
		return ledger_fail(l, -EBADMSG,
		    "the entries do not hash to the latest signed checkpoint (size %llu): the ledger was altered",
		    (unsigned long long)cp->size);
	return 0;
}

struct tail_check {
	struct ledger *l;
	int r;
};

static int
tail_check_entry(void *userdata, uint64_t index, const uint8_t *data,
    size_t len)
{
	struct tail_check *t = userdata;
	struct merkle_hash_reader rd = store_hash_reader(t->l->store);
	uint64_t id = merkle_stored_hash_index(0, index);
	uint8_t leaf[MERKLE_HASH_LEN], stored[1][MERKLE_HASH_LEN];
	int r;

	merkle_leaf_hash(data, len, leaf);
	r = rd.read(rd.userdata, &id, 1, stored);
	if (r < 0)
		return r;
	if (!crypto_memeq(leaf, stored[0], MERKLE_HASH_LEN))
		return ledger_fail(t->l, -EBADMSG,
		    "entry %llu does not match its stored hash",
		    (unsigned long long)index);
	return 0;
}

/* Entries after the latest checkpoint are not covered by a signature yet:
 * check them against their stored leaf hashes before trusting the tree. */
static int
ledger_check_tail(struct ledger *l, uint64_t from, uint64_t to)
{
	struct tail_check t = { .l = l };

	if (from >= to)
		return 0;
	return store_entry_foreach(l->store, from, to, tail_check_entry, &t);
}

/* Writing. */

int
ledger_begin(struct ledger *l)
{
	int r = store_begin(l->store);

	if (r < 0)
		return ledger_fail(l, r, "cannot begin a transaction: %s",
		    store_errmsg(l->store));
	l->in_txn = true;
	subject_cache_clear(l);
	return 0;
}

int
ledger_parse_generation(const char *v, uint64_t *ret)
{
	unsigned long long n;
	char *end;

	if (!v || !isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = n;
	return 0;
}

int
ledger_commit(struct ledger *l)
{
	int r = 0;

	/* Consent snapshots reuse what they loaded while this number stays
	 * the same: it moves in the transaction that changes consent. */
	if (l->consent_changed) {
		uint64_t gen = 0;
		char *v = NULL, buf[32];

		r = store_meta_get(l->store, LEDGER_META_CONSENT_GENERATION, &v);
		if (r >= 0)
			(void)ledger_parse_generation(v, &gen);
		free(v);
		snprintf(buf, sizeof(buf), "%" PRIu64, gen + 1);
		r = r >= 0 || r == -ENOENT ? store_meta_set(l->store,
		    LEDGER_META_CONSENT_GENERATION, buf) : r;
		l->consent_changed = false;
	}
	if (r >= 0)
		r = store_commit(l->store);
	else
		store_rollback(l->store);
	l->in_txn = false;
	subject_cache_clear(l);
	if (r < 0) {
		int r2;
		l->staged_checkpoint = false;
		ledger_fail(l, r, "cannot commit: %s", store_errmsg(l->store));
		/* The batch is gone: rewind the in-memory tree to match. */
		r2 = ledger_load_tree(l, l->committed_size);
		return r2 < 0 ? r2 : r;
	}
	l->committed_size = merkle_frontier_size(l->tree);
	if (l->staged_checkpoint) {
		l->checkpoint_size = l->staged_size;
		l->have_checkpoint = true;
		l->staged_checkpoint = false;
	}
	return 0;
}

void
ledger_rollback(struct ledger *l)
{
	store_rollback(l->store);
	l->in_txn = false;
	subject_cache_clear(l);
	l->staged_checkpoint = false;
	l->consent_changed = false;
	if (merkle_frontier_size(l->tree) != l->committed_size)
		(void)ledger_load_tree(l, l->committed_size);
}

static int ledger_index_entry(struct ledger *l, uint64_t index,
    const uint8_t *data, size_t len);
static int consent_from_body(const json_t *body, uint64_t index,
    struct store_consent *c);
static int ledger_append_indexed(struct ledger *l, const uint8_t *data,
    size_t len, uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN]);
static int ledger_index_body(struct ledger *l, uint64_t index,
    const char *kind, const json_t *body);

/* Appends bytes whose decoded form is (kind, body) when known, so that
 * indexing need not parse what was just encoded. */
static int
ledger_append_entry(struct ledger *l, const uint8_t *data, size_t len,
    const char *kind, const json_t *body, uint64_t *ret_index,
    uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	uint64_t index = merkle_frontier_size(l->tree);
	int r;

	if (!l->in_txn)
		return ledger_fail(l, -EINVAL, "append outside a transaction");
	if (len > LEDGER_ENTRY_MAX)
		return ledger_fail(l, -EMSGSIZE,
		    "entry of %zu bytes exceeds the maximum of %d", len,
		    LEDGER_ENTRY_MAX);
	/* Index first: a malformed entry must not touch the tree. */
	r = body ? ledger_index_body(l, index, kind, body) :
		   ledger_index_entry(l, index, data, len);
	if (r < 0)
		return r;
	return ledger_append_indexed(l, data, len, ret_index, ret_leaf);
}

/* Stores an entry whose derived rows are already written, and adds it to
 * the tree. */
static int
ledger_append_indexed(struct ledger *l, const uint8_t *data, size_t len,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	uint8_t stored[MERKLE_MAX_STORED_PER_LEAF][MERKLE_HASH_LEN];
	uint8_t leaf[MERKLE_HASH_LEN];
	uint64_t index = merkle_frontier_size(l->tree);
	size_t n;
	int r;

	merkle_leaf_hash(data, len, leaf);
	r = store_entry_put(l->store, index, data, len);
	if (r < 0)
		return ledger_fail(l, r, "cannot store entry %llu: %s",
		    (unsigned long long)index, store_errmsg(l->store));
	r = merkle_frontier_append_stored(l->tree, leaf, stored, &n);
	if (r < 0)
		return ledger_fail(l, r, "tree is full");
	r = store_hashes_put(l->store, merkle_stored_hash_index(0, index),
	    (const uint8_t(*)[32])stored, n);
	if (r < 0)
		return ledger_fail(l, r, "cannot store hashes of entry %llu: %s",
		    (unsigned long long)index, store_errmsg(l->store));
	if (ret_index)
		*ret_index = index;
	if (ret_leaf)
		memcpy(ret_leaf, leaf, MERKLE_HASH_LEN);
	return 0;
}

int
ledger_append(struct ledger *l, const uint8_t *data, size_t len,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	return ledger_append_entry(l, data, len, NULL, NULL, ret_index,
	    ret_leaf);
}

int
ledger_append_json(struct ledger *l, const char *kind, const json_t *body,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	r = ledger_entry_encode(kind, body, &data, &len);
	if (r == -EMSGSIZE)
		return ledger_fail(l, r,
		    "a '%s' entry would exceed the maximum of %d bytes", kind,
		    LEDGER_ENTRY_MAX);
	if (r < 0)
		return ledger_fail(l, r, "cannot encode a '%s' entry", kind);
	return ledger_append_entry(l, data, len, kind, body, ret_index,
	    ret_leaf);
}

int
ledger_root(struct ledger *l, uint64_t size, uint8_t out[MERKLE_HASH_LEN])
{
	struct merkle_hash_reader rd = store_hash_reader(l->store);
	int r;

	if (size == merkle_frontier_size(l->tree)) {
		merkle_frontier_root(l->tree, out);
		return 0;
	}
	if (size > l->committed_size)
		return ledger_fail(l, -ERANGE, "size %llu is beyond the log",
		    (unsigned long long)size);
	r = merkle_tree_hash(&rd, size, out);
	if (r < 0)
		return ledger_fail(l, r, "cannot compute the root of %llu: %s",
		    (unsigned long long)size, store_errmsg(l->store));
	return 0;
}

/* Signs the tree of the given size and stores the note, in the open
 * transaction when there is one, else in a transaction of its own. */
static int
ledger_sign_size(struct ledger *l, uint64_t size)
{
	struct store_checkpoint cp = { 0 };
	bool own_txn = !l->in_txn;
	int r;

	if (!l->can_sign)
		return ledger_fail(l, -ENOKEY, "this ledger has no signing key");
	if ((l->have_checkpoint && size == l->checkpoint_size) ||
	    (l->staged_checkpoint && size == l->staged_size))
		return 0;
	cp.size = size;
	r = ledger_root(l, size, cp.root);
	if (r < 0)
		return r;
	r = checkpoint_sign(l->origin, size, cp.root, &l->signer, &cp.note);
	if (r < 0)
		return ledger_fail(l, r, "cannot sign a checkpoint");
	cp.created_at = now_realtime();
	r = own_txn ? store_begin(l->store) : 0;
	if (r >= 0)
		r = store_checkpoint_put(l->store, &cp);
	if (own_txn) {
		if (r >= 0)
			r = store_commit(l->store);
		else
			store_rollback(l->store);
	}
	store_checkpoint_done(&cp);
	if (r < 0)
		return ledger_fail(l, r, "cannot store the checkpoint: %s",
		    store_errmsg(l->store));
	if (own_txn) {
		l->checkpoint_size = size;
		l->have_checkpoint = true;
	} else {
		l->staged_size = size;
		l->staged_checkpoint = true;
	}
	return 1;
}

int
ledger_checkpoint(struct ledger *l)
{
	if (l->in_txn)
		return ledger_fail(l, -EBUSY,
		    "a checkpoint needs the transaction committed first");
	return ledger_sign_size(l, l->committed_size);
}

int
ledger_checkpoint_staged(struct ledger *l)
{
	if (!l->in_txn)
		return ledger_fail(l, -EINVAL, "no transaction is open");
	return ledger_sign_size(l, merkle_frontier_size(l->tree));
}

int
ledger_latest_checkpoint(struct ledger *l, struct store_checkpoint *ret)
{
	return store_checkpoint_latest(l->store, ret);
}

int
ledger_inclusion_proof(struct ledger *l, uint64_t index, uint64_t size,
    uint8_t (*proof)[MERKLE_HASH_LEN], size_t *ret_len,
    uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	struct merkle_hash_reader rd = store_hash_reader(l->store);
	uint64_t id;
	int r;

	if (index >= size || size > l->committed_size)
		return ledger_fail(l, -ERANGE,
		    "need index < size <= %llu (got index %llu, size %llu)",
		    (unsigned long long)l->committed_size,
		    (unsigned long long)index, (unsigned long long)size);
	r = merkle_inclusion_proof(&rd, index, size, proof, ret_len);
	if (r < 0)
		return ledger_fail(l, r, "cannot build the proof: %s",
		    store_errmsg(l->store));
	if (ret_leaf) {
		id = merkle_stored_hash_index(0, index);
		r = rd.read(rd.userdata, &id, 1, (uint8_t(*)[32])ret_leaf);
		if (r < 0)
			return ledger_fail(l, r, "cannot read leaf %llu",
			    (unsigned long long)index);
	}
	return 0;
}

int
ledger_consistency_proof(struct ledger *l, uint64_t from, uint64_t to,
    uint8_t (*proof)[MERKLE_HASH_LEN], size_t *ret_len)
{
	struct merkle_hash_reader rd = store_hash_reader(l->store);
	int r;

	if (from == 0 || from > to || to > l->committed_size)
		return ledger_fail(l, -ERANGE,
		    "need 0 < from <= to <= %llu (got %llu, %llu)",
		    (unsigned long long)l->committed_size,
		    (unsigned long long)from, (unsigned long long)to);
	r = merkle_consistency_proof(&rd, from, to, proof, ret_len);
	if (r < 0)
		return ledger_fail(l, r, "cannot build the proof: %s",
		    store_errmsg(l->store));
	return 0;
}

/* Subjects. */

static const char subject_lookup_label[] = "consentd subject lookup v1";
static const char subject_mac_label[] = "consentd subject map v1";

int
ledger_subject_lookup_key(const struct hmac_key *key, const char *subject,
    size_t len, uint8_t out[STORE_LOOKUP_LEN])
{
	if (len == 0 || len > LEDGER_SUBJECT_MAX)
		return -EINVAL;
	/* The id is hashed where it is, not copied next to the label. */
	return hmac_key_compute2(key, subject_lookup_label,
	    sizeof(subject_lookup_label), subject, len, out);
}

static int
subject_lookup(struct ledger *l, const char *subject,
    uint8_t out[STORE_LOOKUP_LEN])
{
	return ledger_subject_lookup_key(l->hmac, subject, strlen(subject),
	    out);
}

int
ledger_snapshot_secret(const struct ledger *l, uint8_t out[32])
{
	if (!l->have_secret)
		return -ENOKEY;
	if (out)
		memcpy(out, l->secret, sizeof(l->secret));
	return 0;
}

static int
subject_mac(struct ledger *l, const uint8_t lookup[STORE_LOOKUP_LEN],
    const uint8_t token[STORE_TOKEN_LEN], uint8_t out[32])
{
	uint8_t msg[sizeof(subject_mac_label) + STORE_LOOKUP_LEN +
	    STORE_TOKEN_LEN];

	memcpy(msg, subject_mac_label, sizeof(subject_mac_label));
	memcpy(msg + sizeof(subject_mac_label), lookup, STORE_LOOKUP_LEN);
	memcpy(msg + sizeof(subject_mac_label) + STORE_LOOKUP_LEN, token,
	    STORE_TOKEN_LEN);
	return hmac_key_compute(l->hmac, msg, sizeof(msg), out);
}

/* The token of the subject with this lookup key; a new subject gets
 * new_token (with its MAC new_mac) when create is set. */
static int
subject_token_by_lookup(struct ledger *l, const uint8_t lookup[STORE_LOOKUP_LEN],
    bool create, const uint8_t new_token[STORE_TOKEN_LEN],
    const uint8_t new_mac[32], uint8_t ret_token[STORE_TOKEN_LEN])
{
	struct store_subject s = { 0 };
	uint8_t mac[32];
	int r;

	if (subject_cache_get(l, lookup, ret_token))
		return 0;
	memcpy(s.lookup, lookup, STORE_LOOKUP_LEN);
	r = store_subject_get(l->store, s.lookup, &s);
	if (r >= 0) {
		r = subject_mac(l, s.lookup, s.token, mac);
		if (r < 0)
			return r;
		if (!crypto_memeq(mac, s.mac, sizeof(mac)))
			return ledger_fail(l, -EBADMSG,
			    "the subject map row for this subject fails its MAC check");
		memcpy(ret_token, s.token, STORE_TOKEN_LEN);
		subject_cache_put(l, lookup, ret_token);
		return 0;
	}
	if (r != -ENOENT)
		return ledger_fail(l, r, "cannot read the subject map: %s",
		    store_errmsg(l->store));
	if (!create)
		return -ENOENT;
	memcpy(s.token, new_token, STORE_TOKEN_LEN);
	memcpy(s.mac, new_mac, sizeof(s.mac));
	s.created_at = now_realtime();
	r = store_subject_put(l->store, &s);
	if (r < 0)
		return ledger_fail(l, r, "cannot add to the subject map: %s",
		    store_errmsg(l->store));
	memcpy(ret_token, s.token, STORE_TOKEN_LEN);
	subject_cache_put(l, lookup, ret_token);
	return 0;
}

/* A random token for a subject that may be new, and its MAC. */
static int
subject_new_token(struct ledger *l, const uint8_t lookup[STORE_LOOKUP_LEN],
    uint8_t token[STORE_TOKEN_LEN], uint8_t mac[32])
{
	int r;

	if (l->rand_left < STORE_TOKEN_LEN) {
		r = random_bytes(l->rand_pool, sizeof(l->rand_pool));
		if (r < 0)
			return r;
		l->rand_left = sizeof(l->rand_pool);
	}
	/* Each byte is given out once, then wiped. */
	l->rand_left -= STORE_TOKEN_LEN;
	memcpy(token, l->rand_pool + l->rand_left, STORE_TOKEN_LEN);
	secure_wipe(l->rand_pool + l->rand_left, STORE_TOKEN_LEN);
	return subject_mac(l, lookup, token, mac);
}

int
ledger_subject_token(struct ledger *l, const char *subject, bool create,
    uint8_t ret_token[STORE_TOKEN_LEN])
{
	uint8_t lookup[STORE_LOOKUP_LEN], token[STORE_TOKEN_LEN], mac[32];
	int r;

	if (!l->have_secret)
		return ledger_fail(l, -ENOKEY, "no subject-map secret");
	if (!*subject || strlen(subject) > LEDGER_SUBJECT_MAX)
		return ledger_fail(l, -EINVAL,
		    "a subject id must have 1 to %d bytes", LEDGER_SUBJECT_MAX);
	r = subject_lookup(l, subject, lookup);
	if (r >= 0 && create)
		r = subject_new_token(l, lookup, token, mac);
	if (r < 0)
		return r;
	return subject_token_by_lookup(l, lookup, create, token, mac,
	    ret_token);
}

int
ledger_consent_encode(const json_t *body, struct ledger_consent *ret)
{
	static const char key[] = "\"subject\":\"";
	const uint8_t *at;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = consent_from_body(body, 0, &ret->row);
	if (r >= 0)
		r = ledger_entry_encode("consent", body, &ret->data, &ret->len);
	if (r < 0)
		goto fail;
	/* The body is one flat object with sorted keys, and a '"' inside a
	 * string is escaped: the key occurs once, at top level. */
	at = memmem(ret->data, ret->len, key, strlen(key));
	if (!at || (size_t)(at - ret->data) + strlen(key) +
			2 * STORE_TOKEN_LEN + 1 > ret->len ||
	    at[strlen(key) + 2 * STORE_TOKEN_LEN] != '"') {
		r = -EBADMSG;
		goto fail;
	}
	ret->token_at = (size_t)(at - ret->data) + strlen(key);
	return 0;
fail:
	ledger_consent_done(ret);
	return r;
}

/* The part of preparing that needs the secret: the lookup key, and a
 * token and its MAC should the subject be new. */
static int
consent_prepare_subject(struct ledger *l, const char *subject,
    struct ledger_consent *c)
{
	int r = subject_lookup(l, subject, c->lookup);

	if (r >= 0)
		r = subject_new_token(l, c->lookup, c->new_token, c->new_mac);
	return r;
}

int
ledger_consent_prepare(struct ledger *l, const char *subject,
    const json_t *body, struct ledger_consent *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!l->have_secret)
		return -ENOKEY;
	if (!*subject || strlen(subject) > LEDGER_SUBJECT_MAX)
		return -EINVAL;
	r = ledger_consent_encode(body, ret);
	if (r >= 0)
		r = consent_prepare_subject(l, subject, ret);
	if (r < 0)
		ledger_consent_done(ret);
	return r;
}

int
ledger_consent_prepare_event(struct ledger *l, const struct consent_event *ev,
    usec_t recorded, struct ledger_consent *ret)
{
	static const char header[] = LEDGER_ENTRY_MAGIC " consent\n";
	static const uint8_t blank[STORE_TOKEN_LEN];
	_cleanup_buf_ struct buf b = BUF_INIT(LEDGER_ENTRY_MAX);
	size_t token_at;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!l->have_secret)
		return -ENOKEY;
	if (!*ev->subject || strlen(ev->subject) > LEDGER_SUBJECT_MAX)
		return -EINVAL;
	if (strlen(ev->purpose) >= sizeof(ret->row.purpose))
		return -EBADMSG;
	r = buf_append(&b, header, strlen(header));
	if (r >= 0)
		r = consent_entry_write(ev, blank, recorded, &b, &token_at);
	if (r == -E2BIG)
		return -EMSGSIZE;
	if (r < 0)
		return r;
	/* The row consent_from_body() would read back from these bytes. */
	snprintf(ret->row.purpose, sizeof(ret->row.purpose), "%s",
	    ev->purpose);
	ret->row.kind = ev->kind;
	ret->row.at = ev->at;
	ret->row.expires_at = ev->expires;
	ret->token_at = token_at;
	ret->len = b.len;
	ret->data = (uint8_t *)buf_steal(&b);
	if (!ret->data)
		return -ENOMEM;
	r = consent_prepare_subject(l, ev->subject, ret);
	if (r < 0)
		ledger_consent_done(ret);
	return r;
}

int
ledger_consent_append(struct ledger *l, struct ledger_consent *c,
    uint64_t *ret_index, uint8_t ret_leaf[MERKLE_HASH_LEN])
{
	uint64_t index = merkle_frontier_size(l->tree);
	char hex[2 * STORE_TOKEN_LEN + 1];
	int r;

	if (!l->in_txn)
		return ledger_fail(l, -EINVAL, "append outside a transaction");
	if (!l->have_secret)
		return ledger_fail(l, -ENOKEY, "no subject-map secret");
	r = subject_token_by_lookup(l, c->lookup, true, c->new_token,
	    c->new_mac, c->row.token);
	if (r < 0)
		return r;
	hex_encode(c->row.token, STORE_TOKEN_LEN, hex);
	memcpy(c->data + c->token_at, hex, 2 * STORE_TOKEN_LEN);
	c->row.index = index;
	l->consent_changed = true;
	r = store_consent_add(l->store, &c->row);
	if (r < 0)
		return ledger_fail(l, r, "cannot index entry %llu: %s",
		    (unsigned long long)index, store_errmsg(l->store));
	return ledger_append_indexed(l, c->data, c->len, ret_index, ret_leaf);
}

void
ledger_consent_done(struct ledger_consent *c)
{
	free(c->data);
	c->data = NULL;
	secure_wipe(c->new_mac, sizeof(c->new_mac));
}

int
ledger_subject_erase(struct ledger *l, const char *subject,
    uint64_t *ret_index)
{
	uint8_t token[STORE_TOKEN_LEN], lookup[STORE_LOOKUP_LEN];
	char hex[2 * STORE_TOKEN_LEN + 1], now[TIME_RFC3339_MAX];
	json_t *body;
	int r;

	r = ledger_subject_token(l, subject, false, token);
	if (r < 0)
		return r;
	r = subject_lookup(l, subject, lookup);
	if (r < 0)
		return r;
	l->consent_changed = true;
	subject_cache_clear(l);
	r = store_subject_delete(l->store, lookup);
	if (r < 0)
		return ledger_fail(l, r, "cannot erase the mapping: %s",
		    store_errmsg(l->store));
	hex_encode(token, sizeof(token), hex);
	body = json_pack("{s:s, s:s}", "subject", hex, "recorded",
	    time_format_rfc3339(now_realtime(), now));
	if (!body)
		return -ENOMEM;
	r = ledger_append_json(l, "erasure", body, ret_index, NULL);
	json_decref(body);
	return r;
}

struct subjects_check {
	struct ledger *l;
	uint64_t bad;
};

static int
subjects_check_one(void *userdata, const struct store_subject *s)
{
	struct subjects_check *c = userdata;
	uint8_t mac[32];
	int r = subject_mac(c->l, s->lookup, s->token, mac);

	if (r < 0)
		return r;
	if (!crypto_memeq(mac, s->mac, sizeof(mac)))
		c->bad++;
	return 0;
}

int
ledger_subjects_verify(struct ledger *l, uint64_t *ret_bad)
{
	struct subjects_check c = { .l = l };
	int r;

	if (!l->have_secret)
		return ledger_fail(l, -ENOKEY, "no subject-map secret");
	r = store_subject_foreach(l->store, subjects_check_one, &c);
	if (r < 0)
		return ledger_fail(l, r, "cannot read the subject map: %s",
		    store_errmsg(l->store));
	*ret_bad = c.bad;
	if (c.bad)
		return ledger_fail(l, -EBADMSG,
		    "%llu subject map rows fail their MAC check",
		    (unsigned long long)c.bad);
	return 0;
}

/* The derived consent index. */

/* Parses a consent entry body into the index row; -EBADMSG if malformed. */
static int
consent_from_body(const json_t *body, uint64_t index, struct store_consent *c)
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
	if (streq(event, "grant"))
		c->kind = CONSENT_GRANT;
	else if (streq(event, "revoke"))
		c->kind = CONSENT_REVOKE;
	else if (streq(event, "expire"))
		c->kind = CONSENT_EXPIRE;
	else
		return -EBADMSG;
	if (exp && (!json_is_string(exp) ||
			time_parse_rfc3339(json_string_value(exp),
			    &c->expires_at) < 0))
		return -EBADMSG;
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
	c->index = index;
	return 0;
}

/* Decisions by job, and policy versions by hash. */
static int
index_named(struct ledger *l, const char *kind, const json_t *body,
    uint64_t index)
{
	const char *a, *b;
	int r;

	if (streq(kind, "decision")) {
		a = json_string_value(json_object_get(body, "job"));
		b = json_string_value(json_object_get(body, "decision"));
		if (!a || !b)
			return ledger_fail(l, -EBADMSG,
			    "entry %llu is a malformed decision",
			    (unsigned long long)index);
		r = store_decision_put(l->store, a, index, b);
	} else {
		a = json_string_value(json_object_get(body, "sha256"));
		b = json_string_value(json_object_get(body, "name"));
		if (!a || !b)
			return ledger_fail(l, -EBADMSG,
			    "entry %llu is a malformed policy version",
			    (unsigned long long)index);
		r = store_policy_version_put(l->store, a, index, b);
	}
	if (r < 0)
		return ledger_fail(l, r, "cannot index entry %llu: %s",
		    (unsigned long long)index, store_errmsg(l->store));
	return 0;
}

/* Keeps the derived tables in step with one entry, from its decoded body. */
static int
ledger_index_body(struct ledger *l, uint64_t index, const char *kind,
    const json_t *body)
{
	struct store_consent c;
	int r = 0;

	if (streq(kind, "decision") || streq(kind, "policy")) {
		r = index_named(l, kind, body, index);
	} else if (streq(kind, "consent")) {
		r = consent_from_body(body, index, &c);
		if (r < 0)
			r = ledger_fail(l, r,
			    "entry %llu is a malformed consent event",
			    (unsigned long long)index);
		else {
			l->consent_changed = true;
			r = store_consent_add(l->store, &c);
			if (r < 0)
				r = ledger_fail(l, r,
				    "cannot index entry %llu: %s",
				    (unsigned long long)index,
				    store_errmsg(l->store));
		}
	}
	if (r >= 0 && l->hook && !streq(kind, "consent"))
		r = l->hook(l->hook_userdata, l, index, kind, body);
	return r;
}

static int
ledger_index_entry(struct ledger *l, uint64_t index, const uint8_t *data,
    size_t len)
{
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL;
	int r;

	r = ledger_entry_decode(data, len, kind, &body);
	if (r < 0)
		return ledger_fail(l, r, "entry %llu is not a valid ledger entry",
		    (unsigned long long)index);
	r = ledger_index_body(l, index, kind, body);
	json_decref(body);
	return r;
}

void
ledger_set_index_hook(struct ledger *l, ledger_index_hook fn, void *userdata)
{
	l->hook = fn;
	l->hook_userdata = userdata;
}

struct reindex {
	struct ledger *l;
	uint64_t n;
};

static int
reindex_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	struct reindex *ri = userdata;

	ri->n++;
	return ledger_index_entry(ri->l, index, data, len);
}

int
ledger_reindex_in_txn(struct ledger *l, uint64_t *ret_entries)
{
	struct reindex ri = { .l = l };
	int r;

	l->consent_changed = true;
	r = store_consent_clear(l->store);
	if (r < 0)
		return ledger_fail(l, r, "cannot clear the index: %s",
		    store_errmsg(l->store));
	r = store_entry_foreach(l->store, 0, merkle_frontier_size(l->tree),
	    reindex_entry, &ri);
	if (r < 0)
		return r;
	if (ret_entries)
		*ret_entries = ri.n;
	return 0;
}

int
ledger_reindex(struct ledger *l, uint64_t *ret_entries)
{
	int r;

	r = ledger_begin(l);
	if (r < 0)
		return r;
	r = ledger_reindex_in_txn(l, ret_entries);
	if (r < 0) {
		ledger_rollback(l);
		return r;
	}
	return ledger_commit(l);
}
