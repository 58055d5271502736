/*
 * livestream.c - the livestream channel: a stage's schedule and its
 * on-air events, posted to a livestream platform's HTTP API.
 *
 * The core plans a stage's events as jobs like any other (planner_stage.c)
 * and renders each one as the JSON document the platform takes
 * (render_stage.c); the job's address is the stage id.  This plugin only
 * chooses the URL by the job's kind, adds the bearer token and classifies
 * the answer.  The generic contract (doc/livestream.txt):
 *
 *   POST {url}/stages/{stage}/schedule   kind "schedule": the whole slot list
 *   POST {url}/stages/{stage}/events     kinds "next_up", "on_air", "off_air"
 *
 * with "Authorization: Bearer <token>", "X-Herald-Id: <job key>" (the
 * platform drops a repeat by it).  2xx is delivered; 408, 429 and 5xx are
 * retried (Retry-After honoured); any other 4xx is permanent.
 *
 * `flavour` is the hook for a real platform's API: only "generic" exists;
 * a platform with its own paths or payloads gets a flavour here and its
 * own mapping, without touching the core.
 *
 * A block:
 *
 *   { name = "live"; plugin = "livestream"; url = "https://live.example/api";
 *     token_file = "secrets/live.token"; flavour = "generic"; }
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herald-plugin.h>
#include <herald-plugin-conf.h>

#include "plugin_util.h"

#define LIVE_TIMEOUT_MS		10000
#define LIVE_REASON_MAX		160

enum live_flavour {
	LIVE_GENERIC = 0,
};

struct live_channel {
	const struct herald_host *host;		/* valid until close() */
	const struct herald_channel_conf *conf;	/* likewise */
	enum live_flavour flavour;
	char *url;		/* base, without a trailing slash */
	char *auth;		/* "Authorization: Bearer ..."; wiped on close */
	char *ca_file;		/* or NULL */
	unsigned timeout_ms;
};

/* One send in flight: the completion and the URL the answer is about. */
struct live_send {
	struct live_channel *lc;
	struct herald_completion *c;
};

struct live_settings {
	struct herald_conf_value url, token_file, flavour, timeout, ca;
};

#define LIVE_ROW(n, t, f) HERALD_CONF_ROW(struct live_settings, n, t, f)
static const struct herald_conf_row live_rows[] = {
	{ LIVE_ROW("url", STRING, url), .missing = "missing setting \"url\" "
	    "(the platform's API base, http:// or https://)" },
	{ LIVE_ROW("token_file", STRING, token_file),
	    .missing = "missing setting \"token_file\" (a file whose first "
	    "line is the platform's bearer token)" },
	{ LIVE_ROW("flavour", STRING, flavour) },
	{ LIVE_ROW("timeout", DURATION, timeout),
	    .max = 3600000, .bad = "\"timeout\" must be a duration like "
	    "\"10s\" (at most an hour)" },
	{ LIVE_ROW("ca_file", STRING, ca) },
};

static void
live_free(struct live_channel *lc)
{
	if (lc == NULL)
		return;
	if (lc->auth != NULL)
		explicit_bzero(lc->auth, strlen(lc->auth));
	free(lc->auth);
	free(lc->url);
	free(lc->ca_file);
	free(lc);
}

