/*
 * store_sqlite_jobs.c - the run side of the SQLite store: claims, the next
 * due instant, outcomes, crash recovery and expiry.
 *
 * Apart because these are the hot paths of a running daemon, each a short
 * transaction on the claim index; claims and expiry copy their rows out
 * (struct sq_job) so that the callback runs after the commit.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_jobs.h"
#include "xmalloc.h"

/* A job read from a row, with its strings copied into one block so it
 * outlives the statement (claims and expiry call back after commit). */
struct sq_job {
	struct job j;
	char *strings;
	char *detail;		/* a new detail for j, or NULL */
};

/* Copy the current row into sj; sj owns its strings (sq_job_free()). */
static void
sq_job_copy(sqlite3_stmt *st, struct sq_job *sj)
{
	const char **f[7];
	size_t len[7], total = 0, i;
	char *p;

	sq_job_read(st, &sj->j);
	f[0] = &sj->j.campaign;
	f[1] = &sj->j.item;
	f[2] = &sj->j.contact;
	f[3] = &sj->j.channel;
	f[4] = &sj->j.fallback_of;
	f[5] = &sj->j.detail;
	f[6] = &sj->j.incident;
	for (i = 0; i < 7; i++) {
		len[i] = *f[i] != NULL ? strlen(*f[i]) + 1 : 0;
		total += len[i];
	}
	sj->detail = NULL;
	sj->strings = p = xmalloc(total + 1);
	for (i = 0; i < 7; i++) {
		if (*f[i] == NULL)
			continue;
		memcpy(p, *f[i], len[i]);
		*f[i] = p;
		p += len[i];
	}
}

static void
sq_jobs_free(struct sq_job *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].strings);
		free(v[i].detail);
	}
	free(v);
}

/* Claims */

static sqlite3_stmt *
sq_claim_stmt(struct store *s, struct sq *q, size_t n_skip, int *cached)
{
	sqlite3_stmt *st = NULL;
	char *sql, *in;
	size_t i;

	*cached = n_skip < SQ_CLAIM_CACHED;
	if (*cached && q->claim[n_skip] != NULL)
		return q->claim[n_skip];
	in = xcalloc(1, n_skip * 4 + 1);
	for (i = 0; i < n_skip; i++)
		strcat(in, i == 0 ? "?" : ",?");
	sql = xasprintf("SELECT " SQ_JOB_COLS " FROM job_rows "
	    "WHERE state = 'pending' AND priority = ?3 AND next_at <= ?1%s%s%s "
	    "ORDER BY next_at, rowid LIMIT ?2",
	    n_skip ? " AND channel NOT IN (" : "", in, n_skip ? ")" : "");
	if (sqlite3_prepare_v3(q->db, sql, -1,
	    *cached ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK) {
		sq_fail(s, q, "prepare claim");
		st = NULL;
	}
	free(sql);
	free(in);
	if (*cached)
		q->claim[n_skip] = st;
	return st;
}

/*
 * Select first, then mark: the rows are copied out before any update so
 * the scan never sees its own writes, and fn runs after the commit so it
 * may call back into the store.
 */
int
sq_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int last_prio,
    int64_t lease_until, store_job_fn fn, void *arg, size_t *n_claimed)
{
	struct sq *q = sq_of(s);
	struct sq_job *v = NULL;
	sqlite3_stmt *st = NULL, *mark;
	size_t n = 0, cap = 0, i;
	int rc, prio, cached = 1, outer = 0, began = 0;

	(void)now;	/* one node: the file's leases are on its clock */
	if ((st = sq_claim_stmt(s, q, n_skip, &cached)) == NULL)
		return -1;
	if (sq_tx_begin(s, q, &outer) == -1)
		goto fail;
	began = 1;
	/* One index range per priority class, highest first: a backlog of
	 * due reminders never has to be sorted to find an emergency. */
	for (prio = HERALD_PRIO_EMERGENCY; prio <= last_prio && n < max;
	    prio++) {
		sqlite3_bind_int64(st, 1, until);
		sqlite3_bind_int64(st, 2, (int64_t)(max - n));
		sqlite3_bind_int(st, 3, prio);
		for (i = 0; i < n_skip; i++)
			sq_bind_text(st, (int)i + 4, skip[i]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * sizeof(*v));
			}
			sq_job_copy(st, &v[n++]);
		}
		if (rc != SQLITE_DONE) {
			sq_fail(s, q, "claim");
			goto fail;
		}
		sq_reset(st);
	}
	if ((mark = sq_stmt(s, q, ST_CLAIM_MARK)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		sq_bind_key(mark, 1, v[i].j.key);
		sq_bind_text(mark, 2, store_owner(s));
		sqlite3_bind_int64(mark, 3, lease_until);
		if (sq_run(s, q, mark, "mark claimed") == -1)
			goto fail;
		v[i].j.state = JOB_INFLIGHT;
	}
	began = 0;
	if (sq_tx_end(s, q, outer, 1) == -1)
		goto fail;
	if (!cached)
		sqlite3_finalize(st);
	*n_claimed = n;
	for (i = 0; i < n; i++)
		if (fn != NULL)
			fn(arg, &v[i].j);
	sq_jobs_free(v, n);
	return 0;
fail:
	if (st != NULL) {
		sq_reset(st);
		if (!cached)
			sqlite3_finalize(st);
	}
	if (began)
		sq_tx_end(s, q, outer, 0);
	sq_jobs_free(v, n);
	return -1;
}

