/*
 * store_sqlite_plan.h - planning and inserts in the SQLite
 * store (store_sqlite_plan.c): store_agenda_ops entries of the same names.
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_PLAN_H
#define HERALD_STORE_SQLITE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_sqlite.h"

int sq_plan_begin(struct store *s);
int sq_plan_put(struct store *s, const struct job *j);
int sq_plan_end(struct store *s, struct store_plan_stats *stats);
void sq_plan_abort(struct store *s);
int sq_insert(struct store *s, const struct job *j);

#endif
