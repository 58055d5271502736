/*
 * test_store.c - the SQLite store on real files in a temporary directory:
 * schema, idempotent planning and revival, claims, outcomes, history,
 * expiry, submissions and acknowledgements, nodes and leases.
 *
 * With HERALD_TEST_PG_URL set (tests/integration/test_store_pg.sh starts
 * a throwaway PostgreSQL), the same tests, less those about SQLite's
 * files and migrations, run on the PostgreSQL backend instead: each on
 * an empty schema, and the independent look (sql_int) through libpq;
 * and those that only PostgreSQL can run: two nodes on one database,
 * leases renewed and judged by the database's clock.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "unit.h"
#include "store.h"
#include "store_cluster.h"

struct fixture {
	char dir[64];
	char path[200];
	char url[220];
	struct store *s;
	int pg;			/* url and path are HERALD_TEST_PG_URL */
};

/* An empty database for the next test: drop everything herald made. */
static int
pg_reset(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg_reset: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, "SET client_min_messages = warning; "
	    "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "pg_reset: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* What callbacks saw. */
struct seen {
	size_t n;
	char key[64][JOB_KEY_LEN];
	int state[64];
	int64_t next_at[64];
	int64_t due[64];
	unsigned attempts[64];
	char detail[64][96];
};

struct history {
	size_t n;
	int64_t at[16];
	char state[16][16];
	char detail[16][96];
};

static void
seen_job(void *arg, const struct job *j)
{
	struct seen *sn = arg;

	if (sn->n >= 64)
		return;
	strcpy(sn->key[sn->n], j->key);
	sn->state[sn->n] = j->state;
	sn->next_at[sn->n] = j->next_at;
	sn->due[sn->n] = j->due;
	sn->attempts[sn->n] = j->attempts;
	snprintf(sn->detail[sn->n], sizeof(sn->detail[0]), "%s",
	    j->detail ? j->detail : "");
	sn->n++;
}

static void
seen_event(void *arg, int64_t at, const char *state, const char *detail)
{
	struct history *h = arg;

	if (h->n >= 16)
		return;
	h->at[h->n] = at;
	snprintf(h->state[h->n], sizeof(h->state[0]), "%s", state);
	snprintf(h->detail[h->n], sizeof(h->detail[0]), "%s",
	    detail ? detail : "");
	h->n++;
}

static void
job_init(struct job *j, const char *item, enum job_kind kind,
    int64_t offset, const char *contact, const char *channel, int64_t due)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->priority = job_kind_priority(kind);
	j->campaign = "cpm";
	j->item = item;
	j->offset = offset;
	j->contact = contact;
	j->channel = channel;
	j->due = due;
	j->next_at = due;
	j->item_at = due + offset;
	job_make_key(j->key, j->campaign, item, kind, offset, contact,
	    channel);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	strcpy(f->dir, "/tmp/herald-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/herald.db", f->dir);
	snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	if (getenv("HERALD_TEST_PG_URL") != NULL) {
		f->pg = 1;
		snprintf(f->url, sizeof(f->url), "%s",
		    getenv("HERALD_TEST_PG_URL"));
		snprintf(f->path, sizeof(f->path), "%.190s", f->url);
		if (pg_reset(f->url) == -1)
			return -1;
	}
	if (store_open(f->url, "test-node", &f->s, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Plan the n jobs of v as one generation. */
static void
plan(struct store *s, const struct job *v, size_t n,
    struct store_plan_stats *st)
{
	size_t i;

	assert_int_equal(store_plan_begin(s), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(store_plan_put(s, &v[i]), 0);
	assert_int_equal(store_plan_end(s, st), 0);
}

static int
state_of(struct store *s, const char *key)
{
	struct seen sn = { 0 };
	int found;

	assert_int_equal(store_get(s, key, seen_job, &sn, &found), 0);
	assert_true(found);
	return sn.state[0];
}

static void
record(struct store *s, const char *key, enum store_outcome o, int64_t at,
    int64_t next_at, const char *detail)
{
	struct store_result r = { .outcome = o, .at = at, .next_at = next_at,
	    .detail = detail };

	if (store_record(s, key, &r) != 0)
		fail_msg("store_record: %s", store_error(s));
}

/* sql_int() on PostgreSQL, through libpq. */
static int64_t
sql_int_pg(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int64_t v = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Read a single integer with the sqlite3 library directly (or libpq, for
 * a PostgreSQL URL): an independent look at the store. */
static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	if (strncmp(path, "postgres", 8) == 0)
		return sql_int_pg(path, sql);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A submission by contact, who has no unit: the party is the contact. */
static int
submit_one(struct store *s, const char *campaign, const char *deadline,
    const char *contact, int64_t at, const char *via, size_t *n)
{
	const char *const members[1] = { contact };
	struct store_party p = { NULL, contact, members, 1 };

	return store_submit(s, campaign, deadline, &p, at, via, NULL, n);
}

static void
test_open_schema(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(store_schema_version(f->s), 9);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 9);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('job_rows', 'job_events', "
	    "'submissions', 'job_acks', 'meta', 'nodes')"), 6);
	/* The shell-facing names are views over them. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'view' AND name IN ('jobs', 'events', 'acks')"), 3);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[2];
	struct seen sn = { 0 };
	char err[256];
	int found;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	plan(f->s, v, 2, &st);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->url, "test-node", &f->s, err,
	    sizeof(err)), 0);
	assert_int_equal(store_schema_version(f->s), 9);
	assert_int_equal(store_get(f->s, v[1].key, seen_job, &sn, &found), 0);
	assert_true(found);
	assert_int_equal(sn.due[0], 1000);
	assert_int_equal(sn.state[0], JOB_PENDING);
	/* The generation counter persisted too: planning again still knows
	 * which rows are current. */
	plan(f->s, v, 1, &st);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(sql_int(f->path, "SELECT value FROM meta "
	    "WHERE name = 'plan_gen'"), 2);
}

static void
test_plan_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[20];
	char contact[8];
	size_t i, counts[JOB_STATE_COUNT];

	for (i = 0; i < 20; i++) {
		snprintf(contact, sizeof(contact), "p%zu", i);
		job_init(&v[i], "d1", JOB_REMINDER, 3600, strdup(contact),
		    "sms", 5000 + (int64_t)i);
	}
	plan(f->s, v, 20, &st);
	assert_int_equal(st.inserted, 20);
	assert_int_equal(st.updated + st.unchanged + st.cancelled, 0);
	plan(f->s, v, 20, &st);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.unchanged, 20);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 20);
	/* Planning writes no event rows. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 0);
	for (i = 0; i < 20; i++)
		free((char *)v[i].contact);
}

static void
test_plan_removal_cancels_one(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[3];
	size_t counts[JOB_STATE_COUNT];

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	job_init(&v[2], "d1", JOB_OVERDUE, 0, "p1", "email", 4600);
	plan(f->s, v, 3, &st);
	/* Drop v[1]. */
	v[1] = v[2];
	plan(f->s, v, 2, &st);
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 2);
	assert_int_equal(counts[JOB_CANCELLED], 1);

	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	assert_int_equal(state_of(f->s, v[1].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[0], "pending");
	assert_string_equal(h.detail[0], "planned");
	assert_string_equal(h.state[1], "cancelled");
	assert_string_equal(h.detail[1], "removed from config");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 1);
}

static void
test_plan_moved_due(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[3];
	int found;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	job_init(&v[2], "d1", JOB_REMINDER, 3600, "p3", "email", 1000);
	plan(f->s, v, 3, &st);
	v[1].due = 2000;
	v[1].next_at = 2000;
	v[1].item_at = 5600;
	plan(f->s, v, 3, &st);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.inserted + st.cancelled, 0);
	assert_int_equal(store_get(f->s, v[1].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[0], 2000);
	assert_int_equal(sn.next_at[0], 2000);
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[1], 1000);
	assert_int_equal(sql_int(f->path, "SELECT item_at FROM jobs "
	    "WHERE contact = 'p2'"), 5600);
}

static void
test_plan_leaves_non_pending(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[3];
	size_t n;
	int found;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 200);
	job_init(&v[2], "d1", JOB_REMINDER, 3600, "p3", "email", 5000);
	plan(f->s, v, 3, &st);
	assert_int_equal(store_claim(f->s, 150, 150, 10, NULL, 0, 999, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 1);
	record(f->s, v[0].key, STORE_DELIVERED, 160, 0, "250 ok");
	assert_int_equal(store_claim(f->s, 250, 250, 10, NULL, 0, 999, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 1);		/* v[1] in flight */

	/* Move the delivered one, drop the in-flight one. */
	v[0].due = v[0].next_at = 9000;
	plan(f->s, v, 1, &st);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.cancelled, 1);	/* only v[2], still pending */
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.state[0], JOB_DELIVERED);
	assert_int_equal(sn.due[0], 100);
	assert_int_equal(state_of(f->s, v[1].key), JOB_INFLIGHT);
	assert_int_equal(state_of(f->s, v[2].key), JOB_CANCELLED);
}

static void
test_plan_abort(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[2];
	size_t counts[JOB_STATE_COUNT];

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 100);
	plan(f->s, v, 1, &st);
	assert_int_equal(store_plan_begin(f->s), 0);
	assert_int_equal(store_plan_put(f->s, &v[1]), 0);
	store_plan_abort(f->s);
	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 1);
	/* Usable again after an abort. */
	plan(f->s, v, 2, &st);
	assert_int_equal(st.inserted, 1);
	assert_int_equal(store_plan_put(f->s, &v[0]), -1);
	assert_non_null(strstr(store_error(f->s), "outside a plan"));
}

/* The text of the first column of the first row of sql, read with the
 * sqlite3 library directly, into out ("" for no row or NULL). */
static void
sql_text(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Every index of job_rows with its text, by name. */
#define JOB_INDEXES_SQL "SELECT group_concat(name || ': ' || " \
	"ifnull(sql, '(auto)'), char(10)) FROM (SELECT name, sql " \
	"FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job_rows' " \
	"ORDER BY name)"
/* 1 when jobs_key, jobs_state_next and jobs_contact_next come after
 * jobs_owner in sqlite_master, where only a rebuild puts them (schema
 * version 9 made them all, jobs_owner last). */
#define JOB_INDEXES_REBUILT_SQL "SELECT (SELECT min(rowid) FROM " \
	"sqlite_master WHERE name IN ('jobs_key', 'jobs_state_next', " \
	"'jobs_contact_next')) > (SELECT rowid FROM sqlite_master " \
	"WHERE name = 'jobs_owner')"
/* The key's unique index as schema version 9 made it. */
#define JOBS_KEY_TEXT "jobs_key: CREATE UNIQUE INDEX jobs_key ON job_rows (key)"

/* Run sql on a connection of its own, read-write, foreign keys on as in
 * the store; the SQLite result code. */
static int
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL,
	    NULL, NULL), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void
jobs_for_index_tests(struct job *v, size_t n)
{
	char contact[24];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(contact, sizeof(contact), "p%zu", n - i);
		job_init(&v[i], i % 2 ? "d1" : "d2", JOB_REMINDER,
		    3600 * (int64_t)(i % 3), strdup(contact), "sms",
		    9000 - (int64_t)i * 7);
	}
}

/*
 * A plan into an empty store drops job_rows' secondary indexes and makes
 * them again before its commit: the same indexes with the same text,
 * each holding every row (integrity_check compares each index with the
 * table), and the queries that use them find the rows.
 */
