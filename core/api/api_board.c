/*
 * api_board.c - GET /v1/submissions: who has submitted what, one row
 * per unit (or contact without a unit) and one cell per deadline, as a
 * coordinator's spreadsheet or web board shows it (doc/api.txt).
 *
 * Computed at request time from the model in use and the store's
 * submissions, so a reload that changes a unit's liaison changes no
 * cell: submissions belong to the unit.  The same counts feed
 * GET /v1/status (api_board_campaign() without rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api_internal.h"
#include "api.h"
#include "engine.h"
#include "httpd.h"
#include "model.h"
#include "store.h"
#include "xmalloc.h"

/* The campaign's submissions in force, copied out of the store. */
struct board_sub {
	char *deadline, *unit, *contact, *via;
	int64_t at;
};
struct board {
	struct board_sub *v;
	size_t n;
};

static char *
board_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
board_add(void *arg, const struct store_submission *s)
{
	struct board *b = arg;
	struct board_sub *x;

	b->v = xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
	x = &b->v[b->n++];
	x->deadline = xstrdup(s->deadline);
	x->unit = board_strdup(s->unit);
	x->contact = board_strdup(s->contact);
	x->via = board_strdup(s->via);
	x->at = s->at;
}

static void
board_clear(struct board *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].deadline);
		free(b->v[i].unit);
		free(b->v[i].contact);
		free(b->v[i].via);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/*
 * A row: a unit (u), or a contact without a unit (c).  The same party
 * rules as the store's (store.h): a unit's row, or a member's own row
 * from before submissions were per unit.
 */
struct board_party {
	const struct model_unit *u;
	const struct model_contact *c;
};

static int
board_is_member(const struct model_unit *u, const char *contact)
{
	for (size_t i = 0; i < u->n_members; i++)
		if (strcmp(u->members[i]->id, contact) == 0)
			return 1;
	return 0;
}

/* The party's submission of deadline, the first when there are two. */
static const struct board_sub *
board_find(const struct board *b, const char *deadline,
    const struct board_party *p)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct board_sub *x = &b->v[i];

		if (strcmp(x->deadline, deadline) != 0)
			continue;
		if (p->u != NULL && ((x->unit != NULL &&
		    strcmp(x->unit, p->u->id) == 0) || (x->unit == NULL &&
		    x->contact != NULL && board_is_member(p->u, x->contact))))
			return x;
		if (p->c != NULL && x->unit == NULL && x->contact != NULL &&
		    strcmp(x->contact, p->c->id) == 0)
			return x;
	}
	return NULL;
}

/* Does dl ask the party: one of its contacts in the audience? */
static int
board_asks(const struct model_deadline *dl, const struct board_party *p)
{
	for (size_t i = 0; i < dl->audience.n; i++) {
		const struct model_contact *k = dl->audience.contacts[i];

		if (p->u != NULL ? k->unit == p->u : k == p->c)
			return 1;
	}
	return 0;
}

static int
board_asks_any(const struct model_campaign *c,
    const struct model_deadline *only, const struct board_party *p)
{
	for (size_t i = 0; i < c->n_deadlines; i++)
		if ((only == NULL || only == &c->deadlines[i]) &&
		    board_asks(&c->deadlines[i], p))
			return 1;
	return 0;
}

enum board_state { BOARD_NOT_ASKED, BOARD_SUBMITTED, BOARD_PENDING,
    BOARD_OVERDUE };

static enum board_state
board_state(const struct model_deadline *dl, const struct board_party *p,
    const struct board_sub *x, int64_t now)
{
	if (!board_asks(dl, p))
		return BOARD_NOT_ASKED;
	if (x != NULL)
		return BOARD_SUBMITTED;
	return now >= dl->due.at ? BOARD_OVERDUE : BOARD_PENDING;
}

/* The state's name and the words a Chinese spreadsheet shows. */
static const char *const board_names[] = { "not_asked", "submitted",
    "pending", "overdue" };
static const char *const board_labels[] = { "", "已报送", "未报送",
    "逾期" };

/* One cell; caller owns it. */
static json_t *
board_cell(const struct model *m, const struct model_campaign *c,
    const struct model_deadline *dl, const struct board_party *p,
    const struct board *b, int64_t now)
{
	const struct board_sub *x = board_find(b, dl->id, p);
	enum board_state s = board_state(dl, p, x, now);
	const struct model_contact *by;
	json_t *o;

	o = json_pack("{s:s,s:s,s:s}", "deadline", dl->id,
	    "state", board_names[s], "label", board_labels[s]);
	if (s != BOARD_SUBMITTED)
		return o;
	by = x->contact != NULL ? model_contact_find(m, x->contact) : NULL;
	json_object_set_new(o, "at", api_json_time(x->at, c->timezone));
	json_object_set_new(o, "late", json_boolean(x->at > dl->due.at));
	json_object_set_new(o, "via", x->via != NULL ? json_string(x->via) :
	    json_null());
	json_object_set_new(o, "by", x->contact != NULL ?
	    json_string(x->contact) : json_null());
	json_object_set_new(o, "by_name", by != NULL && by->name != NULL ?
	    json_string(by->name) : json_null());
	return o;
}

