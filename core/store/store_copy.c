/*
 * store_copy.c - move an SQLite store into an empty PostgreSQL store
 * (store_copy.h), table by table, in one PostgreSQL transaction.
 *
 * Rows go through libsqlite3 and libpq as query parameters rather than
 * through CSV dumps, so that quoting, NULLs and UTF-8 need no care of
 * their own: every value travels as SQLite's text of it (integers in
 * decimal) and PostgreSQL casts it to its column's type.
 *
 * The source is opened read-write only to lock it: with
 * locking_mode=EXCLUSIVE, BEGIN IMMEDIATE fails while another process
 * (a running heraldd) has the file open, which no heartbeat or pid file
 * could tell as surely; the transaction is rolled back at the end, so
 * nothing of the source changes.  The target is opened through
 * store_open_auth(), which creates or migrates its schema to this
 * herald's, and written under the planning lock, so that a heraldd
 * started on it meanwhile plans only after the copy, and finds every key.
 *
 * Not copied, on purpose: the nodes table (the heartbeats of processes
 * that have stopped; each heraldd writes its own row at start) and the
 * leases (a lease is on the clock of the database that granted it).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store.h"
#include "store_copy.h"
#include "store_pg.h"
#include "store_sqlite.h"
#include "store_sqlite_schema.h"

#define COPY_OWNER "herald-copy"

/* One table: SQLite's select and PostgreSQL's insert of the same
 * columns, in SQLite's insertion order so that ids given by
 * PostgreSQL's sequences keep the order of histories and timelines. */
struct copy_table {
	const char *name;
	const char *select;
	const char *insert;
};

static const struct copy_table copy_tables[STORE_COPY_TABLES] = {
	{ "meta", "SELECT name, value FROM meta ORDER BY name",
	  "INSERT INTO meta (name, value) VALUES ($1, $2) "
	  "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value" },
	/* Job ids kept: events, acks and receipts refer to them.  A job
	 * in flight comes back pending without owner; no lease at all. */
	{ "job_rows", "SELECT id, " SQ_KEY_TEXT("key") ", kind, priority, "
	  "campaign, item, offset_s, contact, channel, due, next_at, item_at, "
	  "CASE WHEN state = 'inflight' THEN 'pending' ELSE state END, "
	  "attempts, late, lateness_ms, fallback_of, "
	  "CASE WHEN state = 'inflight' THEN NULL ELSE owner END, plan_gen, "
	  "created, updated, last_detail, plan_cancelled, incident "
	  "FROM job_rows ORDER BY id",
	  "INSERT INTO job_rows (id, key, kind, priority, campaign, item, "
	  "offset_s, contact, channel, due, next_at, item_at, state, attempts, "
	  "late, lateness_ms, fallback_of, owner, lease_until, plan_gen, "
	  "created, updated, last_detail, plan_cancelled, incident) VALUES "
	  "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
	  "$16, $17, $18, NULL, $19, $20, $21, $22, $23, $24)" },
	{ "job_events", "SELECT job, at, state, detail FROM job_events "
	  "ORDER BY rowid",
	  "INSERT INTO job_events (job, at, state, detail) "
	  "VALUES ($1, $2, $3, $4)" },
	{ "job_acks", "SELECT job, at, via FROM job_acks ORDER BY job",
	  "INSERT INTO job_acks (job, at, via) VALUES ($1, $2, $3)" },
	{ "job_receipts", "SELECT job, part, type, at, detail FROM "
	  "job_receipts ORDER BY rowid",
	  "INSERT INTO job_receipts (job, part, type, at, detail) "
	  "VALUES ($1, $2, $3, $4, $5)" },
	{ "submissions", "SELECT campaign, deadline, unit, contact, at, via "
	  "FROM submissions ORDER BY rowid",
	  "INSERT INTO submissions (campaign, deadline, unit, contact, at, "
	  "via) VALUES ($1, $2, $3, $4, $5, $6)" },
	{ "submission_log", "SELECT campaign, deadline, unit, contact, at, "
	  "action, via FROM submission_log ORDER BY rowid",
	  "INSERT INTO submission_log (campaign, deadline, unit, contact, at, "
	  "action, via) VALUES ($1, $2, $3, $4, $5, $6, $7)" },
	{ "incidents", "SELECT " SQ_INCIDENT_COLS " FROM incidents "
	  "ORDER BY rowid",
	  "INSERT INTO incidents (" PG_INCIDENT_COLS ") VALUES ($1, $2, $3, "
	  "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)" },
	{ "incident_events", "SELECT incident, at, what, who, door, detail "
	  "FROM incident_events ORDER BY rowid",
	  "INSERT INTO incident_events (incident, at, what, who, door, "
	  "detail) VALUES ($1, $2, $3, $4, $5, $6)" },
};

