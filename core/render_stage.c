/*
 * render_stage.c - the JSON a stage's platform events carry (the generic
 * contract of doc/livestream.txt), rendered by the core so that the
 * livestream plugin only posts it: the plugin sees one message, not the
 * model, and a flavour for a real platform maps this document.
 *
 *   schedule: { "stage", "title", "campaign", "campaign_title", "timezone",
 *               "slots": [ slot... ] }
 *   next_up, on_air, off_air:
 *             { "event", "stage", "title", "campaign", "at",
 *               "slot": slot, "next": slot or null }
 *   slot:     { "slot", "title", "from", "to", "host": { "id", "name" }
 *               or null, "note" (when set) }
 *
 * Instants are RFC 3339 in the campaign's zone ("2020-11-02T20:00:00+08:00").
 * Calls nothing in render.c.
 */
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "civil.h"

/* RFC 3339 of t in zone, with the zone's offset then. */
static json_t *
render_stage_time(int64_t t, const char *zone)
{
	struct civil c;
	int64_t local, off;
	char buf[40];

	if (civil_from_instant(t, zone, &c, NULL) == -1)
		return json_null();
	local = (int64_t)civil_days_from_date(c.year, c.month, c.day) * 86400 +
	    c.hour * 3600 + c.min * 60 + c.sec;
	off = local - t;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    c.year, c.month, c.day, c.hour, c.min, c.sec, off < 0 ? '-' : '+',
	    (int)(llabs(off) / 3600), (int)(llabs(off) / 60 % 60));
	return json_string(buf);
}

static json_t *
render_stage_slot(const struct model_campaign *c, const struct model_slot *s)
{
	char item[MODEL_SLOT_ITEM_MAX];
	json_t *o;

	if (s == NULL)
		return json_null();
	o = json_object();
	json_object_set_new(o, "slot", json_string(model_slot_item(s, item,
	    sizeof(item))));
	json_object_set_new(o, "title", json_string(s->title));
	json_object_set_new(o, "from", render_stage_time(s->from.at,
	    c->timezone));
	json_object_set_new(o, "to", render_stage_time(s->to.at, c->timezone));
	if (s->host != NULL)
		json_object_set_new(o, "host", json_pack("{s:s, s:s?}", "id",
		    s->host->id, "name", s->host->name));
	else
		json_object_set_new(o, "host", json_null());
	if (s->words.note != NULL)
		json_object_set_new(o, "note", json_string(s->words.note));
	return o;
}

/* The slot after s on its stage, or NULL. */
static const struct model_slot *
render_stage_next(const struct model_stage *st, const struct model_slot *s)
{
	for (size_t i = 0; i + 1 < st->n_slots; i++)
		if (st->slots[i] == s)
			return st->slots[i + 1];
	return NULL;
}

char *
render_stage(const struct model_campaign *c, const struct job *j,
    const struct model_item *it)
{
	const struct model_stage *st = it->stage;
	json_t *o = json_object(), *slots;
	char *text;

	if (st == NULL) {
		json_decref(o);
		return NULL;
	}
	if (j->kind == JOB_SCHEDULE) {
		json_object_set_new(o, "stage", json_string(st->id));
		json_object_set_new(o, "title", json_string(st->title));
		json_object_set_new(o, "campaign", json_string(c->id));
		json_object_set_new(o, "campaign_title", json_string(c->title));
		json_object_set_new(o, "timezone", json_string(c->timezone));
		slots = json_array();
		for (size_t i = 0; i < st->n_slots; i++)
			json_array_append_new(slots, render_stage_slot(c,
			    st->slots[i]));
		json_object_set_new(o, "slots", slots);
	} else {
		json_object_set_new(o, "event",
		    json_string(job_kind_name(j->kind)));
		json_object_set_new(o, "stage", json_string(st->id));
		json_object_set_new(o, "title", json_string(st->title));
		json_object_set_new(o, "campaign", json_string(c->id));
		json_object_set_new(o, "at", render_stage_time(j->due,
		    c->timezone));
		json_object_set_new(o, "slot", render_stage_slot(c, it->slot));
		json_object_set_new(o, "next", render_stage_slot(c,
		    render_stage_next(st, it->slot)));
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}
