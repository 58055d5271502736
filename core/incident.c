/*
 * incident.c - emergency incidents over the store and the engine (see
 * incident.h): triggering, the waves and their timers, taking charge,
 * resolving, and the notices after.
 *
 * The store is the truth: an incident's row and its jobs.  What lives
 * here in memory is only a timer per open, unacknowledged incident,
 * rebuilt from the store at every start and reload, so a daemon killed
 * mid-incident carries on where the store says.
 */
#include "incident.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <uuid/uuid.h>

#include "engine.h"
#include "job.h"
#include "log.h"
#include "model.h"
#include "sched.h"
#include "utf8.h"
#include "xmalloc.h"

/* One open incident's timer: fires at each instant of its waves. */
struct itimer {
	TAILQ_ENTRY(itimer) link;
	struct incidents *is;
	char id[JOB_KEY_LEN];
	int64_t at;			/* the instant it is armed for */
	struct event *ev;
};

struct incidents {
	struct engine *e;		/* borrowed: the engine owns us */
	TAILQ_HEAD(, itimer) timers;
};

/* --- copies --- */

struct incident *
incident_copy(const struct store_incident *in)
{
	const char *src[12] = { in->id, in->campaign, in->plan, in->venue,
	    in->note, in->source, in->acked_by, in->acked_door,
	    in->resolved_by, in->resolved_door, in->resolved_note, NULL };
	const char **dst[11];
	struct incident *inc = xcalloc(1, sizeof(*inc));
	size_t len = 0, n;
	char *p;

	inc->v = *in;
	dst[0] = &inc->v.id;
	dst[1] = &inc->v.campaign;
	dst[2] = &inc->v.plan;
	dst[3] = &inc->v.venue;
	dst[4] = &inc->v.note;
	dst[5] = &inc->v.source;
	dst[6] = &inc->v.acked_by;
	dst[7] = &inc->v.acked_door;
	dst[8] = &inc->v.resolved_by;
	dst[9] = &inc->v.resolved_door;
	dst[10] = &inc->v.resolved_note;
	for (size_t i = 0; i < 11; i++)
		len += src[i] != NULL ? strlen(src[i]) + 1 : 0;
	p = inc->buf = xmalloc(len + 1);
	for (size_t i = 0; i < 11; i++) {
		if (src[i] == NULL) {
			*dst[i] = NULL;
			continue;
		}
		n = strlen(src[i]) + 1;
		memcpy(p, src[i], n);
		*dst[i] = p;
		p += n;
	}
	return inc;
}

void
incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	free(inc->buf);
	free(inc);
}

/* store_incident_fn: a copy into *(struct incident **)arg. */
static void
incident_keep(void *arg, const struct store_incident *in)
{
	struct incident **out = arg;

	incident_free(*out);
	*out = incident_copy(in);
}

/* --- planning the waves --- */

/*
 * The jobs of a wave go in one transaction: one sync for a thousand
 * recipients rather than one each (the store syncs every commit).  No
 * batch is ever open when the loop runs a handler or a timer: the
 * dispatcher and the scheduler open and commit theirs in one call.
 */
static int
incident_batch(struct store *st)
{
	return store_begin(st);
}

/* Commit (ok) or roll back the batch; -1 when it is not committed. */
static int
incident_batch_end(struct store *st, int ok)
{
	if (ok)
		return store_commit(st);
	store_rollback(st);
	return -1;
}

/* Whether ch is among the first n of v. */
static int
incident_has(const struct model_channel *const *v, size_t n,
    const struct model_channel *ch)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == ch)
			return 1;
	return 0;
}

/*
 * Every channel mc has, once each, in the order its config names them:
 * the fallback chain, the copies, the address overrides.  v holds
 * n_prefer + n_always + n_addresses.  Returns how many.
 */
static size_t
incident_channels(const struct model_contact *mc,
    const struct model_channel **v)
{
	size_t n = 0;

	for (size_t i = 0; i < mc->n_prefer; i++)
		if (!incident_has(v, n, mc->prefer[i]))
			v[n++] = mc->prefer[i];
	for (size_t i = 0; i < mc->n_always; i++)
		if (!incident_has(v, n, mc->always[i]))
			v[n++] = mc->always[i];
	for (size_t i = 0; i < mc->n_addresses; i++)
		if (mc->addresses[i].channel != NULL &&
		    !incident_has(v, n, mc->addresses[i].channel))
			v[n++] = mc->addresses[i].channel;
	return n;
}

