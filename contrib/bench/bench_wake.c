/*
 * bench_wake.c - how late an idle process wakes for an instant, with and
 * without waking ahead of it (issue 17; sched.c's SCHED_WAKE_LEAD_US).
 *
 *   bench_wake [ROUNDS=12] [LEAD_US ...]      (default leads: 0 2000 5000)
 *
 * Each round sleeps on a timerfd until half a second past the next whole
 * second, as heraldd's scheduler sleeps until a job's instant; with a
 * lead it first sleeps until LEAD_US before the instant, then for the
 * rest.  Printed per lead: how far past the instant the final wake-up
 * came (p50, p90, max over the rounds).  Nothing else runs: on a guest
 * whose idle vCPU wakes late this is the floor of a job's lateness.
 * Built by contrib/bench/Makefile (bench_common.h for the clock).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "bench_common.h"

/* bench_now() in microseconds (a double of seconds carries them). */
static int64_t
mono_us(void)
{
	return (int64_t)(bench_now() * 1e6);
}

static int
sleep_until(int fd, int64_t at)
{
	struct itimerspec its = { 0 };
	int64_t d = at - mono_us();
	uint64_t n;

	if (d <= 0)
		return 0;
	its.it_value.tv_sec = d / 1000000;
	its.it_value.tv_nsec = d % 1000000 * 1000;
	if (timerfd_settime(fd, 0, &its, NULL) == -1 ||
	    read(fd, &n, sizeof(n)) != sizeof(n))
		return -1;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static const char *const dflt[] = { "0", "2000", "5000" };
	const char *const *leads = dflt;
	int rounds = argc > 1 ? atoi(argv[1]) : 12, n_leads = 3, i, l;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int64_t *late, at, lead;

	if (argc > 2) {
		leads = (const char *const *)argv + 2;
		n_leads = argc - 2;
	}
	if (fd == -1 || rounds < 1 ||
	    (late = calloc((size_t)rounds, sizeof(*late))) == NULL) {
		perror("bench_wake");
		return 1;
	}
	for (l = 0; l < n_leads; l++) {
		lead = atoll(leads[l]);
		for (i = 0; i < rounds; i++) {
			at = (mono_us() / 1000000 + 1) * 1000000 + 500000;
			if ((lead > 0 && sleep_until(fd, at - lead) == -1) ||
			    sleep_until(fd, at) == -1) {
				perror("bench_wake: timerfd");
				return 1;
			}
			late[i] = mono_us() - at;
		}
		qsort(late, (size_t)rounds, sizeof(*late), cmp_i64);
		printf("lead %6lld us: woke past the instant by p50 %lld us, "
		    "p90 %lld us, max %lld us\n", (long long)lead,
		    (long long)late[rounds / 2],
		    (long long)late[rounds * 9 / 10],
		    (long long)late[rounds - 1]);
	}
	free(late);
	close(fd);
	return 0;
}
