/*
 * store_sqlite_schema.c - the SQLite store's schema: every version from 1
 * to the current one, and the migration that brings a file up to date.
 *
 * Apart from the rest of the backend because a migration is written once
 * and never edited, while the statements that use the schema change; the
 * history of the file's layout reads here in order, with the reason for
 * each step.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_schema.h"

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
	"CREATE INDEX " SQ_IX_JOBS_STATE_NEXT ";"
	"CREATE INDEX " SQ_IX_JOBS_ITEM_CONTACT ";"
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
	"CREATE INDEX IF NOT EXISTS " SQ_IX_JOBS_NEXT ";"
	"CREATE INDEX IF NOT EXISTS " SQ_IX_JOBS_CONTACT_NEXT ";",

	/*
	 * 6: submissions belong to a party, not to a person: the unit of
	 * the contact who submitted (units report, people change), or the
	 * contact when it has no unit (unit NULL).  contact says who
	 * submitted; NULL when it was recorded for the unit as a whole.
	 * One row per party and deadline, by a unique index over the
	 * party (a unit and a contact may share an id).  Rows of version 5
	 * were per contact and stay so, valid for that contact alone.
	 * submission_log keeps every submission and withdrawal, since a
	 * withdrawal deletes the row.  The IF EXISTS steps let a file
	 * rolled back to an older user_version by hand migrate again; its
	 * units' rows then become their submitters' own.
	 */
	"DROP TABLE IF EXISTS submissions_v5;"
	"DROP INDEX IF EXISTS submissions_party;"
	"ALTER TABLE submissions RENAME TO submissions_v5;"
	"CREATE TABLE submissions ("
	"  campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL,"
	"  unit TEXT,"
	"  contact TEXT,"
	"  at INTEGER NOT NULL,"
	"  via TEXT,"
	"  CHECK (unit IS NOT NULL OR contact IS NOT NULL));"
	"INSERT OR IGNORE INTO submissions (campaign, deadline, unit, contact,"
	"  at, via) SELECT campaign, deadline, NULL, contact, at, via"
	"  FROM submissions_v5 WHERE contact IS NOT NULL ORDER BY at;"
	"DROP TABLE submissions_v5;"
	"CREATE UNIQUE INDEX submissions_party ON submissions (campaign,"
	"  deadline, ifnull(unit, ''),"
	"  CASE WHEN unit IS NULL THEN contact ELSE '' END);"
	"CREATE TABLE IF NOT EXISTS submission_log ("
	"  campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL,"
	"  unit TEXT,"
	"  contact TEXT,"
	"  at INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"	/* submitted, withdrawn */
	"  via TEXT);"
	"CREATE INDEX IF NOT EXISTS submission_log_deadline ON submission_log"
	"  (campaign, deadline, at);"
	"INSERT INTO submission_log (campaign, deadline, unit, contact, at,"
	"  action, via) SELECT campaign, deadline, NULL, contact, at,"
	"  'submitted', via FROM submissions"
	"  WHERE NOT EXISTS (SELECT 1 FROM submission_log);",

	/*
	 * 7: emergency incidents (issue 14).  A job names its incident
	 * (NULL for every other job); an incident row keeps who triggered,
	 * took charge of and resolved it, through which door, and
	 * incident_events its timeline.  incidents_open is what makes a
	 * second trigger of a plan at a venue find the first while it is
	 * not resolved.  The jobs view is made again to show the column.
	 */
	"ALTER TABLE job_rows ADD COLUMN incident TEXT;"
	"CREATE INDEX IF NOT EXISTS " SQ_IX_JOBS_INCIDENT ";"
	"CREATE TABLE IF NOT EXISTS incidents ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  plan TEXT NOT NULL,"
	"  venue TEXT NOT NULL,"
	"  note TEXT NOT NULL,"
	"  drill INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL,"		/* open, acked, resolved */
	"  created_at INTEGER NOT NULL,"
	"  source TEXT,"
	"  acked_at INTEGER,"
	"  acked_by TEXT,"
	"  acked_door TEXT,"
	"  resolved_at INTEGER,"
	"  resolved_by TEXT,"
	"  resolved_door TEXT,"
	"  resolved_note TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS incidents_open ON incidents"
	"  (campaign, plan, venue) WHERE state != 'resolved';"
	"CREATE INDEX IF NOT EXISTS incidents_created ON incidents (created_at);"
	"CREATE TABLE IF NOT EXISTS incident_events ("
	"  incident TEXT NOT NULL REFERENCES incidents (id),"
	"  at INTEGER NOT NULL,"
	"  what TEXT NOT NULL,"		/* trigger, ack, resolve, repeat... */
	"  who TEXT,"
	"  door TEXT,"
	"  detail TEXT);"
	"CREATE INDEX IF NOT EXISTS incident_events_at ON incident_events"
	"  (incident, at);"
	"DROP VIEW IF EXISTS jobs;"
	"CREATE VIEW jobs AS SELECT " SQ_KEY_TEXT("key") " AS key, kind,"
	"  priority, campaign, item, offset_s, contact, channel, due, next_at,"
	"  item_at, state, attempts, late, lateness_ms, fallback_of, owner,"
	"  lease_until, plan_gen, created, updated, last_detail, incident"
	"  FROM job_rows;",

	/*
	 * 8: the nodes (store_cluster.h): one heartbeat row per process
	 * start, by its UUID, which is also the owner of the jobs it
	 * claims.  jobs_owner finds one node's leases (renewal) and every
	 * lease in flight (reaping) among the few rows in flight.
	 */
	"CREATE TABLE IF NOT EXISTS nodes ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  generation INTEGER NOT NULL,"
	"  config TEXT,"
	"  last_beat INTEGER NOT NULL,"
	"  in_flight INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS nodes_beat ON nodes (last_beat);"
	"CREATE INDEX IF NOT EXISTS " SQ_IX_JOBS_OWNER ";",

	/*
	 * 9: the key's uniqueness as an index of its own, jobs_key, rather
	 * than the column's UNIQUE (sqlite_autoindex_job_rows_1, which only
	 * dropping the table drops): a plan into an empty table then drops
	 * it with the other indexes and makes it by one sort before its
	 * commit, instead of a descent at random per job (issue 17,
	 * store_sqlite_plan.c).  SQLite cannot drop a column constraint, so
	 * this is its documented way to change a table (lang_altertable,
	 * "making other kinds of table schema changes"): a new table, the
	 * rows copied with their ids (job_events, job_acks and
	 * job_receipts point at them), the old one dropped, the new one
	 * renamed, then the indexes and the four views made again.  No
	 * trigger names job_rows.  sq_migrate() runs it with foreign keys
	 * off, as that recipe requires (the drop would otherwise delete
	 * every row first and trip their checks), and checks them before
	 * the commit.
	 */
	"DROP VIEW IF EXISTS jobs;"
	"DROP VIEW IF EXISTS events;"
	"DROP VIEW IF EXISTS acks;"
	"DROP VIEW IF EXISTS receipts;"
	"CREATE TABLE job_rows_v9 ("
	"  id INTEGER PRIMARY KEY,"
	"  key BLOB NOT NULL,"
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
	"  plan_gen INTEGER,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  last_detail TEXT,"
	"  plan_cancelled INTEGER,"
	"  incident TEXT);"
	"INSERT INTO job_rows_v9 (id, key, kind, priority, campaign, item,"
	"  offset_s, contact, channel, due, next_at, item_at, state, attempts,"
	"  late, lateness_ms, fallback_of, owner, lease_until, plan_gen,"
	"  created, updated, last_detail, plan_cancelled, incident)"
	"  SELECT id, key, kind, priority, campaign, item, offset_s, contact,"
	"  channel, due, next_at, item_at, state, attempts, late, lateness_ms,"
	"  fallback_of, owner, lease_until, plan_gen, created, updated,"
	"  last_detail, plan_cancelled, incident FROM job_rows ORDER BY id;"
	"DROP TABLE job_rows;"
	"ALTER TABLE job_rows_v9 RENAME TO job_rows;"
	"CREATE UNIQUE INDEX " SQ_IX_JOBS_KEY ";"
	"CREATE INDEX " SQ_IX_JOBS_STATE_NEXT ";"
	"CREATE INDEX " SQ_IX_JOBS_ITEM_CONTACT ";"
	"CREATE INDEX " SQ_IX_JOBS_NEXT ";"
	"CREATE INDEX " SQ_IX_JOBS_CONTACT_NEXT ";"
	"CREATE INDEX " SQ_IX_JOBS_INCIDENT ";"
	"CREATE INDEX " SQ_IX_JOBS_OWNER ";"
	"CREATE VIEW jobs AS SELECT " SQ_KEY_TEXT("key") " AS key, kind,"
	"  priority, campaign, item, offset_s, contact, channel, due, next_at,"
	"  item_at, state, attempts, late, lateness_ms, fallback_of, owner,"
	"  lease_until, plan_gen, created, updated, last_detail, incident"
	"  FROM job_rows;"
	"CREATE VIEW events AS SELECT " SQ_KEY_TEXT("r.key") " AS key, e.at,"
	"  e.state, e.detail FROM job_events e JOIN job_rows r ON r.id = e.job;"
	"CREATE VIEW acks AS SELECT " SQ_KEY_TEXT("r.key") " AS key, a.at,"
	"  a.via FROM job_acks a JOIN job_rows r ON r.id = a.job;"
	"CREATE VIEW receipts AS SELECT " SQ_KEY_TEXT("r.key") " AS key,"
	"  c.part, c.type, c.at, c.detail FROM job_receipts c"
	"  JOIN job_rows r ON r.id = c.job;",
};
#define SQ_VERSION ((int)(sizeof(sq_migrations) / sizeof(sq_migrations[0])))

