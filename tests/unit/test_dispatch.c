/*
 * test_dispatch.c - the dispatcher against a real event_base, a real
 * SQLite store in a temp dir and the "flaky" test channel, on a clock the
 * tests move by hand.
 */
#include "unit.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "dispatch.h"
#include "errlist.h"
#include "generation.h"
#include "job.h"
#include "model.h"
#include "plugin.h"
#include "store.h"
#include "tbucket.h"

#define T0 1691121600		/* 2023-08-04 12:00 Asia/Shanghai */

struct chan_spec {
	const char *mode;	/* flaky mode */
	long delay_ms;
	long retry_after_ms;
	unsigned concurrency;
	double rate;
	unsigned burst;
	int64_t merge_after;	/* seconds; 0: never merge */
	const char *bodies;	/* flaky's bodies file, or NULL */
};

struct fixture {
	int distinct_addresses;	/* a and b get their own address on "one" */
	char dir[64];
	char record[2][96];	/* what each channel received */
	int64_t now_us;
	struct event_base *base;
	struct store *st;
	struct dispatch *d;
	struct generation *gen;	/* the engine's reference, held here */
	int pokes;
	int64_t renewed_until;	/* the lease hook's renewals; 0: none */
	int lease_asks;
};

static int64_t
fake_now(void *arg)
{
	return ((struct fixture *)arg)->now_us;
}

/* dispatch_hooks.lease: as node_lease_until() with one unbroken chain
 * of renewals up to f->renewed_until. */
static int64_t
on_lease(void *arg, int64_t claimed_until, int64_t now)
{
	struct fixture *f = arg;

	(void)now;
	f->lease_asks++;
	return f->renewed_until > claimed_until ? f->renewed_until :
	    claimed_until;
}

static void
on_poke(void *arg)
{
	((struct fixture *)arg)->pokes++;
}

static const char *
test_plugin_dir(void)
{
	const char *d = getenv("HERALD_TEST_PLUGIN_DIR");

	return d != NULL ? d : "tests/plugins/.libs";
}

static struct herald_setting *
settings(struct arena *a, const struct chan_spec *cs, const char *record,
    size_t *n)
{
	struct herald_setting *s = arena_alloc(a, 5 * sizeof(*s));
	int n_set = cs->bodies != NULL ? 5 : 4;

	memset(s, 0, 5 * sizeof(*s));
	s[0].name = "mode";
	s[0].type = HERALD_SETTING_STRING;
	s[0].str = cs->mode;
	s[1].name = "delay_ms";
	s[1].type = HERALD_SETTING_INT;
	s[1].integer = cs->delay_ms;
	s[2].name = "retry_after_ms";
	s[2].type = HERALD_SETTING_INT;
	s[2].integer = cs->retry_after_ms;
	s[3].name = "record";
	s[3].type = HERALD_SETTING_STRING;
	s[3].str = arena_strdup(a, record);
	s[4].name = "bodies";
	s[4].type = HERALD_SETTING_STRING;
	s[4].str = cs->bodies;
	for (int i = 0; i < n_set; i++) {
		s[i].file = "test.conf";
		s[i].line = 1 + i;
	}
	*n = (size_t)n_set;
	return s;
}

/*
 * One campaign "c" (Asia/Shanghai) with deadline "d" due T0 + 1 day for
 * contacts a and b, who prefer channel "one" then "two".  Quiet hours for
 * a when quiet_from >= 0.
 */
static struct model *
build_model(struct fixture *f, const struct chan_spec cs[2], int quiet_from,
    int quiet_to)
{
	struct arena *a = arena_new();
	struct model *m = arena_alloc(a, sizeof(*m));
	struct model_campaign *c;
	struct model_deadline *dl;
	const struct model_channel **prefer;
	const struct model_contact **aud;
	const char *names[2] = { "one", "two" };

	memset(m, 0, sizeof(*m));
	m->arena = a;
	m->daemon.base_dir = arena_strdup(a, f->dir);
	m->daemon.timezone = "Asia/Shanghai";
	/* The documented graces: a zeroed table would miss every job the
	 * rate limits hold back for more than a second. */
	model_engine_defaults(&m->daemon.engine);
	m->daemon.engine.retry_attempts = 4;
	m->daemon.engine.retry_base = 60;
	m->daemon.engine.retry_cap = 200;
	m->daemon.engine.retry_max_age = 86400;
	m->daemon.engine.retry_after_timeout = 600;
	m->daemon.engine.retry_timeouts = 2;

	m->channels = arena_alloc(a, 2 * sizeof(*m->channels));
	memset(m->channels, 0, 2 * sizeof(*m->channels));
	m->n_channels = 2;
	for (int i = 0; i < 2; i++) {
		struct model_channel *ch = &m->channels[i];

		ch->loc.file = "test.conf";
		ch->loc.line = 10 + i;
		ch->name = names[i];
		ch->plugin = "flaky";
		ch->concurrency = cs[i].concurrency;
		ch->rate = cs[i].rate;
		ch->burst = cs[i].burst;
		ch->merge_after = cs[i].merge_after;
		ch->conf.name = names[i];
		ch->conf.plugin = "flaky";
		ch->conf.file = "test.conf";
		ch->conf.line = 10 + i;
		ch->conf.base_dir = m->daemon.base_dir;
		ch->conf.settings = settings(a, &cs[i], f->record[i],
		    &ch->conf.n_settings);
	}
	prefer = arena_alloc(a, 2 * sizeof(*prefer));
	prefer[0] = &m->channels[0];
	prefer[1] = &m->channels[1];

	m->contacts = arena_alloc(a, 2 * sizeof(*m->contacts));
	memset(m->contacts, 0, 2 * sizeof(*m->contacts));
	m->n_contacts = 2;
	m->contacts[0].id = "a";
	m->contacts[0].name = "张三";
	m->contacts[1].id = "b";
	m->contacts[1].name = "李四";
	for (int i = 0; i < 2; i++) {
		m->contacts[i].prefer = prefer;
		m->contacts[i].n_prefer = 2;
		if (f->distinct_addresses) {
			struct model_address *ad = arena_alloc(a, sizeof(*ad));

			ad->channel = &m->channels[0];
			ad->address = i == 0 ? "+8613800138000" : "+8613800138001";
			m->contacts[i].addresses = ad;
			m->contacts[i].n_addresses = 1;
		}
	}
	if (quiet_from >= 0) {
		m->contacts[0].quiet.set = 1;
		m->contacts[0].quiet.from_min = quiet_from;
		m->contacts[0].quiet.to_min = quiet_to;
	}
	aud = arena_alloc(a, 2 * sizeof(*aud));
	aud[0] = &m->contacts[0];
	aud[1] = &m->contacts[1];

	m->campaigns = arena_alloc(a, sizeof(*m->campaigns));
	memset(m->campaigns, 0, sizeof(*m->campaigns));
	m->n_campaigns = 1;
	c = &m->campaigns[0];
	c->id = "c";
	c->title = "测试活动";
	c->timezone = "Asia/Shanghai";
	c->deadlines = dl = arena_alloc(a, sizeof(*dl));
	memset(dl, 0, sizeof(*dl));
	c->n_deadlines = 1;
	dl->id = "d";
	dl->title = "报送名单";
	dl->due.text = "2023-08-05 12:00";
	dl->due.at = T0 + 86400;
	dl->audience.contacts = aud;
	dl->audience.n = 2;
	c->plans = arena_alloc(a, sizeof(*c->plans));
	memset(c->plans, 0, sizeof(*c->plans));
	c->n_plans = 1;
	c->plans[0].id = "fire";
	c->plans[0].title = "火灾应急预案";
	c->plans[0].level = 1;
	c->plans[0].steps = "疏散";
	return m;
}

