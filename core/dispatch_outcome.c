/*
 * dispatch_outcome.c - what happens after a plugin answers (see
 * dispatch.h): outcomes parked on the done list, retries with backoff,
 * fallback to the contact's next channel, channel health, and the batched
 * commit that frees the slots.
 *
 * dispatch.c hands sends over; this file takes them back.  It sits
 * below dispatch.c and never calls up into it: the plugin's answer comes
 * in through dispatch_on_done(), handed over as a callback, and
 * dispatch_flush() (dispatch.c) pumps once dispatch_settle() has freed
 * the slots.  The records a send holds (its job, its generation) are let
 * go here too, so both files free them the same way.
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_set.h"
#include "duration.h"
#include "log.h"
#include "misfire.h"
#include "model.h"
#include "policy.h"
#include "store.h"
#include "xmalloc.h"

/* Commit retries while the store fails: fast at first (a transient lock),
 * then every few seconds, so a freed disk is noticed soon. */
#define DISPATCH_RETRY_MIN_US 250000
#define DISPATCH_RETRY_MAX_US 5000000

const int64_t dispatch_latency_bounds_us[DISPATCH_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};

/* xorshift64*: per-dispatcher jitter without global random state. */
static double
dispatch_random(struct dispatch *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return (double)((d->rng * 2685821657736338717ULL) >> 11) /
	    (double)(1ULL << 53);
}

/* --- outcomes --- */

static void
dispatch_latency_add(struct dispatch_latency *l, int64_t us)
{
	size_t i;

	/* A clock stepped back between hand-off and answer. */
	if (us < 0)
		us = 0;
	for (i = 0; i < DISPATCH_LATENCY_BUCKETS; i++)
		if (us <= dispatch_latency_bounds_us[i])
			break;
	l->bucket[i]++;
	l->count++;
	l->sum_us += (double)us;
}

/*
 * Park an outcome for the next flush.  Takes ownership of ds; detail is
 * copied.
 */
static void
dispatch_park(struct dispatch *d, struct dsend *ds, enum store_outcome o,
    const char *detail)
{
	struct dchan *ch = ds->dj->chan;

	ds->res.outcome = o;
	ds->res.at = dispatch_now_us(d) / 1000000;
	if (ch != NULL && o == STORE_DELIVERED)
		ch->st.last_delivered_at = ds->res.at;
	else if (ch != NULL && (o == STORE_FAILED || o == STORE_RETRY))
		ch->st.last_failed_at = ds->res.at;
	free(ds->detail);
	ds->detail = detail != NULL ? xstrdup(detail) : NULL;
	ds->res.detail = ds->detail;
	ds->next = NULL;
	if (d->done_tail != NULL)
		d->done_tail->next = ds;
	else
		d->done_head = ds;
	d->done_tail = ds;
	if (!d->flush_armed) {
		d->flush_armed = 1;
		event_active(d->ev_flush, EV_TIMEOUT, 0);
	}
}

/* An outcome that never reached a plugin (cancel, defer): no slot held. */
void
dispatch_park_job(struct dispatch *d, struct djob *dj,
    enum store_outcome o, int64_t next_at, const char *detail)
{
	struct dsend *ds = xcalloc(1, sizeof(*ds));
	struct dchan *ch = dj->chan;

	ds->dj = dj;
	ds->res.next_at = next_at;
	if (ch != NULL) {
		if (o == STORE_CANCELLED)
			ch->st.cancelled++;
		else if (o == STORE_DEFER)
			ch->st.deferred++;
	}
	dispatch_park(d, ds, o, detail);
}

void
dispatch_drop_job(struct dispatch *d, struct djob *dj)
{
	struct dsend *ds = xcalloc(1, sizeof(*ds));

	ds->dj = dj;
	ds->unrecorded = 1;
	/* Parked like the others, so that it is freed in order with them. */
	dispatch_park(d, ds, STORE_DEFER, "lease expired");
}

