/*
 * store_sqlite_schema.h - the SQLite store's migrations
 * (store_sqlite_schema.c).
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_SCHEMA_H
#define HERALD_STORE_SQLITE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_sqlite.h"

/*
 * The secondary indexes of job_rows, each from its name to the end of its
 * CREATE INDEX, spelled exactly as the migration that made it (SQLite
 * keeps that text in sqlite_master: a rebuild from these strings leaves
 * the same schema).  The migrations and the plan's rebuild
 * (sq_job_indexes[]) both use them; a new index is a new macro here, a
 * migration that creates it and an entry in sq_job_indexes[].
 */
/* The key's uniqueness, since version 9 (the column's UNIQUE before). */
#define SQ_IX_JOBS_KEY "jobs_key ON job_rows (key)"
#define SQ_IX_JOBS_STATE_NEXT \
	"jobs_state_next ON job_rows (state, priority, next_at)"
#define SQ_IX_JOBS_ITEM_CONTACT \
	"jobs_item_contact ON job_rows (campaign, item, contact)"
#define SQ_IX_JOBS_NEXT "jobs_next ON job_rows (next_at)"
#define SQ_IX_JOBS_CONTACT_NEXT \
	"jobs_contact_next ON job_rows   (contact, next_at)"
#define SQ_IX_JOBS_INCIDENT \
	"jobs_incident ON job_rows (incident)  WHERE incident IS NOT NULL"
#define SQ_IX_JOBS_OWNER \
	"jobs_owner ON job_rows (owner, lease_until)  WHERE state = 'inflight'"

/*
 * One index of job_rows: its name, the statement that makes it up to the
 * name ("CREATE INDEX" or "CREATE UNIQUE INDEX"), its definition from the
 * name on (one of the SQ_IX_ macros), and whether a plan into an empty
 * table drops it and makes it again (store_sqlite_plan.c).  The partial
 * indexes stay: planned rows are pending and have no incident, so the
 * plan's inserts never write them, while a rebuild would scan the whole
 * table for each.
 */
struct sq_index {
	const char *name;
	const char *create;
	const char *def;
	int plan_drops;
};
/* Every index of job_rows at the current schema version, in the order
 * the last migration that made them all (9) created them, the unique
 * key's first; sq_n_job_indexes of them. */
extern const struct sq_index sq_job_indexes[];
extern const size_t sq_n_job_indexes;

/* Bring the file to the current schema version in one transaction. */
int sq_migrate(struct store *s, struct sq *q);
/* The version sq_migrate() brings a file to: this herald's. */
int sq_schema_latest(void);
/* The file's schema version (store_ops.schema_version). */
int sq_schema_version(struct store *s);

#endif
