/*
 * submission.h - who a submission is for, and recording or withdrawing
 * one, with the model in use.
 *
 * A submission closes a deadline for the submitter's unit (DESIGN.md
 * rule 7: units report, people change), or for the contact alone when
 * it has no unit.  The store keeps submissions by party; this layer
 * turns a contact or unit id into the party through the model, so that
 * a liaison replaced by a reload finds the deadline closed, and every
 * door (API, link page, SMS reply, dispatcher) asks the same question.
 */
#ifndef HERALD_SUBMISSION_H
#define HERALD_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct model;
struct store;

/*
 * Is deadline closed for contact (an id, in m or no longer)?  Its unit's
 * submission or its own counts.  Returns 0 with *done (and *at, which
 * may be NULL), or -1 with the reason in store_error(st).
 */
int submission_is_done(struct store *st, const struct model *m,
    const char *campaign, const char *deadline, const char *contact,
    int *done, int64_t *at);

/* What a submission or withdrawal did. */
struct submission_result {
	const char *unit;	/* the party's unit (borrowed from the
				 * model), or NULL: the contact alone */
	const char **members;	/* the contacts it covers; owned, freed by
				 * submission_result_clear() */
	size_t n_members;
	int first;		/* submit: recorded now (else already) */
	int found;		/* withdraw: there was one to withdraw */
	int64_t at;		/* submit: when the party submitted */
	size_t n_changed;	/* notices cancelled, or revived */
};
void submission_result_clear(struct submission_result *r);

/*
 * Record deadline of campaign as submitted by contact (for its unit, or
 * itself) or, contact NULL, for unit as a whole; exactly one of them is
 * set, and campaign and deadline are known to be in the model.  via says
 * through what ("api", "link", "sms").  Returns 0 with *out filled
 * (caller clears it), or -1 with err.
 */
int submission_record(struct engine *e, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    const char *via, struct submission_result *out, char *err,
    size_t errlen);

/*
 * Withdraw the party's submission of deadline (the same party rules);
 * the notices it cancelled that are still ahead come back.  Returns 0
 * with out->found and out->n_changed, or -1 with err.
 */
int submission_withdraw(struct engine *e, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    const char *via, struct submission_result *out, char *err,
    size_t errlen);

/*
 * After a plan: cancel the pending notices of the kinds a submission
 * cancels (policy.h: reminders and overdue notices) that the plan gave
 * to members of units that have already submitted (a new liaison), so the agenda shows what will be sent.  The dispatcher
 * checks again at send time; this only keeps the agenda honest.  m is
 * the model just planned; *n gets the notices cancelled.  Returns 0, or
 * -1 with the reason in store_error(st).
 */
int submission_sweep(struct store *st, const struct model *m, int64_t now,
    size_t *n);

#endif
