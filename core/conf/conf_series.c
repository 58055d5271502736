/*
 * conf_series.c - a stage's series of sessions, expanded into slots at
 * load time:
 *
 *   series = ( { title = "县长直播带货"; from = "2020-11-02 20:00";
 *                length = "2h"; every = "1d"; count = 20;
 *                skip = [ "2020-11-11" ]; host = "zhang";
 *                audience = [ "g-media" ]; remind = [ "2h" ]; } );
 *
 * Session i starts i steps of `every` after `from` (the day part civil,
 * like every offset: 20:00 stays 20:00 across a DST change), lasts
 * `length`; a session whose local date is in `skip` is not held and not
 * counted, so `count = 20` is twenty sessions held; `until` (a date: that
 * whole day; a date-time: sessions starting by then) is the other way to
 * end one.  Each session is a slot of its own, with its own key
 * ("<stage>@<from>"), located at the series' file:line.  Overlaps are
 * found with the hand-written slots (conf_stage.c).
 */
#include "conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "xmalloc.h"

/* More than this is a typo in `every` or `until`, not a series. */
#define CONF_SERIES_MAX		1000

static const char *const conf_series_keys[] = {
	"title", "from", "length", "every", "count", "until", "skip", "host",
	"audience", "remind", "note", "verb", "templates", NULL
};
static const char *const conf_series_kinds[] = { "slot", NULL };

/* Append one slot to the growing array (*v, *n, *cap). */
static struct model_slot *
conf_series_push(struct model_slot **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* The skip dates as days since the epoch (arena); -1 after an error. */
static int
conf_series_skips(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, int32_t **out, size_t *n)
{
	config_setting_t *s = conf_get_strings(cx, g, "skip", 0, what,
	    "dates");
	int len, bad = 0;

	*n = 0;
	*out = NULL;
	if (s == NULL)
		return 0;
	len = config_setting_length(s);
	*out = arena_alloc(cx->a, (size_t)(len + 1) * sizeof(**out));
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		struct civil c;
		char err[128];
		int date_only = 0;

		if (civil_parse(config_setting_get_string(e), &c, &date_only,
		    err, sizeof(err)) < 0 || !date_only) {
			conf_err(cx, e, "skip of %s must be a date "
			    "\"YYYY-MM-DD\"", conf_owner(what));
			bad = 1;
			continue;
		}
		(*out)[(*n)++] = civil_days_from_date(c.year, c.month, c.day);
	}
	return bad ? -1 : 0;
}

/* "2020-11-02 20:00" of instant t in zone, in the arena. */
static const char *
conf_series_text(struct conf_ctx *cx, const struct civil *c)
{
	if (c->sec != 0)
		return arena_printf(cx->a, "%04d-%02d-%02d %02d:%02d:%02d",
		    c->year, c->month, c->day, c->hour, c->min, c->sec);
	return arena_printf(cx->a, "%04d-%02d-%02d %02d:%02d", c->year,
	    c->month, c->day, c->hour, c->min);
}

/* Expand one series group g of stage st into slots appended to v. */
static void
conf_series_one(struct conf_ctx *cx, const config_setting_t *g,
    const struct model_campaign *c, const struct model_stage *st, int index,
    struct model_slot **v, size_t *n, size_t *cap)
{
	const char *what = arena_printf(cx->a, "in series #%d of stage \"%s\"",
	    index + 1, st->id), *title, *host_id;
	struct model_time from = { 0 }, until = { 0 };
	struct model_offset length, every, *remind = NULL;
	struct model_audience audience = { 0 };
	struct model_wording words = { 0 };
	const struct model_contact *host = NULL;
	struct civil first;
	int32_t *skips, first_day;
	size_t n_skips, n_remind = 0, held = 0, used = 0;
	long long count = 0;
	int has_count, has_until, ok = 1, date_only;
	int32_t until_day = 0;
	char err[128];

