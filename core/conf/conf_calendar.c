/*
 * conf_calendar.c - the workday calendar (weekend, holidays, 调休 make-up
 * workdays per year) and the message templates.
 *
 * The calendar is per year because China's State Council publishes each
 * year's holidays and make-up workdays separately; a holiday must lie in
 * its year, but may run over its edge (元旦 often starts on Dec 30).
 */
#include "conf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "job.h"
#include "render.h"
#include "xmalloc.h"

static const char *const conf_calendar_keys[] = { "weekend", "years", NULL };
static const char *const conf_year_keys[] = {
	"year", "holidays", "workdays", NULL
};
static const char *const conf_holiday_keys[] = { "name", "from", "to", NULL };
static const char *const conf_day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const char *const conf_template_kinds[] = {
	"countdown", "launch", "reminder", "overdue", "escalation", "task",
	"phase", "digest", "emergency", "slot", "incident-ack",
	"incident-close", "task-overdue", "task-escalation", NULL
};

/* A DATE string setting as days since the epoch.  Returns 0 or -1. */
static int
conf_day(struct conf_ctx *cx, const config_setting_t *s, const char *field,
    int32_t *day)
{
	struct civil c;
	char err[128];
	int date_only = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(cx, s, "%s must be a date \"YYYY-MM-DD\"", field);
		return -1;
	}
	err[0] = '\0';
	if (civil_parse(config_setting_get_string(s), &c, &date_only, err,
	    sizeof(err)) < 0) {
		conf_err(cx, s, "%s: %s", field, err);
		return -1;
	}
	if (!date_only) {
		conf_err(cx, s, "%s must be a date \"YYYY-MM-DD\", not \"%s\"",
		    field, config_setting_get_string(s));
		return -1;
	}
	*day = civil_days_from_date(c.year, c.month, c.day);
	return 0;
}

static int
conf_day_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static void
conf_weekend(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_calendar *cal = &cx->m->calendar;
	config_setting_t *s;

	cal->weekend_mask = 1u << 0 | 1u << 6;
	s = conf_get_strings(cx, g, "weekend", 0, "in calendar", "day names");
	if (s == NULL)
		return;
	cal->weekend_mask = 0;
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		const char *name = config_setting_get_string(e);
		unsigned d;

		for (d = 0; conf_day_names[d] != NULL; d++)
			if (strcmp(conf_day_names[d], name) == 0)
				break;
		if (conf_day_names[d] == NULL)
			conf_err(cx, e, "unknown day \"%s\" in weekend (use sun, "
			    "mon, tue, wed, thu, fri, sat)", name);
		else
			cal->weekend_mask |= 1u << d;
	}
}

