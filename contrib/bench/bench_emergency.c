/*
 * bench_emergency.c - issue 14: how fast a wave of emergency alerts gets
 * through the dispatcher, alone and behind a backlog of reminders on the
 * same channel.
 *
 *   bench_emergency PLUGIN_DIR [RECIPIENTS] [BACKLOG] [CONCURRENCY]
 *
 * PLUGIN_DIR holds the test plugin "flaky" (BUILD/tests/plugins/.libs),
 * which answers every send at once.  One channel, concurrency 4 unless
 * told, no rate limit; RECIPIENTS contacts (default 1,000); a fresh
 * SQLite store in a temp dir.  Two runs:
 *
 *   alone    the wave on an idle channel;
 *   backlog  BACKLOG reminders (default 10,000) claimed and queued on the
 *            channel, their sends already flowing, then the wave.
 *
 * The wave is what a trigger does (issue 14): one emergency job per
 * recipient inserted in one transaction, claimed (store_claim_urgent(),
 * as the scheduler does first), pushed and pumped; then the loop runs
 * until every alert was handed to the plugin.  Printed per run: the
 * insert, the first alert's and the last alert's hand-off, each from the
 * start of the insert (the trigger), and how many reminders were handed
 * off between the trigger and the last alert (the sends in flight at the
 * trigger are not counted: they were handed off before it).  Not part of the build:
 * contrib/bench/Makefile builds it against a build dir's libherald.a.
 */
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "channel_set.h"
#include "dispatch.h"
#include "errlist.h"
#include "generation.h"
#include "job.h"
#include "model.h"
#include "store.h"

#define BENCH_T_DUE 4102444800	/* 2100-01-01: the reminders' deadline */

struct bench {
	struct event_base *base;
	struct store *st;
	struct dispatch *d;
	struct generation *g;
	size_t n_alerts, n_reminders;	/* handed off, this run */
	size_t reminders_at_trigger;
	size_t reminders_at_last;	/* handed when the last alert was */
	int64_t t_trigger, t_first, t_last;	/* us, CLOCK_REALTIME */
	size_t want;
	int triggered;
};

static int64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The dispatcher's hand-off hook: count, and time the alerts. */
static void
bench_sent(void *arg, const struct job_claim *sj, const char *region,
    int64_t handoff_us)
{
	struct bench *b = arg;

	(void)region;
	if (sj->j.kind != JOB_EMERGENCY) {
		b->n_reminders++;
		return;
	}
	if (b->n_alerts++ == 0)
		b->t_first = handoff_us;
	b->t_last = handoff_us;
	b->reminders_at_last = b->n_reminders;
}

/* The model: n contacts on channel "fast" (flaky, answers at once), one
 * campaign with a deadline (the reminders) and a plan (the alerts).
 * Caller owns the result (model_free()). */
