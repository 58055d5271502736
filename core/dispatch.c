/*
 * dispatch.c - queues, slots, tokens, outcomes (see dispatch.h).
 *
 * A job's path: dispatch_push() queues it on its channel by priority;
 * dispatch_pump() takes a slot and a token, runs the pre-send checks
 * (dispatch_check(), which may cancel or defer it instead), renders it and
 * hands it to the plugin.  The plugin's outcome becomes a store_result
 * parked on the done list; dispatch_flush(), run once per loop iteration by
 * an event, records the whole list in one transaction and only then frees
 * the slots.
 *
 * Channels are kept by name across reloads (struct dchan), so a reload
 * keeps each channel's queue, bucket and in-flight count; a channel that
 * vanished keeps its record (a few bytes) until the process ends.
 *
 * The checks made just before a send live in dispatch_check.c, the
 * merging of a backed-up queue in dispatch_merge.c; dispatch_internal.h
 * holds the structures and functions the three share.
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acklink.h"
#include "duration.h"
#include "ical.h"
#include "log.h"
#include "misfire.h"
#include "model.h"
#include "plugin.h"
#include "render.h"
#include "store.h"
#include "tbucket.h"
#include "xmalloc.h"

#define DISPATCH_DEFAULT_CONCURRENCY 4
#define DISPATCH_QUEUE_SLACK 256
/* Commit retries while the store fails: fast at first (a transient lock),
 * then every few seconds, so a freed disk is noticed soon. */
#define DISPATCH_RETRY_MIN_US 250000
#define DISPATCH_RETRY_MAX_US 5000000

const int64_t dispatch_latency_bounds_us[DISPATCH_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};

static int64_t
dispatch_now_us(const struct dispatch *d)
{
	return sched_clock_now(&d->clock);
}

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

/* --- generations --- */

static void
dgen_unref(struct dgen *g)
{
	if (--g->refs > 0)
		return;
	/* Channels first: a plugin's close() may still read its block. */
	channel_set_free(g->cs);
	model_free(g->m);
	free(g);
}

/* --- channels --- */

