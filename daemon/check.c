/* POST /v1/check: a pipeline asks before it trains. The datasets are
 * evaluated on a worker thread against the active policies and a consent
 * snapshot; the decision, its budget reservations and its lineage are then
 * recorded in one ledger transaction, and the answer carries a receipt
 * (the entry and its inclusion proof under a signed checkpoint). */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "consentd.h"
#include "crypto.h"
#include "eval.h"
#include "job.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "manifest.h"
#include "policy.h"

/* Decision entries stay well below LEDGER_ENTRY_MAX; evidence is dropped
 * from the entry (not from the response) when it would not fit. */
#define CHECK_ENTRY_EVIDENCE_MAX 40000

struct check {
	struct daemon *d;
	struct evhttp_request *req;
	struct job job;
	struct policy_set *ps;
	usec_t started;           /* monotonic */
	usec_t at;                /* evaluation time */
	/* Filled by the worker. */
	json_t *evaluation;       /* eval_result_to_json() */
	char *decision;           /* allow, deny, error */
	char *reason;
	struct dataset_summary {
		char *name, *manifest, *manifest_sha256, *fingerprint;
		uint64_t rows, bytes;
	} *datasets;
	size_t ndatasets;
	uint8_t *tokens;          /* lineage: sorted subject tokens */
	size_t ntokens;
	uint64_t snapshot_size;
	struct budget_costs costs; /* the job's privacy cost, per budget kind */
	int error;
	char message[512];
};

static void
check_free(struct check *c)
{
	if (!c)
		return;
	job_done(&c->job);
	budget_costs_done(&c->costs);
	policy_set_unref(c->ps);
	json_decref(c->evaluation);
	free(c->decision);
	free(c->reason);
	for (size_t i = 0; i < c->ndatasets; i++) {
		free(c->datasets[i].name);
		free(c->datasets[i].manifest);
		free(c->datasets[i].manifest_sha256);
		free(c->datasets[i].fingerprint);
	}
	free(c->datasets);
	free(c->tokens);
	free(c);
}

/* Manifests that cannot be read or parsed make the decision error (fail
 * closed), with their diagnostics as the reason. */
static int
check_load_manifests(struct check *c, struct manifest ***ret)
{
	struct manifest **m = calloc(c->job.ndatasets, sizeof(*m));
	struct diag d = { 0 };
	int r = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < c->job.ndatasets; i++)
		if (manifest_parse_file(c->job.datasets[i], &m[i], &d, NULL) < 0)
			r = -EINVAL;
	if (r < 0) {
		size_t o = 0;
		for (size_t i = 0; i < d.n && o < sizeof(c->message) - 1; i++)
			o += (size_t)snprintf(c->message + o,
			    sizeof(c->message) - o, "%s%s:%u:%u: %s",
			    i ? "; " : "", d.items[i].file, d.items[i].line,
			    d.items[i].col, d.items[i].message);
		for (size_t i = 0; i < c->job.ndatasets; i++)
			manifest_free(m[i]);
		free(m);
		diag_clear(&d);
		return r;
	}
	diag_clear(&d);
	*ret = m;
	return 0;
}

