/*
 * policy.h - decisions about job kinds that several layers act on, each
 * written once: which notices a submission cancels (and its withdrawal
 * revives), which are never missed however late, and which later
 * reminders supersede a late one.
 *
 * The store is handed these as sets of kinds and graces (store.c asks
 * here before it calls a backend), so a backend stores and never
 * decides; the dispatcher's checks, the misfire policy and the
 * submission layer ask the same functions.  Which kinds go ahead of
 * everything (policy_is_emergency()) is asked by the dispatcher at each
 * step where an emergency is treated apart.
 */
#ifndef HERALD_POLICY_H
#define HERALD_POLICY_H

#include "job.h"

/* A set of job kinds, one bit each (bit k: kind k). */
#define POLICY_KIND(k)	(1u << (unsigned)(k))

/*
 * Whether a submission of a deadline cancels its submitters' pending
 * notices of kind k, and a withdrawal revives them: reminders and
 * overdue notices.  Not escalations: those go to supervisors about
 * several contacts, and the dispatcher decides at send time whether one
 * still has anyone to report.
 */
int policy_submission_cancels(enum job_kind k);

/* The kinds policy_submission_cancels() says yes to, as a set. */
unsigned policy_submission_kinds(void);

/*
 * Whether a job of kind k goes ahead of everything (issue 14): emergency
 * alerts.  The dispatcher dequeues such a job first, lets it take a slot
 * beyond the channel's concurrency and overdraw its token bucket, never
 * merges it, ignores quiet hours for it and gives it no fallback (an
 * emergency goes out on every channel at once, not down a chain); the
 * scheduler claims it past its cap and past saturated channels.
 */
int policy_is_emergency(enum job_kind k);

/* Whether a job of kind k is sent however late, never recorded as
 * missed: the emergency kinds (DESIGN.md 2.4).  Also for a kind out of
 * range, so that nothing unknown is dropped. */
int policy_never_missed(enum job_kind k);

/*
 * Whether acknowledging or resolving an incident stops its pending jobs
 * of kind k: the alerts (repeats and escalations to come).  Not the
 * notices about the ack and the resolution themselves.
 */
int policy_incident_stops(enum job_kind k);

/* The kinds policy_incident_stops() says yes to, as a set. */
unsigned policy_incident_stops_kinds(void);

/*
 * Whether a job of kind k is a stage's event for its livestream platform
 * (schedule, next_up, on_air, off_air): addressed to the stage, rendered
 * as the platform's JSON (render_stage.c), never quiet, never merged.
 */
int policy_is_stage(enum job_kind k);

/*
 * Whether a job of kind k may be rendered when claimed, ahead of its
 * instant (dispatch_prerender()): its text depends only on the model.
 * Not an escalation (the units still missing) nor a digest (its
 * tallies): the checks at hand-off read those from the store.  A job of
 * an incident renders the incident's state, also read at hand-off.
 */
int policy_renders_ahead(enum job_kind k);

/*
 * Whether a job of kind k must not go out once its slot has ended: a
 * next_up or on_air after the slot's off_air would announce a show that
 * is over.  The dispatcher records it missed instead.
 */
int policy_dead_after_slot(enum job_kind k);

/*
 * Whether engine.retry.max_age (counted from the job's due instant)
 * bounds the retries of a job of kind k: not for a stage's schedule,
 * whose due instant (stage.publish before the first slot) is nominal
 * and often long past when a reload plans it; its attempts still do.
 */
int policy_retry_ages(enum job_kind k);

/* A set of job states, one bit each (bit s: state s). */
#define POLICY_STATE(s)	(1u << (unsigned)(s))

/*
 * Whether a later reminder in state st takes the place of an earlier one
 * that a delay brought together with it (misfire_supersede_range(),
 * store_later()): it will go or went (pending, in flight, delivered).
 * One that failed or was missed, cancelled or superseded itself says
 * nothing to the contact, so the earlier one is sent.
 */
int policy_supersedes(enum job_state st);

/* The states policy_supersedes() says yes to, as a set. */
unsigned policy_superseding_states(void);

#endif
