/* Parsing consentctl's responses with http-parser (see response.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

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

static const char queued_header[] = "consentd-queued";

/* Headers matter only in a 102 answer: Consentd-Queued. */
static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct cli_response *r = p->data;

	if (p->status_code != 102)
		return 0;
	if (r->in_value) {
		buf_reset(&r->field);
		r->in_value = false;
	}
	/* A longer name is not the one sought; keep it from growing. */
	if (r->field.len + len > sizeof(queued_header))
		len = sizeof(queued_header) - r->field.len;
	return buf_append(&r->field, at, len) < 0 ? -1 : 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct cli_response *r = p->data;

	if (p->status_code != 102)
		return 0;
	if (!r->in_value) {
		r->in_value = true;
		r->in_queued = r->field.len == strlen(queued_header) &&
		    strncasecmp(r->field.data, queued_header, r->field.len) == 0;
		if (!r->in_queued)
			return 0;
		r->queued[0] = '\0';
		r->queued_len = 0;
		r->queued_seen = true;
	} else if (!r->in_queued) {
		/* the rest of another header's value */
		return 0;
	}
	if (r->queued_len + len >= sizeof(r->queued) ||
	    memchr(at, '\0', len)) {
		/* Not a value consentd sends: as if the header were absent
		 * (how a server splits its bytes then changes nothing). */
		r->queued_seen = false;
		r->in_queued = false;
		return 0;
	}
	memcpy(r->queued + r->queued_len, at, len);
	r->queued_len += len;
	r->queued[r->queued_len] = '\0';
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct cli_response *r = p->data;

	buf_reset(&r->field);
	r->in_value = false;
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct cli_response *r = p->data;

	/* An interim response (100 Continue and the like) has no body; the
	 * final one follows it on the same stream. */
	if (p->status_code < 200) {
		if (p->status_code == 102 && r->queued_seen && r->stop_at_queued)
			http_parser_pause(p, 1);
		return 0;
	}
	r->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
cli_response_init(struct cli_response *r, size_t max_body)
{
	*r = (struct cli_response){ .body = BUF_INIT(max_body),
		.field = BUF_INIT(64), .rest = BUF_INIT(0) };
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
	if (HTTP_PARSER_ERRNO(&r->parser) == HPE_PAUSED) {
		/* Stopped at a 102 with Consentd-Queued: keep what follows. */
		buf_reset(&r->rest);
		if (used < n && buf_append(&r->rest, data + used, n - used) < 0)
			return -ENOMEM;
		return 2;
	}
	if (r->too_big)
		return -EFBIG;
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK || used != n)
		return n == 0 ? -ECONNRESET : -EBADMSG;
	return n == 0 ? -ECONNRESET : 0;
}

int
cli_response_resume(struct cli_response *r)
{
	struct buf rest = r->rest;
	int ret;

	r->stop_at_queued = false;
	http_parser_pause(&r->parser, 0);
	r->rest = BUF_INIT(0);
	ret = rest.len ? cli_response_feed(r, rest.data, rest.len) : 0;
	buf_free(&rest);
	return ret;
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
	buf_free(&r->field);
	buf_free(&r->rest);
}
