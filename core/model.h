/*
 * model.h - the immutable campaign model.
 *
 * conf.c turns libconfig files into one struct model; from then on nothing
 * reads libconfig again.  Everything in a model (strings, arrays, the
 * cross-references between entries) lives in one arena and dies with
 * model_free(); a model is never modified after conf_load() returns it, so
 * the planner, the API and a reload can share it without locks.
 *
 * Cross-references are resolved pointers into the same model: a deadline's
 * audience is an array of contacts, already expanded from groups and units,
 * de-duplicated and in config order.
 *
 * Instants are int64_t Unix seconds (UTC).  Civil times from the config are
 * converted in the campaign's zone by civil.c; the original text is kept for
 * messages and errors.
 */
#ifndef HERALD_MODEL_H
#define HERALD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "herald-plugin.h"
#include "job.h"

struct arena;

/* Where a setting was written: for warnings after loading. */
struct model_loc {
	const char *file;
	int line;
};

/* "22:00-07:00": minutes since local midnight; may wrap past midnight. */
struct model_quiet {
	int set;
	int from_min, to_min;
};

struct model_contact;
struct model_unit;

struct model_channel {
	struct model_loc loc;
	const char *name;
	const char *plugin;
	unsigned concurrency;	/* 0: plugin default */
	double rate;		/* messages/s; 0: plugin default */
	unsigned burst;		/* 0: plugin default */
	/* Seconds the rate limit may hold queued messages before they are
	 * merged into one (dispatch_merge.c); 0: never merge. */
	int64_t merge_after;
	/* The plugin-specific rest of the block, already converted. */
	struct herald_channel_conf conf;
};

/* A channel address for one contact, overriding the derived one. */
struct model_address {
	const struct model_channel *channel;
	const char *address;
};

struct model_contact {
	struct model_loc loc;
	const char *id;
	const char *name;
	const struct model_unit *unit;	/* NULL when none */
	const char *phone;	/* E.164 ("+8613800138000") or NULL */
	const char *email;	/* or NULL */
	/* Fallback chain: the first channel that works is used. */
	const struct model_channel **prefer;
	size_t n_prefer;
	/* Channels that always get a copy besides the chain. */
	const struct model_channel **always;
	size_t n_always;
	struct model_address *addresses;
	size_t n_addresses;
	struct model_quiet quiet;
	const struct model_contact *supervisor; /* escalation target or NULL */
};

struct model_unit {
	struct model_loc loc;
	const char *id;
	const char *name;
	const char *region;	/* for launch spread per region; may be NULL */
	const struct model_contact *liaison; /* the unit's 联络员 or NULL */
	const struct model_contact **members; /* every contact with unit = id */
	size_t n_members;
};

/* A resolved audience: contacts only, in config order, no duplicates. */
struct model_audience {
	const struct model_contact **contacts;
	size_t n;
};

struct model_group {
	struct model_loc loc;
	const char *id;
	const char *title;
	struct model_audience audience;
};

/* A civil date-time as written, and the instant it denotes. */
struct model_time {
	const char *text;	/* "2023-08-05 17:00" */
	int64_t at;		/* Unix seconds */
	int date_only;		/* written as "YYYY-MM-DD" */
};

/*
 * An offset before (or after) an instant: "7d", "2h".  Days and weeks are
 * civil (same wall-clock time N days earlier); s/m/h are exact seconds.
 */
struct model_offset {
	const char *text;
	int64_t seconds;	/* total, for ordering and h/m/s arithmetic */
	int days;		/* civil part when the text was in d or w */
};

/*
 * How one item (deadline, task, launch, slot) words its messages; every
 * field may be NULL.  One text per kind does not fit every item: a
 * voucher issuance is "发放", not "举行", and a deadline may name the
 * address and phone submissions go to.
 */
struct model_wording {
	const char *note;		/* {{note}}: extra detail for this item */
	const char *verb;		/* {{verb}}; NULL: the kind's default */
	/* Body texts for this item only, by kind (channel "default");
	 * they win over the templates block. */
	struct model_template *templates;
	size_t n_templates;
};

struct model_escalation {
	struct model_loc loc;
	struct model_offset after;
	struct model_audience to;
	/* A deadline's escalation without "to": to holds the supervisors
	 * of its audience, and each hears only about the contacts it
	 * supervises. */
	int to_supervisors;
};

struct model_phase {
	struct model_loc loc;
	const char *id;
	const char *title;
	struct model_time from, to;
	struct model_audience notify;	/* may be empty */
};

/*
 * A launch: `launch = { ... }` (one, whose jobs' item is "launch") or each
 * of `launches = ( { id = ...; ... } )` (item: its id).  The one-launch
 * form keeps its item so that a store planned before keeps its keys.
 */