/*
 * The next channel after j's in the contact's preferred chain, in the
 * current model, or NULL: a job sent as an `always` copy has no fallback,
 * nor has a job of an incident (incident.h): its recipient was alerted on
 * every channel at once, so the next one has its own alert already.
 */
static const struct model_channel *
dispatch_fallback_channel(const struct dispatch *d, const struct job *j)
{
	const struct model_contact *c;
	size_t i;

	if (j->incident != NULL)
		return NULL;
	c = model_contact_find(d->cur->m, j->contact);
	if (c == NULL)
		return NULL;
	for (i = 0; i + 1 < c->n_prefer; i++)
		if (strcmp(c->prefer[i]->name, j->channel) == 0)
			return c->prefer[i + 1];
	return NULL;
}

/* Fail ds for good; with fallback, queue the contact's next channel. */
static void
dispatch_fail_with(struct dispatch *d, struct dsend *ds, const char *reason,
    int fallback)
{
	const struct job *j = &ds->dj->sj->j;
	const struct model_channel *next;

	if (ds->dj->chan != NULL)
		ds->dj->chan->st.failed++;
	/* An emergency was planned on every channel of its contact at
	 * once: there is no chain to fall down. */
	next = fallback && !policy_is_emergency(j->kind) ?
	    dispatch_fallback_channel(d, j) : NULL;
	if (next != NULL) {
		ds->has_fallback = 1;
		ds->fallback = *j;
		ds->fallback_channel = xstrdup(next->name);
		ds->fallback.channel = ds->fallback_channel;
		job_make_key(ds->fallback.key, j->campaign, j->item, j->kind,
		    j->offset, j->contact, next->name);
		ds->fallback.fallback_of = j->key;
		ds->fallback.next_at = dispatch_now_us(d) / 1000000;
		ds->fallback.attempts = 0;
		ds->fallback.state = JOB_PENDING;
	}
	dispatch_park(d, ds, STORE_FAILED, reason);
}

void
dispatch_fail(struct dispatch *d, struct dsend *ds, const char *reason)
{
	dispatch_fail_with(d, ds, reason, 1);
}

int64_t
dispatch_backoff_ms(const struct model_engine *e, unsigned attempts,
    int timed_out, double r)
{
	int64_t base = timed_out ? e->retry_after_timeout : e->retry_base;
	int64_t cap = e->retry_cap, delay;

	if (base < 1)
		base = 1;
	if (timed_out && cap < base)
		cap = base;
	delay = base * 1000;
	for (unsigned i = 0; i < attempts && i < 40 &&
	    (cap <= 0 || delay < cap * 1000); i++)
		delay *= 2;
	if (cap > 0 && delay > cap * 1000)
		delay = cap * 1000;
	/* +-20% so a peer that failed many sends at once is not hit by all
	 * the retries in the same second; in milliseconds, or a 1 s base
	 * would always round back to exactly 1 s. */
	return (int64_t)((double)delay * (0.8 + 0.4 * r) + 0.5);
}

/*
 * How many tries in a row timed out before this one: the core writes
 * "timeout N: ..." as the detail of a timed-out try (dispatch_retry()),
 * and the store gives the last detail back with the job.  Counting there
 * keeps the store's schema as it is; a try that ended otherwise starts
 * the count again, which is what "in a row" means.
 */
static unsigned
dispatch_timeouts_before(const struct job *j)
{
	unsigned n;

	if (j->detail == NULL || sscanf(j->detail, "timeout %u:", &n) != 1)
		return 0;
	return n;
}

/*
 * A failed try that may come good later: retry with backoff, or give up.
 * outcome is HERALD_TRANSIENT, or HERALD_TIMED_OUT / HERALD_UNCERTAIN
 * when the request timed out after it went out: the peer may hold the
 * message already.
 */
