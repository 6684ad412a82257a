/* consentctl dp: offline privacy accounting (epsilon of a job, noise for a
 * target epsilon). */
#include "config.h"

#include <errno.h>
#include <fenv.h>
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "consentctl.h"
#include "json.h"
#include "dp/dp.h"

static const char dp_usage[] =
	"Usage: consentctl [--json] dp COMMAND [OPTIONS]\n"
	"\n"
	"Offline differential-privacy accounting (Renyi DP, see docs/dp.md).\n"
	"\n"
	"Commands:\n"
	"  epsilon   epsilon spent by a job at a target delta\n"
	"  noise     smallest DP-SGD noise multiplier for a target epsilon\n"
	"\n"
	"Run 'consentctl dp COMMAND --help' for the options of a command.\n";

static const char epsilon_usage[] =
	"Usage: consentctl [--json] dp epsilon [OPTIONS]\n"
	"\n"
	"Prints the epsilon (rounded up) of a job at a target delta.\n"
	"\n"
	"  --mechanism M           dp-sgd (default), gaussian or laplace\n"
	"  --noise-multiplier S    sigma (dp-sgd, gaussian), > 0\n"
	"  --sample-rate Q         Poisson sampling rate in [0, 1] (dp-sgd)\n"
	"  --steps T               number of steps (dp-sgd), a whole number\n"
	"  --scale B               Laplace scale relative to sensitivity 1\n"
	"  --count N               releases (gaussian, laplace); default 1\n"
	"  --delta D               target delta in (0, 1)\n"
	"  --orders LIST           comma-separated Renyi orders (default:\n"
	"                          1.1..10.9, 12..63, 128, 256, 512, 1024)\n"
	"  --conversion C          improved (default) or classic\n"
	"  -h, --help              show this help\n";

static const char noise_usage[] =
	"Usage: consentctl [--json] dp noise [OPTIONS]\n"
	"\n"
	"Prints the smallest DP-SGD noise multiplier (to 0.01) whose epsilon\n"
	"does not exceed the target.\n"
	"\n"
	"  --target-epsilon E      target epsilon, > 0\n"
	"  --sample-rate Q         Poisson sampling rate in [0, 1]\n"
	"  --steps T               number of steps, a whole number\n"
	"  --delta D               target delta in (0, 1)\n"
	"  --orders LIST           comma-separated Renyi orders\n"
	"  --conversion C          improved (default) or classic\n"
	"  -h, --help              show this help\n";

enum {
	OPT_MECHANISM = 0x100,
	OPT_NOISE,
	OPT_RATE,
	OPT_STEPS,
	OPT_SCALE,
	OPT_COUNT,
	OPT_DELTA,
	OPT_ORDERS,
	OPT_CONVERSION,
	OPT_TARGET,
};

static const struct option dp_options[] = {
	{ "mechanism", required_argument, NULL, OPT_MECHANISM },
	{ "noise-multiplier", required_argument, NULL, OPT_NOISE },
	{ "sample-rate", required_argument, NULL, OPT_RATE },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "delta", required_argument, NULL, OPT_DELTA },
	{ "orders", required_argument, NULL, OPT_ORDERS },
	{ "conversion", required_argument, NULL, OPT_CONVERSION },
	{ "target-epsilon", required_argument, NULL, OPT_TARGET },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* Options of both subcommands; NAN means "not given". */
struct dp_args {
	const char *mechanism;
	double sigma, q, steps, scale, count, delta, target;
	double *orders; /* owned */
	size_t n_orders;
	enum dp_conversion conversion;
};

static void
dp_args_done(struct dp_args *a)
{
	free(a->orders);
}

