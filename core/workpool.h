/*
 * workpool.h - threads the core lends to plugins for blocking libraries.
 *
 * A job is a pair of functions: work(arg) runs on one of N worker threads
 * and must not touch the event loop; done(arg) then runs on the loop
 * thread, from an event the worker made active.  Jobs start in the order
 * they were submitted.  The loop must have been created after
 * evthread_use_pthreads(), or waking it from a worker is a data race.
 */
#ifndef HERALD_WORKPOOL_H
#define HERALD_WORKPOOL_H

#include <stddef.h>

struct event_base;
struct workpool;

/*
 * Start n threads (n >= 1), each named name (thread.h), whose
 * completions run on base.  On success *out is owned by the caller
 * (workpool_free()); on failure returns -1 with a reason in err.
 */
int workpool_new(struct event_base *base, unsigned n, const char *name,
    struct workpool **out, char *err, size_t errlen);

/*
 * Queue work(arg) for a worker and done(arg) for the loop afterwards.
 * done may be NULL.  Returns 0, or -1 once the pool is being freed.
 */
int workpool_submit(struct workpool *wp, void (*work)(void *),
    void (*done)(void *), void *arg);

/* Jobs submitted and not yet done (for tests and drain logic). */
size_t workpool_pending(struct workpool *wp);

/*
 * Drain and free, from the loop thread: every queued job still runs, the
 * threads are joined, then the dones not yet delivered run here, before
 * this returns.  Accepts NULL.
 */
void workpool_free(struct workpool *wp);

#endif
