/*
 * sdnotify.h - tell systemd how heraldd is doing (herald.service is
 * Type=notify): READY=1 once the store is open, the listener bound and
 * the plan done; RELOADING=1 and READY=1 around a reload; STOPPING=1;
 * STATUS= lines; WATCHDOG=1 from a timer on the event loop, so a loop
 * that stalls stops the pings and systemd restarts heraldd.
 *
 * Built without libsystemd (./configure --without-systemd, or no
 * libsystemd-dev), or run outside systemd (no $NOTIFY_SOCKET), every call
 * does nothing: callers never test for systemd themselves.
 */
#ifndef HERALD_SDNOTIFY_H
#define HERALD_SDNOTIFY_H

#include <stdint.h>

struct event_base;
struct sdnotify;

/*
 * Start the watchdog pings on base when systemd asked for them
 * ($WATCHDOG_USEC for this pid): a timer at half the interval, as
 * sd_watchdog_enabled(3) advises.  Returns a handle the caller owns
 * (sdnotify_free()); never NULL.  base is borrowed and must outlive it.
 */
struct sdnotify *sdnotify_open(struct event_base *base);

/* The interval of the pings in microseconds, 0 when there are none. */
uint64_t sdnotify_watchdog_usec(const struct sdnotify *sn);

/* Each of these does nothing when sn is NULL (before the loop exists).
 * READY=1 with a STATUS= line (status borrowed; may be NULL). */
void sdnotify_ready(struct sdnotify *sn, const char *status);
/* RELOADING=1 with the monotonic time systemd 253+ asks for. */
void sdnotify_reloading(struct sdnotify *sn);
/* STOPPING=1 with a STATUS= line (borrowed; may be NULL). */
void sdnotify_stopping(struct sdnotify *sn, const char *status);
/* STATUS= alone (borrowed). */
void sdnotify_status(struct sdnotify *sn, const char *status);

/* Stop the pings and free sn.  Accepts NULL. */
void sdnotify_free(struct sdnotify *sn);

#endif
