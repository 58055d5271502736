/*
 * store.h - the durable agenda: the truth about every job.
 *
 * The engine talks to the store through this interface only; a backend
 * implements struct store_ops.  SQLite (WAL) is the embedded default; a
 * PostgreSQL backend implements the same operations for clusters (claims
 * with FOR UPDATE SKIP LOCKED under a lease held by `owner`).  Every
 * operation returns 0 or -1 with a reason in the store's error buffer
 * (store_error()); backends never log.
 *
 * Rules every backend keeps:
 *   1. A job row exists before the job is sent; claim marks it inflight
 *      with a lease; the outcome is recorded after.
 *   2. Re-planning never touches a job that is not pending, and never
 *      changes a pending job whose instant did not change, with one
 *      exception: a job that an earlier plan cancelled because its key
 *      had vanished from the config (and nothing else cancelled) goes
 *      back to pending when a plan puts its key again ("revived: back
 *      in config").
 *   3. Every state change appends an event (time, state, detail) to the
 *      job's history.
 */
#ifndef HERALD_STORE_H
#define HERALD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct store;

/* Open the store named by url ("sqlite:PATH", "postgresql://HOST/DB",
 * "postgresql:host=H dbname=D"); creates and migrates the
 * schema.  Caller owns *out (store_close()).  Returns 0, or -1 with a
 * message in err. */
int store_open(const char *url, const char *owner, struct store **out,
    char *err, size_t errlen);
/* store_open() with a password for the backend (PostgreSQL; NULL: its
 * own means, PGPASSWORD or pgpass); borrowed, never kept after the
 * open, never in a message. */
int store_open_auth(const char *url, const char *owner,
    const char *password, struct store **out, char *err, size_t errlen);
/* Accepts NULL. */
void store_close(struct store *s);
/* The last error of s. */
const char *store_error(const struct store *s);
/*
 * Whether the last failed store_begin, store_record, store_insert,
 * store_commit or store_claim failed in the storage itself (disk full,
 * file system read-only, I/O error, database locked or corrupt) rather
 * than on the request (unknown key, job already recorded).  Such a
 * failure says nothing about the request: the same call may succeed
 * later, and a caller that must not lose it keeps it and tries again.
 */
int store_is_fault(const struct store *s);
/* Schema version in use. */
int store_schema_version(struct store *s);

/*
 * The write-ahead log, where the backend keeps one (SQLite on a file).
 * Its checkpoints, which copy the log into the database file, run on a
 * thread of the store's own, not inside the caller's commit (issue 17);
 * the caller's commit copies only the few pages committed during one.
 * pages: the log's length after the last commit; checkpoints: how many
 * ran; tails: how many of those the caller's commit ran itself, for the
 * few pages committed during the thread's copy (so that the log starts
 * over); failed: how many failed (the log grows meanwhile, nothing is
 * lost).  Returns 0, or -1 where there is no such log (PostgreSQL,
 * SQLite in memory).
 */
struct store_wal_stats {
	uint64_t pages, checkpoints, tails, failed;
};
int store_wal_stats(struct store *s, struct store_wal_stats *out);

/*
 * Re-planning.  plan_begin starts a generation; plan_put inserts a job if
 * its key is absent, updates due/next_at of a still-pending job whose
 * instant moved, and marks the key as present in this generation;
 * plan_end cancels every pending job that was not put in this generation
 * and commits.  plan_put of a key that an earlier plan_end cancelled
 * revives it: pending again at the put's due/next_at, attempts reset.
 * Counts of inserted/updated/cancelled/revived keys come back.
 * plan_abort rolls everything back.
 */
struct store_plan_stats {
	size_t inserted, updated, unchanged, cancelled, revived;
};
int store_plan_begin(struct store *s);
int store_plan_put(struct store *s, const struct job *j);
int store_plan_end(struct store *s, struct store_plan_stats *stats);
void store_plan_abort(struct store *s);

