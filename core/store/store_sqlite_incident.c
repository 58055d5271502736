/*
 * store_sqlite_incident.c - incidents in the SQLite store: the row of
 * each (incidents), its timeline (incident_events), and stopping its
 * alerts when someone takes charge or it is resolved.
 *
 * Apart from the submissions and acks of store_sqlite_query.c because
 * an incident is a record of its own, not a job's: its rows are keyed
 * by the incident's UUID text, and its alerts are found through
 * job_rows.incident (jobs_incident).  Triggers and acks are rare, so
 * only the look-ups the dispatcher makes per alert matter for speed:
 * those are cached statements on primary keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_incident.h"
#include "xmalloc.h"

/* Column i, 0 when NULL. */
static int64_t
sq_col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, i);
}

/* Fill inc from a row of SQ_INCIDENT_COLS; strings borrowed from st. */
static void
sq_incident_read(sqlite3_stmt *st, struct store_incident *inc)
{
	int state;

	memset(inc, 0, sizeof(*inc));
	inc->id = sq_col_text(st, 0);
	inc->campaign = sq_col_text(st, 1);
	inc->plan = sq_col_text(st, 2);
	inc->venue = sq_col_text(st, 3);
	inc->note = sq_col_text(st, 4);
	inc->drill = sqlite3_column_int(st, 5);
	state = store_incident_state_parse(sq_col_text(st, 6));
	inc->state = state >= 0 ? (enum store_incident_state)state :
	    STORE_INCIDENT_OPEN;
	inc->created_at = sq_col_i64(st, 7);
	inc->source = sq_col_text(st, 8);
	inc->acked_at = sq_col_i64(st, 9);
	inc->acked_by = sq_col_text(st, 10);
	inc->acked_door = sq_col_text(st, 11);
	inc->resolved_at = sq_col_i64(st, 12);
	inc->resolved_by = sq_col_text(st, 13);
	inc->resolved_door = sq_col_text(st, 14);
	inc->resolved_note = sq_col_text(st, 15);
}

/* Step st once: *found and fn with the row; st is reset. */
static int
sq_incident_one(struct store *s, struct sq *q, sqlite3_stmt *st,
    store_incident_fn fn, void *arg, int *found, const char *what)
{
	struct store_incident inc;
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, what);
		sq_reset(st);
		return -1;
	}
	*found = rc == SQLITE_ROW;
	if (*found && fn != NULL) {
		sq_incident_read(st, &inc);
		fn(arg, &inc);
	}
	sq_reset(st);
	return 0;
}

static int
sq_incident_event_in(struct store *s, struct sq *q, const char *id,
    int64_t at, const char *what, const char *who, const char *door,
    const char *detail)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_INCIDENT_EVENT)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, what);
	sq_bind_text(st, 4, who);
	sq_bind_text(st, 5, door);
	sq_bind_text(st, 6, detail);
	return sq_run(s, q, st, "record incident event");
}

static int
sq_incident_find_open(struct store *s, struct sq *q,
    const struct store_incident *inc, store_incident_fn fn, void *arg,
    int *found)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_INCIDENT_FIND_OPEN)) == NULL)
		return -1;
	sq_bind_text(st, 1, inc->campaign);
	sq_bind_text(st, 2, inc->plan);
	sq_bind_text(st, 3, inc->venue);
	return sq_incident_one(s, q, st, fn, arg, found, "look up incident");
}

int
sq_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created)
{
	struct sq *q = sq_of(s);
	struct store_incident row;
	sqlite3_stmt *st;
	int outer, found;

	*created = 0;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if (sq_incident_find_open(s, q, inc, fn, arg, &found) == -1)
		goto fail;
	if (found)
		return sq_tx_end(s, q, outer, 1);
	if ((st = sq_stmt(s, q, ST_INCIDENT_INSERT)) == NULL)
		goto fail;
	sq_bind_text(st, 1, inc->id);
	sq_bind_text(st, 2, inc->campaign);
	sq_bind_text(st, 3, inc->plan);
	sq_bind_text(st, 4, inc->venue);
	sq_bind_text(st, 5, inc->note);
	sqlite3_bind_int(st, 6, inc->drill != 0);
	sqlite3_bind_int64(st, 7, inc->created_at);
	sq_bind_text(st, 8, inc->source);
	if (sq_run(s, q, st, "record incident") == -1)
		goto fail;
	if (sq_incident_event_in(s, q, inc->id, inc->created_at, "trigger",
	    NULL, inc->source, inc->drill ? "drill" : NULL) == -1)
		goto fail;
	if (sq_tx_end(s, q, outer, 1) == -1)
		return -1;
	*created = 1;
	if (fn != NULL) {
		row = *inc;
		row.state = STORE_INCIDENT_OPEN;
		row.drill = inc->drill != 0;
		fn(arg, &row);
	}
	return 0;
fail:
	return sq_tx_end(s, q, outer, 0);
}

