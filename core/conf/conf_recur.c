/*
 * conf_recur.c - the instances of a recurring deadline: `every =
 * "quarter"` or `"month"` with a due rule, or a list of `dues`.
 *
 * A recurring deadline is expanded at load time into one deadline per
 * instance ("report#2023Q1"), so everything downstream (keys, reminders,
 * overdue, escalation, submissions, the API) sees ordinary deadlines and
 * a submission for one instance touches no other.  '#' is not allowed in
 * a written id, so an instance id never equals a hand-written one.
 *
 * The due rule is "+Nd" (N days after the period's last day) or "day N"
 * (the Nth of the month after the period), each optionally followed by a
 * time "HH:MM"; without a time, the campaign's day_end, as for a bare
 * due date.
 */
#include "conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "xmalloc.h"

/* More instances than this is a typo in from/until, not a campaign. */
#define CONF_RECUR_MAX	240

/* "+10d", "+10d 17:00", "day 10", "day 10 17:00" */
struct conf_recur_rule {
	int after_days;		/* "+Nd": days after the period's last day */
	int day_of_month;	/* "day N": 1..28 of the next month; 0: unused */
	int at_min;		/* minutes after midnight; -1: day_end */
};

static int
conf_recur_rule_parse(const char *text, struct conf_recur_rule *r)
{
	const char *p = text;
	char *end;
	long n;

	r->after_days = 0;
	r->day_of_month = 0;
	r->at_min = -1;
	if (*p == '+') {
		n = strtol(p + 1, &end, 10);
		if (end == p + 1 || *end != 'd' || n < 0 || n > 366)
			return -1;
		r->after_days = (int)n;
		p = end + 1;
	} else if (strncmp(p, "day ", 4) == 0) {
		n = strtol(p + 4, &end, 10);
		if (end == p + 4 || n < 1 || n > 28)
			return -1;
		r->day_of_month = (int)n;
		p = end;
	} else
		return -1;
	if (*p == '\0')
		return 0;
	if (*p != ' ' || civil_parse_hhmm(p + 1, &r->at_min) < 0)
		return -1;
	return 0;
}

/* The first day of the period (quarter or month) that day falls in. */
static int32_t
conf_recur_period_start(int32_t day, int months)
{
	int y, m, d;

	civil_date_from_days(day, &y, &m, &d);
	m = (m - 1) / months * months + 1;
	return civil_days_from_date(y, m, 1);
}

/* One instance: its due instant at civil date (y, m, d) per the rule. */
static int
conf_recur_instant(struct conf_ctx *cx, const config_setting_t *s,
    const struct model_campaign *c, const struct conf_recur_rule *r,
    int y, int m, int d, struct model_time *out)
{
	struct civil cv = { y, m, d, 0, 0, 0 };
	int min = r->at_min >= 0 ? r->at_min : c->day_end_min;

	cv.hour = min / 60;
	cv.min = min % 60;
	if (civil_to_instant(&cv, c->timezone, &out->at, NULL) == -1) {
		conf_err(cx, s, "cannot convert %04d-%02d-%02d to time zone %s",
		    y, m, d, c->timezone);
		return -1;
	}
	out->date_only = r->at_min < 0;
	out->text = r->at_min < 0 ?
	    arena_printf(cx->a, "%04d-%02d-%02d", y, m, d) :
	    arena_printf(cx->a, "%04d-%02d-%02d %02d:%02d", y, m, d,
	    cv.hour, cv.min);
	return 0;
}

static struct conf_recur *
conf_recur_add(struct conf_recur **v, size_t *n)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* every = "quarter" | "month" over from .. until (or the period). */
static int
conf_recur_every(struct conf_ctx *cx, const config_setting_t *g,
    const struct model_campaign *c, const char *what,
    struct conf_recur **v, size_t *n)
{
	config_setting_t *es = config_setting_get_member(g, "every");
	const char *every = NULL, *rule = NULL;
	struct conf_recur_rule r;
	struct model_time from = c->period_from, until = c->period_to;
	int32_t first, last, day;
	int months;

