/*
 * store_agenda.h - the agenda half of a store backend (store.h,
 * "Backend interface"): what the engine runs on.  Each entry implements
 * the store_* function of the same name, with its semantics and the
 * store's rules; store.c has checked the arguments.
 *
 * Planning and inserts put jobs on the agenda; claim, next_due and
 * record (batched by begin, commit and rollback) run it; recover and
 * expire set it right after a stop and a misfire; later finds the
 * reminder that supersedes a late one.  A clustered backend takes and
 * checks its leases here.
 */
#ifndef HERALD_STORE_AGENDA_H
#define HERALD_STORE_AGENDA_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_agenda_ops {
	int (*plan_begin)(struct store *s);
	int (*plan_put)(struct store *s, const struct job *j);
	int (*plan_end)(struct store *s, struct store_plan_stats *stats);
	void (*plan_abort)(struct store *s);
	int (*insert)(struct store *s, const struct job *j);
	/* The priority classes HERALD_PRIO_EMERGENCY through last_prio:
	 * store_claim() asks for all, store_claim_urgent() for the first. */
	int (*claim)(struct store *s, int64_t now, int64_t until, size_t max,
	    const char *const *skip, size_t n_skip, int last_prio,
	    int64_t lease_until, store_job_fn fn, void *arg,
	    size_t *n_claimed);
	int (*next_due)(struct store *s, int64_t *next_at, int *found);
	int (*record)(struct store *s, const char *key,
	    const struct store_result *r);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	/* Optional: NULL where a look-up costs nothing to start. */
	void (*read_begin)(struct store *s);
	void (*read_end)(struct store *s);
	int (*recover)(struct store *s, int64_t now, size_t *n);
	/* grace[k] == STORE_GRACE_NEVER: kind k is never expired. */
	int (*expire)(struct store *s, int64_t now,
	    const int64_t grace[JOB_KIND_COUNT], store_job_fn fn, void *arg,
	    size_t *n);
	/* states: the set (bit 1u << state) a later job may be in. */
	int (*later)(struct store *s, const struct job *j, int64_t after,
	    int64_t until, unsigned states, char later[JOB_KEY_LEN],
	    int *found);
};

#endif
