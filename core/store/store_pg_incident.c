/*
 * store_pg_incident.c - incidents in the PostgreSQL store: the row of
 * each, its timeline, and stopping its alerts when someone takes charge
 * or it is resolved.
 *
 * As store_sqlite_incident.c, except for /metrics: the statistics are
 * read afresh at each call rather than counted on from a cached event
 * position, since in a cluster other nodes append events too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "store_pg_incident.h"

/* Fill inc from row r of PG_INCIDENT_COLS; strings borrowed from res. */
static void
pg_incident_read(const PGresult *res, int r, struct store_incident *inc)
{
	int state;

	memset(inc, 0, sizeof(*inc));
	inc->id = pg_text(res, r, 0);
	inc->campaign = pg_text(res, r, 1);
	inc->plan = pg_text(res, r, 2);
	inc->venue = pg_text(res, r, 3);
	inc->note = pg_text(res, r, 4);
	inc->drill = (int)pg_i64(res, r, 5);
	state = store_incident_state_parse(pg_text(res, r, 6));
	inc->state = state >= 0 ? (enum store_incident_state)state :
	    STORE_INCIDENT_OPEN;
	inc->created_at = pg_i64(res, r, 7);
	inc->source = pg_text(res, r, 8);
	inc->acked_at = pg_i64(res, r, 9);
	inc->acked_by = pg_text(res, r, 10);
	inc->acked_door = pg_text(res, r, 11);
	inc->resolved_at = pg_i64(res, r, 12);
	inc->resolved_by = pg_text(res, r, 13);
	inc->resolved_door = pg_text(res, r, 14);
	inc->resolved_note = pg_text(res, r, 15);
}

/* Run a query of incident rows: fn for each, *found (may be NULL) when
 * there was one. */
static int
pg_incident_rows(struct store *s, struct pg *q, const char *what,
    const char *sql, const struct pg_args *a, store_incident_fn fn,
    void *arg, int *found)
{
	struct store_incident inc;
	PGresult *res = pg_q(s, q, what, sql, a);

	if (res == NULL)
		return -1;
	if (found != NULL)
		*found = PQntuples(res) > 0;
	for (int i = 0; i < PQntuples(res); i++)
		if (fn != NULL) {
			pg_incident_read(res, i, &inc);
			fn(arg, &inc);
		}
	PQclear(res);
	return 0;
}

static int
pg_incident_event_in(struct store *s, struct pg *q, const char *id,
    int64_t at, const char *what, const char *who, const char *door,
    const char *detail)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, id);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, what);
	pg_arg_text(&a, who);
	pg_arg_text(&a, door);
	pg_arg_text(&a, detail);
	return pg_exec(s, q, "record incident event", "INSERT INTO "
	    "incident_events (incident, at, what, who, door, detail) "
	    "VALUES ($1, $2, $3, $4, $5, $6)", &a, NULL);
}

/*
 * Two nodes triggering the same plan at the same venue at once: the
 * insert of the second hits incidents_open and inserts nothing (ON
 * CONFLICT DO NOTHING), and it then reads the first one's row.
 */