int
sq_next_due(struct store *s, int64_t *next_at, int *found)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int64_t v;
	int prio;

	*found = 0;
	if ((st = sq_stmt(s, q, ST_NEXT_DUE)) == NULL)
		return -1;
	for (prio = HERALD_PRIO_EMERGENCY; prio <= HERALD_PRIO_DIGEST;
	    prio++) {
		sqlite3_bind_int(st, 1, prio);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sq_fail(s, q, "next due");
			sq_reset(st);
			return -1;
		}
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			v = sqlite3_column_int64(st, 0);
			if (!*found || v < *next_at)
				*next_at = v;
			*found = 1;
		}
		sq_reset(st);
	}
	return 0;
}

/* Outcomes */

/*
 * Only a live job (pending or in flight) takes an outcome: a second
 * completion for a finished job is a caller bug, and refusing it keeps the
 * history honest.  A job in flight takes it only from the owner holding
 * it, so a node whose lease ran out never records over another's.
 *
 * Both conditions are in the UPDATE's WHERE, so an outcome costs one
 * lookup of the key there (and one in the event's INSERT); the state is
 * read only when the UPDATE took nothing, to say why (issue 17: the
 * separate read before every UPDATE was 14 % of a record's time).
 */
int
sq_record(struct store *s, const char *key, const struct store_result *r)
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
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	enum job_state to;
	const char *detail;
	int outer, state;

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
	/* No savepoint in a batch: a failure before the UPDATE took the row
	 * changed nothing, and one after it is the batch's (below). */
	if (sq_tx_join(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, to == JOB_PENDING ? ST_RECORD :
	    ST_RECORD_FINAL)) == NULL)
		goto fail;
	sq_bind_key(st, 1, key);
	sqlite3_bind_text(st, 2, job_state_name(to), -1, SQLITE_STATIC);
	if (to == JOB_PENDING) {
		sqlite3_bind_int(st, 3, r->outcome == STORE_RETRY);
		sqlite3_bind_int64(st, 4, r->next_at);
	}
	if (r->outcome == STORE_DELIVERED) {
		sqlite3_bind_int(st, 5, r->late != 0);
		sqlite3_bind_int64(st, 6, r->lateness_ms);
	}
	sqlite3_bind_int64(st, 7, r->at);
	sq_bind_text(st, 8, detail);
	sq_bind_text(st, 9, store_owner(s));
	if (sq_run(s, q, st, "record outcome") == -1)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		if (sq_state_of(s, q, key, &state) == -1)
			goto fail;
		if (state != JOB_PENDING && state != JOB_INFLIGHT)
			store_seterr(s, "job %s is already %s", key, state >= 0 ?
			    job_state_name(state) : "in an unknown state");
		else
			/* In flight under another node's lease (ours ran
			 * out and it took the job): its outcome is the one
			 * that counts. */
			store_seterr(s, "job %s is held by another node", key);
		goto fail;
	}
	if (sq_event(s, q, key, r->at, job_state_name(to), detail) == -1) {
		/* The row changed without its event: nothing of the batch
		 * may be committed, so it is rolled back and tried again. */
		if (outer == SQ_TX_JOINED)
			store_setfault(s);
		goto fail;
	}
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

