/*
 * test_workpool.c - work runs on worker threads, completions on the loop
 * thread, in numbers, and freeing the pool drains it.
 */
#include "unit.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "workpool.h"

#define MANY 2000

struct counters {
	thrd_t loop;			/* the thread running the loop */
	atomic_int worked;
	atomic_int work_on_loop;	/* work seen on the loop thread: a bug */
	atomic_int term_open;		/* work that SIGTERM could interrupt */
	atomic_int segv_blocked;	/* work whose faults would be held */
	int done;			/* touched only on the loop */
	int done_off_loop;		/* done seen off the loop thread: a bug */
	int done_before_work;		/* done ran before its work finished */
	struct event_base *base;
	int stop_at;
};

struct item {
	struct counters *c;
	int seq;
	atomic_int work_done;
	int sleep_us;
};

static void
item_work(void *arg)
{
	struct item *it = arg;
	sigset_t mask;

	if (thrd_equal(thrd_current(), it->c->loop))
		atomic_fetch_add(&it->c->work_on_loop, 1);
	/* The daemon's signals are the loop's (thread_start()). */
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	if (!sigismember(&mask, SIGTERM))
		atomic_fetch_add(&it->c->term_open, 1);
	if (sigismember(&mask, SIGSEGV))
		atomic_fetch_add(&it->c->segv_blocked, 1);
	if (it->sleep_us > 0) {
		struct timespec ts = { 0, it->sleep_us * 1000L };
		nanosleep(&ts, NULL);
	}
	atomic_store(&it->work_done, 1);
	atomic_fetch_add(&it->c->worked, 1);
}

static void
item_done(void *arg)
{
	struct item *it = arg;
	struct counters *c = it->c;

	if (!thrd_equal(thrd_current(), c->loop))
		c->done_off_loop++;
	if (!atomic_load(&it->work_done))
		c->done_before_work++;
	c->done++;
	if (c->base != NULL && c->done == c->stop_at)
		event_base_loopexit(c->base, NULL);
}

static struct event_base *
test_base(void)
{
	assert_int_equal(evthread_use_pthreads(), 0);
	return event_base_new();
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static void
test_work_off_loop_done_on_loop(void **state)
{
	struct event_base *base = test_base();
	struct counters c = { .loop = thrd_current(), .base = base, .stop_at = MANY };
	struct item *items = calloc(MANY, sizeof(*items));
	struct workpool *wp;
	struct timeval limit = { 20, 0 };
	struct event *guard;
	char err[128];

	assert_non_null(base);
	assert_int_equal(workpool_new(base, 4, "test-work", &wp, err,
	    sizeof(err)), 0);
	/* Named, for top -H and per-thread profiles. */
	assert_int_equal(unit_threads_named("test-work"), 4);
	for (int i = 0; i < MANY; i++) {
		items[i].c = &c;
		items[i].seq = i;
		assert_int_equal(workpool_submit(wp, item_work, item_done,
		    &items[i]), 0);
	}
	/* Nothing completes behind the loop's back. */
	assert_int_equal(c.done, 0);
	guard = evtimer_new(base, on_timeout, base);
	evtimer_add(guard, &limit);
	event_base_dispatch(base);
	assert_int_equal(atomic_load(&c.worked), MANY);
	assert_int_equal(c.done, MANY);
	assert_int_equal(atomic_load(&c.work_on_loop), 0);
	assert_int_equal(atomic_load(&c.term_open), 0);
	assert_int_equal(atomic_load(&c.segv_blocked), 0);
	assert_int_equal(c.done_off_loop, 0);
	assert_int_equal(c.done_before_work, 0);
	assert_int_equal(workpool_pending(wp), 0);
	workpool_free(wp);
	assert_int_equal(unit_threads_named("test-work"), 0);
	event_free(guard);
	event_base_free(base);
	free(items);
}

/* The loop never runs: free itself must run every work and every done. */
static void
test_free_drains(void **state)
{
	struct event_base *base = test_base();
	struct counters c = { .loop = thrd_current() };
	struct item items[64];
	struct workpool *wp;
	char err[128];

	assert_int_equal(workpool_new(base, 2, "test-work", &wp, err,
	    sizeof(err)), 0);
	for (int i = 0; i < 64; i++) {
		items[i] = (struct item){ .c = &c, .seq = i, .sleep_us = 2000 };
		assert_int_equal(workpool_submit(wp, item_work, item_done,
		    &items[i]), 0);
	}
	assert_true(workpool_pending(wp) > 0);
	workpool_free(wp);
	assert_int_equal(atomic_load(&c.worked), 64);
	assert_int_equal(c.done, 64);
	assert_int_equal(c.done_off_loop, 0);
	assert_int_equal(c.done_before_work, 0);
	event_base_free(base);
}

/* Slow work on every thread at once: the threads really run in parallel. */
static void
test_parallel(void **state)
{
	struct event_base *base = test_base();
	struct counters c = { .loop = thrd_current(), .base = base, .stop_at = 8 };
	struct item items[8];
	struct workpool *wp;
	struct timeval limit = { 10, 0 };
	struct event *guard;
	struct timespec t0, t1;
	char err[128];
	double secs;

	assert_int_equal(workpool_new(base, 8, "test-work", &wp, err,
	    sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++) {
		items[i] = (struct item){ .c = &c, .seq = i, .sleep_us = 200000 };
		assert_int_equal(workpool_submit(wp, item_work, item_done,
		    &items[i]), 0);
	}
	/* A base with no added event would return from dispatch at once. */
	guard = evtimer_new(base, on_timeout, base);
	evtimer_add(guard, &limit);
	event_base_dispatch(base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	event_free(guard);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(c.done, 8);
	/* Serially it would take 1.6 s. */
	assert_true(secs < 1.0);
	workpool_free(wp);
	event_base_free(base);
}

static void
test_free_null_and_empty(void **state)
{
	struct event_base *base = test_base();
	struct workpool *wp;
	char err[128];

	workpool_free(NULL);
	assert_int_equal(workpool_new(base, 3, "test-work", &wp, err,
	    sizeof(err)), 0);
	assert_int_equal(workpool_pending(wp), 0);
	workpool_free(wp);
	event_base_free(base);
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_work_off_loop_done_on_loop),
	cmocka_unit_test(test_free_drains),
	cmocka_unit_test(test_parallel),
	cmocka_unit_test(test_free_null_and_empty),
};

UNIT_MAIN(tests)