/* The copy's two ends; the strings are borrowed from the caller. */
struct copy {
	sqlite3 *db;
	const char *path;
	struct store *pg_store;
	struct pg *pg;
	char *err;
	size_t errlen;
};

/* SQLite's error on the source into c->err; returns -1. */
static int
copy_sq_fail(struct copy *c, const char *what)
{
	snprintf(c->err, c->errlen, "%s: %s: %s", c->path, what,
	    sqlite3_errmsg(c->db));
	return -1;
}

/* The PostgreSQL store's last error into c->err; returns -1. */
static int
copy_pg_fail(struct copy *c)
{
	snprintf(c->err, c->errlen, "%s", store_error(c->pg_store));
	return -1;
}

/*
 * Open and lock the source; check its schema is this herald's.  The lock
 * and the read transaction hold until copy_close(), so what is read is
 * one moment of the file.
 */
static int
copy_source(struct copy *c)
{
	sqlite3_stmt *st;
	int rc, version, latest = sq_schema_latest();

	if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK)
		return copy_sq_fail(c, "cannot open");
	if (sqlite3_exec(c->db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL,
	    NULL) != SQLITE_OK)
		return copy_sq_fail(c, "cannot lock");
	rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		snprintf(c->err, c->errlen, "%s: open in another process (a "
		    "running heraldd?): stop it first, then copy", c->path);
		return -1;
	}
	if (rc != SQLITE_OK)
		return copy_sq_fail(c, "cannot lock");
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return copy_sq_fail(c, "read schema version");
	version = sqlite3_step(st) == SQLITE_ROW ?
	    sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version == 0) {
		snprintf(c->err, c->errlen, "%s: not a herald store (no "
		    "schema)", c->path);
		return -1;
	}
	if (version < latest) {
		snprintf(c->err, c->errlen, "%s: schema version %d, this "
		    "herald's is %d: start this heraldd once on it (it "
		    "migrates the file at start), stop it, then copy",
		    c->path, version, latest);
		return -1;
	}
	if (version > latest) {
		snprintf(c->err, c->errlen, "%s: schema version %d is newer "
		    "than this herald understands (%d): copy with the herald "
		    "that wrote it", c->path, version, latest);
		return -1;
	}
	return 0;
}

/* The target must hold nothing herald wrote but its schema. */
static int
copy_target_empty(struct copy *c)
{
	PGresult *res;
	int64_t jobs, subs, incidents, gen;

	res = pg_q(c->pg_store, c->pg, "check the target is empty",
	    "SELECT (SELECT count(*) FROM job_rows), "
	    "(SELECT count(*) FROM submission_log), "
	    "(SELECT count(*) FROM incidents), "
	    "(SELECT coalesce(max(value), 0) FROM meta "
	    "WHERE name = 'plan_gen')", NULL);
	if (res == NULL)
		return copy_pg_fail(c);
	jobs = pg_i64(res, 0, 0);
	subs = pg_i64(res, 0, 1);
	incidents = pg_i64(res, 0, 2);
	gen = pg_i64(res, 0, 3);
	PQclear(res);
	if (jobs || subs || incidents || gen) {
		snprintf(c->err, c->errlen, "%s: not empty (%lld jobs, %lld "
		    "submissions, %lld incidents, plan generation %lld): "
		    "herald copies only into a store that holds nothing yet; "
		    "nothing written", c->pg->shown, (long long)jobs,
		    (long long)subs, (long long)incidents, (long long)gen);
		return -1;
	}
	return 0;
}

