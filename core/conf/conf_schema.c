/*
 * conf_schema.c - the generic checks of the config loader: allowed keys
 * with a did-you-mean, typed getters that report a missing or mistyped
 * setting once, ids, civil times and offsets.
 *
 * Every message names the setting's own file and line, so a mistake in an
 * @included file points into that file.
 */
#include "conf_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "duration.h"
#include "suggest.h"
#include "xmalloc.h"

static const char *
conf_shown(struct conf_ctx *cx, const char *raw)
{
	struct conf_file *f;
	const char *shown;

	if (raw == NULL)
		return cx->m->path;
	for (f = cx->files; f != NULL; f = f->next)
		if (strcmp(f->raw, raw) == 0)
			return f->shown;
	/* libconfig names included files as written in the @include; show
	 * them joined to the main file's directory, as the user would type. */
	if (strcmp(raw, cx->main_path) == 0)
		shown = cx->m->path;
	else if (raw[0] == '/' || strcmp(cx->main_dir, ".") == 0)
		shown = arena_strdup(cx->a, raw);
	else
		shown = arena_printf(cx->a, "%s/%s", cx->main_dir, raw);
	f = xcalloc(1, sizeof(*f));
	f->raw = arena_strdup(cx->a, raw);
	f->shown = shown;
	f->next = cx->files;
	cx->files = f;
	return shown;
}

struct model_loc
conf_loc(struct conf_ctx *cx, const config_setting_t *s)
{
	struct model_loc loc;

	loc.file = conf_shown(cx, config_setting_source_file(s));
	loc.line = config_setting_source_line(s);
	return loc;
}

void
conf_err(struct conf_ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	struct model_loc loc = conf_loc(cx, s);
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(cx->errs, 0, loc.file, loc.line, fmt, ap);
	va_end(ap);
}

void
conf_warn(struct conf_ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	struct model_loc loc = conf_loc(cx, s);
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(cx->errs, 1, loc.file, loc.line, fmt, ap);
	va_end(ap);
}

/* One edit distance for the config and the API's suggestions. */
int
conf_distance(const char *a, const char *b, int cap)
{
	return (int)suggest_distance(a, b, (size_t)cap);
}

const char *
conf_nearest(const char *name, const char *const *names)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; names[i] != NULL; i++) {
		int d = conf_distance(name, names[i], 2);

		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

int
conf_check_keys(struct conf_ctx *cx, const config_setting_t *g,
    const char *const *keys, const char *what)
{
	int n = 0;

	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const char *near;
		size_t k;

		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], name) == 0)
				break;
		if (keys[k] != NULL)
			continue;
		near = conf_nearest(name, keys);
		if (near != NULL)
			conf_err(cx, s, "unknown setting \"%s\" %s (did you mean "
			    "\"%s\"?)", name, what, near);
		else
			conf_err(cx, s, "unknown setting \"%s\" %s", name, what);
		n++;
	}
	return n;
}

/* A member of g, or NULL with "missing setting" when required. */
static config_setting_t *
conf_member(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    int required, const char *what)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL && required)
		conf_err(cx, g, "missing setting \"%s\" %s", key, what);
	return s;
}

int
conf_get_string(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, const char **out)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);

	if (s == NULL)
		return required ? -1 : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(cx, s, "\"%s\" must be a string", key);
		return -1;
	}
	*out = arena_strdup(cx->a, config_setting_get_string(s));
	return 1;
}

/* Was s's line reported for an integer libconfig truncated? */
static int
conf_is_overflow(struct conf_ctx *cx, const config_setting_t *s)
{
	struct model_loc loc = conf_loc(cx, s);

	for (size_t i = 0; i < cx->n_overflows; i++)
		if (cx->overflows[i].line == loc.line &&
		    strcmp(cx->overflows[i].file, loc.file) == 0)
			return 1;
	return 0;
}

int
conf_get_int(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    int required, const char *what, long long min, long long max,
    long long *out)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);
	long long v;

	if (s == NULL)
		return required ? -1 : 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		conf_err(cx, s, "\"%s\" must be an integer", key);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		if (!conf_is_overflow(cx, s))
			conf_err(cx, s, "\"%s\" must be between %lld and %lld",
			    key, min, max);
		return -1;
	}
	*out = v;
	return 1;
}

int
conf_get_bool(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    const char *what, int *out)
{
	config_setting_t *s = conf_member(cx, g, key, 0, what);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		conf_err(cx, s, "\"%s\" must be true or false", key);
		return -1;
	}
	*out = config_setting_get_bool(s);
	return 1;
}

