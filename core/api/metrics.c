/*
 * metrics.c - GET /metrics: what the daemon counts, in the Prometheus
 * text exposition format 0.0.4 (doc/metrics.txt lists every metric).
 *
 * Nothing here keeps state of its own: every scrape reads the daemon,
 * the store's counts by state, the scheduler's lateness histogram and the
 * dispatcher's per-channel counters afresh, so a scrape costs one
 * COUNT ... GROUP BY on the store and a walk over the channels.  Counters
 * start at zero with the process, as Prometheus expects of counters.
 *
 * Channels are those of the running config, in config order, each with
 * every metric even while its counts are zero: a series that appears only
 * after the first failure makes rate() and absent() alerts unreliable.  A
 * channel a reload removed disappears from the output.
 *
 * The text goes into an evbuffer, which grows as needed: a config with
 * many channels must never come out truncated.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api_internal.h"
#include "api.h"
#include "dispatch.h"
#include "engine.h"
#include "httpd.h"
#include "job.h"
#include "metrics.h"
#include "sched.h"
#include "store.h"
#include "xmalloc.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One channel's numbers, gathered once per scrape. */
struct metrics_chan {
	const char *name;		/* borrowed from the model */
	struct dispatch_stats st;	/* zeros when never seen */
	int saturated;
};

enum metrics_stat {
	METRICS_QUEUED,
	METRICS_IN_FLIGHT,
	METRICS_SENT,
	METRICS_DELIVERED,
	METRICS_FAILED,
	METRICS_RETRIED,
	METRICS_TIMEOUTS,
	METRICS_DEFERRED,
	METRICS_CANCELLED,
	METRICS_SATURATED,
	METRICS_FAILING,
	METRICS_LAST_DELIVERED,
	METRICS_LAST_FAILED,
};

/* The per-channel families, in output order. */
static const struct metrics_family {
	const char *name, *type, *help;
	enum metrics_stat stat;
} metrics_chan_families[] = {
	{ "herald_channel_queued", "gauge",
	    "Jobs waiting in the channel's queues.", METRICS_QUEUED },
	{ "herald_channel_in_flight", "gauge",
	    "Sends handed to the plugin whose outcome is not committed yet.",
	    METRICS_IN_FLIGHT },
	{ "herald_channel_saturated", "gauge",
	    "1 while the channel's queue is full and its jobs are not "
	    "claimed.", METRICS_SATURATED },
	{ "herald_channel_failing", "gauge",
	    "1 while the channel's last answered send failed (the peer down, "
	    "refusing, erring); a delivery ends it.", METRICS_FAILING },
	{ "herald_channel_sent_total", "counter",
	    "Jobs handed to the channel's plugin, retries included.",
	    METRICS_SENT },
	{ "herald_deliveries_total", "counter",
	    "Jobs the channel reported delivered.", METRICS_DELIVERED },
	{ "herald_failures_total", "counter",
	    "Jobs that failed for good on the channel (permanent, retries "
	    "exhausted, no address, render error).", METRICS_FAILED },
	{ "herald_retries_total", "counter",
	    "Transient failures put back for another attempt.",
	    METRICS_RETRIED },
	{ "herald_timeouts_total", "counter",
	    "Sends that timed out after the request went out: the peer may "
	    "have the message (also counted as retries or failures).",
	    METRICS_TIMEOUTS },
	{ "herald_deferred_total", "counter",
	    "Jobs put back unsent without an attempt (quiet hours, reload, "
	    "stop).", METRICS_DEFERRED },
	{ "herald_cancelled_total", "counter",
	    "Jobs cancelled just before sending (submitted, deadline passed, "
	    "removed from config).", METRICS_CANCELLED },
	{ "herald_channel_last_delivery_timestamp_seconds", "gauge",
	    "Unix time of the channel's last delivery; 0 when none.",
	    METRICS_LAST_DELIVERED },
	{ "herald_channel_last_failure_timestamp_seconds", "gauge",
	    "Unix time of the channel's last failed or retried send; 0 when "
	    "none.", METRICS_LAST_FAILED },
};