int
pg_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created)
{
	static const char *const find = "SELECT " PG_INCIDENT_COLS " FROM "
	    "incidents WHERE campaign = $1 AND plan = $2 AND venue = $3 "
	    "AND state <> 'resolved'";
	struct pg *q = pg_of(s);
	struct store_incident row;
	struct pg_args a;
	size_t n;
	int outer, found;

	*created = 0;
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	pg_args_init(&a);
	pg_arg_text(&a, inc->campaign);
	pg_arg_text(&a, inc->plan);
	pg_arg_text(&a, inc->venue);
	if (pg_incident_rows(s, q, "look up incident", find, &a, fn, arg,
	    &found) == -1)
		goto fail;
	if (found)
		return pg_tx_end(s, q, outer, 1);
	pg_args_init(&a);
	pg_arg_text(&a, inc->id);
	pg_arg_text(&a, inc->campaign);
	pg_arg_text(&a, inc->plan);
	pg_arg_text(&a, inc->venue);
	pg_arg_text(&a, inc->note);
	pg_arg_i64(&a, inc->drill != 0);
	pg_arg_i64(&a, inc->created_at);
	pg_arg_text(&a, inc->source);
	if (pg_exec(s, q, "record incident", "INSERT INTO incidents (id, "
	    "campaign, plan, venue, note, drill, state, created_at, source) "
	    "VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) "
	    "ON CONFLICT DO NOTHING", &a, &n) == -1)
		goto fail;
	if (n == 0) {
		pg_args_init(&a);
		pg_arg_text(&a, inc->campaign);
		pg_arg_text(&a, inc->plan);
		pg_arg_text(&a, inc->venue);
		if (pg_incident_rows(s, q, "look up incident", find, &a, fn,
		    arg, &found) == -1)
			goto fail;
		return pg_tx_end(s, q, outer, 1);
	}
	if (pg_incident_event_in(s, q, inc->id, inc->created_at, "trigger",
	    NULL, inc->source, inc->drill ? "drill" : NULL) == -1)
		goto fail;
	if (pg_tx_end(s, q, outer, 1) == -1)
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
	return pg_tx_end(s, q, outer, 0);
}

int
pg_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, id);
	return pg_incident_rows(s, pg_of(s), "look up incident", "SELECT "
	    PG_INCIDENT_COLS " FROM incidents WHERE id = $1", &a, fn, arg,
	    found);
}

int
pg_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, f->state >= 0 ? store_incident_state_name(
	    (enum store_incident_state)f->state) : NULL);
	if (f->drill >= 0)
		pg_arg_i64(&a, f->drill != 0);
	else
		pg_arg_text(&a, NULL);
	pg_arg_text(&a, f->campaign);
	if (f->limit > 0)
		pg_arg_i64(&a, (int64_t)f->limit);
	else
		pg_arg_text(&a, NULL);
	return pg_incident_rows(s, pg_of(s), "list incidents", "SELECT "
	    PG_INCIDENT_COLS " FROM incidents WHERE ($1::text IS NULL OR "
	    "state = $1) AND ($2::int IS NULL OR drill = $2) AND ($3::text "
	    "IS NULL OR campaign = $3) ORDER BY created_at DESC, seq DESC "
	    "LIMIT $4::bigint", &a, fn, arg, NULL);
}

int
pg_incident_close(struct store *s, const char *id,
    enum store_incident_state to, int64_t at, const char *who,
    const char *door, const char *note, unsigned kinds, int *changed,
    size_t *n_cancelled)
{
	struct pg *q = pg_of(s);
	int resolve = to == STORE_INCIDENT_RESOLVED;
	char text[PG_SET_TEXT_LEN];
	struct pg_args a;
	const char *why = resolve ? "incident resolved" :
	    "incident acknowledged";
	size_t n;
	int outer, found;

	*changed = 0;
	*n_cancelled = 0;
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	if (pg_incident_get(s, id, NULL, NULL, &found) == -1)
		goto fail;
	if (!found) {
		store_seterr(s, "no incident %s", id);
		goto fail;
	}
	pg_args_init(&a);
	pg_arg_text(&a, id);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, who);
	pg_arg_text(&a, door);
	if (resolve)
		pg_arg_text(&a, note);
	if (pg_exec(s, q, resolve ? "resolve incident" : "acknowledge "
	    "incident", resolve ? "UPDATE incidents SET state = 'resolved', "
	    "resolved_at = $2, resolved_by = $3, resolved_door = $4, "
	    "resolved_note = $5 WHERE id = $1 AND state <> 'resolved'" :
	    "UPDATE incidents SET state = 'acked', acked_at = $2, "
	    "acked_by = $3, acked_door = $4 WHERE id = $1 AND state = 'open'",
	    &a, &n) == -1)
		goto fail;
	if (n == 0)
		return pg_tx_end(s, q, outer, 1);
	if (pg_incident_event_in(s, q, id, at, resolve ? "resolve" : "ack",
	    who, door, note) == -1)
		goto fail;
	pg_set_text(kinds, 1, text);
	pg_args_init(&a);
	pg_arg_text(&a, id);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, why);
	pg_arg_text(&a, text);
	/* Events first: they select the rows the update then changes. */
	if (pg_exec(s, q, "stop the incident's alerts", "INSERT INTO "
	    "job_events (job, at, state, detail) SELECT id, $2, 'cancelled', "
	    "$3 FROM job_rows WHERE incident = $1 AND state = 'pending' "
	    "AND kind = ANY ($4::text[])", &a, NULL) == -1 ||
	    pg_exec(s, q, "stop the incident's alerts", "UPDATE job_rows SET "
	    "state = 'cancelled', updated = $2, last_detail = $3 WHERE "
	    "incident = $1 AND state = 'pending' AND kind = ANY ($4::text[])",
	    &a, n_cancelled) == -1)
		goto fail;
	if (pg_tx_end(s, q, outer, 1) == -1) {
		*n_cancelled = 0;
		return -1;
	}
	*changed = 1;
	return 0;
