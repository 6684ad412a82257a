/* Differential-privacy budgets: reservation in the check's transaction,
 * settlement, expiry, and the budget routes. The state lives in derived
 * tables kept by the ledger's index hook, so it can always be rebuilt and
 * verified from the ledger. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "budget.h"
#include "consentd.h"
#include "json.h"
#include "ledger.h"
#include "log.h"

static const char *
now_rfc3339(void)
{
	static __thread char t[TIME_RFC3339_MAX];

	return time_format_rfc3339(now_realtime(), t);
}

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

struct one_reservation {
	json_t *map;
};

static int
reservation_into(void *userdata, const char *budget, const char *job,
    const char *cost, const char *expires)
{
	struct one_reservation *o = userdata;

	return json_object_set_new(o->map, job, json_pack("{s:s, s:s}", "cost",
	    cost, "expires", expires)) < 0 ? -ENOMEM : 0;
}

/* A budget's state, with job's reservation (if job is given and holds
 * one) in its "reservations": the open reservations live in their own
 * table, so the state a check reads does not grow with them. */
static int
state_load(struct ledger *l, const char *name, const char *job, json_t **ret)
{
	_cleanup_free_ char *text = NULL;
	struct one_reservation o;
	json_error_t e;
	int r = store_budget_get(ledger_store(l), name, &text);

	if (r < 0)
		return r;
	r = json_load_checked(text, strlen(text), 0, ret, &e);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	o.map = json_object();
	if (!o.map || json_object_set_new(*ret, "reservations", o.map) < 0)
		return -ENOMEM;
	if (job)
		return store_reservation_foreach(ledger_store(l), name, job,
		    reservation_into, &o);
	return 0;
}

/* Saves the state, and job's reservation as the transition left it. */
static int
state_save(struct ledger *l, const char *name, const json_t *state,
    const char *job)
{
	_cleanup_free_ char *text = NULL;
	json_t *it = job ? json_object_get(json_object_get(state,
	    "reservations"), job) : NULL;
	json_t *copy;
	int r = 0;

	if (job && it)
		r = store_reservation_put(ledger_store(l), name, job,
		    json_string_value(json_object_get(it, "cost")),
		    json_string_value(json_object_get(it, "expires")));
	else if (job)
		r = store_reservation_delete(ledger_store(l), name, job);
	if (r < 0)
		return r;
	copy = json_copy((json_t *)state);
	if (!copy)
		return -ENOMEM;
	json_object_del(copy, "reservations");
	text = json_dumps_checked(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!text)
		return -ENOMEM;
	return store_budget_put(ledger_store(l), name, text);
}

static int
state_history(struct ledger *l, const char *budget, uint64_t index,
    const char *kind, const char *job)
{
	return store_budget_history_add(ledger_store(l), budget, index, kind,
	    job);
}

/* The ledger's index hook: budget state follows decisions, settlements and
 * releases as they are appended (and on reindex). */
