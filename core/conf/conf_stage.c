/*
 * conf_stage.c - a campaign's livestream block: stages (their channel,
 * next_up, publish and series, conf_series.c) and slots, checked for
 * overlaps on each stage; then each stage's slot list, the schedule's
 * digest and the stage's own contact (model.h, struct model_stage).
 */
#include "conf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

static const char *const conf_livestream_keys[] = { "stages", "slots", NULL };
static const char *const conf_stage_keys[] = {
	"id", "title", "channel", "next_up", "publish", "series", NULL
};
static const char *const conf_slot_keys[] = {
	"stage", "title", "from", "to", "host", "audience", "remind", "note",
	"verb", "templates", NULL
};
/* The schedule goes out this long before the first slot unless set. */
#define CONF_STAGE_PUBLISH	(7 * 86400)
static const char *const conf_slot_kinds[] = { "slot", NULL };

/* Series sessions are appended to *series (n, cap), freed by the caller. */
static void
conf_stages(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c, struct model_slot **series, size_t *n_series,
    size_t *cap)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->stages = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->stages));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_stage *st = &c->stages[c->n_stages];
		const char *what, *chan;
		config_setting_t *sg;

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
		conf_get_offset(cx, g, "next_up", 0, what, &st->next_up);
		st->publish.seconds = CONF_STAGE_PUBLISH;
		st->publish.days = 7;
		st->publish.text = "7d";
		conf_get_offset(cx, g, "publish", 0, what, &st->publish);
		if (st->channel == NULL && st->next_up.text != NULL)
			conf_warn(cx, config_setting_get_member(g, "next_up"),
			    "next_up of %s needs a channel to announce on",
			    conf_owner(what));
		if (st->id == NULL)
			continue;
		if (st->title != NULL && (sg = conf_get_groups(cx, g, "series",
		    0, what)) != NULL)
			conf_series(cx, sg, c, st, series, n_series, cap);
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

/* "slot \"T\" 2020-11-05 21:00 .. 23:00" or
 * "session 2020-11-02 20:00 .. 22:00 of series \"T\"". */
static const char *
conf_slot_name(struct conf_ctx *cx, const struct model_slot *s)
{
	const char *to = s->to.text;

	/* The end's date only when it differs from the start's. */
	if (strncmp(s->from.text, to, 11) == 0 && strlen(to) > 11)
		to += 11;
	if (s->in_series)
		return arena_printf(cx->a, "session %s .. %s of series \"%s\"",
		    s->from.text, to, s->title);
	return arena_printf(cx->a, "slot \"%s\" %s .. %s", s->title,
	    s->from.text, to);
}

/*
 * Two slots of one stage at once.  Between hand-written slots the
 * message stays the one it always was; a series' session is named by its
 * instants, and the error is at the series (the later one's first).
 */
static void
conf_slot_overlap(struct conf_ctx *cx, const struct model_slot *a,
    const struct model_slot *b)
{
	const struct model_slot *at = b->in_series || !a->in_series ? b : a;
	const struct model_slot *other = at == b ? a : b;

	if (!a->in_series && !b->in_series) {
		errlist_add(cx->errs, b->loc.file, b->loc.line,
		    "slot \"%s\" overlaps slot \"%s\" (%s:%d) on stage "
		    "\"%s\"", b->title, a->title, a->loc.file,
		    a->loc.line, b->stage->id);
		return;
	}
	errlist_add(cx->errs, at->loc.file, at->loc.line, "%s overlaps %s "
	    "(%s:%d) on stage \"%s\"", conf_slot_name(cx, at),
	    conf_slot_name(cx, other), other->loc.file, other->loc.line,
	    at->stage->id);
}

/* The hand-written slots of list (may be NULL), then the n_series
 * sessions of series (copied). */
