/*
 * dispatch_merge.c - sending a backed-up queue as one message
 * (see dispatch.c).
 *
 * Merging (a channel's merge_after): a WeCom robot takes 20 messages a
 * minute, so 31 reminders queued for one group would trickle out over a
 * minute and a half.  When the pump runs out of tokens it asks how long
 * the bucket will hold the last job in line: the wait for the next token
 * plus one refill interval per job ahead of it.  If that is longer than
 * merge_after, the next token sends every queued non-emergency job as one
 * "digest-merge" message (rendered bodies numbered in queue order, the
 * first job's key and fields), and that one outcome is recorded for each
 * of them.  Emergency jobs are never merged and still go first.  The
 * message goes to the first job's address, so merge_after is for channels
 * that post to one shared place (group robots).
 *
 * Kept apart from dispatch.c because it is one policy on top of the
 * queues: the pump asks dispatch_merge_due() when it runs out of tokens;
 * with the next token it takes jobs off the queue while
 * dispatch_merge_fits() says they share the first one's destination, and
 * dispatch_merge_message() turns them into one message.  This file sits
 * below dispatch.c: it builds the message and never calls back up (the
 * queue, the checks and the hand-off stay in dispatch.c).
 */
#include "dispatch.h"
#include "dispatch_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plugin.h"
#include "policy.h"
#include "xmalloc.h"

/*
 * Would the bucket hold the last job in line longer than merge_after?
 * It gets a token wait_us from now plus one refill interval per job ahead
 * of it.
 */
int
dispatch_merge_due(const struct dchan *ch, int64_t wait_us)
{
	double last_us;

	if (ch->merge_after_us <= 0 || ch->tb.rate <= 0 || ch->st.queued < 2)
		return 0;
	last_us = (double)wait_us +
	    (double)(ch->st.queued - 1) * 1e6 / ch->tb.rate;
	return last_us > (double)ch->merge_after_us;
}

/*
 * ds's recipients become the distinct contacts of ds's job and of rest,
 * in queue order.  A contact gone from the config is left out (the checks
 * cancel its jobs next time); the lead's own entry is already there.
 */
static void
dispatch_merge_recipients(struct dispatch *d, const struct dchan *ch,
    struct dsend *ds, const struct djob *rest, size_t n)
{
	struct herald_recipient *r;
	const struct model_contact *mc;
	const struct djob *dj;
	size_t k = ds->msg.n_recipients, i;

	r = xcalloc(k + n, sizeof(*r));
	memcpy(r, ds->recipients, k * sizeof(*r));
	for (dj = rest; dj != NULL; dj = dj->next) {
		mc = model_contact_find(d->cur->m, dj->sj->j.contact);
		if (mc == NULL)
			continue;
		for (i = 0; i < k; i++)
			if (strcmp(r[i].contact, mc->id) == 0)
				break;
		if (i == k)
			dispatch_recipient(mc, ch->name, &r[k++]);
	}
	free(ds->recipients);
	ds->recipients = r;
	ds->msg.recipients = r;
	ds->msg.n_recipients = k;
}

/*
 * Turn ds into the merged message of ds and the n jobs on rest (linked
 * by next, ownership taken): subject and numbered bodies are kept in ds's
 * job, which frees them with itself.
 */
void
dispatch_merge_message(struct dispatch *d, const struct dchan *ch,
    struct dsend *ds, struct djob *rest, size_t n)
{
	struct job_claim *lead = ds->dj->sj;
	const struct djob *dj;
	size_t len = 0, i = 1;
	char *body, *p;

	free(lead->subject);
	lead->subject = xasprintf("【汇总】%zu条通知", n + 1);
	/* The heading opens the body too: robots and SMS show no subject. */
	len = strlen(lead->subject);
	for (dj = ds->dj; dj != NULL; dj = dj == ds->dj ? rest : dj->next)
		len += 24 + (dj->sj->body != NULL ? strlen(dj->sj->body) : 0);
	p = body = xmalloc(len + 1);
	p += sprintf(p, "%s", lead->subject);
	for (dj = ds->dj; dj != NULL; dj = dj == ds->dj ? rest : dj->next, i++)
		p += sprintf(p, "\n%zu. %s", i, dj->sj->body != NULL ?
		    dj->sj->body : "");
	free(lead->body);
	lead->body = body;
	ds->merged = rest;
	ds->n_merged = n;
	ds->msg.kind = "digest-merge";
	ds->msg.subject = lead->subject;
	ds->msg.body = lead->body;
	dispatch_merge_recipients(d, ch, ds, rest, n);
}

/*
 * Does dj go where lead goes?  A merged message has one address, so jobs
 * for different people may share it only when the channel itself is the
 * destination (HERALD_ADDR_NONE); otherwise one person would receive
 * everybody's notices.
 */
int
dispatch_merge_fits(struct dispatch *d, const struct dchan *ch,
    const struct dsend *lead, const struct djob *dj)
{
	const struct herald_caps *caps = channel_set_caps(d->cur->cs, ch->idx);
	const struct model_contact *mc = model_contact_find(d->cur->m,
	    dj->sj->j.contact);
	const char *a;

	/* An emergency goes alone and first (dispatch.c), never in a
	 * merged message. */
	if (policy_is_emergency(dj->sj->j.kind))
		return 0;
	/* The robot is the destination; an address entry there is only a
	 * handle to @-mention (issue 11), not another place to post to. */
	if (caps->address == HERALD_ADDR_NONE)
		return 1;
	if (mc == NULL)
		return 1;	/* gone from the config: the checks cancel it */
	a = dispatch_address(mc, ch->name, caps->address);
	if (a == NULL || lead->msg.address == NULL)
		return a == lead->msg.address;
	return strcmp(a, lead->msg.address) == 0;
}

