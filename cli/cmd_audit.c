/* consentctl log and report: search the ledger like ausearch and summarise
 * it like aureport, through the daemon or from a database file. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <string.h>

#include "budget.h"
#include "codec.h"
#include "consentctl.h"
#include "json.h"
#include "ledger.h"
#include "store.h"
#include "timeutil.h"

#define AUDIT_TOKEN_HEX (2 * STORE_TOKEN_LEN)
/* Consent counts are per day up to this span, then per week, then per
 * month. */
#define AUDIT_DAILY_SPAN (92 * USEC_PER_DAY)
#define AUDIT_WEEKLY_SPAN (3 * 366 * USEC_PER_DAY)
/* Empty periods between two with events are drawn up to this many. */
#define AUDIT_MAX_BUCKETS 2000
/* A denial no enforced rule or budget accounts for (no policy applied). */
#define DENIAL_OTHER "(no enforced rule recorded as failed)"

/*
 * The entry kinds the daemon writes, and the field holding each one's own
 * time. Kinds without one (policy, budget_settle, budget_release) take the
 * time of the nearest earlier entry that has one: the ledger is
 * append-only, so that time is a lower bound. Entries before the first
 * timed one take its time instead.
 */
static const struct audit_kind {
	const char *name;
	unsigned bit;
	const char *time_field;
} audit_kinds[] = {
	{ "consent", 1u << 0, "recorded" },
	{ "erasure", 1u << 1, "recorded" },
	{ "policy", 1u << 2, NULL },
	{ "decision", 1u << 3, "decided" },
	{ "budget_settle", 1u << 4, NULL },
	{ "budget_release", 1u << 5, NULL },
};

/* What log and report select; every condition given must hold. */
struct audit_filter {
	usec_t since, until;        /* the window [since, until) */
	bool has_since, has_until;
	unsigned kinds;             /* audit_kinds bits; 0: every kind */
	const char *job;
	const char *decision;       /* allow, deny or error */
	const char *subject;        /* resolved to token; never printed */
	char token[AUDIT_TOKEN_HEX + 1];
	bool has_token;
	bool nothing;               /* an unknown subject: nothing matches */
	const char *db;             /* read this database, not the daemon */
	bool offline;
};

/* One ledger entry as the daemon serves it, with the time it is filed
 * under. */
struct audit_entry {
	const json_t *json;  /* {"index", "kind", "leaf", "entry"} */
	uint64_t index;
	const char *kind;
	const json_t *body;
	usec_t time;
	bool has_time;
	bool inherited;      /* the time is another entry's */
};

typedef int (*audit_fn)(void *userdata, const struct audit_entry *e);

struct audit_walk {
	audit_fn fn;
	void *userdata;
	usec_t last;
	bool has_last;
	json_t *pending;     /* leading entries with no time of their own */
};

static const struct audit_kind *
kind_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(audit_kinds); i++)
		if (streq(audit_kinds[i].name, name))
			return &audit_kinds[i];
	return NULL;
}

static const char *
body_str(const json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

static const char *
jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = body_str(o, key);

	return s ? s : dflt;
}

static long long
jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static double
jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* RFC 3339 in UTC; cut to the second for short_form. */
static const char *
format_time(usec_t t, bool short_form, char out[TIME_RFC3339_MAX])
{
	if (short_form)
		t -= ((t % USEC_PER_SEC) + USEC_PER_SEC) % USEC_PER_SEC;
	return time_format_rfc3339(t, out);
}

/*
 * Walking the ledger.
 */
static int
walk_emit(struct audit_walk *w, const json_t *j, usec_t t, bool has_time,
    bool inherited)
{
	struct audit_entry e = {
		.json = j,
		.index = (uint64_t)json_integer_value(json_object_get(j,
		    "index")),
		.kind = json_string_value(json_object_get(j, "kind")),
		.body = json_object_get(j, "entry"),
		.time = t,
		.has_time = has_time,
		.inherited = inherited,
	};

	if (!e.kind)
		e.kind = "invalid";
	return w->fn(w->userdata, &e);
}

static int
walk_entry(struct audit_walk *w, json_t *j)
{
	const struct audit_kind *k = kind_find(json_string_value(
	    json_object_get(j, "kind")));
	const char *s = NULL;
	json_t *p;
	size_t i;
	usec_t t;
	int r;

	if (k && k->time_field)
		s = body_str(json_object_get(j, "entry"), k->time_field);
	if (s && time_parse_rfc3339(s, &t) == 0) {
		w->last = t;
		w->has_last = true;
		json_array_foreach(w->pending, i, p) {
			r = walk_emit(w, p, t, true, true);
			if (r < 0)
				return r;
		}
		json_array_clear(w->pending);
		return walk_emit(w, j, t, true, false);
	}
	if (!w->has_last)
		return json_array_append(w->pending, j) < 0 ? -ENOMEM : 0;
	return walk_emit(w, j, w->last, true, true);
}

/* Pages through GET /v1/entries up to the size the first page reports. */
static int
walk_daemon(struct cli_ctx *ctx, struct audit_walk *w)
{
	uint64_t start = 0, end = 0;
	bool sized = false;
	json_t *resp, *entries, *j;
	size_t i;
	int r;

	while (!sized || start < end) {
		char path[128];
		uint64_t next = start;

		if (sized)
			snprintf(path, sizeof(path),
			    "/v1/entries?start=%llu&end=%llu",
			    (unsigned long long)start, (unsigned long long)end);
		else
			snprintf(path, sizeof(path), "/v1/entries?start=%llu",
			    (unsigned long long)start);
		resp = NULL;
		r = cli_call(ctx, "GET", path, NULL, &resp);
		if (r != EXIT_OK)
			return r;
		if (!sized) {
			end = (uint64_t)json_integer_value(json_object_get(resp,
			    "size"));
			sized = true;
		}
		entries = json_object_get(resp, "entries");
		json_array_foreach(entries, i, j) {
			json_int_t idx = json_integer_value(json_object_get(j,
			    "index"));
			if (idx < 0 || (uint64_t)idx < next)
				continue;
			r = walk_entry(w, j);
			if (r < 0) {
				json_decref(resp);
				fprintf(stderr, "consentctl: %s\n",
				    strerror(-r));
				return EXIT_UNAVAILABLE;
			}
			next = (uint64_t)idx + 1;
		}
		json_decref(resp);
		if (next == start)
			break; /* an empty page: the ledger ends here */
		start = next;
	}
	return EXIT_OK;
}

static int
walk_db_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	struct audit_walk *w = userdata;
	_cleanup_free_ char *leaf = base64_encode(data, len);
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL, *j;
	int r;

	if (!leaf)
		return -ENOMEM;
	if (ledger_entry_decode(data, len, kind, &body) < 0) {
		snprintf(kind, sizeof(kind), "invalid");
		body = json_null();
	}
	j = json_pack("{s:I, s:s, s:s, s:o}", "index", (json_int_t)index,
	    "kind", kind, "leaf", leaf, "entry", body);
	if (!j)
		return -ENOMEM;
	r = walk_entry(w, j);
	json_decref(j);
	return r;
}

static int
walk_db(const char *db, struct audit_walk *w)
{
	_cleanup_(store_closep) struct store *s = NULL;
	char err[512] = "";
	int r;

	r = store_open(db, STORE_READ_ONLY, &s, err, sizeof(err));
	if (r < 0)
		return cli_usage_error("cannot open '%s': %s", db, err);
	r = store_read_begin(s);
	if (r >= 0) {
		r = store_entry_foreach(s, 0, UINT64_MAX, walk_db_entry, w);
		store_read_end(s);
	}
	if (r < 0) {
		fprintf(stderr, "consentctl: cannot read '%s': %s\n", db,
		    r == -ENOMEM ? strerror(ENOMEM) : store_errmsg(s));
		return EXIT_UNAVAILABLE;
	}
	return EXIT_OK;
}

/* Calls fn for every entry of the ledger, in index order. */
static int
audit_walk(struct cli_ctx *ctx, const struct audit_filter *f, audit_fn fn,
    void *userdata)
{
	struct audit_walk w = { .fn = fn, .userdata = userdata };
	json_t *p;
	size_t i;
	int r;

	w.pending = json_array();
	if (!w.pending)
		return EXIT_UNAVAILABLE;
	r = f->db ? walk_db(f->db, &w) : walk_daemon(ctx, &w);
	/* A ledger with no timed entry at all: the rest have no time. */
	json_array_foreach(w.pending, i, p) {
		if (r != EXIT_OK)
			break;
		if (walk_emit(&w, p, 0, false, false) < 0)
			r = EXIT_UNAVAILABLE;
	}
	json_decref(w.pending);
	return r;
}

