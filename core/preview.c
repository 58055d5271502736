/*
 * preview.c - heraldd -m (see preview.h).
 *
 * For every campaign, kind and channel the earliest planned job is
 * rendered as it will go out: {{left}} as of its due time, the ack link
 * and the SMS reply hint where the channel and the config turn them on,
 * as the recipient reads it: a channel whose plugin measures its texts
 * (measure(), ABI 1.5) says what it makes of the body (the sms plugin
 * puts its signature in front).  Emergency alerts are
 * not planned (someone triggers them), so the campaign's first plan
 * stands in, once per channel of its recipients.  What the store would
 * know is made up, and said so in the output: the first unit of every
 * audience has submitted, nobody else; the ack token is a placeholder,
 * since a real one is a secret's signature.
 */
#include "preview.h"

#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "job.h"
#include "planner.h"
#include "render.h"
#include "tally.h"
#include "xmalloc.h"

/* What kinds are called in the coordinators' documents. */
static const char *const preview_kind_names[JOB_KIND_COUNT] = {
	[JOB_COUNTDOWN] = "启动倒计时", [JOB_LAUNCH] = "启动",
	[JOB_REMINDER] = "截止提醒", [JOB_OVERDUE] = "逾期通知",
	[JOB_ESCALATION] = "逾期督办", [JOB_TASK] = "任务提醒",
	[JOB_PHASE] = "阶段通知", [JOB_DIGEST] = "每日汇总",
	[JOB_SLOT] = "直播提醒", [JOB_EMERGENCY] = "应急告警",
	[JOB_INCIDENT_ACK] = "应急接手通知", [JOB_INCIDENT_CLOSE] = "应急结束通知",
	[JOB_TASK_OVERDUE] = "任务逾期通知", [JOB_TASK_ESCALATION] = "任务督办",
	[JOB_SCHEDULE] = "直播节目单", [JOB_NEXT_UP] = "直播预告",
	[JOB_ON_AIR] = "开播", [JOB_OFF_AIR] = "下播",
};

struct preview_pick {
	struct job j;
	char *item;		/* owned: j.item points here */
	int busy;		/* a digest with something in it */
};

struct preview {
	const struct model *m;
	const struct model_campaign *c;
	struct preview_pick *v;	/* JOB_KIND_COUNT x n_channels */
};

static struct preview_pick *
preview_slot(struct preview *p, enum job_kind k, const char *channel)
{
	for (size_t i = 0; i < p->m->n_channels; i++)
		if (strcmp(p->m->channels[i].name, channel) == 0)
			return &p->v[(size_t)k * p->m->n_channels + i];
	return NULL;
}

/* Does c's digest at t list a deadline?  An empty one shows little. */
static int
preview_digest_busy(const struct model_campaign *c, int64_t t)
{
	for (size_t i = 0; i < c->n_deadlines; i++)
		if (c->deadlines[i].due.at > t &&
		    c->deadlines[i].due.at <= t + c->digest.horizon)
			return 1;
	return 0;
}

/* Keep j when it is the earliest of its kind and channel so far (for
 * digests: the earliest with a deadline in it, if any). */
static void
preview_keep(struct preview *p, const struct job *j)
{
	struct preview_pick *pk = preview_slot(p, j->kind, j->channel);
	int busy = j->kind == JOB_DIGEST && preview_digest_busy(p->c, j->due);

	if (pk == NULL || (pk->item != NULL && (pk->busy > busy ||
	    (pk->busy == busy && pk->j.due <= j->due))))
		return;
	free(pk->item);
	pk->j = *j;
	pk->item = xstrdup(j->item);
	pk->j.item = pk->item;
	pk->busy = busy;
}

/* plan_emit_fn: the earliest job of the campaign per kind and channel. */
static int
preview_job(void *arg, const struct job *j)
{
	struct preview *p = arg;

	if (strcmp(j->campaign, p->c->id) == 0)
		preview_keep(p, j);
	return 0;
}

/* The campaign's first plan, once per channel its recipients use. */
static void
preview_emergency(struct preview *p)
{
	const struct model_plan *pl;
	struct job j;

	if (p->c->n_plans == 0)
		return;
	pl = &p->c->plans[0];
	for (size_t i = 0; i < pl->alert.n; i++) {
		const struct model_contact *mc = pl->alert.contacts[i];

		for (size_t k = 0; k < mc->n_prefer + mc->n_always; k++) {
			const struct model_channel *ch = k < mc->n_prefer ?
			    mc->prefer[k] : mc->always[k - mc->n_prefer];

			memset(&j, 0, sizeof(j));
			j.kind = JOB_EMERGENCY;
			j.campaign = p->c->id;
			j.item = pl->id;
			j.contact = mc->id;
			j.channel = ch->name;
			j.due = j.item_at = p->c->period_from.at;
			preview_keep(p, &j);
		}
	}
}

