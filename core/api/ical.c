/*
 * ical.c - the campaigns' deadlines, launches and livestream slots as an
 * RFC 5545 calendar (ical.h), and GET /v1/agenda.ics (doc/api.txt).
 *
 * What calendar apps expect shaped the output:
 *  - Event times are local times with TZID = the campaign's tz database
 *    name ("Asia/Shanghai", not libical's "/freeassociation.sourceforge.
 *    net/..." prefix), which Google Calendar, Apple Calendar and
 *    Thunderbird recognise by name, plus a VTIMEZONE for each zone, which
 *    Outlook requires and RFC 5545 demands.  libical writes the VTIMEZONE
 *    from the system tz database, truncated to the years the calendar
 *    needs: Asia/Shanghai's full history (LMT, the DST of 1919-1991)
 *    would be 60 lines of nothing useful, and Outlook reads only the
 *    recent rules anyway.  A zone libical does not know (or UTC) gets
 *    UTC times instead, which every app reads alike.
 *  - Alarms ring when herald's own notices go out: each TRIGGER is an
 *    absolute UTC instant from plan_instants(), the planner's own
 *    resolution of the offsets, so a "7d" reminder that falls on a
 *    Saturday rings on the Friday like the SMS does, a reminder merged
 *    or dropped by the planner has no alarm, and a civil "7d" across a
 *    DST change stays seven civil days (readers take a relative "-P7D"
 *    as 168 hours).
 *  - Every event has a DTEND after its DTSTART (RFC 5545 3.8.2.2; some
 *    readers drop events without one): deadlines and launches last
 *    HERALD_ITEM_EVENT_SECONDS from their instant, like the email
 *    channel's attachment; slots run from..to; phases and tasks span their
 *    dates (a phase of whole days is an all-day event).  Only slots are
 *    OPAQUE: the rest must not show their owners as busy.
 *  - UIDs are ical_uid() of the planner's item ids ("<campaign>/<item>@
 *    herald", percent-encoded: no space), stable across reloads, so a
 *    subscribed calendar updates events in place, and the same as the
 *    email channel's .ics attachments (herald_message.item_uid): a
 *    deadline is one event however many reminders carried it.
 *  - METHOD:PUBLISH without ORGANIZER: RFC 5546 wants one for PUBLISH,
 *    but herald has no calendar user to name, and subscribing clients
 *    (Google, Apple, Outlook, Thunderbird) ignore its absence.
 */
#include "ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libical/ical.h>

#include "api_internal.h"
#include "arena.h"
#include "civil.h"
#include "herald-plugin.h"
#include "api.h"
#include "engine.h"
#include "httpd.h"
#include "model.h"
#include "planner.h"
#include "xmalloc.h"

#define ICAL_DAY	86400

/* A zone the calendar uses. */
struct ical_zone {
	const char *name;		/* borrowed from the model */
	int has_vtimezone;		/* 0: times in UTC instead */
};

struct ical_ctx {
	const struct model *m;
	icalcomponent *cal;		/* being built; owned */
	struct arena *a;		/* scratch strings; owned */
	struct ical_zone *zones;	/* owned */
	size_t n_zones;
	int64_t first;			/* earliest item, when have_first */
	int have_first;
	struct icaltimetype stamp;	/* DTSTAMP, UTC */
	char *err;
	size_t errlen;
};

/* One event's content, as ical_event() needs it; strings borrowed. */
struct ical_item {
	const struct model_campaign *c;
	const struct ical_zone *z;
	const char *item;		/* the planner's item id */
	const char *category;		/* deadline, launch, livestream, phase, task */
	const char *summary;
	const char *description;
	const char *location;		/* or NULL */
	int64_t start, end;		/* end > start */
	int all_day;			/* whole days: start and end are days
					 * since the epoch, end exclusive */
	int opaque;			/* shows its owner busy (slots) */
	const struct model_offset *alarms; /* before alarm_at */
	size_t n_alarms;
	enum job_kind alarm_kind;	/* how the planner moves them */
	int64_t alarm_at;
	const char *alarm_lead;		/* "距截止还有" */
	const char *title;		/* the item's own title, for alarms */
};

