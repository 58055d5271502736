/*
 * thread.h - starting the daemon's helper threads.
 *
 * heraldd runs one event loop; the few threads beside it (the HTTP
 * client's I/O, the store's checkpoints) each do one job and never touch
 * the loop's state.  They start here so that every one of them is named
 * and leaves the daemon's signals to the loop.
 */
#ifndef HERALD_THREAD_H
#define HERALD_THREAD_H

#include <threads.h>

/*
 * Start fn(arg) on a new thread named name (15 bytes at most; for top -H,
 * ps -L and per-thread profiles), named before this returns.  Every
 * asynchronous signal is blocked on it, so SIGTERM, SIGHUP and the rest
 * reach the loop's handlers; faults stay deliverable where they happen.
 * Returns thrd_success, or thrd_nomem / thrd_error as thrd_create().
 */
int thread_start(thrd_t *t, thrd_start_t fn, void *arg, const char *name);

#endif
