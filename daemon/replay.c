/* POST /v1/replay: re-evaluates a recorded decision against the ledger as
 * it was (the consent snapshot it names) and the exact policy texts it
 * used (from their ledger entries), and says whether it reproduces. */
#include "config.h"

#include <string.h>

#include "consentd.h"
#include "eval.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "manifest.h"
#include "policy.h"

struct replay {
	struct daemon *d;
	struct evhttp_request *req;
	uint64_t index;
	json_t *decision;   /* the recorded entry body */
	json_t *policies;   /* [{name, text}] from their entries */
	json_t *response;
	int error;
	char message[512];
};

static void
replay_free(struct replay *rp)
{
	json_decref(rp->decision);
	json_decref(rp->policies);
	json_decref(rp->response);
	free(rp);
}

static json_t *
entry_body(struct ledger *l, uint64_t index, const char *want_kind)
{
	_cleanup_free_ uint8_t *data = NULL;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL;
	size_t len;

	if (store_entry_get(ledger_store(l), index, &data, &len) < 0 ||
	    ledger_entry_decode(data, len, kind, &body) < 0)
		return NULL;
	if (!streq(kind, want_kind)) {
		json_decref(body);
		return NULL;
	}
	return body;
}

static void
replay_work(void *arg)
{
	struct replay *rp = arg;
	struct policy **pols = NULL;
	struct manifest **mans = NULL;
	struct ledger_snapshot *snap = NULL;
	struct consent_source src = { 0 };
	struct eval_result *res = NULL;
	struct eval_options opt = { 0 };
	_cleanup_free_ char *db = NULL, *secret = NULL;
	json_t *datasets = json_object_get(rp->decision, "datasets");
	json_t *recorded_rules = json_object_get(rp->decision, "rules");
	json_t *diffs = json_array(), *it, *now = NULL;
	size_t npol = json_array_size(rp->policies), nman = json_array_size(datasets);
	const char *decided = json_string_value(json_object_get(rp->decision,
	    "decided"));
	struct diag d = { 0 };
	char err[512];
	size_t i, j;
	int r;

	pols = calloc(npol + 1, sizeof(*pols));
	mans = calloc(nman + 1, sizeof(*mans));
	if (!pols || !mans || !diffs ||
	    asprintf(&db, "%s/ledger.db", rp->d->config->state_dir) < 0 ||
	    asprintf(&secret, "%s/subject.key", rp->d->config->state_dir) < 0) {
		rp->error = -ENOMEM;
		goto out;
	}
	json_array_foreach(rp->policies, i, it) {
		const char *text = json_string_value(json_object_get(it, "text"));
		r = policy_parse_string(json_string_value(json_object_get(it,
		    "file")), text, strlen(text), &pols[i], &d, NULL);
		if (r < 0) {
			snprintf(rp->message, sizeof(rp->message),
			    "the recorded policy '%s' no longer parses",
			    json_string_value(json_object_get(it, "name")));
			rp->error = -EINVAL;
			goto out;
		}
	}
	json_array_foreach(datasets, i, it) {
		const char *path = json_string_value(json_object_get(it,
		    "manifest"));
		if (!path || manifest_parse_file(path, &mans[i], &d, NULL) < 0) {
			snprintf(rp->message, sizeof(rp->message),
			    "the manifest '%s' cannot be read any more",
			    path ? path : "?");
			rp->error = -ENOENT;
			goto out;
		}
		if (!streq(mans[i]->hash_hex, json_string_value(json_object_get(it,
			"manifest_sha256"))))
			json_array_append_new(diffs, json_pack("{s:s, s:s}",
			    "what", "manifest changed", "dataset",
			    mans[i]->dataset));
	}
	if (time_parse_rfc3339(decided, &opt.at) < 0) {
		rp->error = -EBADMSG;
		goto out;
	}
	r = ledger_snapshot_open(db, secret,
	    (uint64_t)json_integer_value(json_object_get(rp->decision,
		"consent_snapshot")),
	    opt.at, &snap, err, sizeof(err));
	if (r >= 0)
		ledger_consent_source_from_snapshot(snap, &src);
	opt.purpose = json_string_value(json_object_get(rp->decision, "purpose"));
	opt.consent = snap ? &src : NULL;
	r = eval_run(pols, npol, mans, nman, &opt, &res);
	if (r < 0) {
		rp->error = r;
		goto out;
	}
	now = eval_result_to_json(res);
	/* Compare rule by rule, and the data by fingerprint. */
	json_array_foreach(recorded_rules, i, it) {
		const char *pol = json_string_value(json_object_get(it, "policy"));
		const char *rule = json_string_value(json_object_get(it, "rule"));
		const char *ds = json_string_value(json_object_get(it, "dataset"));
		const char *was = json_string_value(json_object_get(it, "outcome"));
		const char *is = NULL;
		json_t *p, *rr;
		size_t k, m;

		/* Budgets are decided by the budget store, not replayed. */
		if (streq(json_string_value(json_object_get(it, "kind")),
			"dp_budget"))
			continue;
		json_array_foreach(json_object_get(now, "policies"), k, p) {
			if (!streq(json_string_value(json_object_get(p, "name")), pol))
				continue;
			json_array_foreach(json_object_get(p, "rules"), m, rr)
				if (streq(json_string_value(json_object_get(rr,
					"name")), rule) &&
				    streq(json_string_value(json_object_get(rr,
					"dataset")), ds))
					is = json_string_value(json_object_get(rr,
					    "outcome"));
		}
		if (!streq(was, is))
			json_array_append_new(diffs,
			    json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "what",
				"rule outcome", "policy", pol, "rule", rule,
				"dataset", ds, "recorded", was, "replayed", is));
	}
	for (j = 0; j < res->ndatasets; j++) {
		json_t *rec = json_array_get(datasets, j);
		if (!streq(res->datasets[j].fingerprint,
			json_string_value(json_object_get(rec, "fingerprint"))))
			json_array_append_new(diffs, json_pack("{s:s, s:s}", "what",
			    "data changed (fingerprint)", "dataset",
			    res->datasets[j].name));
	}
	rp->response = json_pack("{s:I, s:O, s:s, s:b, s:o, s:o}", "index",
	    (json_int_t)rp->index, "recorded_decision",
	    json_object_get(rp->decision, "decision"), "replayed_evaluation",
	    eval_decision_name(res->decision), "reproduces",
	    json_array_size(diffs) == 0, "differences", diffs, "evaluation",
	    now);
	diffs = NULL;
	now = NULL;
