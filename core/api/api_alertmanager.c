/*
 * api_alertmanager.c - POST /v1/incidents/alertmanager: Prometheus
 * Alertmanager's webhook (payload version "4") triggers and resolves
 * incidents (doc/api.txt).
 *
 * Same bearer token as every write: Alertmanager sends it with
 * http_config.authorization (credentials_file).  The payload is read by
 * alertmanager.c; each alert that names a plan and a venue goes through
 * api_incident_apply() (api_incident_seam.h), one call per alert, and the
 * answer says per alert what was done or why not.
 *
 * The status code is for Alertmanager, which retries a notification
 * after a 5xx and gives it up after a 4xx: 200 when every alert was
 * applied or skipped (a skipped alert would fail again the same way);
 * else the highest failure code, so a store that failed gets the whole
 * group again (a repeated trigger finds the open incident, nothing is
 * sent twice).
 */
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "alertmanager.h"
#include "api.h"
#include "api_incident_seam.h"
#include "api_internal.h"
#include "engine.h"
#include "httpd.h"
#include "log.h"
#include "model.h"

/* What became of one alert, as the answer's entry; caller owns it. */
static json_t *
api_am_entry(const struct am_alert *a)
{
	const struct am_request *r = &a->req;

	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:b}",
	    "fingerprint", r->fingerprint,
	    "alertname", r->alertname,
	    "status", a->status != NULL ? json_string(a->status) : json_null(),
	    "plan", r->plan != NULL ? json_string(r->plan) : json_null(),
	    "venue", r->venue != NULL ? json_string(r->venue) : json_null(),
	    "campaign", r->campaign != NULL ? json_string(r->campaign) :
	    json_null(),
	    "drill", r->drill);
}

/*
 * Apply alert a and fill its entry e.  Returns 0 when applied or
 * skipped, else the failure's HTTP status.
 */
static int
api_am_apply(const struct api_ctx *ctx, const struct am_alert *a, json_t *e)
{
	const struct am_request *r = &a->req;
	const char *what = r->resolved ? "resolved" : "firing";
	char err[512], id[37];
	int existing = 0, code;

	if (a->skipped != NULL) {
		log_notice("alertmanager: alert %s (%s) skipped: %s",
		    *r->fingerprint != '\0' ? r->fingerprint : "-",
		    *r->alertname != '\0' ? r->alertname : "no alertname",
		    a->skipped);
		json_object_set_new(e, "outcome", json_string("skipped"));
		json_object_set_new(e, "reason", json_string(a->skipped));
		return 0;
	}
	/* Logged before the attempt: the line says what arrived even
	 * when the incident cannot be made. */
	log_info("alertmanager: %s plan=%s venue=%s campaign=%s drill=%s "
	    "fingerprint=%s", what, r->plan, r->venue,
	    r->campaign != NULL ? r->campaign : "-", r->drill ? "yes" : "no",
	    *r->fingerprint != '\0' ? r->fingerprint : "-");
	code = api_incident_apply(ctx, r, err, sizeof(err), id, &existing);
	if (code != 0) {
		log_warnx("alertmanager: %s plan=%s venue=%s not applied: %s",
		    what, r->plan, r->venue, err);
		json_object_set_new(e, "outcome", json_string("failed"));
		json_object_set_new(e, "reason", json_string(err));
		json_object_set_new(e, "code", json_integer(code));
		return code;
	}
	json_object_set_new(e, "outcome", json_string(r->resolved ?
	    (existing ? "already-resolved" : "resolved") :
	    (existing ? "existing" : "triggered")));
	json_object_set_new(e, "incident", json_string(id));
	return 0;
}

void
api_alertmanager(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct model_alertmanager *conf;
	struct am_batch b;
	const char *body;
	char err[256];
	size_t len, n_applied = 0, n_skipped = 0, n_failed = 0;
	int worst = 0;
	json_t *list;

	if (api_authorize(req, ctx, API_WRITE) == -1)
		return;
	conf = &engine_model(ctx->engine)->daemon.alertmanager;
	if (!conf->set) {
		httpd_reply_error(req, 404, "alertmanager not configured: add "
		    "herald.alertmanager to the config (herald.conf(5))");
		return;
	}
	if ((body = api_raw_body(req, ctx, &len)) == NULL)
		return;
	if (am_parse(body, len, conf, &b, err, sizeof(err)) == -1) {
		httpd_reply_error(req, 400, "%s", err);
		return;
	}
	if (b.truncated > 0)
		log_warnx("alertmanager: receiver %s left out %lld alerts of "
		    "group %s (max_alerts)", *b.receiver != '\0' ? b.receiver :
		    "-", b.truncated, *b.group_key != '\0' ? b.group_key : "-");
	list = json_array();
	for (size_t i = 0; i < b.n; i++) {
		json_t *e = api_am_entry(&b.alerts[i]);
		int code = api_am_apply(ctx, &b.alerts[i], e);

		if (b.alerts[i].skipped != NULL)
			n_skipped++;
		else if (code != 0)
			n_failed++;
		else
			n_applied++;
		if (code > worst)
			worst = code;
		json_array_append_new(list, e);
	}
	api_reply(req, worst != 0 ? worst : 200, json_pack(
	    "{s:s,s:s,s:I,s:I,s:I,s:I,s:o}",
	    "receiver", b.receiver, "status", b.status,
	    "applied", (json_int_t)n_applied,
	    "skipped", (json_int_t)n_skipped,
	    "failed", (json_int_t)n_failed,
	    "truncated", (json_int_t)b.truncated,
	    "alerts", list));
	am_batch_clear(&b);
}
