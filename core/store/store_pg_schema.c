/*
 * store_pg_schema.c - the PostgreSQL store's schema and its migration.
 *
 * The tables and columns are the SQLite store's at its version 7
 * (store_sqlite_schema.c), typed BIGINT, INTEGER and TEXT, with the same
 * views (jobs, events, acks, receipts) for psql and scripts; keys are
 * text UUIDs.  Versions count from 1 here: herald_schema holds one row
 * per migration applied, with when and by which node.  Version 2 adds
 * the nodes (the SQLite store's version 8).
 *
 * Nodes that start together on an empty database must migrate once:
 * the migration runs in one transaction under pg_advisory_xact_lock,
 * and whoever gets the lock second finds the version current and does
 * nothing.  Version N+1 is one more string here, never an edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "store_pg_schema.h"

static const char *const pg_migrations[] = {
	/* 1: the SQLite store's layout at its version 7 */
	"CREATE TABLE meta ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  value BIGINT NOT NULL);"
	"INSERT INTO meta (name, value) VALUES ('plan_gen', 0);"
	"CREATE TABLE job_rows ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  item TEXT NOT NULL,"
	"  offset_s BIGINT NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  due BIGINT NOT NULL,"
	"  next_at BIGINT NOT NULL,"
	"  item_at BIGINT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  attempts BIGINT NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  lateness_ms BIGINT NOT NULL DEFAULT 0,"
	"  fallback_of TEXT,"
	"  owner TEXT,"
	"  lease_until BIGINT,"		/* the database's clock */
	"  plan_gen BIGINT,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  last_detail TEXT,"
	"  plan_cancelled BIGINT,"
	"  incident TEXT);"
	"CREATE INDEX jobs_state_next ON job_rows (state, priority, next_at);"
	"CREATE INDEX jobs_item_contact ON job_rows (campaign, item, contact);"
	"CREATE INDEX jobs_next ON job_rows (next_at);"
	"CREATE INDEX jobs_contact_next ON job_rows (contact, next_at);"
	"CREATE INDEX jobs_incident ON job_rows (incident)"
	"  WHERE incident IS NOT NULL;"
	"CREATE TABLE job_events ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  job BIGINT NOT NULL REFERENCES job_rows (id),"
	"  at BIGINT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX events_job ON job_events (job, at);"
	"CREATE TABLE job_acks ("
	"  job BIGINT PRIMARY KEY NOT NULL REFERENCES job_rows (id),"
	"  at BIGINT NOT NULL,"
	"  via TEXT);"
	"CREATE TABLE job_receipts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  job BIGINT NOT NULL REFERENCES job_rows (id),"
	"  part INTEGER NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  at BIGINT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX receipts_job ON job_receipts (job, at);"
	"CREATE TABLE submissions ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL,"
	"  unit TEXT,"
	"  contact TEXT,"
	"  at BIGINT NOT NULL,"
	"  via TEXT,"
	"  CHECK (unit IS NOT NULL OR contact IS NOT NULL));"
	"CREATE UNIQUE INDEX submissions_party ON submissions (campaign,"
	"  deadline, coalesce(unit, ''),"
	"  (CASE WHEN unit IS NULL THEN contact ELSE '' END));"
	"CREATE TABLE submission_log ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  campaign TEXT NOT NULL,"
	"  deadline TEXT NOT NULL,"
	"  unit TEXT,"
	"  contact TEXT,"
	"  at BIGINT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  via TEXT);"
	"CREATE INDEX submission_log_deadline ON submission_log"
	"  (campaign, deadline, at);"
	"CREATE TABLE incidents ("
	"  seq BIGSERIAL,"
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  campaign TEXT NOT NULL,"
	"  plan TEXT NOT NULL,"
	"  venue TEXT NOT NULL,"
	"  note TEXT NOT NULL,"
	"  drill INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  source TEXT,"
	"  acked_at BIGINT,"
	"  acked_by TEXT,"
	"  acked_door TEXT,"
	"  resolved_at BIGINT,"
	"  resolved_by TEXT,"
	"  resolved_door TEXT,"
	"  resolved_note TEXT);"
	"CREATE UNIQUE INDEX incidents_open ON incidents"
	"  (campaign, plan, venue) WHERE state <> 'resolved';"
	"CREATE INDEX incidents_created ON incidents (created_at);"
	"CREATE TABLE incident_events ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  incident TEXT NOT NULL REFERENCES incidents (id),"
	"  at BIGINT NOT NULL,"
	"  what TEXT NOT NULL,"
	"  who TEXT,"
	"  door TEXT,"
	"  detail TEXT);"
	"CREATE INDEX incident_events_at ON incident_events (incident, at);"
	"CREATE VIEW jobs AS SELECT key, kind, priority, campaign, item,"
	"  offset_s, contact, channel, due, next_at, item_at, state, attempts,"
	"  late, lateness_ms, fallback_of, owner, lease_until, plan_gen,"
	"  created, updated, last_detail, incident FROM job_rows;"
	"CREATE VIEW events AS SELECT r.key, e.at, e.state, e.detail"
	"  FROM job_events e JOIN job_rows r ON r.id = e.job;"
	"CREATE VIEW acks AS SELECT r.key, a.at, a.via"
	"  FROM job_acks a JOIN job_rows r ON r.id = a.job;"
	"CREATE VIEW receipts AS SELECT r.key, c.part, c.type, c.at, c.detail"
	"  FROM job_receipts c JOIN job_rows r ON r.id = c.job;",

	/*
	 * 2: the nodes (store_cluster.h, store_pg_node.c), as the SQLite
	 * store's version 8: one heartbeat row per process start, by its
	 * UUID, the owner of the jobs it claims.  jobs_owner finds one
	 * node's leases (renewal) and every lease in flight (reaping)
	 * among the few rows in flight.
	 */
	"CREATE TABLE nodes ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid BIGINT NOT NULL,"
	"  started BIGINT NOT NULL,"
	"  generation BIGINT NOT NULL,"
	"  config TEXT,"
	"  last_beat BIGINT NOT NULL,"
	"  in_flight BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX nodes_beat ON nodes (last_beat);"
	"CREATE INDEX jobs_owner ON job_rows (owner, lease_until)"
	"  WHERE state = 'inflight';",
};

