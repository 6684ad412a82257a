/* RDP of one use of a mechanism at one order, as a certified upper bound. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "dp-internal.h"

/* Unit roundoff of double. */
#define U (DBL_EPSILON / 2)
/* Terms further than this below the largest one (in log) are not
 * evaluated exactly; their sum is bounded and added instead. */
#define SKIP_BELOW 50.0
/* A series stops when the uncertainty of its remainder is below
 * exp(SERIES_TOL) times the sum. */
#define SERIES_TOL (-25.0)
#define SERIES_MAX_TERMS 2000000
/* ln 2 split so that e * LN2_HI is exact for |e| < 2^32. */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10

double
dp_log_add(double a, double b)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo == -INFINITY)
		return hi;
	return hi + log1p(exp(lo - hi));
}

double
dp_log_sub(double a, double b)
{
	if (b == -INFINITY)
		return a;
	if (!(a > b))
		return -INFINITY;
	return a + log(-expm1(b - a));
}

double
dp_log_erfc(double x)
{
	double t, s, term;

	if (x <= 20.0)
		return log(erfc(x));
	/* erfc(x) = exp(-x^2) / (x sqrt(pi)) * sum_k (-1)^k (2k-1)!! /
	 * (2x^2)^k; for x > 20 eleven terms leave < 1e-19. */
	t = 1.0 / (2.0 * x * x);
	s = 1.0;
	term = 1.0;
	for (int k = 1; k < 12; k++) {
		term *= -(2 * k - 1) * t;
		s += term;
	}
	return -x * x - log(x) - 0.5 * log(M_PI) + log(s);
}

/* log P(Z > u) for a standard normal Z. */
static double
log_q(double u)
{
	return -M_LN2 + dp_log_erfc(u / M_SQRT2);
}

/* log(exp(x) - 1), x > 0. */
static double
log_expm1(double x)
{
	if (x > 1.0)
		return x + log1p(-exp(-x));
	return log(expm1(x));
}

/* log(1 + exp(x)). */
static double
log1p_exp(double x)
{
	if (x > 0)
		return x + log1p(exp(-x));
	return log1p(exp(x));
}

double
dp_round_up(double v, double rel)
{
	double r;

	if (!(v > 0) || isinf(v))
		return isnan(v) ? INFINITY : v;
	r = v * (1.0 + rel);
	return nextafter(r, INFINITY);
}

/* A sum of positive numbers given by their logs, kept as ref + log(s + c)
 * with compensated (Neumaier) summation, and a bound on the absolute
 * error in the same scale. */
struct lsum {
	double ref;
	double s, c;
	double err;
	size_t n;
};

static void
neumaier(struct lsum *a, double t)
{
	double y = a->s + t;

	if (fabs(a->s) >= fabs(t))
		a->c += (a->s - y) + t;
	else
		a->c += (t - y) + a->s;
	a->s = y;
}

/* Adds exp(v), whose absolute error in log is at most rel. */
static void
lsum_add(struct lsum *a, double v, double rel)
{
	double t, d;

	if (v == -INFINITY)
		return;
	a->n++;
	if (a->s == 0) {
		a->ref = v;
		a->s = 1.0;
		a->c = 0;
		a->err = rel;
		return;
	}
	d = v - a->ref;
	/* exp and the subtraction add a few ulps of |d| to the term. */
	rel += U * (fabs(d) + fabs(v) + 2.0);
	if (d <= 0) {
		t = exp(d);
		neumaier(a, t);
		a->err += t * rel;
	} else {
		t = exp(-d);
		a->s *= t;
		a->c *= t;
		a->err = a->err * t + (a->s + a->c) * rel + rel;
		neumaier(a, 1.0);
		a->ref = v;
	}
}

static double
lsum_log(const struct lsum *a)
{
	if (a->s == 0)
		return -INFINITY;
	return a->ref + log(a->s + a->c);
}

/* log of the error bound: the terms' errors plus that of compensated
 * summation, 2u|S| + 2n^2u^2 S for positive terms (Higham 2002, 4.3). */