static struct ical_zone *
ical_zone_find(struct ical_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->n_zones; i++)
		if (strcmp(x->zones[i].name, name) == 0)
			return &x->zones[i];
	return NULL;
}

static void
ical_zone_add(struct ical_ctx *x, const char *name)
{
	if (ical_zone_find(x, name) != NULL)
		return;
	x->zones = xrealloc(x->zones, (x->n_zones + 1) * sizeof(*x->zones));
	x->zones[x->n_zones].name = name;
	x->zones[x->n_zones].has_vtimezone = 0;
	x->n_zones++;
}

static void
ical_note(struct ical_ctx *x, int64_t t)
{
	if (!x->have_first || t < x->first)
		x->first = t;
	x->have_first = 1;
}

/* Record c's zone and its earliest item. */
static void
ical_scan(struct ical_ctx *x, const struct model_campaign *c)
{
	ical_zone_add(x, c->timezone);
	for (size_t i = 0; i < c->n_deadlines; i++)
		ical_note(x, c->deadlines[i].due.at);
	for (size_t i = 0; i < c->n_launches; i++)
		ical_note(x, c->launches[i].at.at);
	for (size_t i = 0; i < c->n_slots; i++)
		ical_note(x, c->slots[i].from.at);
	for (size_t i = 0; i < c->n_phases; i++)
		ical_note(x, c->phases[i].from.at);
	for (size_t i = 0; i < c->n_tasks; i++) {
		if (c->tasks[i].start.text != NULL)
			ical_note(x, c->tasks[i].start.at);
		if (c->tasks[i].due.text != NULL)
			ical_note(x, c->tasks[i].due.at);
	}
}

/*
 * Add z's VTIMEZONE from libical's definition, cut to what starts at
 * start (UTC); without a definition z stays in UTC times.
 * ms_compatible = 1 keeps the rules' original DTSTARTs, which Outlook
 * expects; other readers do not mind.
 */
static void
ical_vtimezone(struct ical_ctx *x, struct ical_zone *z,
    struct icaltimetype start)
{
	icaltimezone *tz = icaltimezone_get_builtin_timezone(z->name);
	icalcomponent *def = tz != NULL ? icaltimezone_get_component(tz) : NULL;
	icalcomponent *vtz;
	icalproperty *p;

	if (def == NULL)
		return;
	vtz = icalcomponent_new_clone(def);
	icaltimezone_truncate_vtimezone(vtz, start, icaltime_null_time(), 1);
	if (icalcomponent_get_first_component(vtz,
	    ICAL_XSTANDARD_COMPONENT) == NULL &&
	    icalcomponent_get_first_component(vtz,
	    ICAL_XDAYLIGHT_COMPONENT) == NULL) {
		icalcomponent_free(vtz);
		return;
	}
	if ((p = icalcomponent_get_first_property(vtz,
	    ICAL_TZID_PROPERTY)) != NULL)
		icalproperty_set_tzid(p, z->name);
	else
		icalcomponent_add_property(vtz, icalproperty_new_tzid(z->name));
	icalcomponent_add_component(x->cal, vtz);
	z->has_vtimezone = 1;
}

/* t as the value of a DTSTART/DTEND in z: local time, or UTC. */
static int
ical_time(struct ical_ctx *x, const struct ical_zone *z, int64_t t,
    struct icaltimetype *out)
{
	struct civil c;

	if (!z->has_vtimezone) {
		*out = icaltime_from_timet_with_zone((time_t)t, 0,
		    icaltimezone_get_utc_timezone());
		return 0;
	}
	if (civil_from_instant(t, z->name, &c, NULL) == -1) {
		snprintf(x->err, x->errlen, "cannot convert %lld to time zone "
		    "\"%s\"", (long long)t, z->name);
		return -1;
	}
	*out = icaltime_null_time();
	out->year = c.year;
	out->month = c.month;
	out->day = c.day;
	out->hour = c.hour;
	out->minute = c.min;
	out->second = c.sec;
	return 0;
}

