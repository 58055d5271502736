/*
 * store_sqlite_plan.c - planning in the SQLite store: plan_begin, put, end
 * and abort, and the insert of single jobs outside a plan.
 *
 * Apart because a plan is the one long transaction of the backend, with
 * state of its own in struct sq (the generation, the stats, the bitmap of
 * ids seen); nothing else reads that state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_plan.h"
#include "store_sqlite_schema.h"
#include "xmalloc.h"

static int64_t
sq_now(void)
{
	return (int64_t)time(NULL);
}

/* Leave planning, whatever happened: after the commit or the rollback,
 * outside any transaction, where temp_store can change again. */
static void
sq_plan_leave(struct sq *q)
{
	q->planning = 0;
	q->plan_unindexed = 0;
	free(q->plan_rows);
	free(q->plan_text);
	q->plan_rows = NULL;
	q->plan_text = NULL;
	q->plan_n = q->plan_text_used = 0;
	sqlite3_finalize(q->plan_multi);
	q->plan_multi = NULL;
	free(q->seen);
	q->seen = NULL;
	q->seen_len = 0;
	/* Back to the connection's settings (sq_connect()).  A failure
	 * here costs speed or memory, never data: nothing to report. */
	if (q->plan_tempfile) {
		q->plan_tempfile = 0;
		(void)sqlite3_exec(q->db, "PRAGMA temp_store = MEMORY;"
		    "PRAGMA cache_size = " SQ_CACHE_KB, NULL, NULL, NULL);
	}
}

static void
sq_seen_mark(struct sq *q, int64_t id)
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
sq_seen_has(const struct sq *q, int64_t id)
{
	size_t byte = (size_t)id / 8;

	return byte < q->seen_len && (q->seen[byte] & (1u << (id % 8)));
}

/* Run sql, a statement without rows and parameters, of the plan's own;
 * -1 with the error set. */
static int
sq_plan_sql(struct store *s, struct sq *q, const char *sql, const char *what)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, q, what);
	return 0;
}

/* Run "VERB what" (a DROP INDEX or a CREATE INDEX); the SQLite result
 * code, with the error set unless SQLITE_OK. */
static int
sq_plan_ddl(struct store *s, struct sq *q, const char *verb,
    const char *what)
{
	char *sql = xasprintf("%s %s", verb, what);
	int rc;

	if ((rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		sq_fail(s, q, "rebuild the job indexes");
	free(sql);
	return rc;
}

/* Whether job_rows has no row, into *empty. */
static int
sq_plan_is_empty(struct store *s, struct sq *q, int *empty)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_PLAN_EMPTY)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "count jobs");
		sq_reset(st);
		return -1;
	}
	*empty = sqlite3_column_int(st, 0);
	sq_reset(st);
	return 0;
}

/*
 * A plan into an empty job_rows inserts every row, and each insert went
 * down seven B-trees: the key's, at random, and six secondary indexes,
 * two of them (campaign, item, contact) and (contact, next_at) written
 * all over for every item a plan emits (67,000 jobs/s for a million, the
 * page cache too small for them all).  CREATE INDEX sorts once instead.
 * So such a plan drops the secondary indexes after its BEGIN and makes
 * them again, from the same definitions (sq_job_indexes[]), before its
 * COMMIT.  DDL is transactional in SQLite: an abort, an error or a crash
 * before the commit leaves the store as it was, indexes and all, and no
 * other connection ever sees the table without them (WAL readers keep
 * the last committed schema).  The only trace is the order of the
 * indexes in sqlite_master: the rebuilt ones come last.
 *
 * Only into an empty table: a re-plan inserts few rows, and rebuilding
 * indexes over rows it did not write would cost more than it saves.
 * The key's unique index, jobs_key, goes too (schema version 9 made it
 * an index of its own): into it the random keys went at random, a
 * descent across the whole index per job, 3.6 s of a 7.3 s million-job
 * plan.  Such a plan's puts all insert, none looks a key up (the table
 * was empty, so no key can be there but one put twice, which
 * sq_plan_dedup() folds when CREATE UNIQUE INDEX refuses it).  The
 * partial indexes stay, as planned rows never enter them.
 *
 * The sort must not hold the table in memory: with temp_store = MEMORY
 * (the connection's setting) SQLite sorts a CREATE INDEX wholly in RAM,
 * 110 MB for a million jobs.  So before its BEGIN (temp_store cannot
 * change inside a transaction) such a plan switches to temporary files,
 * in SQLite's temporary directory (SQLITE_TMPDIR, TMPDIR, /var/tmp,
 * /tmp), and the rebuild shrinks the page cache to SQ_SORT_CACHE_KB,
 * which also bounds the sorter's memory; sq_plan_leave() restores both.
 */
