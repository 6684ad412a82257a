/* RDP curves over an order grid: composition, scaling, jobs, storage. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "dp-internal.h"

static const double default_orders[] = {
	1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4,
	2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8,
	3.9, 4.0, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 5.0, 5.1, 5.2,
	5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9, 6.0, 6.1, 6.2, 6.3, 6.4, 6.5, 6.6,
	6.7, 6.8, 6.9, 7.0, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6, 7.7, 7.8, 7.9, 8.0,
	8.1, 8.2, 8.3, 8.4, 8.5, 8.6, 8.7, 8.8, 8.9, 9.0, 9.1, 9.2, 9.3, 9.4,
	9.5, 9.6, 9.7, 9.8, 9.9, 10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6,
	10.7, 10.8, 10.9, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0,
	20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0,
	31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0,
	42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0,
	53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0,
	128.0, 256.0, 512.0, 1024.0
};

#define BLOB_VERSION 1
#define BLOB_HEADER (1 + 4 + 8 + 8)

static void _printf_(3, 4)
set_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

const double *
dp_default_orders(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(default_orders);
	return default_orders;
}

int
dp_orders_check(const double *orders, size_t n, char *errbuf, size_t errlen)
{
	if (!orders || n == 0 || n > DP_ORDERS_MAX) {
		set_error(errbuf, errlen, "an order grid needs 1 to %d orders",
		    DP_ORDERS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(orders[i]) || !(orders[i] > 1.0) ||
		    orders[i] > DP_ORDER_LIMIT) {
			set_error(errbuf, errlen,
			    "order %g is not in (1, %g]", orders[i],
			    DP_ORDER_LIMIT);
			return -EINVAL;
		}
		if (i > 0 && !(orders[i] > orders[i - 1])) {
			set_error(errbuf, errlen,
			    "orders must be strictly increasing (%g after %g)",
			    orders[i], orders[i - 1]);
			return -EINVAL;
		}
	}
	return 0;
}

int
dp_orders_parse(const char *list, double **ret_orders, size_t *ret_n,
    char *errbuf, size_t errlen)
{
	_cleanup_free_ double *orders = NULL;
	const char *p = list;
	size_t n = 0;
	int r;

	if (!list || !*list) {
		set_error(errbuf, errlen, "empty order list");
		return -EINVAL;
	}
	orders = calloc(DP_ORDERS_MAX, sizeof(*orders));
	if (!orders)
		return -ENOMEM;
	for (;;) {
		char *end;
		double v;

		if (n == DP_ORDERS_MAX) {
			set_error(errbuf, errlen, "more than %d orders",
			    DP_ORDERS_MAX);
			return -EINVAL;
		}
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno != 0 || (*end != ',' && *end != '\0')) {
			set_error(errbuf, errlen,
			    "invalid order at '%.32s'", p);
			return -EINVAL;
		}
		orders[n++] = v;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	r = dp_orders_check(orders, n, errbuf, errlen);
	if (r < 0)
		return r;
	*ret_orders = TAKE_PTR(orders);
	*ret_n = n;
	return 0;
}

int
dp_curve_new(const double *orders, size_t n, struct dp_curve **ret)
{
	struct dp_curve *c;
	int r;

	if (!orders)
		orders = dp_default_orders(&n);
	r = dp_orders_check(orders, n, NULL, 0);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->orders = malloc(n * sizeof(double));
	c->rdp = calloc(n, sizeof(double));
	if (!c->orders || !c->rdp) {
		dp_curve_free(c);
		return -ENOMEM;
	}
	memcpy(c->orders, orders, n * sizeof(double));
	c->n = n;
	*ret = c;
	return 0;
}

void
dp_curve_free(struct dp_curve *c)
{
	if (!c)
		return;
	free(c->orders);
	free(c->rdp);
	free(c);
}

int
dp_curve_dup(const struct dp_curve *c, struct dp_curve **ret)
{
	struct dp_curve *d;
	int r;

	if (!c)
		return -EINVAL;
	r = dp_curve_new(c->orders, c->n, &d);
	if (r < 0)
		return r;
	memcpy(d->rdp, c->rdp, c->n * sizeof(double));
	d->eps_extra = c->eps_extra;
	d->delta_extra = c->delta_extra;
	*ret = d;
	return 0;
}

static bool
same_grid(const struct dp_curve *a, const struct dp_curve *b)
{
	return a && b && a->n == b->n &&
	    memcmp(a->orders, b->orders, a->n * sizeof(double)) == 0;
}

double
dp_add_up(double a, double b)
{
	double s = a + b, bb, err;

	if (!isfinite(s))
		return isnan(s) ? INFINITY : s;
	bb = s - a;
	err = (a - (s - bb)) + (b - bb);
	return err > 0 ? nextafter(s, INFINITY) : s;
}

double
dp_sub_up(double a, double b)
{
	return dp_add_up(a, -b);
}

double
dp_sub_down(double a, double b)
{
	double s = a - b, bb, err;

	if (!isfinite(s))
		return s;
	bb = s - a;
	err = (a - (s - bb)) + (-b - bb);
	return err < 0 ? nextafter(s, -INFINITY) : s;
}

double
dp_mul_up(double a, double b)
{
	double p = a * b;

	if (p == 0 || !isfinite(p))
		return isnan(p) ? INFINITY : p;
	return fma(a, b, -p) > 0 ? nextafter(p, INFINITY) : p;
}

int
dp_curve_add(struct dp_curve *acc, const struct dp_curve *other)
{
	if (!same_grid(acc, other))
		return -EINVAL;
	for (size_t i = 0; i < acc->n; i++)
		acc->rdp[i] = dp_add_up(acc->rdp[i], other->rdp[i]);
	acc->eps_extra = dp_add_up(acc->eps_extra, other->eps_extra);
	acc->delta_extra = dp_add_up(acc->delta_extra, other->delta_extra);
	return 0;
}

/* a - b for a refund: a >= b is required; inf - anything stays inf. */
static int
refund(double a, double b, double *ret)
{
	if (isinf(a)) {
		*ret = a;
		return 0;
	}
	if (!(b <= a))
		return -ERANGE;
	*ret = dp_sub_up(a, b);
	return 0;
}

