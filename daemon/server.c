/* HTTP/1.1 on libevent's evhttp, over a Unix socket: routing, limits, and
 * JSON responses. */
#include "config.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <strings.h>
#include <sys/queue.h>
#include <event2/listener.h>
#include <event2/bufferevent.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "consentd.h"
#include "json.h"
#include "log.h"

struct server {
	struct daemon *daemon;
	struct evhttp *http;
	struct tls *tls;      /* optional TCP + TLS listener */
	struct evconnlistener *listener;
	char *bound_path; /* socket file we created, removed on exit */
};

typedef void (*route_fn)(struct daemon *d, struct evhttp_request *req,
    const char *rest);

struct route {
	enum evhttp_cmd_type method;
	const char *path;
	bool prefix;  /* path is a prefix; the remainder goes to the handler */
	route_fn fn;
	unsigned role; /* needed to call it; 0: anyone who can connect */
};

static void route_health(struct daemon *d, struct evhttp_request *req,
    const char *rest);
static void route_version(struct daemon *d, struct evhttp_request *req,
    const char *rest);

static const struct route routes[] = {
	{ EVHTTP_REQ_GET, "/v1/health", false, route_health, 0 },
	{ EVHTTP_REQ_GET, "/v1/version", false, route_version, 0 },
	{ EVHTTP_REQ_POST, "/v1/consents", false,
	    route_consents_post, ROLE_RECORDER },
	{ EVHTTP_REQ_GET, "/v1/consents/", true,
	    route_consents_get, ROLE_AUDITOR },
	{ EVHTTP_REQ_POST, "/v1/subjects/erase", false,
	    route_subject_erase, ROLE_ADMIN },
	{ EVHTTP_REQ_GET, "/v1/checkpoint", false,
	    route_checkpoint, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/ledger/key", false,
	    route_ledger_key, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/proof/inclusion", false,
	    route_proof_inclusion, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/proof/consistency", false,
	    route_proof_consistency, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/entries", false, route_entries, ROLE_AUDITOR },
	{ EVHTTP_REQ_POST, "/v1/ledger/reindex", false,
	    route_ledger_reindex, ROLE_ADMIN },
	{ EVHTTP_REQ_POST, "/v1/ledger/verify", false,
	    route_ledger_verify, ROLE_AUDITOR },
	{ EVHTTP_REQ_POST, "/v1/check", false, route_check_post, ROLE_CHECKER },
	{ EVHTTP_REQ_POST, "/v1/jobs/finish", false,
	    route_job_finish, ROLE_CHECKER },
	{ EVHTTP_REQ_GET, "/v1/budgets", true, route_budgets, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/metrics", false, route_metrics, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/lineage/", true, route_lineage, ROLE_AUDITOR },
	{ EVHTTP_REQ_GET, "/v1/impact", false, route_impact, ROLE_AUDITOR },
	{ EVHTTP_REQ_POST, "/v1/replay", false, route_replay, ROLE_AUDITOR },
};

void
server_reply_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char *text = body ? json_dumps_checked(body, JSON_COMPACT) : NULL;

	if (!text) {
		status = 500;
		evbuffer_add_printf(out,
		    "{\"error\":{\"code\":\"internal\",\"message\":\"Out of memory\"}}");
	} else {
		evbuffer_add(out, text, strlen(text));
		free(text);
	}
	evbuffer_add(out, "\n", 1);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, status, NULL, NULL);
	json_decref(body);
}

void
server_reply_buffer(struct evhttp_request *req, int status,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evbuffer_add_buffer(evhttp_request_get_output_buffer(req), body);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, status, NULL, NULL);
}

void
server_reply_error(struct evhttp_request *req, enum err_code code,
    const char *fmt, ...)
{
	const struct err_info *info = err_info(code);
	char msg[512];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	server_reply_json(req, info->http_status,
	    json_error_body(code, fmt ? msg : NULL));
}

/*
 * libevent answers the requests its parser rejects before routing (a
 * request line or headers it cannot parse, headers over the size limit, a
 * body over it, a method outside the allowed set) by calling its public
 * evhttp_send_error(), which writes an HTML page, and libevent 2.1 offers
 * no hook to change that page. This definition in the daemon takes its
 * place (libevent calls it through its PLT, so the executable's definition
 * wins, for libevent's own calls as for ours) and answers every such
 * request with the JSON error body of every other error. It keeps what
 * libevent's does: HTTP/1.1 when the request line gave no usable version,
 * and "Connection: close", since after a parse error the connection cannot
 * carry another request. tests/integration/test_daemon.py checks each of
 * those answers, so a libevent that stopped honouring this would fail the
 * suite rather than silently send HTML.
 */
