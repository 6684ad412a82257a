/* consentctl's transport: HTTP/1.1 to the daemon, over its Unix socket or,
 * with --url, over TCP with TLS (OpenSSL). One connection per request
 * ("Connection: close"); responses are parsed by http-parser.
 *
 * consentctl does not use libcurl: loading it and the 26 libraries it
 * brings took most of a `consentctl check` (docs/architecture.md). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "buf.h"
#include "consentctl.h"
#include "crypto.h"
#include "json.h"
#include "response.h"

#define CLI_MAX_RESPONSE ((size_t)256 << 20)
#define CLI_CONNECT_TIMEOUT_MS 10000
/* A daemon that sends or accepts nothing for this long is given up on. */
#define CLI_STALL_TIMEOUT_S 600

/* Where requests go: the daemon's socket, or --url split up. */
struct cli_target {
	char host[256];     /* TCP only; no brackets around IPv6 literals */
	char port[8];
	char prefix[1024];  /* path of the URL, without a trailing '/' */
};

struct cli_conn {
	int fd;
	SSL *tls;
	char err[256]; /* why the last operation failed */
};

static int
parse_url(const char *url, struct cli_target *ret)
{
	struct http_parser_url u;
	size_t len = strlen(url);

	memset(ret, 0, sizeof(*ret));
	http_parser_url_init(&u);
	if (http_parser_parse_url(url, len, 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST)) ||
	    (u.field_set & ((1 << UF_QUERY) | (1 << UF_FRAGMENT) |
		(1 << UF_USERINFO))))
		return -EINVAL;
	if (u.field_data[UF_SCHEMA].len != 5 ||
	    strncasecmp(url + u.field_data[UF_SCHEMA].off, "https", 5) != 0)
		return -EPROTONOSUPPORT;
	if (u.field_data[UF_HOST].len >= sizeof(ret->host))
		return -EINVAL;
	memcpy(ret->host, url + u.field_data[UF_HOST].off,
	    u.field_data[UF_HOST].len);
	snprintf(ret->port, sizeof(ret->port), "%u",
	    (u.field_set & (1 << UF_PORT)) ? u.port : 443u);
	if (u.field_set & (1 << UF_PATH)) {
		size_t n = u.field_data[UF_PATH].len;

		while (n > 0 && url[u.field_data[UF_PATH].off + n - 1] == '/')
			n--;
		if (n >= sizeof(ret->prefix))
			return -EINVAL;
		memcpy(ret->prefix, url + u.field_data[UF_PATH].off, n);
	}
	return 0;
}

