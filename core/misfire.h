/*
 * misfire.h - the misfire policy (DESIGN.md 2.4) in one place: what a
 * job's grace is, when a job is late, missed or superseded, and how a
 * miss is reported.
 *
 * A job overdue by less than its kind's grace is sent late and marked
 * late; beyond it, it is recorded as missed and reported, whatever made
 * it late: downtime, a reload that re-timed, added or revived it, a
 * stalled process.  Emergency alerts are never missed.  The engine
 * applies the policy to the whole store at start and after every reload
 * (store_expire(), given misfire_grace_table()); the dispatcher applies
 * it again to each job at hand-off, where a job leaves for its plugin.
 * Backends are handed the grace table and never decide it.
 */
#ifndef HERALD_MISFIRE_H
#define HERALD_MISFIRE_H

#include <stdint.h>

#include "job.h"
#include "model.h"

/* A delivered job is marked late when handed off more than this after
 * its planned instant (microseconds). */
#define MISFIRE_LATE_US 1000000

/*
 * Reminders of one deadline (or task) for one contact planned more than
 * this many seconds apart that a delay brings within it of each other are
 * "due together": only the latest is sent.  Reminders planned closer than
 * that are what the config asked for and go as planned.
 */
#define MISFIRE_TOGETHER 60

/* The grace of kind k under e, seconds; INT64_MAX for emergency alerts
 * and for a kind e does not know. */
int64_t misfire_grace(const struct model_engine *e, enum job_kind k);

/* The grace of every kind, for store_expire(). */
void misfire_grace_table(const struct model_engine *e,
    int64_t grace[JOB_KIND_COUNT]);

/* Whether j, handed off at now (Unix seconds), is overdue beyond its
 * grace; *overdue (may be NULL) gets now - next_at. */
int misfire_is_missed(const struct model_engine *e, const struct job *j,
    int64_t now, int64_t *overdue);

/* Whether j, handed off at now_us (microseconds), counts as late. */
int misfire_is_late(const struct job *j, int64_t now_us);

/*
 * Whether j, handed off at now, gives way to a later reminder of its item
 * for its contact that is due in [*after, *until] (and is pending, in
 * flight or delivered: store_later()).  0 when j is not a reminder or no
 * such reminder can exist.
 */
int misfire_supersede_range(const struct job *j, int64_t now,
    int64_t *after, int64_t *until);

/* Log the miss of j once, as a warning naming its due time in its
 * campaign's zone and the grace of m it went beyond.  j is borrowed. */
void misfire_log_missed(const struct model *m, const struct job *j);

#endif