/* Insert one job of inc for mc through ch at offset; counts in *n. */
static int
incident_insert(struct store *st, const struct store_incident *inc,
    enum job_kind kind, int64_t offset, int64_t due, const char *contact,
    const char *channel, size_t *n)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.kind = kind;
	j.priority = job_kind_priority(kind);
	j.campaign = inc->campaign;
	j.item = inc->plan;
	j.offset = offset;
	j.contact = contact;
	j.channel = channel;
	j.due = due;
	j.next_at = due;
	j.item_at = inc->created_at;
	j.state = JOB_PENDING;
	j.incident = inc->id;
	job_make_key_incident(j.key, j.campaign, j.item, kind, offset,
	    contact, channel, inc->id);
	if (store_insert(st, &j) == -1)
		return -1;
	(*n)++;
	return 0;
}

/* An alert to each contact of a on each of its channels, at offset. */
static int
incident_fan(struct store *st, const struct store_incident *inc,
    const struct model_audience *a, int64_t offset, size_t *n)
{
	const struct model_channel **v;

	for (size_t i = 0; i < a->n; i++) {
		const struct model_contact *mc = a->contacts[i];
		size_t k;

		v = xcalloc(mc->n_prefer + mc->n_always + mc->n_addresses + 1,
		    sizeof(*v));
		k = incident_channels(mc, v);
		for (size_t c = 0; c < k; c++)
			if (incident_insert(st, inc, JOB_EMERGENCY, offset,
			    inc->created_at + offset, mc->id, v[c]->name,
			    n) == -1) {
				free(v);
				return -1;
			}
		free(v);
	}
	return 0;
}

/* Whether offset t (> 0) is the instant of a repeat of pl. */
static int
incident_is_repeat(const struct model_plan *pl, int64_t t)
{
	int64_t r = pl->repeat.seconds;

	return r > 0 && t > 0 && t % r == 0 && t <= INCIDENT_REPEAT_CAP;
}

/*
 * The alerts of pl due at offset t: the alert audience at 0 and at each
 * repeat, plus each escalation step at its own instant and at every
 * repeat after it.  *n counts the jobs put (existing keys included).
 */
static int
incident_plan_at(struct store *st, const struct store_incident *inc,
    const struct model_plan *pl, int64_t t, size_t *n)
{
	int repeat = incident_is_repeat(pl, t);

	if ((t == 0 || repeat) && incident_fan(st, inc, &pl->alert, t, n) == -1)
		return -1;
	for (size_t i = 0; i < pl->n_escalate; i++) {
		const struct model_escalation *esc = &pl->escalate[i];

		if ((esc->after.seconds == t || (repeat &&
		    esc->after.seconds <= t)) &&
		    incident_fan(st, inc, &esc->to, t, n) == -1)
			return -1;
	}
	return 0;
}

/* The plan of inc in m, or NULL. */
static const struct model_plan *
incident_plan_of(const struct model *m, const struct store_incident *inc,
    const struct model_campaign **cp)
{
	const struct model_campaign *c = model_campaign_find(m, inc->campaign);

	if (cp != NULL)
		*cp = c;
	return c != NULL ? model_plan_find(c, inc->plan) : NULL;
}

/*
 * The first instant of pl's waves after offset t (escalation steps and
 * repeats within the cap) into *next; 0 when none is left.
 */
static int
incident_next_at(const struct model_plan *pl, int64_t t, int64_t *next)
{
	int64_t best = INT64_MAX, r = pl->repeat.seconds;

	for (size_t i = 0; i < pl->n_escalate; i++)
		if (pl->escalate[i].after.seconds > t &&
		    pl->escalate[i].after.seconds < best)
			best = pl->escalate[i].after.seconds;
	if (r > 0 && (t / r + 1) * r <= INCIDENT_REPEAT_CAP &&
	    (t / r + 1) * r < best)
		best = (t / r + 1) * r;
	if (best == INT64_MAX)
		return 0;
	*next = best;
	return 1;
}

