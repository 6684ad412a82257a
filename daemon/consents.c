/* Consent events and subjects over HTTP: recording, queries as of any
 * time or ledger size, and erasure. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <event2/buffer.h>

#include "codec.h"
#include "consent.h"
#include "crypto.h"
#include "consentd.h"
#include "json.h"
#include "ledger.h"
#include "log.h"

#define CONSENTS_PER_REQUEST_MAX 10000

/* The events of one request. They are validated on the event loop before
 * anything is queued (all or nothing), then prepared there (entry bytes,
 * lookup keys, index rows: ledger_consent_prepare()) so that the ledger
 * writer only serializes: subject tokens, the token in each entry, and
 * the appends. A large request is queued as soon as it is validated and
 * prepared while the writer appends what is ready: the two threads work
 * on it at once. */
#define CONSENTS_STREAM_MIN 256   /* events: below this, prepare first */
#define CONSENTS_STREAM_STEP 64   /* events prepared between wake-ups */

struct consents_job {
	struct consent_event *parsed; /* validated events */
	struct ledger_consent *events;
	size_t n;
	uint64_t first_index;         /* set by the writer */
	uint8_t (*leaves)[MERKLE_HASH_LEN];
	bool streaming;
	pthread_mutex_t lock;         /* when streaming */
	pthread_cond_t cond;
	size_t prepared;              /* events[0..prepared) are ready */
	int prep_error;               /* preparation stopped */
	/* Consentd-After: the sequence the request follows; the job runs
	 * only while it still reads that (ledger_service_sequence()). */
	char after[SEQUENCE_MAX];
};

static void
consents_job_free(struct consents_job *cj)
{
	if (!cj)
		return;
	for (size_t i = 0; i < cj->n; i++) {
		consent_event_done(&cj->parsed[i]);
		ledger_consent_done(&cj->events[i]);
	}
	if (cj->streaming) {
		pthread_mutex_destroy(&cj->lock);
		pthread_cond_destroy(&cj->cond);
	}
	free(cj->parsed);
	free(cj->events);
	free(cj->leaves);
	free(cj);
}

/* Waits until event i is prepared; on the writer. */
static int
consents_wait(struct consents_job *cj, size_t i)
{
	int r = 0;

	pthread_mutex_lock(&cj->lock);
	while (cj->prepared <= i && !cj->prep_error)
		pthread_cond_wait(&cj->cond, &cj->lock);
	if (cj->prepared <= i)
		r = cj->prep_error;
	pthread_mutex_unlock(&cj->lock);
	return r;
}

/* Publishes events[0..n) as prepared, or the error that stopped it. */
static void
consents_publish(struct consents_job *cj, size_t n, int error)
{
	pthread_mutex_lock(&cj->lock);
	cj->prepared = n;
	if (error)
		cj->prep_error = error;
	pthread_cond_signal(&cj->cond);
	pthread_mutex_unlock(&cj->lock);
}

static int
consents_run(struct ledger *l, struct ledger_job *job)
{
	struct consents_job *cj = job->userdata;
	char now[SEQUENCE_MAX];
	int r = 0;

	if (cj->after[0]) {
		ledger_service_sequence(job->daemon->ledger, now);
		if (!streq(now, cj->after)) {
			snprintf(job->message, sizeof(job->message),
			    "Not recorded: a request before it in its sequence was not recorded");
			return -EEXIST;
		}
	}
	for (size_t i = 0; i < cj->n; i++) {
		uint64_t index;

		if (cj->streaming && (r = consents_wait(cj, i)) < 0) {
			snprintf(job->message, sizeof(job->message),
			    "Not recorded: preparing the events failed");
			break;
		}
		r = ledger_consent_append(l, &cj->events[i], &index,
		    cj->leaves[i]);
		if (r < 0)
			break;
		if (i == 0)
			cj->first_index = index;
	}
	/* What was written for this job (entries, subject rows) cannot be
	 * taken back alone: any failure fails the whole batch. */
	return ledger_job_soft_error(r) ? -EIO : r;
}

/* {"entries":[{"index":N,"leaf_hash":"..."},...],"size":N}, written on the
 * event loop as text: numbers and base64 need no escaping, and a request
 * of 10,000 events would otherwise build 10,000 JSON objects. */
