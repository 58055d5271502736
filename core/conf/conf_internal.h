/*
 * conf_internal.h - shared state and helpers of the config loader.
 *
 * conf.c reads the files and drives the sections; conf_schema.c holds the
 * generic checks (allowed keys, typed getters, ids, times, offsets);
 * conf_engine.c herald.engine; conf_alertmanager.c herald.alertmanager;
 * conf_board.c herald.board;
 * conf_people.c channels, units, contacts, groups and audiences;
 * conf_campaign.c campaigns; conf_calendar.c the calendar and templates.
 * Nothing here is visible outside the loader.
 */
#ifndef HERALD_CONF_INTERNAL_H
#define HERALD_CONF_INTERNAL_H

#include <libconfig.h>
#include <search.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"
#include "model.h"

/* A display path, cached so every setting of a file shares one copy. */
struct conf_file {
	struct conf_file *next;
	const char *raw;	/* as libconfig reports it */
	const char *shown;	/* as the user would type it (arena) */
};

/* A group's members while groups are being resolved. */
struct conf_group_src {
	config_setting_t *members;
	int state;		/* 0 unresolved, 1 in progress, 2 done */
	int bad;		/* reported: audiences using it say no more */
};

struct conf_ctx {
	struct errlist *errs;
	struct model *m;
	struct arena *a;
	const char *main_path;	/* as given */
	char *main_dir;		/* dirname(main_path) as typed; xmalloc'd */
	struct conf_file *files; /* xmalloc'd list */
	/* The config groups of accepted units and contacts, for the links
	 * resolved once both are read; xmalloc'd. */
	config_setting_t **unit_src, **contact_src;
	struct conf_group_src *group_src; /* xmalloc'd, n_groups entries */
	size_t *group_stack;	/* groups being resolved, for cycle text */
	size_t group_depth;
	/* Lines holding integers libconfig truncated, already reported:
	 * range checks there would only repeat the error.  xmalloc'd. */
	struct model_loc *overflows;
	size_t n_overflows;
	/* The ids of units, contacts and groups read so far (one namespace),
	 * for the duplicate check: glibc's hash table, not a scan, or reading
	 * 10,000 contacts costs 5e7 compares.  party_ids is hcreate_r'd and
	 * parties (what each entry points to) xmalloc'd, both by
	 * conf_party_index(), both freed by conf_party_index_free(). */
	struct hsearch_data party_ids;
	struct conf_party *parties;
	size_t n_parties, max_parties;
};

/* conf_schema.c */

