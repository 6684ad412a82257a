/* Unit tests for the differential-privacy accountant (rules/dp). */
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "dp/dp.h"
#include "jobspec.h"

#define MNIST_Q (256.0 / 60000.0)
#define MNIST_T 14063.0

/* v is an upper bound of truth, within rel of it. */
static void
assert_upper(double v, double truth, double rel)
{
	if (!(v >= truth) || !(v - truth <= rel * fabs(truth)))
		fail_msg("%.17g is not an upper bound of %.17g within %g", v,
		    truth, rel);
}

static double
sgd_epsilon(double q, double sigma, double steps, double delta,
    enum dp_conversion conv, double *ret_order)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = sigma, .sample_rate = q, .count = steps };
	struct dp_eps e;

	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &job), 0);
	assert_int_equal(dp_curve_epsilon(c, delta, conv, &e), 0);
	if (ret_order)
		*ret_order = e.order;
	return e.epsilon;
}

/* Splits line at tabs into at most n fields. */
static size_t
split_tabs(char *line, char **fields, size_t n)
{
	size_t k = 0;

	while (k < n) {
		char *tab = strchr(line, '\t');

		fields[k++] = line;
		if (!tab)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return k;
}

static void
test_parity(void **state)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[4096];
	int rows = 0;

	f = fopen(TEST_DATA_DIR "/dp_parity.tsv", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
		_cleanup_free_ double *orders = NULL;
		char *fld[8], *nl, err[128];
		double delta, eps_py, order_py;
		size_t n = 0;
		struct dp_eps e;

		if (line[0] == '#')
			continue;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		assert_int_equal(split_tabs(line, fld, 8), 8);
		if (!streq(fld[1], "default"))
			assert_int_equal(dp_orders_parse(fld[1], &orders, &n,
			    err, sizeof(err)), 0);
		delta = strtod(fld[2], NULL);
		eps_py = strtod(fld[5], NULL);
		order_py = strtod(fld[6], NULL);
		assert_int_equal(dp_curve_new(orders, n, &c), 0);
		assert_int_equal(jobspec_charge_all(c, fld[4]), 0);
		assert_int_equal(dp_curve_epsilon(c, delta,
		    streq(fld[3], "classic") ? DP_CONVERSION_CLASSIC :
		    DP_CONVERSION_IMPROVED, &e), 0);
		if (!(e.epsilon >= eps_py) ||
		    !(e.epsilon - eps_py <= 1e-9 * eps_py))
			fail_msg("%s: C %.17g, reference %.17g", fld[0],
			    e.epsilon, eps_py);
		if (eps_py > 0 && e.order != order_py)
			fail_msg("%s: order %g, reference %g", fld[0], e.order,
			    order_py);
		rows++;
	}
	assert_true(rows >= 40);
}

static void
test_default_orders(void **state)
{
	size_t n;
	const double *o = dp_default_orders(&n);

	assert_int_equal(n, 155);
	assert_true(o[0] == 1.1);
	assert_true(o[98] == 10.9);
	assert_true(o[99] == 12.0);
	assert_true(o[150] == 63.0);
	assert_true(o[n - 1] == 1024.0);
	assert_int_equal(dp_orders_check(o, n, NULL, 0), 0);
}

static void
test_q0(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.0, .sample_rate = 0, .count = 1000 };
	struct dp_eps e;
	double v;

	assert_int_equal(dp_rdp_sgd(0, 1.0, 2.5, &v), 0);
	assert_true(v == 0);
	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &job), 0);
	for (size_t i = 0; i < c->n; i++)
		assert_true(c->rdp[i] == 0);
	/* Identical distributions: (0, delta) for any delta. */
	assert_int_equal(dp_curve_epsilon(c, 1e-5, DP_CONVERSION_IMPROVED,
	    &e), 0);
	assert_true(e.epsilon == 0);
	assert_false(e.order_at_edge);
	/* The classic conversion only has the delta term, smallest at the
	 * largest order. */
	assert_int_equal(dp_curve_epsilon(c, 1e-5, DP_CONVERSION_CLASSIC,
	    &e), 0);
	assert_upper(e.epsilon, -log(1e-5) / 1023.0, 1e-14);
	assert_true(e.order == 1024.0);
	assert_true(e.order_at_edge);
}

