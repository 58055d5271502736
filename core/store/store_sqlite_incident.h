/*
 * store_sqlite_incident.h - incidents in the SQLite store
 * (store_sqlite_incident.c): the store_ledger_ops entries of the same
 * names.
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_INCIDENT_H
#define HERALD_STORE_SQLITE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_sqlite.h"

int sq_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created);
int sq_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found);
int sq_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg);
int sq_incident_close(struct store *s, const char *id,
    enum store_incident_state to, int64_t at, const char *who,
    const char *door, const char *note, unsigned kinds, int *changed,
    size_t *n_cancelled);
int sq_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail);
int sq_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg);
int sq_incident_jobs(struct store *s, const char *id, store_job_fn fn,
    void *arg);

int sq_incident_stats(struct store *s, store_incident_stat_fn fn, void *arg);
int sq_incident_sends(struct store *s, store_incident_send_fn fn, void *arg);

#endif