static int
sq_plan_sort_in_files(struct store *s, struct sq *q)
{
	int empty;

	if (sq_plan_is_empty(s, q, &empty) == -1)
		return -1;
	if (empty && sq_plan_sql(s, q, "PRAGMA temp_store = FILE",
	    "sort in files") == -1)
		return -1;
	q->plan_tempfile = empty;
	return 0;
}

/* One row of a key put more than once (sq_plan_dedup()). */
struct sq_plan_dup {
	int64_t id, due, next_at, item_at;
	uint8_t key[16];
	int key_len;
};

/*
 * Without jobs_key, a plan into an empty table inserts every put, so a
 * key put twice is in two rows and CREATE UNIQUE INDEX refuses.  The
 * planner does not emit a key twice, but the store does not rely on it:
 * this leaves what the index would have made of the same puts.  The
 * first row of a key stays; each later one is a put of a row that is
 * there, pending: it moves the row's instants when its due differs
 * (updated), else changes nothing (unchanged), and its own row goes.
 * Only after the refusal: finding the keys sorts the whole table.
 */
static int
sq_plan_dedup(struct store *s, struct sq *q)
{
	sqlite3_stmt *st = NULL, *del = NULL, *move = NULL;
	struct sq_plan_dup *v = NULL, *keep, cur;
	size_t n = 0, cap = 0, i;
	const void *key;
	int rc;

	if (sqlite3_prepare_v2(q->db, "SELECT id, key, due, next_at, "
	    "item_at FROM job_rows WHERE key IN (SELECT key FROM job_rows "
	    "GROUP BY key HAVING count(*) > 1) ORDER BY key, id", -1, &st,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "DELETE FROM job_rows WHERE id = ?1",
	    -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "UPDATE job_rows SET due = ?2, "
	    "next_at = ?3, item_at = ?4 WHERE id = ?1", -1, &move,
	    NULL) != SQLITE_OK) {
		sq_fail(s, q, "find keys put twice");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].id = sqlite3_column_int64(st, 0);
		key = sqlite3_column_blob(st, 1);
		v[n].key_len = sqlite3_column_bytes(st, 1);
		if (v[n].key_len > (int)sizeof(v[n].key))
			v[n].key_len = (int)sizeof(v[n].key);
		memcpy(v[n].key, key, (size_t)v[n].key_len);
		v[n].due = sqlite3_column_int64(st, 2);
		v[n].next_at = sqlite3_column_int64(st, 3);
		v[n].item_at = sqlite3_column_int64(st, 4);
		n++;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "find keys put twice");
		goto fail;
	}
	for (i = 0; i < n; i = (size_t)(keep - v) + 1) {
		keep = &v[i];
		cur = *keep;
		while ((size_t)(keep - v) + 1 < n && keep[1].key_len ==
		    v[i].key_len && memcmp(keep[1].key, v[i].key,
		    (size_t)v[i].key_len) == 0) {
			keep++;
			if (keep->due != cur.due) {
				cur.due = keep->due;
				cur.next_at = keep->next_at;
				cur.item_at = keep->item_at;
				q->stats.updated++;
			} else
				q->stats.unchanged++;
			q->stats.inserted--;
			sqlite3_bind_int64(del, 1, keep->id);
			if (sq_run(s, q, del, "drop a key put twice") == -1)
				goto fail;
		}
		if (cur.due == v[i].due && cur.next_at == v[i].next_at &&
		    cur.item_at == v[i].item_at)
			continue;
		sqlite3_bind_int64(move, 1, v[i].id);
		sqlite3_bind_int64(move, 2, cur.due);
		sqlite3_bind_int64(move, 3, cur.next_at);
		sqlite3_bind_int64(move, 4, cur.item_at);
		if (sq_run(s, q, move, "move a key put twice") == -1)
			goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	sqlite3_finalize(move);
	free(v);
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	sqlite3_finalize(move);
	free(v);
	return -1;
}