/* One year's group; holidays and workdays are appended to the calendar. */
static void
conf_year(struct conf_ctx *cx, const config_setting_t *g, int index,
    size_t *cap_h, size_t *cap_w, struct model_loc *year_locs)
{
	struct model_calendar *cal = &cx->m->calendar;
	const char *what = arena_printf(cx->a, "in calendar year #%d", index + 1);
	config_setting_t *list;
	long long year;
	int32_t first, last;
	size_t h0 = cal->n_holidays;

	if (conf_get_int(cx, g, "year", 1, what, 1970, 9999, &year) != 1) {
		conf_check_keys(cx, g, conf_year_keys, what);
		return;
	}
	what = arena_printf(cx->a, "in calendar year %lld", year);
	conf_check_keys(cx, g, conf_year_keys, what);
	for (size_t i = 0; i < cal->n_years; i++)
		if (cal->years[i] == year) {
			conf_err(cx, config_setting_get_member(g, "year"),
			    "duplicate calendar year %lld (first defined at "
			    "%s:%d)", year, year_locs[i].file, year_locs[i].line);
			return;
		}
	year_locs[cal->n_years] = conf_loc(cx, g);
	cal->years[cal->n_years++] = (int32_t)year;
	first = civil_days_from_date((int)year, 1, 1);
	last = civil_days_from_date((int)year, 12, 31);

	if ((list = conf_get_groups(cx, g, "holidays", 0, what)) != NULL) {
		for (int i = 0; i < config_setting_length(list); i++) {
			config_setting_t *h = config_setting_get_elem(list, i);
			struct model_holiday hol;
			const char *hw;
			int ok;

			memset(&hol, 0, sizeof(hol));
			hw = arena_printf(cx->a, "in holiday #%d of calendar year "
			    "%lld", i + 1, year);
			if (conf_get_string(cx, h, "name", 1, hw, &hol.name) == 1)
				hw = arena_printf(cx->a, "in holiday \"%s\"",
				    hol.name);
			conf_check_keys(cx, h, conf_holiday_keys, hw);
			hol.loc = conf_loc(cx, h);
			ok = config_setting_get_member(h, "from") != NULL &&
			    config_setting_get_member(h, "to") != NULL;
			if (!ok)
				conf_err(cx, h, "missing setting \"%s\" %s",
				    config_setting_get_member(h, "from") ? "to" :
				    "from", hw);
			else {
				/* Both, so both bad dates are reported. */
				if (conf_day(cx, config_setting_get_member(h,
				    "from"), arena_printf(cx->a, "from of %s",
				    hw + 3), &hol.from_day) < 0)
					ok = 0;
				if (conf_day(cx, config_setting_get_member(h, "to"),
				    arena_printf(cx->a, "to of %s", hw + 3),
				    &hol.to_day) < 0)
					ok = 0;
			}
			if (!ok || hol.name == NULL)
				continue;
			if (hol.from_day > hol.to_day) {
				conf_err(cx, config_setting_get_member(h, "from"),
				    "holiday \"%s\" starts after it ends", hol.name);
				continue;
			}
			if (hol.to_day < first || hol.from_day > last) {
				conf_err(cx, config_setting_get_member(h, "from"),
				    "holiday \"%s\" is outside calendar year %lld",
				    hol.name, year);
				continue;
			}
			if (cal->n_holidays == *cap_h) {
				*cap_h = *cap_h ? 2 * *cap_h : 16;
				cal->holidays = xrealloc(cal->holidays, *cap_h *
				    sizeof(*cal->holidays));
			}
			cal->holidays[cal->n_holidays++] = hol;
		}
	}

	list = conf_get_strings(cx, g, "workdays", 0, what, "dates");
	for (int i = 0; list != NULL && i < config_setting_length(list); i++) {
		config_setting_t *e = config_setting_get_elem(list, i);
		int32_t day;
		size_t k;

		if (conf_day(cx, e, arena_printf(cx->a, "workdays of calendar "
		    "year %lld", year), &day) < 0)
			continue;
		if (day < first || day > last) {
			conf_err(cx, e, "workday \"%s\" is outside calendar year "
			    "%lld", config_setting_get_string(e), year);
			continue;
		}
		for (k = h0; k < cal->n_holidays; k++)
			if (day >= cal->holidays[k].from_day &&
			    day <= cal->holidays[k].to_day)
				break;
		if (k < cal->n_holidays) {
			conf_err(cx, e, "\"%s\" is both a holiday (\"%s\") and a "
			    "workday", config_setting_get_string(e),
			    cal->holidays[k].name);
			continue;
		}
		if (cal->n_workdays == *cap_w) {
			*cap_w = *cap_w ? 2 * *cap_w : 16;
			cal->workdays = xrealloc(cal->workdays, *cap_w *
			    sizeof(*cal->workdays));
		}
		cal->workdays[cal->n_workdays++] = day;
	}
}

void
conf_calendar(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_calendar *cal = &cx->m->calendar;
	struct model_holiday *h;
	int32_t *w;
	struct model_loc *year_locs;
	config_setting_t *years;
	size_t cap_h = 0, cap_w = 0;
	int n;

	conf_check_keys(cx, g, conf_calendar_keys, "in calendar");
	conf_weekend(cx, g);
	years = conf_get_groups(cx, g, "years", 0, "in calendar");
	if (years == NULL)
		return;
	n = config_setting_length(years);
	cal->years = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*cal->years));
	year_locs = xcalloc((size_t)n + 1, sizeof(*year_locs));
	/* Grown with xrealloc while reading, then moved into the arena. */
	cal->holidays = NULL;
	cal->workdays = NULL;
	for (int i = 0; i < n; i++)
		conf_year(cx, config_setting_get_elem(years, i), i, &cap_h,
		    &cap_w, year_locs);
	free(year_locs);
	h = arena_alloc(cx->a, (cal->n_holidays + 1) * sizeof(*h));
	if (cal->n_holidays > 0)
		memcpy(h, cal->holidays, cal->n_holidays * sizeof(*h));
	free(cal->holidays);
	cal->holidays = h;
	w = arena_alloc(cx->a, (cal->n_workdays + 1) * sizeof(*w));
	if (cal->n_workdays > 0)
		memcpy(w, cal->workdays, cal->n_workdays * sizeof(*w));
	free(cal->workdays);
	cal->workdays = w;
	qsort(cal->workdays, cal->n_workdays, sizeof(*w), conf_day_cmp);
	qsort(cal->years, cal->n_years, sizeof(*cal->years), conf_day_cmp);
}

/* The years seen so far in one campaign, reported or covered. */
struct conf_years {
	int32_t seen[64];
	size_t n;
};

/*
 * Warn at loc once per campaign for each year of [from, to] (instants in
 * c's zone) that the calendar does not list.
 */
static void
conf_cover(struct conf_ctx *cx, const struct model_campaign *c,
    struct model_loc loc, int64_t from, int64_t to, struct conf_years *ys)
{
	const struct model_calendar *cal = &cx->m->calendar;
	struct civil a, b;

