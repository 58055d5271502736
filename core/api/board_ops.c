/*
 * board_ops.c - the operations views: incidents (open first, each with
 * its timeline of alerts and who took charge; the trigger form when the
 * board may write) and channels (queue, in flight, failures in the last
 * hour, last error, token bucket; jobs by state).  board_internal.h.
 *
 * The figures are the ones GET /v1/status and GET /v1/incidents answer
 * (the dispatcher's per-channel stats, the store's incident ledger).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "board_internal.h"
#include "dispatch.h"
#include "engine.h"
#include "incident.h"
#include "job.h"
#include "model.h"
#include "store.h"
#include "xmalloc.h"

#define BOARD_INCIDENTS_MAX	200
#define BOARD_EVENTS_MAX	200

struct ops_list {
	struct incident **v;
	size_t n;
};

static void
ops_add(void *arg, const struct store_incident *inc)
{
	struct ops_list *l = arg;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = incident_copy(inc);
}

/* Open first, then taken charge of, then resolved; newest first. */
static int
ops_cmp(const void *a, const void *b)
{
	const struct store_incident *x = &(*(struct incident *const *)a)->v;
	const struct store_incident *y = &(*(struct incident *const *)b)->v;

	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	return x->created_at > y->created_at ? -1 :
	    x->created_at < y->created_at;
}

static const char *
ops_who(const struct model *m, const char *id)
{
	const struct model_contact *k = id != NULL ?
	    model_contact_find(m, id) : NULL;

	return k != NULL && k->name != NULL ? k->name : id;
}

struct ops_timeline {
	struct evbuffer *b;
	const struct model *m;
	const char *zone;
	size_t n;
};

static void
ops_event(void *arg, int64_t at, const char *what, const char *who,
    const char *door, const char *detail)
{
	struct ops_timeline *t = arg;
	char buf[40];

	if (t->n++ >= BOARD_EVENTS_MAX)
		return;
	board_raw(t->b, "<li><time>");
	board_esc(t->b, board_when(at, t->zone, buf, sizeof(buf)));
	board_raw(t->b, "</time> ");
	board_esc(t->b, strcmp(what, "trigger") == 0 ? "触发" :
	    strcmp(what, "ack") == 0 ? "接手" : strcmp(what, "resolve") == 0 ?
	    "处置完毕" : what);
	if (who != NULL) {
		board_raw(t->b, " ");
		board_esc(t->b, ops_who(t->m, who));
	}
	if (door != NULL) {
		board_raw(t->b, "（经 ");
		board_esc(t->b, door);
		board_raw(t->b, "）");
	}
	if (detail != NULL && *detail != '\0') {
		board_raw(t->b, "：");
		board_esc(t->b, detail);
	}
	board_raw(t->b, "</li>");
}

static void
ops_alert(void *arg, const struct job *j)
{
	struct ops_timeline *t = arg;
	char buf[40];

	if (t->n++ >= BOARD_EVENTS_MAX)
		return;
	board_raw(t->b, "<li><time>");
	board_esc(t->b, board_when(j->due, t->zone, buf, sizeof(buf)));
	board_raw(t->b, "</time> ");
	board_raw(t->b, j->kind == JOB_EMERGENCY ? "警报 → " : "通知 → ");
	board_esc(t->b, ops_who(t->m, j->contact));
	board_raw(t->b, "（");
	board_esc(t->b, j->channel);
	board_raw(t->b, "）：");
	board_esc(t->b, job_state_name(j->state));
	board_raw(t->b, "</li>");
}

static const char *const ops_state_label[] = { "未接手", "已接手",
    "已处置" };
static const char *const ops_state_class[] = { "open", "acked",
    "resolved" };