/* Make index ix again; a unique one that refuses after keys were put
 * twice is made once more after sq_plan_dedup(). */
static int
sq_plan_make_index(struct store *s, struct sq *q, const struct sq_index *ix)
{
	int rc;

	rc = sq_plan_ddl(s, q, ix->create, ix->def);
	if ((rc & 0xff) == SQLITE_CONSTRAINT &&
	    strcmp(ix->create, "CREATE UNIQUE INDEX") == 0) {
		if (sq_plan_dedup(s, q) == -1)
			return -1;
		rc = sq_plan_ddl(s, q, ix->create, ix->def);
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* Drop (create 0) or make again (create 1) the indexes a plan into an
 * empty table rebuilds: jobs_key first, so that keys put twice are gone
 * before the others index them. */
static int
sq_plan_indexes(struct store *s, struct sq *q, int create)
{
	const struct sq_index *ix;

	for (size_t i = 0; i < sq_n_job_indexes; i++) {
		ix = &sq_job_indexes[i];
		if (!ix->plan_drops)
			continue;
		if (create ? sq_plan_make_index(s, q, ix) == -1 :
		    sq_plan_ddl(s, q, "DROP INDEX IF EXISTS", ix->name) !=
		    SQLITE_OK)
			return -1;
	}
	return 0;
}

/* Inside the plan's transaction, after sq_plan_sort_in_files(): drop
 * the indexes if the table is (still, under the write lock) empty. */
static int
sq_plan_unindex(struct store *s, struct sq *q)
{
	int empty;

	if (!q->plan_tempfile)
		return 0;
	if (sq_plan_is_empty(s, q, &empty) == -1)
		return -1;
	if (!empty)
		return 0;
	if (sq_plan_indexes(s, q, 0) == -1)
		return -1;
	q->plan_rows = xmalloc(SQ_PLAN_ROWS * sizeof(*q->plan_rows));
	q->plan_text = xmalloc(SQ_PLAN_TEXT);
	q->plan_unindexed = 1;
	return 0;
}

/* Make again the indexes that sq_plan_unindex() dropped. */
static int
sq_plan_reindex(struct store *s, struct sq *q)
{
	if (!q->plan_unindexed)
		return 0;
	if (sq_plan_sql(s, q, "PRAGMA cache_size = " SQ_SORT_CACHE_KB,
	    "rebuild the job indexes") == -1 ||
	    sq_plan_indexes(s, q, 1) == -1)
		return -1;
	q->plan_unindexed = 0;
	return 0;
}

int
sq_plan_begin(struct store *s)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if (q->planning)
		return store_seterr(s, "plan already in progress");
	sq_read_yield(s, q);
	if (q->batch || !sqlite3_get_autocommit(q->db))
		return store_seterr(s, "cannot plan inside a transaction");
	if (sq_plan_sort_in_files(s, q) == -1 ||
	    sq_exec(s, q, ST_BEGIN, "begin plan") == -1) {
		sq_plan_leave(q);
		return -1;
	}
	if ((st = sq_stmt(s, q, ST_GEN_GET)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "read plan generation");
		sq_reset(st);
		goto fail;
	}
	q->gen = sqlite3_column_int64(st, 0) + 1;
	sq_reset(st);
	if ((st = sq_stmt(s, q, ST_GEN_SET)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, q->gen);
	if (sq_run(s, q, st, "write plan generation") == -1)
		goto fail;
	if (sq_plan_unindex(s, q) == -1)
		goto fail;
	memset(&q->stats, 0, sizeof(q->stats));
	q->plan_now = sq_now();
	q->insert_first = 1;
	q->plan_next_id = 1;
	q->planning = 1;
	return 0;
fail:
	sq_tx_end(s, q, 1, 0);
	sq_plan_leave(q);
	return -1;
}

/* The parameters of one row of ST_INSERT (SQ_INSERT_PARAMS of them)
 * from j, numbered from base + 1; j's strings must outlive the step. */
static void
sq_bind_job(sqlite3_stmt *st, int base, const struct job *j, int64_t gen,
    int64_t now)
{
	sq_bind_key(st, base + 1, j->key);
	sqlite3_bind_text(st, base + 2, job_kind_name(j->kind), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, base + 3, (int)j->priority);
	sqlite3_bind_text(st, base + 4, j->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 5, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, base + 6, j->offset);
	sqlite3_bind_text(st, base + 7, j->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 8, j->channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, base + 9, j->due);
	sqlite3_bind_int64(st, base + 10, j->next_at);
	sqlite3_bind_int64(st, base + 11, j->item_at);
	sq_bind_text(st, base + 12, j->fallback_of);
	if (gen > 0)
		sqlite3_bind_int64(st, base + 13, gen);
	else
		sqlite3_bind_null(st, base + 13);
	sqlite3_bind_int64(st, base + 14, now);
	sq_bind_text(st, base + 15, j->incident);
}

static int
sq_insert_row(struct store *s, struct sq *q, const struct job *j,
    int64_t gen, int64_t now, int *inserted)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_INSERT)) == NULL)
		return -1;
	sq_bind_job(st, 0, j, gen, now);
	if (sq_run(s, q, st, "insert job") == -1)
		return -1;
	*inserted = sqlite3_changes(q->db) == 1;
	return 0;
}

