/*
 * workpool.c - a fixed set of pthreads running blocking work for plugins.
 *
 * Like Tor's workqueue: a job's work runs on a worker, its reply on the
 * main loop.  Two FIFOs under one mutex: jobs waiting for a worker, and
 * jobs whose work is finished and whose done() waits for the loop.  A
 * worker that finishes a job appends it to the second list and makes one
 * never-added event active; the loop then runs every finished done() in
 * order.  event_active() from another thread is safe only when libevent
 * was told to use pthreads before the base was created (daemon.c does).
 *
 * C11 threads rather than <pthread.h>: core/sched.h shadows the system
 * <sched.h> that <pthread.h> includes, for everything built with -Icore.
 * On glibc they are the same pthreads underneath.
 *
 * Left out on purpose: cancellation (a blocking library call cannot be
 * interrupted portably; plugins bound their calls with timeouts instead)
 * and growing the pool (the size is a config value).
 */
#include "workpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

#include <event2/event.h>

#include "thread.h"
#include "xmalloc.h"

struct workpool_job {
	void (*work)(void *);
	void (*done)(void *);
	void *arg;
	struct workpool_job *next;
};

struct workpool_fifo {
	struct workpool_job *head, *tail;
};

struct workpool {
	struct event_base *base;
	struct event *ev_done;
	thrd_t *threads;
	unsigned n_threads;

	mtx_t mu;
	cnd_t cv;		/* waiting gained a job, or stopping */
	struct workpool_fifo waiting;	/* waiting for a worker */
	struct workpool_fifo finished;	/* waiting for the loop */
	size_t pending;			/* submitted, done() not yet run */
	int stopping;
};

static void
workpool_fifo_push(struct workpool_fifo *f, struct workpool_job *j)
{
	j->next = NULL;
	if (f->tail != NULL)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
}

static struct workpool_job *
workpool_fifo_pop(struct workpool_fifo *f)
{
	struct workpool_job *j = f->head;

	if (j != NULL) {
		f->head = j->next;
		if (f->head == NULL)
			f->tail = NULL;
	}
	return j;
}

static int
workpool_thread(void *arg)
{
	struct workpool *wp = arg;
	struct workpool_job *j;

	mtx_lock(&wp->mu);
	for (;;) {
		while (wp->waiting.head == NULL && !wp->stopping)
			cnd_wait(&wp->cv, &wp->mu);
		/* Stopping still empties the queue: submitted means done. */
		if ((j = workpool_fifo_pop(&wp->waiting)) == NULL)
			break;
		mtx_unlock(&wp->mu);
		j->work(j->arg);
		mtx_lock(&wp->mu);
		workpool_fifo_push(&wp->finished, j);
		if (!wp->stopping)
			event_active(wp->ev_done, EV_READ, 0);
	}
	mtx_unlock(&wp->mu);
	return 0;
}

/* Run every finished job's done(), oldest first, on the calling thread. */
static void
workpool_run_dones(struct workpool *wp)
{
	struct workpool_fifo batch;
	struct workpool_job *j;

	mtx_lock(&wp->mu);
	batch = wp->finished;
	wp->finished.head = wp->finished.tail = NULL;
	mtx_unlock(&wp->mu);
	while ((j = workpool_fifo_pop(&batch)) != NULL) {
		if (j->done != NULL)
			j->done(j->arg);
		free(j);
		mtx_lock(&wp->mu);
		wp->pending--;
		mtx_unlock(&wp->mu);
	}
}

static void
workpool_on_done(evutil_socket_t fd, short what, void *arg)
{
	workpool_run_dones(arg);
}

int
workpool_new(struct event_base *base, unsigned n, const char *name,
    struct workpool **out, char *err, size_t errlen)
{
	struct workpool *wp;
	int rc;

	if (n == 0)
		n = 1;
	wp = xcalloc(1, sizeof(*wp));
	wp->base = base;
	if (mtx_init(&wp->mu, mtx_plain) != thrd_success ||
	    cnd_init(&wp->cv) != thrd_success) {
		/* glibc cannot fail these; mtx/cnd_destroy below are no-ops. */
		snprintf(err, errlen, "worker pool: cannot create its lock");
		goto fail;
	}
	wp->ev_done = event_new(base, -1, 0, workpool_on_done, wp);
	if (wp->ev_done == NULL) {
		snprintf(err, errlen, "worker pool: cannot create its event");
		goto fail;
	}
	wp->threads = xcalloc(n, sizeof(*wp->threads));
	for (; wp->n_threads < n; wp->n_threads++) {
		rc = thread_start(&wp->threads[wp->n_threads],
		    workpool_thread, wp, name);
		if (rc != thrd_success) {
			snprintf(err, errlen, "worker pool: cannot start thread "
			    "%u of %u%s", wp->n_threads + 1, n,
			    rc == thrd_nomem ? ": out of memory" : "");
			goto fail;
		}
	}
	*out = wp;
	return 0;
fail:
	workpool_free(wp);
	return -1;
}

int
workpool_submit(struct workpool *wp, void (*work)(void *),
    void (*done)(void *), void *arg)
{
	struct workpool_job *j;

	j = xmalloc(sizeof(*j));
	j->work = work;
	j->done = done;
	j->arg = arg;
	mtx_lock(&wp->mu);
	if (wp->stopping) {
		mtx_unlock(&wp->mu);
		free(j);
		return -1;
	}
	workpool_fifo_push(&wp->waiting, j);
	wp->pending++;
	cnd_signal(&wp->cv);
	mtx_unlock(&wp->mu);
	return 0;
}

size_t
workpool_pending(struct workpool *wp)
{
	size_t n;

	mtx_lock(&wp->mu);
	n = wp->pending;
	mtx_unlock(&wp->mu);
	return n;
}

void
workpool_free(struct workpool *wp)
{
	unsigned i;

	if (wp == NULL)
		return;
	mtx_lock(&wp->mu);
	wp->stopping = 1;
	cnd_broadcast(&wp->cv);
	mtx_unlock(&wp->mu);
	for (i = 0; i < wp->n_threads; i++)
		thrd_join(wp->threads[i], NULL);
	/* No worker is left to add to finished: deliver the rest here. */
	if (wp->ev_done != NULL) {
		workpool_run_dones(wp);
		event_free(wp->ev_done);
	}
	cnd_destroy(&wp->cv);
	mtx_destroy(&wp->mu);
	free(wp->threads);
	free(wp);
}
