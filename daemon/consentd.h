/* consentd: the daemon's structures, and prototypes grouped by the file
 * that defines them. */
#ifndef CONSENTD_H
#define CONSENTD_H

#include <event2/event.h>
#include <event2/http.h>

typedef void (*evhttp_cb)(struct evhttp_request *, void *);
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sys/types.h>

#include "diag.h"
#include "err.h"
#include "macro.h"
#include "timeutil.h"

#define CONSENTD_DEFAULT_CONFIG SYSCONFDIR "/consentd/consentd.yaml"

/* The daemon's configuration; every field is described in consentd.yaml(5).
 * Strings are owned. */
struct config {
	char *source;            /* file it was read from, or "<embedded>" */
	char *state_dir;         /* ledger database, keys */
	char *runtime_dir;       /* socket */
	char *socket_path;       /* Unix socket; default runtime_dir/consentd.sock */
	char *socket_group;      /* group owning the socket (empty: unchanged) */
	int64_t socket_mode;     /* permission bits of the socket */
	char *policies_dir;      /* *.yaml policies */
	char *log_level;         /* debug, info, notice, warning, error */
	int64_t max_request_bytes; /* largest request body accepted */
	int64_t max_header_bytes;  /* largest request head accepted */
	usec_t request_timeout;  /* idle/read timeout of a connection */
	int64_t workers;         /* evaluation worker threads */
	char *ledger_origin;     /* checkpoint origin line and key name */
	usec_t checkpoint_interval; /* minimum time between checkpoints */
	int64_t ledger_batch_max; /* appends per group commit, at most */
	usec_t reservation_ttl;  /* DP budget reservations expire after this */
	char *alert_webhook;     /* URL alerts are POSTed to; empty: none */
	char *alert_format;      /* json or slack */
	int64_t alert_queue_max; /* alerts waiting at most; more are dropped */
	int64_t alert_retries;   /* attempts per alert */
	usec_t alert_timeout;    /* per attempt */
	int64_t alert_budget_percent; /* alert when a budget passes this */
	char *tls_listen;        /* HOST:PORT of the TLS listener; empty: none */
	char *tls_cert;          /* server certificate chain (PEM) */
	char *tls_key;           /* its private key (PEM, mode 0600) */
	char *tls_client_ca;     /* CA for client certificates; empty: none */
	struct access_rule *access; /* who holds which roles (access:) */
	size_t naccess;
	bool access_set;         /* an access: section was given */
};

/* Roles (consentd.yaml(5) "access"): each endpoint needs one. */
enum role {
	ROLE_RECORDER = 1 << 0, /* append consents */
	ROLE_CHECKER = 1 << 1,  /* submit checks, finish jobs */
	ROLE_AUDITOR = 1 << 2,  /* read everything */
	ROLE_ADMIN = 1 << 3,    /* reload, keys, budgets, erase; all of the above */
	ROLE_ALL = ROLE_RECORDER | ROLE_CHECKER | ROLE_AUDITOR | ROLE_ADMIN,
};

/* A principal: a user name, "@group", a numeric uid ("1001") or gid
 * ("@1001"), a TLS client certificate "cert:COMMON-NAME", or a bearer
 * token "token:SHA256-HEX"; roles granted to it. */
struct access_rule {
	char *principal;
	unsigned roles;
};
const char *role_name(unsigned role);

/* config.c */
struct config *config_new_default(void);
void config_free(struct config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free)
/* Reads a YAML file over the defaults in c. Every error goes to d;
 * returns -EINVAL if there were any. */
int config_load_file(struct config *c, const char *path, struct diag *d);
/* The embedded default configuration (what runs with no file at all). */
extern const char config_embedded_default[];
int config_load_string(struct config *c, const char *name, const char *text,
    struct diag *d);
/* Fills unset paths from the environment: $STATE_DIRECTORY and
 * $RUNTIME_DIRECTORY under systemd, /var/lib and /run as root, else the
 * XDG state/runtime directories. */
int config_resolve_paths(struct config *c);
/* Logs a warning for each changed key that a reload cannot apply, and
 * copies the old value back. */
void config_keep_restart_only(struct config *next, const struct config *cur);
json_t *config_to_json(const struct config *c);

