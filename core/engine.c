/*
 * engine.c - wire store, planner, scheduler and dispatcher together.
 *
 * The engine is glue and policy that spans the parts: planning on open and
 * reload, the misfire pass after each (misfire.h), launch staging and its
 * hand-off spreads, the clock check before launches, and the asynchronous
 * drain on stop.  The scheduler and dispatcher never see each other; they
 * talk through the hooks set up here.
 */
#include "engine.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.h"
#include "duration.h"
#include "generation.h"
#include "incident.h"
#include "log.h"
#include "misfire.h"
#include "node.h"
#include "planner.h"
#include "plugin.h"
#include "sched.h"
#include "store.h"
#include "submission.h"
#include "xmalloc.h"

#define ENGINE_CLOCK_RECHECK 3600	/* seconds between checks per launch */
#define ENGINE_DRAIN_POLL_US 50000

struct engine {
	struct event_base *base;
	struct sched_clock clock;
	struct store *st;
	struct sched *sched;
	struct dispatch *disp;
	struct generation *gen;		/* the running config; one ref */
	struct incidents *incidents;	/* timers of open incidents; owned */
	struct node *node;		/* this process as a node; owned */
	int64_t fenced_tick;		/* when a fenced job last ran node_tick */
	struct engine_status status;

	/* Which parts see the store failing (engine_status has the sum). */
	int store_disp_down, store_sched_down, store_node_down;

	struct event *ev_drain;
	int64_t drain_deadline_us;
	void (*drain_done)(void *);
	void *drain_arg;
};

static int64_t
engine_now(const struct engine *e)
{
	return sched_clock_now(&e->clock) / 1000000;
}

/* --- launches: clock checks and hand-off spreads --- */

static struct engine_launch *
engine_launch_get(struct engine *e, const char *campaign, const char *item,
    int64_t at)
{
	struct engine_status *s = &e->status;
	struct engine_launch *l = NULL;

	for (size_t i = 0; i < s->n_launches; i++)
		if (s->launches[i].at == at &&
		    strcmp(s->launches[i].campaign, campaign) == 0 &&
		    strcmp(s->launches[i].item, item) == 0)
			return &s->launches[i];
	s->launches = xrealloc(s->launches,
	    (s->n_launches + 1) * sizeof(*s->launches));
	l = &s->launches[s->n_launches++];
	memset(l, 0, sizeof(*l));
	l->campaign = xstrdup(campaign);
	l->item = xstrdup(item);
	l->at = at;
	l->clock_synced = -1;
	return l;
}

/* Ask the kernel; warn loudly when a launch may go out mistimed. */
static void
engine_clock_check(struct engine *e, struct engine_launch *l)
{
	struct engine_status *s = &e->status;
	int64_t now = engine_now(e);
	char err[128];

	if (l != NULL && l->clock_checked_at != 0 &&
	    now - l->clock_checked_at < ENGINE_CLOCK_RECHECK)
		return;
	s->clock_checked_at = now;
	if (l != NULL)
		l->clock_checked_at = now;
	if (clocksync_check(&s->clock, err, sizeof(err)) == -1) {
		if (s->clock_checked != -1)
			log_warnx("cannot check clock synchronization: %s", err);
		s->clock_checked = -1;
		return;
	}
	s->clock_checked = 1;
	if (l != NULL)
		l->clock_synced = s->clock.synced;
	if (!s->clock.synced)
		log_warnx("CLOCK NOT SYNCHRONIZED (maxerror %ld us): the "
		    "launch of %s may go out at the wrong instant; start NTP "
		    "(chrony, systemd-timesyncd)",
		    s->clock.maxerror_us, l != NULL ? l->campaign : "a campaign");
}

static void
engine_spread_add(struct engine_spread **v, size_t *n, const char *name,
    int64_t us)
{
	struct engine_spread *sp;

	for (size_t i = 0; i < *n; i++) {
		sp = &(*v)[i];
		if (strcmp(sp->name, name) != 0)
			continue;
		if (us < sp->first_us)
			sp->first_us = us;
		if (us > sp->last_us)
			sp->last_us = us;
		sp->n++;
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	sp = &(*v)[(*n)++];
	sp->name = xstrdup(name);
	sp->first_us = sp->last_us = us;
	sp->n = 1;
}

/* "sms 3.1 ms, wecom 0.2 ms" into a new string. */
static char *
engine_spread_text(const struct engine_spread *v, size_t n)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < n; i++) {
		t = xasprintf("%s%s%s %.1f ms", s, i > 0 ? ", " : "",
		    v[i].name, (double)(v[i].last_us - v[i].first_us) / 1000.0);
		free(s);
		s = t;
	}
	return s;
}