static void
open_dispatch(struct fixture *f, const struct chan_spec cs[2], int quiet_from,
    int quiet_to)
{
	struct sched_clock clock = { fake_now, f };
	struct dispatch_hooks hooks = { .poke = on_poke, .lease = on_lease,
	    .arg = f };
	struct errlist errs = { 0 };
	struct channel_set *set = NULL;
	struct model *m = build_model(f, cs, quiet_from, quiet_to);

	assert_int_equal(channel_set_open(test_plugin_dir(), m, f->base, 0,
	    &errs, &set), 0);
	assert_int_equal(errs.n_errors, 0);
	errlist_clear(&errs);
	f->gen = generation_new(m, set, 1);
	assert_int_equal(dispatch_open(f->base, f->st, &clock, f->gen, &hooks,
	    &f->d), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char url[128], err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dispatch.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->base = event_base_new()) == NULL)
		return -1;
	for (int i = 0; i < 2; i++)
		snprintf(f->record[i], sizeof(f->record[i]), "%s/ch%d.txt",
		    f->dir, i);
	snprintf(url, sizeof(url), "sqlite:%s/herald.db", f->dir);
	if (store_open(url, "test", &f->st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	f->now_us = (int64_t)T0 * 1000000;
	*state = f;
	return 0;
}

/* Run the loop without blocking, a few rounds: flushes and zero timers. */
static void
spin(struct fixture *f)
{
	for (int i = 0; i < 5; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* Run the loop in real time until nothing is in flight (bounded). */
static void
spin_until_idle(struct fixture *f)
{
	for (int i = 0; i < 300 && dispatch_in_flight(f->d) > 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	spin(f);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	if (f->d != NULL) {
		dispatch_requeue(f->d);
		spin_until_idle(f);
		dispatch_free(f->d);
	}
	generation_unref(f->gen);
	store_close(f->st);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Insert a job and return its key in key. */
static void
add_job(struct fixture *f, enum job_kind kind, const char *contact,
    const char *channel, int64_t offset, int64_t item_at, char *key)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.kind = kind;
	j.priority = job_kind_priority(kind);
	j.campaign = "c";
	j.item = kind == JOB_EMERGENCY ? "fire" : "d";
	j.offset = offset;
	j.contact = contact;
	j.channel = channel;
	j.due = f->now_us / 1000000;
	j.next_at = j.due;
	j.item_at = item_at;
	job_make_key(j.key, j.campaign, j.item, j.kind, j.offset, j.contact,
	    j.channel);
	assert_int_equal(store_insert(f->st, &j), 0);
	if (key != NULL)
		strcpy(key, j.key);
}

static void
on_claim(void *arg, const struct job *j)
{
	struct fixture *f = arg;

	dispatch_push(f->d, job_claim_new(j));
}

/* Claim every pending job due by now and queue it. */
static size_t
claim(struct fixture *f)
{
	size_t n = 0;
	int64_t now = f->now_us / 1000000;

	assert_int_equal(store_claim(f->st, now, now, 10000, NULL, 0, now + 600,
	    on_claim, f, &n), 0);
	return n;
}

struct got {
	int found;
	struct job j;
	char channel[32], fallback_of[JOB_KEY_LEN];
	char detail[160];
};

static void
on_get(void *arg, const struct job *j)
{
	struct got *g = arg;

	g->j = *j;
	snprintf(g->channel, sizeof(g->channel), "%s", j->channel);
	snprintf(g->fallback_of, sizeof(g->fallback_of), "%s",
	    j->fallback_of != NULL ? j->fallback_of : "");
	snprintf(g->detail, sizeof(g->detail), "%s",
	    j->detail != NULL ? j->detail : "");
}

static struct got
get(struct fixture *f, const char *key)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_get(f->st, key, on_get, &g, &g.found), 0);
	return g;
}

/* Lines of a record file as "key kind attempt"; returns the count. */
static int
read_record(const char *path, char lines[][128], int max)
{
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return 0;
	while (n < max && fgets(lines[n], 128, fp) != NULL)
		n++;
	fclose(fp);
	return n;
}

static const struct chan_spec ok1[2] = {
	{ .mode = "ok", .concurrency = 1 }, { .mode = "ok", .concurrency = 1 },
};

/* A submission by contact, who has no unit: the party is the contact. */
static int
submit_one(struct store *s, const char *campaign, const char *deadline,
    const char *contact, int64_t at, const char *via, size_t *n)
{
	const char *const members[1] = { contact };
	struct store_party p = { NULL, contact, members, 1 };

	return store_submit(s, campaign, deadline, &p, at, via, NULL, n);
}

static void
test_priority(void **state)
{
	struct fixture *f = *state;
	char r[3][JOB_KEY_LEN], e[JOB_KEY_LEN], lines[8][128];

	open_dispatch(f, ok1, -1, 0);
	for (int i = 0; i < 3; i++)
		add_job(f, JOB_REMINDER, "a", "one", 3600 * (i + 1), T0 + 86400,
		    r[i]);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);		/* r0 takes the only slot */
	add_job(f, JOB_EMERGENCY, "a", "one", 0, 0, e);
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 4);
	/* Claims come highest priority first, then earliest; either way
	 * the emergency must come right after the send already in flight. */
	assert_non_null(strstr(lines[1], e));
	assert_non_null(strstr(lines[1], "emergency"));
	for (int i = 0; i < 3; i++)
		assert_int_equal(get(f, r[i]).j.state, JOB_DELIVERED);
	assert_int_equal(get(f, e).j.state, JOB_DELIVERED);
}

static void
test_concurrency_cap(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 2, .delay_ms = 20 },
		{ .mode = "ok" },
	};
	struct dispatch_stats st;
	char k[6][JOB_KEY_LEN];

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 6; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 6);
	dispatch_pump(f->d);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(st.queued, 4);
	spin_until_idle(f);
	for (int i = 0; i < 6 && dispatch_in_flight(f->d) == 0; i++)
		spin_until_idle(f);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.max_in_flight, 2);
	assert_int_equal(st.delivered, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(get(f, k[i]).j.state, JOB_DELIVERED);
}

static void
test_rate_limit(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = 2, .burst = 1 },
		{ .mode = "ok" },
	};
	struct dispatch_stats st;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 3; i++)
		add_job(f, JOB_REMINDER, "a", "one", 60 * (i + 1), T0 + 86400,
		    NULL);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);
	spin(f);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 1);
	f->now_us += 499000;		/* half a token short */
	dispatch_pump(f->d);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 1);
	f->now_us += 2000;		/* 0.501 s: one token at 2/s */
	dispatch_pump(f->d);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 2);
	f->now_us += 200000;
	dispatch_pump(f->d);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 2);
	f->now_us += 300000;
	dispatch_pump(f->d);
	spin(f);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.delivered, 3);
}

/*
 * A job for a channel the config does not have never reaches a queue:
 * it is recorded cancelled at once, holds no slot and leaves the other
 * channels alone (the dispatcher's node for it is freed with the claim).
 */
static void
test_unknown_channel(void **state)
{
	struct fixture *f = *state;
	struct dispatch_stats st;
	char k[JOB_KEY_LEN];
	size_t held = 99;
	struct got g;

	open_dispatch(f, ok1, -1, 0);
	add_job(f, JOB_REMINDER, "a", "gone", 60, T0 + 86400, k);
	assert_int_equal(claim(f), 1);
	assert_int_equal(dispatch_in_flight(f->d), 0);
	assert_int_equal(dispatch_channel_stats(f->d, "gone", &st), -1);
	spin(f);
	g = get(f, k);
	assert_true(g.found);
	assert_int_equal(g.j.state, JOB_CANCELLED);
	assert_int_equal(g.j.attempts, 0);
	assert_int_equal(dispatch_holding(f->d, &held, NULL), 0);
	assert_int_equal(held, 0);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.sent + st.queued + st.in_flight + st.cancelled, 0);
}

