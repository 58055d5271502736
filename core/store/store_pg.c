/*
 * store_pg.c - the clustered store: PostgreSQL through libpq.
 *
 * Several heraldd nodes share one database: planning runs under an
 * advisory lock, claims take rows with FOR UPDATE SKIP LOCKED into a
 * lease held by the node (store_owner()), and leases are judged by the
 * database's clock, never a node's (store_pg_jobs.c).
 *
 * Every call is synchronous on the loop thread, like the SQLite
 * backend's: simple, and a claim or a batched commit is one round trip
 * on loopback or a LAN.  connect_timeout is 2 s (unless the URL sets
 * one) so that a lost server stalls the loop at most that long per
 * reconnect attempt, and attempts back off (pg_ready()).  Values always
 * travel as parameters (PQexecParams), never inside the SQL text.
 *
 * The password (herald.store_password_file, else libpq's PGPASSWORD or
 * pgpass) and the connection string never reach a message: errors name
 * the server as host:port/db only.
 *
 * The backend is split like the SQLite one, in layers with no loop:
 * this file at the bottom (connection, queries, transactions, row
 * helpers: store_pg.h), on it store_pg_schema.c, store_pg_plan.c,
 * store_pg_jobs.c, store_pg_query.c and store_pg_incident.c, and
 * store_pg_ops.c at the top (open = connect, then migrate; the tables).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "xmalloc.h"

/* Reconnect attempts back off from this to PG_BACKOFF_MAX. */
#define PG_BACKOFF_MIN	250
#define PG_BACKOFF_MAX	8000

struct pg *
pg_of(struct store *s)
{
	return store_backend(s);
}

static int64_t
pg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "host:port/db" of the connection, for messages. */
static void
pg_name(struct pg *q)
{
	const char *h = q->conn ? PQhost(q->conn) : NULL;
	const char *p = q->conn ? PQport(q->conn) : NULL;
	const char *d = q->conn ? PQdb(q->conn) : NULL;

	snprintf(q->shown, sizeof(q->shown), "postgresql %s:%s/%s",
	    h && *h ? h : "?", p && *p ? p : "5432", d && *d ? d : "?");
}

void
pg_msg(const char *m, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s", m != NULL && *m ? m : "unknown error");
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = out[i + 1] != '\0' ? ' ' : '\0';
}

/*
 * Connection parameters: connect_timeout before dbname so that the
 * URL's own wins; the password after it, so that the file named in the
 * config wins over one in the URL.  expand_dbname makes libpq parse
 * where as a URL or a "key=value ..." string.
 */
static PGconn *
pg_dial(const char *where, const char *password)
{
	const char *keys[5], *vals[5];
	int n = 0;

	keys[n] = "connect_timeout", vals[n++] = "2";
	keys[n] = "fallback_application_name", vals[n++] = "heraldd";
	keys[n] = "dbname", vals[n++] = where;
	if (password != NULL)
		keys[n] = "password", vals[n++] = password;
	keys[n] = NULL, vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* Notices (IF NOT EXISTS...) would go to stderr: the store never prints. */
static void
pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int
pg_connect(struct store *s, const char *where, const char *password,
    struct pg **out)
{
	struct pg *q = xcalloc(1, sizeof(*q));
	char msg[400];

	/* "postgresql://..." arrives as "//...": give libpq its URL. */
	if (strncmp(where, "//", 2) == 0)
		q->where = xasprintf("postgresql:%s", where);
	else
		q->where = xstrdup(where);
	q->password = password != NULL ? xstrdup(password) : NULL;
	q->conn = pg_dial(q->where, q->password);
	pg_name(q);
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK) {
		pg_msg(q->conn ? PQerrorMessage(q->conn) : "out of memory",
		    msg, sizeof(msg));
		store_seterr(s, "%s: cannot open store: %s", q->shown, msg);
		store_setfault(s);
		pg_close(q);
		return -1;
	}
	PQsetNoticeProcessor(q->conn, pg_quiet, NULL);
	*out = q;
	return 0;
}

/*
 * A lost connection is tried again at the next call, then at growing
 * intervals: each attempt may block the loop up to connect_timeout, so
 * a dead server must not cost that at every call.  A transaction open
 * when the connection broke is gone with it (the batch's and plan's
 * flags are reset by the caller's failure path).
 */
