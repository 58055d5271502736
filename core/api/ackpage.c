/*
 * ackpage.c - the public acknowledgement page behind {{ack_url}}:
 * GET /a/TOKEN shows the notice and its buttons, POST /a/TOKEN records
 * "seen" or "submitted" (see doc/api.txt and acklink.h).
 *
 * This is the one part of the server a stranger's phone talks to, so it
 * answers HTML rather than JSON, in Chinese, and trusts nothing but the
 * token's MAC: no bearer token, no cookie, no session.  Every string
 * that comes from the model or the store is escaped; the page carries no
 * script and no external resource, and its headers forbid framing,
 * caching (a shared phone must not show someone else's page from the
 * back button) and leaking the link through Referer.  What the
 * acknowledgement means is decided by ack.c, shared with the API and SMS
 * replies; this file only reads the form and draws the answer.  GET
 * never records anything, because messengers and SMS apps fetch links
 * on their own to preview them: only the person's button press (a POST)
 * counts.
 *
 * Left out on purpose: a redirect after POST (the result page is what
 * the person wants to see, and a reload re-posts an idempotent action)
 * and any detail of why a job was cancelled (store text, not for the
 * public).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ack.h"
#include "acklink.h"
#include "api_internal.h"
#include "civil.h"
#include "api.h"
#include "engine.h"
#include "httpd.h"
#include "incident.h"
#include "log.h"
#include "store.h"
#include "submission.h"

/* "action=submitted" is 16 bytes; anything much longer is not our form. */
#define ACKPAGE_BODY_MAX	256
#define ACKPAGE_PREFIX		"/a/"

static const char ackpage_css[] =
    "body{margin:0;background:#f3f4f6;color:#1f2937;"
    "font:16px/1.6 -apple-system,\"PingFang SC\",\"Microsoft YaHei\","
    "\"Noto Sans CJK SC\",sans-serif}"
    "main{max-width:32rem;margin:0 auto;padding:1rem}"
    ".card{background:#fff;border-radius:.75rem;padding:1.25rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:1.25rem;margin:0 0 .75rem;color:#b91c1c}"
    ".c{color:#6b7280;font-size:.9rem;margin:0 0 .25rem}"
    "dl{margin:.75rem 0}dt{color:#6b7280;font-size:.85rem}"
    "dd{margin:0 0 .5rem}"
    ".st{padding:.75rem;border-radius:.5rem;margin:.75rem 0;"
    "background:#ecfdf5;color:#065f46}"
    ".st.bad{background:#fef2f2;color:#991b1b}"
    "form{margin:1rem 0 0}"
    "button{display:block;width:100%;font-size:1.1rem;padding:.8rem;"
    "margin:.5rem 0;border:0;border-radius:.5rem;color:#fff;"
    "background:#2563eb}"
    "button.sub{background:#15803d}";

/* What the page knows about one notice besides ack.c's outcome. */
struct ackpage_view {
	const char *zone;		/* for every time shown */
	const char *campaign;		/* titles: borrowed from the model */
	const char *title;
	const char *when_label;		/* "截止时间"...; NULL: no time */
	int64_t when;
	int when_date_only;
	const char *contact;		/* name, or the id when gone */
	int acked, submitted;
	int64_t acked_at;
	/* An incident's alert: the incident (owned, ackpage_view_clear()),
	 * its plan (borrowed from the model, NULL when gone) and the name
	 * of whoever took charge of it. */
	struct incident *inc;
	const struct model_plan *plan;
	const char *by;
};

/* Append s to b with HTML's five special characters escaped. */
static void
ackpage_esc(struct evbuffer *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		case '\'': evbuffer_add(b, "&#39;", 5); break;
		default: evbuffer_add(b, p, 1); break;
		}
	}
}

