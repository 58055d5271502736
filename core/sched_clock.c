/*
 * sched_clock.c - the injected clock, or the real one.
 */
#include "sched_clock.h"

#include <time.h>

int64_t
sched_clock_now(const struct sched_clock *c)
{
	struct timespec ts;

	if (c != NULL && c->now_us != NULL)
		return c->now_us(c->arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