static void
test_q1_is_gaussian(void **state)
{
	const double orders[] = { 1.1, 2.0, 3.7, 64.0, 1024.0 };

	for (size_t i = 0; i < ELEMENTSOF(orders); i++) {
		double a, b;

		assert_int_equal(dp_rdp_sgd(1.0, 1.3, orders[i], &a), 0);
		assert_int_equal(dp_rdp_gaussian(1.3, orders[i], &b), 0);
		assert_true(a == b);
		assert_upper(b, orders[i] / (2 * 1.3 * 1.3), 1e-11);
	}
}

static void
test_steps_zero(void **state)
{
	assert_true(sgd_epsilon(0.01, 1.0, 0, 1e-5, DP_CONVERSION_IMPROVED,
	    NULL) == 0);
}

/* Values from 50-digit evaluations (mpmath: exact binomial sums for
 * integer orders, quadrature of the defining integral otherwise). */
static void
test_high_precision_values(void **state)
{
	double v;

	/* tiny q: A - 1 = q^2 expm1(1/s^2) at order 2 */
	assert_int_equal(dp_rdp_sgd(1e-8, 1.0, 2.0, &v), 0);
	assert_upper(v, 1.7182818284590451596e-16, 1e-11);
	assert_int_equal(dp_rdp_sgd(1e-8, 1.0, 3.0, &v), 0);
	assert_upper(v, 2.5774228123420244856e-16, 1e-11);
	assert_int_equal(dp_rdp_sgd(1e-8, 1.0, 2.5, &v), 0);
	assert_upper(v, 2.1478523145960792408e-16, 1e-10);
	/* a slowly converging fractional series (z0 = 1/2) */
	assert_int_equal(dp_rdp_sgd(0.5, 0.5, 1.1, &v), 0);
	assert_upper(v, 0.79263177957152034843, 1e-10);
	/* large sigma: the long negligible middle of the series is bounded
	 * and skipped */
	assert_int_equal(dp_rdp_sgd(0.01, 100.0, 1.5, &v), 0);
	assert_upper(v, 7.5003712620077179e-9, 1e-10);
	assert_int_equal(dp_rdp_sgd(1e-6, 30.0, 5.5, &v), 0);
	assert_upper(v, 3.057253727209892e-15, 1e-10);
	assert_int_equal(dp_rdp_sgd(1e-4, 50.0, 2.5, &v), 0);
	assert_upper(v, 5.0010002333800082e-12, 1e-10);
	/* many terms at a large integer order */
	assert_int_equal(dp_rdp_sgd(0.5, 5.0, 1024.0, &v), 0);
	assert_upper(v, 19.786175256213700885, 1e-11);
	assert_int_equal(dp_rdp_sgd(0.004, 1.1, 10000.0, &v), 0);
	assert_upper(v, 4126.7093918395028548, 1e-11);
	/* Laplace: exact formula, and the cancelling regime b >> 1 */
	assert_int_equal(dp_rdp_laplace(3.0, 7.5, &v), 0);
	assert_upper(v, 0.2385583202913646874, 1e-11);
	assert_int_equal(dp_rdp_laplace(1e6, 2.0, &v), 0);
	assert_upper(v, 9.9999966666641666692e-13, 1e-11);
	/* pure eps-DP: min(eps, a eps^2 / 2) */
	assert_int_equal(dp_rdp_pure(0.1, 4.0, &v), 0);
	assert_upper(v, 0.02, 1e-11);
	assert_int_equal(dp_rdp_pure(0.5, 100.0, &v), 0);
	assert_upper(v, 0.5, 1e-11);
}

static void
test_tiny_q_huge_t(void **state)
{
	double o1, o2;
	double e1 = sgd_epsilon(1e-8, 0.5, 1e7, 1e-10,
	    DP_CONVERSION_IMPROVED, &o1);
	double e2 = sgd_epsilon(1e-8, 0.5, 1e6, 1e-10,
	    DP_CONVERSION_IMPROVED, &o2);

	assert_true(isfinite(e1) && e1 > 0);
	assert_true(e2 < e1);
	/* monotone in q */
	assert_true(sgd_epsilon(2e-8, 0.5, 1e7, 1e-10,
	    DP_CONVERSION_IMPROVED, NULL) > e1);
}