static uint64_t
metrics_stat_value(const struct metrics_chan *c, enum metrics_stat s)
{
	switch (s) {
	case METRICS_QUEUED:
		return c->st.queued;
	case METRICS_IN_FLIGHT:
		return c->st.in_flight;
	case METRICS_SENT:
		return c->st.sent;
	case METRICS_DELIVERED:
		return c->st.delivered;
	case METRICS_FAILED:
		return c->st.failed;
	case METRICS_RETRIED:
		return c->st.retried;
	case METRICS_TIMEOUTS:
		return c->st.timeouts;
	case METRICS_DEFERRED:
		return c->st.deferred;
	case METRICS_CANCELLED:
		return c->st.cancelled;
	case METRICS_SATURATED:
		return c->saturated ? 1 : 0;
	case METRICS_FAILING:
		return c->st.failing ? 1 : 0;
	case METRICS_LAST_DELIVERED:
		return c->st.last_delivered_at > 0 ?
		    (uint64_t)c->st.last_delivered_at : 0;
	case METRICS_LAST_FAILED:
		return c->st.last_failed_at > 0 ?
		    (uint64_t)c->st.last_failed_at : 0;
	}
	return 0;
}

/* The daemon's own: build, start, config generation and reloads. */
static void
metrics_daemon(struct evbuffer *b, const struct api_ctx *ctx)
{
	metrics_family(b, "herald_build_info", "gauge",
	    "Always 1; the version of heraldd as a label.");
	evbuffer_add(b, "herald_build_info{version=\"", 27);
	metrics_label(b, PACKAGE_VERSION);
	evbuffer_add(b, "\"} 1\n", 5);
	metrics_single(b, "herald_start_time_seconds", "gauge",
	    "Unix time the daemon started.", (int64_t)ctx->state->started);
	metrics_single(b, "herald_config_generation", "gauge",
	    "Config generation: 1 at start, one more per successful reload.",
	    api_generation(ctx));
	metrics_single(b, "herald_config_last_reload_success", "gauge",
	    "1 when the last reload (or the start) loaded the config, 0 when "
	    "it kept the old one.", ctx->state->last_reload_ok == 0 ? 1 : 0);
	/* Never reloaded: the start loaded the config in use. */
	metrics_single(b, "herald_config_last_reload_timestamp_seconds",
	    "gauge", "Unix time of the last reload attempt, or of the start.",
	    (int64_t)(ctx->state->last_reload_at != 0 ?
	    ctx->state->last_reload_at : ctx->state->started));
}

/* Whether the store takes outcomes, and what waits for it meanwhile. */
static void
metrics_store(struct evbuffer *b, const struct engine *e)
{
	const struct engine_status *es = engine_status(e);
	struct store_wal_stats ws;
	uint64_t failures = 0;
	size_t held = 0;

	(void)dispatch_holding(engine_dispatch(e), &held, &failures);
	metrics_single(b, "herald_store_healthy", "gauge",
	    "1 while the store records outcomes; 0 while it cannot (disk "
	    "full, read-only) and nothing is handed off.",
	    es->store_failing ? 0 : 1);
	metrics_single(b, "herald_store_faults_total", "counter",
	    "Times the store began failing to record outcomes or claims.",
	    (int64_t)es->store_faults);
	metrics_single(b, "herald_store_commit_failures_total", "counter",
	    "Outcome commits that failed in the storage and were kept in "
	    "memory to be retried.", (int64_t)failures);
	metrics_single(b, "herald_store_held_outcomes", "gauge",
	    "Outcomes kept in memory because the store could not record "
	    "them.", (int64_t)held);
	/* Only a store with a write-ahead log has these (SQLite). */
	if (store_wal_stats(engine_store(e), &ws) == -1)
		return;
	metrics_single(b, "herald_store_wal_pages", "gauge",
	    "Pages in the store's write-ahead log after the last commit; "
	    "past 1000 its thread copies them into the database file.",
	    (int64_t)ws.pages);
	metrics_single(b, "herald_store_checkpoints_total", "counter",
	    "Checkpoints of the write-ahead log: its thread's, and the "
	    "commits' that copied the few pages committed during one.",
	    (int64_t)ws.checkpoints);
	metrics_single(b, "herald_store_checkpoint_failures_total", "counter",
	    "Checkpoints that failed; the log grows until one succeeds.",
	    (int64_t)ws.failed);
}