/* Parses options; returns EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int
dp_parse(int argc, char **argv, const char *usage, struct dp_args *a)
{
	char err[256];
	int opt, r = 0;

	*a = (struct dp_args){ .sigma = NAN, .q = NAN, .steps = NAN,
		.scale = NAN, .count = NAN, .delta = NAN, .target = NAN };
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", dp_options, NULL)) !=
	    -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return -1;
		case OPT_MECHANISM:
			a->mechanism = optarg;
			break;
		case OPT_NOISE:
			r = cli_parse_double(optarg, "--noise-multiplier",
			    &a->sigma);
			break;
		case OPT_RATE:
			r = cli_parse_double(optarg, "--sample-rate", &a->q);
			break;
		case OPT_STEPS:
			r = cli_parse_double(optarg, "--steps", &a->steps);
			break;
		case OPT_SCALE:
			r = cli_parse_double(optarg, "--scale", &a->scale);
			break;
		case OPT_COUNT:
			r = cli_parse_double(optarg, "--count", &a->count);
			break;
		case OPT_DELTA:
			r = cli_parse_double(optarg, "--delta", &a->delta);
			break;
		case OPT_TARGET:
			r = cli_parse_double(optarg, "--target-epsilon",
			    &a->target);
			break;
		case OPT_ORDERS:
			free(a->orders);
			a->orders = NULL;
			if (dp_orders_parse(optarg, &a->orders, &a->n_orders,
			    err, sizeof(err)) < 0)
				return cli_usage_error("--orders: %s", err);
			break;
		case OPT_CONVERSION:
			if (streq(optarg, "improved"))
				a->conversion = DP_CONVERSION_IMPROVED;
			else if (streq(optarg, "classic"))
				a->conversion = DP_CONVERSION_CLASSIC;
			else
				return cli_usage_error("--conversion: "
				    "expected 'improved' or 'classic', "
				    "got '%s'", optarg);
			break;
		default:
			if (optopt)
				return cli_usage_error("dp %s: option needs an "
				    "argument or is unknown (see --help)",
				    argv[0]);
			return cli_usage_error("dp %s: unknown option '%s' "
			    "(see --help)", argv[0], argv[optind - 1]);
		}
		if (r < 0)
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("dp %s: unexpected argument '%s'",
		    argv[0], argv[optind]);
	if (isnan(a->delta))
		return cli_usage_error("dp %s: --delta is required", argv[0]);
	if (!(a->delta > 0 && a->delta < 1))
		return cli_usage_error("--delta must be in (0, 1), got %g",
		    a->delta);
	return EXIT_OK;
}

/* Formats v with 6 significant digits, rounded towards +inf so that a
 * printed epsilon is never below the computed bound. */
static void
format_up(char *buf, size_t len, double v)
{
	int mode = fegetround();

	fesetround(FE_UPWARD);
	snprintf(buf, len, "%.6g", v);
	fesetround(mode);
}

static int
print_result(struct cli_ctx *ctx, const struct dp_eps *e, double sigma)
{
	char eps[64], order[64];

	if (ctx->json) {
		_cleanup_json_ json_t *o = json_object();

		if (!o)
			return EXIT_UNAVAILABLE;
		if (!isnan(sigma))
			json_object_set_new(o, "noise_multiplier",
			    json_real(sigma));
		json_object_set_new(o, "epsilon", isinf(e->epsilon) ?
		    json_null() : json_real(e->epsilon));
		json_object_set_new(o, "delta", json_real(e->delta));
		json_object_set_new(o, "order", isnan(e->order) ?
		    json_null() : json_real(e->order));
		json_object_set_new(o, "order_at_edge",
		    json_boolean(e->order_at_edge));
		json_object_set_new(o, "conversion", json_string(
		    dp_conversion_to_string(e->conversion)));
		cli_print_json(o);
		return EXIT_OK;
	}
	if (!isnan(sigma))
		printf("noise multiplier: %.2f\n", sigma);
	if (isinf(e->epsilon))
		snprintf(eps, sizeof(eps), "inf (no finite guarantee)");
	else
		format_up(eps, sizeof(eps), e->epsilon);
	printf("epsilon: %s\n", eps);
	printf("delta: %g\n", e->delta);
	if (isnan(e->order))
		snprintf(order, sizeof(order), "none");
	else
		snprintf(order, sizeof(order), "%g", e->order);
	printf("order: %s\n", order);
	printf("conversion: %s\n", dp_conversion_to_string(e->conversion));
	if (e->order_at_edge)
		printf("note: the optimum is at the edge of the order grid; "
		    "a wider grid may give a smaller epsilon\n");
	return EXIT_OK;
}