static void
test_plan_empty_rebuilds_indexes(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[40];
	struct seen sn = { 0 };
	char before[2048], after[2048], check[64];
	size_t i, n;
	int found;

	jobs_for_index_tests(v, 40);
	sql_text(f->path, JOB_INDEXES_SQL, before, sizeof(before));
	assert_non_null(strstr(before, "jobs_contact_next: CREATE INDEX "
	    "jobs_contact_next ON job_rows   (contact, next_at)"));
	assert_non_null(strstr(before, JOBS_KEY_TEXT));
	assert_null(strstr(before, "(auto)"));
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 0);
	plan(f->s, v, 40, &st);
	assert_int_equal(st.inserted, 40);
	sql_text(f->path, JOB_INDEXES_SQL, after, sizeof(after));
	assert_string_equal(after, before);
	/* The rebuild did run (so the checks below are about it). */
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 1);
	sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "INDEXED BY jobs_contact_next WHERE contact > ''"), 40);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "INDEXED BY jobs_item_contact WHERE campaign = 'cpm' "
	    "AND item = 'd1'"), 20);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "INDEXED BY jobs_next WHERE next_at > 0"), 40);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "INDEXED BY jobs_state_next WHERE state = 'pending'"), 40);
	assert_int_equal(sql_int(f->path, "SELECT count(DISTINCT key) FROM "
	    "job_rows INDEXED BY jobs_key WHERE key > x''"), 40);
	/* jobs_key, made by the plan, still refuses a key twice: to SQL
	 * directly, to an insert, and to a plan (two puts, one row). */
	assert_int_equal(sql_exec(f->path, "INSERT INTO job_rows (key, kind, "
	    "priority, campaign, item, offset_s, contact, channel, due, "
	    "next_at, item_at, state, created, updated) SELECT key, kind, "
	    "priority, campaign, item, offset_s, contact, channel, due, "
	    "next_at, item_at, state, created, updated FROM job_rows "
	    "LIMIT 1"), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(store_insert(f->s, &v[3]), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"),
	    40);
	assert_int_equal(store_plan_begin(f->s), 0);
	assert_int_equal(store_plan_put(f->s, &v[0]), 0);
	assert_int_equal(store_plan_put(f->s, &v[0]), 0);
	store_plan_abort(f->s);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"),
	    40);
	/* The same rows as a plan that kept its indexes: each job as put. */
	for (i = 0; i < 40; i++) {
		assert_int_equal(store_get(f->s, v[i].key, seen_job, &sn,
		    &found), 0);
		assert_true(found);
		assert_int_equal(sn.n, i + 1);
		assert_int_equal(sn.due[i], v[i].due);
		assert_int_equal(sn.state[i], JOB_PENDING);
	}
	/* The claim reads jobs_state_next: the earliest due first. */
	sn.n = 0;
	assert_int_equal(store_claim(f->s, 100000, 100000, 1, NULL, 0, 0,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[0], v[39].key);
	/* Not empty any more: a re-plan keeps the indexes where they are. */
	n = (size_t)sql_int(f->path, "SELECT rowid FROM sqlite_master "
	    "WHERE name = 'jobs_next'");
	plan(f->s, v, 40, &st);
	assert_int_equal(st.unchanged, 40);
	assert_int_equal(sql_int(f->path, "SELECT rowid FROM sqlite_master "
	    "WHERE name = 'jobs_next'"), (int64_t)n);
	sql_text(f->path, JOB_INDEXES_SQL, after, sizeof(after));
	assert_string_equal(after, before);
	for (i = 0; i < 40; i++)
		free((char *)v[i].contact);
}

/*
 * A plan into an empty store that does not commit leaves the indexes as
 * they were, in place; while it runs, other connections still see them.
 */
static void
test_plan_abort_keeps_indexes(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[10];
	char before[2048], after[2048], check[64];
	size_t i;

	jobs_for_index_tests(v, 10);
	sql_text(f->path, JOB_INDEXES_SQL, before, sizeof(before));
	assert_int_equal(store_plan_begin(f->s), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(store_plan_put(f->s, &v[i]), 0);
	/* A reader (heraldctl) meanwhile: the last committed schema. */
	sql_text(f->path, JOB_INDEXES_SQL, after, sizeof(after));
	assert_string_equal(after, before);
	store_plan_abort(f->s);
	sql_text(f->path, JOB_INDEXES_SQL, after, sizeof(after));
	assert_string_equal(after, before);
	assert_non_null(strstr(after, JOBS_KEY_TEXT));
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"), 0);
	sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
	assert_string_equal(check, "ok");
	/* The next plan still works, and rebuilds. */
	plan(f->s, v, 10, &st);
	assert_int_equal(st.inserted, 10);
	sql_text(f->path, JOB_INDEXES_SQL, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 1);
	for (i = 0; i < 10; i++)
		free((char *)v[i].contact);
}

/*
 * A plan into an empty store has no jobs_key while it inserts, so a key
 * put twice is inserted twice until plan_end folds them: the outcome must
 * be the one a plan with the index gives (the store not empty), stats
 * and rows alike.  a, b, a again (same due), c, c moved, a moved.
 */
static void
plan_twice_put(struct fixture *f, const struct job *v, size_t extra,
    struct store_plan_stats *st)
{
	struct job w[6];

	w[0] = v[0];
	w[1] = v[1];
	w[2] = v[0];
	w[3] = v[2];
	w[4] = v[2];
	w[4].due += 60;
	w[4].next_at += 60;
	w[5] = v[0];
	w[5].due += 120;
	w[5].next_at += 120;
	plan(f->s, w, 6, st);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"),
	    (int64_t)(3 + extra));
	assert_int_equal(sql_int(f->path, "SELECT count(DISTINCT key) FROM "
	    "job_rows"), (int64_t)(3 + extra));
}

static void
test_plan_empty_key_twice(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st, st2;
	struct job v[4];
	struct seen sn = { 0 };
	char idx[2048], check[64], before[2048];
	int found;

	jobs_for_index_tests(v, 4);
	sql_text(f->path, JOB_INDEXES_SQL, before, sizeof(before));
	plan_twice_put(f, v, 0, &st);
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 1);
	assert_int_equal(st.inserted, 3);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.updated, 2);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_true(found);
	assert_int_equal(sn.due[0], v[0].due + 120);
	assert_int_equal(sn.next_at[0], v[0].next_at + 120);
	assert_int_equal(store_get(f->s, v[2].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[1], v[2].due + 60);
	assert_int_equal(store_get(f->s, v[1].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[2], v[1].due);
	sql_text(f->path, JOB_INDEXES_SQL, idx, sizeof(idx));
	assert_string_equal(idx, before);
	sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
	assert_string_equal(check, "ok");

	/* The same puts into a store that is not empty (v[3], inserted
	 * outside planning and so kept): the index is there all along. */
	assert_int_equal(sql_exec(f->path, "DELETE FROM job_rows"), SQLITE_OK);
	assert_int_equal(store_insert(f->s, &v[3]), 0);
	plan_twice_put(f, v, 1, &st2);
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 1);
	assert_int_equal(st2.inserted, st.inserted);
	assert_int_equal(st2.unchanged, st.unchanged);
	assert_int_equal(st2.updated, st.updated);
	assert_int_equal(st2.cancelled, st.cancelled);
	sn.n = 0;
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[0], v[0].due + 120);
	assert_int_equal(store_get(f->s, v[2].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.due[1], v[2].due + 60);
	for (size_t i = 0; i < 4; i++)
		free((char *)v[i].contact);
}

/*
 * A plan into an empty store inserts its puts in batches (32 rows to an
 * INSERT, their strings copied until then): more puts than a batch, with
 * strings that fill the copy early and one larger than it, each row as
 * put, a key put again across batches folded as above.
 */
static void
test_plan_empty_batches(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[101];
	struct seen sn = { 0 };
	char *big, check[64], q[160];
	size_t i, len, sum = 0;
	int found;

	big = malloc(20001);
	memset(big, 'i', 20000);
	big[20000] = '\0';
	for (i = 0; i < 100; i++) {
		/* Contacts of 1 to 3,001 characters: a few fill the copy. */
		char *contact;

		len = i % 7 == 3 ? 3000 + i % 2 : 1 + i % 5;
		contact = malloc(len + 1);
		memset(contact, 'a' + (int)(i % 26), len);
		contact[len] = '\0';
		job_init(&v[i], i == 50 ? big : "d1", JOB_REMINDER,
		    (int64_t)i, contact, "sms", 7000 + (int64_t)i);
		sum += len;
	}
	v[100] = v[1];
	v[100].due += 60;
	v[100].next_at += 60;
	plan(f->s, v, 101, &st);
	assert_int_equal(st.inserted, 100);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.unchanged + st.cancelled, 0);
	assert_int_equal(sql_int(f->path, JOB_INDEXES_REBUILT_SQL), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"),
	    100);
	assert_int_equal(sql_int(f->path, "SELECT sum(length(contact)) "
	    "FROM job_rows"), (int64_t)sum);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "WHERE length(item) = 20000"), 1);
	sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
	assert_string_equal(check, "ok");
	for (i = 0; i < 100; i++) {
		sn.n = 0;
		assert_int_equal(store_get(f->s, v[i].key, seen_job, &sn,
		    &found), 0);
		assert_true(found);
		assert_int_equal(sn.due[0], v[i].due + (i == 1 ? 60 : 0));
		assert_int_equal(sn.state[0], JOB_PENDING);
		snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE "
		    "key = '%.36s' AND length(contact) = %zu AND offset_s = %zu",
		    v[i].key, strlen(v[i].contact), i);
		assert_int_equal(sql_int(f->path, q), 1);
	}
	/* A re-plan finds them all. */
	plan(f->s, v, 100, &st);
	assert_int_equal(st.updated, 1);	/* v[1] back to its due */
	assert_int_equal(st.unchanged, 99);
	assert_int_equal(st.inserted + st.cancelled, 0);
	for (i = 0; i < 100; i++)
		free((char *)v[i].contact);
	free(big);
}

/* A v8 job_rows, its key UNIQUE as a column constraint, for the
 * migration test: the table and its indexes as versions 2 to 8 left
 * them, made from the current one's rows. */
static const char v8_job_rows[] =
	"PRAGMA foreign_keys = OFF;"
	"BEGIN;"
	"DROP VIEW jobs; DROP VIEW events; DROP VIEW acks; DROP VIEW receipts;"
	"CREATE TABLE v8 (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL, priority INTEGER NOT NULL,"
	"  campaign TEXT NOT NULL, item TEXT NOT NULL,"
	"  offset_s INTEGER NOT NULL, contact TEXT NOT NULL,"
	"  channel TEXT NOT NULL, due INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL, item_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  lateness_ms INTEGER NOT NULL DEFAULT 0, fallback_of TEXT,"
	"  owner TEXT, lease_until INTEGER, plan_gen INTEGER,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	"  last_detail TEXT, plan_cancelled INTEGER, incident TEXT);"
	"INSERT INTO v8 SELECT * FROM job_rows;"
	"DROP TABLE job_rows;"
	"ALTER TABLE v8 RENAME TO job_rows;"
	"CREATE INDEX jobs_state_next ON job_rows (state, priority, next_at);"
	"CREATE INDEX jobs_item_contact ON job_rows (campaign, item, contact);"
	"CREATE INDEX jobs_next ON job_rows (next_at);"
	"CREATE INDEX jobs_contact_next ON job_rows (contact, next_at);"
	"CREATE INDEX jobs_incident ON job_rows (incident)"
	"  WHERE incident IS NOT NULL;"
	"CREATE INDEX jobs_owner ON job_rows (owner, lease_until)"
	"  WHERE state = 'inflight';"
	"CREATE VIEW jobs AS SELECT hex(key) AS key FROM job_rows;"
	"CREATE VIEW events AS SELECT job FROM job_events;"
	"CREATE VIEW acks AS SELECT job FROM job_acks;"
	"CREATE VIEW receipts AS SELECT job FROM job_receipts;"
	"PRAGMA user_version = 8;"
	"COMMIT;";

/*
 * Version 9 makes job_rows again for jobs_key: a store of version 8 with
 * jobs, events, an ack and a receipt opens with all of them, the same
 * ids, foreign keys and indexes sound, the views back, and the key index
 * refusing a key twice.
 */
static void
test_migrate_v8_jobs_key(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[3];
	char err[512], idx[2048], now[2048], check[64], q[200];
	size_t n;
	int acked = 0;

	jobs_for_index_tests(v, 3);
	plan(f->s, v, 3, &st);
	record(f->s, v[1].key, STORE_DELIVERED, 2000, 0, "ok");
	assert_int_equal(store_ack(f->s, v[1].key, 2100, "link"), 0);
	assert_int_equal(store_receipt(f->s, v[1].key, 1, 1, 2050, "dlr"), 0);
	sql_text(f->path, JOB_INDEXES_SQL, idx, sizeof(idx));
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sql_exec(f->path, v8_job_rows), SQLITE_OK);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 8);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'sqlite_autoindex_job_rows_1'"), 1);

	if (store_open(f->url, "test-node", &f->s, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_schema_version(f->s), 9);
	sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
	assert_string_equal(check, "ok");
	sql_text(f->path, "SELECT count(*) FROM pragma_foreign_key_check",
	    check, sizeof(check));
	assert_string_equal(check, "0");
	/* The same index texts as a new store's, jobs_key in place of the
	 * automatic index. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE name LIKE 'sqlite_autoindex_job_rows%'"), 0);
	sql_text(f->path, JOB_INDEXES_SQL, now, sizeof(now));
	assert_string_equal(now, idx);
	assert_non_null(strstr(now, JOBS_KEY_TEXT));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND sql LIKE '%UNIQUE%' "
	    "AND name = 'job_rows'"), 0);
	/* The rows, by the same ids, and what points at them. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"), 3);
	assert_int_equal(state_of(f->s, v[1].key), JOB_DELIVERED);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	for (n = 0; n < h.n && strcmp(h.detail[n], "ok") != 0; n++)
		;
	assert_true(n < h.n);
	assert_string_equal(h.state[n], "delivered");
	assert_int_equal(h.at[n], 2000);
	assert_int_equal(store_is_acked(f->s, v[1].key, &acked, NULL), 0);
	assert_true(acked);
	assert_int_equal(store_receipts(f->s, v[1].key, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	/* The views are back, with text keys. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs j JOIN events e "
	    "ON e.key = j.key JOIN acks a ON a.key = j.key JOIN receipts r "
	    "ON r.key = j.key WHERE j.key = '%s'", v[1].key);
	assert_true(sql_int(f->path, q) >= 1);
	/* jobs_key refuses a key twice; planning goes on from the rows. */
	assert_int_equal(sql_exec(f->path, "INSERT INTO job_rows (key, kind, "
	    "priority, campaign, item, offset_s, contact, channel, due, "
	    "next_at, item_at, state, created, updated) SELECT key, kind, "
	    "priority, campaign, item, offset_s, contact, channel, due, "
	    "next_at, item_at, state, created, updated FROM job_rows "
	    "LIMIT 1"), SQLITE_CONSTRAINT_UNIQUE);
	plan(f->s, v, 3, &st);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.unchanged, 3);
	for (size_t i = 0; i < 3; i++)
		free((char *)v[i].contact);
}

