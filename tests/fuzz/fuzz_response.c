/* Fuzzes consentctl's response parser (cli/response.c): what a server,
 * or anything listening where consentctl connects, sends back. The input
 * is fed whole and in pieces (sizes taken from its first byte); both ways
 * must give the same verdict, status and body. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

#define MAX_BODY 4096

/* Feeds data in pieces of 1..step bytes (whole when step is 0), then
 * the end of the stream; returns the verdict. */
static int
parse(struct cli_response *r, const uint8_t *data, size_t size, size_t step)
{
	size_t off = 0;
	int v = 0;

	cli_response_init(r, MAX_BODY);
	while (off < size && v == 0) {
		size_t n = step ? 1 + (off * 7 + size) % step : size;

		if (n > size - off)
			n = size - off;
		v = cli_response_feed(r, (const char *)data + off, n);
		off += n;
	}
	if (v == 0)
		v = cli_response_feed(r, NULL, 0);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_response whole, pieces;
	size_t step;
	int a, b;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 64;
	a = parse(&whole, data + 1, size - 1, 0);
	b = parse(&pieces, data + 1, size - 1, step);
	if (a != 1 && a != -EFBIG && a != -EBADMSG && a != -ECONNRESET)
		FAIL();
	if (a == 1) {
		unsigned status = cli_response_status(&whole);

		if (status < 200 || status > 999)
			FAIL();
		if (whole.body.len > MAX_BODY)
			FAIL();
		if (whole.body.len > 0 && whole.body.data[whole.body.len] != '\0')
			FAIL();
	}
	/* Splitting the stream changes nothing about a complete answer. */
	if ((a == 1) != (b == 1))
		FAIL();
	if (a == 1 &&
	    (cli_response_status(&whole) != cli_response_status(&pieces) ||
		whole.body.len != pieces.body.len ||
		(whole.body.len > 0 &&
		    memcmp(whole.body.data, pieces.body.data, whole.body.len) != 0)))
		FAIL();
	cli_response_free(&whole);
	cli_response_free(&pieces);
	return 0;
}
