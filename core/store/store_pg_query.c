/*
 * store_pg_query.c - what the PostgreSQL store hears from outside and
 * tells back: submissions, acknowledgements, delivery receipts, and the
 * read side (list, get, history, counts, the later reminder).
 *
 * The same statements as store_sqlite_query.c, in PostgreSQL's dialect:
 * sets of kinds and states travel as text arrays (= ANY ($n)), and
 * "insert unless present" is ON CONFLICT DO NOTHING.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg.h"
#include "store_pg_query.h"
#include "xmalloc.h"

static const char *const pg_member_sql[2][2] = {
	/* submit: events first (the update makes the rows unfindable) */
	{ "INSERT INTO job_events (job, at, state, detail) SELECT id, $4, "
	  "'cancelled', 'submitted' FROM job_rows WHERE campaign = $1 "
	  "AND item = $2 AND contact = $3 AND state = 'pending' "
	  "AND kind = ANY ($5::text[])",
	  "UPDATE job_rows SET state = 'cancelled', updated = $4, "
	  "last_detail = 'submitted' WHERE campaign = $1 AND item = $2 "
	  "AND contact = $3 AND state = 'pending' "
	  "AND kind = ANY ($5::text[])" },
	/* withdraw: revive what the submission cancelled, still ahead */
	{ "INSERT INTO job_events (job, at, state, detail) SELECT id, $4, "
	  "'pending', 'revived: submission withdrawn' FROM job_rows "
	  "WHERE campaign = $1 AND item = $2 AND contact = $3 "
	  "AND state = 'cancelled' AND last_detail = 'submitted' "
	  "AND next_at > $4 AND kind = ANY ($5::text[])",
	  "UPDATE job_rows SET state = 'pending', updated = $4, "
	  "last_detail = 'revived: submission withdrawn' WHERE campaign = $1 "
	  "AND item = $2 AND contact = $3 AND state = 'cancelled' "
	  "AND last_detail = 'submitted' AND next_at > $4 "
	  "AND kind = ANY ($5::text[])" },
};

static int
pg_members_run(struct store *s, struct pg *q, int which, const char *campaign,
    const char *deadline, const struct store_party *p, unsigned kinds,
    int64_t at, size_t *n)
{
	char text[PG_SET_TEXT_LEN];
	struct pg_args a;
	size_t changed;

	*n = 0;
	pg_set_text(kinds, 1, text);
	for (size_t m = 0; m < p->n_members; m++) {
		pg_args_init(&a);
		pg_arg_text(&a, campaign);
		pg_arg_text(&a, deadline);
		pg_arg_text(&a, p->members[m]);
		pg_arg_i64(&a, at);
		pg_arg_text(&a, text);
		for (int i = 0; i < 2; i++)
			if (pg_exec(s, q, "update the members' notices",
			    pg_member_sql[which][i], &a, &changed) == -1)
				return -1;
		*n += changed;
	}
	return 0;
}

static int
pg_submission_log(struct store *s, struct pg *q, const char *campaign,
    const char *deadline, const struct store_party *p, int64_t at,
    const char *action, const char *via)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, campaign);
	pg_arg_text(&a, deadline);
	pg_arg_text(&a, p->unit);
	pg_arg_text(&a, p->contact);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, action);
	pg_arg_text(&a, via);
	return pg_exec(s, q, "log the submission", "INSERT INTO "
	    "submission_log (campaign, deadline, unit, contact, at, action, "
	    "via) VALUES ($1, $2, $3, $4, $5, $6, $7)", &a, NULL);
}

int
pg_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *first, size_t *n_cancelled)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	size_t n, f;
	int outer;

	*n_cancelled = 0;
	*first = 0;
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	pg_args_init(&a);
	pg_arg_text(&a, campaign);
	pg_arg_text(&a, deadline);
	pg_arg_text(&a, p->unit);
	pg_arg_text(&a, p->contact);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, via);
	if (pg_exec(s, q, "record submission", "INSERT INTO submissions "
	    "(campaign, deadline, unit, contact, at, via) VALUES ($1, $2, $3, "
	    "$4, $5, $6) ON CONFLICT DO NOTHING", &a, &f) == -1)
		goto fail;
	if (f > 0 && pg_submission_log(s, q, campaign, deadline, p, at,
	    "submitted", via) == -1)
		goto fail;
	if (pg_members_run(s, q, 0, campaign, deadline, p, kinds, at,
	    &n) == -1)
		goto fail;
	if (pg_tx_end(s, q, outer, 1) == -1)
		return -1;
	*first = f > 0;
	*n_cancelled = n;
	return 0;