/*
 * SQLite means one node, so every in-flight row was ours: all of them go
 * back to pending.  A clustered backend would take only its own rows and
 * those whose lease expired before now.
 */
int
sq_recover(struct store *s, int64_t now, size_t *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int outer;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_RECOVER_EVENTS)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_run(s, q, st, "recover") == -1)
		goto fail;
	if ((st = sq_stmt(s, q, ST_RECOVER)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_run(s, q, st, "recover") == -1)
		goto fail;
	*n = (size_t)sqlite3_changes(q->db);
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

static int
sq_set_state(struct store *s, struct sq *q, const char *key,
    enum job_state to, int64_t at, const char *detail)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_SET_STATE)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sqlite3_bind_text(st, 2, job_state_name(to), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	sq_bind_text(st, 4, detail);
	if (sq_run(s, q, st, "set state") == -1)
		return -1;
	return sq_event(s, q, key, at, job_state_name(to), detail);
}

/* now - grace, saturated: a grace table may hold "forever". */
static int64_t
sq_cutoff(int64_t now, int64_t grace)
{
	int64_t c;

	if (__builtin_sub_overflow(now, grace, &c))
		return grace > 0 ? INT64_MIN : INT64_MAX;
	return c;
}

/*
 * The index on (state, next_at) yields every candidate older than the
 * smallest grace; each kind's own grace is applied here, which is simpler
 * than one range per kind and costs nothing when little is overdue.  A
 * kind whose grace is STORE_GRACE_NEVER is never expired (store.c gives
 * it to the kinds the policy says are never missed).
 */
int
sq_expire(struct store *s, int64_t now, const int64_t grace[JOB_KIND_COUNT],
    store_job_fn fn, void *arg, size_t *n)
{
	struct sq *q = sq_of(s);
	struct sq_job *v = NULL, tmp;
	sqlite3_stmt *st;
	size_t nv = 0, cap = 0, i;
	int64_t max_cutoff = INT64_MIN, c;
	int k, rc, outer, began = 0;

	*n = 0;
	for (k = 0; k < JOB_KIND_COUNT; k++) {
		c = sq_cutoff(now, grace[k]);
		if (grace[k] != STORE_GRACE_NEVER && c > max_cutoff)
			max_cutoff = c;
	}
	if ((st = sq_stmt(s, q, ST_EXPIRE_SELECT)) == NULL)
		return -1;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	began = 1;
	sqlite3_bind_int64(st, 1, max_cutoff);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_job_read(st, &tmp.j);
		if (grace[tmp.j.kind] == STORE_GRACE_NEVER ||
		    tmp.j.next_at >= sq_cutoff(now, grace[tmp.j.kind]))
			continue;
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		sq_job_copy(st, &v[nv++]);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "expire");
		sq_reset(st);
		goto fail;
	}
	sq_reset(st);
	for (i = 0; i < nv; i++) {
		v[i].detail = xasprintf("missed: overdue by %" PRId64
		    "s beyond grace", now - v[i].j.next_at);
		if (sq_set_state(s, q, v[i].j.key, JOB_MISSED, now,
		    v[i].detail) == -1)
			goto fail;
		v[i].j.state = JOB_MISSED;
		v[i].j.detail = v[i].detail;
	}
	began = 0;
	if (sq_tx_end(s, q, outer, 1) == -1)
		goto fail;
	*n = nv;
	for (i = 0; i < nv; i++)
		if (fn != NULL)
			fn(arg, &v[i].j);
	sq_jobs_free(v, nv);
	return 0;
fail:
	if (began)
		sq_tx_end(s, q, outer, 0);
	sq_jobs_free(v, nv);
	return -1;
}
