/*
 * store_sqlite.h - what the files of the SQLite store backend share: its
 * state, the cached statements' ids and the helpers every operation uses.
 *
 * Private to the backend (store_sqlite*.c); the rest of herald sees only
 * store_sqlite_ops through store.h.  The helpers follow the store's rule:
 * they fill the error buffer with store_seterr() and return -1 (or NULL),
 * and never log.
 */
#ifndef HERALD_STORE_SQLITE_H
#define HERALD_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The columns that sq_job_read() expects, in its order. */
#define SQ_JOB_COLS \
	"key, kind, priority, campaign, item, offset_s, contact, channel, " \
	"due, next_at, item_at, state, attempts, fallback_of, late, " \
	"lateness_ms, last_detail, incident"

/* The columns of an incident row, in sq_incident_read()'s order. */
#define SQ_INCIDENT_COLS \
	"id, campaign, plan, venue, note, drill, state, created_at, source, " \
	"acked_at, acked_by, acked_door, resolved_at, resolved_by, " \
	"resolved_door, resolved_note"

/* A blob key as the text UUID, in plain SQL for the views (the sqlite3
 * shell has no herald functions) and for store_copy.c, which reads the
 * file on a connection of its own. */
#define SQ_HEX(c, from, n) "substr(hex(" c "), " #from ", " #n ")"
#define SQ_KEY_TEXT(c) "lower(" SQ_HEX(c, 1, 8) " || '-' || " \
	SQ_HEX(c, 9, 4) " || '-' || " SQ_HEX(c, 13, 4) " || '-' || " \
	SQ_HEX(c, 17, 4) " || '-' || " SQ_HEX(c, 21, 12) ")"

/*
 * The page cache limit (negative: KiB), an upper bound, not an allocation.
 * A plan inserts in random key order, so what must stay cached is the key
 * index (16-byte keys: about 27 MB for a million jobs) plus the hot ends
 * of the other indexes; the rows are appended and may spill to the WAL.
 * 40 MB keeps a million-job plan under 64 MB of RSS; a cache of 512 MB
 * was no faster with blob keys.
 */
#define SQ_CACHE_KB	"-40960"
/* The page cache while a plan into an empty table builds its indexes
 * (store_sqlite_plan.c); it also bounds the sorter's memory.  For a
 * million jobs: 4 MB peaks at 56 MB of RSS, 8 MB at 60, 16 MB at 68,
 * all about as fast (the sort is not what costs). */
#define SQ_SORT_CACHE_KB	"-4096"

/* The parameters of one row of ST_INSERT. */
#define SQ_INSERT_PARAMS	15
/* A plan into an empty table inserts this many rows per statement, and
 * keeps up to SQ_PLAN_TEXT bytes of their strings until then
 * (store_sqlite_plan.c). */
#define SQ_PLAN_ROWS	32
#define SQ_PLAN_TEXT	16384