static double
lsum_log_err(const struct lsum *a)
{
	double n = (double)a->n, v = a->s + a->c;

	if (a->s == 0)
		return -INFINITY;
	return a->ref + log(a->err + v * (4.0 * U + 2.0 * n * n * U * U) +
	    U * v * (fabs(a->ref) + 2.0));
}

/* Per-index work space for the integer orders of one job. */
struct int_ws {
	unsigned cap;  /* arrays hold indices 0..cap */
	double *inv;   /* 1/i */
	double *lx;    /* upper bound of log expm1(x_i): exact below 1 */
	double *mant;  /* binomial coefficient = mant * 2^ex */
	int *ex;
	double *up;    /* upper bound of the log term */
};

static void
int_ws_done(struct int_ws *w)
{
	free(w->inv);
	free(w->lx);
	free(w->mant);
	free(w->ex);
	free(w->up);
}

static int
int_ws_init(struct int_ws *w, unsigned cap, double s2)
{
	*w = (struct int_ws){ .cap = cap };
	w->inv = malloc((cap + 1) * sizeof(double));
	w->lx = malloc((cap + 1) * sizeof(double));
	w->mant = malloc((cap + 1) * sizeof(double));
	w->ex = malloc((cap + 1) * sizeof(int));
	w->up = malloc((cap + 1) * sizeof(double));
	if (!w->inv || !w->lx || !w->mant || !w->ex || !w->up) {
		int_ws_done(w);
		return -ENOMEM;
	}
	for (unsigned i = 1; i <= cap; i++) {
		double x = ((double)i * i - i) / s2;

		w->inv[i] = 1.0 / i;
		w->lx[i] = x >= 1.0 ? x : log_expm1(x);
	}
	return 0;
}

/* Binary exponent of a positive normal double. */
static int
exponent_of(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return (int)((bits >> 52) & 0x7ff) - 1023;
}

/* Upper bound of log(A_alpha - 1) for integer alpha >= 2 and 0 < q < 1.
 *
 * A_alpha = sum_i C(a,i) q^i (1-q)^(a-i) exp((i^2-i)/(2 s^2)), and the
 * same sum without the exponential is 1, so A - 1 is the sum with expm1:
 * terms 0 and 1 vanish and the others are positive, with no cancellation.
 * Binomial coefficients are carried as m * 2^e, which gives a cheap upper
 * bound of each log term (from the exponent of m) for skipping the
 * negligible ones without calling log; their sum is bounded instead. */
static double
log_am1_int(struct int_ws *w, double lq, double l1q, unsigned alpha)
{
	double m = alpha, lmax = -INFINITY, sum = 0, esum = 0, lerr;
	size_t kept = 0, skipped = 0;
	int e = 0;

	for (unsigned i = 2; i <= alpha; i++) {
		double up;

		m *= (double)(alpha - i + 1) * w->inv[i];
		if (m > 0x1p900) {
			m *= 0x1p-900;
			e += 900;
		} else if (m < 0x1p-900) {
			m *= 0x1p900;
			e -= 900;
		}
		up = (e + exponent_of(m) + 1) * LN2_HI + i * lq +
		    (alpha - i) * l1q + w->lx[i];
		w->mant[i] = m;
		w->ex[i] = e;
		w->up[i] = up;
		if (up > lmax)
			lmax = up;
	}
	if (lmax == INFINITY || isnan(lmax))
		return INFINITY;
	if (lmax == -INFINITY)
		return -INFINITY;
	for (unsigned i = 2; i <= alpha; i++) {
		double lem1, lm, l, err;

		if (w->up[i] < lmax - SKIP_BELOW) {
			skipped++;
			continue;
		}
		lem1 = w->lx[i];
		if (lem1 >= 1.0)
			lem1 = log_expm1(lem1);
		lm = log(w->mant[i]);
		l = lm + w->ex[i] * LN2_HI + w->ex[i] * LN2_LO + i * lq +
		    (alpha - i) * l1q + lem1;
		sum += exp(l - lmax);
		kept++;
		/* Absolute error of l: the binomial carries three roundings
		 * per step; each component's error is a few ulps of its
		 * size. */
		err = U * (3.0 * i + 8.0 * (fabs(lm) + fabs(w->ex[i] * M_LN2) +
		    fabs(i * lq) + fabs((alpha - i) * l1q) + fabs(w->lx[i]) +
		    4.0));
		esum += exp(l - lmax) * err;
	}
	if (sum == 0)
		return -INFINITY;
	/* Each skipped term is below exp(lmax - SKIP_BELOW), up to the
	 * rounding of its cheap bound; one nat covers that. */
	sum += (double)skipped * exp(-SKIP_BELOW + 1.0);
	/* Relative error of the sum: the terms' (weighted), three roundings
	 * per term for exp and the addition, and the final log. */
	lerr = esum / sum + U * (3.0 * kept + 8.0 + fabs(lmax));
	/* exp(lerr) <= 1 + 1.01 lerr for the tiny lerr we get. */
	return lmax + log(sum) + 1.01 * lerr;
}