/*
 * Filters.
 */
static bool
filter_match(const struct audit_filter *f, const struct audit_entry *e)
{
	const struct audit_kind *k = kind_find(e->kind);

	if (f->nothing)
		return false;
	if (f->kinds && !(k && (k->bit & f->kinds)))
		return false;
	if ((f->has_since || f->has_until) && !e->has_time)
		return false;
	if (f->has_since && e->time < f->since)
		return false;
	if (f->has_until && e->time >= f->until)
		return false;
	if (f->job && !streq(body_str(e->body, "job"), f->job))
		return false;
	if (f->decision && !(streq(e->kind, "decision") &&
		streq(body_str(e->body, "decision"), f->decision)))
		return false;
	if (f->has_token && !streq(body_str(e->body, "subject"), f->token))
		return false;
	return true;
}

/* --since and --until: RFC 3339, a date (midnight UTC), "today",
 * "yesterday", "now", or a duration with a unit ("7d", "12h") ago. */
static int
parse_when(const char *what, const char *s, usec_t *ret)
{
	usec_t now = now_realtime(), d, midnight;
	size_t n = strlen(s);

	midnight = now - ((now % USEC_PER_DAY) + USEC_PER_DAY) % USEC_PER_DAY;
	if (time_parse_rfc3339(s, ret) == 0)
		return 0;
	if (streq(s, "now")) {
		*ret = now;
		return 0;
	}
	if (streq(s, "today") || streq(s, "yesterday")) {
		*ret = midnight - (streq(s, "yesterday") ? USEC_PER_DAY : 0);
		return 0;
	}
	if (n > 0 && ((s[n - 1] >= 'a' && s[n - 1] <= 'z')) &&
	    duration_parse(s, &d) == 0 && d <= now) {
		*ret = now - d;
		return 0;
	}
	cli_usage_error("%s: '%s' is not a time (RFC 3339 such as 2026-11-29T10:00:00Z, a date, today, yesterday, or a duration ago such as 7d)",
	    what, s);
	return -EINVAL;
}

static int
parse_kinds(const char *arg, unsigned *kinds)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *rest = copy, *name;

	if (!copy)
		return -ENOMEM;
	while ((name = strsep(&rest, ",")) != NULL) {
		const struct audit_kind *k;
		if (!*name)
			continue;
		k = kind_find(name);
		if (!k) {
			cli_usage_error("--kind: unknown kind '%s' (consent, erasure, policy, decision, budget_settle, budget_release)",
			    name);
			return -EINVAL;
		}
		*kinds |= k->bit;
	}
	return 0;
}

static int
parse_token(const char *arg, struct audit_filter *f)
{
	uint8_t raw[STORE_TOKEN_LEN];

	if (strlen(arg) != AUDIT_TOKEN_HEX ||
	    hex_decode(arg, AUDIT_TOKEN_HEX, raw, sizeof(raw)) < 0) {
		cli_usage_error("--subject-token: expected %d hex digits (a subject's ledger token)",
		    AUDIT_TOKEN_HEX);
		return -EINVAL;
	}
	hex_encode(raw, sizeof(raw), f->token);
	f->has_token = true;
	return 0;
}

/* The options log and report share. */
enum {
	OPT_SINCE = 0x100,
	OPT_UNTIL,
	OPT_KIND,
	OPT_SUBJECT,
	OPT_TOKEN,
	OPT_JOB,
	OPT_DECISION,
	OPT_DB,
	OPT_OFFLINE,
	OPT_CSV,
	OPT_JSON,
	OPT_FORMAT,
};

#define AUDIT_FILTER_OPTIONS						\
	{ "since", required_argument, NULL, OPT_SINCE },		\
	{ "until", required_argument, NULL, OPT_UNTIL },		\
	{ "kind", required_argument, NULL, OPT_KIND },			\
	{ "subject", required_argument, NULL, OPT_SUBJECT },		\
	{ "subject-token", required_argument, NULL, OPT_TOKEN },	\
	{ "job", required_argument, NULL, OPT_JOB },			\
	{ "decision", required_argument, NULL, OPT_DECISION },		\
	{ "db", required_argument, NULL, OPT_DB },			\
	{ "offline", no_argument, NULL, OPT_OFFLINE },			\
	{ "help", no_argument, NULL, 'h' }

/* 1 when c was a filter option, 0 when it is not one, -EINVAL on a bad
 * value (reported). */
static int
filter_option(int c, const char *arg, struct audit_filter *f)
{
	switch (c) {
	case OPT_SINCE:
		f->has_since = true;
		return parse_when("--since", arg, &f->since) < 0 ? -EINVAL : 1;
	case OPT_UNTIL:
		f->has_until = true;
		return parse_when("--until", arg, &f->until) < 0 ? -EINVAL : 1;
	case OPT_KIND:
		return parse_kinds(arg, &f->kinds) < 0 ? -EINVAL : 1;
	case OPT_SUBJECT:
		if (!*arg) {
			cli_usage_error("--subject: expected a subject id");
			return -EINVAL;
		}
		f->subject = arg;
		return 1;
	case OPT_TOKEN:
		return parse_token(arg, f) < 0 ? -EINVAL : 1;
	case OPT_JOB:
		f->job = arg;
		return 1;
	case OPT_DECISION:
		if (!streq(arg, "allow") && !streq(arg, "deny") &&
		    !streq(arg, "error")) {
			cli_usage_error("--decision: expected allow, deny or error, not '%s'",
			    arg);
			return -EINVAL;
		}
		f->decision = arg;
		return 1;
	case OPT_DB:
		f->db = arg;
		return 1;
	case OPT_OFFLINE:
		f->offline = true;
		return 1;
	default:
		return 0;
	}
}

/* The subject's token, from the daemon: only it holds the map. */
static int
resolve_subject(struct cli_ctx *ctx, struct audit_filter *f)
{
	_cleanup_free_ char *esc = NULL, *path = NULL;
	json_t *body = NULL;
	const char *tok;
	long status = 0;
	int r;

	esc = cli_escape_path(f->subject);
	if (!esc || asprintf(&path, "/v1/consents/%s", esc) < 0)
		return EXIT_UNAVAILABLE;
	r = cli_request(ctx, "GET", path, NULL, &status, &body);
	if (r < 0)
		return EXIT_UNAVAILABLE;
	if (status == 404) {
		/* Never recorded, or erased: no entry can be found by it. */
		json_decref(body);
		f->nothing = true;
		return EXIT_OK;
	}
	if (status != 200) {
		r = cli_report_error(ctx, status, body);
		json_decref(body);
		return r;
	}
	tok = body_str(body, "token");
	r = tok && parse_token(tok, f) == 0 ? EXIT_OK : EXIT_UNAVAILABLE;
	json_decref(body);
	if (r != EXIT_OK)
		fprintf(stderr, "consentctl: the daemon sent no valid subject token\n");
	return r;
}

/* Checks the combination of options, and looks the subject up. */
static int
filter_prepare(struct cli_ctx *ctx, struct audit_filter *f)
{
	if (f->offline && !f->db)
		return cli_usage_error("--offline needs --db FILE");
	if (f->subject && f->has_token)
		return cli_usage_error("give --subject or --subject-token, not both");
	if (f->subject && f->db)
		return cli_usage_error("--subject needs the daemon (only it can map a subject to its token); offline, use --subject-token");
	if (f->has_since && f->has_until && f->until <= f->since)
		return cli_usage_error("--until must be later than --since");
	if (f->subject)
		return resolve_subject(ctx, f);
	return EXIT_OK;
}

/*
 * Output helpers.
 */
/* Text output: control bytes become '?', so that no entry can drive the
 * terminal. */
static void
put_clean(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes
 * doubled. */
static void
csv_field(FILE *f, const char *s, bool last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s)
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

/* Escapes & < > " ' for HTML text and attribute values. */
static void
html_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' &&
			    *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void
put_kv(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, " %s=", key);
	put_clean(f, value);
}