/* Insert one job outside planning (fallbacks, emergency alerts).  Does
 * nothing when the key exists. */
int store_insert(struct store *s, const struct job *j);

/*
 * Claim up to max pending jobs with next_at <= until, highest priority
 * first, then earliest; skip channels listed in skip (n_skip names).
 * Claimed jobs become inflight with a lease until lease_until, that is
 * for lease_until - now from the claim (now: the caller's clock; a
 * backend that judges leases on its own clock grants that length from
 * its own now, never less, so the caller's lease_until is never later
 * than the store's).  Calls fn
 * for each claimed job, its lease_until set; the job's strings are valid
 * during the call only.
 */
typedef void (*store_job_fn)(void *arg, const struct job *j);
int store_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int64_t lease_until,
    store_job_fn fn, void *arg, size_t *n_claimed);

/*
 * Claim as store_claim() does, but only jobs of emergency priority (the
 * emergency kinds, policy_is_emergency()), on every channel: for a
 * scheduler whose cap is full or whose channels are saturated with
 * reminders, so that an emergency never waits for them (issue 14).
 */
int store_claim_urgent(struct store *s, int64_t now, int64_t until,
    size_t max, int64_t lease_until, store_job_fn fn, void *arg,
    size_t *n_claimed);

/* The earliest next_at of any pending job; *found = 0 when none. */
int store_next_due(struct store *s, int64_t *next_at, int *found);

/* Outcomes. */
enum store_outcome {
	STORE_DELIVERED = 0,	/* late when at > due + 1 s... see detail */
	STORE_RETRY,		/* back to pending at next_at, attempts + 1 */
	STORE_DEFER,		/* back to pending at next_at, attempts unchanged
				 * (quiet hours, channel saturated, reload) */
	STORE_FAILED,
	STORE_MISSED,
	STORE_CANCELLED,
	STORE_SUPERSEDED,	/* a later reminder of its item is sent instead;
				 * detail names it */
};
struct store_result {
	enum store_outcome outcome;
	int64_t at;		/* when it happened */
	int64_t next_at;	/* STORE_RETRY */
	int late;		/* STORE_DELIVERED: misfire_is_late() */
	int64_t lateness_ms;	/* hand-off minus due */
	const char *detail;	/* reason, channel answer; may be NULL */
};
int store_record(struct store *s, const char *key, const struct store_result *r);

/*
 * Batch several store_record calls in one transaction; store_rollback
 * abandons the batch (nothing of it is written).  A record that fails
 * inside a batch leaves nothing of itself behind, or, where it could
 * not undo what it did, fails as a fault (store_is_fault()): the caller
 * then rolls the batch back.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/*
 * Around a run of look-ups (the dispatcher's checks before a burst of
 * sends): they may share one read snapshot, which on SQLite takes the
 * file's read lock once instead of once each.  Only look-ups belong
 * inside; a write, a batch or a plan started in between ends the
 * snapshot first and keeps its own transaction.  Nothing to check: where
 * the backend has no such thing, or cannot start it, the look-ups run
 * one by one as without it.
 */
void store_read_begin(struct store *s);
void store_read_end(struct store *s);

/*
 * Start-up recovery: inflight jobs whose lease expired (all of them for a
 * single node) go back to pending.  Returns how many in *n.
 */
int store_recover(struct store *s, int64_t now, size_t *n);

/*
 * Pending jobs with next_at < now - grace[kind] become missed; fn is
 * called for each, so the caller can log them once.  The caller decides
 * the grace (misfire_grace_table()); a kind policy_never_missed() names
 * (emergency) is never missed, whatever the table says: store.c hands the
 * backend STORE_GRACE_NEVER for it.
 */
#define STORE_GRACE_NEVER INT64_MAX
int store_expire(struct store *s, int64_t now, const int64_t grace[JOB_KIND_COUNT],
    store_job_fn fn, void *arg, size_t *n);