struct model_launch {
	struct model_loc loc;
	const char *id;			/* the jobs' item */
	const char *title;
	struct model_time at;
	struct model_offset *countdown;
	size_t n_countdown;
	struct model_audience audience;
	struct model_wording words;
};

struct model_deadline {
	struct model_loc loc;
	const char *id;
	const char *title;
	struct model_time due;
	struct model_audience audience;
	struct model_offset *remind;	/* sorted, largest first */
	size_t n_remind;
	int overdue;			/* send an overdue notice (default on) */
	struct model_escalation *escalate; /* NULL when none */
	const struct model_unit *lead;	/* may be NULL */
	const struct model_unit **cooperate;
	size_t n_cooperate;
	struct model_wording words;
};

struct model_task {
	struct model_loc loc;
	const char *id;
	const char *title;
	const struct model_unit *lead;
	const struct model_unit **cooperate;
	size_t n_cooperate;
	struct model_time start;	/* optional: text NULL when absent */
	struct model_time due;		/* optional */
	struct model_offset *remind;
	size_t n_remind;
	/* After due: an overdue notice to the lead unit (off unless asked:
	 * a task has no submission that would tell who finished) and an
	 * escalation, as for deadlines; both need due. */
	int overdue;
	struct model_escalation *escalate; /* NULL when none */
	struct model_wording words;
};

struct model_plan {
	struct model_loc loc;
	const char *id;
	const char *title;
	int level;			/* 1 (most severe) .. 4 */
	struct model_audience alert;
	struct model_offset repeat;	/* seconds 0: no repeat */
	struct model_escalation *escalate;
	size_t n_escalate;
	const char *steps;		/* procedure text */
};

struct model_slot;

/*
 * A stage with a channel publishes its slots to a livestream platform
 * (planner_stage.c): the schedule, next_up, on_air and off_air are jobs
 * to the stage itself, a contact of the model's own (platform, id
 * "stage:<campaign>/<stage>", reached on the channel at the stage id),
 * so the dispatcher, the store and the API treat them like any other.
 */
struct model_stage {
	struct model_loc loc;
	const char *id;
	const char *title;
	const struct model_channel *channel; /* livestream platform or NULL */
	struct model_offset next_up;	/* text NULL: no next_up event */
	/* The schedule is due this long before the first slot (default 7
	 * days; a reload that changes it sends the new one at once). */
	struct model_offset publish;
	const struct model_slot **slots; /* its slots by start */
	size_t n_slots;
	/* The schedule job's item, "<stage>#<digest of the slot list>":
	 * moving, adding or retitling a slot gives a new key. */
	const char *schedule_item;
	struct model_contact platform;	/* id NULL when no channel */
};

struct model_slot {
	struct model_loc loc;		/* a series' slots: the series' */
	const struct model_stage *stage;
	const char *title;
	struct model_time from, to;
	const struct model_contact *host; /* may be NULL */
	struct model_offset *remind;	/* host and audience reminders */
	size_t n_remind;
	struct model_audience audience;	/* told before it; may be empty */
	const struct model_slot *prev;	/* the slot before it on its stage */
	int in_series;			/* expanded from a stage's series */
	struct model_wording words;
};

struct model_digest {
	int set;
	int at_min;			/* minutes after local midnight */
	/* every = "week": one a week on weekday `on` (0 = Sunday .. 6);
	 * 0: every day. */
	int weekly;
	int on;
	/* Deadlines due within this many seconds of the digest are listed
	 * (with the overdue ones some unit still owes); default 7 days. */
	int64_t horizon;
	struct model_audience to;
};

struct model_campaign {
	struct model_loc loc;
	const char *id;
	const char *title;
	const char *brand;		/* may be NULL */
	const char *timezone;		/* always set (inherits herald.timezone) */
	struct model_time period_from, period_to;
	struct model_phase *phases;
	size_t n_phases;
	struct model_launch *launches;
	size_t n_launches;
	struct model_deadline *deadlines;
	size_t n_deadlines;
	struct model_task *tasks;
	size_t n_tasks;
	struct model_plan *plans;
	size_t n_plans;
	struct model_stage *stages;
	size_t n_stages;
	struct model_slot *slots;
	size_t n_slots;
	struct model_digest digest;
	int day_start_min, day_end_min;	/* herald.engine's unless set here */
};

/* A message template: kind ("reminder"...) x channel name or "default". */
struct model_template {
	struct model_loc loc;
	const char *kind;
	const char *channel;		/* channel name, or "default" */
	const char *field;		/* "body" or "subject" */
	const char *text;
};

/* One civil date: days since 1970-01-01 (proleptic Gregorian). */
struct model_holiday {
	struct model_loc loc;
	const char *name;
	int32_t from_day, to_day;	/* inclusive */
};

