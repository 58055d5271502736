/*
 * store_sqlite_query.c - what the SQLite store hears from outside and
 * tells back: submissions, acknowledgements and delivery receipts, and
 * the read side (list, get, history, counts, the later reminder that
 * supersedes a late one).
 *
 * Apart from the run side because none of it claims or schedules: these
 * are the API's and heraldctl's entries, short and independent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_query.h"
#include "xmalloc.h"

/* Submissions and acknowledgements */

/* Bind campaign, deadline, a contact, an instant and the kinds as
 * ?1..?5, the shape of the cancel and revive statements. */
static void
sq_bind_member(sqlite3_stmt *st, const char *campaign, const char *deadline,
    const char *contact, int64_t at, const char *kinds)
{
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, contact, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_text(st, 5, kinds, -1, SQLITE_STATIC);
}

/*
 * Run the statement pair ids (events first: the update makes the rows
 * unfindable) for each member of p, on its notices of the set kinds; *n
 * gets the rows updated.
 */
static int
sq_members_run(struct store *s, struct sq *q, const enum sq_st ids[2],
    const char *campaign, const char *deadline, const struct store_party *p,
    unsigned kinds, int64_t at, size_t *n)
{
	char text[SQ_SET_TEXT_LEN];
	sqlite3_stmt *st;

	*n = 0;
	sq_set_text(kinds, 1, text);
	for (size_t m = 0; m < p->n_members; m++) {
		for (size_t i = 0; i < 2; i++) {
			if ((st = sq_stmt(s, q, ids[i])) == NULL)
				return -1;
			sq_bind_member(st, campaign, deadline, p->members[m],
			    at, text);
			if (sq_run(s, q, st, "update the members' notices") ==
			    -1)
				return -1;
		}
		*n += (size_t)sqlite3_changes(q->db);
	}
	return 0;
}

/* Append to the submission log. */
static int
sq_submission_log(struct store *s, struct sq *q, const char *campaign,
    const char *deadline, const struct store_party *p, int64_t at,
    const char *action, const char *via)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_SUBMIT_LOG)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sq_bind_text(st, 3, p->unit);
	sq_bind_text(st, 4, p->contact);
	sqlite3_bind_int64(st, 5, at);
	sqlite3_bind_text(st, 6, action, -1, SQLITE_STATIC);
	sq_bind_text(st, 7, via);
	return sq_run(s, q, st, "log the submission");
}

/*
 * Only the members' own notices of the kinds given go (policy.h says
 * which: store.c passes them).
 */
int
sq_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *first, size_t *n_cancelled)
{
	static const enum sq_st ids[2] = { ST_SUBMIT_EVENTS, ST_SUBMIT_CANCEL };
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	size_t n;
	int outer, f;

	*n_cancelled = 0;
	*first = 0;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_SUBMIT)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sq_bind_text(st, 3, p->unit);
	sq_bind_text(st, 4, p->contact);
	sqlite3_bind_int64(st, 5, at);
	sq_bind_text(st, 6, via);
	if (sq_run(s, q, st, "record submission") == -1)
		goto fail;
	f = sqlite3_changes(q->db) > 0;
	if (f && sq_submission_log(s, q, campaign, deadline, p, at,
	    "submitted", via) == -1)
		goto fail;
	if (sq_members_run(s, q, ids, campaign, deadline, p, kinds, at,
	    &n) == -1)
		goto fail;
	if (sq_tx_end(s, q, outer, 1) == -1)
		return -1;
	*first = f;
	*n_cancelled = n;
	return 0;
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

int
sq_is_submitted(struct store *s, const char *campaign, const char *deadline,
    const char *unit, const char *contact, int *submitted, int64_t *at)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_IS_SUBMITTED)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
	sq_bind_text(st, 3, unit);
	sqlite3_bind_text(st, 4, contact, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "look up submission");
		sq_reset(st);
		return -1;
	}
	*submitted = sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (*submitted && at != NULL)
		*at = sqlite3_column_int64(st, 0);
	sq_reset(st);
	return 0;
}

/*
 * The unit's row and the members' own rows from before version 6 go
 * together: either would keep the deadline closed for them.
 */
