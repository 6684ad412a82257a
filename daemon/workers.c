/* A fixed pool of worker threads for work that must not block the event
 * loop (dataset scans); results come back to the loop as events. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "consentd.h"
#include "log.h"

struct task {
	void (*work)(void *arg);  /* on a worker thread */
	void (*done)(void *arg);  /* back on the event loop */
	void *arg;
	struct event *ev;
	struct workers *owner;
	struct task *next;        /* queue, then the finished list */
	struct task *prev;        /* finished list */
};

struct workers {
	pthread_t *threads;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct task *head, *tail;
	/* Tasks whose work is done and whose done() has not run: at
	 * shutdown the loop may no longer run, and workers_stop() calls
	 * them. */
	struct task *finished;
	size_t queued, max_queued;
	size_t outstanding; /* submitted, done() not yet returned */
	bool stopping;
};

static void
task_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct task *t = arg;
	struct workers *w = t->owner;

	pthread_mutex_lock(&w->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		w->finished = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&w->lock);
	t->done(t->arg);
	event_free(t->ev);
	free(t);
	pthread_mutex_lock(&w->lock);
	w->outstanding--;
	pthread_mutex_unlock(&w->lock);
}

static void *
worker_main(void *arg)
{
	struct workers *w = arg;

	for (;;) {
		struct task *t;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->head) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		t = w->head;
		w->head = t->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		pthread_mutex_unlock(&w->lock);
		t->work(t->arg);
		pthread_mutex_lock(&w->lock);
		t->prev = NULL;
		t->next = w->finished;
		if (w->finished)
			w->finished->prev = t;
		w->finished = t;
		pthread_mutex_unlock(&w->lock);
		event_active(t->ev, EV_TIMEOUT, 1);
	}
}

int
workers_start(size_t n, size_t max_queued, struct workers **ret)
{
	struct workers *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->threads = calloc(n, sizeof(pthread_t));
	if (!w->threads) {
		free(w);
		return -ENOMEM;
	}
	w->max_queued = max_queued;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	for (; w->n < n; w->n++) {
		r = pthread_create(&w->threads[w->n], NULL, worker_main, w);
		if (r != 0) {
			workers_stop(w);
			return -r;
		}
	}
	*ret = w;
	return 0;
}

int
workers_submit(struct workers *w, struct event_base *base,
    void (*work)(void *), void (*done)(void *), void *arg)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->work = work;
	t->done = done;
	t->arg = arg;
	t->owner = w;
	t->ev = event_new(base, -1, 0, task_done_cb, t);
	if (!t->ev) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_lock(&w->lock);
	if (w->queued >= w->max_queued || w->stopping) {
		pthread_mutex_unlock(&w->lock);
		event_free(t->ev);
		free(t);
		return -EAGAIN;
	}
	if (w->tail)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	w->queued++;
	w->outstanding++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

size_t
workers_outstanding(struct workers *w)
{
	size_t n;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->outstanding;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void
workers_stop(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	/* The workers ran every queued task before they returned; the
	 * answers the loop did not get to are given now. */
	while (w->finished) {
		struct task *t = w->finished;

		event_del(t->ev);
		task_done_cb(-1, 0, t);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->threads);
	free(w);
}