/* Copy one table, every column as text; *rows gets how many. */
static int
copy_table(struct copy *c, const struct copy_table *t, size_t *rows)
{
	sqlite3_stmt *st;
	struct pg_args a;
	int i, n, rc;

	*rows = 0;
	if (sqlite3_prepare_v2(c->db, t->select, -1, &st, NULL) != SQLITE_OK)
		return copy_sq_fail(c, t->name);
	n = sqlite3_column_count(st);
	if (n > PG_MAX_ARGS) {
		sqlite3_finalize(st);
		snprintf(c->err, c->errlen, "%s: %d columns, more than %d "
		    "parameters", t->name, n, PG_MAX_ARGS);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pg_args_init(&a);
		for (i = 0; i < n; i++)
			pg_arg_text(&a, (const char *)sqlite3_column_text(st,
			    i));
		if (pg_exec(c->pg_store, c->pg, t->name, t->insert, &a,
		    NULL) == -1) {
			sqlite3_finalize(st);
			return copy_pg_fail(c);
		}
		(*rows)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return copy_sq_fail(c, t->name);
	return 0;
}

/* An event for each job that was in flight, which the move made pending. */
static int
copy_unlease(struct copy *c, size_t *n)
{
	sqlite3_stmt *st;
	struct pg_args a;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT id FROM job_rows WHERE state = "
	    "'inflight' ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return copy_sq_fail(c, "jobs in flight");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pg_args_init(&a);
		pg_arg_i64(&a, sqlite3_column_int64(st, 0));
		pg_arg_i64(&a, (int64_t)time(NULL));
		if (pg_exec(c->pg_store, c->pg, "event of a job in flight",
		    "INSERT INTO job_events (job, at, state, detail) VALUES "
		    "($1, $2, 'pending', 'in flight when the store was copied; "
		    "lease dropped')", &a, NULL) == -1) {
			sqlite3_finalize(st);
			return copy_pg_fail(c);
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : copy_sq_fail(c, "jobs in flight");
}

/* Everything inside the target's open transaction. */
static int
copy_all(struct copy *c, struct store_copy_stats *stats)
{
	size_t i;

	/* Text from SQLite is UTF-8 whatever the server's default. */
	if (pg_exec(c->pg_store, c->pg, "set the encoding",
	    "SET LOCAL client_encoding = 'UTF8'", NULL, NULL) == -1 ||
	    pg_exec(c->pg_store, c->pg, "lock planning",
	    "SELECT pg_advisory_xact_lock(" PG_LOCK_PLAN ")", NULL, NULL) == -1)
		return copy_pg_fail(c);
	if (copy_target_empty(c) == -1)
		return -1;
	for (i = 0; i < STORE_COPY_TABLES; i++) {
		stats->t[i].table = copy_tables[i].name;
		if (copy_table(c, &copy_tables[i], &stats->t[i].rows) == -1)
			return -1;
		stats->n = i + 1;
	}
	if (copy_unlease(c, &stats->unleased) == -1)
		return -1;
	/* Ids were given, not drawn: the next insert must not reuse one. */
	if (pg_exec(c->pg_store, c->pg, "move the job id sequence",
	    "SELECT setval(pg_get_serial_sequence('job_rows', 'id'), "
	    "(SELECT coalesce(max(id), 0) + 1 FROM job_rows), false)",
	    NULL, NULL) == -1)
		return copy_pg_fail(c);
	return 0;
}

int
store_copy(const char *from, const char *to, const char *password,
    struct store_copy_stats *stats, char *err, size_t errlen)
{
	struct copy c = { .err = err, .errlen = errlen };
	struct store_copy_stats local;
	int rc = -1;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (strncmp(from, "sqlite:", 7) != 0 || from[7] == '\0') {
		snprintf(err, errlen, "from \"%s\": expected sqlite:PATH", from);
		return -1;
	}
	if (strncmp(to, "postgresql:", 11) != 0 &&
	    strncmp(to, "postgres:", 9) != 0) {
		snprintf(err, errlen, "to: expected a postgresql: store");
		return -1;
	}
	c.path = from + 7;
	if (copy_source(&c) == -1)
		goto done;
	if (store_open_auth(to, COPY_OWNER, password, &c.pg_store, err,
	    errlen) == -1)
		goto done;
	c.pg = pg_of(c.pg_store);
	if (pg_exec(c.pg_store, c.pg, "begin", "BEGIN", NULL, NULL) == -1) {
		copy_pg_fail(&c);
		goto done;
	}
	if (copy_all(&c, stats) == 0) {
		if (pg_exec(c.pg_store, c.pg, "commit", "COMMIT", NULL,
		    NULL) == 0)
			rc = 0;
		else
			copy_pg_fail(&c);
	} else {
		/* The first error stays in err; the rollback's is noise. */
		pg_exec(c.pg_store, c.pg, "rollback", "ROLLBACK", NULL, NULL);
	}
done:
	if (c.db != NULL) {
		sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(c.db);
	}
	store_close(c.pg_store);
	return rc;
}