/* tally_submitted_fn: the first unit of every audience has submitted. */
static int
preview_submitted(void *arg, const char *campaign, const char *deadline,
    const char *contact)
{
	const struct preview *p = arg;
	const struct model_deadline *dl = model_deadline_find(p->c, deadline);
	const struct model_contact *mc = model_contact_find(p->m, contact);

	(void)campaign;
	if (dl == NULL || mc == NULL || dl->audience.n == 0)
		return 0;
	return mc == dl->audience.contacts[0] || (mc->unit != NULL &&
	    mc->unit == dl->audience.contacts[0]->unit);
}

static void
preview_one(struct preview *p, const struct channel_set *cs,
    const struct model_channel *ch, const struct job *j, FILE *fp)
{
	const struct model *m = p->m;
	const struct herald_caps *caps;
	const struct model_contact *mc = model_contact_find(m, j->contact);
	struct render_extra x = { .now = j->due };
	struct tally t = { 0 };
	struct herald_measure me;
	char *subject = NULL, *body = NULL, *url = NULL, err[256];
	const char *text;
	char when[64];
	int idx = channel_set_find(cs, ch->name);

	if (idx < 0 || mc == NULL)
		return;
	caps = channel_set_caps(cs, (size_t)idx);
	if (m->daemon.public_url != NULL && m->daemon.ack_secret != NULL)
		url = xasprintf("%s/a/（确认令牌）", m->daemon.public_url);
	x.ack_url = url;
	x.link_ok = caps->ack_links;
	x.sms_replies = caps->address == HERALD_ADDR_PHONE &&
	    m->daemon.sms_reply_token != NULL;
	if (j->kind == JOB_ESCALATION) {
		const struct model_deadline *dl = model_deadline_find(p->c,
		    j->item);

		if (dl != NULL)
			tally_deadline(p->c, dl, NULL, preview_submitted, p, &t);
		x.not_submitted = t.pending;
		x.submitted = t.submitted;
		x.n_pending = t.n_pending;
		x.n_total = t.n_total;
	}
	if (j->kind == JOB_DIGEST)
		x.digest_text = tally_digest(p->c, j->due, preview_submitted, p);
	if (render_job(m, j, &x, &subject, &body, err, sizeof(err)) == -1)
		goto done;
	/* The text as the recipient sees it, when the channel changes it
	 * (an SMS signature in front); its plugin's until the next measure. */
	text = body;
	if (channel_set_measure(cs, (size_t)idx, subject, body, &me) == 1 &&
	    me.text != NULL)
		text = me.text;
	if (j->kind == JOB_EMERGENCY)
		snprintf(when, sizeof(when), "预案触发时立即");
	else
		civil_format(j->due, p->c->timezone, when, sizeof(when));
	fprintf(fp, "### %s · %s\n\n", preview_kind_names[j->kind], ch->name);
	fprintf(fp, "%s（%s%s），%s发出。\n\n", mc->name != NULL ? mc->name :
	    mc->id, mc->unit != NULL ? mc->unit->name : "",
	    mc->unit != NULL ? "" : "无单位", when);
	if (caps->address == HERALD_ADDR_EMAIL && subject != NULL)
		fprintf(fp, "主题：%s\n\n", subject);
	fprintf(fp, "```text\n%s\n```\n\n", text);
done:
	tally_clear(&t);
	free((char *)x.digest_text);
	free(subject);
	free(body);
	free(url);
}

int
preview_print(const struct model *m, const struct channel_set *cs,
    FILE *fp)
{
	struct preview p = { .m = m };
	struct plan_counts pc;
	int rc = 0;

	for (size_t ci = 0; ci < m->n_campaigns && rc == 0; ci++) {
		size_t n = (size_t)JOB_KIND_COUNT * m->n_channels;

		p.c = &m->campaigns[ci];
		p.v = xcalloc(n + 1, sizeof(*p.v));
		if (plan_model(m, preview_job, &p, &pc) == -1)
			rc = -1;
		preview_emergency(&p);
		fprintf(fp, "## %s\n\n", p.c->title);
		for (int k = 0; k < JOB_KIND_COUNT && rc == 0; k++)
			for (size_t i = 0; i < m->n_channels; i++) {
				struct preview_pick *pk = &p.v[(size_t)k *
				    m->n_channels + i];

				if (pk->item != NULL)
					preview_one(&p, cs, &m->channels[i],
					    &pk->j, fp);
			}
		for (size_t i = 0; i < n; i++)
			free(p.v[i].item);
		free(p.v);
	}
	return rc;
}
