/* Alerts: webhooks posted with libcurl's multi interface on the event
 * loop (no thread, never blocking a decision), from a bounded queue, with
 * retries and backoff; what cannot be queued is dropped and counted. */
#include "config.h"

#include <curl/curl.h>
#include <event2/buffer.h>
#include <string.h>

#include "consentd.h"
#include "json.h"
#include "log.h"

struct alert {
	char *body;             /* the JSON payload */
	char *event;
	unsigned attempt;
	struct alert *prev, *next; /* in owner->active */
	struct alerts *owner;
	struct event *retry_timer;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

struct alerts {
	struct daemon *d;
	CURLM *multi;
	struct event *timer;   /* curl's timeout */
	size_t queued;         /* waiting, in flight, or between retries */
	struct alert *active;  /* all of them, to free on stop */
	uint64_t sent, failed, dropped, retried;
	bool curl_ready;
};

struct sock_ctx {
	struct event *ev;
	curl_socket_t fd;
	struct alerts *a;
};

static void alerts_check_done(struct alerts *a);
static void alert_start(struct alert *al);

static void
alert_free(struct alert *al)
{
	if (!al)
		return;
	if (al->easy) {
		curl_multi_remove_handle(al->owner->multi, al->easy);
		curl_easy_cleanup(al->easy);
	}
	curl_slist_free_all(al->headers);
	if (al->retry_timer)
		event_free(al->retry_timer);
	free(al->body);
	free(al->event);
	if (al->prev)
		al->prev->next = al->next;
	else
		al->owner->active = al->next;
	if (al->next)
		al->next->prev = al->prev;
	al->owner->queued--;
	free(al);
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct alerts *a = arg;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(a->multi, fd, flags, &running);
	alerts_check_done(a);
}

static int
socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct alerts *a = userp;
	struct sock_ctx *sc = socketp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			event_free(sc->ev);
			free(sc);
			curl_multi_assign(a->multi, s, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc)
			return -1;
		sc->fd = s;
		sc->a = a;
		curl_multi_assign(a->multi, s, sc);
	} else
		event_free(sc->ev);
	sc->ev = event_new(a->d->base, s, kind, on_socket_event, a);
	if (!sc->ev)
		return -1;
	event_add(sc->ev, NULL);
	return 0;
}

static void
on_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct alerts *a = arg;
	int running;

	curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	alerts_check_done(a);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct alerts *a = userp;
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000 };

	if (timeout_ms < 0)
		evtimer_del(a->timer);
	else
		evtimer_add(a->timer, &tv);
	return 0;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	alert_start(arg);
}

static void
alerts_check_done(struct alerts *a)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(a->multi, &left))) {
		struct alert *al = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&al);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (msg->data.result == CURLE_OK && status >= 200 && status < 300) {
			a->sent++;
			alert_free(al);
			continue;
		}
		curl_multi_remove_handle(a->multi, al->easy);
		curl_easy_cleanup(al->easy);
		al->easy = NULL;
		curl_slist_free_all(al->headers);
		al->headers = NULL;
		if (al->attempt >= (unsigned)a->d->config->alert_retries) {
			a->failed++;
			log_warning("Alert '%s' could not be delivered after %u attempts: %s",
			    al->event, al->attempt,
			    msg->data.result != CURLE_OK ?
				curl_easy_strerror(msg->data.result) :
				"HTTP error status");
			alert_free(al);
			continue;
		}
		/* Exponential backoff: 1 s, 2 s, 4 s, ... at most 60 s. */
		{
			unsigned shift = al->attempt > 6 ? 6 : al->attempt - 1;
			struct timeval tv = { .tv_sec = 1 << shift };
			if (tv.tv_sec > 60)
				tv.tv_sec = 60;
			a->retried++;
			if (!al->retry_timer)
				al->retry_timer = evtimer_new(a->d->base, on_retry, al);
			if (al->retry_timer)
				evtimer_add(al->retry_timer, &tv);
			else {
				a->failed++;
				alert_free(al);
			}
		}
	}
}

static size_t
discard(char *p, size_t size, size_t n, void *userdata)
{
	return size * n;
}

