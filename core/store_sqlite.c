/*
 * store_sqlite.c - the embedded store: one SQLite file in WAL mode.
 *
 * One node owns the file, so leases only matter for crash recovery, where
 * every in-flight row is ours.  WAL lets heraldctl read while the daemon
 * writes; synchronous=NORMAL loses at most the last transactions on power
 * loss, never the file.
 *
 * Speed comes from a few habits: every statement is prepared once and
 * cached; planning runs in one transaction and writes one row per job (no
 * event row for creation: the history reads creation from jobs.created),
 * and a re-plan writes nothing for an unchanged job (the plan remembers
 * the ids it saw in a bitmap instead of stamping rows); claims record
 * nothing but the row's state, outcomes append one event.
 *
 * Keys are 16-byte blobs in job_rows under an integer id; events and acks
 * refer to the id.  jobs, events and acks are views with text keys, as in
 * schema version 1, for the sqlite3 shell and scripts.
 * Due jobs are found through an index on (state, priority, next_at) rather
 * than (state, next_at): a claim then reads one short range per priority
 * class instead of sorting the whole backlog after downtime (with a million
 * jobs due, the sort made each claim of 100 cost 20 ms).
 *
 * Kinds and states are stored by name so that the file reads well in the
 * sqlite3 shell and survives any reordering of the C enums.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <uuid/uuid.h>

#include "store.h"
#include "xmalloc.h"

/* A blob key as the text UUID, in plain SQL for the views: the sqlite3
 * shell has no herald functions. */
#define SQ_HEX(c, from, n) "substr(hex(" c "), " #from ", " #n ")"
#define SQ_KEY_TEXT(c) "lower(" SQ_HEX(c, 1, 8) " || '-' || " \
	SQ_HEX(c, 9, 4) " || '-' || " SQ_HEX(c, 13, 4) " || '-' || " \
	SQ_HEX(c, 17, 4) " || '-' || " SQ_HEX(c, 21, 12) ")"

/*
 * Schema migrations, applied in order inside one transaction at open;
 * PRAGMA user_version records how many ran.  Version N+1 is one more
 * string here, never an edit of an old one.
 */
static const char *const sq_migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE meta ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL);"
	"INSERT INTO meta (name, value) VALUES ('plan_gen', 0);"
	"CREATE TABLE jobs ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  item TEXT NOT NULL,"
	"  offset_s INTEGER NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  due INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL,"
	"  item_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  lateness_ms INTEGER NOT NULL DEFAULT 0,"
	"  fallback_of TEXT,"
	"  owner TEXT,"
	"  lease_until INTEGER,"
	"  plan_gen INTEGER,"		/* NULL: not from planning */
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  last_detail TEXT);"
	"CREATE INDEX jobs_state_next ON jobs (state, priority, next_at);"
	"CREATE INDEX jobs_item_contact ON jobs (campaign, item, contact);"
	"CREATE TABLE events ("
	"  key TEXT NOT NULL REFERENCES jobs (key),"
	"  at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX events_key ON events (key, at);"
	"CREATE TABLE submissions ("
	"  campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  via TEXT,"
	"  PRIMARY KEY (campaign, deadline, contact));"
	"CREATE TABLE acks ("
	"  key TEXT PRIMARY KEY NOT NULL REFERENCES jobs (key),"
	"  at INTEGER NOT NULL,"
	"  via TEXT);",

	/*
	 * 2: keys as 16-byte blobs under an integer id.  The key index of
	 * version 1 (36-character text, 50 MB for a million jobs) did not
	 * fit a bounded page cache, and a plan inserts in random key order.
	 * jobs, events and acks become views that show text keys, so the
	 * file still reads as before in the sqlite3 shell.
	 */
	"CREATE TABLE job_rows ("
	"  id INTEGER PRIMARY KEY,"
	"  key BLOB NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  item TEXT NOT NULL,"
	"  offset_s INTEGER NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  due INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL,"
	"  item_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  lateness_ms INTEGER NOT NULL DEFAULT 0,"
	"  fallback_of TEXT,"
	"  owner TEXT,"
	"  lease_until INTEGER,"
	"  plan_gen INTEGER,"		/* generation that planned or moved
					 * it; NULL: not from planning */
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  last_detail TEXT);"
	"INSERT INTO job_rows (key, kind, priority, campaign, item, offset_s,"
	"  contact, channel, due, next_at, item_at, state, attempts, late,"
	"  lateness_ms, fallback_of, owner, lease_until, plan_gen, created,"
	"  updated, last_detail)"
	"  SELECT herald_key_blob(key), kind, priority, campaign, item,"
	"  offset_s, contact, channel, due, next_at, item_at, state, attempts,"
	"  late, lateness_ms, fallback_of, owner, lease_until, plan_gen,"
	"  created, updated, last_detail FROM jobs ORDER BY rowid;"
	"CREATE TABLE job_events ("
	"  job INTEGER NOT NULL REFERENCES job_rows (id),"
	"  at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  detail TEXT);"
	"INSERT INTO job_events (job, at, state, detail)"
	"  SELECT r.id, e.at, e.state, e.detail FROM events e"
	"  JOIN job_rows r ON r.key = herald_key_blob(e.key) ORDER BY e.rowid;"
	"CREATE TABLE job_acks ("
	"  job INTEGER PRIMARY KEY NOT NULL REFERENCES job_rows (id),"
	"  at INTEGER NOT NULL,"
	"  via TEXT);"
	"INSERT INTO job_acks (job, at, via)"
	"  SELECT r.id, a.at, a.via FROM acks a"
	"  JOIN job_rows r ON r.key = herald_key_blob(a.key);"
	"DROP TABLE acks;"
	"DROP TABLE events;"
	"DROP TABLE jobs;"
	"CREATE INDEX jobs_state_next ON job_rows (state, priority, next_at);"
	"CREATE INDEX jobs_item_contact ON job_rows (campaign, item, contact);"
	"CREATE INDEX events_job ON job_events (job, at);"
	"CREATE VIEW jobs AS SELECT " SQ_KEY_TEXT("key") " AS key, kind,"
	"  priority, campaign, item, offset_s, contact, channel, due, next_at,"
	"  item_at, state, attempts, late, lateness_ms, fallback_of, owner,"
	"  lease_until, plan_gen, created, updated, last_detail FROM job_rows;"
	"CREATE VIEW events AS SELECT " SQ_KEY_TEXT("r.key") " AS key, e.at,"
	"  e.state, e.detail FROM job_events e JOIN job_rows r ON r.id = e.job;"
	"CREATE VIEW acks AS SELECT " SQ_KEY_TEXT("r.key") " AS key, a.at,"
	"  a.via FROM job_acks a JOIN job_rows r ON r.id = a.job;",

	/*
	 * 3: plan_cancelled, the generation whose plan_end cancelled the
	 * row because its key vanished from the config (NULL otherwise).
	 * A later plan that puts the key again revives the row; a column
	 * rather than the detail text, so that no other cancellation (a
	 * submission, the dispatcher's checks, store_record) can ever
	 * pass for one.  Rows cancelled by plans before version 3 are
	 * known by their plan event; a row the dispatcher cancelled with
	 * the same words (it was queued at the reload) cannot be told
	 * apart and counts too, which is harmless: it was not sent either.
	 */
	"ALTER TABLE job_rows ADD COLUMN plan_cancelled INTEGER;"
	"UPDATE job_rows SET plan_cancelled = plan_gen"
	"  WHERE state = 'cancelled' AND plan_gen IS NOT NULL"
	"  AND last_detail = 'removed from config'"
	"  AND id IN (SELECT job FROM job_events"
	"  WHERE state = 'cancelled' AND detail = 'removed from config');",

	/*
	 * 4: delivery receipts (SMS DLRs), one row per report and part; a
	 * view with text keys like the others.  IF NOT EXISTS: a file
	 * rolled back to an older user_version by hand still migrates.
	 */
	"CREATE TABLE IF NOT EXISTS job_receipts ("
	"  job INTEGER NOT NULL REFERENCES job_rows (id),"
	"  part INTEGER NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX IF NOT EXISTS receipts_job ON job_receipts (job, at);"
	"CREATE VIEW IF NOT EXISTS receipts AS SELECT " SQ_KEY_TEXT("r.key") " AS key,"
	"  c.part, c.type, c.at, c.detail FROM job_receipts c"
	"  JOIN job_rows r ON r.id = c.job;",

	/*
	 * 5: the agenda in time order without sorting every pending job,
	 * and one person's notices without scanning them all (the API's
	 * agenda, SMS replies): with a million jobs, 128 ms and 206 ms of
	 * a stalled loop before, see contrib/bench/BENCHMARKS.md.
	 */
	"CREATE INDEX IF NOT EXISTS jobs_next ON job_rows (next_at);"
	"CREATE INDEX IF NOT EXISTS jobs_contact_next ON job_rows "
	"  (contact, next_at);",
};
#define SQ_VERSION ((int)(sizeof(sq_migrations) / sizeof(sq_migrations[0])))

