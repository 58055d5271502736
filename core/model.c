/*
 * model.c - lookups in the immutable model, and its single free.
 *
 * The finds binary-search position arrays sorted by id, built once per
 * model by model_index(): rendering looks up a contact per message, and
 * a linear scan made a 10,000-contact launch quadratic.  A model built by
 * hand without model_index() is scanned instead.
 */
#include "model.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "job.h"

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	/* The model itself lives in its arena. */
	arena_free(m->arena);
}

/* Where an entry array lives and where each entry's id is. */
struct model_table {
	const char *base;
	size_t n, size, id_off;
};

static const char *
model_table_id(const struct model_table *t, size_t i)
{
	const char *id;

	memcpy(&id, t->base + i * t->size + t->id_off, sizeof(id));
	return id;
}

/* By id, then position: equal ids keep config order. */
static int
model_pos_cmp(const void *a, const void *b, void *arg)
{
	const struct model_table *t = arg;
	size_t pa = *(const size_t *)a, pb = *(const size_t *)b;
	int c = strcmp(model_table_id(t, pa), model_table_id(t, pb));

	if (c != 0)
		return c;
	return pa < pb ? -1 : pa > pb;
}

static void
model_index_one(struct arena *a, const struct model_table *t,
    struct model_index *idx)
{
	idx->pos = NULL;
	idx->n = t->n;
	if (t->n == 0)
		return;
	idx->pos = arena_alloc(a, t->n * sizeof(*idx->pos));
	for (size_t i = 0; i < t->n; i++)
		idx->pos[i] = i;
	qsort_r(idx->pos, t->n, sizeof(*idx->pos), model_pos_cmp,
	    (void *)t);
}

/* The entry with id, or NULL: bsearch when indexed, else a scan. */
static const void *
model_table_find(const struct model_table *t, const struct model_index *idx,
    const char *id)
{
	size_t lo = 0, hi = t->n;

	if (idx->pos == NULL || idx->n != t->n) {
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(model_table_id(t, i), id) == 0)
				return t->base + i * t->size;
		return NULL;
	}
	/* The first position whose id is >= id. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(model_table_id(t, idx->pos[mid]), id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && strcmp(model_table_id(t, idx->pos[lo]), id) == 0)
		return t->base + idx->pos[lo] * t->size;
	return NULL;
}

#define MODEL_TABLE(arr, n, type, field) { (const char *)(arr), (n), \
	sizeof(type), offsetof(type, field) }

void
model_index(struct model *m)
{
	const struct model_table ch = MODEL_TABLE(m->channels, m->n_channels,
	    struct model_channel, name);
	const struct model_table co = MODEL_TABLE(m->contacts, m->n_contacts,
	    struct model_contact, id);
	const struct model_table un = MODEL_TABLE(m->units, m->n_units,
	    struct model_unit, id);
	const struct model_table ca = MODEL_TABLE(m->campaigns,
	    m->n_campaigns, struct model_campaign, id);

	model_index_one(m->arena, &ch, &m->channel_idx);
	model_index_one(m->arena, &co, &m->contact_idx);
	model_index_one(m->arena, &un, &m->unit_idx);
	model_index_one(m->arena, &ca, &m->campaign_idx);
}

const struct model_channel *
model_channel_find(const struct model *m, const char *name)
{
	const struct model_table t = MODEL_TABLE(m->channels, m->n_channels,
	    struct model_channel, name);

	return model_table_find(&t, &m->channel_idx, name);
}

/* The platform contact of a stage (model.h, struct model_stage). */
static const struct model_contact *
model_stage_contact(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->n_campaigns; i++)
		for (size_t k = 0; k < m->campaigns[i].n_stages; k++) {
			const struct model_stage *st = &m->campaigns[i].stages[k];

			if (st->platform.id != NULL &&
			    strcmp(st->platform.id, id) == 0)
				return &st->platform;
		}
	return NULL;
}

