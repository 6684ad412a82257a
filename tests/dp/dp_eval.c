/* Prints epsilon and the optimal order for jobs given on the command line:
 * dp_eval [-o ORDERS] [-d DELTA] [-c] JOB...  (-c: classic conversion). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "dp/dp.h"
#include "jobspec.h"

int
main(int argc, char **argv)
{
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	_cleanup_free_ double *orders = NULL;
	enum dp_conversion conv = DP_CONVERSION_IMPROVED;
	double delta = 1e-5;
	size_t n = 0;
	struct dp_eps e;
	char err[256];
	int opt;

	while ((opt = getopt(argc, argv, "o:d:c")) != -1) {
		switch (opt) {
		case 'o':
			if (dp_orders_parse(optarg, &orders, &n, err,
			    sizeof(err)) < 0) {
				fprintf(stderr, "dp_eval: %s\n", err);
				return 2;
			}
			break;
		case 'd':
			delta = strtod(optarg, NULL);
			break;
		case 'c':
			conv = DP_CONVERSION_CLASSIC;
			break;
		default:
			return 2;
		}
	}
	if (dp_curve_new(orders, n, &c) < 0)
		return 1;
	for (int i = optind; i < argc; i++)
		if (jobspec_charge_all(c, argv[i]) < 0) {
			fprintf(stderr, "dp_eval: bad job '%s'\n", argv[i]);
			return 2;
		}
	if (dp_curve_epsilon(c, delta, conv, &e) < 0)
		return 1;
	printf("%.17g\t%.17g\n", e.epsilon, e.order);
	return 0;
}
