/*
 * api.c - the control API's routes and what every handler shares (see
 * api.h, api_internal.h and doc/api.txt).
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "api_internal.h"
#include "civil.h"
#include "dlr.h"
#include "engine.h"
#include "generation.h"
#include "httpd.h"
#include "model.h"
#include "suggest.h"

int
api_secret_equal(const char *secret, size_t secret_len, const char *given)
{
	unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];

	if (secret == NULL || given == NULL)
		return 0;
	SHA256((const unsigned char *)secret, secret_len, want);
	SHA256((const unsigned char *)given, strlen(given), got);
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

int
api_authorize(struct evhttp_request *req, const struct api_ctx *ctx,
    enum api_access acc)
{
	const struct model_daemon *md = &engine_model(ctx->engine)->daemon;
	const char *h;

	if ((acc == API_READ && !md->api_read_auth) ||
	    (acc == API_METRICS && !md->metrics_auth))
		return 0;
	if (md->api_token == NULL) {
		httpd_reply_error(req, 403, "writes are disabled: no "
		    "api_token_file in the config");
		return -1;
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer realm=\"herald\"");
		httpd_reply_error(req, 401, "missing \"Authorization: Bearer "
		    "TOKEN\"");
		return -1;
	}
	if (!api_secret_equal(md->api_token, md->api_token_len, h + 7)) {
		httpd_reply_error(req, 403, "wrong token");
		return -1;
	}
	return 0;
}

static int
api_allowed(const char *name, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, name) == 0)
			return 1;
	return 0;
}

const char *
api_raw_body(struct evhttp_request *req, const struct api_ctx *ctx,
    size_t *lenp)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Content-Type");
	unsigned char *p;

	if (len > engine_model(ctx->engine)->daemon.api_max_body) {
		httpd_reply_error(req, 413, "body of %zu bytes is over the "
		    "limit of %zu (api_max_body)", len,
		    engine_model(ctx->engine)->daemon.api_max_body);
		return NULL;
	}
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		httpd_reply_error(req, 415, "the body must be "
		    "application/json");
		return NULL;
	}
	if ((p = evbuffer_pullup(in, -1)) == NULL && len > 0) {
		httpd_reply_error(req, 500, "out of memory");
		return NULL;
	}
	*lenp = len;
	/* An empty body has no buffer: "" lets json_loadb say so. */
	return p != NULL ? (const char *)p : "";
}