int
sq_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_INCIDENT_GET)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	return sq_incident_one(s, q, st, fn, arg, found, "look up incident");
}

int
sq_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	struct store_incident inc;
	sqlite3_stmt *st;
	char *sql, limit[32] = "";
	int rc, i = 1;

	if (f->limit > 0)
		snprintf(limit, sizeof(limit), " LIMIT %zu", f->limit);
	sql = xasprintf("SELECT " SQ_INCIDENT_COLS " FROM incidents WHERE 1%s%s%s"
	    " ORDER BY created_at DESC, rowid DESC%s",
	    f->state >= 0 ? " AND state = ?" : "",
	    f->drill >= 0 ? " AND drill = ?" : "",
	    f->campaign != NULL ? " AND campaign = ?" : "", limit);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return sq_fail(s, q, "list incidents");
	if (f->state >= 0)
		sqlite3_bind_text(st, i++, store_incident_state_name(
		    (enum store_incident_state)f->state), -1, SQLITE_STATIC);
	if (f->drill >= 0)
		sqlite3_bind_int(st, i++, f->drill != 0);
	if (f->campaign != NULL)
		sqlite3_bind_text(st, i++, f->campaign, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_incident_read(st, &inc);
		fn(arg, &inc);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "list incidents");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Cancel id's pending jobs of kinds, each with an event saying why. */
static int
sq_incident_stop(struct store *s, struct sq *q, const char *id, int64_t at,
    const char *why, unsigned kinds, size_t *n)
{
	static const enum sq_st ids[2] = { ST_INCIDENT_STOP_EVENTS,
	    ST_INCIDENT_STOP };
	char text[SQ_SET_TEXT_LEN];
	sqlite3_stmt *st;

	sq_set_text(kinds, 1, text);
	/* Events first: they select the rows the update then changes. */
	for (size_t i = 0; i < 2; i++) {
		if ((st = sq_stmt(s, q, ids[i])) == NULL)
			return -1;
		sq_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, at);
		sq_bind_text(st, 3, why);
		sq_bind_text(st, 4, text);
		if (sq_run(s, q, st, "stop the incident's alerts") == -1)
			return -1;
	}
	*n = (size_t)sqlite3_changes(q->db);
	return 0;
}

int
sq_incident_close(struct store *s, const char *id,
    enum store_incident_state to, int64_t at, const char *who,
    const char *door, const char *note, unsigned kinds, int *changed,
    size_t *n_cancelled)
{
	struct sq *q = sq_of(s);
	int resolve = to == STORE_INCIDENT_RESOLVED;
	sqlite3_stmt *st;
	int outer, found;

	*changed = 0;
	*n_cancelled = 0;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if (sq_incident_get(s, id, NULL, NULL, &found) == -1)
		goto fail;
	if (!found) {
		store_seterr(s, "no incident %s", id);
		goto fail;
	}
	if ((st = sq_stmt(s, q, resolve ? ST_INCIDENT_RESOLVE :
	    ST_INCIDENT_ACK)) == NULL)
		goto fail;
	sq_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, who);
	sq_bind_text(st, 4, door);
	if (resolve)
		sq_bind_text(st, 5, note);
	if (sq_run(s, q, st, resolve ? "resolve incident" :
	    "acknowledge incident") == -1)
		goto fail;
	if (sqlite3_changes(q->db) == 0)
		return sq_tx_end(s, q, outer, 1);
	if (sq_incident_event_in(s, q, id, at, resolve ? "resolve" : "ack",
	    who, door, note) == -1)
		goto fail;
	if (sq_incident_stop(s, q, id, at, resolve ? "incident resolved" :
	    "incident acknowledged", kinds, n_cancelled) == -1)
		goto fail;
	if (sq_tx_end(s, q, outer, 1) == -1)
		return -1;
	*changed = 1;
	return 0;
fail:
	*n_cancelled = 0;
	return sq_tx_end(s, q, outer, 0);
}

int
sq_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail)
{
	return sq_incident_event_in(s, sq_of(s), id, at, what, who, door,
	    detail);
}

int
sq_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_INCIDENT_EVENTS)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(st, 0), sq_col_text(st, 1),
		    sq_col_text(st, 2), sq_col_text(st, 3), sq_col_text(st, 4));
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "read incident events");
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