/* --- timers --- */

static void incident_on_timer(evutil_socket_t, short, void *);

static struct itimer *
incident_timer_find(struct incidents *is, const char *id)
{
	struct itimer *t;

	TAILQ_FOREACH(t, &is->timers, link)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static void
incident_timer_drop(struct incidents *is, const char *id)
{
	struct itimer *t = incident_timer_find(is, id);

	if (t == NULL)
		return;
	TAILQ_REMOVE(&is->timers, t, link);
	event_free(t->ev);
	free(t);
}

/* Arm inc's timer for its next instant after now; none left: drop it. */
static void
incident_timer_arm(struct incidents *is, const struct store_incident *inc,
    const struct model_plan *pl)
{
	struct engine *e = is->e;
	int64_t now = engine_time(e), next;
	struct timeval tv;
	struct itimer *t;

	if (!incident_next_at(pl, now - inc->created_at, &next)) {
		incident_timer_drop(is, inc->id);
		return;
	}
	if ((t = incident_timer_find(is, inc->id)) == NULL) {
		t = xcalloc(1, sizeof(*t));
		t->is = is;
		snprintf(t->id, sizeof(t->id), "%s", inc->id);
		t->ev = evtimer_new(engine_base(e), incident_on_timer, t);
		if (t->ev == NULL) {
			log_errx("incident %s: cannot create its timer: "
			    "repeats are planned at the next start", inc->id);
			free(t);
			return;
		}
		TAILQ_INSERT_TAIL(&is->timers, t, link);
	}
	t->at = inc->created_at + next;
	tv.tv_sec = t->at > now ? (time_t)(t->at - now) : 0;
	tv.tv_usec = 0;
	evtimer_add(t->ev, &tv);
}

/*
 * The next repeat of inc after offset t, and the one at t itself when it
 * is a repeat (so that a restart between the two still finds both).
 */
static int
incident_plan_ahead(struct engine *e, const struct store_incident *inc,
    const struct model_plan *pl, int64_t t, size_t *n)
{
	struct store *st = engine_store(e);
	int64_t r = pl->repeat.seconds, k;

	if (r <= 0)
		return 0;
	k = t > 0 ? t / r : 0;
	if (k >= 1 && incident_plan_at(st, inc, pl, k * r, n) == -1)
		return -1;
	if ((k + 1) * r <= INCIDENT_REPEAT_CAP &&
	    incident_plan_at(st, inc, pl, (k + 1) * r, n) == -1)
		return -1;
	return 0;
}

/* store_incident_event_fn: whether the timeline holds the event sought. */
struct incident_seek {
	const char *what, *detail;
	int found;
};

static void
incident_seek_one(void *arg, int64_t at, const char *what, const char *who,
    const char *door, const char *detail)
{
	struct incident_seek *k = arg;

	(void)at;
	(void)who;
	(void)door;
	if (strcmp(what, k->what) == 0 && detail != NULL &&
	    strcmp(detail, k->detail) == 0)
		k->found = 1;
}

/*
 * Append what (detail) to id's timeline unless it is there: every node
 * times every open incident, and the first to come records the instant
 * (*added = 1).  Two nodes at the same moment may both find it absent;
 * the waves themselves are planned once whatever happens (keys).
 */
static int
incident_event_once(struct store *st, const char *id, int64_t at,
    const char *what, const char *detail, int *added)
{
	struct incident_seek k = { what, detail, 0 };

	*added = 0;
	if (store_incident_events(st, id, incident_seek_one, &k) == -1)
		return -1;
	if (k.found)
		return 0;
	*added = 1;
	return store_incident_event(st, id, at, what, NULL, NULL, detail);
}

/* An instant of an open incident came: record it, plan one repeat
 * further, re-arm. */
static void
incident_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct itimer *t = arg;
	struct incidents *is = t->is;
	struct engine *e = is->e;
	struct store *st = engine_store(e);
	struct incident *inc = NULL;
	const struct model_plan *pl;
	char detail[96];
	const char *ev;
	int64_t off;
	size_t n = 0;
	int found = 0, logged = 0;

	(void)fd;
	(void)what;
	if (store_incident_get(st, t->id, incident_keep, &inc, &found) == -1) {
		log_errx("incident %s: %s", t->id, store_error(st));
		return;
	}
	if (!found || inc->v.state != STORE_INCIDENT_OPEN ||
	    (pl = incident_plan_of(engine_model(e), &inc->v, NULL)) == NULL) {
		incident_timer_drop(is, t->id);
		incident_free(inc);
		return;
	}
	off = t->at - inc->v.created_at;
	snprintf(detail, sizeof(detail), "+%" PRId64 "s", off);
	ev = incident_is_repeat(pl, off) ? "repeat" : "escalate";
	if (incident_batch(st) == -1 ||
	    incident_batch_end(st, incident_plan_ahead(e, &inc->v, pl, off,
	    &n) == 0 && incident_event_once(st, inc->v.id, engine_time(e),
	    ev, detail, &logged) == 0) == -1)
		log_errx("incident %s: cannot plan its next repeat (the next "
		    "start will): %s", inc->v.id, store_error(st));
	else if (logged)
		log_notice("incident %s (%s at %s): %s %s, unacknowledged",
		    inc->v.id, inc->v.plan, inc->v.venue,
		    incident_is_repeat(pl, off) ? "repeat" : "escalation",
		    detail);
	sched_poke(engine_sched(e));
	incident_timer_arm(is, &inc->v, pl);
	incident_free(inc);
}