static void
test_enormous(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = { .mechanism = DP_MECHANISM_GAUSSIAN,
		.noise_multiplier = 1e-160, .count = 1 };
	struct dp_eps e;
	double eps;

	eps = sgd_epsilon(1.0, 0.01, 1e6, 1e-5, DP_CONVERSION_IMPROVED, NULL);
	assert_true(isfinite(eps) && eps > 1e9);
	/* RDP overflows: no finite guarantee, and no order. */
	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &job), 0);
	assert_int_equal(dp_curve_epsilon(c, 1e-5, DP_CONVERSION_IMPROVED,
	    &e), 0);
	assert_true(isinf(e.epsilon));
	assert_true(isnan(e.order));
}

static void
test_composition_is_sum(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *both = NULL, *a = NULL,
	    *b = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = 0.01, .count = 500 };
	struct dp_job jb = { .mechanism = DP_MECHANISM_LAPLACE, .scale = 4,
		.count = 3 };
	struct dp_eps ea, eb, eab;

	assert_int_equal(dp_curve_new(NULL, 0, &both), 0);
	assert_int_equal(dp_curve_charge(both, &ja), 0);
	assert_int_equal(dp_curve_charge(both, &jb), 0);
	assert_int_equal(dp_curve_new(NULL, 0, &a), 0);
	assert_int_equal(dp_curve_charge(a, &ja), 0);
	assert_int_equal(dp_curve_new(NULL, 0, &b), 0);
	assert_int_equal(dp_curve_charge(b, &jb), 0);
	assert_int_equal(dp_curve_add(a, b), 0);
	for (size_t i = 0; i < a->n; i++)
		assert_true(a->rdp[i] == both->rdp[i]);
	assert_int_equal(dp_curve_epsilon(both, 1e-5, 0, &eab), 0);
	assert_int_equal(dp_curve_epsilon(b, 1e-5, 0, &eb), 0);
	dp_curve_free(a);
	a = NULL;
	assert_int_equal(dp_curve_new(NULL, 0, &a), 0);
	assert_int_equal(dp_curve_charge(a, &ja), 0);
	assert_int_equal(dp_curve_epsilon(a, 1e-5, 0, &ea), 0);
	assert_true(eab.epsilon > ea.epsilon && eab.epsilon > eb.epsilon);
	assert_true(eab.epsilon < ea.epsilon + eb.epsilon);
	/* T steps at once equals one step scaled by T. */
	ja.count = 1;
	dp_curve_free(b);
	b = NULL;
	assert_int_equal(dp_curve_new(NULL, 0, &b), 0);
	assert_int_equal(dp_curve_charge(b, &ja), 0);
	assert_int_equal(dp_curve_scale(b, 500), 0);
	for (size_t i = 0; i < a->n; i++)
		assert_true(a->rdp[i] == b->rdp[i]);
	assert_int_equal(dp_curve_scale(b, -1), -EINVAL);
	assert_int_equal(dp_curve_scale(b, 0.5), -EINVAL);
}

static void
test_refund(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *s = NULL, *j = NULL,
	    *before = NULL, *other = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 0.9, .sample_rate = 0.02, .count = 300 };
	struct dp_job jx = { .mechanism = DP_MECHANISM_APPROX,
		.epsilon = 0.25, .delta = 1e-7, .count = 1 };
	const double grid[] = { 2, 4, 8 };

	assert_int_equal(dp_curve_new(NULL, 0, &s), 0);
	assert_int_equal(dp_curve_charge(s, &ja), 0);
	assert_int_equal(dp_curve_dup(s, &before), 0);
	assert_int_equal(dp_curve_new(NULL, 0, &j), 0);
	ja.noise_multiplier = 1.7;
	assert_int_equal(dp_curve_charge(j, &ja), 0);
	assert_int_equal(dp_curve_charge(j, &jx), 0);
	assert_int_equal(dp_curve_add(s, j), 0);
	assert_true(s->eps_extra == 0.25);
	assert_int_equal(dp_curve_sub(s, j), 0);
	for (size_t i = 0; i < s->n; i++)
		assert_upper(s->rdp[i], before->rdp[i], 1e-12);
	assert_true(s->eps_extra == 0 && s->delta_extra == 0);
	/* Refunding what was never charged fails and changes nothing. */
	assert_int_equal(dp_curve_sub(s, j), -ERANGE);
	for (size_t i = 0; i < s->n; i++)
		assert_upper(s->rdp[i], before->rdp[i], 1e-12);
	assert_int_equal(dp_curve_new(grid, 3, &other), 0);
	assert_int_equal(dp_curve_add(s, other), -EINVAL);
	assert_int_equal(dp_curve_sub(s, other), -EINVAL);
}