int
pg_ready(struct store *s, struct pg *q)
{
	int64_t now;
	char msg[400];

	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK)
		return 0;
	now = pg_mono_ms();
	if (now < q->retry_at) {
		store_setfault(s);
		return store_seterr(s, "%s: not connected (next attempt in "
		    "%" PRId64 " ms)", q->shown, q->retry_at - now);
	}
	if (q->conn != NULL)
		PQfinish(q->conn);
	q->conn = pg_dial(q->where, q->password);
	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK) {
		PQsetNoticeProcessor(q->conn, pg_quiet, NULL);
		q->backoff_ms = 0;
		q->retry_at = 0;
		return 0;
	}
	q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : PG_BACKOFF_MIN;
	if (q->backoff_ms > PG_BACKOFF_MAX)
		q->backoff_ms = PG_BACKOFF_MAX;
	q->retry_at = pg_mono_ms() + q->backoff_ms;
	pg_msg(q->conn ? PQerrorMessage(q->conn) : "out of memory", msg,
	    sizeof(msg));
	store_setfault(s);
	return store_seterr(s, "%s: reconnect: %s", q->shown, msg);
}

void
pg_args_init(struct pg_args *a)
{
	a->n = 0;
}

void
pg_arg_text(struct pg_args *a, const char *v)
{
	if (a->n < PG_MAX_ARGS)
		a->v[a->n++] = v;
}

void
pg_arg_i64(struct pg_args *a, int64_t v)
{
	if (a->n >= PG_MAX_ARGS)
		return;
	snprintf(a->buf[a->n], sizeof(a->buf[0]), "%" PRId64, v);
	a->v[a->n] = a->buf[a->n];
	a->n++;
}

/*
 * The storage's failures rather than the request's: the connection
 * (class 08), the server shutting down or out of resources (57, 53),
 * serialization and deadlocks (40): the same call may succeed later.
 */
int
pg_is_fault(const PGresult *res, const PGconn *conn)
{
	const char *st;

	if (PQstatus(conn) != CONNECTION_OK || res == NULL)
		return 1;
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (st == NULL)
		return 1;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "57", 2) == 0 ||
	    strncmp(st, "53", 2) == 0 || strncmp(st, "40", 2) == 0 ||
	    strncmp(st, "58", 2) == 0;
}

PGresult *
pg_q(struct store *s, struct pg *q, const char *what, const char *sql,
    const struct pg_args *a)
{
	PGresult *res;
	ExecStatusType st;

	if (pg_ready(s, q) == -1)
		return NULL;
	res = PQexecParams(q->conn, sql, a ? a->n : 0, NULL,
	    a ? a->v : NULL, NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	pg_fail(s, q, what, res);
	PQclear(res);
	return NULL;
}

int
pg_fail(struct store *s, struct pg *q, const char *what,
    const PGresult *res)
{
	char msg[400];

	pg_msg(res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn),
	    msg, sizeof(msg));
	if (pg_is_fault(res, q->conn))
		store_setfault(s);
	return store_seterr(s, "%s: %s: %s", q->shown, what, msg);
}

int
pg_exec(struct store *s, struct pg *q, const char *what, const char *sql,
    const struct pg_args *a, size_t *n)
{
	PGresult *res = pg_q(s, q, what, sql, a);

	if (res == NULL)
		return -1;
	if (n != NULL)
		*n = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * One operation's transaction: a real one when none is open, a savepoint
 * inside a plan or a store_begin() batch, so that a failed operation
 * undoes only itself (as in the SQLite backend).
 */
int
pg_tx_outer(struct store *s, struct pg *q)
{
	if (pg_ready(s, q) == -1)
		return -1;
	return PQtransactionStatus(q->conn) == PQTRANS_IDLE;
}

int
pg_tx_begin(struct store *s, struct pg *q, int *outer)
{
	int o = pg_tx_outer(s, q);

	if (o == -1)
		return -1;
	*outer = o;
	return pg_exec(s, q, "begin", PG_TX_OPEN(o), NULL, NULL);
}

int
pg_tx_end(struct store *s, struct pg *q, int outer, int ok)
{
	char keep[512];

	if (ok && pg_exec(s, q, "commit", PG_TX_CLOSE(outer), NULL,
	    NULL) == 0)
		return 0;
	/* Keep the first error: the rollback's would hide it. */
	snprintf(keep, sizeof(keep), "%s", store_error(s));
	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK &&
	    PQtransactionStatus(q->conn) != PQTRANS_IDLE) {
		if (outer)
			pg_exec(s, q, "rollback", "ROLLBACK", NULL, NULL);
		else if (pg_exec(s, q, "rollback", "ROLLBACK TO SAVEPOINT op",
		    NULL, NULL) == 0)
			pg_exec(s, q, "rollback", "RELEASE SAVEPOINT op", NULL,
			    NULL);
	}
	store_seterr(s, "%s", keep);
	return -1;
}

