/*
 * node.c - this process as a node of herald (see node.h).
 *
 * A timer on the loop beats every few seconds: the heartbeat row, the
 * lease renewal when due, and reaping leases that ran out (the jobs of a
 * dead node, or this node's own after it fenced itself).  Failures go
 * to the store hook (the engine reports the store's health once for all
 * its parts), or without one are logged here, once per change between
 * failing and working, as the scheduler does.
 */
#include "node.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "log.h"
#include "store.h"
#include "store_cluster.h"
#include "xmalloc.h"

struct node {
	struct event_base *base;
	struct sched_clock clock;
	struct store *st;		/* borrowed, from node_start() */
	struct node_hooks hooks;
	struct event *timer;
	char id[37];
	char host[64];
	long pid;
	int64_t started;
	unsigned generation;
	char digest[17];
	int64_t lease;			/* seconds */
	int64_t last_beat;		/* of the last beat written */
	uint64_t in_flight;		/* held at the last beat */
	/* The lease chain (node.h): the horizon of the last renewal, when
	 * it was made, and when the current unbroken chain began. */
	int64_t renewed_until;
	int64_t renewed_at;
	int64_t chain_start;
	int failing;			/* the last round failed */
	unsigned share_of, share_rank;	/* node_share(), last round */
};

static int64_t
node_now(const struct node *n)
{
	return sched_clock_now(&n->clock) / 1000000;
}

/* Caller owns the result (node_free()). */
struct node *
node_new(struct event_base *base, const struct sched_clock *clock)
{
	struct node *n = xcalloc(1, sizeof(*n));
	uuid_t u;

	n->base = base;
	if (clock != NULL)
		n->clock = *clock;
	uuid_generate(u);
	uuid_unparse_lower(u, n->id);
	if (gethostname(n->host, sizeof(n->host)) == -1)
		snprintf(n->host, sizeof(n->host), "localhost");
	n->host[sizeof(n->host) - 1] = '\0';
	n->pid = (long)getpid();
	n->started = node_now(n);
	n->generation = 1;
	n->lease = 300;
	n->share_of = n->share_rank = 1;
	return n;
}

const char *
node_id(const struct node *n)
{
	return n->id;
}

void
node_set_config(struct node *n, unsigned generation, const char *digest,
    int64_t lease)
{
	n->generation = generation;
	snprintf(n->digest, sizeof(n->digest), "%s",
	    digest != NULL ? digest : "");
	if (lease > 0)
		n->lease = lease;
}

int64_t
node_lease_until(const struct node *n, int64_t claimed_until)
{
	/* Alive when the chain began: every renewal since extended it. */
	if (claimed_until >= n->chain_start && n->renewed_until > claimed_until)
		return n->renewed_until;
	return claimed_until;
}

void
node_self(const struct node *n, struct store_node *out)
{
	memset(out, 0, sizeof(*out));
	out->id = n->id;
	out->host = n->host;
	out->pid = n->pid;
	out->started = n->started;
	out->generation = n->generation;
	out->config = n->digest[0] != '\0' ? n->digest : NULL;
	out->last_beat = n->last_beat;
	out->in_flight = n->in_flight;
}

/* Renew when a third of the lease has passed since the last renewal. */
static int
node_renew(struct node *n, int64_t now)
{
	int64_t until = now + n->lease;

	if (n->renewed_at != 0 && now - n->renewed_at < n->lease / 3)
		return 0;
	if (store_lease_renew(n->st, now, until, NULL) == -1)
		return -1;
	/* The last horizon passed before this renewal: the jobs that hung
	 * on it were not extended; a new chain begins. */
	if (n->renewed_until < now)
		n->chain_start = now;
	n->renewed_until = until;
	n->renewed_at = now;
	return 0;
}

static struct timeval node_interval(const struct node *n);

/* store_nodes() callback: count the nodes and those ordered before us. */
struct node_count {
	const char *self;
	unsigned of, before;
};

static void
node_count_one(void *arg, const struct store_node *o)
{
	struct node_count *c = arg;

	c->of++;
	if (strcmp(o->id, c->self) < 0)
		c->before++;
}