static void
test_approx_extras(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = MNIST_Q,
		.count = MNIST_T };
	struct dp_job jx = { .mechanism = DP_MECHANISM_APPROX,
		.epsilon = 0.5, .delta = 1e-6, .count = 1 };
	struct dp_eps plain, with;

	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &ja), 0);
	assert_int_equal(dp_curve_epsilon(c, 9e-6, 0, &plain), 0);
	assert_int_equal(dp_curve_charge(c, &jx), 0);
	assert_int_equal(dp_curve_epsilon(c, 1e-5, 0, &with), 0);
	/* delta_extra is spent first, eps_extra added */
	assert_upper(with.epsilon, plain.epsilon + 0.5, 1e-14);
	assert_int_equal(dp_curve_epsilon(c, 1e-6, 0, &with), 0);
	assert_true(isinf(with.epsilon));
	jx.delta = 1.0;
	assert_int_equal(dp_curve_charge(c, &jx), -EINVAL);
}

static void
test_delta_inverse(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = MNIST_Q,
		.count = MNIST_T };
	struct dp_eps e;
	double d, o;

	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &ja), 0);
	for (int conv = 0; conv < 2; conv++) {
		assert_int_equal(dp_curve_epsilon(c, 1e-5, conv, &e), 0);
		assert_int_equal(dp_curve_delta(c, e.epsilon, conv, &d, &o),
		    0);
		assert_true(d <= 1e-5 * (1 + 1e-9));
		assert_true(d > 1e-5 * (1 - 1e-3));
		assert_true(o == e.order);
		assert_int_equal(dp_curve_delta(c, 0.9 * e.epsilon, conv, &d,
		    NULL), 0);
		assert_true(d > 1e-5);
	}
	assert_int_equal(dp_curve_delta(c, -1, 0, &d, NULL), -EINVAL);
	assert_int_equal(dp_curve_delta(c, NAN, 0, &d, NULL), -EINVAL);
}

static void
test_noise_search(void **state)
{
	double sigma, e1, e0;

	assert_int_equal(dp_sgd_noise(3.0, MNIST_Q, MNIST_T, 1e-5, NULL, 0,
	    DP_CONVERSION_IMPROVED, &sigma), 0);
	e1 = sgd_epsilon(MNIST_Q, sigma, MNIST_T, 1e-5,
	    DP_CONVERSION_IMPROVED, NULL);
	e0 = sgd_epsilon(MNIST_Q, sigma - 0.01, MNIST_T, 1e-5,
	    DP_CONVERSION_IMPROVED, NULL);
	assert_true(e1 <= 3.0);
	assert_true(e0 > 3.0);
	assert_true(sigma > 0.9 && sigma < 1.1);
	assert_int_equal(dp_sgd_noise(8.0, 0.01, 1000, 1e-6, NULL, 0,
	    DP_CONVERSION_CLASSIC, &sigma), 0);
	assert_true(sgd_epsilon(0.01, sigma, 1000, 1e-6, DP_CONVERSION_CLASSIC,
	    NULL) <= 8.0);
	assert_true(sgd_epsilon(0.01, sigma - 0.01, 1000, 1e-6,
	    DP_CONVERSION_CLASSIC, NULL) > 8.0);
	assert_int_equal(dp_sgd_noise(0, 0.01, 1000, 1e-6, NULL, 0, 0,
	    &sigma), -EINVAL);
	assert_int_equal(dp_sgd_noise(1, 1.5, 1000, 1e-6, NULL, 0, 0,
	    &sigma), -EINVAL);
	assert_int_equal(dp_sgd_noise(1, 0.01, 1000, 0, NULL, 0, 0, &sigma),
	    -EINVAL);
}