static void
engine_on_sent(void *arg, const struct job_claim *sj, const char *region,
    int64_t handoff_us)
{
	struct engine *e = arg;
	struct engine_launch *l = NULL;
	char *ch, *rg, share[48] = "";
	unsigned of, rank;

	if (sj->j.kind != JOB_LAUNCH)
		return;
	l = engine_launch_get(e, sj->j.campaign, sj->j.item, sj->j.item_at);
	engine_spread_add(&l->by_channel, &l->n_channel, sj->j.channel,
	    handoff_us);
	engine_spread_add(&l->by_region, &l->n_region, region, handoff_us);
	l->handed++;
	if (l->logged || l->handed < l->claimed)
		return;
	l->logged = 1;
	ch = engine_spread_text(l->by_channel, l->n_channel);
	rg = engine_spread_text(l->by_region, l->n_region);
	of = node_share(e->node, &rank);
	if (of > 1)
		snprintf(share, sizeof(share), " by node %u of %u (its share)",
		    rank, of);
	/* The one-launch form's line as it always read; a list's names
	 * its launch. */
	log_notice("launch %s%s%s: %zu go-notices handed off%s; spread per "
	    "channel: %s; per region: %s", l->campaign,
	    strcmp(l->item, MODEL_LAUNCH_ITEM) != 0 ? "/" : "",
	    strcmp(l->item, MODEL_LAUNCH_ITEM) != 0 ? l->item : "", l->handed,
	    share, ch, rg);
	free(ch);
	free(rg);
}

