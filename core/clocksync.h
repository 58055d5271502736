/*
 * clocksync.h - does the kernel consider the clock synchronized?
 *
 * A launch notice is only as punctual as the clock it is timed by, so the
 * engine asks adjtimex(2) before each launch and warns when NTP (chrony,
 * systemd-timesyncd...) has not disciplined the clock.
 */
#ifndef HERALD_CLOCKSYNC_H
#define HERALD_CLOCKSYNC_H

#include <stddef.h>

struct clocksync {
	int synced;		/* 1: the kernel says synchronized */
	int state;		/* adjtimex() return: TIME_OK, TIME_ERROR... */
	int status;		/* timex.status bits (STA_UNSYNC...) */
	long maxerror_us;	/* maximum error estimate */
	long esterror_us;	/* estimated error */
};

/* Query the kernel.  Returns 0, or -1 with a reason in err. */
int clocksync_check(struct clocksync *out, char *err, size_t errlen);

/* The rule applied to adjtimex()'s answer: synced unless TIME_ERROR or
 * STA_UNSYNC.  Separate so it can be tested without a kernel to lie. */
int clocksync_is_synced(int state, int status);

#endif