static void
dispatch_retry(struct dispatch *d, struct dsend *ds, unsigned retry_after_ms,
    const char *reason, enum herald_outcome outcome)
{
	const struct model_engine *e = &d->cur->m->daemon.engine;
	const struct job *j = &ds->dj->sj->j;
	struct dchan *ch = ds->dj->chan;
	unsigned tries = j->attempts + 1, timeouts = 0;
	int64_t now_us = dispatch_now_us(d), now = now_us / 1000000;
	int64_t next, earliest;
	const char *why = reason != NULL ? reason : "transient failure";
	char buf[512], what[384];
	int keeps_copies = outcome == HERALD_UNCERTAIN;
	int timed_out = keeps_copies || outcome == HERALD_TIMED_OUT;

	if (timed_out) {
		ch->st.timeouts++;
		timeouts = dispatch_timeouts_before(j) + 1;
		snprintf(what, sizeof(what), "timeout %u: %s", timeouts, why);
		why = what;
	}
	/*
	 * A peer that keeps every copy has probably got one each time: stop
	 * after retry.timeouts of them, and send it nowhere else either.
	 */
	if (keeps_copies && timeouts >= e->retry_timeouts) {
		snprintf(buf, sizeof(buf), "gave up after %u timeouts in a "
		    "row, may have been delivered (not sent to another "
		    "channel): %s", timeouts, reason != NULL ? reason :
		    "timed out");
		dispatch_fail_with(d, ds, buf, 0);
		return;
	}
	if (e->retry_attempts > 0 && tries >= e->retry_attempts) {
		snprintf(buf, sizeof(buf), "gave up after %u attempts: %s",
		    tries, why);
		dispatch_fail_with(d, ds, buf, !keeps_copies);
		return;
	}
	next = now_us + dispatch_backoff_ms(e, j->attempts, timed_out,
	    dispatch_random(d)) * 1000;
	/* The store keeps whole seconds: round the peer's Retry-After up from
	 * the exact time, or a 3 s answer could be retried after 2.1 s. */
	earliest = now_us + (int64_t)retry_after_ms * 1000;
	if (next < earliest)
		next = earliest + 999999;
	else
		next += 500000;		/* nearest second */
	next /= 1000000;
	if (next <= now)
		next = now + 1;
	if (e->retry_max_age > 0 && policy_retry_ages(j->kind) &&
	    next > j->due + e->retry_max_age) {
		snprintf(buf, sizeof(buf), "gave up after %u attempts, past "
		    "the retry age: %s", tries, why);
		dispatch_fail_with(d, ds, buf, !keeps_copies);
		return;
	}
	ds->res.next_at = next;
	ch->st.retried++;
	dispatch_park(d, ds, STORE_RETRY, why);
}

/* Record one job's outcome; takes ownership of ds. */
static void
dispatch_outcome(struct dispatch *d, struct dsend *ds,
    enum herald_outcome outcome, unsigned retry_after_ms, const char *reason,
    const char *delivered_detail)
{
	struct djob *dj = ds->dj;
	struct dchan *ch = dj->chan;
	int64_t late_us = dj->handoff_us - dj->sj->j.due * 1000000;

	switch (outcome) {
	case HERALD_DELIVERED:
		ds->res.late = misfire_is_late(&dj->sj->j, dj->handoff_us);
		ds->res.lateness_ms = late_us / 1000;
		ch->st.delivered++;
		dispatch_park(d, ds, STORE_DELIVERED, delivered_detail);
		break;
	case HERALD_TRANSIENT:
	case HERALD_TIMED_OUT:
	case HERALD_UNCERTAIN:
		dispatch_retry(d, ds, retry_after_ms, reason, outcome);
		break;
	default:
		dispatch_fail(d, ds, reason != NULL ? reason :
		    "permanent failure");
		break;
	}
}

/*
 * Follow the channel's health from the plugin's answers: log when it
 * starts failing (with the error) and when it delivers again, once each
 * however many sends fail between.  Only answers from the peer count: a
 * contact without an address or a template that does not render says
 * nothing about the channel.
 */