#define SQ_JOB_COLS \
	"key, kind, priority, campaign, item, offset_s, contact, channel, " \
	"due, next_at, item_at, state, attempts, fallback_of, late, " \
	"lateness_ms, last_detail"

/* Cached statements. */
enum sq_st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_GEN_GET,
	ST_GEN_SET,
	ST_PLAN_GET,
	ST_INSERT,
	ST_PLAN_MOVE,
	ST_PLAN_PENDING,
	ST_PLAN_CANCEL,
	ST_PLAN_EVENT,
	ST_PLAN_ADOPT,
	ST_PLAN_REVIVE,
	ST_PLAN_REVIVE_EVENT,
	ST_EVENT,
	ST_STATE,
	ST_RECORD,
	ST_SET_STATE,
	ST_CLAIM_MARK,
	ST_NEXT_DUE,
	ST_RECOVER_EVENTS,
	ST_RECOVER,
	ST_EXPIRE_SELECT,
	ST_SUBMIT,
	ST_SUBMIT_EVENTS,
	ST_SUBMIT_CANCEL,
	ST_IS_SUBMITTED,
	ST_ACK,
	ST_IS_ACKED,
	ST_GET,
	ST_CREATED,
	ST_HISTORY,
	ST_COUNT,
	ST_USER_VERSION,
	ST_RECEIPT,
	ST_RECEIPTS,
	ST__COUNT
};

