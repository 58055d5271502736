/*
 * alertmanager.h - Prometheus Alertmanager's webhook payload (version
 * "4") read into incident requests (POST /v1/incidents/alertmanager).
 *
 * Pure: bytes and the herald.alertmanager settings in, a list out; no
 * model look-up, no store, no log.  Whether a plan exists is the
 * incident's business, not the payload's.
 *
 * Alertmanager sends one payload per alert group: every alert of the
 * group, firing and (with send_resolved) resolved, each with its own
 * status.  So one bad alert must not cost the others: an alert without
 * the plan or venue label, or with an oversize venue or note, is skipped
 * with a reason and the rest go on.  Only a payload that is not version
 * "4" Alertmanager JSON is refused as a whole.
 */
#ifndef HERALD_ALERTMANAGER_H
#define HERALD_ALERTMANAGER_H

#include <stddef.h>

#include <jansson.h>

struct model_alertmanager;

/* The limits of an incident's fields (doc/api.txt, POST /v1/incidents),
 * in bytes of UTF-8. */
#define AM_VENUE_MAX	200
#define AM_NOTE_MAX	2000

/*
 * One alert as an incident request.  Strings are borrowed from the batch
 * (its JSON document) and live until am_batch_clear().
 */
struct am_request {
	const char *campaign;	/* the campaign label, or NULL: the plan's */
	const char *plan;
	const char *venue;
	const char *note;	/* the note annotation, else the alertname
				 * label, else NULL */
	int drill;		/* the drill label is "true" */
	int resolved;		/* status "resolved": close the incident */
	const char *fingerprint; /* Alertmanager's id of the alert, or "" */
	const char *alertname;	/* the alertname label, or "" */
};

/* An alert of the payload, in payload order: a request, or skipped. */
struct am_alert {
	struct am_request req;	/* filled as far as read when skipped */
	const char *status;	/* as sent (borrowed), NULL when absent or
				 * not a string */
	const char *skipped;	/* NULL, or why it is no request: a
				 * literal or why below */
	char why[160];		/* a reason naming a label */
};

struct am_batch {
	json_t *doc;		/* owns every string above */
	const char *receiver;	/* "" when absent */
	const char *status;	/* the group's: "firing" or "resolved" */
	const char *group_key;	/* "" when absent */
	long long truncated;	/* alerts Alertmanager left out (max_alerts) */
	struct am_alert *alerts; /* owned */
	size_t n;
};

/*
 * Read the payload body (len bytes, not NUL-terminated) with the label
 * names of conf.  Returns 0 with *out filled (caller clears it with
 * am_batch_clear()), or -1 with the reason in err: malformed JSON (line
 * and column), not an object, "version" missing or not "4", "alerts"
 * missing or not an array, an alert not an object.  Unknown members and
 * unknown labels are ignored: Alertmanager adds fields within a version.
 */
int am_parse(const char *body, size_t len,
    const struct model_alertmanager *conf, struct am_batch *out,
    char *err, size_t errlen);

/* Free what b owns and zero it.  Accepts a zeroed batch. */
void am_batch_clear(struct am_batch *b);

#endif
