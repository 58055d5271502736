/*
 * tally.h - who has submitted a deadline, counted by unit, and the daily
 * digest's lines.
 *
 * Units report, people change: a deadline's audience is tallied per unit
 * (a contact without a unit stands for itself), and a unit has submitted
 * once any of its contacts in the audience has.  The question "has this
 * contact submitted?" is the caller's (the store at send time, "nobody"
 * in a preview), so this file reads no store.
 */
#ifndef HERALD_TALLY_H
#define HERALD_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Has contact submitted deadline of campaign?  1 or 0. */
typedef int (*tally_submitted_fn)(void *arg, const char *campaign,
    const char *deadline, const char *contact);

struct tally {
	char *pending;		/* "河北省商务厅、山西省商务厅" or NULL; owned */
	char *submitted;	/* likewise; owned */
	size_t n_pending, n_total;
};

/*
 * Tally dl of campaign c into t (zeroed first), units in config order;
 * with supervisor set, only the contacts that contact id supervises (an
 * escalation to supervisors tells each about its own people).  The
 * caller frees t->pending and t->submitted (tally_clear).
 */
void tally_deadline(const struct model_campaign *c,
    const struct model_deadline *dl, const char *supervisor,
    tally_submitted_fn submitted, void *arg, struct tally *t);

/* Free t's strings and zero it.  Accepts a zeroed t. */
void tally_clear(struct tally *t);

/*
 * The digest of c at now: one line per deadline due within the digest's
 * horizon, and per past one some unit still owes ("TITLE（8月5日 17:00
 * 截止）：已报送3/6，未报送：A、B"), joined by newlines, or one line
 * saying nothing is due.  Caller frees.
 */
char *tally_digest(const struct model_campaign *c, int64_t now,
    tally_submitted_fn submitted, void *arg);

#endif
