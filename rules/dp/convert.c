/* From RDP curves to (epsilon, delta): conversions, budgets, noise search. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>

#include "dp.h"
#include "dp-internal.h"

#define U (DBL_EPSILON / 2)
/* Below this order the improved conversion is not used (as in TensorFlow
 * Privacy): log1p(-1/a) and 1/(a-1) amplify rounding there. */
#define IMPROVED_MIN_ORDER 1.01
#define NOISE_TOLERANCE 0.01
#define NOISE_MAX 1048576.0

/* Epsilon at one order for delta d, as an upper bound; +inf if none. */
static double
order_epsilon(double a, double r, double d, enum dp_conversion conversion)
{
	double ld = log(d), eps, err;

	if (isinf(r) || isnan(r))
		return INFINITY;
	if (conversion == DP_CONVERSION_CLASSIC) {
		/* Mironov (2017) Prop. 3. */
		eps = r - ld / (a - 1);
		err = 8 * U * (r + fabs(ld) / (a - 1));
	} else {
		double l1, la;

		/* (a, r)-RDP with r <= -log(1 - d^2) gives (0, d)-DP: the
		 * Renyi divergence bounds KL, and Bretagnolle-Huber gives
		 * TV <= sqrt(1 - exp(-KL)). Checked with a margin so that
		 * rounding cannot grant it. */
		if (r <= -log1p(-d * d) * (1 - 16 * U))
			return 0;
		if (a <= IMPROVED_MIN_ORDER)
			return INFINITY;
		/* Balle et al. (2020) Thm 21; Canonne, Kamath and Steinke
		 * (2020) Prop. 12. */
		l1 = log1p(-1 / a);
		la = log(a);
		eps = r + l1 - (ld + la) / (a - 1);
		err = 8 * U * (r + fabs(l1) + (fabs(ld) + la) / (a - 1));
	}
	return dp_add_up(eps, err);
}

static int
delta_ok(double d)
{
	return d > 0 && d < 1;
}

int
dp_curve_epsilon(const struct dp_curve *c, double delta,
    enum dp_conversion conversion, struct dp_eps *ret)
{
	double d, best = INFINITY, order = NAN;
	size_t at = 0;

	if (!c || c->n == 0 || !delta_ok(delta) ||
	    (conversion != DP_CONVERSION_IMPROVED &&
		conversion != DP_CONVERSION_CLASSIC))
		return -EINVAL;
	/* The approximate-DP charges take their delta first. */
	d = dp_sub_down(delta, c->delta_extra);
	if (d > 0) {
		for (size_t i = 0; i < c->n; i++) {
			double e = order_epsilon(c->orders[i], c->rdp[i], d,
			    conversion);

			if (e < best) {
				best = e;
				order = c->orders[i];
				at = i;
			}
		}
	}
	if (best < 0)
		best = 0;
	*ret = (struct dp_eps){
		.epsilon = isinf(best) ? INFINITY :
		    dp_add_up(best, c->eps_extra),
		.delta = delta,
		.order = isinf(best) ? NAN : order,
		.order_at_edge = !isinf(best) && best > 0 &&
		    (at == 0 || at == c->n - 1),
		.conversion = conversion,
	};
	return 0;
}

/* log delta at one order for epsilon e, as an upper bound. */
static double
order_log_delta(double a, double r, double e, enum dp_conversion conversion)
{
	double ld, err;

	if (isinf(r) || isnan(r))
		return 0;
	if (conversion == DP_CONVERSION_CLASSIC) {
		ld = (a - 1) * (r - e);
		err = 8 * U * (a - 1) * (r + e);
		return dp_add_up(ld, err);
	}
	/* Bretagnolle-Huber: delta <= sqrt(1 - exp(-r)). */
	ld = r > 0 ? 0.5 * log(-expm1(-r)) : -INFINITY;
	ld = dp_add_up(ld, 8 * U * fabs(ld));
	if (a > IMPROVED_MIN_ORDER) {
		double l1 = log1p(-1 / a), la = log(a);
		double b = (a - 1) * (r - e + l1) - la;

		b = dp_add_up(b, 8 * U * ((a - 1) * (r + e + fabs(l1)) + la));
		if (b < ld)
			ld = b;
	}
	return ld;
}

