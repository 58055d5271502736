/*
 * api_status.c - GET /v1/status: what a coordinator checks first when a
 * notice seems not to have gone out (doc/api.txt).
 *
 * Everything comes from what the daemon already keeps: the job counts
 * from the store, queue depths and outcome counters from the dispatcher,
 * the clock check from the engine and the last reload's outcome from the
 * daemon context.  Nothing is cached here, so a reload needs nothing
 * either.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api_internal.h"
#include "api.h"
#include "dispatch.h"
#include "engine.h"
#include "httpd.h"
#include "job.h"
#include "store.h"

/*
 * The store URL as shown: a PostgreSQL URL may carry a password (in
 * "user:password@" or "password=..."), which status must not repeat.
 * Writes into buf (len bytes) and returns it.
 */
static const char *
api_status_store_url(const char *url, char *buf, size_t len)
{
	char tmp[1024];
	const char *p, *at, *colon, *slash;

	snprintf(buf, len, "%s", url);
	if (strncmp(url, "postgresql:", 11) != 0)
		return buf;
	/* postgresql://user:secret@host/db */
	if ((p = strstr(buf, "://")) != NULL) {
		p += 3;
		at = strchr(p, '@');
		colon = strchr(p, ':');
		slash = strchr(p, '/');
		if (at != NULL && colon != NULL && colon < at &&
		    (slash == NULL || at < slash)) {
			snprintf(tmp, sizeof(tmp), "%.*s***%s",
			    (int)(colon + 1 - buf), buf, at);
			snprintf(buf, len, "%s", tmp);
		}
	}
	/* "host=h password=secret" and "...?password=secret&..." */
	if ((p = strstr(buf, "password=")) != NULL) {
		p += 9;
		snprintf(tmp, sizeof(tmp), "%.*s***%s", (int)(p - buf), buf,
		    p + strcspn(p, " &"));
		snprintf(buf, len, "%s", tmp);
	}
	return buf;
}

/* {"pending": N, ...} over every state; caller owns it.  NULL after
 * answering 500. */
static json_t *
api_status_jobs(struct evhttp_request *req, struct store *st)
{
	size_t counts[JOB_STATE_COUNT];
	json_t *o;

	if (store_count_states(st, counts) == -1) {
		httpd_reply_error(req, 500, "store: %s", store_error(st));
		return NULL;
	}
	o = json_object();
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		json_object_set_new(o, job_state_name(i),
		    json_integer((json_int_t)counts[i]));
	return o;
}

static int
api_status_is_saturated(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * One entry per channel of the model in use, in config order.  A channel
 * the dispatcher has not seen yet (nothing queued since it appeared)
 * shows zeros.  Caller owns the array.
 */
static json_t *
api_status_channels(struct engine *e, const char *zone)
{
	const struct model *m = engine_model(e);
	struct dispatch *disp = engine_dispatch(e);
	const char *const *sat;
	size_t n_sat = dispatch_saturated(disp, &sat);
	json_t *a = json_array();

	for (size_t i = 0; i < m->n_channels; i++) {
		const struct model_channel *ch = &m->channels[i];
		struct dispatch_stats st;
		const char *health = "ok";
		int saturated;

		memset(&st, 0, sizeof(st));
		(void)dispatch_channel_stats(disp, ch->name, &st);
		saturated = api_status_is_saturated(ch->name, sat, n_sat);
		if (saturated)
			health = "saturated";
		else if (st.failing)
			health = "failing";
		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:b,"
		    "s:I,s:I,s:I,s:I,s:I,s:s,s:o,s:o}",
		    "name", ch->name, "plugin", ch->plugin,
		    "queued", (json_int_t)st.queued,
		    "in_flight", (json_int_t)st.in_flight,
		    "saturated", saturated,
		    "sent", (json_int_t)st.sent,
		    "delivered", (json_int_t)st.delivered,
		    "retried", (json_int_t)st.retried,
		    "timeouts", (json_int_t)st.timeouts,
		    "failed", (json_int_t)st.failed,
		    "health", health,
		    "failing_since", api_json_time(st.failing_since, zone),
		    "last_error", st.failing ? json_string(st.last_error) :
		    json_null()));
	}
	return a;
}

/* The last adjtimex check: synchronized is null until one succeeded.
 * Caller owns the object. */
static json_t *
api_status_clock(const struct engine_status *es, const char *zone)
{
	json_t *synced = es->clock_checked == 1 ?
	    json_boolean(es->clock.synced) : json_null();

	return json_pack("{s:o,s:o}", "synchronized", synced,
	    "checked_at", api_json_time(es->clock_checked_at, zone));
}