static void
check_work(void *arg)
{
	struct check *c = arg;
	struct manifest **manifests = NULL;
	struct ledger_snapshot *snap = NULL;
	struct store *conn = NULL;
	bool shared = false;
	struct consent_source src = { 0 };
	struct eval_result *result = NULL;
	struct eval_options opt = { 0 };
	char err[512];
	int r;

	c->at = now_realtime();
	r = check_load_manifests(c, &manifests);
	if (r == -EINVAL) {
		c->decision = strdup("error");
		c->reason = strdup(c->message);
		return;
	}
	if (r < 0) {
		c->error = -ENOMEM;
		return;
	}
	r = ledger_service_snapshot(c->d->ledger, c->at, &snap, &conn, err,
	    sizeof(err));
	if (r < 0) {
		/* No consent answers: the consent rule is not_evaluated,
		 * which never allows. */
		log_error("Failed to open a consent snapshot: %s", err);
	} else {
		ledger_snapshot_collect(snap, true);
		shared = ledger_service_share_sets(c->d->ledger, snap,
		    c->job.purpose);
		ledger_consent_source_from_snapshot(snap, &src);
		/* The snapshot goes back with its connection, below. */
		src.close = NULL;
		c->snapshot_size = src.snapshot_size;
	}
	opt.purpose = c->job.purpose;
	opt.at = c->at;
	opt.consent = snap ? &src : NULL;
	r = eval_run(c->ps->v, c->ps->n, manifests, c->job.ndatasets, &opt,
	    &result);
	if (r < 0) {
		c->error = r;
		snprintf(c->message, sizeof(c->message), "evaluation failed: %s",
		    strerror(-r));
		goto out;
	}
	if (snap && !shared)
		ledger_service_keep_set(c->d->ledger, snap, c->job.purpose);
	c->evaluation = eval_result_to_json(result);
	if (c->evaluation)
		budget_costs_prepare(&c->costs, &c->job, c->ps, c->evaluation);
	c->decision = strdup(eval_decision_name(result->decision));
	c->reason = strdup(result->reason ? result->reason : "");
	c->datasets = calloc(result->ndatasets, sizeof(*c->datasets));
	if (!c->evaluation || !c->decision || !c->reason || !c->datasets) {
		c->error = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < result->ndatasets; i++) {
		const struct eval_dataset_result *ds = &result->datasets[i];
		struct dataset_summary *s = &c->datasets[c->ndatasets++];
		s->name = strdup(ds->name ? ds->name : "");
		s->manifest = strdup(ds->manifest ? ds->manifest : "");
		s->manifest_sha256 = strdup(ds->manifest_hash);
		s->fingerprint = strdup(ds->fingerprint);
		s->rows = ds->rows;
		s->bytes = ds->bytes;
	}
	if (snap && result->decision == EVAL_ALLOW &&
	    ledger_snapshot_tokens(snap, &c->tokens, &c->ntokens) < 0)
		c->error = -ENOMEM;
out:
	eval_result_free(result);
	consent_source_close(&src);
	if (snap)
		ledger_service_snapshot_done(c->d->ledger, snap, conn);
	for (size_t i = 0; manifests && i < c->job.ndatasets; i++)
		manifest_free(manifests[i]);
	free(manifests);
}

/* The decision entry: what an auditor needs to know and to replay. */
static json_t *
decision_body(struct check *c, struct ledger *l, json_t *budgets)
{
	char t[TIME_RFC3339_MAX], digest_hex[2 * SHA256_LEN + 1];
	uint8_t digest[SHA256_LEN];
	json_t *body, *pols = json_array(), *rules = json_array(),
		      *dss = json_array(), *p;
	size_t i, j;

	body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "job", c->job.id,
	    "purpose", c->job.purpose, "decision", c->decision, "reason",
	    c->reason ? c->reason : "", "decided",
	    time_format_rfc3339(c->at, t), "consent_snapshot",
	    (json_int_t)c->snapshot_size, "privacy",
	    job_privacy_to_json(&c->job.privacy));
	if (!body || !pols || !rules || !dss) {
		json_decref(body);
		json_decref(pols);
		json_decref(rules);
		json_decref(dss);
		return NULL;
	}
	if (c->job.requester)
		json_object_set_new(body, "requester",
		    json_string(c->job.requester));
	if (c->job.model_name)
		json_object_set_new(body, "model",
		    json_pack("{s:s, s:s?}", "name", c->job.model_name,
			"version", c->job.model_version));
	for (i = 0; i < c->ndatasets; i++)
		json_array_append_new(dss,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "name",
			c->datasets[i].name, "manifest", c->datasets[i].manifest,
			"manifest_sha256", c->datasets[i].manifest_sha256,
			"fingerprint", c->datasets[i].fingerprint, "rows",
			(json_int_t)c->datasets[i].rows, "bytes",
			(json_int_t)c->datasets[i].bytes));
	json_array_foreach(json_object_get(c->evaluation, "policies"), i, p) {
		const char *sha = json_string_value(json_object_get(p, "sha256"));
		uint64_t idx = 0;
		json_t *rr, *pe;

		/* The ledger entry of the exact policy text used. */
		for (size_t k = 0; k < c->ps->n; k++)
			if (streq(c->ps->v[k]->hash_hex, sha) &&
			    policy_set_record(l, c->ps, k, &idx) < 0)
				return json_decref(body), json_decref(pols),
				       json_decref(rules), json_decref(dss), NULL;
		pe = json_pack("{s:O, s:O, s:O, s:O, s:I}", "name",
		    json_object_get(p, "name"), "sha256",
		    json_object_get(p, "sha256"), "mode",
		    json_object_get(p, "mode"), "effect",
		    json_object_get(p, "effect"), "entry", (json_int_t)idx);
		json_array_append_new(pols, pe);
		json_array_foreach(json_object_get(p, "rules"), j, rr)
			json_array_append_new(rules,
			    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
				"policy", json_object_get(p, "name"), "rule",
				json_object_get(rr, "name"), "kind",
				json_object_get(rr, "kind"), "dataset",
				json_object_get(rr, "dataset"), "outcome",
				json_object_get(rr, "outcome"), "reason",
				json_object_get(rr, "reason"), "evidence",
				json_object_get(rr, "evidence")));
	}
	/* The budget rules were deferred to the budget store: record what
	 * it decided, so the entry says which rule denied. */
	json_array_foreach(rules, i, p) {
		json_t *b;
		if (!streq(json_string_value(json_object_get(p, "kind")),
			"dp_budget"))
			continue;
		json_array_foreach(budgets, j, b) {
			if (!streq(json_string_value(json_object_get(b, "rule")),
				json_string_value(json_object_get(p, "rule"))) ||
			    !streq(json_string_value(json_object_get(b, "policy")),
				json_string_value(json_object_get(p, "policy"))))
				continue;
			json_object_set_new(p, "outcome", json_string(
			    json_is_true(json_object_get(b, "overspend")) ?
				"fail" : "pass"));
			json_object_set_new(p, "reason", json_pack("s",
			    json_is_true(json_object_get(b, "overspend")) ?
				"the budget would be overspent" :
				"within the budget"));
		}
	}
	json_object_set_new(body, "datasets", dss);
	json_object_set_new(body, "policies", pols);
	json_object_set_new(body, "rules", rules);
	json_object_set_new(body, "budgets", json_incref(budgets));
	/* Lineage: the set itself is kept beside the log; its digest and
	 * size are in the entry, so it cannot change unnoticed. */
	sha256(c->tokens ? c->tokens : (uint8_t *)"",
	    c->ntokens * STORE_TOKEN_LEN, digest);
	hex_encode(digest, sizeof(digest), digest_hex);
	json_object_set_new(body, "lineage",
	    json_pack("{s:I, s:s}", "subjects", (json_int_t)c->ntokens,
		"sha256", digest_hex));
	{
		char *text = json_dumps_checked(body, JSON_COMPACT);
		size_t len = text ? strlen(text) : 0;
		free(text);
		if (len > CHECK_ENTRY_EVIDENCE_MAX) {
			json_array_foreach(json_object_get(body, "rules"), i, p)
				json_object_del(p, "evidence");
			json_object_set_new(body, "evidence_omitted",
			    json_true());
		}
	}
	return body;
}

