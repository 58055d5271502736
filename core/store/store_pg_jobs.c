/*
 * store_pg_jobs.c - the run side of the PostgreSQL store: claims under
 * leases, the next due instant, outcomes, recovery and expiry.
 *
 * Leases are judged by the database's clock (PG_DB_NOW), never by a
 * node's: a node whose clock is 2 s off would otherwise take another's
 * job 2 s early, or keep its own 2 s too long.  The caller's lease_until
 * is on its own clock; only its length is used, added to the database's
 * now: lease_until - now, the caller's now, so the database's lease
 * starts no earlier than the node's and never ends before the node
 * believes it does (the node fences itself first); no clock of the node
 * is read here.  A row in flight whose lease
 * ran out is claimable again by any node; store_record() by a node that
 * lost its lease so fails, and never overwrites the new holder's outcome.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "store_pg_jobs.h"
#include "xmalloc.h"

/* A text array literal of names for a parameter: each quoted, with
 * quotes and backslashes escaped.  Caller frees. */
static char *
pg_array(const char *const *v, size_t n)
{
	size_t len = 3, i;
	char *out, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) * 2 + 3;
	out = p = xmalloc(len);
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = v[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

/*
 * Select the due rows with FOR UPDATE SKIP LOCKED (another node's claim
 * in progress is skipped, not waited for), highest priority first, then
 * mark them in flight under our lease in the same transaction.  Pending
 * rows, and rows in flight whose lease expired (a dead node's), qualify;
 * a taken-over row gets an event naming the node that lost it.  Never
 * our own: a row in flight under this process's name is held in its
 * memory (waiting for a rate limit, say) and taking it again would send
 * it twice, as SQLite's claim, which takes pending rows only, never does.  fn runs
 * after the commit, with strings from the result, freed after.
 */
int
pg_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int last_prio,
    int64_t lease_until, store_job_fn fn, void *arg, size_t *n_claimed)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res = NULL;
	struct job j;
	char *chans, *ids = NULL;
	int64_t len = lease_until - now;
	size_t idlen = 0, cap = 0;
	int outer, i, n;

	*n_claimed = 0;
	if (len < 1)
		len = 1;
	chans = pg_array(skip, n_skip);
	if (pg_tx_begin(s, q, &outer) == -1) {
		free(chans);
		return -1;
	}
	pg_args_init(&a);
	pg_arg_i64(&a, until);
	pg_arg_i64(&a, (int64_t)max);
	pg_arg_i64(&a, last_prio);
	pg_arg_text(&a, chans);
	pg_arg_text(&a, store_owner(s));
	res = pg_q(s, q, "claim", "SELECT " PG_JOB_COLS ", id, "
	    "(state = 'inflight')::int, owner FROM job_rows "
	    "WHERE priority <= $3 AND next_at <= $1 "
	    "AND (state = 'pending' OR (state = 'inflight' "
	    "AND lease_until < " PG_DB_NOW " AND owner IS DISTINCT FROM $5)) "
	    "AND NOT (channel = ANY ($4::text[])) "
	    "ORDER BY priority, next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
	    &a);
	free(chans);
	if (res == NULL)
		goto fail;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		const char *id = PQgetvalue(res, i, 18);
		size_t l = strlen(id);

		if (idlen + l + 3 > cap) {
			cap = (cap + l + 3) * 2;
			ids = xrealloc(ids, cap);
		}
		ids[idlen++] = i == 0 ? '{' : ',';
		memcpy(ids + idlen, id, l);
		idlen += l;
		ids[idlen] = '\0';
	}
	if (n > 0) {
		ids[idlen++] = '}';
		ids[idlen] = '\0';
		pg_args_init(&a);
		pg_arg_text(&a, ids);
		pg_arg_i64(&a, (int64_t)time(NULL));
		if (pg_exec(s, q, "record lease takeover", "INSERT INTO "
		    "job_events (job, at, state, detail) SELECT id, $2, "
		    "'pending', 'lease of ' || coalesce(owner, '?') || "
		    "' expired' FROM job_rows WHERE id = ANY ($1::bigint[]) "
		    "AND state = 'inflight'", &a, NULL) == -1)
			goto fail;
		pg_args_init(&a);
		pg_arg_text(&a, ids);
		pg_arg_text(&a, store_owner(s));
		pg_arg_i64(&a, len);
		if (pg_exec(s, q, "mark claimed", "UPDATE job_rows SET state = "
		    "'inflight', owner = $2, lease_until = " PG_DB_NOW " + $3 "
		    "WHERE id = ANY ($1::bigint[])", &a, NULL) == -1)
			goto fail;
	}
	if (pg_tx_end(s, q, outer, 1) == -1) {
		PQclear(res);
		free(ids);
		return -1;
	}
	*n_claimed = (size_t)n;
	for (i = 0; i < n; i++) {
		pg_job_read(res, i, &j);
		j.state = JOB_INFLIGHT;
		if (fn != NULL)
			fn(arg, &j);
	}
	PQclear(res);
	free(ids);
	return 0;