/* One line about an entry, like ausearch's interpreted records. */
static char *
entry_summary(const struct audit_entry *e)
{
	const json_t *b = e->body;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (streq(e->kind, "consent")) {
		const char *at = body_str(b, "at");
		put_clean(f, body_str(b, "event"));
		put_kv(f, "purpose", body_str(b, "purpose"));
		put_kv(f, "subject", body_str(b, "subject"));
		if (at && !streq(at, body_str(b, "recorded")))
			put_kv(f, "at", at);
		put_kv(f, "expires", body_str(b, "expires"));
	} else if (streq(e->kind, "erasure")) {
		fputs("erase", f);
		put_kv(f, "subject", body_str(b, "subject"));
	} else if (streq(e->kind, "policy")) {
		const char *sha = body_str(b, "sha256");
		fputs("load", f);
		put_kv(f, "name", body_str(b, "name"));
		put_kv(f, "version", body_str(b, "version"));
		put_kv(f, "mode", body_str(b, "mode"));
		if (sha)
			fprintf(f, " sha256=%.12s", sha);
	} else if (streq(e->kind, "decision")) {
		const char *reason = body_str(b, "reason");
		put_clean(f, body_str(b, "decision"));
		put_kv(f, "job", body_str(b, "job"));
		put_kv(f, "purpose", body_str(b, "purpose"));
		if (reason && *reason) {
			fputs(": ", f);
			put_clean(f, reason);
		}
	} else if (streq(e->kind, "budget_settle")) {
		fputs("settle", f);
		put_kv(f, "job", body_str(b, "job"));
		put_kv(f, "budget", body_str(b, "budget"));
		fprintf(f, " steps=%lld epsilon=%.6g",
		    (long long)json_integer_value(json_object_get(b, "steps")),
		    json_number_value(json_object_get(b, "job_epsilon")));
	} else if (streq(e->kind, "budget_release")) {
		fputs("release", f);
		put_kv(f, "job", body_str(b, "job"));
		put_kv(f, "budget", body_str(b, "budget"));
		put_kv(f, "reason", body_str(b, "reason"));
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * consentctl log
 */
enum log_format { LOG_TEXT, LOG_CSV, LOG_JSON };

struct log_state {
	const struct audit_filter *f;
	enum log_format format;
	uint64_t matches;
};

static int
log_entry(void *userdata, const struct audit_entry *e)
{
	struct log_state *ls = userdata;
	char t[TIME_RFC3339_MAX];
	_cleanup_free_ char *summary = NULL;
	const char *when;

	if (!filter_match(ls->f, e))
		return 0;
	ls->matches++;
	when = e->has_time ? format_time(e->time, ls->format == LOG_TEXT, t) :
			     NULL;
	if (ls->format == LOG_JSON) {
		json_t *o = json_copy((json_t *)e->json);
		char *line;
		if (!o)
			return -ENOMEM;
		json_object_set_new(o, "time", when ? json_string(when) :
						      json_null());
		if (e->inherited)
			json_object_set_new(o, "time_inherited", json_true());
		line = json_dumps_checked(o, JSON_COMPACT);
		json_decref(o);
		if (!line)
			return -ENOMEM;
		printf("%s%s", ls->matches > 1 ? ",\n" : "\n", line);
		free(line);
		return 0;
	}
	summary = entry_summary(e);
	if (!summary)
		return -ENOMEM;
	if (ls->format == LOG_CSV) {
		char idx[24];
		const json_t *b = e->body;
		snprintf(idx, sizeof(idx), "%llu",
		    (unsigned long long)e->index);
		csv_field(stdout, idx, false);
		csv_field(stdout, when, false);
		csv_field(stdout, e->kind, false);
		csv_field(stdout, body_str(b, "subject"), false);
		csv_field(stdout, body_str(b, "purpose"), false);
		csv_field(stdout, body_str(b, "event"), false);
		csv_field(stdout, body_str(b, "job"), false);
		csv_field(stdout, body_str(b, "decision"), false);
		csv_field(stdout, body_str(b, "budget"), false);
		csv_field(stdout, summary, true);
		return 0;
	}
	printf("%6llu %-20s %-14s %s\n", (unsigned long long)e->index,
	    when ? when : "-", e->kind, summary);
	return 0;
}

int
cmd_log(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		AUDIT_FILTER_OPTIONS,
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{},
	};
	struct audit_filter f = { 0 };
	struct log_state ls = { .f = &f };
	bool csv = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl log [--since T] [--until T] [--kind K]... [--job J]\n"
			       "                      [--decision allow|deny|error]\n"
			       "                      [--subject S | --subject-token HEX] [--csv]\n"
			       "                      [--offline --db FILE]\n\n"
			       "Searches the audit trail: every ledger entry that matches all the\n"
			       "conditions given, one line each (index, time, kind, summary), like\n"
			       "ausearch. --csv prints RFC 4180 CSV with a header row; --json a\n"
			       "JSON array of the entries ({index, kind, leaf, entry, time}).\n\n"
			       "  --since T, --until T  entries filed at or after T, and before T;\n"
			       "                        T is RFC 3339, a date (midnight UTC), today,\n"
			       "                        yesterday, now, or a duration ago (7d, 12h)\n"
			       "  --kind K              consent, erasure, policy, decision,\n"
			       "                        budget_settle, budget_release (repeatable,\n"
			       "                        or a comma-separated list)\n"
			       "  --job J               decisions, settlements and releases of job J\n"
			       "  --decision D          decisions with outcome D\n"
			       "  --subject S           the consent and erasure entries of subject S\n"
			       "                        (its token is looked up; the id never appears\n"
			       "                        in the output). An erased subject cannot be\n"
			       "                        found by its id: use --subject-token.\n"
			       "  --subject-token HEX   entries of the subject with this ledger token\n"
			       "  --db FILE, --offline  read a database file instead of the daemon\n\n"
			       "Entries are filed under their own time: 'recorded' for consent and\n"
			       "erasure, 'decided' for decision. policy, budget_settle and\n"
			       "budget_release entries carry none and are filed under the time of\n"
			       "the nearest earlier entry that has one (--json marks them with\n"
			       "\"time_inherited\").\n\n"
			       "Exit status: 0 entries found, 1 none, 2 bad input, 3 daemon\n"
			       "unreachable or the database unreadable.\n");
			return EXIT_OK;
		case OPT_CSV:
			csv = true;
			break;
		case OPT_JSON:
			ctx->json = true;
			break;
		default:
			r = filter_option(c, optarg, &f);
			if (r < 0)
				return EXIT_USAGE;
			if (r == 0)
				return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("log: unexpected argument '%s'",
		    argv[optind]);
	if (csv && ctx->json)
		return cli_usage_error("log: give --csv or --json, not both");
	ls.format = csv ? LOG_CSV : ctx->json ? LOG_JSON : LOG_TEXT;
	r = filter_prepare(ctx, &f);
	if (r != EXIT_OK)
		return r;
	if (ls.format == LOG_CSV)
		fputs("index,time,kind,subject,purpose,event,job,decision,budget,summary\r\n",
		    stdout);
	else if (ls.format == LOG_JSON)
		fputs("[", stdout);
	r = f.nothing ? EXIT_OK : audit_walk(ctx, &f, log_entry, &ls);
	if (ls.format == LOG_JSON)
		fputs("\n]\n", stdout);
	if (fflush(stdout) != 0)
		return EXIT_UNAVAILABLE;
	if (r != EXIT_OK)
		return r;
	if (ls.matches == 0) {
		if (!ctx->quiet && ls.format == LOG_TEXT)
			fprintf(stderr, "consentctl: no matching entries%s\n",
			    f.nothing ? " (the subject has no token: never recorded, or erased)" :
					"");
		return EXIT_NEGATIVE;
	}
	return EXIT_OK;
}

/*
 * consentctl report
 */
struct report {
	const struct audit_filter *f;
	uint64_t seen, matched;
	usec_t first, last;
	bool has_first;
	uint64_t checks, allow, deny, error;
	json_t *denials;   /* "policy:rule" -> {policy, rule, count} */
	json_t *days;      /* "YYYY-MM-DD" -> {granted, revoked, expired} */
	uint64_t granted, revoked, expired, erasures, settlements, releases;
	json_t *policies;  /* [{index, name, version, mode, sha256}] */
	json_t *states;    /* budget -> state replayed from the entries */
	json_t *series;    /* budget -> {"start", "points": [...]} */
	uint64_t replay_errors;
};

static void
count_add(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(
	    json_object_get(o, key)) + n));
}

static int
denial_key(json_t *keys, const char *policy, const char *rule)
{
	_cleanup_free_ char *k = NULL;
	json_t *v;

	if (asprintf(&k, "%s:%s", policy, rule) < 0)
		return -ENOMEM;
	v = json_pack("{s:s, s:s}", "policy", policy, "rule", rule);
	if (!v || json_object_set_new(keys, k, v) < 0)
		return -ENOMEM;
	return 0;
}

/* A denial counts once for each enforced rule that failed, and for each
 * enforced budget it would have overspent. */