/* One row; caller owns it. */
static json_t *
board_row(const struct model *m, const struct model_campaign *c,
    const struct model_deadline *only, const struct board_party *p,
    const struct board *b, int64_t now)
{
	json_t *cells = json_array(), *contacts = json_array();

	for (size_t i = 0; i < c->n_deadlines; i++)
		if (only == NULL || only == &c->deadlines[i])
			json_array_append_new(cells, board_cell(m, c,
			    &c->deadlines[i], p, b, now));
	if (p->u != NULL)
		for (size_t i = 0; i < p->u->n_members; i++)
			json_array_append_new(contacts,
			    json_string(p->u->members[i]->id));
	else
		json_array_append_new(contacts, json_string(p->c->id));
	return json_pack("{s:o,s:o,s:s,s:o,s:o,s:o}",
	    "unit", p->u != NULL ? json_string(p->u->id) : json_null(),
	    "contact", p->c != NULL ? json_string(p->c->id) : json_null(),
	    "name", p->u != NULL ? (p->u->name != NULL ? p->u->name :
	    p->u->id) : (p->c->name != NULL ? p->c->name : p->c->id),
	    "liaison", p->u != NULL && p->u->liaison != NULL ?
	    json_string(p->u->liaison->id) : json_null(),
	    "contacts", contacts, "cells", cells);
}

/* Every party of c (or of only) in config order: units first, then
 * contacts without a unit.  Sets *v (caller frees) and *n. */
static void
board_parties(const struct model *m, const struct model_campaign *c,
    const struct model_deadline *only, struct board_party **v, size_t *n)
{
	struct board_party p;

	*v = NULL;
	*n = 0;
	for (size_t i = 0; i < m->n_units + m->n_contacts; i++) {
		memset(&p, 0, sizeof(p));
		if (i < m->n_units)
			p.u = &m->units[i];
		else if (m->contacts[i - m->n_units].unit == NULL)
			p.c = &m->contacts[i - m->n_units];
		else
			continue;
		if (!board_asks_any(c, only, &p))
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = p;
	}
}

json_t *
api_board_campaign(struct store *st, const struct model *m,
    const struct model_campaign *c, const struct model_deadline *only,
    int64_t now, int rows, char *err, size_t errlen)
{
	struct board b = { 0 };
	struct board_party *pv;
	size_t n_parties, counts[4];
	json_t *dls, *rv = NULL, *o;

	if (store_submissions(st, c->id, board_add, &b) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		board_clear(&b);
		return NULL;
	}
	board_parties(m, c, only, &pv, &n_parties);
	dls = json_array();
	for (size_t i = 0; i < c->n_deadlines; i++) {
		const struct model_deadline *dl = &c->deadlines[i];

		if (only != NULL && only != dl)
			continue;
		memset(counts, 0, sizeof(counts));
		for (size_t k = 0; k < n_parties; k++)
			counts[board_state(dl, &pv[k], board_find(&b, dl->id,
			    &pv[k]), now)]++;
		json_array_append_new(dls, json_pack("{s:s,s:s,s:o,s:b,"
		    "s:{s:I,s:I,s:I,s:I}}", "id", dl->id, "title", dl->title,
		    "due", api_json_time(dl->due.at, c->timezone),
		    "passed", now >= dl->due.at, "counts",
		    "asked", (json_int_t)(n_parties - counts[BOARD_NOT_ASKED]),
		    "submitted", (json_int_t)counts[BOARD_SUBMITTED],
		    "pending", (json_int_t)counts[BOARD_PENDING],
		    "overdue", (json_int_t)counts[BOARD_OVERDUE]));
	}
	if (rows) {
		rv = json_array();
		for (size_t k = 0; k < n_parties; k++)
			json_array_append_new(rv, board_row(m, c, only,
			    &pv[k], &b, now));
	}
	o = json_pack("{s:s,s:s,s:s,s:o}", "id", c->id, "title", c->title,
	    "timezone", c->timezone, "deadlines", dls);
	if (rv != NULL)
		json_object_set_new(o, "rows", rv);
	free(pv);
	board_clear(&b);
	return o;
}

void
api_board(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "campaign", "deadline", NULL };
	struct api_ctx *ctx = arg;
	const struct model *m;
	const struct model_campaign *c = NULL;
	const struct model_deadline *dl = NULL;
	const char *campaign, *deadline;
	struct evkeyvalq q;
	json_t *a = NULL, *o;
	char err[512];

	if (api_authorize(req, ctx, API_READ) == -1 ||
	    api_query(req, &q, allowed) == -1)
		return;
	m = engine_model(ctx->engine);
	campaign = evhttp_find_header(&q, "campaign");
	deadline = evhttp_find_header(&q, "deadline");
	if (campaign != NULL && (c = api_find_campaign(req, m, campaign)) ==
	    NULL)
		goto done;
	if (deadline != NULL && (c != NULL ? (dl = api_find_deadline(req, c,
	    deadline)) == NULL : api_find_any_deadline(req, m, deadline,
	    &c, &dl) == -1))
		goto done;
	a = json_array();
	for (size_t i = 0; i < m->n_campaigns; i++) {
		if (c != NULL && c != &m->campaigns[i])
			continue;
		if ((o = api_board_campaign(engine_store(ctx->engine), m,
		    &m->campaigns[i], dl, engine_time(ctx->engine), 1, err,
		    sizeof(err))) == NULL) {
			httpd_reply_error(req, 500, "store: %s", err);
			goto done;
		}
		json_array_append_new(a, o);
	}
	api_reply_as_of(req, "at", api_json_time(engine_time(ctx->engine),
	    m->daemon.timezone), json_pack("{s:O}", "campaigns", a));
done:
	json_decref(a);
	evhttp_clear_headers(&q);
}
