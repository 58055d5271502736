/*
 * dlr.c - the delivery-report endpoint (see dlr.h).
 *
 * Kannel calls the dlr-url once per report and does not retry on an
 * error answer, so a report for a key the store does not know (a job
 * already purged, a forged call) gets a 404 and a notice, nothing more.
 */
#include "dlr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "engine.h"
#include "httpd.h"
#include "log.h"
#include "store.h"

/* A decimal in [lo, hi]; -1 when s is not one. */
static int
dlr_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
dlr_parse(const char *query, struct dlr_report *out, char *err, size_t errlen)
{
	struct evkeyvalq q = { 0 };
	const char *key, *part, *type, *at, *reply, *channel;
	struct dlr_report r = { .part = 1 };
	long long v;
	int rc = -1;

	if (query == NULL || evhttp_parse_query_str(query, &q) == -1) {
		snprintf(err, errlen, "malformed query");
		goto done;
	}
	key = evhttp_find_header(&q, "key");
	part = evhttp_find_header(&q, "part");
	type = evhttp_find_header(&q, "type");
	at = evhttp_find_header(&q, "at");
	reply = evhttp_find_header(&q, "reply");
	channel = evhttp_find_header(&q, "channel");

	if (key == NULL || strlen(key) != JOB_KEY_LEN - 1) {
		snprintf(err, errlen, "missing or malformed \"key\"");
		goto done;
	}
	memcpy(r.key, key, JOB_KEY_LEN);
	if (part != NULL) {
		if (dlr_int(part, 1, 255, &v) == -1) {
			snprintf(err, errlen, "\"part\" must be 1 to 255");
			goto done;
		}
		r.part = (int)v;
	}
	if (dlr_int(type, 0, 255, &v) == -1) {
		snprintf(err, errlen, "missing or malformed \"type\"");
		goto done;
	}
	r.type = (int)v;
	/* %T is empty when the gateway has no time: take ours then. */
	if (at != NULL && *at != '\0') {
		if (dlr_int(at, 0, INT64_MAX, &v) == -1) {
			snprintf(err, errlen, "\"at\" must be Unix seconds");
			goto done;
		}
		r.at = v;
	}
	if (reply != NULL)
		snprintf(r.detail, sizeof(r.detail), "%s", reply);
	if (channel != NULL)
		snprintf(r.channel, sizeof(r.channel), "%s", channel);
	*out = r;
	rc = 0;
done:
	evhttp_clear_headers(&q);
	return rc;
}

static void
dlr_handle(struct evhttp_request *req, void *arg)
{
	struct engine *e = arg;
	struct store *s = engine_store(e);
	const char *query;
	struct dlr_report r;
	char err[256];
	int64_t at;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (dlr_parse(query, &r, err, sizeof(err)) == -1) {
		log_notice("dlr: %s", err);
		httpd_reply_error(req, 400, "%s", err);
		return;
	}
	at = r.at != 0 ? r.at : (int64_t)time(NULL);
	if (store_receipt(s, r.key, r.part, r.type, at,
	    r.detail[0] != '\0' ? r.detail : NULL) == -1) {
		log_notice("dlr: key %s part %d type %d: %s", r.key, r.part,
		    r.type, store_error(s));
		httpd_reply_error(req, strncmp(store_error(s), "no job", 6) ==
		    0 ? 404 : 500, "%s", store_error(s));
		return;
	}
	log_info("dlr: %s%skey %s part %d type %d recorded",
	    r.channel, r.channel[0] != '\0' ? ": " : "", r.key, r.part,
	    r.type);
	httpd_reply_json(req, 200, "{\"recorded\":true}");
}

int
dlr_route(struct httpd *h, struct engine *e)
{
	return httpd_route(h, "GET", "/v1/dlr", dlr_handle, e);
}
