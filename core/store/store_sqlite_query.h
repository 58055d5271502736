/*
 * store_sqlite_query.h - submissions, acks, receipts and the
 * read side of the SQLite store (store_sqlite_query.c): the
 * store_ledger_ops entries of the same names, and the agenda's later.
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_QUERY_H
#define HERALD_STORE_SQLITE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_sqlite.h"

int sq_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *first, size_t *n_cancelled);
int sq_is_submitted(struct store *s, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    int *submitted, int64_t *at);
int sq_withdraw(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *found, size_t *n_revived);
int sq_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg);
int sq_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, unsigned states, char later[JOB_KEY_LEN], int *found);
int sq_ack(struct store *s, const char *key, int64_t at, const char *via);
int sq_is_acked(struct store *s, const char *key, int *acked, int64_t *at);
int sq_receipt(struct store *s, const char *key, int part, int type,
    int64_t at, const char *detail);
int sq_receipts(struct store *s, const char *key, store_receipt_fn fn,
    void *arg, size_t *n);
int sq_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg);
int sq_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found);
int sq_history(struct store *s, const char *key, store_event_fn fn,
    void *arg);
int sq_count_states(struct store *s, size_t counts[JOB_STATE_COUNT]);

#endif