const struct model_contact *
model_contact_find(const struct model *m, const char *id)
{
	const struct model_table t = MODEL_TABLE(m->contacts, m->n_contacts,
	    struct model_contact, id);
	const struct model_contact *k = model_table_find(&t, &m->contact_idx,
	    id);

	/* A stage's events go to the stage: one scan, for those only. */
	if (k == NULL && strncmp(id, MODEL_STAGE_CONTACT,
	    strlen(MODEL_STAGE_CONTACT)) == 0)
		k = model_stage_contact(m, id);
	return k;
}

const struct model_unit *
model_unit_find(const struct model *m, const char *id)
{
	const struct model_table t = MODEL_TABLE(m->units, m->n_units,
	    struct model_unit, id);

	return model_table_find(&t, &m->unit_idx, id);
}

const struct model_campaign *
model_campaign_find(const struct model *m, const char *id)
{
	const struct model_table t = MODEL_TABLE(m->campaigns,
	    m->n_campaigns, struct model_campaign, id);

	return model_table_find(&t, &m->campaign_idx, id);
}

const struct model_deadline *
model_deadline_find(const struct model_campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_deadlines; i++)
		if (strcmp(c->deadlines[i].id, id) == 0)
			return &c->deadlines[i];
	return NULL;
}

/* The phase of c that the instant at falls in, or NULL. */
const struct model_phase *
model_phase_at(const struct model_campaign *c, int64_t at)
{
	for (size_t i = 0; i < c->n_phases; i++) {
		const struct model_phase *ph = &c->phases[i];
		/* A date-only end means through that whole day. */
		int64_t end = ph->to.at + (ph->to.date_only ? 86400 : 1);

		if (at >= ph->from.at && at < end)
			return ph;
	}
	return NULL;
}

const struct model_task *
model_task_find(const struct model_campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_tasks; i++)
		if (strcmp(c->tasks[i].id, id) == 0)
			return &c->tasks[i];
	return NULL;
}

const struct model_launch *
model_launch_find(const struct model_campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_launches; i++)
		if (strcmp(c->launches[i].id, id) == 0)
			return &c->launches[i];
	return NULL;
}

const struct model_phase *
model_phase_find(const struct model_campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_phases; i++)
		if (strcmp(c->phases[i].id, id) == 0)
			return &c->phases[i];
	return NULL;
}

const struct model_plan *
model_plan_find(const struct model_campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_plans; i++)
		if (strcmp(c->plans[i].id, id) == 0)
			return &c->plans[i];
	return NULL;
}

char *
model_slot_item(const struct model_slot *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s@%s", s->stage != NULL ? s->stage->id : "",
	    s->from.text != NULL ? s->from.text : "");
	return buf;
}

const struct model_slot *
model_slot_find(const struct model_campaign *c, const char *item)
{
	char buf[MODEL_SLOT_ITEM_MAX];

	for (size_t i = 0; i < c->n_slots; i++)
		if (strcmp(model_slot_item(&c->slots[i], buf, sizeof(buf)),
		    item) == 0)
			return &c->slots[i];
	return NULL;
}

const struct model_stage *
model_schedule_find(const struct model_campaign *c, const char *item)
{
	for (size_t i = 0; i < c->n_stages; i++)
		if (c->stages[i].schedule_item != NULL &&
		    strcmp(c->stages[i].schedule_item, item) == 0)
			return &c->stages[i];
	return NULL;
}

