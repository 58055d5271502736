/*
 * http.c - the HTTP client: libcurl on a thread of its own, every done()
 * on the loop.
 *
 * At a launch a delivery cost the loop ~90 us of CPU, about half of it
 * libcurl and the kernel sending and receiving for it, while the second
 * core sat mostly idle (issue 17).  So libcurl's side (http_io.c: the
 * multi handles, their sockets and timers, the warm pool) runs on an
 * event base of its own, on one I/O thread, and the loop keeps the rest:
 * checks, rendering, the store.  The two meet in two queues under one
 * mutex, as in workpool.c: requests (and warm-ups) going to the thread,
 * answered requests coming back.  Each direction has an eventfd that is
 * written only when its queue turns non-empty, and read before the
 * queue is taken, so no wake-up is lost and a busy launch costs one
 * write a batch, not one a request.  The loop's event is added only
 * while requests are outstanding: a loop with nothing in flight may
 * still run dry and return (tests rely on it).
 *
 * A request's record is made on the loop (http_req_new() copies what the
 * caller passed), belongs to the thread while its transfer runs, and
 * comes back with its answer filled; done() runs from the loop and the
 * record is freed there.  Nothing else is shared but the counts tests
 * read (atomic, in http_io.c).  The thread blocks the signals the daemon
 * handles: they are the loop's.
 */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <threads.h>
#include <unistd.h>

#include <event2/event.h>

#include "http_io.h"
#include "thread.h"
#include "xmalloc.h"

/* Requests set up between two runs of libcurl (http_on_work()). */
#define HTTP_START_CHUNK 16

struct http_fifo {
	struct http_req *head, *tail;
};

struct http_client {
	/* The loop's. */
	struct event_base *base;
	struct event *ev_done;		/* fd_done readable; added while
					 * requests are outstanding */
	size_t pending;			/* started, done() not run yet */
	int closing;

	/* Shared, under mu. */
	mtx_t mu;
	struct http_fifo to_io;		/* requests and warm-ups to start */
	struct http_fifo to_loop;	/* answered, done() to run */
	int stopping;

	/* The I/O thread's. */
	thrd_t thread;
	int running;			/* the thread was started */
	struct event_base *io_base;
	struct event *ev_work;		/* fd_work readable */
	struct http_io *io;
	int fd_work, fd_done;		/* eventfds: to the thread, back */
};

/* Append r to f; 1 when f was empty. */
static int
http_fifo_push(struct http_fifo *f, struct http_req *r)
{
	int was_empty = f->head == NULL;

	r->next = NULL;
	if (f->tail != NULL)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
	return was_empty;
}

/* Everything in f, which is left empty. */
static struct http_req *
http_fifo_take(struct http_fifo *f)
{
	struct http_req *r = f->head;

	f->head = f->tail = NULL;
	return r;
}

static void
http_wake(int fd)
{
	uint64_t one = 1;

	/* Only EAGAIN can fail it (the counter near overflow): then the
	 * reader has a wake-up pending anyway. */
	(void)!write(fd, &one, sizeof(one));
}

static void
http_drain(int fd)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
}

/* Queue r for the I/O thread (taking it). */
static void
http_send_to_io(struct http_client *hc, struct http_req *r)
{
	int wake;

	mtx_lock(&hc->mu);
	wake = http_fifo_push(&hc->to_io, r);
	mtx_unlock(&hc->mu);
	if (wake)
		http_wake(hc->fd_work);
}

/* --- the I/O thread -------------------------------------------------- */

/* http_io's finished callback: r goes back to the loop. */
static void
http_on_finished(void *arg, struct http_req *r)
{
	struct http_client *hc = arg;
	int wake;

	mtx_lock(&hc->mu);
	wake = http_fifo_push(&hc->to_loop, r);
	mtx_unlock(&hc->mu);
	if (wake)
		http_wake(hc->fd_done);
}

/* Start what the loop queued; on stopping, cancel it and close down. */
static void
http_on_work(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *hc = arg;
	struct http_req *r, *next;
	int stopping;
	unsigned n = 0;

	(void)what;
	http_drain(fd);
	mtx_lock(&hc->mu);
	r = http_fifo_take(&hc->to_io);
	stopping = hc->stopping;
	mtx_unlock(&hc->mu);
	for (; r != NULL; r = next) {
		next = r->next;
		if (r->done == NULL) {
			http_io_warm(hc->io, r->url, r->ca_file, r->warm_n);
			http_req_free(r);
		} else
			http_io_start(hc->io, r);
		/* A launch queues hundreds at once, and setting one up costs
		 * ~30 us: the first go out while the rest wait their turn. */
		if (++n % HTTP_START_CHUNK == 0)
			http_io_run_due(hc->io);
	}
	if (stopping && hc->io != NULL) {
		http_io_free(hc->io);
		hc->io = NULL;		/* the thread's loop ends */
	}
}

static int
http_io_thread(void *arg)
{
	struct http_client *hc = arg;

	while (hc->io != NULL)
		if (event_base_loop(hc->io_base, EVLOOP_ONCE) == -1)
			break;
	/* Only epoll failing ends the loop early: what is outstanding is
	 * cancelled rather than left waiting. */
	http_io_free(hc->io);
	hc->io = NULL;
	return 0;
}

/* --- the loop's side ------------------------------------------------- */

