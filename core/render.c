/*
 * render.c - messages from templates: one small {{name}} substituter, the
 * values a job gives each name, and the built-in texts.
 *
 * The built-in texts read like the ministry's own notices (【提醒】...,
 * 【督办】...), so a config without templates still sends something a
 * liaison officer recognises.  There are no conditionals, loops or escapes
 * in the template language on purpose: coordinators edit these, and
 * render_check() can then tell them every mistake at load time.
 */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "policy.h"
#include "store.h"
#include "xmalloc.h"

enum render_var {
	RV_TITLE,
	RV_CAMPAIGN,
	RV_DUE,
	RV_LEFT,
	RV_CONTACT,
	RV_UNIT,
	RV_ACK_URL,
	RV_STEPS,
	RV_LEVEL,
	RV_STAGE,
	RV_FROM,
	RV_TO,
	RV_PHASE,
	RV_DIGEST,
	RV_PENDING,
	RV_PENDING_UNITS,
	RV_SUBMITTED_UNITS,
	RV_PENDING_COUNT,
	RV_SUBMITTED_COUNT,
	RV_TOTAL_COUNT,
	RV_NOTE,
	RV_VERB,
	RV_WEEKDAY,
	RV_LEAD,
	RV_ROLE,
	RV_VENUE,
	RV_BY,
	RV_WHEN,
	RV_COUNT
};

static const char *const render_names[RV_COUNT + 1] = {	/* NULL-terminated */
	[RV_TITLE] = "title",
	[RV_CAMPAIGN] = "campaign",
	[RV_DUE] = "due",
	[RV_LEFT] = "left",
	[RV_CONTACT] = "contact",
	[RV_UNIT] = "unit",
	[RV_ACK_URL] = "ack_url",
	[RV_STEPS] = "steps",
	[RV_LEVEL] = "level",
	[RV_STAGE] = "stage",
	[RV_FROM] = "from",
	[RV_TO] = "to",
	[RV_PHASE] = "phase",
	[RV_DIGEST] = "digest",
	[RV_PENDING] = "pending",
	[RV_PENDING_UNITS] = "pending_units",
	[RV_SUBMITTED_UNITS] = "submitted_units",
	[RV_PENDING_COUNT] = "pending_count",
	[RV_SUBMITTED_COUNT] = "submitted_count",
	[RV_TOTAL_COUNT] = "total_count",
	[RV_NOTE] = "note",
	[RV_VERB] = "verb",
	[RV_WEEKDAY] = "weekday",
	[RV_LEAD] = "lead",
	[RV_ROLE] = "role",
	[RV_VENUE] = "venue",
	[RV_BY] = "by",
	[RV_WHEN] = "when",
};

/*
 * Built-in texts per kind.  "ack" kinds get the SMS reply hint and the
 * ack link appended (render_job).  No ASCII space before Chinese text,
 * and the campaign goes in the text, not in a second 【】 block: the SMS
 * channel's signature is the one block carriers accept.  {{weekday}} is
 * "今天" for an item due the day the message goes out.
 */
struct render_builtin {
	const char *subject;
	const char *body;
	int ack;
	const char *verb;	/* {{verb}} unless the item names its own */
};