static int
count_denials(struct report *rp, const json_t *body)
{
	_cleanup_json_ json_t *modes = json_object(), *keys = json_object();
	const json_t *it;
	const char *key, *pol, *rule, *mode;
	json_t *v, *d;
	size_t i;

	if (!modes || !keys)
		return -ENOMEM;
	json_array_foreach(json_object_get(body, "policies"), i, it)
		if (body_str(it, "name"))
			json_object_set(modes, body_str(it, "name"),
			    json_object_get(it, "mode"));
	json_array_foreach(json_object_get(body, "rules"), i, it) {
		pol = body_str(it, "policy");
		rule = body_str(it, "rule");
		mode = pol ? body_str(modes, pol) : NULL;
		if (!pol || !rule || !streq(body_str(it, "outcome"), "fail") ||
		    (mode && !streq(mode, "enforce")))
			continue;
		if (denial_key(keys, pol, rule) < 0)
			return -ENOMEM;
	}
	json_array_foreach(json_object_get(body, "budgets"), i, it) {
		pol = body_str(it, "policy");
		rule = body_str(it, "rule");
		if (!pol || !rule ||
		    !json_is_true(json_object_get(it, "overspend")) ||
		    !streq(body_str(it, "mode"), "enforce"))
			continue;
		if (denial_key(keys, pol, rule) < 0)
			return -ENOMEM;
	}
	if (json_object_size(keys) == 0 &&
	    json_object_set_new(keys, "(other)", json_pack("{s:n, s:n}",
		"policy", "rule")) < 0)
		return -ENOMEM;
	json_object_foreach(keys, key, v) {
		d = json_object_get(rp->denials, key);
		if (!d) {
			d = json_deep_copy(v);
			if (!d || json_object_set_new(rp->denials, key, d) < 0)
				return -ENOMEM;
		}
		count_add(d, "count", 1);
	}
	return 0;
}

static void
count_consent(struct report *rp, const struct audit_entry *e)
{
	const char *event = body_str(e->body, "event");
	const char *field = streq(event, "grant") ? "granted" :
	    streq(event, "revoke") ? "revoked" : streq(event, "expire") ?
				    "expired" : NULL;
	char t[TIME_RFC3339_MAX], day[11];
	json_t *d;

	if (!field)
		return;
	if (streq(field, "granted"))
		rp->granted++;
	else if (streq(field, "revoked"))
		rp->revoked++;
	else
		rp->expired++;
	if (!e->has_time)
		return;
	snprintf(day, sizeof(day), "%.10s", time_format_rfc3339(e->time, t));
	d = json_object_get(rp->days, day);
	if (!d) {
		d = json_pack("{s:i, s:i, s:i}", "granted", 0, "revoked", 0,
		    "expired", 0);
		if (!d || json_object_set_new(rp->days, day, d) < 0)
			return;
	}
	count_add(d, field, 1);
}

/* Budget state follows decisions, settlements and releases as in the
 * daemon; a point of the burn-down is recorded for each matching one. */
static int
replay_point(struct report *rp, const struct audit_entry *e,
    const char *name, const char *event, const char *job,
    const json_t *state, double before)
{
	struct dp_budget_status st;
	char t[TIME_RFC3339_MAX];
	json_t *s, *p;

	if (budget_state_status(state, NULL, &st) < 0) {
		rp->replay_errors++;
		return 0;
	}
	s = json_object_get(rp->series, name);
	if (!s) {
		s = json_pack("{s:o, s:[]}", "start", num_or_null(before),
		    "points");
		if (!s || json_object_set_new(rp->series, name, s) < 0)
			return -ENOMEM;
	}
	p = json_pack("{s:I, s:s?, s:s, s:s, s:o, s:o}", "index",
	    (json_int_t)e->index, "time",
	    e->has_time ? time_format_rfc3339(e->time, t) : NULL, "event",
	    event, "job", job, "remaining", num_or_null(st.remaining),
	    "committed", num_or_null(st.spent));
	if (!p || json_array_append_new(json_object_get(s, "points"), p) < 0)
		return -ENOMEM;
	return 0;
}

static double
state_remaining(const json_t *state)
{
	struct dp_budget_status st;

	if (budget_state_status(state, NULL, &st) < 0)
		return NAN;
	return st.remaining;
}

static int
replay_budgets(struct report *rp, const struct audit_entry *e, bool match)
{
	const char *job = body_str(e->body, "job"), *name;
	const json_t *it;
	json_t *state;
	double before;
	size_t i;
	int r;

	if (!job)
		return 0;
	if (streq(e->kind, "decision") &&
	    streq(body_str(e->body, "decision"), "allow")) {
		json_array_foreach(json_object_get(e->body, "budgets"), i, it) {
			name = body_str(it, "budget");
			if (!name ||
			    !json_is_true(json_object_get(it, "charged")))
				continue;
			state = json_object_get(rp->states, name);
			if (!state) {
				state = budget_state_new(jnum(it, "epsilon"),
				    jnum(it, "delta"),
				    streq(body_str(it, "accountant"), "basic") ?
				    DP_ACCOUNTANT_BASIC : DP_ACCOUNTANT_RDP);
				if (!state || json_object_set_new(rp->states,
				    name, state) < 0)
					return -ENOMEM;
			}
			before = state_remaining(state);
			if (budget_state_reserve(state, job,
				body_str(it, "cost"), body_str(it, "expires")) < 0) {
				rp->replay_errors++;
				continue;
			}
			if (match) {
				r = replay_point(rp, e, name, "reserve", job,
				    state, before);
				if (r < 0)
					return r;
			}
		}
		return 0;
	}
	if (!streq(e->kind, "budget_settle") &&
	    !streq(e->kind, "budget_release"))
		return 0;
	name = body_str(e->body, "budget");
	state = name ? json_object_get(rp->states, name) : NULL;
	if (!state) {
		rp->replay_errors++;
		return 0;
	}
	before = state_remaining(state);
	r = streq(e->kind, "budget_settle") ?
	    budget_state_settle(state, job, body_str(e->body, "cost")) :
	    budget_state_release(state, job);
	if (r < 0) {
		rp->replay_errors++;
		return 0;
	}
	if (!match)
		return 0;
	return replay_point(rp, e, name, streq(e->kind, "budget_settle") ?
	    "settle" : "release", job, state, before);
}

static int
report_entry(void *userdata, const struct audit_entry *e)
{
	struct report *rp = userdata;
	bool match = filter_match(rp->f, e);
	const char *d;
	int r;

	rp->seen++;
	if (match) {
		rp->matched++;
		if (e->has_time) {
			if (!rp->has_first || e->time < rp->first)
				rp->first = e->time;
			if (!rp->has_first || e->time > rp->last)
				rp->last = e->time;
			rp->has_first = true;
		}
		if (streq(e->kind, "decision")) {
			d = body_str(e->body, "decision");
			rp->checks++;
			if (streq(d, "allow"))
				rp->allow++;
			else if (streq(d, "deny")) {
				rp->deny++;
				r = count_denials(rp, e->body);
				if (r < 0)
					return r;
			} else
				rp->error++;
		} else if (streq(e->kind, "consent"))
			count_consent(rp, e);
		else if (streq(e->kind, "erasure"))
			rp->erasures++;
		else if (streq(e->kind, "budget_settle"))
			rp->settlements++;
		else if (streq(e->kind, "budget_release"))
			rp->releases++;
		else if (streq(e->kind, "policy") &&
		    json_array_append_new(rp->policies,
			json_pack("{s:I, s:s?, s:s?, s:s?, s:s?}", "index",
			    (json_int_t)e->index, "name", body_str(e->body,
				"name"), "version", body_str(e->body, "version"),
			    "mode", body_str(e->body, "mode"), "sha256",
			    body_str(e->body, "sha256"))) < 0)
			return -ENOMEM;
	}
	return replay_budgets(rp, e, match);
}

static int
series_cmp(const void *a, const void *b)
{
	return strcmp(jstr(*(json_t *const *)a, "period", ""),
	    jstr(*(json_t *const *)b, "period", ""));
}

/* Sorts a JSON array in place. */
static void
qsort_array(json_t *a, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(a), i;
	_cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(a);
	for (i = 0; i < n; i++)
		json_array_append_new(a, v[i]);
}

static int
denial_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t cx = json_integer_value(json_object_get(x, "count"));
	json_int_t cy = json_integer_value(json_object_get(y, "count"));
	const char *px = body_str(x, "policy"), *py = body_str(y, "policy");
	int c;

	if (cx != cy)
		return cx > cy ? -1 : 1;
	if (!px || !py)
		return !px - !py;
	c = strcmp(px, py);
	return c ? c : strcmp(body_str(x, "rule"), body_str(y, "rule"));
}

