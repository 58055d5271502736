/*
 * sdnotify.c - sd_notify(3) messages and the watchdog timer.
 *
 * libsystemd's sd_notify() is used rather than a hand-written datagram:
 * it knows the abstract-socket and credential details, and the watchdog
 * check (WATCHDOG_PID is this process) is sd_watchdog_enabled()'s.  The
 * environment is left set (unset_environment 0): heraldd runs no child
 * that could send in its name.  A failed send is ignored on purpose:
 * under systemd it only costs a start timeout, which systemd reports.
 */
#include "sdnotify.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "xmalloc.h"

struct sdnotify {
	struct event *watchdog;		/* owned; NULL without pings */
	uint64_t watchdog_usec;
};

#ifdef HAVE_SYSTEMD
static void
sdnotify_send(const char *msg)
{
	(void)sd_notify(0, msg);
}

static void
sdnotify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sdnotify_send("WATCHDOG=1");
}
#else
static void
sdnotify_send(const char *msg)
{
}
#endif

struct sdnotify *
sdnotify_open(struct event_base *base)
{
	struct sdnotify *sn = xcalloc(1, sizeof(*sn));
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;
	struct timeval tv;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return sn;
	/* Half the interval: a ping late by less than that still counts. */
	tv.tv_sec = (time_t)(usec / 2 / 1000000);
	tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
	sn->watchdog = event_new(base, -1, EV_PERSIST, sdnotify_on_watchdog,
	    sn);
	if (sn->watchdog == NULL || event_add(sn->watchdog, &tv) == -1) {
		if (sn->watchdog != NULL)
			event_free(sn->watchdog);
		sn->watchdog = NULL;
		return sn;
	}
	sn->watchdog_usec = usec;
	/* The first ping now: the start may have taken a while. */
	sdnotify_send("WATCHDOG=1");
#endif
	return sn;
}

uint64_t
sdnotify_watchdog_usec(const struct sdnotify *sn)
{
	return sn != NULL ? sn->watchdog_usec : 0;
}

/* Send "head\nSTATUS=status" (or head alone). */
static void
sdnotify_with_status(const char *head, const char *status)
{
	char buf[512];

	if (status == NULL) {
		sdnotify_send(head);
		return;
	}
	snprintf(buf, sizeof(buf), "%s%sSTATUS=%s", head,
	    *head != '\0' ? "\n" : "", status);
	sdnotify_send(buf);
}

void
sdnotify_ready(struct sdnotify *sn, const char *status)
{
	if (sn == NULL)
		return;
	sdnotify_with_status("READY=1", status);
}

void
sdnotify_reloading(struct sdnotify *sn)
{
	struct timespec ts;
	char buf[96];

	if (sn == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	sdnotify_with_status(buf, "reloading the config");
}

void
sdnotify_stopping(struct sdnotify *sn, const char *status)
{
	if (sn == NULL)
		return;
	sdnotify_with_status("STOPPING=1", status);
}

void
sdnotify_status(struct sdnotify *sn, const char *status)
{
	if (sn == NULL || status == NULL)
		return;
	sdnotify_with_status("", status);
}

void
sdnotify_free(struct sdnotify *sn)
{
	if (sn == NULL)
		return;
	if (sn->watchdog != NULL)
		event_free(sn->watchdog);
	free(sn);
}