static json_t *
entry_json(struct ledger *l, uint64_t index)
{
	_cleanup_free_ uint8_t *data = NULL;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL, *o;
	char *leaf;
	size_t len;

	if (store_entry_get(ledger_store(l), index, &data, &len) < 0)
		return NULL;
	if (ledger_entry_decode(data, len, kind, &body) < 0)
		return NULL;
	leaf = base64_encode(data, len);
	o = json_pack("{s:I, s:s, s:s, s:o}", "index", (json_int_t)index, "kind",
	    kind, "leaf", leaf ? leaf : "", "entry", body);
	free(leaf);
	return o;
}

static int
check_commit(struct ledger *l, struct ledger_job *job)
{
	struct check *c = job->userdata;
	_cleanup_json_ json_t *budgets = NULL;
	json_t *body, *entry;
	uint64_t index;
	int r;

	/* Idempotent: a recorded allow or deny stands unless recheck. */
	if (!c->job.recheck &&
	    store_decision_get(ledger_store(l), c->job.id, &index) >= 0) {
		entry = entry_json(l, index);
		const char *prev = json_string_value(json_object_get(
		    json_object_get(entry, "entry"), "decision"));
		if (entry && !streq(prev, "error")) {
			json_t *rec = json_object_get(entry, "entry");
			/* The same shape as a fresh answer, from the entry. */
			job->response = json_pack("{s:s, s:O, s:O, s:b, s:O, s:o}",
			    "job", c->job.id, "decision",
			    json_object_get(rec, "decision"), "reason",
			    json_object_get(rec, "reason"), "idempotent", 1,
			    "budgets", json_object_get(rec, "budgets") ?
				json_object_get(rec, "budgets") : json_null(),
			    "entry", entry);
			job->receipt_index = index;
			job->want_receipt = true;
			return job->response ? 0 : -ENOMEM;
		}
		json_decref(entry);
	}
	r = budget_reserve(l, c->d, &c->job, &c->costs, c->ps, c->evaluation,
	    c->at, &budgets, &c->decision, &c->reason);
	if (r < 0)
		return r;
	body = decision_body(c, l, budgets);
	if (!body)
		return -ENOMEM;
	r = ledger_append_json(l, "decision", body, &index, NULL);
	json_decref(body);
	if (r < 0)
		return r == -EMSGSIZE || r == -EINVAL ? -EIO : r;
	if (streq(c->decision, "allow") && c->ntokens > 0) {
		r = store_lineage_put(ledger_store(l), c->job.id, c->tokens,
		    c->ntokens * STORE_TOKEN_LEN);
		if (r < 0)
			return r;
	}
	entry = entry_json(l, index);
	job->response = json_pack("{s:s, s:s, s:s, s:b, s:o, s:O, s:O}", "job",
	    c->job.id, "decision", c->decision, "reason",
	    c->reason ? c->reason : "", "idempotent", 0, "entry", entry,
	    "evaluation", c->evaluation ? c->evaluation : json_null(),
	    "budgets", budgets ? budgets : json_array());
	job->want_receipt = true;
	job->receipt_index = index;
	return job->response ? 0 : -ENOMEM;
}