static struct model *
bench_model(const char *dir, size_t n, unsigned conc)
{
	struct arena *a = arena_new();
	struct model *m = arena_alloc(a, sizeof(*m));
	struct model_channel *ch;
	struct model_campaign *c;
	struct model_deadline *dl;
	struct herald_setting *s;
	const struct model_channel **prefer;
	const struct model_contact **aud;

	memset(m, 0, sizeof(*m));
	m->arena = a;
	m->daemon.base_dir = arena_strdup(a, dir);
	m->daemon.timezone = "Asia/Shanghai";
	model_engine_defaults(&m->daemon.engine);

	m->channels = ch = arena_alloc(a, sizeof(*ch));
	memset(ch, 0, sizeof(*ch));
	m->n_channels = 1;
	ch->loc.file = "bench.conf";
	ch->loc.line = 1;
	ch->name = "fast";
	ch->plugin = "flaky";
	ch->concurrency = conc;
	ch->conf.name = "fast";
	ch->conf.plugin = "flaky";
	ch->conf.file = "bench.conf";
	ch->conf.line = 1;
	ch->conf.base_dir = m->daemon.base_dir;
	s = arena_alloc(a, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->name = "mode";
	s->type = HERALD_SETTING_STRING;
	s->str = "ok";
	s->file = "bench.conf";
	s->line = 2;
	ch->conf.settings = s;
	ch->conf.n_settings = 1;
	prefer = arena_alloc(a, sizeof(*prefer));
	prefer[0] = ch;

	m->contacts = arena_alloc(a, n * sizeof(*m->contacts));
	memset(m->contacts, 0, n * sizeof(*m->contacts));
	m->n_contacts = n;
	aud = arena_alloc(a, n * sizeof(*aud));
	for (size_t i = 0; i < n; i++) {
		char id[24];

		snprintf(id, sizeof(id), "p%06zu", i);
		m->contacts[i].id = arena_strdup(a, id);
		m->contacts[i].name = "张丽";
		m->contacts[i].prefer = prefer;
		m->contacts[i].n_prefer = 1;
		aud[i] = &m->contacts[i];
	}

	m->campaigns = c = arena_alloc(a, sizeof(*c));
	memset(c, 0, sizeof(*c));
	m->n_campaigns = 1;
	c->id = "c";
	c->title = "促销活动";
	c->timezone = "Asia/Shanghai";
	c->deadlines = dl = arena_alloc(a, sizeof(*dl));
	memset(dl, 0, sizeof(*dl));
	c->n_deadlines = 1;
	dl->id = "d";
	dl->title = "报送名单";
	dl->due.text = "2100-01-01 08:00";
	dl->due.at = BENCH_T_DUE;
	dl->audience.contacts = aud;
	dl->audience.n = n;
	c->plans = arena_alloc(a, sizeof(*c->plans));
	memset(c->plans, 0, sizeof(*c->plans));
	c->n_plans = 1;
	c->plans[0].id = "stampede";
	c->plans[0].title = "促销场所踩踏事故应急预案";
	c->plans[0].level = 1;
	c->plans[0].steps = "疏散";
	model_index(m);
	return m;
}

/* Insert one job per contact (or per i of n for reminders) due now, in
 * one transaction.  Returns 0 or -1. */
static int
bench_insert(struct bench *b, const struct model *m, enum job_kind kind,
    size_t n)
{
	struct job j;
	int64_t now = bench_now_us() / 1000000;

	if (store_begin(b->st) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		memset(&j, 0, sizeof(j));
		j.kind = kind;
		j.priority = job_kind_priority(kind);
		j.campaign = "c";
		j.item = kind == JOB_EMERGENCY ? "stampede" : "d";
		j.offset = kind == JOB_EMERGENCY ? 0 : (int64_t)(i + 1);
		j.contact = m->contacts[i % m->n_contacts].id;
		j.channel = "fast";
		j.due = j.next_at = now;
		j.item_at = kind == JOB_EMERGENCY ? 0 : BENCH_T_DUE;
		job_make_key(j.key, j.campaign, j.item, j.kind, j.offset,
		    j.contact, j.channel);
		if (store_insert(b->st, &j) == -1)
			return -1;
	}
	return store_commit(b->st);
}

static void
bench_push(void *arg, const struct job *j)
{
	struct bench *b = arg;

	dispatch_push(b->d, job_claim_new(j));
}

/* One loop iteration's worth: flushes, plugin answers. */
static void
bench_turn(struct bench *b)
{
	event_base_loop(b->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int
bench_run(const char *plugins, size_t n, size_t backlog, unsigned conc,
    const char *name)
{
	struct bench b;
	struct dispatch_hooks hooks = { .sent = bench_sent };
	struct errlist errs = { 0 };
	struct channel_set *cs = NULL;
	struct model *m;
	char dir[] = "/tmp/bench_emergency.XXXXXX", url[128], err[256];
	char cmd[128];
	size_t claimed = 0;
	int64_t t_inserted, now;

	memset(&b, 0, sizeof(b));
	hooks.arg = &b;
	if (mkdtemp(dir) == NULL || (b.base = event_base_new()) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/herald.db", dir);
	if (store_open(url, "bench", &b.st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	m = bench_model(dir, n, conc);
	if (channel_set_open(plugins, m, b.base, 0, &errs, &cs) == -1 ||
	    errs.n_errors > 0) {
		fprintf(stderr, "channel set: the flaky plugin in %s?\n",
		    plugins);
		return -1;
	}
	errlist_clear(&errs);
	b.g = generation_new(m, cs, 1);
	if (dispatch_open(b.base, b.st, NULL, b.g, &hooks, &b.d) == -1)
		return -1;

	if (backlog > 0) {
		now = bench_now_us() / 1000000;
		if (bench_insert(&b, m, JOB_REMINDER, backlog) == -1 ||
		    store_claim(b.st, now, now, backlog, NULL, 0, now + 600,
		    bench_push, &b, &claimed) == -1)
			goto store_failed;
		/* Every ordinary slot taken by a reminder: with a plugin
		 * that answers at once, one turn of the loop would commit
		 * and send the whole backlog. */
		dispatch_pump(b.d);
	}
	b.reminders_at_trigger = b.n_reminders;

	b.t_trigger = bench_now_us();
	if (bench_insert(&b, m, JOB_EMERGENCY, n) == -1)
		goto store_failed;
	t_inserted = bench_now_us();
	now = t_inserted / 1000000;
	if (store_claim_urgent(b.st, now, now, n, now + 600, bench_push, &b,
	    &claimed) == -1)
		goto store_failed;
	dispatch_pump(b.d);
	for (long i = 0; b.n_alerts < n && i < 10000000; i++)
		bench_turn(&b);

	printf("%-8s recipients %zu  backlog %zu (queued %zu at trigger)  "
	    "concurrency %u\n", name, n, backlog,
	    backlog - b.reminders_at_trigger, conc);
	printf("         insert %.1f ms  first alert %.1f ms  last alert "
	    "%.1f ms  (%zu handed)  reminders handed meanwhile %zu\n",
	    (double)(t_inserted - b.t_trigger) / 1000,
	    (double)(b.t_first - b.t_trigger) / 1000,
	    (double)(b.t_last - b.t_trigger) / 1000, b.n_alerts,
	    b.reminders_at_last - b.reminders_at_trigger);

	dispatch_requeue(b.d);
	for (int i = 0; i < 1000 && dispatch_in_flight(b.d) > 0; i++)
		bench_turn(&b);
	dispatch_free(b.d);
	generation_unref(b.g);
	store_close(b.st);
	event_base_free(b.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
store_failed:
	fprintf(stderr, "store: %s\n", store_error(b.st));
	return -1;
}

int
main(int argc, char **argv)
{
	size_t n = 1000, backlog = 10000;
	unsigned conc = 4;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_emergency PLUGIN_DIR "
		    "[RECIPIENTS] [BACKLOG] [CONCURRENCY]\n");
		return 2;
	}
	if (argc > 2)
		n = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		backlog = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		conc = (unsigned)strtoul(argv[4], NULL, 10);
	if (n == 0 || conc == 0)
		return 2;
	if (bench_run(argv[1], n, 0, conc, "alone") == -1 ||
	    bench_run(argv[1], n, backlog, conc, "backlog") == -1)
		return 1;
	return 0;
}