/* Tag p (taken) with z's TZID when its time is local; returns p. */
static icalproperty *
ical_zoned(icalproperty *p, const struct ical_zone *z)
{
	if (z->has_vtimezone)
		icalproperty_add_parameter(p, icalparameter_new_tzid(z->name));
	return p;
}

/* "7天", "1天12小时", "10分钟": o in words, in the scratch arena. */
static const char *
ical_offset_text(struct ical_ctx *x, const struct model_offset *o)
{
	int64_t rest = o->seconds - (int64_t)o->days * ICAL_DAY;
	const char *d = "", *h = "", *mi = "", *s = "";

	if (rest < 0)
		rest = 0;
	if (o->days > 0)
		d = arena_printf(x->a, "%d天", o->days);
	if (rest / 3600 > 0)
		h = arena_printf(x->a, "%lld小时", (long long)(rest / 3600));
	if (rest % 3600 / 60 > 0)
		mi = arena_printf(x->a, "%lld分钟",
		    (long long)(rest % 3600 / 60));
	if (rest % 60 > 0)
		s = arena_printf(x->a, "%lld秒", (long long)(rest % 60));
	return arena_printf(x->a, "%s%s%s%s", d, h, mi, s);
}

/* "提前7天、3天、1天" for a description line; "" when n is 0. */
static const char *
ical_offsets_line(struct ical_ctx *x, const char *label,
    const struct model_offset *o, size_t n)
{
	const char *s = "";

	for (size_t i = 0; i < n; i++)
		s = arena_printf(x->a, "%s%s%s", s, i > 0 ? "、" : "",
		    ical_offset_text(x, &o[i]));
	return n > 0 ? arena_printf(x->a, "\n%s：提前%s", label, s) : "";
}

/* An alarm at instant at (UTC), for the offset o of it. */
static void
ical_alarm(struct ical_ctx *x, icalcomponent *ev, const struct ical_item *it,
    const struct model_offset *o, int64_t at)
{
	icalcomponent *al = icalcomponent_new_valarm();
	struct icaltriggertype trg;

	memset(&trg, 0, sizeof(trg));
	trg.time = icaltime_from_timet_with_zone((time_t)at, 0,
	    icaltimezone_get_utc_timezone());
	trg.duration = icaldurationtype_null_duration();
	icalcomponent_add_property(al,
	    icalproperty_new_action(ICAL_ACTION_DISPLAY));
	icalcomponent_add_property(al, icalproperty_new_trigger(trg));
	icalcomponent_add_property(al, icalproperty_new_description(
	    arena_printf(x->a, "%s%s：%s", it->alarm_lead,
	    ical_offset_text(x, o), it->title)));
	icalcomponent_add_component(ev, al);
}

/* The alarms of it, where the planner puts its notices. */
static int
ical_alarms(struct ical_ctx *x, icalcomponent *ev, const struct ical_item *it)
{
	struct plan_instant *pi;

	if (it->n_alarms == 0)
		return 0;
	pi = xcalloc(it->n_alarms, sizeof(*pi));
	if (plan_instants(x->m, it->c, it->alarm_kind, it->alarm_at,
	    it->alarms, it->n_alarms, pi) == -1) {
		snprintf(x->err, x->errlen, "cannot place the alarms of \"%s\"",
		    it->item);
		free(pi);
		return -1;
	}
	for (size_t i = 0; i < it->n_alarms; i++)
		if (pi[i].keep)
			ical_alarm(x, ev, it, &it->alarms[i], pi[i].at);
	free(pi);
	return 0;
}

/* Days since the epoch as an all-day DATE value. */
static struct icaltimetype
ical_date(int32_t day)
{
	struct icaltimetype t = icaltime_null_date();
	int y, m, d;

	civil_date_from_days(day, &y, &m, &d);
	t.year = y;
	t.month = m;
	t.day = d;
	return t;
}