fail:
	pg_tx_end(s, q, outer, 0);
	return -1;
}

int
pg_is_submitted(struct store *s, const char *campaign, const char *deadline,
    const char *unit, const char *contact, int *submitted, int64_t *at)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, campaign);
	pg_arg_text(&a, deadline);
	pg_arg_text(&a, unit);
	pg_arg_text(&a, contact);
	res = pg_q(s, q, "look up submission", "SELECT at FROM submissions "
	    "WHERE campaign = $1 AND deadline = $2 AND (unit = $3 "
	    "OR (unit IS NULL AND contact = $4)) ORDER BY at LIMIT 1", &a);
	if (res == NULL)
		return -1;
	*submitted = PQntuples(res) == 1;
	if (*submitted && at != NULL)
		*at = pg_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
pg_withdraw(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *found, size_t *n_revived)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	const char *const self[1] = { p->contact };
	const char *const *who = p->unit != NULL ? p->members : self;
	size_t n_who = p->unit != NULL ? p->n_members : 1, n = 0, d;
	size_t deleted = 0;
	int outer;

	*found = 0;
	*n_revived = 0;
	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	if (p->unit != NULL) {
		pg_args_init(&a);
		pg_arg_text(&a, campaign);
		pg_arg_text(&a, deadline);
		pg_arg_text(&a, p->unit);
		if (pg_exec(s, q, "withdraw submission", "DELETE FROM "
		    "submissions WHERE campaign = $1 AND deadline = $2 "
		    "AND unit = $3", &a, &d) == -1)
			goto fail;
		deleted += d;
	}
	for (size_t i = 0; i < n_who; i++) {
		pg_args_init(&a);
		pg_arg_text(&a, campaign);
		pg_arg_text(&a, deadline);
		pg_arg_text(&a, who[i]);
		if (pg_exec(s, q, "withdraw submission", "DELETE FROM "
		    "submissions WHERE campaign = $1 AND deadline = $2 "
		    "AND unit IS NULL AND contact = $3", &a, &d) == -1)
			goto fail;
		deleted += d;
	}
	if (deleted > 0 && (pg_submission_log(s, q, campaign, deadline, p,
	    at, "withdrawn", via) == -1 || pg_members_run(s, q, 1, campaign,
	    deadline, p, kinds, at, &n) == -1))
		goto fail;
	if (pg_tx_end(s, q, outer, 1) == -1)
		return -1;
	*found = deleted > 0;
	*n_revived = n;
	return 0;
fail:
	pg_tx_end(s, q, outer, 0);
	return -1;
}

int
pg_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg)
{
	struct pg *q = pg_of(s);
	struct store_submission sub;
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, campaign);
	res = pg_q(s, q, "list submissions", "SELECT deadline, unit, contact, "
	    "at, via FROM submissions WHERE campaign = $1 ORDER BY at, id", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		sub.deadline = pg_text(res, i, 0);
		sub.unit = pg_text(res, i, 1);
		sub.contact = pg_text(res, i, 2);
		sub.at = pg_i64(res, i, 3);
		sub.via = pg_text(res, i, 4);
		fn(arg, &sub);
	}
	PQclear(res);
	return 0;
}