static int
dp_epsilon(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(dp_args_done) struct dp_args a = {};
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = {};
	struct dp_eps e;
	char err[256];
	int r;

	r = dp_parse(argc, argv, epsilon_usage, &a);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (!isnan(a.target))
		return cli_usage_error("dp epsilon: --target-epsilon belongs "
		    "to 'dp noise'");
	if (!a.mechanism || streq(a.mechanism, "dp-sgd")) {
		if (isnan(a.sigma) || isnan(a.q) || isnan(a.steps))
			return cli_usage_error("dp epsilon: "
			    "--noise-multiplier, --sample-rate and --steps "
			    "are required");
		job = (struct dp_job){ .mechanism = DP_MECHANISM_SGD,
			.noise_multiplier = a.sigma, .sample_rate = a.q,
			.count = a.steps };
	} else if (streq(a.mechanism, "gaussian")) {
		if (isnan(a.sigma))
			return cli_usage_error("dp epsilon: --noise-multiplier "
			    "is required");
		job = (struct dp_job){ .mechanism = DP_MECHANISM_GAUSSIAN,
			.noise_multiplier = a.sigma,
			.count = isnan(a.count) ? 1 : a.count };
	} else if (streq(a.mechanism, "laplace")) {
		if (isnan(a.scale))
			return cli_usage_error("dp epsilon: --scale is "
			    "required");
		job = (struct dp_job){ .mechanism = DP_MECHANISM_LAPLACE,
			.scale = a.scale,
			.count = isnan(a.count) ? 1 : a.count };
	} else
		return cli_usage_error("--mechanism: expected dp-sgd, gaussian "
		    "or laplace, got '%s'", a.mechanism);
	if (dp_job_check(&job, err, sizeof(err)) < 0)
		return cli_usage_error("dp epsilon: %s", err);
	r = dp_curve_new(a.orders, a.n_orders, &c);
	if (r >= 0)
		r = dp_curve_charge(c, &job);
	if (r >= 0)
		r = dp_curve_epsilon(c, a.delta, a.conversion, &e);
	if (r < 0) {
		fprintf(stderr, "consentctl: dp epsilon failed: %s\n",
		    strerror(-r));
		return EXIT_UNAVAILABLE;
	}
	return print_result(ctx, &e, NAN);
}

static int
dp_noise(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(dp_args_done) struct dp_args a = {};
	_cleanup_(dp_curve_freep) struct dp_curve *c = NULL;
	struct dp_job job = { .mechanism = DP_MECHANISM_SGD,
		.noise_multiplier = 1 };
	struct dp_eps e;
	double sigma;
	char err[256];
	int r;

	r = dp_parse(argc, argv, noise_usage, &a);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (a.mechanism || !isnan(a.sigma) || !isnan(a.scale) ||
	    !isnan(a.count))
		return cli_usage_error("dp noise: only --target-epsilon, "
		    "--sample-rate, --steps, --delta, --orders and "
		    "--conversion apply");
	if (isnan(a.target) || isnan(a.q) || isnan(a.steps))
		return cli_usage_error("dp noise: --target-epsilon, "
		    "--sample-rate and --steps are required");
	if (!(a.target > 0))
		return cli_usage_error("--target-epsilon must be positive, "
		    "got %g", a.target);
	job.sample_rate = a.q;
	job.count = a.steps;
	if (dp_job_check(&job, err, sizeof(err)) < 0)
		return cli_usage_error("dp noise: %s", err);
	r = dp_sgd_noise(a.target, a.q, a.steps, a.delta, a.orders,
	    a.n_orders, a.conversion, &sigma);
	if (r == -ERANGE) {
		fprintf(stderr, "consentctl: no noise multiplier up to 2^20 "
		    "meets epsilon %g\n", a.target);
		return EXIT_NEGATIVE;
	}
	job.noise_multiplier = sigma;
	if (r >= 0)
		r = dp_curve_new(a.orders, a.n_orders, &c);
	if (r >= 0)
		r = dp_curve_charge(c, &job);
	if (r >= 0)
		r = dp_curve_epsilon(c, a.delta, a.conversion, &e);
	if (r < 0) {
		fprintf(stderr, "consentctl: dp noise failed: %s\n",
		    strerror(-r));
		return EXIT_UNAVAILABLE;
	}
	return print_result(ctx, &e, sigma);
}

int
cmd_dp(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("dp: a command is required "
		    "(epsilon, noise; see 'consentctl dp --help')");
	if (streq(argv[1], "-h") || streq(argv[1], "--help") ||
	    streq(argv[1], "help")) {
		fputs(dp_usage, stdout);
		return EXIT_OK;
	}
	if (streq(argv[1], "epsilon"))
		return dp_epsilon(ctx, argc - 1, argv + 1);
	if (streq(argv[1], "noise"))
		return dp_noise(ctx, argc - 1, argv + 1);
	return cli_usage_error("dp: unknown command '%s' (epsilon, noise)",
	    argv[1]);
}
