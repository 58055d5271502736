/*
 * policy.h - decisions about job kinds that several layers act on, each
 * written once: which notices a submission cancels (and its withdrawal
 * revives), and which are never missed however late.
 *
 * The store is handed these as sets of kinds and graces (store.c asks
 * here before it calls a backend), so a backend stores and never
 * decides; the dispatcher's checks, the misfire policy and the
 * submission layer ask the same functions.
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

/* Whether a job of kind k is sent however late, never recorded as
 * missed: emergency alerts (DESIGN.md 2.4).  Also for a kind out of
 * range, so that nothing unknown is dropped. */
int policy_never_missed(enum job_kind k);

#endif