int
dp_curve_sub(struct dp_curve *acc, const struct dp_curve *other)
{
	_cleanup_free_ double *v = NULL;
	double ex, dx;
	int r;

	if (!same_grid(acc, other))
		return -EINVAL;
	v = malloc(acc->n * sizeof(double));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < acc->n; i++) {
		r = refund(acc->rdp[i], other->rdp[i], &v[i]);
		if (r < 0)
			return r;
	}
	r = refund(acc->eps_extra, other->eps_extra, &ex);
	if (r < 0)
		return r;
	r = refund(acc->delta_extra, other->delta_extra, &dx);
	if (r < 0)
		return r;
	memcpy(acc->rdp, v, acc->n * sizeof(double));
	acc->eps_extra = ex;
	acc->delta_extra = dx;
	return 0;
}

static bool
count_ok(double count)
{
	return isfinite(count) && count >= 0 && count <= DP_STEPS_MAX &&
	    count == floor(count);
}

int
dp_curve_scale(struct dp_curve *c, double times)
{
	if (!c || !count_ok(times))
		return -EINVAL;
	for (size_t i = 0; i < c->n; i++)
		c->rdp[i] = times == 0 ? 0 : dp_mul_up(c->rdp[i], times);
	c->eps_extra = times == 0 ? 0 : dp_mul_up(c->eps_extra, times);
	c->delta_extra = times == 0 ? 0 : dp_mul_up(c->delta_extra, times);
	return 0;
}

static const char *const mechanism_names[_DP_MECHANISM_MAX] = {
	[DP_MECHANISM_SGD] = "dp-sgd",
	[DP_MECHANISM_GAUSSIAN] = "gaussian",
	[DP_MECHANISM_LAPLACE] = "laplace",
	[DP_MECHANISM_PURE] = "pure",
	[DP_MECHANISM_APPROX] = "epsilon-delta",
};

int
dp_mechanism_from_string(const char *s, enum dp_mechanism *ret)
{
	for (int m = 0; m < _DP_MECHANISM_MAX; m++)
		if (streq(s, mechanism_names[m])) {
			*ret = (enum dp_mechanism)m;
			return 0;
		}
	return -EINVAL;
}

const char *
dp_mechanism_to_string(enum dp_mechanism m)
{
	if ((int)m < 0 || m >= _DP_MECHANISM_MAX)
		return NULL;
	return mechanism_names[m];
}

const char *
dp_conversion_to_string(enum dp_conversion c)
{
	switch (c) {
	case DP_CONVERSION_IMPROVED:
		return "improved";
	case DP_CONVERSION_CLASSIC:
		return "classic";
	}
	return NULL;
}

int
dp_job_check(const struct dp_job *job, char *errbuf, size_t errlen)
{
	if (!job) {
		set_error(errbuf, errlen, "no job");
		return -EINVAL;
	}
	if (!count_ok(job->count)) {
		set_error(errbuf, errlen,
		    "count (steps) must be a whole number in [0, 2^53], "
		    "got %g", job->count);
		return -EINVAL;
	}
	switch (job->mechanism) {
	case DP_MECHANISM_SGD:
		if (!(job->sample_rate >= 0 && job->sample_rate <= 1)) {
			set_error(errbuf, errlen,
			    "sample rate must be in [0, 1], got %g",
			    job->sample_rate);
			return -EINVAL;
		}
		__attribute__((fallthrough));
	case DP_MECHANISM_GAUSSIAN:
		if (!(job->noise_multiplier > 0) ||
		    !isfinite(job->noise_multiplier)) {
			set_error(errbuf, errlen,
			    "noise multiplier must be positive and finite, "
			    "got %g", job->noise_multiplier);
			return -EINVAL;
		}
		return 0;
	case DP_MECHANISM_LAPLACE:
		if (!(job->scale > 0) || !isfinite(job->scale)) {
			set_error(errbuf, errlen,
			    "Laplace scale must be positive and finite, "
			    "got %g", job->scale);
			return -EINVAL;
		}
		return 0;
	case DP_MECHANISM_APPROX:
		if (!(job->delta >= 0 && job->delta < 1)) {
			set_error(errbuf, errlen,
			    "delta must be in [0, 1), got %g", job->delta);
			return -EINVAL;
		}
		__attribute__((fallthrough));
	case DP_MECHANISM_PURE:
		if (!(job->epsilon >= 0) || !isfinite(job->epsilon)) {
			set_error(errbuf, errlen,
			    "epsilon must be nonnegative and finite, got %g",
			    job->epsilon);
			return -EINVAL;
		}
		return 0;
	default:
		set_error(errbuf, errlen, "unknown mechanism %d",
		    (int)job->mechanism);
		return -EINVAL;
	}
}