struct model_calendar {
	unsigned weekend_mask;		/* bit 0 = Sunday .. bit 6 = Saturday */
	struct model_holiday *holidays;
	size_t n_holidays;
	int32_t *workdays;		/* 调休 make-up workdays, sorted */
	size_t n_workdays;
	int32_t *years;			/* years the calendar covers, sorted */
	size_t n_years;
};

/*
 * Engine settings (herald.engine in the config).  Indexes of grace[] are
 * enum job_kind values (job.h); MODEL_KINDS bounds them.
 */
#define MODEL_KINDS 24
struct model_engine {
	int64_t grace[MODEL_KINDS];	/* misfire grace per kind, seconds */
	unsigned workday_kinds;		/* bit (1 << kind): move to the previous workday */
	unsigned retry_attempts;	/* give up after this many tries */
	int64_t retry_base, retry_cap;	/* backoff: base * 2^n, capped, jittered */
	int64_t retry_max_age;		/* give up this long after due */
	int64_t retry_after_timeout;	/* backoff base after a timed-out send */
	unsigned retry_timeouts;	/* timed-out tries in a row before a send
					 * to a peer that keeps duplicates fails */
	int64_t prefetch;		/* claim jobs due within this window */
	int64_t lease;			/* claim lease, seconds */
	unsigned workers;		/* threads lent to plugins for blocking
					 * libraries (libesmtp) */
	/* What a date without a time means, minutes after midnight: a due
	 * date its day_end (17:30), a notice's date its day_start (09:00). */
	int day_start_min, day_end_min;
};

/* Fill e with the documented defaults. */
void model_engine_defaults(struct model_engine *e);

/*
 * herald.alertmanager: which labels of a Prometheus Alertmanager alert
 * name an incident (POST /v1/incidents/alertmanager).  Every name is a
 * Prometheus label (or annotation) name.  Without the group (set 0) the
 * endpoint answers 404: a daemon nobody wired to Alertmanager should not
 * take incidents from machines.
 */
struct model_alertmanager {
	int set;			/* the group is in the config */
	struct model_loc loc;		/* where it was written */
	const char *plan_label;		/* default "plan" */
	const char *venue_label;	/* default "venue" */
	const char *campaign_label;	/* default "campaign"; optional label */
	const char *note_annotation;	/* default "summary" */
	const char *drill_label;	/* default "drill"; "true" marks a drill */
};

/*
 * herald.board: the coordinators' web board under /board/ (core/api/
 * board*.c).  Off (enabled 0) unless the group says enabled = true; then
 * password_hash is the first line of password_file, a crypt(3) hash
 * written by `heraldctl board-passwd`, and also the key that signs the
 * session cookies, so a new password logs every session out.
 */
struct model_board {
	int enabled;
	struct model_loc loc;		/* where the group was written */
	const char *password_file;	/* resolved path */
	const char *password_hash;	/* "$y$..."; never logged */
	size_t password_hash_len;
	int write;			/* submit, acknowledge, trigger */
	int64_t session;		/* a login lasts this long, seconds */
};

struct model_daemon {
	const char *timezone;		/* default "Asia/Shanghai" */
	const char *store;		/* "sqlite:PATH" (resolved), "postgresql:..." */
	const char *listen;		/* "127.0.0.1:8025" */
	const char *public_url;		/* base of ack links or NULL */
	/* Secrets are read at load (first line of each file); NULL when
	 * the file key is absent.  Never logged. */
	const char *api_token_file;	/* resolved path or NULL */
	const char *api_token;		/* bearer token for the API */
	size_t api_token_len;
	const char *ack_secret_file;	/* resolved path or NULL */
	const char *ack_secret;		/* HMAC key of acknowledgement links */
	size_t ack_secret_len;
	const char *sms_reply_token_file; /* resolved path or NULL */
	const char *sms_reply_token;	/* Kannel MO callback's token */
	size_t sms_reply_token_len;
	const char *dlr_secret_file;	/* resolved path or NULL */
	const char *dlr_secret;		/* HMAC key of delivery-receipt URLs */
	size_t dlr_secret_len;
	const char *store_password_file; /* resolved path or NULL */
	const char *store_password;	/* PostgreSQL's; NULL: libpq's env */
	size_t store_password_len;
	int api_read_auth;		/* GET /v1/... needs the token too */
	int metrics_auth;		/* GET /metrics needs the token too */
	size_t api_max_body;		/* request body cap, bytes */
	int api_request_timeout;	/* whole request within, seconds */
	size_t api_max_connections;	/* API connections at once */
	size_t api_max_connections_per_peer; /* ... from one address */
	const char *plugin_dir;		/* NULL: compiled-in default */
	const char *pid_file;		/* resolved path or NULL */
	const char *log_target;		/* "stderr", "syslog" or a resolved
					 * file path */
	int log_level;			/* enum herald_log_level */
	const char *base_dir;		/* directory of the main config file */
	struct model_engine engine;
	struct model_alertmanager alertmanager;
	struct model_board board;
};