/* Quantities of one (q, sigma) that do not depend on the order, shared by
 * all the orders of a curve.  Per-index values are computed on first use. */
struct sgd_ctx {
	double q, sigma;
	double lq, l1q, s2;  /* log q, log(1-q), 2 sigma^2 */
	double z0, u0;       /* split point, and z0 / sigma */
	double lq0, lphi0;   /* log P(Z > u0), log P(Z < u0) */
	size_t cap;          /* entries below are valid for i < cap */
	double *lphi;        /* log P(Z < u_i), u_i = (z0 - i) / sigma */
	double *ldiff;       /* log(P(Z > u_i) - P(Z > u0)), where u_i >= 0 */
	double *ldmag;       /* error magnitude of ldiff */
	double *lem1;        /* log expm1((i^2 - i) / (2 sigma^2)), i >= 2 */
};

static void
sgd_ctx_init(struct sgd_ctx *c, double q, double sigma)
{
	*c = (struct sgd_ctx){ .q = q, .sigma = sigma };
	c->lq = log(q);
	c->l1q = log1p(-q);
	c->s2 = 2.0 * sigma * sigma;
	c->z0 = sigma * sigma * (c->l1q - c->lq) + 0.5;
	c->u0 = c->z0 / sigma;
	c->lq0 = log_q(c->u0);
	c->lphi0 = log_q(-c->u0);
}

static void
sgd_ctx_done(struct sgd_ctx *c)
{
	free(c->lphi);
	free(c->ldiff);
	free(c->ldmag);
	free(c->lem1);
}

static void
sgd_ctx_compute(const struct sgd_ctx *c, size_t i, double *lphi,
    double *ldiff, double *ldmag, double *lem1)
{
	double ui = (c->z0 - (double)i) / c->sigma;

	*lem1 = i >= 2 ? log_expm1(((double)i * i - i) / c->s2) : -INFINITY;
	*lphi = log_q(-ui);
	*ldiff = NAN;
	*ldmag = 0;
	if (ui >= 0 && i >= 1) {
		double lqi = log_q(ui);
		/* relative cancellation in Q(u_i) - Q(u_0) */
		double kappa = -expm1(c->lq0 - lqi);

		*ldiff = dp_log_sub(lqi, c->lq0);
		*ldmag = (fabs(lqi) + fabs(c->lq0)) / (kappa > 0 ? kappa : U);
	}
}

/* The per-index values at i, from the cache (grown on demand) or, if
 * memory is short or i is far past the cached range, computed directly. */