/* The text of ST_INSERT for SQ_PLAN_ROWS rows, without OR IGNORE (there
 * is no unique index to ignore by); caller frees. */
static char *
sq_plan_multi_sql(void)
{
	char *sql, *row, *next;
	int b;

	sql = xstrdup("INSERT INTO job_rows (key, kind, priority, campaign, "
	    "item, offset_s, contact, channel, due, next_at, item_at, state, "
	    "fallback_of, plan_gen, created, updated, incident) VALUES ");
	for (int i = 0; i < SQ_PLAN_ROWS; i++) {
		b = i * SQ_INSERT_PARAMS;
		row = xasprintf("%s(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, "
		    "?%d, ?%d, ?%d, 'pending', ?%d, ?%d, ?%d, ?%d, ?%d)",
		    i ? ", " : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6,
		    b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13,
		    b + 14, b + 14, b + 15);
		next = xasprintf("%s%s", sql, row);
		free(sql);
		free(row);
		sql = next;
	}
	return sql;
}

/*
 * The puts of a plan into an empty table, SQ_PLAN_ROWS to an INSERT.
 * Such a plan has no index to look keys up in (sq_plan_unindex()), so
 * each put is an insert and nothing else; one statement per row also
 * started and ended a statement per row (opening the table, the
 * transaction check, the reset): 0.4-0.6 s more CPU for a million jobs
 * than 32 rows a statement (64 gained nothing more).  A put's strings are
 * borrowed for the call only, so the batch keeps a copy of each job and
 * of its strings (q->plan_text, SQ_PLAN_TEXT bytes) until the insert.
 */
static int
sq_plan_batch_text(struct sq *q, const char **str)
{
	size_t len;

	if (*str == NULL)
		return 0;
	len = strlen(*str) + 1;
	if (q->plan_text_used + len > SQ_PLAN_TEXT)
		return -1;
	memcpy(q->plan_text + q->plan_text_used, *str, len);
	*str = q->plan_text + q->plan_text_used;
	q->plan_text_used += len;
	return 0;
}