static json_t *
denials_sorted(const json_t *denials)
{
	const char *key;
	json_t *d, *out = json_array();

	if (!out)
		return NULL;
	json_object_foreach((json_t *)denials, key, d)
		json_array_append(out, d);
	qsort_array(out, denial_cmp);
	return out;
}

enum bucket { BUCKET_DAY, BUCKET_WEEK, BUCKET_MONTH };
static const char *const bucket_names[] = { "day", "week", "month" };

/* The bucket of a day (YYYY-MM-DD): itself, the Monday of its week, or
 * its month (YYYY-MM). */
static int
bucket_key(const char *day, enum bucket b, char out[11])
{
	char t[TIME_RFC3339_MAX];
	usec_t u;
	int64_t days;

	if (b == BUCKET_DAY) {
		snprintf(out, 11, "%s", day);
		return 0;
	}
	if (b == BUCKET_MONTH) {
		snprintf(out, 11, "%.7s", day);
		return 0;
	}
	if (time_parse_rfc3339(day, &u) < 0)
		return -EINVAL;
	days = u / USEC_PER_DAY - (u % USEC_PER_DAY < 0);
	/* 1970-01-01 was a Thursday: day 0 is 3 days after a Monday. */
	days -= ((days + 3) % 7 + 7) % 7;
	snprintf(out, 11, "%.10s", time_format_rfc3339(days * USEC_PER_DAY, t));
	return 0;
}

static int
bucket_next(const char *key, enum bucket b, char out[11])
{
	char t[TIME_RFC3339_MAX];
	int y, m;
	usec_t u;

	if (b == BUCKET_MONTH) {
		if (sscanf(key, "%4d-%2d", &y, &m) != 2 || y < 0 || m < 1 ||
		    m > 12)
			return -EINVAL;
		if (++m > 12) {
			m = 1;
			y++;
		}
		snprintf(out, 11, "%04u-%02u", (unsigned)y % 10000u,
		    (unsigned)m % 100u);
		return 0;
	}
	if (time_parse_rfc3339(key, &u) < 0)
		return -EINVAL;
	u += b == BUCKET_WEEK ? USEC_PER_WEEK : USEC_PER_DAY;
	snprintf(out, 11, "%.10s", time_format_rfc3339(u, t));
	return 0;
}

