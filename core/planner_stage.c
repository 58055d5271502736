/*
 * planner_stage.c - a stage's events for its livestream platform, as
 * jobs like any other (planner.h): to the stage's own contact
 * (model_stage.platform) on the stage's channel.
 *
 *  - schedule: the whole slot list, item "<stage>#<digest>", due
 *    stage.publish before the first slot.  A reload that moves, adds or
 *    retitles a slot changes the digest, so the old key is cancelled and
 *    the new one, usually already due, goes out at once (never missed:
 *    policy.c; dropped once the last slot is over: dispatch_check.c);
 *  - next_up: stage.next_up before each slot (when set);
 *  - on_air at each slot's start, off_air at its end.
 *
 * Slot events take the slot's item ("<stage>@<from>"), so moving one slot
 * changes only that slot's keys.  All offsets here are exact seconds: a
 * platform's next_up is minutes, never a civil day.  Never reads the
 * clock, calls nothing in planner.c.
 */
#include "planner.h"

#include <string.h>

static int
plan_stage_emit(struct job *j, plan_emit_fn emit, void *arg,
    struct plan_counts *counts, enum job_kind kind, int64_t at,
    int64_t offset)
{
	j->kind = kind;
	j->priority = job_kind_priority(kind);
	j->offset = offset;
	j->due = at;
	j->next_at = at;
	job_make_key(j->key, j->campaign, j->item, j->kind, j->offset,
	    j->contact, j->channel);
	if (emit(arg, j) == -1)
		return -1;
	counts->by_kind[kind]++;
	counts->total++;
	return 0;
}

int
plan_stage(const struct model_campaign *c, const struct model_stage *st,
    plan_emit_fn emit, void *arg, struct plan_counts *counts)
{
	char item[MODEL_SLOT_ITEM_MAX];
	const struct model_slot *first;
	struct job j;

	if (st->channel == NULL || st->platform.id == NULL || st->n_slots == 0)
		return 0;
	memset(&j, 0, sizeof(j));
	j.state = JOB_PENDING;
	j.campaign = c->id;
	j.contact = st->platform.id;
	j.channel = st->channel->name;

	first = st->slots[0];
	j.item = st->schedule_item;
	j.item_at = first->from.at;
	if (plan_stage_emit(&j, emit, arg, counts, JOB_SCHEDULE,
	    first->from.at - st->publish.seconds, st->publish.seconds) == -1)
		return -1;

	for (size_t i = 0; i < st->n_slots; i++) {
		const struct model_slot *s = st->slots[i];

		j.item = model_slot_item(s, item, sizeof(item));
		j.item_at = s->from.at;
		if (st->next_up.text != NULL && plan_stage_emit(&j, emit, arg,
		    counts, JOB_NEXT_UP, s->from.at - st->next_up.seconds,
		    st->next_up.seconds) == -1)
			return -1;
		if (plan_stage_emit(&j, emit, arg, counts, JOB_ON_AIR,
		    s->from.at, 0) == -1)
			return -1;
		/* Negative: after the slot's start, like an escalation's. */
		if (plan_stage_emit(&j, emit, arg, counts, JOB_OFF_AIR,
		    s->to.at, -(s->to.at - s->from.at)) == -1)
			return -1;
	}
	return 0;
}