/*
 * dispatch_requeue() (a stop) puts the jobs still queued back in the
 * store, pending at their own instant and without an attempt counted,
 * while what was already sent keeps its outcome.  At 1 token a second
 * with a burst of 1, one of three jobs goes at once; two stay queued.
 */
static void
test_requeue_puts_back(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = 1, .burst = 1 },
		{ .mode = "ok" },
	};
	struct dispatch_stats st;
	char k[3][JOB_KEY_LEN];
	int delivered = 0, pending = 0;
	struct got g;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 3; i++)
		add_job(f, JOB_REMINDER, "a", "one", 60 * (i + 1), T0 + 86400,
		    k[i]);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.queued, 2);
	dispatch_requeue(f->d);
	spin(f);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.deferred, 2);
	for (int i = 0; i < 3; i++) {
		g = get(f, k[i]);
		if (g.j.state == JOB_DELIVERED) {
			delivered++;
			continue;
		}
		assert_int_equal(g.j.state, JOB_PENDING);
		assert_int_equal(g.j.attempts, 0);
		assert_int_equal(g.j.next_at, T0);
		pending++;
	}
	assert_int_equal(delivered, 1);
	assert_int_equal(pending, 2);
}

/* One transient round: claim at now, send, flush; returns next_at - now. */
static int64_t
transient_round(struct fixture *f, const char *key)
{
	struct got g;
	int64_t now = f->now_us / 1000000;

	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	g = get(f, key);
	if (g.j.state != JOB_PENDING)
		return -1;
	return g.j.next_at - now;
}

/*
 * The backoff keeps milliseconds: with base = cap = 1 s the old code
 * rounded every jittered delay to exactly 1 s, so a burst of failures
 * came back in the same second.  Expected values: 1000 ms * (0.8 + 0.4 r).
 * After a timeout the base is retry.after_timeout, doubling up to
 * max(cap, after_timeout).
 */
static void
test_backoff_ms(void **state)
{
	struct model_engine e;

	(void)state;
	model_engine_defaults(&e);
	e.retry_base = 1;
	e.retry_cap = 1;
	assert_int_equal(dispatch_backoff_ms(&e, 0, 0, 0.0), 800);
	assert_int_equal(dispatch_backoff_ms(&e, 0, 0, 0.25), 900);
	assert_int_equal(dispatch_backoff_ms(&e, 0, 0, 0.3), 920);
	assert_int_equal(dispatch_backoff_ms(&e, 0, 0, 0.5), 1000);
	assert_int_equal(dispatch_backoff_ms(&e, 3, 0, 0.7), 1080);
	/* Defaults: 30 s doubling, capped at 30 min. */
	model_engine_defaults(&e);
	assert_int_equal(dispatch_backoff_ms(&e, 0, 0, 0.5), 30000);
	assert_int_equal(dispatch_backoff_ms(&e, 2, 0, 0.5), 120000);
	assert_int_equal(dispatch_backoff_ms(&e, 2, 0, 0.123), 120000 * (0.8 + 0.4 * 0.123) + 0.5);
	assert_int_equal(dispatch_backoff_ms(&e, 20, 0, 0.5), 1800000);
	/* After a timeout: retry.after_timeout (default 5 min), doubling. */
	assert_int_equal(e.retry_after_timeout, 300);
	assert_int_equal(dispatch_backoff_ms(&e, 0, 1, 0.5), 300000);
	assert_int_equal(dispatch_backoff_ms(&e, 1, 1, 0.5), 600000);
	assert_int_equal(dispatch_backoff_ms(&e, 9, 1, 0.5), 1800000);
	e.retry_cap = 60;
	assert_int_equal(dispatch_backoff_ms(&e, 9, 1, 0.0), 240000);
}

/*
 * A timeout that may have delivered: backoff from retry.after_timeout,
 * counted apart; a peer that keeps every copy (uncertain) fails after
 * retry.timeouts in a row with no fallback; one that drops repeats
 * (timed-out) falls back as usual once attempts run out.
 */
static void
test_timeout_no_fallback(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "uncertain", .concurrency = 1 },
		{ .mode = "ok", .concurrency = 1 },
	};
	struct dispatch_stats st;
	char key[JOB_KEY_LEN], fb[JOB_KEY_LEN];
	int64_t d;
	struct got g;

	open_dispatch(f, cs, -1, 0);
	add_job(f, JOB_OVERDUE, "a", "one", 0, T0 + 86400, key);
	d = transient_round(f, key);
	assert_true(d >= 480 && d <= 720);
	assert_non_null(strstr(get(f, key).detail, "timeout 1:"));
	f->now_us += d * 1000000;
	assert_int_equal(transient_round(f, key), -1);
	g = get(f, key);
	assert_int_equal(g.j.state, JOB_FAILED);
	assert_non_null(strstr(g.detail, "may have been delivered"));
	job_make_key(fb, "c", "d", JOB_OVERDUE, 0, "a", "two");
	assert_false(get(f, fb).found);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.failed, 1);
}

static void
test_timed_out_falls_back(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "timed-out", .concurrency = 1 },
		{ .mode = "ok", .concurrency = 1 },
	};
	const struct model_engine *e;
	char key[JOB_KEY_LEN], fb[JOB_KEY_LEN];
	int64_t d;
	int i;

	open_dispatch(f, cs, -1, 0);
	e = &dispatch_model(f->d)->daemon.engine;
	add_job(f, JOB_OVERDUE, "a", "one", 0, T0 + 86400, key);
	/* retry_attempts tries, then a fallback, timeouts or not. */
	for (i = 1; (d = transient_round(f, key)) != -1; i++)
		f->now_us += d * 1000000;
	assert_int_equal(i, (int)e->retry_attempts);
	job_make_key(fb, "c", "d", JOB_OVERDUE, 0, "a", "two");
	assert_true(get(f, fb).found);
}

static void
test_backoff_exhaust_fallback(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "transient", .concurrency = 1 },
		{ .mode = "ok", .concurrency = 1 },
	};
	char key[JOB_KEY_LEN], fb[JOB_KEY_LEN];
	int64_t d;
	struct got g;

	open_dispatch(f, cs, -1, 0);
	add_job(f, JOB_OVERDUE, "a", "one", 0, T0 + 86400, key);
	/* base 60, then 120, then 240 capped at 200; each +-20%. */
	d = transient_round(f, key);
	assert_true(d >= 48 && d <= 72);
	assert_int_equal(get(f, key).j.attempts, 1);
	f->now_us += d * 1000000;
	d = transient_round(f, key);
	assert_true(d >= 96 && d <= 144);
	f->now_us += d * 1000000;
	d = transient_round(f, key);
	assert_true(d >= 160 && d <= 240);
	f->now_us += d * 1000000;
	/* The fourth try is the last (retry_attempts = 4). */
	assert_int_equal(transient_round(f, key), -1);
	g = get(f, key);
	assert_int_equal(g.j.state, JOB_FAILED);
	/* Fallback: same identity on the next preferred channel. */
	job_make_key(fb, "c", "d", JOB_OVERDUE, 0, "a", "two");
	g = get(f, fb);
	assert_true(g.found);
	assert_int_equal(g.j.state, JOB_PENDING);
	assert_string_equal(g.channel, "two");
	assert_string_equal(g.fallback_of, key);
	assert_int_equal(g.j.next_at, f->now_us / 1000000);
	assert_true(f->pokes > 0);
	/* And it gets delivered there. */
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, fb).j.state, JOB_DELIVERED);
}