void
evhttp_send_error(struct evhttp_request *req, int status, const char *reason)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	enum err_code code;
	const char *msg;
	json_t *body;
	char *text;

	switch (status) {
	case HTTP_ENTITYTOOLARGE:
		code = ERR_PAYLOAD_TOO_LARGE;
		msg = "Request headers or body exceed the maximum size";
		break;
	case HTTP_NOTIMPLEMENTED:
		code = ERR_NOT_IMPLEMENTED;
		msg = "No endpoint accepts this method";
		break;
	case HTTP_BADREQUEST:
		code = ERR_BAD_REQUEST;
		msg = "Malformed request line or headers";
		break;
	default:
		code = status >= 500 ? ERR_INTERNAL : ERR_BAD_REQUEST;
		msg = NULL;
		break;
	}
	if (req->major != 1 || req->minor > 1) {
		req->major = 1;
		req->minor = 1;
	}
	body = json_error_body(code, msg);
	text = body ? json_dumps_checked(body, JSON_COMPACT) : NULL;
	json_decref(body);
	evhttp_clear_headers(h);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Connection", "close");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "%s\n",
	    text ? text : "{\"error\":{\"code\":\"internal\","
	    "\"message\":\"Out of memory\"}}");
	free(text);
	evhttp_send_reply(req, status, reason, NULL);
}

static void
route_health(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	char since[TIME_RFC3339_MAX];

	server_reply_json(req, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "status", "ok",
		"version", PACKAGE_VERSION, "started_at",
		time_format_rfc3339(d->started_at, since), "uptime_seconds",
		(json_int_t)((now_realtime() - d->started_at) / USEC_PER_SEC),
		"requests", (json_int_t)d->requests, "config",
		d->config->source));
}

static void
route_version(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	server_reply_json(req, 200,
	    json_pack("{s:s, s:s, s:s}", "name", PACKAGE_NAME, "version",
		PACKAGE_VERSION, "api", "v1"));
}

int
server_read_json(struct evhttp_request *req, size_t max, json_t **ret)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	size_t len = evbuffer_get_length(in);
	char err[256];
	json_t *v;
	unsigned char *data;

	if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
		server_reply_error(req, ERR_UNSUPPORTED_MEDIA_TYPE, NULL);
		return -EINVAL;
	}
	if (len > max) {
		server_reply_error(req, ERR_PAYLOAD_TOO_LARGE,
		    "Request body of %zu bytes exceeds %zu", len, max);
		return -E2BIG;
	}
	data = evbuffer_pullup(in, (ev_ssize_t)len);
	if (!data && len > 0) {
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return -ENOMEM;
	}
	v = json_parse((const char *)(data ? (const char *)data : ""), len, err,
	    sizeof(err));
	if (!v) {
		server_reply_error(req, ERR_INVALID_JSON, "Invalid JSON: %s", err);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int
server_send_processing(struct evhttp_request *req, const char *header)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) :
					NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	char line[256];
	ssize_t n;
	int len;

	/* On TLS the bytes go through OpenSSL, and evhttp sends nothing of
	 * its own before the final answer: the interim one is written to the
	 * socket directly, ahead of everything, or not at all. */
	if (fd < 0 || tls_request_is_tls(req))
		return -ENOTSUP;
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return -EBUSY;
	len = snprintf(line, sizeof(line), "HTTP/1.1 102 Processing\r\n%s\r\n\r\n",
	    header);
	if (len < 0 || (size_t)len >= sizeof(line))
		return -E2BIG;
	n = send(fd, line, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	/* The rest goes out just before the final answer. */
	if (n < len && bufferevent_write(bev, line + n, (size_t)(len - n)) < 0)
		return -ENOMEM;
	return 0;
}

int
server_query(struct evhttp_request *req, struct evkeyvalq *ret)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

	TAILQ_INIT(ret);
	if (q && evhttp_parse_query_str(q, ret) < 0) {
		server_reply_error(req, ERR_BAD_REQUEST, "Malformed query string");
		return -EINVAL;
	}
	return 0;
}

