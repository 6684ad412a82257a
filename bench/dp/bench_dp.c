/* Times the DP accountant: epsilon of one DP-SGD job from scratch, and a
 * budget check against a stored curve holding 1000 jobs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp/dp.h"
#include "../bench.h"

#define PRIOR_JOBS 1000

/* The k-th of the heterogeneous prior jobs. */
static struct dp_job
prior_job(int k)
{
	switch (k % 4) {
	case 0:
	case 1:
		return (struct dp_job){ .mechanism = DP_MECHANISM_SGD,
			.sample_rate = 0.001 * (1 + k % 7),
			.noise_multiplier = 0.8 + 0.1 * (k % 11),
			.count = 100 + 37 * k };
	case 2:
		return (struct dp_job){ .mechanism = DP_MECHANISM_GAUSSIAN,
			.noise_multiplier = 20.0 + k % 13, .count = 1 + k % 5 };
	default:
		return (struct dp_job){ .mechanism = DP_MECHANISM_LAPLACE,
			.scale = 50.0 + k % 17, .count = 1 };
	}
}

int
main(int argc, char **argv)
{
	struct dp_job job = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1.1, .sample_rate = 256.0 / 60000.0,
		.count = 14063 };
	struct dp_curve *stored = NULL, *jc = NULL;
	struct dp_budget_status st;
	struct dp_eps e;
	double *t, t_one, t_check, t_add, t0;
	uint8_t *blob;
	size_t blen;
	long reps = argc > 1 ? strtol(argv[1], NULL, 10) : 2001;

	if (reps < 1 || reps > 1000000)
		reps = 2001;
	t = calloc((size_t)reps, sizeof(*t));
	if (!t || dp_curve_new(NULL, 0, &stored) < 0)
		return 1;
	for (int k = 0; k < PRIOR_JOBS; k++) {
		struct dp_job pj = prior_job(k);

		if (dp_curve_charge(stored, &pj) < 0)
			return 1;
	}
	if (dp_curve_to_blob(stored, &blob, &blen) < 0)
		return 1;
	dp_curve_free(stored);

	/* (a) one job from scratch: curve + conversion */
	for (long r = 0; r < reps; r++) {
		struct dp_curve *c;

		t0 = bench_mono();
		if (dp_curve_new(NULL, 0, &c) < 0 ||
		    dp_curve_charge(c, &job) < 0 ||
		    dp_curve_epsilon(c, 1e-5, DP_CONVERSION_IMPROVED, &e) < 0)
			return 1;
		dp_curve_free(c);
		t[r] = bench_mono() - t0;
	}
	t_one = bench_median(t, (size_t)reps);

	/* (b) a check against the stored 1000-job budget: load the stored
	 * curve, compute the new job's curve, add, convert */
	for (long r = 0; r < reps; r++) {
		t0 = bench_mono();
		if (dp_curve_from_blob(blob, blen, &stored) < 0 ||
		    dp_curve_new(NULL, 0, &jc) < 0 ||
		    dp_curve_charge(jc, &job) < 0 ||
		    dp_budget_check(stored, jc, 8.0, 1e-5, &st) < 0)
			return 1;
		dp_curve_free(jc);
		dp_curve_free(stored);
		t[r] = bench_mono() - t0;
	}
	t_check = bench_median(t, (size_t)reps);

	/* (c) the same check when the job's curve is already known */
	if (dp_curve_new(NULL, 0, &jc) < 0 || dp_curve_charge(jc, &job) < 0)
		return 1;
	for (long r = 0; r < reps; r++) {
		t0 = bench_mono();
		if (dp_curve_from_blob(blob, blen, &stored) < 0 ||
		    dp_budget_check(stored, jc, 8.0, 1e-5, &st) < 0)
			return 1;
		dp_curve_free(stored);
		t[r] = bench_mono() - t0;
	}
	t_add = bench_median(t, (size_t)reps);
	dp_curve_free(jc);

	printf("c_one_job_s\t%.9f\n", t_one);
	printf("c_check_1000_s\t%.9f\n", t_check);
	printf("c_check_1000_known_job_s\t%.9f\n", t_add);
	printf("epsilon_one_job\t%.17g\n", e.epsilon);
	printf("budget_spent\t%.17g\tafter\t%.17g\toverspend\t%d\n", st.spent,
	    st.after, st.overspend);
	free(blob);
	free(t);
	return 0;
}