static void
conn_close(struct cli_conn *c)
{
	if (c->tls) {
		SSL_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static int
conn_fail(struct cli_conn *c, int r, const char *fmt, ...) _printf_(3, 4);

static int
conn_fail(struct cli_conn *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return r;
}

static void
set_stall_timeout(int fd)
{
	struct timeval tv = { .tv_sec = CLI_STALL_TIMEOUT_S };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
connect_unix(struct cli_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return conn_fail(c, -ENAMETOOLONG, "socket path too long");
	memcpy(sa.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return conn_fail(c, -errno, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return conn_fail(c, -errno, "%s", strerror(errno));
	set_stall_timeout(c->fd);
	return 0;
}

/* Connects to one address, giving up after CLI_CONNECT_TIMEOUT_MS. */
static int
connect_addr(const struct addrinfo *ai)
{
	struct pollfd pfd;
	int fd, err = 0, flags;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		for (;;) {
			int n = poll(&pfd, 1, CLI_CONNECT_TIMEOUT_MS);

			if (n > 0)
				break;
			if (n == 0) {
				err = ETIMEDOUT;
				goto fail;
			}
			if (errno != EINTR) {
				err = errno;
				goto fail;
			}
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		err = errno;
		goto fail;
	}
	set_stall_timeout(fd);
	return fd;
fail:
	close(fd);
	return -err;
}

static int
connect_tcp(struct cli_conn *c, const struct cli_target *t)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	int r, fd = -ECONNREFUSED;

	r = getaddrinfo(t->host, t->port, &hints, &res);
	if (r != 0)
		return conn_fail(c, -EHOSTUNREACH, "%s: %s", t->host,
		    gai_strerror(r));
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = connect_addr(ai);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return conn_fail(c, fd, "%s", strerror(-fd));
	c->fd = fd;
	return 0;
}

int
cli_tls_setup(struct cli_ctx *ctx)
{
	const char *key = ctx->key ? ctx->key : ctx->cert;
	SSL_CTX *t = SSL_CTX_new(TLS_client_method());
	char why[512] = "";

	if (!t)
		snprintf(why, sizeof(why), "%s", crypto_openssl_error());
	else {
		SSL_CTX_set_min_proto_version(t, TLS1_2_VERSION);
		SSL_CTX_set_verify(t, SSL_VERIFY_PEER, NULL);
		if (ctx->cacert ?
		    SSL_CTX_load_verify_locations(t, ctx->cacert, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(t) != 1)
			snprintf(why, sizeof(why),
			    "cannot load CA certificates from %s: %s",
			    ctx->cacert ? ctx->cacert : "the system's store",
			    crypto_openssl_error());
		else if (ctx->cert &&
		    (SSL_CTX_use_certificate_chain_file(t, ctx->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(t, key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(t) != 1))
			snprintf(why, sizeof(why),
			    "cannot use client certificate %s: %s", ctx->cert,
			    crypto_openssl_error());
	}
	if (*why) {
		if (!ctx->quiet)
			fprintf(stderr, "consentctl: cannot reach consentd at %s: %s\n",
			    ctx->url, why);
		SSL_CTX_free(t);
		return -EINVAL;
	}
	ctx->tls = t;
	return 0;
}

void
cli_tls_free(struct cli_ctx *ctx)
{
	SSL_CTX_free(ctx->tls);
	ctx->tls = NULL;
}

/* TLS 1.2 or later on the context cli_tls_setup() made: the server's
 * certificate is checked against --cacert (or the system's CAs) and the
 * URL's host name or address. */
static int
tls_start(struct cli_conn *c, struct cli_ctx *ctx, const struct cli_target *t)
{
	unsigned char ip[16];
	long v;

	if (!ctx->tls)
		return conn_fail(c, -EINVAL, "TLS is not set up");
	c->tls = SSL_new(ctx->tls);
	if (!c->tls || SSL_set_fd(c->tls, c->fd) != 1)
		return conn_fail(c, -ENOMEM, "%s", crypto_openssl_error());
	if (inet_pton(AF_INET, t->host, ip) == 1 ||
	    inet_pton(AF_INET6, t->host, ip) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->tls),
			t->host) != 1)
			return conn_fail(c, -EINVAL, "%s", crypto_openssl_error());
	} else if (SSL_set_tlsext_host_name(c->tls, t->host) != 1 ||
	    SSL_set1_host(c->tls, t->host) != 1)
		return conn_fail(c, -EINVAL, "%s", crypto_openssl_error());
	if (SSL_connect(c->tls) != 1) {
		v = SSL_get_verify_result(c->tls);
		if (v != X509_V_OK) {
			ERR_clear_error();
			return conn_fail(c, -EPERM,
			    "the server's certificate is not trusted: %s",
			    X509_verify_cert_error_string(v));
		}
		return conn_fail(c, -ECONNABORTED, "TLS handshake failed: %s",
		    crypto_openssl_error());
	}
	return 0;
}

/* Writes everything; a peer that went away gives -EPIPE, never SIGPIPE. */
static int
conn_write(struct cli_conn *c, const char *data, size_t len)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0 };
	int r = 0;

	if (!c->tls) {
		while (len > 0) {
			ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			data += n;
			len -= (size_t)n;
		}
		return 0;
	}
	/* OpenSSL writes with write(2): hold SIGPIPE back, and take it
	 * away again if this write raised it. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (len > 0) {
		size_t n;

		if (SSL_write_ex(c->tls, data, len, &n) != 1) {
			r = errno == EPIPE ? -EPIPE : -ECONNRESET;
			ERR_clear_error();
			break;
		}
		data += n;
		len -= n;
	}
	if (r == -EPIPE && !sigismember(&old, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* Reads up to n bytes: > 0 read, 0 end of stream, < 0 -errno. */
static ssize_t
conn_read(struct cli_conn *c, char *data, size_t n)
{
	if (!c->tls) {
		for (;;) {
			ssize_t r = recv(c->fd, data, n, 0);

			if (r >= 0)
				return r;
			if (errno != EINTR)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
	}
	size_t got;

	if (SSL_read_ex(c->tls, data, n, &got) == 1)
		return (ssize_t)got;
	int e = SSL_get_error(c->tls, 0);
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	return errno == EAGAIN ? -ETIMEDOUT : -ECONNRESET;
}

/* Reads and parses the response; *status is its HTTP status. Returns 1
 * instead when resp stopped at a 102 answer (resp->stop_at_queued). */
static int
read_response(struct cli_conn *c, struct cli_response *resp, long *status)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = conn_read(c, chunk, sizeof(chunk));
		int r;

		if (n < 0)
			return conn_fail(c, (int)n, "reading the response: %s",
			    strerror((int)-n));
		r = cli_response_feed(resp, chunk, (size_t)n);
		if (r == 2)
			return 1;
		if (r > 0)
			break;
		if (r == -EFBIG)
			return conn_fail(c, r, "the response is larger than %zu MiB",
			    CLI_MAX_RESPONSE >> 20);
		if (r == -ECONNRESET)
			return conn_fail(c, r,
			    "the connection closed before the response was complete");
		if (r < 0)
			return conn_fail(c, r, "the response is not valid HTTP: %s",
			    cli_response_error(resp));
	}
	*status = cli_response_status(resp);
	return 0;
}

/* A header value we send must not be able to end its line. */
bool
cli_header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
build_request(struct buf *req, struct cli_ctx *ctx, const struct cli_target *t,
    const char *method, const char *path, size_t body_len, bool has_body,
    const char *extra_headers)
{
	int r;

	r = buf_printf(req, "%s %s%s HTTP/1.1\r\n", method, t->prefix, path);
	if (r >= 0 && ctx->url)
		r = buf_printf(req, strchr(t->host, ':') ? "Host: [%s]:%s\r\n" :
		    "Host: %s:%s\r\n", t->host, t->port);
	else if (r >= 0)
		r = buf_append_str(req, "Host: localhost\r\n");
	if (r >= 0)
		r = buf_append_str(req, "User-Agent: consentctl/" PACKAGE_VERSION
		    "\r\nAccept: application/json\r\nConnection: close\r\n");
	if (r >= 0 && ctx->token)
		r = buf_printf(req, "Authorization: Bearer %s\r\n", ctx->token);
	if (r >= 0 && has_body)
		r = buf_append_str(req, "Content-Type: application/json\r\n");
	if (r >= 0 && (has_body || strcmp(method, "GET") != 0))
		r = buf_printf(req, "Content-Length: %zu\r\n", body_len);
	if (r >= 0 && extra_headers)
		r = buf_append_str(req, extra_headers);
	if (r >= 0)
		r = buf_append_str(req, "\r\n");
	return r;
}

/* A request in flight: its connection and its answer so far. */
struct cli_pending {
	struct cli_conn c;
	struct cli_response resp;
	long status;
};

/* Connects and sends; then reads the answer up to its end or, with
 * p->resp.stop_at_queued, up to a 102 answer (returns 1). */
static int
request_start(struct cli_ctx *ctx, const char *method, const char *path,
    const char *payload, size_t payload_len, const char *extra_headers,
    struct cli_pending *p)
{
	_cleanup_buf_ struct buf req = BUF_INIT(0);
	struct cli_target t = { .host = "" };
	int r, wr;

	if (ctx->url && parse_url(ctx->url, &t) < 0) {
		fprintf(stderr, "consentctl: --url must be https://HOST[:PORT][/PATH]\n");
		return -EINVAL;
	}
	if (ctx->token && !cli_header_safe(ctx->token))
		return -EINVAL; /* main() refuses such a token */
	r = build_request(&req, ctx, &t, method, path, payload_len,
	    payload != NULL, extra_headers);
	if (r < 0)
		return r;

	r = ctx->url ? connect_tcp(&p->c, &t) :
		       connect_unix(&p->c, ctx->socket_path);
	if (r >= 0 && ctx->url)
		r = tls_start(&p->c, ctx, &t);
	if (r >= 0) {
		/* A daemon that refuses a request may answer and close before
		 * reading all of it: its answer still counts. */
		wr = conn_write(&p->c, req.data, req.len);
		if (wr >= 0 && payload_len > 0)
			wr = conn_write(&p->c, payload, payload_len);
		r = read_response(&p->c, &p->resp, &p->status);
		if (r < 0 && wr < 0)
			r = conn_fail(&p->c, wr, "sending the request: %s",
			    strerror(-wr));
	}
	if (r < 0 && !ctx->quiet)
		fprintf(stderr, "consentctl: cannot reach consentd at %s: %s\n",
		    ctx->url ? ctx->url : ctx->socket_path, p->c.err);
	if (r < 0)
		return r == -ENOMEM ? -ENOMEM : -ECONNREFUSED;
	return r;
}

/* The end of a complete answer: its status, and its body parsed unless it
 * is a 2xx answer and ok_body is false (*ret_body NULL then). */
static int
request_finish(struct cli_pending *p, bool ok_body, long *ret_status,
    json_t **ret_body)
{
	long status = p->status;
	json_t *parsed = NULL;

	if (p->resp.body.len > 0 &&
	    (ok_body || status < 200 || status >= 300)) {
		char err[256];
		parsed = json_parse(p->resp.body.data, p->resp.body.len, err,
		    sizeof(err));
		if (!parsed && status >= 400) {
			/* A page from the HTTP layer itself: keep the status. */
			*ret_status = status;
			*ret_body = NULL;
			return 0;
		}
		if (!parsed) {
			fprintf(stderr, "consentctl: the daemon sent a response that is not JSON (HTTP %ld): %s\n",
			    status, err);
			return -EBADMSG;
		}
	}
	*ret_status = status;
	*ret_body = parsed;
	return 0;
}

static void
pending_done(struct cli_pending *p)
{
	conn_close(&p->c);
	cli_response_free(&p->resp);
}

/* A request whose body is JSON text already. Without ok_body, the
 * answer's body is parsed only when the status is not 2xx (*ret_body is
 * NULL otherwise). */
static int
request_text(struct cli_ctx *ctx, const char *method, const char *path,
    const char *payload, size_t payload_len, bool ok_body, long *ret_status,
    json_t **ret_body)
{
	struct cli_pending p = { .c = { .fd = -1 } };
	int r;

	cli_response_init(&p.resp, CLI_MAX_RESPONSE);
	r = request_start(ctx, method, path, payload, payload_len, NULL, &p);
	if (r >= 0)
		r = request_finish(&p, ok_body, ret_status, ret_body);
	pending_done(&p);
	return r;
}

/* The body as the request carries it: NULL for none, or -ENOMEM. */
static int
body_text(const json_t *body, char **ret)
{
	*ret = NULL;
	if (!body)
		return 0;
	*ret = json_dumps_checked(body, JSON_COMPACT | JSON_ENCODE_ANY);
	return *ret ? 0 : -ENOMEM;
}

int
cli_request(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, long *ret_status, json_t **ret_body)
{
	_cleanup_free_ char *payload = NULL;

	if (body_text(body, &payload) < 0)
		return -ENOMEM;
	return request_text(ctx, method, path, payload,
	    payload ? strlen(payload) : 0, true, ret_status, ret_body);
}

int
cli_check_url(const char *url)
{
	struct cli_target t;

	return parse_url(url, &t);
}

/* cli_call()'s exit status for a complete answer; ret NULL when the
 * answer's body is not needed (then it is parsed only to report an
 * error). */
static int
pending_result(struct cli_ctx *ctx, struct cli_pending *p, json_t **ret)
{
	json_t *resp = NULL;
	long status = 0;
	int r;

	if (request_finish(p, ret != NULL, &status, &resp) < 0)
		return EXIT_UNAVAILABLE;
	if (status < 200 || status >= 300) {
		r = cli_report_error(ctx, status, resp);
		json_decref(resp);
		return r;
	}
	if (!ret)
		return EXIT_OK;
	if (!resp) {
		fprintf(stderr, "consentctl: empty response from the daemon\n");
		return EXIT_UNAVAILABLE;
	}
	*ret = resp;
	return EXIT_OK;
}

/* cli_call() of a text body. */
static int
call_text(struct cli_ctx *ctx, const char *method, const char *path,
    const char *payload, size_t payload_len, json_t **ret)
{
	struct cli_pending p = { .c = { .fd = -1 } };
	int r;

	cli_response_init(&p.resp, CLI_MAX_RESPONSE);
	r = request_start(ctx, method, path, payload, payload_len, NULL, &p);
	r = r < 0 ? EXIT_UNAVAILABLE : pending_result(ctx, &p, ret);
	pending_done(&p);
	return r;
}

int
cli_call_text_queued(struct cli_ctx *ctx, const char *path,
    const char *payload, size_t payload_len, const char *after,
    struct cli_pending **ret_pending, char queued[CLI_QUEUED_MAX])
{
	struct cli_pending *p;
	char extra[64 + CLI_QUEUED_MAX];
	int r;

	*ret_pending = NULL;
	queued[0] = '\0';
	if (after && (!cli_header_safe(after) || strlen(after) >= CLI_QUEUED_MAX))
		return EXIT_UNAVAILABLE;
	p = calloc(1, sizeof(*p));
	if (!p)
		return EXIT_UNAVAILABLE;
	p->c.fd = -1;
	cli_response_init(&p->resp, CLI_MAX_RESPONSE);
	p->resp.stop_at_queued = true;
	snprintf(extra, sizeof(extra), "Consentd-Ack: queued\r\n%s%s%s",
	    after ? "Consentd-After: " : "", after ? after : "",
	    after ? "\r\n" : "");
	r = request_start(ctx, "POST", path, payload, payload_len, extra, p);
	if (r == 1 && cli_header_safe(p->resp.queued)) {
		snprintf(queued, CLI_QUEUED_MAX, "%s", p->resp.queued);
		*ret_pending = p;
		return EXIT_OK;
	}
	if (r == 1)
		return cli_pending_finish(ctx, p); /* frees p */
	r = r < 0 ? EXIT_UNAVAILABLE : pending_result(ctx, p, NULL);
	pending_done(p);
	free(p);
	return r;
}

int
cli_pending_finish(struct cli_ctx *ctx, struct cli_pending *p)
{
	int r = cli_response_resume(&p->resp);

	if (r == 0)
		r = read_response(&p->c, &p->resp, &p->status);
	else if (r == 1) {
		p->status = cli_response_status(&p->resp);
		r = 0;
	} else if (r < 0)
		r = conn_fail(&p->c, r, "the response is not valid HTTP: %s",
		    cli_response_error(&p->resp));
	if (r < 0 && !ctx->quiet)
		fprintf(stderr, "consentctl: cannot reach consentd at %s: %s\n",
		    ctx->url ? ctx->url : ctx->socket_path, p->c.err);
	r = r < 0 ? EXIT_UNAVAILABLE : pending_result(ctx, p, NULL);
	pending_done(p);
	free(p);
	return r;
}

int
cli_call(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, json_t **ret)
{
	_cleanup_free_ char *payload = NULL;

	if (body_text(body, &payload) < 0)
		return EXIT_UNAVAILABLE;
	return call_text(ctx, method, path, payload,
	    payload ? strlen(payload) : 0, ret);
}

int
cli_call_text(struct cli_ctx *ctx, const char *method, const char *path,
    const char *payload, size_t payload_len)
{
	return call_text(ctx, method, path, payload, payload_len, NULL);
}

char *
cli_escape_path(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(0);

	if (buf_reserve(&b, strlen(s) * 3 + 1) < 0)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			b.data[b.len++] = (char)ch;
			continue;
		}
		b.data[b.len++] = '%';
		b.data[b.len++] = hex[ch >> 4];
		b.data[b.len++] = hex[ch & 15];
	}
	b.data[b.len] = '\0';
	return buf_steal(&b);
}
