/* Check benchmark helper (bench/check/run.sh).
 *
 *   check_bench exec N OUT [OPTIONS] -- CMD [ARG...]
 *     Runs CMD N times and times each run from fork to exit (wall clock,
 *     CLOCK_MONOTONIC) with the child's CPU time (wait4 rusage); every "{}"
 *     in ARGs, and in the --subst template, is the run number 1..N. Writes
 *     "wall_ms cpu_ms status" per run to OUT and a summary line to stdout.
 *       --subst TEMPLATE FILE   before each run (untimed), write TEMPLATE
 *                               with "{}" replaced to FILE
 *       --expect CODE           exit status of a successful run (default 0)
 *       --pid PID               also report the CPU time (run) and the
 *                               time runnable but waiting for a CPU (wait)
 *                               of PID's threads during the timed runs,
 *                               from /proc/PID/task/TID/schedstat: the
 *                               lowest TID is consentd's event loop, the
 *                               next its ledger writer, the rest its
 *                               workers
 *       --finish SOCKET IDFMT K after every K runs (untimed), POST
 *                               /v1/jobs/finish for their jobs (IDFMT with
 *                               "{}" replaced) and wait 150 ms, longer than
 *                               the default checkpoint interval, so that
 *                               settling never overlaps a timed run
 *
 *   check_bench post SOCKET FILE
 *     One POST /v1/check with FILE's JSON body on a new connection: a
 *     client linked only to libc. Exit 0 when the decision is allow.
 *
 *   check_bench load SOCKET CLIENTS N TEMPLATE [--finish IDFMT]
 *     CLIENTS threads on keep-alive connections POST N checks in all;
 *     request i is TEMPLATE (a JSON job) with every "{}" replaced by i. With
 *     --finish each client settles each allowed job (POST /v1/jobs/finish
 *     for IDFMT with "{}" replaced by i) before its next check, as a
 *     pipeline does after training, so open budget reservations stay at
 *     most CLIENTS. Prints decisions/s and the client-side check latency.
 *
 *   check_bench settle SOCKET IDFMT FIRST LAST
 *     POST /v1/jobs/finish for jobs FIRST..LAST (IDFMT with "{}" replaced).
 *
 *   check_bench noop
 *     Exits at once: the process-start floor of a libc-only program.
 */
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "../bench.h"

#define MAX_THREADS 64