int
dp_curve_charge(struct dp_curve *c, const struct dp_job *job)
{
	_cleanup_free_ double *v = NULL;
	int r;

	if (!c)
		return -EINVAL;
	r = dp_job_check(job, NULL, 0);
	if (r < 0)
		return r;
	if (job->mechanism == DP_MECHANISM_APPROX) {
		if (job->count > 0) {
			c->eps_extra = dp_add_up(c->eps_extra,
			    dp_mul_up(job->epsilon, job->count));
			c->delta_extra = dp_add_up(c->delta_extra,
			    dp_mul_up(job->delta, job->count));
		}
		return 0;
	}
	if (job->count == 0)
		return 0;
	v = malloc(c->n * sizeof(double));
	if (!v)
		return -ENOMEM;
	if (job->mechanism == DP_MECHANISM_SGD) {
		r = dp_rdp_sgd_orders(job->sample_rate, job->noise_multiplier,
		    c->orders, c->n, v);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->n; i++) {
		double a = c->orders[i];

		switch (job->mechanism) {
		case DP_MECHANISM_SGD:
			r = 0;
			break;
		case DP_MECHANISM_GAUSSIAN:
			r = dp_rdp_gaussian(job->noise_multiplier, a, &v[i]);
			break;
		case DP_MECHANISM_LAPLACE:
			r = dp_rdp_laplace(job->scale, a, &v[i]);
			break;
		case DP_MECHANISM_PURE:
			r = dp_rdp_pure(job->epsilon, a, &v[i]);
			break;
		default:
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->n; i++)
		c->rdp[i] = dp_add_up(c->rdp[i],
		    dp_mul_up(v[i], job->count));
	return 0;
}

static void
put_le64(uint8_t *p, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static double
get_le64(const uint8_t *p)
{
	uint64_t u = 0;
	double d;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	memcpy(&d, &u, sizeof(d));
	return d;
}

int
dp_curve_to_blob(const struct dp_curve *c, uint8_t **ret_blob,
    size_t *ret_len)
{
	uint8_t *b, *p;
	size_t len;

	if (!c || c->n == 0 || c->n > DP_ORDERS_MAX)
		return -EINVAL;
	len = BLOB_HEADER + 16 * c->n;
	b = malloc(len);
	if (!b)
		return -ENOMEM;
	b[0] = BLOB_VERSION;
	for (int i = 0; i < 4; i++)
		b[1 + i] = (uint8_t)(c->n >> (8 * i));
	put_le64(b + 5, c->eps_extra);
	put_le64(b + 13, c->delta_extra);
	p = b + BLOB_HEADER;
	for (size_t i = 0; i < c->n; i++, p += 8)
		put_le64(p, c->orders[i]);
	for (size_t i = 0; i < c->n; i++, p += 8)
		put_le64(p, c->rdp[i]);
	*ret_blob = b;
	*ret_len = len;
	return 0;
}

int
dp_curve_from_blob(const uint8_t *blob, size_t len, struct dp_curve **ret)
{
	_cleanup_free_ double *orders = NULL;
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	const uint8_t *p;
	uint32_t n = 0;
	double ex, dx;

	if (!blob || len < BLOB_HEADER || blob[0] != BLOB_VERSION)
		return -EBADMSG;
	for (int i = 0; i < 4; i++)
		n |= (uint32_t)blob[1 + i] << (8 * i);
	if (n == 0 || n > DP_ORDERS_MAX || len != BLOB_HEADER + 16 * (size_t)n)
		return -EBADMSG;
	ex = get_le64(blob + 5);
	dx = get_le64(blob + 13);
	if (!(ex >= 0) || !isfinite(ex) || !(dx >= 0) || !isfinite(dx))
		return -EBADMSG;
	orders = malloc(n * sizeof(double));
	if (!orders)
		return -ENOMEM;
	p = blob + BLOB_HEADER;
	for (size_t i = 0; i < n; i++, p += 8)
		orders[i] = get_le64(p);
	if (dp_orders_check(orders, n, NULL, 0) < 0)
		return -EBADMSG;
	if (dp_curve_new(orders, n, &c) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++, p += 8) {
		c->rdp[i] = get_le64(p);
		if (!(c->rdp[i] >= 0))
			return -EBADMSG;
	}
	c->eps_extra = ex;
	c->delta_extra = dx;
	*ret = TAKE_PTR(c);
	return 0;
}