static void
engine_spreads_free(struct engine_spread *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void
engine_status_free(struct engine_status *s)
{
	for (size_t i = 0; i < s->n_launches; i++) {
		struct engine_launch *l = &s->launches[i];

		free(l->campaign);
		free(l->item);
		engine_spreads_free(l->by_channel, l->n_channel);
		engine_spreads_free(l->by_region, l->n_region);
	}
	free(s->launches);
	s->launches = NULL;
	s->n_launches = 0;
}

/* --- scheduler and dispatcher hooks --- */

static void
engine_on_claimed(void *arg, struct job_claim *sj)
{
	struct engine *e = arg;
	struct engine_launch *l = NULL;

	if (sj->j.kind == JOB_LAUNCH || sj->j.kind == JOB_COUNTDOWN) {
		l = engine_launch_get(e, sj->j.campaign, sj->j.item,
		    sj->j.item_at);
		engine_clock_check(e, l);
	}
	/* Rendered now, so at the instant only the checks and hand-offs
	 * remain; a job that fails to render is rendered (and fails) at
	 * send time.  A launch is staged whatever its instant, and its
	 * channels open their connections ahead; any other job only when
	 * claimed ahead of its instant: one already due goes out now. */
	if (sj->j.kind == JOB_LAUNCH) {
		l->claimed++;
		dispatch_stage(e->disp, sj);
	} else if (sj->j.next_at > engine_time(e))
		(void)dispatch_prerender(e->disp, sj);
}

static void
engine_on_handoff(void *arg, struct job_claim *sj)
{
	struct engine *e = arg;

	dispatch_push(e->disp, sj);
}

static void
engine_on_handoff_done(void *arg)
{
	struct engine *e = arg;

	dispatch_pump(e->disp);
}

static size_t
engine_on_skip(void *arg, const char *const **names)
{
	struct engine *e = arg;

	return dispatch_saturated(e->disp, names);
}

static void
engine_on_poke(void *arg)
{
	struct engine *e = arg;

	if (e->sched != NULL)
		sched_poke(e->sched);
}

/* --- the node: leases and heartbeats (node.h) --- */

/* dispatch_hooks.lease.  A job found past its lease makes the node beat,
 * renew and reap at once (once per second), so that the job is pending
 * again for the next claim rather than after the next beat. */
static int64_t
engine_on_lease(void *arg, int64_t claimed_until, int64_t now)
{
	struct engine *e = arg;
	int64_t until = node_lease_until(e->node, claimed_until);

	if (now > until && e->fenced_tick != now) {
		e->fenced_tick = now;
		node_tick(e->node);
	}
	return until;
}

/* node_hooks.held: claimed and not yet recorded. */
static uint64_t
engine_on_node_held(void *arg)
{
	struct engine *e = arg;

	return (uint64_t)sched_held(e->sched) +
	    (uint64_t)dispatch_in_flight(e->disp);
}

/* sched_hooks.share: the live nodes that share the due work. */
static unsigned
engine_on_share(void *arg)
{
	struct engine *e = arg;

	return node_share(e->node, NULL);
}

/* node_hooks.beat: time the incidents another node triggered, or whose
 * node died (incident_adopt()). */
static void
engine_on_node_beat(void *arg)
{
	struct engine *e = arg;

	if (e->incidents != NULL && e->sched != NULL)
		incident_adopt(e);
}

/* node_hooks.reaped: jobs are pending again. */
static void
engine_on_node_reaped(void *arg, size_t n)
{
	struct engine *e = arg;

	(void)n;
	if (e->sched != NULL)
		sched_poke(e->sched);
}

/* --- the store's health --- */

/*
 * The dispatcher (commits) or the scheduler (claims) found the store
 * failing (err) or working again (NULL).  One line when the store as a
 * whole starts failing and one when it works again, not one per job.
 */
static void
engine_store_report(struct engine *e, int *down, const char *err)
{
	struct engine_status *s = &e->status;
	int was = s->store_failing;
	int64_t now = engine_now(e);
	char took[64];

	*down = err != NULL;
	if (err != NULL)
		snprintf(s->store_error, sizeof(s->store_error), "%s", err);
	s->store_failing = e->store_disp_down || e->store_sched_down ||
	    e->store_node_down;
	if (!was && s->store_failing) {
		s->store_failing_since = now;
		s->store_faults++;
		log_errx("store: cannot record outcomes: %s; nothing more is "
		    "handed off until it can (sends held, retrying)", err);
	} else if (was && !s->store_failing) {
		duration_format(now > s->store_failing_since ?
		    now - s->store_failing_since : 0, took, sizeof(took));
		log_notice("store: recording again after %s; held outcomes "
		    "recorded, sending resumes", took);
		s->store_failing_since = 0;
		s->store_error[0] = '\0';
	}
}

static void
engine_on_disp_store(void *arg, const char *err)
{
	struct engine *e = arg;

	engine_store_report(e, &e->store_disp_down, err);
}

/* node_hooks.store: a heartbeat, renewal or reaping failed, or worked
 * again. */
static void
engine_on_node_store(void *arg, const char *err)
{
	struct engine *e = arg;

	engine_store_report(e, &e->store_node_down, err);
}

static void
engine_on_sched_store(void *arg, const char *err)
{
	struct engine *e = arg;

	engine_store_report(e, &e->store_sched_down, err);
}

/* --- planning and misfires --- */

static int
engine_emit(void *arg, const struct job *j)
{
	return store_plan_put(arg, j);
}

static int
engine_plan(struct engine *e, const struct model *m, char *err, size_t errlen)
{
	struct store_plan_stats ps = { 0 };
	struct plan_counts pc;
	char revived[40] = "";
	size_t swept;

	if (store_plan_begin(e->st) == -1)
		goto fail;
	if (plan_model(m, engine_emit, e->st, &pc) == -1) {
		snprintf(err, errlen, "planning failed after %zu jobs: %s",
		    pc.total, store_error(e->st));
		store_plan_abort(e->st);
		return -1;
	}
	if (store_plan_end(e->st, &ps) == -1)
		goto fail;
	/* Not fatal: the dispatcher checks submissions at send time too. */
	if (submission_sweep(e->st, m, engine_now(e), &swept) == -1)
		log_warnx("planning: cannot cancel the notices of units that "
		    "have submitted: %s", store_error(e->st));
	else if (swept > 0)
		log_info("planning: %zu notices cancelled: their units have "
		    "submitted", swept);
	e->status.planned = pc.total;
	e->status.inserted += ps.inserted;
	e->status.updated += ps.updated;
	e->status.cancelled += ps.cancelled;
	if (ps.revived > 0)
		snprintf(revived, sizeof(revived), ", %zu revived", ps.revived);
	log_notice("planned %zu jobs: %zu new, %zu changed, %zu cancelled%s",
	    pc.total, ps.inserted, ps.updated, ps.cancelled, revived);
	return 0;
fail:
	snprintf(err, errlen, "planning: %s", store_error(e->st));
	store_plan_abort(e->st);
	return -1;
}

static void
engine_on_missed(void *arg, const struct job *j)
{
	misfire_log_missed(arg, j);
}

/*
 * The misfire pass over the whole store under m's grace: after the plan
 * at start, and after every re-plan, since a reload may add, re-time or
 * revive a job whose instant lies further back than its grace.  The
 * dispatcher judges each job again at hand-off (a stalled process).
 */
static int
engine_expire(struct engine *e, const struct model *m)
{
	int64_t grace[JOB_KIND_COUNT];
	size_t n = 0;

	misfire_grace_table(&m->daemon.engine, grace);
	if (store_expire(e->st, engine_now(e), grace, engine_on_missed,
	    (void *)m, &n) == -1)
		return -1;
	e->status.missed += n;
	return 0;
}

static void
engine_sched_settings(const struct model *m, struct sched_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->prefetch = m->daemon.engine.prefetch;
	set->lease = m->daemon.engine.lease;
	/* A lease shorter than the window would expire while held; past
	 * it, a few seconds for the send (short leases are for tests of
	 * several nodes: herald.conf(5), "lease"). */
	if (set->lease < set->prefetch + 5)
		set->lease = set->prefetch + 5;
}

/* --- life cycle --- */

int
engine_open(struct event_base *base, struct generation *g,
    const struct sched_clock *clock, struct engine **out, char *err,
    size_t errlen)
{
	const struct model *m = g->m;
	struct sched_hooks sh = { .handoff = engine_on_handoff,
	    .handoff_done = engine_on_handoff_done, .skip = engine_on_skip,
	    .claimed = engine_on_claimed, .store = engine_on_sched_store,
	    .share = engine_on_share };
	struct dispatch_hooks dh = { .poke = engine_on_poke,
	    .sent = engine_on_sent, .store = engine_on_disp_store,
	    .lease = engine_on_lease };
	struct sched_settings set;
	struct engine *e = xcalloc(1, sizeof(*e));
	struct node_hooks nh = { .held = engine_on_node_held,
	    .reaped = engine_on_node_reaped, .store = engine_on_node_store,
	    .beat = engine_on_node_beat };
	int64_t now;

	e->base = base;
	if (clock != NULL)
		e->clock = *clock;
	/* A UUID per process start owns the claims; host and pid go into
	 * its heartbeat row (node.h). */
	e->node = node_new(base, clock);
	if (store_open_auth(m->daemon.store, node_id(e->node),
	    m->daemon.store_password, &e->st, err, errlen) == -1)
		goto fail;
	now = engine_now(e);
	if (store_recover(e->st, now, &e->status.recovered) == -1)
		goto fail_store;
	if (e->status.recovered > 0)
		log_notice("recovered %zu jobs in flight at the last stop",
		    e->status.recovered);
	if (engine_plan(e, m, err, errlen) == -1)
		goto fail;
	if (engine_expire(e, m) == -1)
		goto fail_store;

	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_campaign *c = &m->campaigns[i];

		for (size_t k = 0; k < c->n_launches; k++)
			if (c->launches[k].at.at > now)
				engine_clock_check(e, engine_launch_get(e, c->id,
				    c->launches[k].id, c->launches[k].at.at));
	}

	sh.arg = dh.arg = e;
	/* The scheduler first: it calls no hook before sched_poke(), and the
	 * engine takes g only when nothing can fail after the dispatcher. */
	engine_sched_settings(m, &set);
	if (sched_open(base, e->st, clock, &set, &sh, &e->sched) == -1) {
		snprintf(err, errlen, "cannot create the scheduler");
		goto fail;
	}
	if (dispatch_open(base, e->st, clock, g, &dh, &e->disp) == -1) {
		snprintf(err, errlen, "cannot create the dispatcher");
		goto fail;
	}
	e->gen = g;
	/* After the plan: an incident's waves are inserted jobs, which a
	 * plan never cancels; a failure is logged and retried at reload. */
	e->incidents = incidents_new(e);
	incident_restore(e);
	nh.arg = e;
	node_set_config(e->node, g->number, g->digest, set.lease);
	if (node_start(e->node, e->st, set.lease, &nh) == -1)
		log_warnx("node %s: no heartbeat timer", node_id(e->node));
	sched_poke(e->sched);
	*out = e;
	return 0;

fail_store:
	snprintf(err, errlen, "store: %s", store_error(e->st));
fail:
	sched_free(e->sched);
	store_close(e->st);
	node_free(e->node);
	engine_status_free(&e->status);
	free(e);
	return -1;
}

