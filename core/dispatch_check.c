/*
 * dispatch_check.c - the checks made just before a send (see dispatch.h).
 *
 * A job is planned ahead; by the time its slot and token come up the
 * config may have dropped it, its deadline may have passed, its contact
 * may have submitted, or quiet hours may have begun.  dispatch_check()
 * asks all of that, in a fixed order, and gathers what the render needs
 * (who has not submitted, the digest text).  It reads the current model
 * and the store and changes neither, so it is kept apart from the queues
 * and outcomes in dispatch.c.
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "log.h"
#include "model.h"
#include "render.h"
#include "store.h"
#include "xmalloc.h"

static int
dispatch_submitted(struct dispatch *d, const char *campaign,
    const char *deadline, const char *contact)
{
	int sub = 0;

	if (store_is_submitted(d->st, campaign, deadline, contact, &sub,
	    NULL) == -1) {
		/* Sending once too often beats silently not sending. */
		log_errx("dispatch: %s", store_error(d->st));
		return 0;
	}
	return sub;
}

/* Append name to the "、"-joined list *s (owned, may be NULL). */
static void
dispatch_join(char **s, const char *name)
{
	char *t = xasprintf("%s%s%s", *s != NULL ? *s : "",
	    *s != NULL ? "、" : "", name);

	free(*s);
	*s = t;
}

/*
 * dl's audience by unit, in config order: the names of the units that
 * have not submitted and of those that have, and how many of each.  Units
 * report, people change: a unit has submitted when any of its contacts
 * in the audience has; a contact without a unit stands for itself.
 */
static void
dispatch_units(struct dispatch *d, const struct model_campaign *c,
    const struct model_deadline *dl, struct check_out *out)
{
	const void **seen = xcalloc(dl->audience.n + 1, sizeof(*seen));
	size_t n_seen = 0;

	for (size_t i = 0; i < dl->audience.n; i++) {
		const struct model_contact *mc = dl->audience.contacts[i];
		const void *who = mc->unit != NULL ? (const void *)mc->unit :
		    (const void *)mc;
		const char *name;
		int sub = 0, dup = 0;

		for (size_t k = 0; k < n_seen; k++)
			if (seen[k] == who)
				dup = 1;
		if (dup)
			continue;
		seen[n_seen++] = who;
		if (mc->unit != NULL) {
			name = mc->unit->name != NULL ? mc->unit->name :
			    mc->unit->id;
			for (size_t k = i; k < dl->audience.n && !sub; k++)
				if (dl->audience.contacts[k]->unit == mc->unit)
					sub = dispatch_submitted(d, c->id, dl->id,
					    dl->audience.contacts[k]->id);
		} else {
			name = mc->name != NULL ? mc->name : mc->id;
			sub = dispatch_submitted(d, c->id, dl->id, mc->id);
		}
		if (sub)
			dispatch_join(&out->submitted, name);
		else {
			dispatch_join(&out->not_submitted, name);
			out->n_pending++;
		}
		out->n_total++;
	}
	free(seen);
}

/*
 * One line per deadline due within the digest's horizon of now, and per
 * past one some unit still owes: title, due, submitted/total units, the
 * units missing.  A desk acts on what is due soon; a deadline three
 * weeks off is noise in today's digest.
 */
static char *
dispatch_digest_text(struct dispatch *d, const struct model_campaign *c,
    int64_t now)
{
	char *s = xstrdup(""), *t, due[64];
	size_t lines = 0;

	for (size_t i = 0; i < c->n_deadlines; i++) {
		const struct model_deadline *dl = &c->deadlines[i];
		struct check_out u;

		if (dl->due.at > now + c->digest.horizon)
			continue;
		memset(&u, 0, sizeof(u));
		dispatch_units(d, c, dl, &u);
		if (dl->due.at <= now && u.n_pending == 0) {
			free(u.not_submitted);
			free(u.submitted);
			continue;
		}
		if (render_when(dl->due.at, c->timezone,
		    dl->due.date_only, due, sizeof(due)) == NULL)
			due[0] = '\0';
		t = xasprintf("%s%s（%s%s）：已报送%zu/%zu%s%s\n", s, dl->title,
		    due, dl->due.at <= now ? "截止，已逾期" : "截止",
		    u.n_total - u.n_pending, u.n_total,
		    u.n_pending > 0 ? "，未报送：" : "",
		    u.not_submitted != NULL ? u.not_submitted : "");
		free(u.not_submitted);
		free(u.submitted);
		free(s);
		s = t;
		lines++;
	}
	if (lines == 0) {
		free(s);
		s = xasprintf("%lld天内没有截止的报送事项。\n",
		    (long long)((c->digest.horizon + 86399) / 86400));
	}
	return s;
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
 * Everything that may have changed since the job was planned, in a fixed
 * order: the config, its deadline, a submission, quiet hours.
 */
enum check
dispatch_check(struct dispatch *d, const struct sched_job *sj, int64_t now,
    struct check_out *out)
{
	const struct model *m = d->cur->m;
	const struct job *j = &sj->j;
	const struct model_campaign *c;
	const struct model_contact *mc;
	const struct model_deadline *dl;

	c = model_campaign_find(m, j->campaign);
	mc = model_contact_find(m, j->contact);
	if (c == NULL || mc == NULL ||
	    (out->item_title = render_item_title(c, j)) == NULL) {
		out->reason = "removed from config";
		return CHECK_CANCEL;
	}
	if ((j->kind == JOB_REMINDER || j->kind == JOB_TASK) &&
	    j->item_at > 0 && now >= j->item_at) {
		out->reason = "deadline passed";
		return CHECK_CANCEL;
	}
	if ((j->kind == JOB_REMINDER || j->kind == JOB_OVERDUE) &&
	    dispatch_submitted(d, j->campaign, j->item, j->contact)) {
		out->reason = "submitted";
		return CHECK_CANCEL;
	}
	if (j->kind == JOB_ESCALATION) {
		dl = model_deadline_find(c, j->item);
		dispatch_units(d, c, dl, out);
		if (out->n_pending == 0) {
			out->reason = "all submitted";
			return CHECK_CANCEL;
		}
	}
	if (j->kind != JOB_EMERGENCY &&
	    dispatch_quiet_until(&mc->quiet, c->timezone, now, &out->until)) {
		out->reason = "quiet hours";
		return CHECK_DEFER;
	}
	if (j->kind == JOB_DIGEST)
		out->digest_text = dispatch_digest_text(d, c, now);
	return CHECK_SEND;
}