/* s with every "{}" replaced by rep; the caller frees. */
static char *
subst(const char *s, const char *rep)
{
	size_t n = 0, rl = strlen(rep);
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, "{}")); p += 2)
		n++;
	out = malloc(strlen(s) + n * rl + 1);
	if (!out)
		return NULL;
	for (o = out; *s;) {
		if (s[0] == '{' && s[1] == '}') {
			memcpy(o, rep, rl);
			o += rl;
			s += 2;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else
			buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int r = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* HTTP/1.1 over the Unix socket. */

struct conn {
	const char *path;
	int fd;
	char *buf;
	size_t cap;
	const char *body;       /* into buf, after a response */
};

/* Sends one request on c (connecting when needed) and reads the answer;
 * returns the HTTP status or -errno. */
static int
http_post(struct conn *c, const char *target, const char *body)
{
	size_t blen = strlen(body), have = 0, need = 0;
	char head[512];
	char *eoh = NULL;
	long status, clen = -1;
	bool close_after = false;
	int hlen, r;

	if (c->fd < 0 && (c->fd = bench_connect_unix(c->path)) < 0) {
		r = c->fd;
		c->fd = -1;
		return r;
	}
	hlen = snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    target, blen);
	r = bench_send_all(c->fd, head, (size_t)hlen);
	if (r >= 0)
		r = bench_send_all(c->fd, body, blen);
	while (r >= 0 && !(eoh && have >= need)) {
		ssize_t n;
		if (have + 1 >= c->cap) {
			size_t ncap = c->cap ? 2 * c->cap : 65536;
			char *nb = realloc(c->buf, ncap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			if (eoh)
				eoh = nb + (eoh - c->buf);
			c->buf = nb;
			c->cap = ncap;
		}
		n = recv(c->fd, c->buf + have, c->cap - have - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		have += (size_t)n;
		c->buf[have] = '\0';
		if (!eoh && (eoh = strstr(c->buf, "\r\n\r\n"))) {
			for (char *l = strstr(c->buf, "\r\n"); l && l < eoh;
			     l = strstr(l + 2, "\r\n")) {
				if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
					clen = strtol(l + 17, NULL, 10);
				else if (strncasecmp(l + 2, "Connection: close",
					     17) == 0)
					close_after = true;
			}
			if (clen < 0)
				r = -EPROTO;
			need = (size_t)(eoh + 4 - c->buf) + (size_t)clen;
		}
	}
	if (r >= 0 && sscanf(c->buf, "HTTP/1.%*d %ld", &status) != 1)
		r = -EPROTO;
	if (r < 0 || close_after) {
		close(c->fd);
		c->fd = -1;
	}
	if (r < 0)
		return r;
	c->body = eoh + 4;
	return (int)status;
}

static bool
is_allow(const char *body)
{
	return strstr(body, "\"decision\":\"allow\"") ||
	    strstr(body, "\"decision\": \"allow\"");
}

/* schedstat of every thread of a process: run and wait ns. */
struct tstat {
	int tid;
	uint64_t run, wait;
};

static int
cmp_tstat(const void *a, const void *b)
{
	const struct tstat *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static size_t
read_threads(int pid, struct tstat *v, size_t max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char p[320];
		unsigned long long run, wait;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", pid,
		    de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
			v[n].tid = atoi(de->d_name);
			v[n].run = run;
			v[n].wait = wait;
			n++;
		}
		fclose(f);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_tstat);
	return n;
}

static int
settle(const char *sock, const char *idfmt, unsigned long first,
    unsigned long last)
{
	struct conn c = { .path = sock, .fd = -1 };
	int bad = 0;

	for (unsigned long i = first; i <= last; i++) {
		char num[32], body[512];
		char *id;
		int r;

		snprintf(num, sizeof(num), "%lu", i);
		id = subst(idfmt, num);
		if (!id)
			return -ENOMEM;
		snprintf(body, sizeof(body), "{\"job\":\"%s\"}", id);
		r = http_post(&c, "/v1/jobs/finish", body);
		if (r != 200 && bad++ < 3)
			fprintf(stderr, "check_bench: finish %s: %s %d\n", id,
			    r < 0 ? strerror(-r) : "HTTP", r);
		free(id);
	}
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return bad ? -EIO : 0;
}

static int
cmd_exec(int argc, char **argv)
{
	unsigned long n, finish_every = 0;
	const char *out, *tpl_path = NULL, *tpl_out = NULL, *fin_sock = NULL,
			 *fin_fmt = NULL;
	char *tpl = NULL;
	int expect = 0, pid = 0, cmd_at = -1;
	double *wall, *cpu;
	struct tstat before[MAX_THREADS], after[MAX_THREADS];
	double trun[MAX_THREADS] = { 0 }, twait[MAX_THREADS] = { 0 };
	size_t nthreads = 0, fails = 0;
	FILE *f;

	if (argc < 4)
		return 2;
	n = strtoul(argv[2], NULL, 10);
	out = argv[3];
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd_at = i + 1;
			break;
		} else if (strcmp(argv[i], "--subst") == 0 && i + 2 < argc) {
			tpl_path = argv[++i];
			tpl_out = argv[++i];
		} else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = atoi(argv[++i]);
		else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
			pid = atoi(argv[++i]);
		else if (strcmp(argv[i], "--finish") == 0 && i + 3 < argc) {
			fin_sock = argv[++i];
			fin_fmt = argv[++i];
			finish_every = strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "check_bench exec: bad option '%s'\n",
			    argv[i]);
			return 2;
		}
	}
	if (n == 0 || cmd_at < 0 || cmd_at >= argc ||
	    (fin_sock && finish_every == 0))
		return 2;
	if (tpl_path && !(tpl = read_file(tpl_path))) {
		fprintf(stderr, "check_bench: cannot read '%s'\n", tpl_path);
		return 2;
	}
	wall = calloc(n, sizeof(double));
	cpu = calloc(n, sizeof(double));
	f = fopen(out, "w");
	if (!wall || !cpu || !f)
		return 3;
	for (unsigned long i = 1; i <= n; i++) {
		char num[32];
		int nargs = argc - cmd_at, status;
		char **args = calloc((size_t)nargs + 1, sizeof(char *));
		struct rusage ru;
		double t0, t1;
		size_t nb = 0, na = 0;
		pid_t child;

		if (!args)
			return 3;
		snprintf(num, sizeof(num), "%lu", i);
		for (int k = 0; k < nargs; k++)
			if (!(args[k] = subst(argv[cmd_at + k], num)))
				return 3;
		if (tpl) {
			char *text = subst(tpl, num);
			if (!text || write_file(tpl_out, text) < 0) {
				fprintf(stderr, "check_bench: cannot write '%s'\n",
				    tpl_out);
				return 3;
			}
			free(text);
		}
		if (pid)
			nb = read_threads(pid, before, MAX_THREADS);
		t0 = bench_mono();
		child = fork();
		if (child < 0)
			return 3;
		if (child == 0) {
			int devnull = open("/dev/null", O_WRONLY);
			if (devnull >= 0)
				dup2(devnull, STDOUT_FILENO);
			execv(args[0], args);
			_exit(127);
		}
		if (wait4(child, &status, 0, &ru) < 0)
			return 3;
		t1 = bench_mono();
		if (pid) {
			na = read_threads(pid, after, MAX_THREADS);
			/* Threads matched by TID; the daemon's set is fixed. */
			if (na == nb)
				for (size_t k = 0; k < na; k++)
					if (after[k].tid == before[k].tid) {
						trun[k] += (double)(after[k].run -
						    before[k].run);
						twait[k] += (double)(after[k].wait -
						    before[k].wait);
					}
			nthreads = na;
		}
		wall[i - 1] = (t1 - t0) * 1e3;
		cpu[i - 1] = ((double)ru.ru_utime.tv_sec +
				 (double)ru.ru_stime.tv_sec) * 1e3 +
		    ((double)ru.ru_utime.tv_usec +
			(double)ru.ru_stime.tv_usec) / 1e3;
		status = WIFEXITED(status) ? WEXITSTATUS(status) :
					     128 + WTERMSIG(status);
		if (status != expect && fails++ < 3)
			fprintf(stderr, "check_bench: run %lu of %s exited %d\n",
			    i, args[0], status);
		fprintf(f, "%.3f %.3f %d\n", wall[i - 1], cpu[i - 1], status);
		for (int k = 0; k < nargs; k++)
			free(args[k]);
		free(args);
		if (fin_sock && (i % finish_every == 0 || i == n)) {
			unsigned long first = i - (i - 1) % finish_every;
			if (settle(fin_sock, fin_fmt, first, i) < 0)
				fails++;
			usleep(150000);
		}
	}
	fclose(f);
	qsort(wall, n, sizeof(double), bench_cmp_double);
	qsort(cpu, n, sizeof(double), bench_cmp_double);
	printf("n %lu fails %zu wall_p50_ms %.3f wall_p99_ms %.3f "
	       "cpu_p50_ms %.3f cpu_p99_ms %.3f",
	    n, fails, bench_quantile(wall, n, 0.5), bench_quantile(wall, n, 0.99),
	    bench_quantile(cpu, n, 0.5), bench_quantile(cpu, n, 0.99));
	if (pid && nthreads >= 2) {
		double wr = 0, ww = 0;
		for (size_t k = 2; k < nthreads; k++) {
			wr += trun[k];
			ww += twait[k];
		}
		printf(" d_loop_run_ms %.3f d_loop_wait_ms %.3f"
		       " d_ledger_run_ms %.3f d_ledger_wait_ms %.3f"
		       " d_workers_run_ms %.3f d_workers_wait_ms %.3f",
		    trun[0] / 1e6 / (double)n, twait[0] / 1e6 / (double)n,
		    trun[1] / 1e6 / (double)n, twait[1] / 1e6 / (double)n,
		    wr / 1e6 / (double)n, ww / 1e6 / (double)n);
	}
	printf("\n");
	free(wall);
	free(cpu);
	free(tpl);
	return fails ? 1 : 0;
}