/* Run done() for every answered request, oldest first. */
static void
http_run_dones(struct http_client *hc)
{
	struct http_req *r, *next;

	mtx_lock(&hc->mu);
	r = http_fifo_take(&hc->to_loop);
	mtx_unlock(&hc->mu);
	for (; r != NULL; r = next) {
		next = r->next;
		hc->pending--;
		r->done(r->arg, &r->answer);
		http_req_free(r);
	}
}

static void
http_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *hc = arg;

	(void)what;
	http_drain(fd);
	http_run_dones(hc);
	if (hc->pending == 0)
		event_del(hc->ev_done);
}

int
http_client_new(struct event_base *base, struct http_client **out,
    char *err, size_t errlen)
{
	struct http_client *hc;
	struct event_config *cfg;

	hc = xcalloc(1, sizeof(*hc));
	hc->base = base;
	hc->fd_work = hc->fd_done = -1;
	if (mtx_init(&hc->mu, mtx_plain) != thrd_success) {
		snprintf(err, errlen, "cannot create the HTTP client's lock");
		free(hc);
		return -1;
	}
	/* The thread's base is its alone: no locks, whatever libevent was
	 * told about threads. */
	if ((cfg = event_config_new()) != NULL) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
		hc->io_base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (hc->io_base == NULL ||
	    (hc->fd_work = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (hc->fd_done = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (hc->ev_work = event_new(hc->io_base, hc->fd_work,
	    EV_READ | EV_PERSIST, http_on_work, hc)) == NULL ||
	    event_add(hc->ev_work, NULL) == -1 ||
	    (hc->ev_done = event_new(base, hc->fd_done, EV_READ | EV_PERSIST,
	    http_on_done, hc)) == NULL) {
		snprintf(err, errlen, "cannot set up the HTTP client's "
		    "events: %s", strerror(errno));
		goto fail;
	}
	if (http_io_new(hc->io_base, http_on_finished, hc, &hc->io, err,
	    errlen) == -1)
		goto fail;
	if (thread_start(&hc->thread, http_io_thread, hc,
	    "heraldd-http") != thrd_success) {
		snprintf(err, errlen, "cannot start the HTTP client's thread");
		goto fail;
	}
	hc->running = 1;
	*out = hc;
	return 0;
fail:
	http_client_free(hc);
	return -1;
}

static int
http_method_is_valid(const char *m)
{
	const char *p;

	if (m == NULL || *m == '\0' || strlen(m) > 16)
		return 0;
	for (p = m; *p != '\0'; p++)
		if (*p < 'A' || *p > 'Z')
			return 0;
	return 1;
}

int
http_client_start(struct http_client *hc,
    const struct herald_http_request *req, http_done_fn done, void *arg,
    char *err, size_t errlen)
{
	struct http_req *r;

	if (hc->closing) {
		snprintf(err, errlen, "the HTTP client is closing");
		return -1;
	}
	if (req == NULL || req->url == NULL || done == NULL) {
		snprintf(err, errlen, "no URL or no completion");
		return -1;
	}
	if (!http_method_is_valid(req->method ? req->method : "GET")) {
		snprintf(err, errlen, "bad HTTP method");
		return -1;
	}
	if ((r = http_req_new(req)) == NULL) {
		snprintf(err, errlen, "the request's body is too large");
		return -1;
	}
	r->done = done;
	r->arg = arg;
	r->timeout_ms = req->timeout_ms;
	if (hc->pending++ == 0 && event_add(hc->ev_done, NULL) == -1) {
		hc->pending--;
		http_req_free(r);
		snprintf(err, errlen, "cannot watch for the answer");
		return -1;
	}
	http_send_to_io(hc, r);
	return 0;
}

int
http_client_warm(struct http_client *hc, const char *url,
    const char *ca_file, unsigned n, char *err, size_t errlen)
{
	struct herald_http_request req = { .url = url, .ca_file = ca_file };
	struct http_req *r;

	if (hc->closing) {
		snprintf(err, errlen, "the HTTP client is closing");
		return -1;
	}
	if (url == NULL || n == 0)
		return 0;
	if ((r = http_req_new(&req)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->warm_n = n;
	http_send_to_io(hc, r);
	return 0;
}

size_t
http_client_warm_ready(const struct http_client *hc)
{
	return http_io_warm_ready(hc->io);
}

size_t
http_client_warming(const struct http_client *hc)
{
	return http_io_warming(hc->io);
}

size_t
http_client_pending(const struct http_client *hc)
{
	return hc->pending;
}

void
http_client_set_idle_s(struct http_client *hc, unsigned s)
{
	http_io_set_idle_s(hc->io, s);
}

void
http_client_free(struct http_client *hc)
{
	if (hc == NULL)
		return;
	/* done() may try to start another request: refuse it from now on. */
	hc->closing = 1;
	if (hc->running) {
		mtx_lock(&hc->mu);
		hc->stopping = 1;
		mtx_unlock(&hc->mu);
		http_wake(hc->fd_work);
		thrd_join(hc->thread, NULL);
	} else
		http_io_free(hc->io);	/* never started: nothing queued */
	/* The thread is gone: whatever it answered or cancelled is here. */
	if (hc->ev_done != NULL) {
		http_run_dones(hc);
		event_free(hc->ev_done);
	}
	if (hc->ev_work != NULL)
		event_free(hc->ev_work);
	if (hc->io_base != NULL)
		event_base_free(hc->io_base);
	if (hc->fd_work != -1)
		close(hc->fd_work);
	if (hc->fd_done != -1)
		close(hc->fd_done);
	mtx_destroy(&hc->mu);
	free(hc);
}
