/* consentctl output helpers and argument parsing shared by commands. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "consentctl.h"
#include "json.h"

void
cli_print_json(const json_t *v)
{
	char *s = json_dumps_checked(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("consentctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int
cli_parse_double(const char *s, const char *what, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -cli_usage_error("%s: expected a number", what);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -cli_usage_error("%s: '%s' is not a finite number", what, s);
	*ret = v;
	return 0;
}

int
cli_parse_uint64(const char *s, const char *what, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -cli_usage_error("%s: expected a non-negative integer", what);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -cli_usage_error("%s: '%s' is not a non-negative integer",
		    what, s);
	*ret = v;
	return 0;
}

int
cli_report_error(struct cli_ctx *ctx, long status, const json_t *body)
{
	const char *code = NULL, *message = NULL;
	const struct err_info *info;
	json_t *e = body ? json_object_get(body, "error") : NULL;

	if (e) {
		code = json_string_value(json_object_get(e, "code"));
		message = json_string_value(json_object_get(e, "message"));
	}
	if (ctx->json && body)
		cli_print_json(body);
	fprintf(stderr, "consentctl: %s%s%s (HTTP %ld)\n",
	    message ? message : "request failed", code ? ": " : "",
	    code ? code : "", status);
	info = code ? err_info_by_name(code) : NULL;
	if (info)
		return info->exit_status;
	return status >= 500 ? EXIT_UNAVAILABLE : EXIT_USAGE;
}

bool
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int
cli_dispatch(struct cli_ctx *ctx, int argc, char **argv,
    const struct cli_subcommand *subs, size_t n, const char *group_help)
{
	FILE *f = stdout;

	if (argc >= 2 && argv[1][0] != '-')
		for (size_t i = 0; i < n; i++)
			if (strcmp(subs[i].name, argv[1]) == 0)
				return subs[i].fn(ctx, argc - 1, argv + 1);
	if (argc < 2 || !cli_wants_help(argc, argv))
		f = stderr;
	if (argc >= 2 && argv[1][0] != '-')
		fprintf(stderr, "consentctl: unknown %s subcommand '%s'\n",
		    argv[0], argv[1]);
	fprintf(f, "Usage: consentctl [OPTIONS] %s SUBCOMMAND [ARGS...]\n\n%s\n\n"
		   "Subcommands:\n", argv[0], group_help);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-14s %s\n", subs[i].name, subs[i].help);
	fprintf(f, "\nRun 'consentctl %s SUBCOMMAND --help' for details.\n",
	    argv[0]);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}