int
dp_curve_delta(const struct dp_curve *c, double epsilon,
    enum dp_conversion conversion, double *ret_delta, double *ret_order)
{
	double e, best = INFINITY, order = NAN, delta;

	if (!c || c->n == 0 || !(epsilon >= 0) || !isfinite(epsilon) ||
	    (conversion != DP_CONVERSION_IMPROVED &&
		conversion != DP_CONVERSION_CLASSIC))
		return -EINVAL;
	e = dp_sub_down(epsilon, c->eps_extra);
	if (e < 0) {
		delta = 1;
	} else {
		for (size_t i = 0; i < c->n; i++) {
			double ld = order_log_delta(c->orders[i], c->rdp[i], e,
			    conversion);

			if (ld < best) {
				best = ld;
				order = c->orders[i];
			}
		}
		delta = dp_add_up(dp_round_up(exp(best), 4 * U),
		    c->delta_extra);
		if (delta > 1)
			delta = 1;
	}
	*ret_delta = delta;
	if (ret_order)
		*ret_order = order;
	return 0;
}

int
dp_budget_check(const struct dp_curve *state, const struct dp_curve *job,
    double eps_budget, double delta_budget, struct dp_budget_status *ret)
{
	_cleanup_(dp_curve_freep) struct dp_curve *sum = NULL;
	struct dp_eps spent, after;
	int r;

	if (!state || !(eps_budget >= 0) || !isfinite(eps_budget) ||
	    !delta_ok(delta_budget))
		return -EINVAL;
	r = dp_curve_epsilon(state, delta_budget, DP_CONVERSION_IMPROVED,
	    &spent);
	if (r < 0)
		return r;
	after = spent;
	if (job) {
		r = dp_curve_dup(state, &sum);
		if (r < 0)
			return r;
		r = dp_curve_add(sum, job);
		if (r < 0)
			return r;
		r = dp_curve_epsilon(sum, delta_budget,
		    DP_CONVERSION_IMPROVED, &after);
		if (r < 0)
			return r;
	}
	*ret = (struct dp_budget_status){
		.spent = spent.epsilon,
		.remaining = spent.epsilon >= eps_budget ? 0 :
		    dp_sub_down(eps_budget, spent.epsilon),
		.after = after.epsilon,
		.overspend = after.epsilon > eps_budget,
	};
	return 0;
}

static int
sgd_epsilon(struct dp_curve *c, const struct dp_job *job, double delta,
    enum dp_conversion conversion, double *ret)
{
	struct dp_eps e;
	int r;

	for (size_t i = 0; i < c->n; i++)
		c->rdp[i] = 0;
	r = dp_curve_charge(c, job);
	if (r < 0)
		return r;
	r = dp_curve_epsilon(c, delta, conversion, &e);
	if (r < 0)
		return r;
	*ret = e.epsilon;
	return 0;
}

int
dp_sgd_noise(double target_eps, double q, double steps, double delta,
    const double *orders, size_t n, enum dp_conversion conversion,
    double *ret_sigma)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = {
		.mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.0,
		.sample_rate = q,
		.count = steps,
	};
	double lo = 0, hi = 1.0, eps;
	int r;

	if (!(target_eps > 0) || !isfinite(target_eps) || !delta_ok(delta))
		return -EINVAL;
	r = dp_job_check(&job, NULL, 0);
	if (r < 0)
		return r;
	r = dp_curve_new(orders, n, &c);
	if (r < 0)
		return r;
	/* Find an upper end that meets the target, then bisect; eps is
	 * decreasing in sigma. */
	for (;;) {
		job.noise_multiplier = hi;
		r = sgd_epsilon(c, &job, delta, conversion, &eps);
		if (r < 0)
			return r;
		if (eps <= target_eps)
			break;
		lo = hi;
		hi *= 2;
		if (hi > NOISE_MAX)
			return -ERANGE;
	}
	while (hi - lo > NOISE_TOLERANCE) {
		double mid = (lo + hi) / 2;

		job.noise_multiplier = mid;
		r = sgd_epsilon(c, &job, delta, conversion, &eps);
		if (r < 0)
			return r;
		if (eps <= target_eps)
			hi = mid;
		else
			lo = mid;
	}
	*ret_sigma = hi;
	return 0;
}
