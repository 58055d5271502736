/*
 * planner.c - the model's items, offsets and audiences multiplied out into
 * keyed jobs.
 *
 * Cost model: the expensive steps are the civil-time conversions (each
 * switches the process zone) and the key (a SHA-1).  Conversions happen
 * once per item and offset, never per recipient; the inner loop over
 * recipients and channels only fills one job on the stack, hashes its key
 * and hands it to emit, so planning allocates nothing per job.  The only
 * allocation is one small array per item with reminder offsets, used to
 * find offsets that the calendar merged onto one instant.
 *
 * The planner never reads the clock: whether a job is already past is the
 * store's and the misfire policy's business.
 */
#include "planner.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "xmalloc.h"

#define PLAN_DAY		86400
/* How far back a calendar move may look for a workday (a long holiday
 * such as the Spring Festival is 8 days; a broken calendar is not). */
#define PLAN_WORKDAY_SEARCH	31
/* A digest range longer than this is a config mistake, not a campaign. */
#define PLAN_DIGEST_MAX_DAYS	3660

struct plan_ctx {
	const struct model *m;
	const struct model_campaign *c;
	const char *zone;
	plan_emit_fn emit;
	void *arg;
	struct plan_counts *counts;
	struct job j;		/* the job being emitted; fields set per item */
	int moved;		/* the current instant was moved by the calendar */
	int has_earliest;	/* earliest reminder/countdown, for the digest */
	int64_t earliest;
	int32_t last_day;	/* last day the digest must cover */
	/* An item's civil time, shared by its offsets: one conversion per
	 * item, not per offset. */
	int64_t cached_at;
	int cached;
	struct civil cached_civil;
	char slot_item[MODEL_SLOT_ITEM_MAX];
};

/* Recipients of an item: an audience, or units (lead + cooperating). */
struct plan_to {
	const struct model_audience *audience;
	const struct model_contact *contact;
	const struct model_unit *lead;
	const struct model_unit *const *cooperate;
	size_t n_cooperate;
};

/* One reminder offset of an item, resolved to an instant. */
struct plan_slotted {
	int64_t at;
	int64_t seconds;
	size_t index;
	int moved;
	int keep;
};

static void
plan_warn_fold(struct plan_ctx *p, enum civil_fold fold)
{
	if (fold != CIVIL_EXACT)
		p->counts->warnings++;
}

static int
plan_civil(struct plan_ctx *p, int64_t t, struct civil *out)
{
	if (p->cached && p->cached_at == t) {
		*out = p->cached_civil;
		return 0;
	}
	if (civil_from_instant(t, p->zone, out, NULL) == -1)
		return -1;
	p->cached = 1;
	p->cached_at = t;
	p->cached_civil = *out;
	return 0;
}

/* The civil day (days since epoch) of instant t in the campaign's zone. */
static int
plan_day(struct plan_ctx *p, int64_t t, int32_t *day)
{
	struct civil c;

	if (plan_civil(p, t, &c) == -1)
		return -1;
	*day = civil_days_from_date(c.year, c.month, c.day);
	return 0;
}

/*
 * t moved by offset o, dir = -1 (before) or +1 (after).  The day part is
 * civil: the same wall time that many days away, whatever the zone did in
 * between; the rest is exact seconds.
 */
static int
plan_shift(struct plan_ctx *p, int64_t t, const struct model_offset *o,
    int dir, int64_t *out)
{
	int64_t rest = o->seconds - (int64_t)o->days * PLAN_DAY;
	int64_t at = t;

	if (o->days != 0) {
		struct civil c;
		enum civil_fold fold;
		int32_t day;

		if (plan_civil(p, t, &c) == -1)
			return -1;
		day = civil_days_from_date(c.year, c.month, c.day) +
		    dir * o->days;
		civil_date_from_days(day, &c.year, &c.month, &c.day);
		if (civil_to_instant(&c, p->zone, &at, &fold) == -1)
			return -1;
		plan_warn_fold(p, fold);
	}
	*out = at + dir * rest;
	return 0;
}