out:
	json_decref(diffs);
	json_decref(now);
	diag_clear(&d);
	eval_result_free(res);
	consent_source_close(&src);
	for (i = 0; pols && i < npol; i++)
		policy_free(pols[i]);
	for (i = 0; mans && i < nman; i++)
		manifest_free(mans[i]);
	free(pols);
	free(mans);
}

static void
replay_done(void *arg)
{
	struct replay *rp = arg;

	if (rp->error < 0)
		server_reply_error(rp->req, err_from_errno(rp->error), "%s",
		    rp->message[0] ? rp->message : strerror(-rp->error));
	else {
		server_reply_json(rp->req, 200, rp->response);
		rp->response = NULL;
	}
	replay_free(rp);
}

void
route_replay(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	_cleanup_json_ json_t *in = NULL;
	struct ledger *l = ledger_service_reader(d->ledger);
	struct replay *rp;
	json_t *p;
	int64_t index;
	char err[256];
	size_t i;

	if (server_read_json(req, 4096, &in) < 0)
		return;
	if (json_get_int(in, "index", true, 0, INT64_MAX, &index, err,
		sizeof(err)) < 0) {
		server_reply_error(req, ERR_INVALID_ARGUMENT, "%s", err);
		return;
	}
	if (ledger_refresh(l) < 0) {
		server_reply_error(req, ERR_STORAGE, "%s", ledger_errmsg(l));
		return;
	}
	rp = calloc(1, sizeof(*rp));
	if (!rp) {
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	rp->d = d;
	rp->req = req;
	rp->index = (uint64_t)index;
	rp->decision = entry_body(l, rp->index, "decision");
	if (!rp->decision) {
		replay_free(rp);
		server_reply_error(req, ERR_NOT_FOUND,
		    "Entry %lld is not a recorded decision", (long long)index);
		return;
	}
	rp->policies = json_array();
	json_array_foreach(json_object_get(rp->decision, "policies"), i, p) {
		json_t *pe = entry_body(l, (uint64_t)json_integer_value(
		    json_object_get(p, "entry")), "policy");
		if (!pe || !json_object_get(pe, "text")) {
			json_decref(pe);
			replay_free(rp);
			server_reply_error(req, ERR_CONFLICT,
			    "The text of policy '%s' is not in the ledger; cannot replay",
			    json_string_value(json_object_get(p, "name")));
			return;
		}
		json_array_append_new(rp->policies, pe);
	}
	if (workers_submit(d->workers, d->base, replay_work, replay_done, rp) <
	    0) {
		replay_free(rp);
		server_reply_error(req, ERR_UNAVAILABLE, "Busy; retry");
	}
}
