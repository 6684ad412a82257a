/* consentctl: the command-line client for consentd, and its offline tools. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "consentctl.h"

struct command {
	const char *name;
	cli_command_fn fn;
	bool offline;      /* needs no daemon */
	const char *help;  /* one line for the command list */
};

static const struct command commands[] = {
	{ "status", cmd_status, false, "show whether consentd is running" },
	{ "check", cmd_check, false, "ask whether a training job may run" },
	{ "job", cmd_job, false, "settle a job's privacy cost after training" },
	{ "budget", cmd_budget, false, "differential-privacy budgets" },
	{ "lineage", cmd_lineage, false, "which jobs used a subject's data" },
	{ "impact", cmd_impact, false, "jobs affected by revocations and erasures" },
	{ "replay", cmd_replay, false, "re-evaluate a recorded decision" },
	{ "consent", cmd_consent, false, "record and query consents" },
	{ "subject", cmd_subject, false, "erase a data subject" },
	{ "ledger", cmd_ledger, false, "keys, checkpoints, proofs, receipts, export, verify" },
	{ "log", cmd_log, false, "search the audit trail" },
	{ "report", cmd_report, false, "summary reports (text, JSON, HTML)" },
	{ "keygen", cmd_keygen, true, "generate a ledger signing key" },
	{ "policy", cmd_policy, true, "validate and test policies" },
	{ "evaluate", cmd_evaluate, true, "evaluate a dataset against policies" },
	{ "dp", cmd_dp, true, "privacy loss of DP-SGD and friends; noise for a target" },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: consentctl [OPTIONS] COMMAND [ARGS...]\n"
	    "\n"
	    "Client for consentd, the consent and compliance auditing daemon.\n"
	    "\n"
	    "Options:\n"
	    "  -s, --socket PATH   daemon socket (default: $CONSENTD_SOCKET, else the\n"
	    "                      daemon's default for this user)\n"
	    "      --url URL       talk to a TCP/TLS listener instead (https://host:port)\n"
	    "      --cert FILE     TLS client certificate\n"
	    "      --key FILE      TLS client key\n"
	    "      --cacert FILE   CA certificate to verify the daemon\n"
	    "      --token TOKEN   bearer token for the TLS listener ($CONSENTD_TOKEN)\n"
	    "  -j, --json          machine-readable JSON output\n"
	    "  -q, --quiet         fewer messages\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\n"
	    "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-10s %s%s\n", commands[i].name, commands[i].help,
		    commands[i].offline ? " (offline)" : "");
	fprintf(f,
	    "\n"
	    "Run 'consentctl COMMAND --help' for a command's options.\n"
	    "Exit status: 0 ok/allow, 1 negative answer (deny, verification failed),\n"
	    "2 usage or input error, 3 daemon unreachable or internal error.\n");
}

/* The daemon's default socket for this user (see consentd(8)). */
static char *
default_socket(void)
{
	const char *e = getenv("CONSENTD_SOCKET");
	char *s = NULL;

	if (e && *e)
		return strdup(e);
	if (geteuid() == 0)
		return strdup("/run/consentd/consentd.sock");
	if ((e = getenv("XDG_RUNTIME_DIR")) && *e == '/') {
		if (asprintf(&s, "%s/consentd/consentd.sock", e) < 0)
			return NULL;
		return s;
	}
	if ((e = getenv("XDG_STATE_HOME")) && *e == '/') {
		if (asprintf(&s, "%s/consentd/consentd.sock", e) < 0)
			return NULL;
		return s;
	}
	if ((e = getenv("HOME")) && *e == '/' &&
	    asprintf(&s, "%s/.local/state/consentd/consentd.sock", e) >= 0)
		return s;
	return NULL;
}

int
main(int argc, char *argv[])
{
	enum { OPT_URL = 0x100, OPT_CERT, OPT_KEY, OPT_CACERT, OPT_TOKEN };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, OPT_URL },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct cli_ctx ctx = { 0 };
	_cleanup_free_ char *socket_default = NULL;
	int c, r;

	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+s:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctx.socket_path = optarg;
			break;
		case OPT_URL:
			ctx.url = optarg;
			break;
		case OPT_CERT:
			ctx.cert = optarg;
			break;
		case OPT_KEY:
			ctx.key = optarg;
			break;
		case OPT_CACERT:
			ctx.cacert = optarg;
			break;
		case OPT_TOKEN:
			ctx.token = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("consentctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!ctx.token && getenv("CONSENTD_TOKEN") && *getenv("CONSENTD_TOKEN"))
		ctx.token = getenv("CONSENTD_TOKEN");
	if (ctx.token && !cli_header_safe(ctx.token)) {
		fprintf(stderr, "consentctl: the token must not contain control characters\n");
		return EXIT_USAGE;
	}
	if (ctx.url && cli_check_url(ctx.url) < 0) {
		fprintf(stderr, "consentctl: --url must be an https:// URL: https://HOST[:PORT][/PATH]\n");
		return EXIT_USAGE;
	}
	if (!ctx.socket_path) {
		socket_default = default_socket();
		ctx.socket_path = socket_default ? socket_default : "consentd.sock";
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (strcmp(commands[i].name, argv[optind]) != 0)
			continue;
		if (ctx.url && !commands[i].offline &&
		    !cli_wants_help(argc - optind, argv + optind) &&
		    cli_tls_setup(&ctx) < 0)
			return EXIT_UNAVAILABLE;
		r = commands[i].fn(&ctx, argc - optind, argv + optind);
		cli_tls_free(&ctx);
		return r;
	}
	fprintf(stderr, "consentctl: unknown command '%s' (see 'consentctl --help')\n",
	    argv[optind]);
	return EXIT_USAGE;
}
