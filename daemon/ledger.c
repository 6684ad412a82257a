/* The ledger service: a writer thread with durable group commit and
 * rate-limited checkpoints, and the read-only ledger routes. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "codec.h"
#include "consentd.h"
#include "crypto.h"
#include "json.h"
#include "ledger.h"
#include "log.h"

#define LEDGER_QUEUE_MAX 65536
#define ENTRIES_PAGE_MAX 1000

#define SNAPSHOT_CONNS_MAX 8
#define CONSENT_SETS_MAX 8

struct ledger_service {
	struct daemon *daemon;
	struct ledger *writer;       /* writer thread only */
	struct ledger *reader;       /* event loop only */
	/* Read-only connections kept for consent snapshots (workers), so
	 * that a check opens no database file; and the secret they need. */
	char *db_path;
	uint8_t secret[32];
	pthread_mutex_t conns_lock;
	struct store *conns[SNAPSHOT_CONNS_MAX];
	size_t nconns;
	/* The consent sets checks loaded, by purpose, for the next checks
	 * to reuse while they are still the answer (under conns_lock). */
	struct kept_set {
		char purpose[128];
		struct ledger_consent_set *set;
	} sets[CONSENT_SETS_MAX];
	size_t nsets;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ledger_job *head, *tail;
	/* Jobs run and handed back to the loop, whose done() has not run
	 * yet (linked by next): at shutdown the loop no longer runs, and
	 * ledger_service_drain() calls them. */
	struct ledger_job *answered;
	size_t queued;
	size_t outstanding;          /* submitted, done() not yet run */
	bool stopping;
	usec_t checkpoint_interval;
	usec_t last_checkpoint;      /* writer thread only */
	size_t batch_max;
	_Atomic uint64_t size;       /* committed entries */
	_Atomic uint64_t checkpoint_size;
	_Atomic uint64_t batches;
	_Atomic uint64_t appends;
	_Atomic uint64_t commit_failures;
	uint64_t epoch;                  /* random, for this run */
	_Atomic uint64_t sequence_failures;
};

static json_t *hashes_json(const uint8_t (*h)[MERKLE_HASH_LEN], size_t n);

void
ledger_job_free(struct ledger_job *job)
{
	if (!job)
		return;
	if (job->ev)
		event_free(job->ev);
	json_decref(job->response);
	free(job);
}

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ledger_job *job = arg;
	struct ledger_service *s = job->daemon->ledger;

	pthread_mutex_lock(&s->lock);
	for (struct ledger_job **p = &s->answered; *p; p = &(*p)->next)
		if (*p == job) {
			*p = job->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	if (job->done)
		job->done(job);
	ledger_job_free(job);
	pthread_mutex_lock(&s->lock);
	s->outstanding--;
	pthread_mutex_unlock(&s->lock);
}