const char *
pg_text(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

int64_t
pg_i64(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 :
	    (int64_t)strtoll(PQgetvalue(res, r, c), NULL, 10);
}

void
pg_job_read(const PGresult *res, int r, struct job *j)
{
	const char *key = pg_text(res, r, 0);
	int k, state;

	memset(j, 0, sizeof(*j));
	snprintf(j->key, sizeof(j->key), "%s", key ? key : "");
	k = job_kind_parse(pg_text(res, r, 1));
	j->kind = k >= 0 ? (enum job_kind)k : JOB_REMINDER;
	j->priority = (enum herald_priority)pg_i64(res, r, 2);
	j->campaign = pg_text(res, r, 3);
	j->item = pg_text(res, r, 4);
	j->offset = pg_i64(res, r, 5);
	j->contact = pg_text(res, r, 6);
	j->channel = pg_text(res, r, 7);
	j->due = pg_i64(res, r, 8);
	j->next_at = pg_i64(res, r, 9);
	j->item_at = pg_i64(res, r, 10);
	state = job_state_parse(pg_text(res, r, 11));
	j->state = state >= 0 ? (enum job_state)state : JOB_PENDING;
	j->attempts = (unsigned)pg_i64(res, r, 12);
	j->fallback_of = pg_text(res, r, 13);
	j->late = (int)pg_i64(res, r, 14);
	j->lateness_ms = pg_i64(res, r, 15);
	j->detail = pg_text(res, r, 16);
	j->incident = pg_text(res, r, 17);
}

/* Kind and state names are plain words: no quoting needed. */
void
pg_set_text(unsigned set, int is_kinds, char out[PG_SET_TEXT_LEN])
{
	int n = is_kinds ? JOB_KIND_COUNT : JOB_STATE_COUNT;
	size_t len = 1;

	out[0] = '{';
	out[1] = '\0';
	for (int v = 0; v < n; v++)
		if (set & (1u << v))
			len += (size_t)snprintf(out + len, PG_SET_TEXT_LEN -
			    len, "%s%s", len > 1 ? "," : "", is_kinds ?
			    job_kind_name((enum job_kind)v) :
			    job_state_name((enum job_state)v));
	snprintf(out + len, PG_SET_TEXT_LEN - len, "}");
}

int
pg_event(struct store *s, struct pg *q, const char *key, int64_t at,
    const char *state, const char *detail)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, state);
	pg_arg_text(&a, detail);
	return pg_exec(s, q, "append event", "INSERT INTO job_events (job, "
	    "at, state, detail) SELECT id, $2, $3, $4 FROM job_rows "
	    "WHERE key = $1", &a, NULL);
}

void
pg_close(void *state)
{
	struct pg *q = state;

	if (q == NULL)
		return;
	if (q->conn != NULL)
		PQfinish(q->conn);
	if (q->password != NULL) {
		explicit_bzero(q->password, strlen(q->password));
		free(q->password);
	}
	if (q->where != NULL) {
		explicit_bzero(q->where, strlen(q->where));
		free(q->where);
	}
	free(q->seen);
	free(q);
}

int
pg_begin(struct store *s)
{
	struct pg *q = pg_of(s);

	if (q->planning || q->batch || (q->conn != NULL &&
	    PQtransactionStatus(q->conn) != PQTRANS_IDLE &&
	    PQstatus(q->conn) == CONNECTION_OK))
		return store_seterr(s, "a transaction is already open");
	if (pg_ready(s, q) == -1)
		return -1;
	if (pg_exec(s, q, "begin", "BEGIN", NULL, NULL) == -1)
		return -1;
	q->batch = 1;
	return 0;
}

int
pg_commit(struct store *s)
{
	struct pg *q = pg_of(s);

	if (!q->batch)
		return store_seterr(s, "commit without begin");
	q->batch = 0;
	/* The connection broke inside the batch: the server rolled it
	 * back, a fault the caller retries. */
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK ||
	    PQtransactionStatus(q->conn) == PQTRANS_IDLE) {
		store_setfault(s);
		return store_seterr(s, "%s: the batch was rolled back by an "
		    "earlier error", q->shown);
	}
	return pg_tx_end(s, q, 1, 1);
}

int
pg_rollback(struct store *s)
{
	struct pg *q = pg_of(s);

	if (!q->batch)
		return store_seterr(s, "rollback without begin");
	q->batch = 0;
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK ||
	    PQtransactionStatus(q->conn) == PQTRANS_IDLE)
		return 0;
	return pg_exec(s, q, "rollback", "ROLLBACK", NULL, NULL);
}