static struct dchan *
dispatch_chan(const struct dispatch *d, const char *name)
{
	struct dchan *ch;

	for (ch = d->chans; ch != NULL; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	return NULL;
}

static void dispatch_on_tokens(evutil_socket_t, short, void *);

/* Limits of channel i of the current set: config, else plugin defaults. */
static void
dispatch_chan_configure(struct dispatch *d, struct dchan *ch, size_t i,
    int64_t now_us)
{
	const struct model_channel *mc = channel_set_model(d->cur->cs, i);
	const struct herald_caps *caps = channel_set_caps(d->cur->cs, i);
	double rate = mc->rate > 0 ? mc->rate : caps->default_rate;
	unsigned burst = mc->burst > 0 ? mc->burst : caps->default_burst;
	unsigned conc = mc->concurrency > 0 ? mc->concurrency :
	    caps->default_concurrency;

	if (conc == 0)
		conc = DISPATCH_DEFAULT_CONCURRENCY;
	if (burst == 0)
		burst = rate >= 1 ? (unsigned)rate : 1;
	ch->idx = i;
	ch->present = 1;
	ch->concurrency = conc;
	ch->cap = 4 * (size_t)conc + DISPATCH_QUEUE_SLACK;
	ch->merge_after_us = mc->merge_after * 1000000;
	if (ch->ev_tokens == NULL) {
		tbucket_init(&ch->tb, rate, burst, now_us);
		ch->ev_tokens = evtimer_new(d->base, dispatch_on_tokens, ch);
		if (ch->ev_tokens == NULL)
			abort();
	} else
		tbucket_set(&ch->tb, rate, burst, now_us);
}

/* Re-evaluate saturation; a channel that regained room wakes the scheduler. */
static void
dispatch_chan_update(struct dchan *ch)
{
	int sat = ch->st.queued + ch->st.in_flight >= ch->cap;

	if (ch->saturated && !sat)
		ch->d->need_poke = 1;
	ch->saturated = sat;
}

static void
dispatch_enqueue(struct dchan *ch, struct job_claim *sj, int front)
{
	int p = sj->j.priority;

	if (p < 0 || p >= DISPATCH_PRIOS)
		p = DISPATCH_PRIOS - 1;
	sj->chan = ch;
	if (front) {
		sj->next = ch->head[p];
		ch->head[p] = sj;
		if (ch->tail[p] == NULL)
			ch->tail[p] = sj;
	} else {
		sj->next = NULL;
		if (ch->tail[p] != NULL)
			ch->tail[p]->next = sj;
		else
			ch->head[p] = sj;
		ch->tail[p] = sj;
	}
	ch->st.queued++;
	dispatch_chan_update(ch);
}

struct job_claim *
dispatch_dequeue(struct dchan *ch)
{
	struct job_claim *sj;
	int p;

	for (p = 0; p < DISPATCH_PRIOS; p++) {
		if ((sj = ch->head[p]) == NULL)
			continue;
		ch->head[p] = sj->next;
		if (ch->head[p] == NULL)
			ch->tail[p] = NULL;
		sj->next = NULL;
		ch->st.queued--;
		return sj;
	}
	return NULL;
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

static void
dispatch_on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;

	d->flush_armed = 0;
	/* While holding, only the retry timer tries the store. */
	if (!d->holding)
		dispatch_flush(d);
}

static void
dispatch_on_retry(evutil_socket_t fd, short what, void *arg)
{
	dispatch_flush(arg);
}

/*
 * Park an outcome for the next flush.  Takes ownership of ds; detail is
 * copied.
 */
static void
dispatch_park(struct dispatch *d, struct dsend *ds, enum store_outcome o,
    const char *detail)
{
	struct dchan *ch = ds->sj->chan;

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
static void
dispatch_park_job(struct dispatch *d, struct job_claim *sj,
    enum store_outcome o, int64_t next_at, const char *detail)
{
	struct dsend *ds = xcalloc(1, sizeof(*ds));
	struct dchan *ch = sj->chan;

	ds->sj = sj;
	ds->res.next_at = next_at;
	if (ch != NULL) {
		if (o == STORE_CANCELLED)
			ch->st.cancelled++;
		else if (o == STORE_DEFER)
			ch->st.deferred++;
	}
	dispatch_park(d, ds, o, detail);
}

/*
 * The next channel after j's in the contact's preferred chain, in the
 * current model, or NULL: a job sent as an `always` copy has no fallback.
 */
static const struct model_channel *
dispatch_fallback_channel(const struct dispatch *d, const struct job *j)
{
	const struct model_contact *c;
	size_t i;

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
	const struct job *j = &ds->sj->j;
	const struct model_channel *next;

	if (ds->sj->chan != NULL)
		ds->sj->chan->st.failed++;
	next = fallback ? dispatch_fallback_channel(d, j) : NULL;
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

static void
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
	const struct job *j = &ds->sj->j;
	struct dchan *ch = ds->sj->chan;
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
	if (e->retry_max_age > 0 && next > j->due + e->retry_max_age) {
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
	struct job_claim *sj = ds->sj;
	struct dchan *ch = sj->chan;
	int64_t late_us = sj->handoff_us - sj->j.due * 1000000;

	switch (outcome) {
	case HERALD_DELIVERED:
		ds->res.late = misfire_is_late(&sj->j, sj->handoff_us);
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
static void
dispatch_on_done(void *arg, enum herald_outcome outcome,
    unsigned retry_after_ms, const char *reason)
{
	struct dsend *ds = arg, *mds;
	struct job_claim *sj, *rest = ds->merged;
	struct dchan *ch = ds->sj->chan;
	struct dispatch *d = ch->d;
	char merged[160];
	const char *detail = reason;

	/* Measured here, not at the flush: the peer's time, without the
	 * wait for the batch's commit. */
	dispatch_latency_add(&ch->st.latency,
	    dispatch_now_us(d) - ds->sj->handoff_us);
	dispatch_chan_health(d, ch, outcome, reason);
	if (rest != NULL) {
		snprintf(merged, sizeof(merged), "merged into one message "
		    "with %zu others (key %s)", ds->n_merged, ds->sj->j.key);
		detail = merged;
	}
	ds->merged = NULL;
	dispatch_outcome(d, ds, outcome, retry_after_ms, reason, detail);
	while ((sj = rest) != NULL) {
		rest = sj->next;
		sj->next = NULL;
		mds = xcalloc(1, sizeof(*mds));
		mds->sj = sj;
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

	if (store_begin(d->st) == -1)
		return -1;
	for (ds = list; ds != NULL; ds = ds->next) {
		if (store_record(d->st, ds->sj->j.key, &ds->res) == -1) {
			if (store_is_fault(d->st))
				goto fault;
			log_errx("dispatch: record %s: %s", ds->sj->j.key,
			    store_error(d->st));
		}
		if (ds->has_fallback && store_insert(d->st, &ds->fallback) == -1) {
			if (store_is_fault(d->st))
				goto fault;
			log_errx("dispatch: fallback for %s: %s", ds->sj->j.key,
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

/* Free the sends of list and the slots they hold. */
static void
dispatch_release(struct dispatch *d, struct dsend *list, int log_failed)
{
	struct dsend *ds, *next;
	struct dchan *ch;

	for (ds = list; ds != NULL; ds = next) {
		next = ds->next;
		if (log_failed && ds->res.outcome == STORE_FAILED)
			log_warnx("failed: %s %s/%s for %s via %s: %s",
			    job_kind_name(ds->sj->j.kind), ds->sj->j.campaign,
			    ds->sj->j.item, ds->sj->j.contact,
			    ds->sj->j.channel, ds->detail != NULL ?
			    ds->detail : "-");
		if (ds->res.outcome != STORE_DELIVERED &&
		    ds->res.outcome != STORE_CANCELLED)
			d->need_poke = 1;
		ch = ds->sj->chan;
		if (ds->sj->holds_slot) {
			ch->st.in_flight--;
			dgen_unref(ds->sj->gen);
		}
		if (ch != NULL)
			dispatch_chan_update(ch);
		job_claim_free(ds->sj);
		dispatch_send_free(ds);
	}
}

int
dispatch_flush(struct dispatch *d)
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
	dispatch_pump(d);
	return 0;
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

/* --- sending --- */

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

/*
 * The calendar UID of sj's item when the item is an event of the
 * calendar export (ical.c); NULL for digests and incidents.  Caller frees.
 */
static char *
dispatch_item_uid(const struct job_claim *sj)
{
	switch (sj->j.kind) {
	case JOB_DIGEST:
	case JOB_EMERGENCY:
		return NULL;
	default:
		return ical_uid(sj->j.campaign, sj->j.item);
	}
}

const char *
dispatch_address(const struct model_contact *mc, const char *channel,
    enum herald_address_kind kind)
{
	for (size_t i = 0; i < mc->n_addresses; i++)
		if (strcmp(mc->addresses[i].channel->name, channel) == 0)
			return mc->addresses[i].address;
	switch (kind) {
	case HERALD_ADDR_PHONE:
		return mc->phone;
	case HERALD_ADDR_EMAIL:
		return mc->email;
	default:
		return NULL;
	}
}

void
dispatch_recipient(const struct model_contact *mc, const char *channel,
    struct herald_recipient *out)
{
	out->contact = mc->id;
	out->name = mc->name;
	out->phone = mc->phone;
	/* Only an explicit address entry is a handle: the kind's fallback
	 * (phone, email) is not a robot's user id. */
	out->handle = dispatch_address(mc, channel, HERALD_ADDR_NONE);
}

/* The signed link of key, when m has a public URL and an ack secret;
 * caller frees.  NULL otherwise. */
static char *
dispatch_ack_url(const struct model *m, const char *key)
{
	const struct model_daemon *md = &m->daemon;

	if (md->public_url == NULL || md->ack_secret == NULL)
		return NULL;
	return acklink_url(md->public_url, md->ack_secret, md->ack_secret_len,
	    key);
}

static int
dispatch_render(struct dispatch *d, struct job_claim *sj,
    const struct render_extra *x, char *err, size_t errlen)
{
	char *subject = NULL, *body = NULL;

	if (render_job(d->cur->m, &sj->j, x, &subject, &body, err,
	    errlen) == -1)
		return -1;
	free(sj->subject);
	free(sj->body);
	sj->subject = subject;
	sj->body = body;
	return 0;
}

int
dispatch_stage(struct dispatch *d, struct job_claim *sj)
{
	struct render_extra x = { .now = sj->j.next_at };
	char err[256];

	if (dispatch_render(d, sj, &x, err, sizeof(err)) == -1)
		return -1;
	sj->staged = 1;
	return 0;
}

/* Park sj (ownership taken) with what the checks decided instead of a
 * send, and say so in the log. */
static void
dispatch_not_sent(struct dispatch *d, struct job_claim *sj, enum check r,
    const struct check_out *co)
{
	const struct job *j = &sj->j;
	enum store_outcome o;

	switch (r) {
	case CHECK_CANCEL:
		log_info("cancelled: %s %s/%s for %s via %s: %s",
		    job_kind_name(j->kind), j->campaign, j->item, j->contact,
		    j->channel, co->reason);
		o = STORE_CANCELLED;
		break;
	case CHECK_MISSED:
		misfire_log_missed(d->cur->m, j);
		o = STORE_MISSED;
		break;
	case CHECK_SUPERSEDED:
		log_info("superseded: %s %s/%s for %s via %s by %s",
		    job_kind_name(j->kind), j->campaign, j->item, j->contact,
		    j->channel, co->later);
		o = STORE_SUPERSEDED;
		break;
	default:
		o = STORE_DEFER;
		break;
	}
	dispatch_park_job(d, sj, o, co->until, co->reason);
}

/*
 * Run the checks on sj, then address and render it.  Returns the send,
 * not yet handed over (caller owns it), or NULL when the job was parked
 * instead (cancelled, deferred or failed; no slot used).
 */
struct dsend *
dispatch_ready(struct dispatch *d, struct dchan *ch, struct job_claim *sj,
    int64_t now_us)
{
	const struct herald_caps *caps = channel_set_caps(d->cur->cs, ch->idx);
	const struct model_contact *mc;
	struct check_out co;
	struct render_extra x;
	struct dsend *ds = NULL;
	struct herald_message *msg;
	char err[256];
	enum check r;

	memset(&co, 0, sizeof(co));
	r = dispatch_check(d, sj, now_us / 1000000, &co);
	if (r != CHECK_SEND) {
		dispatch_not_sent(d, sj, r, &co);
		goto done;
	}
	mc = model_contact_find(d->cur->m, sj->j.contact);
	ds = xcalloc(1, sizeof(*ds));
	ds->sj = sj;
	msg = &ds->msg;
	msg->address = dispatch_address(mc, ch->name, caps->address);
	msg->contact_phone = mc->phone;
	ds->recipients = xcalloc(1, sizeof(*ds->recipients));
	dispatch_recipient(mc, ch->name, ds->recipients);
	msg->recipients = ds->recipients;
	msg->n_recipients = 1;
	if (caps->address != HERALD_ADDR_NONE && msg->address == NULL) {
		dispatch_fail(d, ds, "contact has no address for this channel");
		ds = NULL;
		goto done;
	}
	ds->ack_url = dispatch_ack_url(d->cur->m, sj->j.key);
	x = (struct render_extra){ .not_submitted = co.units.pending,
	    .submitted = co.units.submitted, .n_pending = co.units.n_pending,
	    .n_total = co.units.n_total, .digest_text = co.digest_text,
	    .ack_url = ds->ack_url, .now = now_us / 1000000,
	    .link_ok = caps->ack_links, .item = &co.item,
	    .sms_replies = caps->address == HERALD_ADDR_PHONE &&
	    d->cur->m->daemon.sms_reply_token != NULL };
	if (!sj->staged && dispatch_render(d, sj, &x, err, sizeof(err)) == -1) {
		dispatch_fail(d, ds, err);
		ds = NULL;
		goto done;
	}
	msg->key = sj->j.key;
	msg->kind = job_kind_name(sj->j.kind);
	msg->priority = sj->j.priority;
	msg->campaign = sj->j.campaign;
	msg->item = sj->j.item;
	msg->item_title = co.item.title;
	msg->item_due = sj->j.item_at;
	msg->contact = sj->j.contact;
	msg->contact_name = mc->name;
	msg->subject = sj->subject;
	msg->body = sj->body;
	msg->ack_url = ds->ack_url;
	ds->item_uid = dispatch_item_uid(sj);
	msg->item_uid = ds->item_uid;
	msg->due = sj->j.due;
	msg->attempt = sj->j.attempts + 1;
done:
	tally_clear(&co.units);
	free(co.digest_text);
	return ds;
}

static void
dispatch_note_sent(struct dispatch *d, struct dchan *ch, struct job_claim *sj,
    int64_t now_us)
{
	const struct model_contact *mc = model_contact_find(d->cur->m,
	    sj->j.contact);

	sj->handoff_us = now_us;
	ch->st.sent++;
	if (d->hooks.sent != NULL)
		d->hooks.sent(d->hooks.arg, sj, mc != NULL && mc->unit != NULL &&
		    mc->unit->region != NULL ? mc->unit->region : "-", now_us);
}

/* Hand a ready send to the plugin; it takes a slot.  Takes ownership. */
void
dispatch_handoff(struct dispatch *d, struct dchan *ch, struct dsend *ds,
    int64_t now_us)
{
	struct job_claim *sj = ds->sj;

	sj->gen = d->cur;
	d->cur->refs++;
	sj->holds_slot = 1;
	ch->st.in_flight++;
	if (ch->st.in_flight > ch->st.max_in_flight)
		ch->st.max_in_flight = ch->st.in_flight;
	dispatch_note_sent(d, ch, sj, now_us);
	for (sj = ds->merged; sj != NULL; sj = sj->next)
		dispatch_note_sent(d, ch, sj, now_us);
	channel_set_send(d->cur->cs, ch->idx, &ds->msg, dispatch_on_done, ds);
}

static void
dispatch_pump_chan(struct dispatch *d, struct dchan *ch)
{
	struct dsend *ds;
	int64_t now_us, wait;
	int sent;

	/* Nothing is handed off while outcomes cannot be recorded. */
	while (!d->holding && ch->present && ch->st.queued > 0 &&
	    ch->st.in_flight < ch->concurrency) {
		now_us = dispatch_now_us(d);
		if ((wait = tbucket_take(&ch->tb, now_us)) > 0) {
			struct timeval tv = { wait / 1000000, wait % 1000000 };

			ch->merge_next = dispatch_merge_due(ch, wait);
			evtimer_add(ch->ev_tokens, &tv);
			break;
		}
		if (ch->merge_next && ch->merge_after_us > 0 &&
		    ch->head[HERALD_PRIO_EMERGENCY] == NULL) {
			ch->merge_next = 0;
			sent = dispatch_merge(d, ch, now_us) == 0;
		} else if ((ds = dispatch_ready(d, ch, dispatch_dequeue(ch),
		    now_us)) != NULL) {
			dispatch_handoff(d, ch, ds, now_us);
			sent = 1;
		} else
			sent = 0;
		if (!sent)
			tbucket_give(&ch->tb);
	}
	if (ch->st.queued == 0)
		ch->merge_next = 0;
	dispatch_chan_update(ch);
}

static void
dispatch_on_tokens(evutil_socket_t fd, short what, void *arg)
{
	struct dchan *ch = arg;

	dispatch_pump_chan(ch->d, ch);
	if (ch->d->need_poke) {
		ch->d->need_poke = 0;
		if (ch->d->hooks.poke != NULL)
			ch->d->hooks.poke(ch->d->hooks.arg);
	}
}

void
dispatch_pump(struct dispatch *d)
{
	for (struct dchan *ch = d->chans; ch != NULL; ch = ch->next)
		dispatch_pump_chan(d, ch);
	if (d->need_poke) {
		d->need_poke = 0;
		if (d->hooks.poke != NULL)
			d->hooks.poke(d->hooks.arg);
	}
}

void
dispatch_push(struct dispatch *d, struct job_claim *sj)
{
	struct dchan *ch = dispatch_chan(d, sj->j.channel);

	sj->next = NULL;
	sj->holds_slot = 0;
	if (ch == NULL || !ch->present) {
		sj->chan = ch;
		dispatch_park_job(d, sj, STORE_CANCELLED, 0,
		    "channel removed from config");
		return;
	}
	dispatch_enqueue(ch, sj, 0);
}

/* --- the set as a whole --- */

int
dispatch_open(struct event_base *base, struct store *st,
    const struct sched_clock *clock, struct model *m, struct channel_set *cs,
    const struct dispatch_hooks *hooks, struct dispatch **out)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->st = st;
	if (clock != NULL)
		d->clock = *clock;
	if (hooks != NULL)
		d->hooks = *hooks;
	d->rng = (uint64_t)dispatch_now_us(d) ^ ((uint64_t)getpid() << 32);
	if (d->rng == 0)
		d->rng = 1;
	d->ev_flush = event_new(base, -1, 0, dispatch_on_flush, d);
	d->ev_retry = evtimer_new(base, dispatch_on_retry, d);
	if (d->ev_flush == NULL || d->ev_retry == NULL) {
		if (d->ev_flush != NULL)
			event_free(d->ev_flush);
		if (d->ev_retry != NULL)
			event_free(d->ev_retry);
		free(d);
		return -1;
	}
	dispatch_swap(d, m, cs);
	*out = d;
	return 0;
}

void
dispatch_swap(struct dispatch *d, struct model *m, struct channel_set *cs)
{
	struct dgen *g = xcalloc(1, sizeof(*g)), *old = d->cur;
	int64_t now_us = dispatch_now_us(d);
	struct job_claim *sj;
	struct dchan *ch;
	size_t i;

	g->m = m;
	g->cs = cs;
	g->refs = 1;
	d->cur = g;
	for (ch = d->chans; ch != NULL; ch = ch->next)
		ch->present = 0;
	for (i = 0; i < channel_set_count(cs); i++) {
		const char *name = channel_set_model(cs, i)->name;

		if ((ch = dispatch_chan(d, name)) == NULL) {
			ch = xcalloc(1, sizeof(*ch));
			ch->name = xstrdup(name);
			ch->d = d;
			ch->next = d->chans;
			d->chans = ch;
		}
		dispatch_chan_configure(d, ch, i, now_us);
	}
	for (ch = d->chans; ch != NULL; ch = ch->next) {
		if (ch->present)
			continue;
		if (ch->ev_tokens != NULL)
			evtimer_del(ch->ev_tokens);
		while ((sj = dispatch_dequeue(ch)) != NULL)
			dispatch_park_job(d, sj, STORE_DEFER, sj->j.next_at,
			    "channel removed by reload");
		dispatch_chan_update(ch);
	}
	if (old != NULL)
		dgen_unref(old);
}

const struct model *
dispatch_model(const struct dispatch *d)
{
	return d->cur->m;
}

size_t
dispatch_saturated(struct dispatch *d, const char *const **names)
{
	size_t n = 0, all = 0;
	struct dchan *ch;

	for (ch = d->chans; ch != NULL; ch = ch->next)
		all++;
	if (all > d->n_skip_alloc) {
		d->skip = xrealloc(d->skip, all * sizeof(*d->skip));
		d->n_skip_alloc = all;
	}
	for (ch = d->chans; ch != NULL; ch = ch->next)
		if (ch->saturated)
			d->skip[n++] = ch->name;
	*names = d->skip;
	return n;
}

void
dispatch_requeue(struct dispatch *d)
{
	struct job_claim *sj;

	for (struct dchan *ch = d->chans; ch != NULL; ch = ch->next) {
		if (ch->ev_tokens != NULL)
			evtimer_del(ch->ev_tokens);
		while ((sj = dispatch_dequeue(ch)) != NULL)
			dispatch_park_job(d, sj, STORE_DEFER, sj->j.next_at,
			    "put back on stop");
	}
	/* Flush would pump again: mark every channel absent meanwhile. */
	for (struct dchan *ch = d->chans; ch != NULL; ch = ch->next)
		ch->present = 0;
	dispatch_flush(d);
}

size_t
dispatch_in_flight(const struct dispatch *d)
{
	size_t n = 0;

	for (const struct dchan *ch = d->chans; ch != NULL; ch = ch->next)
		n += ch->st.in_flight;
	return n;
}

const struct herald_caps *
dispatch_channel_caps(const struct dispatch *d, const char *name)
{
	const struct dchan *ch = dispatch_chan(d, name);

	if (ch == NULL || !ch->present)
		return NULL;
	return channel_set_caps(d->cur->cs, ch->idx);
}

int
dispatch_channel_stats(const struct dispatch *d, const char *name,
    struct dispatch_stats *out)
{
	const struct dchan *ch = dispatch_chan(d, name);

	if (ch == NULL)
		return -1;
	*out = ch->st;
	return 0;
}

void
dispatch_free(struct dispatch *d)
{
	struct dchan *ch, *next;

	if (d == NULL)
		return;
	dispatch_requeue(d);
	/* Outcomes the store never took: their rows stay inflight and the
	 * next start sends them again (at most the held slots). */
	dispatch_release(d, d->done_head, 0);
	d->done_head = d->done_tail = NULL;
	for (ch = d->chans; ch != NULL; ch = next) {
		next = ch->next;
		if (ch->ev_tokens != NULL)
			event_free(ch->ev_tokens);
		free(ch->name);
		free(ch);
	}
	dgen_unref(d->cur);
	event_free(d->ev_flush);
	event_free(d->ev_retry);
	free(d->skip);
	free(d);
}