static void
sgd_ctx_get(struct sgd_ctx *c, size_t i, double *lphi, double *ldiff,
    double *ldmag, double *lem1)
{
	if (i >= c->cap + 4096) {
		/* far past the cached range (after a jump): not worth
		 * filling */
		sgd_ctx_compute(c, i, lphi, ldiff, ldmag, lem1);
		return;
	}
	if (i >= c->cap) {
		size_t cap = MAX(64, 2 * c->cap);
		double *a, *b, *d, *e;

		while (cap <= i)
			cap *= 2;
		a = realloc(c->lphi, cap * sizeof(double));
		if (a)
			c->lphi = a;
		b = realloc(c->ldiff, cap * sizeof(double));
		if (b)
			c->ldiff = b;
		d = realloc(c->ldmag, cap * sizeof(double));
		if (d)
			c->ldmag = d;
		e = realloc(c->lem1, cap * sizeof(double));
		if (e)
			c->lem1 = e;
		if (!a || !b || !d || !e) {
			sgd_ctx_compute(c, i, lphi, ldiff, ldmag, lem1);
			return;
		}
		for (size_t k = c->cap; k < cap; k++)
			sgd_ctx_compute(c, k, &c->lphi[k], &c->ldiff[k],
			    &c->ldmag[k], &c->lem1[k]);
		c->cap = cap;
	}
	*lphi = c->lphi[i];
	*ldiff = c->ldiff[i];
	*ldmag = c->ldmag[i];
	*lem1 = c->lem1[i];
}

/* Upper bound of the log magnitudes of the pieces of term k of the two
 * series, given lck = log |C(alpha, k)|, for alpha < k < i_min with
 * z0 > alpha.  Series 0 drops its normal probability (<= 1); series 1
 * bounds P(Z > u) by exp(-u^2/2)/2 (u = (z0 - alpha + k)/sigma > 0), which
 * cancels its quadratic part.  For k > alpha,
 * log |C(alpha, k)| = const - log Gamma(k+1) + log Gamma(k-alpha) is convex
 * in k, so both bounds are convex and their maximum over a stretch of
 * indices is at one of its ends. */
static double
term_bound(const struct sgd_ctx *ctx, double alpha, double k, double lck)
{
	double j = alpha - k, z0 = ctx->z0;
	double b0 = lck + k * ctx->lq + j * ctx->l1q + (k * k - k) / ctx->s2;
	double b1 = lck + j * ctx->lq + k * ctx->l1q +
	    ((2.0 * z0 - 1.0) * j - z0 * z0) / ctx->s2 - M_LN2;

	return fmax(b0, b1);
}

/* log |C(alpha, k)| for k > alpha + 1, alpha not an integer, and the
 * sign of C(alpha, k) (k - 1 - floor(alpha) negative factors). */
static double
log_abs_binomial(double alpha, unsigned k, double *ret_sign, double *ret_err)
{
	int s1, s2, s3;
	double a = lgamma_r(alpha + 1, &s1), b = lgamma_r(k + 1.0, &s2);
	double c = lgamma_r(alpha - k + 1, &s3);

	*ret_sign = ((k - 1 - (unsigned)floor(alpha)) & 1) ? -1.0 : 1.0;
	*ret_err = 16.0 * U * (fabs(a) + fabs(b) + fabs(c) + 4.0);
	return a - b - c;
}

/* Upper bound of log(A_alpha - 1) (accurate = true, needs q < 1/4) or
 * of log(A_alpha) (accurate = false) for fractional alpha: the two series
 * of Mironov, Talwar and Zhang (2019) section 3.3, split at
 * z0 = s^2 log(1/q - 1) + 1/2.
 *
 * With c_i = C(a,i) q^i (1-q)^(a-i), E_i = exp((i^2-i)/(2 s^2)) and
 * u_i = (z0 - i)/s:
 *   A0 = sum_i c_i E_i P(Z < u_i),
 *   A1 = sum_i C(a,i) q^(a-i) (1-q)^i E_(a-i) P(Z > u_(a-i)).
 * For q < 1/2, sum_i c_i = 1, so A0 - P(Z < u_0) = sum_i c_i (E_i P(Z<u_i)
 * - P(Z<u_0)); each term is split into pieces that need no cancellation
 * ((E_i - 1) P(Z<u_0) and E_i P(u_i < Z < u_0) while u_i >= 0), and
 * P(Z > u_0) is subtracted from A1.  This keeps the digits of A - 1 when
 * q is tiny, where A is 1 + O(q^2).
 *
 * Past i_min = max(alpha, z0) + 2 each series alternates and its
 * magnitudes decrease convexly, so its remainder after term N lies
 * between half of term N+1 and half of term N (with the sign of term
 * N+1).  The upper end of that bracket is added. */
