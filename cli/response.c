/* Parsing consentctl's responses with http-parser (see response.h). */
#include "config.h"

#include <errno.h>

#include "response.h"

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct cli_response *r = p->data;

	if (buf_append(&r->body, at, len) < 0) {
		r->too_big = true;
		return -1;
	}
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct cli_response *r = p->data;

	/* An interim response (100 Continue and the like) has no body; the
	 * final one follows it on the same stream. */
	if (p->status_code < 200)
		return 0;
	r->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
cli_response_init(struct cli_response *r, size_t max_body)
{
	*r = (struct cli_response){ .body = BUF_INIT(max_body) };
	http_parser_init(&r->parser, HTTP_RESPONSE);
	r->parser.data = r;
}

int
cli_response_feed(struct cli_response *r, const char *data, size_t n)
{
	size_t used;

	if (r->complete)
		return 1;
	if (r->too_big)
		return -EFBIG;
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK)
		return -EBADMSG;
	used = http_parser_execute(&r->parser, &settings, data, n);
	if (r->complete)
		return 1;
	if (r->too_big)
		return -EFBIG;
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK || used != n)
		return n == 0 ? -ECONNRESET : -EBADMSG;
	return n == 0 ? -ECONNRESET : 0;
}

unsigned
cli_response_status(const struct cli_response *r)
{
	return r->parser.status_code;
}

const char *
cli_response_error(const struct cli_response *r)
{
	return http_errno_description(HTTP_PARSER_ERRNO(&r->parser));
}

void
cli_response_free(struct cli_response *r)
{
	buf_free(&r->body);
}
