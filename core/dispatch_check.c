/*
 * dispatch_check.c - the checks made just before a send (see dispatch.h).
 *
 * A job is planned ahead; by the time its slot and token come up the
 * config may have dropped it, its deadline may have passed, its contact
 * may have submitted, its grace may have run out (a stalled process), a
 * later reminder of the same deadline may be due with it, or quiet hours
 * may have begun, or the node's lease on it may have run out (a node cut
 * from its store).  dispatch_check() asks all of that, in a fixed order,
 * and gathers what the render needs (which units have not submitted, the
 * digest text; tally.c).  It reads the current model
 * and the store and changes neither, so it is kept apart from the queues
 * and outcomes in dispatch.c.
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "incident.h"
#include "log.h"
#include "misfire.h"
#include "model.h"
#include "policy.h"
#include "store.h"
#include "submission.h"
#include "tally.h"
#include "xmalloc.h"

static int
dispatch_submitted(struct dispatch *d, const char *campaign,
    const char *deadline, const char *contact)
{
	int sub = 0;

	if (submission_is_done(d->st, d->cur->m, campaign, deadline, contact,
	    &sub, NULL) == -1) {
		/* Sending once too often beats silently not sending. */
		log_errx("dispatch: %s", store_error(d->st));
		return 0;
	}
	return sub;
}

/* tally_submitted_fn over the store. */
static int
dispatch_tally_submitted(void *arg, const char *campaign, const char *deadline,
    const char *contact)
{
	return dispatch_submitted(arg, campaign, deadline, contact);
}

int
dispatch_quiet_until(const struct model_quiet *q, const char *zone,
    int64_t now, int64_t *until)
{
	struct civil c;
	int m, y, mo, dd;
	int32_t day;

	if (!q->set || q->from_min == q->to_min)
		return 0;
	if (civil_from_instant(now, zone, &c, NULL) == -1)
		return 0;
	m = c.hour * 60 + c.min;
	if (q->from_min < q->to_min) {
		if (m < q->from_min || m >= q->to_min)
			return 0;
	} else if (m < q->from_min && m >= q->to_min)
		return 0;
	day = civil_days_from_date(c.year, c.month, c.day);
	/* Wrapping past midnight and still before it: ends tomorrow. */
	if (q->from_min > q->to_min && m >= q->from_min)
		day++;
	civil_date_from_days(day, &y, &mo, &dd);
	c.year = y;
	c.month = mo;
	c.day = dd;
	c.hour = q->to_min / 60;
	c.min = q->to_min % 60;
	c.sec = 0;
	if (civil_to_instant(&c, zone, until, NULL) == -1)
		return 0;
	return 1;
}

/*
 * Whether j gives way to a later reminder of its item for its contact
 * (misfire_supersede_range()): its key into out->later.  A store error
 * sends j: once too often beats not at all.
 */
static int
dispatch_superseded(struct dispatch *d, const struct job *j, int64_t now,
    struct check_out *out)
{
	int64_t after, until;
	int found = 0;

	if (!misfire_supersede_range(j, now, &after, &until))
		return 0;
	if (store_later(d->st, j, after, until, out->later, &found) == -1) {
		log_errx("dispatch: %s", store_error(d->st));
		return 0;
	}
	if (!found)
		return 0;
	snprintf(out->buf, sizeof(out->buf), "superseded by %s", out->later);
	out->reason = out->buf;
	return 1;
}

/* store_incident_fn: a copy for the render. */
static void
dispatch_keep_incident(void *arg, const struct store_incident *in)
{
	struct check_out *out = arg;

	incident_free(out->incident);
	out->incident = incident_copy(in);
}

/*
 * The incident of j, for the render, and whether it still wants j: an
 * alert of an incident someone took charge of or resolved is dropped,
 * including one claimed or queued before that.  A store error sends it:
 * an alert too many beats one missing.
 */
static int
dispatch_incident_closed(struct dispatch *d, const struct job *j,
    struct check_out *out)
{
	int found = 0;

	if (store_incident_get(d->st, j->incident, dispatch_keep_incident, out,
	    &found) == -1) {
		log_errx("dispatch: %s", store_error(d->st));
		return 0;
	}
	if (!found || !policy_incident_stops(j->kind) ||
	    out->incident->v.state == STORE_INCIDENT_OPEN)
		return 0;
	out->reason = out->incident->v.state == STORE_INCIDENT_ACKED ?
	    "incident acknowledged" : "incident resolved";
	return 1;
}