/* Literal HTML (ours, never a model string). */
static void
ackpage_raw(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

static void
ackpage_begin(struct evbuffer *b, const char *heading)
{
	ackpage_raw(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    "initial-scale=1\"><title>");
	ackpage_raw(b, heading);
	ackpage_raw(b, "</title><style>");
	ackpage_raw(b, ackpage_css);
	ackpage_raw(b, "</style></head><body><main><div class=\"card\">");
}

/* Send b (finished here) as the answer; b stays the caller's to free. */
static void
ackpage_send(struct evhttp_request *req, int code, struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	ackpage_raw(b, "</div></main></body></html>\n");
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_send_reply(req, code, NULL, b);
}

/* A page with a heading and one line of our own text: the errors. */
static void
ackpage_message(struct evhttp_request *req, int code, const char *heading,
    const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	ackpage_begin(b, heading);
	evbuffer_add_printf(b, "<h1>%s</h1><p>%s</p>", heading, text);
	ackpage_send(req, code, b);
	evbuffer_free(b);
}

static const char *
ackpage_kind_label(enum job_kind k)
{
	switch (k) {
	case JOB_COUNTDOWN: return "启动倒计时";
	case JOB_LAUNCH: return "启动通知";
	case JOB_REMINDER: return "报送提醒";
	case JOB_OVERDUE: return "逾期提醒";
	case JOB_ESCALATION: return "督办通知";
	case JOB_TASK: return "任务提醒";
	case JOB_PHASE: return "阶段通知";
	case JOB_DIGEST: return "每日汇总";
	case JOB_SLOT: return "直播提醒";
	case JOB_EMERGENCY: return "应急通知";
	case JOB_INCIDENT_ACK: return "应急接手通知";
	case JOB_INCIDENT_CLOSE: return "应急结束通知";
	case JOB_TASK_OVERDUE: return "任务逾期提醒";
	case JOB_TASK_ESCALATION: return "任务督办通知";
	default: return "通知";
	}
}

/*
 * The item's title and instant from the model, as render.c reads them
 * for the message itself; an item gone from the config since the send
 * leaves the title NULL and the page shows what it still knows.
 */
static void
ackpage_item(const struct model_campaign *c, const struct ack_outcome *o,
    struct ackpage_view *v)
{
	static const char *const label[JOB_KIND_COUNT] = {
		[JOB_COUNTDOWN] = "启动时间", [JOB_LAUNCH] = "启动时间",
		[JOB_REMINDER] = "截止时间", [JOB_OVERDUE] = "截止时间",
		[JOB_ESCALATION] = "截止时间", [JOB_TASK] = "到期时间",
		[JOB_PHASE] = "开始时间", [JOB_SLOT] = "开播时间",
		[JOB_TASK_OVERDUE] = "到期时间",
		[JOB_TASK_ESCALATION] = "到期时间",
		[JOB_NEXT_UP] = "开播时间", [JOB_ON_AIR] = "开播时间",
		[JOB_OFF_AIR] = "下播时间",
	};
	const struct model_time *t;
	struct model_item it;

	v->when_label = NULL;
	if (model_item_find(c, o->kind, o->item, &it) == -1) {
		v->title = NULL;
		return;
	}
	v->title = it.title;
	t = it.when;
	if (t == NULL || o->kind >= JOB_KIND_COUNT || label[o->kind] == NULL)
		return;
	v->when_label = label[o->kind];
	v->when = t->at;
	v->when_date_only = t->date_only;
}


/*
 * The incident of alert o into v: what it is about and who took charge.
 * Returns 0, or -1 with the reason in err.
 */
static int
ackpage_incident(const struct api_ctx *ctx, const struct model_campaign *c,
    const struct ack_outcome *o, struct ackpage_view *v, char *err,
    size_t errlen)
{
	const struct model *m = engine_model(ctx->engine);
	const struct model_contact *k;

	if (incident_get(ctx->engine, o->incident, &v->inc, err, errlen) !=
	    INCIDENT_OK)
		return -1;
	v->plan = c != NULL ? model_plan_find(c, o->item) : NULL;
	if (v->inc->v.acked_by != NULL) {
		k = model_contact_find(m, v->inc->v.acked_by);
		v->by = k != NULL && k->name != NULL ? k->name :
		    v->inc->v.acked_by;
	}
	return 0;
}

static void
ackpage_view_clear(struct ackpage_view *v)
{
	incident_free(v->inc);
	v->inc = NULL;
}

/*
 * Fill v for job key and its outcome o: titles from the current model,
 * acknowledgement and submission from the store.  Returns 0, or -1 with
 * the store's reason in err.
 */
static int
ackpage_view(const struct api_ctx *ctx, const char *key,
    const struct ack_outcome *o, struct ackpage_view *v, char *err,
    size_t errlen)
{
	const struct model *m = engine_model(ctx->engine);
	struct store *s = engine_store(ctx->engine);
	const struct model_campaign *c = model_campaign_find(m, o->campaign);
	const struct model_contact *k = model_contact_find(m, o->contact);

	memset(v, 0, sizeof(*v));
	v->zone = c != NULL ? c->timezone : m->daemon.timezone;
	v->campaign = c != NULL ? c->title : o->campaign;
	v->contact = k != NULL ? k->name : o->contact;
	if (c != NULL)
		ackpage_item(c, o, v);
	if (o->incident[0] != '\0' && o->kind == JOB_EMERGENCY &&
	    ackpage_incident(ctx, c, o, v, err, errlen) == -1)
		return -1;
	if (store_is_acked(s, key, &v->acked, &v->acked_at) == -1 ||
	    (ack_kind_has_deadline(o->kind) && submission_is_done(s, m,
	    o->campaign, o->item, o->contact, &v->submitted, NULL) == -1)) {
		snprintf(err, errlen, "%s", store_error(s));
		return -1;
	}
	return 0;
}

/* civil_format's "2023-08-05 17:00", cut to the date when written so. */
static const char *
ackpage_when(int64_t t, const char *zone, int date_only, char *buf,
    size_t len)
{
	civil_format(t, zone, buf, len);
	if (date_only && strlen(buf) > 10)
		buf[10] = '\0';
	return buf;
}

/*
 * An incident's alert: where, what was reported, when, and what to do;
 * the plan's steps only while it is still in the config.
 */
static void
ackpage_incident_dl(struct evbuffer *b, const struct ackpage_view *v)
{
	char when[64];

	if (v->inc->v.drill)
		ackpage_raw(b, "<dt>性质</dt><dd>演练</dd>");
	ackpage_raw(b, "<dt>地点</dt><dd>");
	ackpage_esc(b, v->inc->v.venue);
	ackpage_raw(b, "</dd>");
	if (v->inc->v.note != NULL && *v->inc->v.note != '\0') {
		ackpage_raw(b, "<dt>情况</dt><dd>");
		ackpage_esc(b, v->inc->v.note);
		ackpage_raw(b, "</dd>");
	}
	evbuffer_add_printf(b, "<dt>发生时间</dt><dd><time>%s</time></dd>",
	    civil_format(v->inc->v.created_at, v->zone, when, sizeof(when)));
	if (v->plan != NULL && v->plan->steps != NULL &&
	    *v->plan->steps != '\0') {
		ackpage_raw(b, "<dt>处置要求</dt><dd>");
		ackpage_esc(b, v->plan->steps);
		ackpage_raw(b, "</dd>");
	}
}

/* The line under the notice: our own text around an optional time. */
struct ackpage_status {
	const char *cls;		/* "st", "st bad"; NULL: no line */
	const char *before;
	const char *who;		/* a model string (escaped), or NULL */
	const char *mid;		/* after who */
	int64_t at;			/* 0: no time */
	const char *after;
};

/*
 * The notice page: heading (our text), what the notice is about, the
 * status line, and (when buttons) the buttons that still mean something.
 */
static void
ackpage_page(struct evhttp_request *req, int code, const char *heading,
    const struct ack_outcome *o, const struct ackpage_view *v,
    const struct ackpage_status *st, int buttons)
{
	struct evbuffer *b = evbuffer_new();
	char when[64];
	int seen = buttons && !v->acked && !v->submitted;
	int sub = buttons && ack_kind_has_deadline(o->kind) && !v->submitted;

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	ackpage_begin(b, heading);
	evbuffer_add_printf(b, "<h1>%s</h1><p class=\"c\">", heading);
	ackpage_esc(b, v->campaign);
	evbuffer_add_printf(b, "</p><dl><dt>%s</dt><dd>",
	    ackpage_kind_label(o->kind));
	ackpage_esc(b, v->title != NULL ? v->title : o->item);
	if (v->plan != NULL)
		evbuffer_add_printf(b, "（%d级）", v->plan->level);
	ackpage_raw(b, "</dd>");
	if (v->inc != NULL)
		ackpage_incident_dl(b, v);
	if (v->when_label != NULL)
		evbuffer_add_printf(b, "<dt>%s</dt><dd><time>%s</time></dd>",
		    v->when_label, ackpage_when(v->when, v->zone,
		    v->when_date_only, when, sizeof(when)));
	ackpage_raw(b, "<dt>接收人</dt><dd>");
	ackpage_esc(b, v->contact);
	ackpage_raw(b, "</dd></dl>");
	if (st->cls != NULL) {
		evbuffer_add_printf(b, "<div class=\"%s\">%s", st->cls,
		    st->before != NULL ? st->before : "");
		if (st->who != NULL) {
			ackpage_esc(b, st->who);
			ackpage_raw(b, st->mid != NULL ? st->mid : "");
		}
		if (st->at != 0)
			evbuffer_add_printf(b, "<time class=\"at\">%s</time>",
			    civil_format(st->at, v->zone, when, sizeof(when)));
		evbuffer_add_printf(b, "%s</div>",
		    st->after != NULL ? st->after : "");
	}
	if (seen || sub) {
		/* No action attribute: the form posts back to this very
		 * URL, which form-action 'self' allows. */
		ackpage_raw(b, "<form method=\"post\">");
		if (seen)
			ackpage_raw(b, v->inc != NULL ?
			    "<button type=\"submit\" name=\"action\" "
			    "value=\"seen\">我来负责</button>" :
			    "<button type=\"submit\" name=\"action\" "
			    "value=\"seen\">已收到</button>");
		if (sub)
			ackpage_raw(b, "<button class=\"sub\" "
			    "type=\"submit\" name=\"action\" "
			    "value=\"submitted\">已报送</button>");
		ackpage_raw(b, "</form>");
	}
	ackpage_send(req, code, b);
	evbuffer_free(b);
}

/* The cancelled notice: said plainly, nothing left to click. */
static void
ackpage_cancelled(struct evhttp_request *req, int code,
    const struct ack_outcome *o, const struct ackpage_view *v)
{
	struct ackpage_status st = { .cls = "st bad",
	    .before = "该通知已取消，无需处理。" };

	ackpage_page(req, code, "该通知已取消", o, v, &st, 0);
}

/* Answer a lookup or apply that found nothing to show: 404 or 500. */
static void
ackpage_fail(struct evhttp_request *req, const char *key,
    const struct ack_outcome *o)
{
	if (o->result == ACK_NO_JOB) {
		/* A valid MAC over a key the store does not know: the store
		 * was reset or the job purged. */
		log_info("ack link: job %s: no such job", key);
		ackpage_message(req, 404, "通知不存在",
		    "未找到该通知，可能已过期。");
		return;
	}
	log_warnx("ack link: job %s: %s", key, o->detail);
	ackpage_message(req, 500, "暂时无法处理",
	    "系统暂时无法处理，请稍后再试。");
}

/* ackpage_view, answering 500 itself when the store fails: -1 then. */
static int
ackpage_view_or_fail(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key, struct ack_outcome *o, struct ackpage_view *v)
{
	char err[256];

	if (ackpage_view(ctx, key, o, v, err, sizeof(err)) == 0)
		return 0;
	ackpage_view_clear(v);
	o->result = ACK_ERROR;
	snprintf(o->detail, sizeof(o->detail), "%s", err);
	ackpage_fail(req, key, o);
	return -1;
}

/*
 * The state of an alert's incident once it is not open any more: who
 * took charge and when, or that it is over.  Returns the heading.
 */
static const char *
ackpage_incident_closed(const struct ack_outcome *o,
    const struct ackpage_view *v, struct ackpage_status *st)
{
	const struct store_incident *in = &v->inc->v;

	if (in->state == STORE_INCIDENT_RESOLVED) {
		st->before = "该事件已于";
		st->at = in->resolved_at;
		st->after = "处置完毕，无需操作。";
		return "事件已处置完毕";
	}
	st->before = "负责人：";
	st->who = v->by;
	st->mid = "，已于";
	st->at = in->acked_at;
	if (in->acked_by != NULL && strcmp(in->acked_by, o->contact) == 0) {
		st->after = "接手（即您本人），无需重复操作。";
		return "您已接手";
	}
	st->after = "接手，无需重复操作。";
	return "已有人接手";
}

static void
ackpage_get(struct evhttp_request *req, struct api_ctx *ctx, const char *key)
{
	struct ack_outcome o;
	struct ackpage_view v;
	struct ackpage_status st = { .cls = "st" };
	const char *heading;

	if (ack_lookup(ctx->engine, key, &o) == -1 &&
	    o.result != ACK_CANCELLED) {
		ackpage_fail(req, key, &o);
		return;
	}
	if (ackpage_view_or_fail(req, ctx, key, &o, &v) == -1)
		return;
	if (o.result == ACK_CANCELLED) {
		ackpage_cancelled(req, 200, &o, &v);
		ackpage_view_clear(&v);
		return;
	}
	if (v.inc != NULL) {
		/* Open: the one button that takes charge; else who did. */
		if (o.result == ACK_OK) {
			st.cls = NULL;
			ackpage_page(req, 200, "应急通知", &o, &v, &st, 1);
		} else
			ackpage_page(req, 200, ackpage_incident_closed(&o,
			    &v, &st), &o, &v, &st, 0);
		ackpage_view_clear(&v);
		return;
	}
	if (v.submitted) {
		heading = "已报送";
		if (v.acked) {
			st.before = "已于";
			st.at = v.acked_at;
			st.after = "确认，该事项已报送，无需重复操作。";
		} else
			st.before = "该事项已报送，无需重复操作。";
	} else if (v.acked) {
		heading = "已收到";
		st.before = "已于";
		st.at = v.acked_at;
		st.after = ack_kind_has_deadline(o.kind) ?
		    "确认收到。材料报送后请点击“已报送”。" : "确认收到。";
	} else {
		heading = "通知确认";
		st.cls = NULL;
	}
	ackpage_page(req, 200, heading, &o, &v, &st, 1);
	ackpage_view_clear(&v);
}

/* The form's action (enum ack_action), or -1 after answering 400. */
static int
ackpage_form(struct evhttp_request *req)
{
	static const char form[] = "application/x-www-form-urlencoded";
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n = 0, flen = sizeof(form) - 1;
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Content-Type");
	const char *action = NULL;
	char body[ACKPAGE_BODY_MAX + 1];
	struct evkeyvalq q;
	struct evkeyval *kv;
	int a = -1;

	TAILQ_INIT(&q);
	if (ct == NULL || strncasecmp(ct, form, flen) != 0 ||
	    (ct[flen] != '\0' && ct[flen] != ';' && ct[flen] != ' ') ||
	    len == 0 || len > ACKPAGE_BODY_MAX)
		goto done;
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	if (strlen(body) != len || evhttp_parse_query_str(body, &q) == -1)
		goto done;
	/* Exactly one field, "action": our form sends nothing else. */
	TAILQ_FOREACH(kv, &q, next) {
		if (strcmp(kv->key, "action") != 0)
			goto done;
		action = kv->value;
		n++;
	}
	if (n == 1)
		a = ack_action_parse(action);
done:
	evhttp_clear_headers(&q);
	if (a == -1)
		ackpage_message(req, 400, "请求无效",
		    "无法识别的操作，请返回通知页面重新点击按钮。");
	return a;
}

/* Taking charge of an alert's incident: done now, or by someone before. */
static void
ackpage_post_incident(struct evhttp_request *req, const char *key,
    const struct ack_outcome *o, const struct ackpage_view *v)
{
	struct ackpage_status st = { .cls = "st" };

	if (o->result == ACK_OK) {
		log_info("ack link: job %s (incident %s, contact %s): taken "
		    "charge of", key, o->incident, o->contact);
		st.before = "您已接手该事件，时间：";
		st.at = o->at;
		st.after = "。其他接收人将收到通知，提醒不再发送。";
		ackpage_page(req, 200, "已接手", o, v, &st, 0);
		return;
	}
	log_info("ack link: job %s (incident %s, contact %s): taken charge "
	    "of already", key, o->incident, o->contact);
	ackpage_page(req, 200, ackpage_incident_closed(o, v, &st), o, v, &st,
	    0);
}

static void
ackpage_post(struct evhttp_request *req, struct api_ctx *ctx, const char *key)
{
	struct ack_outcome o;
	struct ackpage_view v;
	struct ackpage_status st = { .cls = "st" };
	const char *name;
	int a;

	if ((a = ackpage_form(req)) == -1)
		return;
	name = ack_action_name((enum ack_action)a);
	if (ack_apply(ctx->engine, key, (enum ack_action)a, "link", &o) == -1 &&
	    o.result != ACK_CANCELLED && o.result != ACK_NOT_DEADLINE) {
		ackpage_fail(req, key, &o);
		return;
	}
	if (ackpage_view_or_fail(req, ctx, key, &o, &v) == -1)
		return;
	if (v.inc != NULL && (o.result == ACK_OK || o.result == ACK_ALREADY)) {
		ackpage_post_incident(req, key, &o, &v);
		ackpage_view_clear(&v);
		return;
	}
	switch (o.result) {
	case ACK_OK:
		log_info("ack link: job %s (%s/%s, contact %s): %s recorded, "
		    "%zu reminders cancelled", key, o.campaign, o.item,
		    o.contact, name, o.n_cancelled);
		st.before = a == ACK_SUBMITTED ? "“已报送”已记录，时间：" :
		    "“已收到”已记录，时间：";
		st.at = o.at;
		st.after = a == ACK_SUBMITTED ? "。该事项的后续提醒不再发送。" :
		    "。";
		ackpage_page(req, 200, "已记录", &o, &v, &st, 1);
		break;
	case ACK_ALREADY:
		log_info("ack link: job %s (%s/%s, contact %s): %s already "
		    "recorded", key, o.campaign, o.item, o.contact, name);
		if (o.at != 0) {
			st.before = "已于";
			st.at = o.at;
			st.after = "记录，无需重复提交。";
		} else
			st.before = "此前已记录，无需重复提交。";
		ackpage_page(req, 200, "已记录", &o, &v, &st, 1);
		break;
	case ACK_CANCELLED:
		log_info("ack link: job %s (%s/%s, contact %s): %s refused: "
		    "cancelled", key, o.campaign, o.item, o.contact, name);
		ackpage_cancelled(req, 409, &o, &v);
		break;
	default:	/* ACK_NOT_DEADLINE */
		log_info("ack link: job %s (%s/%s, contact %s): %s refused: "
		    "no deadline", key, o.campaign, o.item, o.contact, name);
		st.cls = "st bad";
		st.before = "此通知不涉及材料报送，阅读后请点击“已收到”。";
		ackpage_page(req, 409, "无需报送", &o, &v, &st, 1);
		break;
	}
	ackpage_view_clear(&v);
}

/* Where a request came from, for the log line of a rejected token. */
static const char *
ackpage_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &host, &port);
	return host != NULL ? host : "?";
}

void
api_ackpage(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct model_daemon *md = ctx->engine != NULL ?
	    &engine_model(ctx->engine)->daemon : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));
	char key[JOB_KEY_LEN];

	/* Without a secret no link was ever sent: nothing lives here. */
	if (md == NULL || md->ack_secret == NULL) {
		ackpage_message(req, 404, "页面不存在", "未启用通知确认链接。");
		return;
	}
	if (path == NULL || strncmp(path, ACKPAGE_PREFIX,
	    sizeof(ACKPAGE_PREFIX) - 1) != 0 ||
	    acklink_verify(md->ack_secret, md->ack_secret_len,
	    path + sizeof(ACKPAGE_PREFIX) - 1, key) == -1) {
		/* Never the token itself: a near miss is half a link. */
		log_info("ack link: invalid token from %s", ackpage_peer(req));
		ackpage_message(req, 403, "链接无效",
		    "该确认链接无效或已被改动，请使用通知中的原始链接。");
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		ackpage_post(req, ctx, key);
	else
		ackpage_get(req, ctx, key);
}
