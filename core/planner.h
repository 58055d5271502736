/*
 * planner.h - turn a model into jobs (DESIGN.md rule 2).
 *
 * The planner is a pure function of the model: it does not read the clock
 * and keeps no state, so planning the same model twice yields the same jobs,
 * with the same keys, in the same order.  Past jobs are emitted like any
 * other; the store and the misfire policy decide what to do with them.
 *
 * Order: campaigns in config order; within a campaign the launch
 * (countdowns, then the go notice), deadlines (reminders, overdue,
 * escalation), tasks, phases, livestream slots (host and audience
 * reminders, the next host's notice), each stage's platform events
 * (plan_stage()), then the daily digest;
 * within an item, offsets in config order, then recipients in audience
 * order, then the contact's first preferred channel and its `always`
 * channels.
 *
 * What moves and what is dropped:
 *  - reminders, task reminders and digests whose kind is in
 *    engine.workday_kinds and that land on a non-workday move to the
 *    previous workday at the same wall time (digests skip the day instead:
 *    moving would duplicate the previous day's digest);
 *  - a reminder or task reminder at or after its item's due instant is
 *    dropped, and two offsets of one item that land on the same instant are
 *    merged into the larger offset's job;
 *  - launch, countdown, overdue, escalation, phase and slot jobs never move.
 * Emergency plans plan nothing: incidents create their jobs when triggered.
 */
#ifndef HERALD_PLANNER_H
#define HERALD_PLANNER_H

#include <stddef.h>

#include "job.h"
#include "model.h"

/*
 * Called once per job.  The job and its strings are borrowed for the call:
 * most strings point into the model, but the item of a slot job lives in
 * the planner's buffer, so copy what you keep.  Return -1 to stop planning.
 */
typedef int (*plan_emit_fn)(void *arg, const struct job *j);

/*
 * Tallies of one plan_model() run, in jobs (one recipient on one channel):
 * moved = emitted jobs the work calendar moved; dropped = jobs not emitted
 * because they fell at/after their due instant or merged with another
 * offset; warnings = instants that fell in a DST gap or overlap, calendar
 * moves that found no workday, digest ranges cut short.
 */
struct plan_counts {
	size_t by_kind[JOB_KIND_COUNT];
	size_t total;
	size_t moved;
	size_t dropped;
	size_t warnings;
};

/*
 * Plan every job of m.  counts (may be NULL) is zeroed and filled.
 * Returns 0, or -1 when emit asked to stop or a campaign's zone could not
 * be read (counts then say how far planning got).
 */
int plan_model(const struct model *m, plan_emit_fn emit, void *arg,
    struct plan_counts *counts);

/*
 * The platform events of stage st of c (planner_stage.c): its schedule,
 * next_up, on_air and off_air, to the stage's own contact on its
 * channel; nothing for a stage without a channel.  counts is added to.
 * Returns 0, or -1 when emit asked to stop.
 */
int plan_stage(const struct model_campaign *c, const struct model_stage *st,
    plan_emit_fn emit, void *arg, struct plan_counts *counts);

/* One offset of an item resolved by plan_instants(). */
struct plan_instant {
	int64_t at;		/* when the notice goes out */
	int keep;		/* 0: dropped (at or after the item, or on the
				 * same instant as a larger offset) */
	int moved;		/* the work calendar moved it */
};

/*
 * When the notices at n offsets before the instant at of an item of c go
 * out, exactly as plan_model() plans the jobs of kind: JOB_REMINDER and
 * JOB_TASK move off non-workdays (when engine.workday_kinds says so) and
 * merge; JOB_COUNTDOWN and JOB_SLOT never move.  out[i] (n entries,
 * caller's) answers offsets[i].  For calendar alarms (ical.c), so a
 * calendar rings when herald sends.  Returns 0, or -1 when c's zone
 * cannot be read.  Sets TZ like every civil conversion: loop thread only.
 */
int plan_instants(const struct model *m, const struct model_campaign *c,
    enum job_kind kind, int64_t at, const struct model_offset *offsets,
    size_t n, struct plan_instant *out);

#endif
