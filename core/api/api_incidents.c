/*
 * api_incidents.c - emergency incidents over the API (doc/api.txt,
 * "Incidents"): POST /v1/incidents triggers one, GET /v1/incidents lists
 * them, GET /v1/incidents/ID shows one with its alerts and timeline, and
 * POST /v1/incidents/ID/ack and /resolve take charge of and close it.
 *
 * Everything an incident means is decided in incident.c, which the ack
 * link and SMS replies reach through ack.c too; this file only reads
 * requests and writes answers.  Times are in the campaign's zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api_internal.h"
#include "api.h"
#include "engine.h"
#include "httpd.h"
#include "incident.h"
#include "job.h"
#include "log.h"
#include "model.h"
#include "store.h"

#define API_INCIDENTS_PREFIX	"/v1/incidents/"
#define API_INCIDENTS_LIMIT	1000	/* incidents a list holds at most */

/* The zone of campaign id in m (the daemon's when it is gone). */
static const char *
api_incident_zone(const struct model *m, const char *campaign)
{
	const struct model_campaign *c = model_campaign_find(m, campaign);

	return c != NULL ? c->timezone : m->daemon.timezone;
}

/* Who took charge or resolved it: {at, by, by_name?, door[, note]}. */
static json_t *
api_incident_who(const struct model *m, const char *zone, int64_t at,
    const char *by, const char *door, const char *note, int with_note)
{
	const struct model_contact *mc;
	json_t *o;

	if (at == 0)
		return json_null();
	mc = by != NULL ? model_contact_find(m, by) : NULL;
	o = json_pack("{s:o,s:s?,s:s?,s:s?}", "at", api_json_time(at, zone),
	    "by", by, "by_name", mc != NULL ? mc->name : NULL, "door", door);
	if (o != NULL && with_note)
		json_object_set_new(o, "note", note != NULL ? json_string(note) :
		    json_null());
	return o;
}

/* inc as JSON; caller owns it (NULL when it cannot be encoded). */
static json_t *
api_incident_json(const struct model *m, const struct store_incident *inc)
{
	const char *zone = api_incident_zone(m, inc->campaign);
	const struct model_campaign *c = model_campaign_find(m, inc->campaign);
	const struct model_plan *pl = c != NULL ? model_plan_find(c,
	    inc->plan) : NULL;

	return json_pack("{s:s,s:s,s:s,s:s?,s:i,s:s,s:s,s:b,s:s,s:s?,s:o,"
	    "s:o,s:o}",
	    "id", inc->id, "campaign", inc->campaign, "plan", inc->plan,
	    "title", pl != NULL ? pl->title : NULL,
	    "level", pl != NULL ? pl->level : 0,
	    "venue", inc->venue, "note", inc->note, "drill", inc->drill != 0,
	    "state", store_incident_state_name(inc->state),
	    "source", inc->source,
	    "created_at", api_json_time(inc->created_at, zone),
	    "acked", api_incident_who(m, zone, inc->acked_at, inc->acked_by,
	    inc->acked_door, NULL, 0),
	    "resolved", api_incident_who(m, zone, inc->resolved_at,
	    inc->resolved_by, inc->resolved_door, inc->resolved_note, 1));
}

/* The answer to a failed incident_*() call. */
static void
api_incident_fail(struct evhttp_request *req, enum incident_status r,
    const char *err)
{
	static const int code[] = { [INCIDENT_OK] = 500,
	    [INCIDENT_BAD] = 400, [INCIDENT_NOT_FOUND] = 404,
	    [INCIDENT_CONFLICT] = 409, [INCIDENT_ERROR] = 500 };

	httpd_reply_error(req, code[r], "%s", err);
}

