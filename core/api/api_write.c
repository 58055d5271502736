/*
 * api_write.c - the API's writes: POST /v1/submissions (and withdrawals),
 * /v1/acks and /v1/reload (doc/api.txt).
 *
 * Each one checks the bearer token before reading the body, so a caller
 * without the token learns nothing about what a valid request looks
 * like.  Submissions are checked against the model in use (an unknown id
 * is a typo to report, not a row to record); acknowledgements go through
 * ack.c like the link page and SMS replies, so all three agree.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "ack.h"
#include "api_internal.h"
#include "api.h"
#include "engine.h"
#include "errlist.h"
#include "httpd.h"
#include "job.h"
#include "log.h"
#include "model.h"
#include "submission.h"

/*
 * Who a submission names: exactly one of "contact" and "unit", known to
 * m.  Sets *contact or *unit (borrowed from body); answers 400/404 and
 * returns -1.
 */
static int
api_submission_who(struct evhttp_request *req, json_t *body,
    const struct model *m, const char **contact, const char **unit)
{
	int rc_c, rc_u;

	*contact = *unit = NULL;
	if ((rc_c = api_string(req, body, "contact", 0, contact)) == -1 ||
	    (rc_u = api_string(req, body, "unit", 0, unit)) == -1)
		return -1;
	if ((rc_c == 0) == (rc_u == 0)) {
		httpd_reply_error(req, 400, "give exactly one of \"contact\" "
		    "and \"unit\"");
		return -1;
	}
	if (*contact != NULL && model_contact_find(m, *contact) == NULL) {
		if (model_unit_find(m, *contact) != NULL)
			httpd_reply_error(req, 404, "unknown contact \"%s\": "
			    "it is a unit, give \"unit\"", *contact);
		else
			httpd_reply_error(req, 404, "unknown contact \"%s\"",
			    *contact);
		return -1;
	}
	if (*unit != NULL && model_unit_find(m, *unit) == NULL) {
		if (model_contact_find(m, *unit) != NULL)
			httpd_reply_error(req, 404, "unknown unit \"%s\": it "
			    "is a contact, give \"contact\"", *unit);
		else
			httpd_reply_error(req, 404, "unknown unit \"%s\"",
			    *unit);
		return -1;
	}
	return 0;
}

/* The optional boolean "withdraw": 0 or 1, or -1 after answering 400. */
static int
api_submission_withdraw(struct evhttp_request *req, json_t *body)
{
	json_t *v = json_object_get(body, "withdraw");

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		httpd_reply_error(req, 400, "field \"withdraw\" must be true "
		    "or false");
		return -1;
	}
	return json_is_true(v);
}

/* The contacts sr covers as a JSON array; caller owns it. */
static json_t *
api_submission_contacts(const struct submission_result *sr)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sr->n_members; i++)
		json_array_append_new(a, json_string(sr->members[i]));
	return a;
}

/*
 * A submission closes the deadline for the named contact's unit (or the
 * contact alone when it has none), or for the named unit; "withdraw"
 * undoes a mistaken one (submission.h).
 */
void
api_submissions(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "campaign", "deadline",
	    "contact", "unit", "via", "withdraw", NULL };
	struct api_ctx *ctx = arg;
	const struct model *m;
	const struct model_campaign *c;
	struct submission_result sr;
	const char *campaign, *deadline, *via = "api", *contact, *unit;
	json_t *body;
	char err[512];
	int withdraw;

	if (api_authorize(req, ctx, API_WRITE) == -1 ||
	    (body = api_body(req, ctx, allowed)) == NULL)
		return;
	m = engine_model(ctx->engine);
	if (api_string(req, body, "campaign", 1, &campaign) == -1 ||
	    api_string(req, body, "deadline", 1, &deadline) == -1 ||
	    api_string(req, body, "via", 0, &via) == -1 ||
	    (withdraw = api_submission_withdraw(req, body)) == -1 ||
	    api_submission_who(req, body, m, &contact, &unit) == -1 ||
	    (c = api_find_campaign(req, m, campaign)) == NULL ||
	    api_find_deadline(req, c, deadline) == NULL)
		goto done;
	if (withdraw) {
		if (submission_withdraw(ctx->engine, campaign, deadline, unit,
		    contact, via, &sr, err, sizeof(err)) == -1) {
			httpd_reply_error(req, 500, "store: %s", err);
			goto done;
		}
		if (!sr.found) {
			httpd_reply_error(req, 409, "%s \"%s\" has not "
			    "submitted %s of %s: nothing to withdraw",
			    sr.unit != NULL ? "unit" : "contact",
			    sr.unit != NULL ? sr.unit : contact, deadline,
			    campaign);
			submission_result_clear(&sr);
			goto done;
		}
		/* Logged: a withdrawal revives notices, and the log is
		 * where a coordinator looks for why one went out. */
		log_notice("api: submission of %s/%s by %s %s withdrawn; %zu "
		    "notices revived", campaign, deadline,
		    sr.unit != NULL ? "unit" : "contact",
		    sr.unit != NULL ? sr.unit : contact, sr.n_changed);
		api_reply(req, 200, json_pack("{s:b,s:o,s:o,s:I}",
		    "withdrawn", 1,
		    "unit", sr.unit != NULL ? json_string(sr.unit) : json_null(),
		    "contacts", api_submission_contacts(&sr),
		    "revived", (json_int_t)sr.n_changed));
		submission_result_clear(&sr);
		goto done;
	}
	if (submission_record(ctx->engine, campaign, deadline, unit, contact,
	    via, &sr, err, sizeof(err)) == -1) {
		httpd_reply_error(req, 500, "store: %s", err);
		goto done;
	}
	api_reply(req, 200, json_pack("{s:b,s:o,s:o,s:I,s:b,s:o}",
	    "submitted", 1,
	    "unit", sr.unit != NULL ? json_string(sr.unit) : json_null(),
	    "contacts", api_submission_contacts(&sr),
	    "cancelled", (json_int_t)sr.n_changed,
	    "already", !sr.first,
	    "at", api_json_time(sr.at, c->timezone)));
	submission_result_clear(&sr);
