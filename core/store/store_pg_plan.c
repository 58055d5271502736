/*
 * store_pg_plan.c - planning in the PostgreSQL store: plan_begin, put,
 * end and abort, and the insert of single jobs outside a plan.
 *
 * A plan is one transaction under a transaction-level advisory lock, so
 * two nodes never plan at once: the second waits, then finds every key
 * in place and writes nothing for an unchanged job (idempotent by key,
 * as in the SQLite backend, whose rules this follows line for line).
 * The ids put are remembered in a bitmap, not stamped on the rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "store_pg_plan.h"
#include "xmalloc.h"

static void
pg_plan_leave(struct pg *q)
{
	q->planning = 0;
	free(q->seen);
	q->seen = NULL;
	q->seen_len = 0;
}

static void
pg_seen_mark(struct pg *q, int64_t id)
{
	size_t byte = (size_t)id / 8, len;

	if (byte >= q->seen_len) {
		len = q->seen_len ? q->seen_len : 4096;
		while (len <= byte)
			len *= 2;
		q->seen = xrealloc(q->seen, len);
		memset(q->seen + q->seen_len, 0, len - q->seen_len);
		q->seen_len = len;
	}
	q->seen[byte] |= (uint8_t)(1u << (id % 8));
}

static int
pg_seen_has(const struct pg *q, int64_t id)
{
	size_t byte = (size_t)id / 8;

	return byte < q->seen_len && (q->seen[byte] & (1u << (id % 8)));
}

int
pg_plan_begin(struct store *s)
{
	struct pg *q = pg_of(s);
	PGresult *res;

	if (q->planning)
		return store_seterr(s, "plan already in progress");
	if (q->batch)
		return store_seterr(s, "cannot plan inside a transaction");
	if (pg_ready(s, q) == -1)
		return -1;
	if (pg_exec(s, q, "begin plan", "BEGIN", NULL, NULL) == -1)
		return -1;
	if (pg_exec(s, q, "lock plan", "SELECT pg_advisory_xact_lock("
	    PG_LOCK_PLAN ")", NULL, NULL) == -1)
		goto fail;
	res = pg_q(s, q, "read plan generation", "UPDATE meta SET value = "
	    "value + 1 WHERE name = 'plan_gen' RETURNING value", NULL);
	if (res == NULL)
		goto fail;
	q->gen = PQntuples(res) == 1 ? pg_i64(res, 0, 0) : 1;
	PQclear(res);
	memset(&q->stats, 0, sizeof(q->stats));
	q->plan_now = (int64_t)time(NULL);
	q->planning = 1;
	return 0;
fail:
	pg_tx_end(s, q, 1, 0);
	pg_plan_leave(q);
	return -1;
}

/* Insert j unless its key exists; *id gets the new row's id, 0 when the
 * key existed. */
static int
pg_insert_row(struct store *s, struct pg *q, const struct job *j,
    int64_t gen, int64_t now, int64_t *id)
{
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, j->key);
	pg_arg_text(&a, job_kind_name(j->kind));
	pg_arg_i64(&a, (int64_t)j->priority);
	pg_arg_text(&a, j->campaign);
	pg_arg_text(&a, j->item);
	pg_arg_i64(&a, j->offset);
	pg_arg_text(&a, j->contact);
	pg_arg_text(&a, j->channel);
	pg_arg_i64(&a, j->due);
	pg_arg_i64(&a, j->next_at);
	pg_arg_i64(&a, j->item_at);
	pg_arg_text(&a, j->fallback_of);
	if (gen > 0)
		pg_arg_i64(&a, gen);
	else
		pg_arg_text(&a, NULL);
	pg_arg_i64(&a, now);
	pg_arg_text(&a, j->incident);
	res = pg_q(s, q, "insert job", "INSERT INTO job_rows (key, kind, "
	    "priority, campaign, item, offset_s, contact, channel, due, "
	    "next_at, item_at, state, fallback_of, plan_gen, created, "
	    "updated, incident) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10, $11, 'pending', $12, $13, $14, $14, $15) "
	    "ON CONFLICT (key) DO NOTHING RETURNING id", &a);
	if (res == NULL)
		return -1;
	*id = PQntuples(res) == 1 ? pg_i64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/* The arguments of the revive and move statements: id, instants, the
 * generation and the plan's time. */
static void
pg_plan_times(struct pg_args *a, const struct pg *q, int64_t id,
    const struct job *j)
{
	pg_args_init(a);
	pg_arg_i64(a, id);
	pg_arg_i64(a, j->due);
	pg_arg_i64(a, j->next_at);
	pg_arg_i64(a, j->item_at);
	pg_arg_i64(a, q->gen);
	pg_arg_i64(a, q->plan_now);
}

/* A row an earlier plan cancelled, put again: pending as newly planned
 * (store.h, rule 2). */
static int
pg_plan_revive(struct store *s, struct pg *q, int64_t id, const struct job *j)
{
	struct pg_args a;
	size_t n;

	pg_plan_times(&a, q, id, j);
	if (pg_exec(s, q, "revive job", "UPDATE job_rows SET state = "
	    "'pending', due = $2, next_at = $3, item_at = $4, plan_gen = $5, "
	    "updated = $6, attempts = 0, late = 0, lateness_ms = 0, "
	    "owner = NULL, lease_until = NULL, plan_cancelled = NULL, "
	    "last_detail = 'revived: back in config' WHERE id = $1 "
	    "AND state = 'cancelled' AND plan_cancelled IS NOT NULL", &a,
	    &n) == -1)
		return -1;
	if (n == 0)
		return store_seterr(s, "%s: job %s: not revived", q->shown,
		    j->key);
	pg_args_init(&a);
	pg_arg_i64(&a, id);
	pg_arg_i64(&a, q->plan_now);
	if (pg_exec(s, q, "record revived job", "INSERT INTO job_events "
	    "(job, at, state, detail) VALUES ($1, $2, 'pending', "
	    "'revived: back in config')", &a, NULL) == -1)
		return -1;
	q->stats.revived++;
	return 0;
}

