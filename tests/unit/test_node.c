/*
 * test_node.c - this process as a node (core/node.c) over a real SQLite
 * store in a temp dir, on a clock the test moves by hand: the heartbeat
 * row, lease renewal every third of a lease, the local lease judgement
 * the dispatcher's fencing asks, and reaping once a lease ran out.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "node.h"
#include "store.h"
#include "store_cluster.h"

#define T0 1700000000
#define LEASE 300

struct fixture {
	char dir[64];
	int64_t now_us;
	struct store *st;
	struct node *n;
	uint64_t held;
	size_t reaped;
};

static int64_t
fake_now(void *arg)
{
	return ((struct fixture *)arg)->now_us;
}

static uint64_t
on_held(void *arg)
{
	return ((struct fixture *)arg)->held;
}

static void
on_reaped(void *arg, size_t n)
{
	((struct fixture *)arg)->reaped += n;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sched_clock clock = { fake_now, f };
	struct node_hooks hooks = { .held = on_held, .reaped = on_reaped,
	    .arg = f };
	char url[128], err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_node.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->now_us = (int64_t)T0 * 1000000;
	/* No event base: the test runs the timer's work itself. */
	f->n = node_new(NULL, &clock);
	snprintf(url, sizeof(url), "sqlite:%s/herald.db", f->dir);
	if (store_open(url, node_id(f->n), &f->st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	node_set_config(f->n, 3, "0123456789abcdef", LEASE);
	if (node_start(f->n, f->st, LEASE, &hooks) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	node_free(f->n);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
at(struct fixture *f, int64_t t)
{
	f->now_us = t * 1000000;
}

struct nodes {
	size_t n;
	struct store_node v[4];
	char id[4][40], host[4][64], config[4][20];
};

static void
on_node(void *arg, const struct store_node *sn)
{
	struct nodes *ns = arg;

	if (ns->n >= 4)
		return;
	ns->v[ns->n] = *sn;
	snprintf(ns->id[ns->n], sizeof(ns->id[0]), "%s", sn->id);
	snprintf(ns->host[ns->n], sizeof(ns->host[0]), "%s", sn->host);
	snprintf(ns->config[ns->n], sizeof(ns->config[0]), "%s",
	    sn->config != NULL ? sn->config : "");
	ns->n++;
}

/* A UUID per node, the store's owner; its row says who and how it runs,
 * and each tick moves its beat. */
static void
test_node_heartbeat(void **state)
{
	struct fixture *f = *state;
	struct nodes ns = { 0 };
	struct store_node self;
	char host[64];
	const char *id = node_id(f->n);

	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '4');		/* version 4: random */
	assert_string_equal(store_owner(f->st), id);
	assert_int_equal(store_nodes(f->st, 0, on_node, &ns), 0);
	assert_int_equal(ns.n, 1);		/* node_start() beat once */
	assert_string_equal(ns.id[0], id);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(ns.host[0], host);
	assert_int_equal(ns.v[0].pid, (long)getpid());
	assert_int_equal(ns.v[0].started, T0);
	assert_int_equal(ns.v[0].last_beat, T0);
	assert_int_equal(ns.v[0].generation, 3);
	assert_string_equal(ns.config[0], "0123456789abcdef");

	f->held = 42;
	at(f, T0 + 5);
	assert_int_equal(node_tick(f->n), 0);
	memset(&ns, 0, sizeof(ns));
	assert_int_equal(store_nodes(f->st, T0 + 1, on_node, &ns), 0);
	assert_int_equal(ns.n, 1);
	assert_int_equal(ns.v[0].last_beat, T0 + 5);
	assert_int_equal(ns.v[0].in_flight, 42);
	node_self(f->n, &self);
	assert_int_equal(self.last_beat, T0 + 5);
	assert_int_equal(self.in_flight, 42);

	/* Another node's id: a new process start is a new node. */
	{
		struct node *other = node_new(NULL, NULL);

		assert_string_not_equal(node_id(other), id);
		node_free(other);
	}
}

static void
on_claim(void *arg, const struct job *j)
{
	*(int64_t *)arg = j->lease_until;
}

static int64_t
claim_one(struct fixture *f, const char *contact)
{
	struct job j;
	int64_t lease = 0, now = f->now_us / 1000000;
	size_t n = 0;

	memset(&j, 0, sizeof(j));
	j.kind = JOB_REMINDER;
	j.priority = job_kind_priority(j.kind);
	j.campaign = "c";
	j.item = "d";
	j.offset = 60;
	j.contact = contact;
	j.channel = "email";
	j.due = j.next_at = now;
	j.item_at = now + 86400;
	job_make_key(j.key, j.campaign, j.item, j.kind, j.offset, j.contact,
	    j.channel);
	assert_int_equal(store_insert(f->st, &j), 0);
	assert_int_equal(store_claim(f->st, now, now, 10, NULL, 0, now + LEASE,
	    on_claim, &lease, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lease, now + LEASE);
	return lease;
}

static size_t
inflight(struct fixture *f)
{
	size_t counts[JOB_STATE_COUNT];

	assert_int_equal(store_count_states(f->st, counts), 0);
	return counts[JOB_INFLIGHT];
}

/*
 * Renewals every third of a lease keep a claimed job held past its own
 * lease; a node that missed renewing until its horizon passed has lost
 * the jobs that hung on it, even once it renews again, and reaping puts
 * them back to pending.
 */
static void
test_node_lease_chain(void **state)
{
	struct fixture *f = *state;
	int64_t l1, l2;

	at(f, T0 + 10);
	l1 = claim_one(f, "a");			/* T0 + 310 */
	assert_int_equal(node_lease_until(f->n, l1), T0 + 310);
	/* Not yet a third of a lease since the renewal at T0. */
	at(f, T0 + 60);
	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_lease_until(f->n, l1), T0 + 310);
	at(f, T0 + 100);
	assert_int_equal(node_tick(f->n), 0);	/* renewed to T0 + 400 */
	assert_int_equal(node_lease_until(f->n, l1), T0 + 400);
	at(f, T0 + 250);
	assert_int_equal(node_tick(f->n), 0);	/* renewed to T0 + 550 */
	assert_int_equal(node_lease_until(f->n, l1), T0 + 550);
	assert_int_equal(inflight(f), 1);

	/* The node stalls (or cannot reach its store) past T0 + 550: the
	 * job is no longer its to send, and the next tick does not bring
	 * it back. */
	at(f, T0 + 700);
	assert_true(f->now_us / 1000000 > node_lease_until(f->n, l1));
	l2 = claim_one(f, "b");			/* T0 + 1000, after the gap */
	assert_int_equal(f->reaped, 0);
	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_lease_until(f->n, l1), T0 + 310);
	assert_int_equal(node_lease_until(f->n, l2), T0 + 1000);
	/* The store agrees: l1's row was reaped to pending, l2 is held. */
	assert_int_equal(f->reaped, 1);
	assert_int_equal(inflight(f), 1);
	at(f, T0 + 800);
	assert_int_equal(node_tick(f->n), 0);	/* renewed to T0 + 1100 */
	assert_int_equal(node_lease_until(f->n, l2), T0 + 1100);
	assert_int_equal(node_lease_until(f->n, l1), T0 + 310);
}

/* Another node's beat, written as it would write it. */
static void
beat_other(struct fixture *f, const char *id, int64_t t)
{
	struct store_node o = { .id = id, .host = "elsewhere", .pid = 1,
	    .started = T0, .generation = 3, .config = "0123456789abcdef",
	    .last_beat = t };

	assert_int_equal(store_node_beat(f->st, &o, 0), 0);
}

/*
 * A launch is shared between the nodes that beat in the last three
 * beats (node_share()), ranked by id; a node silent longer, or one that
 * left, no longer counts; a node that leaves takes its row and stops
 * beating.
 */
static void
test_node_share_leave(void **state)
{
	struct fixture *f = *state;
	struct nodes ns = { 0 };
	const char *id = node_id(f->n);
	unsigned rank = 0;
	int64_t t = T0 + NODE_BEAT_SECONDS;

	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_share(f->n, &rank), 1);
	assert_int_equal(rank, 1);
	/* Two others: one ordered before every UUID, one after. */
	beat_other(f, "00000000-0000-4000-8000-000000000000", t);
	beat_other(f, "ffffffff-ffff-4fff-bfff-ffffffffffff", t);
	at(f, t);
	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_share(f->n, &rank), 3);
	assert_int_equal(rank, 2);
	/* The first leaves; the last goes silent: after three beats it
	 * no longer counts, though still listed live for a while. */
	assert_int_equal(store_node_leave(f->st,
	    "00000000-0000-4000-8000-000000000000"), 0);
	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_share(f->n, &rank), 2);
	assert_int_equal(rank, 1);
	at(f, t + 3 * NODE_BEAT_SECONDS + 1);
	assert_int_equal(node_tick(f->n), 0);
	assert_int_equal(node_share(f->n, &rank), 1);
	assert_int_equal(rank, 1);

	/* This node leaves: its row goes, the other's stays. */
	assert_int_equal(node_leave(f->n), 0);
	assert_int_equal(store_nodes(f->st, 0, on_node, &ns), 0);
	assert_int_equal(ns.n, 1);
	assert_string_not_equal(ns.id[0], id);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_node_heartbeat),
	T(test_node_lease_chain),
	T(test_node_share_leave),
};

UNIT_MAIN(tests)
