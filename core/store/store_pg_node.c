/*
 * store_pg_node.c - the nodes of herald in the PostgreSQL store: the
 * heartbeat rows, lease renewal, the fencing question and reaping
 * (store_cluster.h), for several nodes on one database.
 *
 * Leases are judged by the database's clock (PG_DB_NOW), as the claim
 * judges them (store_pg_jobs.c): a renewal extends to the database's
 * now plus the lease length (lease_until - now, the caller's two
 * instants, so only a length of the node's clock is used), and only the
 * rows whose lease has not run out by the database's now; a node whose
 * clock is off by seconds so neither keeps a lease too long nor loses
 * one early.  The caller's now is used for what is history, not a
 * judgment: the instant of a reaping's event.
 *
 * Heartbeat rows keep the node's own instants (last_beat, started):
 * they say when the node thought it beat, and the listing's window
 * (NODE_LIVE_SECONDS) is far wider than any skew that matters.
 */
#include <stdlib.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_cluster.h"
#include "store_pg.h"
#include "store_pg_node.h"

int
pg_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	int outer;

	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	if (forget_before > 0) {
		pg_args_init(&a);
		pg_arg_i64(&a, forget_before);
		if (pg_exec(s, q, "forget nodes", "DELETE FROM nodes "
		    "WHERE last_beat < $1", &a, NULL) == -1)
			goto fail;
	}
	pg_args_init(&a);
	pg_arg_text(&a, n->id);
	pg_arg_text(&a, n->host);
	pg_arg_i64(&a, n->pid);
	pg_arg_i64(&a, n->started);
	pg_arg_i64(&a, n->generation);
	pg_arg_text(&a, n->config);
	pg_arg_i64(&a, n->last_beat);
	pg_arg_i64(&a, (int64_t)n->in_flight);
	if (pg_exec(s, q, "node beat", "INSERT INTO nodes (id, host, pid, "
	    "started, generation, config, last_beat, in_flight) VALUES ($1, "
	    "$2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET "
	    "host = excluded.host, pid = excluded.pid, started = "
	    "excluded.started, generation = excluded.generation, config = "
	    "excluded.config, last_beat = excluded.last_beat, in_flight = "
	    "excluded.in_flight", &a, NULL) == -1)
		goto fail;
	return pg_tx_end(s, q, outer, 1);
fail:
	return pg_tx_end(s, q, outer, 0);
}

int
pg_node_leave(struct store *s, const char *id)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, id);
	return pg_exec(s, pg_of(s), "node leave", "DELETE FROM nodes "
	    "WHERE id = $1", &a, NULL);
}

/* fn runs on rows of the result, strings borrowed from it. */
int
pg_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	struct store_node n;
	PGresult *res;
	int i;

	pg_args_init(&a);
	pg_arg_i64(&a, since);
	res = pg_q(s, q, "nodes", "SELECT id, host, pid, started, "
	    "generation, config, last_beat, in_flight FROM nodes "
	    "WHERE last_beat >= $1 ORDER BY last_beat DESC, id", &a);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		n.id = pg_text(res, i, 0);
		n.host = pg_text(res, i, 1);
		n.pid = (long)pg_i64(res, i, 2);
		n.started = pg_i64(res, i, 3);
		n.generation = (unsigned)pg_i64(res, i, 4);
		n.config = pg_text(res, i, 5);
		n.last_beat = pg_i64(res, i, 6);
		n.in_flight = (uint64_t)pg_i64(res, i, 7);
		fn(arg, &n);
	}
	PQclear(res);
	return 0;
}

/*
 * One statement, one reading of the database's clock: a lease that ran
 * out (lease_until < now) stays out, the job may be another node's by
 * now (its claim takes such rows); one already reaching past the new
 * horizon is left alone.
 */
int
pg_renew(struct store *s, int64_t now, int64_t lease_until, size_t *n)
{
	struct pg *q = pg_of(s);
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, store_owner(s));
	pg_arg_i64(&a, lease_until - now);
	return pg_exec(s, q, "renew leases", "UPDATE job_rows j SET "
	    "lease_until = t.now + $2 FROM (SELECT " PG_DB_NOW " AS now) t "
	    "WHERE j.state = 'inflight' AND j.owner = $1 "
	    "AND j.lease_until >= t.now AND j.lease_until < t.now + $2",
	    &a, n);
}

/* now is ignored: the database's clock judges. */
int
pg_held(struct store *s, const char *key, int64_t now, int *held)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	(void)now;
	pg_args_init(&a);
	pg_arg_text(&a, key);
	pg_arg_text(&a, store_owner(s));
	res = pg_q(s, q, "lease held", "SELECT 1 FROM job_rows "
	    "WHERE key = $1 AND state = 'inflight' AND owner = $2 "
	    "AND lease_until >= " PG_DB_NOW, &a);
	if (res == NULL)
		return -1;
	*held = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/*
 * The rows whose lease ran out by the database's clock, whoever held
 * them: the rows the claim would take over from a dead node, and this
 * node's own that it fenced (which its claim never takes back: they
 * would stay in flight).  One statement, so that the event is written
 * for exactly the rows changed; SKIP LOCKED passes over a row that a
 * claim or a renewal is taking at that moment, and the rows are judged
 * again under the lock.
 */
int
pg_reap(struct store *s, int64_t now, size_t *n)
{
	struct pg *q = pg_of(s);
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_i64(&a, now);
	return pg_exec(s, q, "reap leases", "WITH r AS (UPDATE job_rows j "
	    "SET state = 'pending', owner = NULL, lease_until = NULL, "
	    "updated = $1, last_detail = 'recovered: lease ran out' "
	    "FROM (SELECT id, owner FROM job_rows WHERE state = 'inflight' "
	    "AND lease_until < " PG_DB_NOW " FOR UPDATE SKIP LOCKED) o "
	    "WHERE j.id = o.id RETURNING j.id, o.owner) "
	    "INSERT INTO job_events (job, at, state, detail) "
	    "SELECT id, $1, 'pending', 'recovered: the lease of ' || "
	    "coalesce(owner, '?') || ' ran out' FROM r", &a, n);
}

/* A count over the window's rows; the state is read without locks, a
 * moment's picture is all a share needs. */
int
pg_due(struct store *s, int64_t until, size_t *total, size_t *mine)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, store_owner(s));
	pg_arg_i64(&a, until);
	res = pg_q(s, q, "due count", "SELECT count(*), count(*) FILTER "
	    "(WHERE state = 'inflight' AND owner = $1) FROM job_rows "
	    "WHERE state IN ('pending', 'inflight') AND next_at <= $2", &a);
	if (res == NULL)
		return -1;
	*total = (size_t)pg_i64(res, 0, 0);
	*mine = (size_t)pg_i64(res, 0, 1);
	PQclear(res);
	return 0;
}
