/* GET /metrics: Prometheus text exposition of checks, the ledger, and
 * budgets. Counters are touched on the event loop only. */
#include "config.h"

#include <event2/buffer.h>
#include <string.h>

#include "consentd.h"
#include "json.h"
#include "ledger.h"

static const double latency_buckets_ms[] = { 1, 2, 5, 10, 25, 50, 100, 250,
	500, 1000, 2500, 5000, 10000 };

struct metrics {
	uint64_t checks_allow, checks_deny, checks_error, checks_failed;
	uint64_t latency_counts[ELEMENTSOF(latency_buckets_ms)];
	uint64_t latency_total_count;
	double latency_sum_s;
	usec_t size_at_last_scrape;
	uint64_t ledger_size_last;
	usec_t last_scrape;
	double append_rate;
};

static struct metrics *
metrics_of(struct daemon *d)
{
	if (!d->metrics)
		d->metrics = calloc(1, sizeof(struct metrics));
	return d->metrics;
}

void
metrics_check_done(struct daemon *d, const char *decision, usec_t took)
{
	struct metrics *m = metrics_of(d);
	double ms = (double)took / 1000.0;

	if (!m)
		return;
	if (streq(decision, "allow"))
		m->checks_allow++;
	else if (streq(decision, "deny"))
		m->checks_deny++;
	else if (streq(decision, "error"))
		m->checks_error++;
	else
		m->checks_failed++;
	for (size_t i = 0; i < ELEMENTSOF(latency_buckets_ms); i++)
		if (ms <= latency_buckets_ms[i])
			m->latency_counts[i]++;
	m->latency_total_count++;
	m->latency_sum_s += ms / 1000.0;
}

static int
budget_metric(void *userdata, const char *name, const char *state)
{
	struct evbuffer *out = userdata;
	json_error_t e;
	json_t *s = NULL;

	(void)json_load_checked(state, strlen(state), 0, &s, &e);
	double eps = json_number_value(json_object_get(s, "epsilon"));
	double spent = json_number_value(json_object_get(s, "spent_epsilon"));

	if (s)
		evbuffer_add_printf(out,
		    "consentd_budget_epsilon_remaining{budget=\"%s\"} %.17g\n",
		    name, eps - spent > 0 ? eps - spent : 0.0);
	json_decref(s);
	return 0;
}

void
route_metrics(struct daemon *d, struct evhttp_request *req, const char *rest)
{
	struct metrics *m = metrics_of(d);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	json_t *st = ledger_service_stats(d->ledger);
	uint64_t size = (uint64_t)json_integer_value(json_object_get(st, "size"));
	usec_t now = now_monotonic();
	uint64_t cumulative = 0;
	struct ledger *l;

	if (!m || !st) {
		json_decref(st);
		server_reply_error(req, ERR_INTERNAL, "Out of memory");
		return;
	}
	if (m->last_scrape && now > m->last_scrape)
		m->append_rate = (double)(size - m->ledger_size_last) /
		    ((double)(now - m->last_scrape) / USEC_PER_SEC);
	m->last_scrape = now;
	m->ledger_size_last = size;

	evbuffer_add_printf(out,
	    "# HELP consentd_checks_total Pre-training checks by decision.\n"
	    "# TYPE consentd_checks_total counter\n"
	    "consentd_checks_total{decision=\"allow\"} %llu\n"
	    "consentd_checks_total{decision=\"deny\"} %llu\n"
	    "consentd_checks_total{decision=\"error\"} %llu\n"
	    "consentd_checks_total{decision=\"failed\"} %llu\n",
	    (unsigned long long)m->checks_allow,
	    (unsigned long long)m->checks_deny,
	    (unsigned long long)m->checks_error,
	    (unsigned long long)m->checks_failed);
	evbuffer_add_printf(out,
	    "# HELP consentd_check_duration_seconds Time from request to answer.\n"
	    "# TYPE consentd_check_duration_seconds histogram\n");
	for (size_t i = 0; i < ELEMENTSOF(latency_buckets_ms); i++) {
		cumulative = m->latency_counts[i];
		evbuffer_add_printf(out,
		    "consentd_check_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    latency_buckets_ms[i] / 1000.0,
		    (unsigned long long)cumulative);
	}
	evbuffer_add_printf(out,
	    "consentd_check_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "consentd_check_duration_seconds_sum %.9f\n"
	    "consentd_check_duration_seconds_count %llu\n",
	    (unsigned long long)m->latency_total_count, m->latency_sum_s,
	    (unsigned long long)m->latency_total_count);
	evbuffer_add_printf(out,
	    "# HELP consentd_ledger_entries Entries in the ledger.\n"
	    "# TYPE consentd_ledger_entries gauge\n"
	    "consentd_ledger_entries %llu\n"
	    "# HELP consentd_ledger_checkpoint_size Size of the latest signed checkpoint.\n"
	    "# TYPE consentd_ledger_checkpoint_size gauge\n"
	    "consentd_ledger_checkpoint_size %lld\n"
	    "# HELP consentd_ledger_appends_total Appends committed since start.\n"
	    "# TYPE consentd_ledger_appends_total counter\n"
	    "consentd_ledger_appends_total %lld\n"
	    "# HELP consentd_ledger_append_rate Entries per second since the previous scrape.\n"
	    "# TYPE consentd_ledger_append_rate gauge\n"
	    "consentd_ledger_append_rate %.3f\n"
	    "# HELP consentd_ledger_commit_failures_total Batches that could not be committed.\n"
	    "# TYPE consentd_ledger_commit_failures_total counter\n"
	    "consentd_ledger_commit_failures_total %lld\n",
	    (unsigned long long)size,
	    (long long)json_integer_value(json_object_get(st, "checkpoint_size")),
	    (long long)json_integer_value(json_object_get(st, "appends")),
	    m->append_rate,
	    (long long)json_integer_value(json_object_get(st,
		"commit_failures")));
	json_decref(st);
	evbuffer_add_printf(out,
	    "# HELP consentd_budget_epsilon_remaining Unspent epsilon per budget.\n"
	    "# TYPE consentd_budget_epsilon_remaining gauge\n");
	l = ledger_service_reader(d->ledger);
	if (ledger_refresh(l) >= 0)
		store_budget_foreach(ledger_store(l), budget_metric, out);
	alerts_metrics(d, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", NULL);
}
