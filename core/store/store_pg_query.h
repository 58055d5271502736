/*
 * store_pg_query.h - submissions, acks, receipts and the read side of
 * the PostgreSQL store (store_pg_query.c).  Private to the backend.
 */
#ifndef HERALD_STORE_PG_QUERY_H
#define HERALD_STORE_PG_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_pg.h"

int pg_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *first, size_t *n_cancelled);
int pg_is_submitted(struct store *s, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    int *submitted, int64_t *at);
int pg_withdraw(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *found, size_t *n_revived);
int pg_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg);
int pg_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, unsigned states, char later[JOB_KEY_LEN], int *found);
int pg_ack(struct store *s, const char *key, int64_t at, const char *via);
int pg_is_acked(struct store *s, const char *key, int *acked, int64_t *at);
int pg_receipt(struct store *s, const char *key, int part, int type,
    int64_t at, const char *detail);
int pg_receipts(struct store *s, const char *key, store_receipt_fn fn,
    void *arg, size_t *n);
int pg_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg);
int pg_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found);
int pg_history(struct store *s, const char *key, store_event_fn fn,
    void *arg);
int pg_count_states(struct store *s, size_t counts[JOB_STATE_COUNT]);

#endif