/* An optional boolean member: 0 with *out, -1 after answering 400. */
static int
api_incident_bool(struct evhttp_request *req, json_t *o, const char *name,
    int *out)
{
	json_t *v = json_object_get(o, name);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		httpd_reply_error(req, 400, "field \"%s\" must be true or "
		    "false", name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* POST /v1/incidents */
void
api_incident_trigger(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "campaign", "plan", "venue",
	    "note", "drill", NULL };
	struct api_ctx *ctx = arg;
	struct incident_request rq = { .source = "api" };
	struct incident *inc = NULL;
	enum incident_status r;
	char err[256];
	json_t *body, *o;
	int created = 0;

	if (api_authorize(req, ctx, API_WRITE) == -1 ||
	    (body = api_body(req, ctx, allowed)) == NULL)
		return;
	/* Absent texts are incident_trigger()'s to name. */
	if (api_string(req, body, "campaign", 0, &rq.campaign) == -1 ||
	    api_string(req, body, "plan", 1, &rq.plan) == -1 ||
	    api_string(req, body, "venue", 1, &rq.venue) == -1 ||
	    api_string(req, body, "note", 1, &rq.note) == -1 ||
	    api_incident_bool(req, body, "drill", &rq.drill) == -1)
		goto done;
	r = incident_trigger(ctx->engine, &rq, &inc, &created, err,
	    sizeof(err));
	if (r != INCIDENT_OK) {
		api_incident_fail(req, r, err);
		goto done;
	}
	o = api_incident_json(engine_model(ctx->engine), &inc->v);
	if (o != NULL)
		json_object_set_new(o, "existing", json_boolean(!created));
	api_reply(req, created ? 201 : 200, o);
done:
	incident_free(inc);
	json_decref(body);
}

struct api_incident_list {
	const struct model *m;
	json_t *v;		/* borrowed */
};

static void
api_incident_add(void *arg, const struct store_incident *inc)
{
	struct api_incident_list *l = arg;

	json_array_append_new(l->v, api_incident_json(l->m, inc));
}

/* GET /v1/incidents[?state=&drill=&campaign=] */
void
api_incidents(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "state", "drill", "campaign",
	    NULL };
	struct api_ctx *ctx = arg;
	struct store *st = engine_store(ctx->engine);
	struct store_incident_filter f = { -1, -1, NULL, API_INCIDENTS_LIMIT };
	struct api_incident_list l = { engine_model(ctx->engine), NULL };
	struct evkeyvalq q;
	const char *v;

	if (api_authorize(req, ctx, API_READ) == -1 ||
	    api_query(req, &q, allowed) == -1)
		return;
	if ((v = evhttp_find_header(&q, "state")) != NULL &&
	    (f.state = store_incident_state_parse(v)) == -1) {
		httpd_reply_error(req, 400, "bad \"state\" \"%.32s\": want "
		    "open, acked or resolved", v);
		goto done;
	}
	if ((v = evhttp_find_header(&q, "drill")) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			f.drill = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			f.drill = 0;
		else {
			httpd_reply_error(req, 400, "bad \"drill\" \"%.32s\": "
			    "want true or false", v);
			goto done;
		}
	}
	if ((v = evhttp_find_header(&q, "campaign")) != NULL &&
	    api_find_campaign(req, l.m, v) == NULL)
		goto done;
	f.campaign = v;
	l.v = json_array();
	if (store_incident_list(st, &f, api_incident_add, &l) == -1) {
		json_decref(l.v);
		httpd_reply_error(req, 500, "store: %s", store_error(st));
		goto done;
	}
	api_reply(req, 200, json_pack("{s:o}", "incidents", l.v));
done:
	evhttp_clear_headers(&q);
}

struct api_incident_show {
	const struct model *m;
	const char *zone;
	json_t *alerts, *notices, *events;	/* borrowed */
};

/* An alert or notice: recipient, channel, attempt, outcome, times. */
static void
api_incident_job(void *arg, const struct job *j)
{
	struct api_incident_show *s = arg;
	const struct model_contact *mc = model_contact_find(s->m, j->contact);
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:I,s:I,s:s,s:o,s:s?}",
	    "key", j->key, "kind", job_kind_name(j->kind),
	    "recipient", j->contact, "recipient_name",
	    mc != NULL ? mc->name : NULL, "channel", j->channel,
	    "offset", (json_int_t)j->offset,
	    "attempt", (json_int_t)j->attempts,
	    "outcome", job_state_name(j->state),
	    "due", api_json_time(j->due, s->zone),
	    "detail", j->detail);
	if (o != NULL && j->state == JOB_DELIVERED)
		json_object_set_new(o, "sent_at", api_json_time(j->due +
		    j->lateness_ms / 1000, s->zone));
	json_array_append_new(j->kind == JOB_EMERGENCY ? s->alerts :
	    s->notices, o);
}

static void
api_incident_event(void *arg, int64_t at, const char *what, const char *who,
    const char *door, const char *detail)
{
	struct api_incident_show *s = arg;

	json_array_append_new(s->events, json_pack("{s:o,s:s,s:s?,s:s?,s:s?}",
	    "at", api_json_time(at, s->zone), "what", what, "by", who,
	    "door", door, "detail", detail));
}