int
engine_reload(struct engine *e, struct generation *g, char *err,
    size_t errlen)
{
	const struct model *m = g->m;
	struct sched_settings set;

	/* Held jobs go back first, so a changed instant reaches them. */
	sched_release(e->sched);
	if (engine_plan(e, m, err, errlen) == -1) {
		sched_poke(e->sched);
		return -1;
	}
	/* The plan is committed and m is what runs from now on: a failed
	 * pass is logged, and the hand-off check still catches each miss. */
	if (engine_expire(e, m) == -1)
		log_errx("reload: misfire pass: %s", store_error(e->st));
	dispatch_swap(e->disp, g);
	/* Sends in flight hold their own references to the old one. */
	generation_unref(e->gen);
	e->gen = g;
	engine_sched_settings(m, &set);
	sched_set_settings(e->sched, &set);
	node_set_config(e->node, g->number, g->digest, set.lease);
	/* The plans may have changed: their audiences, repeats, steps. */
	incident_restore(e);
	sched_poke(e->sched);
	return 0;
}

static void
engine_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	struct timeval tv = { 0, ENGINE_DRAIN_POLL_US };
	size_t n = dispatch_in_flight(e->disp);

	if (n > 0 && sched_clock_now(&e->clock) < e->drain_deadline_us) {
		evtimer_add(e->ev_drain, &tv);
		return;
	}
	if (n > 0 && e->status.store_failing)
		log_warnx("stop: the store could not record the outcomes of "
		    "%zu sends (%s); they will be sent again at the next "
		    "start", n, e->status.store_error);
	else if (n > 0)
		log_warnx("stop: %zu sends still in flight; they will be "
		    "retried at the next start", n);
	/* Sends still in flight keep their leases until those run out.  A
	 * store already reported failing says nothing new here. */
	if (node_leave(e->node) == -1 && !e->status.store_failing)
		log_warnx("stop: node %s could not leave the store (%s); the "
		    "other nodes count it until its beats age out",
		    node_id(e->node), store_error(e->st));
	if (e->drain_done != NULL)
		e->drain_done(e->drain_arg);
}

