/*
 * store_ledger.h - the ledger half of a store backend (store.h,
 * "Backend interface"): what is told from outside and asked back.  Each
 * entry implements the store_* function of the same name, with its
 * semantics and the store's rules; store.c has checked the arguments.
 *
 * Submissions (which cancel and revive the kinds store.c passes),
 * acknowledgements, delivery receipts and incidents are recorded here; listings,
 * a job's history and the counts by state are read here.  None of it
 * claims or schedules.
 */
#ifndef HERALD_STORE_LEDGER_H
#define HERALD_STORE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_ledger_ops {
	/* kinds: the set (bit 1u << kind) of the members' pending notices
	 * that submit cancels and withdraw revives. */
	int (*submit)(struct store *s, const char *campaign,
	    const char *deadline, const struct store_party *p,
	    unsigned kinds, int64_t at, const char *via, int *first,
	    size_t *n_cancelled);
	int (*is_submitted)(struct store *s, const char *campaign,
	    const char *deadline, const char *unit, const char *contact,
	    int *submitted, int64_t *at);
	int (*withdraw)(struct store *s, const char *campaign,
	    const char *deadline, const struct store_party *p,
	    unsigned kinds, int64_t at, const char *via, int *found,
	    size_t *n_revived);
	int (*submissions)(struct store *s, const char *campaign,
	    store_submission_fn fn, void *arg);
	int (*ack)(struct store *s, const char *key, int64_t at,
	    const char *via);
	int (*is_acked)(struct store *s, const char *key, int *acked,
	    int64_t *at);
	int (*receipt)(struct store *s, const char *key, int part, int type,
	    int64_t at, const char *detail);
	int (*receipts)(struct store *s, const char *key, store_receipt_fn fn,
	    void *arg, size_t *n);
	int (*list)(struct store *s, const struct store_filter *f,
	    store_job_fn fn, void *arg);
	int (*get)(struct store *s, const char *key, store_job_fn fn,
	    void *arg, int *found);
	int (*history)(struct store *s, const char *key, store_event_fn fn,
	    void *arg);
	int (*count_states)(struct store *s, size_t counts[JOB_STATE_COUNT]);
	/* Incidents.  kinds: the set of the incident's pending jobs that an
	 * ack or a resolution cancels. */
	int (*incident_open)(struct store *s, const struct store_incident *inc,
	    store_incident_fn fn, void *arg, int *created);
	int (*incident_get)(struct store *s, const char *id,
	    store_incident_fn fn, void *arg, int *found);
	int (*incident_list)(struct store *s,
	    const struct store_incident_filter *f, store_incident_fn fn,
	    void *arg);
	int (*incident_close)(struct store *s, const char *id,
	    enum store_incident_state to, int64_t at, const char *who,
	    const char *door, const char *note, unsigned kinds, int *changed,
	    size_t *n_cancelled);
	int (*incident_event)(struct store *s, const char *id, int64_t at,
	    const char *what, const char *who, const char *door,
	    const char *detail);
	int (*incident_events)(struct store *s, const char *id,
	    store_incident_event_fn fn, void *arg);
	int (*incident_jobs)(struct store *s, const char *id, store_job_fn fn,
	    void *arg);
	int (*incident_stats)(struct store *s, store_incident_stat_fn fn,
	    void *arg);
	int (*incident_sends)(struct store *s, store_incident_send_fn fn,
	    void *arg);
};

#endif