/*
 * A job of j's campaign, item, contact and kind, due after `after` and at
 * or before `until`, in a state policy_supersedes() names (pending, in
 * flight or delivered): the latest such job's key into later and
 * *found = 1, else *found = 0.  Which job gives way to which is the
 * caller's policy (misfire.h, policy.h).
 */
int store_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, char later[JOB_KEY_LEN], int *found);

/*
 * Submissions.  A submission closes a deadline for a party (DESIGN.md
 * rule 7): a unit (units report, people change) or a contact without a
 * unit.  The first submission of a party wins: a repeat keeps its time,
 * contact and via (and cancels what became pending since, if anything).
 * Every submission and withdrawal is appended to the submission log.
 */
struct store_party {
	const char *unit;	/* the unit; NULL: the party is contact */
	const char *contact;	/* who submitted; NULL: for the whole unit */
	/* The contacts whose pending notices a submission cancels, and a
	 * withdrawal revives (of the kinds policy_submission_cancels()
	 * names: store.c hands them to the backend). */
	const char *const *members;
	size_t n_members;
};
/* *first: 1 when this call recorded it, 0 when the party had already
 * submitted. */
int store_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, int64_t at, const char *via, int *first,
    size_t *n_cancelled);
/* Is deadline closed for contact, member of unit (NULL: none)?  The
 * unit's submission, or the contact's own, counts; *at (may be NULL)
 * gets its time. */
int store_is_submitted(struct store *s, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    int *submitted, int64_t *at);
/*
 * Undo the party's submission (a mistaken one): the row goes, the log
 * says "withdrawn", and the members' notices that the submission
 * cancelled come back to pending when they are still ahead
 * (next_at > at), each with a "revived" event.  *found = 0 when the
 * party had not submitted (nothing changes then).
 */
int store_withdraw(struct store *s, const char *campaign,
    const char *deadline, const struct store_party *p, int64_t at,
    const char *via, int *found, size_t *n_revived);
/* One recorded submission; the strings are valid during the call. */
struct store_submission {
	const char *deadline;
	const char *unit;	/* NULL: a contact's own */
	const char *contact;	/* NULL: for the whole unit */
	const char *via;	/* may be NULL */
	int64_t at;
};
typedef void (*store_submission_fn)(void *arg,
    const struct store_submission *sub);
/* The submissions in force for campaign, oldest first. */
int store_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg);

/* Acknowledgements: the first one of a job wins. */
int store_ack(struct store *s, const char *key, int64_t at, const char *via);

/* Whether key was acknowledged, and when first (at may be NULL). */
int store_is_acked(struct store *s, const char *key, int *acked, int64_t *at);

/*
 * A delivery receipt for part `part` (1-based) of key's message: type is
 * the gateway's report type (Kannel dlr bits: 1 delivered, 2 not
 * delivered, 4 queued, 8 accepted by the SMSC, 16 rejected by the SMSC),
 * detail the gateway's text (may be NULL).  Appends a "receipt" event
 * ("part 1 delivered") to the job's history; the job's state does not
 * change, since the send already completed.  An unknown key is an error.
 */
int store_receipt(struct store *s, const char *key, int part, int type,
    int64_t at, const char *detail);
/* Receipts of key, oldest first; fn may be NULL to count them (*n). */
typedef void (*store_receipt_fn)(void *arg, int part, int type, int64_t at,
    const char *detail);
int store_receipts(struct store *s, const char *key, store_receipt_fn fn,
    void *arg, size_t *n);

/* Listing: jobs whose next_at lies in [from, to) (from = to = 0: any
 * time), earliest first; string filters may be NULL; f may be NULL. */