int
model_item_find(const struct model_campaign *c, enum job_kind kind,
    const char *item, struct model_item *out)
{
	struct model_item it;

	memset(&it, 0, sizeof(it));
	switch (kind) {
	case JOB_COUNTDOWN:
	case JOB_LAUNCH:
		if ((it.launch = model_launch_find(c, item)) == NULL)
			return -1;
		it.title = it.launch->title != NULL ? it.launch->title :
		    c->title;
		it.when = &it.launch->at;
		break;
	case JOB_REMINDER:
	case JOB_OVERDUE:
	case JOB_ESCALATION:
		if ((it.deadline = model_deadline_find(c, item)) == NULL)
			return -1;
		it.title = it.deadline->title;
		it.when = &it.deadline->due;
		break;
	case JOB_TASK:
	case JOB_TASK_OVERDUE:
	case JOB_TASK_ESCALATION:
		if ((it.task = model_task_find(c, item)) == NULL)
			return -1;
		it.title = it.task->title;
		it.when = it.task->due.text != NULL ? &it.task->due : NULL;
		break;
	case JOB_PHASE:
		if ((it.phase = model_phase_find(c, item)) == NULL)
			return -1;
		it.title = it.phase->title;
		it.when = &it.phase->from;
		break;
	case JOB_SLOT:
	case JOB_NEXT_UP:
	case JOB_ON_AIR:
		if ((it.slot = model_slot_find(c, item)) == NULL)
			return -1;
		it.title = it.slot->title;
		it.when = &it.slot->from;
		it.stage = it.slot->stage;
		break;
	case JOB_OFF_AIR:
		if ((it.slot = model_slot_find(c, item)) == NULL)
			return -1;
		it.title = it.slot->title;
		it.when = &it.slot->to;
		it.stage = it.slot->stage;
		break;
	case JOB_SCHEDULE:
		if ((it.stage = model_schedule_find(c, item)) == NULL ||
		    it.stage->n_slots == 0)
			return -1;
		it.title = it.stage->title;
		it.when = &it.stage->slots[0]->from;
		break;
	case JOB_EMERGENCY:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE:
		if ((it.plan = model_plan_find(c, item)) == NULL)
			return -1;
		it.title = it.plan->title;
		break;
	case JOB_DIGEST:
		if (strcmp(item, MODEL_DIGEST_ITEM) != 0)
			return -1;
		it.title = c->title;
		break;
	default:
		return -1;
	}
	*out = it;
	return 0;
}

int
model_calendar_is_workday(const struct model_calendar *cal, int32_t day)
{
	size_t lo = 0, hi = cal->n_workdays;

	/* A make-up workday (调休) wins over the weekend. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->workdays[mid] == day)
			return 1;
		if (cal->workdays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < cal->n_holidays; i++)
		if (day >= cal->holidays[i].from_day &&
		    day <= cal->holidays[i].to_day)
			return 0;
	return (cal->weekend_mask & (1u << civil_weekday(day))) == 0;
}

_Static_assert(JOB_KIND_COUNT <= MODEL_KINDS, "MODEL_KINDS too small");

void
model_engine_defaults(struct model_engine *e)
{
	static const int64_t grace[JOB_KIND_COUNT] = {
		[JOB_COUNTDOWN] = 10 * 60,
		[JOB_LAUNCH] = 10 * 60,
		[JOB_REMINDER] = 2 * 3600,
		[JOB_OVERDUE] = 86400,
		[JOB_ESCALATION] = 86400,
		[JOB_TASK] = 2 * 3600,
		[JOB_PHASE] = 86400,
		[JOB_DIGEST] = 2 * 3600,
		[JOB_SLOT] = 10 * 60,
		[JOB_EMERGENCY] = INT64_MAX,	/* never missed */
		[JOB_INCIDENT_ACK] = INT64_MAX,
		[JOB_INCIDENT_CLOSE] = INT64_MAX,
		[JOB_TASK_OVERDUE] = 86400,
		[JOB_TASK_ESCALATION] = 86400,
		[JOB_SCHEDULE] = INT64_MAX,	/* never missed (policy.c) */
		/* A stage's board is stale after minutes; an on_air or
		 * next_up is never sent once its slot is over anyway. */
		[JOB_NEXT_UP] = 5 * 60,
		[JOB_ON_AIR] = 5 * 60,
		[JOB_OFF_AIR] = 10 * 60,
	};

	memset(e, 0, sizeof(*e));
	memcpy(e->grace, grace, sizeof(grace));
	e->workday_kinds = 1u << JOB_REMINDER | 1u << JOB_TASK | 1u << JOB_DIGEST;
	e->retry_attempts = 8;
	e->retry_base = 30;
	e->retry_cap = 30 * 60;
	e->retry_max_age = 12 * 3600;
	/* A peer that answers after the timeout probably took the message:
	 * wait long before paying it again, and not often. */
	e->retry_after_timeout = 5 * 60;
	e->retry_timeouts = 2;
	e->prefetch = 10;
	e->lease = 300;
	e->workers = 4;
	e->day_start_min = 9 * 60;
	e->day_end_min = 17 * 60 + 30;
}
