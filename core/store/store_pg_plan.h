/*
 * store_pg_plan.h - planning in the PostgreSQL store (store_pg_plan.c):
 * store_agenda_ops entries of the same names.  Private to the backend.
 */
#ifndef HERALD_STORE_PG_PLAN_H
#define HERALD_STORE_PG_PLAN_H

#include "store.h"
#include "store_pg.h"

int pg_plan_begin(struct store *s);
int pg_plan_put(struct store *s, const struct job *j);
int pg_plan_end(struct store *s, struct store_plan_stats *stats);
void pg_plan_abort(struct store *s);
int pg_insert(struct store *s, const struct job *j);

#endif