/*
 * A re-plan tries the row after the last one found first: jobs put in
 * another order, with one gone and one new, are still each found once.
 */
static void
test_plan_other_order(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[12], w[12];
	size_t i, counts[JOB_STATE_COUNT];

	jobs_for_index_tests(v, 12);
	plan(f->s, v, 11, &st);
	assert_int_equal(st.inserted, 11);
	/* Backwards, without v[5], with v[11]. */
	for (i = 0; i < 11; i++)
		w[i] = v[i < 6 ? 11 - i : 10 - i];
	plan(f->s, w, 11, &st);
	assert_int_equal(st.inserted, 1);
	assert_int_equal(st.unchanged, 10);
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(state_of(f->s, v[5].key), JOB_CANCELLED);
	/* In the first order again: v[5] revived, v[11] kept. */
	plan(f->s, v, 12, &st);
	assert_int_equal(st.revived, 1);
	assert_int_equal(st.unchanged, 11);
	assert_int_equal(st.inserted + st.cancelled + st.updated, 0);
	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 12);
	for (i = 0; i < 12; i++)
		free((char *)v[i].contact);
}

static void
test_claim_order(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[6];
	size_t n;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 100);
	job_init(&v[1], "plan", JOB_EMERGENCY, 0, "p1", "sms", 300);
	job_init(&v[2], "digest", JOB_DIGEST, 0, "p1", "email", 50);
	job_init(&v[3], "launch", JOB_LAUNCH, 0, "p1", "email", 200);
	job_init(&v[4], "d2", JOB_REMINDER, 3600, "p1", "email", 90);
	job_init(&v[5], "d3", JOB_REMINDER, 3600, "p1", "email", 10000);
	plan(f->s, v, 6, &st);

	/* Claimed at 990, ten seconds ahead, for a lease to 1300. */
	assert_int_equal(store_claim(f->s, 990, 1000, 2, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sn.key[0], v[1].key);	/* emergency */
	assert_string_equal(sn.key[1], v[3].key);	/* launch */
	assert_int_equal(sn.state[0], JOB_INFLIGHT);
	assert_int_equal(store_claim(f->s, 990, 1000, 10, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(sn.key[2], v[4].key);	/* reminder at 90 */
	assert_string_equal(sn.key[3], v[0].key);	/* reminder at 100 */
	assert_string_equal(sn.key[4], v[2].key);	/* digest, last */
	/* The future job stays. */
	assert_int_equal(store_claim(f->s, 1000, 1000, 10, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(state_of(f->s, v[5].key), JOB_PENDING);
	/* PostgreSQL keeps the lease on the database's clock: its length
	 * from the claim (lease_until - now = 310 s, not the 300 s from
	 * the look-ahead's end: a node believes 1300, and the database
	 * must not end the lease before it) from the database's now. */
	if (f->pg)
		assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs "
		    "WHERE state = 'inflight' AND owner = 'test-node' AND "
		    "lease_until BETWEEN extract(epoch from now())::bigint + 305 "
		    "AND extract(epoch from now())::bigint + 311"), 5);
	else
		assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs "
		    "WHERE state = 'inflight' AND owner = 'test-node' AND "
		    "lease_until = 1300"), 5);
	/* Claims write no events. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 0);
}

static void
test_claim_skip(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[4];
	const char *skip[] = { "sms", "wecom" };
	size_t n;

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p1", "email", 110);
	job_init(&v[2], "d1", JOB_REMINDER, 0, "p1", "wecom", 90);
	job_init(&v[3], "d1", JOB_EMERGENCY, 0, "p1", "sms", 80);
	plan(f->s, v, 4, &st);
	assert_int_equal(store_claim(f->s, 1000, 1000, 10, skip, 2, 2000,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[0], v[1].key);
	assert_int_equal(store_claim(f->s, 1000, 1000, 10, skip, 1, 2000,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[1], v[2].key);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[3].key), JOB_PENDING);
}

static void
test_next_due(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[3];
	int64_t at = 0;
	int found = 1;
	size_t n;

	assert_int_equal(store_next_due(f->s, &at, &found), 0);
	assert_false(found);
	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 700);
	job_init(&v[1], "digest", JOB_DIGEST, 0, "p1", "sms", 500);
	job_init(&v[2], "plan", JOB_EMERGENCY, 0, "p1", "sms", 900);
	plan(f->s, v, 3, &st);
	assert_int_equal(store_next_due(f->s, &at, &found), 0);
	assert_true(found);
	assert_int_equal(at, 500);
	assert_int_equal(store_claim(f->s, 600, 600, 10, NULL, 0, 999, NULL,
	    NULL, &n), 0);
	assert_int_equal(store_next_due(f->s, &at, &found), 0);
	assert_int_equal(at, 700);
}

/* Plan two reminders due at 100, for p1 and p2 on "sms", into v and
 * claim both (in flight, leased until 400). */
static void
plan_two_in_flight(struct store *s, struct job v[2])
{
	size_t n;

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 100);
	plan(s, v, 2, NULL);
	assert_int_equal(store_claim(s, 100, 100, 10, NULL, 0, 400, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 2);
}

static void
test_recover(void **state)
{
	struct fixture *f = *state;
	struct history h = { 0 };
	struct job v[2];
	size_t n;

	plan_two_in_flight(f->s, v);
	record(f->s, v[1].key, STORE_DELIVERED, 120, 0, NULL);
	assert_int_equal(store_recover(f->s, 1000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[1].key), JOB_DELIVERED);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "owner IS NOT NULL OR lease_until IS NOT NULL"), 0);
	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[1], "pending");
	assert_int_equal(h.at[1], 1000);
	assert_non_null(strstr(h.detail[1], "recovered"));
	/* Claimable again. */
	assert_int_equal(store_claim(f->s, 100, 100, 10, NULL, 0, 400, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 1);
}

static void
test_record_outcomes(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct store_result r = { 0 };
	struct history h = { 0 };
	struct seen sn = { 0 };
	struct job v[4];
	size_t n;
	int found;

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 100);
	job_init(&v[2], "d1", JOB_REMINDER, 0, "p3", "sms", 100);
	job_init(&v[3], "d1", JOB_REMINDER, 0, "p4", "sms", 100);
	plan(f->s, v, 4, &st);
	assert_int_equal(store_claim(f->s, 100, 100, 10, NULL, 0, 400, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 4);

	/* v[0]: retry, defer, then delivered late. */
	record(f->s, v[0].key, STORE_RETRY, 110, 200, "451 try later");
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.state[0], JOB_PENDING);
	assert_int_equal(sn.attempts[0], 1);
	assert_int_equal(sn.next_at[0], 200);
	assert_int_equal(sn.due[0], 100);
	record(f->s, v[0].key, STORE_DEFER, 200, 300, "quiet hours");
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.attempts[1], 1);
	assert_int_equal(sn.next_at[1], 300);
	r.outcome = STORE_DELIVERED;
	r.at = 305;
	r.late = 1;
	r.lateness_ms = 205000;
	r.detail = "250 queued";
	assert_int_equal(store_record(f->s, v[0].key, &r), 0);
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.state[2], JOB_DELIVERED);
	assert_string_equal(sn.detail[2], "250 queued");
	assert_int_equal(sql_int(f->path, "SELECT late * 1000000 + "
	    "lateness_ms FROM jobs WHERE contact = 'p1'"), 1205000);

	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.state[0], "pending");
	assert_string_equal(h.state[1], "pending");
	assert_string_equal(h.detail[1], "451 try later");
	assert_int_equal(h.at[1], 110);
	assert_string_equal(h.state[2], "pending");
	assert_string_equal(h.detail[2], "quiet hours");
	assert_string_equal(h.state[3], "delivered");
	assert_int_equal(h.at[3], 305);

	record(f->s, v[1].key, STORE_FAILED, 120, 0, "550 no such user");
	record(f->s, v[2].key, STORE_MISSED, 130, 0, NULL);
	record(f->s, v[3].key, STORE_CANCELLED, 140, 0, "by operator");
	assert_int_equal(state_of(f->s, v[1].key), JOB_FAILED);
	assert_int_equal(state_of(f->s, v[2].key), JOB_MISSED);
	assert_int_equal(state_of(f->s, v[3].key), JOB_CANCELLED);
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[1], "failed");
	assert_string_equal(h.detail[1], "550 no such user");

	/* A finished job takes no second outcome. */
	assert_int_equal(store_record(f->s, v[1].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "already failed"));
	/* Unknown and malformed keys. */
	assert_int_equal(store_record(f->s,
	    "00000000-0000-5000-8000-000000000000", &r), -1);
	assert_non_null(strstr(store_error(f->s), "no job"));
	assert_int_equal(store_record(f->s, "x'; DROP TABLE jobs; --", &r),
	    -1);
	assert_non_null(strstr(store_error(f->s), "invalid job key"));
	/* Almost keys: upper case, a non-digit, a dash moved, one character
	 * short or long; the well-formed one of the same shape is only
	 * unknown. */
	{
		static const char *const bad[] = {
			"00000000-0000-5000-8000-00000000000A",
			"00000000-0000-5000-8000-00000000000g",
			"0000000-00000-5000-8000-000000000000",
			"00000000-0000-5000-8000-00000000000",
			"00000000-0000-5000-8000-0000000000000",
			"00000000-0000-5000-8000+000000000000",
			"",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(store_record(f->s, bad[i], &r), -1);
			assert_non_null(strstr(store_error(f->s),
			    "invalid job key"));
		}
		assert_int_equal(store_record(f->s,
		    "0123abcd-ef45-5000-8000-00000000000f", &r), -1);
		assert_non_null(strstr(store_error(f->s), "no job"));
	}
}

static void
test_record_batch(void **state)
{
	struct fixture *f = *state;
	struct job v[2];

	plan_two_in_flight(f->s, v);
	assert_int_equal(store_begin(f->s), 0);
	record(f->s, v[0].key, STORE_DELIVERED, 110, 0, NULL);
	/* A failed record inside a batch undoes only itself. */
	record(f->s, v[1].key, STORE_DELIVERED, 110, 0, NULL);
	{
		struct store_result r = { .outcome = STORE_FAILED, .at = 1 };
		assert_int_equal(store_record(f->s, v[1].key, &r), -1);
	}
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs "
	    "WHERE state = 'delivered'"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 2);
	assert_int_equal(store_commit(f->s), -1);
}

/*
 * A record in a batch takes no savepoint of its own (issue 17): when its
 * event cannot be written after its row changed, the failure is the
 * whole batch's (a fault, rolled back by the caller as the dispatcher
 * does), so no job is ever committed as delivered without its event.
 * The event is refused here by a trigger.
 */
static void
test_record_half_is_fault(void **state)
{
	struct fixture *f = *state;
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 110,
	    .detail = "refuse me" };
	struct job v[2];
	int rc;

	plan_two_in_flight(f->s, v);
	assert_int_equal(sql_exec(f->path, "CREATE TRIGGER refuse BEFORE "
	    "INSERT ON job_events WHEN NEW.detail = 'refuse me' "
	    "BEGIN SELECT RAISE(ABORT, 'refused'); END"), SQLITE_OK);
	assert_int_equal(store_begin(f->s), 0);
	record(f->s, v[0].key, STORE_DELIVERED, 110, 0, NULL);
	assert_int_equal(store_record(f->s, v[1].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "refused"));
	assert_true(store_is_fault(f->s));
	rc = store_is_fault(f->s) ? store_rollback(f->s) : store_commit(f->s);
	assert_int_equal(rc, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs j "
	    "WHERE state = 'delivered' AND NOT EXISTS (SELECT 1 FROM events e "
	    "WHERE e.key = j.key AND e.state = 'delivered')"), 0);
	assert_int_equal(state_of(f->s, v[0].key), JOB_INFLIGHT);
	assert_int_equal(state_of(f->s, v[1].key), JOB_INFLIGHT);

	/* Tried again without the refusal, the batch goes in whole. */
	assert_int_equal(sql_exec(f->path, "DROP TRIGGER refuse"), SQLITE_OK);
	assert_int_equal(store_begin(f->s), 0);
	record(f->s, v[0].key, STORE_DELIVERED, 110, 0, NULL);
	record(f->s, v[1].key, STORE_DELIVERED, 110, 0, "refuse me");
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events "
	    "WHERE state = 'delivered'"), 2);
}

