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
 * merging of a backed-up queue in dispatch_merge.c, what happens after a
 * plugin answers in dispatch_outcome.c, addressing in dispatch_address.c;
 * dispatch_internal.h holds the structures and functions they share, and
 * how the files are layered (this one on top: the others never call it).
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acklink.h"
#include "ical.h"
#include "incident.h"
#include "log.h"
#include "misfire.h"
#include "model.h"
#include "plugin.h"
#include "policy.h"
#include "render.h"
#include "store.h"
#include "tbucket.h"
#include "xmalloc.h"

#define DISPATCH_DEFAULT_CONCURRENCY 4
#define DISPATCH_QUEUE_SLACK 256

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
	ch->emergency_slots = conc;
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

/* An emergency kind goes on the emergency queue whatever priority its
 * row says (policy_is_emergency()); the others by their priority. */
static void
dispatch_enqueue(struct dchan *ch, struct djob *dj, int front)
{
	int p = dj->sj->j.priority;

	if (policy_is_emergency(dj->sj->j.kind))
		p = HERALD_PRIO_EMERGENCY;
	if (p < 0 || p >= DISPATCH_PRIOS)
		p = DISPATCH_PRIOS - 1;
	dj->chan = ch;
	if (front) {
		dj->next = ch->head[p];
		ch->head[p] = dj;
		if (ch->tail[p] == NULL)
			ch->tail[p] = dj;
	} else {
		dj->next = NULL;
		if (ch->tail[p] != NULL)
			ch->tail[p]->next = dj;
		else
			ch->head[p] = dj;
		ch->tail[p] = dj;
	}
	ch->st.queued++;
	dispatch_chan_update(ch);
}

static struct djob *
dispatch_dequeue(struct dchan *ch)
{
	struct djob *dj;
	int p;

	for (p = 0; p < DISPATCH_PRIOS; p++) {
		if ((dj = ch->head[p]) == NULL)
			continue;
		ch->head[p] = dj->next;
		if (ch->head[p] == NULL)
			ch->tail[p] = NULL;
		dj->next = NULL;
		ch->st.queued--;
		return dj;
	}
	return NULL;
}

/* --- sending --- */

/*
 * The calendar UID of sj's item when the item is an event of the
 * calendar export (ical.c); NULL for digests and incidents.  Caller frees.
 */
