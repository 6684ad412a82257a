/* RDP of one use of a mechanism at one order, as a certified upper bound. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>

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

/* Upper bound of log(A_alpha - 1) for integer alpha >= 2 and 0 < q < 1.
 *
 * A_alpha = sum_i C(a,i) q^i (1-q)^(a-i) exp((i^2-i)/(2 s^2)), and the
 * same sum without the exponential is 1, so A - 1 is the sum with expm1:
 * terms 0 and 1 vanish and the others are positive, with no cancellation.
 * Binomial coefficients are carried as m * 2^e (m in [0.5, 1)), which
 * gives a cheap upper bound of each log term (log m <= 0) for skipping
 * the negligible ones without calling log. */
static double
log_am1_int(double q, double sigma, unsigned alpha)
{
	double lq = log(q), l1q = log1p(-q), s2 = 2.0 * sigma * sigma;
	double m, lmax = -INFINITY, sum = 0, esum = 0, lerr;
	size_t kept = 0, skipped = 0;
	int e;

	for (int pass = 0; pass < 2; pass++) {
		m = frexp((double)alpha, &e); /* C(alpha, 1) */
		for (unsigned i = 2; i <= alpha; i++) {
			int de;
			double x, lem1, upper, l, err;

			m *= (double)(alpha - i + 1) / (double)i;
			m = frexp(m, &de);
			e += de;
			x = ((double)i * i - i) / s2;
			lem1 = x >= 1.0 ? x : log_expm1(x);
			upper = e * LN2_HI + e * LN2_LO + i * lq +
			    (alpha - i) * l1q + lem1;
			if (pass == 0) {
				if (upper > lmax)
					lmax = upper;
				continue;
			}
			if (upper < lmax - SKIP_BELOW) {
				skipped++;
				continue;
			}
			if (x >= 1.0)
				lem1 = log_expm1(x);
			l = log(m) + e * LN2_HI + e * LN2_LO + i * lq +
			    (alpha - i) * l1q + lem1;
			sum += exp(l - lmax);
			kept++;
			/* Absolute error of l: the binomial carries 2i
			 * roundings; each component's error is a few ulps of
			 * its size. */
			err = U * (2.0 * i + 8.0 * (fabs(log(m)) + fabs(e *
			    M_LN2) + fabs(i * lq) + fabs((alpha - i) * l1q) +
			    fabs(lem1) + x + 4.0));
			esum += exp(l - lmax) * err;
		}
	}
	if (lmax == INFINITY || isnan(lmax))
		return INFINITY;
	if (lmax == -INFINITY || sum == 0)
		return -INFINITY;
	sum += (double)skipped * exp(-SKIP_BELOW);
	/* Relative error of the sum: the terms' (weighted), three roundings
	 * per term for exp and the addition, and the final log. */
	lerr = esum / sum + U * (3.0 * kept + 8.0 + fabs(lmax));
	/* exp(lerr) <= 1 + 1.01 lerr for the tiny lerr we get. */
	return lmax + log(sum) + 1.01 * lerr;
}

