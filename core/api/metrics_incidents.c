/*
 * metrics_incidents.c - the incidents' part of GET /metrics
 * (doc/metrics.txt, "Incidents").
 *
 * Everything is read from the store at each scrape (store_incident_stats()
 * and store_incident_sends()), not counted here: the counters and
 * histograms then carry on across a restart, as the incidents they count
 * do, and a drill is told from a real incident by the drill label on
 * every series.  The store keeps what cannot change (an incident's first
 * alert once delivered, the deliveries up to the last job event read),
 * so only the first scrape after a start reads every incident job (1.4 s
 * for 200,000 of them on the test machine; 15 ms per scrape after).
 *
 * The store keeps instants in whole seconds, so the durations are whole
 * seconds too: "le=1" of the first-alert histogram holds the incidents
 * alerted within the second of their trigger.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "engine.h"
#include "metrics.h"
#include "model.h"
#include "store.h"
#include "xmalloc.h"

/* Trigger -> first delivered alert; the target is well under a second. */
static const int64_t metrics_first_alert_bounds[] = {
	1, 2, 5, 10, 30, 60, 120, 300, 600
};
#define METRICS_FIRST_ALERT_N (sizeof(metrics_first_alert_bounds) / \
	sizeof(metrics_first_alert_bounds[0]))
/* Trigger -> someone took charge: minutes, a repeat or two. */
static const int64_t metrics_ack_bounds[] = {
	30, 60, 120, 300, 600, 900, 1800, 3600, 7200
};
#define METRICS_ACK_N (sizeof(metrics_ack_bounds) / \
	sizeof(metrics_ack_bounds[0]))

/* The trigger's doors always listed, zeros included. */
static const char *const metrics_doors[] = { "api", "alertmanager" };
#define METRICS_N_DOORS (sizeof(metrics_doors) / sizeof(metrics_doors[0]))

struct metrics_hist {
	uint64_t bucket[16];	/* at least the bounds + 1 */
	uint64_t count;
	int64_t sum;
};

/* A counted (door or channel, kind, drill); name owned. */
struct metrics_row {
	char *name;
	const char *kind;	/* static: "alert", "ack", "close" */
	int drill;
	uint64_t n;
};

/* One scrape's numbers; rows owned, freed by metrics_inc_free(). */
struct metrics_inc {
	uint64_t open[2][2];	/* [state open/acked][drill] */
	struct metrics_row *doors, *sends;
	size_t n_doors, n_sends;
	struct metrics_hist first[2], ack[2];	/* [drill] */
};

/* The row of (name, kind, drill) in *rows, added with n = 0 if new. */
static struct metrics_row *
metrics_row(struct metrics_row **rows, size_t *n, const char *name,
    const char *kind, int drill)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*rows)[i].name, name) == 0 &&
		    strcmp((*rows)[i].kind, kind) == 0 &&
		    (*rows)[i].drill == drill)
			return &(*rows)[i];
	*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
	(*rows)[*n].name = xstrdup(name);
	(*rows)[*n].kind = kind;
	(*rows)[*n].drill = drill;
	(*rows)[*n].n = 0;
	return &(*rows)[(*n)++];
}