static void
test_retry_after(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "transient", .retry_after_ms = 500500 },
		{ .mode = "ok" },
	};
	char key[JOB_KEY_LEN];

	open_dispatch(f, cs, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 600, T0 + 86400, key);
	/* The peer's 500.5 s beats the 60 s backoff, rounded up. */
	assert_int_equal(transient_round(f, key), 501);
}

static void
test_permanent_fallback(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "permanent" }, { .mode = "ok" },
	};
	char key[JOB_KEY_LEN], fb[JOB_KEY_LEN], lines[4][128];

	open_dispatch(f, cs, -1, 0);
	add_job(f, JOB_REMINDER, "b", "one", 600, T0 + 86400, key);
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, key).j.state, JOB_FAILED);
	job_make_key(fb, "c", "d", JOB_REMINDER, 600, "b", "two");
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, fb).j.state, JOB_DELIVERED);
	assert_int_equal(read_record(f->record[1], lines, 4), 1);
	assert_non_null(strstr(lines[0], fb));
	/* The last channel of the chain has no fallback: nothing more. */
	assert_int_equal(claim(f), 0);
}

static void
test_quiet_hours(void **state)
{
	struct fixture *f = *state;
	char k1[JOB_KEY_LEN], k2[JOB_KEY_LEN], k3[JOB_KEY_LEN], lines[4][128];
	struct got g;

	/* 22:00-07:00 wraps midnight. */
	open_dispatch(f, ok1, 22 * 60, 7 * 60);
	f->now_us = (int64_t)1691163000 * 1000000;	/* 23:30 local */
	add_job(f, JOB_REMINDER, "a", "one", 7200, T0 + 86400, k1);
	add_job(f, JOB_EMERGENCY, "a", "two", 0, 0, k2);
	add_job(f, JOB_REMINDER, "b", "one", 7200, T0 + 86400, k3);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);
	spin(f);
	dispatch_pump(f->d);
	spin(f);
	g = get(f, k1);
	assert_int_equal(g.j.state, JOB_PENDING);
	assert_int_equal(g.j.next_at, 1691190000);	/* 07:00 next day */
	assert_int_equal(g.j.attempts, 0);
	assert_int_equal(get(f, k2).j.state, JOB_DELIVERED); /* emergency */
	assert_int_equal(get(f, k3).j.state, JOB_DELIVERED); /* b: no quiet */
	assert_int_equal(read_record(f->record[0], lines, 4), 1);
}

static void
test_quiet_until(void **state)
{
	struct model_quiet wrap = { 1, 22 * 60, 7 * 60 };
	struct model_quiet day = { 1, 12 * 60, 14 * 60 + 30 };
	int64_t until = 0;

	/* 03:00 local, after midnight: ends the same morning. */
	assert_int_equal(dispatch_quiet_until(&wrap, "Asia/Shanghai",
	    1691175600, &until), 1);
	assert_int_equal(until, 1691190000);
	/* 12:00 local: outside 22-07. */
	assert_int_equal(dispatch_quiet_until(&wrap, "Asia/Shanghai",
	    1691121600, &until), 0);
	/* 12:00 local inside 12:00-14:30: ends 14:30 = 06:30 UTC. */
	assert_int_equal(dispatch_quiet_until(&day, "Asia/Shanghai",
	    1691121600, &until), 1);
	assert_int_equal(until, 1691130600);
	/* 14:30 exactly is outside. */
	assert_int_equal(dispatch_quiet_until(&day, "Asia/Shanghai",
	    1691130600, &until), 0);
}

static void
test_reminder_past_deadline(void **state)
{
	struct fixture *f = *state;
	char k1[JOB_KEY_LEN], k2[JOB_KEY_LEN], lines[4][128];

	open_dispatch(f, ok1, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 60, T0, k1);	/* due now */
	add_job(f, JOB_REMINDER, "b", "one", 60, T0 + 1, k2);
	assert_int_equal(claim(f), 2);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, k1).j.state, JOB_CANCELLED);
	assert_int_equal(get(f, k2).j.state, JOB_DELIVERED);
	assert_int_equal(read_record(f->record[0], lines, 4), 1);
	assert_non_null(strstr(lines[0], k2));
}

static void
test_submitted_cancels(void **state)
{
	struct fixture *f = *state;
	char k1[JOB_KEY_LEN], k2[JOB_KEY_LEN];
	size_t n;

	open_dispatch(f, ok1, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 60, T0 + 86400, k1);
	assert_int_equal(claim(f), 1);		/* in memory, inflight */
	assert_int_equal(submit_one(f->st, "c", "d", "a", T0, "test", &n), 0);
	add_job(f, JOB_ESCALATION, "b", "two", 0, T0 + 86400, k2);
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	/* The claimed reminder is checked at send time. */
	assert_int_equal(get(f, k1).j.state, JOB_CANCELLED);
	/* b has not submitted: the escalation goes out. */
	assert_int_equal(get(f, k2).j.state, JOB_DELIVERED);
}

/*
 * A submission cancels the contact's pending reminders and overdue notice
 * in the store; the escalation, addressed to a supervisor, is checked when
 * it comes due and cancelled once nobody is left to report.
 */
static void
test_all_submitted_cancels_escalation(void **state)
{
	struct fixture *f = *state;
	char rem[JOB_KEY_LEN], over[JOB_KEY_LEN], esc[JOB_KEY_LEN];
	char lines[4][128];
	size_t n;

	open_dispatch(f, ok1, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 3600, T0 + 86400, rem);
	add_job(f, JOB_OVERDUE, "a", "one", 0, T0 + 86400, over);
	add_job(f, JOB_ESCALATION, "b", "two", -86400, T0 + 86400, esc);
	assert_int_equal(submit_one(f->st, "c", "d", "a", T0, "test", &n), 0);
	assert_int_equal(n, 2);		/* a's reminder and overdue notice */
	assert_int_equal(get(f, rem).j.state, JOB_CANCELLED);
	assert_int_equal(get(f, over).j.state, JOB_CANCELLED);
	assert_int_equal(get(f, esc).j.state, JOB_PENDING);
	assert_int_equal(submit_one(f->st, "c", "d", "b", T0, "test", &n), 0);
	assert_int_equal(claim(f), 1);		/* only the escalation is left */
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, esc).j.state, JOB_CANCELLED);
	/* Nothing reached the supervisor's channel. */
	assert_int_equal(read_record(f->record[1], lines, 4), 0);
}

static void
test_saturated_channel(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		/* Long enough that its first send is still out at the end,
		 * even on a loaded box (100 ms was not, in CI). */
		{ .mode = "ok", .concurrency = 1, .delay_ms = 2000 },
		{ .mode = "ok", .concurrency = 1 },
	};
	const char *const *names;
	char k[JOB_KEY_LEN];
	struct dispatch_stats st;
	size_t n;

	open_dispatch(f, cs, -1, 0);
	/* cap = 4 * 1 + 256 = 260 */
	for (int i = 0; i < 300; i++)
		add_job(f, JOB_REMINDER, "a", "one", i + 1, T0 + 86400, NULL);
	assert_int_equal(claim(f), 300);
	dispatch_pump(f->d);
	n = dispatch_saturated(f->d, &names);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "one");
	/* A claim that skips it still brings the other channel's job. */
	add_job(f, JOB_REMINDER, "b", "two", 60, T0 + 86400, k);
	add_job(f, JOB_REMINDER, "a", "one", 9999, T0 + 86400, NULL);
	n = 0;
	assert_int_equal(store_claim(f->st, T0, T0, 100, names, 1, T0 + 600,
	    on_claim, f, &n), 0);
	assert_int_equal(n, 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, k).j.state, JOB_DELIVERED);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.in_flight, 1);
	assert_int_equal(st.queued, 299);
}

