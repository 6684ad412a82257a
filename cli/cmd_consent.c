/* consentctl consent and subject: record, query and import consents; erase
 * a subject. */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "consent.h"
#include "consentctl.h"
#include "json.h"
#include "reader.h"
#include "timeutil.h"

/* Events per request: large transactions are what make bulk fast; the
 * byte cap keeps a request well under the daemon's body limit. */
#define IMPORT_CHUNK 10000
#define IMPORT_CHUNK_BYTES ((size_t)4 << 20)

static int
record_usage(const char *event, FILE *f)
{
	fprintf(f,
	    "Usage: consentctl consent %s SUBJECT PURPOSE [OPTIONS]\n\n"
	    "Records that SUBJECT %s consent for PURPOSE (a data-use key such as\n"
	    "train_ai_system). Prints the ledger entry's index.\n\n"
	    "  --at TIME            when it took effect (RFC 3339; default now)\n",
	    event, streq(event, "grant") ? "granted" : "revoked");
	if (streq(event, "grant"))
		fprintf(f,
		    "  --expires TIME       when the consent lapses (RFC 3339)\n");
	fprintf(f,
	    "  --method M           collection method (e.g. web-form)\n"
	    "  --source S           where it was collected\n"
	    "  --text-version V     version of the consent text shown\n"
	    "  --text-sha256 HEX    SHA-256 of that text\n"
	    "  --jurisdiction J     e.g. EU\n"
	    "  --controller C       the data controller\n"
	    "  -h, --help           show this help\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static int
consent_record(struct cli_ctx *ctx, int argc, char **argv, const char *event)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "expires", required_argument, NULL, 'e' },
		{ "method", required_argument, NULL, 'm' },
		{ "source", required_argument, NULL, 's' },
		{ "text-version", required_argument, NULL, 'v' },
		{ "text-sha256", required_argument, NULL, 't' },
		{ "jurisdiction", required_argument, NULL, 'j' },
		{ "controller", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_t *ev = json_object(), *resp = NULL;
	struct consent_event check;
	char err[256];
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'h':
			json_decref(ev);
			return record_usage(event, stdout);
		case 'a':
			key = "at";
			break;
		case 'e':
			if (!streq(event, "grant")) {
				json_decref(ev);
				return cli_usage_error("--expires applies to grants only");
			}
			key = "expires";
			break;
		case 'm':
			key = "method";
			break;
		case 's':
			key = "source";
			break;
		case 'v':
			key = "text_version";
			break;
		case 't':
			key = "text_sha256";
			break;
		case 'j':
			key = "jurisdiction";
			break;
		case 'c':
			key = "controller";
			break;
		default:
			json_decref(ev);
			return EXIT_USAGE;
		}
		json_object_set_new(ev, key, json_string(optarg));
	}
	if (argc - optind != 2) {
		json_decref(ev);
		return record_usage(event, stderr);
	}
	json_object_set_new(ev, "subject", json_string(argv[optind]));
	json_object_set_new(ev, "purpose", json_string(argv[optind + 1]));
	json_object_set_new(ev, "event", json_string(event));
	/* Refuse bad input here, with the same rules as the daemon. */
	r = consent_event_parse(ev, now_realtime(), &check, err, sizeof(err));
	if (r < 0) {
		json_decref(ev);
		return cli_usage_error("%s", err);
	}
	consent_event_done(&check);
	r = cli_call(ctx, "POST", "/v1/consents", ev, &resp);
	json_decref(ev);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		printf("recorded %s as ledger entry %lld\n", event,
		    (long long)json_integer_value(json_object_get(
			json_array_get(json_object_get(resp, "entries"), 0),
			"index")));
	json_decref(resp);
	return EXIT_OK;
}

static int
consent_grant(struct cli_ctx *ctx, int argc, char **argv)
{
	return consent_record(ctx, argc, argv, "grant");
}

static int
consent_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	return consent_record(ctx, argc, argv, "revoke");
}