struct store_filter {
	int64_t from, to;
	const char *campaign, *contact, *channel;
	int state;		/* -1: any */
	size_t limit;		/* 0: no limit */
	/* Keyset paging: only the jobs listed after the job after_key, last
	 * seen at after_at, in the list's (next_at, row) order; NULL: from
	 * the start.  Pages never repeat or skip a job that stays put. */
	int64_t after_at;
	const char *after_key;
};
int store_list(struct store *s, const struct store_filter *f,
    store_job_fn fn, void *arg);
int store_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found);

/* A job's history, oldest first.  The first entry is the job's creation
 * ("pending", "planned" or "inserted"), which is kept in the job row rather
 * than as an event so that planning stays one write per job.  An unknown
 * key has no history (fn is never called; returns 0). */
typedef void (*store_event_fn)(void *arg, int64_t at, const char *state,
    const char *detail);
int store_history(struct store *s, const char *key, store_event_fn fn, void *arg);

/* Counts of jobs by state. */
int store_count_states(struct store *s, size_t counts[JOB_STATE_COUNT]);

/*
 * Incidents (incident.h): one triggered emergency plan at one venue.  An
 * incident is open, then acknowledged (someone took charge), then
 * resolved; at most one per (campaign, plan, venue) is not resolved.
 * Its alerts are ordinary jobs whose `incident` field names it.  Every
 * change appends to its timeline (incident_events).
 */
enum store_incident_state {
	STORE_INCIDENT_OPEN = 0,
	STORE_INCIDENT_ACKED,
	STORE_INCIDENT_RESOLVED,
	STORE_INCIDENT_STATE_COUNT
};
/* "open", "acked", "resolved"; parse returns -1 for anything else. */
const char *store_incident_state_name(enum store_incident_state st);
int store_incident_state_parse(const char *name);

/* One incident; strings borrowed (from the caller on open, from the
 * store during a callback); NULL or 0 where not yet set. */
struct store_incident {
	const char *id;			/* UUID text */
	const char *campaign, *plan, *venue, *note;
	int drill;
	enum store_incident_state state;
	int64_t created_at;		/* the trigger instant, Unix seconds */
	const char *source;		/* the trigger's door: "api"... */
	int64_t acked_at;
	const char *acked_by, *acked_door;
	int64_t resolved_at;
	const char *resolved_by, *resolved_door, *resolved_note;
};
typedef void (*store_incident_fn)(void *arg, const struct store_incident *inc);

/*
 * Record inc (state open; its id, campaign, plan, venue, note, drill,
 * created_at and source) with a "trigger" event, unless an incident of
 * the same campaign, plan and venue is not resolved yet: then nothing
 * is written and *created = 0.  fn (may be NULL) is called with the
 * incident in force either way.
 */
int store_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created);
/* The incident id; *found = 0 when unknown (fn not called). */
int store_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found);
/* Listing, newest first: state -1 and drill -1 mean any; campaign may be
 * NULL; limit 0 means no limit. */
struct store_incident_filter {
	int state;
	int drill;
	const char *campaign;
	size_t limit;
};
int store_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg);
/*
 * Take charge of id (open -> acked) or close it (open or acked ->
 * resolved), by who through door at `at`, with an event.  Either stops
 * the incident's pending jobs of the kinds policy_incident_stops() names
 * (the alerts): cancelled, detail "incident acknowledged" / "incident
 * resolved", *n_cancelled of them.  *changed = 0 when the incident was
 * not in a state to move (then nothing is written); an unknown id is an
 * error.
 */
int store_incident_ack(struct store *s, const char *id, int64_t at,
    const char *who, const char *door, int *changed, size_t *n_cancelled);
int store_incident_resolve(struct store *s, const char *id, int64_t at,
    const char *who, const char *door, const char *note, int *changed,
    size_t *n_cancelled);
/* Append to id's timeline (what: "repeat", "escalate", "notice"...). */
int store_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail);
/* id's timeline, oldest first; strings valid during the call. */
typedef void (*store_incident_event_fn)(void *arg, int64_t at,
    const char *what, const char *who, const char *door, const char *detail);