config_setting_t *
conf_get_strings(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, const char *kind)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);

	if (s == NULL)
		return NULL;
	if (config_setting_is_array(s) || config_setting_is_list(s)) {
		int i;

		for (i = 0; i < config_setting_length(s); i++)
			if (config_setting_type(config_setting_get_elem(s, i)) !=
			    CONFIG_TYPE_STRING)
				break;
		if (i == config_setting_length(s))
			return s;
	}
	conf_err(cx, s, "\"%s\" must be a list of %s", key, kind);
	return NULL;
}

config_setting_t *
conf_get_groups(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);

	if (s == NULL)
		return NULL;
	if (config_setting_is_list(s) || (config_setting_is_array(s) &&
	    config_setting_length(s) == 0)) {
		int i;

		for (i = 0; i < config_setting_length(s); i++)
			if (!config_setting_is_group(
			    config_setting_get_elem(s, i)))
				break;
		if (i == config_setting_length(s))
			return s;
	}
	conf_err(cx, s, "\"%s\" must be a list of groups ( { ... }, ... )", key);
	return NULL;
}

config_setting_t *
conf_get_group(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);

	if (s == NULL)
		return NULL;
	if (!config_setting_is_group(s)) {
		conf_err(cx, s, "\"%s\" must be a group { ... }", key);
		return NULL;
	}
	return s;
}

int
conf_check_id(struct conf_ctx *cx, const config_setting_t *s, const char *id,
    const char *kind)
{
	const char *p = id;

	if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
		for (p++; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				break;
		if (*p == '\0')
			return 0;
	}
	conf_err(cx, s, "invalid %s id \"%s\" (use a-z, 0-9, _ and -, "
	    "starting with a letter or digit)", kind, id);
	return -1;
}

int
conf_get_label(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, const char **out)
{
	const char *name = NULL, *p;
	int r = conf_get_string(cx, g, key, 0, what, &name);

	if (r != 1)
		return r;
	/* Prometheus' data model: [a-zA-Z_][a-zA-Z0-9_]*. */
	p = name;
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
		for (p++; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_'))
				break;
		if (*p == '\0') {
			*out = name;
			return 1;
		}
	}
	conf_err(cx, config_setting_get_member(g, key), "%s \"%s\" is not a "
	    "Prometheus label name (use letters, digits and _, not starting "
	    "with a digit)", key, name);
	return -1;
}

const char *
conf_get_id(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    const char *kind, int index, const char **what)
{
	const char *id = NULL;
	const char *unnamed = arena_printf(cx->a, "in %s #%d", kind, index + 1);

	*what = unnamed;
	if (conf_get_string(cx, g, key, 1, unnamed, &id) != 1)
		return NULL;
	if (conf_check_id(cx, config_setting_get_member(g, key), id, kind) < 0)
		return NULL;
	*what = arena_printf(cx->a, "in %s \"%s\"", kind, id);
	return id;
}

int
conf_time(struct conf_ctx *cx, const config_setting_t *s, const char *zone,
    int date_sec, const char *field, struct model_time *out)
{
	struct civil c;
	enum civil_fold fold = CIVIL_EXACT;
	char err[128], buf[64];
	const char *text;
	int date_only = 0;
	int64_t at;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(cx, s, "%s must be a date \"YYYY-MM-DD\" or date-time "
		    "\"YYYY-MM-DD HH:MM\"", field);
		return -1;
	}
	text = config_setting_get_string(s);
	err[0] = '\0';
	if (civil_parse(text, &c, &date_only, err, sizeof(err)) < 0) {
		/* err names the text: `bad date-time "...": reason` */
		conf_err(cx, s, "%s: %s", field, err);
		return -1;
	}
	if (date_only) {
		c.hour = date_sec / 3600;
		c.min = date_sec / 60 % 60;
		c.sec = date_sec % 60;
	}
	if (civil_to_instant(&c, zone, &at, &fold) < 0) {
		conf_err(cx, s, "cannot convert \"%s\" to time zone %s", text,
		    zone);
		return -1;
	}
	if (fold == CIVIL_GAP)
		conf_warn(cx, s, "local time \"%s\" does not exist in %s; using "
		    "%s", text, zone, civil_format(at, zone, buf, sizeof(buf)));
	else if (fold == CIVIL_AMBIGUOUS)
		conf_warn(cx, s, "local time \"%s\" occurs twice in %s; using "
		    "the first", text, zone);
	out->text = arena_strdup(cx->a, text);
	out->at = at;
	out->date_only = date_only;
	return 0;
}