static void
conf_slots(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c, const struct model_slot *series,
    size_t n_series)
{
	int n = list != NULL ? config_setting_length(list) : 0;
	struct model_slot **order;
	const struct model_slot *last;

	c->slots = arena_alloc(cx->a, ((size_t)n + n_series + 1) *
	    sizeof(*c->slots));
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
		conf_get_audience(cx, g, "audience", 0, 1, arena_printf(cx->a,
		    "audience of %s", conf_owner(what)), &sl->audience);
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

	for (size_t i = 0; i < n_series; i++)
		c->slots[c->n_slots++] = series[i];

	/* Overlaps: sort by stage and start; each slot against the one of
	 * its stage ending last so far (a long slot may cover several). */
	order = xcalloc(c->n_slots + 1, sizeof(*order));
	for (size_t i = 0; i < c->n_slots; i++)
		order[i] = &c->slots[i];
	qsort(order, c->n_slots, sizeof(*order), conf_slot_cmp);
	last = c->n_slots > 0 ? order[0] : NULL;
	for (size_t i = 1; i < c->n_slots; i++) {
		const struct model_slot *b = order[i];

		if (last->stage != b->stage) {
			last = b;
			continue;
		}
		if (b->from.at < last->to.at)
			conf_slot_overlap(cx, last, b);
		if (b->to.at > last->to.at)
			last = b;
	}
	/* Each stage's slots by start, each with the one before it. */
	for (size_t i = 0; i < c->n_stages; i++)
		c->stages[i].slots = arena_alloc(cx->a, (c->n_slots + 1) *
		    sizeof(*c->stages[i].slots));
	for (size_t i = 0; i < c->n_slots; i++) {
		struct model_slot *b = order[i];
		struct model_stage *st = (struct model_stage *)b->stage;

		if (st->n_slots > 0)
			b->prev = st->slots[st->n_slots - 1];
		st->slots[st->n_slots++] = b;
	}
	free(order);
}

/*
 * FNV-1a over the slot list as the platform sees it (instants, titles,
 * hosts): any change to it changes the schedule job's key, and only
 * that stage's.
 */
static uint64_t
conf_stage_digest(const struct model_stage *st)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char buf[64];

	for (size_t i = 0; i < st->n_slots; i++) {
		const struct model_slot *s = st->slots[i];
		const char *parts[4] = { buf, s->title, s->host != NULL ?
		    s->host->id : "", s->host != NULL && s->host->name != NULL ?
		    s->host->name : "" };

		snprintf(buf, sizeof(buf), "%" PRId64 "/%" PRId64, s->from.at,
		    s->to.at);
		for (size_t k = 0; k < 4; k++)
			for (const char *p = parts[k]; ; p++) {
				h ^= (unsigned char)*p;
				h *= 0x100000001b3ULL;
				if (*p == '\0')
					break;
			}
	}
	return h;
}

/* The schedule item and the stage's own contact, for stages with a
 * channel and slots. */
static void
conf_stage_platform(struct conf_ctx *cx, const struct model_campaign *c,
    struct model_stage *st)
{
	struct model_contact *k = &st->platform;
	const struct model_channel **prefer;
	struct model_address *addr;

	if (st->channel == NULL || st->n_slots == 0)
		return;
	st->schedule_item = arena_printf(cx->a, "%s#%016" PRIx64, st->id,
	    conf_stage_digest(st));
	prefer = arena_alloc(cx->a, sizeof(*prefer));
	prefer[0] = st->channel;
	addr = arena_alloc(cx->a, sizeof(*addr));
	addr->channel = st->channel;
	addr->address = st->id;
	k->loc = st->loc;
	k->id = arena_printf(cx->a, MODEL_STAGE_CONTACT "%s/%s", c->id, st->id);
	k->name = st->title;
	k->prefer = prefer;
	k->n_prefer = 1;
	k->addresses = addr;
	k->n_addresses = 1;
}

void
conf_livestream(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c)
{
	const char *what = arena_printf(cx->a, "in livestream of campaign "
	    "\"%s\"", c->id);
	config_setting_t *s;

	struct model_slot *series = NULL;
	size_t n_series = 0, cap = 0;

	conf_check_keys(cx, g, conf_livestream_keys, what);
	if ((s = conf_get_groups(cx, g, "stages", 0, what)) != NULL)
		conf_stages(cx, s, c, &series, &n_series, &cap);
	s = conf_get_groups(cx, g, "slots", 0, what);
	conf_slots(cx, s, c, series, n_series);
	free(series);
	for (size_t i = 0; i < c->n_stages; i++)
		conf_stage_platform(cx, c, &c->stages[i]);
}