static char *
dispatch_item_uid(const struct job_claim *sj)
{
	if (sj->j.kind == JOB_DIGEST || policy_is_emergency(sj->j.kind))
		return NULL;
	return ical_uid(sj->j.campaign, sj->j.item);
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

/*
 * Count sj towards its channel's prepare() at the end of this loop turn
 * (dispatch_prepare()): one call a channel a turn, however many jobs a
 * claim batch staged.  A job that fails to render counts too: it is
 * still sent at the instant.
 */
static void
dispatch_note_staged(struct dispatch *d, const struct job_claim *sj)
{
	struct dchan *ch = dispatch_chan(d, sj->j.channel);

	if (ch == NULL || !ch->present)
		return;
	if (ch->staged < UINT_MAX)
		ch->staged++;
	ch->staged_at = sj->j.next_at;
	if (!d->flush_armed) {
		d->flush_armed = 1;
		event_active(d->ev_flush, EV_TIMEOUT, 0);
	}
}

/*
 * The render's inputs that come from the model and the channel, not from
 * the checks: the same whether the job is rendered ahead or at hand-off.
 */
static struct render_extra
dispatch_extra(const struct dispatch *d, const struct herald_caps *caps,
    const char *ack_url, int64_t now)
{
	return (struct render_extra){ .ack_url = ack_url, .now = now,
	    .link_ok = caps->ack_links,
	    .sms_replies = caps->address == HERALD_ADDR_PHONE &&
	    d->cur->m->daemon.sms_reply_token != NULL };
}

/*
 * Render sj for its instant, next_at, as dispatch_ready() would then.
 * dispatch_ready() keeps the text when the job goes out within that
 * second: "{{left}}" counts seconds under a minute, so a text made for
 * one second is not good for the next.
 */
static int
dispatch_render_ahead(struct dispatch *d, struct job_claim *sj)
{
	const struct dchan *ch = dispatch_chan(d, sj->j.channel);
	struct render_extra x;
	char err[256], *ack_url;
	int rc;

	if (ch == NULL || !ch->present)
		return -1;
	ack_url = dispatch_ack_url(d->cur->m, sj->j.key);
	x = dispatch_extra(d, channel_set_caps(d->cur->cs, ch->idx), ack_url,
	    sj->j.next_at);
	rc = dispatch_render(d, sj, &x, err, sizeof(err));
	free(ack_url);
	if (rc == -1)
		return -1;
	sj->staged = 1;
	return 0;
}

int
dispatch_stage(struct dispatch *d, struct job_claim *sj)
{
	dispatch_note_staged(d, sj);
	return dispatch_render_ahead(d, sj);
}

int
dispatch_prerender(struct dispatch *d, struct job_claim *sj)
{
	if (!policy_renders_ahead(sj->j.kind) || sj->j.incident != NULL)
		return -1;
	return dispatch_render_ahead(d, sj);
}

/*
 * Tell each channel with sends staged since the last turn how many (at
 * most its concurrency: only that many connections are ever used at
 * once), so its plugin can connect ahead of the instant.
 */
static void
dispatch_prepare(struct dispatch *d)
{
	struct dchan *ch;
	unsigned n;

	for (ch = d->chans; ch != NULL; ch = ch->next) {
		if (ch->staged == 0)
			continue;
		n = ch->staged < ch->concurrency ? ch->staged :
		    (unsigned)ch->concurrency;
		ch->staged = 0;
		if (ch->present)
			channel_set_prepare(d->cur->cs, ch->idx, n,
			    ch->staged_at);
	}
}

/* Park sj (ownership taken) with what the checks decided instead of a
 * send, and say so in the log. */
static void
dispatch_not_sent(struct dispatch *d, struct djob *dj, enum check r,
    const struct check_out *co)
{
	const struct job *j = &dj->sj->j;
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
	case CHECK_FENCED:
		log_warnx("fenced: %s %s/%s for %s via %s: %s; neither sent "
		    "nor recorded here", job_kind_name(j->kind), j->campaign,
		    j->item, j->contact, j->channel, co->reason);
		dispatch_drop_job(d, dj);
		return;
	default:
		o = STORE_DEFER;
		break;
	}
	dispatch_park_job(d, dj, o, co->until, co->reason);
}

/*
 * Run the checks on sj, then address and render it.  Returns the send,
 * not yet handed over (caller owns it), or NULL when the job was parked
 * instead (cancelled, deferred or failed; no slot used).
 */
static struct dsend *
dispatch_ready(struct dispatch *d, struct dchan *ch, struct djob *dj,
    int64_t now_us)
{
	struct job_claim *sj = dj->sj;
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
		dispatch_not_sent(d, dj, r, &co);
		goto done;
	}
	mc = model_contact_find(d->cur->m, sj->j.contact);
	ds = xcalloc(1, sizeof(*ds));
	ds->dj = dj;
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
	x = dispatch_extra(d, caps, ds->ack_url, now_us / 1000000);
	x.not_submitted = co.units.pending;
	x.submitted = co.units.submitted;
	x.n_pending = co.units.n_pending;
	x.n_total = co.units.n_total;
	x.digest_text = co.digest_text;
	x.item = &co.item;
	x.incident = co.incident != NULL ? &co.incident->v : NULL;
	if ((!sj->staged || sj->j.next_at != x.now) &&
	    dispatch_render(d, sj, &x, err, sizeof(err)) == -1) {
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
	incident_free(co.incident);
	return ds;
}

static void
dispatch_note_sent(struct dispatch *d, struct dchan *ch, struct djob *dj,
    int64_t now_us)
{
	const struct model_contact *mc = model_contact_find(d->cur->m,
	    dj->sj->j.contact);

	dj->handoff_us = now_us;
	ch->st.sent++;
	if (d->hooks.sent != NULL)
		d->hooks.sent(d->hooks.arg, dj->sj, mc != NULL &&
		    mc->unit != NULL && mc->unit->region != NULL ?
		    mc->unit->region : "-", now_us);
}