static void
metrics_hist_add(struct metrics_hist *h, const int64_t *bounds, size_t n,
    int64_t v)
{
	size_t i;

	if (v < 0)	/* a clock stepped back: count it as immediate */
		v = 0;
	for (i = 0; i < n && v > bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

static void
metrics_inc_stat(void *arg, const struct store_incident_stat *st)
{
	struct metrics_inc *mi = arg;
	int d = st->drill ? 1 : 0;

	if (st->state == STORE_INCIDENT_OPEN ||
	    st->state == STORE_INCIDENT_ACKED)
		mi->open[st->state == STORE_INCIDENT_ACKED][d]++;
	metrics_row(&mi->doors, &mi->n_doors, st->source != NULL ?
	    st->source : "api", "", d)->n++;
	if (st->first_alert_at > 0)
		metrics_hist_add(&mi->first[d], metrics_first_alert_bounds,
		    METRICS_FIRST_ALERT_N, st->first_alert_at - st->created_at);
	if (st->acked_at > 0)
		metrics_hist_add(&mi->ack[d], metrics_ack_bounds,
		    METRICS_ACK_N, st->acked_at - st->created_at);
}

static void
metrics_inc_send(void *arg, const char *kind, const char *channel, int drill,
    uint64_t n)
{
	struct metrics_inc *mi = arg;
	const char *k;

	if (strcmp(kind, "emergency") == 0)
		k = "alert";
	else if (strcmp(kind, "incident-ack") == 0)
		k = "ack";
	else if (strcmp(kind, "incident-close") == 0)
		k = "close";
	else
		return;
	metrics_row(&mi->sends, &mi->n_sends, channel != NULL ? channel : "",
	    k, drill ? 1 : 0)->n += n;
}

static void
metrics_inc_free(struct metrics_inc *mi)
{
	size_t i;

	for (i = 0; i < mi->n_doors; i++)
		free(mi->doors[i].name);
	for (i = 0; i < mi->n_sends; i++)
		free(mi->sends[i].name);
	free(mi->doors);
	free(mi->sends);
}

static const char *
metrics_drill(int d)
{
	return d ? "true" : "false";
}

/* Every series of one sends family: rows of kind `kind`. */
static void
metrics_inc_sends(struct evbuffer *b, const struct metrics_inc *mi,
    const char *name, const char *kind, int with_kind)
{
	size_t i;

	for (i = 0; i < mi->n_sends; i++) {
		const struct metrics_row *r = &mi->sends[i];

		if (with_kind ? strcmp(r->kind, "alert") == 0 :
		    strcmp(r->kind, kind) != 0)
			continue;
		evbuffer_add_printf(b, "%s{channel=\"", name);
		metrics_label(b, r->name);
		if (with_kind)
			evbuffer_add_printf(b, "\",kind=\"%s", r->kind);
		evbuffer_add_printf(b, "\",drill=\"%s\"} %" PRIu64 "\n",
		    metrics_drill(r->drill), r->n);
	}
}

int
metrics_incidents(struct evbuffer *b, struct engine *e)
{
	static const char *const states[2] = { "open", "acked" };
	static const char *const notices[2] = { "ack", "close" };
	const struct model *m = engine_model(e);
	struct metrics_inc mi;
	size_t i, k;
	int d, s;

	memset(&mi, 0, sizeof(mi));
	/* The series that must exist while zero: every door, every channel
	 * of the config, each with both drill values. */
	for (d = 0; d < 2; d++) {
		for (i = 0; i < METRICS_N_DOORS; i++)
			metrics_row(&mi.doors, &mi.n_doors, metrics_doors[i],
			    "", d);
		for (i = 0; i < m->n_channels; i++) {
			metrics_row(&mi.sends, &mi.n_sends,
			    m->channels[i].name, "alert", d);
			for (k = 0; k < 2; k++)
				metrics_row(&mi.sends, &mi.n_sends,
				    m->channels[i].name, notices[k], d);
		}
	}
	if (store_incident_stats(engine_store(e), metrics_inc_stat, &mi) ==
	    -1 || store_incident_sends(engine_store(e), metrics_inc_send,
	    &mi) == -1) {
		metrics_inc_free(&mi);
		return -1;
	}
	metrics_family(b, "herald_incidents_open", "gauge",
	    "Incidents not resolved, by state: open (nobody took charge "
	    "yet) or acked.");
	for (s = 0; s < 2; s++)
		for (d = 0; d < 2; d++)
			evbuffer_add_printf(b, "herald_incidents_open{state=\"%s\","
			    "drill=\"%s\"} %" PRIu64 "\n", states[s],
			    metrics_drill(d), mi.open[s][d]);
	metrics_family(b, "herald_incidents_triggered_total", "counter",
	    "Incidents triggered (recorded, not a repeated trigger of an "
	    "open one), by the door that triggered them.");
	for (i = 0; i < mi.n_doors; i++) {
		evbuffer_add_printf(b, "herald_incidents_triggered_total"
		    "{source=\"");
		metrics_label(b, mi.doors[i].name);
		evbuffer_add_printf(b, "\",drill=\"%s\"} %" PRIu64 "\n",
		    metrics_drill(mi.doors[i].drill), mi.doors[i].n);
	}
	metrics_family(b, "herald_incident_alerts_sent_total", "counter",
	    "Incident alerts delivered (first waves, repeats and "
	    "escalations), by channel.");
	metrics_inc_sends(b, &mi, "herald_incident_alerts_sent_total", "alert",
	    0);
	metrics_family(b, "herald_incident_notices_sent_total", "counter",
	    "Incident notices delivered, by channel and kind: ack (who took "
	    "charge) or close (resolved).");
	metrics_inc_sends(b, &mi, "herald_incident_notices_sent_total", NULL,
	    1);
	metrics_family(b, "herald_incident_first_alert_seconds", "histogram",
	    "Trigger to the first delivered alert of the incident, in whole "
	    "seconds.");
	for (d = 0; d < 2; d++)
		metrics_histogram(b, "herald_incident_first_alert_seconds",
		    "drill", metrics_drill(d), metrics_first_alert_bounds, 1,
		    METRICS_FIRST_ALERT_N, mi.first[d].bucket,
		    mi.first[d].count, (double)mi.first[d].sum);
	metrics_family(b, "herald_incident_ack_seconds", "histogram",
	    "Trigger to acknowledgement (someone took charge), in whole "
	    "seconds.");
	for (d = 0; d < 2; d++)
		metrics_histogram(b, "herald_incident_ack_seconds", "drill",
		    metrics_drill(d), metrics_ack_bounds, 1, METRICS_ACK_N,
		    mi.ack[d].bucket, mi.ack[d].count, (double)mi.ack[d].sum);
	metrics_inc_free(&mi);
	return 0;
}