size_t
ledger_service_outstanding(struct ledger_service *s)
{
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->outstanding;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int
ledger_service_submit(struct ledger_service *s, struct ledger_job *job)
{
	job->daemon = s->daemon;
	job->ev = event_new(s->daemon->base, -1, 0, job_done_cb, job);
	if (!job->ev)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (s->queued >= LEDGER_QUEUE_MAX || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		event_free(job->ev);
		job->ev = NULL;
		return -EAGAIN;
	}
	job->next = NULL;
	if (s->tail)
		s->tail->next = job;
	else
		s->head = job;
	s->tail = job;
	s->queued++;
	s->outstanding++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void
service_checkpoint(struct ledger_service *s)
{
	int r = ledger_checkpoint(s->writer);

	if (r < 0)
		log_error("Failed to sign a checkpoint: %s",
		    ledger_errmsg(s->writer));
	else if (r > 0)
		atomic_store(&s->checkpoint_size, ledger_size(s->writer));
}

bool
ledger_job_soft_error(int r)
{
	/* Errors a job reports before it writes anything. */
	return r == -EINVAL || r == -ENOENT || r == -EEXIST || r == -EMSGSIZE ||
	    r == -ERANGE || r == -EDQUOT || r == -EPERM;
}

/* A batch whose jobs appended fewer entries than this, all of them large
 * (bulk consent requests), goes on with the jobs queued while it ran
 * before it commits: a bulk import's next request shares the previous
 * one's transaction and fsync, and an index page that both touch is
 * written to the WAL once. Single appends are never held back for it. */
#define LEDGER_BATCH_ENTRIES_MAX 20000
#define LEDGER_BATCH_JOB_LARGE 1000

/* Takes the first queued job (under s->lock; there must be one). */
static struct ledger_job *
queue_pop(struct ledger_service *s)
{
	struct ledger_job *job = s->head;

	s->head = job->next;
	if (!s->head)
		s->tail = NULL;
	s->queued--;
	job->next = NULL;
	return job;
}

/* The next queued job, if it may join a batch of `entries` so far. */
static struct ledger_job *
service_take_more(struct ledger_service *s, size_t entries)
{
	struct ledger_job *job = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->head && !s->stopping &&
	    s->head->entries >= LEDGER_BATCH_JOB_LARGE &&
	    entries + s->head->entries <= LEDGER_BATCH_ENTRIES_MAX)
		job = queue_pop(s);
	pthread_mutex_unlock(&s->lock);
	return job;
}

/* Runs a batch in one transaction. When a job in it wants a receipt, or a
 * checkpoint is due, the checkpoint of the batch's end is signed and
 * stored in the same transaction: one commit, one fsync, for both. */
static void
service_run_batch(struct ledger_service *s, struct ledger_job *batch)
{
	struct ledger_job *job;
	bool want_cp = now_monotonic() - s->last_checkpoint >=
	    s->checkpoint_interval;
	bool large = true, receipts = false;
	size_t entries = 0;
	int r, staged = 0;

	r = ledger_begin(s->writer);
	for (job = batch; r >= 0 && job; job = job->next) {
		unsigned long failures = json_alloc_failure_count();

		entries += job->entries;
		large &= job->entries >= LEDGER_BATCH_JOB_LARGE;

		job->result = job->run(s->writer, job);
		/* An entry body built while one of jansson's allocations
		 * failed may lack a member: never append it. */
		if (job->result >= 0 && json_alloc_failure_count() != failures) {
			job->result = -ENOMEM;
			snprintf(job->message, sizeof(job->message),
			    "Out of memory while recording");
		}
		if (job->result < 0 && !job->message[0])
			snprintf(job->message, sizeof(job->message), "%s",
			    ledger_errmsg(s->writer));
		if (job->result < 0 && job->sequenced)
			atomic_fetch_add(&s->sequence_failures, 1);
		if (job->result < 0 && !ledger_job_soft_error(job->result))
			r = job->result; /* the transaction is unusable */
		want_cp |= job->want_receipt && job->result >= 0;
		receipts |= job->want_receipt;
		if (!job->next && large && !receipts && r >= 0)
			job->next = service_take_more(s, entries);
	}
	if (r >= 0 && want_cp) {
		staged = ledger_checkpoint_staged(s->writer);
		if (staged < 0) {
			/* The batch stands; the checkpoint is retried on its
			 * own after the commit. */
			log_error("Failed to sign a checkpoint: %s",
			    ledger_errmsg(s->writer));
			staged = 0;
		}
	}
	if (r >= 0)
		r = ledger_commit(s->writer);
	else
		ledger_rollback(s->writer);
	if (r < 0) {
		atomic_fetch_add(&s->commit_failures, 1);
		log_error("Ledger batch failed, nothing in it was recorded: %s",
		    ledger_errmsg(s->writer));
		atomic_fetch_add(&s->sequence_failures, 1);
		for (job = batch; job; job = job->next) {
			job->result = r;
			snprintf(job->message, sizeof(job->message),
			    "Not recorded: %s", ledger_errmsg(s->writer));
			json_decref(job->response);
			job->response = NULL;
		}
	} else {
		atomic_fetch_add(&s->batches, 1);
		atomic_store(&s->size, ledger_size(s->writer));
		if (staged > 0) {
			atomic_store(&s->checkpoint_size,
			    ledger_size(s->writer));
			s->last_checkpoint = now_monotonic();
		}
	}
}

static void *
service_thread(void *arg)
{
	struct ledger_service *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct ledger_job *batch = NULL, **tailp = &batch, *job;
		bool pending_cp = atomic_load(&s->size) !=
		    atomic_load(&s->checkpoint_size);
		size_t n = 0;

		while (!s->head && !s->stopping) {
			if (pending_cp) {
				usec_t due = s->last_checkpoint +
				    s->checkpoint_interval;
				usec_t now = now_monotonic();
				struct timespec ts;
				if (now >= due)
					break;
				clock_gettime(CLOCK_REALTIME, &ts);
				usec_t wait = due - now;
				ts.tv_sec += wait / USEC_PER_SEC;
				ts.tv_nsec += (wait % USEC_PER_SEC) * 1000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&s->cond, &s->lock, &ts);
			} else
				pthread_cond_wait(&s->cond, &s->lock);
		}
		while (s->head && n < s->batch_max) {
			job = queue_pop(s);
			*tailp = job;
			tailp = &job->next;
			n++;
		}
		bool stop = s->stopping && !batch;
		pthread_mutex_unlock(&s->lock);
		if (batch) {
			service_run_batch(s, batch);
			n = 0;
			for (job = batch; job; job = job->next)
				n++;
			atomic_fetch_add(&s->appends, n);
		}
		if (atomic_load(&s->size) != atomic_load(&s->checkpoint_size) &&
		    (stop || now_monotonic() - s->last_checkpoint >=
				s->checkpoint_interval)) {
			service_checkpoint(s);
			s->last_checkpoint = now_monotonic();
		}
		/* A decision comes back with its receipt: its batch carried
		 * its checkpoint, unless signing failed there. */
		bool receipts = false;
		for (job = batch; job; job = job->next)
			receipts |= job->want_receipt && job->result >= 0;
		if (receipts && atomic_load(&s->size) !=
				atomic_load(&s->checkpoint_size)) {
			service_checkpoint(s);
			s->last_checkpoint = now_monotonic();
		}
		for (job = batch; receipts && job; job = job->next)
			if (job->want_receipt && job->result >= 0 &&
			    job->response)
				json_object_set_new(job->response, "receipt",
				    ledger_receipt_json(s->writer,
					job->receipt_index));
		/* Answer only now: the batch is durable (and, when due,
		 * covered by a checkpoint). */
		while (batch) {
			job = batch;
			batch = job->next;
			pthread_mutex_lock(&s->lock);
			job->next = s->answered;
			s->answered = job;
			pthread_mutex_unlock(&s->lock);
			event_active(job->ev, EV_TIMEOUT, 1);
		}
		pthread_mutex_lock(&s->lock);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int
state_path(char **ret, const struct config *c, const char *name)
{
	if (asprintf(ret, "%s/%s", c->state_dir, name) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
ledger_service_start(struct daemon *d, struct ledger_service **ret)
{
	_cleanup_free_ char *db = NULL, *key = NULL, *secret = NULL;
	struct ledger_service *s;
	struct ledger_options o = { 0 };
	char err[512];
	uint64_t bad = 0;
	int r;

	if (state_path(&db, d->config, "ledger.db") < 0 ||
	    state_path(&key, d->config, "ledger.key") < 0 ||
	    state_path(&secret, d->config, "subject.key") < 0)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->daemon = d;
	s->checkpoint_interval = d->config->checkpoint_interval;
	s->batch_max = (size_t)d->config->ledger_batch_max;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	r = random_bytes(&s->epoch, sizeof(s->epoch));
	if (r < 0)
		goto fail;

	o.db_path = db;
	o.key_path = key;
	o.secret_path = secret;
	o.origin = d->config->ledger_origin;
	o.create = true;
	r = ledger_open(&o, &s->writer, err, sizeof(err));
	if (r < 0) {
		log_error("Refusing to start: %s", err);
		goto fail;
	}
	ledger_set_index_hook(s->writer, budget_index_entry, NULL);
	r = ledger_subjects_verify(s->writer, &bad);
	if (r < 0) {
		log_error("Refusing to start: the subject map was tampered with: %s",
		    ledger_errmsg(s->writer));
		goto fail;
	}
	r = ledger_snapshot_secret(s->writer, s->secret);
	if (r < 0) {
		log_error("Refusing to start: no subject-map secret");
		goto fail;
	}
	s->db_path = strdup(db);
	if (!s->db_path) {
		r = -ENOMEM;
		goto fail;
	}
	o.key_path = NULL;
	o.create = false;
	r = ledger_open(&o, &s->reader, err, sizeof(err));
	if (r < 0) {
		log_error("Failed to open the ledger for reading: %s", err);
		goto fail;
	}
	atomic_store(&s->size, ledger_size(s->writer));
	{
		struct store_checkpoint cp = { 0 };
		if (ledger_latest_checkpoint(s->writer, &cp) >= 0) {
			atomic_store(&s->checkpoint_size, cp.size);
			store_checkpoint_done(&cp);
		} else
			atomic_store(&s->checkpoint_size, UINT64_MAX);
	}
	/* A crash may have left committed entries without a checkpoint. */
	service_checkpoint(s);
	log_info("Ledger '%s': %llu entries, key %s", ledger_origin(s->writer),
	    (unsigned long long)ledger_size(s->writer), ledger_vkey(s->writer));
	r = pthread_create(&s->thread, NULL, service_thread, s);
	if (r != 0) {
		r = -r;
		log_error_errno(r, "Failed to start the ledger writer: %m");
		goto fail;
	}
	s->running = true;
	*ret = s;
	return 0;
fail:
	ledger_service_stop(s);
	return r;
}

void
ledger_service_drain(struct ledger_service *s)
{
	if (!s || !s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = false;
	/* The answers the loop did not get to: sent now (on this thread,
	 * the loop having stopped), so that nothing is left behind. */
	for (;;) {
		struct ledger_job *job;

		pthread_mutex_lock(&s->lock);
		job = s->answered;
		pthread_mutex_unlock(&s->lock);
		if (!job)
			break;
		event_del(job->ev);
		job_done_cb(-1, 0, job);
	}
}

void
ledger_service_stop(struct ledger_service *s)
{
	if (!s)
		return;
	ledger_service_drain(s);
	ledger_close(s->writer);
	ledger_close(s->reader);
	for (size_t i = 0; i < s->nconns; i++)
		store_close(s->conns[i]);
	for (size_t i = 0; i < s->nsets; i++)
		ledger_consent_set_unref(s->sets[i].set);
	pthread_mutex_destroy(&s->conns_lock);
	secure_wipe(s->secret, sizeof(s->secret));
	free(s->db_path);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

void
ledger_service_configure(struct ledger_service *s, const struct config *c)
{
	pthread_mutex_lock(&s->lock);
	s->checkpoint_interval = c->checkpoint_interval;
	s->batch_max = (size_t)c->ledger_batch_max;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

struct ledger *
ledger_service_reader(struct ledger_service *s)
{
	return s->reader;
}

void
ledger_service_sequence(struct ledger_service *s, char out[SEQUENCE_MAX])
{
	snprintf(out, SEQUENCE_MAX, "%016" PRIx64 "-%" PRIu64, s->epoch,
	    atomic_load(&s->sequence_failures));
}

int
ledger_service_snapshot(struct ledger_service *s, usec_t at,
    struct ledger_snapshot **ret, struct store **ret_conn, char *err,
    size_t errlen)
{
	struct store *conn = NULL;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		pthread_mutex_lock(&s->conns_lock);
		conn = s->nconns ? s->conns[--s->nconns] : NULL;
		pthread_mutex_unlock(&s->conns_lock);
		if (!conn) {
			r = store_open(s->db_path, STORE_READ_ONLY, &conn, err,
			    errlen);
			if (r < 0)
				return r;
			/* Up to SNAPSHOT_CONNS_MAX of these stay open: bound
			 * what each keeps of the scans it made. */
			(void)store_cache_limit(conn, 8192);
		}
		r = ledger_snapshot_open_store(conn, s->secret, 0, at, ret);
		if (r >= 0) {
			*ret_conn = conn;
			return 0;
		}
		/* A kept connection that fails is dropped; a new one is
		 * tried once. */
		snprintf(err, errlen, "cannot read the ledger: %s",
		    store_errmsg(conn));
		store_close(conn);
	}
	return r;
}

bool
ledger_service_share_sets(struct ledger_service *s,
    struct ledger_snapshot *snap, const char *purpose)
{
	bool used = false;

	pthread_mutex_lock(&s->conns_lock);
	for (size_t i = 0; i < s->nsets && !used; i++)
		if (streq(s->sets[i].purpose, purpose))
			used = ledger_snapshot_import(snap, s->sets[i].set) > 0;
	pthread_mutex_unlock(&s->conns_lock);
	return used;
}

void
ledger_service_keep_set(struct ledger_service *s,
    struct ledger_snapshot *snap, const char *purpose)
{
	struct ledger_consent_set *set = NULL, *old = NULL;
	size_t i;

	if (strlen(purpose) >= sizeof(s->sets[0].purpose) ||
	    ledger_snapshot_export(snap, purpose, &set) < 0)
		return;
	pthread_mutex_lock(&s->conns_lock);
	for (i = 0; i < s->nsets; i++)
		if (streq(s->sets[i].purpose, purpose))
			break;
	if (i == s->nsets) {
		if (s->nsets == CONSENT_SETS_MAX) {
			/* Forget the oldest. */
			old = s->sets[0].set;
			memmove(&s->sets[0], &s->sets[1],
			    (CONSENT_SETS_MAX - 1) * sizeof(s->sets[0]));
			i = CONSENT_SETS_MAX - 1;
		} else
			s->nsets++;
		snprintf(s->sets[i].purpose, sizeof(s->sets[i].purpose), "%s",
		    purpose);
	} else
		old = s->sets[i].set;
	s->sets[i].set = set;
	pthread_mutex_unlock(&s->conns_lock);
	ledger_consent_set_unref(old);
}

void
ledger_service_snapshot_done(struct ledger_service *s,
    struct ledger_snapshot *snap, struct store *conn)
{
	ledger_snapshot_close(snap);
	if (!conn)
		return;
	pthread_mutex_lock(&s->conns_lock);
	if (s->nconns < SNAPSHOT_CONNS_MAX) {
		s->conns[s->nconns++] = conn;
		conn = NULL;
	}
	pthread_mutex_unlock(&s->conns_lock);
	store_close(conn);
}

json_t *
ledger_service_stats(struct ledger_service *s)
{
	uint64_t cps = atomic_load(&s->checkpoint_size);

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "size",
	    (json_int_t)atomic_load(&s->size), "checkpoint_size",
	    (json_int_t)(cps == UINT64_MAX ? 0 : cps), "batches",
	    (json_int_t)atomic_load(&s->batches), "appends",
	    (json_int_t)atomic_load(&s->appends), "commit_failures",
	    (json_int_t)atomic_load(&s->commit_failures), "origin",
	    ledger_origin(s->reader) ? ledger_origin(s->reader) : "");
}

json_t *
ledger_receipt_json(struct ledger *l, uint64_t index)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct store_checkpoint cp = { 0 };
	char *leaf64;
	json_t *o = NULL;
	size_t n;

	if (ledger_latest_checkpoint(l, &cp) < 0)
		return json_null();
	if (index < cp.size &&
	    ledger_inclusion_proof(l, index, cp.size, proof, &n, leaf) >= 0) {
		leaf64 = base64_encode(leaf, sizeof(leaf));
		o = json_pack("{s:I, s:I, s:s, s:o, s:s}", "index",
		    (json_int_t)index, "size", (json_int_t)cp.size, "leaf_hash",
		    leaf64 ? leaf64 : "", "proof",
		    hashes_json((const uint8_t(*)[32])proof, n), "checkpoint",
		    cp.note);
		free(leaf64);
	}
	store_checkpoint_done(&cp);
	return o ? o : json_null();
}

void
ledger_job_reply(struct ledger_job *job)
{
	if (!job->req)
		return;
	if (job->result >= 0) {
		server_reply_json(job->req, 200, job->response);
		job->response = NULL;
		return;
	}
	server_reply_error(job->req, err_from_errno(job->result), "%s",
	    job->message[0] ? job->message : strerror(-job->result));
}

/* Read routes. */

static struct ledger *
reader_for(struct daemon *d, struct evhttp_request *req)
{
	struct ledger *l = ledger_service_reader(d->ledger);

	if (ledger_refresh(l) < 0) {
		server_reply_error(req, ERR_STORAGE, "%s", ledger_errmsg(l));
		return NULL;
	}
	return l;
}

static json_t *
hashes_json(const uint8_t (*h)[MERKLE_HASH_LEN], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		char *b = base64_encode(h[i], MERKLE_HASH_LEN);
		if (!b || json_array_append_new(a, json_string(b)) < 0) {
			free(b);
			json_decref(a);
			return NULL;
		}
		free(b);
	}
	return a;
}

static json_t *
checkpoint_json(const struct store_checkpoint *cp)
{
	char t[TIME_RFC3339_MAX];
	char *root = base64_encode(cp->root, sizeof(cp->root));
	json_t *o;

	if (!root)
		return NULL;
	o = json_pack("{s:I, s:s, s:s, s:s}", "size", (json_int_t)cp->size,
	    "root", root, "note", cp->note, "created_at",
	    time_format_rfc3339(cp->created_at, t));
	free(root);
	return o;
}

void
route_checkpoint(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	struct ledger *l = reader_for(d, req);
	struct store_checkpoint cp = { 0 };
	json_t *o;
	int r;

	if (!l)
		return;
	r = ledger_latest_checkpoint(l, &cp);
	if (r < 0) {
		server_reply_error(req, r == -ENOENT ? ERR_UNAVAILABLE :
						       ERR_STORAGE,
		    r == -ENOENT ? "No checkpoint has been signed yet" :
				   "Cannot read the checkpoint");
		return;
	}
	o = checkpoint_json(&cp);
	if (o)
		json_object_set_new(o, "origin", json_string(ledger_origin(l)));
	store_checkpoint_done(&cp);
	server_reply_json(req, 200, o);
}

void
route_ledger_key(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	struct ledger *l = ledger_service_reader(d->ledger);
	_cleanup_free_ char *vkey = NULL;

	if (store_meta_get(ledger_store(l), "vkey", &vkey) < 0) {
		server_reply_error(req, ERR_STORAGE, "No verifier key recorded");
		return;
	}
	server_reply_json(req, 200, json_pack("{s:s, s:s}", "vkey", vkey,
	    "origin", ledger_origin(l)));
}

void
route_proof_inclusion(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct store_checkpoint cp = { 0 };
	struct evkeyvalq q;
	struct ledger *l;
	uint64_t index = 0, size = 0;
	size_t n;
	int r, has_size;
	json_t *o;
	char *leaf64;

	if (server_query(req, &q) < 0)
		return;
	if (server_query_u64(req, &q, "index", true, &index) < 0 ||
	    (has_size = server_query_u64(req, &q, "size", false, &size)) < 0)
		goto out;
	l = reader_for(d, req);
	if (!l)
		goto out;
	r = has_size ? store_checkpoint_covering(ledger_store(l), size, &cp) :
		       ledger_latest_checkpoint(l, &cp);
	if (r < 0 && r != -ENOENT) {
		server_reply_error(req, ERR_STORAGE, "Cannot read checkpoints");
		goto out;
	}
	if (!has_size) {
		if (r == -ENOENT) {
			server_reply_error(req, ERR_UNAVAILABLE,
			    "No checkpoint has been signed yet");
			goto out;
		}
		size = cp.size;
	}
	if (index >= size) {
		server_reply_error(req, ERR_OUT_OF_RANGE,
		    "Entry %llu is not in a tree of size %llu%s",
		    (unsigned long long)index, (unsigned long long)size,
		    has_size ? "" : " (the latest checkpoint); retry shortly");
		goto out;
	}
	/* One read transaction for all the proof's hashes. */
	store_read_begin(ledger_store(l));
	r = ledger_inclusion_proof(l, index, size, proof, &n, leaf);
	store_read_end(ledger_store(l));
	if (r < 0) {
		server_reply_error(req, err_from_errno(r), "%s", ledger_errmsg(l));
		goto out;
	}
	leaf64 = base64_encode(leaf, sizeof(leaf));
	o = json_pack("{s:I, s:I, s:s, s:o}", "index", (json_int_t)index, "size",
	    (json_int_t)size, "leaf_hash", leaf64 ? leaf64 : "", "proof",
	    hashes_json((const uint8_t(*)[32])proof, n));
	free(leaf64);
	if (o && cp.note && cp.size == size)
		json_object_set_new(o, "checkpoint", json_string(cp.note));
	server_reply_json(req, 200, o);
out:
	store_checkpoint_done(&cp);
	evhttp_clear_headers(&q);
}

void
route_proof_consistency(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct evkeyvalq q;
	struct ledger *l;
	uint64_t from = 0, to = 0;
	size_t n;
	int r;

	if (server_query(req, &q) < 0)
		return;
	if (server_query_u64(req, &q, "from", true, &from) < 0 ||
	    server_query_u64(req, &q, "to", true, &to) < 0)
		goto out;
	l = reader_for(d, req);
	if (!l)
		goto out;
	store_read_begin(ledger_store(l));
	r = ledger_consistency_proof(l, from, to, proof, &n);
	store_read_end(ledger_store(l));
	if (r < 0) {
		server_reply_error(req, err_from_errno(r), "%s", ledger_errmsg(l));
		goto out;
	}
	server_reply_json(req, 200,
	    json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to",
		(json_int_t)to, "proof",
		hashes_json((const uint8_t(*)[32])proof, n)));
out:
	evhttp_clear_headers(&q);
}

static int
entry_json_append(void *userdata, uint64_t index, const uint8_t *data,
    size_t len)
{
	json_t *a = userdata, *body = NULL;
	char kind[LEDGER_KIND_MAX + 1];
	char *leaf = base64_encode(data, len);

	if (!leaf)
		return -ENOMEM;
	if (ledger_entry_decode(data, len, kind, &body) < 0) {
		snprintf(kind, sizeof(kind), "invalid");
		body = json_null();
	}
	json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:o}", "index",
	    (json_int_t)index, "kind", kind, "leaf", leaf, "entry", body));
	free(leaf);
	return 0;
}

