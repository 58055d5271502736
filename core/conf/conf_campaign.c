/*
 * conf_campaign.c - campaigns: period, phases, launch, deadlines, tasks,
 * emergency plans (the livestream block is conf_stage.c).
 *
 * Every civil time is read in the campaign's own zone, so a campaign's
 * timezone is read before anything else in it.  Per-campaign items have
 * one id namespace per kind.
 */
#include "conf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "xmalloc.h"

static const char *const conf_campaign_keys[] = {
	"id", "title", "brand", "timezone", "period", "coordinators", "digest",
	"digest_horizon", "phases", "launch", "launches", "deadlines", "tasks", "plans",
	"livestream", "day_start", "day_end", NULL
};
static const char *const conf_phase_keys[] = {
	"id", "title", "from", "to", "notify", NULL
};
static const char *const conf_launch_keys[] = {
	"title", "at", "countdown", "audience", "note", "verb", "templates",
	NULL
};
static const char *const conf_launches_keys[] = {
	"id", "title", "at", "countdown", "audience", "note", "verb",
	"templates", NULL
};
static const char *const conf_deadline_keys[] = {
	"id", "title", "due", "audience", "remind", "overdue", "escalate",
	"lead", "cooperate", "note", "verb", "templates", "every", "from",
	"until", "dues", NULL
};
static const char *const conf_digest_keys[] = { "every", "on", "at", NULL };
static const char *const conf_escalate_keys[] = { "after", "to", NULL };
static const char *const conf_task_keys[] = {
	"id", "title", "lead", "cooperate", "start", "due", "remind", "note",
	"verb", "templates", "overdue", "escalate", NULL
};
static const char *const conf_plan_keys[] = {
	"id", "title", "level", "alert", "repeat", "escalate", "steps", NULL
};

/* The kinds an item's own templates may word, per item kind. */
static const char *const conf_launch_kinds[] = { "countdown", "launch", NULL };
static const char *const conf_deadline_kinds[] = {
	"reminder", "overdue", "escalation", NULL
};
static const char *const conf_task_kinds[] = {
	"task", "task-overdue", "task-escalation", NULL
};

/*
 * The supervisors of audience's contacts, each once, in audience order:
 * a deadline's escalation without "to".  0 when none has one.
 */
static size_t
conf_supervisors(struct conf_ctx *cx, const struct model_audience *audience,
    struct model_audience *out)
{
	const struct model_contact *sup;
	size_t k;

	out->contacts = arena_alloc(cx->a, (audience->n + 1) *
	    sizeof(*out->contacts));
	out->n = 0;
	for (size_t i = 0; i < audience->n; i++) {
		if ((sup = audience->contacts[i]->supervisor) == NULL)
			continue;
		for (k = 0; k < out->n && out->contacts[k] != sup; k++)
			;
		if (k == out->n)
			out->contacts[out->n++] = sup;
	}
	return out->n;
}

/*
 * An escalation; audience is the deadline's (NULL for a plan's, whose
 * "to" is required): without "to", a deadline escalates to the
 * supervisors of whoever has not submitted.
 */
static void
conf_escalation(struct conf_ctx *cx, const config_setting_t *g,
    const char *owner, const struct model_audience *audience,
    struct model_escalation *e)
{
	const char *what = arena_printf(cx->a, "in escalate of %s", owner);

	conf_check_keys(cx, g, conf_escalate_keys, what);
	e->loc = conf_loc(cx, g);
	conf_get_offset(cx, g, "after", 1, what, &e->after);
	if (audience == NULL || config_setting_get_member(g, "to") != NULL) {
		conf_get_audience(cx, g, "to", 1, 0, arena_printf(cx->a,
		    "escalation of %s", owner), &e->to);
		return;
	}
	e->to_supervisors = 1;
	if (audience->n > 0 && conf_supervisors(cx, audience, &e->to) == 0)
		conf_err(cx, g, "escalate of %s has no \"to\", and no "
		    "contact of its audience has a supervisor", owner);
}