/* The bearer header from the token file, into lc->auth; -1 with err. */
static int
live_read_token(struct live_channel *lc, const char *file, char *err,
    size_t errlen)
{
	char *tok;
	size_t n;

	if ((tok = plugin_read_conf_secret(lc->conf, file, err, errlen)) == NULL)
		return -1;
	if (tok[0] == '\0') {
		free(tok);
		snprintf(err, errlen, "the token file is empty");
		return -1;
	}
	n = strlen(tok);
	if ((lc->auth = malloc(n + sizeof("Authorization: Bearer "))) != NULL)
		snprintf(lc->auth, n + sizeof("Authorization: Bearer "),
		    "Authorization: Bearer %s", tok);
	explicit_bzero(tok, n);
	free(tok);
	if (lc->auth == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
live_open(const struct herald_host *host, const struct herald_channel_conf *conf,
    void **state)
{
	struct live_settings set;
	struct live_channel *lc;
	char err[512];
	size_t n;
	int ok;

	if (host->size <= offsetof(struct herald_host, http) ||
	    host->http == NULL) {
		host->conf_error(conf, NULL, "the livestream channel needs a "
		    "host with the HTTP client (herald ABI 1.2 or later)");
		return -1;
	}
	ok = herald_conf_read(host, conf, live_rows,
	    sizeof(live_rows) / sizeof(live_rows[0]), &set);
	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	lc->host = host;
	lc->conf = conf;
	lc->timeout_ms = LIVE_TIMEOUT_MS;
	if (set.flavour.str != NULL && strcmp(set.flavour.str, "generic") != 0) {
		host->conf_error(conf, set.flavour.at, "\"flavour\" must be "
		    "\"generic\" (the only platform contract so far)");
		ok = 0;
	}
	if (set.url.str != NULL && !plugin_url_is_http(set.url.str)) {
		host->conf_error(conf, set.url.at, "\"url\" must start with "
		    "http:// or https://");
		ok = 0;
	}
	if (set.timeout.is_set)
		lc->timeout_ms = (unsigned)set.timeout.num;
	if (!ok || conf->check_only)
		goto fail;

	if ((lc->url = strdup(set.url.str)) == NULL)
		goto oom;
	n = strlen(lc->url);
	while (n > 0 && lc->url[n - 1] == '/')
		lc->url[--n] = '\0';
	if (live_read_token(lc, set.token_file.str, err, sizeof(err)) == -1) {
		host->conf_error(conf, set.token_file.at, "token_file: %s", err);
		goto fail;
	}
	if (set.ca.str != NULL &&
	    (lc->ca_file = plugin_path(conf, set.ca.str)) == NULL)
		goto oom;
	*state = lc;
	return 0;
oom:
	host->conf_error(conf, NULL, "out of memory");
fail:
	live_free(lc);
	/* check_only with good settings is a success that opened nothing. */
	return ok && conf->check_only ? 0 : -1;
}

/* The path under the base for a job of kind; NULL: not a stage event. */
static const char *
live_path(const char *kind)
{
	if (strcmp(kind, "schedule") == 0)
		return "schedule";
	if (strcmp(kind, "on_air") == 0 || strcmp(kind, "off_air") == 0 ||
	    strcmp(kind, "next_up") == 0)
		return "events";
	return NULL;
}

/*
 * What an answer means: 2xx delivered; 408, 429 and 5xx are the
 * platform busy or down (retry, after Retry-After when given); another
 * 4xx is a request the platform will never take (unknown stage, bad
 * token): retrying would not help.
 */
static enum herald_outcome
live_classify(const struct herald_http_response *r, char *reason,
    size_t len)
{
	if (r->status >= 200 && r->status < 300)
		return HERALD_DELIVERED;
	if (r->status == 0) {
		snprintf(reason, len, "%s", r->error != NULL ? r->error :
		    "no answer");
		return HERALD_TRANSIENT;
	}
	snprintf(reason, len, "HTTP %ld", r->status);
	if (r->status == 408 || r->status == 429 || r->status >= 500)
		return HERALD_TRANSIENT;
	return HERALD_PERMANENT;
}

static void
live_on_answer(void *arg, const struct herald_http_response *r)
{
	struct live_send *ls = arg;
	const struct herald_host *host = ls->lc->host;
	struct herald_completion *c = ls->c;
	char reason[LIVE_REASON_MAX];
	enum herald_outcome o;

	o = live_classify(r, reason, sizeof(reason));
	/* The platform is told the key (X-Herald-Id) to drop a repeat by. */
	if (r->status == 0 && r->timed_out)
		o = plugin_timeout_outcome(host, r, 1);
	free(ls);
	host->complete(c, o, o == HERALD_TRANSIENT ? r->retry_after_ms : 0,
	    o == HERALD_DELIVERED ? NULL : reason);
}

static void
live_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct live_channel *lc = state;
	struct herald_http_request req = { 0 };
	struct plugin_buf url = { 0 };
	const char *path = live_path(msg->kind), *headers[4];
	char idhdr[100];
	struct live_send *ls;

	if (path == NULL) {
		lc->host->complete(c, HERALD_PERMANENT, 0, "the livestream "
		    "channel carries stage events only (schedule, next_up, "
		    "on_air, off_air)");
		return;
	}
	if (msg->address == NULL || msg->address[0] == '\0' ||
	    msg->body == NULL) {
		lc->host->complete(c, HERALD_PERMANENT, 0, "no stage to "
		    "publish to");
		return;
	}
	plugin_buf_str(&url, lc->url);
	plugin_buf_str(&url, "/stages/");
	plugin_buf_urlenc(&url, msg->address, strlen(msg->address));
	plugin_buf_str(&url, "/");
	plugin_buf_str(&url, path);
	if (url.failed || (ls = calloc(1, sizeof(*ls))) == NULL) {
		free(url.s);
		lc->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	ls->lc = lc;
	ls->c = c;
	snprintf(idhdr, sizeof(idhdr), "X-Herald-Id: %s", msg->key);
	headers[0] = "Content-Type: application/json; charset=utf-8";
	headers[1] = idhdr;
	headers[2] = lc->auth;
	headers[3] = NULL;
	req.method = "POST";
	req.url = url.s;
	req.headers = headers;
	req.body = msg->body;
	req.body_len = strlen(msg->body);
	req.timeout_ms = lc->timeout_ms;
	req.ca_file = lc->ca_file;
	lc->host->log(lc->conf, HERALD_LOG_DEBUG, "%s %s for stage %s",
	    msg->kind, msg->key, msg->address);
	if (lc->host->http(lc->conf, &req, live_on_answer, ls) == -1) {
		free(ls);
		lc->host->complete(c, HERALD_TRANSIENT, 0, "cannot start the "
		    "HTTP request");
	}
	free(url.s);
}

static void
live_close(void *state)
{
	live_free(state);
}

static const struct herald_plugin live_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "livestream",
	.version = "1.0",
	.description = "a stage's schedule and on-air events to a livestream "
	    "platform's HTTP API",
	.caps = {
		.max_length = 0,
		.length_unit = HERALD_LEN_BYTES,
		/* The address of a stage job is the stage id. */
		.address = HERALD_ADDR_HANDLE,
		.ack_links = 0,
		.delivery_receipts = 0,
		.default_rate = 0,
		.default_burst = 0,
		.default_concurrency = 2,
	},
	.open = live_open,
	.send = live_send,
	.close = live_close,
};

HERALD_PLUGIN_DECLARE(live_plugin)