static const char *const sq_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT op",
	[ST_RELEASE] = "RELEASE op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO op",
	[ST_GEN_GET] = "SELECT value FROM meta WHERE name = 'plan_gen'",
	[ST_GEN_SET] = "UPDATE meta SET value = ?1 WHERE name = 'plan_gen'",
	[ST_PLAN_GET] = "SELECT id, state, due, plan_gen IS NULL, "
	    "plan_cancelled IS NOT NULL FROM job_rows WHERE key = ?1",
	[ST_INSERT] = "INSERT OR IGNORE INTO job_rows (key, kind, priority, "
	    "campaign, item, offset_s, contact, channel, due, next_at, "
	    "item_at, state, fallback_of, plan_gen, created, updated) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "'pending', ?12, ?13, ?14, ?14)",
	[ST_PLAN_MOVE] = "UPDATE job_rows SET due = ?2, next_at = ?3, "
	    "item_at = ?4, plan_gen = ?5, updated = ?6 WHERE id = ?1",
	/* Covered by jobs_state_next: the id is the index's rowid. */
	[ST_PLAN_PENDING] = "SELECT id FROM job_rows WHERE state = 'pending'",
	[ST_PLAN_CANCEL] = "UPDATE job_rows SET state = 'cancelled', "
	    "updated = ?2, last_detail = 'removed from config', "
	    "plan_cancelled = ?3 "
	    "WHERE id = ?1 AND state = 'pending' AND plan_gen IS NOT NULL",
	[ST_PLAN_EVENT] = "INSERT INTO job_events (job, at, state, detail) "
	    "VALUES (?1, ?2, 'cancelled', 'removed from config')",
	[ST_PLAN_ADOPT] = "UPDATE job_rows SET plan_gen = ?2 WHERE id = ?1",
	/* Back as if newly planned: attempts and lateness start over. */
	[ST_PLAN_REVIVE] = "UPDATE job_rows SET state = 'pending', due = ?2, "
	    "next_at = ?3, item_at = ?4, plan_gen = ?5, updated = ?6, "
	    "attempts = 0, late = 0, lateness_ms = 0, owner = NULL, "
	    "lease_until = NULL, plan_cancelled = NULL, "
	    "last_detail = 'revived: back in config' "
	    "WHERE id = ?1 AND state = 'cancelled' "
	    "AND plan_cancelled IS NOT NULL",
	[ST_PLAN_REVIVE_EVENT] = "INSERT INTO job_events (job, at, state, "
	    "detail) VALUES (?1, ?2, 'pending', 'revived: back in config')",
	[ST_EVENT] = "INSERT INTO job_events (job, at, state, detail) "
	    "SELECT id, ?2, ?3, ?4 FROM job_rows WHERE key = ?1",
	[ST_STATE] = "SELECT state FROM job_rows WHERE key = ?1",
	[ST_RECORD] = "UPDATE job_rows SET state = ?2, "
	    "attempts = attempts + ?3, next_at = coalesce(?4, next_at), "
	    "late = coalesce(?5, late), "
	    "lateness_ms = coalesce(?6, lateness_ms), owner = NULL, "
	    "lease_until = NULL, updated = ?7, last_detail = ?8 "
	    "WHERE key = ?1",
	[ST_SET_STATE] = "UPDATE job_rows SET state = ?2, owner = NULL, "
	    "lease_until = NULL, updated = ?3, last_detail = ?4 "
	    "WHERE key = ?1",
	[ST_CLAIM_MARK] = "UPDATE job_rows SET state = 'inflight', owner = ?2, "
	    "lease_until = ?3 WHERE key = ?1 AND state = 'pending'",
	[ST_NEXT_DUE] = "SELECT min(next_at) FROM job_rows "
	    "WHERE state = 'pending' AND priority = ?1",
	[ST_RECOVER_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?1, 'pending', 'recovered: was in flight under ' || "
	    "coalesce(owner, '?') FROM job_rows WHERE state = 'inflight'",
	[ST_RECOVER] = "UPDATE job_rows SET state = 'pending', owner = NULL, "
	    "lease_until = NULL, updated = ?1, "
	    "last_detail = 'recovered after a stop' "
	    "WHERE state = 'inflight'",
	[ST_EXPIRE_SELECT] = "SELECT " SQ_JOB_COLS " FROM job_rows "
	    "WHERE state = 'pending' AND priority IN (0, 1, 2, 3) "
	    "AND next_at < ?1 AND kind <> 'emergency'",
	[ST_SUBMIT] = "INSERT OR IGNORE INTO submissions (campaign, "
	    "deadline, contact, at, via) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SUBMIT_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?4, 'cancelled', 'submitted' FROM job_rows "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 "
	    "AND state = 'pending' AND kind IN ('reminder', 'overdue')",
	[ST_SUBMIT_CANCEL] = "UPDATE job_rows SET state = 'cancelled', "
	    "updated = ?4, last_detail = 'submitted' "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 "
	    "AND state = 'pending' AND kind IN ('reminder', 'overdue')",
	[ST_IS_SUBMITTED] = "SELECT at FROM submissions WHERE campaign = ?1 "
	    "AND deadline = ?2 AND contact = ?3",
	[ST_ACK] = "INSERT OR IGNORE INTO job_acks (job, at, via) "
	    "SELECT id, ?2, ?3 FROM job_rows WHERE key = ?1",
	[ST_IS_ACKED] = "SELECT a.at FROM job_acks a JOIN job_rows r "
	    "ON r.id = a.job WHERE r.key = ?1",
	[ST_GET] = "SELECT " SQ_JOB_COLS " FROM job_rows WHERE key = ?1",
	[ST_CREATED] = "SELECT created, plan_gen IS NOT NULL, fallback_of "
	    "FROM job_rows WHERE key = ?1",
	[ST_HISTORY] = "SELECT e.at, e.state, e.detail FROM job_events e "
	    "JOIN job_rows r ON r.id = e.job WHERE r.key = ?1 "
	    "ORDER BY e.at, e.rowid",
	[ST_COUNT] = "SELECT state, count(*) FROM job_rows GROUP BY state",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_RECEIPT] = "INSERT INTO job_receipts (job, part, type, at, detail) "
	    "SELECT id, ?2, ?3, ?4, ?5 FROM job_rows WHERE key = ?1",
	[ST_RECEIPTS] = "SELECT c.part, c.type, c.at, c.detail "
	    "FROM job_receipts c JOIN job_rows r ON r.id = c.job "
	    "WHERE r.key = ?1 ORDER BY c.at, c.rowid",
};

/*
 * The page cache limit (negative: KiB), an upper bound, not an allocation.
 * A plan inserts in random key order, so what must stay cached is the key
 * index (16-byte keys: about 27 MB for a million jobs) plus the hot ends
 * of the other indexes; the rows are appended and may spill to the WAL.
 * 40 MB keeps a million-job plan under 64 MB of RSS; a cache of 512 MB
 * was no faster with blob keys.
 */
#define SQ_CACHE_KB	"-40960"

/* Claim statements differ by the number of skipped channels; the first
 * few shapes are cached, longer lists are prepared per call. */
#define SQ_CLAIM_CACHED 8

