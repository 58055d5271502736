/*
 * store_pg.h - what the files of the PostgreSQL store backend share: its
 * state, the query and transaction helpers and the row readers.
 *
 * Private to the backend (store_pg*.c); the rest of herald sees only
 * store_pg_ops through store.h.  The helpers follow the store's rule:
 * they fill the error buffer with store_seterr() and return -1 (or NULL),
 * and never log.  Errors name the server as host:port/db, never the
 * connection string or the password.
 */
#ifndef HERALD_STORE_PG_H
#define HERALD_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

/* The columns that pg_job_read() expects, in its order. */
#define PG_JOB_COLS \
	"key, kind, priority, campaign, item, offset_s, contact, channel, " \
	"due, next_at, item_at, state, attempts, fallback_of, late, " \
	"lateness_ms, last_detail, incident"

/* The columns of an incident row, in pg_incident_read()'s order. */
#define PG_INCIDENT_COLS \
	"id, campaign, plan, venue, note, drill, state, created_at, source, " \
	"acked_at, acked_by, acked_door, resolved_at, resolved_by, " \
	"resolved_door, resolved_note"

/* The database's clock in Unix seconds, for leases (store_pg_jobs.c). */
#define PG_DB_NOW "extract(epoch from clock_timestamp())::bigint"

/* Advisory lock keys: one for migrations, one for planning. */
#define PG_LOCK_SCHEMA	"7262917001"
#define PG_LOCK_PLAN	"7262917002"

/* Parameters of one query, as text (NULL: SQL NULL). */
#define PG_MAX_ARGS 24
struct pg_args {
	int n;
	const char *v[PG_MAX_ARGS];
	char buf[PG_MAX_ARGS][24];
};

struct pg {
	PGconn *conn;
	char *where;		/* the conninfo or URL: secret, never shown */
	char *password;		/* owned, zeroed at close; NULL: libpq's own */
	char shown[160];	/* "host:port/db" for messages */
	int planning;		/* inside plan_begin/plan_end */
	int batch;		/* inside store_begin/store_commit */
	int64_t gen;		/* the generation being planned */
	int64_t plan_now;	/* wall clock at plan_begin */
	struct store_plan_stats stats;
	uint8_t *seen;		/* ids put in this plan, one bit each */
	size_t seen_len;
	int64_t retry_at;	/* monotonic ms: no reconnect before */
	int backoff_ms;
};

/* store_pg.c */

/* Connect to where (a URL or a conninfo) with password (may be NULL;
 * copied), leaving the schema alone.  Sets *out to a new struct pg that
 * pg_close() frees. */
int pg_connect(struct store *s, const char *where, const char *password,
    struct pg **out);
void pg_close(void *state);
int pg_begin(struct store *s);
int pg_commit(struct store *s);
int pg_rollback(struct store *s);

/* The backend state behind s; borrowed. */
struct pg *pg_of(struct store *s);
/* Make sure the connection is up, reconnecting with backoff; -1 (a
 * fault) while it is down. */
int pg_ready(struct store *s, struct pg *q);
void pg_args_init(struct pg_args *a);
/* Append a parameter; text is borrowed until the query ran. */
void pg_arg_text(struct pg_args *a, const char *v);
void pg_arg_i64(struct pg_args *a, int64_t v);
/*
 * Run sql with the parameters a (may be NULL).  Returns the result (the
 * caller PQclear()s it) or NULL with the error set, a fault when the
 * connection or the server failed.
 */
PGresult *pg_q(struct store *s, struct pg *q, const char *what,
    const char *sql, const struct pg_args *a);
/* pg_q() for a statement whose rows are not wanted; *n (may be NULL)
 * gets the rows changed. */
int pg_exec(struct store *s, struct pg *q, const char *what,
    const char *sql, const struct pg_args *a, size_t *n);
/* store_pg_pipe.c: pg_q() as one operation of its own (pg_tx_begin()
 * and pg_tx_end() around it) in one round trip; NULL when it failed and
 * was rolled back. */
PGresult *pg_q1(struct store *s, struct pg *q, const char *what,
    const char *sql, const struct pg_args *a);
/* libpq's message m on one line, without the trailing newline. */
void pg_msg(const char *m, char *out, size_t len);
/* Whether a failed result (or none) is the storage's fault rather than
 * the request's: the same call may succeed later. */
int pg_is_fault(const PGresult *res, const PGconn *conn);
/* Set the error of the query what that failed with res (NULL: none
 * came, the connection's message), a fault when pg_is_fault().  res is
 * borrowed.  Returns -1. */
int pg_fail(struct store *s, struct pg *q, const char *what,
    const PGresult *res);
/*
 * Whether an operation starting now is a transaction of its own (1) or a
 * savepoint inside an open one (0), once the connection is up; -1 (a
 * fault) while it is down.  PG_TX_OPEN and PG_TX_CLOSE are the
 * statements around it (pg_tx_begin(), pg_tx_end(), pg_q1()).
 */
int pg_tx_outer(struct store *s, struct pg *q);
#define PG_TX_OPEN(outer)	((outer) ? "BEGIN" : "SAVEPOINT op")
#define PG_TX_CLOSE(outer)	((outer) ? "COMMIT" : "RELEASE SAVEPOINT op")
/* Open one operation's transaction, or a savepoint inside an open one. */
int pg_tx_begin(struct store *s, struct pg *q, int *outer);
/* Commit (ok) or roll back what pg_tx_begin() opened; keeps the first
 * error. */
int pg_tx_end(struct store *s, struct pg *q, int outer, int ok);
/* Row r column c as text (NULL when SQL NULL), borrowed from res. */
const char *pg_text(const PGresult *res, int r, int c);
int64_t pg_i64(const PGresult *res, int r, int c);
/* Fill j from row r of PG_JOB_COLS; strings borrowed from res. */
void pg_job_read(const PGresult *res, int r, struct job *j);
/* The longest set of kinds or states as a text array "{a,b}". */
#define PG_SET_TEXT_LEN ((JOB_KIND_COUNT + JOB_STATE_COUNT) * 16 + 4)
void pg_set_text(unsigned set, int is_kinds, char out[PG_SET_TEXT_LEN]);
/* Append an event to key's history. */
int pg_event(struct store *s, struct pg *q, const char *key, int64_t at,
    const char *state, const char *detail);

#endif