	if (civil_from_instant(from, c->timezone, &a, NULL) < 0 ||
	    civil_from_instant(to, c->timezone, &b, NULL) < 0)
		return;
	for (int y = a.year; y <= b.year && y - a.year < 100; y++) {
		char *list = NULL, *t;
		size_t i;

		for (i = 0; i < cal->n_years && cal->years[i] != y; i++)
			;
		if (i < cal->n_years)
			continue;
		for (i = 0; i < ys->n && ys->seen[i] != y; i++)
			;
		if (i < ys->n || ys->n == sizeof(ys->seen) / sizeof(ys->seen[0]))
			continue;
		ys->seen[ys->n++] = y;
		for (i = 0; i < cal->n_years; i++) {
			t = xasprintf("%s%s%d", list ? list : "", list ? ", " : "",
			    (int)cal->years[i]);
			free(list);
			list = t;
		}
		errlist_warn(cx->errs, loc.file, loc.line, "campaign \"%s\" has "
		    "dates in %d, a year the calendar does not cover (calendar "
		    "years: %s): only weekends are days off there", c->id, y,
		    list);
		free(list);
	}
}

/* The earliest instant of offsets before at (the largest offset). */
static int64_t
conf_first_before(int64_t at, const struct model_offset *off, size_t n,
    const char *zone)
{
	return n > 0 ? conf_offset_before(at, &off[0], zone) : at;
}

void
conf_calendar_coverage(struct conf_ctx *cx)
{
	const struct model *m = cx->m;

	if (m->calendar.n_years == 0)
		return;		/* "weekends only", as the summary says */
	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_campaign *c = &m->campaigns[i];
		const char *z = c->timezone;
		struct conf_years ys = { .n = 0 };

		/* In the order of the file, so the warning names the first
		 * setting that reaches into the year. */
		if (c->period_from.text != NULL && c->period_to.text != NULL)
			conf_cover(cx, c, c->loc, c->period_from.at,
			    c->period_to.at, &ys);
		for (size_t k = 0; k < c->n_phases; k++)
			conf_cover(cx, c, c->phases[k].loc, c->phases[k].from.at,
			    c->phases[k].to.at, &ys);
		for (size_t k = 0; k < c->n_launches; k++) {
			const struct model_launch *l = &c->launches[k];

			if (l->at.text != NULL)
				conf_cover(cx, c, l->loc, conf_first_before(
				    l->at.at, l->countdown, l->n_countdown, z),
				    l->at.at, &ys);
		}
		for (size_t k = 0; k < c->n_deadlines; k++) {
			const struct model_deadline *d = &c->deadlines[k];

			if (d->due.text != NULL)
				conf_cover(cx, c, d->loc, conf_first_before(
				    d->due.at, d->remind, d->n_remind, z),
				    d->due.at + (d->escalate != NULL ?
				    d->escalate->after.seconds : 0), &ys);
		}
		for (size_t k = 0; k < c->n_tasks; k++) {
			const struct model_task *t = &c->tasks[k];

			if (t->due.text != NULL)
				conf_cover(cx, c, t->loc, conf_first_before(
				    t->due.at, t->remind, t->n_remind, z),
				    t->due.at, &ys);
		}
		for (size_t k = 0; k < c->n_slots; k++)
			conf_cover(cx, c, c->slots[k].loc, c->slots[k].from.at,
			    c->slots[k].to.at, &ys);
	}
}

/* Check the {{placeholders}} of one template text (also for the templates
 * of one item, conf_campaign.c). */
void
conf_template_text(struct conf_ctx *cx, const config_setting_t *s,
    const char *kind)
{
	const char *const *conf_placeholders = render_placeholders();
	const char *p = config_setting_get_string(s);

	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");
		const char *next = strstr(p + 2, "{{");
		const char *near;
		char *name;
		size_t k;

		/* "{{title 于{{due}}": the first one is the unclosed one. */
		if (end == NULL || (next != NULL && next < end)) {
			conf_err(cx, s, "unclosed \"{{\" in template \"%s\"", kind);
			return;
		}
		name = xstrndup(p + 2, (size_t)(end - p - 2));
		for (k = 0; conf_placeholders[k] != NULL; k++)
			if (strcmp(conf_placeholders[k], name) == 0)
				break;
		if (conf_placeholders[k] == NULL) {
			near = conf_nearest(name, conf_placeholders);
			if (near != NULL)
				conf_err(cx, s, "unknown placeholder \"{{%s}}\" in "
				    "template \"%s\" (did you mean \"{{%s}}\"?)",
				    name, kind, near);
			else
				conf_err(cx, s, "unknown placeholder \"{{%s}}\" in "
				    "template \"%s\"", name, kind);
		}
		free(name);
		p = end + 2;
	}
}

