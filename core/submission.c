/*
 * submission.c - submissions by party, through the model in use (see
 * submission.h).
 */
#include "submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model.h"
#include "sched.h"
#include "store.h"
#include "xmalloc.h"

int
submission_is_done(struct store *st, const struct model *m,
    const char *campaign, const char *deadline, const char *contact,
    int *done, int64_t *at)
{
	const struct model_contact *c = model_contact_find(m, contact);
	const char *unit = c != NULL && c->unit != NULL ? c->unit->id : NULL;

	return store_is_submitted(st, campaign, deadline, unit, contact, done,
	    at);
}

void
submission_result_clear(struct submission_result *r)
{
	free(r->members);
	memset(r, 0, sizeof(*r));
}

/*
 * The party of unit or contact (one is NULL) into p, its members into
 * out->members (owned by out).  Strings are borrowed from m or the
 * arguments.  -1 with err for an id m does not know.
 */
static int
submission_party(const struct model *m, const char *unit,
    const char *contact, struct store_party *p,
    struct submission_result *out, char *err, size_t errlen)
{
	const struct model_contact *c = NULL;
	const struct model_unit *u = NULL;

	memset(out, 0, sizeof(*out));
	memset(p, 0, sizeof(*p));
	if (unit != NULL && (u = model_unit_find(m, unit)) == NULL) {
		snprintf(err, errlen, "unknown unit \"%s\"", unit);
		return -1;
	}
	/* A contact gone from the config still submits for itself: its
	 * notices are in the store until they are cancelled. */
	if (contact != NULL && (c = model_contact_find(m, contact)) != NULL)
		u = c->unit;
	p->contact = contact;
	if (u == NULL) {
		out->members = xcalloc(1, sizeof(*out->members));
		out->members[0] = contact;
		out->n_members = 1;
	} else {
		p->unit = out->unit = u->id;
		out->members = xcalloc(u->n_members + 1,
		    sizeof(*out->members));
		for (size_t i = 0; i < u->n_members; i++)
			out->members[out->n_members++] = u->members[i]->id;
	}
	p->members = out->members;
	p->n_members = out->n_members;
	return 0;
}

int
submission_record(struct engine *e, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    const char *via, struct submission_result *out, char *err,
    size_t errlen)
{
	struct store *st = engine_store(e);
	struct store_party p;
	int done = 0;

	if (submission_party(engine_model(e), unit, contact, &p, out, err,
	    errlen) == -1)
		return -1;
	if (store_submit(st, campaign, deadline, &p, engine_time(e), via,
	    &out->first, &out->n_changed) == -1 ||
	    store_is_submitted(st, campaign, deadline, p.unit,
	    contact != NULL ? contact : "", &done, &out->at) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		submission_result_clear(out);
		return -1;
	}
	return 0;
}

int
submission_withdraw(struct engine *e, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    const char *via, struct submission_result *out, char *err,
    size_t errlen)
{
	struct store *st = engine_store(e);
	struct store_party p;

	if (submission_party(engine_model(e), unit, contact, &p, out, err,
	    errlen) == -1)
		return -1;
	if (store_withdraw(st, campaign, deadline, &p, engine_time(e), via,
	    &out->found, &out->n_changed) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		submission_result_clear(out);
		return -1;
	}
	/* Revived notices may be due before what the scheduler waits for. */
	if (out->n_changed > 0)
		sched_poke(engine_sched(e));
	return 0;
}

/* The units' submissions of one campaign, copied out of the store. */
struct submission_sweep_list {
	char **deadline, **unit, **contact;
	size_t n;
};

static void
submission_sweep_add(void *arg, const struct store_submission *sub)
{
	struct submission_sweep_list *l = arg;

	if (sub->unit == NULL)
		return;		/* a contact's own: its jobs are its own */
	l->deadline = xrealloc(l->deadline, (l->n + 1) * sizeof(char *));
	l->unit = xrealloc(l->unit, (l->n + 1) * sizeof(char *));
	l->contact = xrealloc(l->contact, (l->n + 1) * sizeof(char *));
	l->deadline[l->n] = xstrdup(sub->deadline);
	l->unit[l->n] = xstrdup(sub->unit);
	l->contact[l->n] = sub->contact != NULL ? xstrdup(sub->contact) :
	    NULL;
	l->n++;
}

static void
submission_sweep_clear(struct submission_sweep_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->deadline[i]);
		free(l->unit[i]);
		free(l->contact[i]);
	}
	free(l->deadline);
	free(l->unit);
	free(l->contact);
	memset(l, 0, sizeof(*l));
}

/*
 * A repeat of a unit's submission records nothing (the first wins) and
 * cancels what its members have pending: that is the whole sweep.
 */
int
submission_sweep(struct store *st, const struct model *m, int64_t now,
    size_t *n)
{
	struct submission_sweep_list l = { 0 };
	struct submission_result r;
	struct store_party p;
	size_t k;
	char err[64];
	int rc = 0, first;

	*n = 0;
	for (size_t c = 0; c < m->n_campaigns && rc == 0; c++) {
		if (store_submissions(st, m->campaigns[c].id,
		    submission_sweep_add, &l) == -1)
			rc = -1;
		for (size_t i = 0; i < l.n && rc == 0; i++) {
			if (submission_party(m, l.unit[i], NULL, &p, &r, err,
			    sizeof(err)) == -1)
				continue;	/* the unit left the config */
			p.contact = l.contact[i];
			rc = store_submit(st, m->campaigns[c].id,
			    l.deadline[i], &p, now, NULL, &first, &k);
			*n += k;
			submission_result_clear(&r);
		}
		submission_sweep_clear(&l);
	}
	return rc;
}