/*
 * Move *t to the previous workday at the same wall time when kind is one
 * that moves and *t falls on a non-workday.  *moved says whether it did.
 */
static int
plan_workday(struct plan_ctx *p, enum job_kind kind, int64_t *t, int *moved)
{
	const struct model_calendar *cal = &p->m->calendar;
	struct civil c;
	enum civil_fold fold;
	int32_t day;
	int i;

	*moved = 0;
	if ((p->m->daemon.engine.workday_kinds & (1u << kind)) == 0)
		return 0;
	/* Not through the cache: that holds the item's own instant, which
	 * the next offset needs again. */
	if (civil_from_instant(*t, p->zone, &c, NULL) == -1)
		return -1;
	day = civil_days_from_date(c.year, c.month, c.day);
	if (model_calendar_is_workday(cal, day))
		return 0;
	for (i = 1; i <= PLAN_WORKDAY_SEARCH; i++)
		if (model_calendar_is_workday(cal, day - i))
			break;
	if (i > PLAN_WORKDAY_SEARCH) {
		/* No workday in a month: leave it where the config put it. */
		p->counts->warnings++;
		return 0;
	}
	civil_date_from_days(day - i, &c.year, &c.month, &c.day);
	if (civil_to_instant(&c, p->zone, t, &fold) == -1)
		return -1;
	plan_warn_fold(p, fold);
	*moved = 1;
	return 0;
}

/*
 * Is always[i] a channel the contact already gets: the head of its chain
 * or an earlier `always` entry?
 */
static int
plan_always_is_dup(const struct model_contact *k, size_t i)
{
	const struct model_channel *ch = k->always[i];

	if (k->n_prefer > 0 && k->prefer[0] == ch)
		return 1;
	for (size_t a = 0; a < i; a++)
		if (k->always[a] == ch)
			return 1;
	return 0;
}

/* Key and emit the current job (p->j) on channel ch. */
static int
plan_emit(struct plan_ctx *p, const struct model_channel *ch)
{
	struct job *j = &p->j;

	j->channel = ch->name;
	job_make_key(j->key, j->campaign, j->item, j->kind, j->offset,
	    j->contact, j->channel);
	if (p->emit(p->arg, j) == -1)
		return -1;
	p->counts->by_kind[j->kind]++;
	p->counts->total++;
	if (p->moved)
		p->counts->moved++;
	return 0;
}

/*
 * Emit the current job (kind, item, offset, due set) to contact k: on the
 * head of its fallback chain (the runtime walks the rest on failure) and
 * on each `always` channel it does not already get.  With count_only, add
 * up into *n how many jobs that would be instead.
 */
static int
plan_contact(struct plan_ctx *p, const struct model_contact *k,
    int count_only, size_t *n)
{
	p->j.contact = k->id;
	if (k->n_prefer > 0) {
		if (count_only)
			(*n)++;
		else if (plan_emit(p, k->prefer[0]) == -1)
			return -1;
	}
	for (size_t i = 0; i < k->n_always; i++) {
		if (plan_always_is_dup(k, i))
			continue;
		if (count_only)
			(*n)++;
		else if (plan_emit(p, k->always[i]) == -1)
			return -1;
	}
	return 0;
}

/* A unit's recipients: its liaison, or every member when it has none. */
static int
plan_unit(struct plan_ctx *p, const struct model_unit *u, int count_only,
    size_t *n)
{
	if (u->liaison != NULL)
		return plan_contact(p, u->liaison, count_only, n);
	for (size_t i = 0; i < u->n_members; i++)
		if (plan_contact(p, u->members[i], count_only, n) == -1)
			return -1;
	return 0;
}