/* GET /v1/incidents/ID */
static void
api_incident_show(struct evhttp_request *req, struct api_ctx *ctx,
    const char *id)
{
	struct store *st = engine_store(ctx->engine);
	struct api_incident_show s = { engine_model(ctx->engine), NULL,
	    NULL, NULL, NULL };
	struct incident *inc = NULL;
	enum incident_status r;
	char err[256];
	json_t *o;

	if ((r = incident_get(ctx->engine, id, &inc, err, sizeof(err))) !=
	    INCIDENT_OK) {
		api_incident_fail(req, r, err);
		return;
	}
	s.zone = api_incident_zone(s.m, inc->v.campaign);
	if ((o = api_incident_json(s.m, &inc->v)) == NULL) {
		incident_free(inc);
		httpd_reply_error(req, 500, "cannot encode the incident");
		return;
	}
	s.alerts = json_array();
	s.notices = json_array();
	s.events = json_array();
	json_object_set_new(o, "alerts", s.alerts);
	json_object_set_new(o, "notices", s.notices);
	json_object_set_new(o, "events", s.events);
	if (store_incident_jobs(st, inc->v.id, api_incident_job, &s) == -1 ||
	    store_incident_events(st, inc->v.id, api_incident_event,
	    &s) == -1) {
		json_decref(o);
		incident_free(inc);
		httpd_reply_error(req, 500, "store: %s", store_error(st));
		return;
	}
	incident_free(inc);
	api_reply(req, 200, o);
}

/* GET /v1/incidents/ID */
void
api_incident(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { NULL };
	struct api_ctx *ctx = arg;
	struct evkeyvalq q;
	const char *path;
	char id[JOB_KEY_LEN];

	if (api_authorize(req, ctx, API_READ) == -1 ||
	    api_query(req, &q, allowed) == -1)
		return;
	evhttp_clear_headers(&q);
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	path += strlen(API_INCIDENTS_PREFIX);	/* the route guarantees it */
	if (api_key_parse(path, id, sizeof(id)) == -1) {
		httpd_reply_error(req, 404, "no incident \"%.64s\": an incident "
		    "id is a UUID", path);
		return;
	}
	api_incident_show(req, ctx, id);
}

/* POST /v1/incidents/ID/ack and /v1/incidents/ID/resolve */
void
api_incident_action(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "by", "note", NULL };
	struct api_ctx *ctx = arg;
	struct incident *inc = NULL;
	enum incident_status r;
	const char *path, *slash, *by = NULL, *note = NULL;
	char id[JOB_KEY_LEN], err[256], text[48];
	json_t *body = NULL, *o;
	int resolve, already = 0;
	size_t n;

	if (api_authorize(req, ctx, API_WRITE) == -1)
		return;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	path += strlen(API_INCIDENTS_PREFIX);
	if ((slash = strchr(path, '/')) == NULL ||
	    (strcmp(slash, "/ack") != 0 && strcmp(slash, "/resolve") != 0)) {
		httpd_reply_error(req, 404, "no such path: want POST "
		    "/v1/incidents, /v1/incidents/ID/ack or "
		    "/v1/incidents/ID/resolve");
		return;
	}
	resolve = strcmp(slash, "/resolve") == 0;
	n = (size_t)(slash - path);
	snprintf(text, sizeof(text), "%.*s", n < sizeof(text) ? (int)n :
	    (int)sizeof(text) - 1, path);
	if (api_key_parse(text, id, sizeof(id)) == -1) {
		httpd_reply_error(req, 404, "no incident \"%.40s\": an incident "
		    "id is a UUID", text);
		return;
	}
	if ((body = api_body(req, ctx, allowed)) == NULL)
		return;
	if (api_string(req, body, "by", 1, &by) == -1 ||
	    api_string(req, body, "note", resolve, &note) == -1)
		goto done;
	r = resolve ? incident_resolve(ctx->engine, id, by, "api", note, &inc,
	    err, sizeof(err)) : incident_ack(ctx->engine, id, by, "api", &inc,
	    &already, err, sizeof(err));
	if (r != INCIDENT_OK) {
		api_incident_fail(req, r, err);
		goto done;
	}
	/* A note with the ack goes to the timeline. */
	if (!resolve && !already && note != NULL &&
	    store_incident_event(engine_store(ctx->engine), id,
	    engine_time(ctx->engine), "note", by, "api", note) == -1)
		log_warnx("incident %s: %s", id,
		    store_error(engine_store(ctx->engine)));
	o = api_incident_json(engine_model(ctx->engine), &inc->v);
	if (o != NULL && !resolve)
		json_object_set_new(o, "already", json_boolean(already));
	api_reply(req, 200, o);
done:
	incident_free(inc);
	json_decref(body);
}
