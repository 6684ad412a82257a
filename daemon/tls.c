/* The optional TCP listener with TLS (OpenSSL through libevent_openssl):
 * TLS 1.2 or later, client certificates mapped to roles (mutual TLS), and
 * bearer tokens stored as SHA-256 hashes. */
#include "config.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "consentd.h"
#include "crypto.h"
#include "log.h"

struct tls {
	SSL_CTX *ctx;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event_base *base;
};

static struct bufferevent *
tls_bevcb(struct event_base *base, void *arg)
{
	struct tls *t = arg;
	SSL *ssl = SSL_new(t->ctx);

	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
}

/* The private key must not be readable by others. */
static int
tls_check_key_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return log_error_errno(errno, "Cannot read TLS key '%s': %m", path);
	if (st.st_mode & 0077)
		return log_error_errno(EPERM,
		    "TLS key '%s' is accessible by group or others (mode %04o); refusing it",
		    path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int
tls_start(struct daemon *d, evhttp_cb dispatch, void *dispatch_arg,
    struct tls **ret)
{
	const struct config *c = d->config;
	_cleanup_free_ char *host = NULL;
	struct tls *t;
	const char *colon;
	char *end;
	long port;
	int r;

	colon = strrchr(c->tls_listen, ':');
	if (!colon)
		return log_error_errno(EINVAL, "tls.listen must be HOST:PORT");
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return log_error_errno(EINVAL, "tls.listen has a bad port");
	host = strndup(c->tls_listen, (size_t)(colon - c->tls_listen));
	if (!host)
		return -ENOMEM;
	if (!c->tls_cert || !c->tls_key)
		return log_error_errno(EINVAL,
		    "tls.listen needs tls.certificate and tls.key");
	r = tls_check_key_file(c->tls_key);
	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->base = d->base;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx)
		goto ssl_fail;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, c->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->ctx, c->tls_key, SSL_FILETYPE_PEM) !=
		1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1)
		goto ssl_fail;
	if (c->tls_client_ca && *c->tls_client_ca) {
		if (SSL_CTX_load_verify_locations(t->ctx, c->tls_client_ca,
			NULL) != 1)
			goto ssl_fail;
		/* A certificate is asked for, not required: a bearer token
		 * may identify the client instead. One that is presented
		 * must verify. */
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	}
	t->http = evhttp_new(d->base);
	if (!t->http) {
		tls_stop(t);
		return -ENOMEM;
	}
	evhttp_set_bevcb(t->http, tls_bevcb, t);
	evhttp_set_gencb(t->http, dispatch, dispatch_arg);
	evhttp_set_allowed_methods(t->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_flags(t->http, EVHTTP_SERVER_LINGERING_CLOSE);
	tls_apply_limits(t, c);
	t->bound = evhttp_bind_socket_with_handle(t->http, host, (uint16_t)port);
	if (!t->bound) {
		r = -errno ? -errno : -EADDRINUSE;
		tls_stop(t);
		return log_error_errno(r, "Failed to listen on %s: %m",
		    c->tls_listen);
	}
	log_info("Listening on %s (TLS%s)", c->tls_listen,
	    c->tls_client_ca && *c->tls_client_ca ? ", client certificates" : "");
	*ret = t;
	return 0;
ssl_fail:
	log_error("Failed to set up TLS: %s", crypto_openssl_error());
	tls_stop(t);
	return -EINVAL;
}

void
tls_apply_limits(struct tls *t, const struct config *c)
{
	struct timeval tv = { .tv_sec = c->request_timeout / USEC_PER_SEC,
		.tv_usec = c->request_timeout % USEC_PER_SEC };

	if (!t)
		return;
	evhttp_set_max_body_size(t->http, (ev_ssize_t)c->max_request_bytes);
	evhttp_set_max_headers_size(t->http, (ev_ssize_t)c->max_header_bytes);
	evhttp_set_timeout_tv(t->http, &tv);
}

void
tls_stop_accepting(struct tls *t)
{
	if (t && t->bound)
		evconnlistener_disable(evhttp_bound_socket_get_listener(t->bound));
}

void
tls_stop(struct tls *t)
{
	if (!t)
		return;
	if (t->http)
		evhttp_free(t->http);
	SSL_CTX_free(t->ctx);
	free(t);
}

bool
tls_request_is_tls(struct evhttp_request *req)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) :
					NULL;

	return bev && bufferevent_openssl_get_ssl(bev);
}

/* A request's roles on a TLS connection: the client certificate's common
 * name as "cert:CN", and a bearer token's hash, each against the access
 * rules. Returns -ENOTCONN when the connection is not TLS. */
int
tls_request_roles(const struct config *c, struct evhttp_request *req,
    unsigned *ret_roles, char *who, size_t wholen)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) :
					NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *auth;
	unsigned roles = 0;
	X509 *peer;

	if (!ssl)
		return -ENOTCONN;
	snprintf(who, wholen, "tls client");
	peer = SSL_get0_peer_certificate(ssl);
	if (peer && SSL_get_verify_result(ssl) == X509_V_OK) {
		char cn[256] = "", principal[300];
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, cn, sizeof(cn));
		snprintf(principal, sizeof(principal), "cert:%s", cn);
		snprintf(who, wholen, "certificate '%s'", cn);
		for (size_t i = 0; i < c->naccess; i++)
			if (streq(c->access[i].principal, principal))
				roles |= c->access[i].roles;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth && strncmp(auth, "Bearer ", 7) == 0) {
		uint8_t h[SHA256_LEN];
		char hex[2 * SHA256_LEN + 1], principal[2 * SHA256_LEN + 8];
		sha256(auth + 7, strlen(auth + 7), h);
		hex_encode(h, sizeof(h), hex);
		snprintf(principal, sizeof(principal), "token:%s", hex);
		for (size_t i = 0; i < c->naccess; i++)
			if (strlen(c->access[i].principal) == strlen(principal) &&
			    crypto_memeq(c->access[i].principal, principal,
				strlen(principal))) {
				roles |= c->access[i].roles;
				snprintf(who, wholen, "token %.12s...", hex);
			}
	}
	*ret_roles = roles;
	return 0;
}