int
conf_get_time(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    int required, const char *zone, int date_sec, const char *what,
    struct model_time *out)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);
	const char *field;

	if (s == NULL)
		return required ? -1 : 0;
	/* "in deadline \"d1\"" -> "due of deadline \"d1\"" */
	field = arena_printf(cx->a, "%s of %s", key,
	    strncmp(what, "in ", 3) == 0 ? what + 3 : what);
	return conf_time(cx, s, zone, date_sec, field, out) < 0 ? -1 : 1;
}

int
conf_offset(struct conf_ctx *cx, const config_setting_t *s, const char *field,
    struct model_offset *out)
{
	char err[128];
	const char *text;
	int64_t seconds;
	int days = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(cx, s, "%s must be a duration such as \"10m\" or \"1d\"",
		    field);
		return -1;
	}
	text = config_setting_get_string(s);
	err[0] = '\0';
	if (duration_parse(text, &seconds, &days, err, sizeof(err)) < 0) {
		/* err names the text: `bad duration "...": reason` */
		conf_err(cx, s, "%s: %s", field, err);
		return -1;
	}
	if (seconds <= 0) {
		conf_err(cx, s, "duration \"%s\" for %s must be greater than 0",
		    text, field);
		return -1;
	}
	out->text = arena_strdup(cx->a, text);
	out->seconds = seconds;
	out->days = days;
	return 0;
}

int
conf_get_offset(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, struct model_offset *out)
{
	config_setting_t *s = conf_member(cx, g, key, required, what);
	const char *field;

	if (s == NULL)
		return required ? -1 : 0;
	field = arena_printf(cx->a, "%s of %s", key,
	    strncmp(what, "in ", 3) == 0 ? what + 3 : what);
	return conf_offset(cx, s, field, out) < 0 ? -1 : 1;
}

int64_t
conf_offset_before(int64_t at, const struct model_offset *off,
    const char *zone)
{
	int64_t rest = off->seconds - (int64_t)off->days * 86400;
	struct civil c;
	int64_t t;

	if (off->days == 0 || civil_from_instant(at, zone, &c, NULL) < 0)
		return at - off->seconds;
	/* Same wall-clock time N days earlier, then the exact rest. */
	civil_date_from_days(civil_days_from_date(c.year, c.month, c.day) -
	    off->days, &c.year, &c.month, &c.day);
	if (civil_to_instant(&c, zone, &t, NULL) < 0)
		return at - off->seconds;
	return t - rest;
}

static int
conf_offset_cmp(const void *a, const void *b)
{
	const struct model_offset *x = a, *y = b;

	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	return 0;
}

int
conf_get_offsets(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, const char *zone,
    const struct model_time *before, struct model_offset **out, size_t *n)
{
	config_setting_t *s = config_setting_get_member(g, key);
	const char *field, *owner;
	struct model_offset *v;
	size_t k = 0;
	int len, bad = 0;

	if (s == NULL)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_err(cx, s, "\"%s\" must be a list of durations", key);
		return -1;
	}
	owner = strncmp(what, "in ", 3) == 0 ? what + 3 : what;
	field = arena_printf(cx->a, "%s of %s", key, owner);
	len = config_setting_length(s);
	v = arena_alloc(cx->a, (size_t)(len > 0 ? len : 1) * sizeof(*v));
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		struct model_offset o;
		size_t j;

		if (conf_offset(cx, e, field, &o) < 0) {
			bad = 1;
			continue;
		}
		for (j = 0; j < k; j++)
			if (strcmp(v[j].text, o.text) == 0)
				break;
		if (j < k) {
			conf_err(cx, e, "duplicate offset \"%s\" in %s", o.text,
			    field);
			bad = 1;
			continue;
		}
		if (before != NULL && zone != NULL &&
		    conf_offset_before(before->at, &o, zone) >= before->at) {
			conf_err(cx, e, "offset \"%s\" in %s does not fall before "
			    "\"%s\"", o.text, field, before->text);
			bad = 1;
			continue;
		}
		v[k++] = o;
	}
	qsort(v, k, sizeof(*v), conf_offset_cmp);
	*out = v;
	*n = k;
	return bad ? -1 : 1;
}

const char *
conf_path(struct conf_ctx *cx, const char *path)
{
	const char *base = cx->m->daemon.base_dir;

	if (path == NULL || path[0] == '/')
		return path;
	return arena_printf(cx->a, "%s/%s", base, path);
}
