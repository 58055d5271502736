/*
 * summary_parts.c - heraldd -t: how long each kind of message runs on a
 * channel that measures its texts, and warnings about those it would
 * refuse (see summary.h).
 *
 * The core knows no channel by name: every planned job on a channel whose
 * plugin has measure() (ABI 1.5; today the sms plugin) is rendered as it
 * would be sent and handed to the plugin, which answers in its own terms
 * (parts, the cap of its settings, whether it would send it, the words
 * for a line).  The largest count per campaign, channel and kind is kept:
 * titles differ between items, so one sample per template would
 * understate.
 */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#include "acklink.h"
#include "channel_set.h"
#include "errlist.h"
#include "planner.h"
#include "render.h"
#include "tally.h"
#include "xmalloc.h"

struct summary_parts_ctx {
	const struct model *m;
	const struct channel_set *cs;
	struct summary_parts *sp;
};

/* tally_submitted_fn of the worst case: nobody has submitted anything,
 * so every list of units is as long as it gets. */
static int
summary_nobody_submitted(void *arg, const char *campaign,
    const char *deadline, const char *contact)
{
	return 0;
}

/* The entry of (campaign, channel), added on first use. */
static struct summary_part *
summary_part_get(struct summary_parts *sp, const char *campaign,
    const struct model_channel *ch)
{
	struct summary_part *e;

	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->v[i].campaign, campaign) == 0 &&
		    strcmp(sp->v[i].channel, ch->name) == 0)
			return &sp->v[i];
	sp->v = xrealloc(sp->v, (sp->n + 1) * sizeof(*sp->v));
	e = &sp->v[sp->n++];
	memset(e, 0, sizeof(*e));
	e->campaign = campaign;
	e->channel = ch->name;
	e->plugin = ch->plugin;
	return e;
}

/* Fold one measured text of kind k into e. */
static void
summary_part_add(struct summary_part *e, enum job_kind k,
    const struct herald_measure *me)
{
	if (me->parts > e->max[k])
		e->max[k] = me->parts;
	if (!me->fits)
		e->refused[k] = 1;
	/* The same channel states the same limits for every text. */
	e->max_parts = me->max_parts;
	e->part_word = me->part_word;
	e->parts_words = me->parts_words;
	e->limit_setting = me->limit_setting;
	e->fix = me->fix;
}

/*
 * plan_emit_fn: render j with the longest values the message can really
 * carry (nobody has submitted yet, the signed link when links are on,
 * {{left}} as of its due time) and measure it on its channel.
 */
static int
summary_parts_job(void *arg, const struct job *j)
{
	struct summary_parts_ctx *ctx = arg;
	const struct model *m = ctx->m;
	const struct model_daemon *md = &m->daemon;
	const struct model_channel *ch = model_channel_find(m, j->channel);
	const struct model_campaign *c = model_campaign_find(m, j->campaign);
	const struct model_deadline *dl;
	const struct herald_caps *caps;
	struct render_extra x = { .now = j->due };
	struct summary_part *e;
	struct herald_measure me;
	struct tally t = { 0 };
	char *subject = NULL, *body = NULL, *digest = NULL, *ack = NULL;
	char err[256];
	int idx, rc;

	if (ch == NULL || (idx = channel_set_find(ctx->cs, ch->name)) < 0 ||
	    !channel_set_measures(ctx->cs, (size_t)idx))
		return 0;
	caps = channel_set_caps(ctx->cs, (size_t)idx);
	e = summary_part_get(ctx->sp, j->campaign, ch);
	x.sms_replies = caps->address == HERALD_ADDR_PHONE &&
	    md->sms_reply_token != NULL;
	if (c != NULL && j->kind == JOB_DIGEST)
		x.digest_text = digest = tally_digest(c, j->due,
		    summary_nobody_submitted, NULL);
	if (c != NULL && j->kind == JOB_ESCALATION &&
	    (dl = model_deadline_find(c, j->item)) != NULL) {
		tally_deadline(c, dl, NULL, summary_nobody_submitted, NULL, &t);
		x.not_submitted = t.pending;
		x.submitted = t.submitted;
		x.n_pending = t.n_pending;
		x.n_total = t.n_total;
	}
	if (md->public_url != NULL && md->ack_secret != NULL) {
		x.ack_url = ack = acklink_url(md->public_url, md->ack_secret,
		    md->ack_secret_len, j->key);
		x.link_ok = caps->ack_links;
	}
	rc = render_job(m, j, &x, &subject, &body, err, sizeof(err));
	free(digest);
	tally_clear(&t);
	free(ack);
	if (rc == -1)
		return 0;
	/* A text the plugin cannot measure (not UTF-8) counts as seen. */
	if (channel_set_measure(ctx->cs, (size_t)idx, subject, body, &me) == 1)
		summary_part_add(e, j->kind, &me);
	e->seen[j->kind] = 1;
	free(subject);
	free(body);
	return 0;
}

