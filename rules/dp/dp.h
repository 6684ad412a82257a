/* Differential-privacy accountant: Rényi DP curves, composition, conversion
 * to (epsilon, delta), budgets.  Every number it reports is an upper bound
 * on the true privacy loss (see docs/dp.md). */
#ifndef CONSENTD_DP_H
#define CONSENTD_DP_H

#include "macro.h"

/* Limits on an order grid. */
#define DP_ORDERS_MAX 512      /* orders in one grid */
#define DP_ORDER_LIMIT 10000.0 /* largest order accepted */
#define DP_STEPS_MAX 9007199254740992.0 /* 2^53: counts are exact doubles */

/* How an RDP curve becomes (epsilon, delta). */
enum dp_conversion {
	DP_CONVERSION_IMPROVED = 0, /* Balle et al. 2020 Thm 21 / CKS 2020 */
	DP_CONVERSION_CLASSIC = 1,  /* Mironov 2017 Prop 3 */
};

enum dp_mechanism {
	DP_MECHANISM_SGD = 0,     /* Poisson-subsampled Gaussian (DP-SGD) */
	DP_MECHANISM_GAUSSIAN,    /* Gaussian, sensitivity 1 */
	DP_MECHANISM_LAPLACE,     /* Laplace, sensitivity 1 */
	DP_MECHANISM_PURE,        /* a pure epsilon-DP release */
	DP_MECHANISM_APPROX,      /* a plain (epsilon, delta) charge */
	_DP_MECHANISM_MAX,
};

/* One job's privacy parameters.  Only the fields of its mechanism are
 * read. */
struct dp_job {
	enum dp_mechanism mechanism;
	double noise_multiplier; /* sgd, gaussian: sigma > 0 */
	double sample_rate;      /* sgd: q in [0, 1] */
	double scale;            /* laplace: b > 0, relative to sensitivity 1 */
	double epsilon;          /* pure, approx: epsilon >= 0 */
	double delta;            /* approx: delta in [0, 1) */
	double count;            /* sgd steps T, or releases: a whole number
				  * in [0, 2^53] */
};

/* An RDP curve over a grid of orders, plus approximate-DP charges composed
 * on top by basic composition.  This is the whole privacy state of a job
 * or of a budget. */
struct dp_curve {
	size_t n;           /* orders in the grid, 1..DP_ORDERS_MAX */
	double *orders;     /* owned; strictly increasing, each in (1, 10000] */
	double *rdp;        /* owned; RDP upper bound at each order, >= 0,
			     * may be +inf */
	double eps_extra;   /* sum of approximate-DP epsilons, >= 0 */
	double delta_extra; /* sum of approximate-DP deltas, >= 0 (at or
			     * above a target delta: no finite epsilon) */
};

/* The result of a conversion. */
struct dp_eps {
	double epsilon;     /* rounded up; +inf when no order gives a bound */
	double delta;       /* the target delta (total, extras included) */
	double order;       /* optimal order; NAN when epsilon is +inf */
	bool order_at_edge; /* the optimum is the first or last order */
	enum dp_conversion conversion;
};

/* A budget check: what a state has spent and what a job would add. */
struct dp_budget_status {
	double spent;       /* epsilon of the state at the budget's delta */
	double remaining;   /* budget epsilon minus spent, rounded down, >= 0 */
	double after;       /* epsilon with the job added */
	bool overspend;     /* after > budget epsilon */
};

/* rdp.c: RDP of one use of a mechanism at one order (an upper bound on
 * the true value, never below it).  -EINVAL on invalid parameters. */
int dp_rdp_sgd(double q, double sigma, double order, double *ret);
int dp_rdp_gaussian(double sigma, double order, double *ret);
int dp_rdp_laplace(double scale, double order, double *ret);
int dp_rdp_pure(double epsilon, double order, double *ret);

/* curve.c */
/* The default grid: 1.1, 1.2, ..., 10.9, 12, 13, ..., 63, 128, 256, 512,
 * 1024.  Static storage. */
const double *dp_default_orders(size_t *ret_n);
/* Checks a grid; writes a message on failure. */
int dp_orders_check(const double *orders, size_t n, char *errbuf,
    size_t errlen);
/* Parses "1.5,2,3,..." (strictly increasing, each in (1, 10000]) into a
 * malloc'd array (caller frees). */
int dp_orders_parse(const char *list, double **ret_orders, size_t *ret_n,
    char *errbuf, size_t errlen);
/* A zero curve on a grid; orders NULL means the default grid. */
int dp_curve_new(const double *orders, size_t n, struct dp_curve **ret);
void dp_curve_free(struct dp_curve *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dp_curve *, dp_curve_free)
#define _cleanup_dp_curve_ _cleanup_(dp_curve_freep)
int dp_curve_dup(const struct dp_curve *c, struct dp_curve **ret);
/* acc += other (same grid, else -EINVAL), rounded up.  On failure acc is
 * unchanged. */
int dp_curve_add(struct dp_curve *acc, const struct dp_curve *other);
/* acc -= other, for refunds; -ERANGE if other exceeds acc anywhere (acc
 * unchanged).  Infinite values stay infinite: a refund cannot recover
 * them. */
int dp_curve_sub(struct dp_curve *acc, const struct dp_curve *other);
/* Multiplies the RDP values and extras by times (a whole number >= 0). */
int dp_curve_scale(struct dp_curve *c, double times);
/* Checks a job; writes a message on failure. */
int dp_job_check(const struct dp_job *job, char *errbuf, size_t errlen);
/* Adds the job's privacy cost to c. */
int dp_curve_charge(struct dp_curve *c, const struct dp_job *job);
/* Storage form: version byte 1, order count (u32 LE), eps_extra,
 * delta_extra, the orders, the values (LE doubles).  malloc'd. */
int dp_curve_to_blob(const struct dp_curve *c, uint8_t **ret_blob,
    size_t *ret_len);
/* -EBADMSG on any malformed blob. */
int dp_curve_from_blob(const uint8_t *blob, size_t len,
    struct dp_curve **ret);
/* Mechanism names as in job files: "dp-sgd", "gaussian", "laplace",
 * "pure", "epsilon-delta".  -EINVAL if unknown. */
int dp_mechanism_from_string(const char *s, enum dp_mechanism *ret);
const char *dp_mechanism_to_string(enum dp_mechanism m);
const char *dp_conversion_to_string(enum dp_conversion c);

/* convert.c */
/* Epsilon at total delta.  The approximate-DP extras spend their delta
 * first: the curve is converted at delta - delta_extra and eps_extra is
 * added; if delta <= delta_extra, epsilon is +inf. */
int dp_curve_epsilon(const struct dp_curve *c, double delta,
    enum dp_conversion conversion, struct dp_eps *ret);
/* Delta at total epsilon (rounded up, at most 1), and its order. */
int dp_curve_delta(const struct dp_curve *c, double epsilon,
    enum dp_conversion conversion, double *ret_delta, double *ret_order);
/* state against (eps_budget, delta_budget), with job (may be NULL) added. */
int dp_budget_check(const struct dp_curve *state, const struct dp_curve *job,
    double eps_budget, double delta_budget, struct dp_budget_status *ret);
/* Smallest noise multiplier (to 0.01) with epsilon <= target for DP-SGD
 * at (q, steps, delta) on the grid (NULL: default).  The returned sigma
 * meets the target; sigma - 0.01 does not.  -ERANGE if no sigma up to
 * 2^20 does. */
int dp_sgd_noise(double target_eps, double q, double steps, double delta,
    const double *orders, size_t n, enum dp_conversion conversion,
    double *ret_sigma);

#endif