static void
test_expire(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct history h = { 0 };
	struct job v[4];
	int64_t grace[JOB_KIND_COUNT];
	size_t n, k;

	for (k = 0; k < JOB_KIND_COUNT; k++)
		grace[k] = 600;
	grace[JOB_DIGEST] = 60;
	grace[JOB_EMERGENCY] = 0;
	/* now = 10000 */
	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 9500);  /* inside */
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 9000);  /* beyond */
	job_init(&v[2], "digest", JOB_DIGEST, 0, "p1", "sms", 9900); /* beyond */
	job_init(&v[3], "plan", JOB_EMERGENCY, 0, "p1", "sms", 100);
	plan(f->s, v, 4, &st);
	assert_int_equal(store_expire(f->s, 10000, grace, seen_job, &sn, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.key[0], v[1].key);
	assert_int_equal(sn.state[0], JOB_MISSED);
	assert_string_equal(sn.detail[0], "missed: overdue by 1000s beyond grace");
	assert_string_equal(sn.key[1], v[2].key);
	assert_string_equal(sn.detail[1], "missed: overdue by 100s beyond grace");
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[3].key), JOB_PENDING);
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[1], "missed");
	assert_int_equal(h.at[1], 10000);
	/* Exactly at the edge is still inside. */
	assert_int_equal(store_expire(f->s, 10100, grace, NULL, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_expire(f->s, 10101, grace, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f->s, v[3].key), JOB_PENDING);
}

static void
test_submit(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[7];
	size_t n;
	int sub;
	int64_t sub_at = 0;

	job_init(&v[0], "d1", JOB_REMINDER, 86400, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p1", "email", 200);
	job_init(&v[2], "d1", JOB_OVERDUE, 0, "p1", "sms", 300);
	job_init(&v[3], "d1", JOB_ESCALATION, -3600, "p1", "sms", 400);
	job_init(&v[4], "d1", JOB_REMINDER, 3600, "p2", "sms", 200);
	job_init(&v[5], "d2", JOB_REMINDER, 3600, "p1", "sms", 200);
	job_init(&v[6], "d1", JOB_REMINDER, 7200, "p1", "sms", 50);
	plan(f->s, v, 7, &st);
	/* v[6] already delivered: not counted, not touched. */
	assert_int_equal(store_claim(f->s, 60, 60, 10, NULL, 0, 400, NULL, NULL,
	    &n), 0);
	assert_int_equal(n, 1);
	record(f->s, v[6].key, STORE_DELIVERED, 60, 0, NULL);

	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1", &sub,
	    NULL), 0);
	assert_false(sub);
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p1", 150, "api",
	    &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1", &sub,
	    &sub_at), 0);
	assert_true(sub);
	assert_int_equal(sub_at, 150);
	/* The first submission wins: a repeat keeps its time. */
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p1", 170, "sms",
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1", &sub,
	    &sub_at), 0);
	assert_int_equal(sub_at, 150);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p2", &sub,
	    NULL), 0);
	assert_false(sub);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[1].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[2].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[3].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[4].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[5].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[6].key), JOB_DELIVERED);
	assert_int_equal(store_history(f->s, v[2].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[1], "cancelled");
	assert_string_equal(h.detail[1], "submitted");
	assert_int_equal(h.at[1], 150);
	/* Submitting again cancels nothing more and keeps one row. */
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p1", 160, "sms",
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM submissions"),
	    1);
}

/*
 * store_read_begin(): the look-ups after it share one snapshot (a second
 * connection's submission is not seen until it ends), and a write made
 * inside it, or a batch or a plan begun inside it, ends the snapshot
 * first: the write is committed at once, not held for store_read_end().
 */
static void
test_read_snapshot(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct store *b;
	struct job v[3];
	char err[512];
	size_t n;
	int sub;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "sms", 100);
	job_init(&v[2], "d1", JOB_REMINDER, 3600, "p3", "sms", 100);
	plan(f->s, v, 3, &st);
	assert_int_equal(store_open(f->url, "other-node", &b, err,
	    sizeof(err)), 0);

	store_read_begin(f->s);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1",
	    &sub, NULL), 0);
	assert_false(sub);
	assert_int_equal(submit_one(b, "cpm", "d1", "p1", 150, "api", &n), 0);
	assert_int_equal(n, 1);
	/* Still the snapshot: one read lock for the run of look-ups. */
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1",
	    &sub, NULL), 0);
	assert_false(sub);
	/* A write ends it and is committed before store_read_end(). */
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p2", 160, "api", &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(store_is_submitted(b, "cpm", "d1", NULL, "p2", &sub,
	    NULL), 0);
	assert_true(sub);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM submissions"),
	    2);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1",
	    &sub, NULL), 0);
	assert_true(sub);
	store_read_end(f->s);
	store_read_end(f->s);	/* twice, or without a begin: nothing */

	/* A batch begun inside one. */
	store_read_begin(f->s);
	assert_int_equal(store_claim(f->s, 100, 100, 10, NULL, 0, 400, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(b, v[2].key), JOB_INFLIGHT);
	assert_int_equal(store_begin(f->s), 0);
	record(f->s, v[2].key, STORE_DELIVERED, 101, 0, NULL);
	assert_int_equal(store_commit(f->s), 0);
	store_read_end(f->s);
	assert_int_equal(state_of(b, v[2].key), JOB_DELIVERED);

	/* A plan begun inside one. */
	store_read_begin(f->s);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
	plan(f->s, v, 3, &st);
	store_read_end(f->s);
	assert_int_equal(state_of(b, v[2].key), JOB_DELIVERED);
	store_close(b);
}

/*
 * A unit's submission closes the deadline for every member and cancels
 * their notices; a withdrawal revives the ones still ahead and leaves
 * both steps in the submission log.
 */
static void
test_submit_unit_withdraw(void **state)
{
	struct fixture *f = *state;
	const char *const members[2] = { "p1", "p2" };
	struct store_party u = { "U", "p1", members, 2 };
	struct store_party u2 = { "U", "p2", members, 2 };
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[4];
	size_t n;
	int sub, first, found;
	int64_t at = 0;

	job_init(&v[0], "d1", JOB_REMINDER, 86400, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p1", "sms", 1000);
	job_init(&v[2], "d1", JOB_OVERDUE, 0, "p2", "sms", 1000);
	job_init(&v[3], "d1", JOB_REMINDER, 3600, "p3", "sms", 1000);
	plan(f->s, v, 4, &st);
	assert_int_equal(store_submit(f->s, "cpm", "d1", &u, 150, "api",
	    &first, &n), 0);
	assert_true(first);
	assert_int_equal(n, 3);
	assert_int_equal(state_of(f->s, v[2].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[3].key), JOB_PENDING);
	/* Any member of U, even one not named, finds it closed. */
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", "U", "p9",
	    &sub, &at), 0);
	assert_true(sub);
	assert_int_equal(at, 150);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p1",
	    &sub, NULL), 0);
	assert_false(sub);
	/* Another member's submission is a repeat: the first one stays. */
	assert_int_equal(store_submit(f->s, "cpm", "d1", &u2, 170, "sms",
	    &first, &n), 0);
	assert_false(first);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM submissions "
	    "WHERE unit = 'U' AND contact = 'p1' AND at = 150"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM submissions"),
	    1);

	/* Withdrawn at 200: v[0] (due at 100) stays cancelled. */
	assert_int_equal(store_withdraw(f->s, "cpm", "d1", &u2, 200, "cli",
	    &found, &n), 0);
	assert_true(found);
	assert_int_equal(n, 2);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[1].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[2].key), JOB_PENDING);
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.state[2], "pending");
	assert_string_equal(h.detail[2], "revived: submission withdrawn");
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", "U", "p1",
	    &sub, NULL), 0);
	assert_false(sub);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM submissions"),
	    0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
	    "submission_log WHERE unit = 'U' AND ((action = 'submitted' AND "
	    "contact = 'p1' AND at = 150) OR (action = 'withdrawn' AND "
	    "contact = 'p2' AND at = 200 AND via = 'cli'))"), 2);
	/* Nothing left to withdraw. */
	assert_int_equal(store_withdraw(f->s, "cpm", "d1", &u2, 210, "cli",
	    &found, &n), 0);
	assert_false(found);
	assert_int_equal(n, 0);
}

static void
test_ack(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[1];
	int64_t at = 0;
	int acked = 1;

	job_init(&v[0], "plan", JOB_EMERGENCY, 0, "p1", "sms", 100);
	plan(f->s, v, 1, &st);
	assert_int_equal(store_is_acked(f->s, v[0].key, &acked, &at), 0);
	assert_false(acked);
	assert_int_equal(store_ack(f->s, v[0].key, 500, "link"), 0);
	assert_int_equal(store_ack(f->s, v[0].key, 900, "sms"), 0);
	assert_int_equal(store_is_acked(f->s, v[0].key, &acked, &at), 0);
	assert_true(acked);
	assert_int_equal(at, 500);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM acks"), 1);
	assert_int_equal(store_ack(f->s, "00000000-0000-5000-8000-000000000000",
	    1, "link"), -1);
	assert_non_null(strstr(store_error(f->s), "no job"));
}

static void
test_insert_fallback(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[1], fb;
	char detail[96];

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	plan(f->s, v, 1, &st);
	job_init(&fb, "d1", JOB_REMINDER, 0, "p1", "email", 100);
	fb.fallback_of = v[0].key;
	assert_int_equal(store_insert(f->s, &fb), 0);
	assert_int_equal(store_insert(f->s, &fb), 0);	/* no-op */
	/* Inserted jobs are not the config's: re-planning keeps them. */
	plan(f->s, v, 1, &st);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(state_of(f->s, fb.key), JOB_PENDING);
	assert_int_equal(store_history(f->s, fb.key, seen_event, &h), 0);
	assert_int_equal(h.n, 1);
	snprintf(detail, sizeof(detail), "inserted: fallback of %s",
	    v[0].key);
	assert_string_equal(h.detail[0], detail);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs"), 2);
}

static void
test_list_and_counts(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct store_filter flt = { .state = -1 };
	struct seen sn = { 0 };
	struct job v[4];
	size_t n, counts[JOB_STATE_COUNT];

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 300);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "email", 100);
	job_init(&v[2], "d1", JOB_REMINDER, 0, "p1", "email", 200);
	job_init(&v[3], "d1", JOB_REMINDER, 0, "p3", "sms", 900);
	plan(f->s, v, 4, &st);
	assert_int_equal(store_claim(f->s, 100, 100, 1, NULL, 0, 400, NULL,
	    NULL, &n), 0);
	record(f->s, v[1].key, STORE_FAILED, 100, 0, "bounced");

	flt.from = 0;
	flt.to = 500;
	assert_int_equal(store_list(f->s, &flt, seen_job, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.key[0], v[1].key);
	assert_string_equal(sn.key[1], v[2].key);
	assert_string_equal(sn.key[2], v[0].key);
	memset(&sn, 0, sizeof(sn));
	flt.contact = "p1";
	flt.channel = "sms";
	assert_int_equal(store_list(f->s, &flt, seen_job, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.key[0], v[0].key);
	memset(&sn, 0, sizeof(sn));
	memset(&flt, 0, sizeof(flt));
	flt.state = JOB_PENDING;
	flt.limit = 2;
	assert_int_equal(store_list(f->s, &flt, seen_job, &sn), 0);
	assert_int_equal(sn.n, 2);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_list(f->s, NULL, seen_job, &sn), 0);
	assert_int_equal(sn.n, 4);

	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 3);
	assert_int_equal(counts[JOB_FAILED], 1);
	assert_int_equal(counts[JOB_INFLIGHT] + counts[JOB_DELIVERED] +
	    counts[JOB_MISSED] + counts[JOB_CANCELLED], 0);
}

static void
test_open_errors(void **state)
{
	struct store *s = NULL;
	char err[512];

	(void)state;
	assert_int_equal(store_open("sqlite:/nonexistent-herald-dir/x/h.db",
	    "n", &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent-herald-dir/x/h.db"));
	assert_non_null(strstr(err, "cannot open store"));
	/* No server on port 1: the error names host, port and database,
	 * never the password. */
	assert_int_equal(store_open_auth("postgresql://u@127.0.0.1:1/herald",
	    "n", "s3cret-pw", &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "postgresql 127.0.0.1:1/herald: cannot "
	    "open store"));
	assert_null(strstr(err, "s3cret-pw"));
	assert_int_equal(store_open("postgres:host=127.0.0.1 port=1 "
	    "dbname=h password=s3cret-pw", "n", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "127.0.0.1:1/h"));
	assert_null(strstr(err, "s3cret-pw"));
	assert_int_equal(store_open("mysql:x", "n", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown scheme \"mysql\""));
	assert_int_equal(store_open("herald.db", "n", &s, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(store_open("sqlite:", "n", &s, err, sizeof(err)), -1);
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	sqlite3 *db;
	char err[512];

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->url, "n", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "schema version 99 is newer"));
}

/* A job inserted outside planning that a plan then puts becomes the
 * plan's: a later plan without it cancels it. */
static void
test_plan_adopts_inserted(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[1];

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	assert_int_equal(store_insert(f->s, &v[0]), 0);
	plan(f->s, v, 1, &st);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.unchanged, 1);
	plan(f->s, v, 0, &st);
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
}

/*
 * The schema of version 1 as herald wrote it (text keys), verbatim, with
 * a pending job, a delivered one with an event and an acknowledgement,
 * and a submission.  Opening it must migrate every row.
 */
static const char v1_schema[] =
	"CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL);"
	"INSERT INTO meta (name, value) VALUES ('plan_gen', 0);"
	"CREATE TABLE jobs (key TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL, campaign TEXT NOT NULL,"
	"  item TEXT NOT NULL, offset_s INTEGER NOT NULL,"
	"  contact TEXT NOT NULL, channel TEXT NOT NULL,"
	"  due INTEGER NOT NULL, next_at INTEGER NOT NULL,"
	"  item_at INTEGER NOT NULL, state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  lateness_ms INTEGER NOT NULL DEFAULT 0, fallback_of TEXT,"
	"  owner TEXT, lease_until INTEGER, plan_gen INTEGER,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	"  last_detail TEXT);"
	"CREATE INDEX jobs_state_next ON jobs (state, priority, next_at);"
	"CREATE INDEX jobs_item_contact ON jobs (campaign, item, contact);"
	"CREATE TABLE events (key TEXT NOT NULL REFERENCES jobs (key),"
	"  at INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT);"
	"CREATE INDEX events_key ON events (key, at);"
	"CREATE TABLE submissions (campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL, contact TEXT NOT NULL,"
	"  at INTEGER NOT NULL, via TEXT,"
	"  PRIMARY KEY (campaign, deadline, contact));"
	"CREATE TABLE acks (key TEXT PRIMARY KEY NOT NULL REFERENCES jobs (key),"
	"  at INTEGER NOT NULL, via TEXT);"
	"PRAGMA user_version = 1;";