/* Hand a ready send to the plugin; it takes a slot.  Takes ownership. */
static void
dispatch_handoff(struct dispatch *d, struct dchan *ch, struct dsend *ds,
    int64_t now_us)
{
	struct djob *dj = ds->dj;

	/* The send's own reference: a reload meanwhile must not free the
	 * channel it runs on before its outcome is recorded. */
	dj->gen = generation_ref(d->cur);
	dj->holds_slot = 1;
	ch->st.in_flight++;
	if (policy_is_emergency(dj->sj->j.kind))
		ch->urgent_in_flight++;
	if (ch->st.in_flight > ch->st.max_in_flight)
		ch->st.max_in_flight = ch->st.in_flight;
	dispatch_note_sent(d, ch, dj, now_us);
	for (dj = ds->merged; dj != NULL; dj = dj->next)
		dispatch_note_sent(d, ch, dj, now_us);
	channel_set_send(d->cur->cs, ch->idx, &ds->msg, dispatch_on_done, ds);
}

/* The job dispatch_dequeue() would return next, left in place. */
static struct djob *
dispatch_peek(const struct dchan *ch)
{
	for (int p = 0; p < DISPATCH_PRIOS; p++)
		if (ch->head[p] != NULL)
			return ch->head[p];
	return NULL;
}

/*
 * Send the queued non-emergency jobs bound for one destination as one
 * message with the token already taken (dispatch_merge.c).  Jobs the
 * checks stop are parked as usual.  Returns 0 when something was sent,
 * -1 when the token went unused.
 */
static int
dispatch_send_merged(struct dispatch *d, struct dchan *ch, int64_t now_us)
{
	struct dsend *lead = NULL, *ds;
	struct djob *dj, *rest = NULL, **tail = &rest;
	size_t n = 0;

	while (ch->head[HERALD_PRIO_EMERGENCY] == NULL &&
	    (dj = dispatch_peek(ch)) != NULL &&
	    !policy_is_emergency(dj->sj->j.kind)) {
		if (lead != NULL && !dispatch_merge_fits(d, ch, lead, dj))
			break;
		dj = dispatch_dequeue(ch);
		if ((ds = dispatch_ready(d, ch, dj, now_us)) == NULL)
			continue;
		if (lead == NULL) {
			lead = ds;
			continue;
		}
		/* Only the job is kept: the message is the lead's. */
		dispatch_send_free(ds);
		*tail = dj;
		tail = &dj->next;
		n++;
	}
	if (lead == NULL)
		return -1;
	if (n > 0)
		dispatch_merge_message(d, ch, lead, rest, n);
	dispatch_handoff(d, ch, lead, now_us);
	return 0;
}

/*
 * Send what ch's slots and tokens allow, the emergency queue first.  An
 * emergency job is ahead of everything (issue 14): it goes in a lane of
 * its own (emergency_slots, as wide as the concurrency), so sends of slow
 * reminders holding every ordinary slot do not hold it back, while the
 * ordinary jobs behind it wait until it is handed off; it
 * overdraws the token bucket instead of waiting for a token (the
 * ordinary sends after it wait until the debt is paid).  It never goes
 * into a merged message: the merge is taken only when the job in line is
 * not an emergency, and stops at the first one (dispatch_send_merged()).
 */
