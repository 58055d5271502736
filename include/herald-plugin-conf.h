/*
 * herald-plugin-conf.h - a channel plugin's settings as a table of rows.
 *
 * A plugin declares each setting it knows once, as a row (name, type,
 * default, bounds, the error when it is missing or bad), in the manner of
 * nginx's ngx_command_t and collectd's cf_util_get_*, and reads the whole
 * block with one call to herald_conf_read().  Type and bound errors are
 * reported at the setting, as "file:line: message", through
 * host->conf_error(); what only the plugin can judge (an address, one
 * setting needing another) stays in its open() and uses the rows' results.
 *
 * Why a header of static functions, installed beside herald-plugin.h,
 * and not a host service: it is built only on host->setting() and
 * host->conf_error(), which every host since ABI 1.0 has, so it needs no
 * ABI addition, runs unchanged on old hosts, and a test host needs
 * nothing new.  The messages are the plugin's, compiled into it, so a
 * plugin's wording does not change with the daemon it runs under.
 * Plugins built out of tree (contrib/skeleton-plugin) reach it through
 * the same pkg-config flags as herald-plugin.h.
 */
#ifndef HERALD_PLUGIN_CONF_H
#define HERALD_PLUGIN_CONF_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "herald-plugin.h"

enum herald_conf_type {
	HERALD_CONF_STRING = 0,	/* a non-empty string */
	HERALD_CONF_INT,	/* an integer from min to max */
	HERALD_CONF_BOOL,	/* true or false */
	HERALD_CONF_DURATION,	/* a string: "500ms", "10s", "2m", "1h" or bare
				 * seconds, above 0 and at most max ms */
	HERALD_CONF_LIST,	/* a list of strings */
	HERALD_CONF_ANY,	/* looked up only; the plugin judges it */
};

/* What one row found; the caller's struct holds one per row. */
struct herald_conf_value {
	const struct herald_setting *at; /* NULL when absent; for errors */
	int is_set;		/* present and of the right type and range */
	const char *str;	/* STRING, DURATION: borrowed from the conf;
				 * NULL unless is_set */
	long long num;		/* INT, BOOL, DURATION (ms): the value, or
				 * def unless is_set */
};

struct herald_conf_row {
	const char *name;
	enum herald_conf_type type;
	size_t offset;		/* of its struct herald_conf_value in the
				 * struct handed to herald_conf_read() */
	long long def;		/* INT, BOOL, DURATION: the value when absent */
	long long min, max;	/* INT: bounds; DURATION: max is in ms */
	const char *missing;	/* non-NULL: required; the error reported at
				 * the block when absent */
	const char *bad;	/* the error for a bad value; NULL: the type's
				 * own ("\"name\" must be ...") */
};

/*
 * The first three fields of a row, for a plugin's own shorthand:
 *   #define MY_ROW(n, t, f) HERALD_CONF_ROW(struct my_settings, n, t, f)
 *   { MY_ROW("url", STRING, url), .missing = "missing \"url\"" },
 */
#define HERALD_CONF_ROW(st, n, t, field) \
	.name = (n), .type = HERALD_CONF_##t, .offset = offsetof(st, field)

/*
 * "10s", "500ms", "2m", "1h" or a bare number of seconds, into
 * milliseconds.  Returns the value, or -1 when malformed, not positive or
 * above max_ms.
 */
static inline long long
herald_conf_parse_ms(const char *s, long long max_ms)
{
	long long v, ms;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v <= 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		ms = v <= max_ms / 1000 ? v * 1000 : -1;
	else if (strcmp(end, "ms") == 0)
		ms = v;
	else if (strcmp(end, "m") == 0)
		ms = v <= max_ms / 60000 ? v * 60000 : -1;
	else if (strcmp(end, "h") == 0)
		ms = v <= max_ms / 3600000 ? v * 3600000 : -1;
	else
		return -1;
	return ms > max_ms ? -1 : ms;
}