static double
log_series_frac(struct sgd_ctx *ctx, double alpha, bool accurate)
{
	const double lq = ctx->lq, l1q = ctx->l1q, s2 = ctx->s2;
	const double z0 = ctx->z0, sigma = ctx->sigma;
	double i_min = fmax(alpha, z0) + 2.0, lc = 0, sign = 1.0;
	struct lsum pos = {}, neg = {};
	/* previous term's pieces: series 0 and A1 (together "w"), and the
	 * -c_i P(Z < u_0) series ("y") */
	double prev0 = NAN, prev1 = NAN, prevy = NAN;
	double lpos, lneg, lerr, total, cur = NAN;
	/* skipping the middle: where to try, the error of lc after a jump,
	 * the estimate of log(A - 1), the bound at the far end */
	unsigned i_skip = (unsigned)floor(alpha) + 3;
	double lc_err = 0, est = NAN, right = NAN;

	for (unsigned i = 0;; i++) {
		double j = alpha - i, x = ((double)i * i - i) / s2;
		double lci, lcj, lz, mag, r, lphi, ldiff, ldmag, lem1;
		double common, mi, m0, m1, my, mn;
		double p0 = -INFINITY, p1, py = -INFINITY, pn = -INFINITY;
		bool in_tail;

		if (i >= SERIES_MAX_TERMS)
			return INFINITY; /* no bound at this order */
		/* Between alpha + 3 and i_min every piece is bounded by a
		 * convex function of the index, hence by its values at the
		 * two ends of the stretch.  When z0 is large (large sigma,
		 * small q) that stretch is long and negligible: its bound
		 * is added and the loop jumps to its end. */
		if (i >= i_skip && i_min > i + 32.0) {
			unsigned ie = (unsigned)ceil(i_min) + 1;
			double left = term_bound(ctx, alpha, i, lc);

			if (isnan(est)) {
				est = dp_log_sub(lsum_log(&pos),
				    lsum_log(&neg));
				if (!accurate)
					est = dp_log_sub(est, 0);
			}
			if (isnan(right) && left < est - SKIP_BELOW - 10.0) {
				double se, ee, lce;

				lce = log_abs_binomial(alpha, ie - 1, &se, &ee);
				right = term_bound(ctx, alpha, ie - 1,
				    lce + ee);
			}
			if (!isnan(right) && fmax(left, right) +
			    log(4.0 * (ie - i)) < est - SKIP_BELOW - 10.0) {
				lsum_add(&pos, fmax(left, right) +
				    log(4.0 * (ie - i)), 0);
				lc = log_abs_binomial(alpha, ie, &sign,
				    &lc_err);
				prev0 = prev1 = prevy = NAN;
				i = ie - 1;
				continue;
			}
		}
		sgd_ctx_get(ctx, i, &lphi, &ldiff, &ldmag, &lem1);
		lci = lc + i * lq + j * l1q;
		lcj = lc + j * lq + i * l1q;
		lz = log_q((z0 - j) / sigma);
		/* Error magnitudes of the pieces' logs: lc carries i
		 * roundings; every component a few ulps of its size. */
		common = fabs(lc) * (i + 8.0) + 8.0 * (i + 4.0) + lc_err / U;
		mi = common + 8.0 * (fabs(i * lq) + fabs(j * l1q));
		p1 = lcj + (j * j - j) / s2 + lz;
		m1 = common + 8.0 * (fabs(j * lq) + fabs(i * l1q) +
		    fabs(j * j - j) / s2 + fabs(lz));
		m0 = my = mn = mi;
		in_tail = !accurate || (i >= 1 && isnan(ldiff));
		if (in_tail) {
			p0 = lci + x + lphi;
			m0 += 8.0 * (x + fabs(lphi));
			if (accurate) {
				py = lci + ctx->lphi0;
				my += 8.0 * fabs(ctx->lphi0);
			}
		} else if (i >= 1) {
			/* (E_i - 1) P(Z < u0), and -E_i (Q(u_i) - Q(u0)) */
			if (i >= 2) {
				p0 = lci + lem1 + ctx->lphi0;
				m0 += 8.0 * (x + fabs(lem1) + fabs(ctx->lphi0));
			}
			pn = lci + x + ldiff;
			mn += 8.0 * (x + ldmag);
		}
		mag = fmax(fmax(m0, m1), fmax(my, mn));

		/* Every fourth term past i_min: stop when the remainder
		 * brackets are narrow enough.  The tolerance is relative to
		 * A - 1 in both forms; the estimate of it only steers when
		 * to stop, so it is refreshed now and then.  A bracket is
		 * narrower than its last term by about (alpha + 2) / (2 i)
		 * at most e^16 for the indices reached: while the last term
		 * is further above the tolerance, the test cannot pass. */
		if (i > i_min + 1 && (i & 3) == 0 && !isnan(prev0) &&
		    in_tail) {
			double wc, wp, last = fmax(prev0, prev1);

			if (isnan(cur) || (i & 15) == 0) {
				cur = dp_log_sub(lsum_log(&pos),
				    lsum_log(&neg));
				if (!accurate)
					cur = dp_log_sub(cur, 0);
			}
			if (accurate)
				last = fmax(last, prevy);
			wc = dp_log_add(p0, p1);
			wp = dp_log_add(prev0, prev1);
			if (last < cur + SERIES_TOL + 16.0 && wc <= wp &&
			    (!accurate || py <= prevy)) {
				double width = dp_log_sub(wp, wc) - M_LN2;

				if (accurate)
					width = dp_log_add(width,
					    dp_log_sub(prevy, py) - M_LN2);
				if (width < cur + SERIES_TOL) {
					/* Upper end of the remainder bracket
					 * after term i-1: +b_(i-1)/2 when term
					 * i is positive, -b_i/2 when it is
					 * negative. */
					lsum_add(sign > 0 ? &pos : &neg,
					    (sign > 0 ? wp : wc) - M_LN2,
					    U * mag);
					if (accurate)
						lsum_add(sign < 0 ? &pos : &neg,
						    (sign < 0 ? prevy : py) -
						    M_LN2, U * mag);
					break;
				}
			}
		}
		lsum_add(sign > 0 ? &pos : &neg, p0, U * m0);
		lsum_add(sign > 0 ? &pos : &neg, p1, U * m1);
		lsum_add(sign > 0 ? &neg : &pos, py, U * my);
		lsum_add(sign > 0 ? &neg : &pos, pn, U * mn);
		prev0 = in_tail ? p0 : NAN;
		prev1 = p1;
		prevy = py;
		r = (alpha - i) / (i + 1);
		lc += log(fabs(r));
		if (r < 0)
			sign = -sign;
	}
	if (accurate)
		lsum_add(&neg, ctx->lq0, 8.0 * U * (fabs(ctx->lq0) + 2.0));
	lpos = lsum_log(&pos);
	lneg = lsum_log(&neg);
	if (lpos == INFINITY || isnan(lpos) || isnan(lneg))
		return INFINITY;
	/* The error of pos - neg is at most the sum of both error bounds. */
	lerr = dp_log_add(lsum_log_err(&pos), lsum_log_err(&neg));
	total = dp_log_sub(lpos, lneg);
	return dp_log_add(total, lerr);
}