/* Alerts after the decision is recorded: denials, and budgets crossing
 * the configured share of their epsilon. */
static void
check_alerts(struct check *c, const json_t *resp)
{
	const char *decision = json_string_value(json_object_get(resp,
	    "decision"));
	const json_t *entry = json_object_get(resp, "entry");
	double pct = (double)c->d->config->alert_budget_percent / 100.0;
	json_t *b;
	size_t i;
	char summary[512];

	if (json_is_true(json_object_get(resp, "idempotent")))
		return;
	if (!streq(decision, "allow")) {
		snprintf(summary, sizeof(summary),
		    "consentd: training job '%s' was %s: %s", c->job.id,
		    decision ? decision : "?",
		    json_string_value(json_object_get(resp, "reason")) ?
			json_string_value(json_object_get(resp, "reason")) :
			"");
		alerts_emit(c->d, "check.denied", summary,
		    json_pack("{s:s, s:s?, s:O?, s:O?}", "job", c->job.id,
			"decision", decision, "reason",
			json_object_get(resp, "reason"), "entry",
			json_object_get(entry, "index")));
		return;
	}
	json_array_foreach(json_object_get(resp, "budgets"), i, b) {
		double eps = json_number_value(json_object_get(b, "epsilon"));
		double before = json_number_value(json_object_get(b,
		    "epsilon_before"));
		double after = json_number_value(json_object_get(b,
		    "epsilon_after"));
		if (!json_is_true(json_object_get(b, "charged")) ||
		    !(before < pct * eps && after >= pct * eps))
			continue;
		snprintf(summary, sizeof(summary),
		    "consentd: privacy budget '%s' passed %lld%%: epsilon %.4g of %.4g after job '%s'",
		    json_string_value(json_object_get(b, "budget")),
		    (long long)c->d->config->alert_budget_percent, after, eps,
		    c->job.id);
		alerts_emit(c->d, "budget.threshold", summary,
		    json_pack("{s:O, s:f, s:f, s:s}", "budget",
			json_object_get(b, "budget"), "epsilon", eps,
			"epsilon_after", after, "job", c->job.id));
	}
}

static void
check_committed(struct ledger_job *job)
{
	struct check *c = job->userdata;
	usec_t took = now_monotonic() - c->started;

	if (job->result >= 0) {
		const char *decision = json_string_value(json_object_get(
		    job->response, "decision"));
		log_info("Check '%s' for %s: %s (%lld ms)", c->job.id,
		    c->job.purpose, decision, (long long)(took / 1000));
		metrics_check_done(c->d, decision, took);
		check_alerts(c, job->response);
	} else
		metrics_check_done(c->d, "failed", took);
	ledger_job_reply(job);
	check_free(c);
}

static void
check_evaluated(void *arg)
{
	struct check *c = arg;
	struct ledger_job *job;

	if (c->error < 0) {
		server_reply_error(c->req, ERR_INTERNAL, "%s",
		    c->message[0] ? c->message : "Evaluation failed");
		metrics_check_done(c->d, "failed", now_monotonic() - c->started);
		check_free(c);
		return;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		server_reply_error(c->req, ERR_INTERNAL, "Out of memory");
		check_free(c);
		return;
	}
	job->run = check_commit;
	job->done = check_committed;
	job->userdata = c;
	job->req = c->req;
	if (ledger_service_submit(c->d->ledger, job) < 0) {
		ledger_job_free(job);
		server_reply_error(c->req, ERR_UNAVAILABLE,
		    "The ledger is busy; retry");
		check_free(c);
	}
}

void
route_check_post(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	_cleanup_json_ json_t *in = NULL;
	struct check *c;
	char err[512];
	int r;

	if (server_read_json(req, (size_t)d->config->max_request_bytes, &in) < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	c->d = d;
	c->req = req;
	c->started = now_monotonic();
	r = job_parse(in, &c->job, err, sizeof(err));
	if (r < 0) {
		free(c);
		server_reply_error(req, ERR_INVALID_ARGUMENT, "Invalid job: %s",
		    err);
		return;
	}
	c->ps = policy_set_ref(d->policies);
	r = workers_submit(d->workers, d->base, check_work, check_evaluated, c);
	if (r < 0) {
		check_free(c);
		server_reply_error(req, ERR_UNAVAILABLE,
		    "Too many checks in progress; retry");
	}
}
