/*
 * store_sqlite_jobs.h - the run side of the SQLite store
 * (store_sqlite_jobs.c): store_agenda_ops entries of the same names.
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_JOBS_H
#define HERALD_STORE_SQLITE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_sqlite.h"

int sq_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int last_prio,
    int64_t lease_until, store_job_fn fn, void *arg, size_t *n_claimed);
int sq_next_due(struct store *s, int64_t *next_at, int *found);
int sq_record(struct store *s, const char *key, const struct store_result *r);
int sq_recover(struct store *s, int64_t now, size_t *n);
int sq_expire(struct store *s, int64_t now,
    const int64_t grace[JOB_KIND_COUNT], store_job_fn fn, void *arg,
    size_t *n);

#endif
