/*
 * conf_engine.c - herald.engine: misfire grace per kind, the kinds that
 * keep to workdays, retry policy, prefetch window and claim lease, and
 * the working day (what a date without a time means).
 */
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "conf_internal.h"
#include "job.h"

static const char *const conf_engine_keys[] = {
	"grace", "workdays_only", "retry", "prefetch", "lease", "workers",
	"day_start", "day_end", NULL
};

static const char *const conf_retry_keys[] = {
	"attempts", "base", "cap", "max_age", "after_timeout", "timeouts", NULL
};

/*
 * Kinds the planner can move to a workday.  The others are pinned to an
 * instant someone chose (a launch, a broadcast, an emergency) or are the
 * deadline itself (overdue, escalation), so moving them would lie.
 */
static const unsigned conf_movable_kinds =
    1u << JOB_REMINDER | 1u << JOB_TASK | 1u << JOB_DIGEST;

/* Read `key = "DURATION"` into *out (seconds) when present. */
static void
conf_engine_seconds(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, int64_t *out)
{
	struct model_offset off;

	if (conf_get_offset(cx, g, key, 0, what, &off) == 1)
		*out = off.seconds;
}

static void
conf_engine_grace(struct conf_ctx *cx, const config_setting_t *g,
    struct model_engine *e)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		int k = job_kind_parse(name);
		struct model_offset off;

		if (k == JOB_EMERGENCY) {
			conf_err(cx, s, "no grace for \"emergency\": emergency "
			    "alerts are never skipped");
			continue;
		}
		if (k == JOB_INCIDENT_ACK || k == JOB_INCIDENT_CLOSE) {
			conf_err(cx, s, "no grace for \"%s\": incident notices "
			    "are never skipped", name);
			continue;
		}
		if (k == JOB_SCHEDULE) {
			conf_err(cx, s, "no grace for \"schedule\": a stage's "
			    "schedule stands until its last slot ends");
			continue;
		}
		if (k < 0) {
			conf_err(cx, s, "unknown kind \"%s\" in grace (use "
			    "countdown, launch, reminder, overdue, escalation, "
			    "task, task-overdue, task-escalation, phase, digest, "
			    "slot, next_up, on_air or off_air)", name);
			continue;
		}
		if (conf_offset(cx, s, arena_printf(cx->a, "grace of %s", name),
		    &off) == 0)
			e->grace[k] = off.seconds;
	}
}

static void
conf_engine_workdays(struct conf_ctx *cx, const config_setting_t *list,
    struct model_engine *e)
{
	e->workday_kinds = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const char *name = config_setting_get_string(s);
		int k = job_kind_parse(name);

		if (k < 0 || !(conf_movable_kinds & 1u << k))
			conf_err(cx, s, "\"%s\" cannot be in workdays_only (use "
			    "reminder, task or digest; the other notices keep "
			    "their instant)", name);
		else
			e->workday_kinds |= 1u << k;
	}
}

int
conf_get_day_times(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, int *start_min, int *end_min)
{
	static const char *const keys[] = { "day_start", "day_end" };
	int v[2] = { *start_min, *end_min };
	int bad = 0;

	for (int i = 0; i < 2; i++) {
		const char *text;
		int r = conf_get_string(cx, g, keys[i], 0, what, &text);

		if (r == -1)
			bad = 1;
		else if (r == 1 && civil_parse_hhmm(text, &v[i]) == -1) {
			conf_err(cx, config_setting_get_member(g, keys[i]),
			    "%s \"%s\" must be a time of day HH:MM (00:00 to "
			    "23:59)", keys[i], text);
			bad = 1;
		}
	}
	if (bad)
		return -1;
	if (v[0] >= v[1]) {
		conf_err(cx, config_setting_get_member(g, "day_end") ?
		    config_setting_get_member(g, "day_end") :
		    config_setting_get_member(g, "day_start"),
		    "day_end %02d:%02d must be later than day_start %02d:%02d",
		    v[1] / 60, v[1] % 60, v[0] / 60, v[0] % 60);
		return -1;
	}
	*start_min = v[0];
	*end_min = v[1];
	return 0;
}

void
conf_engine(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_engine *e = &cx->m->daemon.engine;
	const char *w = "in herald.engine";
	config_setting_t *s;
	long long attempts, workers;

	model_engine_defaults(e);
	if (g == NULL)
		return;
	conf_check_keys(cx, g, conf_engine_keys, w);
	if ((s = conf_get_group(cx, g, "grace", 0, w)) != NULL)
		conf_engine_grace(cx, s, e);
	if ((s = conf_get_strings(cx, g, "workdays_only", 0, w, "kinds")) != NULL)
		conf_engine_workdays(cx, s, e);
	if ((s = conf_get_group(cx, g, "retry", 0, w)) != NULL) {
		const char *rw = "in herald.engine.retry";

		conf_check_keys(cx, s, conf_retry_keys, rw);
		if (conf_get_int(cx, s, "attempts", 0, rw, 1, 100, &attempts) == 1)
			e->retry_attempts = (unsigned)attempts;
		conf_engine_seconds(cx, s, "base", rw, &e->retry_base);
		conf_engine_seconds(cx, s, "cap", rw, &e->retry_cap);
		conf_engine_seconds(cx, s, "max_age", rw, &e->retry_max_age);
		conf_engine_seconds(cx, s, "after_timeout", rw,
		    &e->retry_after_timeout);
		if (conf_get_int(cx, s, "timeouts", 0, rw, 1, 100,
		    &attempts) == 1)
			e->retry_timeouts = (unsigned)attempts;
		if (e->retry_cap < e->retry_base)
			conf_err(cx, s, "retry cap must not be shorter than base");
	}
	conf_engine_seconds(cx, g, "prefetch", w, &e->prefetch);
	conf_engine_seconds(cx, g, "lease", w, &e->lease);
	if (conf_get_int(cx, g, "workers", 0, w, 1, 256, &workers) == 1)
		e->workers = (unsigned)workers;
	conf_get_day_times(cx, g, w, &e->day_start_min, &e->day_end_min);
}