void
route_entries(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	struct evkeyvalq q;
	struct ledger *l;
	uint64_t start = 0, end = 0, size;
	int has_end, r;
	json_t *a;

	if (server_query(req, &q) < 0)
		return;
	if (server_query_u64(req, &q, "start", false, &start) < 0 ||
	    (has_end = server_query_u64(req, &q, "end", false, &end)) < 0)
		goto out;
	l = reader_for(d, req);
	if (!l)
		goto out;
	size = ledger_size(l);
	if (!has_end || end > size)
		end = size;
	if (end > start && end - start > ENTRIES_PAGE_MAX)
		end = start + ENTRIES_PAGE_MAX;
	a = json_array();
	r = a ? 0 : -ENOMEM;
	if (r >= 0 && end > start)
		r = store_entry_foreach(ledger_store(l), start, end,
		    entry_json_append, a);
	if (r < 0) {
		json_decref(a);
		server_reply_error(req, ERR_STORAGE, "Cannot read entries");
		goto out;
	}
	server_reply_json(req, 200,
	    json_pack("{s:I, s:I, s:I, s:o}", "start", (json_int_t)start, "end",
		(json_int_t)(end > start ? end : start), "size",
		(json_int_t)size, "entries", a));
out:
	evhttp_clear_headers(&q);
}