/* 20 a minute, one at a time: a WeCom robot. */
#define ROBOT_RATE (20.0 / 60.0)
#define ROBOT_GAP_US 3000000	/* 60 s / 20 */

/* Is key among the n keys in k? */
static int
key_in(const char *key, char k[][JOB_KEY_LEN], int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(key, k[i]) == 0)
			return 1;
	return 0;
}

/*
 * 30 reminders for one robot with merge_after 10 s: the first goes out
 * alone; the other 29 would take 87 s more, so the next token sends them
 * as one message, and each is recorded delivered.
 */
static void
test_merge(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1, .merge_after = 10 },
		{ .mode = "ok" },
	};
	char k[30][JOB_KEY_LEN], lines[4][128], first[JOB_KEY_LEN];
	char lead[JOB_KEY_LEN], want[160];
	struct dispatch_stats st;
	struct got g;
	int merged = 0;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 30; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 30);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 1);
	assert_int_equal(sscanf(lines[0], "%36s", first), 1);
	assert_true(key_in(first, k, 30));
	assert_non_null(strstr(lines[0], " reminder "));
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.queued, 29);

	f->now_us += ROBOT_GAP_US;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 2);
	assert_non_null(strstr(lines[1], " digest-merge 1"));
	assert_int_equal(sscanf(lines[1], "%36s", lead), 1);
	assert_true(key_in(lead, k, 30));
	assert_string_not_equal(lead, first);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.sent, 30);
	assert_int_equal(st.delivered, 30);

	snprintf(want, sizeof(want), "merged into one message with 28 others "
	    "(key %s)", lead);
	for (int i = 0; i < 30; i++) {
		g = get(f, k[i]);
		assert_int_equal(g.j.state, JOB_DELIVERED);
		if (strcmp(k[i], first) == 0)
			assert_null(strstr(g.detail, "merged"));
		else {
			assert_string_equal(g.detail, want);
			merged++;
		}
	}
	assert_int_equal(merged, 29);

	/* Nothing is left to send later. */
	f->now_us += 10 * ROBOT_GAP_US;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 2);
}

/* The same queue on a channel without merge_after trickles out. */
/*
 * On a robot channel (HERALD_ADDR_NONE, like the test plugin's) the robot
 * is the one destination: the contacts' address entries there are
 * handles to @-mention (issue 11), not places to post to, so a's and b's
 * queued notices merge into one post that names them both.  (Before
 * issue 11 this test took the entries for destinations and expected a
 * separate merge per person.)
 */
static void
test_merge_per_person(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1, .merge_after = 10 },
		{ .mode = "ok" },
	};
	char k[10][JOB_KEY_LEN], lines[8][128];
	struct dispatch_stats st;
	int merges = 0, n;

	f->distinct_addresses = 1;
	open_dispatch(f, cs, -1, 0);
	/* a's five first, then b's five: one queue, two destinations. */
	for (int i = 0; i < 10; i++)
		add_job(f, JOB_REMINDER, i < 5 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 10);
	for (int round = 0; round < 6; round++) {
		dispatch_pump(f->d);
		spin(f);
		f->now_us += ROBOT_GAP_US;
	}
	n = read_record(f->record[0], lines, 8);
	for (int i = 0; i < n; i++)
		if (strstr(lines[i], " digest-merge ") != NULL)
			merges++;
	/* One alone, then the other nine merged across a and b. */
	assert_int_equal(n, 2);
	assert_int_equal(merges, 1);
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.delivered, 10);
}

static void
test_merge_off(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1 },
		{ .mode = "ok" },
	};
	char lines[8][128];
	struct dispatch_stats st;
	int n;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 30; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, NULL);
	assert_int_equal(claim(f), 30);
	dispatch_pump(f->d);
	spin(f);
	for (int i = 0; i < 4; i++) {
		f->now_us += ROBOT_GAP_US;
		dispatch_pump(f->d);
		spin(f);
	}
	n = read_record(f->record[0], lines, 8);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++)
		assert_non_null(strstr(lines[i], " reminder 1"));
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.delivered, 5);
	assert_int_equal(st.queued, 25);
}

/*
 * An emergency claimed while reminders wait for a merge goes out alone,
 * ahead of them; the merge follows at the next token.
 */
static void
test_merge_emergency(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1, .merge_after = 10 },
		{ .mode = "ok" },
	};
	char k[10][JOB_KEY_LEN], e[JOB_KEY_LEN], lines[4][128];
	char lead[JOB_KEY_LEN];
	struct got g;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 10; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 10);
	dispatch_pump(f->d);
	spin(f);
	add_job(f, JOB_EMERGENCY, "a", "one", 0, 0, e);
	assert_int_equal(claim(f), 1);

	f->now_us += ROBOT_GAP_US;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 2);
	assert_non_null(strstr(lines[1], e));
	assert_non_null(strstr(lines[1], " emergency 1"));
	g = get(f, e);
	assert_int_equal(g.j.state, JOB_DELIVERED);
	assert_null(strstr(g.detail, "merged"));

	f->now_us += ROBOT_GAP_US;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 3);
	assert_non_null(strstr(lines[2], " digest-merge 1"));
	assert_int_equal(sscanf(lines[2], "%36s", lead), 1);
	assert_true(key_in(lead, k, 10));
	for (int i = 0; i < 10; i++)
		assert_int_equal(get(f, k[i]).j.state, JOB_DELIVERED);
}

/* A merged send that fails for good fails every job, each falling back. */
static void
test_merge_permanent(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "permanent", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1, .merge_after = 10 },
		{ .mode = "ok" },
	};
	char k[6][JOB_KEY_LEN], fb[JOB_KEY_LEN], lines[4][128];
	struct got g;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 6; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 6);
	dispatch_pump(f->d);
	spin(f);
	f->now_us += ROBOT_GAP_US;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 2);
	assert_non_null(strstr(lines[1], " digest-merge 1"));
	for (int i = 0; i < 6; i++) {
		assert_int_equal(get(f, k[i]).j.state, JOB_FAILED);
		job_make_key(fb, "c", "d", JOB_REMINDER, 60 * (i + 1),
		    i % 2 ? "a" : "b", "two");
		g = get(f, fb);
		assert_true(g.found);
		assert_int_equal(g.j.state, JOB_PENDING);
		assert_string_equal(g.fallback_of, k[i]);
	}
}

static void
test_tbucket_give(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 1, 1, 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_true(tbucket_take(&b, 0) > 0);
	tbucket_give(&b);
	assert_int_equal(tbucket_take(&b, 0), 0);
}

/*
 * The dispatcher finds contacts, campaigns and channels per message; the
 * finds must give the same answers with the sorted index (conf_load())
 * as with the linear scan (models built by hand), including absent ids
 * and the first of two entries sharing an id.
 */
