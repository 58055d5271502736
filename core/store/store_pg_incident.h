/*
 * store_pg_incident.h - incidents in the PostgreSQL store
 * (store_pg_incident.c).  Private to the backend.
 */
#ifndef HERALD_STORE_PG_INCIDENT_H
#define HERALD_STORE_PG_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_pg.h"

int pg_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created);
int pg_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found);
int pg_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg);
int pg_incident_close(struct store *s, const char *id,
    enum store_incident_state to, int64_t at, const char *who,
    const char *door, const char *note, unsigned kinds, int *changed,
    size_t *n_cancelled);
int pg_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail);
int pg_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg);
int pg_incident_jobs(struct store *s, const char *id, store_job_fn fn,
    void *arg);
int pg_incident_stats(struct store *s, store_incident_stat_fn fn, void *arg);
int pg_incident_sends(struct store *s, store_incident_send_fn fn, void *arg);

#endif