static void
dispatch_pump_chan(struct dispatch *d, struct dchan *ch)
{
	struct dsend *ds;
	struct djob *next;
	int64_t now_us, wait;
	int sent, urgent, reading = 0;

	/* Nothing is handed off while outcomes cannot be recorded. */
	while (!d->holding && ch->present &&
	    (next = dispatch_peek(ch)) != NULL) {
		urgent = policy_is_emergency(next->sj->j.kind);
		if (urgent ? ch->urgent_in_flight >= ch->emergency_slots :
		    ch->st.in_flight - ch->urgent_in_flight >= ch->concurrency)
			break;
		now_us = dispatch_now_us(d);
		if (urgent)
			tbucket_overdraw(&ch->tb, now_us);
		else if ((wait = tbucket_take(&ch->tb, now_us)) > 0) {
			struct timeval tv = { wait / 1000000, wait % 1000000 };

			ch->merge_next = dispatch_merge_due(ch, wait);
			evtimer_add(ch->ev_tokens, &tv);
			break;
		}
		/* The checks of a burst look the store up once a job or
		 * more (submissions, later reminders): one snapshot. */
		if (!reading) {
			store_read_begin(d->st);
			reading = 1;
		}
		if (!urgent && ch->merge_next && ch->merge_after_us > 0) {
			ch->merge_next = 0;
			sent = dispatch_send_merged(d, ch, now_us) == 0;
		} else if ((ds = dispatch_ready(d, ch, dispatch_dequeue(ch),
		    now_us)) != NULL) {
			dispatch_handoff(d, ch, ds, now_us);
			sent = 1;
		} else
			sent = 0;
		if (!sent)
			tbucket_give(&ch->tb);
	}
	if (reading)
		store_read_end(d->st);
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
	struct djob *dj = xcalloc(1, sizeof(*dj));

	dj->sj = sj;
	if (ch == NULL || !ch->present) {
		dj->chan = ch;
		dispatch_park_job(d, dj, STORE_CANCELLED, 0,
		    "channel removed from config");
		return;
	}
	dispatch_enqueue(ch, dj, 0);
}

/*
 * Record what is done, then send what the freed slots allow (the pump is
 * here, not in dispatch_outcome.c, so that file never calls up).
 */
int
dispatch_flush(struct dispatch *d)
{
	int r;

	dispatch_prepare(d);
	r = dispatch_settle(d);

	if (r > 0)
		dispatch_pump(d);
	return r < 0 ? -1 : 0;
}

static void
dispatch_on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;

	d->flush_armed = 0;
	/* While holding, only the retry timer tries the store. */
	if (!d->holding)
		dispatch_flush(d);
	else
		dispatch_prepare(d);
}

static void
dispatch_on_retry(evutil_socket_t fd, short what, void *arg)
{
	dispatch_flush(arg);
}

/* --- the set as a whole --- */

int
dispatch_open(struct event_base *base, struct store *st,
    const struct sched_clock *clock, struct generation *g,
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
	dispatch_swap(d, g);
	*out = d;
	return 0;
}

void
dispatch_swap(struct dispatch *d, struct generation *g)
{
	struct channel_set *cs = g->cs;
	int64_t now_us = dispatch_now_us(d);
	struct djob *dj;
	struct dchan *ch;
	size_t i;

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
		/* A text made ahead with the old model is made again with
		 * the new one at hand-off (the scheduler's held jobs go back
		 * to the store on a reload, and are claimed and made anew). */
		for (int p = 0; p < DISPATCH_PRIOS; p++)
			for (dj = ch->head[p]; dj != NULL; dj = dj->next)
				dj->sj->staged = 0;
		if (ch->present)
			continue;
		if (ch->ev_tokens != NULL)
			evtimer_del(ch->ev_tokens);
		while ((dj = dispatch_dequeue(ch)) != NULL)
			dispatch_park_job(d, dj, STORE_DEFER, dj->sj->j.next_at,
			    "channel removed by reload");
		dispatch_chan_update(ch);
	}
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
	struct djob *dj;

	for (struct dchan *ch = d->chans; ch != NULL; ch = ch->next) {
		if (ch->ev_tokens != NULL)
			evtimer_del(ch->ev_tokens);
		while ((dj = dispatch_dequeue(ch)) != NULL)
			dispatch_park_job(d, dj, STORE_DEFER, dj->sj->j.next_at,
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
	out->tokens = tbucket_level(&ch->tb, dispatch_now_us(d));
	out->rate = ch->tb.rate;
	out->burst = ch->tb.burst;
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
	event_free(d->ev_flush);
	event_free(d->ev_retry);
	free(d->skip);
	free(d);
}
