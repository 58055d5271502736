/*
 * dispatch.h - the dispatcher: per-channel priority queues, concurrency,
 * rate limits, retries, fallback, and the checks made just before a send.
 *
 * Each channel has four FIFO queues (emergency > launch > reminder >
 * digest), a cap on sends in flight and a token bucket; a channel waiting
 * for tokens arms its own timer.  Emergency jobs (policy_is_emergency())
 * are ahead of everything: dequeued first, they may take as many slots
 * again beyond the cap and overdraw the bucket (tbucket_overdraw()), and
 * are never merged, deferred by quiet hours or given a fallback.  A slow or dead channel fills only its own
 * queue: when a channel's queue reaches its cap it is reported saturated and
 * the scheduler stops claiming its jobs, so the others flow on.
 *
 * Outcomes are batched: every store_record() of one loop iteration runs in
 * one transaction, and a send keeps its channel slot until its outcome is
 * committed.  So after kill -9 at most `concurrency` jobs per channel were
 * handed to a plugin without their outcome on disk, plus as many
 * emergency jobs in their own lane (alerts never take an ordinary slot,
 * so an incident's alerts sent twice are at most `concurrency` per
 * channel): the bound on duplicates (DESIGN.md rule 3).
 *
 * The dispatcher borrows the generation (model and channel set) it sends
 * with from the engine, and takes a reference to it for each send in
 * flight (generation.h): after a reload swaps in a new one, the old one
 * lives on until its last in-flight send's outcome is recorded.
 */
#ifndef HERALD_DISPATCH_H
#define HERALD_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "job.h"
#include "sched_clock.h"

struct event_base;
struct dispatch;
struct generation;
struct store;

struct dispatch_hooks {
	/* The store changed in a way the scheduler should look at
	 * (fallback jobs, retries, a channel no longer saturated). */
	void (*poke)(void *arg);
	/* A job was handed to its channel at handoff_us; region is the
	 * contact's unit region or "-".  Optional. */
	void (*sent)(void *arg, const struct job_claim *sj, const char *region,
	    int64_t handoff_us);
	/* The store stopped taking outcomes (err, borrowed for the call) or
	 * took them again (err NULL): called on each change only.
	 * Optional. */
	void (*store)(void *arg, const char *err);
	/* Fencing: until when (Unix seconds) this node still holds a job
	 * claimed with lease claimed_until, renewals counted, asked at now
	 * before each hand-off; a job past it is neither sent nor recorded
	 * (node.h).  Optional: without it the claimed lease alone counts. */
	int64_t (*lease)(void *arg, int64_t claimed_until, int64_t now);
	void *arg;
};

/*
 * Create a dispatcher sending through g's channels with the settings of
 * its model.  g is borrowed: the caller keeps a reference to it until
 * dispatch_swap() or dispatch_free().  st, base and clock are borrowed.
 * Caller owns *out.
 */
int dispatch_open(struct event_base *base, struct store *st,
    const struct sched_clock *clock, struct generation *g,
    const struct dispatch_hooks *hooks, struct dispatch **out);

/*
 * Send with g from now on (borrowed, as in dispatch_open(); the caller
 * may drop its reference to the old one on return: sends in flight hold
 * their own).  Jobs queued for a channel that vanished go back to the
 * store, deferred.
 */
void dispatch_swap(struct dispatch *d, struct generation *g);
/* The model in use; borrowed until the next swap. */
const struct model *dispatch_model(const struct dispatch *d);

/* Queue a due job (ownership taken); dispatch_pump() sends. */
void dispatch_push(struct dispatch *d, struct job_claim *sj);
/* Send whatever concurrency and tokens allow, on every channel. */
void dispatch_pump(struct dispatch *d);
/*
 * Render a launch's go-notice ahead of its instant, and count it towards
 * its channel's prepare() (connections opened ahead).  Returns 0 or -1
 * (it is rendered at hand-off then).
 */
int dispatch_stage(struct dispatch *d, struct job_claim *sj);
/*
 * Render any other job claimed ahead of its instant, when its text
 * depends only on the model (policy_renders_ahead(); no incident):
 * at the instant only the checks and the hand-off remain.  The text is
 * kept if the job goes out within its instant's second.  Returns 0, or
 * -1 when it is rendered at hand-off instead.
 */
