/*
 * sched.h - the scheduler: one timer, a bounded window of claimed jobs.
 *
 * The store holds the agenda; the scheduler holds at most `cap` claimed
 * jobs (plus every launch and emergency job inside the window, so a
 * launch is staged in full) in a min-heap (by next_at, then priority) and
 * ONE event timer, armed
 * for the earlier of the heap's top and the store's next due job minus the
 * prefetch window (as OpenSMTPD's scheduler asks its backend "what is next").
 * When the timer fires, every due job is handed to the dispatcher in one
 * pass and the heap is refilled by a claim.  Memory is bounded by cap and
 * the launch audiences, not by the number of planned jobs.
 *
 * Time comes from an injected clock so unit tests drive it by hand and
 * never sleep; libevent's monotonic timer only decides when to look again.
 */
#ifndef HERALD_SCHED_H
#define HERALD_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "sched_clock.h"

struct event_base;
struct store;
struct sched;

/* What the scheduler calls; arg is passed back. */
struct sched_hooks {
	/* Take ownership of a due job.  Required. */
	void (*handoff)(void *arg, struct job_claim *sj);
	/* The jobs handed off so far may be sent now: called after each
	 * batch of hand-offs, before the scheduler claims more.  Optional. */
	void (*handoff_done)(void *arg);
	/* Channels not to claim for now (saturated); names borrowed until
	 * the next call.  Emergency jobs are claimed on them all the same
	 * (store_claim_urgent()).  Optional. */
	size_t (*skip)(void *arg, const char *const **names);
	/* A job was just claimed (launch staging, clock check); it is
	 * borrowed.  Optional. */
	void (*claimed)(void *arg, struct job_claim *sj);
	/* The store failed a claim (err, borrowed for the call) or answered
	 * again after failing (err NULL): called on each change only.
	 * Without it the scheduler logs each failure itself.  Optional. */
	void (*store)(void *arg, const char *err);
	/* How many live nodes share the due work (node_share()): above
	 * one, this node claims ahead of the instant only its share of the
	 * window (sched.c).  Optional: without it, one node. */
	unsigned (*share)(void *arg);
	void *arg;
};

struct sched_settings {
	int64_t prefetch;	/* seconds: claim jobs due this far ahead */
	int64_t lease;		/* seconds: claim lease */
	size_t cap;		/* most claimed jobs held, launch and
				 * emergency jobs not counted; 0: 4096 */
};

/* Firing lateness histogram: hand-off minus the job's next_at. */
#define SCHED_LATENESS_BUCKETS 12
extern const int64_t sched_lateness_bounds_ms[SCHED_LATENESS_BUCKETS];
struct sched_lateness {
	uint64_t bucket[SCHED_LATENESS_BUCKETS + 1]; /* last: above all bounds */
	uint64_t count;
	double sum_ms;
	int64_t max_ms;
};

/*
 * Create a scheduler on base over st (both borrowed; st must outlive it).
 * clock may be NULL (real time).  The timer is not armed until
 * sched_poke() or sched_run().  Caller owns *out.
 */
int sched_open(struct event_base *base, struct store *st,
    const struct sched_clock *clock, const struct sched_settings *set,
    const struct sched_hooks *hooks, struct sched **out);

/* Settings changed (reload). */
void sched_set_settings(struct sched *s, const struct sched_settings *set);

/* Look again soon: new jobs were planned, a channel has room. */
void sched_poke(struct sched *s);

/*
 * The timer's work, now: hand off every due job, refill, re-arm.  Tests
 * call it after moving their clock.  Returns -1 when the store failed
 * (the error is logged; the timer retries a second later).
 */
int sched_run(struct sched *s);

/*
 * Give every held job back to the store (deferred, at its own next_at),
 * e.g. before a re-plan so changed instants reach them.  Claiming goes on.
 */
void sched_release(struct sched *s);

/*
 * Stop claiming and give every held job back to the store (deferred, at
 * its own next_at).  The timer is disarmed.
 */
void sched_stop(struct sched *s);

/* sched_stop(), then free.  Accepts NULL. */
void sched_free(struct sched *s);

/* The instant the timer is for, in clock microseconds; -1 when
 * disarmed. */
int64_t sched_timer_at(const struct sched *s);
/* When its event fires: sched_timer_at(), or a little ahead of a held
 * job's instant (the rest is slept again, see sched.c); -1 disarmed. */
int64_t sched_wake_at(const struct sched *s);
size_t sched_held(const struct sched *s);
const struct sched_lateness *sched_lateness(const struct sched *s);
/* Count one lateness sample (exposed for the tests and the dispatcher). */
void sched_lateness_add(struct sched_lateness *l, int64_t ms);

#endif