static bool
order_ok(double order)
{
	return isfinite(order) && order > 1.0 && order <= DP_ORDER_LIMIT;
}

/* One order, with the job's context. */
static double
sgd_order(struct sgd_ctx *ctx, struct int_ws *ws, double order)
{
	double la;

	if (order == floor(order)) {
		la = log1p_exp(log_am1_int(ws, ctx->lq, ctx->l1q,
		    (unsigned)order));
	} else if (ctx->q < 0.25) {
		la = log1p_exp(log_series_frac(ctx, order, true));
	} else {
		la = log_series_frac(ctx, order, false);
		if (la < 0)
			la = 0;
	}
	return dp_round_up(la / (order - 1.0), DP_REL_MARGIN);
}

int
dp_rdp_sgd_orders(double q, double sigma, const double *orders, size_t n,
    double *ret)
{
	struct sgd_ctx ctx;
	struct int_ws ws = {};
	unsigned max_int = 0;
	int r;

	if (!(q >= 0 && q <= 1) || !(sigma > 0) || !isfinite(sigma))
		return -EINVAL;
	for (size_t k = 0; k < n; k++) {
		if (!order_ok(orders[k]))
			return -EINVAL;
		if (orders[k] == floor(orders[k]) && orders[k] > max_int)
			max_int = (unsigned)orders[k];
	}
	if (q == 0 || q == 1) {
		for (size_t k = 0; k < n; k++)
			if (q == 0)
				ret[k] = 0;
			else
				(void)dp_rdp_gaussian(sigma, orders[k],
				    &ret[k]);
		return 0;
	}
	sgd_ctx_init(&ctx, q, sigma);
	if (max_int > 0) {
		r = int_ws_init(&ws, max_int, ctx.s2);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < n; k++)
		ret[k] = sgd_order(&ctx, &ws, orders[k]);
	int_ws_done(&ws);
	sgd_ctx_done(&ctx);
	return 0;
}

