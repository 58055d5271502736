/*
 * metrics_nodes.c - the nodes' part of GET /metrics (doc/metrics.txt,
 * "Nodes"): one series per live node, labelled with its id and host,
 * read from the heartbeat rows at each scrape, so that any node's
 * /metrics shows the whole cluster.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "engine.h"
#include "metrics.h"
#include "node.h"
#include "store_cluster.h"
#include "xmalloc.h"

/* A live node's values; strings owned. */
struct metrics_node {
	char *id, *host;
	int64_t last_beat;
	uint64_t in_flight;
	int differs;
};

struct metrics_nodes {
	struct metrics_node *v;
	size_t n;
	const struct node *self;
};

static void
metrics_nodes_add(void *arg, const struct store_node *o)
{
	struct metrics_nodes *a = arg;
	struct metrics_node *mn;

	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	mn = &a->v[a->n++];
	mn->id = xstrdup(o->id);
	mn->host = xstrdup(o->host);
	mn->last_beat = o->last_beat;
	mn->in_flight = o->in_flight;
	mn->differs = node_differs(a->self, o);
}

/* name{node="ID",host="HOST"} v of every node. */
static void
metrics_nodes_family(struct evbuffer *b, const struct metrics_nodes *a,
    const char *name, const char *help, int what)
{
	int64_t v;

	metrics_family(b, name, "gauge", help);
	for (size_t i = 0; i < a->n; i++) {
		const struct metrics_node *mn = &a->v[i];

		v = what == 0 ? (int64_t)mn->in_flight : what == 1 ?
		    mn->last_beat : mn->differs;
		evbuffer_add_printf(b, "%s{node=\"", name);
		metrics_label(b, mn->id);
		evbuffer_add_printf(b, "\",host=\"");
		metrics_label(b, mn->host);
		evbuffer_add_printf(b, "\"} %" PRId64 "\n", v);
	}
}

int
metrics_nodes(struct evbuffer *b, struct engine *e)
{
	struct metrics_nodes a = { NULL, 0, engine_node(e) };

	if (node_live(a.self, metrics_nodes_add, &a) == -1)
		return -1;
	metrics_single(b, "herald_nodes_live", "gauge",
	    "Nodes whose heartbeat is at most 30 s old.", (int64_t)a.n);
	metrics_nodes_family(b, &a, "herald_node_in_flight",
	    "Jobs a node held (claimed, queued, sending) at its last "
	    "heartbeat.", 0);
	metrics_nodes_family(b, &a, "herald_node_last_beat_seconds",
	    "Unix time of a node's last heartbeat.", 1);
	metrics_nodes_family(b, &a, "herald_node_config_differs",
	    "1 when a node runs another config than the node scraped.", 2);
	for (size_t i = 0; i < a.n; i++) {
		free(a.v[i].id);
		free(a.v[i].host);
	}
	free(a.v);
	return 0;
}