static int
ical_event(struct ical_ctx *x, const struct ical_item *it)
{
	icalcomponent *ev;
	struct icaltimetype start, end;
	char *uid;

	if (it->all_day) {
		start = ical_date((int32_t)it->start);
		end = ical_date((int32_t)it->end);
	} else if (ical_time(x, it->z, it->start, &start) == -1 ||
	    ical_time(x, it->z, it->end, &end) == -1)
		return -1;
	ev = icalcomponent_new_vevent();
	uid = ical_uid(it->c->id, it->item);
	icalcomponent_add_property(ev, icalproperty_new_uid(uid));
	free(uid);
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(x->stamp));
	if (it->all_day) {
		icalcomponent_add_property(ev, icalproperty_new_dtstart(start));
		icalcomponent_add_property(ev, icalproperty_new_dtend(end));
	} else {
		icalcomponent_add_property(ev, ical_zoned(
		    icalproperty_new_dtstart(start), it->z));
		icalcomponent_add_property(ev, ical_zoned(
		    icalproperty_new_dtend(end), it->z));
	}
	icalcomponent_add_property(ev, icalproperty_new_summary(it->summary));
	icalcomponent_add_property(ev,
	    icalproperty_new_description(it->description));
	if (it->location != NULL)
		icalcomponent_add_property(ev,
		    icalproperty_new_location(it->location));
	icalcomponent_add_property(ev,
	    icalproperty_new_categories(it->category));
	icalcomponent_add_property(ev, icalproperty_new_transp(it->opaque ?
	    ICAL_TRANSP_OPAQUE : ICAL_TRANSP_TRANSPARENT));
	if (ical_alarms(x, ev, it) == -1) {
		icalcomponent_free(ev);
		return -1;
	}
	icalcomponent_add_component(x->cal, ev);
	return 0;
}

/* Copy s to w, percent-encoding what a UID should not carry; returns
 * the end.  w has room for 3 bytes per byte of s. */
static char *
ical_uid_part(char *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL) {
			*w++ = (char)*p;
		} else {
			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	return w;
}

char *
ical_uid(const char *campaign, const char *item)
{
	char *s = xmalloc(3 * (strlen(campaign) + strlen(item)) + 16), *w;

	w = ical_uid_part(s, campaign);
	*w++ = '/';
	w = ical_uid_part(w, item);
	strcpy(w, "@herald");
	return s;
}

/* "活动：2023年全国消费促进月（百城万企促消费）" */
static const char *
ical_campaign_line(struct ical_ctx *x, const struct model_campaign *c)
{
	if (c->brand != NULL)
		return arena_printf(x->a, "活动：%s（%s）", c->title, c->brand);
	return arena_printf(x->a, "活动：%s", c->title);
}

static const char *
ical_when(struct ical_ctx *x, int64_t t, const char *zone)
{
	char buf[64];

	return arena_printf(x->a, "%s（%s）", civil_format(t, zone, buf,
	    sizeof(buf)), zone);
}

static const char *
ical_units_line(struct ical_ctx *x, const char *label,
    const struct model_unit *const *u, size_t n)
{
	const char *s = "";

	for (size_t i = 0; i < n; i++)
		s = arena_printf(x->a, "%s%s%s", s, i > 0 ? "、" : "",
		    u[i]->name != NULL ? u[i]->name : u[i]->id);
	return n > 0 ? arena_printf(x->a, "\n%s：%s", label, s) : "";
}