static int
consent_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ char *subject = NULL, *path = NULL, *qp = NULL,
			   *qa = NULL;
	const char *purpose = NULL, *at = NULL, *size = NULL;
	json_t *resp = NULL, *p;
	size_t i;
	usec_t t;
	uint64_t n;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl consent show SUBJECT [--purpose P] [--at TIME] [--size N]\n\n"
			       "Shows SUBJECT's consent per purpose, now or as of a past time\n"
			       "(RFC 3339) and/or ledger size. Exit 0 when any shown purpose is\n"
			       "active, 1 when none is, 2 for bad input.\n");
			return EXIT_OK;
		case 'p':
			purpose = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 's':
			size = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("consent show: expected one SUBJECT");
	if (at && time_parse_rfc3339(at, &t) < 0)
		return cli_usage_error("--at: '%s' is not an RFC 3339 time", at);
	if (purpose && !consent_purpose_valid(purpose))
		return cli_usage_error("--purpose: '%s' is not a purpose key",
		    purpose);
	if (size && cli_parse_uint64(size, "--size", &n) < 0)
		return EXIT_USAGE;
	subject = cli_escape_path(argv[optind]);
	qp = purpose ? cli_escape_path(purpose) : NULL;
	qa = at ? cli_escape_path(at) : NULL;
	{
		_cleanup_free_ char *q = NULL;
		if (!subject ||
		    asprintf(&q, "%s%s%s%s%s%s", qp ? "&purpose=" : "",
			qp ? qp : "", qa ? "&at=" : "", qa ? qa : "",
			size ? "&size=" : "", size ? size : "") < 0 ||
		    asprintf(&path, "/v1/consents/%s%s%s", subject,
			*q ? "?" : "", *q ? q + 1 : "") < 0)
			return EXIT_UNAVAILABLE;
	}
	{
		long status;
		r = cli_request(ctx, "GET", path, NULL, &status, &resp);
		if (r < 0)
			return EXIT_UNAVAILABLE;
		if (status == 404) {
			/* Never recorded, or erased: a negative answer. */
			if (ctx->json)
				cli_print_json(resp);
			else
				printf("no consent recorded for this subject\n");
			json_decref(resp);
			return EXIT_NEGATIVE;
		}
		if (status != 200) {
			r = cli_report_error(ctx, status, resp);
			json_decref(resp);
			return r;
		}
	}
	r = EXIT_NEGATIVE;
	if (ctx->json)
		cli_print_json(resp);
	else
		printf("subject token %s, as of %s (ledger size %lld)\n",
		    json_string_value(json_object_get(resp, "token")),
		    json_string_value(json_object_get(json_object_get(resp,
			"as_of"), "time")),
		    (long long)json_integer_value(json_object_get(
			json_object_get(resp, "as_of"), "size")));
	json_array_foreach(json_object_get(resp, "purposes"), i, p) {
		const char *status = json_string_value(json_object_get(p, "status"));
		if (streq(status, "active"))
			r = EXIT_OK;
		if (!ctx->json) {
			const char *exp = json_string_value(json_object_get(p,
			    "expires"));
			printf("  %-24s %-8s since %s (entry %lld)%s%s\n",
			    json_string_value(json_object_get(p, "purpose")),
			    status, json_string_value(json_object_get(p, "at")),
			    (long long)json_integer_value(json_object_get(p,
				"index")),
			    exp ? ", expires " : "", exp ? exp : "");
		}
	}
	if (!ctx->json && json_array_size(json_object_get(resp, "purposes")) == 0)
		printf("  no consent recorded%s\n", purpose ? " for this purpose" : "");
	json_decref(resp);
	return r;
}

/*
 * Import is a pipeline of two threads: this one reads rows and writes the
 * next request's JSON text while a sender thread has the previous one at
 * the daemon, so that reading and sending overlap. The sender sends in
 * file order, one request at a time: the order of the events in the
 * ledger is the file's.
 */
struct import_batch {
	struct buf body;       /* [{...},{...}] */
	size_t n;              /* events in it */
	uint64_t first_line, last_line;
};

/* A batch sent, and how its answer goes: read later from pending, or
 * already known (result). */
struct import_sent {
	struct import_batch *batch;
	struct cli_pending *pending;
	int result;
};

#define IMPORT_IN_FLIGHT 3

struct import_sender {
	pthread_t thread, receiver;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct import_batch *batch; /* handed over, waiting to be sent */
	bool done;             /* no more batches */
	bool started;          /* lock and cond are set up */
	bool sending;          /* the sender thread runs */
	bool receiving;        /* the receiver thread runs */
	/* Sent, answers not read yet, oldest first (under lock). */
	struct import_sent sent[IMPORT_IN_FLIGHT];
	size_t nsent;
	bool sent_all;         /* the sender has finished */
	bool send_failed;      /* sender thread only */
	char after[CLI_QUEUED_MAX]; /* sequence of the last request queued */
};