int
dp_rdp_sgd(double q, double sigma, double order, double *ret)
{
	return dp_rdp_sgd_orders(q, sigma, &order, 1, ret);
}

int
dp_rdp_gaussian(double sigma, double order, double *ret)
{
	if (!(sigma > 0) || !isfinite(sigma) || !order_ok(order))
		return -EINVAL;
	*ret = dp_round_up(order / (2.0 * sigma * sigma), DP_REL_MARGIN);
	return 0;
}

/* exp(x) - 1 - x without cancellation. */
static double
expm1_minus_x(double x)
{
	double term = x, s = 0;

	if (fabs(x) >= 0.5)
		return expm1(x) - x;
	for (int k = 2; k < 24; k++) {
		term *= x / k;
		s += term;
	}
	return s;
}

int
dp_rdp_laplace(double scale, double order, double *ret)
{
	double a = order, inner;

	if (!(scale > 0) || !isfinite(scale) || !order_ok(order))
		return -EINVAL;
	/* Mironov (2017) Table II: 1/(a-1) log(a/(2a-1) e^((a-1)/b) +
	 * (a-1)/(2a-1) e^(-a/b)).  The weights sum to 1 and the first-order
	 * terms cancel exactly, so the argument of log1p is a sum of two
	 * nonnegative second-order terms. */
	if ((a - 1) / scale > 1.0) {
		/* No cancellation here: the first term dominates. */
		inner = (a - 1) / scale + log(a / (2 * a - 1)) +
		    log1p((a - 1) / a * exp(-(2 * a - 1) / scale));
	} else {
		inner = log1p(a / (2 * a - 1) *
		    expm1_minus_x((a - 1) / scale) +
		    (a - 1) / (2 * a - 1) * expm1_minus_x(-a / scale));
	}
	*ret = dp_round_up(inner / (a - 1), DP_REL_MARGIN);
	return 0;
}

int
dp_rdp_pure(double epsilon, double order, double *ret)
{
	double v;

	if (!(epsilon >= 0) || !isfinite(epsilon) || !order_ok(order))
		return -EINVAL;
	/* eps-DP bounds the infinite-order Renyi divergence by eps, and the
	 * divergence is nondecreasing in the order (Mironov 2017, sec. III):
	 * (a, eps)-RDP.  It is also (eps^2/2)-zCDP, i.e. (a, a eps^2 / 2)-RDP
	 * (Bun and Steinke 2016, Prop. 3.3). */
	v = fmin(epsilon, order * epsilon * epsilon / 2.0);
	*ret = dp_round_up(v, DP_REL_MARGIN);
	return 0;
}
