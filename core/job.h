/*
 * job.h - one planned notification: what the store keeps and the engine
 * moves.
 *
 * A job is one message to one contact through one channel at one instant.
 * Its key is a name-based UUID (RFC 4122 version 5, libuuid's SHA-1
 * variant) of campaign, item, kind, offset, contact and channel, so planning
 * the same config twice yields the same keys (DESIGN.md rule 2).
 *
 * States and their moves:
 *
 *   pending --claim--> inflight --delivered--> delivered (late = 1 when
 *      ^                  |                               sent after due)
 *      |                  +--transient--> pending (attempts+1, next_at later)
 *      |                  +--permanent/exhausted--> failed (+ fallback job)
 *      +-- re-plan: vanished key -----------------> cancelled
 *      +-- submission of its deadline ------------> cancelled
 *      +-- overdue beyond its kind's grace -------> missed
 *      +-- a later reminder of its item due with it -> superseded
 *
 * missed and superseded are decided by the misfire policy (misfire.h), at
 * start, after a reload and again at hand-off; a job in flight is judged
 * at hand-off.
 *
 * inflight rows left by a crash go back to pending on start (at-least-once).
 */
#ifndef HERALD_JOB_H
#define HERALD_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "herald-plugin.h"

#define JOB_KEY_LEN 37		/* UUID text + NUL */

enum job_kind {
	JOB_COUNTDOWN = 0,	/* launch countdown notice (T-1d, T-1h...) */
	JOB_LAUNCH,		/* the launch "go" notice, at the instant */
	JOB_REMINDER,		/* deadline reminder at an offset */
	JOB_OVERDUE,		/* deadline passed, not submitted */
	JOB_ESCALATION,		/* still not submitted after a delay */
	JOB_TASK,		/* task reminder for lead/cooperating units */
	JOB_PHASE,		/* a phase starts */
	JOB_DIGEST,		/* daily digest for coordinators */
	JOB_SLOT,		/* livestream slot reminder for its host */
	JOB_EMERGENCY,		/* emergency plan alert (one incident's wave) */
	/* Appended after the others: kinds are stored by name, but tables
	 * indexed by kind (graces in configs, sets of kinds) keep their
	 * numbers. */
	JOB_INCIDENT_ACK,	/* an incident was taken charge of (incident.h) */
	JOB_INCIDENT_CLOSE,	/* an incident was resolved */
	JOB_TASK_OVERDUE,	/* a task's due time passed (to its units) */
	JOB_TASK_ESCALATION,	/* a task escalated after its due time */
	/* A stage's events for its livestream platform (planner_stage.c),
	 * to the stage itself (model_stage.platform) on the stage's channel. */
	JOB_SCHEDULE,		/* the stage's whole slot list, when planned or changed */
	JOB_NEXT_UP,		/* a slot comes next, stage.next_up before it */
	JOB_ON_AIR,		/* a slot starts */
	JOB_OFF_AIR,		/* a slot ends */
	JOB_KIND_COUNT
};

enum job_state {
	JOB_PENDING = 0,
	JOB_INFLIGHT,
	JOB_DELIVERED,
	JOB_FAILED,
	JOB_MISSED,
	JOB_CANCELLED,
	JOB_SUPERSEDED,		/* a later reminder of its item went instead */
	JOB_STATE_COUNT
};

struct job {
	char key[JOB_KEY_LEN];
	enum job_kind kind;
	enum herald_priority priority;
	const char *campaign;	/* ids: borrowed from the model or the store */
	const char *item;	/* deadline/task/phase/slot/plan id; "launch"; "digest" */
	int64_t offset;		/* seconds before the item (countdown/reminder) */
	const char *contact;
	const char *channel;
	int64_t due;		/* the planned instant, Unix seconds */
	int64_t next_at;	/* when to try next (due, retry, quiet hours) */
	int64_t item_at;	/* the item's own instant (deadline due...) */
	enum job_state state;
	unsigned attempts;
	const char *fallback_of; /* key of the job this one replaces, or NULL */
	/* The incident (UUID text) of an emergency alert or an incident
	 * notice; NULL for every other job.  Part of the key when set. */
	const char *incident;
	/* Filled by the store when it reads a job back; planners leave them
	 * zero and the store ignores them on insert. */
	int late;		/* delivered after due (see store_record) */
	int64_t lateness_ms;	/* hand-off minus due, when delivered */
	const char *detail;	/* detail of the last recorded outcome, or NULL */
	/* Set by store_claim() on the jobs it claims: the lease they were
	 * claimed with (renewals extend it in the store, see
	 * store_cluster.h); 0 on a job read any other way. */
	int64_t lease_until;
};

/* "reminder", "launch"...; NULL for an out-of-range kind. */
const char *job_kind_name(enum job_kind k);
/* Parse a kind name; -1 when unknown. */
int job_kind_parse(const char *name);
const char *job_state_name(enum job_state s);
int job_state_parse(const char *name);
/* The priority class of a kind (emergency > launch > reminder > digest). */
enum herald_priority job_kind_priority(enum job_kind k);

/*
 * Compute the key of a job from its identity into out (JOB_KEY_LEN bytes):
 * UUIDv5 in herald's namespace over the NUL-separated fields, the offset
 * as decimal seconds.
 */
void job_make_key(char out[JOB_KEY_LEN], const char *campaign,
    const char *item, enum job_kind kind, int64_t offset,
    const char *contact, const char *channel);
/*
 * The same recipe with the incident appended as a seventh field when
 * incident is not NULL (NULL: exactly job_make_key()'s key, so keys of
 * jobs without an incident never change).  Two incidents of one plan
 * then never share a key, and planning one wave twice is harmless.
 */
void job_make_key_incident(char out[JOB_KEY_LEN], const char *campaign,
    const char *item, enum job_kind kind, int64_t offset,
    const char *contact, const char *channel, const char *incident);

/*
 * A claimed job with its own copies of every string: it outlives the
 * claim callback and any model.  The scheduler owns it in its heap; the
 * dispatcher owns it from hand-off until its outcome is committed, and
 * keeps its own bookkeeping (queue links, channel, slot) in a node of its
 * own (struct djob, dispatch_internal.h), not here.
 */
struct job_claim {
	struct job j;		/* strings point into str[] */
	char *subject, *body;	/* rendering, owned, or NULL: staged ahead
				 * (launch) or made at hand-off */
	int staged;
	size_t heap_idx;	/* scheduler's, while in its heap */
	char str[];
};

/* Caller owns the result (job_claim_free()). */
struct job_claim *job_claim_new(const struct job *j);
/* Accepts NULL. */
void job_claim_free(struct job_claim *sj);

#endif