/* Where s was written, as a model_loc whose file lives in the arena. */
struct model_loc conf_loc(struct conf_ctx *cx, const config_setting_t *s);
void conf_err(struct conf_ctx *cx, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void conf_warn(struct conf_ctx *cx, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Levenshtein distance, capped: anything above cap returns cap + 1. */
int conf_distance(const char *a, const char *b, int cap);
/* The nearest of the NULL-terminated names within distance 2, or NULL. */
const char *conf_nearest(const char *name, const char *const *names);

/*
 * Report every key of group g not in the NULL-terminated list keys, as
 * `unknown setting "k" in WHAT`.  Returns the number reported.
 */
int conf_check_keys(struct conf_ctx *cx, const config_setting_t *g,
    const char *const *keys, const char *what);

/*
 * Typed getters.  Each reports a missing required key (at g) or a wrong
 * type (at the member) and returns -1; an absent optional key returns 0
 * and leaves *out untouched; a present, valid one returns 1.  Strings are
 * copied into the arena.
 */
int conf_get_string(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, const char **out);
int conf_get_int(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, long long min,
    long long max, long long *out);
int conf_get_bool(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, int *out);
/* A group member that must be a list (or array) of strings; NULL when
 * absent (an error when required) or after reporting another type.  kind
 * names the elements in the message ("a list of KIND"). */
config_setting_t *conf_get_strings(struct conf_ctx *cx,
    const config_setting_t *g, const char *key, int required,
    const char *what, const char *kind);
/* A member that must be a list of groups; NULL when absent or wrong. */
config_setting_t *conf_get_groups(struct conf_ctx *cx,
    const config_setting_t *g, const char *key, int required,
    const char *what);
/* A member that must be a group; NULL when absent or wrong. */
config_setting_t *conf_get_group(struct conf_ctx *cx,
    const config_setting_t *g, const char *key, int required,
    const char *what);

/* Is id of the form [a-z0-9][a-z0-9_-]*?  Reports when not. */
int conf_check_id(struct conf_ctx *cx, const config_setting_t *s,
    const char *id, const char *kind);

/*
 * The id of a list element g (its "id" or, for channels, "name" key), or
 * NULL after reporting.  *what gets `KIND "ID"` (or `KIND #N` when the id
 * is unusable), in the arena, for later messages.
 */
const char *conf_get_id(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *kind, int index, const char **what);

/*
 * A member that must be a Prometheus label (or annotation) name,
 * [a-zA-Z_][a-zA-Z0-9_]*, as Alertmanager sends them.  Returns like the
 * getters (absent: 0, *out untouched).
 */
int conf_get_label(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, const char **out);

/* Times of day a bare DATE can mean, in seconds after midnight. */
#define CONF_DAY_MIDNIGHT	0
#define CONF_DAY_LAST_SECOND	86399	/* the end of a range: 23:59:59 */

/*
 * Parse a DATE or DATETIME setting s (a string) in zone.  date_sec: what a
 * bare DATE means, in seconds after midnight (a deadline's day_end, a
 * notice's day_start, a range's CONF_DAY_LAST_SECOND).  field names the
 * setting in messages ("due of deadline \"d1\"").  Returns 0 or -1 after
 * reporting.
 */
int conf_time(struct conf_ctx *cx, const config_setting_t *s,
    const char *zone, int date_sec, const char *field,
    struct model_time *out);
/* Member key of g via conf_time; returns like the getters. */
int conf_get_time(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *zone, int date_sec,
    const char *what, struct model_time *out);

/* Parse a DURATION string setting.  Returns 0 or -1 after reporting. */
int conf_offset(struct conf_ctx *cx, const config_setting_t *s,
    const char *field, struct model_offset *out);
int conf_get_offset(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what,
    struct model_offset *out);
/*
 * A list of offsets under key, sorted largest first; duplicates are
 * errors.  When `before` is non-NULL each offset must put its instant
 * strictly before before->at (in zone).  Returns like the getters.
 */
int conf_get_offsets(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *what, const char *zone,
    const struct model_time *before, struct model_offset **out, size_t *n);
/* at minus off: the days part civil in zone, the rest exact. */
int64_t conf_offset_before(int64_t at, const struct model_offset *off,
    const char *zone);

/* A path relative to the main config's directory, made absolute. */
const char *conf_path(struct conf_ctx *cx, const char *path);

/* conf_engine.c: herald.engine (g may be NULL: defaults only). */
void conf_engine(struct conf_ctx *cx, const config_setting_t *g);
/*
 * day_start and day_end of g ("HH:MM"), where present, over *start_min and
 * *end_min (minutes after midnight); day_end must come after day_start.
 * Returns 0, or -1 after reporting (outputs untouched).
 */
int conf_get_day_times(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, int *start_min, int *end_min);

/* conf_board.c: herald.board (g may be NULL: off). */
void conf_board(struct conf_ctx *cx, const config_setting_t *g);
/* conf_alertmanager.c: herald.alertmanager (g may be NULL: unset). */
void conf_alertmanager(struct conf_ctx *cx, const config_setting_t *g);

/* conf_people.c */
void conf_channels(struct conf_ctx *cx, const config_setting_t *list);
/* Room for n ids in the units/contacts/groups namespace; call once,
 * before conf_units().  conf_party_index_free() is safe without it. */
void conf_party_index(struct conf_ctx *cx, size_t n);
void conf_party_index_free(struct conf_ctx *cx);
void conf_units(struct conf_ctx *cx, const config_setting_t *list);
void conf_contacts(struct conf_ctx *cx, const config_setting_t *list);
void conf_groups(struct conf_ctx *cx, const config_setting_t *list);
/* Resolve the links that need every unit and contact read. */
void conf_people_link(struct conf_ctx *cx);
const struct model_channel *conf_channel_ref(struct conf_ctx *cx,
    const config_setting_t *s, const char *field);
const struct model_unit *conf_unit_ref(struct conf_ctx *cx,
    const config_setting_t *s, const char *field);
const struct model_contact *conf_contact_ref(struct conf_ctx *cx,
    const config_setting_t *s, const char *field);
/*
 * Expand the AUDIENCE under key of g.  field names it in messages
 * ("audience of deadline \"d1\"").  Returns like the getters; an empty
 * expansion is an error unless allow_empty.
 */
int conf_get_audience(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, int allow_empty, const char *field,
    struct model_audience *out);
/* Units named by a list of ids (lead/cooperate). */
int conf_get_units(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *field, const struct model_unit ***out,
    size_t *n);

/* conf_campaign.c */
void conf_campaigns(struct conf_ctx *cx, const config_setting_t *list);

/* conf_recur.c: one instance of a recurring deadline. */
struct conf_recur {
	const char *suffix;	/* "2023Q1", "2023-04", "2023-04-10" (arena) */
	const char *label;	/* "2023年第1季度", for the title (arena) */
	struct model_time due;
};
/*
 * The instances of deadline group g of campaign c ("every" or "dues"),
 * into *out (malloc'ed, the caller frees; strings in the arena) and *n;
 * none (n 0) for a deadline without either.  Returns 0, or -1 after
 * reporting.
 */
int conf_recur(struct conf_ctx *cx, const config_setting_t *g,
    const struct model_campaign *c, const char *what,
    struct conf_recur **out, size_t *n);
/* "in deadline \"d\"" -> "deadline \"d\"" (borrowed from what). */
const char *conf_recur_owner(const char *what);
/* conf_item.c: what every per-campaign item shares. */
/* "in deadline \"d1\"" -> "deadline \"d1\"" */
const char *conf_owner(const char *what);
/* An item's note, verb and own templates (kinds: those it may word). */
void conf_wording(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, const char *const *kinds, struct model_wording *w);
/* The id of item index of a per-campaign list, or NULL after reporting
 * a bad or duplicate one; ids/locs hold the n accepted so far. */
const char *conf_item_id(struct conf_ctx *cx, const config_setting_t *g,
    const char *kind, int index, const char **ids, struct model_loc *locs,
    size_t n, const char **what);

/* conf_series.c: the series groups of stage st expanded into slots
 * appended to *v (xmalloc'ed, *n used of *cap; the caller frees). */
void conf_series(struct conf_ctx *cx, const config_setting_t *list,
    const struct model_campaign *c, const struct model_stage *st,
    struct model_slot **v, size_t *n, size_t *cap);

/* conf_stage.c: a campaign's livestream block (stages, slots). */
void conf_livestream(struct conf_ctx *cx, const config_setting_t *g,
    struct model_campaign *c);

/* conf_calendar.c */
void conf_calendar(struct conf_ctx *cx, const config_setting_t *g);
/* Warn about each campaign year the calendar's years leave out (when it
 * lists any): its holidays would silently count as workdays. */
void conf_calendar_coverage(struct conf_ctx *cx);
void conf_templates(struct conf_ctx *cx, const config_setting_t *g);
/* Report unknown or unclosed {{placeholders}} in the string setting s. */
void conf_template_text(struct conf_ctx *cx, const config_setting_t *s,
    const char *kind);

#endif