static int
ops_incident(const struct board_req *r, struct evbuffer *b,
    const struct store_incident *in, char *err, size_t errlen)
{
	const struct model_campaign *c = model_campaign_find(r->m,
	    in->campaign);
	const struct model_plan *p = c != NULL ? model_plan_find(c, in->plan) :
	    NULL;
	struct store *st = engine_store(r->ctx->engine);
	struct ops_timeline t = { b, r->m, c != NULL ? c->timezone :
	    r->m->daemon.timezone, 0 };
	int s = in->state >= 0 && in->state <= 2 ? (int)in->state : 0;
	char buf[40];

	evbuffer_add_printf(b, "<article class=\"inc i-%s\" data-id=\"",
	    ops_state_class[s]);
	board_esc(b, in->id);
	board_raw(b, "\"><h2>");
	board_esc(b, p != NULL && p->title != NULL ? p->title : in->plan);
	if (p != NULL)
		evbuffer_add_printf(b, "（%d级）", p->level);
	board_raw(b, " · ");
	board_esc(b, in->venue);
	evbuffer_add_printf(b, "</h2><p><span class=\"badge b-%s\">%s</span>",
	    ops_state_class[s], ops_state_label[s]);
	if (in->drill)
		board_raw(b, " <span class=\"badge b-drill\">演练</span>");
	board_raw(b, " 触发于 <time>");
	board_esc(b, board_when(in->created_at, t.zone, buf, sizeof(buf)));
	board_raw(b, "</time></p>");
	if (in->note != NULL && *in->note != '\0') {
		board_raw(b, "<p>情况：");
		board_esc(b, in->note);
		board_raw(b, "</p>");
	}
	if (in->acked_at != 0) {
		board_raw(b, "<p>负责人：<strong>");
		board_esc(b, ops_who(r->m, in->acked_by));
		board_raw(b, "</strong>，<time>");
		board_esc(b, board_when(in->acked_at, t.zone, buf,
		    sizeof(buf)));
		board_raw(b, "</time> 接手</p>");
	}
	evbuffer_add_printf(b, "<details%s><summary>时间线</summary><ol "
	    "class=\"tline\">", s == 0 ? " open" : "");
	if (store_incident_events(st, in->id, ops_event, &t) == -1 ||
	    store_incident_jobs(st, in->id, ops_alert, &t) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	board_raw(b, "</ol></details>");
	if (r->write && s == 0) {
		board_raw(b, "<form class=\"inline\" method=\"post\" "
		    "action=\"/board/ack\">");
		board_csrf_field(b, r->csrf);
		board_raw(b, "<input type=\"hidden\" name=\"id\" value=\"");
		board_esc(b, in->id);
		evbuffer_add_printf(b, "\"><label for=\"who-%.8s\">负责人"
		    "</label><input id=\"who-%.8s\" name=\"who\" required "
		    "maxlength=\"%d\"><button type=\"submit\">代为接手</button>"
		    "</form>", in->id, in->id, INCIDENT_WHO_MAX);
	}
	board_raw(b, "</article>");
	return 0;
}

/* A trigger form for campaign c's plans. */
static void
ops_trigger_form(const struct board_req *r, struct evbuffer *b,
    const struct model_campaign *c)
{
	board_raw(b, "<form class=\"trigger\" method=\"post\" "
	    "action=\"/board/trigger\"><fieldset><legend>触发应急预案：");
	board_esc(b, c->title);
	board_raw(b, "</legend>");
	board_csrf_field(b, r->csrf);
	board_raw(b, "<input type=\"hidden\" name=\"campaign\" value=\"");
	board_esc(b, c->id);
	evbuffer_add_printf(b, "\"><label for=\"plan-%zu\">预案</label>"
	    "<select id=\"plan-%zu\" name=\"plan\">", (size_t)(c -
	    r->m->campaigns), (size_t)(c - r->m->campaigns));
	for (size_t i = 0; i < c->n_plans; i++) {
		board_raw(b, "<option value=\"");
		board_esc(b, c->plans[i].id);
		board_raw(b, "\">");
		board_esc(b, c->plans[i].title != NULL ? c->plans[i].title :
		    c->plans[i].id);
		evbuffer_add_printf(b, "（%d级）</option>", c->plans[i].level);
	}
	evbuffer_add_printf(b, "</select><label for=\"venue-%zu\">地点</label>"
	    "<input id=\"venue-%zu\" name=\"venue\" required maxlength=\"%d\">"
	    "<label for=\"note-%zu\">情况</label><textarea id=\"note-%zu\" "
	    "name=\"note\" rows=\"2\" required maxlength=\"%d\"></textarea>"
	    "<p><input type=\"checkbox\" id=\"drill-%zu\" name=\"drill\" "
	    "value=\"1\" checked> <label for=\"drill-%zu\" class=\"inl\">"
	    "演练</label></p><button type=\"submit\" class=\"danger\">"
	    "下一步：确认</button></fieldset></form>",
	    (size_t)(c - r->m->campaigns), (size_t)(c - r->m->campaigns),
	    INCIDENT_VENUE_MAX, (size_t)(c - r->m->campaigns),
	    (size_t)(c - r->m->campaigns), INCIDENT_NOTE_MAX,
	    (size_t)(c - r->m->campaigns), (size_t)(c - r->m->campaigns));
}

int
board_incidents(const struct board_req *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	struct store *st = engine_store(r->ctx->engine);
	struct store_incident_filter f = { -1, -1, NULL, BOARD_INCIDENTS_MAX };
	struct ops_list l = { NULL, 0 };
	int rc = 0;
	size_t i;

	if (!r->live) {
		board_raw(b, "<h1>应急事件</h1>");
		if (r->write)
			for (i = 0; i < r->m->n_campaigns; i++)
				if (r->m->campaigns[i].n_plans > 0)
					ops_trigger_form(r, b,
					    &r->m->campaigns[i]);
		board_live_begin(b, "/board/incidents?part=live");
	}
	if (store_incident_list(st, &f, ops_add, &l) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		rc = -1;
		goto done;
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), ops_cmp);
	if (l.n == 0)
		board_raw(b, "<p>暂无应急事件。</p>");
	for (i = 0; i < l.n && rc == 0; i++)
		rc = ops_incident(r, b, &l.v[i]->v, err, errlen);
	if (!r->live)
		board_live_end(b);
done:
	for (i = 0; i < l.n; i++)
		incident_free(l.v[i]);
	free(l.v);
	return rc;
}