struct sq {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST__COUNT];
	sqlite3_stmt *claim[SQ_CLAIM_CACHED];
	int planning;		/* inside plan_begin/plan_end */
	int batch;		/* inside store_begin/store_commit */
	int64_t gen;		/* the generation being planned */
	int64_t plan_now;	/* wall clock at plan_begin */
	struct store_plan_stats stats;
	/* Ids put in this plan, one bit each: plan_end cancels the pending
	 * rows without one.  A bitmap rather than a column so that a re-plan
	 * writes nothing for an unchanged job. */
	uint8_t *seen;
	size_t seen_len;	/* bytes */
	int insert_first;	/* the last put inserted: try that first */
};

/* A job read from a row, with its strings copied into one block so it
 * outlives the statement (claims and expiry call back after commit). */
struct sq_job {
	struct job j;
	char *strings;
	char *detail;		/* a new detail for j, or NULL */
};

static struct sq *
sq_of(struct store *s)
{
	return store_backend(s);
}

static int
sq_fail(struct store *s, struct sq *q, const char *what)
{
	int e = sqlite3_system_errno(q->db);

	if (e != 0 && sqlite3_errcode(q->db) != SQLITE_CONSTRAINT)
		return store_seterr(s, "%s: %s: %s (%s)", q->path, what,
		    sqlite3_errmsg(q->db), strerror(e));
	return store_seterr(s, "%s: %s: %s", q->path, what,
	    sqlite3_errmsg(q->db));
}

static sqlite3_stmt *
sq_stmt(struct store *s, struct sq *q, enum sq_st id)
{
	if (q->st[id] == NULL &&
	    sqlite3_prepare_v3(q->db, sq_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &q->st[id], NULL) != SQLITE_OK) {
		sq_fail(s, q, "prepare");
		q->st[id] = NULL;
	}
	return q->st[id];
}

static void
sq_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Step a statement that returns no row (or whose rows are not wanted) and
 * reset it.  The message is taken before the reset, which keeps it anyway,
 * so that callers can add what they were doing.
 */
static int
sq_run(struct store *s, struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sq_fail(s, q, what);
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

static int
sq_exec(struct store *s, struct sq *q, enum sq_st id, const char *what)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, id)) == NULL)
		return -1;
	return sq_run(s, q, st, what);
}

/* The 16 bytes of a text UUID; -1 when it is not one.  libuuid's parser
 * costs a strtoul per byte, a measurable part of a plan. */
static int
sq_key_parse(const char *key, uint8_t out[16])
{
	size_t i, n = 0;
	int hi = -1, d;
	char c;

	for (i = 0; i < JOB_KEY_LEN - 1; i++) {
		c = key[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (hi < 0)
			hi = d;
		else {
			out[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return key[i] == '\0' ? 0 : -1;
}

/*
 * Bind a text key as its 16-byte blob.  A malformed key binds an empty
 * blob, which matches no row, so look-ups report "no job" as they did
 * with text keys (store.c checks the keys of new jobs).
 */
static void
sq_bind_key(sqlite3_stmt *st, int i, const char *key)
{
	uint8_t u[16];

	if (key == NULL || sq_key_parse(key, u) == -1)
		sqlite3_bind_zeroblob(st, i, 0);
	else
		sqlite3_bind_blob(st, i, u, sizeof(u), SQLITE_TRANSIENT);
}

/* The text form of the blob key in column i into out. */
static void
sq_col_key(sqlite3_stmt *st, int i, char out[JOB_KEY_LEN])
{
	const void *b = sqlite3_column_blob(st, i);

	if (b != NULL && sqlite3_column_bytes(st, i) == sizeof(uuid_t))
		uuid_unparse_lower(b, out);
	else
		out[0] = '\0';
}

/* herald_key_blob(text): the migration from text keys. */
static void
sq_fn_key_blob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	uint8_t u[16];

	(void)argc;
	if (t == NULL || sq_key_parse(t, u) == -1)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_blob(ctx, u, sizeof(u), SQLITE_TRANSIENT);
}

static void
sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/*
 * One operation's transaction: a real one when none is open, a savepoint
 * inside a plan or a store_begin() batch, so that a failed operation
 * undoes only itself.  *outer remembers which, for sq_tx_end().
 */
static int
sq_tx_begin(struct store *s, struct sq *q, int *outer)
{
	*outer = sqlite3_get_autocommit(q->db);
	return sq_exec(s, q, *outer ? ST_BEGIN : ST_SAVEPOINT, "begin");
}

static int
sq_tx_end(struct store *s, struct sq *q, int outer, int ok)
{
	char keep[512];

	if (ok) {
		if (sq_exec(s, q, outer ? ST_COMMIT : ST_RELEASE,
		    "commit") == 0)
			return 0;
	}
	/* Keep the first error: the rollback's would hide it. */
	snprintf(keep, sizeof(keep), "%s", store_error(s));
	if (!sqlite3_get_autocommit(q->db)) {
		if (outer)
			sq_exec(s, q, ST_ROLLBACK, "rollback");
		else if (sq_exec(s, q, ST_ROLLBACK_TO, "rollback") == 0)
			sq_exec(s, q, ST_RELEASE, "rollback");
	}
	store_seterr(s, "%s", keep);
	return -1;
}

static int64_t
sq_now(void)
{
	return (int64_t)time(NULL);
}

static const char *
sq_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Fill j from a row of SQ_JOB_COLS; strings are borrowed from st. */
static void
sq_job_read(sqlite3_stmt *st, struct job *j)
{
	int k, state;

	memset(j, 0, sizeof(*j));
	sq_col_key(st, 0, j->key);
	k = job_kind_parse(sq_col_text(st, 1));
	j->kind = k >= 0 ? (enum job_kind)k : JOB_REMINDER;
	j->priority = (enum herald_priority)sqlite3_column_int(st, 2);
	j->campaign = sq_col_text(st, 3);
	j->item = sq_col_text(st, 4);
	j->offset = sqlite3_column_int64(st, 5);
	j->contact = sq_col_text(st, 6);
	j->channel = sq_col_text(st, 7);
	j->due = sqlite3_column_int64(st, 8);
	j->next_at = sqlite3_column_int64(st, 9);
	j->item_at = sqlite3_column_int64(st, 10);
	state = job_state_parse(sq_col_text(st, 11));
	j->state = state >= 0 ? (enum job_state)state : JOB_PENDING;
	j->attempts = (unsigned)sqlite3_column_int64(st, 12);
	j->fallback_of = sq_col_text(st, 13);
	j->late = sqlite3_column_int(st, 14);
	j->lateness_ms = sqlite3_column_int64(st, 15);
	j->detail = sq_col_text(st, 16);
}

/* Copy the current row into sj; sj owns its strings (sq_job_free()). */
static void
sq_job_copy(sqlite3_stmt *st, struct sq_job *sj)
{
	const char **f[6];
	size_t len[6], total = 0, i;
	char *p;

	sq_job_read(st, &sj->j);
	f[0] = &sj->j.campaign;
	f[1] = &sj->j.item;
	f[2] = &sj->j.contact;
	f[3] = &sj->j.channel;
	f[4] = &sj->j.fallback_of;
	f[5] = &sj->j.detail;
	for (i = 0; i < 6; i++) {
		len[i] = *f[i] != NULL ? strlen(*f[i]) + 1 : 0;
		total += len[i];
	}
	sj->detail = NULL;
	sj->strings = p = xmalloc(total + 1);
	for (i = 0; i < 6; i++) {
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

static int
sq_event(struct store *s, struct sq *q, const char *key, int64_t at,
    const char *state, const char *detail)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_EVENT)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, state);
	sq_bind_text(st, 4, detail);
	return sq_run(s, q, st, "append event");
}

static int
sq_migrate(struct store *s, struct sq *q)
{
	sqlite3_stmt *st;
	char *msg = NULL, pragma[40];
	int outer, version, v;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_USER_VERSION)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "read schema version");
		sq_reset(st);
		goto fail;
	}
	version = sqlite3_column_int(st, 0);
	sq_reset(st);
	if (version > SQ_VERSION) {
		store_seterr(s, "%s: schema version %d is newer than this "
		    "herald understands (%d); upgrade herald", q->path,
		    version, SQ_VERSION);
		goto fail;
	}
	for (v = version; v < SQ_VERSION; v++) {
		if (sqlite3_exec(q->db, sq_migrations[v], NULL, NULL,
		    &msg) != SQLITE_OK) {
			store_seterr(s, "%s: migration to schema version %d: "
			    "%s", q->path, v + 1, msg ? msg : "failed");
			sqlite3_free(msg);
			goto fail;
		}
	}
	if (version != SQ_VERSION) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    SQ_VERSION);
		if (sqlite3_exec(q->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			sq_fail(s, q, "set schema version");
			goto fail;
		}
	}
	return sq_tx_end(s, q, outer, 1);
