/*
 * store_pg_jobs.h - the run side of the PostgreSQL store
 * (store_pg_jobs.c): store_agenda_ops entries of the same names.
 * Private to the backend.
 */
#ifndef HERALD_STORE_PG_JOBS_H
#define HERALD_STORE_PG_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_pg.h"

int pg_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int last_prio,
    int64_t lease_until, store_job_fn fn, void *arg, size_t *n_claimed);
int pg_next_due(struct store *s, int64_t *next_at, int *found);
int pg_record(struct store *s, const char *key, const struct store_result *r);
int pg_recover(struct store *s, int64_t now, size_t *n);
int pg_expire(struct store *s, int64_t now,
    const int64_t grace[JOB_KIND_COUNT], store_job_fn fn, void *arg,
    size_t *n);

#endif