static void
test_model_index(void **state)
{
	static const char *const ids[] = { "zh-li", "bj-wang", "sh-chen",
	    "bj-wang", "a", "hb-zhao", "zz" };
	static const char *const absent[] = { "", "0", "b", "bj-wan",
	    "bj-wangx", "zzz" };
	const size_t n = sizeof(ids) / sizeof(ids[0]);
	struct model *m;
	struct arena *a = arena_new();

	(void)state;
	m = arena_alloc(a, sizeof(*m));
	m->arena = a;
	m->contacts = arena_alloc(a, n * sizeof(*m->contacts));
	m->n_contacts = n;
	for (size_t i = 0; i < n; i++)
		m->contacts[i].id = ids[i];
	m->channels = arena_alloc(a, 2 * sizeof(*m->channels));
	m->n_channels = 2;
	m->channels[0].name = "sms";
	m->channels[1].name = "log";
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: no index (scan); pass 1: indexed (bsearch). */
		if (pass == 1) {
			model_index(m);
			assert_non_null(m->contact_idx.pos);
		}
		for (size_t i = 0; i < n; i++) {
			/* bj-wang twice: the first (index 1) wins. */
			size_t want = strcmp(ids[i], "bj-wang") == 0 ? 1 : i;

			assert_ptr_equal(model_contact_find(m, ids[i]),
			    &m->contacts[want]);
		}
		for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]);
		    i++)
			assert_null(model_contact_find(m, absent[i]));
		assert_ptr_equal(model_channel_find(m, "log"),
		    &m->channels[1]);
		assert_ptr_equal(model_channel_find(m, "sms"),
		    &m->channels[0]);
		assert_null(model_channel_find(m, "email"));
		assert_null(model_unit_find(m, "bj"));
		assert_null(model_campaign_find(m, "c"));
	}
	model_free(m);
}

/* Run the loop in real time for about ms milliseconds. */
static void
spin_for(struct fixture *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	spin(f);
}

/* n reminders for a and b on channel, due now, in one transaction. */
static void
add_reminders(struct fixture *f, const char *channel, int n)
{
	assert_int_equal(store_begin(f->st), 0);
	for (int i = 0; i < n; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", channel, i + 1,
		    T0 + 86400, NULL);
	assert_int_equal(store_commit(f->st), 0);
}

/* How many of the n lines are emergencies. */
static int
count_kind(char lines[][128], int n, const char *kind)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		if (strstr(lines[i], kind) != NULL)
			c++;
	return c;
}

/*
 * Issue 14: every slot of a channel held by a slow send (2 s each) and
 * 10,000 reminders queued behind them.  An emergency is handed to the
 * plugin at once, in a slot beyond the concurrency (as many extra as the
 * concurrency: 2 here); a third waits for a slot, and takes the first
 * one freed, ahead of every queued reminder.
 */
static void
test_emergency_slots_busy(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 2, .delay_ms = 1500 },
		{ .mode = "ok" },
	};
	char e[3][JOB_KEY_LEN], lines[16][128];
	struct dispatch_stats st;
	int n;

	open_dispatch(f, cs, -1, 0);
	add_reminders(f, "one", 10000);
	assert_int_equal(claim(f), 10000);
	dispatch_pump(f->d);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(st.queued, 9998);
	assert_int_equal(read_record(f->record[0], lines, 16), 2);

	for (int i = 0; i < 3; i++)
		add_job(f, JOB_EMERGENCY, i % 2 ? "b" : "a", "one", 60 * i, 0,
		    e[i]);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);
	/* Two went at once, beside the two slow reminders. */
	n = read_record(f->record[0], lines, 16);
	assert_int_equal(n, 4);
	assert_non_null(strstr(lines[2], e[0]));
	assert_non_null(strstr(lines[2], " emergency 1"));
	assert_non_null(strstr(lines[3], e[1]));
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.in_flight, 4);
	assert_int_equal(st.queued, 9999);

	/* The first slot freed goes to the third, before any reminder. */
	for (int i = 0; i < 40 && read_record(f->record[0], lines, 16) < 5;
	    i++)
		spin_for(f, 100);
	n = read_record(f->record[0], lines, 16);
	assert_true(n >= 5);
	assert_non_null(strstr(lines[4], e[2]));
	assert_int_equal(count_kind(lines, n, " emergency "), 3);
	for (int i = 5; i < n; i++)
		assert_non_null(strstr(lines[i], " reminder "));
}

/*
 * Alerts have a lane of their own as wide as the concurrency, and never
 * take an ordinary slot: on an idle channel of concurrency 2, five alerts
 * and two reminders in line put two alerts in flight, not four, and the
 * reminders wait behind the alerts still queued.  That is the bound on
 * alerts sent twice after a kill -9 (issue 14: the channel's
 * concurrency).
 */
static void
test_emergency_lane_width(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 2, .delay_ms = 300 },
		{ .mode = "ok" },
	};
	char e[5][JOB_KEY_LEN], r[2][JOB_KEY_LEN], lines[16][128];
	struct dispatch_stats st;
	int n;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 5; i++)
		add_job(f, JOB_EMERGENCY, i % 2 ? "b" : "a", "one", 60 * i, 0,
		    e[i]);
	add_job(f, JOB_REMINDER, "a", "one", 60, T0 + 86400, r[0]);
	add_job(f, JOB_REMINDER, "b", "one", 120, T0 + 86400, r[1]);
	assert_int_equal(claim(f), 7);
	dispatch_pump(f->d);
	assert_int_equal(dispatch_channel_stats(f->d, "one", &st), 0);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(st.queued, 5);
	n = read_record(f->record[0], lines, 16);
	assert_int_equal(n, 2);
	assert_int_equal(count_kind(lines, n, " emergency "), 2);

	/* Every alert goes before either reminder. */
	for (int i = 0; i < 60 && read_record(f->record[0], lines, 16) < 7;
	    i++)
		spin_for(f, 100);
	n = read_record(f->record[0], lines, 16);
	assert_int_equal(n, 7);
	assert_int_equal(count_kind(lines, 5, " emergency "), 5);
	assert_int_equal(count_kind(lines + 5, 2, " reminder "), 2);
}

/*
 * A rate-limited channel (one a minute) whose bucket is empty: three
 * emergencies go at once, overdrawing it by three tokens, and the
 * reminder waiting in line pays for it: it goes after four intervals
 * (three owed, one its own) instead of one.
 */
static void
test_emergency_overdraws_bucket(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = 1.0 / 60,
		  .burst = 1 },
		{ .mode = "ok" },
	};
	char r[2][JOB_KEY_LEN], e[3][JOB_KEY_LEN], lines[8][128];
	struct dispatch_stats st;

	open_dispatch(f, cs, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 60, T0 + 86400, r[0]);
	add_job(f, JOB_REMINDER, "b", "one", 120, T0 + 86400, r[1]);
	assert_int_equal(claim(f), 2);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 1);

	for (int i = 0; i < 3; i++)
		add_job(f, JOB_EMERGENCY, i % 2 ? "b" : "a", "one", 60 * i, 0,
		    e[i]);
	assert_int_equal(claim(f), 3);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 4);
	for (int i = 0; i < 3; i++) {
		assert_non_null(strstr(lines[1 + i], e[i]));
		assert_int_equal(get(f, e[i]).j.state, JOB_DELIVERED);
	}
	dispatch_channel_stats(f->d, "one", &st);
	assert_int_equal(st.queued, 1);

	/* One interval later a token would be there, but it is owed. */
	f->now_us += 61 * 1000000LL;
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 4);
	f->now_us += 3 * 60 * 1000000LL - 2 * 1000000LL;	/* 239 s */
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 4);
	f->now_us += 2 * 1000000LL;				/* 241 s */
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 8), 5);
	assert_int_equal(get(f, r[0]).j.state + get(f, r[1]).j.state,
	    JOB_DELIVERED * 2);
}

