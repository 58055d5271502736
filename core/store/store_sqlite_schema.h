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

/* Bring the file to the current schema version in one transaction. */
int sq_migrate(struct store *s, struct sq *q);
/* The version sq_migrate() brings a file to: this herald's. */
int sq_schema_latest(void);
/* The file's schema version (store_ops.schema_version). */
int sq_schema_version(struct store *s);

#endif