/* One row against its setting s (present); 1 when good, else reported. */
static inline int
herald_conf_judge(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct herald_conf_row *r,
    const struct herald_setting *s, struct herald_conf_value *v)
{
	int is_str = s->type == HERALD_SETTING_STRING && s->str[0] != '\0';
	long long ms;

	switch (r->type) {
	case HERALD_CONF_STRING:
		if (!is_str)
			break;
		v->str = s->str;
		return 1;
	case HERALD_CONF_INT:
		if (s->type != HERALD_SETTING_INT || s->integer < r->min ||
		    s->integer > r->max) {
			if (r->bad != NULL)
				host->conf_error(conf, s, "%s", r->bad);
			else
				host->conf_error(conf, s, "\"%s\" must be an "
				    "integer from %lld to %lld", s->name,
				    r->min, r->max);
			return 0;
		}
		v->num = s->integer;
		return 1;
	case HERALD_CONF_BOOL:
		if (s->type != HERALD_SETTING_BOOL) {
			if (r->bad != NULL)
				host->conf_error(conf, s, "%s", r->bad);
			else
				host->conf_error(conf, s, "\"%s\" must be true "
				    "or false", s->name);
			return 0;
		}
		v->num = s->integer != 0;
		return 1;
	case HERALD_CONF_DURATION:
		/* Not a string at all is said as for any string setting. */
		if (!is_str)
			break;
		if ((ms = herald_conf_parse_ms(s->str, r->max)) < 0) {
			if (r->bad != NULL)
				host->conf_error(conf, s, "%s", r->bad);
			else
				host->conf_error(conf, s, "\"%s\" must be a "
				    "duration like \"10s\"", s->name);
			return 0;
		}
		v->str = s->str;
		v->num = ms;
		return 1;
	case HERALD_CONF_LIST:
		if (s->type != HERALD_SETTING_LIST) {
			if (r->bad != NULL)
				host->conf_error(conf, s, "%s", r->bad);
			else
				host->conf_error(conf, s, "\"%s\" must be a "
				    "list of strings", s->name);
			return 0;
		}
		return 1;
	case HERALD_CONF_ANY:
		return 1;
	}
	if (r->bad != NULL && r->type == HERALD_CONF_STRING)
		host->conf_error(conf, s, "%s", r->bad);
	else
		host->conf_error(conf, s, "\"%s\" must be a non-empty string",
		    s->name);
	return 0;
}

/*
 * The two halves of herald_conf_read(), for a plugin whose rows depend
 * on another setting (the sms gateway): herald_conf_find() looks every
 * row up (marking it used, so the host does not call it unknown) and
 * resets its value; herald_conf_check() then judges the rows found.
 */
static inline void
herald_conf_find(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct herald_conf_row *rows,
    size_t n_rows, void *out)
{
	struct herald_conf_value *v;

	for (size_t i = 0; i < n_rows; i++) {
		v = (struct herald_conf_value *)((char *)out + rows[i].offset);
		v->at = host->setting(conf, rows[i].name);
		v->is_set = 0;
		v->str = NULL;
		v->num = rows[i].def;
	}
}

/* 1 when every row is good, else 0 after reporting each problem. */
static inline int
herald_conf_check(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct herald_conf_row *rows,
    size_t n_rows, void *out)
{
	struct herald_conf_value *v;
	int ok = 1;

	for (size_t i = 0; i < n_rows; i++) {
		v = (struct herald_conf_value *)((char *)out + rows[i].offset);
		if (v->at == NULL) {
			if (rows[i].missing != NULL) {
				host->conf_error(conf, NULL, "%s",
				    rows[i].missing);
				ok = 0;
			}
		} else if (herald_conf_judge(host, conf, &rows[i], v->at, v))
			v->is_set = 1;
		else
			ok = 0;
	}
	return ok;
}

/*
 * Look up every row's setting in conf, then judge each one, filling the
 * struct herald_conf_value at out + row->offset.  Every setting is looked
 * up before any is judged, so the host reports only real strangers as
 * unknown.  Returns 1 when every row is good, else 0 after reporting
 * each problem with host->conf_error().  out is the caller's; the
 * strings it is left pointing to live as long as conf.
 */
static inline int
herald_conf_read(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct herald_conf_row *rows,
    size_t n_rows, void *out)
{
	herald_conf_find(host, conf, rows, n_rows, out);
	return herald_conf_check(host, conf, rows, n_rows, out);
}

#endif
