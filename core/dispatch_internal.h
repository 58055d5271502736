/*
 * dispatch_internal.h - state and helpers shared by the dispatcher's files.
 *
 * dispatch.c keeps the queues, slots, token buckets, sends and reloads;
 * dispatch_outcome.c the outcomes, retries, fallbacks and commits;
 * dispatch_check.c the checks made just before a send;
 * dispatch_merge.c the merging of a backed-up queue into one message;
 * dispatch_address.c where a contact is reached.
 * Nothing here is visible outside the dispatcher.
 */
#ifndef HERALD_DISPATCH_INTERNAL_H
#define HERALD_DISPATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"
#include "generation.h"
#include "herald-plugin.h"
#include "job.h"
#include "model.h"
#include "sched.h"
#include "store.h"
#include "tally.h"
#include "tbucket.h"

struct event;
struct event_base;

/* Priority queues per channel: emergency, launch, reminder, digest. */
#define DISPATCH_PRIOS 4

/* One channel by name, kept across reloads: its queues, bucket, counts. */
struct dchan {
	char *name;
	struct dispatch *d;
	size_t idx;		/* index in the current set */
	int present;		/* in the current set */
	struct djob *head[DISPATCH_PRIOS], *tail[DISPATCH_PRIOS];
	size_t cap;		/* queue length at which it is saturated */
	size_t concurrency;
	/* Emergency jobs (policy_is_emergency()) have a lane of their own,
	 * emergency_slots wide (the channel's concurrency): slow ordinary
	 * sends holding every ordinary slot never hold an alert back, and
	 * alerts never take an ordinary slot, so at most concurrency alerts
	 * of a channel are in flight, the bound on alerts sent twice after
	 * a kill -9 (issue 14).  urgent_in_flight counts them; st.in_flight
	 * counts every send. */
	size_t emergency_slots;
	size_t urgent_in_flight;
	int saturated;
	struct tbucket tb;
	struct event *ev_tokens;
	int64_t merge_after_us;	/* 0: never merge */
	int merge_next;		/* the next token sends a merged message */
	struct dispatch_stats st;
	/* Launch sends staged this loop turn (dispatch_stage()) and their
	 * instant, told to the plugin by dispatch_prepare(). */
	unsigned staged;
	int64_t staged_at;
	struct dchan *next;
};

/*
 * A job while the dispatcher owns it (from dispatch_push() until its
 * outcome is committed): the claim and what only the dispatcher needs to
 * know about it.  Kept apart from struct job_claim so the scheduler's
 * type carries no field of ours.
 */
struct djob {
	struct job_claim *sj;	/* owned */
	struct djob *next;	/* in a queue, or in a merged send's list */
	struct dchan *chan;	/* NULL: its channel was never seen */
	struct generation *gen;	/* the generation it was sent with, one
				 * ref while
				 * holds_slot */
	int holds_slot;
	int64_t handoff_us;
};

/* One send in flight, or one outcome waiting to be committed. */
struct dsend {
	struct herald_message msg;	/* borrowed by the plugin */
	struct djob *dj;
	struct djob *merged;		/* the other jobs of a merged send,
					 * linked by next; owned */
	size_t n_merged;
	struct store_result res;
	char *detail;			/* owned copy behind res.detail */
	char *ack_url;			/* owned; behind msg.ack_url */
	struct herald_recipient *recipients; /* owned; behind msg.recipients */
	char *item_uid;			/* owned; behind msg.item_uid */
	struct job fallback;		/* valid when has_fallback */
	char *fallback_channel;
	int has_fallback;
	/* Fenced (CHECK_FENCED): the lease ran out, the job may be another
	 * node's, so nothing of it is recorded. */
	int unrecorded;
	struct dsend *next;
};

/* The dispatcher: the current generation, every channel, the done list. */
struct dispatch {
	struct event_base *base;
	struct store *st;
	struct sched_clock clock;
	struct dispatch_hooks hooks;
	struct generation *cur;		/* borrowed from the engine */
	struct dchan *chans;
	struct dsend *done_head, *done_tail;
	struct event *ev_flush;
	int flush_armed;
	int need_poke;
	const char **skip;
	size_t n_skip_alloc;
	uint64_t rng;
	/*
	 * The store could not commit: outcomes stay on the done list, their
	 * slots stay held, nothing is handed off, and ev_retry tries the
	 * commit again after retry_us (doubling up to a cap).
	 */
	int holding;
	struct event *ev_retry;
	int64_t retry_us;
	uint64_t commit_failures;
};

