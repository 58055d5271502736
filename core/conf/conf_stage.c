/*
 * conf_stage.c - a campaign's livestream block: stages and their slots.
 */
#include "conf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

static const char *const conf_livestream_keys[] = { "stages", "slots", NULL };
static const char *const conf_stage_keys[] = { "id", "title", "channel", NULL };
static const char *const conf_slot_keys[] = {
	"stage", "title", "from", "to", "host", "remind", "note", "verb",
	"templates", NULL
};
static const char *const conf_slot_kinds[] = { "slot", NULL };

static void
conf_stages(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->stages = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->stages));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_stage *st = &c->stages[c->n_stages];
		const char *what, *chan;

		memset(st, 0, sizeof(*st));
		st->id = conf_item_id(cx, g, "stage", i, ids, locs, c->n_stages,
		    &what);
		conf_check_keys(cx, g, conf_stage_keys, what);
		st->loc = conf_loc(cx, g);
		conf_get_string(cx, g, "title", 1, what, &st->title);
		if (conf_get_string(cx, g, "channel", 0, what, &chan) == 1)
			st->channel = conf_channel_ref(cx,
			    config_setting_get_member(g, "channel"),
			    arena_printf(cx->a, "channel of %s",
			    conf_owner(what)));
		if (st->id == NULL)
			continue;
		ids[c->n_stages] = st->id;
		locs[c->n_stages] = st->loc;
		c->n_stages++;
	}
	free(ids);
	free(locs);
}

static int
conf_slot_cmp(const void *a, const void *b)
{
	const struct model_slot *x = *(const struct model_slot *const *)a;
	const struct model_slot *y = *(const struct model_slot *const *)b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->from.at != y->from.at)
		return x->from.at < y->from.at ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
conf_slots(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	struct model_slot **order;

	c->slots = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->slots));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i), *s;
		struct model_slot *sl = &c->slots[c->n_slots];
		const char *what = arena_printf(cx->a, "in slot #%d of campaign "
		    "\"%s\"", i + 1, c->id), *stage;
		int ok = 1;

		if (conf_get_string(cx, g, "title", 1, what, &sl->title) == 1)
			what = arena_printf(cx->a, "in slot \"%s\"", sl->title);
		conf_check_keys(cx, g, conf_slot_keys, what);
		sl->loc = conf_loc(cx, g);
		if (conf_get_string(cx, g, "stage", 1, what, &stage) == 1) {
			for (size_t k = 0; k < c->n_stages; k++)
				if (strcmp(c->stages[k].id, stage) == 0)
					sl->stage = &c->stages[k];
			if (sl->stage == NULL)
				conf_err(cx, config_setting_get_member(g, "stage"),
				    "unknown stage \"%s\" in %s", stage,
				    conf_owner(what));
		}
		ok &= conf_get_time(cx, g, "from", 1, c->timezone,
		    CONF_DAY_MIDNIGHT, what, &sl->from) == 1;
		ok &= conf_get_time(cx, g, "to", 1, c->timezone,
		    CONF_DAY_MIDNIGHT, what, &sl->to) == 1;
		if (ok && sl->from.at >= sl->to.at) {
			conf_err(cx, config_setting_get_member(g, "to"),
			    "%s must end after it starts (\"%s\" .. \"%s\")",
			    conf_owner(what), sl->from.text, sl->to.text);
			ok = 0;
		}
		if (conf_get_string(cx, g, "host", 0, what, &stage) == 1)
			sl->host = conf_contact_ref(cx, config_setting_get_member(
			    g, "host"), arena_printf(cx->a, "host of %s",
			    conf_owner(what)));
		if (sl->from.text != NULL)
			conf_get_offsets(cx, g, "remind", what, c->timezone,
			    &sl->from, &sl->remind, &sl->n_remind);
		conf_wording(cx, g, what, conf_slot_kinds, &sl->words);
		s = config_setting_get_member(g, "stage");
		if (ok && sl->stage != NULL && sl->title != NULL && s != NULL)
			c->n_slots++;
		else
			memset(sl, 0, sizeof(*sl));
	}

	/* Overlaps: sort by stage and start, compare neighbours. */
	order = xcalloc(c->n_slots + 1, sizeof(*order));
	for (size_t i = 0; i < c->n_slots; i++)
		order[i] = &c->slots[i];
	qsort(order, c->n_slots, sizeof(*order), conf_slot_cmp);
	for (size_t i = 1; i < c->n_slots; i++) {
		const struct model_slot *a = order[i - 1], *b = order[i];

		if (a->stage == b->stage && b->from.at < a->to.at)
			errlist_add(cx->errs, b->loc.file, b->loc.line,
			    "slot \"%s\" overlaps slot \"%s\" (%s:%d) on stage "
			    "\"%s\"", b->title, a->title, a->loc.file,
			    a->loc.line, b->stage->id);
	}
	free(order);
}

void
conf_livestream(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c)
{
	const char *what = arena_printf(cx->a, "in livestream of campaign "
	    "\"%s\"", c->id);
	config_setting_t *s;

	conf_check_keys(cx, g, conf_livestream_keys, what);
	if ((s = conf_get_groups(cx, g, "stages", 0, what)) != NULL)
		conf_stages(cx, s, c);
	if ((s = conf_get_groups(cx, g, "slots", 0, what)) != NULL)
		conf_slots(cx, s, c);
}
