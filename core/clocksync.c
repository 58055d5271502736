/*
 * clocksync.c - the adjtimex(2) synchronization check (see clocksync.h).
 *
 * adjtimex() with modes 0 only reads.  Containers without CAP_SYS_TIME may
 * still read; a kernel that refuses gives -1 and the caller reports the
 * clock as unknown rather than unsynchronized.
 */
#include "clocksync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

int
clocksync_is_synced(int state, int status)
{
	return state != TIME_ERROR && (status & STA_UNSYNC) == 0;
}

int
clocksync_check(struct clocksync *out, char *err, size_t errlen)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state == -1) {
		snprintf(err, errlen, "adjtimex: %s", strerror(errno));
		return -1;
	}
	out->state = state;
	out->status = tx.status;
	out->synced = clocksync_is_synced(state, tx.status);
	out->maxerror_us = tx.maxerror;
	out->esterror_us = tx.esterror;
	return 0;
}