static struct evbuffer *
consents_response(const struct consents_job *cj)
{
	struct evbuffer *out = evbuffer_new();
	int r = out ? evbuffer_add_printf(out, "{\"entries\":[") : -1;

	for (size_t i = 0; r >= 0 && i < cj->n; i++) {
		_cleanup_free_ char *leaf64 = base64_encode(cj->leaves[i],
		    MERKLE_HASH_LEN);

		r = leaf64 ? evbuffer_add_printf(out,
		    "%s{\"index\":%" PRIu64 ",\"leaf_hash\":\"%s\"}",
		    i ? "," : "", cj->first_index + i, leaf64) : -1;
	}
	if (r >= 0)
		r = evbuffer_add_printf(out, "],\"size\":%" PRIu64 "}\n",
		    cj->first_index + cj->n);
	if (r < 0 && out) {
		evbuffer_free(out);
		out = NULL;
	}
	return out;
}

static void
consents_done(struct ledger_job *job)
{
	struct evbuffer *out;

	if (job->result >= 0 && job->req) {
		out = consents_response(job->userdata);
		if (out) {
			server_reply_buffer(job->req, 200, out);
			evbuffer_free(out);
			job->req = NULL;
		} else {
			job->result = -ENOMEM;
			snprintf(job->message, sizeof(job->message),
			    "Out of memory building the answer (the events were recorded)");
		}
	}
	ledger_job_reply(job);
	consents_job_free(job->userdata);
}

/* Prepares one validated event; -EINVAL with err set if it cannot be
 * recorded. */
static int
consents_prepare(struct ledger *reader, const struct consent_event *ev,
    usec_t now, struct ledger_consent *ret, char *err, size_t errlen)
{
	int r = ledger_consent_prepare_event(reader, ev, now, ret);

	if (r == -EMSGSIZE || r == -EINVAL || r == -EBADMSG) {
		snprintf(err, errlen, r == -EMSGSIZE ?
		    "the event's ledger entry would exceed the maximum size" :
		    "the event cannot be recorded");
		r = -EINVAL;
	}
	return r;
}

static void
consents_reply_prepare_error(struct evhttp_request *req, const json_t *in,
    size_t i, int r, const char *err)
{
	if (r != -EINVAL)
		server_reply_error(req, err_from_errno(r),
		    "Cannot prepare the events: %s", strerror(-r));
	else if (json_is_array(in))
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Event %zu: %s (nothing was recorded)", i, err);
	else
		server_reply_error(req, ERR_INVALID_ARGUMENT, "%s", err);
}

/*
 * Sequences: a client that sends several requests whose order matters
 * (consentctl consent import) asks with "Consentd-Ack: queued" to hear
 * as soon as a request is queued, in an interim "102 Processing" answer
 * that carries "Consentd-Queued: SEQUENCE"; it may then send the next
 * request, on another connection, with "Consentd-After: SEQUENCE". That
 * one is queued after the first (so appended after it), and is recorded
 * only if nothing queued before it failed: if the sequence moved when it
 * arrives, or when the writer comes to it, it is refused whole (409).
 */
static int
consents_check_after(struct daemon *d, struct evhttp_request *req,
    char after[SEQUENCE_MAX])
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Consentd-After");
	char now[SEQUENCE_MAX];

	after[0] = '\0';
	if (!v)
		return 0;
	if (strlen(v) >= SEQUENCE_MAX) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Header Consentd-After is not a sequence");
		return -EINVAL;
	}
	ledger_service_sequence(d->ledger, now);
	if (!streq(v, now)) {
		server_reply_error(req, ERR_CONFLICT,
		    "A request before this one in its sequence was not recorded (or the daemon restarted); nothing of this one was");
		return -EEXIST;
	}
	memcpy(after, now, SEQUENCE_MAX);
	return 0;
}

static void
consents_ack_queued(struct evhttp_request *req, const char *sequence)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Consentd-Ack");
	char header[SEQUENCE_MAX + 32];

	if (!v || !streq(v, "queued"))
		return;
	snprintf(header, sizeof(header), "Consentd-Queued: %s", sequence);
	/* Without it (TLS, a full socket) the client waits for the final
	 * answer before it sends the next request: slower, as correct. */
	(void)server_send_processing(req, header);
}