/* Clock check and jobs by state.  Returns 0, or -1 when the store failed. */
static int
metrics_engine(struct evbuffer *b, const struct engine *e)
{
	const struct engine_status *es = engine_status(e);
	size_t counts[JOB_STATE_COUNT];
	int i;

	/* Unknown is no sample at all, not a guess. */
	if (es->clock_checked == 1)
		metrics_single(b, "herald_clock_synchronized", "gauge",
		    "1 when the kernel said the clock is synchronized at the "
		    "last check (before launches).", es->clock.synced ? 1 : 0);
	metrics_store(b, e);
	memset(counts, 0, sizeof(counts));
	if (store_count_states(engine_store(e), counts) == -1)
		return -1;
	metrics_family(b, "herald_jobs", "gauge",
	    "Jobs in the store by state.");
	for (i = 0; i < JOB_STATE_COUNT; i++)
		evbuffer_add_printf(b, "herald_jobs{state=\"%s\"} %zu\n",
		    job_state_name((enum job_state)i), counts[i]);
	return 0;
}

/* Every per-channel family, then the send latency histograms. */
static void
metrics_channels(struct evbuffer *b, const struct model *m,
    struct dispatch *dp)
{
	struct metrics_chan *ch;
	const char *const *sat;
	size_t n_sat, i, j, f;

	if (m->n_channels == 0)
		return;
	ch = xcalloc(m->n_channels, sizeof(*ch));
	n_sat = dispatch_saturated(dp, &sat);
	for (i = 0; i < m->n_channels; i++) {
		ch[i].name = m->channels[i].name;
		/* Not yet seen by the dispatcher: zeros, as documented. */
		if (dispatch_channel_stats(dp, ch[i].name, &ch[i].st) == -1)
			memset(&ch[i].st, 0, sizeof(ch[i].st));
		for (j = 0; j < n_sat; j++)
			if (strcmp(sat[j], ch[i].name) == 0)
				ch[i].saturated = 1;
	}
	for (f = 0; f < sizeof(metrics_chan_families) /
	    sizeof(metrics_chan_families[0]); f++) {
		const struct metrics_family *mf = &metrics_chan_families[f];

		metrics_family(b, mf->name, mf->type, mf->help);
		for (i = 0; i < m->n_channels; i++) {
			evbuffer_add_printf(b, "%s{channel=\"", mf->name);
			metrics_label(b, ch[i].name);
			evbuffer_add_printf(b, "\"} %" PRIu64 "\n",
			    metrics_stat_value(&ch[i], mf->stat));
		}
	}
	metrics_family(b, "herald_send_latency_seconds", "histogram",
	    "Time from hand-off to the plugin until its outcome, per message "
	    "sent.");
	for (i = 0; i < m->n_channels; i++) {
		const struct dispatch_latency *l = &ch[i].st.latency;

		metrics_histogram(b, "herald_send_latency_seconds", "channel",
		    ch[i].name, dispatch_latency_bounds_us, 1e6,
		    DISPATCH_LATENCY_BUCKETS, l->bucket, l->count,
		    l->sum_us / 1e6);
	}
	free(ch);
}

void
api_metrics(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct sched_lateness *lt;
	struct evbuffer *b;

	if (api_authorize(req, ctx, API_METRICS) == -1)
		return;
	if ((b = evbuffer_new()) == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	metrics_daemon(b, ctx);
	/* The engine exists whenever the server does; be safe anyway. */
	if (ctx->engine != NULL) {
		if (metrics_engine(b, ctx->engine) == -1) {
			httpd_reply_error(req, 500, "store: %s",
			    store_error(engine_store(ctx->engine)));
			evbuffer_free(b);
			return;
		}
		if (metrics_incidents(b, ctx->engine) == -1 ||
		    metrics_nodes(b, ctx->engine) == -1) {
			httpd_reply_error(req, 500, "store: %s",
			    store_error(engine_store(ctx->engine)));
			evbuffer_free(b);
			return;
		}
		metrics_channels(b, engine_model(ctx->engine),
		    engine_dispatch(ctx->engine));
		lt = sched_lateness(engine_sched(ctx->engine));
		metrics_family(b, "herald_firing_lateness_seconds", "histogram",
		    "Scheduler hand-off minus the job's next_at, per job "
		    "fired.");
		metrics_histogram(b, "herald_firing_lateness_seconds", NULL,
		    NULL, sched_lateness_bounds_ms, 1e3,
		    SCHED_LATENESS_BUCKETS, lt->bucket, lt->count,
		    lt->sum_ms / 1e3);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}
