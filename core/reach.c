/*
 * reach.c - a warning for each recipient of an emergency plan that no
 * channel can address (reach.h).
 *
 * The rule is dispatch_address()'s: an address entry for the channel
 * (contact.address) wins; otherwise a phone channel needs the contact's
 * phone, an email channel its email, a handle channel the address entry,
 * and a channel addressed by itself (a group robot, the log) needs
 * nothing.  An incident alerts a contact on every channel it has (its
 * prefer chain, its copies and its address overrides: incident.c), so one
 * addressable channel is enough.
 */
#include <stdlib.h>
#include <string.h>

#include "channel_set.h"
#include "errlist.h"
#include "herald-plugin.h"
#include "model.h"
#include "reach.h"
#include "xmalloc.h"

/* Whether mc has an address entry for ch. */
static int
reach_has_entry(const struct model_contact *mc, const struct model_channel *ch)
{
	for (size_t i = 0; i < mc->n_addresses; i++)
		if (mc->addresses[i].channel == ch)
			return 1;
	return 0;
}

/* Whether ch can address mc; a channel without a known plugin can. */
static int
reach_channel(const struct model_contact *mc, const struct model_channel *ch,
    const struct channel_set *cs)
{
	int i;

	if (reach_has_entry(mc, ch))
		return 1;
	if ((i = channel_set_find(cs, ch->name)) < 0)
		return 1;
	switch (channel_set_caps(cs, (size_t)i)->address) {
	case HERALD_ADDR_NONE:
		return 1;
	case HERALD_ADDR_PHONE:
		return mc->phone != NULL;
	case HERALD_ADDR_EMAIL:
		return mc->email != NULL;
	case HERALD_ADDR_HANDLE:
		return 0;
	}
	return 1;
}

/* Whether any channel of mc (chain, copies, overrides) reaches it. */
static int
reach_contact(const struct model_contact *mc, const struct channel_set *cs)
{
	for (size_t i = 0; i < mc->n_prefer; i++)
		if (reach_channel(mc, mc->prefer[i], cs))
			return 1;
	for (size_t i = 0; i < mc->n_always; i++)
		if (reach_channel(mc, mc->always[i], cs))
			return 1;
	/* An override is an address for its channel. */
	for (size_t i = 0; i < mc->n_addresses; i++)
		if (mc->addresses[i].channel != NULL)
			return 1;
	return 0;
}

/* Warn once per contact of a not yet in seen (n of them, grows). */
static void
reach_audience(const struct model_plan *p, const struct model_audience *a,
    const struct channel_set *cs, const struct model_contact **seen,
    size_t *n, struct errlist *errs)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct model_contact *mc = a->contacts[i];
		size_t k;

		for (k = 0; k < *n && seen[k] != mc; k++)
			;
		if (k < *n)
			continue;
		seen[(*n)++] = mc;
		if (!reach_contact(mc, cs))
			errlist_warn(errs, p->loc.file, p->loc.line,
			    "plan \"%s\": contact \"%s\" has no address on "
			    "any of its channels (a phone, an email or an "
			    "address entry): its alerts would reach nobody",
			    p->id, mc->id);
	}
}

void
reach_check_plans(const struct model *m, const struct channel_set *cs,
    struct errlist *errs)
{
	for (size_t c = 0; c < m->n_campaigns; c++) {
		const struct model_campaign *mc = &m->campaigns[c];

		for (size_t j = 0; j < mc->n_plans; j++) {
			const struct model_plan *p = &mc->plans[j];
			const struct model_contact **seen;
			size_t total = p->alert.n, n = 0;

			for (size_t e = 0; e < p->n_escalate; e++)
				total += p->escalate[e].to.n;
			seen = xcalloc(total + 1, sizeof(*seen));
			reach_audience(p, &p->alert, cs, seen, &n, errs);
			for (size_t e = 0; e < p->n_escalate; e++)
				reach_audience(p, &p->escalate[e].to, cs, seen,
				    &n, errs);
			free(seen);
		}
	}
}