json_t *
api_body(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *const *allowed)
{
	const char *name, *p;
	json_error_t je;
	json_t *o, *v;
	size_t len;

	if ((p = api_raw_body(req, ctx, &len)) == NULL)
		return NULL;
	o = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		httpd_reply_error(req, 400, "malformed JSON at line %d, column "
		    "%d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		httpd_reply_error(req, 400, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(o, name, v) {
		if (!api_allowed(name, allowed)) {
			httpd_reply_error(req, 400, "unknown field \"%s\"",
			    name);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int
api_string(struct evhttp_request *req, json_t *o, const char *name,
    int required, const char **out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL) {
		if (!required)
			return 1;
		httpd_reply_error(req, 400, "missing field \"%s\"", name);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		httpd_reply_error(req, 400, "field \"%s\" must be a non-empty "
		    "string", name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/*
 * A GET's answer gets an ETag of basis (the first 8 bytes of its SHA-256):
 * strong when basis is the body (the same bytes, the same tag), weak when
 * it is the body less the time it was made (api_reply_as_of()).  When the
 * client's If-None-Match names it, answer 304 with no body and return 1.
 * A client polling a view (the board's pages, a wall screen's script)
 * then moves a header instead of the whole answer when nothing changed.
 */
static int
api_not_modified(struct evhttp_request *req, const char *basis, int weak)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "If-None-Match");
	char tag[24];
	const char *quoted = weak ? tag + 2 : tag;

	SHA256((const unsigned char *)basis, strlen(basis), md);
	snprintf(tag, sizeof(tag), "%s\"%02x%02x%02x%02x%02x%02x%02x%02x\"",
	    weak ? "W/" : "", md[0], md[1], md[2], md[3], md[4], md[5], md[6],
	    md[7]);
	evhttp_add_header(evhttp_request_get_output_headers(req), "ETag", tag);
	/* Weak comparison (RFC 9110 13.1.2): the quoted part, W/ or not. */
	if (inm == NULL || strstr(inm, quoted) == NULL)
		return 0;
	evhttp_send_reply(req, 304, "Not Modified", NULL);
	return 1;
}

/* Send body s with code; basis and weak as for api_not_modified(). */
static void
api_send(struct evhttp_request *req, int code, const char *s,
    const char *basis, int weak)
{
	if (code == 200 && evhttp_request_get_command(req) ==
	    EVHTTP_REQ_GET && api_not_modified(req, basis, weak))
		return;
	httpd_reply_json(req, code, s);
}

void
api_reply(struct evhttp_request *req, int code, json_t *v)
{
	char *s = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	if (s == NULL) {
		httpd_reply_error(req, 500, "cannot encode the answer");
		return;
	}
	api_send(req, code, s, s, 0);
	free(s);
}

void
api_reply_as_of(struct evhttp_request *req, const char *key, json_t *at,
    json_t *v)
{
	char *basis = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL, *s = NULL;
	json_t *o = json_object();

	/* The time first, as before: the same bytes for the same answer. */
	if (basis != NULL && o != NULL && at != NULL &&
	    json_object_set(o, key, at) == 0 && json_object_update(o, v) == 0)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_decref(at);
	json_decref(v);
	if (s == NULL)
		httpd_reply_error(req, 500, "cannot encode the answer");
	else
		api_send(req, 200, s, basis, 1);
	free(s);
	free(basis);
}

int
api_query(struct evhttp_request *req, struct evkeyvalq *q,
    const char *const *allowed)
{
	const char *query = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req));
	struct evkeyval *kv;

	TAILQ_INIT(q);
	if (query == NULL)
		return 0;
	if (evhttp_parse_query_str(query, q) == -1) {
		evhttp_clear_headers(q);
		httpd_reply_error(req, 400, "malformed query string");
		return -1;
	}
	TAILQ_FOREACH(kv, q, next) {
		if (!api_allowed(kv->key, allowed)) {
			httpd_reply_error(req, 400, "unknown parameter \"%s\"",
			    kv->key);
			evhttp_clear_headers(q);
			return -1;
		}
	}
	return 0;
}

char *
api_time(int64_t t, const char *zone, char *buf, size_t len)
{
	struct civil c;
	int off = 0;

	if (civil_from_instant(t, zone, &c, &off) == -1) {
		snprintf(buf, len, "%lld", (long long)t);
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    c.year, c.month, c.day, c.hour, c.min, c.sec, off < 0 ? '-' : '+',
	    abs(off) / 3600, abs(off) % 3600 / 60);
	return buf;
}

json_t *
api_json_time(int64_t t, const char *zone)
{
	char buf[48];

	if (t == 0)
		return json_null();
	return json_string(api_time(t, zone, buf, sizeof(buf)));
}

int
api_parse_time(const char *s, const char *zone, int end_of_day,
    int64_t *out)
{
	struct civil c;
	char text[32], err[128], *end;
	int date_only = 0;
	long long v;
	size_t n;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end == '\0' && errno == 0 && v >= 0) {
		*out = v;
		return 0;
	}
	/* "2023-08-04T17:00" and "2023-08-04 17:00" alike. */
	n = strlen(s);
	if (n >= sizeof(text))
		return -1;
	memcpy(text, s, n + 1);
	if (n > 10 && text[10] == 'T')
		text[10] = ' ';
	if (civil_parse(text, &c, &date_only, err, sizeof(err)) == -1)
		return -1;
	if (date_only && end_of_day) {
		int32_t days = civil_days_from_date(c.year, c.month, c.day) + 1;

		civil_date_from_days(days, &c.year, &c.month, &c.day);
	}
	return civil_to_instant(&c, zone, out, NULL);
}

/* "; did you mean \"x\"?" for sg's best offer, or "". */
static const char *
api_did_you_mean(const struct suggest *sg, char *buf, size_t len)
{
	const char *best = suggest_best(sg);

	if (best == NULL)
		return "";
	snprintf(buf, len, "; did you mean \"%s\"?", best);
	return buf;
}

const struct model_campaign *
api_find_campaign(struct evhttp_request *req, const struct model *m,
    const char *id)
{
	const struct model_campaign *c = model_campaign_find(m, id);
	struct suggest sg;
	char buf[300];

	if (c != NULL)
		return c;
	suggest_init(&sg, id);
	for (size_t i = 0; i < m->n_campaigns; i++)
		suggest_offer(&sg, m->campaigns[i].id);
	httpd_reply_error(req, 404, "unknown campaign \"%s\"%s", id,
	    api_did_you_mean(&sg, buf, sizeof(buf)));
	return NULL;
}