int
server_query_u64(struct evhttp_request *req, struct evkeyvalq *q,
    const char *name, bool required, uint64_t *ret)
{
	const char *v = evhttp_find_header(q, name);
	char *end;
	unsigned long long n;

	if (!v) {
		if (!required)
			return 0;
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Missing query parameter '%s'", name);
		return -EINVAL;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *v == '-' || *v == '+' || *end || errno ||
	    n > (unsigned long long)INT64_MAX) {
		server_reply_error(req, ERR_INVALID_ARGUMENT,
		    "Query parameter '%s' must be a non-negative integer", name);
		return -EINVAL;
	}
	*ret = n;
	return 1;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "OTHER";
	}
}

/* Matches a principal ("name", "@group", "1001", "@1001") against a
 * user and its groups. */
static bool
principal_matches(const char *p, uid_t uid, const gid_t *groups, int ngroups)
{
	bool group = *p == '@';
	char *end;
	unsigned long n;
	gid_t g;

	if (group)
		p++;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (!group) {
		if (*end == '\0' && !errno)
			return (uid_t)n == uid;
		struct passwd *pw = getpwnam(p);
		return pw && pw->pw_uid == uid;
	}
	if (*end == '\0' && !errno)
		g = (gid_t)n;
	else {
		struct group *gr = getgrnam(p);
		if (!gr)
			return false;
		g = gr->gr_gid;
	}
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == g)
			return true;
	return false;
}

unsigned
access_roles_for_uid(const struct config *c, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	int ngroups = (int)ELEMENTSOF(groups);
	struct passwd *pw;
	unsigned roles = 0;

	if (uid == 0 || uid == geteuid())
		return ROLE_ALL;
	groups[0] = gid;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, gid, groups, &ngroups) < 0)
		ngroups = 1;
	for (size_t i = 0; i < c->naccess; i++)
		if (principal_matches(c->access[i].principal, uid, groups, ngroups))
			roles |= c->access[i].roles;
	return roles;
}

/* The roles of the peer of a Unix-socket connection (SO_PEERCRED). A
 * connection whose peer cannot be identified has none. */
static unsigned
request_roles(struct server *s, struct evhttp_request *req, uid_t *ret_uid)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) :
					NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned tls_roles;
	char who[128];

	*ret_uid = (uid_t)-1;
	if (tls_request_roles(s->daemon->config, req, &tls_roles, who,
		sizeof(who)) == 0)
		return tls_roles;
	if (fd < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return 0;
	*ret_uid = cred.uid;
	return access_roles_for_uid(s->daemon->config, cred.uid, cred.gid);
}

static void
server_dispatch(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	bool path_known = false;

	s->daemon->requests++;
	if (s->daemon->stopping) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		server_reply_error(req, ERR_UNAVAILABLE, "consentd is stopping");
		return;
	}
	if (!path || path[0] != '/') {
		server_reply_error(req, ERR_BAD_REQUEST, "Malformed request URI");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		const char *rest;

		if (r->prefix) {
			if (strncmp(path, r->path, n) != 0)
				continue;
			rest = path + n;
		} else {
			if (strcmp(path, r->path) != 0)
				continue;
			rest = "";
		}
		path_known = true;
		if (r->method != method)
			continue;
		if (r->role) {
			uid_t uid;
			unsigned roles = request_roles(s, req, &uid);
			if (!(roles & r->role)) {
				/* Refused before anything is read or written. */
				log_notice("Refused %s %s for uid %ld: needs role %s",
				    method_name(method), path, (long)(int)uid,
				    role_name(r->role));
				server_reply_error(req, ERR_FORBIDDEN,
				    "This needs the %s role", role_name(r->role));
				return;
			}
		}
		log_debug("%s %s", method_name(method), path);
		r->fn(s->daemon, req, rest);
		return;
	}
	if (path_known) {
		char allow[32] = "";
		for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
			const struct route *r = &routes[i];
			if (r->prefix ? strncmp(path, r->path, strlen(r->path)) :
					strcmp(path, r->path))
				continue;
			if (!strstr(allow, method_name(r->method)))
				snprintf(allow + strlen(allow),
				    sizeof(allow) - strlen(allow), "%s%s",
				    *allow ? ", " : "", method_name(r->method));
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    allow);
		server_reply_error(req, ERR_METHOD_NOT_ALLOWED,
		    "Method %s not allowed on '%s'", method_name(method), path);
		return;
	}
	server_reply_error(req, ERR_NOT_FOUND, "No such endpoint");
}