/* Who shares the due work now (node_share()). */
static int
node_count(struct node *n, int64_t now)
{
	struct node_count c = { n->id, 0, 0 };

	if (store_nodes(n->st, now - 3 * node_interval(n).tv_sec,
	    node_count_one, &c) == -1)
		return -1;
	/* Our own row was just written; a clock far off could leave it out
	 * of the window. */
	n->share_of = c.of > 0 ? c.of : 1;
	n->share_rank = c.of > 0 ? c.before + 1 : 1;
	return 0;
}

unsigned
node_share(const struct node *n, unsigned *rank)
{
	if (rank != NULL)
		*rank = n->share_rank;
	return n->share_of;
}

int
node_tick(struct node *n)
{
	struct store_node self;
	int64_t now = node_now(n);
	size_t reaped = 0;
	const char *what;
	char err[600];

	n->in_flight = n->hooks.held != NULL ? n->hooks.held(n->hooks.arg) : 0;
	node_self(n, &self);
	self.last_beat = now;
	what = "heartbeat";
	if (store_node_beat(n->st, &self, now - NODE_FORGET_SECONDS) == -1)
		goto fail;
	n->last_beat = now;
	what = "lease renewal";
	if (node_renew(n, now) == -1)
		goto fail;
	what = "lease reaping";
	if (store_lease_reap(n->st, now, &reaped) == -1)
		goto fail;
	what = "node count";
	if (node_count(n, now) == -1)
		goto fail;
	if (n->failing && n->hooks.store != NULL)
		n->hooks.store(n->hooks.arg, NULL);
	else if (n->failing)
		log_notice("node %s: the store answers again", n->id);
	n->failing = 0;
	if (reaped > 0) {
		log_notice("node %s: %zu jobs whose lease ran out are pending "
		    "again", n->id, reaped);
		if (n->hooks.reaped != NULL)
			n->hooks.reaped(n->hooks.arg, reaped);
	}
	if (n->hooks.beat != NULL)
		n->hooks.beat(n->hooks.arg);
	return 0;
fail:
	if (!n->failing && n->hooks.store != NULL) {
		snprintf(err, sizeof(err), "%s: %s", what, store_error(n->st));
		n->hooks.store(n->hooks.arg, err);
	} else if (!n->failing)
		log_warnx("node %s: %s: %s; leases held until %lld", n->id,
		    what, store_error(n->st), (long long)n->renewed_until);
	n->failing = 1;
	return -1;
}

/* Every NODE_BEAT_SECONDS, or every third of a short lease, so that a
 * renewal always comes before the last one's horizon. */
static struct timeval
node_interval(const struct node *n)
{
	struct timeval tv = { NODE_BEAT_SECONDS, 0 };

	if (n->lease / 3 < NODE_BEAT_SECONDS)
		tv.tv_sec = n->lease / 3 > 1 ? n->lease / 3 : 1;
	return tv;
}

static void
node_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	node_tick(n);
	tv = node_interval(n);
	evtimer_add(n->timer, &tv);
}

int
node_start(struct node *n, struct store *st, int64_t lease,
    const struct node_hooks *hooks)
{
	struct timeval tv;

	n->st = st;
	if (lease > 0)
		n->lease = lease;
	if (hooks != NULL)
		n->hooks = *hooks;
	node_tick(n);
	/* Without a loop (tests) the caller runs node_tick() itself. */
	if (n->base == NULL)
		return 0;
	if ((n->timer = evtimer_new(n->base, node_on_timer, n)) == NULL)
		return -1;
	tv = node_interval(n);
	evtimer_add(n->timer, &tv);
	return 0;
}

int
node_live(const struct node *n, void (*fn)(void *arg,
    const struct store_node *o), void *arg)
{
	return store_nodes(n->st, node_now(n) - NODE_LIVE_SECONDS, fn, arg);
}

int
node_differs(const struct node *n, const struct store_node *o)
{
	if (n->digest[0] != '\0' && o->config != NULL && *o->config != '\0')
		return strcmp(n->digest, o->config) != 0;
	return n->generation != o->generation;
}

int
node_leave(struct node *n)
{
	if (n->timer != NULL)
		evtimer_del(n->timer);
	if (n->st == NULL)
		return 0;
	return store_node_leave(n->st, n->id);
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	if (n->timer != NULL)
		event_free(n->timer);
	free(n);
}