static void
ops_count(void *arg, const struct job *j)
{
	(void)j;
	(*(size_t *)arg)++;
}

static int
ops_saturated(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static const char *
ops_job_state_label(int s)
{
	static const char *const l[JOB_STATE_COUNT] = {
		[JOB_PENDING] = "待发送", [JOB_INFLIGHT] = "发送中",
		[JOB_DELIVERED] = "已送达", [JOB_FAILED] = "失败",
		[JOB_MISSED] = "错过", [JOB_CANCELLED] = "已取消",
		[JOB_SUPERSEDED] = "已被替代",
	};

	return s >= 0 && s < JOB_STATE_COUNT && l[s] != NULL ? l[s] :
	    job_state_name(s);
}

int
board_channels(const struct board_req *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	struct dispatch *d = engine_dispatch(r->ctx->engine);
	struct store *st = engine_store(r->ctx->engine);
	const char *const *sat;
	size_t n_sat = dispatch_saturated(d, &sat);
	size_t counts[JOB_STATE_COUNT];

	if (!r->live) {
		board_raw(b, "<h1>通道状态</h1>");
		board_live_begin(b, "/board/channels?part=live");
	}
	board_raw(b, "<div class=\"scroll\"><table class=\"chan\"><caption>"
	    "各通道（失败数为近 1 小时内以失败结束的通知）</caption><thead><tr>"
	    "<th scope=\"col\">通道</th><th scope=\"col\">状态</th>"
	    "<th scope=\"col\">排队</th><th scope=\"col\">发送中</th>"
	    "<th scope=\"col\">近1小时失败</th><th scope=\"col\">令牌</th>"
	    "<th scope=\"col\">最近错误</th></tr></thead><tbody>");
	for (size_t i = 0; i < r->m->n_channels; i++) {
		const struct model_channel *ch = &r->m->channels[i];
		struct store_filter f = { .from = r->now - 3600, .to = r->now +
		    1, .channel = ch->name, .state = JOB_FAILED };
		struct dispatch_stats s;
		const char *h = "ok", *hl = "正常";
		size_t failed = 0;

		memset(&s, 0, sizeof(s));
		(void)dispatch_channel_stats(d, ch->name, &s);
		if (ops_saturated(ch->name, sat, n_sat)) {
			h = "saturated";
			hl = "拥堵";
		} else if (s.failing) {
			h = "failing";
			hl = "故障";
		}
		if (store_list(st, &f, ops_count, &failed) == -1) {
			snprintf(err, errlen, "%s", store_error(st));
			return -1;
		}
		board_raw(b, "<tr><th scope=\"row\">");
		board_esc(b, ch->name);
		board_raw(b, " <small>");
		board_esc(b, ch->plugin);
		evbuffer_add_printf(b, "</small></th><td class=\"h-%s\">%s</td>"
		    "<td>%zu</td><td>%zu</td><td>%zu</td><td>", h, hl,
		    s.queued, s.in_flight, failed);
		if (s.rate > 0)
			evbuffer_add_printf(b, "%.1f / %.0f（每秒 %.2g）",
			    s.tokens, s.burst, s.rate);
		else
			board_raw(b, "不限");
		board_raw(b, "</td><td>");
		if (s.failing)
			board_esc(b, s.last_error);
		else
			board_raw(b, "—");
		board_raw(b, "</td></tr>");
	}
	board_raw(b, "</tbody></table></div>");
	if (store_count_states(st, counts) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	board_raw(b, "<h2>通知按状态</h2><div class=\"scroll\"><table "
	    "class=\"states\"><thead><tr>");
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		evbuffer_add_printf(b, "<th scope=\"col\">%s</th>",
		    ops_job_state_label(i));
	board_raw(b, "</tr></thead><tbody><tr>");
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		evbuffer_add_printf(b, "<td data-state=\"%s\">%zu</td>",
		    job_state_name(i), counts[i]);
	board_raw(b, "</tr></tbody></table></div>");
	if (!r->live)
		board_live_end(b);
	return 0;
}