void
route_consents_post(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	/* The request's JSON lives in an arena: up to 10,000 events parsed
	 * at once, about twenty allocations each, all released together.
	 * Declared first, so that it ends after in is released. */
	_cleanup_(json_arena_end) struct json_arena arena = { 0 };
	_cleanup_json_ json_t *in = NULL;
	struct ledger *reader = ledger_service_reader(d->ledger);
	struct consents_job *cj;
	struct ledger_job *job;
	usec_t now = now_realtime();
	char err[256] = "", after[SEQUENCE_MAX], sequence[SEQUENCE_MAX];
	size_t n, i;
	int r;

	json_arena_begin(&arena);
	if (consents_check_after(d, req, after) < 0)
		return;
	if (server_read_json(req, (size_t)d->config->max_request_bytes, &in) < 0)
		return;
	n = json_is_array(in) ? json_array_size(in) : 1;
	if (n == 0 || n > CONSENTS_PER_REQUEST_MAX) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Send 1 to %d consent events per request",
		    CONSENTS_PER_REQUEST_MAX);
		return;
	}
	cj = calloc(1, sizeof(*cj));
	job = calloc(1, sizeof(*job));
	if (!cj || !job || !(cj->parsed = calloc(n, sizeof(*cj->parsed))) ||
	    !(cj->events = calloc(n, sizeof(*cj->events))) ||
	    !(cj->leaves = calloc(n, sizeof(*cj->leaves)))) {
		consents_job_free(cj);
		free(job);
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	/* All or nothing: every event is checked before any is queued. */
	for (i = 0; i < n; i++) {
		json_t *ev = json_is_array(in) ? json_array_get(in, i) : in;

		r = consent_event_parse(ev, now, &cj->parsed[i], err,
		    sizeof(err));
		if (r < 0) {
			consents_job_free(cj);
			free(job);
			consents_reply_prepare_error(req, in, i, r, err);
			return;
		}
		cj->n++;
	}
	job->run = consents_run;
	job->done = consents_done;
	job->userdata = cj;
	job->req = req;
	job->sequenced = true;
	job->entries = n;
	memcpy(cj->after, after, sizeof(after));
	cj->streaming = n >= CONSENTS_STREAM_MIN;
	if (cj->streaming) {
		pthread_mutex_init(&cj->lock, NULL);
		pthread_cond_init(&cj->cond, NULL);
		/* Read before queueing: the job's own failure moves it. */
		ledger_service_sequence(d->ledger, sequence);
		r = ledger_service_submit(d->ledger, job);
		if (r < 0)
			goto busy;
		/* The job is queued: from here on it is answered by
		 * consents_done(), which runs on this loop after this
		 * function returns. A failure now fails the batch. */
		consents_ack_queued(req, sequence);
	}
	for (i = 0; i < n; i++) {
		r = consents_prepare(reader, &cj->parsed[i], now, &cj->events[i],
		    err, sizeof(err));
		if (r < 0 && cj->streaming) {
			log_error("Preparing consent event %zu failed: %s", i,
			    *err ? err : strerror(-r));
			consents_publish(cj, i, -EIO);
			return;
		}
		if (r < 0) {
			ledger_job_free(job);
			consents_job_free(cj);
			consents_reply_prepare_error(req, in, i, r, err);
			return;
		}
		if (cj->streaming &&
		    ((i + 1) % CONSENTS_STREAM_STEP == 0 || i + 1 == n))
			consents_publish(cj, i + 1, 0);
	}
	if (cj->streaming)
		return;
	ledger_service_sequence(d->ledger, sequence);
	r = ledger_service_submit(d->ledger, job);
	if (r >= 0) {
		consents_ack_queued(req, sequence);
		return;
	}
busy:
	ledger_job_free(job);
	consents_job_free(cj);
	server_reply_error(req, ERR_UNAVAILABLE, "The ledger queue is full; retry");
}

struct state_walk {
	json_t *purposes;
	usec_t at;
};

static int
state_walk_row(void *userdata, const struct store_consent *c)
{
	struct state_walk *w = userdata;
	char at[TIME_RFC3339_MAX], exp[TIME_RFC3339_MAX];
	const char *status;
	json_t *o;

	if (c->kind != CONSENT_GRANT)
		status = c->kind == CONSENT_REVOKE ? "revoked" : "expired";
	else if (c->expires_at && c->expires_at <= w->at)
		status = "expired";
	else
		status = "active";
	o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "purpose", c->purpose,
	    "status", status, "event", consent_kind_name(c->kind), "at",
	    time_format_rfc3339(c->at, at), "index", (json_int_t)c->index);
	if (o && c->expires_at)
		json_object_set_new(o, "expires",
		    json_string(time_format_rfc3339(c->expires_at, exp)));
	json_array_append_new(w->purposes, o);
	return 0;
}