fail:
	return sq_tx_end(s, q, outer, 0);
}

static void
sq_close(void *state)
{
	struct sq *q = state;
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	for (i = 0; i < SQ_CLAIM_CACHED; i++)
		sqlite3_finalize(q->claim[i]);
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

/* Sets *state to a new struct sq that sq_close() frees. */
static int
sq_open(struct store *s, const char *where, void **state)
{
	struct sq *q;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, memory;

	q = xcalloc(1, sizeof(*q));
	q->path = xstrdup(where);
	memory = strcmp(where, ":memory:") == 0;
	rc = sqlite3_open_v2(where, &q->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (q->db == NULL)
			store_seterr(s, "%s: cannot open store: out of memory",
			    where);
		else
			sq_fail(s, q, "cannot open store");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, 5000);

	/* The first statement touches the file: an unwritable path fails
	 * here, not at open. */
	if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "cannot open store");
		goto fail;
	}
	mode = sq_col_text(st, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    !(memory && strcmp(mode, "memory") == 0))) {
		store_seterr(s, "%s: cannot switch to WAL mode (journal mode "
		    "is %s)", where, mode ? mode : "unknown");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(q->db, "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = " SQ_CACHE_KB ";", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sq_fail(s, q, "cannot configure store");
		goto fail;
	}
	if (sqlite3_create_function_v2(q->db, "herald_key_blob", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sq_fn_key_blob, NULL,
	    NULL, NULL) != SQLITE_OK) {
		sq_fail(s, q, "cannot configure store");
		goto fail;
	}
	if (sq_migrate(s, q) == -1)
		goto fail;
	*state = q;
	return 0;
fail:
	sqlite3_finalize(st);
	sq_close(q);
	return -1;
}

static int
sq_schema_version(struct store *s)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int v = -1;

	if ((st = sq_stmt(s, q, ST_USER_VERSION)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		sq_fail(s, q, "read schema version");
	sq_reset(st);
	return v;
}

/* Planning */

/* Leave planning, whatever happened. */
static void
sq_plan_leave(struct sq *q)
{
	q->planning = 0;
	free(q->seen);
	q->seen = NULL;
	q->seen_len = 0;
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

static int
sq_plan_begin(struct store *s)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if (q->planning)
		return store_seterr(s, "plan already in progress");
	if (q->batch || !sqlite3_get_autocommit(q->db))
		return store_seterr(s, "cannot plan inside a transaction");
	if (sq_exec(s, q, ST_BEGIN, "begin plan") == -1)
		return -1;
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
	memset(&q->stats, 0, sizeof(q->stats));
	q->plan_now = sq_now();
	q->insert_first = 1;
	q->planning = 1;
	return 0;
fail:
	sq_tx_end(s, q, 1, 0);
	sq_plan_leave(q);
	return -1;
}

static int
sq_insert_row(struct store *s, struct sq *q, const struct job *j,
    int64_t gen, int64_t now, int *inserted)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_INSERT)) == NULL)
		return -1;
	sq_bind_key(st, 1, j->key);
	sqlite3_bind_text(st, 2, job_kind_name(j->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)j->priority);
	sqlite3_bind_text(st, 4, j->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, j->offset);
	sqlite3_bind_text(st, 7, j->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, j->channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, j->due);
	sqlite3_bind_int64(st, 10, j->next_at);
	sqlite3_bind_int64(st, 11, j->item_at);
	sq_bind_text(st, 12, j->fallback_of);
	if (gen > 0)
		sqlite3_bind_int64(st, 13, gen);
	else
		sqlite3_bind_null(st, 13);
	sqlite3_bind_int64(st, 14, now);
	if (sq_run(s, q, st, "insert job") == -1)
		return -1;
	*inserted = sqlite3_changes(q->db) == 1;
	return 0;
}