static void
conf_phases(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->phases = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->phases));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_phase *p = &c->phases[c->n_phases];
		const char *what;
		int ok;

		memset(p, 0, sizeof(*p));
		p->id = conf_item_id(cx, g, "phase", i, ids, locs, c->n_phases,
		    &what);
		conf_check_keys(cx, g, conf_phase_keys, what);
		p->loc = conf_loc(cx, g);
		conf_get_string(cx, g, "title", 1, what, &p->title);
		ok = conf_get_time(cx, g, "from", 1, c->timezone,
		    c->day_start_min * 60, what, &p->from) == 1;
		ok &= conf_get_time(cx, g, "to", 1, c->timezone,
		    CONF_DAY_LAST_SECOND, what, &p->to) == 1;
		if (ok && p->from.at > p->to.at)
			conf_err(cx, config_setting_get_member(g, "from"),
			    "phase \"%s\" starts after it ends (\"%s\" > \"%s\")",
			    p->id ? p->id : "?", p->from.text, p->to.text);
		conf_get_audience(cx, g, "notify", 0, 1, arena_printf(cx->a,
		    "notify of %s", conf_owner(what)), &p->notify);
		if (p->id == NULL)
			continue;
		ids[c->n_phases] = p->id;
		locs[c->n_phases] = p->loc;
		c->n_phases++;
	}
	free(ids);
	free(locs);
}

/*
 * One launch into l: the one-launch form (what names the campaign, the
 * item is "launch") or an entry of launches (its id already read).
 */
static void
conf_launch(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c, struct model_launch *l, const char *what)
{
	const char *owner = conf_owner(what);

	conf_check_keys(cx, g, l->id != NULL ? conf_launches_keys :
	    conf_launch_keys, what);
	l->loc = conf_loc(cx, g);
	if (l->id == NULL)
		l->id = MODEL_LAUNCH_ITEM;
	conf_get_string(cx, g, "title", 1, what, &l->title);
	if (conf_get_time(cx, g, "at", 1, c->timezone, c->day_start_min * 60,
	    what, &l->at) != 1)
		goto audience;
	conf_get_offsets(cx, g, "countdown", what, c->timezone, &l->at,
	    &l->countdown, &l->n_countdown);
	/* Allowed (a ceremony may open the period the day before), but
	 * more often a typo in one of the two dates. */
	if (c->period_from.text != NULL && c->period_to.text != NULL &&
	    (l->at.at < c->period_from.at || l->at.at > c->period_to.at))
		conf_warn(cx, config_setting_get_member(g, "at"), "%s at "
		    "\"%s\" is outside its period %s .. %s", owner,
		    l->at.text, c->period_from.text, c->period_to.text);
audience:
	conf_get_audience(cx, g, "audience", 1, 0, arena_printf(cx->a,
	    "audience of %s", owner), &l->audience);
	conf_wording(cx, g, what, conf_launch_kinds, &l->words);
}

/* launches = ( { id = "wuyi"; ... }, ... ): each its own item. */
static void
conf_launches(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->launches = arena_alloc(cx->a, (size_t)(n + 1) *
	    sizeof(*c->launches));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_launch *l = &c->launches[c->n_launches];
		const char *what;

		memset(l, 0, sizeof(*l));
		l->id = conf_item_id(cx, g, "launch", i, ids, locs,
		    c->n_launches, &what);
		if (l->id == NULL) {
			/* Checked all the same, for its other errors. */
			struct model_launch scratch;

			memset(&scratch, 0, sizeof(scratch));
			scratch.id = "?";
			conf_launch(cx, g, c, &scratch, what);
			continue;
		}
		conf_launch(cx, g, c, l, arena_printf(cx->a, "%s of campaign "
		    "\"%s\"", what, c->id));
		ids[c->n_launches] = l->id;
		locs[c->n_launches] = l->loc;
		c->n_launches++;
	}
	free(ids);
	free(locs);
}

/*
 * Deadline d (parsed from a group with "every" or "dues") once per
 * instance into *v (malloc'ed, grown here): id "ID#SUFFIX", the title
 * with the instance's label, the instance's due; the rest is shared,
 * read-only like the whole model.
 */
static void
conf_deadline_instances(struct conf_ctx *cx, const struct model_deadline *d,
    const struct conf_recur *inst, size_t n_inst, struct model_deadline **v,
    size_t *n)
{
	*v = xrealloc(*v, (*n + n_inst + 1) * sizeof(**v));
	for (size_t k = 0; k < n_inst; k++) {
		struct model_deadline *x = &(*v)[(*n)++];

		*x = *d;
		x->id = arena_printf(cx->a, "%s#%s", d->id, inst[k].suffix);
		x->title = d->title != NULL ? arena_printf(cx->a, "%s（%s）",
		    d->title, inst[k].label) : NULL;
		x->due = inst[k].due;
	}
}

