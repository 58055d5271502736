/*
 * engine.h - the agenda engine: store, planner, scheduler and dispatcher
 * wired together for one daemon.
 *
 * engine_open() opens the store, puts crashed in-flight jobs back, plans
 * the model (DESIGN.md rule 2), applies the misfire policy (rule 4) and
 * starts the scheduler.  engine_reload() re-plans a new model and sends
 * with it from then on; the old channels live until their sends complete.
 * The engine is the one owner of the running config: the generation
 * (model and channel set, generation.h) that everything else borrows.
 * Stopping is asynchronous because it needs the loop: engine_drain() stops
 * claiming, puts queued jobs back and calls back once in-flight sends have
 * completed or the timeout expired.
 */
#ifndef HERALD_ENGINE_H
#define HERALD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"
#include "model.h"
#include "sched_clock.h"

struct dispatch;
struct engine;
struct incidents;
struct node;
struct generation;
struct sched;
struct event_base;
struct store;

/* First and last hand-off of one launch's go-notices through one channel
 * or to one region. */
struct engine_spread {
	char *name;
	int64_t first_us, last_us;
	size_t n;
};

struct engine_launch {
	char *campaign;
	char *item;			/* "launch", or its id in a list */
	int64_t at;			/* the launch instant */
	int64_t clock_checked_at;	/* last adjtimex check for it */
	int clock_synced;		/* result of that check; -1 unknown */
	size_t claimed, handed;		/* go-notices */
	int logged;			/* the spread line was written */
	struct engine_spread *by_channel, *by_region;
	size_t n_channel, n_region;
};

struct engine_status {
	struct clocksync clock;		/* last check */
	int clock_checked;		/* 0: never; -1: adjtimex failed */
	int64_t clock_checked_at;
	struct engine_launch *launches;
	size_t n_launches;
	size_t planned, inserted, updated, cancelled, recovered, missed;
	/* The store: failing while outcomes or claims cannot be written
	 * (disk full, read-only); nothing is handed off meanwhile. */
	int store_failing;
	int64_t store_failing_since;	/* Unix seconds; 0 when ok */
	char store_error[256];		/* the last failure; "" when ok */
	uint64_t store_faults;		/* times it began failing */
};

/*
 * Open the engine for g on base.  On success the engine takes the
 * caller's reference to g; on failure the caller keeps it.  clock may be
 * NULL (real time).  Caller owns *out (engine_free()).
 */
int engine_open(struct event_base *base, struct generation *g,
    const struct sched_clock *clock, struct engine **out, char *err,
    size_t errlen);

/*
 * Re-plan g's model and send with g from now on: new keys inserted,
 * vanished ones cancelled, unchanged ones untouched.  Takes the caller's
 * reference to g on success and drops the engine's to the old one (freed
 * once its sends in flight are recorded); on failure (-1, err) the
 * running config stays and the caller keeps g.
 */
int engine_reload(struct engine *e, struct generation *g, char *err,
    size_t errlen);

/*
 * Stop claiming, put queued jobs back, and call done(arg) from the loop
 * once no send is in flight or timeout_ms passed.
 */
void engine_drain(struct engine *e, int timeout_ms, void (*done)(void *),
    void *arg);

/* The engine's clock, Unix seconds (faketime-consistent with sends). */
int64_t engine_time(const struct engine *e);

const struct engine_status *engine_status(const struct engine *e);
/* The running config, borrowed until the next engine_reload(). */
const struct generation *engine_generation(const struct engine *e);
const struct model *engine_model(const struct engine *e);
struct store *engine_store(const struct engine *e);
struct sched *engine_sched(const struct engine *e);
struct dispatch *engine_dispatch(const struct engine *e);
/* The loop the engine runs on, and its incidents' timers (incident.h). */
struct event_base *engine_base(const struct engine *e);
struct incidents *engine_incidents(const struct engine *e);
/* This process as a node of herald (node.h): its id, heartbeat, leases. */
struct node *engine_node(const struct engine *e);

/* Flush outcomes, close the store, drop the engine's generation.  Sends
 * still in flight are abandoned with the generation they hold (their rows
 * stay inflight until the next start recovers them).  Accepts NULL. */
void engine_free(struct engine *e);

#endif