fail:
	PQclear(res);
	free(ids);
	pg_tx_end(s, q, outer, 0);
	return -1;
}

/*
 * Rows in flight past their lease are due now: another node died.  So
 * are rows another node holds: not claimable yet, but the scheduler then
 * polls (sched.c, "due in the window but not claimable") and so takes
 * them over once the lease runs out; without them a node with nothing
 * else to do would never look again, and a dead node's jobs would stay
 * in flight.  This node's own rows are held in its memory, their lease
 * run out or not (pg_claim() never takes them back): not due.
 */
int
pg_next_due(struct store *s, int64_t *next_at, int *found)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	*found = 0;
	pg_args_init(&a);
	pg_arg_text(&a, store_owner(s));
	res = pg_q(s, q, "next due", "SELECT min(next_at) FROM job_rows "
	    "WHERE state = 'pending' OR (state = 'inflight' "
	    "AND owner IS DISTINCT FROM $1)",
	    &a);
	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		*next_at = pg_i64(res, 0, 0);
		*found = 1;
	}
	PQclear(res);
	return 0;
}

/* Why pg_record() changed no row: no such job, one already recorded,
 * or in flight under another node. */
static int
pg_record_refused(struct store *s, struct pg *q, const char *key)
{
	struct pg_args a;
	PGresult *res;
	const char *owner;
	int state;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	if ((res = pg_q(s, q, "look up job", "SELECT state, owner FROM "
	    "job_rows WHERE key = $1", &a)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return store_seterr(s, "no job %s", key);
	}
	state = job_state_parse(pg_text(res, 0, 0));
	owner = pg_text(res, 0, 1);
	if (state == JOB_INFLIGHT)
		store_seterr(s, "job %s: lease lost: in flight under %s", key,
		    owner ? owner : "another node");
	else
		store_seterr(s, "job %s is already %s", key, state >= 0 ?
		    job_state_name(state) : "in an unknown state");
	PQclear(res);
	return -1;
}

/*
 * Only a live job takes an outcome, and a job in flight only from the
 * node that holds it: a node whose lease expired and was taken over
 * learns so here ("lease lost"), and the new holder's outcome stands.
 * The UPDATE's own condition is the check (the row is locked as it is
 * written, and a concurrent change is seen again under READ COMMITTED),
 * and the event is written by the same statement: one round trip with
 * its savepoint (pg_q1()).  The reason is looked up only when no row
 * changed.
 */
int
pg_record(struct store *s, const char *key, const struct store_result *r)
{
	static const char *const default_detail[] = {
		[STORE_DELIVERED] = "delivered",
		[STORE_RETRY] = "retry",
		[STORE_DEFER] = "deferred",
		[STORE_FAILED] = "failed",
		[STORE_MISSED] = "missed",
		[STORE_CANCELLED] = "cancelled",
		[STORE_SUPERSEDED] = "superseded",
	};
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	enum job_state to;
	const char *detail;
	int changed;

	switch (r->outcome) {
	case STORE_DELIVERED:
		to = JOB_DELIVERED;
		break;
	case STORE_RETRY:
	case STORE_DEFER:
		to = JOB_PENDING;
		break;
	case STORE_FAILED:
		to = JOB_FAILED;
		break;
	case STORE_MISSED:
		to = JOB_MISSED;
		break;
	case STORE_SUPERSEDED:
		to = JOB_SUPERSEDED;
		break;
	default:
		to = JOB_CANCELLED;
		break;
	}
	detail = r->detail != NULL ? r->detail : default_detail[r->outcome];
	pg_args_init(&a);
	pg_arg_text(&a, key);
	pg_arg_text(&a, job_state_name(to));
	pg_arg_i64(&a, r->outcome == STORE_RETRY);
	if (r->outcome == STORE_RETRY || r->outcome == STORE_DEFER)
		pg_arg_i64(&a, r->next_at);
	else
		pg_arg_text(&a, NULL);
	if (r->outcome == STORE_DELIVERED) {
		pg_arg_i64(&a, r->late != 0);
		pg_arg_i64(&a, r->lateness_ms);
	} else {
		pg_arg_text(&a, NULL);
		pg_arg_text(&a, NULL);
	}
	pg_arg_i64(&a, r->at);
	pg_arg_text(&a, detail);
	pg_arg_text(&a, store_owner(s));
	if ((res = pg_q1(s, q, "record outcome", "WITH upd AS (UPDATE "
	    "job_rows SET state = $2, attempts = attempts + $3, "
	    "next_at = coalesce($4::bigint, next_at), "
	    "late = coalesce($5::int, late), "
	    "lateness_ms = coalesce($6::bigint, lateness_ms), owner = NULL, "
	    "lease_until = NULL, updated = $7, last_detail = $8 "
	    "WHERE key = $1 AND (state = 'pending' OR (state = 'inflight' "
	    "AND owner = $9)) RETURNING id) "
	    "INSERT INTO job_events (job, at, state, detail) "
	    "SELECT id, $7, $2, $8 FROM upd", &a)) == NULL)
		return -1;
	changed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return changed ? 0 : pg_record_refused(s, q, key);
}

/*
 * Rows in flight under this node's name, and rows whose lease expired
 * (by the database's clock), go back to pending.  Never another live
 * node's: its lease still runs.  A node restarted under a new name
 * (host:pid) finds its old rows once their lease runs out.
 */
int
pg_recover(struct store *s, int64_t now, size_t *n)
{
	static const char *const where = "state = 'inflight' AND (owner = $2 "
	    "OR owner IS NULL OR lease_until IS NULL OR lease_until < "
	    PG_DB_NOW ")";
	struct pg *q = pg_of(s);
	struct pg_args a;
	char *sql;
	int outer, rc;

	*n = 0;
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	pg_args_init(&a);
	pg_arg_i64(&a, now);
	pg_arg_text(&a, store_owner(s));
	sql = xasprintf("INSERT INTO job_events (job, at, state, detail) "
	    "SELECT id, $1, 'pending', 'recovered: was in flight under ' || "
	    "coalesce(owner, '?') FROM job_rows WHERE %s", where);
	rc = pg_exec(s, q, "recover", sql, &a, NULL);
	free(sql);
	if (rc == -1)
		goto fail;
	sql = xasprintf("UPDATE job_rows SET state = 'pending', owner = NULL, "
	    "lease_until = NULL, updated = $1, last_detail = 'recovered after "
	    "a stop' WHERE %s", where);
	rc = pg_exec(s, q, "recover", sql, &a, n);
	free(sql);
	if (rc == -1)
		goto fail;
	return pg_tx_end(s, q, outer, 1);
fail:
	pg_tx_end(s, q, outer, 0);
	return -1;
}

static int64_t
pg_cutoff(int64_t now, int64_t grace)
{
	int64_t c;

	if (__builtin_sub_overflow(now, grace, &c))
		return grace > 0 ? INT64_MIN : INT64_MAX;
	return c;
}

/* Candidates older than the smallest grace, each kind's own grace
 * applied here (as in the SQLite backend). */
int
pg_expire(struct store *s, int64_t now, const int64_t grace[JOB_KIND_COUNT],
    store_job_fn fn, void *arg, size_t *n)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res = NULL;
	struct job j;
	char **details = NULL;
	int *take = NULL;
	int64_t max_cutoff = INT64_MIN, c;
	int k, i, rows, outer;

	*n = 0;
	for (k = 0; k < JOB_KIND_COUNT; k++) {
		c = pg_cutoff(now, grace[k]);
		if (grace[k] != STORE_GRACE_NEVER && c > max_cutoff)
			max_cutoff = c;
	}
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	pg_args_init(&a);
	pg_arg_i64(&a, max_cutoff);
	res = pg_q(s, q, "expire", "SELECT " PG_JOB_COLS " FROM job_rows "
	    "WHERE state = 'pending' AND next_at < $1 "
	    "ORDER BY next_at, id FOR UPDATE SKIP LOCKED", &a);
	if (res == NULL)
		goto fail;
	rows = PQntuples(res);
	details = xcalloc((size_t)rows + 1, sizeof(*details));
	take = xcalloc((size_t)rows + 1, sizeof(*take));
	for (i = 0; i < rows; i++) {
		pg_job_read(res, i, &j);
		if (grace[j.kind] == STORE_GRACE_NEVER ||
		    j.next_at >= pg_cutoff(now, grace[j.kind]))
			continue;
		take[i] = 1;
		details[i] = xasprintf("missed: overdue by %" PRId64
		    "s beyond grace", now - j.next_at);
		pg_args_init(&a);
		pg_arg_text(&a, j.key);
		pg_arg_i64(&a, now);
		pg_arg_text(&a, details[i]);
		if (pg_exec(s, q, "set state", "UPDATE job_rows SET state = "
		    "'missed', owner = NULL, lease_until = NULL, updated = $2, "
		    "last_detail = $3 WHERE key = $1", &a, NULL) == -1 ||
		    pg_event(s, q, j.key, now, "missed", details[i]) == -1)
			goto fail;
		(*n)++;
	}
	if (pg_tx_end(s, q, outer, 1) == -1) {
		*n = 0;
		goto out;
	}
	for (i = 0; i < rows; i++) {
		if (!take[i])
			continue;
		pg_job_read(res, i, &j);
		j.state = JOB_MISSED;
		j.detail = details[i];
		if (fn != NULL)
			fn(arg, &j);
	}
	for (i = 0; i < rows; i++)
		free(details[i]);
	free(details);
	free(take);
	PQclear(res);
	return 0;
fail:
	*n = 0;
	pg_tx_end(s, q, outer, 0);
out:
	if (details != NULL)
		for (i = 0; i < PQntuples(res); i++)
			free(details[i]);
	free(details);
	free(take);
	PQclear(res);
	return -1;
}
