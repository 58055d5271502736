/*
 * model.c - lookups in the immutable model, and its single free.
 *
 * The lookups are linear: a config has tens to a few thousand entries and
 * they run at load time and per API call, not per message.
 */
#include "model.h"

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

const struct model_channel *
model_channel_find(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_channels; i++)
		if (strcmp(m->channels[i].name, name) == 0)
			return &m->channels[i];
	return NULL;
}

const struct model_contact *
model_contact_find(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->n_contacts; i++)
		if (strcmp(m->contacts[i].id, id) == 0)
			return &m->contacts[i];
	return NULL;
}

const struct model_unit *
model_unit_find(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->n_units; i++)
		if (strcmp(m->units[i].id, id) == 0)
			return &m->units[i];
	return NULL;
}

const struct model_campaign *
model_campaign_find(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->n_campaigns; i++)
		if (strcmp(m->campaigns[i].id, id) == 0)
			return &m->campaigns[i];
	return NULL;
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
	};

	memset(e, 0, sizeof(*e));
	memcpy(e->grace, grace, sizeof(grace));
	e->workday_kinds = 1u << JOB_REMINDER | 1u << JOB_TASK | 1u << JOB_DIGEST;
	e->retry_attempts = 8;
	e->retry_base = 30;
	e->retry_cap = 30 * 60;
	e->retry_max_age = 12 * 3600;
	e->prefetch = 10;
	e->lease = 300;
}