int
pg_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, unsigned states, char later[JOB_KEY_LEN], int *found)
{
	char text[PG_SET_TEXT_LEN];
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	pg_set_text(states, 0, text);
	pg_args_init(&a);
	pg_arg_text(&a, j->campaign);
	pg_arg_text(&a, j->item);
	pg_arg_text(&a, j->contact);
	pg_arg_text(&a, job_kind_name(j->kind));
	pg_arg_i64(&a, after);
	pg_arg_i64(&a, until);
	pg_arg_text(&a, text);
	res = pg_q(s, q, "look up a later job", "SELECT key FROM job_rows "
	    "WHERE campaign = $1 AND item = $2 AND contact = $3 AND kind = $4 "
	    "AND due > $5 AND due <= $6 AND state = ANY ($7::text[]) "
	    "ORDER BY due DESC LIMIT 1", &a);
	if (res == NULL)
		return -1;
	*found = PQntuples(res) == 1;
	if (*found)
		snprintf(later, JOB_KEY_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* The first acknowledgement wins; an unknown key is an error. */
int
pg_ack(struct store *s, const char *key, int64_t at, const char *via)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	int known;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	if ((res = pg_q(s, q, "look up job", "SELECT 1 FROM job_rows "
	    "WHERE key = $1", &a)) == NULL)
		return -1;
	known = PQntuples(res) == 1;
	PQclear(res);
	if (!known)
		return store_seterr(s, "no job %s", key);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, via);
	return pg_exec(s, q, "record acknowledgement", "INSERT INTO job_acks "
	    "(job, at, via) SELECT id, $2, $3 FROM job_rows WHERE key = $1 "
	    "ON CONFLICT DO NOTHING", &a, NULL);
}

int
pg_is_acked(struct store *s, const char *key, int *acked, int64_t *at)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	res = pg_q(s, q, "look up acknowledgement", "SELECT a.at FROM "
	    "job_acks a JOIN job_rows r ON r.id = a.job WHERE r.key = $1", &a);
	if (res == NULL)
		return -1;
	*acked = PQntuples(res) == 1;
	if (*acked && at != NULL)
		*at = pg_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

static const char *
pg_receipt_word(int type, char *buf, size_t len)
{
	switch (type) {
	case 1: return "delivered";
	case 2: return "not delivered";
	case 4: return "queued on the SMSC";
	case 8: return "accepted by the SMSC";
	case 16: return "rejected by the SMSC";
	case 32: return "intermediate report";
	default:
		snprintf(buf, len, "report type %d", type);
		return buf;
	}
}

int
pg_receipt(struct store *s, const char *key, int part, int type, int64_t at,
    const char *detail)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	char word[32], *text;
	size_t n;
	int outer, rc;

	if (pg_tx_begin(s, q, &outer) == -1)
		return -1;
	pg_args_init(&a);
	pg_arg_text(&a, key);
	pg_arg_i64(&a, part);
	pg_arg_i64(&a, type);
	pg_arg_i64(&a, at);
	pg_arg_text(&a, detail);
	if (pg_exec(s, q, "record receipt", "INSERT INTO job_receipts (job, "
	    "part, type, at, detail) SELECT id, $2, $3, $4, $5 FROM job_rows "
	    "WHERE key = $1", &a, &n) == -1)
		goto fail;
	if (n == 0) {
		store_seterr(s, "no job %s", key);
		goto fail;
	}
	if (detail != NULL && *detail != '\0')
		text = xasprintf("part %d %s (%s)", part,
		    pg_receipt_word(type, word, sizeof(word)), detail);
	else
		text = xasprintf("part %d %s", part,
		    pg_receipt_word(type, word, sizeof(word)));
	rc = pg_event(s, q, key, at, "receipt", text);
	free(text);
	if (rc == -1)
		goto fail;
	return pg_tx_end(s, q, outer, 1);
fail:
	pg_tx_end(s, q, outer, 0);
	return -1;
}

int
pg_receipts(struct store *s, const char *key, store_receipt_fn fn, void *arg,
    size_t *n)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;

	*n = 0;
	pg_args_init(&a);
	pg_arg_text(&a, key);
	res = pg_q(s, q, "receipts", "SELECT c.part, c.type, c.at, c.detail "
	    "FROM job_receipts c JOIN job_rows r ON r.id = c.job "
	    "WHERE r.key = $1 ORDER BY c.at, c.id", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		(*n)++;
		if (fn != NULL)
			fn(arg, (int)pg_i64(res, i, 0), (int)pg_i64(res, i, 1),
			    pg_i64(res, i, 2), pg_text(res, i, 3));
	}
	PQclear(res);
	return 0;
}