/* Cached statements. */
enum sq_st {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_GEN_GET,
	ST_GEN_SET,
	ST_PLAN_GET,
	ST_PLAN_GET_AT,
	ST_PLAN_EMPTY,
	ST_INSERT,
	ST_PLAN_MOVE,
	ST_PLAN_PENDING,
	ST_PLAN_CANCEL,
	ST_PLAN_EVENT,
	ST_PLAN_ADOPT,
	ST_PLAN_REVIVE,
	ST_PLAN_REVIVE_EVENT,
	ST_EVENT,
	ST_STATE,
	ST_RECORD,
	ST_RECORD_FINAL,
	ST_SET_STATE,
	ST_CLAIM_MARK,
	ST_NEXT_DUE,
	ST_RECOVER_EVENTS,
	ST_RECOVER,
	ST_EXPIRE_SELECT,
	ST_SUBMIT,
	ST_SUBMIT_LOG,
	ST_SUBMIT_EVENTS,
	ST_SUBMIT_CANCEL,
	ST_IS_SUBMITTED,
	ST_WITHDRAW_UNIT,
	ST_WITHDRAW_CONTACT,
	ST_REVIVE_EVENTS,
	ST_REVIVE,
	ST_SUBMISSIONS,
	ST_ACK,
	ST_IS_ACKED,
	ST_GET,
	ST_CREATED,
	ST_HISTORY,
	ST_COUNT,
	ST_USER_VERSION,
	ST_RECEIPT,
	ST_RECEIPTS,
	ST_LATER,
	ST_INCIDENT_FIND_OPEN,
	ST_INCIDENT_INSERT,
	ST_INCIDENT_GET,
	ST_INCIDENT_ACK,
	ST_INCIDENT_RESOLVE,
	ST_INCIDENT_STOP_EVENTS,
	ST_INCIDENT_STOP,
	ST_INCIDENT_EVENT,
	ST_INCIDENT_EVENTS,
	ST_INCIDENT_JOBS,
	ST_INCIDENT_STATS,
	ST_INCIDENT_SENDS,
	ST_INCIDENT_SENDS_SINCE,
	ST_EVENTS_LAST,
	ST_INCIDENT_FIRST_ALERT,
	ST_NODE_BEAT,
	ST_NODE_FORGET,
	ST_NODE_LEAVE,
	ST_NODES,
	ST_RENEW,
	ST_HELD,
	ST_REAP_EVENTS,
	ST_REAP,
	ST_DUE,
	ST__COUNT
};

/* Claim statements differ by the number of skipped channels; the first
 * few shapes are cached, longer lists are prepared per call. */
#define SQ_CLAIM_CACHED 8

struct sq {
	sqlite3 *db;
	char *path;
	int wal;		/* in WAL mode: a file, not memory */
	struct sq_ckpt *ckpt;	/* the log's checkpoints; NULL: SQLite's own */
	sqlite3_stmt *st[ST__COUNT];
	sqlite3_stmt *claim[SQ_CLAIM_CACHED];
	int planning;		/* inside plan_begin/plan_end */
	int batch;		/* inside store_begin/store_commit */
	int snapshot;		/* inside store_read_begin/store_read_end */
	int64_t gen;		/* the generation being planned */
	int64_t plan_now;	/* wall clock at plan_begin */
	struct store_plan_stats stats;
	/* Ids put in this plan, one bit each: plan_end cancels the pending
	 * rows without one.  A bitmap rather than a column so that a re-plan
	 * writes nothing for an unchanged job. */
	uint8_t *seen;
	size_t seen_len;	/* bytes */
	int insert_first;	/* the last put inserted: try that first */
	int64_t plan_next_id;	/* the id after the last row put: the
				 * next put's key is tried there first */
	/* The plan began on an empty job_rows: it sorts in temporary files
	 * (plan_tempfile) and dropped the secondary indexes, which
	 * plan_end makes again before the commit (plan_unindexed). */
	int plan_tempfile;
	int plan_unindexed;
	/* That plan's puts not yet inserted, plan_n of them, their strings
	 * in plan_text (store_sqlite_plan.c: sq_plan_batch()). */
	struct job *plan_rows;
	size_t plan_n;
	char *plan_text;
	size_t plan_text_used;
	sqlite3_stmt *plan_multi;	/* SQ_PLAN_ROWS rows an INSERT */
	/* Delivered jobs of incidents counted up to job_events row
	 * sends_rowid (store_sqlite_incident.c): a scrape of /metrics then
	 * reads only the events since the last one. */
	struct sq_send *sends;
	size_t n_sends;
	int64_t sends_rowid;
	int sends_primed;
	/* The first delivered alert of each incident that has one: fixed
	 * once there, so each is looked up until found, then kept. */
	struct sq_first *firsts;
	size_t n_firsts;
};

struct sq_first {
	char *id;		/* owned */
	int64_t at;
};