static int
cmd_post(int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	char *body;
	int r;

	if (argc != 4)
		return 2;
	c.path = argv[2];
	body = read_file(argv[3]);
	if (!body) {
		fprintf(stderr, "check_bench: cannot read '%s'\n", argv[3]);
		return 2;
	}
	r = http_post(&c, "/v1/check", body);
	if (r != 200) {
		fprintf(stderr, "check_bench: check: %s %d\n",
		    r < 0 ? strerror(-r) : "HTTP", r);
		return 3;
	}
	return is_allow(c.body) ? 0 : 1;
}

struct load {
	const char *sock;
	const char *tpl;
	const char *finish;     /* IDFMT, or NULL */
	unsigned long n;
	_Atomic unsigned long next;
	_Atomic unsigned long errors, denied;
	double *latency_ms;
};

static void *
load_client(void *arg)
{
	struct load *s = arg;
	struct conn c = { .path = s->sock, .fd = -1 };

	for (;;) {
		unsigned long i = atomic_fetch_add(&s->next, 1);
		char num[32], body[512];
		char *job;
		double t0;
		int r;

		if (i >= s->n)
			break;
		snprintf(num, sizeof(num), "%lu", i + 1);
		job = subst(s->tpl, num);
		if (!job)
			break;
		t0 = bench_mono();
		r = http_post(&c, "/v1/check", job);
		s->latency_ms[i] = (bench_mono() - t0) * 1e3;
		free(job);
		if (r != 200) {
			if (atomic_fetch_add(&s->errors, 1) < 3)
				fprintf(stderr, "check_bench: check %lu: %s %d\n",
				    i + 1, r < 0 ? strerror(-r) : "HTTP", r);
			s->latency_ms[i] = NAN;
			continue;
		}
		if (!is_allow(c.body)) {
			if (atomic_fetch_add(&s->denied, 1) < 3)
				fprintf(stderr, "check_bench: check %lu: not allowed: %.300s\n",
				    i + 1, c.body);
			continue;
		}
		if (s->finish) {
			char *id = subst(s->finish, num);
			if (!id)
				break;
			snprintf(body, sizeof(body), "{\"job\":\"%s\"}", id);
			free(id);
			r = http_post(&c, "/v1/jobs/finish", body);
			if (r != 200 && atomic_fetch_add(&s->errors, 1) < 3)
				fprintf(stderr, "check_bench: finish %lu: %s %d\n",
				    i + 1, r < 0 ? strerror(-r) : "HTTP", r);
		}
	}
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return NULL;
}