	if (conf_get_string(cx, g, "title", 1, what, &title) == 1)
		what = arena_printf(cx->a, "in series \"%s\" of stage \"%s\"",
		    title, st->id);
	else
		title = NULL;
	conf_check_keys(cx, g, conf_series_keys, what);
	ok &= conf_get_time(cx, g, "from", 1, c->timezone, CONF_DAY_MIDNIGHT,
	    what, &from) == 1;
	ok &= conf_get_offset(cx, g, "length", 1, what, &length) == 1;
	ok &= conf_get_offset(cx, g, "every", 1, what, &every) == 1;
	has_count = conf_get_int(cx, g, "count", 0, what, 1, CONF_SERIES_MAX,
	    &count);
	has_until = conf_get_time(cx, g, "until", 0, c->timezone,
	    CONF_DAY_MIDNIGHT, what, &until);
	if (has_count < 0 || has_until < 0)
		ok = 0;
	else if ((has_count == 1) == (has_until == 1)) {
		conf_err(cx, g, "%s: give exactly one of \"count\" and "
		    "\"until\"", conf_owner(what));
		ok = 0;
	}
	if (ok && every.seconds < length.seconds) {
		conf_err(cx, config_setting_get_member(g, "every"), "sessions "
		    "of %s overlap each other: every \"%s\" is shorter than "
		    "length \"%s\"", conf_owner(what), every.text, length.text);
		ok = 0;
	}
	if (conf_series_skips(cx, g, what, &skips, &n_skips) == -1)
		ok = 0;
	if (conf_get_string(cx, g, "host", 0, what, &host_id) == 1)
		host = conf_contact_ref(cx, config_setting_get_member(g, "host"),
		    arena_printf(cx->a, "host of %s", conf_owner(what)));
	conf_get_audience(cx, g, "audience", 0, 1, arena_printf(cx->a,
	    "audience of %s", conf_owner(what)), &audience);
	if (from.text != NULL)
		conf_get_offsets(cx, g, "remind", what, c->timezone, &from,
		    &remind, &n_remind);
	conf_wording(cx, g, what, conf_series_kinds, &words);
	if (!ok || title == NULL)
		return;

	err[0] = '\0';
	if (civil_parse(from.text, &first, &date_only, err, sizeof(err)) < 0)
		return;		/* reported by conf_get_time */
	first_day = civil_days_from_date(first.year, first.month, first.day);
	if (has_until == 1) {
		struct civil cu;

		if (civil_from_instant(until.at, c->timezone, &cu, NULL) == -1)
			return;
		until_day = civil_days_from_date(cu.year, cu.month, cu.day);
	}
	/* Bounded: skips are finite, so count or until ends it first. */
	for (int64_t i = 0; i < 100 * CONF_SERIES_MAX; i++) {
		int64_t rest = every.seconds - (int64_t)every.days * 86400;
		struct civil cv = first, ce;
		struct model_slot *sl;
		int64_t at;
		int32_t day = first_day + (int32_t)(i * every.days);
		int skip = 0;

		civil_date_from_days(day, &cv.year, &cv.month, &cv.day);
		if (civil_to_instant(&cv, c->timezone, &at, NULL) == -1)
			return;
		at += i * rest;
		if (civil_from_instant(at, c->timezone, &cv, NULL) == -1)
			return;
		day = civil_days_from_date(cv.year, cv.month, cv.day);
		if (has_until == 1 && (until.date_only ? day > until_day :
		    at > until.at))
			break;
		if (has_count == 1 && held == (size_t)count)
			break;
		for (size_t k = 0; k < n_skips; k++)
			if (skips[k] == day) {
				skip = 1;
				used++;
			}
		if (skip)
			continue;
		if (held == CONF_SERIES_MAX) {
			conf_err(cx, g, "%s has more than %d sessions",
			    conf_owner(what), CONF_SERIES_MAX);
			*n -= held;
			return;
		}
		sl = conf_series_push(v, n, cap);
		sl->loc = conf_loc(cx, g);
		sl->stage = st;
		sl->title = title;
		sl->from.text = conf_series_text(cx, &cv);
		sl->from.at = at;
		if (civil_from_instant(at + length.seconds, c->timezone, &ce,
		    NULL) == -1)
			return;
		sl->to.text = conf_series_text(cx, &ce);
		sl->to.at = at + length.seconds;
		sl->host = host;
		sl->audience = audience;
		sl->remind = remind;
		sl->n_remind = n_remind;
		sl->words = words;
		sl->in_series = 1;
		held++;
	}
	if (used < n_skips)
		conf_warn(cx, config_setting_get_member(g, "skip"), "a skip "
		    "date of %s falls on no session", conf_owner(what));
}

void
conf_series(struct conf_ctx *cx, const config_setting_t *list,
    const struct model_campaign *c, const struct model_stage *st,
    struct model_slot **v, size_t *n, size_t *cap)
{
	for (int i = 0; i < config_setting_length(list); i++)
		conf_series_one(cx, config_setting_get_elem(list, i), c, st, i,
		    v, n, cap);
}