void
route_consents_get(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	uint8_t token[STORE_TOKEN_LEN];
	char hex[2 * STORE_TOKEN_LEN + 1], at_s[TIME_RFC3339_MAX];
	_cleanup_free_ char *subject = NULL;
	struct state_walk w = { .at = now_realtime() };
	struct evkeyvalq q;
	struct ledger *l = ledger_service_reader(d->ledger);
	const char *purpose, *at;
	uint64_t size = 0;
	int has_size, r;

	subject = evhttp_uridecode(rest, 0, NULL);
	if (!subject || !*subject) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Expected /v1/consents/SUBJECT");
		return;
	}
	if (server_query(req, &q) < 0)
		return;
	purpose = evhttp_find_header(&q, "purpose");
	at = evhttp_find_header(&q, "at");
	has_size = server_query_u64(req, &q, "size", false, &size);
	if (has_size < 0)
		goto out;
	if (at && time_parse_rfc3339(at, &w.at) < 0) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Query parameter 'at' must be an RFC 3339 time");
		goto out;
	}
	if (purpose && !consent_purpose_valid(purpose)) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Query parameter 'purpose' is not a valid purpose key");
		goto out;
	}
	if (ledger_refresh(l) < 0) {
		server_reply_error(req, ERR_STORAGE, "%s", ledger_errmsg(l));
		goto out;
	}
	if (!has_size || size > ledger_size(l))
		size = ledger_size(l);
	r = ledger_subject_token(l, subject, false, token);
	if (r == -ENOENT) {
		server_reply_error(req, ERR_NOT_FOUND,
		    "No consent was ever recorded for this subject (or it was erased)");
		goto out;
	}
	if (r < 0) {
		server_reply_error(req, err_from_errno(r), "%s", ledger_errmsg(l));
		goto out;
	}
	w.purposes = json_array();
	r = store_consent_state(ledger_store(l), token, purpose, w.at, size,
	    state_walk_row, &w);
	if (r < 0) {
		json_decref(w.purposes);
		server_reply_error(req, ERR_STORAGE, "Cannot read consent state");
		goto out;
	}
	hex_encode(token, sizeof(token), hex);
	server_reply_json(req, 200,
	    json_pack("{s:s, s:{s:s, s:I}, s:o}", "token", hex, "as_of", "time",
		time_format_rfc3339(w.at, at_s), "size", (json_int_t)size,
		"purposes", w.purposes));
out:
	evhttp_clear_headers(&q);
}

struct erase_job {
	char *subject;
};

static int
erase_run(struct ledger *l, struct ledger_job *job)
{
	struct erase_job *ej = job->userdata;
	uint64_t index;
	int r;

	r = ledger_subject_erase(l, ej->subject, &index);
	if (r == -ENOENT) {
		snprintf(job->message, sizeof(job->message),
		    "No such subject (never recorded, or already erased)");
		return r;
	}
	if (r < 0)
		return r;
	job->response = json_pack("{s:b, s:I}", "erased", 1, "index",
	    (json_int_t)index);
	return 0;
}

static void
erase_done(struct ledger_job *job)
{
	struct erase_job *ej = job->userdata;

	if (job->result >= 0)
		log_notice("Subject erased; erasure recorded as entry %lld",
		    (long long)json_integer_value(
			json_object_get(job->response, "index")));
	ledger_job_reply(job);
	secure_wipe(ej->subject, strlen(ej->subject));
	free(ej->subject);
	free(ej);
}

void
route_subject_erase(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	_cleanup_json_ json_t *in = NULL;
	struct erase_job *ej;
	struct ledger_job *job;
	const char *subject;
	char err[256];

	if (server_read_json(req, 65536, &in) < 0)
		return;
	if (json_check_keys(in, (const char *const[]){ "subject", NULL }, err,
		sizeof(err)) < 0 ||
	    json_get_string(in, "subject", true, &subject, err, sizeof(err)) < 0) {
		server_reply_error(req, ERR_INVALID_ARGUMENT, "%s", err);
		return;
	}
	ej = calloc(1, sizeof(*ej));
	job = calloc(1, sizeof(*job));
	if (!ej || !job || !(ej->subject = strdup(subject))) {
		free(ej);
		free(job);
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	job->run = erase_run;
	job->done = erase_done;
	job->userdata = ej;
	job->req = req;
	if (ledger_service_submit(d->ledger, job) < 0) {
		ledger_job_free(job);
		free(ej->subject);
		free(ej);
		server_reply_error(req, ERR_UNAVAILABLE, "The ledger is busy");
	}
}