static int
cmd_load(int argc, char **argv)
{
	struct load s = { 0 };
	pthread_t *threads;
	unsigned long clients;
	size_t ok = 0;
	double t0, t1;
	char *tpl;

	if (argc != 6 && argc != 8)
		return 2;
	s.sock = argv[2];
	clients = strtoul(argv[3], NULL, 10);
	s.n = strtoul(argv[4], NULL, 10);
	if (argc == 8) {
		if (strcmp(argv[6], "--finish") != 0)
			return 2;
		s.finish = argv[7];
	}
	tpl = read_file(argv[5]);
	if (!tpl || clients == 0 || clients > 4096 || s.n == 0)
		return 2;
	s.tpl = tpl;
	s.latency_ms = calloc(s.n, sizeof(double));
	threads = calloc(clients, sizeof(*threads));
	if (!s.latency_ms || !threads)
		return 3;
	t0 = bench_mono();
	for (unsigned long c = 0; c < clients; c++)
		if (pthread_create(&threads[c], NULL, load_client, &s) != 0)
			return 3;
	for (unsigned long c = 0; c < clients; c++)
		pthread_join(threads[c], NULL);
	t1 = bench_mono();
	for (unsigned long i = 0; i < s.n; i++)
		if (!isnan(s.latency_ms[i]))
			s.latency_ms[ok++] = s.latency_ms[i];
	qsort(s.latency_ms, ok, sizeof(double), bench_cmp_double);
	printf("clients %lu checks %lu errors %lu denied %lu seconds %.3f "
	       "decisions_per_s %.1f p50_ms %.2f p99_ms %.2f\n",
	    clients, s.n, (unsigned long)atomic_load(&s.errors),
	    (unsigned long)atomic_load(&s.denied), t1 - t0,
	    (double)(s.n - atomic_load(&s.errors)) / (t1 - t0),
	    bench_quantile(s.latency_ms, ok, 0.5), bench_quantile(s.latency_ms, ok, 0.99));
	free(threads);
	free(s.latency_ms);
	free(tpl);
	return atomic_load(&s.errors) || atomic_load(&s.denied) ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "noop") == 0)
		return 0;
	if (argc == 6 && strcmp(argv[1], "settle") == 0)
		return settle(argv[2], argv[3], strtoul(argv[4], NULL, 10),
			   strtoul(argv[5], NULL, 10)) < 0 ? 1 : 0;
	if (argc >= 2 && strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "post") == 0)
		return cmd_post(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "load") == 0)
		return cmd_load(argc, argv);
	fprintf(stderr,
	    "usage: check_bench exec N OUT [--subst TEMPLATE FILE] [--expect CODE]\n"
	    "                   [--pid PID] [--finish SOCKET IDFMT K] -- CMD [ARG...]\n"
	    "       check_bench post SOCKET FILE\n"
	    "       check_bench load SOCKET CLIENTS N TEMPLATE [--finish IDFMT]\n"
	    "       check_bench settle SOCKET IDFMT FIRST LAST\n"
	    "       check_bench noop\n");
	return 2;
}