/* What dispatch_check() decided for a job. */
enum check {
	CHECK_SEND,
	CHECK_CANCEL,
	CHECK_DEFER,
	CHECK_MISSED,		/* overdue beyond its grace (misfire.h) */
	CHECK_SUPERSEDED,	/* a later reminder of its item goes instead */
	CHECK_FENCED,		/* its lease ran out: not ours to send */
};

/* What the checks found that the render or the outcome needs. */
struct check_out {
	const char *reason;		/* may point into buf */
	char buf[96];
	char later[JOB_KEY_LEN];	/* CHECK_SUPERSEDED: by which job */
	int64_t until;			/* CHECK_DEFER */
	struct tally units;		/* owned; escalations */
	char *digest_text;		/* owned */
	struct model_item item;		/* the job's, borrowed from the model */
	struct incident *incident;	/* owned; the job's incident, if any */
};

/*
 * The files are layered, each calling only those below it (and
 * tests/check_includes.sh fails on a loop):
 *
 *   dispatch.c           queues, tokens, the send, the pump, reloads
 *   dispatch_outcome.c   outcomes, retries, fallback, commits, freeing
 *   dispatch_merge.c     one message out of a backed-up queue
 *   dispatch_check.c     the checks just before a send
 *   dispatch_address.c   where a contact is reached
 *
 * and the two helpers below, which every layer uses.
 */

/* The dispatcher's clock, in microseconds. */
static inline int64_t
dispatch_now_us(const struct dispatch *d)
{
	return sched_clock_now(&d->clock);
}

/* Re-evaluate saturation; a channel that regained room wakes the
 * scheduler. */
static inline void
dispatch_chan_update(struct dchan *ch)
{
	int sat = ch->st.queued + ch->st.in_flight >= ch->cap;

	if (ch->saturated && !sat)
		ch->d->need_poke = 1;
	ch->saturated = sat;
}

/* dispatch_outcome.c */

/* An outcome that never reached a plugin (cancel, defer): no slot held.
 * Takes ownership of dj; detail is copied.  dispatch_drop_job() lets go
 * of a fenced job the same way without recording anything. */
void dispatch_drop_job(struct dispatch *, struct djob *dj);
void dispatch_park_job(struct dispatch *, struct djob *dj,
    enum store_outcome, int64_t next_at, const char *detail);
/* Fail ds (ownership taken) for good; queue the contact's next channel. */
void dispatch_fail(struct dispatch *, struct dsend *ds, const char *reason);
/* The plugin's answer for the send arg (a struct dsend, ownership taken). */
void dispatch_on_done(void *arg, enum herald_outcome, unsigned retry_after_ms,
    const char *reason);
/* Commit the done list and free its slots: 1 when outcomes were recorded
 * (pump next), 0 when none were waiting, -1 when the store failed (the
 * dispatcher holds and retries on its own timer). */
int dispatch_settle(struct dispatch *d);
/* Free the sends of list (owned) and the slots they hold. */
void dispatch_release(struct dispatch *, struct dsend *list, int log_failed);
/* Free dj and its claim.  NULL is fine. */
void djob_free(struct djob *dj);
/* Free what ds owns besides its job, then ds itself.  NULL is fine. */
void dispatch_send_free(struct dsend *ds);

/* dispatch_merge.c */

/* Should the next token send ch's queue as one message? */
int dispatch_merge_due(const struct dchan *, int64_t);
/* May dj (borrowed) join the merged message led by lead? */
int dispatch_merge_fits(struct dispatch *, const struct dchan *,
    const struct dsend *lead, const struct djob *dj);
/* Turn lead into the message of lead and the n jobs on rest (linked by
 * next, ownership taken into lead->merged). */
void dispatch_merge_message(struct dispatch *, const struct dchan *,
    struct dsend *lead, struct djob *rest, size_t n);

/* dispatch_check.c */

/* Whether sj may go now; out->units and out->digest_text are the
 * caller's to free. */
enum check dispatch_check(struct dispatch *, const struct job_claim *,
    int64_t, struct check_out *);

/* dispatch_address.c */

/* Where a contact is reached on channel; borrowed from mc, or NULL. */
const char *dispatch_address(const struct model_contact *, const char *,
    enum herald_address_kind);
/* Fill out with mc as a recipient on channel (strings borrowed from mc). */
void dispatch_recipient(const struct model_contact *mc, const char *channel,
    struct herald_recipient *out);

#endif