static int
reindex_run(struct ledger *l, struct ledger_job *job)
{
	uint64_t n = 0;
	int r = ledger_reindex_in_txn(l, &n);

	if (r >= 0)
		job->response = json_pack("{s:I}", "entries", (json_int_t)n);
	return r;
}

void
route_ledger_reindex(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	struct ledger_job *job = calloc(1, sizeof(*job));

	if (!job) {
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	job->run = reindex_run;
	job->done = ledger_job_reply;
	job->req = req;
	if (ledger_service_submit(d->ledger, job) < 0) {
		ledger_job_free(job);
		server_reply_error(req, ERR_UNAVAILABLE, "The ledger is busy");
	}
}

/* Verification through the socket also checks what only the daemon can:
 * the subject map's MACs, with the deployment secret. */
static int
verify_run(struct ledger *l, struct ledger_job *job)
{
	struct ledger_verify_report rep;
	struct note_verifier v;
	_cleanup_free_ char *db = NULL;
	uint64_t bad = 0;
	int r, rs;

	rs = ledger_subjects_verify(l, &bad);
	r = note_verifier_parse(ledger_vkey(l), &v);
	if (r < 0)
		return r;
	r = state_path(&db, job->daemon->config, "ledger.db");
	if (r < 0)
		return r;
	r = ledger_verify_db(db, &v, NULL, LEDGER_VERIFY_ALLOW_UNSIGNED_TAIL,
	    &rep);
	job->response = json_pack("{s:b, s:I, s:I, s:I, s:s, s:I}", "ok",
	    rep.ok && rs >= 0, "entries", (json_int_t)rep.entries,
	    "checkpoints", (json_int_t)rep.checkpoints, "latest_size",
	    (json_int_t)rep.latest_size, "message",
	    !rep.ok ? rep.message : rs < 0 ? ledger_errmsg(l) : "ledger verified",
	    "subject_map_bad_rows", (json_int_t)bad);
	if (job->response && rep.has_bad_index)
		json_object_set_new(job->response, "bad_index",
		    json_integer((json_int_t)rep.bad_index));
	return 0;
}

static void
verify_done(struct ledger_job *job)
{
	if (job->result >= 0 &&
	    !json_is_true(json_object_get(job->response, "ok"))) {
		char summary[600];
		snprintf(summary, sizeof(summary),
		    "consentd: ledger verification FAILED: %s",
		    json_string_value(json_object_get(job->response, "message")));
		alerts_emit(job->daemon, "verify.failed", summary,
		    json_deep_copy(job->response));
	}
	ledger_job_reply(job);
}

void
route_ledger_verify(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	struct ledger_job *job = calloc(1, sizeof(*job));

	if (!job) {
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	job->run = verify_run;
	job->done = verify_done;
	job->req = req;
	if (ledger_service_submit(d->ledger, job) < 0) {
		ledger_job_free(job);
		server_reply_error(req, ERR_UNAVAILABLE, "The ledger is busy");
	}
}