static void
dispatch_chan_health(struct dispatch *d, struct dchan *ch,
    enum herald_outcome outcome, const char *reason)
{
	int64_t now = dispatch_now_us(d) / 1000000;
	char took[64];

	if (outcome == HERALD_DELIVERED) {
		if (!ch->st.failing)
			return;
		duration_format(now > ch->st.failing_since ?
		    now - ch->st.failing_since : 0, took, sizeof(took));
		log_notice("channel %s: recovered after %s (%" PRIu64
		    " failed sends; the last: %s)", ch->name, took,
		    ch->st.failing_sends, ch->st.last_error);
		ch->st.failing = 0;
		ch->st.failing_since = 0;
		ch->st.failing_sends = 0;
		return;
	}
	snprintf(ch->st.last_error, sizeof(ch->st.last_error), "%s",
	    reason != NULL ? reason : outcome == HERALD_TRANSIENT ?
	    "transient failure" : "permanent failure");
	ch->st.failing_sends++;
	if (ch->st.failing)
		return;
	ch->st.failing = 1;
	ch->st.failing_since = now;
	log_warnx("channel %s: failing: %s failure: %s", ch->name,
	    outcome == HERALD_TRANSIENT ? "transient" : "permanent",
	    ch->st.last_error);
}

/*
 * The plugin's answer; may run inside channel_set_send().  A merged send's
 * outcome is every merged job's outcome.
 */
void
dispatch_on_done(void *arg, enum herald_outcome outcome,
    unsigned retry_after_ms, const char *reason)
{
	struct dsend *ds = arg, *mds;
	struct djob *dj, *rest = ds->merged;
	struct dchan *ch = ds->dj->chan;
	struct dispatch *d = ch->d;
	char merged[160];
	const char *detail = reason;

	/* Measured here, not at the flush: the peer's time, without the
	 * wait for the batch's commit. */
	dispatch_latency_add(&ch->st.latency,
	    dispatch_now_us(d) - ds->dj->handoff_us);
	dispatch_chan_health(d, ch, outcome, reason);
	if (rest != NULL) {
		snprintf(merged, sizeof(merged), "merged into one message "
		    "with %zu others (key %s)", ds->n_merged,
		    ds->dj->sj->j.key);
		detail = merged;
	}
	ds->merged = NULL;
	dispatch_outcome(d, ds, outcome, retry_after_ms, reason, detail);
	while ((dj = rest) != NULL) {
		rest = dj->next;
		dj->next = NULL;
		mds = xcalloc(1, sizeof(*mds));
		mds->dj = dj;
		dispatch_outcome(d, mds, outcome, retry_after_ms, reason,
		    detail);
	}
}

/*
 * Record every outcome of list in one transaction.  Returns 0, or -1 when
 * the storage failed and nothing of the batch was written.  An outcome the
 * store refuses for itself (a job already recorded) is logged and
 * dropped: trying it again could not help.
 */
static int
dispatch_commit(struct dispatch *d, struct dsend *list)
{
	struct dsend *ds;
	const char *key;

	if (store_begin(d->st) == -1)
		return -1;
	for (ds = list; ds != NULL; ds = ds->next) {
		key = ds->dj->sj->j.key;
		if (ds->unrecorded)
			continue;
		if (store_record(d->st, key, &ds->res) == -1) {
			if (store_is_fault(d->st))
				goto fault;
			log_errx("dispatch: record %s: %s", key,
			    store_error(d->st));
		}
		if (ds->has_fallback && store_insert(d->st, &ds->fallback) == -1) {
			if (store_is_fault(d->st))
				goto fault;
			log_errx("dispatch: fallback for %s: %s", key,
			    store_error(d->st));
		}
	}
	/* A failed commit is the storage's whatever it says: the batch is
	 * gone either way. */
	return store_commit(d->st);
fault:
	store_rollback(d->st);
	return -1;
}