static void
conf_deadlines(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));
	struct model_deadline *v = NULL;
	size_t n_ids = 0, n_v = 0;

	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i), *s;
		struct model_deadline dl, *d = &dl;
		struct conf_recur *inst;
		size_t n_inst;
		const char *what, *owner, *lead;
		int recur;

		memset(d, 0, sizeof(*d));
		d->id = conf_item_id(cx, g, "deadline", i, ids, locs, n_ids,
		    &what);
		owner = conf_owner(what);
		conf_check_keys(cx, g, conf_deadline_keys, what);
		d->loc = conf_loc(cx, g);
		d->overdue = 1;
		conf_get_string(cx, g, "title", 1, what, &d->title);
		recur = conf_recur(cx, g, c, what, &inst, &n_inst);
		if (n_inst > 0)
			/* Offsets are checked against the first instance:
			 * every instance has them, and each is as long. */
			d->due = inst[0].due;
		if (n_inst > 0 || (recur == 0 && conf_get_time(cx, g, "due", 1,
		    c->timezone, c->day_end_min * 60, what, &d->due) == 1))
			conf_get_offsets(cx, g, "remind", what, c->timezone,
			    &d->due, &d->remind, &d->n_remind);
		conf_get_audience(cx, g, "audience", 1, 0, arena_printf(cx->a,
		    "audience of %s", owner), &d->audience);
		conf_get_bool(cx, g, "overdue", what, &d->overdue);
		if ((s = conf_get_group(cx, g, "escalate", 0, what)) != NULL) {
			d->escalate = arena_alloc(cx->a, sizeof(*d->escalate));
			conf_escalation(cx, s, owner, &d->audience,
			    d->escalate);
		}
		if (conf_get_string(cx, g, "lead", 0, what, &lead) == 1)
			d->lead = conf_unit_ref(cx, config_setting_get_member(g,
			    "lead"), arena_printf(cx->a, "lead of %s", owner));
		conf_get_units(cx, g, "cooperate", arena_printf(cx->a,
		    "cooperate of %s", owner), &d->cooperate, &d->n_cooperate);
		conf_wording(cx, g, what, conf_deadline_kinds, &d->words);
		if (d->id != NULL) {
			ids[n_ids] = d->id;
			locs[n_ids++] = d->loc;
			if (n_inst > 0)
				conf_deadline_instances(cx, d, inst, n_inst, &v,
				    &n_v);
			else if (recur == 0) {
				v = xrealloc(v, (n_v + 1) * sizeof(*v));
				v[n_v++] = *d;
			}
		}
		free(inst);
	}
	c->deadlines = arena_alloc(cx->a, (n_v + 1) * sizeof(*c->deadlines));
	if (n_v > 0)	/* v is NULL then: memcpy's arguments must not be */
		memcpy(c->deadlines, v, n_v * sizeof(*v));
	c->n_deadlines = n_v;
	free(v);
	free(ids);
	free(locs);
}

/*
 * A task's overdue and escalate (both need due).  An escalation without
 * "to" goes to the supervisors of those the task's notices reach in its
 * lead unit (its liaison, or every member).
 */
static void
conf_task_after(struct conf_ctx *cx, const config_setting_t *g,
    struct model_task *t, const char *what, int has_due)
{
	static const char *const keys[] = { "overdue", "escalate", NULL };
	const char *owner = conf_owner(what);
	config_setting_t *s;
	struct model_audience lead = { NULL, 0 };

	for (size_t i = 0; !has_due && keys[i] != NULL; i++)
		if ((s = config_setting_get_member(g, keys[i])) != NULL) {
			conf_err(cx, s, "\"%s\" needs \"due\" %s", keys[i],
			    what);
			return;
		}
	conf_get_bool(cx, g, "overdue", what, &t->overdue);
	if ((s = conf_get_group(cx, g, "escalate", 0, what)) == NULL)
		return;
	if (t->lead != NULL && t->lead->liaison != NULL) {
		lead.contacts = arena_alloc(cx->a, sizeof(*lead.contacts));
		lead.contacts[0] = t->lead->liaison;
		lead.n = 1;
	} else if (t->lead != NULL) {
		lead.contacts = t->lead->members;
		lead.n = t->lead->n_members;
	}
	t->escalate = arena_alloc(cx->a, sizeof(*t->escalate));
	memset(t->escalate, 0, sizeof(*t->escalate));
	conf_escalation(cx, s, owner, &lead, t->escalate);
}