static int
plan_fan(struct plan_ctx *p, const struct plan_to *to, int count_only,
    size_t *n)
{
	if (to->contact != NULL &&
	    plan_contact(p, to->contact, count_only, n) == -1)
		return -1;
	if (to->audience != NULL)
		for (size_t i = 0; i < to->audience->n; i++)
			/* A slot's host may be in its audience too. */
			if (to->audience->contacts[i] != to->contact &&
			    plan_contact(p, to->audience->contacts[i],
			    count_only, n) == -1)
				return -1;
	if (to->lead != NULL && plan_unit(p, to->lead, count_only, n) == -1)
		return -1;
	for (size_t i = 0; i < to->n_cooperate; i++) {
		const struct model_unit *u = to->cooperate[i];
		int dup = u == to->lead;

		/* A unit named twice must not hear the same notice twice. */
		for (size_t a = 0; a < i && !dup; a++)
			dup = to->cooperate[a] == u;
		if (!dup && plan_unit(p, u, count_only, n) == -1)
			return -1;
	}
	return 0;
}

/* Emit one notice (p->j's kind, item, offset set) at instant at. */
static int
plan_notice(struct plan_ctx *p, int64_t at, int moved,
    const struct plan_to *to)
{
	p->j.priority = job_kind_priority(p->j.kind);
	p->j.due = at;
	p->j.next_at = at;
	p->moved = moved;
	return plan_fan(p, to, 0, NULL);
}

static void
plan_drop(struct plan_ctx *p, const struct plan_to *to)
{
	size_t n = 0;

	plan_fan(p, to, 1, &n);
	p->counts->dropped += n;
}

static void
plan_note_earliest(struct plan_ctx *p, int64_t at)
{
	if (!p->has_earliest || at < p->earliest)
		p->earliest = at;
	p->has_earliest = 1;
}