/*
 * With ack links on, a reminder or overdue notice whose kind turned the
 * appended link off (ack_link = false) and whose texts place no
 * {{ack_url}} leaves the liaison officer no way to say "submitted": say
 * so at load time.  A warning, not an error: a desk may want that.
 */
static void
conf_templates_ack_check(struct conf_ctx *cx, const config_setting_t *g)
{
	static const char *const kinds[] = { "reminder", "overdue", NULL };
	const struct model *m = cx->m;

	if (m->daemon.public_url == NULL || m->daemon.ack_secret == NULL)
		return;
	for (size_t k = 0; kinds[k] != NULL; k++) {
		config_setting_t *kg = config_setting_get_member(g, kinds[k]);
		int jk = job_kind_parse(kinds[k]), placed = 0;

		if (kg == NULL || jk < 0 || !(m->no_ack_link & (1u << jk)))
			continue;
		for (size_t i = 0; i < m->n_templates; i++) {
			const struct model_template *t = &m->templates[i];

			if (strcmp(t->kind, kinds[k]) == 0 &&
			    strcmp(t->field, "body") == 0 &&
			    strstr(t->text, "ack_url") != NULL)
				placed = 1;
		}
		if (!placed)
			conf_warn(cx, config_setting_get_member(kg, "ack_link"),
			    "template \"%s\" has ack_link = false and no "
			    "{{ack_url}}: its messages give no way to "
			    "acknowledge while ack links are on", kinds[k]);
	}
}

void
conf_templates(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model *m = cx->m;
	size_t cap = 0, n = 0;
	const char **names;

	conf_check_keys(cx, g, conf_template_kinds, "in templates");
	for (int i = 0; i < config_setting_length(g); i++)
		if (config_setting_is_group(config_setting_get_elem(g, i)))
			cap += (size_t)config_setting_length(
			    config_setting_get_elem(g, i));
	m->templates = arena_alloc(cx->a, (cap + 1) * sizeof(*m->templates));

	/* The keys a kind accepts, for the did-you-mean. */
	names = xcalloc(m->n_channels + 4, sizeof(*names));
	names[0] = "default";
	names[1] = "subject";
	names[2] = "ack_link";
	for (size_t i = 0; i < m->n_channels; i++)
		names[i + 3] = m->channels[i].name;

	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *kg = config_setting_get_elem(g, i);
		const char *kind = config_setting_name(kg);
		size_t k;

		for (k = 0; conf_template_kinds[k] != NULL; k++)
			if (strcmp(conf_template_kinds[k], kind) == 0)
				break;
		if (conf_template_kinds[k] == NULL)
			continue;	/* reported by conf_check_keys */
		if (!config_setting_is_group(kg)) {
			conf_err(cx, kg, "template \"%s\" must be a group { default "
			    "= \"...\"; ... }", kind);
			continue;
		}
		for (int j = 0; j < config_setting_length(kg); j++) {
			config_setting_t *s = config_setting_get_elem(kg, j);
			const char *key = config_setting_name(s), *near;
			struct model_template *t = &m->templates[n];
			int on = 1, jk;

			/* Not a text: whether the ack link and the SMS reply
			 * hint are appended to this kind (render.c). */
			if (strcmp(key, "ack_link") == 0) {
				if (conf_get_bool(cx, kg, key, arena_printf(cx->a,
				    "in template \"%s\"", kind), &on) == 1 &&
				    !on && (jk = job_kind_parse(kind)) >= 0) {
					m->no_ack_link |= 1u << jk;
					m->ack_link_loc[jk] = conf_loc(cx, s);
				}
				continue;
			}
			if (strcmp(key, "default") != 0 &&
			    strcmp(key, "subject") != 0 &&
			    model_channel_find(m, key) == NULL) {
				near = conf_nearest(key, names);
				if (near != NULL)
					conf_err(cx, s, "unknown channel \"%s\" in "
					    "template \"%s\" (did you mean \"%s\"?)",
					    key, kind, near);
				else
					conf_err(cx, s, "unknown channel \"%s\" in "
					    "template \"%s\"", key, kind);
				continue;
			}
			if (config_setting_type(s) != CONFIG_TYPE_STRING) {
				conf_err(cx, s, "\"%s\" must be a string", key);
				continue;
			}
			conf_template_text(cx, s, kind);
			t->loc = conf_loc(cx, s);
			t->kind = arena_strdup(cx->a, kind);
			t->field = strcmp(key, "subject") == 0 ? "subject" : "body";
			t->channel = strcmp(key, "subject") == 0 ? "default" :
			    arena_strdup(cx->a, key);
			t->text = arena_strdup(cx->a, config_setting_get_string(s));
			n++;
		}
	}
	m->n_templates = n;
	free(names);
	conf_templates_ack_check(cx, g);
}