/* Where the text of kind on channel comes from: its template, the
 * kind's default template, else the channel block (built-in text). */
static struct model_loc
summary_text_loc(const struct model *m, const char *kind,
    const char *channel)
{
	const struct model_template *dflt = NULL;

	for (size_t i = 0; i < m->n_templates; i++) {
		const struct model_template *t = &m->templates[i];

		if (strcmp(t->kind, kind) != 0 || strcmp(t->field, "body") != 0)
			continue;
		if (strcmp(t->channel, channel) == 0)
			return t->loc;
		if (dflt == NULL && strcmp(t->channel, "default") == 0)
			dflt = t;
	}
	if (dflt != NULL)
		return dflt->loc;
	return model_channel_find(m, channel)->loc;
}

void
summary_parts_measure(const struct model *m, const struct channel_set *cs,
    struct summary_parts *sp, struct errlist *errs)
{
	struct summary_parts_ctx ctx = { .m = m, .cs = cs, .sp = sp };
	struct plan_counts pc;

	if (plan_model(m, summary_parts_job, &ctx, &pc) == -1)
		return;
	for (size_t i = 0; i < sp->n; i++) {
		const struct summary_part *e = &sp->v[i];

		for (int k = 0; k < JOB_KIND_COUNT; k++) {
			const char *kind = job_kind_name((enum job_kind)k);
			struct model_loc loc;

			if (!e->seen[k] || !e->refused[k])
				continue;
			loc = summary_text_loc(m, kind, e->channel);
			errlist_warn(errs, loc.file, loc.line, "%s messages of "
			    "campaign \"%s\" on channel \"%s\" need up to %zu "
			    "%s, over its %s %zu: the channel would refuse them "
			    "(%s)", kind, e->campaign, e->channel, e->max[k],
			    e->parts_words ? e->parts_words : "parts",
			    e->limit_setting ? e->limit_setting : "limit",
			    e->max_parts, e->fix ? e->fix : "shorten the text");
		}
	}
}

void
summary_parts_print(const struct summary_parts *sp, FILE *fp)
{
	for (size_t i = 0; i < sp->n; i++) {
		const struct summary_part *e = &sp->v[i];
		const char *sep = ": ";
		const char *word = e->part_word ? e->part_word : "part";

		fprintf(fp, "%s templates: campaign %s channel %s", e->plugin,
		    e->campaign, e->channel);
		for (int k = 0; k < JOB_KIND_COUNT; k++) {
			if (!e->seen[k])
				continue;
			fprintf(fp, "%s%s %zu %s%s%s", sep,
			    job_kind_name((enum job_kind)k), e->max[k], word,
			    e->max[k] == 1 ? "" : "s",
			    e->max_parts != 0 && e->max[k] > e->max_parts ?
			    " (over cap)" : "");
			sep = ", ";
		}
		fputc('\n', fp);
	}
}

void
summary_parts_free(struct summary_parts *sp)
{
	free(sp->v);
	sp->v = NULL;
	sp->n = 0;
}