static void
test_invalid(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_eps e;
	char err[128] = "";
	double v;
	const struct dp_job bad[] = {
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 0,
		    .sample_rate = 0.1, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = -1,
		    .sample_rate = 0.1, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = NAN,
		    .sample_rate = 0.1, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = INFINITY,
		    .sample_rate = 0.1, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = -0.1, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = 1.5, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = NAN, .count = 1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = 0.1, .count = -1 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = 0.1, .count = 2.5 },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = 0.1, .count = NAN },
		{ .mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1,
		    .sample_rate = 0.1, .count = INFINITY },
		{ .mechanism = DP_MECHANISM_LAPLACE, .scale = 0, .count = 1 },
		{ .mechanism = DP_MECHANISM_PURE, .epsilon = -1, .count = 1 },
		{ .mechanism = DP_MECHANISM_APPROX, .epsilon = 1,
		    .delta = -0.1, .count = 1 },
		{ .mechanism = (enum dp_mechanism)42, .count = 1 },
	};
	const double dec[] = { 2, 2 }, low[] = { 1.0, 2 };
	_cleanup_free_ double *o = NULL;
	size_t n;

	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		err[0] = '\0';
		assert_int_equal(dp_job_check(&bad[i], err, sizeof(err)),
		    -EINVAL);
		assert_true(strlen(err) > 0);
		assert_int_equal(dp_curve_charge(c, &bad[i]), -EINVAL);
	}
	for (size_t i = 0; i < c->n; i++)
		assert_true(c->rdp[i] == 0);
	assert_int_equal(dp_rdp_sgd(0.1, 1, 1.0, &v), -EINVAL);
	assert_int_equal(dp_rdp_sgd(0.1, 1, NAN, &v), -EINVAL);
	assert_int_equal(dp_rdp_sgd(0.1, 1, 20000, &v), -EINVAL);
	assert_int_equal(dp_rdp_laplace(-1, 2, &v), -EINVAL);
	assert_int_equal(dp_rdp_pure(NAN, 2, &v), -EINVAL);
	assert_int_equal(dp_curve_epsilon(c, 0, 0, &e), -EINVAL);
	assert_int_equal(dp_curve_epsilon(c, 1, 0, &e), -EINVAL);
	assert_int_equal(dp_curve_epsilon(c, NAN, 0, &e), -EINVAL);
	assert_int_equal(dp_curve_epsilon(c, 1e-5, 7, &e), -EINVAL);
	assert_int_equal(dp_orders_check(dec, 2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "increasing"));
	assert_int_equal(dp_orders_check(low, 2, err, sizeof(err)), -EINVAL);
	assert_int_equal(dp_curve_new(low, 2, &c), -EINVAL);
	assert_int_equal(dp_orders_parse("2,3,x", &o, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dp_orders_parse("", &o, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dp_orders_parse("2,,3", &o, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dp_orders_parse("3,2", &o, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dp_orders_parse("2,1e9", &o, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dp_orders_parse("1.5,2,32", &o, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_true(o[2] == 32.0);
}

static void
test_blob(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL, *d = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = 0.01, .count = 1000 };
	struct dp_job jx = { .mechanism = DP_MECHANISM_APPROX,
		.epsilon = 0.1, .delta = 1e-8, .count = 2 };
	uint8_t *bad;
	size_t len;
	double nan = NAN, neg = -1.0;

	assert_int_equal(dp_curve_new(NULL, 0, &c), 0);
	assert_int_equal(dp_curve_charge(c, &ja), 0);
	assert_int_equal(dp_curve_charge(c, &jx), 0);
	assert_int_equal(dp_curve_to_blob(c, &blob, &len), 0);
	assert_int_equal(len, 21 + 16 * c->n);
	assert_int_equal(blob[0], 1);
	assert_int_equal(blob[1], 155);
	assert_int_equal(blob[2], 0);
	assert_int_equal(dp_curve_from_blob(blob, len, &d), 0);
	assert_int_equal(d->n, c->n);
	assert_memory_equal(d->orders, c->orders, c->n * sizeof(double));
	assert_memory_equal(d->rdp, c->rdp, c->n * sizeof(double));
	assert_true(d->eps_extra == c->eps_extra);
	assert_true(d->delta_extra == c->delta_extra);
	dp_curve_free(d);
	d = NULL;

	bad = malloc(len + 1);
	assert_non_null(bad);
	memcpy(bad, blob, len);
	assert_int_equal(dp_curve_from_blob(bad, len - 1, &d), -EBADMSG);
	assert_int_equal(dp_curve_from_blob(bad, len + 1, &d), -EBADMSG);
	assert_int_equal(dp_curve_from_blob(bad, 3, &d), -EBADMSG);
	assert_int_equal(dp_curve_from_blob(NULL, 0, &d), -EBADMSG);
	bad[0] = 2;
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	bad[0] = 1;
	bad[1] = 154;
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	bad[1] = 155;
	memcpy(bad + 21 + 8 * 3, &bad[21], 8); /* orders not increasing */
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	memcpy(bad, blob, len);
	memcpy(bad + 21 + 8 * c->n + 8, &nan, 8);
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	memcpy(bad + 21 + 8 * c->n + 8, &neg, 8);
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	memcpy(bad, blob, len);
	memcpy(bad + 5, &neg, 8);
	assert_int_equal(dp_curve_from_blob(bad, len, &d), -EBADMSG);
	assert_null(d);
	free(bad);
}

static void
test_budget(void **state)
{
	_cleanup_(dp_curve_freep) struct dp_curve *s = NULL, *j = NULL;
	struct dp_job ja = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = MNIST_Q,
		.count = MNIST_T };
	struct dp_budget_status st;
	struct dp_eps e;

	assert_int_equal(dp_curve_new(NULL, 0, &s), 0);
	assert_int_equal(dp_curve_new(NULL, 0, &j), 0);
	assert_int_equal(dp_curve_charge(j, &ja), 0);
	assert_int_equal(dp_curve_epsilon(j, 1e-5, 0, &e), 0);
	/* empty budget: nothing spent, the job fits in 8 */
	assert_int_equal(dp_budget_check(s, j, 8, 1e-5, &st), 0);
	assert_true(st.spent == 0 && st.remaining == 8);
	assert_true(st.after == e.epsilon);
	assert_false(st.overspend);
	assert_int_equal(dp_curve_add(s, j), 0);
	assert_int_equal(dp_curve_add(s, j), 0);
	assert_int_equal(dp_budget_check(s, j, 8, 1e-5, &st), 0);
	assert_true(st.spent > e.epsilon && st.spent < 2 * e.epsilon);
	assert_true(st.remaining <= 8 - st.spent);
	assert_true(st.remaining > 8 - st.spent - 1e-12);
	assert_true(st.after > st.spent);
	/* a budget just below what the job needs */
	assert_int_equal(dp_budget_check(s, j, st.after * (1 - 1e-12), 1e-5,
	    &st), 0);
	assert_true(st.overspend);
	assert_int_equal(dp_budget_check(s, NULL, 1, 1e-5, &st), 0);
	assert_true(st.remaining == 0 && st.overspend);
	assert_int_equal(dp_budget_check(s, NULL, 1, 0, &st), -EINVAL);
	assert_int_equal(dp_budget_check(s, NULL, NAN, 1e-5, &st), -EINVAL);
}

static void
test_names(void **state)
{
	enum dp_mechanism m;

	assert_int_equal(dp_mechanism_from_string("dp-sgd", &m), 0);
	assert_int_equal(m, DP_MECHANISM_SGD);
	assert_int_equal(dp_mechanism_from_string("epsilon-delta", &m), 0);
	assert_int_equal(m, DP_MECHANISM_APPROX);
	assert_int_equal(dp_mechanism_from_string("gauss", &m), -EINVAL);
	assert_int_equal(dp_mechanism_from_string(NULL, &m), -EINVAL);
	assert_string_equal(dp_mechanism_to_string(DP_MECHANISM_LAPLACE),
	    "laplace");
	assert_null(dp_mechanism_to_string(_DP_MECHANISM_MAX));
	assert_string_equal(dp_conversion_to_string(DP_CONVERSION_CLASSIC),
	    "classic");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parity),
		cmocka_unit_test(test_default_orders),
		cmocka_unit_test(test_q0),
		cmocka_unit_test(test_q1_is_gaussian),
		cmocka_unit_test(test_steps_zero),
		cmocka_unit_test(test_high_precision_values),
		cmocka_unit_test(test_tiny_q_huge_t),
		cmocka_unit_test(test_enormous),
		cmocka_unit_test(test_composition_is_sum),
		cmocka_unit_test(test_refund),
		cmocka_unit_test(test_approx_extras),
		cmocka_unit_test(test_delta_inverse),
		cmocka_unit_test(test_noise_search),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
