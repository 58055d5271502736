/*
 * tally.c - a deadline's audience by unit, and the digest (see tally.h).
 */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "xmalloc.h"

/* Append name to the "、"-joined list *s (owned, may be NULL). */
static void
tally_join(char **s, const char *name)
{
	char *t = xasprintf("%s%s%s", *s != NULL ? *s : "",
	    *s != NULL ? "、" : "", name);

	free(*s);
	*s = t;
}

/* Whether mc is counted: everyone, or those supervisor supervises. */
static int
tally_counts(const struct model_contact *mc, const char *supervisor)
{
	return supervisor == NULL || (mc->supervisor != NULL &&
	    strcmp(mc->supervisor->id, supervisor) == 0);
}

void
tally_clear(struct tally *t)
{
	free(t->pending);
	free(t->submitted);
	memset(t, 0, sizeof(*t));
}

void
tally_deadline(const struct model_campaign *c,
    const struct model_deadline *dl, const char *supervisor,
    tally_submitted_fn submitted, void *arg, struct tally *t)
{
	const struct model_audience *a = &dl->audience;
	const void **seen = xcalloc(a->n + 1, sizeof(*seen));
	size_t n_seen = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < a->n; i++) {
		const struct model_contact *mc = a->contacts[i];
		const void *who = mc->unit != NULL ? (const void *)mc->unit :
		    (const void *)mc;
		const char *name;
		int sub = 0, dup = 0;

		if (!tally_counts(mc, supervisor))
			continue;
		for (size_t k = 0; k < n_seen && !dup; k++)
			dup = seen[k] == who;
		if (dup)
			continue;
		seen[n_seen++] = who;
		if (mc->unit != NULL) {
			name = mc->unit->name != NULL ? mc->unit->name :
			    mc->unit->id;
			/* Contacts before i are of other units. */
			for (size_t k = i; k < a->n && !sub; k++)
				if (a->contacts[k]->unit == mc->unit &&
				    tally_counts(a->contacts[k], supervisor))
					sub = submitted(arg, c->id, dl->id,
					    a->contacts[k]->id);
		} else {
			name = mc->name != NULL ? mc->name : mc->id;
			sub = submitted(arg, c->id, dl->id, mc->id);
		}
		if (sub)
			tally_join(&t->submitted, name);
		else {
			tally_join(&t->pending, name);
			t->n_pending++;
		}
		t->n_total++;
	}
	free(seen);
}

char *
tally_digest(const struct model_campaign *c, int64_t now,
    tally_submitted_fn submitted, void *arg)
{
	char *s = xstrdup(""), *line, due[64];
	size_t lines = 0;

	for (size_t i = 0; i < c->n_deadlines; i++) {
		const struct model_deadline *dl = &c->deadlines[i];
		struct tally t;

		/* A desk acts on what is due soon; three weeks off is noise. */
		if (dl->due.at > now + c->digest.horizon)
			continue;
		tally_deadline(c, dl, NULL, submitted, arg, &t);
		if (dl->due.at <= now && t.n_pending == 0) {
			tally_clear(&t);
			continue;
		}
		if (render_when(dl->due.at, c->timezone, dl->due.date_only, due,
		    sizeof(due)) == NULL)
			due[0] = '\0';
		line = xasprintf("%s%s（%s截止%s）：已报送%zu/%zu%s%s\n", s,
		    dl->title, due, dl->due.at <= now ? "，已逾期" : "",
		    t.n_total - t.n_pending, t.n_total,
		    t.n_pending > 0 ? "，未报送：" : "",
		    t.pending != NULL ? t.pending : "");
		tally_clear(&t);
		free(s);
		s = line;
		lines++;
	}
	if (lines == 0) {
		free(s);
		s = xasprintf("%lld天内没有截止的报送事项。",
		    (long long)((c->digest.horizon + 86399) / 86400));
	} else
		s[strlen(s) - 1] = '\0';	/* lines, not a trailing newline */
	return s;
}
