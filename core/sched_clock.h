/*
 * sched_clock.h - the injected clock: what the scheduler, the dispatcher
 * and the engine ask for the time, so unit tests drive it by hand and
 * never sleep.
 *
 * Its own header so that a file needing the time does not pull in the
 * scheduler.
 */
#ifndef HERALD_SCHED_CLOCK_H
#define HERALD_SCHED_CLOCK_H

#include <stdint.h>

/* Microseconds since the epoch.  now_us NULL: CLOCK_REALTIME. */
struct sched_clock {
	int64_t (*now_us)(void *arg);
	void *arg;
};
int64_t sched_clock_now(const struct sched_clock *c);

#endif