#define SQ_CREATE "CREATE INDEX"
#define SQ_CREATE_UNIQUE "CREATE UNIQUE INDEX"
const struct sq_index sq_job_indexes[] = {
	{ "jobs_key", SQ_CREATE_UNIQUE, SQ_IX_JOBS_KEY, 1 },
	{ "jobs_state_next", SQ_CREATE, SQ_IX_JOBS_STATE_NEXT, 1 },
	{ "jobs_item_contact", SQ_CREATE, SQ_IX_JOBS_ITEM_CONTACT, 1 },
	{ "jobs_next", SQ_CREATE, SQ_IX_JOBS_NEXT, 1 },
	{ "jobs_contact_next", SQ_CREATE, SQ_IX_JOBS_CONTACT_NEXT, 1 },
	{ "jobs_incident", SQ_CREATE, SQ_IX_JOBS_INCIDENT, 0 },
	{ "jobs_owner", SQ_CREATE, SQ_IX_JOBS_OWNER, 0 },
};
const size_t sq_n_job_indexes =
    sizeof(sq_job_indexes) / sizeof(sq_job_indexes[0]);

int
sq_schema_latest(void)
{
	return SQ_VERSION;
}

/*
 * The foreign keys that point at job_rows, checked after migration 9
 * rebuilt it: its rows kept their ids, so there is nothing to find,
 * unless the copy lost a row.  -1 with the error set.
 */
