/*
 * store_cluster.h - what every node of herald keeps in the store whatever
 * the backend: its heartbeat row, the renewal of the leases it holds,
 * the fencing question (does it still hold a job's lease) and the
 * reaping of leases that ran out.
 *
 * A backend provides these as an optional third table of operations
 * (struct store_cluster_ops, the `cluster` pointer of struct store_ops);
 * without one, store.c gives the answers of a lone node that owns the
 * whole store: one node (this one), every lease held, nothing to renew
 * or reap.  SQLite implements them (store_sqlite_node.c) so that the
 * machinery runs and is tested on one node; PostgreSQL fills in the same
 * operations for several.  Instants are Unix seconds; a backend with a
 * clock of its own (PostgreSQL's now()) judges leases by it and may
 * ignore the caller's `now`, so that nodes with skewed clocks agree.
 */
#ifndef HERALD_STORE_CLUSTER_H
#define HERALD_STORE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One node's heartbeat row; strings borrowed (from the caller on a
 * beat, from the store during a callback). */
struct store_node {
	const char *id;		/* UUID text of one process start; the
				 * store owner (store_owner()) */
	const char *host;
	long pid;
	int64_t started;	/* when the process started */
	unsigned generation;	/* its config generation (1 + reloads) */
	const char *config;	/* a digest of its config text, to compare
				 * nodes by; may be NULL */
	int64_t last_beat;	/* when the row was last written */
	uint64_t in_flight;	/* jobs it held at its last beat */
};
typedef void (*store_node_fn)(void *arg, const struct store_node *n);

/*
 * Write n's heartbeat row (insert or replace by id; n->last_beat is the
 * beat's instant) and forget the rows of nodes silent since before
 * forget_before (0: forget none), so that restarts do not pile up.
 */
int store_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before);
/*
 * A node that stops cleanly deletes its row (by id), so that the others
 * stop counting it among the live nodes at once (a launch's share, the
 * status list) rather than when its last beat ages out.
 */
int store_node_leave(struct store *s, const char *id);
/* The nodes that beat at or after since, latest beat first. */
int store_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg);
/*
 * Extend to lease_until the leases this store's owner still holds at now
 * (jobs in flight under its name whose lease has not run out); a lease
 * that ran out stays out, the job may be another node's by now.  *n (may
 * be NULL) gets how many were extended.
 */
int store_lease_renew(struct store *s, int64_t now, int64_t lease_until,
    size_t *n);
/* Fencing: *held = 1 when the owner still holds key in flight under a
 * lease that has not run out at now. */
int store_lease_held(struct store *s, const char *key, int64_t now,
    int *held);
/*
 * Jobs in flight whose lease ran out before now, whoever held them, go
 * back to pending with an event naming the holder: a dead node's, or
 * this node's own that it fenced (store_recover() at start does the same
 * for every job on a store one node owns).  *n (may be NULL) gets how
 * many.
 */
int store_lease_reap(struct store *s, int64_t now, size_t *n);
/*
 * The due work of the window ending at until, for a node that claims its
 * share of it (sched.c): *total gets the jobs pending or in flight (under
 * any owner) with next_at <= until, *mine those of them in flight under
 * this store's owner.  Without a cluster table, both 0 (a lone node
 * claims without a share).
 */
int store_due_count(struct store *s, int64_t until, size_t *total,
    size_t *mine);

/* The backend's table; store.c has checked the arguments.  Every entry
 * is required when the table is there. */
struct store_cluster_ops {
	int (*node_beat)(struct store *s, const struct store_node *n,
	    int64_t forget_before);
	int (*node_leave)(struct store *s, const char *id);
	int (*nodes)(struct store *s, int64_t since, store_node_fn fn,
	    void *arg);
	int (*renew)(struct store *s, int64_t now, int64_t lease_until,
	    size_t *n);
	int (*held)(struct store *s, const char *key, int64_t now,
	    int *held);
	int (*reap)(struct store *s, int64_t now, size_t *n);
	int (*due)(struct store *s, int64_t until, size_t *total,
	    size_t *mine);
};

#endif
