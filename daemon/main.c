/* consentd: start-up, signals, reload, and the event loop. */
#include "config.h"

#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "consentd.h"
#include "log.h"

/* Command-line values, which override the file on start and on reload. */
struct options {
	const char *config_path;   /* NULL: the default path if it exists */
	bool config_explicit;
	const char *state_dir;
	const char *socket_path;
	const char *policies_dir;
	bool check_only;
	bool foreground;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: consentd [OPTIONS]\n"
	    "\n"
	    "Consent and compliance auditing daemon.\n"
	    "\n"
	    "  -c, --config FILE     configuration file (default %s;\n"
	    "                        without one, an embedded default is used)\n"
	    "  -s, --state-dir DIR   ledger and keys directory\n"
	    "  -S, --socket PATH     Unix socket to listen on\n"
	    "  -p, --policies DIR    policies directory\n"
	    "  -n, --check           check the configuration and policies, then exit\n"
	    "  -f, --foreground      stay in the foreground (the only mode; for scripts)\n"
	    "  -d, --debug           log at debug level\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n"
	    "\n"
	    "See consentd(8) and consentd.yaml(5).\n",
	    CONSENTD_DEFAULT_CONFIG);
}

static int
set_string(char **field, const char *value)
{
	char *copy;

	if (!value)
		return 0;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Builds the configuration: embedded default, then the file, then flags.
 * Diagnostics go to d. */
static int
load_config(const struct options *o, struct config **ret, struct diag *d)
{
	_cleanup_(config_freep) struct config *c = NULL;
	const char *path = o->config_path;
	int r;

	c = config_new_default();
	if (!c)
		return -ENOMEM;
	if (!o->config_explicit && access(path, F_OK) < 0)
		path = NULL; /* no file at all: the embedded default */
	if (path) {
		r = config_load_file(c, path, d);
		if (r < 0)
			return r;
	}
	if (set_string(&c->state_dir, o->state_dir) < 0 ||
	    set_string(&c->socket_path, o->socket_path) < 0 ||
	    set_string(&c->policies_dir, o->policies_dir) < 0)
		return -ENOMEM;
	r = config_resolve_paths(c);
	if (r < 0) {
		diag_add(d, path ? path : "<embedded>", 0, 0,
		    "cannot determine default paths (set state_dir): %s",
		    strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
absolutize(const char **path)
{
	static char *owned[4];
	static size_t n;
	char cwd[4096];
	char *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)) || n >= ELEMENTSOF(owned))
		return -errno;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	owned[n++] = abs; /* lives as long as the options */
	*path = abs;
	return 0;
}

/* One daemon per state directory: a second one would fight over the
 * ledger. The lock lives as long as the process. */
static int
lock_state_dir(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/consentd.lock", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		/* A read-only directory: the ledger will say so; a lock
		 * on a read-only descriptor still excludes others. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_error_errno(errno,
		    "Refusing to start: cannot lock the state directory ('%s'): %m",
		    path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return log_error_errno(EBUSY,
			    "Another consentd is using the state directory '%s'",
			    dir);
		return log_error_errno(e, "Failed to lock '%s': %m", path);
	}
	return 0; /* fd stays open: the lock holds until exit */
}

static struct options opts = {
	.config_path = CONSENTD_DEFAULT_CONFIG,
};

/* Stopping waits for work in progress (checks being evaluated, appends
 * queued) so that every request read is answered, checking every 10 ms;
 * then the loop runs a little longer to send the last answers. */
#define STOP_TICK_USEC (10 * USEC_PER_MSEC)
#define STOP_FLUSH_USEC (50 * USEC_PER_MSEC)

static bool
work_in_progress(struct daemon *d)
{
	return workers_outstanding(d->workers) > 0 ||
	    ledger_service_outstanding(d->ledger) > 0;
}

static void
on_stop_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval flush = { .tv_usec = STOP_FLUSH_USEC };

	if (!work_in_progress(d)) {
		event_del(d->stop_tick);
		event_base_loopexit(d->base, &flush);
	} else if (now_monotonic() >= d->stop_deadline) {
		log_warning("Work still in progress after http.timeout (%llu ms): stopping without answering it",
		    (unsigned long long)(d->config->request_timeout /
			USEC_PER_MSEC));
		event_del(d->stop_tick);
		event_base_loopexit(d->base, NULL);
	}
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tick = { .tv_usec = STOP_TICK_USEC };
	const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";

	if (d->stopping) {
		log_info("Received %s again, stopping now", name);
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->stopping = true;
	server_stop_accepting(d->server);
	notify_send("STOPPING=1\nSTATUS=Stopping");
	if (!work_in_progress(d)) {
		log_info("Received %s, stopping", name);
		event_base_loopexit(d->base, NULL);
		return;
	}
	log_info("Received %s, stopping once the work in progress is answered",
	    name);
	d->stop_deadline = now_monotonic() + d->config->request_timeout;
	d->stop_tick = event_new(d->base, -1, EV_PERSIST, on_stop_tick, d);
	if (!d->stop_tick || event_add(d->stop_tick, &tick) < 0)
		event_base_loopexit(d->base, NULL);
}

static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct config *next = NULL;
	struct diag diag = { 0 };
	int r;

	notify_sendf("RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)now_monotonic());
	r = load_config(&opts, &next, &diag);
	if (r < 0) {
		diag_print(&diag, stderr);
		log_error("Reload failed; keeping the previous configuration");
		alerts_emit(d, "reload.failed",
		    "consentd: reload failed; the previous configuration stays active",
		    NULL);
		d->reload_failures++;
		notify_send("READY=1\nSTATUS=Reload failed; previous configuration active");
		diag_clear(&diag);
		return;
	}
	{
		struct policy_set *ps = NULL;
		r = policy_set_load(next->policies_dir, &ps, &diag);
		if (r < 0) {
			diag_print(&diag, stderr);
			log_error("Reload failed: the policies have errors; keeping the previous configuration and policies");
			alerts_emit(d, "reload.failed",
			    "consentd: reload failed: the policies have errors; the previous ones stay active",
			    NULL);
			d->reload_failures++;
			notify_send("READY=1\nSTATUS=Reload failed; previous configuration active");
			diag_clear(&diag);
			config_free(next);
			return;
		}
		config_keep_restart_only(next, d->config);
		config_free(d->config);
		d->config = next;
		policies_activate(d, ps);
	}
	log_set_max_level(log_level_from_string(d->config->log_level));
	server_apply_limits(d->server, d->config);
	ledger_service_configure(d->ledger, d->config);
	d->reloads++;
	log_info("Reloaded configuration from %s", d->config->source);
	notify_send("READY=1\nSTATUS=Serving");
	diag_clear(&diag);
}

static void
on_expire_tick(evutil_socket_t fd, short what, void *arg)
{
	budget_expire_tick(arg);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

static int
run(struct daemon *d)
{
	struct event *ev_term, *ev_int, *ev_hup, *ev_wd = NULL, *ev_expire;
	struct timeval one_second = { .tv_sec = 1 };
	usec_t wd = notify_watchdog_usec();
	int r;

	r = mkdir_p(d->config->state_dir, 0700);
	if (r < 0)
		return log_error_errno(r, "Failed to create state directory '%s': %m",
		    d->config->state_dir);
	{
		_cleanup_free_ char *dir = strdup(d->config->socket_path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (!dir)
			return -ENOMEM;
		if (slash && slash != dir) {
			*slash = '\0';
			r = mkdir_p(dir, 0755);
			if (r < 0)
				return log_error_errno(r,
				    "Failed to create socket directory '%s': %m",
				    dir);
		}
	}
	r = lock_state_dir(d->config->state_dir);
	if (r < 0)
		return r;
	r = ledger_service_start(d, &d->ledger);
	if (r < 0)
		return r;
	{
		struct policy_set *ps = NULL;
		struct diag diag = { 0 };
		r = policy_set_load(d->config->policies_dir, &ps, &diag);
		diag_print(&diag, stderr);
		diag_clear(&diag);
		if (r < 0)
			return log_error_errno(r,
			    "Refusing to start: the policies in '%s' have errors",
			    d->config->policies_dir);
		r = policies_activate(d, ps);
		if (r < 0)
			return log_error_errno(r, "Failed to record the policies: %m");
	}
	r = alerts_start(d);
	if (r < 0)
		return log_error_errno(r, "Failed to set up alerts: %m");
	r = workers_start((size_t)d->config->workers, 1024, &d->workers);
	if (r < 0)
		return log_error_errno(r, "Failed to start worker threads: %m");
	r = server_new(d, &d->server);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the HTTP server: %m");
	r = server_listen(d->server, d->config);
	if (r < 0)
		return r;

	ev_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	ev_int = evsignal_new(d->base, SIGINT, on_stop, d);
	ev_hup = evsignal_new(d->base, SIGHUP, on_reload, d);
	if (!ev_term || !ev_int || !ev_hup)
		return log_error_errno(ENOMEM, "Failed to set up signals");
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	ev_expire = event_new(d->base, -1, EV_PERSIST, on_expire_tick, d);
	if (!ev_expire)
		return log_error_errno(ENOMEM, "Failed to set up timers");
	event_add(ev_expire, &one_second);
	if (wd > 0) {
		struct timeval tv = { .tv_sec = wd / 2 / USEC_PER_SEC,
			.tv_usec = wd / 2 % USEC_PER_SEC };
		ev_wd = event_new(d->base, -1, EV_PERSIST, on_watchdog, NULL);
		if (!ev_wd)
			return log_error_errno(ENOMEM, "Failed to set up watchdog");
		event_add(ev_wd, &tv);
	}

	log_info("consentd %s ready (state %s)", PACKAGE_VERSION,
	    d->config->state_dir);
	notify_send("READY=1\nSTATUS=Serving");
	r = event_base_dispatch(d->base);

	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(ev_expire);
	if (ev_wd)
		event_free(ev_wd);
	if (d->stop_tick)
		event_free(d->stop_tick);
	log_info("Stopped");
	return r < 0 ? -EIO : 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "policies", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct daemon d = { 0 };
	struct diag diag = { 0 };
	bool debug = false;
	int c, r;

	log_setup("consentd");
	while ((c = getopt_long(argc, argv, "c:s:S:p:nfdhV", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			opts.config_explicit = true;
			break;
		case 's':
			opts.state_dir = optarg;
			break;
		case 'S':
			opts.socket_path = optarg;
			break;
		case 'p':
			opts.policies_dir = optarg;
			break;
		case 'n':
			opts.check_only = true;
			break;
		case 'f':
			opts.foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("consentd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "consentd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Relative paths on the command line are relative to the working
	 * directory at start, not to wherever the daemon runs later. */
	if (absolutize(&opts.state_dir) < 0 || absolutize(&opts.socket_path) < 0 ||
	    absolutize(&opts.policies_dir) < 0 ||
	    (opts.config_explicit && absolutize(&opts.config_path) < 0))
		fatal("Out of memory");

	r = load_config(&opts, &d.config, &diag);
	if (r < 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		if (opts.check_only)
			return 1;
		log_error("Failed to load the configuration");
		return 1;
	}
	diag_clear(&diag);
	log_set_max_level(debug ? LOG_DEBUG :
				  log_level_from_string(d.config->log_level));
	if (opts.check_only) {
		struct policy_set *ps = NULL;
		r = policy_set_load(d.config->policies_dir, &ps, &diag);
		diag_print(&diag, stderr);
		diag_clear(&diag);
		if (r < 0) {
			fprintf(stderr, "%s: policies have errors\n",
			    d.config->policies_dir);
			config_free(d.config);
			return 1;
		}
		printf("%s: configuration ok\n%s: %zu policies ok\n",
		    d.config->source, d.config->policies_dir, ps->n);
		policy_set_unref(ps);
		config_free(d.config);
		return 0;
	}

	/* The ledger, keys and secrets are private to the daemon. */
	umask(0077);
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit must show as EFBIG on write, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	if (evthread_use_pthreads() < 0)
		fatal("Failed to enable libevent threading");
	d.base = event_base_new();
	if (!d.base)
		fatal("Failed to create the event loop");
	d.started_at = now_realtime();
	r = run(&d);
	/* Checks in progress finish, queued appends are committed and
	 * answered (the server is still there to send the answers), and
	 * only then do the connections go. */
	workers_stop(d.workers);
	d.workers = NULL;
	ledger_service_drain(d.ledger);
	alerts_stop(&d);
	server_free(d.server);
	ledger_service_stop(d.ledger);
	policy_set_unref(d.policies);
	free(d.metrics);
	event_base_free(d.base);
	config_free(d.config);
	libevent_global_shutdown();
	return r < 0 ? 1 : 0;
}