struct incidents *
incidents_new(struct engine *e)
{
	struct incidents *is = xcalloc(1, sizeof(*is));

	is->e = e;
	TAILQ_INIT(&is->timers);
	return is;
}

void
incidents_free(struct incidents *is)
{
	struct itimer *t;

	if (is == NULL)
		return;
	while ((t = TAILQ_FIRST(&is->timers)) != NULL) {
		TAILQ_REMOVE(&is->timers, t, link);
		event_free(t->ev);
		free(t);
	}
	free(is);
}

/* Gather the open incidents (store_incident_fn). */
struct incident_vec {
	struct incident **v;
	size_t n;
};

static void
incident_collect(void *arg, const struct store_incident *in)
{
	struct incident_vec *vec = arg;

	vec->v = xrealloc(vec->v, (vec->n + 1) * sizeof(*vec->v));
	vec->v[vec->n++] = incident_copy(in);
}

/*
 * Plan and time the open incidents: all of them (restore, after a plan),
 * or only those this node does not time yet and that have an instant
 * ahead (adopt, on each heartbeat: triggered on another node, or timed
 * by a node that died).
 */
static int
incident_pick_up(struct engine *e, int adopt)
{
	struct incidents *is = engine_incidents(e);
	struct store *st = engine_store(e);
	struct store_incident_filter f = { STORE_INCIDENT_OPEN, -1, NULL, 0 };
	struct incident_vec vec = { NULL, 0 };
	const struct model_plan *pl;
	int64_t now = engine_time(e);
	size_t armed = 0;
	int rc = 0;

	if (store_incident_list(st, &f, incident_collect, &vec) == -1) {
		log_errx("incidents: %s", store_error(st));
		return -1;
	}
	for (size_t i = 0; i < vec.n; i++) {
		const struct store_incident *inc = &vec.v[i]->v;
		size_t n = 0;
		int64_t next;

		pl = incident_plan_of(engine_model(e), inc, NULL);
		if (adopt && (pl == NULL ||
		    incident_timer_find(is, inc->id) != NULL ||
		    !incident_next_at(pl, now - inc->created_at, &next)))
			continue;
		if (pl == NULL) {
			log_warnx("incident %s: plan \"%s\" of campaign \"%s\" "
			    "is no longer in the config: no more repeats",
			    inc->id, inc->plan, inc->campaign);
			incident_timer_drop(is, inc->id);
			continue;
		}
		/* Wave 0 and the escalation steps exist unless the trigger
		 * was cut short; inserting them again changes nothing. */
		if (incident_batch(st) == -1 ||
		    incident_plan_at(st, inc, pl, 0, &n) == -1)
			rc = -1;
		for (size_t k = 0; k < pl->n_escalate && rc == 0; k++)
			if (incident_plan_at(st, inc, pl,
			    pl->escalate[k].after.seconds, &n) == -1)
				rc = -1;
		if (rc == 0 && incident_plan_ahead(e, inc, pl,
		    now - inc->created_at, &n) == -1)
			rc = -1;
		if (incident_batch_end(st, rc == 0) == -1)
			rc = -1;
		if (rc == -1) {
			log_errx("incident %s: %s", inc->id, store_error(st));
			break;
		}
		incident_timer_arm(is, inc, pl);
		log_info("incident %s (%s at %s) open since %" PRId64 " s: "
		    "waves planned, timer armed%s", inc->id, inc->plan,
		    inc->venue, now - inc->created_at,
		    adopt ? " (picked up from the store)" : "");
		armed++;
	}
	for (size_t i = 0; i < vec.n; i++)
		incident_free(vec.v[i]);
	free(vec.v);
	if (armed > 0)
		sched_poke(engine_sched(e));
	return rc;
}