static int
plan_slotted_cmp(const void *a, const void *b)
{
	const struct plan_slotted *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	/* On one instant the larger offset comes first and wins. */
	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
plan_slotted_index_cmp(const void *a, const void *b)
{
	const struct plan_slotted *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Resolve the n reminder offsets of one item (deadline or task) due at
 * due into s (n entries, left in offset order): each offset before due,
 * moved by the calendar when kind moves, dropped at or after due, merged
 * with a larger offset that lands on the same instant.
 */
static int
plan_resolve(struct plan_ctx *p, enum job_kind kind, int64_t due,
    const struct model_offset *remind, size_t n_remind,
    struct plan_slotted *s)
{
	for (size_t i = 0; i < n_remind; i++) {
		s[i].index = i;
		s[i].seconds = remind[i].seconds;
		if (plan_shift(p, due, &remind[i], -1, &s[i].at) == -1)
			return -1;
		/* At or after due is no reminder, even if the calendar would
		 * pull it back before the deadline. */
		s[i].keep = s[i].at < due;
		if (plan_workday(p, kind, &s[i].at, &s[i].moved) == -1)
			return -1;
		s[i].keep = s[i].keep && s[i].at < due;
	}
	qsort(s, n_remind, sizeof(*s), plan_slotted_cmp);
	for (size_t i = 0, kept = SIZE_MAX; i < n_remind; i++) {
		if (!s[i].keep)
			continue;
		if (kept != SIZE_MAX && s[kept].at == s[i].at)
			s[i].keep = 0;
		else
			kept = i;
	}
	qsort(s, n_remind, sizeof(*s), plan_slotted_index_cmp);
	return 0;
}

/* Emit the reminders of one item (plan_resolve() says when). */
static int
plan_reminders(struct plan_ctx *p, enum job_kind kind, int64_t due,
    const struct model_offset *remind, size_t n_remind,
    const struct plan_to *to)
{
	struct plan_slotted *s;
	int rc = -1;

	if (n_remind == 0)
		return 0;
	s = xcalloc(n_remind, sizeof(*s));
	if (plan_resolve(p, kind, due, remind, n_remind, s) == -1)
		goto fail;

	p->j.kind = kind;
	p->j.item_at = due;
	for (size_t i = 0; i < n_remind; i++) {
		if (!s[i].keep) {
			plan_drop(p, to);
			continue;
		}
		p->j.offset = s[i].seconds;
		if (plan_notice(p, s[i].at, s[i].moved, to) == -1)
			goto fail;
		plan_note_earliest(p, s[i].at);
	}
	rc = 0;
fail:
	free(s);
	return rc;
}

static void
plan_note_last_day(struct plan_ctx *p, int32_t day)
{
	if (day > p->last_day)
		p->last_day = day;
}

static int
plan_launch(struct plan_ctx *p, const struct model_launch *l)
{
	struct plan_to to = { .audience = &l->audience };

	p->j.item = l->id;
	p->j.item_at = l->at.at;
	p->j.kind = JOB_COUNTDOWN;
	for (size_t i = 0; i < l->n_countdown; i++) {
		int64_t at;

		if (plan_shift(p, l->at.at, &l->countdown[i], -1, &at) == -1)
			return -1;
		if (at >= l->at.at) {
			plan_drop(p, &to);
			continue;
		}
		p->j.offset = l->countdown[i].seconds;
		if (plan_notice(p, at, 0, &to) == -1)
			return -1;
		plan_note_earliest(p, at);
	}
	p->j.kind = JOB_LAUNCH;
	p->j.offset = 0;
	return plan_notice(p, l->at.at, 0, &to);
}

static int
plan_deadline(struct plan_ctx *p, const struct model_deadline *d)
{
	struct plan_to to = { .audience = &d->audience };
	int32_t day;

	p->j.item = d->id;
	if (plan_reminders(p, JOB_REMINDER, d->due.at, d->remind, d->n_remind,
	    &to) == -1)
		return -1;
	if (plan_day(p, d->due.at, &day) == -1)
		return -1;
	/* The digest runs a day past the last deadline: the overdue picture. */
	plan_note_last_day(p, day + 1);
	p->j.item_at = d->due.at;
	if (d->overdue) {
		p->j.kind = JOB_OVERDUE;
		p->j.offset = 0;
		if (plan_notice(p, d->due.at, 0, &to) == -1)
			return -1;
	}
	if (d->escalate != NULL && d->escalate->to.n > 0) {
		struct plan_to up = { .audience = &d->escalate->to };
		int64_t at;

		if (plan_shift(p, d->due.at, &d->escalate->after, 1, &at) == -1)
			return -1;
		p->j.kind = JOB_ESCALATION;
		/* Negative: after the item, so never equal to a reminder's. */
		p->j.offset = -d->escalate->after.seconds;
		if (plan_notice(p, at, 0, &up) == -1)
			return -1;
		if (plan_day(p, at, &day) == -1)
			return -1;
		plan_note_last_day(p, day);
	}
	return 0;
}

static int
plan_task(struct plan_ctx *p, const struct model_task *t)
{
	struct plan_to to = {
		.lead = t->lead,
		.cooperate = t->cooperate,
		.n_cooperate = t->n_cooperate,
	};

	/* Overdue: to the lead unit only, whose task it is to finish. */
	struct plan_to lead = { .lead = t->lead };

	if (t->due.text == NULL)
		return 0;
	p->j.item = t->id;
	if (plan_reminders(p, JOB_TASK, t->due.at, t->remind, t->n_remind,
	    &to) == -1)
		return -1;
	p->j.item_at = t->due.at;
	if (t->overdue && t->lead != NULL) {
		p->j.kind = JOB_TASK_OVERDUE;
		p->j.offset = 0;
		if (plan_notice(p, t->due.at, 0, &lead) == -1)
			return -1;
	}
	if (t->escalate != NULL && t->escalate->to.n > 0) {
		struct plan_to up = { .audience = &t->escalate->to };
		int64_t at;

		if (plan_shift(p, t->due.at, &t->escalate->after, 1, &at) == -1)
			return -1;
		p->j.kind = JOB_TASK_ESCALATION;
		p->j.offset = -t->escalate->after.seconds;
		if (plan_notice(p, at, 0, &up) == -1)
			return -1;
	}
	return 0;
}

static int
plan_phase(struct plan_ctx *p, const struct model_phase *ph)
{
	struct plan_to to = { .audience = &ph->notify };

	if (ph->notify.n == 0)
		return 0;
	p->j.item = ph->id;
	p->j.kind = JOB_PHASE;
	p->j.offset = 0;
	p->j.item_at = ph->from.at;
	return plan_notice(p, ph->from.at, 0, &to);
}

/*
 * A slot's reminders to its host and audience, and, when the slot before
 * it on the stage starts, a notice to its host that they are next (a slot
 * reminder at that offset; skipped when the host is the one on air, or
 * when a reminder of the slot already falls then).
 */
static int
plan_slot(struct plan_ctx *p, const struct model_slot *s)
{
	struct plan_to to = { .contact = s->host, .audience = &s->audience };
	struct plan_to host = { .contact = s->host };
	int64_t next_at = 0;

	if (s->host == NULL && s->audience.n == 0)
		return 0;
	p->j.item = model_slot_item(s, p->slot_item, sizeof(p->slot_item));
	p->j.kind = JOB_SLOT;
	p->j.item_at = s->from.at;
	if (s->host != NULL && s->prev != NULL && s->prev->host != s->host)
		next_at = s->prev->from.at;
	for (size_t i = 0; i < s->n_remind; i++) {
		int64_t at;

		if (plan_shift(p, s->from.at, &s->remind[i], -1, &at) == -1)
			return -1;
		if (at >= s->from.at) {
			plan_drop(p, &to);
			continue;
		}
		if (at == next_at)
			next_at = 0;
		p->j.offset = s->remind[i].seconds;
		if (plan_notice(p, at, 0, &to) == -1)
			return -1;
	}
	if (next_at == 0)
		return 0;
	p->j.offset = s->from.at - next_at;
	return plan_notice(p, next_at, 0, &host);
}

/*
 * One digest a day (or a week, on its weekday) from the first reminder
 * (or the period's start) to the end of the period or the day after the
 * last deadline.  The offset is the day number, so each day has its own
 * key.
 */
static int
plan_digest(struct plan_ctx *p)
{
	const struct model_digest *dg = &p->c->digest;
	struct plan_to to = { .audience = &dg->to };
	int skip = (p->m->daemon.engine.workday_kinds &
	    (1u << JOB_DIGEST)) != 0;
	int32_t first, last, day;

	if (!dg->set || dg->to.n == 0)
		return 0;
	if (plan_day(p, p->c->period_from.at, &first) == -1 ||
	    plan_day(p, p->c->period_to.at, &last) == -1)
		return -1;
	if (p->has_earliest) {
		if (plan_day(p, p->earliest, &day) == -1)
			return -1;
		if (day < first)
			first = day;
	}
	if (p->last_day > last)
		last = p->last_day;
	if (last - first >= PLAN_DIGEST_MAX_DAYS) {
		p->counts->warnings++;
		last = first + PLAN_DIGEST_MAX_DAYS - 1;
	}
	p->j.item = MODEL_DIGEST_ITEM;
	p->j.kind = JOB_DIGEST;
	/* A weekly digest's range starts on its weekday on or before the
	 * first day, so the week holding the first reminder has one. */
	if (dg->weekly)
		first -= (civil_weekday(first) - dg->on + 7) % 7;
	for (day = first; day <= last; day += dg->weekly ? 7 : 1) {
		struct civil c = { 0, 0, 0, 0, 0, 0 };
		enum civil_fold fold;
		int64_t at, midnight;
		int32_t send = day;

		/* Daily: skipped, not moved (the previous workday has its
		 * own).  Weekly: moved to the week's next workday, the
		 * week's only digest; the key keeps the planned day. */
		if (skip && dg->weekly)
			while (send < day + 7 &&
			    !model_calendar_is_workday(&p->m->calendar, send))
				send++;
		if (skip && (send == day + 7 ||
		    !model_calendar_is_workday(&p->m->calendar, send)))
			continue;
		civil_date_from_days(send, &c.year, &c.month, &c.day);
		if (civil_to_instant(&c, p->zone, &midnight, NULL) == -1)
			return -1;
		c.hour = dg->at_min / 60;
		c.min = dg->at_min % 60;
		if (civil_to_instant(&c, p->zone, &at, &fold) == -1)
			return -1;
		plan_warn_fold(p, fold);
		p->j.offset = day;
		p->j.item_at = midnight;
		if (plan_notice(p, at, 0, &to) == -1)
			return -1;
	}
	return 0;
}

static const char *
plan_zone(const struct model *m, const struct model_campaign *c)
{
	return c->timezone != NULL ? c->timezone :
	    m->daemon.timezone != NULL ? m->daemon.timezone : "Asia/Shanghai";
}

static int
plan_campaign(struct plan_ctx *p, const struct model_campaign *c)
{
	p->c = c;
	p->zone = plan_zone(p->m, c);
	p->has_earliest = 0;
	p->last_day = INT32_MIN;
	p->cached = 0;
	p->j.campaign = c->id;

	for (size_t i = 0; i < c->n_launches; i++)
		if (plan_launch(p, &c->launches[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_deadlines; i++)
		if (plan_deadline(p, &c->deadlines[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_tasks; i++)
		if (plan_task(p, &c->tasks[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_phases; i++)
		if (plan_phase(p, &c->phases[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_slots; i++)
		if (plan_slot(p, &c->slots[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_stages; i++)
		if (plan_stage(c, &c->stages[i], p->emit, p->arg,
		    p->counts) == -1)
			return -1;
	return plan_digest(p);
}

int
plan_model(const struct model *m, plan_emit_fn emit, void *arg,
    struct plan_counts *counts)
{
	struct plan_counts local;
	struct plan_ctx p;

	if (counts == NULL)
		counts = &local;
	memset(counts, 0, sizeof(*counts));
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.emit = emit;
	p.arg = arg;
	p.counts = counts;
	p.j.state = JOB_PENDING;
	p.j.attempts = 0;
	p.j.fallback_of = NULL;

	for (size_t i = 0; i < m->n_campaigns; i++)
		if (plan_campaign(&p, &m->campaigns[i]) == -1)
			return -1;
	return 0;
}

int
plan_instants(const struct model *m, const struct model_campaign *c,
    enum job_kind kind, int64_t at, const struct model_offset *offsets,
    size_t n, struct plan_instant *out)
{
	struct plan_counts counts;
	struct plan_slotted *s;
	struct plan_ctx p;
	int rc = -1;

	if (n == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.c = c;
	p.zone = plan_zone(m, c);
	p.counts = &counts;
	s = xcalloc(n, sizeof(*s));
	if (kind == JOB_REMINDER || kind == JOB_TASK) {
		if (plan_resolve(&p, kind, at, offsets, n, s) == -1)
			goto fail;
	} else {
		/* Countdowns and slot reminders: never moved, never merged
		 * (plan_launch, plan_slot). */
		for (size_t i = 0; i < n; i++) {
			if (plan_shift(&p, at, &offsets[i], -1, &s[i].at) == -1)
				goto fail;
			s[i].keep = s[i].at < at;
		}
	}
	for (size_t i = 0; i < n; i++) {
		out[i].at = s[i].at;
		out[i].keep = s[i].keep;
		out[i].moved = s[i].moved;
	}
	rc = 0;
fail:
	free(s);
	return rc;
}