static int
ical_deadline(struct ical_ctx *x, const struct model_campaign *c,
    const struct ical_zone *z, const struct model_deadline *d)
{
	struct ical_item it = {
		.c = c, .z = z, .item = d->id, .category = "deadline",
		.start = d->due.at, .end = d->due.at + HERALD_ITEM_EVENT_SECONDS,
		.alarms = d->remind, .n_alarms = d->n_remind,
		.alarm_kind = JOB_REMINDER, .alarm_at = d->due.at,
		.alarm_lead = "距截止还有",
		.title = d->title != NULL ? d->title : d->id,
	};

	it.summary = arena_printf(x->a, "【%s】截止：%s", c->title, it.title);
	it.description = arena_printf(x->a, "%s\n截止时间：%s%s%s%s\n"
	    "通知对象：%zu人",
	    ical_campaign_line(x, c), ical_when(x, d->due.at, c->timezone),
	    ical_offsets_line(x, "提醒", d->remind, d->n_remind),
	    d->lead != NULL ? ical_units_line(x, "牵头单位", &d->lead, 1) : "",
	    ical_units_line(x, "配合单位", d->cooperate, d->n_cooperate),
	    d->audience.n);
	return ical_event(x, &it);
}

static int
ical_launch(struct ical_ctx *x, const struct model_campaign *c,
    const struct ical_zone *z, const struct model_launch *l)
{
	struct ical_item it = {
		.c = c, .z = z, .item = l->id, .category = "launch",
		.start = l->at.at, .end = l->at.at + HERALD_ITEM_EVENT_SECONDS,
		.alarms = l->countdown, .n_alarms = l->n_countdown,
		.alarm_kind = JOB_COUNTDOWN, .alarm_at = l->at.at,
		.alarm_lead = "距开始还有",
		.title = l->title != NULL ? l->title : "启动仪式",
	};

	it.summary = arena_printf(x->a, "【%s】%s", c->title, it.title);
	it.description = arena_printf(x->a, "%s\n开始时间：%s%s\n"
	    "通知对象：%zu人", ical_campaign_line(x, c), ical_when(x, l->at.at, c->timezone),
	    ical_offsets_line(x, "倒计时提醒", l->countdown, l->n_countdown),
	    l->audience.n);
	return ical_event(x, &it);
}

/*
 * What the stage's platform is told about a slot (planner_stage.c): the
 * channel, and the next_up lead; on_air and off_air are the event's own
 * start and end.  "" for a stage without a channel.
 */
static const char *
ical_platform_line(struct ical_ctx *x, const struct model_stage *st)
{
	if (st->channel == NULL)
		return "";
	return arena_printf(x->a, "\n直播平台：%s（开播、下播%s%s）",
	    st->channel->name, st->next_up.text != NULL ? "，开播前预告" : "",
	    st->next_up.text != NULL ? st->next_up.text : "");
}

static int
ical_slot(struct ical_ctx *x, const struct model_campaign *c,
    const struct ical_zone *z, const struct model_slot *s)
{
	char item[MODEL_SLOT_ITEM_MAX], from[64], to[64];
	const char *stage = s->stage->title != NULL ? s->stage->title :
	    s->stage->id;
	struct ical_item it = {
		.c = c, .z = z, .category = "livestream",
		.start = s->from.at, .end = s->to.at, .opaque = 1,
		.alarms = s->remind, .n_alarms = s->n_remind,
		.alarm_kind = JOB_SLOT, .alarm_at = s->from.at,
		.alarm_lead = "距开播还有", .title = s->title,
		.location = stage,
	};

	it.item = model_slot_item(s, item, sizeof(item));
	it.summary = arena_printf(x->a, "【%s】直播：%s", c->title, s->title);
	civil_format(s->from.at, c->timezone, from, sizeof(from));
	civil_format(s->to.at, c->timezone, to, sizeof(to));
	it.description = arena_printf(x->a, "%s\n直播间：%s\n时间：%s至%s（%s）"
	    "%s%s%s%s", ical_campaign_line(x, c), stage, from, to, c->timezone,
	    s->host != NULL ? arena_printf(x->a, "\n主持：%s",
	    s->host->name != NULL ? s->host->name : s->host->id) : "",
	    ical_offsets_line(x, "提醒主持人", s->remind, s->n_remind),
	    s->audience.n > 0 ? arena_printf(x->a, "\n通知观众：%zu人",
	    s->audience.n) : "", ical_platform_line(x, s->stage));
	return ical_event(x, &it);
}