struct import_state {
	struct cli_ctx *ctx;
	struct import_batch *batch;  /* valid events waiting to be sent */
	/* Per column of the file: its index in consent_field_names, or -1
	 * for a column no event has. */
	int *fields;
	size_t nfields;
	struct buf row;        /* the current row's values, NUL-terminated */
	_Atomic uint64_t accepted;
	uint64_t rejected;
	_Atomic int failure;   /* exit status of a failed send */
	struct import_sender sender;
};

static struct import_batch *
import_batch_new(void)
{
	struct import_batch *b = calloc(1, sizeof(*b));

	if (b)
		b->body = BUF_INIT(2 * IMPORT_CHUNK_BYTES);
	return b;
}

static void
import_batch_free(struct import_batch *b)
{
	if (!b)
		return;
	buf_free(&b->body);
	free(b);
}

/* Reads a sent batch's answer and counts it; frees the batch. */
static void
import_answer(struct import_state *st, struct import_sent *sent)
{
	struct import_batch *b = sent->batch;
	int r = sent->pending ? cli_pending_finish(st->ctx, sent->pending) :
				sent->result;

	if (r == EXIT_OK)
		st->accepted += b->n;
	else if (!st->failure) {
		fprintf(stderr,
		    "consentctl: import stopped: lines %llu..%llu, and every line after them, were not recorded\n",
		    (unsigned long long)b->first_line,
		    (unsigned long long)b->last_line);
		st->failure = r;
	}
	import_batch_free(b);
}

/* Reads the answers in the order the batches were sent: each request
 * follows the one before in the daemon's sequence, so that once one is
 * not recorded, none after it is. */
static void *
import_receiver_main(void *arg)
{
	struct import_state *st = arg;
	struct import_sender *s = &st->sender;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct import_sent sent;

		while (s->nsent == 0 && !s->sent_all)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->nsent == 0)
			break;
		sent = s->sent[0];
		pthread_mutex_unlock(&s->lock);
		import_answer(st, &sent);
		pthread_mutex_lock(&s->lock);
		memmove(&s->sent[0], &s->sent[1],
		    (--s->nsent) * sizeof(s->sent[0]));
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Sends one batch; on the sender thread. Once the daemon says it is
 * queued, its answer is left to the receiver and the next batch may go:
 * the daemon parses one request while it appends the one before. */
static void
import_send(struct import_state *st, struct import_batch *b)
{
	struct import_sender *s = &st->sender;
	struct import_sent sent = { .batch = b };
	char queued[CLI_QUEUED_MAX];
	int r = buf_append_byte(&b->body, ']');

	sent.result = r < 0 ? EXIT_UNAVAILABLE :
			      cli_call_text_queued(st->ctx, "/v1/consents",
				  b->body.data, b->body.len,
				  s->after[0] ? s->after : NULL, &sent.pending,
				  queued);
	/* Without a 102 the answer is final: the next request need not
	 * follow anything. */
	snprintf(s->after, sizeof(s->after), "%s",
	    sent.pending ? queued : "");
	if (!sent.pending && sent.result != EXIT_OK)
		s->send_failed = true;
	if (!s->receiving) {
		import_answer(st, &sent);
		return;
	}
	pthread_mutex_lock(&s->lock);
	while (s->nsent == IMPORT_IN_FLIGHT)
		pthread_cond_wait(&s->cond, &s->lock);
	s->sent[s->nsent++] = sent;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *
import_sender_main(void *arg)
{
	struct import_state *st = arg;
	struct import_sender *s = &st->sender;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct import_batch *batch;

		while (!s->batch && !s->done)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->batch)
			break;
		batch = s->batch;
		s->batch = NULL;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		if (!st->failure && !s->send_failed)
			import_send(st, batch);
		else
			import_batch_free(batch);
		pthread_mutex_lock(&s->lock);
	}
	s->sent_all = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Hands the current batch to the sender (waiting while it still holds the
 * one before), and starts a new one. */
static int
import_flush(struct import_state *st)
{
	struct import_sender *s = &st->sender;
	struct import_batch *batch;

	if (st->batch->n == 0)
		return st->failure ? -EIO : 0;
	batch = import_batch_new();
	if (!batch) {
		st->failure = EXIT_UNAVAILABLE;
		return -ENOMEM;
	}
	if (!s->started) {
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->cond, NULL);
		s->started = true;
		s->receiving = pthread_create(&s->receiver, NULL,
		    import_receiver_main, st) == 0;
		s->sending = pthread_create(&s->thread, NULL,
		    import_sender_main, st) == 0;
	}
	if (!s->sending) {
		/* No thread: send from this one. */
		if (!st->failure && !s->send_failed)
			import_send(st, st->batch);
		else
			import_batch_free(st->batch);
		goto next;
	}
	pthread_mutex_lock(&s->lock);
	while (s->batch)
		pthread_cond_wait(&s->cond, &s->lock);
	s->batch = st->batch;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