const struct model_deadline *
api_find_deadline(struct evhttp_request *req, const struct model_campaign *c,
    const char *id)
{
	const struct model_deadline *dl = model_deadline_find(c, id);
	struct suggest sg;
	char buf[300];

	if (dl != NULL)
		return dl;
	suggest_init(&sg, id);
	for (size_t i = 0; i < c->n_deadlines; i++)
		suggest_offer(&sg, c->deadlines[i].id);
	httpd_reply_error(req, 404, "campaign \"%s\" has no deadline "
	    "\"%s\"%s", c->id, id, api_did_you_mean(&sg, buf, sizeof(buf)));
	return NULL;
}

int
api_find_any_deadline(struct evhttp_request *req, const struct model *m,
    const char *id, const struct model_campaign **c,
    const struct model_deadline **dl)
{
	struct suggest sg;
	size_t n = 0;
	char buf[300];

	suggest_init(&sg, id);
	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_campaign *k = &m->campaigns[i];
		const struct model_deadline *x = model_deadline_find(k, id);

		if (x != NULL && n++ == 0) {
			*c = k;
			*dl = x;
		}
		for (size_t j = 0; j < k->n_deadlines; j++)
			suggest_offer(&sg, k->deadlines[j].id);
	}
	if (n == 1)
		return 0;
	if (n > 1)
		httpd_reply_error(req, 400, "deadline \"%s\" is in %zu "
		    "campaigns: name one with \"campaign\"", id, n);
	else
		httpd_reply_error(req, 404, "no campaign has a deadline "
		    "\"%s\"%s", id, api_did_you_mean(&sg, buf, sizeof(buf)));
	return -1;
}

/*
 * GET /healthz: alive, not on the way out, and able to record outcomes.
 * A store that cannot write makes the daemon unhealthy (503): it holds
 * its sends until the store answers again, so a monitor should page.
 */
unsigned
api_generation(const struct api_ctx *ctx)
{
	return ctx->engine != NULL ?
	    engine_generation(ctx->engine)->number : 0;
}

static void
api_healthz(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct engine_status *es = ctx->engine != NULL ?
	    engine_status(ctx->engine) : NULL;
	int store_ok = es == NULL || !es->store_failing;
	int ok = !ctx->state->draining && store_ok;
	json_t *o;

	o = json_pack("{s:b,s:I,s:s}", "ok", ok, "generation",
	    (json_int_t)api_generation(ctx), "store",
	    store_ok ? "ok" : "failing");
	if (ctx->state->draining)
		json_object_set_new(o, "reason", json_string("stopping"));
	else if (!store_ok)
		json_object_set_new(o, "reason", json_sprintf("the store cannot "
		    "record outcomes: %s", es->store_error));
	api_reply(req, ok ? 200 : 503, o);
}

int
api_route(struct httpd *h, struct api_ctx *ctx)
{
	static const struct {
		const char *method, *path;
		httpd_handler_fn fn;
	} routes[] = {
		{ "GET", "/healthz", api_healthz },
		{ "GET", "/metrics", api_metrics },
		{ "GET", "/v1/status", api_status },
		{ "GET", "/v1/agenda", api_agenda },
		{ "GET", "/v1/agenda.ics", api_agenda_ics },
		{ "GET", "/v1/jobs/", api_job },
		{ "GET", "/v1/submissions", api_board },
		{ "POST", "/v1/submissions", api_submissions },
		{ "POST", "/v1/acks", api_acks },
		{ "POST", "/v1/reload", api_reload },
		/* Before any "/v1/incidents/" prefix route: the first
		 * match wins. */
		{ "POST", "/v1/incidents/alertmanager", api_alertmanager },
		{ "GET", "/v1/incidents", api_incidents },
		{ "POST", "/v1/incidents", api_incident_trigger },
		{ "GET", "/v1/incidents/", api_incident },
		{ "POST", "/v1/incidents/", api_incident_action },
		{ "GET", "/v1/sms/mo", api_sms_mo },
		{ "GET", "/a/", api_ackpage },
		{ "POST", "/a/", api_ackpage },
		{ "GET", "/board", api_board_page },
		{ "GET", "/board/", api_board_page },
		{ "POST", "/board/", api_board_page },
	};

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (httpd_route(h, routes[i].method, routes[i].path,
		    routes[i].fn, ctx) == -1)
			return -1;
	return dlr_route(h, ctx->engine);
}