static const struct render_builtin render_builtins[JOB_KIND_COUNT] = {
	[JOB_COUNTDOWN] = { "【倒计时】{{title}}",
	    "【倒计时】{{title}}将于{{due}}（{{weekday}}）{{verb}}，还剩{{left}}。"
	    "{{note}}", 0, "举行" },
	[JOB_LAUNCH] = { "【启动】{{title}}",
	    "【启动】{{title}}现在开始！{{note}}", 0, "举行" },
	[JOB_REMINDER] = { "【提醒】{{title}}（{{due}}截止）",
	    "【提醒】{{campaign}}“{{title}}”将于{{due}}（{{weekday}}）截止，"
	    "还剩{{left}}，请按时{{verb}}。{{note}}", 1, "报送" },
	[JOB_OVERDUE] = { "【逾期】{{title}}（{{due}}截止）",
	    "【逾期】{{title}}已于{{due}}截止，贵单位尚未{{verb}}，"
	    "请尽快{{verb}}。{{note}}", 1, "报送" },
	[JOB_ESCALATION] = { "【督办】{{title}}",
	    "【督办】{{campaign}}“{{title}}”已于{{due}}截止，已{{verb}}"
	    "{{submitted_count}}/{{total_count}}，以下单位尚未{{verb}}："
	    "{{pending_units}}。", 0, "报送" },
	[JOB_TASK] = { "【任务提醒】{{title}}（{{due}}到期）",
	    "【任务提醒】{{campaign}}“{{title}}”{{role}}，请于{{due}}"
	    "（{{weekday}}）前{{verb}}，还剩{{left}}。{{note}}", 1, "完成" },
	[JOB_TASK_OVERDUE] = { "【任务逾期】{{title}}（{{due}}到期）",
	    "【任务逾期】{{campaign}}“{{title}}”{{role}}，已于{{due}}到期，"
	    "请尽快{{verb}}并反馈进展。{{note}}", 1, "完成" },
	[JOB_TASK_ESCALATION] = { "【任务督办】{{title}}",
	    "【任务督办】{{campaign}}“{{title}}”已于{{due}}到期，牵头单位："
	    "{{lead}}，请督促{{verb}}。{{note}}", 0, "完成" },
	[JOB_PHASE] = { "【阶段通知】{{campaign}}{{title}}",
	    "【阶段通知】{{campaign}}{{title}}自{{from}}开始，至{{to}}结束，"
	    "请做好相关工作。", 0, NULL },
	[JOB_DIGEST] = { "【每日汇总】{{campaign}}（{{due}}）",
	    "【每日汇总】{{campaign}}（{{due}}）\n{{digest}}", 0, "报送" },
	[JOB_SLOT] = { "【直播提醒】{{stage}}《{{title}}》",
	    "【直播提醒】{{stage}}《{{title}}》将于{{from}}{{verb}}，还剩{{left}}。"
	    "{{note}}", 0, "开播" },
	[JOB_EMERGENCY] = { "【应急】{{title}}（{{level}}级）",
	    "【应急】{{title}}（{{level}}级）：{{steps}}", 1, NULL },
	[JOB_INCIDENT_ACK] = { "【应急】{{title}}：{{by}}已接手",
	    "【应急】{{title}}：负责人：{{by}}，{{when}} 已接手（{{venue}}）。",
	    0, NULL },
	[JOB_INCIDENT_CLOSE] = { "【应急】{{title}}：已处置完毕",
	    "【应急】{{title}}：{{venue}}事件已处置完毕（{{by}}，{{when}}）。"
	    "{{note}}", 0, NULL },
};

/* digest = { every = "week"; }: the same text under a weekly heading. */
static const struct render_builtin render_weekly_digest = {
	"【每周汇总】{{campaign}}（{{due}}）",
	"【每周汇总】{{campaign}}（{{due}}）\n{{digest}}", 0, "报送"
};

/* Appended to an incident's alert whose text does not place {{venue}}. */
#define RENDER_INCIDENT_BLOCK	"\n地点：{{venue}}\n时间：{{due}}\n情况：{{note}}"
/* Before every message of a drill. */
#define RENDER_DRILL		"【演练】"

/* Appended to ack kinds (render_job): how to answer by SMS, the link. */
#define RENDER_REPLY_HINT	"回复1已收到，回复2已报送。"
/* An incident's alert: "1" takes charge (smsmo.c, ack.c). */
#define RENDER_REPLY_HINT_ALERT	"回复1接手。"
#define RENDER_ACK_SUFFIX	"确认请点：{{ack_url}}"

/* A growing output string. */
struct render_buf {
	char *p;
	size_t len, cap;
};