/* Consent counts per bucket, in order, with empty buckets between. */
static json_t *
consent_series(const json_t *days, enum bucket b)
{
	_cleanup_json_ json_t *by = json_object();
	const char *day, *first = NULL, *last = NULL;
	json_t *d, *out = json_array();
	char key[11], next[11];
	size_t n = 0;

	if (!by || !out) {
		json_decref(out);
		return NULL;
	}
	json_object_foreach((json_t *)days, day, d) {
		json_t *acc;
		if (bucket_key(day, b, key) < 0)
			continue;
		acc = json_object_get(by, key);
		if (!acc) {
			acc = json_pack("{s:s, s:i, s:i, s:i}", "period", key,
			    "granted", 0, "revoked", 0, "expired", 0);
			if (!acc || json_object_set_new(by, key, acc) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		count_add(acc, "granted", json_integer_value(json_object_get(d,
		    "granted")));
		count_add(acc, "revoked", json_integer_value(json_object_get(d,
		    "revoked")));
		count_add(acc, "expired", json_integer_value(json_object_get(d,
		    "expired")));
	}
	json_object_foreach(by, day, d) {
		if (!first || strcmp(day, first) < 0)
			first = day;
		if (!last || strcmp(day, last) > 0)
			last = day;
	}
	if (!first)
		return out;
	snprintf(key, sizeof(key), "%s", first);
	while (strcmp(key, last) <= 0 && n++ < AUDIT_MAX_BUCKETS) {
		d = json_object_get(by, key);
		if (d)
			json_array_append(out, d);
		else
			json_array_append_new(out,
			    json_pack("{s:s, s:i, s:i, s:i}", "period", key,
				"granted", 0, "revoked", 0, "expired", 0));
		if (bucket_next(key, b, next) < 0)
			break;
		memcpy(key, next, sizeof(key));
	}
	if (strcmp(key, last) <= 0) {
		/* Too many to draw every empty one: the buckets with events. */
		json_array_clear(out);
		json_object_foreach(by, day, d)
			json_array_append(out, d);
		qsort_array(out, series_cmp);
	}
	return out;
}

/* The budgets: the daemon's current figures (or the replay's, offline),
 * each with its burn-down. */
static json_t *
budget_list(struct report *rp, const json_t *daemon_budgets)
{
	json_t *out = json_array(), *b, *o, *state, *s;
	const char *name;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(daemon_budgets, i, b) {
		name = body_str(b, "name");
		if (!name)
			continue;
		o = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
		    "name", name,
		    "accountant", json_object_get(b, "accountant"),
		    "epsilon", json_object_get(b, "epsilon"),
		    "delta", json_object_get(b, "delta"),
		    "spent_epsilon", json_object_get(b, "spent_epsilon"),
		    "committed_epsilon", json_object_get(b, "committed_epsilon"),
		    "remaining_epsilon", json_object_get(b, "remaining_epsilon"),
		    "charges", json_object_get(b, "charges"));
		if (o)
			json_array_append_new(out, o);
	}
	json_object_foreach(rp->states, name, state) {
		_cleanup_dp_curve_ struct dp_curve *spent = NULL;
		struct dp_budget_status st;
		double delta = jnum(state, "delta");
		bool listed = false;

		json_array_foreach(out, i, b)
			listed |= streq(body_str(b, "name"), name);
		if (listed || budget_state_status(state, NULL, &st) < 0)
			continue;
		if (budget_curve_from_b64(body_str(state, "spent"), &spent) < 0)
			continue;
		o = json_pack("{s:s, s:O, s:O, s:O, s:o, s:o, s:o, s:O}",
		    "name", name,
		    "accountant", json_object_get(state, "accountant"),
		    "epsilon", json_object_get(state, "epsilon"),
		    "delta", json_object_get(state, "delta"),
		    "spent_epsilon",
		    num_or_null(budget_curve_epsilon(spent, delta)),
		    "committed_epsilon", num_or_null(st.spent),
		    "remaining_epsilon", num_or_null(st.remaining),
		    "charges", json_object_get(state, "charges"));
		if (o)
			json_array_append_new(out, o);
	}
	json_array_foreach(out, i, b) {
		s = json_object_get(rp->series, body_str(b, "name"));
		json_object_set(b, "start_remaining", s ?
		    json_object_get(s, "start") : json_object_get(b,
			"remaining_epsilon"));
		json_object_set_new(b, "burndown", s ?
		    json_incref(json_object_get(s, "points")) : json_array());
	}
	return out;
}

static json_t *
time_or_null(bool has, usec_t t)
{
	char s[TIME_RFC3339_MAX];

	return has ? json_string(time_format_rfc3339(t, s)) : json_null();
}

static json_t *
report_json(struct report *rp, const json_t *daemon_budgets)
{
	const struct audit_filter *f = rp->f;
	usec_t from = f->has_since ? f->since : rp->first;
	usec_t to = f->has_until ? f->until : rp->last;
	enum bucket b = to - from <= AUDIT_DAILY_SPAN ? BUCKET_DAY :
	    to - from <= AUDIT_WEEKLY_SPAN ? BUCKET_WEEK : BUCKET_MONTH;
	json_t *o, *filters, *kinds;
	char now[TIME_RFC3339_MAX];

	filters = json_object();
	if (!filters)
		return NULL;
	if (f->kinds) {
		kinds = json_array();
		for (size_t i = 0; i < ELEMENTSOF(audit_kinds); i++)
			if (f->kinds & audit_kinds[i].bit)
				json_array_append_new(kinds,
				    json_string(audit_kinds[i].name));
		json_object_set_new(filters, "kinds", kinds);
	}
	if (f->job)
		json_object_set_new(filters, "job", json_string(f->job));
	if (f->decision)
		json_object_set_new(filters, "decision",
		    json_string(f->decision));
	if (f->has_token)
		json_object_set_new(filters, "subject_token",
		    json_string(f->token));
	else if (f->nothing)
		json_object_set_new(filters, "subject_token", json_null());
	o = json_pack("{s:s, s:s, s:o, s:{s:o, s:o, s:o, s:o, s:I, s:I},"
		      " s:{s:I, s:I, s:I, s:I}, s:o,"
		      " s:{s:I, s:I, s:I, s:s, s:o}, s:I, s:I, s:I, s:O, s:o}",
	    "generated", time_format_rfc3339(now_realtime(), now), "source",
	    f->db ? "database" : "daemon", "filters", filters, "period",
	    "since", time_or_null(f->has_since, f->since), "until",
	    time_or_null(f->has_until, f->until), "first",
	    time_or_null(rp->has_first, rp->first), "last",
	    time_or_null(rp->has_first, rp->last), "entries",
	    (json_int_t)rp->matched, "ledger_entries", (json_int_t)rp->seen,
	    "checks", "total", (json_int_t)rp->checks, "allow",
	    (json_int_t)rp->allow, "deny", (json_int_t)rp->deny, "error",
	    (json_int_t)rp->error, "denials_by_rule",
	    denials_sorted(rp->denials), "consents", "granted",
	    (json_int_t)rp->granted, "revoked", (json_int_t)rp->revoked,
	    "expired", (json_int_t)rp->expired, "bucket", bucket_names[b],
	    "series", consent_series(rp->days, b), "erasures",
	    (json_int_t)rp->erasures, "budget_settlements",
	    (json_int_t)rp->settlements, "budget_releases",
	    (json_int_t)rp->releases, "policies", rp->policies, "budgets",
	    budget_list(rp, daemon_budgets));
	if (o && rp->replay_errors)
		json_object_set_new(o, "budget_replay_errors",
		    json_integer((json_int_t)rp->replay_errors));
	return o;
}

/* Text, like aureport's summary. */
static void
report_text(FILE *out, const json_t *rep)
{
	const json_t *period = json_object_get(rep, "period");
	const json_t *checks = json_object_get(rep, "checks");
	const json_t *cons = json_object_get(rep, "consents");
	const json_t *filters = json_object_get(rep, "filters");
	const json_t *it, *p;
	const char *key;
	size_t i, j, width = 0;

	fprintf(out, "consentd audit report (%s)\n\n",
	    streq(jstr(rep, "source", ""), "database") ?
	    "from a database file" : "through the daemon");
	fputs("Period:   ", out);
	put_clean(out, jstr(period, "since", jstr(period, "first", "-")));
	fputs(" .. ", out);
	put_clean(out, jstr(period, "until", jstr(period, "last", "-")));
	fprintf(out, "\nEntries:  %lld matching of %lld in the ledger\n",
	    jint(period, "entries"), jint(period, "ledger_entries"));
	if (json_object_size(filters) > 0) {
		fputs("Filters: ", out);
		json_object_foreach((json_t *)filters, key, it) {
			fprintf(out, " %s=", key);
			if (json_is_array(it))
				json_array_foreach(it, i, p)
					fprintf(out, "%s%s", i ? "," : "",
					    json_string_value(p));
			else
				put_clean(out, json_is_string(it) ?
				    json_string_value(it) :
				    "(unknown subject)");
		}
		fputc('\n', out);
	}

	fprintf(out, "\nChecks\n  total %lld, allow %lld, deny %lld, error %lld\n",
	    jint(checks, "total"), jint(checks, "allow"), jint(checks, "deny"),
	    jint(checks, "error"));

	fputs("\nDenials by rule\n", out);
	json_array_foreach(json_object_get(rep, "denials_by_rule"), i, it)
		width = MAX(width, body_str(it, "policy") ?
		    strlen(body_str(it, "policy")) + 1 +
			strlen(jstr(it, "rule", "")) : strlen(DENIAL_OTHER));
	json_array_foreach(json_object_get(rep, "denials_by_rule"), i, it) {
		size_t len = strlen(DENIAL_OTHER);
		fputs("  ", out);
		if (body_str(it, "policy")) {
			put_clean(out, body_str(it, "policy"));
			fputc(':', out);
			put_clean(out, jstr(it, "rule", ""));
			len = strlen(body_str(it, "policy")) + 1 +
			    strlen(jstr(it, "rule", ""));
		} else
			fputs(DENIAL_OTHER, out);
		fprintf(out, "%*s  %6lld\n", (int)(width - len), "",
		    jint(it, "count"));
	}
	if (json_array_size(json_object_get(rep, "denials_by_rule")) == 0)
		fputs("  none\n", out);

	fprintf(out, "\nConsents (per %s)\n  %-10s  %8s  %8s  %8s\n",
	    jstr(cons, "bucket", "day"), jstr(cons, "bucket", "day"), "granted",
	    "revoked", "expired");
	json_array_foreach(json_object_get(cons, "series"), i, it)
		fprintf(out, "  %-10s  %8lld  %8lld  %8lld\n",
		    jstr(it, "period", "?"), jint(it, "granted"),
		    jint(it, "revoked"), jint(it, "expired"));
	fprintf(out, "  %-10s  %8lld  %8lld  %8lld\n", "total",
	    jint(cons, "granted"), jint(cons, "revoked"),
	    jint(cons, "expired"));

	fprintf(out, "\nErasures: %lld\n", jint(rep, "erasures"));

	fputs("\nPolicies loaded\n", out);
	json_array_foreach(json_object_get(rep, "policies"), i, it) {
		fprintf(out, "  entry %-6lld ", jint(it, "index"));
		put_clean(out, jstr(it, "name", "?"));
		if (body_str(it, "version")) {
			fputs(" version ", out);
			put_clean(out, body_str(it, "version"));
		}
		fputs(" (", out);
		put_clean(out, jstr(it, "mode", "?"));
		fprintf(out, ") sha256 %.12s\n", jstr(it, "sha256", ""));
	}
	if (json_array_size(json_object_get(rep, "policies")) == 0)
		fputs("  none recorded in this period\n", out);

	fprintf(out, "\nPrivacy budgets (%lld settlements, %lld releases)\n",
	    jint(rep, "budget_settlements"), jint(rep, "budget_releases"));
	json_array_foreach(json_object_get(rep, "budgets"), i, it) {
		double committed = jnum(it, "committed_epsilon");
		double spent = jnum(it, "spent_epsilon");
		fputs("  ", out);
		put_clean(out, jstr(it, "name", "?"));
		fputs(" (", out);
		put_clean(out, jstr(it, "accountant", "?"));
		fprintf(out, "): limit epsilon %.6g at delta %g\n"
			     "    spent %.6g, reserved %.6g, remaining %.6g; charges settled: %lld\n",
		    jnum(it, "epsilon"), jnum(it, "delta"), spent,
		    committed - spent > 0 ? committed - spent : 0.0,
		    jnum(it, "remaining_epsilon"), jint(it, "charges"));
		if (json_array_size(json_object_get(it, "burndown")) == 0)
			continue;
		fprintf(out, "    %6s  %-20s  %-7s  %-24s  %s\n", "entry", "time",
		    "event", "job", "remaining");
		fprintf(out, "    %6s  %-20s  %-7s  %-24s  %.6g\n", "", "", "start",
		    "", jnum(it, "start_remaining"));
		json_array_foreach(json_object_get(it, "burndown"), j, p) {
			char t[TIME_RFC3339_MAX];
			usec_t u;
			fprintf(out, "    %6lld  %-20s  %-7s  ", jint(p, "index"),
			    time_parse_rfc3339(jstr(p, "time", ""), &u) == 0 ?
				format_time(u, true, t) : "-",
			    jstr(p, "event", "?"));
			put_clean(out, jstr(p, "job", ""));
			fprintf(out, "%*s  %.6g\n",
			    (int)(24 - MIN(24, strlen(jstr(p, "job", "")))), "",
			    jnum(p, "remaining"));
		}
	}
	if (json_array_size(json_object_get(rep, "budgets")) == 0)
		fputs("  none charged\n", out);
	if (json_object_get(rep, "budget_replay_errors"))
		fprintf(out, "  (%lld budget entries could not be replayed: the burn-down may be incomplete)\n",
		    jint(rep, "budget_replay_errors"));
}

/*
 * HTML: one self-contained file, inline CSS and SVG, no script and no
 * external reference.
 */
#define SVG_FONT "font-family=\"sans-serif\" font-size=\"11\""

static void
html_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("&#8211;", f);
}