int
incident_restore(struct engine *e)
{
	return incident_pick_up(e, 0);
}

int
incident_adopt(struct engine *e)
{
	return incident_pick_up(e, 1);
}

/* --- trigger --- */

static enum incident_status __attribute__((format(printf, 3, 4)))
incident_bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return INCIDENT_BAD;
}

/* A required text of at most max bytes of UTF-8. */
static enum incident_status
incident_check_text(const char *name, const char *v, size_t max, char *err,
    size_t errlen)
{
	size_t len;

	if (v == NULL || *v == '\0')
		return incident_bad(err, errlen, "missing %s", name);
	len = strlen(v);
	if (len > max) {
		snprintf(err, errlen, "%s too long: %zu bytes, at most %zu",
		    name, len, max);
		return INCIDENT_BAD;
	}
	if (!utf8_is_valid(v, len, NULL))
		return incident_bad(err, errlen, "%s is not valid UTF-8", name);
	return INCIDENT_OK;
}

/* The campaign and plan rq names, or INCIDENT_BAD with the reason. */
static enum incident_status
incident_find_plan(const struct model *m, const struct incident_request *rq,
    const struct model_campaign **cp, const struct model_plan **pp,
    char *err, size_t errlen)
{
	const struct model_campaign *c;
	size_t n = 0;

	*cp = NULL;
	*pp = NULL;
	if (rq->plan == NULL || *rq->plan == '\0')
		return incident_bad(err, errlen, "missing %s", "plan");
	if (rq->campaign != NULL) {
		if ((c = model_campaign_find(m, rq->campaign)) == NULL)
			return incident_bad(err, errlen, "unknown campaign "
			    "\"%.100s\"", rq->campaign);
		if ((*pp = model_plan_find(c, rq->plan)) == NULL) {
			snprintf(err, errlen, "unknown plan \"%.100s\" in "
			    "campaign \"%.100s\"", rq->plan, rq->campaign);
			return INCIDENT_BAD;
		}
		*cp = c;
		return INCIDENT_OK;
	}
	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_plan *pl = model_plan_find(&m->campaigns[i],
		    rq->plan);

		if (pl != NULL && n++ == 0) {
			*cp = &m->campaigns[i];
			*pp = pl;
		}
	}
	if (n == 0)
		return incident_bad(err, errlen, "unknown plan \"%.100s\"",
		    rq->plan);
	if (n > 1)
		return incident_bad(err, errlen, "plan \"%.100s\" is in "
		    "several campaigns: name the campaign", rq->plan);
	return INCIDENT_OK;
}

enum incident_status
incident_trigger(struct engine *e, const struct incident_request *rq,
    struct incident **out, int *created, char *err, size_t errlen)
{
	const struct model *m = engine_model(e);
	struct store *st = engine_store(e);
	const struct model_campaign *c;
	const struct model_plan *pl;
	struct store_incident in;
	enum incident_status r;
	char id[JOB_KEY_LEN], detail[64];
	size_t n = 0;
	uuid_t u;