/* The civil day (days since the epoch) of t in the campaign's zone. */
static int
ical_day(struct ical_ctx *x, const struct model_campaign *c, int64_t t,
    int32_t *day)
{
	struct civil cv;

	if (civil_from_instant(t, c->timezone, &cv, NULL) == -1) {
		snprintf(x->err, x->errlen, "cannot convert %lld to time zone "
		    "\"%s\"", (long long)t, c->timezone);
		return -1;
	}
	*day = civil_days_from_date(cv.year, cv.month, cv.day);
	return 0;
}

/* Midnight starting t's civil day in the campaign's zone. */
static int
ical_midnight(struct ical_ctx *x, const struct model_campaign *c, int64_t t,
    int64_t *out)
{
	struct civil cv;

	if (civil_from_instant(t, c->timezone, &cv, NULL) == -1)
		goto fail;
	cv.hour = cv.min = cv.sec = 0;
	if (civil_to_instant(&cv, c->timezone, out, NULL) == -1)
		goto fail;
	return 0;
fail:
	snprintf(x->err, x->errlen, "cannot convert %lld to time zone \"%s\"",
	    (long long)t, c->timezone);
	return -1;
}

/*
 * A phase: its dates as an all-day span when both ends were written as
 * dates (the usual "2023-10-15" to "2023-10-31"), else from..to.
 */
static int
ical_phase(struct ical_ctx *x, const struct model_campaign *c,
    const struct ical_zone *z, const struct model_phase *ph)
{
	struct ical_item it = {
		.c = c, .z = z, .item = ph->id, .category = "phase",
		.title = ph->title != NULL ? ph->title : ph->id,
		.start = ph->from.at, .end = ph->to.at,
	};
	int32_t d0, d1;

	if (ph->from.date_only && ph->to.date_only) {
		if (ical_day(x, c, ph->from.at, &d0) == -1 ||
		    ical_day(x, c, ph->to.at, &d1) == -1)
			return -1;
		it.all_day = 1;
		it.start = d0;
		it.end = (d1 >= d0 ? d1 : d0) + 1;
	} else if (it.end <= it.start)
		it.end = it.start + HERALD_ITEM_EVENT_SECONDS;
	it.summary = arena_printf(x->a, "【%s】阶段：%s", c->title, it.title);
	it.description = arena_printf(x->a, "%s\n时间：%s至%s（%s）",
	    ical_campaign_line(x, c), ph->from.text, ph->to.text, c->timezone);
	return ical_event(x, &it);
}

/*
 * A task: from its start (midnight when written as a date) to its due
 * instant, with its reminders as alarms; a task with only a start is a
 * short event then (a whole day when written as a date).
 */
static int
ical_task(struct ical_ctx *x, const struct model_campaign *c,
    const struct ical_zone *z, const struct model_task *t)
{
	struct ical_item it = {
		.c = c, .z = z, .item = t->id, .category = "task",
		.title = t->title != NULL ? t->title : t->id,
		.alarm_lead = "距完成期限还有",
	};
	int32_t day;

	if (t->due.text != NULL) {
		it.start = it.end = t->due.at;
		if (t->start.text != NULL && t->start.date_only) {
			if (ical_midnight(x, c, t->start.at, &it.start) == -1)
				return -1;
		} else if (t->start.text != NULL)
			it.start = t->start.at;
		if (it.start >= it.end) {
			it.start = t->due.at;
			it.end = t->due.at + HERALD_ITEM_EVENT_SECONDS;
		}
		it.alarms = t->remind;
		it.n_alarms = t->n_remind;
		it.alarm_kind = JOB_TASK;
		it.alarm_at = t->due.at;
	} else if (t->start.text != NULL && t->start.date_only) {
		if (ical_day(x, c, t->start.at, &day) == -1)
			return -1;
		it.all_day = 1;
		it.start = day;
		it.end = day + 1;
	} else if (t->start.text != NULL) {
		it.start = t->start.at;
		it.end = t->start.at + HERALD_ITEM_EVENT_SECONDS;
	} else
		return 0;	/* no date: nothing to put in a calendar */
	it.summary = arena_printf(x->a, "【%s】任务：%s", c->title, it.title);
	it.description = arena_printf(x->a, "%s%s%s%s%s%s",
	    ical_campaign_line(x, c),
	    t->start.text != NULL ? arena_printf(x->a, "\n开始：%s",
	    t->start.text) : "",
	    t->due.text != NULL ? arena_printf(x->a, "\n完成期限：%s（%s）",
	    t->due.text, c->timezone) : "",
	    ical_offsets_line(x, "提醒", t->remind, t->due.text != NULL ?
	    t->n_remind : 0),
	    t->lead != NULL ? ical_units_line(x, "牵头单位", &t->lead, 1) : "",
	    ical_units_line(x, "配合单位", t->cooperate, t->n_cooperate));
	return ical_event(x, &it);
}

