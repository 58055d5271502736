/*
 * incident.h - emergency incidents: a plan of the config triggered at a
 * venue, alerting everyone at once and again until someone takes charge.
 *
 * An incident (store.h, "Incidents") is recorded before any of its jobs.
 * Its alerts are JOB_EMERGENCY jobs with the incident in their key:
 *
 *   wave at +0            the plan's alert audience
 *   each escalate step    its `to` audience at +after
 *   repeat k (k >= 1)     alert, and the `to` of every step with
 *                         after <= k * repeat, at +k * repeat, up to
 *                         INCIDENT_REPEAT_CAP after the trigger
 *
 * Each recipient gets one job on every channel it has (its prefer chain,
 * its always copies and its address overrides): an emergency is not a
 * fallback chain.  The trigger plans wave 0, every escalation step and
 * repeat 1; a timer per open incident plans repeat k + 1 when repeat k
 * falls due, so the store holds at most one wave ahead.  Keys are
 * deterministic, so planning a wave twice is harmless: a restart (and a
 * reload) plans the current and the next repeat again and re-arms the
 * timer (incident_restore()).  Every node of a cluster times every
 * open incident (incident_adopt() on each heartbeat); the first to come
 * to an instant records it in the timeline.
 *
 * Taking charge (incident_ack(), from the API, an alert's ack link or an
 * SMS reply) and resolving (incident_resolve()) cancel the pending
 * alerts in the store; the dispatcher drops those already claimed at
 * hand-off (dispatch_check.c asks the store).  Then everyone already
 * alerted (an alert delivered or in flight) gets one notice, through
 * the channel of their first delivered alert: JOB_INCIDENT_ACK naming
 * who took charge and when, JOB_INCIDENT_CLOSE with the resolution's
 * note.
 */
#ifndef HERALD_INCIDENT_H
#define HERALD_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct engine;
struct incidents;

/* Limits of what a trigger may say, in bytes of UTF-8. */
#define INCIDENT_VENUE_MAX	200
#define INCIDENT_NOTE_MAX	2000
/* Who took charge or resolved: a contact id or a name. */
#define INCIDENT_WHO_MAX	128
/* Repeats stop this long after the trigger, acknowledged or not: a day
 * of alerts nobody answers is a broken phone tree, not a late one. */
#define INCIDENT_REPEAT_CAP	(24 * 3600)

/* An incident with its own copies of every string (v's point into buf). */
struct incident {
	struct store_incident v;
	char *buf;
};
/* Caller owns the result (incident_free()). */
struct incident *incident_copy(const struct store_incident *in);
/* Accepts NULL. */
void incident_free(struct incident *inc);

/* What went wrong, for the API's status code. */
enum incident_status {
	INCIDENT_OK = 0,
	INCIDENT_BAD,		/* the request (unknown plan, oversize venue) */
	INCIDENT_NOT_FOUND,	/* no such incident */
	INCIDENT_CONFLICT,	/* resolved already */
	INCIDENT_ERROR,		/* the store failed */
};

struct incident_request {
	const char *campaign;	/* NULL: the one campaign with the plan */
	const char *plan;
	const char *venue;
	const char *note;
	int drill;
	const char *source;	/* the door: "api", "alertmanager" */
};

/*
 * Trigger rq: validate it, record the incident and plan its first
 * waves, or find the one already open for the plan at the venue
 * (*created = 0; nothing planned).  *out (caller owns) is the incident
 * in force.  On error nothing is recorded and err says why.
 */
enum incident_status incident_trigger(struct engine *e,
    const struct incident_request *rq, struct incident **out, int *created,
    char *err, size_t errlen);

/*
 * Take charge of id: who (a contact id or a name) through door.  A
 * second ack changes nothing: *already = 1 and *out shows the first.
 * A resolved incident is INCIDENT_CONFLICT.  *out: caller owns, set
 * only on success (NULL after an error, so the pointer can be reused).
 */
enum incident_status incident_ack(struct engine *e, const char *id,
    const char *who, const char *door, struct incident **out, int *already,
    char *err, size_t errlen);

/* Close id with note; a resolved one is INCIDENT_CONFLICT.  *out as for
 * incident_ack(). */
enum incident_status incident_resolve(struct engine *e, const char *id,
    const char *who, const char *door, const char *note,
    struct incident **out, char *err, size_t errlen);

/* The incident id into *out (caller owns), or INCIDENT_NOT_FOUND. */
enum incident_status incident_get(struct engine *e, const char *id,
    struct incident **out, char *err, size_t errlen);

/*
 * The incident of plan at venue that is not resolved (open or acked)
 * into *out (caller owns), for a machine that names an incident by what
 * it is about (Alertmanager's resolved alerts).  campaign NULL: the one
 * campaign with the plan.  INCIDENT_BAD for an unknown plan or
 * campaign, INCIDENT_NOT_FOUND when none is open.
 */
enum incident_status incident_find_open(struct engine *e,
    const char *campaign, const char *plan, const char *venue,
    struct incident **out, char *err, size_t errlen);

/*
 * The engine's part: timers of the open incidents.  incidents_new()
 * borrows e (the caller owns the result, incidents_free()); the engine
 * calls incident_restore() after each plan (start, reload).
 */
struct incidents *incidents_new(struct engine *e);
void incidents_free(struct incidents *is);
/* Plan the current and next repeat of every open, unacknowledged
 * incident and arm its timer; 0 or -1 (logged). */
int incident_restore(struct engine *e);
/* The same for the open incidents this node does not time yet (another
 * node triggered them, or timed them and died): the engine calls it on
 * every heartbeat, so every node times every open incident and a
 * repeat does not wait for the triggering node.  0 or -1 (logged). */
int incident_adopt(struct engine *e);

#endif
