/* One HTTP/1.1 response, parsed as it arrives (consentctl's transport;
 * http-parser underneath). Kept apart from the sockets so that it can be
 * fuzzed (tests/fuzz/fuzz_response.c). */
#ifndef CONSENTCTL_RESPONSE_H
#define CONSENTCTL_RESPONSE_H

#include <http_parser.h>
#include <stdbool.h>

#include "buf.h"

#define CLI_QUEUED_MAX 64

struct cli_response {
	http_parser parser;
	struct buf body;  /* the body, without any chunk framing */
	bool complete;
	bool too_big;     /* the body went over max_body */
	/* An interim "102 Processing" with a Consentd-Queued header: its
	 * value, and whether parsing stopped there (stop_at_queued). */
	bool stop_at_queued;
	bool queued_seen;
	char queued[CLI_QUEUED_MAX];
	size_t queued_len;
	/* The header being read: its name, whether its value is being
	 * read, and whether it is Consentd-Queued. */
	struct buf field;
	bool in_value;
	bool in_queued;
	struct buf rest;  /* bytes after a stop, fed by cli_response_resume */
};

void cli_response_init(struct cli_response *r, size_t max_body);
/* Feeds the next n bytes read, or the end of the stream (n == 0).
 * Returns 1 once a final (non-1xx) response is complete (bytes after it
 * are ignored), 0 when more is needed, -EFBIG when the body is over
 * max_body, -EBADMSG when it is not HTTP, and -ECONNRESET when the
 * stream ended first. */
int cli_response_feed(struct cli_response *r, const char *data, size_t n);
/* With stop_at_queued set, feeding also returns 2 once a "102
 * Processing" with a Consentd-Queued header (in queued) is read; the
 * bytes fed after it are kept, and cli_response_resume() goes on. */
int cli_response_resume(struct cli_response *r);
/* The HTTP status of a complete response. */
unsigned cli_response_status(const struct cli_response *r);
/* Why the last feed returned -EBADMSG. */
const char *cli_response_error(const struct cli_response *r);
void cli_response_free(struct cli_response *r);

#endif
