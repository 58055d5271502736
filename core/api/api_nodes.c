/*
 * api_nodes.c - the nodes in GET /v1/status: this node ("node") and every
 * live node from the heartbeat rows ("nodes"), each flagged when it runs
 * another config than this one (node.h).
 *
 * Apart from api_status.c because the rows come from the store and the
 * same node may be asked about by /metrics (metrics_nodes.c).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api_internal.h"
#include "engine.h"
#include "node.h"
#include "store.h"
#include "store_cluster.h"

json_t *
api_status_node(struct engine *e, const char *zone)
{
	struct store_node self;

	node_self(engine_node(e), &self);
	return json_pack("{s:s,s:s,s:I,s:o,s:I,s:o,s:o}", "id", self.id,
	    "host", self.host, "pid", (json_int_t)self.pid,
	    "started", api_json_time(self.started, zone),
	    "generation", (json_int_t)self.generation,
	    "config", self.config != NULL ? json_string(self.config) :
	    json_null(),
	    "last_beat", api_json_time(self.last_beat, zone));
}

struct api_nodes_arg {
	json_t *list;
	const struct node *self;
	const char *zone;
};

/* node_live()'s callback: one entry of "nodes". */
static void
api_nodes_add(void *arg, const struct store_node *o)
{
	struct api_nodes_arg *a = arg;
	const char *self_id = node_id(a->self);

	json_array_append_new(a->list, json_pack("{s:s,s:s,s:I,s:o,s:o,s:I,"
	    "s:I,s:o,s:b,s:b}", "id", o->id, "host", o->host,
	    "pid", (json_int_t)o->pid,
	    "started", api_json_time(o->started, a->zone),
	    "last_beat", api_json_time(o->last_beat, a->zone),
	    "in_flight", (json_int_t)o->in_flight,
	    "generation", (json_int_t)o->generation,
	    "config", o->config != NULL ? json_string(o->config) : json_null(),
	    "self", strcmp(o->id, self_id) == 0,
	    "differs", node_differs(a->self, o)));
}

json_t *
api_status_nodes(struct engine *e, const char *zone, char *err, size_t len)
{
	struct api_nodes_arg a = { json_array(), engine_node(e), zone };

	if (node_live(a.self, api_nodes_add, &a) == -1) {
		snprintf(err, len, "store: %s", store_error(engine_store(e)));
		json_decref(a.list);
		return NULL;
	}
	return a.list;
}