static void
html_consent_chart(FILE *f, const json_t *series)
{
	static const struct {
		const char *field, *color;
	} bars[] = {
		{ "granted", "#16a34a" },
		{ "revoked", "#dc2626" },
		{ "expired", "#6b7280" },
	};
	const int bw = 9, gap = 10, gw = 3 * bw + gap;
	const int left = 48, top = 30, ph = 170, bottom = 80;
	size_t n = json_array_size(series), i, k, every;
	long long max = 1;
	int width;
	const json_t *it;

	json_array_foreach(series, i, it)
		for (k = 0; k < ELEMENTSOF(bars); k++)
			max = MAX(max, jint(it, bars[k].field));
	width = left + (int)n * gw + 24;
	width = MAX(width, 360);
	every = n > 40 ? (n + 39) / 40 : 1;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"consent events over time\" " SVG_FONT ">\n",
	    width, top + ph + bottom, width, top + ph + bottom);
	for (k = 0; k < ELEMENTSOF(bars); k++)
		fprintf(f, "<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"15\">%s</text>\n",
		    left + (int)k * 90, bars[k].color, left + (int)k * 90 + 14,
		    bars[k].field);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
	    left, top, left, top + ph);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
	    left, top + ph, width - 8, top + ph);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n",
	    left - 4, top + 4, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
	    left - 4, top + ph + 4);
	json_array_foreach(series, i, it) {
		int x0 = left + (int)i * gw + gap / 2;
		for (k = 0; k < ELEMENTSOF(bars); k++) {
			long long v = jint(it, bars[k].field);
			int h = (int)((double)v / (double)max * ph + 0.5);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
			    x0 + (int)k * bw, top + ph - h, bw - 1, h,
			    bars[k].color);
			html_put(f, jstr(it, "period", ""));
			fprintf(f, ": %lld %s</title></rect>\n", v, bars[k].field);
		}
		if (i % every == 0) {
			int lx = x0 + 3 * bw / 2, ly = top + ph + 12;
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-45 %d %d)\">",
			    lx, ly, lx, ly);
			html_put(f, jstr(it, "period", ""));
			fputs("</text>\n", f);
		}
	}
	fputs("</svg>\n", f);
}

static const char *
event_color(const char *event)
{
	if (streq(event, "reserve"))
		return "#d97706";
	if (streq(event, "settle"))
		return "#2563eb";
	return "#059669";
}

static void
html_burndown_chart(FILE *f, const json_t *b)
{
	const json_t *points = json_object_get(b, "burndown"), *p;
	const int width = 680, height = 280, left = 60, right = 20, top = 24,
		  bottom = 56;
	const double pw = width - left - right, ph = height - top - bottom;
	size_t n = json_array_size(points), i, every;
	double limit = jnum(b, "epsilon"), ymax, prev, v, x, y;

	ymax = isfinite(limit) && limit > 0 ? limit : 0;
	if (isfinite(jnum(b, "start_remaining")))
		ymax = MAX(ymax, jnum(b, "start_remaining"));
	json_array_foreach(points, i, p)
		if (isfinite(jnum(p, "remaining")))
			ymax = MAX(ymax, jnum(p, "remaining"));
	if (ymax <= 0)
		ymax = 1;
#define BX(k) (left + (double)(k) * pw / (double)(n ? n : 1))
#define BY(val) (top + ph - (isfinite(val) ? (val) : 0) / ymax * ph)
	every = n > 30 ? (n + 29) / 30 : 1;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"remaining epsilon after each charge\" " SVG_FONT ">\n",
	    width, height, width, height);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n",
	    left, top, left, top + ph);
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n",
	    left, top + ph, width - right, top + ph);
	for (i = 0; i <= 2; i++) {
		double t = ymax * (double)i / 2;
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n",
		    left - 6, BY(t) + 4, t);
	}
	if (isfinite(limit) && limit > 0) {
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dc2626\" stroke-dasharray=\"6 4\"/>\n",
		    left, BY(limit), width - right, BY(limit));
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#dc2626\">limit &#949; %.6g</text>\n",
		    width - right, BY(limit) - 4, limit);
	}
	/* A step line: the remaining epsilon holds until the next event. */
	prev = jnum(b, "start_remaining");
	fprintf(f, "<polyline fill=\"none\" stroke=\"#1f2937\" stroke-width=\"2\" points=\"%.1f,%.1f",
	    BX(0), BY(prev));
	json_array_foreach(points, i, p) {
		v = jnum(p, "remaining");
		fprintf(f, " %.1f,%.1f %.1f,%.1f", BX(i + 1), BY(prev),
		    BX(i + 1), BY(v));
		prev = v;
	}
	fputs("\"/>\n", f);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">start</text>\n",
	    BX(0), top + ph + 16);
	json_array_foreach(points, i, p) {
		v = jnum(p, "remaining");
		x = BX(i + 1);
		y = BY(v);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>entry %lld ",
		    x, y, event_color(body_str(p, "event")), jint(p, "index"));
		html_put(f, jstr(p, "event", ""));
		fputc(' ', f);
		html_put(f, jstr(p, "job", ""));
		fputs(" at ", f);
		html_put(f, jstr(p, "time", "-"));
		fputs(": remaining &#949; ", f);
		html_num(f, v);
		fputs("</title></circle>\n", f);
		if ((i + 1) % every == 0 || i + 1 == n)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>\n",
			    x, top + ph + 16, jint(p, "index"));
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">ledger entry</text>\n",
	    left + pw / 2, height - 20);
	fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">reservation</text>\n"
		   "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">settlement</text>\n"
		   "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">release</text>\n",
	    left + 4, height - 6, event_color("reserve"), left + 12, height - 2,
	    left + 104, height - 6, event_color("settle"), left + 112,
	    height - 2, left + 204, height - 6, event_color("release"),
	    left + 212, height - 2);
#undef BX
#undef BY
	fputs("</svg>\n", f);
}

static void
html_row_num(FILE *f, const char *label, long long v)
{
	fputs("<tr><th>", f);
	html_put(f, label);
	fprintf(f, "</th><td class=\"n\">%lld</td></tr>\n", v);
}