/* notify.c: systemd notification and socket activation. */
int notify_send(const char *state);
int notify_sendf(const char *fmt, ...) _printf_(1, 2);
/* Watchdog interval in µs from $WATCHDOG_USEC (0 when not enabled). */
usec_t notify_watchdog_usec(void);
/* Takes sockets passed by systemd ($LISTEN_FDS); returns how many, with
 * the first in *ret_fd (SD_LISTEN_FDS_START). */
int notify_listen_fds(int *ret_fd);

/* server.c: HTTP/1.1 on the event loop. */
struct server;
struct daemon;
int server_new(struct daemon *d, struct server **ret);
void server_free(struct server *s);
/* Stops accepting connections (the socket and the TLS listener). */
void server_stop_accepting(struct server *s);
/* Binds the configured Unix socket, or adopts a socket-activated one. */
int server_listen(struct server *s, const struct config *c);
void server_apply_limits(struct server *s, const struct config *c);
/* Roles of a Unix peer: root and the daemon's own user hold every role;
 * others what the access rules grant their user or any of its groups. */
unsigned access_roles_for_uid(const struct config *c, uid_t uid, gid_t gid);
/* Responses: JSON bodies, with the error table for failures. */
void server_reply_json(struct evhttp_request *req, int status, json_t *body);
/* Sends body, JSON text the caller wrote (drained from body). */
void server_reply_buffer(struct evhttp_request *req, int status,
    struct evbuffer *body);
void server_reply_error(struct evhttp_request *req, enum err_code code,
    const char *fmt, ...) _printf_(3, 4);

/* server.c: request helpers. Each replies with an error itself and
 * returns < 0 when the request cannot go on. */
int server_read_json(struct evhttp_request *req, size_t max, json_t **ret);
int server_query(struct evhttp_request *req, struct evkeyvalq *ret);
/* Sends "HTTP/1.1 102 Processing" with one header line ("Name: value")
 * ahead of the final answer, on a Unix-socket connection whose output is
 * empty (-ENOTSUP on TLS, -EBUSY otherwise). For clients that asked for
 * it: HTTP/1.1 clients must accept an interim answer, but only those that
 * ask act on it. */
int server_send_processing(struct evhttp_request *req, const char *header);
/* 1 when present, 0 when absent and not required. */
int server_query_u64(struct evhttp_request *req, struct evkeyvalq *q,
    const char *name, bool required, uint64_t *ret);

/* ledger.c: the ledger service. One writer thread owns the write
 * connection and commits queued jobs in batches (one transaction, one
 * fsync), then signs a checkpoint at most every checkpoint_interval;
 * reads use a second connection on the event loop. */
struct ledger_service;
struct ledger;
struct ledger_job;
/* Runs on the writer thread inside the batch's transaction. It may fail
 * with a "soft" error (validation, not found) only before it writes. */
typedef int (*ledger_job_run_fn)(struct ledger *l, struct ledger_job *job);
/* Runs on the event loop once the batch is durable (or failed). */
typedef void (*ledger_job_done_fn)(struct ledger_job *job);
struct ledger_job {
	ledger_job_run_fn run;
	ledger_job_done_fn done;
	void *userdata;              /* for run and done */
	struct evhttp_request *req;  /* the request to answer, if any */
	int result;                  /* run's result, or the commit's failure */
	char message[512];           /* what failed */
	json_t *response;            /* built by run (owned) */
	/* When set, the batch is checkpointed at once and response gets a
	 * "receipt": entry receipt_index's inclusion proof under it. */
	bool want_receipt;
	uint64_t receipt_index;
	/* Its failure counts in ledger_service_sequence(): set for consent
	 * appends, which a client may chain (daemon/consents.c). */
	bool sequenced;
	/* Entries it appends, when known: a batch that ends with a large
	 * job takes in the jobs queued while it ran, up to
	 * LEDGER_BATCH_ENTRIES_MAX (ledger_service). */
	size_t entries;
	struct ledger_job *next;
	struct event *ev;
	struct daemon *daemon;
};
int ledger_service_start(struct daemon *d, struct ledger_service **ret);
/* Refuses new jobs, runs the queued ones, stops the writer, and calls the
 * done() of every job the loop did not get to (after the loop stopped). */