int store_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg);
/* Every job of id (alerts and notices), by due instant, then as
 * inserted. */
int store_incident_jobs(struct store *s, const char *id, store_job_fn fn,
    void *arg);

/*
 * What /metrics says of incidents, read afresh from the store so that it
 * survives a restart.  store_incident_stats() calls fn once per incident
 * ever recorded; first_alert_at is the first delivery of one of its
 * alerts (JOB_EMERGENCY), 0 when none was delivered; acked_at 0 when
 * nobody took charge.  Instants in Unix seconds, as the store keeps them.
 */
struct store_incident_stat {
	int drill;
	enum store_incident_state state;
	const char *source;		/* borrowed during the call; may be NULL */
	int64_t created_at, acked_at, first_alert_at;
};
typedef void (*store_incident_stat_fn)(void *arg,
    const struct store_incident_stat *st);
int store_incident_stats(struct store *s, store_incident_stat_fn fn,
    void *arg);
/* Delivered jobs of incidents (alerts and notices) counted by kind (a
 * job_kind_name()), channel and drill; strings borrowed during the call. */
typedef void (*store_incident_send_fn)(void *arg, const char *kind,
    const char *channel, int drill, uint64_t n);
int store_incident_sends(struct store *s, store_incident_send_fn fn,
    void *arg);

/*
 * Backend interface: callers never use it.  store.c picks the backend by
 * the URL scheme and forwards every call after checking its arguments
 * and adding what the core's policy decides (policy.h: the kinds a
 * submission cancels, the kinds never missed); a backend keeps its own
 * state behind store_backend(s), fills the error buffer with
 * store_seterr() and implements every entry (none may be NULL) with the
 * semantics and rules above, and decides nothing but how to store.
 *
 * A backend provides two tables of operations on one connection, as
 * OpenSMTPD splits its scheduler and queue backends:
 *   - the agenda (struct store_agenda_ops, store_agenda.h): what the
 *     engine runs on: planning and inserts, claims and the next due
 *     instant, outcomes and their batches, recovery, expiry, and the
 *     later reminder that supersedes a late one;
 *   - the ledger (struct store_ledger_ops, store_ledger.h): what is told
 *     from outside and asked back: submissions, acknowledgements,
 *     delivery receipts, listings, history and counts.
 * and, optional, a third for the nodes of a cluster
 * (struct store_cluster_ops, store_cluster.h): heartbeats, lease renewal,
 * fencing and reaping.
 * Adding a backend (PostgreSQL) means one struct store_ops with its
 * tables and one line in store.c's list.
 */
struct store_agenda_ops;
struct store_ledger_ops;
struct store_cluster_ops;

struct store_ops {
	const char *scheme;		/* "sqlite", the part before ':' */
	/* where: the URL after "scheme:".  Sets *state on success. */
	int (*open)(struct store *s, const char *where, void **state);
	void (*close)(void *state);	/* must accept NULL */
	int (*schema_version)(struct store *s);
	/* NULL: no write-ahead log (store_wal_stats()). */
	int (*wal_stats)(struct store *s, struct store_wal_stats *out);
	const struct store_agenda_ops *agenda;
	const struct store_ledger_ops *ledger;
	/* Heartbeats and leases (store_cluster.h); NULL: store.c answers
	 * as for a lone node that owns the store. */
	const struct store_cluster_ops *cluster;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;		/* "postgresql:" */
extern const struct store_ops store_postgres_ops;	/* "postgres:" */

/* For backends: their state, the owner named at open (never NULL), and
 * the error buffer.  Both return -1 for `return store_seterr(...)`.
 * store_setfault() marks the error as the storage's (store_is_fault()). */
void *store_backend(const struct store *s);
const char *store_owner(const struct store *s);
/* The password given to store_open_auth(), during open only; NULL. */
const char *store_password(const struct store *s);
int store_seterr(struct store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void store_setfault(struct store *s);

#endif
