/* Lineage: which allowed jobs (and models) used a subject's data, and
 * which jobs a revocation or an erasure affects. */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "consentd.h"
#include "ledger.h"

static bool
tokens_contain(const uint8_t *tokens, size_t len, const uint8_t *token)
{
	size_t lo = 0, hi = len / STORE_TOKEN_LEN;

	/* The set is sorted: binary search. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(tokens + mid * STORE_TOKEN_LEN, token,
		    STORE_TOKEN_LEN);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static json_t *
job_summary(struct ledger *l, const char *job, uint64_t index)
{
	_cleanup_free_ uint8_t *data = NULL;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL, *o;
	size_t len;

	o = json_pack("{s:s, s:I}", "job", job, "decision_index",
	    (json_int_t)index);
	if (o && store_entry_get(ledger_store(l), index, &data, &len) >= 0 &&
	    ledger_entry_decode(data, len, kind, &body) >= 0) {
		json_t *m = json_object_get(body, "model");
		if (m)
			json_object_set(o, "model", m);
		json_object_set(o, "decided", json_object_get(body, "decided"));
		json_object_set(o, "purpose", json_object_get(body, "purpose"));
	}
	json_decref(body);
	return o;
}

struct lineage_find {
	struct ledger *l;
	uint8_t token[STORE_TOKEN_LEN];
	uint64_t before;  /* only decisions below this index */
	json_t *jobs;
};

static int
lineage_find_one(void *userdata, const char *job, const uint8_t *tokens,
    size_t len, uint64_t decision_index)
{
	struct lineage_find *f = userdata;

	if (decision_index < f->before &&
	    tokens_contain(tokens, len, f->token))
		json_array_append_new(f->jobs, job_summary(f->l, job,
		    decision_index));
	return 0;
}

void
route_lineage(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	struct ledger *l = ledger_service_reader(d->ledger);
	_cleanup_free_ char *subject = evhttp_uridecode(rest, 0, NULL);
	struct lineage_find f = { .l = l, .before = UINT64_MAX };
	char hex[2 * STORE_TOKEN_LEN + 1];
	int r;

	if (!subject || !*subject || ledger_refresh(l) < 0) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Expected /v1/lineage/SUBJECT");
		return;
	}
	r = ledger_subject_token(l, subject, false, f.token);
	if (r == -ENOENT) {
		server_reply_error(req, ERR_NOT_FOUND,
		    "No such subject (never recorded, or erased)");
		return;
	}
	if (r < 0) {
		server_reply_error(req, err_from_errno(r), "%s", ledger_errmsg(l));
		return;
	}
	f.jobs = json_array();
	r = store_lineage_foreach(ledger_store(l), lineage_find_one, &f);
	if (r < 0) {
		json_decref(f.jobs);
		server_reply_error(req, ERR_STORAGE, "Cannot read lineage");
		return;
	}
	hex_encode(f.token, sizeof(f.token), hex);
	server_reply_json(req, 200, json_pack("{s:s, s:o}", "token", hex,
	    "jobs", f.jobs));
}

/* Revocations and erasures since an index, each with the jobs that had
 * used the subject's data before it. */
struct impact {
	struct ledger *l;
	json_t *events;
	usec_t since_time;
};

static int
impact_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	struct impact *im = userdata;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL;
	const char *hex, *t;
	struct lineage_find f = { .l = im->l, .before = index };
	usec_t when = 0;
	int r = 0;

	if (ledger_entry_decode(data, len, kind, &body) < 0)
		return 0;
	if (streq(kind, "consent") &&
	    !streq(json_string_value(json_object_get(body, "event")), "revoke"))
		goto out;
	if (!streq(kind, "consent") && !streq(kind, "erasure"))
		goto out;
	t = json_string_value(json_object_get(body, "recorded"));
	if (t && time_parse_rfc3339(t, &when) >= 0 && when < im->since_time)
		goto out;
	hex = json_string_value(json_object_get(body, "subject"));
	if (!hex || hex_decode(hex, strlen(hex), f.token, STORE_TOKEN_LEN) < 0)
		goto out;
	f.jobs = json_array();
	r = store_lineage_foreach(ledger_store(im->l), lineage_find_one, &f);
	if (r >= 0 && json_array_size(f.jobs) > 0)
		json_array_append_new(im->events,
		    json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:O}", "index",
			(json_int_t)index, "event",
			streq(kind, "erasure") ? "erasure" : "revoke", "subject",
			hex, "purpose", json_string_value(json_object_get(body,
			    "purpose")), "recorded", t, "jobs", f.jobs));
	json_decref(f.jobs);
out:
	json_decref(body);
	return r < 0 ? r : 0;
}

void
route_impact(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	struct ledger *l = ledger_service_reader(d->ledger);
	struct impact im = { .l = l };
	struct evkeyvalq q;
	const char *since;
	int r;

	if (server_query(req, &q) < 0)
		return;
	since = evhttp_find_header(&q, "since");
	if (since && time_parse_rfc3339(since, &im.since_time) < 0) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Query parameter 'since' must be an RFC 3339 time");
		evhttp_clear_headers(&q);
		return;
	}
	evhttp_clear_headers(&q);
	if (ledger_refresh(l) < 0) {
		server_reply_error(req, ERR_STORAGE, "%s", ledger_errmsg(l));
		return;
	}
	im.events = json_array();
	r = store_entry_foreach(ledger_store(l), 0, ledger_size(l),
	    impact_entry, &im);
	if (r < 0) {
		json_decref(im.events);
		server_reply_error(req, ERR_STORAGE, "Cannot read the ledger");
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "events", im.events));
}