/* Insert the batched rows: by the multi-row statement when the batch is
 * full, else one by one. */
static int
sq_plan_flush(struct store *s, struct sq *q)
{
	char *sql;
	int inserted, rc = 0;

	if (q->plan_n == SQ_PLAN_ROWS) {
		if (q->plan_multi == NULL) {
			sql = sq_plan_multi_sql();
			if (sqlite3_prepare_v2(q->db, sql, -1, &q->plan_multi,
			    NULL) != SQLITE_OK)
				rc = sq_fail(s, q, "insert jobs");
			free(sql);
			if (rc == -1)
				return -1;
		}
		for (size_t i = 0; i < q->plan_n; i++)
			sq_bind_job(q->plan_multi, (int)i * SQ_INSERT_PARAMS,
			    &q->plan_rows[i], q->gen, q->plan_now);
		rc = sq_run(s, q, q->plan_multi, "insert jobs");
	} else
		for (size_t i = 0; i < q->plan_n && rc == 0; i++)
			rc = sq_insert_row(s, q, &q->plan_rows[i], q->gen,
			    q->plan_now, &inserted);
	q->plan_n = 0;
	q->plan_text_used = 0;
	return rc;
}

/* Add j to the batch, inserting the batch when it is full. */
static int
sq_plan_batch(struct store *s, struct sq *q, const struct job *j)
{
	struct job *c;
	int inserted;

	for (int again = 0; again < 2; again++) {
		c = &q->plan_rows[q->plan_n];
		*c = *j;
		if (sq_plan_batch_text(q, &c->campaign) == 0 &&
		    sq_plan_batch_text(q, &c->item) == 0 &&
		    sq_plan_batch_text(q, &c->contact) == 0 &&
		    sq_plan_batch_text(q, &c->channel) == 0 &&
		    sq_plan_batch_text(q, &c->fallback_of) == 0 &&
		    sq_plan_batch_text(q, &c->incident) == 0) {
			if (++q->plan_n == SQ_PLAN_ROWS)
				return sq_plan_flush(s, q);
			return 0;
		}
		/* Out of room for its strings: insert the others, and if
		 * it still does not fit, it alone. */
		if (sq_plan_flush(s, q) == -1)
			return -1;
	}
	q->plan_text_used = 0;
	return sq_insert_row(s, q, j, q->gen, q->plan_now, &inserted);
}

/*
 * A row that an earlier plan cancelled because its key had vanished from
 * the config, put again: the config took it back (a contact removed by
 * mistake and restored), so the notice is due again.  It takes the put's
 * instant; one whose instant passed meanwhile is then late or missed
 * under the ordinary misfire rules.  Nothing that was sent comes back:
 * only plan-cancelled rows qualify, and those were never sent.
 */
/* Bind what ST_PLAN_REVIVE and ST_PLAN_MOVE both set: row id, the job's
 * instants, the plan generation and the time of the plan. */
static void
sq_plan_bind_times(sqlite3_stmt *st, const struct sq *q, int64_t id,
    const struct job *j)
{
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, j->due);
	sqlite3_bind_int64(st, 3, j->next_at);
	sqlite3_bind_int64(st, 4, j->item_at);
	sqlite3_bind_int64(st, 5, q->gen);
	sqlite3_bind_int64(st, 6, q->plan_now);
}

