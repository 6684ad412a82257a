/* Privacy budget state transitions, pure functions over JSON state. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "budget.h"
#include "codec.h"

char *
budget_curve_b64(const struct dp_curve *c)
{
	_cleanup_free_ uint8_t *blob = NULL;
	size_t len;

	if (dp_curve_to_blob(c, &blob, &len) < 0)
		return NULL;
	return base64_encode(blob, len);
}

int
budget_curve_from_b64(const char *s, struct dp_curve **ret)
{
	_cleanup_free_ uint8_t *blob = NULL;
	size_t len;

	if (!s || base64_decode(s, strlen(s), &blob, &len) < 0)
		return -EBADMSG;
	return dp_curve_from_blob(blob, len, ret);
}

double
budget_curve_epsilon(const struct dp_curve *c, double delta)
{
	struct dp_eps e;

	if (dp_curve_epsilon(c, delta, DP_CONVERSION_IMPROVED, &e) < 0)
		return INFINITY;
	return e.epsilon;
}

static json_t *
zero_curve_json(void)
{
	_cleanup_dp_curve_ struct dp_curve *c = NULL;
	char *b;
	json_t *s;

	if (dp_curve_new(NULL, 0, &c) < 0)
		return NULL;
	b = budget_curve_b64(c);
	s = b ? json_string(b) : NULL;
	free(b);
	return s;
}

json_t *
budget_state_new(double epsilon, double delta, enum dp_accountant accountant)
{
	return json_pack("{s:f, s:f, s:s, s:o, s:o, s:{}, s:I, s:f}", "epsilon",
	    epsilon, "delta", delta, "accountant",
	    accountant == DP_ACCOUNTANT_BASIC ? "basic" : "rdp", "spent",
	    zero_curve_json(), "reserved", zero_curve_json(), "reservations",
	    "charges", (json_int_t)0, "spent_epsilon", 0.0);
}

int
budget_job_cost(const struct job_privacy *p, uint64_t steps,
    enum dp_accountant accountant, double delta, struct dp_curve **ret,
    char *errbuf, size_t errlen)
{
	_cleanup_dp_curve_ struct dp_curve *c = NULL;
	struct dp_job j = { 0 };
	int r;

	switch (p->mechanism) {
	case JOB_MECH_NONE:
		snprintf(errbuf, errlen,
		    "the job declares no differential-privacy mechanism");
		return -EINVAL;
	case JOB_MECH_DP_SGD:
		j.mechanism = DP_MECHANISM_SGD;
		j.noise_multiplier = p->noise_multiplier;
		j.sample_rate = p->sample_rate;
		j.count = (double)(steps ? steps : p->steps);
		break;
	case JOB_MECH_GAUSSIAN:
		j.mechanism = DP_MECHANISM_GAUSSIAN;
		j.noise_multiplier = p->noise_multiplier;
		j.count = (double)(steps ? steps : p->count);
		break;
	case JOB_MECH_LAPLACE:
		j.mechanism = DP_MECHANISM_LAPLACE;
		j.scale = p->scale;
		j.count = (double)(steps ? steps : p->count);
		break;
	case JOB_MECH_EPSILON_DELTA:
		j.mechanism = DP_MECHANISM_APPROX;
		j.epsilon = p->epsilon;
		j.delta = p->delta;
		j.count = 1;
		break;
	}
	r = dp_job_check(&j, errbuf, errlen);
	if (r < 0)
		return r;
	r = dp_curve_new(NULL, 0, &c);
	if (r >= 0)
		r = dp_curve_charge(c, &j);
	if (r < 0) {
		snprintf(errbuf, errlen, "cannot account the job: %s",
		    strerror(-r));
		return r;
	}
	if (accountant == DP_ACCOUNTANT_BASIC && j.mechanism != DP_MECHANISM_APPROX) {
		/* Basic composition: the job counts as its own (epsilon,
		 * delta) at the budget's delta, and charges add up. */
		_cleanup_dp_curve_ struct dp_curve *flat = NULL;
		double eps = budget_curve_epsilon(c, delta);
		r = dp_curve_new(NULL, 0, &flat);
		if (r < 0)
			return r;
		flat->eps_extra = eps;
		flat->delta_extra = delta;
		*ret = TAKE_PTR(flat);
		return 0;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

