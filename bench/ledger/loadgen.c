/* Load generator: C clients on keep-alive connections to consentd's Unix
 * socket, each POSTing one consent event per request and waiting for the
 * answer; reports throughput and client-side latency (CLOCK_MONOTONIC). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../bench.h"
#include "rows.h"

#define RESPONSE_MAX 65536

struct shared {
	const char *socket_path;
	uint64_t requests;
	uint64_t first_row;
	_Atomic uint64_t next;
	_Atomic uint64_t errors;
	_Atomic uint64_t reconnects;
	double *latency_ms;        /* per request */
};

/* Reads one response; returns the status code, or -errno. *ret_close is
 * set when the server will close the connection. */
static int
read_response(int fd, char *buf, size_t cap, bool *ret_close)
{
	size_t have = 0, need = 0;
	char *eoh = NULL;
	long status, clen = -1;

	for (;;) {
		ssize_t n;
		if (eoh && have >= need)
			break;
		if (have == cap)
			return -E2BIG;
		n = recv(fd, buf + have, cap - have - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		have += (size_t)n;
		buf[have] = '\0';
		if (!eoh && (eoh = strstr(buf, "\r\n\r\n"))) {
			for (char *l = strstr(buf, "\r\n"); l && l < eoh;
			     l = strstr(l + 2, "\r\n")) {
				if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
					clen = strtol(l + 17, NULL, 10);
				else if (strncasecmp(l + 2, "Connection: close", 17) == 0)
					*ret_close = true;
			}
			if (clen < 0)
				return -EPROTO; /* evhttp always sends a length */
			need = (size_t)(eoh + 4 - buf) + (size_t)clen;
		}
	}
	if (sscanf(buf, "HTTP/1.%*d %ld", &status) != 1)
		return -EPROTO;
	return (int)status;
}

static void *
client(void *arg)
{
	struct shared *s = arg;
	char *resp = malloc(RESPONSE_MAX), req[2048], body[1024];
	int fd = -1;

	if (!resp)
		return NULL;
	for (;;) {
		uint64_t i = atomic_fetch_add(&s->next, 1);
		struct bench_row row;
		bool close_after = false;
		double t0;
		int blen, hlen, r;

		if (i >= s->requests)
			break;
		bench_row(s->first_row + i, &row);
		blen = bench_row_json(&row, body, sizeof(body));
		hlen = snprintf(req, sizeof(req),
		    "POST /v1/consents HTTP/1.1\r\nHost: localhost\r\n"
		    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		    blen, body);
		t0 = bench_mono();
		if (fd < 0) {
			fd = bench_connect_unix(s->socket_path);
			if (fd < 0) {
				fprintf(stderr, "connect: %s\n", strerror(-fd));
				atomic_fetch_add(&s->errors, 1);
				s->latency_ms[i] = NAN;
				continue;
			}
		}
		r = bench_send_all(fd, req, (size_t)hlen);
		if (r >= 0)
			r = read_response(fd, resp, RESPONSE_MAX, &close_after);
		s->latency_ms[i] = (bench_mono() - t0) * 1e3;
		if (r != 200) {
			if (atomic_fetch_add(&s->errors, 1) < 5)
				fprintf(stderr, "request %" PRIu64 ": %s %d\n", i,
				    r < 0 ? strerror(-r) : "HTTP", r);
			close_after = true;
		}
		if (close_after) {
			close(fd);
			fd = -1;
			atomic_fetch_add(&s->reconnects, 1);
		}
	}
	if (fd >= 0)
		close(fd);
	free(resp);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct shared s = { 0 };
	pthread_t *threads;
	unsigned long clients;
	size_t ok = 0;
	double t0, t1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: loadgen SOCKET CLIENTS REQUESTS [FIRST_ROW]\n");
		return 2;
	}
	s.socket_path = argv[1];
	clients = strtoul(argv[2], NULL, 10);
	s.requests = strtoull(argv[3], NULL, 10);
	s.first_row = argc == 5 ? strtoull(argv[4], NULL, 10) : 0;
	if (clients == 0 || clients > 4096 || s.requests == 0)
		return 2;
	s.latency_ms = calloc(s.requests, sizeof(double));
	threads = calloc(clients, sizeof(*threads));
	if (!s.latency_ms || !threads)
		return 3;
	t0 = bench_mono();
	for (unsigned long c = 0; c < clients; c++)
		if (pthread_create(&threads[c], NULL, client, &s) != 0) {
			fprintf(stderr, "cannot start client %lu\n", c);
			return 3;
		}
	for (unsigned long c = 0; c < clients; c++)
		pthread_join(threads[c], NULL);
	t1 = bench_mono();
	for (uint64_t i = 0; i < s.requests; i++)
		if (!isnan(s.latency_ms[i]))
			s.latency_ms[ok++] = s.latency_ms[i];
	qsort(s.latency_ms, ok, sizeof(double), bench_cmp_double);
	printf("loadgen clients %lu requests %" PRIu64 " errors %" PRIu64
	       " reconnects %" PRIu64 " seconds %.3f requests_per_s %.0f"
	       " p50_ms %.2f p99_ms %.2f p999_ms %.2f max_ms %.2f\n",
	    clients, s.requests, (uint64_t)atomic_load(&s.errors),
	    (uint64_t)atomic_load(&s.reconnects), t1 - t0,
	    (double)(s.requests - atomic_load(&s.errors)) / (t1 - t0),
	    ok ? bench_quantile(s.latency_ms, ok, 0.50) : 0,
	    ok ? bench_quantile(s.latency_ms, ok, 0.99) : 0,
	    ok ? bench_quantile(s.latency_ms, ok, 0.999) : 0,
	    ok ? s.latency_ms[ok - 1] : 0);
	free(threads);
	free(s.latency_ms);
	return atomic_load(&s.errors) ? 1 : 0;
}