static void
report_html(FILE *f, const json_t *rep)
{
	const json_t *period = json_object_get(rep, "period");
	const json_t *checks = json_object_get(rep, "checks");
	const json_t *cons = json_object_get(rep, "consents");
	const json_t *filters = json_object_get(rep, "filters");
	const json_t *it, *p;
	const char *key;
	size_t i, j;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>consentd audit report</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#111;max-width:60em}\n"
	      "table{border-collapse:collapse;margin:0.5em 0 1em}\n"
	      "th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}\n"
	      "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	      "code{font-size:90%}\n.muted{color:#666}\n"
	      "</style>\n</head>\n<body>\n<h1>consentd audit report</h1>\n", f);
	fputs("<table>\n<tr><th>period</th><td>", f);
	html_put(f, jstr(period, "since", jstr(period, "first", "-")));
	fputs(" &#8211; ", f);
	html_put(f, jstr(period, "until", jstr(period, "last", "-")));
	fprintf(f, "</td></tr>\n<tr><th>entries</th><td>%lld matching of %lld in the ledger</td></tr>\n",
	    jint(period, "entries"), jint(period, "ledger_entries"));
	fprintf(f, "<tr><th>source</th><td>%s</td></tr>\n",
	    streq(jstr(rep, "source", ""), "database") ? "a database file" :
							  "the daemon");
	fputs("<tr><th>generated</th><td>", f);
	html_put(f, jstr(rep, "generated", ""));
	fputs("</td></tr>\n", f);
	json_object_foreach((json_t *)filters, key, it) {
		fputs("<tr><th>filter: ", f);
		html_put(f, key);
		fputs("</th><td><code>", f);
		if (json_is_array(it))
			json_array_foreach(it, i, p) {
				if (i)
					fputc(',', f);
				html_put(f, json_string_value(p));
			}
		else
			html_put(f, json_is_string(it) ? json_string_value(it) :
							 "(unknown subject)");
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h2>Checks</h2>\n<table>\n", f);
	html_row_num(f, "total", jint(checks, "total"));
	html_row_num(f, "allow", jint(checks, "allow"));
	html_row_num(f, "deny", jint(checks, "deny"));
	html_row_num(f, "error", jint(checks, "error"));
	fputs("</table>\n", f);

	fputs("<h2>Denials by rule</h2>\n", f);
	if (json_array_size(json_object_get(rep, "denials_by_rule")) == 0)
		fputs("<p class=\"muted\">No denials.</p>\n", f);
	else {
		fputs("<table>\n<tr><th>policy</th><th>rule</th><th>denials</th></tr>\n",
		    f);
		json_array_foreach(json_object_get(rep, "denials_by_rule"), i,
		    it) {
			fputs("<tr><td>", f);
			html_put(f, jstr(it, "policy", DENIAL_OTHER));
			fputs("</td><td>", f);
			html_put(f, jstr(it, "rule", ""));
			fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n",
			    jint(it, "count"));
		}
		fputs("</table>\n", f);
	}

	fputs("<h2>Consents</h2>\n", f);
	fprintf(f, "<p>%lld granted, %lld revoked, %lld expired; per ",
	    jint(cons, "granted"), jint(cons, "revoked"),
	    jint(cons, "expired"));
	html_put(f, jstr(cons, "bucket", "day"));
	fputs(".</p>\n", f);
	if (json_array_size(json_object_get(cons, "series")) > 0) {
		html_consent_chart(f, json_object_get(cons, "series"));
		fputs("<table>\n<tr><th>", f);
		html_put(f, jstr(cons, "bucket", "day"));
		fputs("</th><th>granted</th><th>revoked</th><th>expired</th></tr>\n",
		    f);
		json_array_foreach(json_object_get(cons, "series"), i, it) {
			fputs("<tr><td>", f);
			html_put(f, jstr(it, "period", ""));
			fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n",
			    jint(it, "granted"), jint(it, "revoked"),
			    jint(it, "expired"));
		}
		fputs("</table>\n", f);
	} else
		fputs("<p class=\"muted\">No consent events in this period.</p>\n",
		    f);

	fprintf(f, "<h2>Erasures</h2>\n<p>%lld subjects erased.</p>\n",
	    jint(rep, "erasures"));

	fputs("<h2>Policies loaded</h2>\n", f);
	if (json_array_size(json_object_get(rep, "policies")) == 0)
		fputs("<p class=\"muted\">No policy versions recorded in this period.</p>\n",
		    f);
	else {
		fputs("<table>\n<tr><th>entry</th><th>name</th><th>version</th><th>mode</th><th>sha256</th></tr>\n",
		    f);
		json_array_foreach(json_object_get(rep, "policies"), i, it) {
			fprintf(f, "<tr><td class=\"n\">%lld</td><td>",
			    jint(it, "index"));
			html_put(f, jstr(it, "name", ""));
			fputs("</td><td>", f);
			html_put(f, jstr(it, "version", ""));
			fputs("</td><td>", f);
			html_put(f, jstr(it, "mode", ""));
			fputs("</td><td><code>", f);
			html_put(f, jstr(it, "sha256", ""));
			fputs("</code></td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}

	fprintf(f, "<h2>Privacy budgets</h2>\n<p>%lld settlements, %lld releases.</p>\n",
	    jint(rep, "budget_settlements"), jint(rep, "budget_releases"));
	if (json_array_size(json_object_get(rep, "budgets")) == 0)
		fputs("<p class=\"muted\">No privacy budget has been charged.</p>\n",
		    f);
	else {
		fputs("<table>\n<tr><th>budget</th><th>accountant</th><th>limit &#949;</th><th>&#948;</th>"
		      "<th>spent</th><th>spent and reserved</th><th>remaining</th><th>charges</th></tr>\n",
		    f);
		json_array_foreach(json_object_get(rep, "budgets"), i, it) {
			fputs("<tr><td>", f);
			html_put(f, jstr(it, "name", ""));
			fputs("</td><td>", f);
			html_put(f, jstr(it, "accountant", ""));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(it, "epsilon"));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(it, "delta"));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(it, "spent_epsilon"));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(it, "committed_epsilon"));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(it, "remaining_epsilon"));
			fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n",
			    jint(it, "charges"));
		}
		fputs("</table>\n", f);
	}
	json_array_foreach(json_object_get(rep, "budgets"), i, it) {
		const json_t *points = json_object_get(it, "burndown");
		if (json_array_size(points) == 0)
			continue;
		fputs("<h3>Burn-down: ", f);
		html_put(f, jstr(it, "name", ""));
		fputs("</h3>\n<p>Remaining &#949; after each reservation (at the decision), settlement and release, against the limit.</p>\n",
		    f);
		html_burndown_chart(f, it);
		fputs("<table>\n<tr><th>entry</th><th>time</th><th>event</th><th>job</th><th>remaining &#949;</th></tr>\n",
		    f);
		json_array_foreach(points, j, p) {
			fprintf(f, "<tr><td class=\"n\">%lld</td><td>",
			    jint(p, "index"));
			html_put(f, jstr(p, "time", ""));
			fputs("</td><td>", f);
			html_put(f, jstr(p, "event", ""));
			fputs("</td><td>", f);
			html_put(f, jstr(p, "job", ""));
			fputs("</td><td class=\"n\">", f);
			html_num(f, jnum(p, "remaining"));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (json_object_get(rep, "budget_replay_errors"))
		fprintf(f, "<p class=\"muted\">%lld budget entries could not be replayed: the burn-down may be incomplete.</p>\n",
		    jint(rep, "budget_replay_errors"));
	fputs("</body>\n</html>\n", f);
}

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_HTML };

static int
report_write(const json_t *rep, enum report_format format, const char *path)
{
	FILE *out = stdout;
	int r = EXIT_OK;

	if (path && !(out = fopen(path, "we")))
		return cli_usage_error("cannot write '%s': %m", path);
	if (format == REPORT_JSON) {
		if (json_dumpf(rep, out, JSON_INDENT(2)) < 0)
			r = EXIT_UNAVAILABLE;
		fputc('\n', out);
	} else if (format == REPORT_HTML)
		report_html(out, rep);
	else
		report_text(out, rep);
	if (ferror(out) || fflush(out) != 0)
		r = EXIT_UNAVAILABLE;
	if (out != stdout && fclose(out) != 0)
		r = EXIT_UNAVAILABLE;
	if (r != EXIT_OK)
		fprintf(stderr, "consentctl: cannot write the report to '%s'\n",
		    path ? path : "standard output");
	return r;
}

int
cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		AUDIT_FILTER_OPTIONS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{},
	};
	struct audit_filter f = { 0 };
	struct report rp = { .f = &f };
	enum report_format format = ctx->json ? REPORT_JSON : REPORT_TEXT;
	const char *output = NULL;
	json_t *budgets = NULL, *rep = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl report [--since T] [--until T]\n"
			       "                         [--format text|json|html] [-o FILE]\n"
			       "                         [log's filters] [--offline --db FILE]\n\n"
			       "Summarises the audit trail, like aureport: the period covered;\n"
			       "checks (allow, deny, error); denials by rule (policy:rule, once per\n"
			       "denied check for each enforced rule that failed or budget it would\n"
			       "have overspent); consents granted, revoked and expired per day (per\n"
			       "week beyond 92 days, per month beyond three years); erasures; the\n"
			       "policy versions loaded; and each privacy budget's limit, spent and\n"
			       "remaining epsilon with its burn-down: the remaining epsilon after\n"
			       "every reservation (at the decision), settlement and release,\n"
			       "replayed from the ledger's entries.\n\n"
			       "  --format text   a plain-text summary (the default)\n"
			       "  --format json   the same as one JSON object (also: --json)\n"
			       "  --format html   one self-contained HTML file: tables and inline\n"
			       "                  SVG charts, no script, no external resource\n"
			       "  -o, --output FILE  write the report to FILE\n\n"
			       "The report covers the entries that 'consentctl log' would list\n"
			       "with the same --since, --until, --kind, --job, --decision,\n"
			       "--subject and --subject-token (see 'consentctl log --help' for\n"
			       "times). Budget figures are the daemon's current ones (offline:\n"
			       "the replay's).\n\n"
			       "Exit status: 0 report written, 2 bad input, 3 daemon unreachable\n"
			       "or the database unreadable.\n");
			return EXIT_OK;
		case OPT_FORMAT:
			if (streq(optarg, "text"))
				format = REPORT_TEXT;
			else if (streq(optarg, "json"))
				format = REPORT_JSON;
			else if (streq(optarg, "html"))
				format = REPORT_HTML;
			else
				return cli_usage_error("--format: expected text, json or html, not '%s'",
				    optarg);
			break;
		case 'o':
			output = optarg;
			break;
		default:
			r = filter_option(c, optarg, &f);
			if (r <= 0)
				return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("report: unexpected argument '%s'",
		    argv[optind]);
	r = filter_prepare(ctx, &f);
	if (r != EXIT_OK)
		return r;
	rp.denials = json_object();
	rp.days = json_object();
	rp.policies = json_array();
	rp.states = json_object();
	rp.series = json_object();
	if (!rp.denials || !rp.days || !rp.policies || !rp.states ||
	    !rp.series) {
		r = EXIT_UNAVAILABLE;
		goto out;
	}
	r = audit_walk(ctx, &f, report_entry, &rp);
	if (r == EXIT_OK && !f.db)
		r = cli_call(ctx, "GET", "/v1/budgets", NULL, &budgets);
	if (r != EXIT_OK)
		goto out;
	rep = report_json(&rp, json_object_get(budgets, "budgets"));
	if (!rep) {
		fprintf(stderr, "consentctl: out of memory\n");
		r = EXIT_UNAVAILABLE;
		goto out;
	}
	r = report_write(rep, format, output);
out:
	json_decref(rep);
	json_decref(budgets);
	json_decref(rp.denials);
	json_decref(rp.days);
	json_decref(rp.policies);
	json_decref(rp.states);
	json_decref(rp.series);
	return r;
}