static int
state_curve(const json_t *state, const char *key, struct dp_curve **ret)
{
	return budget_curve_from_b64(
	    json_string_value(json_object_get(state, key)), ret);
}

static int
state_set_curve(json_t *state, const char *key, const struct dp_curve *c)
{
	char *b = budget_curve_b64(c);
	int r;

	if (!b)
		return -ENOMEM;
	r = json_object_set_new(state, key, json_string(b));
	free(b);
	return r < 0 ? -ENOMEM : 0;
}

int
budget_state_status(const json_t *state, const struct dp_curve *cost,
    struct dp_budget_status *ret)
{
	_cleanup_dp_curve_ struct dp_curve *spent = NULL, *reserved = NULL;
	double eps = json_number_value(json_object_get(state, "epsilon"));
	double delta = json_number_value(json_object_get(state, "delta"));
	int r;

	r = state_curve(state, "spent", &spent);
	if (r >= 0)
		r = state_curve(state, "reserved", &reserved);
	if (r < 0)
		return -EBADMSG;
	/* Reservations count as spent until settled or released. */
	r = dp_curve_add(spent, reserved);
	if (r < 0)
		return r;
	return dp_budget_check(spent, cost, eps, delta, ret);
}

int
budget_state_reserve(json_t *state, const char *job, const char *cost_b64,
    const char *expires)
{
	_cleanup_dp_curve_ struct dp_curve *reserved = NULL, *cost = NULL;
	json_t *res = json_object_get(state, "reservations");
	int r;

	if (!json_is_object(res) || json_object_get(res, job))
		return -EBADMSG;
	r = state_curve(state, "reserved", &reserved);
	if (r >= 0)
		r = budget_curve_from_b64(cost_b64, &cost);
	if (r >= 0)
		r = dp_curve_add(reserved, cost);
	if (r < 0)
		return -EBADMSG;
	r = state_set_curve(state, "reserved", reserved);
	if (r < 0)
		return r;
	return json_object_set_new(res, job, json_pack("{s:s, s:s}", "cost",
	    cost_b64, "expires", expires)) < 0 ? -ENOMEM : 0;
}

static int
unreserve(json_t *state, const char *job)
{
	_cleanup_dp_curve_ struct dp_curve *reserved = NULL, *held = NULL;
	json_t *res = json_object_get(state, "reservations");
	json_t *it = json_object_get(res, job);
	int r;

	if (!it)
		return -ENOENT;
	r = state_curve(state, "reserved", &reserved);
	if (r >= 0)
		r = budget_curve_from_b64(
		    json_string_value(json_object_get(it, "cost")), &held);
	if (r < 0)
		return -EBADMSG;
	/* A refund never takes the reserved total below zero. */
	r = dp_curve_sub(reserved, held);
	if (r == -ERANGE) {
		_cleanup_dp_curve_ struct dp_curve *zero = NULL;
		r = dp_curve_new(reserved->orders, reserved->n, &zero);
		if (r < 0)
			return r;
		r = state_set_curve(state, "reserved", zero);
	} else if (r >= 0)
		r = state_set_curve(state, "reserved", reserved);
	if (r < 0)
		return r;
	return json_object_del(res, job) < 0 ? -EBADMSG : 0;
}

int
budget_state_settle(json_t *state, const char *job, const char *cost_b64)
{
	_cleanup_dp_curve_ struct dp_curve *spent = NULL, *cost = NULL;
	double delta = json_number_value(json_object_get(state, "delta"));
	int r;

	r = unreserve(state, job);
	if (r < 0)
		return r;
	r = state_curve(state, "spent", &spent);
	if (r >= 0)
		r = budget_curve_from_b64(cost_b64, &cost);
	if (r >= 0)
		r = dp_curve_add(spent, cost);
	if (r < 0)
		return -EBADMSG;
	r = state_set_curve(state, "spent", spent);
	if (r < 0)
		return r;
	json_object_set_new(state, "charges", json_integer(json_integer_value(
	    json_object_get(state, "charges")) + 1));
	{
		/* JSON has no infinity: an unbounded loss is null. */
		double e = budget_curve_epsilon(spent, delta);
		json_object_set_new(state, "spent_epsilon",
		    isfinite(e) ? json_real(e) : json_null());
	}
	return 0;
}

int
budget_state_release(json_t *state, const char *job)
{
	return unreserve(state, job);
}