/* {"at", "ok", "errors", "warnings"}: the last reload's errors, and the
 * warnings of the config in use (after a failed reload, still the old
 * one's).  Caller owns the object. */
static json_t *
api_status_reload(const struct api_ctx *ctx, const char *zone)
{
	json_t *errors = json_array(), *warnings = json_array();

	for (size_t i = 0; i < ctx->state->n_reload_errors; i++)
		json_array_append_new(errors,
		    json_string(ctx->state->reload_errors[i]));
	for (size_t i = 0; i < ctx->state->n_config_warnings; i++)
		json_array_append_new(warnings,
		    json_string(ctx->state->config_warnings[i]));
	return json_pack("{s:o,s:b,s:o,s:o}",
	    "at", api_json_time((int64_t)ctx->state->last_reload_at, zone),
	    "ok", ctx->state->last_reload_ok == 0, "errors", errors,
	    "warnings", warnings);
}

/*
 * The campaigns of the running config with their deadline ids, so that
 * a client can name them (heraldctl submit without --campaign), and each
 * deadline's submission counts as GET /v1/submissions has them
 * ("submissions": null when the store could not say).  Caller owns the
 * array.
 */
static json_t *
api_status_campaigns(struct engine *e)
{
	const struct model *m = engine_model(e);
	json_t *a = json_array(), *dl, *board, *counts;
	char err[256];

	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_campaign *c = &m->campaigns[i];

		dl = json_array();
		for (size_t k = 0; k < c->n_deadlines; k++)
			json_array_append_new(dl,
			    json_string(c->deadlines[k].id));
		board = api_board_campaign(engine_store(e), m, c, NULL,
		    engine_time(e), 0, err, sizeof(err));
		counts = board != NULL ? json_incref(json_object_get(board,
		    "deadlines")) : json_null();
		json_decref(board);
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o}", "id",
		    c->id, "title", c->title, "deadlines", dl,
		    "submissions", counts));
	}
	return a;
}

/*
 * {"url", "schema", "health", "since", "error", "held"}: health "failing"
 * while outcomes or claims cannot be written; held counts the outcomes
 * kept in memory meanwhile.  Caller owns the object.
 */
static json_t *
api_status_store(struct engine *e, struct store *st, const char *url,
    const char *zone)
{
	const struct engine_status *es = engine_status(e);
	size_t held = 0;

	(void)dispatch_holding(engine_dispatch(e), &held, NULL);
	return json_pack("{s:s,s:i,s:s,s:o,s:o,s:I}", "url", url,
	    "schema", store_schema_version(st),
	    "health", es->store_failing ? "failing" : "ok",
	    "since", api_json_time(es->store_failing_since, zone),
	    "error", es->store_failing ? json_string(es->store_error) :
	    json_null(), "held", (json_int_t)held);
}

void
api_status(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct model *m;
	struct store *st;
	const char *zone;
	char url[1024], err[600];
	json_t *jobs, *nodes;
	time_t now = time(NULL);

	if (api_authorize(req, ctx, API_READ) == -1)
		return;
	if (ctx->engine == NULL) {
		httpd_reply_error(req, 503, "the engine is not running");
		return;
	}
	m = engine_model(ctx->engine);
	zone = m->daemon.timezone;
	st = engine_store(ctx->engine);
	if ((nodes = api_status_nodes(ctx->engine, zone, err,
	    sizeof(err))) == NULL) {
		httpd_reply_error(req, 500, "%s", err);
		return;
	}
	if ((jobs = api_status_jobs(req, st)) == NULL) {
		json_decref(nodes);
		return;
	}
	api_reply(req, 200, json_pack("{s:s,s:I,s:o,s:I,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:o}",
	    "version", PACKAGE_VERSION,
	    "uptime", (json_int_t)(now > ctx->state->started ?
	    now - ctx->state->started : 0),
	    "started", api_json_time((int64_t)ctx->state->started, zone),
	    "generation", (json_int_t)api_generation(ctx),
	    "node", api_status_node(ctx->engine, zone),
	    "nodes", nodes,
	    "store", api_status_store(ctx->engine, st,
	    api_status_store_url(m->daemon.store, url, sizeof(url)), zone),
	    "jobs", jobs,
	    "channels", api_status_channels(ctx->engine, zone),
	    "clock", api_status_clock(engine_status(ctx->engine), zone),
	    "last_reload", api_status_reload(ctx, zone),
	    "campaigns", api_status_campaigns(ctx->engine)));
}