/*
 * Everything that may have changed since the job was planned, in a fixed
 * order: the lease (fencing: is the job still this node's), the config, its deadline, a submission, its incident, its grace,
 * a later reminder due with it, quiet hours.  The grace comes after the
 * cancellations, so that a job nobody needs any more is not reported as
 * missed, and before quiet hours, so that a job past its grace is not put
 * off to a new instant instead.
 */
enum check
dispatch_check(struct dispatch *d, const struct job_claim *sj, int64_t now,
    struct check_out *out)
{
	const struct model *m = d->cur->m;
	const struct job *j = &sj->j;
	const struct model_campaign *c;
	const struct model_contact *mc;
	const struct model_deadline *dl;
	int64_t overdue, held_until;

	/* First: a job whose lease ran out may be another node's by now,
	 * and nothing about it is ours to decide, not even a cancel. */
	if (j->lease_until > 0) {
		held_until = d->hooks.lease != NULL ?
		    d->hooks.lease(d->hooks.arg, j->lease_until, now) :
		    j->lease_until;
		if (now > held_until) {
			snprintf(out->buf, sizeof(out->buf), "lease expired "
			    "%" PRId64 "s ago", now - held_until);
			out->reason = out->buf;
			return CHECK_FENCED;
		}
	}
	c = model_campaign_find(m, j->campaign);
	mc = model_contact_find(m, j->contact);
	/* An item without a title counts as gone, as it always has (the
	 * config requires titles; hand-built models may lack them). */
	if (c == NULL || mc == NULL ||
	    model_item_find(c, j->kind, j->item, &out->item) == -1 ||
	    out->item.title == NULL) {
		out->reason = "removed from config";
		return CHECK_CANCEL;
	}
	if ((j->kind == JOB_REMINDER || j->kind == JOB_TASK) &&
	    j->item_at > 0 && now >= j->item_at) {
		out->reason = "deadline passed";
		return CHECK_CANCEL;
	}
	if (policy_submission_cancels(j->kind) &&
	    dispatch_submitted(d, j->campaign, j->item, j->contact)) {
		out->reason = "submitted";
		return CHECK_CANCEL;
	}
	if (j->incident != NULL && dispatch_incident_closed(d, j, out))
		return CHECK_CANCEL;
	if (j->kind == JOB_ESCALATION) {
		dl = out->item.deadline;
		/* A supervisor hears about the people it supervises. */
		tally_deadline(c, dl, dl->escalate != NULL &&
		    dl->escalate->to_supervisors ? j->contact : NULL,
		    dispatch_tally_submitted, d, &out->units);
		if (out->units.n_pending == 0) {
			out->reason = "all submitted";
			return CHECK_CANCEL;
		}
	}
	/* Never announce a show that is over, however the grace reads. */
	if (policy_dead_after_slot(j->kind) && out->item.slot != NULL &&
	    now >= out->item.slot->to.at) {
		snprintf(out->buf, sizeof(out->buf), "missed: slot ended %"
		    PRId64 "s ago", now - out->item.slot->to.at);
		out->reason = out->buf;
		return CHECK_MISSED;
	}
	if (j->kind == JOB_SCHEDULE && out->item.stage != NULL &&
	    now >= out->item.stage->slots[out->item.stage->n_slots - 1]->to.at) {
		out->reason = "stage over";
		return CHECK_CANCEL;
	}
	if (misfire_is_missed(&m->daemon.engine, j, now, &overdue)) {
		snprintf(out->buf, sizeof(out->buf), "missed: overdue by %"
		    PRId64 "s beyond grace", overdue);
		out->reason = out->buf;
		return CHECK_MISSED;
	}
	if (dispatch_superseded(d, j, now, out))
		return CHECK_SUPERSEDED;
	if (!policy_is_emergency(j->kind) &&
	    dispatch_quiet_until(&mc->quiet, c->timezone, now, &out->until)) {
		out->reason = "quiet hours";
		return CHECK_DEFER;
	}
	if (j->kind == JOB_DIGEST)
		out->digest_text = tally_digest(c, now, dispatch_tally_submitted,
		    d);
	return CHECK_SEND;
}