static void
conf_tasks(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->tasks = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->tasks));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_task *t = &c->tasks[c->n_tasks];
		const char *what, *owner, *lead;
		int has_due;

		memset(t, 0, sizeof(*t));
		t->id = conf_item_id(cx, g, "task", i, ids, locs, c->n_tasks,
		    &what);
		owner = conf_owner(what);
		conf_check_keys(cx, g, conf_task_keys, what);
		t->loc = conf_loc(cx, g);
		conf_get_string(cx, g, "title", 1, what, &t->title);
		if (conf_get_string(cx, g, "lead", 1, what, &lead) == 1)
			t->lead = conf_unit_ref(cx, config_setting_get_member(g,
			    "lead"), arena_printf(cx->a, "lead of %s", owner));
		conf_get_units(cx, g, "cooperate", arena_printf(cx->a,
		    "cooperate of %s", owner), &t->cooperate, &t->n_cooperate);
		conf_wording(cx, g, what, conf_task_kinds, &t->words);
		conf_get_time(cx, g, "start", 0, c->timezone,
		    c->day_start_min * 60, what, &t->start);
		has_due = conf_get_time(cx, g, "due", 0, c->timezone,
		    c->day_end_min * 60, what, &t->due);
		if (has_due == 1)
			conf_get_offsets(cx, g, "remind", what, c->timezone,
			    &t->due, &t->remind, &t->n_remind);
		else if (has_due == 0 && config_setting_get_member(g, "remind"))
			conf_err(cx, config_setting_get_member(g, "remind"),
			    "\"remind\" needs \"due\" %s", what);
		conf_task_after(cx, g, t, what, has_due == 1);
		if (t->start.text != NULL && t->due.text != NULL &&
		    t->start.at > t->due.at)
			conf_err(cx, config_setting_get_member(g, "start"),
			    "%s starts after it is due (\"%s\" > \"%s\")", owner,
			    t->start.text, t->due.text);
		if (t->id == NULL)
			continue;
		ids[c->n_tasks] = t->id;
		locs[c->n_tasks] = t->loc;
		c->n_tasks++;
	}
	free(ids);
	free(locs);
}

static void
conf_plans(struct conf_ctx *cx, const config_setting_t *list,
    struct model_campaign *c)
{
	int n = config_setting_length(list);
	const char **ids = xcalloc((size_t)n + 1, sizeof(*ids));
	struct model_loc *locs = xcalloc((size_t)n + 1, sizeof(*locs));

	c->plans = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*c->plans));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i), *esc;
		struct model_plan *p = &c->plans[c->n_plans];
		const char *what, *owner;
		long long level;

		memset(p, 0, sizeof(*p));
		p->id = conf_item_id(cx, g, "plan", i, ids, locs, c->n_plans,
		    &what);
		owner = conf_owner(what);
		conf_check_keys(cx, g, conf_plan_keys, what);
		p->loc = conf_loc(cx, g);
		conf_get_string(cx, g, "title", 1, what, &p->title);
		if (conf_get_int(cx, g, "level", 1, what, 1, 4, &level) == 1)
			p->level = (int)level;
		conf_get_audience(cx, g, "alert", 1, 0, arena_printf(cx->a,
		    "alert of %s", owner), &p->alert);
		conf_get_offset(cx, g, "repeat", 0, what, &p->repeat);
		conf_get_string(cx, g, "steps", 1, what, &p->steps);
		if ((esc = conf_get_groups(cx, g, "escalate", 0, what)) != NULL) {
			int k = config_setting_length(esc);

			p->escalate = arena_alloc(cx->a, (size_t)(k + 1) *
			    sizeof(*p->escalate));
			for (int j = 0; j < k; j++)
				conf_escalation(cx, config_setting_get_elem(esc, j),
				    owner, NULL, &p->escalate[p->n_escalate++]);
		}
		/* Escalating before the first repeat tells the next level
		 * before the people alerted were even asked twice. */
		for (size_t j = 0; p->repeat.text != NULL && j < p->n_escalate;
		    j++)
			if (p->escalate[j].after.text != NULL &&
			    p->escalate[j].after.seconds < p->repeat.seconds)
				conf_warn(cx, config_setting_get_member(
				    config_setting_get_elem(esc, (unsigned)j),
				    "after"), "escalation after \"%s\" of %s "
				    "comes before its first repeat (\"%s\")",
				    p->escalate[j].after.text, owner,
				    p->repeat.text);
		if (p->id == NULL)
			continue;
		ids[c->n_plans] = p->id;
		locs[c->n_plans] = p->loc;
		c->n_plans++;
	}
	free(ids);
	free(locs);
}

