/*
 * ical.h - the campaigns' dated items as an RFC 5545 calendar, so that
 * the people herald reminds can also see them in their calendar app
 * (GET /v1/agenda.ics, heraldctl agenda --ics).
 *
 * One VEVENT per deadline, launch, livestream slot, phase and dated task,
 * each with a DTEND; alarms ring when the reminders, countdowns and
 * host reminders are sent (plan_instants(): moved off non-workdays like
 * the messages).  The messages herald itself sends are not in it: they
 * are jobs (GET /v1/agenda).  Emergency plans are left out: they have no
 * date.
 *
 * libical builds and serializes the calendar, so escaping, CRLF line
 * endings and line folding are the library's.
 */
#ifndef HERALD_ICAL_H
#define HERALD_ICAL_H

#include <stddef.h>
#include <stdint.h>

struct model;
struct model_campaign;

/*
 * The calendar of m's campaigns, or of only that one (a campaign of m;
 * NULL: all).  now (Unix seconds) is the DTSTAMP.  m and only are
 * borrowed for the call.  On success the caller owns *out (free()) and 0
 * is returned; else -1 with a reason in err.  Loop thread only: the
 * civil-time conversions set TZ (civil.h).
 */
int ical_build(const struct model *m, const struct model_campaign *only,
    int64_t now, char **out, char *err, size_t errlen);

/*
 * The UID of the event of item in campaign: "<campaign>/<item>@herald",
 * with every byte outside letters, digits and "-._~/" percent-encoded, so
 * that a slot's "cctv@2023-09-09 19:00" has no space and the UID one "@".
 * The same item always gives the same UID: the export and the email
 * channel's .ics attachments name one event per item.  Caller frees.
 */
char *ical_uid(const char *campaign, const char *item);

#endif