int
budget_index_entry(void *userdata, struct ledger *l, uint64_t index,
    const char *kind, const json_t *body)
{
	const char *job = json_string_value(json_object_get(body, "job"));
	json_t *state = NULL, *it;
	size_t i;
	int r = 0;

	if (streq(kind, "decision")) {
		if (!streq(json_string_value(json_object_get(body, "decision")),
			"allow"))
			return 0;
		json_array_foreach(json_object_get(body, "budgets"), i, it) {
			const char *name = json_string_value(json_object_get(it,
			    "budget"));
			if (!json_is_true(json_object_get(it, "charged")))
				continue;
			if (!name || !job)
				return -EBADMSG;
			r = state_load(l, name, job, &state);
			if (r == -ENOENT) {
				const char *acct = json_string_value(
				    json_object_get(it, "accountant"));
				state = budget_state_new(
				    json_number_value(json_object_get(it, "epsilon")),
				    json_number_value(json_object_get(it, "delta")),
				    streq(acct, "basic") ? DP_ACCOUNTANT_BASIC :
							   DP_ACCOUNTANT_RDP);
				r = state ? 0 : -ENOMEM;
			}
			/* The limits are the latest charge's policy's. */
			if (r >= 0) {
				json_object_set(state, "epsilon",
				    json_object_get(it, "epsilon"));
				json_object_set(state, "delta",
				    json_object_get(it, "delta"));
			}
			if (r >= 0)
				r = budget_state_reserve(state, job,
				    json_string_value(json_object_get(it, "cost")),
				    json_string_value(json_object_get(it,
					"expires")));
			if (r >= 0)
				r = state_history(l, name, index, "reserve", job);
			if (r >= 0)
				r = state_save(l, name, state, job);
			json_decref(state);
			state = NULL;
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (!streq(kind, "budget_settle") && !streq(kind, "budget_release"))
		return 0;
	{
		const char *name = json_string_value(json_object_get(body,
		    "budget"));
		if (!name || !job)
			return -EBADMSG;
		r = state_load(l, name, job, &state);
		if (r < 0)
			return r == -ENOENT ? -EBADMSG : r;
		if (streq(kind, "budget_settle"))
			r = budget_state_settle(state, job,
			    json_string_value(json_object_get(body, "cost")));
		else
			r = budget_state_release(state, job);
		if (r >= 0)
			r = state_history(l, name, index,
			    streq(kind, "budget_settle") ? "settle" : "release",
			    job);
		if (r >= 0)
			r = state_save(l, name, state, job);
		json_decref(state);
		return r == -ENOENT ? -EBADMSG : r;
	}
}

static const struct policy_rule *
find_rule(const struct policy_set *ps, const char *policy, const char *rule,
    const struct policy **ret_policy)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (!streq(ps->v[i]->name, policy))
			continue;
		for (size_t j = 0; j < ps->v[i]->nrules; j++)
			if (streq(ps->v[i]->rules[j].name, rule)) {
				*ret_policy = ps->v[i];
				return &ps->v[i]->rules[j];
			}
	}
	return NULL;
}

/* The dp_budget rules an evaluation reports, in its order. */
struct budget_rules {
	const json_t *policies;
	size_t i, k;           /* the next policy, and rule within it */
	/* the rule found by the last budget_rules_next() */
	const char *pname, *rname;
	const json_t *result;  /* its result in the evaluation */
	const struct policy *policy;
	const struct policy_rule *rule; /* NULL: not a budget rule of ps */
};

static struct budget_rules
budget_rules_of(const json_t *evaluation)
{
	return (struct budget_rules){ .policies = json_object_get(evaluation,
		"policies") };
}

static bool
budget_rules_next(struct budget_rules *it, const struct policy_set *ps)
{
	for (; it->i < json_array_size(it->policies); it->i++, it->k = 0) {
		const json_t *p = json_array_get(it->policies, it->i);
		const json_t *rules = json_object_get(p, "rules");

		while (it->k < json_array_size(rules)) {
			const json_t *rr = json_array_get(rules, it->k++);
			const struct policy_rule *rule;

			if (!streq(json_string_value(json_object_get(rr, "kind")),
				"dp_budget"))
				continue;
			it->pname = json_string_value(json_object_get(p, "name"));
			it->rname = json_string_value(json_object_get(rr, "name"));
			it->result = rr;
			it->policy = NULL;
			rule = find_rule(ps, it->pname, it->rname, &it->policy);
			it->rule = rule && rule->kind == RULE_DP_BUDGET ? rule :
			    NULL;
			return true;
		}
	}
	return false;
}