/*
 * Insert, or look the row up: a pending row keeps its next_at unless its
 * due moved (a job deferred for quiet hours stays deferred); an
 * unchanged job is not written; a plan-cancelled row is revived; any
 * other row that is not pending is left alone.
 */
int
pg_plan_put(struct store *s, const struct job *j)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	const char *state;
	int64_t id, due;
	int pending, unplanned, plan_cancelled;

	if (!q->planning)
		return store_seterr(s, "plan_put outside a plan");
	if (pg_insert_row(s, q, j, q->gen, q->plan_now, &id) == -1)
		return -1;
	if (id > 0) {
		pg_seen_mark(q, id);
		q->stats.inserted++;
		return 0;
	}
	pg_args_init(&a);
	pg_arg_text(&a, j->key);
	res = pg_q(s, q, "look up job", "SELECT id, state, due, "
	    "(plan_gen IS NULL)::int, (plan_cancelled IS NOT NULL)::int "
	    "FROM job_rows WHERE key = $1", &a);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return store_seterr(s, "%s: job %s neither found nor inserted",
		    q->shown, j->key);
	}
	id = pg_i64(res, 0, 0);
	state = pg_text(res, 0, 1);
	pending = state != NULL && strcmp(state, "pending") == 0;
	due = pg_i64(res, 0, 2);
	unplanned = (int)pg_i64(res, 0, 3);
	plan_cancelled = pg_i64(res, 0, 4) && state != NULL &&
	    strcmp(state, "cancelled") == 0;
	PQclear(res);
	pg_seen_mark(q, id);
	if (plan_cancelled)
		return pg_plan_revive(s, q, id, j);
	if (!pending) {
		q->stats.unchanged++;
		return 0;
	}
	if (due != j->due) {
		pg_plan_times(&a, q, id, j);
		if (pg_exec(s, q, "move job", "UPDATE job_rows SET due = $2, "
		    "next_at = $3, item_at = $4, plan_gen = $5, updated = $6 "
		    "WHERE id = $1", &a, NULL) == -1)
			return -1;
		q->stats.updated++;
		return 0;
	}
	/* A job inserted outside planning that the config now plans too
	 * becomes the config's. */
	if (unplanned) {
		pg_args_init(&a);
		pg_arg_i64(&a, id);
		pg_arg_i64(&a, q->gen);
		if (pg_exec(s, q, "keep job", "UPDATE job_rows SET plan_gen = "
		    "$2 WHERE id = $1", &a, NULL) == -1)
			return -1;
	}
	q->stats.unchanged++;
	return 0;
}

/* Cancel the planned pending rows that were not put this time. */
static int
pg_plan_cancel_unseen(struct store *s, struct pg *q, int64_t now)
{
	struct pg_args a;
	PGresult *res;
	size_t n;
	int i;

	res = pg_q(s, q, "find removed jobs", "SELECT id FROM job_rows "
	    "WHERE state = 'pending' AND plan_gen IS NOT NULL", NULL);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		int64_t id = pg_i64(res, i, 0);

		if (pg_seen_has(q, id))
			continue;
		pg_args_init(&a);
		pg_arg_i64(&a, id);
		pg_arg_i64(&a, now);
		pg_arg_i64(&a, q->gen);
		if (pg_exec(s, q, "cancel removed jobs", "UPDATE job_rows SET "
		    "state = 'cancelled', updated = $2, last_detail = "
		    "'removed from config', plan_cancelled = $3 WHERE id = $1 "
		    "AND state = 'pending' AND plan_gen IS NOT NULL", &a,
		    &n) == -1)
			goto fail;
		if (n == 0)
			continue;
		a.n = 2;
		if (pg_exec(s, q, "record removed jobs", "INSERT INTO "
		    "job_events (job, at, state, detail) VALUES ($1, $2, "
		    "'cancelled', 'removed from config')", &a, NULL) == -1)
			goto fail;
		q->stats.cancelled++;
	}
	PQclear(res);
	return 0;
fail:
	PQclear(res);
	return -1;
}

int
pg_plan_end(struct store *s, struct store_plan_stats *stats)
{
	struct pg *q = pg_of(s);

	if (!q->planning)
		return store_seterr(s, "plan_end without plan_begin");
	if (pg_plan_cancel_unseen(s, q, (int64_t)time(NULL)) == -1)
		goto fail;
	if (pg_tx_end(s, q, 1, 1) == -1)
		goto out;
	pg_plan_leave(q);
	*stats = q->stats;
	return 0;
fail:
	pg_tx_end(s, q, 1, 0);
out:
	pg_plan_leave(q);
	return -1;
}

void
pg_plan_abort(struct store *s)
{
	struct pg *q = pg_of(s);

	if (!q->planning)
		return;
	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK &&
	    PQtransactionStatus(q->conn) != PQTRANS_IDLE)
		pg_exec(s, q, "abort plan", "ROLLBACK", NULL, NULL);
	pg_plan_leave(q);
}

int
pg_insert(struct store *s, const struct job *j)
{
	int64_t id;

	return pg_insert_row(s, pg_of(s), j, 0, (int64_t)time(NULL), &id);
}