/* One count of delivered incident jobs; strings owned. */
struct sq_send {
	char *kind, *channel;
	int drill;
	uint64_t n;
};

/* store_sqlite.c */

/* Open and configure the file named where, leaving its schema as it is
 * (store_sqlite_ops.c migrates).  Sets *out to a new struct sq that
 * sq_close() frees. */
int sq_connect(struct store *s, const char *where, struct sq **out);
/* The store_ops entries of the same names: closing and the batch. */
void sq_close(void *state);
int sq_begin(struct store *s);
/* Forget the incident caches: delivered counts and first alerts. */
void sq_sends_clear(struct sq *q);
int sq_commit(struct store *s);
int sq_rollback(struct store *s);
/* The store_ops entries read_begin and read_end (store_read_begin()). */
void sq_read_begin(struct store *s);
void sq_read_end(struct store *s);
/* End a read snapshot early, before anything but a look-up runs. */
void sq_read_yield(struct store *s, struct sq *q);

/* The backend state behind s; borrowed. */
struct sq *sq_of(struct store *s);
/* Fill the error buffer from the connection's last error; returns -1. */
int sq_fail(struct store *s, struct sq *q, const char *what);
/* The cached statement id, prepared on first use; NULL with the error set.
 * q owns it: callers reset it (sq_reset, sq_run), never finalize it. */
sqlite3_stmt *sq_stmt(struct store *s, struct sq *q, enum sq_st id);
/* Reset st and clear its bindings, for the next caller. */
void sq_reset(sqlite3_stmt *st);
/* Step st once, ignoring any row, and reset it; -1 with the error set. */
int sq_run(struct store *s, struct sq *q, sqlite3_stmt *st, const char *what);
/* sq_run() on the cached statement id. */
int sq_exec(struct store *s, struct sq *q, enum sq_st id, const char *what);
/* Bind a text key as its 16-byte blob (a malformed key matches nothing). */
void sq_bind_key(sqlite3_stmt *st, int i, const char *key);
/* Bind v as text, borrowed until the reset, or NULL as SQL NULL. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Open one operation's transaction, or a savepoint inside an open one. */
int sq_tx_begin(struct store *s, struct sq *q, int *outer);
/* *outer of an operation that joined an open transaction as it is. */
#define SQ_TX_JOINED (-1)
/* sq_tx_begin(), but a store_begin() batch is joined without a savepoint
 * (*outer = SQ_TX_JOINED): for an operation whose failure changes
 * nothing, or is made a fault of the whole batch (store_setfault()). */
int sq_tx_join(struct store *s, struct sq *q, int *outer);
/* Commit (ok) or roll back what sq_tx_begin() or sq_tx_join() opened;
 * keeps the first error. */
int sq_tx_end(struct store *s, struct sq *q, int outer, int ok);
/* Column i as text, borrowed from st until its next step or reset. */
const char *sq_col_text(sqlite3_stmt *st, int i);
/* Fill j from a row of SQ_JOB_COLS; strings are borrowed from st. */
void sq_job_read(sqlite3_stmt *st, struct job *j);
/* The longest set of kinds or states as text: every name and a space
 * each. */
#define SQ_SET_TEXT_LEN ((JOB_KIND_COUNT + JOB_STATE_COUNT) * 16 + 2)
/*
 * A set of kinds (is_kinds) or states, bit 1u << value, as " name name ",
 * the form the statements match a row's kind or state against with
 * instr().  Both are stored by name, so the set is spelled in names too.
 */
void sq_set_text(unsigned set, int is_kinds, char out[SQ_SET_TEXT_LEN]);
/* Append an event to key's history. */
int sq_event(struct store *s, struct sq *q, const char *key, int64_t at,
    const char *state, const char *detail);
/* The current state of key into *state; -1 with a message when absent. */
int sq_state_of(struct store *s, struct sq *q, const char *key, int *state);

#endif