static void
alert_start(struct alert *al)
{
	struct alerts *a = al->owner;
	const struct config *c = a->d->config;

	al->attempt++;
	al->easy = curl_easy_init();
	if (!al->easy) {
		a->failed++;
		alert_free(al);
		return;
	}
	al->headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(al->easy, CURLOPT_URL, c->alert_webhook);
	curl_easy_setopt(al->easy, CURLOPT_POSTFIELDS, al->body);
	curl_easy_setopt(al->easy, CURLOPT_HTTPHEADER, al->headers);
	curl_easy_setopt(al->easy, CURLOPT_PRIVATE, al);
	curl_easy_setopt(al->easy, CURLOPT_ERRORBUFFER, al->errbuf);
	curl_easy_setopt(al->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(al->easy, CURLOPT_TIMEOUT_MS,
	    (long)(c->alert_timeout / USEC_PER_MSEC));
	curl_easy_setopt(al->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(al->easy, CURLOPT_USERAGENT, "consentd/" PACKAGE_VERSION);
	/* The receiver's answer is not needed, only its status. */
	curl_easy_setopt(al->easy, CURLOPT_WRITEFUNCTION, discard);
	if (curl_multi_add_handle(a->multi, al->easy) != CURLM_OK) {
		a->failed++;
		alert_free(al);
	}
}

int
alerts_start(struct daemon *d)
{
	struct alerts *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->d = d;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(a);
		return -EIO;
	}
	a->curl_ready = true;
	a->multi = curl_multi_init();
	a->timer = evtimer_new(d->base, on_curl_timeout, a);
	if (!a->multi || !a->timer) {
		d->alerts = a;
		alerts_stop(d);
		return -ENOMEM;
	}
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	d->alerts = a;
	return 0;
}

void
alerts_stop(struct daemon *d)
{
	struct alerts *a = d->alerts;

	if (!a)
		return;
	/* Undelivered alerts are lost with the process; say how many. */
	if (a->queued)
		log_notice("%zu alerts were not delivered before stopping",
		    a->queued);
	while (a->active)
		alert_free(a->active);
	if (a->timer)
		event_free(a->timer);
	if (a->multi)
		curl_multi_cleanup(a->multi);
	if (a->curl_ready)
		curl_global_cleanup();
	free(a);
	d->alerts = NULL;
}

void
alerts_emit(struct daemon *d, const char *event, const char *summary,
    json_t *details)
{
	struct alerts *a = d->alerts;
	const struct config *c = d->config;
	char t[TIME_RFC3339_MAX];
	struct alert *al;
	json_t *payload;

	if (!a || !c->alert_webhook || !*c->alert_webhook) {
		json_decref(details);
		return;
	}
	if (a->queued >= (size_t)c->alert_queue_max) {
		a->dropped++;
		if (a->dropped == 1 || a->dropped % 100 == 0)
			log_warning("Alert queue full: %llu alerts dropped so far",
			    (unsigned long long)a->dropped);
		json_decref(details);
		return;
	}
	if (!details)
		details = json_object();
	if (streq(c->alert_format, "slack"))
		payload = json_pack("{s:s}", "text", summary);
	else
		payload = json_pack("{s:s, s:s, s:s, s:O}", "event", event,
		    "time", time_format_rfc3339(now_realtime(), t), "summary",
		    summary, "details", details ? details : json_null());
	json_decref(details);
	al = calloc(1, sizeof(*al));
	if (!payload || !al) {
		json_decref(payload);
		free(al);
		a->dropped++;
		return;
	}
	al->body = json_dumps_checked(payload, JSON_COMPACT);
	al->event = strdup(event);
	json_decref(payload);
	al->owner = a;
	al->next = a->active;
	if (a->active)
		a->active->prev = al;
	a->active = al;
	a->queued++;
	if (!al->body || !al->event) {
		a->dropped++;
		alert_free(al);
		return;
	}
	alert_start(al);
}

void
alerts_metrics(struct daemon *d, struct evbuffer *out)
{
	struct alerts *a = d->alerts;

	if (!a)
		return;
	evbuffer_add_printf(out,
	    "# HELP consentd_alerts_total Webhook alerts by outcome.\n"
	    "# TYPE consentd_alerts_total counter\n"
	    "consentd_alerts_total{outcome=\"delivered\"} %llu\n"
	    "consentd_alerts_total{outcome=\"failed\"} %llu\n"
	    "consentd_alerts_total{outcome=\"dropped\"} %llu\n"
	    "consentd_alerts_total{outcome=\"retried\"} %llu\n"
	    "# HELP consentd_alerts_queued Alerts waiting or in flight.\n"
	    "# TYPE consentd_alerts_queued gauge\n"
	    "consentd_alerts_queued %zu\n",
	    (unsigned long long)a->sent, (unsigned long long)a->failed,
	    (unsigned long long)a->dropped, (unsigned long long)a->retried,
	    a->queued);
}
