/*
 * dlr.h - delivery reports from SMS gateways, on heraldd's HTTP server.
 *
 * The sms plugin asks Kannel to call back
 *   GET /v1/dlr?channel=C&key=K&part=N&parts=P&sent=T&sig=S&type=%d&at=%T...
 * for every part of every message; the handler records the report in the
 * store (store_receipt(): the receipts table and a "receipt" event in the
 * job's history).
 *
 * Job keys are UUIDv5 of names in the config, so anyone who can read the
 * config can compute them: a key proves nothing.  The signature does.
 * sig is HMAC-SHA256(herald.dlr_secret_file, C NUL K NUL P NUL T), the
 * first 16 bytes in lowercase hex, made by the host when the plugin
 * builds the URL (host->dlr_params(), dlr_sign()).  It binds the report
 * to one channel, one job, its part count and its send time, so the
 * handler can refuse a part beyond the count and an "at" far from the
 * send without trusting the caller.  On top, a report is taken only for
 * a job that exists, was sent on that channel, and whose channel's plugin
 * reports receipts; a repeated (part, type) and anything beyond
 * DLR_MAX_PER_PART reports per part are refused, so a flood cannot grow
 * the store.
 */
#ifndef HERALD_DLR_H
#define HERALD_DLR_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct engine;
struct httpd;

/* Characters of a signature, with the NUL. */
#define DLR_SIG_LEN 33
/* Reports kept per part: one of each Kannel type (1, 2, 4, 8, 16, 32). */
#define DLR_MAX_PER_PART 6
/* How far "at" may lie from the send: before it (clocks of the gateway
 * and ours differ) and after it (an SMSC keeps trying for days). */
#define DLR_AT_BEFORE 300
#define DLR_AT_AFTER (7 * 86400)

struct dlr_report {
	char key[JOB_KEY_LEN];		/* lowercase */
	char channel[64];	/* "" when absent */
	int part;		/* 1-based; 1 when absent */
	int type;		/* gateway report type (Kannel dlr bit) */
	int64_t at;		/* Unix seconds; 0 when absent */
	char detail[256];	/* the gateway's answer text; "" when absent */
	int parts;		/* parts of the message; 0 when absent */
	int64_t sent;		/* send time, Unix seconds; 0 when absent */
	char sig[DLR_SIG_LEN];	/* "" when absent */
};

/*
 * The signature of a report URL (see above) into out, NUL-terminated.
 * secret is borrowed.
 */
void dlr_sign(const char *secret, size_t secret_len, const char *channel,
    const char *key, unsigned parts, int64_t sent, char out[DLR_SIG_LEN]);

/*
 * Parse a query string ("key=...&part=1&type=8", URL-encoded).  The key
 * is a UUID in either case and comes back in lowercase (RFC 4122 text is
 * case-insensitive; the store keeps lowercase).  Parsing checks forms
 * only; the handler checks the signature and the bounds.  Returns 0, or
 * -1 with a reason in err (a missing or malformed key, part or type...).
 */
int dlr_parse(const char *query, struct dlr_report *out, char *err,
    size_t errlen);

/* Register GET /v1/dlr on h, recording into e's store.  e is borrowed
 * until h is freed.  Returns 0 or -1. */
int dlr_route(struct httpd *h, struct engine *e);

#endif
