/*
 * store_sqlite_node.c - the nodes of herald in the SQLite store: the
 * heartbeat rows, lease renewal, the fencing question and reaping
 * (store_cluster.h).
 *
 * One node owns an SQLite file, so here the machinery has little to
 * decide: the one heartbeat row, its own leases renewed, its own leases
 * reaped when it fenced itself (the store was failing longer than a
 * lease).  It is the same machinery a PostgreSQL cluster runs, and its
 * tests run here.  Leases are judged by the caller's clock, the only
 * one there is.
 */
#include <stdlib.h>

#include <sqlite3.h>

#include "store.h"
#include "store_cluster.h"
#include "store_sqlite.h"
#include "store_sqlite_node.h"

int
sq_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int outer;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if (forget_before > 0) {
		if ((st = sq_stmt(s, q, ST_NODE_FORGET)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, forget_before);
		if (sq_run(s, q, st, "forget nodes") == -1)
			goto fail;
	}
	if ((st = sq_stmt(s, q, ST_NODE_BEAT)) == NULL)
		goto fail;
	sq_bind_text(st, 1, n->id);
	sq_bind_text(st, 2, n->host);
	sqlite3_bind_int64(st, 3, n->pid);
	sqlite3_bind_int64(st, 4, n->started);
	sqlite3_bind_int64(st, 5, n->generation);
	sq_bind_text(st, 6, n->config);
	sqlite3_bind_int64(st, 7, n->last_beat);
	sqlite3_bind_int64(st, 8, (int64_t)n->in_flight);
	if (sq_run(s, q, st, "node beat") == -1)
		goto fail;
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

int
sq_node_leave(struct store *s, const char *id)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_NODE_LEAVE)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	return sq_run(s, q, st, "node leave");
}

int
sq_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	struct store_node n;
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_NODES)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n.id = sq_col_text(st, 0);
		n.host = sq_col_text(st, 1);
		n.pid = (long)sqlite3_column_int64(st, 2);
		n.started = sqlite3_column_int64(st, 3);
		n.generation = (unsigned)sqlite3_column_int64(st, 4);
		n.config = sq_col_text(st, 5);
		n.last_beat = sqlite3_column_int64(st, 6);
		n.in_flight = (uint64_t)sqlite3_column_int64(st, 7);
		fn(arg, &n);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "nodes");
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

int
sq_renew(struct store *s, int64_t now, int64_t lease_until, size_t *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_RENEW)) == NULL)
		return -1;
	sq_bind_text(st, 1, store_owner(s));
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_until);
	if (sq_run(s, q, st, "renew leases") == -1)
		return -1;
	*n = (size_t)sqlite3_changes(q->db);
	return 0;
}

int
sq_held(struct store *s, const char *key, int64_t now, int *held)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_HELD)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sq_bind_text(st, 2, store_owner(s));
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sq_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(s, q, "lease held");
	*held = rc == SQLITE_ROW;
	return 0;
}

int
sq_reap(struct store *s, int64_t now, size_t *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int outer;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_REAP_EVENTS)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_run(s, q, st, "reap leases") == -1)
		goto fail;
	if ((st = sq_stmt(s, q, ST_REAP)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_run(s, q, st, "reap leases") == -1)
		goto fail;
	*n = (size_t)sqlite3_changes(q->db);
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

int
sq_due(struct store *s, int64_t until, size_t *total, size_t *mine)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_DUE)) == NULL)
		return -1;
	sq_bind_text(st, 1, store_owner(s));
	sqlite3_bind_int64(st, 2, until);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*total = (size_t)sqlite3_column_int64(st, 0);
		*mine = (size_t)sqlite3_column_int64(st, 1);
	}
	sq_reset(st);
	if (rc != SQLITE_ROW)
		return sq_fail(s, q, "due count");
	return 0;
}