int
sq_withdraw(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, unsigned kinds, int64_t at,
    const char *via, int *found, size_t *n_revived)
{
	static const enum sq_st ids[2] = { ST_REVIVE_EVENTS, ST_REVIVE };
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	const char *const self[1] = { p->contact };
	const char *const *who = p->unit != NULL ? p->members : self;
	size_t n_who = p->unit != NULL ? p->n_members : 1, n = 0;
	int outer, deleted = 0;

	*found = 0;
	*n_revived = 0;
	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if (p->unit != NULL) {
		if ((st = sq_stmt(s, q, ST_WITHDRAW_UNIT)) == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->unit, -1, SQLITE_STATIC);
		if (sq_run(s, q, st, "withdraw submission") == -1)
			goto fail;
		deleted += sqlite3_changes(q->db);
	}
	for (size_t i = 0; i < n_who; i++) {
		if ((st = sq_stmt(s, q, ST_WITHDRAW_CONTACT)) == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, deadline, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, who[i], -1, SQLITE_STATIC);
		if (sq_run(s, q, st, "withdraw submission") == -1)
			goto fail;
		deleted += sqlite3_changes(q->db);
	}
	if (deleted > 0 && (sq_submission_log(s, q, campaign, deadline, p,
	    at, "withdrawn", via) == -1 || sq_members_run(s, q, ids,
	    campaign, deadline, p, kinds, at, &n) == -1))
		goto fail;
	if (sq_tx_end(s, q, outer, 1) == -1)
		return -1;
	*found = deleted > 0;
	*n_revived = n;
	return 0;
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

int
sq_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	struct store_submission sub;
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_SUBMISSIONS)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sub.deadline = sq_col_text(st, 0);
		sub.unit = sq_col_text(st, 1);
		sub.contact = sq_col_text(st, 2);
		sub.at = sqlite3_column_int64(st, 3);
		sub.via = sq_col_text(st, 4);
		fn(arg, &sub);
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, q, "list submissions");
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

int
sq_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, unsigned states, char later[JOB_KEY_LEN], int *found)
{
	char text[SQ_SET_TEXT_LEN];
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	struct job row;
	int rc;

	if ((st = sq_stmt(s, q, ST_LATER)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, j->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, job_kind_name(j->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, after);
	sqlite3_bind_int64(st, 6, until);
	sq_set_text(states, 0, text);
	sqlite3_bind_text(st, 7, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "look up a later job");
		sq_reset(st);
		return -1;
	}
	*found = rc == SQLITE_ROW;
	if (*found) {
		sq_job_read(st, &row);
		memcpy(later, row.key, JOB_KEY_LEN);
	}
	sq_reset(st);
	return 0;
}

/* The first acknowledgement wins: a second click on a link is no news. */
int
sq_ack(struct store *s, const char *key, int64_t at, const char *via)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int state;

	if (sq_state_of(s, q, key, &state) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_ACK)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, via);
	return sq_run(s, q, st, "record acknowledgement");
}

int
sq_is_acked(struct store *s, const char *key, int *acked, int64_t *at)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_IS_ACKED)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "look up acknowledgement");
		sq_reset(st);
		return -1;
	}
	*acked = rc == SQLITE_ROW;
	if (*acked && at != NULL)
		*at = sqlite3_column_int64(st, 0);
	sq_reset(st);
	return 0;
}

/* The words for a report type in the history: one dlr bit, or the
 * number when a gateway sent something else. */
static const char *
sq_receipt_word(int type, char *buf, size_t len)
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
sq_receipt(struct store *s, const char *key, int part, int type, int64_t at,
    const char *detail)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	char word[32], *text;
	int outer, rc;

	if (sq_tx_begin(s, q, &outer) == -1)
		return -1;
	if ((st = sq_stmt(s, q, ST_RECEIPT)) == NULL)
		goto fail;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int(st, 2, part);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_int64(st, 4, at);
	sq_bind_text(st, 5, detail);
	if (sq_run(s, q, st, "record receipt") == -1)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		store_seterr(s, "no job %s", key);
		goto fail;
	}
	if (detail != NULL && *detail != '\0')
		text = xasprintf("part %d %s (%s)", part,
		    sq_receipt_word(type, word, sizeof(word)), detail);
	else
		text = xasprintf("part %d %s", part,
		    sq_receipt_word(type, word, sizeof(word)));
	rc = sq_event(s, q, key, at, "receipt", text);
	free(text);
	if (rc == -1)
		goto fail;
	return sq_tx_end(s, q, outer, 1);
fail:
	sq_tx_end(s, q, outer, 0);
	return -1;
}

