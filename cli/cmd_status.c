/* consentctl status: is the daemon up, and what is it running. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "consentctl.h"

int
cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_t *body = NULL;
	long status;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl [--json] status\n\n"
			       "Shows whether consentd is running, its version and uptime.\n"
			       "Exit status 0 when it answers, 3 when it cannot be reached.\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("status: unexpected argument '%s'",
		    argv[optind]);
	r = cli_request(ctx, "GET", "/v1/health", NULL, &status, &body);
	if (r < 0)
		return EXIT_UNAVAILABLE;
	if (status != 200) {
		r = cli_report_error(ctx, status, body);
		json_decref(body);
		return r;
	}
	if (ctx->json)
		cli_print_json(body);
	else
		printf("consentd %s: %s\n"
		       "  socket:   %s\n"
		       "  config:   %s\n"
		       "  started:  %s (up %llds)\n"
		       "  requests: %lld\n",
		    json_string_value(json_object_get(body, "version")),
		    json_string_value(json_object_get(body, "status")),
		    ctx->url ? ctx->url : ctx->socket_path,
		    json_string_value(json_object_get(body, "config")),
		    json_string_value(json_object_get(body, "started_at")),
		    (long long)json_integer_value(
			json_object_get(body, "uptime_seconds")),
		    (long long)json_integer_value(
			json_object_get(body, "requests")));
	json_decref(body);
	return EXIT_OK;
}