/* The commit failed: keep the outcomes, hold the slots, try again later. */
static void
dispatch_hold(struct dispatch *d)
{
	struct timeval tv;

	d->commit_failures++;
	if (!d->holding) {
		d->holding = 1;
		d->retry_us = DISPATCH_RETRY_MIN_US;
		if (d->hooks.store != NULL)
			d->hooks.store(d->hooks.arg, store_error(d->st));
	} else if ((d->retry_us *= 2) > DISPATCH_RETRY_MAX_US)
		d->retry_us = DISPATCH_RETRY_MAX_US;
	tv.tv_sec = d->retry_us / 1000000;
	tv.tv_usec = d->retry_us % 1000000;
	evtimer_add(d->ev_retry, &tv);
}

/* --- letting go --- */

void
djob_free(struct djob *dj)
{
	if (dj == NULL)
		return;
	job_claim_free(dj->sj);
	free(dj);
}

void
dispatch_send_free(struct dsend *ds)
{
	if (ds == NULL)
		return;
	free(ds->detail);
	free(ds->ack_url);
	free(ds->recipients);
	free(ds->item_uid);
	free(ds->fallback_channel);
	free(ds);
}

/* Free the sends of list and the slots they hold. */
void
dispatch_release(struct dispatch *d, struct dsend *list, int log_failed)
{
	struct dsend *ds, *next;
	struct dchan *ch;
	const struct job *j;

	for (ds = list; ds != NULL; ds = next) {
		next = ds->next;
		j = &ds->dj->sj->j;
		if (log_failed && ds->res.outcome == STORE_FAILED)
			log_warnx("failed: %s %s/%s for %s via %s: %s",
			    job_kind_name(j->kind), j->campaign, j->item,
			    j->contact, j->channel, ds->detail != NULL ?
			    ds->detail : "-");
		if (ds->res.outcome != STORE_DELIVERED &&
		    ds->res.outcome != STORE_CANCELLED)
			d->need_poke = 1;
		ch = ds->dj->chan;
		if (ds->dj->holds_slot) {
			ch->st.in_flight--;
			if (policy_is_emergency(ds->dj->sj->j.kind))
				ch->urgent_in_flight--;
			generation_unref(ds->dj->gen);
		}
		if (ch != NULL)
			dispatch_chan_update(ch);
		djob_free(ds->dj);
		dispatch_send_free(ds);
	}
}

/*
 * Commit the done list and let go of what its sends held.  Returns 1 when
 * outcomes were recorded (slots freed: the caller pumps), 0 when there was
 * nothing to record, -1 when the store failed and the dispatcher holds.
 */
int
dispatch_settle(struct dispatch *d)
{
	struct dsend *list = d->done_head;

	if (list == NULL)
		return 0;
	/*
	 * Slots are freed only once the outcomes are on disk.  When the
	 * store cannot take them they stay on the done list (later outcomes
	 * join them there) and the slots stay held: the sends without a
	 * recorded outcome never exceed the channel's concurrency, and a
	 * crash meanwhile repeats no more than those.
	 */
	if (dispatch_commit(d, list) == -1) {
		dispatch_hold(d);
		return -1;
	}
	d->done_head = d->done_tail = NULL;
	if (d->holding) {
		d->holding = 0;
		evtimer_del(d->ev_retry);
		if (d->hooks.store != NULL)
			d->hooks.store(d->hooks.arg, NULL);
	}
	dispatch_release(d, list, 1);
	return 1;
}

int
dispatch_holding(const struct dispatch *d, size_t *held,
    uint64_t *commit_failures)
{
	size_t n = 0;

	for (const struct dsend *ds = d->done_head; ds != NULL; ds = ds->next)
		n++;
	if (held != NULL)
		*held = n;
	if (commit_failures != NULL)
		*commit_failures = d->commit_failures;
	return d->holding;
}