next:
	st->batch = batch;
	return st->failure ? -EIO : 0;
}

/* Waits until every batch handed over was sent and answered. */
static void
import_finish(struct import_state *st)
{
	struct import_sender *s = &st->sender;

	if (!s->started)
		return;
	pthread_mutex_lock(&s->lock);
	s->done = true;
	if (!s->sending)
		s->sent_all = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->sending)
		pthread_join(s->thread, NULL);
	if (s->receiving)
		pthread_join(s->receiver, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
}

static void
import_reject(struct import_state *st, uint64_t line, const char *why)
{
	st->rejected++;
	if (st->ctx->json) {
		json_t *o = json_pack("{s:s, s:I, s:s}", "status", "rejected",
		    "line", (json_int_t)line, "error", why);
		char *s = json_dumps_checked(o, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	} else
		printf("line %llu: rejected: %s\n", (unsigned long long)line, why);
}

/* The current row's values by field, for consent_event_check(). */
static int
import_field(void *userdata, int field, bool required, const char **ret,
    char *errbuf, size_t errlen)
{
	const char *const *values = userdata;

	if (values[field]) {
		*ret = values[field];
		return 0;
	}
	if (required) {
		snprintf(errbuf, errlen, "missing required field '%s'",
		    consent_field_names[field]);
		return -EINVAL;
	}
	return -ENOENT;
}

/* Which event field each column holds, for the columns seen so far. */
static int
import_map_columns(struct import_state *st, struct reader *rd)
{
	size_t n = reader_ncolumns(rd);
	int *f;

	if (n <= st->nfields)
		return 0;
	f = reallocarray(st->fields, n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = st->nfields; i < n; i++) {
		const char *name = reader_column_name(rd, i);

		f[i] = -1;
		for (int k = 0; consent_field_names[k]; k++)
			if (streq(name, consent_field_names[k]))
				f[i] = k;
	}
	st->fields = f;
	st->nfields = n;
	return 0;
}

/* Appends the event to the batch as JSON text, its fields in column
 * order and each value escaped as jansson would (-EINVAL with the field
 * in *ret_field for a value that is not UTF-8). */
static int
import_write_event(struct import_state *st, const struct reader_field *fields,
    size_t nfields, int *ret_field)
{
	struct buf *body = &st->batch->body;
	bool first = true;
	int r;

	r = buf_append_str(body, st->batch->n ? ",{" : "[{");
	for (size_t i = 0; r >= 0 && i < nfields; i++) {
		const struct reader_field *f = &fields[i];

		if (!f->value || f->len == 0)
			continue;
		r = json_buf_member(body, first,
		    consent_field_names[st->fields[i]], f->value, f->len);
		*ret_field = st->fields[i];
		first = false;
	}
	return r < 0 ? r : buf_append_byte(body, '}');
}

static int
import_row(struct import_state *st, struct reader *rd, uint64_t line)
{
	struct import_batch *b = st->batch;
	const char *values[CONSENT_FIELDS_MAX] = { NULL };
	size_t offsets[CONSENT_FIELDS_MAX], mark = b->body.len, nfields;
	const struct reader_field *fields = reader_fields(rd, &nfields);
	struct consent_event check;
	char err[256];
	int k = 0, r;

	r = import_map_columns(st, rd);
	if (r < 0)
		return r;
	/* The values, NUL-terminated, to check as the daemon will. */
	buf_reset(&st->row);
	for (size_t i = 0; i < nfields; i++) {
		const struct reader_field *f = &fields[i];

		k = st->fields[i];
		if (!f->value || f->len == 0)
			continue; /* an empty cell is an absent field */
		if (k < 0) {
			snprintf(err, sizeof(err), "unknown column '%s'",
			    reader_column_name(rd, i));
			goto reject;
		}
		if (memchr(f->value, '\0', f->len)) {
			snprintf(err, sizeof(err), "field '%s' must be a string",
			    consent_field_names[k]);
			goto reject;
		}
		offsets[k] = st->row.len;
		values[k] = "";
		r = buf_append(&st->row, f->value, f->len);
		if (r >= 0)
			r = buf_append_byte(&st->row, '\0');
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < CONSENT_FIELDS_MAX; i++)
		if (values[i])
			values[i] = st->row.data + offsets[i];
	r = consent_event_check(import_field, values, now_realtime(), &check,
	    NULL, err, sizeof(err));
	if (r < 0)
		goto reject;
	r = import_write_event(st, fields, nfields, &k);
	if (r == -EINVAL) {
		snprintf(err, sizeof(err), "field '%s' is not UTF-8 text",
		    consent_field_names[k]);
		goto reject;
	}
	if (r < 0)
		return r;
	if (b->n++ == 0)
		b->first_line = line;
	b->last_line = line;
	if (b->n >= IMPORT_CHUNK || b->body.len >= IMPORT_CHUNK_BYTES)
		return import_flush(st);
	return 0;
reject:
	b->body.len = mark;
	if (b->body.data)
		b->body.data[mark] = '\0';
	import_reject(st, line, err);
	return 0;
}

static int
consent_import(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct reader_options opt = { .format = READER_CSV };
	struct import_state st = { .ctx = ctx };
	_cleanup_(reader_freep) struct reader *rd = NULL;
	const char *format = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl consent import FILE [--format csv|tsv|jsonl]\n\n"
			       "Records consent events from a CSV (with a header row), TSV or JSONL\n"
			       "file (optionally gzip-compressed). Columns/keys: subject, purpose,\n"
			       "event (grant|revoke|expire; default grant), at, expires, method,\n"
			       "source, text_version, text_sha256, jurisdiction, controller.\n"
			       "Each bad row is reported with its line number and rejected alone.\n"
			       "Exit 0 when every row was recorded, 2 when some were rejected (the\n"
			       "others are recorded), 3 when the daemon failed.\n");
			return EXIT_OK;
		case 'f':
			format = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("consent import: expected one FILE");
	if (format ? reader_format_from_string(format, &opt.format) < 0 :
		     reader_format_from_path(argv[optind], &opt.format) < 0)
		return cli_usage_error("consent import: cannot tell the format of '%s'; use --format",
		    argv[optind]);
	r = reader_open(argv[optind], &opt, &rd);
	if (r < 0)
		return cli_usage_error("cannot open '%s': %s", argv[optind],
		    strerror(-r));
	st.batch = import_batch_new();
	if (!st.batch)
		return EXIT_UNAVAILABLE;
	while ((r = reader_next(rd)) != 0) {
		if (r == -EBADMSG) {
			import_reject(&st, reader_line(rd), reader_error(rd));
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "consentctl: cannot read '%s' at line %llu: %s\n",
			    argv[optind], (unsigned long long)reader_line(rd),
			    reader_error(rd) ? reader_error(rd) : strerror(-r));
			st.failure = EXIT_USAGE;
			break;
		}
		if (import_row(&st, rd, reader_line(rd)) < 0)
			break;
	}
	if (!st.failure)
		import_flush(&st);
	import_finish(&st);
	import_batch_free(st.batch);
	free(st.fields);
	buf_free(&st.row);
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:I, s:I}", "status", "summary",
		    "accepted", (json_int_t)atomic_load(&st.accepted), "rejected",
		    (json_int_t)st.rejected);
		char *s = json_dumps_checked(o, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	} else
		printf("%llu accepted, %llu rejected\n",
		    (unsigned long long)atomic_load(&st.accepted),
		    (unsigned long long)st.rejected);
	if (st.failure)
		return st.failure;
	return st.rejected ? EXIT_USAGE : EXIT_OK;
}

int
cmd_consent(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "grant", consent_grant, "record that a subject granted consent" },
		{ "revoke", consent_revoke, "record that a subject revoked consent" },
		{ "show", consent_show, "show a subject's consent, now or in the past" },
		{ "import", consent_import, "record consents from a CSV/TSV/JSONL file" },
	};
	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "Records and queries consents in the ledger.");
}

static int
subject_erase(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *body, *resp = NULL;
	int r;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: consentctl subject erase SUBJECT\n\n"
		       "Erases SUBJECT (GDPR Art. 17): deletes the only link between the\n"
		       "subject id and its ledger token, and records the erasure in the\n"
		       "ledger. The ledger still verifies; nothing links it to the person.\n");
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("subject erase: expected one SUBJECT");
	body = json_pack("{s:s}", "subject", argv[1]);
	r = cli_call(ctx, "POST", "/v1/subjects/erase", body, &resp);
	json_decref(body);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		printf("erased; erasure recorded as ledger entry %lld\n",
		    (long long)json_integer_value(json_object_get(resp, "index")));
	json_decref(resp);
	return EXIT_OK;
}

int
cmd_subject(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "erase", subject_erase, "erase a subject (right to erasure)" },
	};
	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "Manages data subjects.");
}