/*
 * digest = { every = "week"; on = "mon"; at = "09:00"; }: every defaults
 * to "day", at to the day's start; on is for weeks only (and required
 * there: no weekday is the obvious one).  Returns 0, or -1 after
 * reporting.
 */
static int
conf_digest_group(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c, const char *what)
{
	static const char *const days[] = {
		"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
	};
	const char *in = arena_printf(cx->a, "in digest of %s",
	    conf_owner(what)), *every = "day", *on = NULL, *at = NULL;
	int rc = 0, k;

	conf_check_keys(cx, g, conf_digest_keys, in);
	c->digest.at_min = c->day_start_min;
	if (conf_get_string(cx, g, "every", 0, in, &every) == -1)
		rc = -1;
	else if (strcmp(every, "week") == 0)
		c->digest.weekly = 1;
	else if (strcmp(every, "day") != 0) {
		conf_err(cx, config_setting_get_member(g, "every"), "every of "
		    "digest must be \"day\" or \"week\", not \"%s\"", every);
		rc = -1;
	}
	if (conf_get_string(cx, g, "on", c->digest.weekly, in, &on) == 1) {
		for (k = 0; days[k] != NULL && strcmp(days[k], on) != 0; k++)
			;
		if (!c->digest.weekly) {
			conf_err(cx, config_setting_get_member(g, "on"), "\"on\" "
			    "needs every = \"week\" %s", in);
			rc = -1;
		} else if (days[k] == NULL) {
			conf_err(cx, config_setting_get_member(g, "on"), "on of "
			    "digest must be a weekday (mon, tue, wed, thu, fri, "
			    "sat, sun), not \"%s\"", on);
			rc = -1;
		} else
			c->digest.on = k;
	} else if (c->digest.weekly)
		rc = -1;
	if (conf_get_string(cx, g, "at", 0, in, &at) == 1 &&
	    civil_parse_hhmm(at, &c->digest.at_min) < 0) {
		conf_err(cx, config_setting_get_member(g, "at"), "at of digest "
		    "\"%s\" must be a time of day HH:MM", at);
		rc = -1;
	}
	return rc;
}

