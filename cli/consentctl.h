/* consentctl: command groups and the helpers they share. */
#ifndef CONSENTCTL_H
#define CONSENTCTL_H

#include <jansson.h>

#include "err.h"
#include "response.h"
#include "macro.h"

/* Global options, parsed before the command name. */
struct cli_ctx {
	const char *socket_path; /* daemon socket (--socket, $CONSENTD_SOCKET) */
	const char *url;         /* https://host:port instead of the socket */
	const char *cert, *key, *cacert; /* TLS client options */
	const char *token;       /* bearer token (--token, $CONSENTD_TOKEN) */
	struct ssl_ctx_st *tls;  /* with --url: made once by cli_tls_setup() */
	bool json;               /* --json: machine-readable output */
	bool quiet;
};

/* A command: argv[0] is the command name (e.g. "dp"), argv[1..] its
 * arguments. Returns an exit status from err.h (EXIT_OK, EXIT_NEGATIVE,
 * EXIT_USAGE, EXIT_UNAVAILABLE). Commands parse their own options with
 * getopt_long after setting optind = 0, and handle --help / -h themselves
 * (printing usage to stdout and returning EXIT_OK). */
typedef int (*cli_command_fn)(struct cli_ctx *ctx, int argc, char **argv);

/* cli/http.c: requests to the daemon, one connection each. On success *ret_status is the HTTP
 * status and *ret_body the parsed JSON body (caller decrefs). Returns
 * -errno when the daemon cannot be reached (the caller exits 3). */
int cli_request(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, long *ret_status, json_t **ret_body);
/* cli_request + error handling: EXIT_OK with *ret set (caller decrefs),
 * or the exit status after reporting the failure. */
int cli_call(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, json_t **ret);
/* cli_call with the body as JSON text, for answers whose body the caller
 * does not need: EXIT_OK on a 2xx status (the body is not parsed), or
 * the exit status after reporting the failure. */
int cli_call_text(struct cli_ctx *ctx, const char *method, const char *path,
    const char *payload, size_t payload_len);
/* A request sent with "Consentd-Ack: queued" (and, after a previous one,
 * "Consentd-After: SEQUENCE"): EXIT_OK with *ret_pending set and queued
 * holding the daemon's sequence once it answered "102 Processing" (the
 * request is queued: the next may be sent); otherwise *ret_pending is
 * NULL and the result is cli_call_text()'s. */
struct cli_pending;
int cli_call_text_queued(struct cli_ctx *ctx, const char *path,
    const char *payload, size_t payload_len, const char *after,
    struct cli_pending **ret_pending, char queued[CLI_QUEUED_MAX]);
/* Waits for a queued request's final answer: cli_call_text()'s result.
 * Frees p. */
int cli_pending_finish(struct cli_ctx *ctx, struct cli_pending *p);
/* With --url: loads the CA and client certificates once for every
 * request (ctx->tls); prints why and returns -errno when it cannot. */
int cli_tls_setup(struct cli_ctx *ctx);
void cli_tls_free(struct cli_ctx *ctx);
/* False if s holds a control character (which could end a header line). */
bool cli_header_safe(const char *s);
/* 0 if url is one --url accepts (https://HOST[:PORT][/PATH]), else
 * -EPROTONOSUPPORT for another scheme or -EINVAL. */
int cli_check_url(const char *url);
/* Percent-encodes a path segment or query value; malloc'd. */
char *cli_escape_path(const char *s);
/* Prints an API error body {"error":{...}} (or a transport failure) to
 * stderr, and returns the exit status for it. */
int cli_report_error(struct cli_ctx *ctx, long status, const json_t *body);

/* cli/output.c */
void cli_print_json(const json_t *v);
/* Prints "consentctl: <message>" to stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) _printf_(1, 2);
int cli_parse_double(const char *s, const char *what, double *ret);
int cli_parse_uint64(const char *s, const char *what, uint64_t *ret);

/* Command groups, one file each. */
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_status.c */
int cmd_dp(struct cli_ctx *ctx, int argc, char **argv);       /* cmd_dp.c */
int cmd_policy(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_policy.c */
int cmd_evaluate(struct cli_ctx *ctx, int argc, char **argv); /* cmd_policy.c */
int cmd_consent(struct cli_ctx *ctx, int argc, char **argv);  /* cmd_consent.c */
int cmd_subject(struct cli_ctx *ctx, int argc, char **argv);  /* cmd_consent.c */
int cmd_ledger(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_ledger.c */
int cmd_keygen(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_ledger.c */
int cmd_check(struct cli_ctx *ctx, int argc, char **argv);    /* cmd_check.c */
int cmd_job(struct cli_ctx *ctx, int argc, char **argv);      /* cmd_check.c */
int cmd_budget(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_check.c */
int cmd_lineage(struct cli_ctx *ctx, int argc, char **argv);  /* cmd_check.c */
int cmd_impact(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_check.c */
int cmd_replay(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_check.c */
int cmd_log(struct cli_ctx *ctx, int argc, char **argv);      /* cmd_audit.c */
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);   /* cmd_audit.c */

/* A subcommand table entry, for command groups. */
struct cli_subcommand {
	const char *name;
	cli_command_fn fn;
	const char *help;
};
/* Dispatches argv[1] among subs; prints the group's usage for --help or
 * a missing/unknown subcommand. */
int cli_dispatch(struct cli_ctx *ctx, int argc, char **argv,
    const struct cli_subcommand *subs, size_t n, const char *group_help);
/* True when argv holds -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);

#endif