void ledger_service_drain(struct ledger_service *s);
/* Jobs submitted whose done() has not returned. */
size_t ledger_service_outstanding(struct ledger_service *s);
void ledger_service_stop(struct ledger_service *s);
/* Queues a job; -EAGAIN when the queue is full. Ownership passes on
 * success: the job is freed after done() returns. */
int ledger_service_submit(struct ledger_service *s, struct ledger_job *job);
struct ledger *ledger_service_reader(struct ledger_service *s);
/* "EPOCH-N": this run of the daemon (random) and how many sequenced jobs
 * have failed so far, as text for a header (SEQUENCE_MAX bytes with the
 * NUL). It moves, on the writer, as soon as such a job fails or its batch
 * does: a job queued while it read S runs after every job queued before,
 * so that if any of those failed, it no longer reads S. */
#define SEQUENCE_MAX 40
void ledger_service_sequence(struct ledger_service *s, char out[SEQUENCE_MAX]);
struct ledger_snapshot;
struct store;
/* A consent snapshot of the current ledger as of `at`, on a read-only
 * connection taken from a small pool (any thread); give both back with
 * ledger_service_snapshot_done(). */
int ledger_service_snapshot(struct ledger_service *s, usec_t at,
    struct ledger_snapshot **ret, struct store **ret_conn, char *err,
    size_t errlen);
void ledger_service_snapshot_done(struct ledger_service *s,
    struct ledger_snapshot *snap, struct store *conn);
/* Gives the snapshot the consent set kept for purpose, if it is still its
 * answer (see ledger_snapshot_import()); true when it took it. */
bool ledger_service_share_sets(struct ledger_service *s,
    struct ledger_snapshot *snap, const char *purpose);
/* Keeps the set the snapshot loaded for purpose for later checks. */
void ledger_service_keep_set(struct ledger_service *s,
    struct ledger_snapshot *snap, const char *purpose);
/* Applies reloadable settings (checkpoint interval, batch size). */
void ledger_service_configure(struct ledger_service *s,
    const struct config *c);
void ledger_job_free(struct ledger_job *job);
/* Whether a job's error leaves the batch usable: the errors a job returns
 * before it writes anything. A job that fails after writing must return
 * another error (the batch is rolled back). */
bool ledger_job_soft_error(int r);
/* Answers job->req from job->result / job->response. */
void ledger_job_reply(struct ledger_job *job);
json_t *ledger_service_stats(struct ledger_service *s);
/* {index, size, leaf_hash, proof, checkpoint}: entry index's inclusion
 * proof under the latest checkpoint, which must cover it. */
json_t *ledger_receipt_json(struct ledger *l, uint64_t index);