int dispatch_prerender(struct dispatch *d, struct job_claim *sj);

/* Names of saturated channels; the array is borrowed until the next call. */
size_t dispatch_saturated(struct dispatch *d, const char *const **names);

/*
 * Commit the outcomes gathered so far (normally done once per loop
 * iteration by an event).  Returns 0 or -1 when the store failed.
 *
 * When the storage fails (disk full, read-only: store_is_fault()), the
 * outcomes are kept in memory, their slots stay held and nothing more is
 * handed off, so at most `concurrency` sends per channel wait without a
 * recorded outcome; a timer retries the commit with backoff and sending
 * resumes once it succeeds (DESIGN.md rule 3).
 */
int dispatch_flush(struct dispatch *d);
/* Outcomes waiting for the store, and failed commit attempts so far;
 * returns whether the dispatcher is holding for the store. */
int dispatch_holding(const struct dispatch *d, size_t *held,
    uint64_t *commit_failures);
/* Put every queued, unsent job back in the store (deferred), then flush. */
void dispatch_requeue(struct dispatch *d);
/* Sends whose outcome is not committed yet, over all channels. */
size_t dispatch_in_flight(const struct dispatch *d);

/*
 * Send latency: hand-off to the plugin until its outcome callback, one
 * sample per message handed over (a merged message counts once).  Bounds
 * in microseconds, 1 ms to 60 s; the last bucket holds what lies above.
 */
#define DISPATCH_LATENCY_BUCKETS 15
extern const int64_t dispatch_latency_bounds_us[DISPATCH_LATENCY_BUCKETS];
struct dispatch_latency {
	uint64_t bucket[DISPATCH_LATENCY_BUCKETS + 1];	/* not cumulative */
	uint64_t count;
	double sum_us;
};

struct dispatch_stats {
	size_t queued, in_flight, max_in_flight;
	uint64_t sent, delivered, retried, failed, cancelled, deferred;
	/* Sends that timed out after the request went out (the peer may
	 * have the message); also counted in retried or failed. */
	uint64_t timeouts;
	/* Unix seconds of the channel's last delivery and last failed or
	 * retried send; 0: never. */
	int64_t last_delivered_at, last_failed_at;
	/* Failing: the last send the plugin answered failed (transient or
	 * permanent), since failing_since (Unix seconds), with last_error;
	 * a delivery ends it.  Each change is logged once. */
	int failing;
	int64_t failing_since;
	uint64_t failing_sends;		/* failed answers since then */
	char last_error[200];
	struct dispatch_latency latency;
	/* The token bucket now (dispatch_channel_stats() only): tokens
	 * held, refill per second (0: unlimited) and depth. */
	double tokens, rate, burst;
};
/*
 * The delay before retry number attempts + 1, in milliseconds: base *
 * 2^attempts, capped, times 0.8 + 0.4 * r for r in [0, 1).  The base is
 * e->retry_base, or e->retry_after_timeout when the last try timed out
 * (capped then at the larger of the cap and that base).
 */
int64_t dispatch_backoff_ms(const struct model_engine *e, unsigned attempts,
    int timed_out, double r);

/* The capabilities of the current channel called name (borrowed until
 * the next reload), or NULL when there is none. */
const struct herald_caps *dispatch_channel_caps(const struct dispatch *d,
    const char *name);

/* Returns 0, or -1 when no channel of that name was ever seen. */
int dispatch_channel_stats(const struct dispatch *d, const char *name,
    struct dispatch_stats *out);

/*
 * Is now inside quiet hours q in zone?  Returns 1 and the instant they
 * end (the next to_min local time, wrapping past midnight) in *until, or
 * 0 when outside or q is unset.
 */
int dispatch_quiet_until(const struct model_quiet *q, const char *zone,
    int64_t now, int64_t *until);

/* Requeue, free every model and channel set.  Call once nothing is in
 * flight (engine_stop() waits for that).  Accepts NULL. */
void dispatch_free(struct dispatch *d);

#endif