/* Per-series state past i_min, for the remainder bound. */
struct tail {
	double prev;  /* log magnitude of the previous term, or NAN */
	double cur;
};

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
log_series_frac(double q, double sigma, double alpha, bool accurate)
{
	double lq = log(q), l1q = log1p(-q), s2 = 2.0 * sigma * sigma;
	double z0 = sigma * sigma * (l1q - lq) + 0.5;
	double u0 = z0 / sigma, lq0 = log_q(u0), lphi0 = log_q(-u0);
	double i_min = fmax(alpha, z0) + 2.0, lc = 0, sign = 1.0;
	struct lsum pos = {}, neg = {};
	struct tail w = { NAN, NAN }, y = { NAN, NAN };
	double lpos, lneg, lerr, total, cur = NAN;

	for (unsigned i = 0;; i++) {
		double j = alpha - i, x = ((double)i * i - i) / s2;
		double ui = (z0 - i) / sigma, lci, lcj, lz, mag, r;
		double p[3];
		int ps[3], np = 0;
		bool tail_ok;

		lci = lc + i * lq + j * l1q;
		lcj = lc + j * lq + i * l1q;
		lz = log_q((z0 - j) / sigma);
		mag = fabs(lc) * (i + 8.0) + 8.0 * (fabs(i * lq) +
		    fabs(j * l1q) + fabs(j * lq) + fabs(i * l1q) + x +
		    fabs(j * j - j) / s2 + fabs(lz) + i + 4.0);
		w.cur = y.cur = NAN;
		if (!accurate || (i >= 1 && ui < 0)) {
			double lx = log_q(-ui);

			mag += 8.0 * fabs(lx);
			w.cur = dp_log_add(lci + x + lx,
			    lcj + (j * j - j) / s2 + lz);
			p[np] = w.cur;
			ps[np++] = 1;
			if (accurate) {
				y.cur = lci + lphi0;
				p[np] = y.cur;
				ps[np++] = -1;
			}
		} else {
			if (i >= 1) {
				double lqi = log_q(ui);
				double d = dp_log_sub(lqi, lq0);
				/* relative cancellation in Q(u_i) - Q(u_0) */
				double kappa = -expm1(lq0 - lqi);

				mag += 8.0 * (fabs(lqi) + fabs(lq0)) /
				    (kappa > 0 ? kappa : U);
				if (i >= 2) {
					p[np] = lci + log_expm1(x) + lphi0;
					ps[np++] = 1;
				}
				p[np] = lci + x + d;
				ps[np++] = -1;
			}
			p[np] = lcj + (j * j - j) / s2 + lz;
			ps[np++] = 1;
		}

		tail_ok = i > i_min + 1 && !isnan(w.prev) && w.cur <= w.prev &&
		    (!accurate || (!isnan(y.prev) && y.cur <= y.prev));
		if (tail_ok || i >= SERIES_MAX_TERMS) {
			double width = dp_log_sub(w.prev, w.cur) - M_LN2;

			/* The tolerance is relative to A - 1 in both forms; the
			 * estimate of it only steers when to stop, so it is
			 * refreshed every few terms. */
			if (isnan(cur) || (i & 7) == 0) {
				cur = dp_log_sub(lsum_log(&pos), lsum_log(&neg));
				if (!accurate)
					cur = dp_log_sub(cur, 0);
			}
			if (accurate)
				width = dp_log_add(width,
				    dp_log_sub(y.prev, y.cur) - M_LN2);
			if (width < cur + SERIES_TOL ||
			    i >= SERIES_MAX_TERMS) {
				/* Upper end of the remainder bracket after
				 * term i-1: +b_(i-1)/2 when term i is positive,
				 * -b_i/2 when it is negative. */
				if (sign > 0)
					lsum_add(&pos, w.prev - M_LN2, U * mag);
				else
					lsum_add(&neg, w.cur - M_LN2, U * mag);
				if (accurate) {
					if (sign < 0)
						lsum_add(&pos, y.prev - M_LN2,
						    U * mag);
					else
						lsum_add(&neg, y.cur - M_LN2,
						    U * mag);
				}
				break;
			}
		}
		for (int k = 0; k < np; k++) {
			if (ps[k] * sign > 0)
				lsum_add(&pos, p[k], U * mag);
			else
				lsum_add(&neg, p[k], U * mag);
		}
		w.prev = w.cur;
		y.prev = y.cur;
		r = (alpha - i) / (i + 1);
		lc += log(fabs(r));
		if (r < 0)
			sign = -sign;
	}
	if (accurate)
		lsum_add(&neg, lq0, 8.0 * U * (fabs(lq0) + 2.0));
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

int
dp_rdp_sgd(double q, double sigma, double order, double *ret)
{
	double la, v;

	if (!(q >= 0 && q <= 1) || !(sigma > 0) || !isfinite(sigma) ||
	    !order_ok(order))
		return -EINVAL;
	if (q == 0) {
		*ret = 0;
		return 0;
	}
	if (q == 1)
		return dp_rdp_gaussian(sigma, order, ret);
	if (order == floor(order)) {
		la = log1p_exp(log_am1_int(q, sigma, (unsigned)order));
	} else if (q < 0.25) {
		la = log1p_exp(log_series_frac(q, sigma, order, true));
	} else {
		la = log_series_frac(q, sigma, order, false);
		if (la < 0)
			la = 0;
	}
	v = la / (order - 1.0);
	*ret = dp_round_up(v, DP_REL_MARGIN);
	return 0;
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
	/* (a, eps)-RDP: Mironov (2017) Prop. 3; (a, a eps^2 / 2)-RDP: Bun
	 * and Steinke (2016) Prop. 3.3. */
	v = fmin(epsilon, order * epsilon * epsilon / 2.0);
	*ret = dp_round_up(v, DP_REL_MARGIN);
	return 0;
}