static int
ical_campaign(struct ical_ctx *x, const struct model_campaign *c)
{
	const struct ical_zone *z = ical_zone_find(x, c->timezone);

	for (size_t i = 0; i < c->n_deadlines; i++)
		if (ical_deadline(x, c, z, &c->deadlines[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_launches; i++)
		if (ical_launch(x, c, z, &c->launches[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].stage != NULL &&
		    ical_slot(x, c, z, &c->slots[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_phases; i++)
		if (ical_phase(x, c, z, &c->phases[i]) == -1)
			return -1;
	for (size_t i = 0; i < c->n_tasks; i++)
		if (ical_task(x, c, z, &c->tasks[i]) == -1)
			return -1;
	return 0;
}

/* A non-standard calendar property (X-WR-CALNAME...); value copied. */
static void
ical_x(icalcomponent *cal, const char *name, const char *value)
{
	icalproperty *p = icalproperty_new_x(value);

	icalproperty_set_x_name(p, name);
	icalcomponent_add_property(cal, p);
}

static void
ical_head(struct ical_ctx *x, const struct model_campaign *only)
{
	const struct model *m = x->m;
	const char *name = "herald";
	struct icaldurationtype hour = icaldurationtype_null_duration();

	if (only != NULL)
		name = only->title;
	else if (m->n_campaigns == 1)
		name = m->campaigns[0].title;
	hour.hours = 1;
	icalcomponent_add_property(x->cal, icalproperty_new_prodid(
	    "-//herald//herald " PACKAGE_VERSION "//ZH"));
	icalcomponent_add_property(x->cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(x->cal,
	    icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(x->cal,
	    icalproperty_new_method(ICAL_METHOD_PUBLISH));
	/* Apple and Google read X-WR-*, RFC 7986 clients NAME; subscribed
	 * calendars refresh hourly (Outlook reads X-PUBLISHED-TTL). */
	icalcomponent_add_property(x->cal, icalproperty_new_name(name));
	ical_x(x->cal, "X-WR-CALNAME", name);
	ical_x(x->cal, "X-WR-CALDESC", "herald：报送截止、启动仪式和直播时段");
	ical_x(x->cal, "X-WR-TIMEZONE", only != NULL ? only->timezone :
	    m->daemon.timezone);
	icalcomponent_add_property(x->cal,
	    icalproperty_new_refreshinterval(hour));
	ical_x(x->cal, "X-PUBLISHED-TTL", "PT1H");
}

/*
 * libical before 4.0.3 (its pull request #1338) can fold a content line
 * into its own line ending, as "CR LF SP CR LF" (an empty continuation
 * line) or "CR CR LF SP LF" (a stray CR, then a bare LF: strict parsers
 * fail).  Unfolded, either is a plain CRLF, so put that back.  Edits s in
 * place; it only shrinks.
 */
static void
ical_fix_folds(char *s)
{
	const char *r = s;
	char *w = s;

	while (*r != '\0') {
		if (strncmp(r, "\r\n \r\n", 5) == 0 ||
		    strncmp(r, "\r\r\n \n", 5) == 0) {
			*w++ = '\r';
			*w++ = '\n';
			r += 5;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

int
ical_build(const struct model *m, const struct model_campaign *only,
    int64_t now, char **out, char *err, size_t errlen)
{
	struct ical_ctx x = {
		.m = m, .err = err, .errlen = errlen,
	};
	const struct model_campaign *c = only != NULL ? only : m->campaigns;
	size_t n = only != NULL ? 1 : m->n_campaigns;
	struct icaltimetype from;
	char *s;
	int rc = -1;

	x.a = arena_new();
	x.cal = icalcomponent_new_vcalendar();
	x.stamp = icaltime_from_timet_with_zone((time_t)now, 0,
	    icaltimezone_get_utc_timezone());
	ical_head(&x, only);

	/* Zones first: some readers want a VTIMEZONE before its use.  A
	 * calendar without campaigns still gets one component, as RFC 5545
	 * requires. */
	for (size_t i = 0; i < n; i++)
		ical_scan(&x, &c[i]);
	if (x.n_zones == 0)
		ical_zone_add(&x, m->daemon.timezone);
	/* From 1 January of the year before the first item: early alarms
	 * still fall inside the definition. */
	from = icaltime_from_timet_with_zone((time_t)(x.have_first ? x.first :
	    now), 0, icaltimezone_get_utc_timezone());
	from.year--;
	from.month = from.day = 1;
	from.hour = from.minute = from.second = 0;
	for (size_t i = 0; i < x.n_zones; i++)
		ical_vtimezone(&x, &x.zones[i], from);

	for (size_t i = 0; i < n; i++)
		if (ical_campaign(&x, &c[i]) == -1)
			goto done;
	if ((s = icalcomponent_as_ical_string_r(x.cal)) == NULL) {
		snprintf(err, errlen, "cannot serialize the calendar: %s",
		    icalerror_strerror(icalerrno));
		goto done;
	}
	*out = xstrdup(s);
	icalmemory_free_buffer(s);
	ical_fix_folds(*out);
	rc = 0;
done:
	icalcomponent_free(x.cal);
	arena_free(x.a);
	free(x.zones);
	return rc;
}

/* GET /v1/agenda.ics?campaign=ID */
void
api_agenda_ics(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "campaign", NULL };
	struct api_ctx *ctx = arg;
	const struct model *m;
	const struct model_campaign *only = NULL;
	struct evkeyvalq q;
	struct evkeyvalq *h;
	struct evbuffer *b;
	const char *id;
	char *ics = NULL, err[256];

	if (api_authorize(req, ctx, API_READ) == -1)
		return;
	if (api_query(req, &q, allowed) == -1)
		return;
	if (ctx->engine == NULL) {
		httpd_reply_error(req, 503, "not started");
		goto done;
	}
	m = engine_model(ctx->engine);
	if ((id = evhttp_find_header(&q, "campaign")) != NULL) {
		if (*id == '\0') {
			httpd_reply_error(req, 400, "empty campaign");
			goto done;
		}
		if ((only = model_campaign_find(m, id)) == NULL) {
			httpd_reply_error(req, 404, "unknown campaign \"%s\"",
			    id);
			goto done;
		}
	}
	if (ical_build(m, only, engine_time(ctx->engine), &ics, err,
	    sizeof(err)) == -1) {
		httpd_reply_error(req, 500, "%s", err);
		goto done;
	}
	if ((b = evbuffer_new()) == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		goto done;
	}
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "text/calendar; charset=utf-8");
	evhttp_add_header(h, "Content-Disposition",
	    "inline; filename=\"herald.ics\"");
	evbuffer_add(b, ics, strlen(ics));
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
done:
	free(ics);
	evhttp_clear_headers(&q);
}