/*
 * Positions of a model array's entries sorted by id, for the finds
 * (model_index()).  pos NULL, or n not the array's length: not built, and
 * the finds scan linearly (models built by hand in tests).
 */
struct model_index {
	size_t *pos;
	size_t n;
};

struct model {
	struct arena *arena;
	const char *path;		/* main config file as given */
	struct model_daemon daemon;
	struct model_channel *channels;
	size_t n_channels;
	struct model_unit *units;
	size_t n_units;
	struct model_contact *contacts;
	size_t n_contacts;
	struct model_group *groups;
	size_t n_groups;
	struct model_campaign *campaigns;
	size_t n_campaigns;
	struct model_template *templates;
	size_t n_templates;
	/* Kinds (bit 1 << enum job_kind) whose templates set ack_link =
	 * false: no link or SMS reply hint is appended; where each was set. */
	unsigned no_ack_link;
	struct model_loc ack_link_loc[MODEL_KINDS];
	struct model_calendar calendar;
	/* By id (channels by name); filled by model_index(). */
	struct model_index channel_idx, contact_idx, unit_idx, campaign_idx;
};

/*
 * Build the sorted indexes the finds use (conf_load() calls it once the
 * model is complete); allocates in the model's arena.  Without it the
 * finds scan, O(n) per look-up.
 */
void model_index(struct model *m);

/* Free a model and everything in it.  Accepts NULL. */
void model_free(struct model *m);

/* Lookups by id; NULL when absent.  O(log n) once model_index() ran; the
 * first entry in config order when an id occurs twice. */
const struct model_channel *model_channel_find(const struct model *m, const char *name);
const struct model_contact *model_contact_find(const struct model *m, const char *id);
const struct model_unit *model_unit_find(const struct model *m, const char *id);
const struct model_campaign *model_campaign_find(const struct model *m, const char *id);
/* A deadline of campaign c by id (linear: campaigns have a handful). */
const struct model_deadline *model_deadline_find(const struct model_campaign *c,
    const char *id);

/* The other items of c by id, or NULL (linear, like deadlines). */
const struct model_launch *model_launch_find(const struct model_campaign *c,
    const char *id);	/* by its jobs' item */
const struct model_task *model_task_find(const struct model_campaign *c,
    const char *id);
const struct model_phase *model_phase_find(const struct model_campaign *c,
    const char *id);
const struct model_plan *model_plan_find(const struct model_campaign *c,
    const char *id);
/* The phase of c that the instant at falls in, or NULL. */
const struct model_phase *model_phase_at(const struct model_campaign *c,
    int64_t at);

/* The item ids of the campaign-wide jobs, and room for a slot's. */
#define MODEL_SLOT_ITEM_MAX	256
#define MODEL_DIGEST_ITEM	"digest"
#define MODEL_LAUNCH_ITEM	"launch"

/*
 * Slots have no id in the config: their jobs use "<stage>@<from>" as item
 * ("cctv@2023-09-09 19:00"), unique because slots of one stage never
 * overlap.  Writes it into buf (size len) and returns buf.
 */
char *model_slot_item(const struct model_slot *s, char *buf, size_t len);
/* The slot of c whose item is item, or NULL. */
const struct model_slot *model_slot_find(const struct model_campaign *c,
    const char *item);
/* The stage of c whose schedule item (model_stage.schedule_item) is
 * item, or NULL: a schedule of a slot list since changed is gone. */
const struct model_stage *model_schedule_find(const struct model_campaign *c,
    const char *item);
/* The stage prefix of a contact id that stands for a stage. */
#define MODEL_STAGE_CONTACT	"stage:"

/*
 * The item a job of kind is about, in campaign c: the one pointer of its
 * kind (launch for countdowns and launches, deadline for reminders,
 * overdue and escalations, task, phase, slot, plan; none for digests), its title (the campaign
 * title for digests and untitled launches) and the instant messages show
 * for it (when NULL for digests, emergency plans and tasks without a due
 * time).  Everything borrowed from c.  Returns 0, or -1 (out untouched)
 * when the item is not in c.
 */
struct model_item {
	const char *title;
	const struct model_time *when;
	const struct model_launch *launch;
	const struct model_deadline *deadline;
	const struct model_task *task;
	const struct model_phase *phase;
	const struct model_slot *slot;
	const struct model_plan *plan;
	const struct model_stage *stage; /* a schedule's (and a slot's) */
};
int model_item_find(const struct model_campaign *c, enum job_kind kind,
    const char *item, struct model_item *out);

/* Is the civil day (days since epoch) a workday under the calendar? */
int model_calendar_is_workday(const struct model_calendar *cal, int32_t day);

#endif