int
sq_receipts(struct store *s, const char *key, store_receipt_fn fn, void *arg,
    size_t *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = sq_stmt(s, q, ST_RECEIPTS)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		if (fn != NULL)
			fn(arg, sqlite3_column_int(st, 0),
			    sqlite3_column_int(st, 1),
			    sqlite3_column_int64(st, 2), sq_col_text(st, 3));
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "receipts");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Reading */

/* Listing is rare (heraldctl, the API): its statement is built per call
 * from the filters that are set, so the planner can use the indexes. */
int
sq_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	struct job j;
	char *sql, limit[32] = "";
	int rc, any_time = f->from == 0 && f->to == 0, i = 1;

	if (f->limit > 0)
		snprintf(limit, sizeof(limit), " LIMIT %zu", f->limit);
	sql = xasprintf("SELECT " SQ_JOB_COLS " FROM job_rows WHERE 1%s%s%s%s%s%s "
	    "ORDER BY next_at, rowid%s",
	    any_time ? "" : " AND next_at >= ? AND next_at < ?",
	    /* The row of after_key, found by its unique index; the
	     * next_at bound lets jobs_next start the walk there. */
	    f->after_key ? " AND next_at >= ? AND (next_at > ? OR rowid > "
	    "coalesce((SELECT id FROM job_rows WHERE key = ?), 0))" : "",
	    f->campaign ? " AND campaign = ?" : "",
	    f->contact ? " AND contact = ?" : "",
	    f->channel ? " AND channel = ?" : "",
	    /* "+state": not the claim index (state, priority, next_at),
	     * which would sort every job of the state; jobs_next or
	     * jobs_contact_next give them in order. */
	    f->state >= 0 ? " AND +state = ?" : "", limit);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		sq_fail(s, q, "prepare list");
		return -1;
	}
	if (!any_time) {
		sqlite3_bind_int64(st, i++, f->from);
		sqlite3_bind_int64(st, i++, f->to);
	}
	if (f->after_key) {
		sqlite3_bind_int64(st, i++, f->after_at);
		sqlite3_bind_int64(st, i++, f->after_at);
		sq_bind_key(st, i++, f->after_key);
	}
	if (f->campaign)
		sqlite3_bind_text(st, i++, f->campaign, -1, SQLITE_STATIC);
	if (f->contact)
		sqlite3_bind_text(st, i++, f->contact, -1, SQLITE_STATIC);
	if (f->channel)
		sqlite3_bind_text(st, i++, f->channel, -1, SQLITE_STATIC);
	if (f->state >= 0)
		sqlite3_bind_text(st, i++, job_state_name(f->state), -1,
		    SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_job_read(st, &j);
		if (fn != NULL)
			fn(arg, &j);
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "list");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* fn runs while the row is current: get's statement is not reentrant, so
 * fn must not call store_get itself. */
int
sq_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	struct job j;
	int rc;

	if ((st = sq_stmt(s, q, ST_GET)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(s, q, "get job");
		sq_reset(st);
		return -1;
	}
	*found = rc == SQLITE_ROW;
	if (*found && fn != NULL) {
		sq_job_read(st, &j);
		fn(arg, &j);
	}
	sq_reset(st);
	return 0;
}

int
sq_history(struct store *s, const char *key, store_event_fn fn, void *arg)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	char *first;
	int64_t created;
	int rc, planned;

	if ((st = sq_stmt(s, q, ST_CREATED)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sq_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(s, q, "history");
		sq_reset(st);
		return -1;
	}
	created = sqlite3_column_int64(st, 0);
	planned = sqlite3_column_int(st, 1);
	if (planned)
		first = xstrdup("planned");
	else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		first = xasprintf("inserted: fallback of %s",
		    sq_col_text(st, 2));
	else
		first = xstrdup("inserted");
	sq_reset(st);
	if (fn != NULL)
		fn(arg, created, "pending", first);
	free(first);

	if ((st = sq_stmt(s, q, ST_HISTORY)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn != NULL)
			fn(arg, sqlite3_column_int64(st, 0), sq_col_text(st, 1),
			    sq_col_text(st, 2));
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "history");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sq_count_states(struct store *s, size_t counts[JOB_STATE_COUNT])
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st;
	int rc, state;

	if ((st = sq_stmt(s, q, ST_COUNT)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = job_state_parse(sq_col_text(st, 0));
		if (state >= 0)
			counts[state] = (size_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, q, "count states");
	sq_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