static int
sq_plan_revive(struct store *s, struct sq *q, int64_t id, const struct job *j)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_PLAN_REVIVE)) == NULL)
		return -1;
	sq_plan_bind_times(st, q, id, j);
	if (sq_run(s, q, st, "revive job") == -1)
		return -1;
	if (sqlite3_changes(q->db) == 0)
		return store_seterr(s, "%s: job %s: not revived", q->path,
		    j->key);
	if ((st = sq_stmt(s, q, ST_PLAN_REVIVE_EVENT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, q->plan_now);
	if (sq_run(s, q, st, "record revived job") == -1)
		return -1;
	q->stats.revived++;
	return 0;
}

/* What a plan reads of an existing row. */
struct sq_plan_row {
	int64_t id, due;
	int pending, unplanned, plan_cancelled;
};

/*
 * Look j's key up with the cached statement id (ST_PLAN_GET, or
 * ST_PLAN_GET_AT with the row id guessed in q->plan_next_id); 1 and *r
 * when found, 0 when not, -1 with the error set.
 */
static int
sq_plan_lookup(struct store *s, struct sq *q, enum sq_st id,
    const struct job *j, struct sq_plan_row *r)
{
	sqlite3_stmt *st;
	const char *state;
	int rc;

	if ((st = sq_stmt(s, q, id)) == NULL)
		return -1;
	sq_bind_key(st, 1, j->key);
	if (id == ST_PLAN_GET_AT)
		sqlite3_bind_int64(st, 2, q->plan_next_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sq_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(s, q, "look up job");
		sq_reset(st);
		return -1;
	}
	r->id = sqlite3_column_int64(st, 0);
	state = sq_col_text(st, 1);
	r->pending = state != NULL && strcmp(state, "pending") == 0;
	r->due = sqlite3_column_int64(st, 2);
	r->unplanned = sqlite3_column_int(st, 3);
	r->plan_cancelled = sqlite3_column_int(st, 4) &&
	    state != NULL && strcmp(state, "cancelled") == 0;
	sq_reset(st);
	return 1;
}

/*
 * One key look-up per job: a first plan inserts (the unique index does
 * the look-up), a re-plan selects, and each falls back to the other when
 * the key says otherwise; which one goes first follows the previous put.
 * Into an empty table there is no unique index until plan_end, so every
 * put inserts (sq_plan_unindex()).
 * A re-plan of the same config emits its jobs in the order the first
 * plan inserted them, so ids follow each other: the row after the last
 * one found is tried first, by id and key (ST_PLAN_GET_AT: a descent of
 * the table's B-tree along pages just read), and only a miss looks the
 * key up in its index, at random across 27 MB for a million jobs.
 * A pending row keeps its next_at unless its due moved, so a job deferred
 * for quiet hours stays deferred; an unchanged job is not written at all.
 * A row cancelled by an earlier plan is revived; any other row that is
 * not pending is left alone.
 */
int
sq_plan_put(struct store *s, const struct job *j)
{
	struct sq *q = sq_of(s);
	struct sq_plan_row r;
	sqlite3_stmt *st;
	int rc, inserted;

	if (!q->planning)
		return store_seterr(s, "plan_put outside a plan");
	/* An I/O error or a full disk rolls the whole plan back. */
	if (sqlite3_get_autocommit(q->db))
		return store_seterr(s, "%s: the plan was rolled back by an "
		    "earlier error", q->path);
	/* Into an empty table: every put is new (a key put twice waits for
	 * sq_plan_dedup()), and every row is seen. */
	if (q->plan_unindexed) {
		if (sq_plan_batch(s, q, j) == -1)
			return -1;
		q->stats.inserted++;
		return 0;
	}
	if (q->insert_first) {
		if (sq_insert_row(s, q, j, q->gen, q->plan_now,
		    &inserted) == -1)
			return -1;
		if (inserted)
			goto inserted;
		q->insert_first = 0;
	}
	rc = 0;
	if (q->plan_next_id > 0 &&
	    (rc = sq_plan_lookup(s, q, ST_PLAN_GET_AT, j, &r)) == -1)
		return -1;
	if (rc == 0 && (rc = sq_plan_lookup(s, q, ST_PLAN_GET, j, &r)) == -1)
		return -1;
	if (rc == 0) {
		if (sq_insert_row(s, q, j, q->gen, q->plan_now,
		    &inserted) == -1)
			return -1;
		if (!inserted)
			return store_seterr(s, "%s: job %s neither found nor "
			    "inserted", q->path, j->key);
		q->insert_first = 1;
		goto inserted;
	}
	sq_seen_mark(q, r.id);
	q->plan_next_id = r.id + 1;

	if (r.plan_cancelled)
		return sq_plan_revive(s, q, r.id, j);
	if (!r.pending) {
		q->stats.unchanged++;
		return 0;
	}
	if (r.due != j->due) {
		if ((st = sq_stmt(s, q, ST_PLAN_MOVE)) == NULL)
			return -1;
		sq_plan_bind_times(st, q, r.id, j);
		if (sq_run(s, q, st, "move job") == -1)
			return -1;
		q->stats.updated++;
		return 0;
	}
	/* A job inserted outside planning that the config now plans too
	 * becomes the config's: a later plan without it cancels it. */
	if (r.unplanned) {
		if ((st = sq_stmt(s, q, ST_PLAN_ADOPT)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, r.id);
		sqlite3_bind_int64(st, 2, q->gen);
		if (sq_run(s, q, st, "keep job") == -1)
			return -1;
	}
	q->stats.unchanged++;
	return 0;
inserted:
	q->plan_next_id = sqlite3_last_insert_rowid(q->db);
	sq_seen_mark(q, q->plan_next_id);
	q->plan_next_id++;
	q->stats.inserted++;
	return 0;
}

/*
 * The pending ids come from jobs_state_next alone (a covering scan, no
 * table reads); the few that were not put this time are cancelled one by
 * one.  Rows inserted outside planning (plan_gen NULL) stay.
 */
static int
sq_plan_cancel_unseen(struct store *s, struct sq *q, int64_t now)
{
	sqlite3_stmt *st;
	int64_t *v = NULL, id;
	size_t n = 0, cap = 0, i;
	int rc;

	if ((st = sq_stmt(s, q, ST_PLAN_PENDING)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (sq_seen_has(q, id))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = id;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "find removed jobs");
		sq_reset(st);
		goto fail;
	}
	sq_reset(st);
	for (i = 0; i < n; i++) {
		if ((st = sq_stmt(s, q, ST_PLAN_CANCEL)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, v[i]);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, q->gen);
		if (sq_run(s, q, st, "cancel removed jobs") == -1)
			goto fail;
		if (sqlite3_changes(q->db) == 0)
			continue;
		if ((st = sq_stmt(s, q, ST_PLAN_EVENT)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, v[i]);
		sqlite3_bind_int64(st, 2, now);
		if (sq_run(s, q, st, "record removed jobs") == -1)
			goto fail;
		q->stats.cancelled++;
	}
	free(v);
	return 0;
fail:
	free(v);
	return -1;
}

int
sq_plan_end(struct store *s, struct store_plan_stats *stats)
{
	struct sq *q = sq_of(s);
	int64_t now = sq_now();
	int all_new;

	if (!q->planning)
		return store_seterr(s, "plan_end without plan_begin");
	if (sqlite3_get_autocommit(q->db)) {
		sq_plan_leave(q);
		return store_seterr(s, "%s: the plan was rolled back by an "
		    "earlier error", q->path);
	}
	/* A plan into an empty table inserted every row it left pending:
	 * none to cancel. */
	all_new = q->plan_unindexed;
	if (all_new && sq_plan_flush(s, q) == -1)
		goto fail;
	if (sq_plan_reindex(s, q) == -1)
		goto fail;
	if (!all_new && sq_plan_cancel_unseen(s, q, now) == -1)
		goto fail;
	if (sq_tx_end(s, q, 1, 1) == -1)
		goto out;
	sq_plan_leave(q);
	*stats = q->stats;
	return 0;
fail:
	sq_tx_end(s, q, 1, 0);
out:
	sq_plan_leave(q);
	return -1;
}

void
sq_plan_abort(struct store *s)
{
	struct sq *q = sq_of(s);

	if (!q->planning)
		return;
	if (!sqlite3_get_autocommit(q->db))
		sq_exec(s, q, ST_ROLLBACK, "abort plan");
	sq_plan_leave(q);
}

int
sq_insert(struct store *s, const struct job *j)
{
	struct sq *q = sq_of(s);
	int inserted;

	return sq_insert_row(s, q, j, 0, sq_now(), &inserted);
}