static void
conf_campaign(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c, const char *what)
{
	config_setting_t *s;
	const char *digest;
	int has_coord;

	conf_check_keys(cx, g, conf_campaign_keys, what);
	c->loc = conf_loc(cx, g);
	conf_get_string(cx, g, "title", 1, what, &c->title);
	conf_get_string(cx, g, "brand", 0, what, &c->brand);
	c->timezone = cx->m->daemon.timezone;
	if (conf_get_string(cx, g, "timezone", 0, what, &c->timezone) == 1 &&
	    !civil_zone_is_valid(c->timezone)) {
		conf_err(cx, config_setting_get_member(g, "timezone"),
		    "unknown time zone \"%s\"", c->timezone);
		c->timezone = cx->m->daemon.timezone;
	}
	c->day_start_min = cx->m->daemon.engine.day_start_min;
	c->day_end_min = cx->m->daemon.engine.day_end_min;
	conf_get_day_times(cx, g, what, &c->day_start_min, &c->day_end_min);

	s = config_setting_get_member(g, "period");
	if (s == NULL)
		conf_err(cx, g, "missing setting \"period\" %s", what);
	else if ((!config_setting_is_array(s) && !config_setting_is_list(s)) ||
	    config_setting_length(s) != 2)
		conf_err(cx, s, "\"period\" must be a list of two dates [ FROM, "
		    "TO ]");
	else {
		const char *f = arena_printf(cx->a, "period of %s",
		    conf_owner(what));

		if (conf_time(cx, config_setting_get_elem(s, 0), c->timezone,
		    CONF_DAY_MIDNIGHT, f, &c->period_from) == 0 && conf_time(cx,
		    config_setting_get_elem(s, 1), c->timezone,
		    CONF_DAY_LAST_SECOND, f, &c->period_to) == 0 &&
		    c->period_from.at > c->period_to.at)
			conf_err(cx, s, "period of %s starts after it ends "
			    "(\"%s\" > \"%s\")", conf_owner(what),
			    c->period_from.text, c->period_to.text);
	}

	has_coord = conf_get_audience(cx, g, "coordinators", 0, 0,
	    arena_printf(cx->a, "coordinators of %s", conf_owner(what)),
	    &c->digest.to);
	s = config_setting_get_member(g, "digest");
	/* digest = true: at the start of the working day. */
	if (s != NULL && config_setting_type(s) == CONFIG_TYPE_BOOL) {
		if (config_setting_get_bool(s) && has_coord == 0)
			conf_err(cx, s, "digest needs coordinators %s", what);
		else if (config_setting_get_bool(s)) {
			c->digest.at_min = c->day_start_min;
			c->digest.set = 1;
		}
	} else if (s != NULL && config_setting_type(s) == CONFIG_TYPE_GROUP) {
		if (conf_digest_group(cx, s, c, what) == 0) {
			if (has_coord == 0)
				conf_err(cx, s, "digest needs coordinators %s",
				    what);
			else
				c->digest.set = 1;
		}
	} else if (conf_get_string(cx, g, "digest", 0, what, &digest) == 1) {
		if (civil_parse_hhmm(digest, &c->digest.at_min) < 0)
			conf_err(cx, s, "digest \"%s\" must be a time of day HH:MM",
			    digest);
		else if (has_coord == 0)
			conf_err(cx, s, "digest needs coordinators %s", what);
		else
			c->digest.set = 1;
	}
	/* A digest a week ahead by default: the desk acts on what is due
	 * soon, and three weeks of deadlines bury it. */
	c->digest.horizon = 7 * 86400;
	if ((s = config_setting_get_member(g, "digest_horizon")) != NULL) {
		struct model_offset h;

		if (conf_offset(cx, s, "digest_horizon", &h) == 0) {
			if (h.seconds <= 0)
				conf_err(cx, s, "digest_horizon must be longer "
				    "than 0");
			else
				c->digest.horizon = h.seconds;
		}
		if (config_setting_get_member(g, "digest") == NULL)
			conf_err(cx, s, "digest_horizon needs digest %s", what);
	}

	if ((s = conf_get_groups(cx, g, "phases", 0, what)) != NULL)
		conf_phases(cx, s, c);
	if ((s = conf_get_group(cx, g, "launch", 0, what)) != NULL) {
		if (config_setting_get_member(g, "launches") != NULL)
			conf_err(cx, config_setting_get_member(g, "launches"),
			    "%s has both \"launch\" and \"launches\": list "
			    "the one launch in launches", conf_owner(what));
		c->launches = arena_alloc(cx->a, sizeof(*c->launches));
		memset(c->launches, 0, sizeof(*c->launches));
		c->n_launches = 1;
		conf_launch(cx, s, c, c->launches, arena_printf(cx->a,
		    "in launch of campaign \"%s\"", c->id));
	} else if ((s = conf_get_groups(cx, g, "launches", 0, what)) != NULL)
		conf_launches(cx, s, c);
	if ((s = conf_get_groups(cx, g, "deadlines", 0, what)) != NULL)
		conf_deadlines(cx, s, c);
	if ((s = conf_get_groups(cx, g, "tasks", 0, what)) != NULL)
		conf_tasks(cx, s, c);
	if ((s = conf_get_groups(cx, g, "plans", 0, what)) != NULL)
		conf_plans(cx, s, c);
	if ((s = conf_get_group(cx, g, "livestream", 0, what)) != NULL)
		conf_livestream(cx, s, c);
}

void
conf_campaigns(struct conf_ctx *cx, const config_setting_t *list)
{
	struct model *m = cx->m;
	int n = config_setting_length(list);

	m->campaigns = arena_alloc(cx->a, (size_t)(n + 1) *
	    sizeof(*m->campaigns));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_campaign *c = &m->campaigns[m->n_campaigns];
		const struct model_campaign *first;
		const char *what, *id;

		memset(c, 0, sizeof(*c));
		id = conf_get_id(cx, g, "id", "campaign", i, &what);
		if (id != NULL && (first = model_campaign_find(m, id)) != NULL) {
			conf_err(cx, config_setting_get_member(g, "id"),
			    "duplicate campaign \"%s\" (first defined at %s:%d)",
			    id, first->loc.file, first->loc.line);
			id = NULL;
		}
		c->id = id != NULL ? id : "?";
		conf_campaign(cx, g, c, what);
		if (id != NULL)
			m->n_campaigns++;
	}
}