done:
	json_decref(body);
}

/* The answer code for an ack that did not go through. */
static int
api_ack_code(enum ack_result r)
{
	switch (r) {
	case ACK_NO_JOB:
		return 404;
	case ACK_CANCELLED:
	case ACK_NOT_DEADLINE:
		return 409;
	default:
		return 500;
	}
}

void
api_acks(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "key", "action", NULL };
	struct api_ctx *ctx = arg;
	const struct model *m;
	const struct model_campaign *c;
	struct ack_outcome out;
	const char *text, *action = "seen";
	char key[JOB_KEY_LEN];
	json_t *body;
	int a;

	if (api_authorize(req, ctx, API_WRITE) == -1 ||
	    (body = api_body(req, ctx, allowed)) == NULL)
		return;
	if (api_string(req, body, "key", 1, &text) == -1 ||
	    api_string(req, body, "action", 0, &action) == -1)
		goto done;
	if (api_key_parse(text, key, sizeof(key)) == -1) {
		httpd_reply_error(req, 400, "malformed job key \"%.64s\": want "
		    "a UUID", text);
		goto done;
	}
	if ((a = ack_action_parse(action)) == -1) {
		httpd_reply_error(req, 400, "bad \"action\" \"%.64s\": want "
		    "\"seen\" or \"submitted\"", action);
		goto done;
	}
	if (ack_apply(ctx->engine, key, (enum ack_action)a, "api",
	    &out) == -1) {
		if (out.result == ACK_CANCELLED)
			httpd_reply_error(req, 409, "the notice was "
			    "cancelled%s%s", out.detail[0] != '\0' ? ": " : "",
			    out.detail);
		else
			httpd_reply_error(req, api_ack_code(out.result), "%s",
			    out.detail);
		goto done;
	}
	m = engine_model(ctx->engine);
	c = model_campaign_find(m, out.campaign);
	api_reply(req, 200, json_pack("{s:s,s:s,s:o,s:b,s:I}",
	    "key", key, "action", ack_action_name((enum ack_action)a),
	    "at", api_json_time(out.at, c != NULL ? c->timezone :
	    m->daemon.timezone),
	    "already", out.result == ACK_ALREADY,
	    "cancelled", (json_int_t)out.n_cancelled));
done:
	json_decref(body);
}

void
api_reload(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { NULL };
	struct api_ctx *ctx = arg;
	struct errlist errs = { 0 };
	json_t *body, *errors;
	char *s;

	if (api_authorize(req, ctx, API_WRITE) == -1)
		return;
	/* No parameters: an empty body, or "{}" for clients that always
	 * send JSON. */
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
		if ((body = api_body(req, ctx, allowed)) == NULL)
			return;
		json_decref(body);
	}
	/* Logged like SIGHUP's, so the log shows every config change. */
	log_notice("api: reloading %s", ctx->config_path);
	if (ctx->reload(ctx->reload_arg, &errs) == 0) {
		log_notice("reload: config generation %u in use",
		    api_generation(ctx));
		errlist_clear(&errs);
		api_reply(req, 200, json_pack("{s:b,s:I}", "ok", 1,
		    "generation", (json_int_t)api_generation(ctx)));
		return;
	}
	errors = json_array();
	for (size_t i = 0; i < errs.n; i++) {
		if (errs.v[i].warning)
			continue;
		s = errlist_format(&errs, i);
		json_array_append_new(errors, json_string(s));
		free(s);
	}
	errlist_clear(&errs);
	log_errx("reload failed: keeping config generation %u",
	    api_generation(ctx));
	api_reply(req, 422, json_pack("{s:s,s:o,s:I}",
	    "error", "config has errors", "errors", errors,
	    "generation", (json_int_t)api_generation(ctx)));
}
