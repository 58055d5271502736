/*
 * store_pg_schema.h - the PostgreSQL store's schema (store_pg_schema.c).
 * Private to the backend, like store_pg.h, which it builds on.
 */
#ifndef HERALD_STORE_PG_SCHEMA_H
#define HERALD_STORE_PG_SCHEMA_H

#include "store.h"
#include "store_pg.h"

/* Bring the database to the current schema, under an advisory lock. */
int pg_migrate(struct store *s, struct pg *q);
int pg_schema_version(struct store *s);

#endif