/*
 * A row that an earlier plan cancelled because its key had vanished from
 * the config, put again: the config took it back (a contact removed by
 * mistake and restored), so the notice is due again.  It takes the put's
 * instant; one whose instant passed meanwhile is then late or missed
 * under the ordinary misfire rules.  Nothing that was sent comes back:
 * only plan-cancelled rows qualify, and those were never sent.
 */
static int
sq_plan_revive(struct store *s, struct sq *q, int64_t id, const struct job *j)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_PLAN_REVIVE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, j->due);
	sqlite3_bind_int64(st, 3, j->next_at);
	sqlite3_bind_int64(st, 4, j->item_at);
	sqlite3_bind_int64(st, 5, q->gen);
	sqlite3_bind_int64(st, 6, q->plan_now);
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

/*
 * One key look-up per job: a first plan inserts (the unique index does
 * the look-up), a re-plan selects, and each falls back to the other when
 * the key says otherwise; which one goes first follows the previous put.
 * A pending row keeps its next_at unless its due moved, so a job deferred
 * for quiet hours stays deferred; an unchanged job is not written at all.
 * A row cancelled by an earlier plan is revived; any other row that is
 * not pending is left alone.
 */
static int
sq_plan_put(struct store *s, const struct job *j)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	const char *state;
	int rc, pending, inserted, unplanned, plan_cancelled;
	int64_t id, due;

	if (!q->planning)
		return store_seterr(s, "plan_put outside a plan");
	/* An I/O error or a full disk rolls the whole plan back. */
	if (sqlite3_get_autocommit(q->db))
		return store_seterr(s, "%s: the plan was rolled back by an "
		    "earlier error", q->path);
	if (q->insert_first) {
		if (sq_insert_row(s, q, j, q->gen, q->plan_now,
		    &inserted) == -1)
			return -1;
		if (inserted)
			goto inserted;
		q->insert_first = 0;
	}
	if ((st = sq_stmt(s, q, ST_PLAN_GET)) == NULL)
		return -1;
	sq_bind_key(st, 1, j->key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sq_reset(st);
		if (sq_insert_row(s, q, j, q->gen, q->plan_now,
		    &inserted) == -1)
			return -1;
		if (!inserted)
			return store_seterr(s, "%s: job %s neither found nor "
			    "inserted", q->path, j->key);
		q->insert_first = 1;
		goto inserted;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(s, q, "look up job");
		sq_reset(st);
		return -1;
	}
	id = sqlite3_column_int64(st, 0);
	state = sq_col_text(st, 1);
	pending = state != NULL && strcmp(state, "pending") == 0;
	due = sqlite3_column_int64(st, 2);
	unplanned = sqlite3_column_int(st, 3);
	plan_cancelled = sqlite3_column_int(st, 4) &&
	    state != NULL && strcmp(state, "cancelled") == 0;
	sq_reset(st);
	sq_seen_mark(q, id);

	if (plan_cancelled)
		return sq_plan_revive(s, q, id, j);
	if (!pending) {
		q->stats.unchanged++;
		return 0;
	}
	if (due != j->due) {
		if ((st = sq_stmt(s, q, ST_PLAN_MOVE)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, j->due);
		sqlite3_bind_int64(st, 3, j->next_at);
		sqlite3_bind_int64(st, 4, j->item_at);
		sqlite3_bind_int64(st, 5, q->gen);
		sqlite3_bind_int64(st, 6, q->plan_now);
		if (sq_run(s, q, st, "move job") == -1)
			return -1;
		q->stats.updated++;
		return 0;
	}
	/* A job inserted outside planning that the config now plans too
	 * becomes the config's: a later plan without it cancels it. */
	if (unplanned) {
		if ((st = sq_stmt(s, q, ST_PLAN_ADOPT)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, q->gen);
		if (sq_run(s, q, st, "keep job") == -1)
			return -1;
	}
	q->stats.unchanged++;
	return 0;
inserted:
	sq_seen_mark(q, sqlite3_last_insert_rowid(q->db));
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

static int
sq_plan_end(struct store *s, struct store_plan_stats *stats)
{
	struct sq *q = sq_of(s);
	int64_t now = sq_now();

	if (!q->planning)
		return store_seterr(s, "plan_end without plan_begin");
	if (sqlite3_get_autocommit(q->db)) {
		sq_plan_leave(q);
		return store_seterr(s, "%s: the plan was rolled back by an "
		    "earlier error", q->path);
	}
	if (sq_plan_cancel_unseen(s, q, now) == -1)
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

static void
sq_plan_abort(struct store *s)
{
	struct sq *q = sq_of(s);

	if (!q->planning)
		return;
	if (!sqlite3_get_autocommit(q->db))
		sq_exec(s, q, ST_ROLLBACK, "abort plan");
	sq_plan_leave(q);
}

static int
sq_insert(struct store *s, const struct job *j)
{
	struct sq *q = sq_of(s);
	int inserted;

	return sq_insert_row(s, q, j, 0, sq_now(), &inserted);
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
static int
sq_claim(struct store *s, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int64_t lease_until,
    store_job_fn fn, void *arg, size_t *n_claimed)
{
	struct sq *q = sq_of(s);
	struct sq_job *v = NULL;
	sqlite3_stmt *st = NULL, *mark;
	size_t n = 0, cap = 0, i;
	int rc, prio, cached = 1, outer = 0, began = 0;

	if ((st = sq_claim_stmt(s, q, n_skip, &cached)) == NULL)
		return -1;
	if (sq_tx_begin(s, q, &outer) == -1)
		goto fail;
	began = 1;
	/* One index range per priority class, highest first: a backlog of
	 * due reminders never has to be sorted to find an emergency. */
	for (prio = HERALD_PRIO_EMERGENCY; prio <= HERALD_PRIO_DIGEST &&
	    n < max; prio++) {
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

static int
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

/* The current state of key into *state; -1 with a message when absent. */
static int
sq_state_of(struct store *s, struct sq *q, const char *key, int *state)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_STATE)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = job_state_parse(sq_col_text(st, 0));
	else if (rc == SQLITE_DONE)
		store_seterr(s, "no job %s", key);
	else
		sq_fail(s, q, "look up job");
	sq_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Only a live job (pending or in flight) takes an outcome: a second
 * completion for a finished job is a caller bug, and refusing it keeps the
 * history honest.
 */
static int
sq_record(struct store *s, const char *key, const struct store_result *r)
{
	static const char *const default_detail[] = {
		[STORE_DELIVERED] = "delivered",
		[STORE_RETRY] = "retry",
		[STORE_DEFER] = "deferred",
		[STORE_FAILED] = "failed",
		[STORE_MISSED] = "missed",
		[STORE_CANCELLED] = "cancelled",
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
	default:
		to = JOB_CANCELLED;
		break;
	}
	detail = r->detail != NULL ? r->detail : default_detail[r->outcome];
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if (sq_state_of(s, q, key, &state) == -1)
		goto fail;
	if (state != JOB_PENDING && state != JOB_INFLIGHT) {
		store_seterr(s, "job %s is already %s", key,
		    state >= 0 ? job_state_name(state) : "in an unknown state");
		goto fail;
	}
	if ((st = sq_stmt(s, q, ST_RECORD)) == NULL)
		goto fail;
	sq_bind_key(st, 1, key);
	sqlite3_bind_text(st, 2, job_state_name(to), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->outcome == STORE_RETRY);
	if (r->outcome == STORE_RETRY || r->outcome == STORE_DEFER)
		sqlite3_bind_int64(st, 4, r->next_at);
	if (r->outcome == STORE_DELIVERED) {
		sqlite3_bind_int(st, 5, r->late != 0);
		sqlite3_bind_int64(st, 6, r->lateness_ms);
	}
	sqlite3_bind_int64(st, 7, r->at);
	sq_bind_text(st, 8, detail);
	if (sq_run(s, q, st, "record outcome") == -1)
		goto fail;
	if (sq_event(s, q, key, r->at, job_state_name(to), detail) == -1)
		goto fail;
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

static int
sq_begin(struct store *s)
{
	struct sq *q = sq_of(s);

	if (q->planning || q->batch || !sqlite3_get_autocommit(q->db))
		return store_seterr(s, "a transaction is already open");
	if (sq_exec(s, q, ST_BEGIN, "begin") == -1)
		return -1;
	q->batch = 1;
	return 0;
}

static int
sq_commit(struct store *s)
{
	struct sq *q = sq_of(s);

	if (!q->batch)
		return store_seterr(s, "commit without begin");
	q->batch = 0;
	if (sqlite3_get_autocommit(q->db))
		return store_seterr(s, "%s: the batch was rolled back by an "
		    "earlier error", q->path);
	return sq_tx_end(s, q, 1, 1);
}

/*
 * SQLite means one node, so every in-flight row was ours: all of them go
 * back to pending.  A clustered backend would take only its own rows and
 * those whose lease expired before now.
 */
static int
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
 * than one range per kind and costs nothing when little is overdue.
 */
static int
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
		if (k != JOB_EMERGENCY && c > max_cutoff)
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
		if (tmp.j.kind == JOB_EMERGENCY ||
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

/* Submissions and acknowledgements */

/*
 * Only the contact's own reminders and overdue notices go: escalations are
 * addressed to supervisors about several contacts, and the runtime decides
 * at send time whether one still has anyone to report.
 */
static int
sq_submit(struct store *s, const char *campaign, const char *deadline,
    const char *contact, int64_t at, const char *via, size_t *n_cancelled)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	enum sq_st ids[] = { ST_SUBMIT_EVENTS, ST_SUBMIT_CANCEL };
	size_t i, n;
	int outer;

	*n_cancelled = 0;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_SUBMIT)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, contact, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sq_bind_text(st, 5, via);
	if (sq_run(s, q, st, "record submission") == -1)
		goto fail;
	/* Events first: the update makes the rows unfindable. */
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if ((st = sq_stmt(s, q, ids[i])) == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, contact, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, at);
		if (sq_run(s, q, st, "cancel reminders") == -1)
			goto fail;
	}
	n = (size_t)sqlite3_changes(q->db);
	if (sq_tx_end(s, q, outer, 1) == -1)
		return -1;
	*n_cancelled = n;
	return 0;
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

static int
sq_is_submitted(struct store *s, const char *campaign, const char *deadline,
    const char *contact, int *submitted, int64_t *at)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_IS_SUBMITTED)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, contact, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "look up submission");
		sq_reset(st);
		return -1;
	}
	*submitted = rc == SQLITE_ROW;
	if (*submitted && at != NULL)
		*at = sqlite3_column_int64(st, 0);
	sq_reset(st);
	return 0;
}

/* The first acknowledgement wins: a second click on a link is no news. */
static int
sq_ack(struct store *s, const char *key, int64_t at, const char *via)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int state;

	if (sq_state_of(s, q, key, &state) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_ACK)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, via);
	return sq_run(s, q, st, "record acknowledgement");
}

