/*
 * ack.c - acknowledgements, whichever door they come through (see ack.h).
 */
#include "ack.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "incident.h"
#include "policy.h"
#include "store.h"
#include "submission.h"

const char *
ack_action_name(enum ack_action a)
{
	return a == ACK_SUBMITTED ? "submitted" : "seen";
}

int
ack_action_parse(const char *s)
{
	if (strcmp(s, "seen") == 0)
		return ACK_SEEN;
	if (strcmp(s, "submitted") == 0)
		return ACK_SUBMITTED;
	return -1;
}

int
ack_kind_has_deadline(enum job_kind k)
{
	return k == JOB_REMINDER || k == JOB_OVERDUE || k == JOB_ESCALATION;
}

static void
ack_copy_job(void *arg, const struct job *j)
{
	struct ack_outcome *out = arg;

	out->kind = j->kind;
	out->state = j->state;
	snprintf(out->campaign, sizeof(out->campaign), "%s", j->campaign);
	snprintf(out->item, sizeof(out->item), "%s", j->item);
	snprintf(out->contact, sizeof(out->contact), "%s", j->contact);
	snprintf(out->incident, sizeof(out->incident), "%s",
	    j->incident != NULL ? j->incident : "");
	snprintf(out->detail, sizeof(out->detail), "%s",
	    j->detail != NULL ? j->detail : "");
}

static int
ack_fail(struct ack_outcome *out, enum ack_result r, const char *msg)
{
	out->result = r;
	snprintf(out->detail, sizeof(out->detail), "%s", msg);
	return -1;
}

/* Whether out is an alert of an incident: its ack is the incident's. */
static int
ack_is_alert(const struct ack_outcome *out)
{
	return out->incident[0] != '\0' && policy_incident_stops(out->kind);
}

/*
 * The state of an alert's incident: ACK_OK while open, else ACK_ALREADY
 * at the time someone took charge (or resolved it).  An alert cancelled
 * because of that is no "cancelled notice" to its reader.
 */
static int
ack_lookup_incident(struct engine *e, struct ack_outcome *out)
{
	struct incident *inc = NULL;
	char err[256];

	switch (incident_get(e, out->incident, &inc, err, sizeof(err))) {
	case INCIDENT_OK:
		break;
	case INCIDENT_NOT_FOUND:
		return ack_fail(out, ACK_NO_JOB, err);
	default:
		return ack_fail(out, ACK_ERROR, err);
	}
	out->result = ACK_OK;
	if (inc->v.state == STORE_INCIDENT_ACKED) {
		out->result = ACK_ALREADY;
		out->at = inc->v.acked_at;
	} else if (inc->v.state == STORE_INCIDENT_RESOLVED) {
		out->result = ACK_ALREADY;
		out->at = inc->v.resolved_at;
	}
	incident_free(inc);
	return 0;
}

/* Take charge of the alert's incident through door via. */
static int
ack_apply_incident(struct engine *e, const char *key, const char *via,
    struct ack_outcome *out)
{
	struct store *s = engine_store(e);
	struct incident *inc = NULL;
	enum incident_status r;
	char err[256];
	int already = 0;

	r = incident_ack(e, out->incident, out->contact, via, &inc, &already,
	    err, sizeof(err));
	if (r == INCIDENT_CONFLICT) {
		incident_free(inc);
		return ack_lookup_incident(e, out);
	}
	if (r != INCIDENT_OK) {
		incident_free(inc);
		return ack_fail(out, r == INCIDENT_NOT_FOUND ? ACK_NO_JOB :
		    ACK_ERROR, err);
	}
	out->result = already ? ACK_ALREADY : ACK_OK;
	out->at = inc->v.acked_at;
	incident_free(inc);
	/* The alert itself is seen too, for its history. */
	if (store_ack(s, key, engine_time(e), via) == -1)
		return ack_fail(out, ACK_ERROR, store_error(s));
	return 0;
}

int
ack_lookup(struct engine *e, const char *key, struct ack_outcome *out)
{
	struct store *s = engine_store(e);
	int found = 0, acked = 0, submitted = 0;

	memset(out, 0, sizeof(*out));
	if (store_get(s, key, ack_copy_job, out, &found) == -1)
		return ack_fail(out, ACK_ERROR, store_error(s));
	if (!found)
		return ack_fail(out, ACK_NO_JOB, "no such notice");
	if (ack_is_alert(out))
		return ack_lookup_incident(e, out);
	if (store_is_acked(s, key, &acked, &out->at) == -1 ||
	    (ack_kind_has_deadline(out->kind) && submission_is_done(s,
	    engine_model(e), out->campaign, out->item, out->contact,
	    &submitted, NULL) == -1))
		return ack_fail(out, ACK_ERROR, store_error(s));
	/* A job cancelled by its own submission is not a "cancelled"
	 * notice to the person who submitted: it is done. */
	if (out->state == JOB_CANCELLED && !submitted) {
		out->result = ACK_CANCELLED;	/* detail: why, from the store */
		return -1;
	}
	out->result = acked || submitted ? ACK_ALREADY : ACK_OK;
	return 0;
}

int
ack_apply(struct engine *e, const char *key, enum ack_action a,
    const char *via, struct ack_outcome *out)
{
	struct store *s = engine_store(e);
	int64_t now = engine_time(e);
	struct submission_result sr;
	int done = 0;
	char err[256];

	if (ack_lookup(e, key, out) == -1)
		return -1;
	if (ack_is_alert(out)) {
		if (a == ACK_SUBMITTED)
			return ack_fail(out, ACK_NOT_DEADLINE,
			    "this notice has no deadline to submit");
		return ack_apply_incident(e, key, via, out);
	}
	if (a == ACK_SUBMITTED) {
		if (!ack_kind_has_deadline(out->kind))
			return ack_fail(out, ACK_NOT_DEADLINE,
			    "this notice has no deadline to submit");
		/* A repeat reports the first submission's time, which
		 * may be another member's of the unit. */
		if (submission_is_done(s, engine_model(e), out->campaign,
		    out->item, out->contact, &done, &out->at) == -1)
			return ack_fail(out, ACK_ERROR, store_error(s));
		if (done) {
			out->result = ACK_ALREADY;
			return 0;
		}
		if (submission_record(e, out->campaign, out->item, NULL,
		    out->contact, via, &sr, err, sizeof(err)) == -1)
			return ack_fail(out, ACK_ERROR, err);
		out->n_cancelled = sr.n_changed;
		submission_result_clear(&sr);
	}
	/* Submitting implies having seen it: record both. */
	if (store_is_acked(s, key, &done, &out->at) == -1)
		return ack_fail(out, ACK_ERROR, store_error(s));
	if (done && a == ACK_SEEN) {
		out->result = ACK_ALREADY;
		return 0;
	}
	if (!done) {
		if (store_ack(s, key, now, via) == -1)
			return ack_fail(out, ACK_ERROR, store_error(s));
		out->at = now;
	}
	if (a == ACK_SUBMITTED)
		out->at = now;
	out->result = ACK_OK;
	return 0;
}