static void
render_buf_add(struct render_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 128;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* The placeholder name between the braces, without surrounding blanks. */
static void
render_trim(const char **name, size_t *len)
{
	while (*len > 0 && (**name == ' ' || **name == '\t')) {
		(*name)++;
		(*len)--;
	}
	while (*len > 0 && ((*name)[*len - 1] == ' ' ||
	    (*name)[*len - 1] == '\t'))
		(*len)--;
}

const char *const *
render_placeholders(void)
{
	return render_names;
}

static int
render_var_find(const char *name, size_t len)
{
	for (int i = 0; i < RV_COUNT; i++)
		if (strlen(render_names[i]) == len &&
		    memcmp(render_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Caller owns the result. */
char *
render_text(const char *text,
    const char *(*lookup)(void *arg, const char *name, size_t len),
    void *arg)
{
	struct render_buf b = { NULL, 0, 0 };
	const char *p = text, *open, *close;

	render_buf_add(&b, "", 0);
	while ((open = strstr(p, "{{")) != NULL) {
		const char *name, *val;
		size_t len;

		render_buf_add(&b, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL) {
			/* render_check() refuses this; keep the text as is. */
			p = open;
			break;
		}
		name = open + 2;
		len = (size_t)(close - name);
		render_trim(&name, &len);
		if ((val = lookup(arg, name, len)) != NULL)
			render_buf_add(&b, val, strlen(val));
		p = close + 2;
	}
	render_buf_add(&b, p, strlen(p));
	return b.p;
}

int
render_check(const char *text, char *err, size_t errlen)
{
	const char *p = text, *open, *close;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *name = open + 2;
		size_t len;

		if ((close = strstr(name, "}}")) == NULL) {
			snprintf(err, errlen, "unclosed placeholder \"{{%.40s\"",
			    name);
			return -1;
		}
		len = (size_t)(close - name);
		render_trim(&name, &len);
		if (render_var_find(name, len) == -1) {
			snprintf(err, errlen, "unknown placeholder \"%.*s\"",
			    (int)(len > 40 ? 40 : len), name);
			return -1;
		}
		p = close + 2;
	}
	return 0;
}

char *
render_left(int64_t seconds, char *buf, size_t len)
{
	/* Rounded up: at 1:59:30 before the deadline there are "2小时" left. */
	int64_t min = seconds <= 0 ? 0 : (seconds + 59) / 60;
	int64_t d = min / 1440, h = min % 1440 / 60, mi = min % 60;

	/* Under a minute, seconds: a "30s" countdown must not read as a
	 * minute. */
	if (seconds > 0 && seconds < 60)
		snprintf(buf, len, "%lld秒", (long long)seconds);
	else if (d > 0 && h > 0)
		snprintf(buf, len, "%lld天%lld小时", (long long)d, (long long)h);
	else if (d > 0)
		snprintf(buf, len, "%lld天", (long long)d);
	else if (h > 0 && mi > 0)
		snprintf(buf, len, "%lld小时%lld分钟", (long long)h,
		    (long long)mi);
	else if (h > 0)
		snprintf(buf, len, "%lld小时", (long long)h);
	else
		snprintf(buf, len, "%lld分钟", (long long)mi);
	return buf;
}

const char *
render_when(int64_t t, const char *zone, int date_only, char *buf,
    size_t len)
{
	struct civil c;

	if (civil_from_instant(t, zone, &c, NULL) == -1)
		return NULL;
	if (date_only)
		snprintf(buf, len, "%d月%d日", c.month, c.day);
	else
		snprintf(buf, len, "%d月%d日 %02d:%02d", c.month, c.day, c.hour,
		    c.min);
	return buf;
}

struct render_vars {
	const char *v[RV_COUNT];
	char due[64], left[64], from[64], to[64], level[16];
	char n_pending[24], n_submitted[24], n_total[24], role[256];
	char by_at[16];
	const struct model_wording *words;	/* the item's, or NULL */
	const struct model_unit *lead;		/* the item's lead unit */
	const struct model_unit *const *cooperate;
	size_t n_cooperate;
};

/* "星期五", or "今天" when at falls on the same civil day as now. */
static const char *
render_weekday(int64_t at, int64_t now, const char *zone)
{
	static const char *const names[7] = { "星期日", "星期一", "星期二",
	    "星期三", "星期四", "星期五", "星期六" };
	struct civil a, n;
	int32_t day;

	if (civil_from_instant(at, zone, &a, NULL) == -1)
		return NULL;
	if (now != 0 && civil_from_instant(now, zone, &n, NULL) == 0 &&
	    n.year == a.year && n.month == a.month && n.day == a.day)
		return "今天";
	day = civil_days_from_date(a.year, a.month, a.day);
	return names[civil_weekday(day)];
}

/*
 * Who leads and who helps, as the recipient's unit k reads it: "由贵单位
 * 牵头", "由商务部消费促进司牵头，贵单位配合", or "由...牵头" for a
 * recipient in neither.  NULL when the item names no lead.
 */
static const char *
render_role(struct render_vars *rv, const struct model_unit *k)
{
	int helps = 0;

	if (rv->lead == NULL)
		return NULL;
	if (k != NULL && k == rv->lead)
		return "由贵单位牵头";
	for (size_t i = 0; i < rv->n_cooperate && k != NULL; i++)
		if (rv->cooperate[i] == k)
			helps = 1;
	snprintf(rv->role, sizeof(rv->role), "由%s牵头%s",
	    rv->lead->name != NULL ? rv->lead->name : rv->lead->id,
	    helps ? "，贵单位配合" : "");
	return rv->role;
}

static const char *
render_vars_lookup(void *arg, const char *name, size_t len)
{
	struct render_vars *rv = arg;
	int i = render_var_find(name, len);

	return i == -1 ? NULL : rv->v[i];
}

/*
 * Fill rv for job j of campaign c, whose item it is (model_item_find(),
 * borrowed).  Only the template variables: the item was resolved before.
 */
static void
render_item(const struct model_campaign *c, const struct job *j,
    const struct model_item *it, struct render_vars *rv, int64_t *at,
    int *date_only)
{
	const char *zone = c->timezone;
	const struct model_time *from = &c->period_from, *to = &c->period_to;
	const struct model_phase *ph = NULL;

	*date_only = 0;
	switch (j->kind) {
	case JOB_COUNTDOWN:
	case JOB_LAUNCH:
		rv->v[RV_TITLE] = it->launch->title;
		rv->words = &it->launch->words;
		*at = it->launch->at.at;
		break;
	case JOB_REMINDER:
	case JOB_OVERDUE:
	case JOB_ESCALATION: {
		const struct model_deadline *d = it->deadline;

		rv->v[RV_TITLE] = d->title;
		rv->words = &d->words;
		rv->lead = d->lead;
		rv->cooperate = d->cooperate;
		rv->n_cooperate = d->n_cooperate;
		*at = d->due.at;
		*date_only = d->due.date_only;
		break;
	}
	case JOB_TASK:
	case JOB_TASK_OVERDUE:
	case JOB_TASK_ESCALATION: {
		const struct model_task *t = it->task;

		rv->v[RV_TITLE] = t->title;
		rv->words = &t->words;
		rv->lead = t->lead;
		rv->cooperate = t->cooperate;
		rv->n_cooperate = t->n_cooperate;
		*at = t->due.text != NULL ? t->due.at : j->item_at;
		*date_only = t->due.date_only;
		if (t->start.text != NULL)
			from = &t->start;
		if (t->due.text != NULL)
			to = &t->due;
		break;
	}
	case JOB_PHASE:
		ph = it->phase;
		rv->v[RV_TITLE] = ph->title;
		*at = ph->from.at;
		*date_only = ph->from.date_only;
		from = &ph->from;
		to = &ph->to;
		break;
	case JOB_DIGEST:
		rv->v[RV_TITLE] = c->title;
		*at = j->item_at;
		*date_only = 1;
		break;
	case JOB_SLOT: {
		const struct model_slot *s = it->slot;

		rv->v[RV_TITLE] = s->title;
		rv->words = &s->words;
		rv->v[RV_STAGE] = s->stage != NULL ? s->stage->title : NULL;
		*at = s->from.at;
		from = &s->from;
		to = &s->to;
		break;
	}
	case JOB_EMERGENCY:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE: {
		const struct model_plan *pl = it->plan;

		rv->v[RV_TITLE] = pl->title;
		rv->v[RV_STEPS] = pl->steps;
		snprintf(rv->level, sizeof(rv->level), "%d", pl->level);
		rv->v[RV_LEVEL] = rv->level;
		/* An incident's instant is when it was triggered. */
		*at = j->item_at != 0 ? j->item_at : j->due;
		break;
	}
	default:
		break;
	}
	if (from->text != NULL)
		rv->v[RV_FROM] = render_when(from->at, zone, from->date_only,
		    rv->from, sizeof(rv->from));
	if (to->text != NULL)
		rv->v[RV_TO] = render_when(to->at, zone, to->date_only, rv->to,
		    sizeof(rv->to));
	if (ph == NULL)
		ph = model_phase_at(c, *at);
	if (ph != NULL)
		rv->v[RV_PHASE] = ph->title;
}

/* The model's template text for kind x channel x field, or NULL.  The
 * item's own body text (w, may be NULL) wins over the templates block. */
static const char *
render_template_find(const struct model *m, const struct model_wording *w,
    const char *kind, const char *channel, const char *field)
{
	const char *fallback = NULL;

	for (size_t i = 0; w != NULL && i < w->n_templates; i++)
		if (strcmp(w->templates[i].kind, kind) == 0 &&
		    strcmp(field, "body") == 0)
			return w->templates[i].text;

	for (size_t i = 0; i < m->n_templates; i++) {
		const struct model_template *t = &m->templates[i];
		const char *tf = t->field != NULL ? t->field : "body";
		const char *tc = t->channel != NULL ? t->channel : "default";

		if (t->kind == NULL || strcmp(t->kind, kind) != 0 ||
		    strcmp(tf, field) != 0)
			continue;
		if (channel != NULL && strcmp(tc, channel) == 0)
			return t->text;
		if (fallback == NULL && strcmp(tc, "default") == 0)
			fallback = t->text;
	}
	return fallback;
}

/* Does text place {{name}} itself (blanks inside the braces allowed)? */
static int
render_places(const char *text, const char *name)
{
	const char *p = text, *open, *close;

	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		const char *n = open + 2;
		size_t len = (size_t)(close - n);

		render_trim(&n, &len);
		if (len == strlen(name) && memcmp(n, name, len) == 0)
			return 1;
		p = close + 2;
	}
	return 0;
}

/*
 * Give a notice that can be acknowledged a way to do it, whatever its
 * template: on SMS with replies on, how to reply (deadline notices: "2"
 * submits); on a channel that carries links, the link, unless the text
 * placed {{ack_url}} itself.  *body is replaced (caller owns it).
 */
static void
render_ack_append(char **body, const char *text, enum job_kind kind,
    const struct render_extra *x, struct render_vars *rv)
{
	static const char *const ends[] = { "。", "！", "？", "\n", NULL };
	int hint = x->sms_replies && (kind == JOB_REMINDER ||
	    kind == JOB_OVERDUE || kind == JOB_EMERGENCY);
	int link = x->link_ok && rv->v[RV_ACK_URL] != NULL &&
	    !render_places(text, "ack_url");
	size_t len = strlen(*body);
	const char *stop = "。";
	char *suffix, *t;

	if (!hint && !link)
		return;
	/* A sentence ends before what is appended; no ASCII space. */
	for (size_t i = 0; ends[i] != NULL; i++)
		if (len >= strlen(ends[i]) &&
		    strcmp(*body + len - strlen(ends[i]), ends[i]) == 0)
			stop = "";
	if (len == 0)
		stop = "";
	suffix = render_text(link ? RENDER_ACK_SUFFIX : "", render_vars_lookup,
	    rv);
	t = xasprintf("%s%s%s%s", *body, stop, !hint ? "" :
	    kind == JOB_EMERGENCY ? RENDER_REPLY_HINT_ALERT : RENDER_REPLY_HINT,
	    suffix);
	free(suffix);
	free(*body);
	*body = t;
}

/* *s = prefix *s (replaced; the caller owns it). */
static void
render_prefix(char **s, const char *prefix)
{
	char *t = xasprintf("%s%s", prefix, *s);

	free(*s);
	*s = t;
}

/* *body followed by text rendered with rv (replaced). */
static void
render_append(char **body, const char *text, struct render_vars *rv)
{
	char *more = render_text(text, render_vars_lookup, rv), *t;

	t = xasprintf("%s%s", *body, more);
	free(more);
	free(*body);
	*body = t;
}

/*
 * The variables of an incident's messages: its venue; what the trigger
 * said (alerts) or the resolution's note (incident-close) as {{note}};
 * who took charge or resolved it, by name when a contact, and when.
 */
static void
render_incident(const struct model *m, const struct model_campaign *c,
    const struct job *j, const struct store_incident *inc,
    struct render_vars *rv)
{
	const struct model_contact *who;
	const char *by = NULL;
	int64_t at = 0;
	struct civil cv;

	rv->v[RV_VENUE] = inc->venue;
	switch (j->kind) {
	case JOB_EMERGENCY:
		rv->v[RV_NOTE] = inc->note;
		return;
	case JOB_INCIDENT_ACK:
		by = inc->acked_by;
		at = inc->acked_at;
		break;
	case JOB_INCIDENT_CLOSE:
		by = inc->resolved_by;
		at = inc->resolved_at;
		rv->v[RV_NOTE] = inc->resolved_note;
		break;
	default:
		return;
	}
	if (by != NULL && (who = model_contact_find(m, by)) != NULL &&
	    who->name != NULL)
		by = who->name;
	rv->v[RV_BY] = by;
	if (at != 0 && civil_from_instant(at, c->timezone, &cv, NULL) == 0) {
		snprintf(rv->by_at, sizeof(rv->by_at), "%02d:%02d", cv.hour,
		    cv.min);
		rv->v[RV_WHEN] = rv->by_at;
	}
}

/* Caller owns *subject and *body. */
int
render_job(const struct model *m, const struct job *j,
    const struct render_extra *x, char **subject, char **body, char *err,
    size_t errlen)
{
	const struct model_campaign *c;
	const struct model_contact *k;
	const struct render_builtin *bi;
	const char *kind, *text;
	struct render_vars rv;
	struct model_item own;
	const struct model_item *it;
	int64_t at = 0;
	int date_only;

	if ((kind = job_kind_name(j->kind)) == NULL) {
		snprintf(err, errlen, "job %s: unknown kind %d", j->key,
		    (int)j->kind);
		return -1;
	}
	if ((c = model_campaign_find(m, j->campaign)) == NULL) {
		snprintf(err, errlen, "job %s: campaign \"%s\" no longer exists",
		    j->key, j->campaign);
		return -1;
	}
	if ((k = model_contact_find(m, j->contact)) == NULL) {
		snprintf(err, errlen, "job %s: contact \"%s\" no longer exists",
		    j->key, j->contact);
		return -1;
	}
	/* The dispatcher resolved the item in its checks already. */
	it = x != NULL ? x->item : NULL;
	if (it == NULL) {
		if (model_item_find(c, j->kind, j->item, &own) == -1) {
			snprintf(err, errlen, "job %s: %s \"%s\" no longer "
			    "exists in campaign \"%s\"", j->key, kind, j->item,
			    j->campaign);
			return -1;
		}
		it = &own;
	}
	/* A platform takes a document, not a text (render_stage.c). */
	if (policy_is_stage(j->kind)) {
		*subject = NULL;
		if ((*body = render_stage(c, j, it)) == NULL) {
			snprintf(err, errlen, "job %s: cannot render %s", j->key,
			    kind);
			return -1;
		}
		return 0;
	}
	memset(&rv, 0, sizeof(rv));
	render_item(c, j, it, &rv, &at, &date_only);
	rv.v[RV_CAMPAIGN] = c->title;
	rv.v[RV_CONTACT] = k->name;
	rv.v[RV_UNIT] = k->unit != NULL ? k->unit->name : NULL;
	rv.v[RV_DUE] = render_when(at, c->timezone, date_only, rv.due,
	    sizeof(rv.due));
	rv.v[RV_WEEKDAY] = render_weekday(at, x != NULL ? x->now : 0,
	    c->timezone);
	bi = &render_builtins[j->kind];
	if (j->kind == JOB_DIGEST && c->digest.weekly)
		bi = &render_weekly_digest;
	rv.v[RV_NOTE] = rv.words != NULL ? rv.words->note : NULL;
	rv.v[RV_VERB] = rv.words != NULL && rv.words->verb != NULL ?
	    rv.words->verb : bi->verb;
	rv.v[RV_LEAD] = rv.lead != NULL ? rv.lead->name : NULL;
	rv.v[RV_ROLE] = render_role(&rv, k->unit);
	if (x != NULL) {
		rv.v[RV_LEFT] = render_left(at - x->now, rv.left,
		    sizeof(rv.left));
		if (x->ack_url != NULL && *x->ack_url != '\0')
			rv.v[RV_ACK_URL] = x->ack_url;
		rv.v[RV_DIGEST] = x->digest_text;
		rv.v[RV_PENDING] = x->not_submitted;
		rv.v[RV_PENDING_UNITS] = x->not_submitted;
		rv.v[RV_SUBMITTED_UNITS] = x->submitted;
		if (x->n_total > 0) {
			snprintf(rv.n_pending, sizeof(rv.n_pending), "%zu",
			    x->n_pending);
			snprintf(rv.n_submitted, sizeof(rv.n_submitted), "%zu",
			    x->n_total - x->n_pending);
			snprintf(rv.n_total, sizeof(rv.n_total), "%zu",
			    x->n_total);
			rv.v[RV_PENDING_COUNT] = rv.n_pending;
			rv.v[RV_SUBMITTED_COUNT] = rv.n_submitted;
			rv.v[RV_TOTAL_COUNT] = rv.n_total;
		}
	}

	if (x != NULL && x->incident != NULL)
		render_incident(m, c, j, x->incident, &rv);

	if ((text = render_template_find(m, rv.words, kind, j->channel,
	    "body")) == NULL)
		text = bi->body;
	*body = render_text(text, render_vars_lookup, &rv);
	if (j->kind == JOB_EMERGENCY && x != NULL && x->incident != NULL &&
	    !render_places(text, "venue"))
		render_append(body, RENDER_INCIDENT_BLOCK, &rv);
	if (bi->ack && x != NULL && !(m->no_ack_link & (1u << j->kind)))
		render_ack_append(body, text, j->kind, x, &rv);
	if ((text = render_template_find(m, rv.words, kind, j->channel,
	    "subject")) == NULL)
		text = bi->subject;
	*subject = text != NULL ? render_text(text, render_vars_lookup, &rv) :
	    NULL;
	if (x != NULL && x->incident != NULL && x->incident->drill) {
		render_prefix(body, RENDER_DRILL);
		if (*subject != NULL)
			render_prefix(subject, RENDER_DRILL);
	}
	return 0;
}