void
budget_costs_prepare(struct budget_costs *bc, const struct job *job,
    const struct policy_set *ps, const json_t *evaluation)
{
	struct budget_rules it = budget_rules_of(evaluation);

	bc->n = 0;
	while (budget_rules_next(&it, ps)) {
		const struct rule_dp_budget *b;
		struct budget_cost *e;
		bool have = false;

		if (!it.rule || !it.rule->dp_budget.has_delta)
			continue;
		b = &it.rule->dp_budget;
		for (size_t j = 0; j < bc->n; j++)
			have |= bc->v[j].accountant == (int)b->accountant &&
			    bc->v[j].delta == b->delta;
		if (have || bc->n == BUDGET_COSTS_MAX)
			continue; /* the transaction works out the rest */
		e = &bc->v[bc->n++];
		*e = (struct budget_cost){ .accountant = (int)b->accountant,
			.delta = b->delta };
		e->r = budget_job_cost(&job->privacy, 0, b->accountant,
		    b->delta, &e->cost, e->err, sizeof(e->err));
	}
}

void
budget_costs_done(struct budget_costs *bc)
{
	for (size_t i = 0; i < bc->n; i++)
		dp_curve_free(bc->v[i].cost);
	bc->n = 0;
}

/* The job's cost under one budget rule: a copy of the one worked out
 * beforehand, or worked out now. */
static int
job_cost(const struct budget_costs *bc, const struct job *job,
    const struct rule_dp_budget *b, struct dp_curve **ret, char *err,
    size_t errlen)
{
	for (size_t i = 0; bc && i < bc->n; i++) {
		const struct budget_cost *e = &bc->v[i];

		if (e->accountant != (int)b->accountant || e->delta != b->delta)
			continue;
		if (e->r < 0) {
			snprintf(err, errlen, "%s", e->err);
			return e->r;
		}
		return dp_curve_dup(e->cost, ret);
	}
	return budget_job_cost(&job->privacy, 0, b->accountant, b->delta, ret,
	    err, errlen);
}

static int
release_for_recheck(struct ledger *l, const char *name, const char *job)
{
	json_t *state = NULL, *body;
	int r = state_load(l, name, job, &state);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!json_object_get(json_object_get(state, "reservations"), job)) {
		json_decref(state);
		return 0;
	}
	json_decref(state);
	body = json_pack("{s:s, s:s, s:s, s:s}", "job", job, "budget", name,
	    "reason", "recheck", "recorded", now_rfc3339());
	if (!body)
		return -ENOMEM;
	r = ledger_append_json(l, "budget_release", body, NULL, NULL);
	json_decref(body);
	return r;
}

static char *
replace_str(char **p, const char *fmt, ...) _printf_(2, 3);

static char *
replace_str(char **p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s) {
		free(*p);
		*p = s;
	}
	return s;
}