	*out = NULL;
	*created = 0;
	if ((r = incident_find_plan(m, rq, &c, &pl, err, errlen)) != INCIDENT_OK ||
	    (r = incident_check_text("venue", rq->venue, INCIDENT_VENUE_MAX,
	    err, errlen)) != INCIDENT_OK ||
	    (r = incident_check_text("note", rq->note, INCIDENT_NOTE_MAX,
	    err, errlen)) != INCIDENT_OK)
		return r;
	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	memset(&in, 0, sizeof(in));
	in.id = id;
	in.campaign = c->id;
	in.plan = pl->id;
	in.venue = rq->venue;
	in.note = rq->note;
	in.drill = rq->drill != 0;
	in.state = STORE_INCIDENT_OPEN;
	in.created_at = engine_time(e);
	in.source = rq->source != NULL ? rq->source : "api";
	/* The incident and its first waves together, or nothing. */
	if (incident_batch(st) == -1)
		goto fail;
	if (store_incident_open(st, &in, incident_keep, out, created) == -1)
		goto fail_batch;
	if (!*created) {
		if (incident_batch_end(st, 1) == -1)
			goto fail;
		return INCIDENT_OK;
	}
	/* Wave 0, every escalation step and the first repeat: the timer
	 * plans each later repeat as the one before falls due. */
	if (incident_plan_at(st, &in, pl, 0, &n) == -1)
		goto fail_batch;
	for (size_t i = 0; i < pl->n_escalate; i++)
		if (incident_plan_at(st, &in, pl, pl->escalate[i].after.seconds,
		    &n) == -1)
			goto fail_batch;
	if (incident_plan_ahead(e, &in, pl, 0, &n) == -1)
		goto fail_batch;
	snprintf(detail, sizeof(detail), "%zu alerts planned", n);
	if (store_incident_event(st, id, in.created_at, "alert", NULL, NULL,
	    detail) == -1 || incident_batch_end(st, 1) == -1)
		goto fail;
	log_notice("incident %s%s: plan %s of %s at %s triggered through %s; "
	    "%s", id, in.drill ? " (drill)" : "", pl->id, c->id, rq->venue,
	    in.source, detail);
	incident_timer_arm(engine_incidents(e), &in, pl);
	sched_poke(engine_sched(e));
	return INCIDENT_OK;
fail_batch:
	incident_batch_end(st, 0);
fail:
	/* Nothing was recorded: the caller may try again. */
	snprintf(err, errlen, "store: %s; nothing recorded", store_error(st));
	log_errx("incident trigger of plan %s at %s: %s", pl->id, rq->venue,
	    err);
	incident_free(*out);
	*out = NULL;
	*created = 0;
	return INCIDENT_ERROR;
}

/* --- after the fact: the notices --- */

/* Who was alerted, and through which channel to tell them. */
struct incident_alerted {
	int64_t now;
	char **contact, **channel;
	int *delivered;
	size_t n;
};

static void
incident_alerted_add(void *arg, const struct job *j)
{
	struct incident_alerted *a = arg;
	size_t i;

	if (j->kind != JOB_EMERGENCY)
		return;
	/* In flight and due: handed off or about to be.  One the
	 * scheduler claimed ahead of its instant was never sent. */
	if (j->state != JOB_DELIVERED &&
	    !(j->state == JOB_INFLIGHT && j->next_at <= a->now))
		return;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->contact[i], j->contact) == 0)
			break;
	if (i == a->n) {
		a->contact = xrealloc(a->contact, (a->n + 1) * sizeof(char *));
		a->channel = xrealloc(a->channel, (a->n + 1) * sizeof(char *));
		a->delivered = xrealloc(a->delivered, (a->n + 1) * sizeof(int));
		a->contact[i] = xstrdup(j->contact);
		a->channel[i] = xstrdup(j->channel);
		a->delivered[i] = j->state == JOB_DELIVERED;
		a->n++;
		return;
	}
	/* Jobs come by due instant: the first delivered one wins. */
	if (!a->delivered[i] && j->state == JOB_DELIVERED) {
		free(a->channel[i]);
		a->channel[i] = xstrdup(j->channel);
		a->delivered[i] = 1;
	}
}