	conf_get_string(cx, g, "every", 1, what, &every);
	if (every == NULL)
		return -1;
	if (strcmp(every, "quarter") == 0)
		months = 3;
	else if (strcmp(every, "month") == 0)
		months = 1;
	else {
		conf_err(cx, es, "every of %s must be \"quarter\" or \"month\", "
		    "not \"%s\"", conf_recur_owner(what), every);
		return -1;
	}
	if (conf_get_string(cx, g, "due", 1, what, &rule) != 1)
		return -1;
	if (conf_recur_rule_parse(rule, &r) == -1) {
		conf_err(cx, config_setting_get_member(g, "due"), "due of %s "
		    "with every must be \"+Nd\" (days after the period) or "
		    "\"day N\" (1-28 of the next month), optionally with "
		    "\" HH:MM\", not \"%s\"", conf_recur_owner(what), rule);
		return -1;
	}
	if (conf_get_time(cx, g, "from", 0, c->timezone, CONF_DAY_MIDNIGHT,
	    what, &from) == -1 || conf_get_time(cx, g, "until", 0,
	    c->timezone, CONF_DAY_LAST_SECOND, what, &until) == -1)
		return -1;
	if (from.text == NULL || until.text == NULL) {
		conf_err(cx, g, "%s needs \"from\" and \"until\" or the "
		    "campaign's period", conf_recur_owner(what));
		return -1;
	}
	if (from.at > until.at) {
		conf_err(cx, config_setting_get_member(g, "until") != NULL ?
		    config_setting_get_member(g, "until") : g, "%s ends before "
		    "it starts (\"%s\" > \"%s\")", conf_recur_owner(what),
		    from.text, until.text);
		return -1;
	}
	/* Whole civil days in the campaign's zone: "2023-01-01" .. */
	{
		struct civil a, b;

		if (civil_from_instant(from.at, c->timezone, &a, NULL) == -1 ||
		    civil_from_instant(until.at, c->timezone, &b, NULL) == -1)
			return -1;
		first = civil_days_from_date(a.year, a.month, a.day);
		last = civil_days_from_date(b.year, b.month, b.day);
	}
	for (day = conf_recur_period_start(first, months); day <= last;) {
		struct conf_recur *x;
		int y, m, d, ny, nm;

		if (*n >= CONF_RECUR_MAX) {
			conf_err(cx, es, "%s has more than %d instances",
			    conf_recur_owner(what), CONF_RECUR_MAX);
			return -1;
		}
		civil_date_from_days(day, &y, &m, &d);
		ny = m + months > 12 ? y + 1 : y;
		nm = (m + months - 1) % 12 + 1;
		x = conf_recur_add(v, n);
		if (months == 3) {
			x->suffix = arena_printf(cx->a, "%04dQ%d", y, (m + 2) / 3);
			x->label = arena_printf(cx->a, "%d年第%d季度", y,
			    (m + 2) / 3);
		} else {
			x->suffix = arena_printf(cx->a, "%04d-%02d", y, m);
			x->label = arena_printf(cx->a, "%d年%d月", y, m);
		}
		/* The next period's first day: where "+Nd" counts from
		 * (+0d is the period's last day) and "day N" is in. */
		day = civil_days_from_date(ny, nm, 1);
		if (r.day_of_month > 0)
			civil_date_from_days(day + r.day_of_month - 1, &y, &m,
			    &d);
		else
			civil_date_from_days(day - 1 + r.after_days, &y, &m,
			    &d);
		if (conf_recur_instant(cx, es, c, &r, y, m, d, &x->due) == -1)
			return -1;
	}
	return 0;
}

/*
 * dues = [ "2023-04-10 17:00", ... ]: the instance is named by the due's
 * date (and its time when an earlier due fell on that day).
 */
static int
conf_recur_dues(struct conf_ctx *cx, const config_setting_t *g,
    const struct model_campaign *c, const char *what,
    struct conf_recur **v, size_t *n)
{
	config_setting_t *s = config_setting_get_member(g, "dues");
	const char *field = arena_printf(cx->a, "dues of %s",
	    conf_recur_owner(what));
	int len;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_err(cx, s, "\"dues\" must be a list of dates");
		return -1;
	}
	if ((len = config_setting_length(s)) == 0) {
		conf_err(cx, s, "%s is empty", field);
		return -1;
	}
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct model_time t;
		struct conf_recur *x;
		const char *suffix;

		if (conf_time(cx, e, c->timezone, c->day_end_min * 60, field,
		    &t) == -1)
			return -1;
		suffix = arena_printf(cx->a, "%.10s", t.text);
		for (size_t k = 0; k < *n; k++) {
			if (t.at == (*v)[k].due.at) {
				conf_err(cx, e, "\"%s\" twice in %s", t.text,
				    field);
				return -1;
			}
			/* A second due that day: named by its time too
			 * ("2023-04-10T17:00"); the first keeps its name. */
			if (strcmp((*v)[k].suffix, suffix) == 0)
				suffix = arena_printf(cx->a, "%.10sT%s", t.text,
				    t.date_only ? "00:00" : t.text + 11);
		}
		x = conf_recur_add(v, n);
		x->suffix = suffix;
		x->label = x->suffix;
		x->due = t;
	}
	return 0;
}

const char *
conf_recur_owner(const char *what)
{
	return strncmp(what, "in ", 3) == 0 ? what + 3 : what;
}

int
conf_recur(struct conf_ctx *cx, const config_setting_t *g,
    const struct model_campaign *c, const char *what,
    struct conf_recur **out, size_t *n)
{
	config_setting_t *every = config_setting_get_member(g, "every");
	config_setting_t *dues = config_setting_get_member(g, "dues");
	static const char *const only_every[] = { "from", "until", NULL };

	*out = NULL;
	*n = 0;
	if (every != NULL && dues != NULL) {
		conf_err(cx, dues, "%s has both \"every\" and \"dues\": use one",
		    conf_recur_owner(what));
		return -1;
	}
	if (dues != NULL && config_setting_get_member(g, "due") != NULL) {
		conf_err(cx, config_setting_get_member(g, "due"), "%s has "
		    "both \"due\" and \"dues\": use one",
		    conf_recur_owner(what));
		return -1;
	}
	for (size_t i = 0; every == NULL && only_every[i] != NULL; i++)
		if (config_setting_get_member(g, only_every[i]) != NULL) {
			conf_err(cx, config_setting_get_member(g,
			    only_every[i]), "\"%s\" needs \"every\" %s",
			    only_every[i], what);
			return -1;
		}
	if ((every != NULL ? conf_recur_every(cx, g, c, what, out, n) :
	    dues != NULL ? conf_recur_dues(cx, g, c, what, out, n) : 0) == -1) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