int
budget_reserve(struct ledger *l, struct daemon *d, const struct job *job,
    const struct budget_costs *costs, const struct policy_set *ps,
    const json_t *evaluation, usec_t at,
    json_t **ret_budgets, char **decision, char **reason)
{
	struct budget_rules it = budget_rules_of(evaluation);
	json_t *items = json_array(), *p;
	char expires[TIME_RFC3339_MAX];
	bool deny = false, error = false;
	size_t i;
	int r;

	if (!items)
		return -ENOMEM;
	time_format_rfc3339(at + d->config->reservation_ttl, expires);
	while (budget_rules_next(&it, ps)) {
		const char *pname = it.pname, *rname = it.rname;
		const json_t *rr = it.result;
		const struct policy *pol = it.policy;
		const struct rule_dp_budget *b;
		_cleanup_dp_curve_ struct dp_curve *cost = NULL;
		struct dp_budget_status st;
		json_t *state = NULL, *item;
		char name[300], err[256];
		bool dup = false;
		size_t m;
		json_t *prev;

		if (!it.rule) {
			error = true;
			replace_str(reason,
			    "budget rule '%s' of policy '%s' is not in the active policies",
			    rname, pname);
			continue;
		}
		b = &it.rule->dp_budget;
		if (b->scope == DP_SCOPE_GROUP)
			snprintf(name, sizeof(name), "group:%s", b->group);
		else
			snprintf(name, sizeof(name), "dataset:%s",
			    json_string_value(json_object_get(rr,
				"dataset")));
		json_array_foreach(items, m, prev)
			dup |= streq(json_string_value(json_object_get(
			    prev, "budget")), name);
		if (dup)
			continue; /* one charge per budget per job */
		if (!b->has_delta) {
			error = true;
			replace_str(reason,
			    "budget '%s' has no delta: cannot convert to (epsilon, delta)",
			    name);
			continue;
		}
		r = job_cost(costs, job, b, &cost, err, sizeof(err));
		if (r < 0) {
			if (pol->mode == POLICY_ENFORCE) {
				deny = true;
				replace_str(reason, "budget '%s': %s", name,
				    err);
			}
			continue;
		}
		if (job->recheck) {
			r = release_for_recheck(l, name, job->id);
			if (r < 0)
				goto fail;
		}
		r = state_load(l, name, NULL, &state);
		if (r == -ENOENT) {
			state = budget_state_new(b->epsilon, b->delta,
			    b->accountant);
			r = state ? 0 : -ENOMEM;
		}
		if (r < 0)
			goto fail;
		/* The limits are the policy's (recorded in the ledger),
		 * not whatever the derived table says. */
		json_object_set_new(state, "epsilon", json_real(b->epsilon));
		json_object_set_new(state, "delta", json_real(b->delta));
		r = budget_state_status(state, cost, &st);
		if (r < 0) {
			json_decref(state);
			goto fail;
		}
		item = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O,"
				 " s:o, s:o, s:o, s:b}",
		    "budget", name, "policy", pname, "rule", rname,
		    "mode", policy_mode_name(pol->mode), "epsilon",
		    json_object_get(state, "epsilon"), "delta",
		    json_object_get(state, "delta"), "accountant",
		    json_object_get(state, "accountant"),
		    "epsilon_before", num_or_null(st.spent),
		    "epsilon_after", num_or_null(st.after),
		    "job_epsilon", num_or_null(budget_curve_epsilon(cost,
			json_number_value(json_object_get(state,
			    "delta")))),
		    "overspend", st.overspend);
		json_decref(state);
		if (!item)
			goto nomem;
		if (st.overspend && pol->mode == POLICY_ENFORCE) {
			deny = true;
			replace_str(reason,
			    "budget '%s' would be overspent: epsilon %.6g after this job exceeds %.6g",
			    name, st.after,
			    json_number_value(json_object_get(item,
				"epsilon")));
		}
		/* Audit policies charge (the job runs); shadow ones
		 * only report. */
		if (pol->mode != POLICY_SHADOW) {
			char *b64 = budget_curve_b64(cost);
			if (!b64) {
				json_decref(item);
				goto nomem;
			}
			json_object_set_new(item, "cost", json_string(b64));
			json_object_set_new(item, "expires",
			    json_string(expires));
			free(b64);
		}
		json_array_append_new(items, item);
	}
	if (error && streq(*decision, "allow"))
		replace_str(decision, "error");
	else if (deny && streq(*decision, "allow"))
		replace_str(decision, "deny");
	json_array_foreach(items, i, p)
		json_object_set_new(p, "charged",
		    json_boolean(streq(*decision, "allow") &&
			json_object_get(p, "cost")));
	*ret_budgets = items;
	return 0;
nomem:
	r = -ENOMEM;
fail:
	json_decref(items);
	return r;
}

/* Settlement: POST /v1/jobs/finish {"job", "steps"}. */
struct settle {
	char *job;
	uint64_t steps;
	bool has_steps;
};