static void
test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct seen sn = { 0 };
	struct job v[2];
	sqlite3 *db;
	char *sql, err[512], q[200];
	int found, acked = 0, submitted = 0;
	int64_t at = 0;

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(unlink(f->path), 0);
	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sql = sqlite3_mprintf("UPDATE meta SET value = 1;"
	    "INSERT INTO jobs (key, kind, priority, campaign, item, offset_s,"
	    " contact, channel, due, next_at, item_at, state, plan_gen,"
	    " created, updated) VALUES"
	    " ('%s', 'reminder', 2, 'cpm', 'd1', 3600, 'p1', 'email', 1000,"
	    " 1000, 4600, 'pending', 1, 10, 10),"
	    " ('%s', 'reminder', 2, 'cpm', 'd1', 3600, 'p2', 'email', 1000,"
	    " 1000, 4600, 'delivered', 1, 10, 1500);"
	    "INSERT INTO events VALUES ('%s', 1500, 'delivered', 'ok');"
	    "INSERT INTO acks VALUES ('%s', 1600, 'link');"
	    "INSERT INTO submissions VALUES ('cpm', 'd1', 'p2', 1700, 'web');",
	    v[0].key, v[1].key, v[1].key, v[1].key);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	if (store_open(f->url, "test-node", &f->s, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_schema_version(f->s), 9);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('jobs', 'events', 'acks')"), 0);
	assert_int_equal(store_get(f->s, v[0].key, seen_job, &sn, &found), 0);
	assert_true(found);
	assert_string_equal(sn.key[0], v[0].key);
	assert_int_equal(sn.due[0], 1000);
	assert_int_equal(sn.state[0], JOB_PENDING);
	assert_int_equal(state_of(f->s, v[1].key), JOB_DELIVERED);
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.detail[0], "planned");
	assert_int_equal(h.at[1], 1500);
	assert_string_equal(h.state[1], "delivered");
	assert_string_equal(h.detail[1], "ok");
	assert_int_equal(store_is_acked(f->s, v[1].key, &acked, &at), 0);
	assert_true(acked);
	assert_int_equal(at, 1600);
	assert_int_equal(store_is_submitted(f->s, "cpm", "d1", NULL, "p2",
	    &submitted, NULL), 0);
	assert_true(submitted);
	/* The views show the same text keys as version 1 did. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE key = '%s' "
	    "AND state = 'pending'", v[0].key);
	assert_int_equal(sql_int(f->path, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM events e JOIN acks a "
	    "ON a.key = e.key WHERE e.key = '%s'", v[1].key);
	assert_int_equal(sql_int(f->path, q), 1);
	/* Planning goes on from the migrated generation and rows. */
	plan(f->s, v, 2, &st);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(sql_int(f->path, "SELECT value FROM meta "
	    "WHERE name = 'plan_gen'"), 2);
	plan(f->s, v, 0, &st);
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
}

/*
 * A contact removed by mistake and restored: its jobs cancelled by the
 * first re-plan come back pending under the same keys, at the instants of
 * the plan that restored them, with attempts reset.
 */
static void
test_plan_revives_restored(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct seen sn = { 0 };
	struct job v[3], keep;
	char q[200];
	size_t n;
	int found;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 2000);
	job_init(&v[2], "d1", JOB_OVERDUE, 0, "p2", "email", 5600);
	plan(f->s, v, 3, &st);
	/* v[1] was tried once and waits for a retry at 2500. */
	assert_int_equal(store_claim(f->s, 2000, 2000, 10, NULL, 0, 9999, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 2);
	record(f->s, v[0].key, STORE_DELIVERED, 1001, 0, "250 ok");
	record(f->s, v[1].key, STORE_RETRY, 2001, 2500, "451 busy");

	/* p2 removed: both of its jobs cancelled. */
	plan(f->s, v, 1, &st);
	assert_int_equal(st.cancelled, 2);
	assert_int_equal(st.revived, 0);
	assert_int_equal(state_of(f->s, v[1].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[2].key), JOB_CANCELLED);

	/* p2 restored, and meanwhile the reminder moved to 3000. */
	keep = v[1];
	v[1].due = v[1].next_at = 3000;
	v[1].item_at = 6600;
	plan(f->s, v, 3, &st);
	assert_int_equal(st.revived, 2);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(st.unchanged, 1);	/* v[0], delivered */
	/* The same rows, not new ones. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows"), 3);
	assert_string_equal(keep.key, v[1].key);
	assert_int_equal(store_get(f->s, v[1].key, seen_job, &sn, &found), 0);
	assert_true(found);
	assert_string_equal(sn.key[0], v[1].key);
	assert_int_equal(sn.state[0], JOB_PENDING);
	assert_int_equal(sn.due[0], 3000);
	assert_int_equal(sn.next_at[0], 3000);
	assert_int_equal(sn.attempts[0], 0);
	assert_string_equal(sn.detail[0], "revived: back in config");
	snprintf(q, sizeof(q), "SELECT item_at FROM jobs WHERE key = '%s'",
	    v[1].key);
	assert_int_equal(sql_int(f->path, q), 6600);
	assert_int_equal(state_of(f->s, v[2].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[0].key), JOB_DELIVERED);

	/* History: planned, the retry, cancelled, revived. */
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.detail[0], "planned");
	assert_string_equal(h.state[1], "pending");
	assert_string_equal(h.detail[1], "451 busy");
	assert_string_equal(h.state[2], "cancelled");
	assert_string_equal(h.detail[2], "removed from config");
	assert_string_equal(h.state[3], "pending");
	assert_string_equal(h.detail[3], "revived: back in config");

	/* Planning the same config again changes nothing more. */
	plan(f->s, v, 3, &st);
	assert_int_equal(st.revived + st.inserted + st.updated + st.cancelled,
	    0);
	assert_int_equal(st.unchanged, 3);

	/* A revived job is claimed like any other, at its new instant. */
	assert_int_equal(store_claim(f->s, 2999, 2999, 10, NULL, 0, 9999, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_claim(f->s, 3000, 3000, 10, NULL, 0, 9999,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[0], v[1].key);

	/* Removed and restored a second time: revived again. */
	plan(f->s, v, 1, &st);
	assert_int_equal(st.cancelled, 1);	/* v[2]; v[1] is in flight */
	plan(f->s, v, 3, &st);
	assert_int_equal(st.revived, 1);
	assert_int_equal(state_of(f->s, v[2].key), JOB_PENDING);
}

/*
 * Only a cancellation by planning is undone: a job cancelled by a
 * submission, or by an outcome (the dispatcher's checks), stays cancelled
 * even when its detail reads exactly like the plan's.
 */
static void
test_plan_revives_only_plan_cancelled(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct history h = { 0 };
	struct job v[3];
	size_t n;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 100);
	job_init(&v[2], "d1", JOB_REMINDER, 3600, "p3", "email", 1000);
	plan(f->s, v, 3, &st);
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p1", 50, "api",
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_claim(f->s, 100, 100, 10, NULL, 0, 9999, NULL,
	    NULL, &n), 0);
	assert_int_equal(n, 1);
	record(f->s, v[1].key, STORE_CANCELLED, 101, 0, "removed from config");

	/* Remove everyone, then restore everyone: only v[2] comes back. */
	plan(f->s, v, 0, &st);
	assert_int_equal(st.cancelled, 1);
	plan(f->s, v, 3, &st);
	assert_int_equal(st.revived, 1);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[1].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[2].key), JOB_PENDING);
	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.detail[1], "submitted");
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_history(f->s, v[1].key, seen_event, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.state[1], "cancelled");
	assert_string_equal(h.detail[1], "removed from config");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events "
	    "WHERE detail = 'revived: back in config'"), 1);
}

/* A revived job whose instant passed while it was cancelled is an
 * ordinary misfire: missed beyond its grace. */
static void
test_plan_revived_misfire(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[2];
	int64_t grace[JOB_KIND_COUNT];
	size_t n, k;

	for (k = 0; k < JOB_KIND_COUNT; k++)
		grace[k] = 600;
	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 9000);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 9500);
	plan(f->s, v, 2, &st);
	plan(f->s, v, 0, &st);
	assert_int_equal(st.cancelled, 2);
	plan(f->s, v, 2, &st);
	assert_int_equal(st.revived, 2);
	assert_int_equal(store_expire(f->s, 10000, grace, seen_job, &sn, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[0], v[0].key);
	assert_int_equal(state_of(f->s, v[0].key), JOB_MISSED);
	assert_int_equal(state_of(f->s, v[1].key), JOB_PENDING);
}

/*
 * A version 2 file: its plan cancellations are recognised by their plan
 * event when it is migrated, so they can be revived; a submission's are
 * not.
 */
static void
test_migrate_v2_plan_cancelled(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct job v[2];
	sqlite3 *db;
	char err[512];
	size_t n;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	plan(f->s, v, 2, &st);
	assert_int_equal(submit_one(f->s, "cpm", "d1", "p1", 50, "api",
	    &n), 0);
	plan(f->s, v, 0, &st);
	assert_int_equal(st.cancelled, 1);
	store_close(f->s);
	f->s = NULL;
	/* Back to version 2: no plan_cancelled column (nor version 7's
	 * incident column, which its view and index name). */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP INDEX jobs_incident; "
	    "DROP VIEW jobs; ALTER TABLE job_rows DROP COLUMN incident; "
	    "ALTER TABLE job_rows DROP COLUMN "
	    "plan_cancelled; PRAGMA user_version = 2;", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	if (store_open(f->url, "test-node", &f->s, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_schema_version(f->s), 9);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM job_rows "
	    "WHERE plan_cancelled IS NOT NULL"), 1);
	plan(f->s, v, 2, &st);
	assert_int_equal(st.revived, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_CANCELLED);
	assert_int_equal(state_of(f->s, v[1].key), JOB_PENDING);
}

/*
 * store_later: the latest job of the same item, contact and kind, due
 * after `after` and by `until`, pending, in flight or delivered; and the
 * superseded outcome it leads to.
 */