void route_checkpoint(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_ledger_key(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_proof_inclusion(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_proof_consistency(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_entries(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_ledger_reindex(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_ledger_verify(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* consents.c: consent events and subjects over HTTP. */
void route_consents_post(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_consents_get(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_subject_erase(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* policies.c: the active policies. */
struct policy;
struct policy_set {
	_Atomic int refs;
	char *dir;
	struct policy **v;   /* sorted by file name */
	char **text;         /* each file's exact bytes */
	size_t *text_len;
	size_t n;
};
/* Loads every *.yaml / *.yml in dir; a missing directory is an empty set.
 * Any error in any file fails the whole load (all are reported in d). */
int policy_set_load(const char *dir, struct policy_set **ret, struct diag *d);
struct policy_set *policy_set_ref(struct policy_set *ps);
void policy_set_unref(struct policy_set *ps);
/* Appends the policy entry for ps->v[i] unless that version (by hash) is
 * in the ledger already; *ret_index is its entry. Writer thread. */
int policy_set_record(struct ledger *l, const struct policy_set *ps, size_t i,
    uint64_t *ret_index);
/* Makes ps the active set (taking the reference) and records it. */
int policies_activate(struct daemon *d, struct policy_set *ps);

/* workers.c: a thread pool for work off the event loop. */
struct workers;
int workers_start(size_t n, size_t max_queued, struct workers **ret);
/* work() runs on a worker, then done() on the event loop. -EAGAIN when
 * the queue is full. */
int workers_submit(struct workers *w, struct event_base *base,
    void (*work)(void *), void (*done)(void *), void *arg);
/* Tasks submitted whose done() has not returned. */
size_t workers_outstanding(struct workers *w);
/* Lets the workers finish every queued task, joins them, and calls the
 * done() of the tasks whose answer the loop did not get to. */
void workers_stop(struct workers *w);

/* check.c: POST /v1/check and job settlement. */
void route_check_post(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* budget.c: differential-privacy budgets. */
struct job;
struct policy_set;
struct dp_curve;
/* A job's privacy cost depends only on the job and on the accountant and
 * delta of a budget rule, not on any budget's state: it is worked out on
 * the worker, before the ledger transaction, once per (accountant, delta)
 * that the evaluation's budget rules name. */
#define BUDGET_COSTS_MAX 8
struct budget_costs {
	size_t n;
	struct budget_cost {
		int accountant;          /* enum dp_accountant */
		double delta;
		struct dp_curve *cost;   /* NULL when r < 0 */
		int r;
		char err[256];
	} v[BUDGET_COSTS_MAX];
};
void budget_costs_prepare(struct budget_costs *bc, const struct job *job,
    const struct policy_set *ps, const json_t *evaluation);
void budget_costs_done(struct budget_costs *bc);
/* In the check's transaction: takes the job's privacy cost for every
 * dp_budget rule that applies (from costs when it has it, else worked out
 * here), reserves it when every budget can pay, and otherwise turns the
 * decision into deny. *ret_budgets describes each budget before and after;
 * *decision and *reason may be replaced. */
int budget_reserve(struct ledger *l, struct daemon *d, const struct job *job,
    const struct budget_costs *costs,
    const struct policy_set *ps, const json_t *evaluation, usec_t at,
    json_t **ret_budgets, char **decision, char **reason);
/* The ledger index hook that keeps budget state. */
int budget_index_entry(void *userdata, struct ledger *l, uint64_t index,
    const char *kind, const json_t *body);
/* Releases reservations past their expiry (a ledger job). */
void budget_expire_tick(struct daemon *d);
void route_job_finish(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_budgets(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* lineage.c: which jobs used whose data. */
void route_lineage(struct daemon *d, struct evhttp_request *req,
    const char *rest);
void route_impact(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* replay.c: re-evaluation of a recorded decision. */
void route_replay(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* tls.c: the optional TLS listener. */
struct tls;
int tls_start(struct daemon *d, evhttp_cb dispatch, void *dispatch_arg,
    struct tls **ret);
void tls_stop(struct tls *t);
void tls_stop_accepting(struct tls *t);
void tls_apply_limits(struct tls *t, const struct config *c);
bool tls_request_is_tls(struct evhttp_request *req);
int tls_request_roles(const struct config *c, struct evhttp_request *req,
    unsigned *ret_roles, char *who, size_t wholen);

/* alerts.c: webhooks. */
struct evbuffer;
int alerts_start(struct daemon *d);
void alerts_stop(struct daemon *d);
/* Queues an alert (never blocks; dropped and counted when the queue is
 * full). details is stolen. */
void alerts_emit(struct daemon *d, const char *event, const char *summary,
    json_t *details);
void alerts_metrics(struct daemon *d, struct evbuffer *out);

/* metrics.c: Prometheus metrics. */
void metrics_check_done(struct daemon *d, const char *decision, usec_t took);
void route_metrics(struct daemon *d, struct evhttp_request *req,
    const char *rest);

/* main.c: the daemon's state, shared by the routes. */
struct daemon {
	struct event_base *base;
	struct config *config;
	struct server *server;
	struct ledger_service *ledger;
	struct policy_set *policies; /* active; checks take a reference */
	struct workers *workers;
	struct metrics *metrics;
	struct alerts *alerts;
	usec_t started_at;       /* realtime */
	uint64_t requests;       /* served since start */
	uint64_t reloads;        /* successful reloads */
	uint64_t reload_failures;
	/* SIGTERM or SIGINT received: no new connection is accepted, new
	 * requests are refused, work in progress is finished. */
	bool stopping;
	usec_t stop_deadline;    /* monotonic; then the loop stops anyway */
	struct event *stop_tick;
};

#endif