static int
sq_is_acked(struct store *s, const char *key, int *acked, int64_t *at)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_IS_ACKED)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "look up acknowledgement");
		sq_reset(st);
		return -1;
	}
	*acked = rc == SQLITE_ROW;
	if (*acked && at != NULL)
		*at = sqlite3_column_int64(st, 0);
	sq_reset(st);
	return 0;
}

/* The words for a report type in the history: one dlr bit, or the
 * number when a gateway sent something else. */
static const char *
sq_receipt_word(int type, char *buf, size_t len)
{
	switch (type) {
	case 1: return "delivered";
	case 2: return "not delivered";
	case 4: return "queued on the SMSC";
	case 8: return "accepted by the SMSC";
	case 16: return "rejected by the SMSC";
	case 32: return "intermediate report";
	default:
		snprintf(buf, len, "report type %d", type);
		return buf;
	}
}

static int
sq_receipt(struct store *s, const char *key, int part, int type, int64_t at,
    const char *detail)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	char word[32], *text;
	int outer, rc;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_RECEIPT)) == NULL)
		goto fail;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int(st, 2, part);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_int64(st, 4, at);
	sq_bind_text(st, 5, detail);
	if (sq_run(s, q, st, "record receipt") == -1)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		store_seterr(s, "no job %s", key);
		goto fail;
	}
	if (detail != NULL && *detail != '\0')
		text = xasprintf("part %d %s (%s)", part,
		    sq_receipt_word(type, word, sizeof(word)), detail);
	else
		text = xasprintf("part %d %s", part,
		    sq_receipt_word(type, word, sizeof(word)));
	rc = sq_event(s, q, key, at, "receipt", text);
	free(text);
	if (rc == -1)
		goto fail;
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