#define PG_VERSION ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

/* The version recorded in herald_schema (0: none yet) into *v. */
static int
pg_version_read(struct store *s, struct pg *q, int *v)
{
	PGresult *res;

	res = pg_q(s, q, "read schema version", "SELECT coalesce(max(version), "
	    "0) FROM herald_schema", NULL);
	if (res == NULL)
		return -1;
	*v = (int)pg_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
pg_migrate(struct store *s, struct pg *q)
{
	struct pg_args a;
	PGresult *res;
	int outer, version, v;

	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	if (pg_exec(s, q, "lock schema", "SELECT pg_advisory_xact_lock("
	    PG_LOCK_SCHEMA ")", NULL, NULL) == -1)
		goto fail;
	if (pg_exec(s, q, "create schema table", "CREATE TABLE IF NOT EXISTS "
	    "herald_schema (version INTEGER PRIMARY KEY, applied_at BIGINT "
	    "NOT NULL, node TEXT)", NULL, NULL) == -1)
		goto fail;
	if (pg_version_read(s, q, &version) == -1)
		goto fail;
	if (version > PG_VERSION) {
		store_seterr(s, "%s: schema version %d is newer than this "
		    "herald understands (%d); upgrade herald", q->shown,
		    version, PG_VERSION);
		goto fail;
	}
	for (v = version; v < PG_VERSION; v++) {
		/* DDL without values: no parameters to pass. */
		res = PQexec(q->conn, pg_migrations[v]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			store_seterr(s, "%s: migration to schema version %d: "
			    "%s", q->shown, v + 1, PQresultErrorMessage(res));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		pg_args_init(&a);
		pg_arg_i64(&a, v + 1);
		pg_arg_i64(&a, (int64_t)time(NULL));
		pg_arg_text(&a, store_owner(s));
		if (pg_exec(s, q, "record schema version", "INSERT INTO "
		    "herald_schema (version, applied_at, node) VALUES ($1, $2, "
		    "$3)", &a, NULL) == -1)
			goto fail;
	}
	return pg_tx_end(s, q, outer, 1);
fail:
	return pg_tx_end(s, q, outer, 0);
}

int
pg_schema_version(struct store *s)
{
	int v;

	if (pg_version_read(s, pg_of(s), &v) == -1)
		return -1;
	return v;
}