int
sq_incident_jobs(struct store *s, const char *id, store_job_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	struct job j;
	int rc;

	if ((st = sq_stmt(s, q, ST_INCIDENT_JOBS)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_job_read(st, &j);
		fn(arg, &j);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "read incident jobs");
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

/*
 * The first delivered alert of incident id into *at (0: none yet), from
 * q->firsts or the store; a found one is kept, since a later delivery
 * cannot come before it.
 */
static int
sq_first_alert(struct store *s, struct sq *q, const char *id, int64_t *at)
{
	sqlite3_stmt *st;

	*at = 0;
	if (id == NULL)
		return 0;
	for (size_t i = 0; i < q->n_firsts; i++)
		if (strcmp(q->firsts[i].id, id) == 0) {
			*at = q->firsts[i].at;
			return 0;
		}
	if ((st = sq_stmt(s, q, ST_INCIDENT_FIRST_ALERT)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "read an incident's first alert");
		sq_reset(st);
		return -1;
	}
	*at = sq_col_i64(st, 0);
	sq_reset(st);
	if (*at > 0) {
		q->firsts = xrealloc(q->firsts, (q->n_firsts + 1) *
		    sizeof(*q->firsts));
		q->firsts[q->n_firsts].id = xstrdup(id);
		q->firsts[q->n_firsts++].at = *at;
	}
	return 0;
}

int
sq_incident_stats(struct store *s, store_incident_stat_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	struct store_incident_stat r;
	sqlite3_stmt *st;
	int rc, state;

	if ((st = sq_stmt(s, q, ST_INCIDENT_STATS)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.drill = sqlite3_column_int(st, 0);
		state = store_incident_state_parse(sq_col_text(st, 1));
		r.state = state >= 0 ? (enum store_incident_state)state :
		    STORE_INCIDENT_OPEN;
		r.source = sq_col_text(st, 2);
		r.created_at = sq_col_i64(st, 3);
		r.acked_at = sq_col_i64(st, 4);
		if (sq_first_alert(s, q, sq_col_text(st, 5),
		    &r.first_alert_at) == -1) {
			sq_reset(st);
			return -1;
		}
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "read incident statistics");
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

/* Add n to the count of (kind, channel, drill). */
static void
sq_sends_add(struct sq *q, const char *kind, const char *channel, int drill,
    uint64_t n)
{
	size_t i;

	kind = kind != NULL ? kind : "";
	channel = channel != NULL ? channel : "";
	for (i = 0; i < q->n_sends; i++)
		if (q->sends[i].drill == drill &&
		    strcmp(q->sends[i].kind, kind) == 0 &&
		    strcmp(q->sends[i].channel, channel) == 0)
			break;
	if (i == q->n_sends) {
		q->sends = xrealloc(q->sends, (q->n_sends + 1) *
		    sizeof(*q->sends));
		q->sends[i].kind = xstrdup(kind);
		q->sends[i].channel = xstrdup(channel);
		q->sends[i].drill = drill;
		q->sends[i].n = 0;
		q->n_sends++;
	}
	q->sends[i].n += n;
}

/*
 * Bring the counts up to date: the first time by counting the delivered
 * rows (a pass over every incident job), then only the delivered events
 * after sends_rowid, since job_events is append-only and a delivered job
 * stays delivered.  No transaction: the store's one connection belongs
 * to the calling thread, so nothing is written between the statements
 * (and a transaction would need the write lock a read-only store cannot
 * give).  A failure forgets the counts: the next call counts afresh.
 */
static int
sq_sends_update(struct store *s, struct sq *q)
{
	sqlite3_stmt *st;
	int64_t last;
	int rc;

	if ((st = sq_stmt(s, q, ST_EVENTS_LAST)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "read the last job event");
		sq_reset(st);
		goto fail;
	}
	last = sqlite3_column_int64(st, 0);
	sq_reset(st);
	if ((st = sq_stmt(s, q, q->sends_primed ? ST_INCIDENT_SENDS_SINCE :
	    ST_INCIDENT_SENDS)) == NULL)
		goto fail;
	if (q->sends_primed) {
		sqlite3_bind_int64(st, 1, q->sends_rowid);
		sqlite3_bind_int64(st, 2, last);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sq_sends_add(q, sq_col_text(st, 0), sq_col_text(st, 1),
		    sqlite3_column_int(st, 2) ? 1 : 0,
		    (uint64_t)sqlite3_column_int64(st, 3));
	sq_reset(st);
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "count incident sends");
		goto fail;
	}
	q->sends_rowid = last;
	q->sends_primed = 1;
	return 0;
fail:
	sq_sends_clear(q);
	return -1;
}

int
sq_incident_sends(struct store *s, store_incident_send_fn fn, void *arg)
{
	struct sq *q = sq_of(s);

	if (sq_sends_update(s, q) == -1)
		return -1;
	for (size_t i = 0; i < q->n_sends; i++)
		fn(arg, q->sends[i].kind, q->sends[i].channel,
		    q->sends[i].drill, q->sends[i].n);
	return 0;
}