static int
settle_run(struct ledger *l, struct ledger_job *lj)
{
	struct settle *s = lj->userdata;
	_cleanup_free_ uint8_t *data = NULL;
	char kind[LEDGER_KIND_MAX + 1], err[256];
	json_t *body = NULL, *it, *settled;
	struct job_privacy priv = { 0 };
	uint64_t index, reserved_steps = 0;
	size_t len, i;
	int r;

	r = store_decision_get(ledger_store(l), s->job, &index);
	if (r == -ENOENT) {
		snprintf(lj->message, sizeof(lj->message),
		    "No decision recorded for job '%s'", s->job);
		return -ENOENT;
	}
	if (r < 0)
		return r;
	r = store_entry_get(ledger_store(l), index, &data, &len);
	if (r < 0)
		return r;
	r = ledger_entry_decode(data, len, kind, &body);
	if (r < 0)
		return -EIO;
	{
		/* The job's privacy as checked, from its decision entry. */
		json_t *p = json_object_get(body, "privacy");
		json_t *wrapped = json_pack("{s:s, s:s, s:[s], s:O}", "job", "x",
		    "purpose", "x", "datasets", "/x", "privacy", p);
		struct job tmp;
		r = wrapped ? job_parse(wrapped, &tmp, err, sizeof(err)) : -ENOMEM;
		json_decref(wrapped);
		if (r < 0) {
			json_decref(body);
			return -EIO;
		}
		priv = tmp.privacy;
		job_done(&tmp);
	}
	reserved_steps = priv.mechanism == JOB_MECH_DP_SGD ? priv.steps :
							     priv.count;
	if (s->has_steps && (priv.mechanism == JOB_MECH_EPSILON_DELTA ||
				priv.mechanism == JOB_MECH_NONE)) {
		json_decref(body);
		snprintf(lj->message, sizeof(lj->message),
		    "--steps does not apply to a %s job",
		    job_mechanism_name(priv.mechanism));
		return -EINVAL;
	}
	if (s->has_steps && s->steps > reserved_steps) {
		json_decref(body);
		snprintf(lj->message, sizeof(lj->message),
		    "%llu steps is more than the %llu reserved; submit a new check",
		    (unsigned long long)s->steps,
		    (unsigned long long)reserved_steps);
		return -EINVAL;
	}
	settled = json_array();
	json_array_foreach(json_object_get(body, "budgets"), i, it) {
		const char *name = json_string_value(json_object_get(it, "budget"));
		const char *acct = json_string_value(json_object_get(it,
		    "accountant"));
		_cleanup_dp_curve_ struct dp_curve *cost = NULL;
		json_t *state = NULL, *entry;
		char *b64;

		if (!json_is_true(json_object_get(it, "charged")))
			continue;
		r = state_load(l, name, s->job, &state);
		if (r < 0 ||
		    !json_object_get(json_object_get(state, "reservations"),
			s->job)) {
			json_decref(state);
			continue; /* settled, released or expired already */
		}
		json_decref(state);
		if (s->has_steps && s->steps == 0)
			/* Zero steps: nothing was spent. */
			r = dp_curve_new(NULL, 0, &cost);
		else
			r = budget_job_cost(&priv, s->has_steps ? s->steps : 0,
			    streq(acct, "basic") ? DP_ACCOUNTANT_BASIC :
						   DP_ACCOUNTANT_RDP,
			    json_number_value(json_object_get(it, "delta")), &cost,
			    err, sizeof(err));
		if (r < 0)
			break;
		b64 = budget_curve_b64(cost);
		entry = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "job", s->job,
		    "budget", name, "recorded", now_rfc3339(), "cost",
		    b64 ? b64 : "", "steps",
		    (json_int_t)(s->has_steps ? s->steps : reserved_steps),
		    "job_epsilon", num_or_null(budget_curve_epsilon(cost,
			json_number_value(json_object_get(it, "delta")))));
		free(b64);
		if (!entry) {
			r = -ENOMEM;
			break;
		}
		r = ledger_append_json(l, "budget_settle", entry, &index, NULL);
		json_object_set_new(entry, "index", json_integer((json_int_t)index));
		json_object_del(entry, "cost");
		json_array_append_new(settled, entry);
		if (r < 0) {
			r = r == -EINVAL ? -EIO : r;
			break;
		}
	}
	json_decref(body);
	if (r < 0) {
		json_decref(settled);
		return r;
	}
	if (json_array_size(settled) == 0) {
		json_decref(settled);
		snprintf(lj->message, sizeof(lj->message),
		    "Job '%s' holds no open budget reservation (never charged, already settled, released or expired)",
		    s->job);
		return -EEXIST;
	}
	lj->response = json_pack("{s:s, s:o}", "job", s->job, "settled",
	    settled);
	return 0;
}