fail:
	*n_cancelled = 0;
	return pg_tx_end(s, q, outer, 0);
}

int
pg_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail)
{
	return pg_incident_event_in(s, pg_of(s), id, at, what, who, door,
	    detail);
}

int
pg_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg)
{
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, id);
	res = pg_q(s, pg_of(s), "read incident events", "SELECT at, what, "
	    "who, door, detail FROM incident_events WHERE incident = $1 "
	    "ORDER BY at, id", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		fn(arg, pg_i64(res, i, 0), pg_text(res, i, 1),
		    pg_text(res, i, 2), pg_text(res, i, 3), pg_text(res, i, 4));
	PQclear(res);
	return 0;
}

int
pg_incident_jobs(struct store *s, const char *id, store_job_fn fn, void *arg)
{
	struct pg_args a;
	PGresult *res;
	struct job j;

	pg_args_init(&a);
	pg_arg_text(&a, id);
	res = pg_q(s, pg_of(s), "read incident jobs", "SELECT " PG_JOB_COLS
	    " FROM job_rows WHERE incident = $1 ORDER BY due, id", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		pg_job_read(res, i, &j);
		fn(arg, &j);
	}
	PQclear(res);
	return 0;
}

int
pg_incident_stats(struct store *s, store_incident_stat_fn fn, void *arg)
{
	struct store_incident_stat r;
	PGresult *res;
	int state;

	res = pg_q(s, pg_of(s), "read incident statistics", "SELECT i.drill, "
	    "i.state, i.source, i.created_at, i.acked_at, (SELECT min(e.at) "
	    "FROM job_rows r JOIN job_events e ON e.job = r.id "
	    "WHERE r.incident = i.id AND r.kind = 'emergency' "
	    "AND e.state = 'delivered') FROM incidents i ORDER BY i.seq",
	    NULL);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		r.drill = (int)pg_i64(res, i, 0);
		state = store_incident_state_parse(pg_text(res, i, 1));
		r.state = state >= 0 ? (enum store_incident_state)state :
		    STORE_INCIDENT_OPEN;
		r.source = pg_text(res, i, 2);
		r.created_at = pg_i64(res, i, 3);
		r.acked_at = pg_i64(res, i, 4);
		r.first_alert_at = pg_i64(res, i, 5);
		fn(arg, &r);
	}
	PQclear(res);
	return 0;
}

int
pg_incident_sends(struct store *s, store_incident_send_fn fn, void *arg)
{
	PGresult *res;

	res = pg_q(s, pg_of(s), "count incident sends", "SELECT r.kind, "
	    "r.channel, i.drill, count(*) FROM job_rows r JOIN incidents i "
	    "ON i.id = r.incident WHERE r.state = 'delivered' "
	    "GROUP BY r.kind, r.channel, i.drill ORDER BY 1, 2, 3", NULL);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		fn(arg, pg_text(res, i, 0), pg_text(res, i, 1),
		    pg_i64(res, i, 2) ? 1 : 0, (uint64_t)pg_i64(res, i, 3));
	PQclear(res);
	return 0;
}