static int
sq_migrate_check_keys(struct store *s, struct sq *q)
{
	static const char *const sql[] = {
		"PRAGMA foreign_key_check(job_events)",
		"PRAGMA foreign_key_check(job_acks)",
		"PRAGMA foreign_key_check(job_receipts)",
	};
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (sqlite3_prepare_v2(q->db, sql[i], -1, &st, NULL) !=
		    SQLITE_OK)
			return sq_fail(s, q, "check foreign keys");
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return store_seterr(s, "%s: migration to schema "
			    "version 9: %s points at a missing job", q->path,
			    sql[i] + strlen("PRAGMA foreign_key_check("));
		if (rc != SQLITE_DONE)
			return sq_fail(s, q, "check foreign keys");
	}
	return 0;
}

static int
sq_migrate_tx(struct store *s, struct sq *q)
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
	if (version < 9 && sq_migrate_check_keys(s, q) == -1)
		goto fail;
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

/*
 * Foreign keys are off while the migrations run (migration 9 drops
 * job_rows, whose rows others point at), and the sorts of their CREATE
 * INDEX go to temporary files with the page cache of a plan's rebuild
 * (store_sqlite_plan.c): migration 9 of a million jobs peaked at 297 MB
 * of RSS sorting in memory.  These pragmas only take effect outside a
 * transaction, so the switch is here, around it.  At open there is none;
 * the connection's settings (sq_connect()) are back whatever happened.
 */
int
sq_migrate(struct store *s, struct sq *q)
{
	int rc;

	if (sqlite3_exec(q->db, "PRAGMA foreign_keys = OFF;"
	    "PRAGMA temp_store = FILE;"
	    "PRAGMA cache_size = " SQ_SORT_CACHE_KB, NULL, NULL,
	    NULL) != SQLITE_OK)
		rc = sq_fail(s, q, "migrate");
	else
		rc = sq_migrate_tx(s, q);
	if (sqlite3_exec(q->db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = " SQ_CACHE_KB, NULL, NULL,
	    NULL) != SQLITE_OK && rc == 0)
		return sq_fail(s, q, "migrate");
	return rc;
}

int
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