int
server_new(struct daemon *d, struct server **ret)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->daemon = d;
	s->http = evhttp_new(d->base);
	if (!s->http) {
		free(s);
		return -ENOMEM;
	}
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(s->http, server_dispatch, s);
	evhttp_set_default_content_type(s->http, "application/json");
	/* An oversized body gets a 413 and is drained, rather than a reset
	 * that the client may see before it reads the status. */
	evhttp_set_flags(s->http, EVHTTP_SERVER_LINGERING_CLOSE);
	*ret = s;
	return 0;
}

void
server_apply_limits(struct server *s, const struct config *c)
{
	struct timeval tv = {
		.tv_sec = c->request_timeout / USEC_PER_SEC,
		.tv_usec = c->request_timeout % USEC_PER_SEC,
	};

	evhttp_set_max_body_size(s->http, (ev_ssize_t)c->max_request_bytes);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)c->max_header_bytes);
	evhttp_set_timeout_tv(s->http, &tv);
	tls_apply_limits(s->tls, c);
}

/* Refuses to steal the socket of a running daemon; removes a stale one. */
static int
server_unlink_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
server_bind_unix(struct server *s, const struct config *c, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	const char *path = c->socket_path;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(ENAMETOOLONG,
		    "Socket path '%s' is too long", path);
	r = server_unlink_stale(path);
	if (r == -EADDRINUSE)
		return log_error_errno(r,
		    "Another consentd is already listening on '%s'", path);
	if (r < 0)
		return log_error_errno(r, "Failed to prepare socket '%s': %m",
		    path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(errno, "Failed to create socket: %m");
	/* Never expose the socket, even briefly, beyond its final mode. */
	old = umask(0777 & ~(mode_t)c->socket_mode);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return log_error_errno(errno, "Failed to bind '%s': %m", path);
	if (chmod(path, (mode_t)c->socket_mode) < 0)
		return log_error_errno(errno, "Failed to chmod '%s': %m", path);
	if (c->socket_group && *c->socket_group) {
		struct group *g = getgrnam(c->socket_group);
		if (!g)
			return log_error_errno(ENOENT,
			    "Socket group '%s' does not exist", c->socket_group);
		if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			return log_error_errno(errno,
			    "Failed to give '%s' to group '%s': %m", path,
			    c->socket_group);
	}
	if (listen(fd, 128) < 0)
		return log_error_errno(errno, "Failed to listen on '%s': %m",
		    path);
	s->bound_path = strdup(path);
	if (!s->bound_path)
		return -ENOMEM;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int
server_listen(struct server *s, const struct config *c)
{
	int fd = -1, r;

	r = notify_listen_fds(&fd);
	if (r < 0)
		return log_error_errno(r, "Failed to take activated sockets: %m");
	if (r > 0) {
		log_info("Using the socket passed by systemd");
		evutil_make_socket_nonblocking(fd);
	} else {
		r = server_bind_unix(s, c, &fd);
		if (r < 0)
			return r;
		log_info("Listening on '%s'", c->socket_path);
	}
	s->listener = evconnlistener_new(s->daemon->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!s->listener) {
		close(fd);
		return log_error_errno(ENOMEM, "Failed to create listener");
	}
	if (!evhttp_bind_listener(s->http, s->listener))
		return log_error_errno(ENOMEM, "Failed to bind HTTP listener");
	if (c->tls_listen && *c->tls_listen) {
		r = tls_start(s->daemon, server_dispatch, s, &s->tls);
		if (r < 0)
			return r;
	}
	server_apply_limits(s, c);
	return 0;
}

void
server_stop_accepting(struct server *s)
{
	if (!s)
		return;
	if (s->listener)
		evconnlistener_disable(s->listener);
	tls_stop_accepting(s->tls);
}

void
server_free(struct server *s)
{
	if (!s)
		return;
	tls_stop(s->tls);
	/* evhttp_free frees the bound listener too. */
	if (s->http)
		evhttp_free(s->http);
	if (s->bound_path) {
		unlink(s->bound_path);
		free(s->bound_path);
	}
	free(s);
}
