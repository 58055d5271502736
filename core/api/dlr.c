/*
 * dlr.c - the delivery-report endpoint (see dlr.h).
 *
 * Kannel calls the dlr-url once per report and does not retry on an
 * error answer, so a report refused here (bad signature, unknown job,
 * beyond the bounds) gets its 4xx and a notice, nothing more, and is not
 * stored.
 */
#include "dlr.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <uuid/uuid.h>

#include "api_internal.h"
#include "dispatch.h"
#include "engine.h"
#include "httpd.h"
#include "log.h"
#include "model.h"
#include "store.h"

void
dlr_sign(const char *secret, size_t secret_len, const char *channel,
    const char *key, unsigned parts, int64_t sent, char out[DLR_SIG_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "%s%c%s%c%u%c%" PRId64, channel, 0,
	    key, 0, parts, 0, sent);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;	/* a channel name that long
						 * still signs, just truncated */
	HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)msg,
	    (size_t)n, mac, &mac_len);
	for (size_t i = 0; i < (DLR_SIG_LEN - 1) / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[DLR_SIG_LEN - 1] = '\0';
}

/* 9999-12-31T23:59:59Z: beyond it a time has no ISO 8601 form, and
 * sums of such times cannot overflow. */
#define DLR_TIME_MAX 253402300799LL

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
	const char *parts, *sent, *sig;
	uuid_t u;

	key = evhttp_find_header(&q, "key");
	parts = evhttp_find_header(&q, "parts");
	sent = evhttp_find_header(&q, "sent");
	sig = evhttp_find_header(&q, "sig");
	part = evhttp_find_header(&q, "part");
	type = evhttp_find_header(&q, "type");
	at = evhttp_find_header(&q, "at");
	reply = evhttp_find_header(&q, "reply");
	channel = evhttp_find_header(&q, "channel");

	if (key == NULL) {
		snprintf(err, errlen, "missing \"key\"");
		goto done;
	}
	/* The value is named so an operator sees what the gateway sent; the
	 * log layer escapes its control bytes. */
	if (strlen(key) != JOB_KEY_LEN - 1 || uuid_parse(key, u) == -1) {
		snprintf(err, errlen, "malformed \"key\" \"%.64s\"", key);
		goto done;
	}
	for (size_t i = 0; i < JOB_KEY_LEN; i++)
		r.key[i] = (char)tolower((unsigned char)key[i]);
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
		if (dlr_int(at, 0, DLR_TIME_MAX, &v) == -1) {
			snprintf(err, errlen, "\"at\" must be Unix seconds");
			goto done;
		}
		r.at = v;
	}
	if (parts != NULL) {
		if (dlr_int(parts, 1, 255, &v) == -1) {
			snprintf(err, errlen, "\"parts\" must be 1 to 255");
			goto done;
		}
		r.parts = (int)v;
	}
	if (sent != NULL) {
		if (dlr_int(sent, 1, DLR_TIME_MAX, &v) == -1) {
			snprintf(err, errlen, "\"sent\" must be Unix seconds");
			goto done;
		}
		r.sent = v;
	}
	if (sig != NULL) {
		if (strlen(sig) != DLR_SIG_LEN - 1) {
			snprintf(err, errlen, "malformed \"sig\"");
			goto done;
		}
		memcpy(r.sig, sig, DLR_SIG_LEN);
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

/* What the handler needs of the job, copied in store_get's callback. */
struct dlr_job {
	int found;
	enum job_state state;
	unsigned attempts;
	char channel[64];
};

/* store_get callback; must not call the store again. */
static void
dlr_job_found(void *arg, const struct job *j)
{
	struct dlr_job *dj = arg;

	dj->found = 1;
	dj->state = j->state;
	dj->attempts = j->attempts;
	snprintf(dj->channel, sizeof(dj->channel), "%s", j->channel);
}

/* The receipts a job already has: how many, and whether one repeats r. */
struct dlr_seen {
	const struct dlr_report *r;
	int repeat;
};

static void
dlr_receipt_seen(void *arg, int part, int type, int64_t at,
    const char *detail)
{
	struct dlr_seen *ds = arg;

	(void)at;
	(void)detail;
	if (part == ds->r->part && type == ds->r->type)
		ds->repeat = 1;
}

/*
 * Whether r may be recorded: 0, or an HTTP status with a reason in err.
 * The cheap checks (signature, bounds) come before the store's.
 */
static int
dlr_check(struct engine *e, const struct dlr_report *r, int64_t now,
    int64_t at, char *err, size_t errlen)
{
	const struct model_daemon *md = &engine_model(e)->daemon;
	struct store *s = engine_store(e);
	const struct herald_caps *caps;
	struct dlr_job dj = { 0 };
	struct dlr_seen seen = { .r = r };
	char want[DLR_SIG_LEN];
	size_t n = 0;

	if (md->dlr_secret == NULL) {
		snprintf(err, errlen, "delivery reports are off: no "
		    "herald.dlr_secret_file");
		return 403;
	}
	if (r->sig[0] == '\0' || r->parts == 0 || r->sent == 0) {
		snprintf(err, errlen, "unsigned report: \"parts\", \"sent\" and "
		    "\"sig\" are required");
		return 403;
	}
	dlr_sign(md->dlr_secret, md->dlr_secret_len, r->channel, r->key,
	    (unsigned)r->parts, r->sent, want);
	if (!api_secret_equal(want, DLR_SIG_LEN - 1, r->sig)) {
		snprintf(err, errlen, "bad signature");
		return 403;
	}
	if (r->part > r->parts) {
		snprintf(err, errlen, "part %d of a message of %d part%s",
		    r->part, r->parts, r->parts == 1 ? "" : "s");
		return 400;
	}
	if (r->type != 1 && r->type != 2 && r->type != 4 && r->type != 8 &&
	    r->type != 16 && r->type != 32) {
		snprintf(err, errlen, "\"type\" must be 1, 2, 4, 8, 16 or 32");
		return 400;
	}
	/* Near the send: not long before it, not in our future, not after
	 * the gateway's longest validity (and the API's times stay in
	 * ISO 8601's range). */
	if (at < r->sent - DLR_AT_BEFORE || at > r->sent + DLR_AT_AFTER ||
	    at > now + DLR_AT_BEFORE) {
		snprintf(err, errlen, "\"at\" is not within %d s before and "
		    "%d days after the send", DLR_AT_BEFORE,
		    DLR_AT_AFTER / 86400);
		return 400;
	}
	if (store_get(s, r->key, dlr_job_found, &dj, &dj.found) == -1) {
		snprintf(err, errlen, "%s", store_error(s));
		return 500;
	}
	if (!dj.found) {
		snprintf(err, errlen, "no job %s", r->key);
		return 404;
	}
	caps = dispatch_channel_caps(engine_dispatch(e), r->channel);
	if (strcmp(dj.channel, r->channel) != 0 || caps == NULL ||
	    !caps->delivery_receipts) {
		snprintf(err, errlen, "job %s was not sent on a channel with "
		    "delivery reports named \"%s\"", r->key, r->channel);
		return 409;
	}
	/*
	 * Sent means handed to the gateway at least once.  Part 1 of a long
	 * message is reported while part 2 is still going out (inflight),
	 * and a part that got through before a failure is reported too.
	 */
	if ((dj.state == JOB_PENDING && dj.attempts == 0) ||
	    dj.state == JOB_MISSED || dj.state == JOB_CANCELLED) {
		snprintf(err, errlen, "job %s was not sent (%s)", r->key,
		    job_state_name(dj.state));
		return 409;
	}
	if (store_receipts(s, r->key, dlr_receipt_seen, &seen, &n) == -1) {
		snprintf(err, errlen, "%s", store_error(s));
		return 500;
	}
	if (seen.repeat) {
		snprintf(err, errlen, "part %d type %d is already recorded",
		    r->part, r->type);
		return 409;
	}
	if (n >= (size_t)DLR_MAX_PER_PART * (size_t)r->parts) {
		snprintf(err, errlen, "job %s has its %d reports already",
		    r->key, DLR_MAX_PER_PART * r->parts);
		return 429;
	}
	return 0;
}

static void
dlr_handle(struct evhttp_request *req, void *arg)
{
	struct engine *e = arg;
	struct store *s = engine_store(e);
	const char *query;
	struct dlr_report r;
	char err[256];
	int64_t now = (int64_t)time(NULL), at;
	int status;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (dlr_parse(query, &r, err, sizeof(err)) == -1) {
		log_notice("dlr: %s", err);
		httpd_reply_error(req, 400, "%s", err);
		return;
	}
	at = r.at != 0 ? r.at : now;
	if ((status = dlr_check(e, &r, now, at, err, sizeof(err))) != 0) {
		log_notice("dlr: key %s part %d type %d refused: %s", r.key,
		    r.part, r.type, err);
		httpd_reply_error(req, status, "%s", err);
		return;
	}
	if (store_receipt(s, r.key, r.part, r.type, at,
	    r.detail[0] != '\0' ? r.detail : NULL) == -1) {
		log_notice("dlr: key %s part %d type %d: %s", r.key, r.part,
		    r.type, store_error(s));
		httpd_reply_error(req, 500, "%s", store_error(s));
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
