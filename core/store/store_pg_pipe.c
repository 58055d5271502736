/*
 * store_pg_pipe.c - one write of the PostgreSQL store in one round trip.
 *
 * A write that may fail on its own (a job already recorded, a lease
 * lost) runs in its own transaction, or inside a batch under a
 * savepoint so that its failure undoes only itself (pg_tx_begin()).
 * Sent one after the other, BEGIN or SAVEPOINT, the statement, and COMMIT
 * or RELEASE cost three round trips, and an outcome recorded in a batch
 * was five (with a look-up and an event): on a launch that is what bounds
 * a node's rate (contrib/bench/BENCHMARKS.md, issue 15).  libpq's
 * pipeline mode sends the three together and reads their results once;
 * the server stops at the first error, and the rollback then takes the
 * round trips a failure needs.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"

/* Read one query's result in the pipeline: the result, then libpq's
 * NULL that ends it.  Returns the result, or NULL when none came (the
 * connection broke). */
static PGresult *
pipe_take(PGconn *conn)
{
	PGresult *res = PQgetResult(conn), *extra;

	if (res == NULL)
		return NULL;
	/* A statement gives one result; drain anything more to its NULL. */
	while ((extra = PQgetResult(conn)) != NULL)
		PQclear(extra);
	return res;
}

/*
 * Run sql with a (may be NULL) as one operation, wrapped as
 * pg_tx_begin()/pg_tx_end() would, in one round trip.  Returns sql's
 * result (the caller PQclear()s it) once committed or released, or NULL
 * with the error set (a fault when the connection or the server failed)
 * and the operation rolled back.
 */
PGresult *
pg_q1(struct store *s, struct pg *q, const char *what, const char *sql,
    const struct pg_args *a)
{
	PGresult *res[3] = { NULL, NULL, NULL }, *sync;
	const char *text[3];
	char msg[400];
	int outer, i, bad = -1;

	if ((outer = pg_tx_outer(s, q)) == -1)
		return NULL;
	text[0] = PG_TX_OPEN(outer);
	text[1] = sql;
	text[2] = PG_TX_CLOSE(outer);
	if (PQenterPipelineMode(q->conn) != 1) {
		pg_msg(PQerrorMessage(q->conn), msg, sizeof(msg));
		store_seterr(s, "%s: %s: pipeline: %s", q->shown, what, msg);
		return NULL;
	}
	for (i = 0; i < 3; i++)
		if (PQsendQueryParams(q->conn, text[i], i == 1 && a ? a->n : 0,
		    NULL, i == 1 && a ? a->v : NULL, NULL, NULL, 0) != 1)
			break;
	if (i < 3 || PQpipelineSync(q->conn) != 1) {
		pg_msg(PQerrorMessage(q->conn), msg, sizeof(msg));
		store_setfault(s);
		store_seterr(s, "%s: %s: %s", q->shown, what, msg);
		/* Nothing was sent that could commit: drop the connection,
		 * the next call reconnects. */
		PQfinish(q->conn);
		q->conn = NULL;
		return NULL;
	}
	for (i = 0; i < 3; i++) {
		res[i] = pipe_take(q->conn);
		if (bad == -1 && (res[i] == NULL ||
		    (PQresultStatus(res[i]) != PGRES_COMMAND_OK &&
		    PQresultStatus(res[i]) != PGRES_TUPLES_OK)))
			bad = i;
	}
	sync = PQgetResult(q->conn);
	if (sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC) {
		PQclear(sync);
		PQexitPipelineMode(q->conn);
	} else {
		PQclear(sync);
		bad = bad == -1 ? 0 : bad;
	}
	if (bad == -1) {
		PQclear(res[0]);
		PQclear(res[2]);
		return res[1];
	}
	pg_fail(s, q, what, res[bad]);
	for (i = 0; i < 3; i++)
		PQclear(res[i]);
	if (PQpipelineStatus(q->conn) != PQ_PIPELINE_OFF &&
	    PQexitPipelineMode(q->conn) != 1) {
		/* Results we could not read: the connection is unusable. */
		PQfinish(q->conn);
		q->conn = NULL;
		store_setfault(s);
		return NULL;
	}
	/* Undo this operation alone, as pg_tx_end() does; the error
	 * stays the statement's. */
	pg_tx_end(s, q, outer, 0);
	return NULL;
}