/*
 * Listing: one statement with every filter as a parameter that may be
 * NULL (no string-built SQL); the limit 0 means none (NULL).
 */
int
pg_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	struct job j;
	int any_time = f->from == 0 && f->to == 0;

	pg_args_init(&a);
	if (any_time) {
		pg_arg_text(&a, NULL);
		pg_arg_text(&a, NULL);
	} else {
		pg_arg_i64(&a, f->from);
		pg_arg_i64(&a, f->to);
	}
	if (f->after_key != NULL)
		pg_arg_i64(&a, f->after_at);
	else
		pg_arg_text(&a, NULL);
	pg_arg_text(&a, f->after_key);
	pg_arg_text(&a, f->campaign);
	pg_arg_text(&a, f->contact);
	pg_arg_text(&a, f->channel);
	pg_arg_text(&a, f->state >= 0 ? job_state_name(f->state) : NULL);
	if (f->limit > 0)
		pg_arg_i64(&a, (int64_t)f->limit);
	else
		pg_arg_text(&a, NULL);
	res = pg_q(s, q, "list", "SELECT " PG_JOB_COLS " FROM job_rows "
	    "WHERE ($1::bigint IS NULL OR (next_at >= $1 AND next_at < $2)) "
	    "AND ($4::text IS NULL OR (next_at >= $3 AND (next_at > $3 "
	    "OR id > coalesce((SELECT id FROM job_rows WHERE key = $4), 0)))) "
	    "AND ($5::text IS NULL OR campaign = $5) "
	    "AND ($6::text IS NULL OR contact = $6) "
	    "AND ($7::text IS NULL OR channel = $7) "
	    "AND ($8::text IS NULL OR state = $8) "
	    "ORDER BY next_at, id LIMIT $9::bigint", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		pg_job_read(res, i, &j);
		if (fn != NULL)
			fn(arg, &j);
	}
	PQclear(res);
	return 0;
}

int
pg_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	struct job j;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	res = pg_q(s, q, "get job", "SELECT " PG_JOB_COLS " FROM job_rows "
	    "WHERE key = $1", &a);
	if (res == NULL)
		return -1;
	*found = PQntuples(res) == 1;
	if (*found && fn != NULL) {
		pg_job_read(res, 0, &j);
		fn(arg, &j);
	}
	PQclear(res);
	return 0;
}

int
pg_history(struct store *s, const char *key, store_event_fn fn, void *arg)
{
	struct pg *q = pg_of(s);
	struct pg_args a;
	PGresult *res;
	char *first;

	pg_args_init(&a);
	pg_arg_text(&a, key);
	res = pg_q(s, q, "history", "SELECT created, (plan_gen IS NOT NULL)"
	    "::int, fallback_of FROM job_rows WHERE key = $1", &a);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	if (pg_i64(res, 0, 1))
		first = xstrdup("planned");
	else if (!PQgetisnull(res, 0, 2))
		first = xasprintf("inserted: fallback of %s",
		    pg_text(res, 0, 2));
	else
		first = xstrdup("inserted");
	if (fn != NULL)
		fn(arg, pg_i64(res, 0, 0), "pending", first);
	free(first);
	PQclear(res);
	res = pg_q(s, q, "history", "SELECT e.at, e.state, e.detail FROM "
	    "job_events e JOIN job_rows r ON r.id = e.job WHERE r.key = $1 "
	    "ORDER BY e.at, e.id", &a);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		if (fn != NULL)
			fn(arg, pg_i64(res, i, 0), pg_text(res, i, 1),
			    pg_text(res, i, 2));
	PQclear(res);
	return 0;
}

int
pg_count_states(struct store *s, size_t counts[JOB_STATE_COUNT])
{
	struct pg *q = pg_of(s);
	PGresult *res;
	int state;

	res = pg_q(s, q, "count states", "SELECT state, count(*) FROM "
	    "job_rows GROUP BY state", NULL);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		state = job_state_parse(pg_text(res, i, 0));
		if (state >= 0)
			counts[state] = (size_t)pg_i64(res, i, 1);
	}
	PQclear(res);
	return 0;
}
