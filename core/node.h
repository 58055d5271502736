/*
 * node.h - this process as one node of herald: its identity (a UUID per
 * process start, the store owner of every job it claims), its heartbeat
 * row, and the leases of the jobs it holds, renewed well before they run
 * out and judged before each hand-off (fencing).
 *
 * The same on every backend (store_cluster.h): on SQLite there is one
 * node and its leases matter only when the store fails longer than a
 * lease; on PostgreSQL the other nodes read the heartbeat rows and take
 * over the jobs whose lease ran out.
 *
 * Leases.  A job is claimed with a lease (job.lease_until); the node
 * renews the leases of every job it holds in flight, together, to
 * now + lease, every third of a lease.  A renewal extends only leases
 * that have not run out, so a job's lease is still good at t when it was
 * claimed with a lease reaching the start of the current unbroken chain
 * of renewals (each made before the previous one's horizon passed): then
 * every renewal since extended it.  node_lease_until() says so without
 * asking the store, so that the check before each hand-off costs nothing;
 * a node that cannot reach its store cannot renew and so stops handing
 * off once its leases have passed.
 */
#ifndef HERALD_NODE_H
#define HERALD_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "sched_clock.h"

struct event_base;
struct node;
struct store;
struct store_node;

#define NODE_BEAT_SECONDS 5		/* between heartbeats (a third of
					 * the lease when that is shorter) */
#define NODE_LIVE_SECONDS 30		/* silent longer: not listed live */
#define NODE_FORGET_SECONDS 86400	/* silent longer: row deleted */

struct node_hooks {
	/* How many jobs this node holds (claimed, queued, sending).
	 * Optional. */
	uint64_t (*held)(void *arg);
	/* Leases ran out and their jobs are pending again: claim.
	 * Optional. */
	void (*reaped)(void *arg, size_t n);
	/* The store failed a round (err, borrowed for the call) or answered
	 * again (err NULL): called on each change only, so that the store's
	 * health is reported once for the whole daemon.  Without it the
	 * node logs each change itself.  Optional. */
	void (*store)(void *arg, const char *err);
	/* A round went through: work every node does on the beat (the
	 * engine picks up incidents it does not time yet).  Optional. */
	void (*beat)(void *arg);
	void *arg;
};

/*
 * A new node identity: a fresh UUID, this host and pid, started now by
 * clock (borrowed; may be NULL: real time).  Caller owns the result
 * (node_free()).  No timer runs until node_start().
 */
struct node *node_new(struct event_base *base, const struct sched_clock *clock);
/* The UUID text, the owner to open the store with; borrowed from n. */
const char *node_id(const struct node *n);
/*
 * Beat now, then every NODE_BEAT_SECONDS (at most a third of the lease,
 * at least a second) on n's loop (no timer without a base: the caller
 * ticks), over st (borrowed; it must outlive n's timer: node_free()
 * first).  lease: seconds, the claims' lease.
 * hooks copied.  Returns 0, or -1 when the timer cannot be made.
 */
int node_start(struct node *n, struct store *st, int64_t lease,
    const struct node_hooks *hooks);
/* The config in force changed: its generation number and digest
 * (copied; NULL or "" when unknown) and its lease (seconds). */
void node_set_config(struct node *n, unsigned generation,
    const char *digest, int64_t lease);
/*
 * One round of the timer's work, now: the heartbeat, the renewal when a
 * third of the lease has passed since the last, and reaping leases that
 * ran out.  Tests call it after moving their clock.  Returns -1 when the
 * store failed (logged once per change of state).
 */
int node_tick(struct node *n);
/* Until when a job claimed with lease claimed_until stays held by this
 * node, with the renewals so far (Unix seconds). */
int64_t node_lease_until(const struct node *n, int64_t claimed_until);
/*
 * How many nodes share the due work, as the last round counted them: the
 * nodes that beat within the last three beat intervals, this one
 * included (1 before the first round, and on a lone store); *rank (may
 * be NULL) gets this node's place among them by id, from 1.  A dead node
 * counts until its beats are three intervals old.
 */
unsigned node_share(const struct node *n, unsigned *rank);
/* This node's row as it last beat (last_beat 0 before the first);
 * strings borrowed from n. */
void node_self(const struct node *n, struct store_node *out);
/*
 * The live nodes, this one included once it has beaten: those whose beat
 * is at most NODE_LIVE_SECONDS old, from the store (store_nodes()), the
 * latest beat first.  Returns 0 or -1 (store_error() of n's store).
 */
int node_live(const struct node *n, void (*fn)(void *arg,
    const struct store_node *o), void *arg);
/* Whether o runs another config than n: by digest when both have one,
 * else by generation number. */
int node_differs(const struct node *n, const struct store_node *o);
/*
 * A clean stop, once the sends are done: the heartbeat stops and the
 * node's row goes (store_node_leave()), so that the other nodes share a
 * launch without it from their next count on.  Returns 0 or -1
 * (store_error() of n's store).
 */
int node_leave(struct node *n);
/* Accepts NULL. */
void node_free(struct node *n);

#endif