/*
 * A robot channel that merges (merge_after 10 s at 20 a minute) with ten
 * reminders waiting for a merge and five emergencies claimed behind them:
 * each emergency goes alone and at once, none is part of the merged
 * message that carries the reminders later.
 */
static void
test_emergency_never_merged(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 4, .rate = ROBOT_RATE,
		  .burst = 1, .merge_after = 10 },
		{ .mode = "ok" },
	};
	char k[10][JOB_KEY_LEN], e[5][JOB_KEY_LEN], lines[16][128];
	char lead[JOB_KEY_LEN];
	struct got g;
	int n, merges = 0;

	open_dispatch(f, cs, -1, 0);
	for (int i = 0; i < 10; i++)
		add_job(f, JOB_REMINDER, i % 2 ? "a" : "b", "one", 60 * (i + 1),
		    T0 + 86400, k[i]);
	assert_int_equal(claim(f), 10);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 16), 1);
	for (int i = 0; i < 5; i++)
		add_job(f, JOB_EMERGENCY, i % 2 ? "b" : "a", "one", 60 * i, 0,
		    e[i]);
	assert_int_equal(claim(f), 5);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 16), 6);
	for (int i = 0; i < 5; i++) {
		assert_non_null(strstr(lines[1 + i], e[i]));
		assert_non_null(strstr(lines[1 + i], " emergency 1"));
	}
	/* The reminders follow, merged, once the debt is paid. */
	for (int round = 0; round < 12; round++) {
		f->now_us += ROBOT_GAP_US;
		dispatch_pump(f->d);
		spin(f);
	}
	n = read_record(f->record[0], lines, 16);
	for (int i = 6; i < n; i++)
		if (strstr(lines[i], " digest-merge ") != NULL) {
			merges++;
			assert_int_equal(sscanf(lines[i], "%36s", lead), 1);
			assert_true(key_in(lead, k, 10));
		}
	assert_int_equal(merges, 1);
	for (int i = 0; i < 5; i++) {
		g = get(f, e[i]);
		assert_int_equal(g.j.state, JOB_DELIVERED);
		assert_null(strstr(g.detail, "merged"));
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(get(f, k[i]).j.state, JOB_DELIVERED);
}

/*
 * An emergency found three days late (a stalled process) is sent, not
 * missed, inside the contact's quiet hours too; one that fails for good
 * does not fall back to the contact's next channel: its alerts were
 * planned on every channel at once.
 */
static void
test_emergency_late_quiet_no_fallback(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "permanent" }, { .mode = "ok" },
	};
	char e[JOB_KEY_LEN], bad[JOB_KEY_LEN], fb[JOB_KEY_LEN];
	char lines[4][128];
	struct got g;

	/* a is quiet 22:00-07:00; it is 23:30 local three days later. */
	open_dispatch(f, cs, 22 * 60, 7 * 60);
	f->now_us = (int64_t)1691163000 * 1000000;
	add_job(f, JOB_EMERGENCY, "a", "two", 0, 0, e);
	f->now_us += 3 * 86400 * 1000000LL;
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	g = get(f, e);
	assert_int_equal(g.j.state, JOB_DELIVERED);
	assert_int_equal(g.j.late, 1);
	assert_int_equal(read_record(f->record[1], lines, 4), 1);

	/* "one" fails for good; "two" comes after it in a's chain. */
	add_job(f, JOB_EMERGENCY, "a", "one", 60, 0, bad);
	assert_int_equal(claim(f), 1);
	dispatch_pump(f->d);
	spin(f);
	assert_int_equal(get(f, bad).j.state, JOB_FAILED);
	assert_int_equal(claim(f), 0);
	job_make_key(fb, "c", "fire", JOB_EMERGENCY, 60, "a", "two");
	assert_int_equal(get(f, fb).found, 0);
}

/*
 * Fencing: a job whose lease ran out (claimed for 600 s, no renewal) is
 * neither handed off nor recorded, whatever else would apply (it is past
 * its grace too); one whose lease the renewals extended goes out.
 */
static void
test_lease_expired_fenced(void **state)
{
	struct fixture *f = *state;
	char k1[JOB_KEY_LEN], k2[JOB_KEY_LEN], lines[4][128];

	open_dispatch(f, ok1, -1, 0);
	add_job(f, JOB_REMINDER, "a", "one", 60, T0 + 86400, k1);
	assert_int_equal(claim(f), 1);		/* lease until T0 + 600 */
	f->now_us += 601 * 1000000LL;
	dispatch_pump(f->d);
	spin_until_idle(f);
	assert_true(f->lease_asks >= 1);
	assert_int_equal(read_record(f->record[0], lines, 4), 0);
	assert_int_equal(get(f, k1).j.state, JOB_INFLIGHT);
	assert_int_equal(dispatch_in_flight(f->d), 0);

	/* Claimed at T0 + 601 until T0 + 1201, renewed to T0 + 1800. */
	add_job(f, JOB_REMINDER, "b", "one", 60, T0 + 86400, k2);
	assert_int_equal(claim(f), 1);
	f->renewed_until = T0 + 1800;
	f->now_us = (T0 + 1700) * 1000000LL;
	dispatch_pump(f->d);
	spin_until_idle(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 1);
	assert_non_null(strstr(lines[0], k2));
	assert_int_equal(get(f, k2).j.state, JOB_DELIVERED);
	assert_int_equal(get(f, k1).j.state, JOB_INFLIGHT);
}

/*
 * Staging a launch tells the channel's plugin once a loop turn how many
 * sends wait for the instant, at most its concurrency, so it can connect
 * ahead (ABI 1.6 prepare(); the flaky plugin records "prepare N AT").
 * A channel with nothing staged hears nothing.
 */
static void
test_stage_prepares(void **state)
{
	struct fixture *f = *state;
	const struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 3 }, { .mode = "ok" },
	};
	struct job_claim *sj[7];
	char lines[4][128], want[64];
	struct job j;
	int i;

	open_dispatch(f, cs, -1, 0);
	memset(&j, 0, sizeof(j));
	j.kind = JOB_REMINDER;
	j.campaign = "c";
	j.item = "d";
	j.channel = "one";
	j.due = j.next_at = T0 + 5;
	j.item_at = T0 + 86400;
	for (i = 0; i < 7; i++) {
		j.contact = i % 2 ? "a" : "b";
		j.offset = 60 * i;
		job_make_key(j.key, j.campaign, j.item, j.kind, j.offset,
		    j.contact, j.channel);
		sj[i] = job_claim_new(&j);
	}
	for (i = 0; i < 5; i++)
		dispatch_stage(f->d, sj[i]);
	assert_int_equal(read_record(f->record[0], lines, 4), 0);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 1);
	snprintf(want, sizeof(want), "prepare 3 %lld\n", (long long)(T0 + 5));
	assert_string_equal(lines[0], want);
	/* The next turn's batch is counted afresh. */
	for (i = 5; i < 7; i++)
		dispatch_stage(f->d, sj[i]);
	spin(f);
	assert_int_equal(read_record(f->record[0], lines, 4), 2);
	snprintf(want, sizeof(want), "prepare 2 %lld\n", (long long)(T0 + 5));
	assert_string_equal(lines[1], want);
	assert_int_equal(read_record(f->record[1], lines, 4), 0);
	for (i = 0; i < 7; i++)
		job_claim_free(sj[i]);
}

/* store_claim() callback: keep the claims, for the test to stage. */
struct claims {
	struct job_claim *sj[4];
	size_t n;
};

static void
keep_claim(void *arg, const struct job *j)
{
	struct claims *c = arg;

	if (c->n < 4)
		c->sj[c->n++] = job_claim_new(j);
}