static void
settle_done(struct ledger_job *lj)
{
	struct settle *s = lj->userdata;

	ledger_job_reply(lj);
	free(s->job);
	free(s);
}

void
route_job_finish(struct daemon *d, struct evhttp_request *req,
    const char *rest)
{
	_cleanup_json_ json_t *in = NULL;
	struct settle *s;
	struct ledger_job *lj;
	const char *job;
	int64_t steps = 0;
	char err[256];
	int r;

	if (server_read_json(req, 65536, &in) < 0)
		return;
	if (json_check_keys(in, (const char *const[]){ "job", "steps", NULL },
		err, sizeof(err)) < 0 ||
	    json_get_string(in, "job", true, &job, err, sizeof(err)) < 0 ||
	    (r = json_get_int(in, "steps", false, 0, INT64_C(1) << 40, &steps,
		 err, sizeof(err))) == -EINVAL) {
		server_reply_error(req, ERR_INVALID_ARGUMENT, "%s", err);
		return;
	}
	s = calloc(1, sizeof(*s));
	lj = calloc(1, sizeof(*lj));
	if (!s || !lj || !(s->job = strdup(job))) {
		free(s);
		free(lj);
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	s->steps = (uint64_t)steps;
	s->has_steps = r == 0;
	lj->run = settle_run;
	lj->done = settle_done;
	lj->userdata = s;
	lj->req = req;
	if (ledger_service_submit(d->ledger, lj) < 0) {
		ledger_job_free(lj);
		free(s->job);
		free(s);
		server_reply_error(req, ERR_UNAVAILABLE, "The ledger is busy");
	}
}

/* Expiry: reservations past their time are released. */
struct expired {
	json_t *list; /* [{budget, job}] */
	usec_t now;
};

static int
find_expired(void *userdata, const char *budget, const char *job,
    const char *cost, const char *expires)
{
	struct expired *x = userdata;
	usec_t t;

	if (time_parse_rfc3339(expires, &t) < 0 || t <= x->now)
		return json_array_append_new(x->list, json_pack("{s:s, s:s}",
		    "budget", budget, "job", job)) < 0 ? -ENOMEM : 0;
	return 0;
}

static int
expire_run(struct ledger *l, struct ledger_job *lj)
{
	struct expired x = { .list = json_array(), .now = now_realtime() };
	json_t *it;
	size_t i;
	int r;

	if (!x.list)
		return -ENOMEM;
	r = store_reservation_foreach(ledger_store(l), NULL, NULL, find_expired,
	    &x);
	json_array_foreach(x.list, i, it) {
		json_t *body;
		if (r < 0)
			break;
		body = json_pack("{s:O, s:O, s:s, s:s}", "job",
		    json_object_get(it, "job"), "budget",
		    json_object_get(it, "budget"), "reason", "expired",
		    "recorded", now_rfc3339());
		r = body ? ledger_append_json(l, "budget_release", body, NULL,
			       NULL) : -ENOMEM;
		json_decref(body);
	}
	lj->response = json_pack("{s:I}", "released",
	    (json_int_t)json_array_size(x.list));
	json_decref(x.list);
	return r < 0 && r != -EINVAL ? r : (r < 0 ? -EIO : 0);
}

static void
expire_done(struct ledger_job *lj)
{
	json_int_t n = json_integer_value(json_object_get(lj->response,
	    "released"));

	if (lj->result < 0)
		log_error("Failed to release expired reservations: %s",
		    lj->message);
	else if (n > 0)
		log_notice("Released %lld expired budget reservations",
		    (long long)n);
}

void
budget_expire_tick(struct daemon *d)
{
	struct ledger_job *lj = calloc(1, sizeof(*lj));

	if (!lj)
		return;
	lj->run = expire_run;
	lj->done = expire_done;
	if (ledger_service_submit(d->ledger, lj) < 0)
		ledger_job_free(lj);
}

/* GET /v1/budgets[/NAME] */
struct listing {
	json_t *list;
	const char *only;
	struct store *store;
};

static int
reservation_json(void *userdata, const char *budget, const char *job,
    const char *cost, const char *expires)
{
	return json_array_append_new(userdata, json_pack("{s:s, s:s}", "job",
	    job, "expires", expires)) < 0 ? -ENOMEM : 0;
}

static int
history_json(void *userdata, uint64_t index, const char *kind,
    const char *job)
{
	return json_array_append_new(userdata, json_pack("{s:I, s:s, s:s}",
	    "index", (json_int_t)index, "kind", kind, "job", job)) < 0 ?
	    -ENOMEM : 0;
}

static int
list_budget(void *userdata, const char *name, const char *text)
{
	struct listing *ls = userdata;
	_cleanup_dp_curve_ struct dp_curve *spent = NULL;
	struct dp_budget_status st;
	json_error_t e;
	json_t *state = NULL, *res = json_array(), *o;
	double eps, delta, spent_eps;

	if (ls->only && !streq(ls->only, name)) {
		json_decref(res);
		return 0;
	}
	if (json_load_checked(text, strlen(text), 0, &state, &e) < 0)
		state = NULL;
	if (!state || budget_state_status(state, NULL, &st) < 0 ||
	    budget_curve_from_b64(json_string_value(json_object_get(state,
		"spent")), &spent) < 0) {
		json_decref(state);
		json_decref(res);
		return -EBADMSG;
	}
	eps = json_number_value(json_object_get(state, "epsilon"));
	delta = json_number_value(json_object_get(state, "delta"));
	spent_eps = budget_curve_epsilon(spent, delta);
	if (store_reservation_foreach(ls->store, name, NULL, reservation_json,
		res) < 0) {
		json_decref(state);
		json_decref(res);
		return -EBADMSG;
	}
	o = json_pack("{s:s, s:f, s:f, s:O, s:o, s:o, s:o, s:o, s:O, s:o}",
	    "name", name, "epsilon", eps, "delta", delta, "accountant",
	    json_object_get(state, "accountant"), "spent_epsilon",
	    num_or_null(spent_eps), "committed_epsilon", num_or_null(st.spent),
	    "remaining_epsilon", num_or_null(st.remaining), "reservations", res,
	    "charges", json_object_get(state, "charges"), "history",
	    json_array());
	if (o && store_budget_history_foreach(ls->store, name, history_json,
		     json_object_get(o, "history")) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_array_append_new(ls->list, o);
	json_decref(state);
	return 0;
}

void
route_budgets(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	struct ledger *l = ledger_service_reader(d->ledger);
	_cleanup_free_ char *name = NULL;
	struct listing ls = { .list = json_array(),
		.store = ledger_store(ledger_service_reader(d->ledger)) };
	int r;

	if (rest && *rest == '/')
		rest++;
	if (rest && *rest) {
		name = evhttp_uridecode(rest, 0, NULL);
		ls.only = name;
	}
	if (!ls.list || ledger_refresh(l) < 0) {
		json_decref(ls.list);
		server_reply_error(req, ERR_STORAGE, "Cannot read budgets");
		return;
	}
	r = store_budget_foreach(ledger_store(l), list_budget, &ls);
	if (r < 0) {
		json_decref(ls.list);
		server_reply_error(req, ERR_STORAGE, "Cannot read budgets");
		return;
	}
	if (name && json_array_size(ls.list) == 0) {
		json_decref(ls.list);
		server_reply_error(req, ERR_NOT_FOUND, "No budget '%s' has been charged",
		    name);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "budgets", ls.list));
}
