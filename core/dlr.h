/*
 * dlr.h - delivery reports from SMS gateways, on heraldd's HTTP server.
 *
 * The sms plugin asks Kannel to call back
 *   GET /v1/dlr?channel=C&key=K&part=N&type=%d&at=%T&id=%F&kid=%I&reply=%A
 * for every part of every message; the handler records the report in the
 * store (store_receipt(): the receipts table and a "receipt" event in the
 * job's history).  The endpoint needs no secret: it listens where the
 * control API does (loopback by default) and a forged report can only add
 * a receipt line to a job whose key the sender already knows.
 */
#ifndef HERALD_DLR_H
#define HERALD_DLR_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct engine;
struct httpd;

struct dlr_report {
	char key[JOB_KEY_LEN];
	char channel[64];	/* "" when absent */
	int part;		/* 1-based; 1 when absent */
	int type;		/* gateway report type (Kannel dlr bit) */
	int64_t at;		/* Unix seconds; 0 when absent */
	char detail[256];	/* the gateway's answer text; "" when absent */
};

/*
 * Parse a query string ("key=...&part=1&type=8", URL-encoded).  Returns
 * 0, or -1 with a reason in err (a missing or malformed key, part or type).
 */
int dlr_parse(const char *query, struct dlr_report *out, char *err,
    size_t errlen);

/* Register GET /v1/dlr on h, recording into e's store.  e is borrowed
 * until h is freed.  Returns 0 or -1. */
int dlr_route(struct httpd *h, struct engine *e);

#endif