/* The whole of a small file into buf ("" when absent). */
static const char *
slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * A reminder claimed ahead is rendered then (dispatch_prerender()), for
 * its instant: 30 s before the deadline it reads "还剩30秒".  Sent within
 * that second, that text goes; sent three seconds late, it is rendered
 * again ("还剩27秒").  An escalation, whose text lists the units still
 * missing, is never rendered ahead.
 */
static void
test_prerender_second(void **state)
{
	struct fixture *f = *state;
	struct chan_spec cs[2] = { { .mode = "ok" }, { .mode = "ok" } };
	struct claims c = { .n = 0 };
	int64_t at = T0 + 86400 - 30;	/* 30 s before deadline d */
	char path[128], buf[4096], k[2][JOB_KEY_LEN], esc[JOB_KEY_LEN];
	const char *body;
	size_t n, i;

	snprintf(path, sizeof(path), "%s/bodies.txt", f->dir);
	cs[0].bodies = path;
	open_dispatch(f, cs, -1, 0);
	f->now_us = at * 1000000LL;	/* add_job's due and next_at */
	add_job(f, JOB_REMINDER, "a", "one", 30, T0 + 86400, k[0]);
	add_job(f, JOB_REMINDER, "b", "one", 30, T0 + 86400, k[1]);
	add_job(f, JOB_ESCALATION, "a", "one", -60, T0 + 86400, esc);
	f->now_us = (at - 5) * 1000000LL;	/* claimed 5 s ahead */
	assert_int_equal(store_claim(f->st, at - 5, at, 10, NULL, 0, at + 600,
	    keep_claim, &c, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		int is_esc = strcmp(c.sj[i]->j.key, esc) == 0;

		assert_int_equal(dispatch_prerender(f->d, c.sj[i]),
		    is_esc ? -1 : 0);
		assert_int_equal(c.sj[i]->staged, !is_esc);
		assert_int_equal(c.sj[i]->body == NULL, is_esc);
		if (!is_esc)
			assert_non_null(strstr(c.sj[i]->body, "还剩30秒"));
	}
	/* Half a second into its instant: the text made ahead goes. */
	f->now_us = at * 1000000LL + 500000;
	for (i = 0; i < 3; i++)
		if (strcmp(c.sj[i]->j.key, k[0]) == 0) {
			dispatch_push(f->d, c.sj[i]);	/* ownership */
			c.sj[i] = NULL;
		}
	dispatch_pump(f->d);
	spin_until_idle(f);
	body = strstr(slurp(path, buf, sizeof(buf)), k[0]);
	assert_non_null(body);
	assert_non_null(strstr(body, "还剩30秒"));
	/* Three seconds late: made again for the second it goes in. */
	f->now_us = (at + 3) * 1000000LL;
	for (i = 0; i < 3; i++)
		if (c.sj[i] != NULL)
			dispatch_push(f->d, c.sj[i]);
	dispatch_pump(f->d);
	spin_until_idle(f);
	body = strstr(slurp(path, buf, sizeof(buf)), k[1]);
	assert_non_null(body);
	assert_non_null(strstr(body, "还剩27秒"));
	assert_null(strstr(body, "还剩30秒"));
	assert_non_null(strstr(buf, esc));
	assert_int_equal(get(f, k[1]).j.state, JOB_DELIVERED);
}

/*
 * A reload swaps the model under a job rendered ahead and still queued:
 * it goes out with the new model's text, even within its second.
 */
static void
test_swap_renders_again(void **state)
{
	struct fixture *f = *state;
	struct chan_spec cs[2] = {
		{ .mode = "ok", .concurrency = 1, .delay_ms = 200 },
		{ .mode = "ok" },
	};
	struct claims c = { .n = 0 };
	struct errlist errs = { 0 };
	struct channel_set *set = NULL;
	struct generation *g2;
	struct model *m2;
	int64_t at = T0 + 600;
	char path[128], buf[4096], k[2][JOB_KEY_LEN], *second;
	size_t n, i;

	snprintf(path, sizeof(path), "%s/bodies.txt", f->dir);
	cs[0].bodies = path;
	open_dispatch(f, cs, -1, 0);
	f->now_us = at * 1000000LL;
	add_job(f, JOB_REMINDER, "a", "one", 86400 - 600, T0 + 86400, k[0]);
	add_job(f, JOB_REMINDER, "b", "one", 86400 - 600, T0 + 86400, k[1]);
	f->now_us = (at - 5) * 1000000LL;
	assert_int_equal(store_claim(f->st, at - 5, at, 10, NULL, 0, at + 600,
	    keep_claim, &c, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(dispatch_prerender(f->d, c.sj[i]), 0);
	/* One goes out, the other waits for the slot (concurrency 1). */
	f->now_us = at * 1000000LL + 100000;
	for (i = 0; i < 2; i++)
		dispatch_push(f->d, c.sj[i]);
	dispatch_pump(f->d);
	assert_int_equal(dispatch_in_flight(f->d), 1);

	m2 = build_model(f, cs, -1, 0);
	m2->campaigns[0].deadlines[0].title = "报送联络员名单";
	assert_int_equal(channel_set_open(test_plugin_dir(), m2, f->base, 0,
	    &errs, &set), 0);
	errlist_clear(&errs);
	g2 = generation_new(m2, set, 2);
	dispatch_swap(f->d, g2);
	generation_unref(f->gen);
	f->gen = g2;
	spin_until_idle(f);
	spin_until_idle(f);

	/* The first sent before the swap, the second after it. */
	slurp(path, buf, sizeof(buf));
	assert_non_null(second = strchr(buf, '\n'));
	*second++ = '\0';
	assert_non_null(strstr(buf, "“报送名单”"));
	assert_non_null(strstr(second, "“报送联络员名单”"));
	assert_int_equal(get(f, k[0]).j.state, JOB_DELIVERED);
	assert_int_equal(get(f, k[1]).j.state, JOB_DELIVERED);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stage_prepares, setup, teardown),
	cmocka_unit_test_setup_teardown(test_prerender_second, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_swap_renders_again, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_concurrency_cap, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unknown_channel, setup, teardown),
	cmocka_unit_test_setup_teardown(test_requeue_puts_back, setup,
	    teardown),
	cmocka_unit_test(test_backoff_ms),
	cmocka_unit_test_setup_teardown(test_timeout_no_fallback, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_timed_out_falls_back, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_backoff_exhaust_fallback, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
	cmocka_unit_test_setup_teardown(test_permanent_fallback, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_quiet_hours, setup, teardown),
	cmocka_unit_test(test_quiet_until),
	cmocka_unit_test_setup_teardown(test_reminder_past_deadline, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_all_submitted_cancels_escalation,
	    setup, teardown),
	cmocka_unit_test_setup_teardown(test_submitted_cancels, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_saturated_channel, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	cmocka_unit_test_setup_teardown(test_merge_per_person, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_merge_off, setup, teardown),
	cmocka_unit_test_setup_teardown(test_merge_emergency, setup, teardown),
	cmocka_unit_test_setup_teardown(test_merge_permanent, setup, teardown),
	cmocka_unit_test(test_tbucket_give),
	cmocka_unit_test(test_model_index),
	cmocka_unit_test_setup_teardown(test_emergency_slots_busy, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_emergency_lane_width, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_emergency_overdraws_bucket, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_emergency_never_merged, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_emergency_late_quiet_no_fallback,
	    setup, teardown),
	cmocka_unit_test_setup_teardown(test_lease_expired_fenced, setup,
	    teardown),
};

UNIT_MAIN(tests)