void
engine_drain(struct engine *e, int timeout_ms, void (*done)(void *),
    void *arg)
{
	sched_stop(e->sched);
	dispatch_requeue(e->disp);
	e->drain_done = done;
	e->drain_arg = arg;
	e->drain_deadline_us = sched_clock_now(&e->clock) +
	    (int64_t)timeout_ms * 1000;
	if (e->ev_drain == NULL)
		e->ev_drain = evtimer_new(e->base, engine_on_drain, e);
	if (e->ev_drain == NULL) {
		if (done != NULL)
			done(arg);
		return;
	}
	event_active(e->ev_drain, EV_TIMEOUT, 0);
}

int64_t
engine_time(const struct engine *e)
{
	return engine_now(e);
}

const struct engine_status *
engine_status(const struct engine *e)
{
	return &e->status;
}

const struct generation *
engine_generation(const struct engine *e)
{
	return e->gen;
}

const struct model *
engine_model(const struct engine *e)
{
	return e->gen->m;
}

struct store *
engine_store(const struct engine *e)
{
	return e->st;
}

struct sched *
engine_sched(const struct engine *e)
{
	return e->sched;
}

struct dispatch *
engine_dispatch(const struct engine *e)
{
	return e->disp;
}

struct event_base *
engine_base(const struct engine *e)
{
	return e->base;
}

struct incidents *
engine_incidents(const struct engine *e)
{
	return e->incidents;
}

struct node *
engine_node(const struct engine *e)
{
	return e->node;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	incidents_free(e->incidents);
	sched_free(e->sched);
	/* Before the generation: the dispatcher borrows it to the end. */
	dispatch_free(e->disp);
	generation_unref(e->gen);
	if (e->ev_drain != NULL)
		event_free(e->ev_drain);
	/* Before the store: its timer writes to it. */
	node_free(e->node);
	store_close(e->st);
	engine_status_free(&e->status);
	free(e);
}