static int
sq_receipts(struct store *s, const char *key, store_receipt_fn fn, void *arg,
    size_t *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = sq_stmt(s, q, ST_RECEIPTS)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		if (fn != NULL)
			fn(arg, sqlite3_column_int(st, 0),
			    sqlite3_column_int(st, 1),
			    sqlite3_column_int64(st, 2), sq_col_text(st, 3));
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "receipts");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Reading */

/* Listing is rare (heraldctl, the API): its statement is built per call
 * from the filters that are set, so the planner can use the indexes. */
static int
sq_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	struct job j;
	char *sql, limit[32] = "";
	int rc, any_time = f->from == 0 && f->to == 0, i = 1;

	if (f->limit > 0)
		snprintf(limit, sizeof(limit), " LIMIT %zu", f->limit);
	sql = xasprintf("SELECT " SQ_JOB_COLS " FROM job_rows WHERE 1%s%s%s%s%s "
	    "ORDER BY next_at, rowid%s",
	    any_time ? "" : " AND next_at >= ? AND next_at < ?",
	    f->campaign ? " AND campaign = ?" : "",
	    f->contact ? " AND contact = ?" : "",
	    f->channel ? " AND channel = ?" : "",
	    /* "+state": not the claim index (state, priority, next_at),
	     * which would sort every job of the state; jobs_next or
	     * jobs_contact_next give them in order. */
	    f->state >= 0 ? " AND +state = ?" : "", limit);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		sq_fail(s, q, "prepare list");
		return -1;
	}
	if (!any_time) {
		sqlite3_bind_int64(st, i++, f->from);
		sqlite3_bind_int64(st, i++, f->to);
	}
	if (f->campaign)
		sqlite3_bind_text(st, i++, f->campaign, -1, SQLITE_STATIC);
	if (f->contact)
		sqlite3_bind_text(st, i++, f->contact, -1, SQLITE_STATIC);
	if (f->channel)
		sqlite3_bind_text(st, i++, f->channel, -1, SQLITE_STATIC);
	if (f->state >= 0)
		sqlite3_bind_text(st, i++, job_state_name(f->state), -1,
		    SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_job_read(st, &j);
		if (fn != NULL)
			fn(arg, &j);
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "list");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* fn runs while the row is current: get's statement is not reentrant, so
 * fn must not call store_get itself. */
static int
sq_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	struct job j;
	int rc;

	if ((st = sq_stmt(s, q, ST_GET)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "get job");
		sq_reset(st);
		return -1;
	}
	*found = rc == SQLITE_ROW;
	if (*found && fn != NULL) {
		sq_job_read(st, &j);
		fn(arg, &j);
	}
	sq_reset(st);
	return 0;
}

static int
sq_history(struct store *s, const char *key, store_event_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	char *first;
	int64_t created;
	int rc, planned;

	if ((st = sq_stmt(s, q, ST_CREATED)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sq_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(s, q, "history");
		sq_reset(st);
		return -1;
	}
	created = sqlite3_column_int64(st, 0);
	planned = sqlite3_column_int(st, 1);
	if (planned)
		first = xstrdup("planned");
	else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		first = xasprintf("inserted: fallback of %s",
		    sq_col_text(st, 2));
	else
		first = xstrdup("inserted");
	sq_reset(st);
	if (fn != NULL)
		fn(arg, created, "pending", first);
	free(first);

	if ((st = sq_stmt(s, q, ST_HISTORY)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn != NULL)
			fn(arg, sqlite3_column_int64(st, 0), sq_col_text(st, 1),
			    sq_col_text(st, 2));
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "history");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_count_states(struct store *s, size_t counts[JOB_STATE_COUNT])
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc, state;

	if ((st = sq_stmt(s, q, ST_COUNT)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = job_state_parse(sq_col_text(st, 0));
		if (state >= 0)
			counts[state] = (size_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "count states");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

const struct store_ops store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.plan_begin = sq_plan_begin,
	.plan_put = sq_plan_put,
	.plan_end = sq_plan_end,
	.plan_abort = sq_plan_abort,
	.insert = sq_insert,
	.claim = sq_claim,
	.next_due = sq_next_due,
	.record = sq_record,
	.begin = sq_begin,
	.commit = sq_commit,
	.recover = sq_recover,
	.expire = sq_expire,
	.submit = sq_submit,
	.is_submitted = sq_is_submitted,
	.ack = sq_ack,
	.is_acked = sq_is_acked,
	.receipt = sq_receipt,
	.receipts = sq_receipts,
	.list = sq_list,
	.get = sq_get,
	.history = sq_history,
	.count_states = sq_count_states,
};