static void
test_later_and_superseded(void **state)
{
	struct fixture *f = *state;
	struct job v[5];
	char later[JOB_KEY_LEN];
	int found = -1;
	struct history h = { 0 };
	size_t counts[JOB_STATE_COUNT];

	job_init(&v[0], "dl", JOB_REMINDER, 300, "bj", "sms", 1000);
	job_init(&v[1], "dl", JOB_REMINDER, 200, "bj", "sms", 1100);
	job_init(&v[2], "dl", JOB_REMINDER, 100, "bj", "sms", 1200);
	job_init(&v[3], "dl", JOB_REMINDER, 200, "sh", "sms", 1100);
	job_init(&v[4], "dl", JOB_OVERDUE, 0, "bj", "sms", 1150);
	plan(f->s, v, 5, NULL);

	/* Up to 1100: only v[1]; another contact's and another kind's
	 * jobs never count. */
	assert_int_equal(store_later(f->s, &v[0], 1000, 1100, later, &found), 0);
	assert_int_equal(found, 1);
	assert_string_equal(later, v[1].key);
	/* Up to 1200: the latest, v[2]. */
	assert_int_equal(store_later(f->s, &v[0], 1000, 1200, later, &found), 0);
	assert_int_equal(found, 1);
	assert_string_equal(later, v[2].key);
	/* Only after `after`. */
	assert_int_equal(store_later(f->s, &v[0], 1100, 1200, later, &found), 0);
	assert_string_equal(later, v[2].key);
	assert_int_equal(store_later(f->s, &v[0], 1150, 1199, later, &found), 0);
	assert_int_equal(found, 0);
	/* Nothing after the last one; nothing due yet. */
	assert_int_equal(store_later(f->s, &v[2], 1200, 5000, later, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_later(f->s, &v[0], 1000, 1099, later, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_later(f->s, &v[3], 1100, 5000, later, &found), 0);
	assert_int_equal(found, 0);

	/* A delivered later job still counts; a missed or cancelled one
	 * does not. */
	record(f->s, v[1].key, STORE_DELIVERED, 1101, 0, NULL);
	assert_int_equal(store_later(f->s, &v[0], 1000, 1100, later, &found), 0);
	assert_int_equal(found, 1);
	assert_string_equal(later, v[1].key);
	record(f->s, v[2].key, STORE_MISSED, 1300, 0, NULL);
	assert_int_equal(store_later(f->s, &v[0], 1000, 1200, later, &found), 0);
	assert_string_equal(later, v[1].key);

	record(f->s, v[0].key, STORE_SUPERSEDED, 1102, 0, "superseded by x");
	assert_int_equal(state_of(f->s, v[0].key), JOB_SUPERSEDED);
	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_string_equal(h.state[h.n - 1], "superseded");
	assert_string_equal(h.detail[h.n - 1], "superseded by x");
	assert_int_equal(store_count_states(f->s, counts), 0);
	assert_int_equal(counts[JOB_SUPERSEDED], 1);
}

/* A batch rolled back leaves nothing; a refusal of the request itself
 * (an outcome recorded twice) is not a storage fault, so a caller drops
 * it instead of holding it; a new store file is 0640 whatever the umask. */
static void
test_rollback_and_faults(void **state)
{
	struct fixture *f = *state;
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 1000 };
	struct job v[2];
	struct stat sb;

	job_init(&v[0], "d1", JOB_REMINDER, -3600, "bj", "sms", 5000);
	job_init(&v[1], "d1", JOB_REMINDER, -3600, "sh", "sms", 5000);
	plan(f->s, v, 2, NULL);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_record(f->s, v[0].key, &r), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(sql_int(f->path,
	    "SELECT count(*) FROM events WHERE state = 'delivered'"), 0);

	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_record(f->s, v[0].key, &r), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(state_of(f->s, v[0].key), JOB_DELIVERED);
	assert_int_equal(store_record(f->s, v[0].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "already delivered"));
	assert_false(store_is_fault(f->s));
	assert_int_equal(store_rollback(f->s), -1);	/* no batch open */

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
}


/* What incident callbacks saw. */
struct inc_seen {
	size_t n;
	char id[8][40];
	int state[8];
	char acked_by[8][32];
	char resolved_note[8][32];
	int drill[8];
};

static void
inc_seen_fn(void *arg, const struct store_incident *inc)
{
	struct inc_seen *sn = arg;

	if (sn->n >= 8)
		return;
	snprintf(sn->id[sn->n], sizeof(sn->id[0]), "%s", inc->id);
	sn->state[sn->n] = inc->state;
	sn->drill[sn->n] = inc->drill;
	snprintf(sn->acked_by[sn->n], sizeof(sn->acked_by[0]), "%s",
	    inc->acked_by ? inc->acked_by : "");
	snprintf(sn->resolved_note[sn->n], sizeof(sn->resolved_note[0]), "%s",
	    inc->resolved_note ? inc->resolved_note : "");
	sn->n++;
}

#define INC_A "0b6a4c62-5d0a-4a43-9f55-1e1d7f7c9a01"
#define INC_B "9c0e2b3a-7a55-4b1f-8d7e-2d4f0c6a8b12"

/* One incident per (campaign, plan, venue) until it is resolved. */
static void
test_incident_open_once(void **state)
{
	struct fixture *f = *state;
	struct store_incident inc = { .id = INC_A, .campaign = "cpm",
	    .plan = "fire", .venue = "A mall", .note = "smoke", .drill = 1,
	    .created_at = 1000, .source = "api" };
	struct store_incident_filter flt = { -1, -1, NULL, 0 };
	struct inc_seen sn = { 0 };
	int created = -1, found = -1, changed = -1;

	assert_int_equal(store_incident_open(f->s, &inc, inc_seen_fn, &sn,
	    &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.id[0], INC_A);
	/* Same plan and venue, new id: the first is returned. */
	inc.id = INC_B;
	assert_int_equal(store_incident_open(f->s, &inc, inc_seen_fn, &sn,
	    &created), 0);
	assert_int_equal(created, 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.id[1], INC_A);
	assert_int_equal(sn.drill[1], 1);
	/* Another venue is another incident. */
	inc.venue = "B mall";
	assert_int_equal(store_incident_open(f->s, &inc, NULL, NULL,
	    &created), 0);
	assert_int_equal(created, 1);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_incident_list(f->s, &flt, inc_seen_fn, &sn), 0);
	assert_int_equal(sn.n, 2);
	/* Resolved: the plan at A mall may be triggered again. */
	assert_int_equal(store_incident_resolve(f->s, INC_A, 1100, "li",
	    "api", "all clear", &changed, NULL), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_incident_resolve(f->s, INC_A, 1200, "li",
	    "api", "again", &changed, NULL), 0);
	assert_int_equal(changed, 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_incident_get(f->s, INC_A, inc_seen_fn, &sn,
	    &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(sn.state[0], STORE_INCIDENT_RESOLVED);
	assert_string_equal(sn.resolved_note[0], "all clear");
	flt.state = STORE_INCIDENT_RESOLVED;
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_incident_list(f->s, &flt, inc_seen_fn, &sn), 0);
	assert_int_equal(sn.n, 1);
	inc.venue = "A mall";
	inc.id = "5e7d1c2b-3a4f-4e6d-8c9b-0a1b2c3d4e5f";
	assert_int_equal(store_incident_open(f->s, &inc, NULL, NULL,
	    &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(store_incident_get(f->s,
	    "11111111-2222-4333-8444-555555555555", NULL, NULL, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_incident_get(f->s, "nope", NULL, NULL,
	    &found), -1);
}

struct inc_events {
	size_t n;
	char what[8][16];
	char who[8][16];
};

static void
inc_event_fn(void *arg, int64_t at, const char *what, const char *who,
    const char *door, const char *detail)
{
	struct inc_events *ev = arg;

	(void)at;
	(void)door;
	(void)detail;
	if (ev->n >= 8)
		return;
	snprintf(ev->what[ev->n], sizeof(ev->what[0]), "%s", what);
	snprintf(ev->who[ev->n], sizeof(ev->who[0]), "%s", who ? who : "");
	ev->n++;
}

/* store_job_fn: the incident of the last emergency job claimed. */
static void
claim_inc(void *arg, const struct job *j)
{
	if (j->kind == JOB_EMERGENCY)
		snprintf(arg, JOB_KEY_LEN, "%s", j->incident ? j->incident : "");
}

/* An ack cancels the pending alerts of its incident only, once; the
 * notices and other incidents' alerts stay. */
static void
test_incident_ack_stops_alerts(void **state)
{
	struct fixture *f = *state;
	struct store_incident inc = { .id = INC_A, .campaign = "cpm",
	    .plan = "fire", .venue = "A mall", .note = "smoke",
	    .created_at = 1000, .source = "api" };
	struct job v[4];
	struct seen sn = { 0 };
	struct inc_events ev = { 0 };
	struct inc_seen is = { 0 };
	size_t n = 99;
	int changed = -1, found;

	assert_int_equal(store_incident_open(f->s, &inc, NULL, NULL, NULL), 0);
	job_init(&v[0], "fire", JOB_EMERGENCY, 0, "p1", "sms", 1000);
	job_init(&v[1], "fire", JOB_EMERGENCY, 60, "p1", "sms", 1060);
	job_init(&v[2], "fire", JOB_INCIDENT_ACK, 0, "p1", "sms", 1000);
	job_init(&v[3], "fire", JOB_EMERGENCY, 60, "p2", "sms", 1060);
	for (size_t i = 0; i < 3; i++) {
		v[i].incident = INC_A;
		job_make_key_incident(v[i].key, "cpm", "fire", v[i].kind,
		    v[i].offset, v[i].contact, "sms", INC_A);
	}
	v[3].incident = INC_B;
	job_make_key_incident(v[3].key, "cpm", "fire", v[3].kind, 60, "p2",
	    "sms", INC_B);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(store_insert(f->s, &v[i]), 0);
	assert_int_equal(store_incident_jobs(f->s, INC_A, seen_job, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_int_equal(store_incident_ack(f->s, INC_A, 1030, "zhang.li",
	    "link", &changed, &n), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(n, 2);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_incident_jobs(f->s, INC_A, seen_job, &sn), 0);
	assert_int_equal(sn.n, 3);
	for (size_t i = 0; i < sn.n; i++) {
		if (strcmp(sn.key[i], v[2].key) == 0) {
			assert_int_equal(sn.state[i], JOB_PENDING);
			continue;
		}
		assert_int_equal(sn.state[i], JOB_CANCELLED);
		assert_string_equal(sn.detail[i], "incident acknowledged");
	}
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_get(f->s, v[3].key, seen_job, &sn, &found), 0);
	assert_int_equal(sn.state[0], JOB_PENDING);
	/* A second ack changes nothing and keeps the first who. */
	assert_int_equal(store_incident_ack(f->s, INC_A, 1040, "wang",
	    "api", &changed, &n), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(store_incident_get(f->s, INC_A, inc_seen_fn, &is,
	    &found), 0);
	assert_int_equal(is.state[0], STORE_INCIDENT_ACKED);
	assert_string_equal(is.acked_by[0], "zhang.li");
	assert_int_equal(store_incident_event(f->s, INC_A, 1050, "notice",
	    NULL, NULL, "1 taking-charge notice"), 0);
	assert_int_equal(store_incident_events(f->s, INC_A, inc_event_fn,
	    &ev), 0);
	assert_int_equal(ev.n, 3);
	assert_string_equal(ev.what[0], "trigger");
	assert_string_equal(ev.what[1], "ack");
	assert_string_equal(ev.who[1], "zhang.li");
	assert_string_equal(ev.what[2], "notice");
	/* A claim hands the incident over with the job (copied: the
	 * scheduler keeps it past the statement). */
	memset(&sn, 0, sizeof(sn));
	{
		char inc_of[JOB_KEY_LEN] = "";
		size_t nc = 0;

		assert_int_equal(store_claim(f->s, 2000, 2000, 10, NULL, 0,
		    3000, claim_inc, inc_of, &nc), 0);
		assert_int_equal(nc, 2);
		assert_string_equal(inc_of, INC_B);
	}
	/* Unknown incident: an error, nothing written. */
	assert_int_equal(store_incident_ack(f->s,
	    "11111111-2222-4333-8444-555555555555", 1, "x", "api", &changed,
	    NULL), -1);
}

/* Whether the history of key has an event whose detail contains what. */
static int
has_event(struct store *s, const char *key, const char *what)
{
	struct history h = { 0 };
	size_t i;

	assert_int_equal(store_history(s, key, seen_event, &h), 0);
	for (i = 0; i < h.n; i++)
		if (strstr(h.detail[i], what) != NULL)
			return 1;
	return 0;
}

/*
 * Two nodes, A (the fixture's "test-node") and B, on one PostgreSQL
 * database (issue 15): B can neither claim nor recover A's live leases;
 * once A's short lease runs out by the database's clock, A still does not
 * take its own row again, B takes the job over with an event saying
 * whose lease expired, and A, back late,
 * learns "lease lost" and leaves B's outcome alone.  PostgreSQL only:
 * SQLite has one node by construction.
 */
static void
test_two_owners(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 1100,
	    .detail = "sent by A" };
	struct seen sa = { 0 }, sb = { 0 };
	struct store *b;
	struct job v[2];
	char err[512];
	int64_t at = 0;
	size_t n = 0;
	int i, found = 0;

	assert_int_equal(store_open(f->url, "node-b", &b, err, sizeof(err)),
	    0);
	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 100);
	plan(f->s, v, 2, &st);
	/* A: p1 under a 1 s lease, p2 under 300 s. */
	assert_int_equal(store_claim(f->s, 1000, 1000, 1, NULL, 0, 1001,
	    seen_job, &sa, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_claim(f->s, 1000, 1000, 1, NULL, 0, 1300,
	    seen_job, &sa, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sa.key[0], v[0].key);
	assert_string_equal(sa.key[1], v[1].key);

	/* Both leases live: B claims nothing and recovers nothing, but
	 * sees A's rows as due (so that its scheduler polls for their
	 * expiry); A holds them in memory and sees nothing due. */
	assert_int_equal(store_next_due(b, &at, &found), 0);
	assert_true(found);
	assert_int_equal(at, 100);
	assert_int_equal(store_next_due(f->s, &at, &found), 0);
	assert_false(found);
	assert_int_equal(store_claim(b, 1000, 1000, 10, NULL, 0, 1300, seen_job,
	    &sb, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_recover(b, 1000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "state = 'inflight' AND owner = 'test-node'"), 2);

	/* A's 1 s lease runs out (within 2.5 s, the database rounding to
	 * the second). */
	for (i = 0; i < 50 && sql_int(f->path, "SELECT count(*) FROM jobs "
	    "WHERE lease_until < extract(epoch from clock_timestamp())::bigint")
	    == 0; i++)
		usleep(100000);
	assert_true(i < 50);
	/* A never takes back its own row (it holds it in memory: taking it
	 * again would send it twice) and sees nothing due; B takes p1,
	 * never p2. */
	assert_int_equal(store_claim(f->s, 1000, 1000, 10, NULL, 0, 1300,
	    seen_job, &sa, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_next_due(f->s, &at, &found), 0);
	assert_false(found);
	assert_int_equal(store_claim(b, 1000, 1000, 10, NULL, 0, 1300, seen_job,
	    &sb, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sb.key[0], v[0].key);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "state = 'inflight' AND owner = 'node-b'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "state = 'inflight' AND owner = 'test-node'"), 1);
	assert_true(has_event(f->s, v[0].key, "lease of test-node expired"));
	assert_false(has_event(f->s, v[1].key, "expired"));
	/* B's recover takes back its own p1 only, A's live p2 stays. */
	assert_int_equal(store_recover(b, 1000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "state = 'inflight' AND owner = 'test-node'"), 1);
	assert_int_equal(store_claim(b, 1000, 1000, 10, NULL, 0, 1300, seen_job,
	    &sb, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sb.key[1], v[0].key);

	/* A, late, records p1: lease lost, not a fault of the store. */
	assert_int_equal(store_record(f->s, v[0].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "lease lost"));
	assert_false(store_is_fault(f->s));
	assert_int_equal(state_of(f->s, v[0].key), JOB_INFLIGHT);
	/* B's outcome stands; A's second try cannot overwrite it. */
	record(b, v[0].key, STORE_FAILED, 1200, 0, "failed at B");
	assert_int_equal(store_record(f->s, v[0].key, &r), -1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_FAILED);
	assert_true(has_event(f->s, v[0].key, "failed at B"));
	assert_false(has_event(f->s, v[0].key, "sent by A"));
	/* A's own live lease records as usual. */
	assert_int_equal(store_record(f->s, v[1].key, &r), 0);
	assert_int_equal(state_of(f->s, v[1].key), JOB_DELIVERED);
	store_close(b);
}

/* --- nodes and leases (store_cluster.h) --- */

struct seen_nodes {
	size_t n;
	char id[4][40], host[4][64], config[4][20];
	long pid[4];
	unsigned generation[4];
	int64_t started[4], last_beat[4];
	uint64_t in_flight[4];
};

static void
seen_node(void *arg, const struct store_node *n)
{
	struct seen_nodes *sn = arg;

	if (sn->n >= 4)
		return;
	snprintf(sn->id[sn->n], sizeof(sn->id[0]), "%s", n->id);
	snprintf(sn->host[sn->n], sizeof(sn->host[0]), "%s", n->host);
	snprintf(sn->config[sn->n], sizeof(sn->config[0]), "%s",
	    n->config != NULL ? n->config : "(null)");
	sn->pid[sn->n] = n->pid;
	sn->generation[sn->n] = n->generation;
	sn->started[sn->n] = n->started;
	sn->last_beat[sn->n] = n->last_beat;
	sn->in_flight[sn->n] = n->in_flight;
	sn->n++;
}

#define NODE_A "0b5f8f4e-1c1d-4d5e-9a0b-000000000001"
#define NODE_B "0b5f8f4e-1c1d-4d5e-9a0b-000000000002"

/* A beat writes one row per node, a second beat replaces it, the
 * listing is by last beat, and silent rows are forgotten. */
static void
test_node_beat(void **state)
{
	struct fixture *f = *state;
	struct store_node a = { .id = NODE_A, .host = "h1", .pid = 11,
	    .started = 1000, .generation = 1, .config = "00aa", .last_beat = 1000,
	    .in_flight = 3 };
	struct store_node b = { .id = NODE_B, .host = "h2", .pid = 22,
	    .started = 900, .generation = 4, .config = NULL, .last_beat = 1005,
	    .in_flight = 0 };
	struct seen_nodes sn = { 0 };

	assert_int_equal(store_node_beat(f->s, &a, 0), 0);
	assert_int_equal(store_node_beat(f->s, &b, 0), 0);
	a.last_beat = 1010;
	a.generation = 2;
	a.in_flight = 7;
	assert_int_equal(store_node_beat(f->s, &a, 0), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM nodes"), 2);
	assert_int_equal(store_nodes(f->s, 0, seen_node, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.id[0], NODE_A);	/* latest beat first */
	assert_string_equal(sn.host[0], "h1");
	assert_int_equal(sn.pid[0], 11);
	assert_int_equal(sn.started[0], 1000);
	assert_int_equal(sn.generation[0], 2);
	assert_string_equal(sn.config[0], "00aa");
	assert_int_equal(sn.last_beat[0], 1010);
	assert_int_equal(sn.in_flight[0], 7);
	assert_string_equal(sn.id[1], NODE_B);
	assert_string_equal(sn.config[1], "(null)");
	/* since: only the nodes that beat at or after it. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_nodes(f->s, 1006, seen_node, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.id[0], NODE_A);
	/* A's next beat forgets B, silent since 1005. */
	a.last_beat = 1020;
	assert_int_equal(store_node_beat(f->s, &a, 1006), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM nodes"), 1);
	/* A node that stops cleanly takes its row with it; another id,
	 * or one never seen, is left alone. */
	assert_int_equal(store_node_beat(f->s, &b, 0), 0);
	assert_int_equal(store_node_leave(f->s, NODE_A), 0);
	assert_int_equal(store_node_leave(f->s, "no-such-node"), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_nodes(f->s, 0, seen_node, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.id[0], NODE_B);
	/* Argument checks. */
	assert_int_equal(store_node_leave(f->s, NULL), -1);
	a.id = NULL;
	assert_int_equal(store_node_beat(f->s, &a, 0), -1);
}

/*
 * The due work of a window, as a node sharing a launch counts it: jobs
 * pending or in flight (anyone's) due by until, and how many of them
 * this owner holds; done jobs and later ones are not counted.
 */
static void
test_due_count(void **state)
{
	struct fixture *f = *state;
	struct store_plan_stats st;
	struct seen sn = { 0 };
	struct job v[5];
	size_t total = 99, mine = 99, n;
	struct store *b;
	char err[512];

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	job_init(&v[1], "d1", JOB_REMINDER, 0, "p2", "sms", 200);
	job_init(&v[2], "d1", JOB_REMINDER, 0, "p3", "sms", 300);
	job_init(&v[3], "d1", JOB_REMINDER, 0, "p4", "sms", 400);
	job_init(&v[4], "d1", JOB_REMINDER, 0, "p5", "sms", 5000);
	assert_int_equal(store_due_count(f->s, 1000, &total, &mine), 0);
	assert_int_equal(total, 0);
	assert_int_equal(mine, 0);
	plan(f->s, v, 5, &st);
	assert_int_equal(store_claim(f->s, 90, 250, 10, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_due_count(f->s, 350, &total, &mine), 0);
	assert_int_equal(total, 3);
	assert_int_equal(mine, 2);
	assert_int_equal(store_due_count(f->s, 10000, &total, &mine), 0);
	assert_int_equal(total, 5);
	assert_int_equal(mine, 2);
	/* Delivered: out of both counts. */
	record(f->s, v[0].key, STORE_DELIVERED, 110, 0, "ok");
	assert_int_equal(store_due_count(f->s, 350, &total, &mine), 0);
	assert_int_equal(total, 2);
	assert_int_equal(mine, 1);
	if (!f->pg)
		return;
	/* Another node's claim counts in the total, not in mine. */
	assert_int_equal(store_open(f->url, "node-b", &b, err, sizeof(err)),
	    0);
	assert_int_equal(store_claim(b, 290, 350, 10, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_due_count(f->s, 350, &total, &mine), 0);
	assert_int_equal(total, 2);
	assert_int_equal(mine, 1);
	assert_int_equal(store_due_count(b, 350, &total, &mine), 0);
	assert_int_equal(total, 2);
	assert_int_equal(mine, 1);
	store_close(b);
}

/* Claim the jobs of v due by until under lease; returns how many. */
static size_t
claim_lease(struct store *s, int64_t until, int64_t lease, struct seen *sn)
{
	size_t n = 0;

	assert_int_equal(store_claim(s, until, until, 100, NULL, 0, lease,
	    seen_job, sn, &n), 0);
	return n;
}

static void
seen_lease(void *arg, const struct job *j)
{
	*(int64_t *)arg = j->lease_until;
}

/*
 * Renewal extends the leases the owner holds and that have not run out;
 * the fencing question follows the store's own rows; reaping puts the
 * jobs whose lease ran out back to pending with an event naming the
 * holder; a node whose lease ran out cannot record over the new holder.
 */
static void
test_lease_renew_held_reap(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_plan_stats st;
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 1300 };
	struct history h = { 0 };
	struct job v[2];
	struct seen sn = { 0 };
	int64_t lease = 0;
	char err[256];
	size_t n = 0;
	int held = -1;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1050);
	plan(f->s, v, 2, &st);
	/* The claim hands each job on with its lease. */
	assert_int_equal(store_claim(f->s, 1000, 1000, 100, NULL, 0, 1100,
	    seen_lease, &lease, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lease, 1100);
	assert_int_equal(claim_lease(f->s, 1050, 1150, &sn), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "owner = 'test-node' AND state = 'inflight'"), 2);

	/* At 1120 v0's lease (1100) has run out, v1's (1150) has not. */
	assert_int_equal(store_lease_held(f->s, v[0].key, 1120, &held), 0);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease_held(f->s, v[1].key, 1120, &held), 0);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease_renew(f->s, 1120, 1420, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sql_int(f->path, "SELECT max(lease_until) FROM jobs"),
	    1420);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs "
	    "WHERE lease_until = 1100"), 1);
	assert_int_equal(store_lease_held(f->s, v[1].key, 1400, &held), 0);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease_held(f->s, v[1].key, 1421, &held), 0);
	assert_int_equal(held, 0);

	/* Reaping at 1120 takes v0 only. */
	assert_int_equal(store_lease_reap(f->s, 1120, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[1].key), JOB_INFLIGHT);
	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_string_equal(h.state[h.n - 1], "pending");
	assert_string_equal(h.detail[h.n - 1],
	    "recovered: the lease of test-node ran out");
	assert_int_equal(h.at[h.n - 1], 1120);

	/* Another node claims v0; ours may no longer record it. */
	assert_int_equal(store_open(f->url, NODE_B, &other, err,
	    sizeof(err)), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(claim_lease(other, 1130, 1430, &sn), 1);
	assert_string_equal(sn.key[0], v[0].key);
	assert_int_equal(store_record(f->s, v[0].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "held by another node"));
	assert_false(store_is_fault(f->s));
	assert_int_equal(state_of(f->s, v[0].key), JOB_INFLIGHT);
	assert_int_equal(store_lease_held(f->s, v[0].key, 1130, &held), 0);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease_held(other, v[0].key, 1130, &held), 0);
	assert_int_equal(held, 1);
	/* The holder records; our renewal leaves its lease alone. */
	assert_int_equal(store_record(other, v[0].key, &r), 0);
	assert_int_equal(state_of(f->s, v[0].key), JOB_DELIVERED);
	assert_int_equal(store_lease_renew(f->s, 1300, 1600, &n), 0);
	assert_int_equal(n, 1);			/* v1 only */
	store_close(other);
	/* A renewal that would end before now is refused. */
	assert_int_equal(store_lease_renew(f->s, 1300, 1200, &n), -1);
}

/* The database's clock in Unix seconds, as the PostgreSQL backend reads
 * it for leases. */
#define DB_NOW "extract(epoch from clock_timestamp())::bigint"

/* Wait (at most 5 s) until no lease of owner has run out... or one has:
 * until `SELECT count(*) FROM jobs WHERE owner = owner AND lease_until <
 * DB_NOW` is want. */
static int
wait_expired(const char *url, const char *owner, int64_t want)
{
	char q[200];
	int i;

	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE owner = "
	    "'%s' AND lease_until < " DB_NOW, owner);
	for (i = 0; i < 50 && sql_int(url, q) != want; i++)
		usleep(100000);
	return i < 50;
}

/*
 * The same operations on PostgreSQL, judged by the database's clock:
 * the caller's now is ignored for leases (a node 2 s off, or the test's
 * made-up instants, change nothing), a renewal extends to the database's
 * now plus its length the leases that have not run out and no others,
 * the fencing question follows, reaping takes the rows whose lease ran
 * out with an event at the caller's instant, another node's lease is
 * never renewed, and the node that lost a lease cannot record.
 */
static void
test_lease_renew_held_reap_pg(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_plan_stats st;
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 1300 };
	struct history h = { 0 };
	struct job v[2];
	struct seen sn = { 0 };
	char err[256], q[200];
	size_t n = 0;
	int held = -1;
	int64_t left;

	job_init(&v[0], "d1", JOB_REMINDER, 3600, "p1", "email", 1000);
	job_init(&v[1], "d1", JOB_REMINDER, 3600, "p2", "email", 1000);
	plan(f->s, v, 2, &st);
	/* v0 under a 1 s lease, v1 under 300 s (the length past until). */
	assert_int_equal(store_claim(f->s, 1000, 1000, 1, NULL, 0, 1001,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_claim(f->s, 1000, 1000, 1, NULL, 0, 1300,
	    seen_job, &sn, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sn.key[0], v[0].key);
	/* Both held now, whatever instant the caller says. */
	assert_int_equal(store_lease_held(f->s, v[1].key, 999999, &held), 0);
	assert_int_equal(held, 1);

	/* v0's second runs out by the database's clock. */
	assert_true(wait_expired(f->path, "test-node", 1));
	assert_int_equal(store_lease_held(f->s, v[0].key, 0, &held), 0);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease_held(f->s, v[1].key, 0, &held), 0);
	assert_int_equal(held, 1);

	/* A renewal at made-up instants: 600 s from the database's now,
	 * for v1 only. */
	assert_int_equal(store_lease_renew(f->s, 5000, 5600, &n), 0);
	assert_int_equal(n, 1);
	snprintf(q, sizeof(q), "SELECT lease_until - " DB_NOW " FROM jobs "
	    "WHERE key = '%s'", v[1].key);
	left = sql_int(f->path, q);
	assert_true(left >= 597 && left <= 600);
	assert_true(wait_expired(f->path, "test-node", 1));	/* v0 out */
	/* A shorter one shortens nothing. */
	assert_int_equal(store_lease_renew(f->s, 5000, 5010, &n), 0);
	assert_int_equal(n, 0);
	assert_true(sql_int(f->path, q) >= 590);

	/* Reaping takes v0 only, its event at the caller's instant. */
	assert_int_equal(store_lease_reap(f->s, 1120, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f->s, v[0].key), JOB_PENDING);
	assert_int_equal(state_of(f->s, v[1].key), JOB_INFLIGHT);
	assert_int_equal(store_history(f->s, v[0].key, seen_event, &h), 0);
	assert_string_equal(h.state[h.n - 1], "pending");
	assert_string_equal(h.detail[h.n - 1],
	    "recovered: the lease of test-node ran out");
	assert_int_equal(h.at[h.n - 1], 1120);
	assert_int_equal(store_lease_reap(f->s, 1121, &n), 0);
	assert_int_equal(n, 0);

	/* Another node claims v0 for 2 s; our renewal leaves it alone. */
	assert_int_equal(store_open(f->url, NODE_B, &other, err,
	    sizeof(err)), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(claim_lease(other, 1000, 1002, &sn), 1);
	assert_string_equal(sn.key[0], v[0].key);
	assert_int_equal(store_lease_renew(f->s, 0, 900, &n), 0);
	assert_int_equal(n, 1);			/* v1 only */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs WHERE "
	    "owner = '" NODE_B "' AND lease_until <= " DB_NOW " + 2"), 1);
	assert_int_equal(store_lease_held(f->s, v[0].key, 0, &held), 0);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease_held(other, v[0].key, 0, &held), 0);
	assert_int_equal(held, 1);
	assert_int_equal(store_record(f->s, v[0].key, &r), -1);
	assert_non_null(strstr(store_error(f->s), "lease lost"));
	assert_false(store_is_fault(f->s));
	assert_int_equal(store_record(other, v[0].key, &r), 0);
	assert_int_equal(state_of(f->s, v[0].key), JOB_DELIVERED);
	store_close(other);
	/* A renewal that would end before now is refused. */
	assert_int_equal(store_lease_renew(f->s, 1300, 1200, &n), -1);
}

/*
 * What renewal is for (issue 15): A holds a job past the lease it
 * claimed it with (a slow receiver, say) and renews it every 0.6 s;
 * all along B, polling, can take nothing.  Once A stops renewing, the
 * lease runs out and B takes the job over.  Before the PostgreSQL store
 * renewed anything, B took it after the first second.
 */
static void
test_lease_renewed_not_taken_pg(void **state)
{
	struct fixture *f = *state;
	struct store *b = NULL;
	struct store_plan_stats st;
	struct job v[1];
	struct seen sa = { 0 }, sb = { 0 };
	char err[256];
	size_t n = 0, renewed = 0;
	int i, held = 0;

	job_init(&v[0], "d1", JOB_REMINDER, 0, "p1", "sms", 100);
	plan(f->s, v, 1, &st);
	assert_int_equal(store_open(f->url, NODE_B, &b, err, sizeof(err)),
	    0);
	/* A 2 s lease, held for 4 s. */
	assert_int_equal(store_claim(f->s, 1000, 1000, 1, NULL, 0, 1002,
	    seen_job, &sa, &n), 0);
	assert_int_equal(n, 1);
	for (i = 0; i < 8; i++) {
		usleep(500000);
		/* Within the second of the last horizon nothing needs
		 * extending (the database's seconds): count the renewals. */
		assert_int_equal(store_lease_renew(f->s, 1000, 1002, &n), 0);
		renewed += n;
		assert_int_equal(store_lease_held(f->s, v[0].key, 0, &held),
		    0);
		assert_int_equal(held, 1);
		assert_int_equal(store_claim(b, 1000, 1000, 10, NULL, 0, 1300,
		    seen_job, &sb, &n), 0);
		assert_int_equal(n, 0);
		assert_int_equal(store_lease_reap(b, 1000, &n), 0);
		assert_int_equal(n, 0);
	}
	assert_true(renewed >= 3);
	assert_int_equal(state_of(f->s, v[0].key), JOB_INFLIGHT);
	assert_false(has_event(f->s, v[0].key, "expired"));
	assert_false(has_event(f->s, v[0].key, "ran out"));
	/* A stops renewing: within 3 s the lease runs out, B takes it. */
	for (i = 0; i < 30 && sb.n == 0; i++) {
		usleep(100000);
		assert_int_equal(store_claim(b, 1000, 1000, 10, NULL, 0, 1300,
		    seen_job, &sb, &n), 0);
	}
	assert_int_equal(sb.n, 1);
	assert_string_equal(sb.key[0], v[0].key);
	assert_true(has_event(f->s, v[0].key, "lease of test-node expired"));
	store_close(b);
}

/* Checkpoints the store's thread has run, once it has run more than
 * after (up to 10 s); fails the test otherwise. */
static uint64_t
wait_checkpoints(struct store *s, uint64_t after)
{
	struct store_wal_stats ws;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(store_wal_stats(s, &ws), 0);
		if (ws.checkpoints > after)
			return ws.checkpoints;
		usleep(10000);
	}
	fail_msg("no checkpoint after %llu in 10 s", (unsigned long long)after);
	return 0;
}

/* Commit batches of n jobs until the log holds at least pages pages;
 * returns how many jobs were put. */
static int
fill_log(struct store *s, int pages, int n, int from)
{
	struct store_wal_stats ws = { 0 };
	char item[32];
	struct job j;
	int i = from;

	assert_int_equal(store_wal_stats(s, &ws), 0);
	while (ws.pages < (uint64_t)pages) {
		assert_true(i < from + 100000);
		assert_int_equal(store_begin(s), 0);
		for (int k = 0; k < n; k++, i++) {
			snprintf(item, sizeof(item), "i%d", i);
			job_init(&j, item, JOB_REMINDER, 3600, "p1", "email",
			    1000 + i);
			assert_int_equal(store_insert(s, &j), 0);
		}
		assert_int_equal(store_commit(s), 0);
		assert_int_equal(store_wal_stats(s, &ws), 0);
	}
	return i - from;
}

/*
 * The log's checkpoints run on the store's thread (heraldd-ckpt), not
 * inside the commit that takes the log past 1,000 pages (issue 17).  A
 * reader holding an older snapshot keeps the thread from copying the
 * last pages; the first commit after it, with those few pages left,
 * copies them itself, and the one after starts the log over.  The new
 * log is the thread's again (the loop once copied the whole of it,
 * taking it for a tail of the old one).  Closing stops the thread and
 * leaves no log behind.
 */
static void
test_wal_checkpoint_thread(void **state)
{
	struct fixture *f = *state;
	struct store_wal_stats ws = { 0 };
	struct store *m;
	char wal[240], err[256];
	uint64_t before;
	sqlite3 *rd;
	struct job j;
	int n;

	assert_int_equal(unit_threads_named("heraldd-ckpt"), 1);
	/* The thread's first checkpoint, of whatever the open left. */
	before = wait_checkpoints(f->s, 0);
	n = fill_log(f->s, 950, 20, 0);
	assert_int_equal(sqlite3_open_v2(f->path, &rd, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM "
	    "job_rows", NULL, NULL, NULL), SQLITE_OK);
	n += fill_log(f->s, 1000, 20, n);
	before = wait_checkpoints(f->s, before);
	assert_int_equal(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(rd);

	job_init(&j, "tail", JOB_REMINDER, 3600, "p1", "email", 1000);
	assert_int_equal(store_insert(f->s, &j), 0);
	assert_int_equal(store_wal_stats(f->s, &ws), 0);
	assert_true(ws.pages >= 1000);
	assert_int_equal(ws.checkpoints, before + 1);
	assert_int_equal(ws.tails, 1);
	job_init(&j, "after", JOB_REMINDER, 3600, "p1", "email", 1000);
	assert_int_equal(store_insert(f->s, &j), 0);
	assert_int_equal(store_wal_stats(f->s, &ws), 0);
	assert_true(ws.pages < 100);

	/* Past 1,000 pages of the new log: the thread's again, not a
	 * "tail" measured against what it copied of the old one. */
	before = ws.checkpoints;
	n += fill_log(f->s, 1000, 20, n);
	wait_checkpoints(f->s, before);
	assert_int_equal(store_wal_stats(f->s, &ws), 0);
	assert_int_equal(ws.tails, 1);
	assert_int_equal(ws.failed, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jobs"), n + 2);

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(unit_threads_named("heraldd-ckpt"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(store_open(f->url, "test-node", &f->s, err,
	    sizeof(err)), 0);

	/* In memory there is no log, and no thread. */
	assert_int_equal(store_open("sqlite::memory:", "test-node", &m, err,
	    sizeof(err)), 0);
	assert_int_equal(store_wal_stats(m, &ws), -1);
	assert_int_equal(unit_threads_named("heraldd-ckpt"), 1);
	store_close(m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_open_schema),
	T(test_reopen_keeps_data),
	T(test_plan_idempotent),
	T(test_plan_removal_cancels_one),
	T(test_plan_moved_due),
	T(test_plan_leaves_non_pending),
	T(test_plan_revives_restored),
	T(test_plan_revives_only_plan_cancelled),
	T(test_plan_revived_misfire),
	T(test_migrate_v2_plan_cancelled),
	T(test_plan_abort),
	T(test_plan_empty_rebuilds_indexes),
	T(test_plan_abort_keeps_indexes),
	T(test_plan_empty_key_twice),
	T(test_plan_empty_batches),
	T(test_migrate_v8_jobs_key),
	T(test_plan_other_order),
	T(test_claim_order),
	T(test_claim_skip),
	T(test_next_due),
	T(test_recover),
	T(test_record_outcomes),
	T(test_record_batch),
	T(test_record_half_is_fault),
	T(test_rollback_and_faults),
	T(test_expire),
	T(test_later_and_superseded),
	T(test_submit),
	T(test_submit_unit_withdraw),
	T(test_read_snapshot),
	T(test_ack),
	T(test_insert_fallback),
	T(test_list_and_counts),
	T(test_plan_adopts_inserted),
	T(test_migrate_v1),
	cmocka_unit_test(test_open_errors),
	T(test_newer_schema_refused),
	T(test_incident_open_once),
	T(test_incident_ack_stops_alerts),
	T(test_node_beat),
	T(test_due_count),
	T(test_lease_renew_held_reap),
	T(test_wal_checkpoint_thread),
};

/* What runs on PostgreSQL: all but SQLite's files and migrations. */
static const struct CMUnitTest tests_pg[] = {
	T(test_plan_idempotent),
	T(test_plan_removal_cancels_one),
	T(test_plan_moved_due),
	T(test_plan_leaves_non_pending),
	T(test_plan_revives_restored),
	T(test_plan_revives_only_plan_cancelled),
	T(test_plan_revived_misfire),
	T(test_plan_abort),
	T(test_plan_other_order),
	T(test_claim_order),
	T(test_claim_skip),
	T(test_next_due),
	T(test_recover),
	T(test_record_outcomes),
	T(test_record_batch),
	T(test_expire),
	T(test_later_and_superseded),
	T(test_submit),
	T(test_submit_unit_withdraw),
	T(test_ack),
	T(test_insert_fallback),
	T(test_list_and_counts),
	T(test_plan_adopts_inserted),
	T(test_incident_open_once),
	T(test_incident_ack_stops_alerts),
	T(test_two_owners),
	T(test_node_beat),
	T(test_due_count),
	T(test_lease_renew_held_reap_pg),
	T(test_lease_renewed_not_taken_pg),
};

int
main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	if (getenv("HERALD_TEST_PG_URL") != NULL)
		return cmocka_run_group_tests(tests_pg, NULL, NULL) ? 1 : 0;
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