static void
incident_alerted_clear(struct incident_alerted *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->contact[i]);
		free(a->channel[i]);
	}
	free(a->contact);
	free(a->channel);
	free(a->delivered);
}

/* One notice of kind to everyone inc alerted; the count is logged. */
static void
incident_notify(struct engine *e, const struct store_incident *inc,
    enum job_kind kind, int64_t at)
{
	struct store *st = engine_store(e);
	struct incident_alerted a = { .now = at };
	char detail[64];
	size_t n = 0;

	if (store_incident_jobs(st, inc->id, incident_alerted_add, &a) == -1 ||
	    incident_batch(st) == -1)
		goto fail;
	for (size_t i = 0; i < a.n; i++)
		if (incident_insert(st, inc, kind, 0, at, a.contact[i],
		    a.channel[i], &n) == -1) {
			incident_batch_end(st, 0);
			goto fail;
		}
	snprintf(detail, sizeof(detail), "%zu %s notices", n,
	    job_kind_name(kind));
	if (incident_batch_end(st, store_incident_event(st, inc->id, at,
	    "notice", NULL, NULL, detail) == 0) == -1)
		goto fail;
	incident_alerted_clear(&a);
	sched_poke(engine_sched(e));
	return;
fail:
	log_errx("incident %s: cannot plan the %s notices: %s", inc->id,
	    job_kind_name(kind), store_error(st));
	incident_alerted_clear(&a);
}

/* The incident id after a change, or the right status when it is gone. */
static enum incident_status
incident_reload(struct store *st, const char *id, struct incident **out,
    char *err, size_t errlen)
{
	int found = 0;

	if (store_incident_get(st, id, incident_keep, out, &found) == -1) {
		snprintf(err, errlen, "store: %s", store_error(st));
		return INCIDENT_ERROR;
	}
	if (!found) {
		snprintf(err, errlen, "no incident %.40s", id);
		return INCIDENT_NOT_FOUND;
	}
	return INCIDENT_OK;
}

enum incident_status
incident_get(struct engine *e, const char *id, struct incident **out,
    char *err, size_t errlen)
{
	*out = NULL;
	if (id == NULL || strlen(id) != JOB_KEY_LEN - 1) {
		snprintf(err, errlen, "no incident %.40s", id ? id : "");
		return INCIDENT_NOT_FOUND;
	}
	return incident_reload(engine_store(e), id, out, err, errlen);
}

/* The first incident of a plan at a venue that is not resolved. */
struct incident_match {
	const char *plan, *venue;
	struct incident *found;
};

static void
incident_match(void *arg, const struct store_incident *in)
{
	struct incident_match *mt = arg;

	if (mt->found == NULL && in->state != STORE_INCIDENT_RESOLVED &&
	    strcmp(in->plan, mt->plan) == 0 &&
	    strcmp(in->venue, mt->venue) == 0)
		mt->found = incident_copy(in);
}

enum incident_status
incident_find_open(struct engine *e, const char *campaign, const char *plan,
    const char *venue, struct incident **out, char *err, size_t errlen)
{
	struct incident_request rq = { .campaign = campaign, .plan = plan };
	struct store *st = engine_store(e);
	struct store_incident_filter f = { -1, -1, NULL, 0 };
	struct incident_match mt = { plan, venue, NULL };
	const struct model_campaign *c;
	const struct model_plan *pl;
	enum incident_status r;

	*out = NULL;
	if ((r = incident_find_plan(engine_model(e), &rq, &c, &pl, err,
	    errlen)) != INCIDENT_OK)
		return r;
	if (venue == NULL || *venue == '\0')
		return incident_bad(err, errlen, "missing %s", "venue");
	/* Open ones first: acked and resolved ones are listed too, but a
	 * campaign has few incidents. */
	f.campaign = c->id;
	f.state = STORE_INCIDENT_OPEN;
	if (store_incident_list(st, &f, incident_match, &mt) == -1)
		goto fail;
	f.state = STORE_INCIDENT_ACKED;
	if (mt.found == NULL &&
	    store_incident_list(st, &f, incident_match, &mt) == -1)
		goto fail;
	if (mt.found == NULL) {
		snprintf(err, errlen, "no open incident of plan \"%.100s\" at "
		    "\"%.200s\"", pl->id, venue);
		return INCIDENT_NOT_FOUND;
	}
	*out = mt.found;
	return INCIDENT_OK;
fail:
	incident_free(mt.found);
	snprintf(err, errlen, "store: %s", store_error(st));
	return INCIDENT_ERROR;
}

/* Ack or resolve: the shared part. */
static enum incident_status
incident_close(struct engine *e, const char *id, int resolve,
    const char *who, const char *door, const char *note,
    struct incident **out, int *already, char *err, size_t errlen)
{
	struct store *st = engine_store(e);
	int64_t now = engine_time(e);
	enum incident_status r;
	size_t n = 0;
	int changed = 0;

	*already = 0;
	if ((r = incident_get(e, id, out, err, errlen)) != INCIDENT_OK)
		return r;
	if (who == NULL || *who == '\0')
		return incident_bad(err, errlen, "missing %s", "by");
	if (strlen(who) > INCIDENT_WHO_MAX || !utf8_is_valid(who, strlen(who),
	    NULL))
		return incident_bad(err, errlen, "%s too long or not UTF-8",
		    "by");
	if (resolve && (r = incident_check_text("note", note,
	    INCIDENT_NOTE_MAX, err, errlen)) != INCIDENT_OK)
		return r;
	if (note != NULL && strlen(note) > INCIDENT_NOTE_MAX)
		return incident_bad(err, errlen, "%s too long", "note");
	if ((*out)->v.state == STORE_INCIDENT_RESOLVED) {
		snprintf(err, errlen, "incident %s is resolved already", id);
		return INCIDENT_CONFLICT;
	}
	if (resolve ? store_incident_resolve(st, id, now, who, door, note,
	    &changed, &n) == -1 : store_incident_ack(st, id, now, who, door,
	    &changed, &n) == -1) {
		snprintf(err, errlen, "store: %s", store_error(st));
		return INCIDENT_ERROR;
	}
	incident_free(*out);
	*out = NULL;
	if ((r = incident_reload(st, id, out, err, errlen)) != INCIDENT_OK)
		return r;
	if (!changed) {
		/* Raced with another door, or a second ack. */
		if (resolve || (*out)->v.state == STORE_INCIDENT_RESOLVED) {
			snprintf(err, errlen, "incident %s is resolved "
			    "already", id);
			return INCIDENT_CONFLICT;
		}
		*already = 1;
		return INCIDENT_OK;
	}
	incident_timer_drop(engine_incidents(e), id);
	log_notice("incident %s %s by %s through %s; %zu pending alerts "
	    "cancelled", id, resolve ? "resolved" : "taken charge of", who,
	    door, n);
	incident_notify(e, &(*out)->v, resolve ? JOB_INCIDENT_CLOSE :
	    JOB_INCIDENT_ACK, now);
	return INCIDENT_OK;
}

/* incident_close() with the contract of incident.h: *out only on
 * success, so a caller may reuse its pointer after an error. */
static enum incident_status
incident_close_out(struct engine *e, const char *id, int resolve,
    const char *who, const char *door, const char *note,
    struct incident **out, int *already, char *err, size_t errlen)
{
	enum incident_status r;

	*out = NULL;
	r = incident_close(e, id, resolve, who, door, note, out, already, err,
	    errlen);
	if (r != INCIDENT_OK) {
		incident_free(*out);
		*out = NULL;
	}
	return r;
}

enum incident_status
incident_ack(struct engine *e, const char *id, const char *who,
    const char *door, struct incident **out, int *already, char *err,
    size_t errlen)
{
	return incident_close_out(e, id, 0, who, door, NULL, out, already,
	    err, errlen);
}

enum incident_status
incident_resolve(struct engine *e, const char *id, const char *who,
    const char *door, const char *note, struct incident **out, char *err,
    size_t errlen)
{
	int already;

	return incident_close_out(e, id, 1, who, door, note, out, &already,
	    err, errlen);
}
