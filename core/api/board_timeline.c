/*
 * board_timeline.c - the timeline view: per campaign, its phases,
 * launch, deadlines, livestream slots and the notices of the next 24 h
 * on an SVG time axis with the current moment marked; zoom day
 * (now - 3 h .. now + 24 h), week (now - 1 d .. now + 7 d) or the
 * campaign's whole period (board_internal.h).
 *
 * The SVG is drawn on a 1000-wide viewBox that scales to the screen;
 * below it the same items as a table, which is what a screen reader and
 * a phone held upright read.  Colours come from classes (board.css).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "board_internal.h"
#include "engine.h"
#include "job.h"
#include "model.h"
#include "store.h"

#define TL_W		1000
#define TL_LEFT		90
#define TL_RIGHT	20
#define TL_LANE		34
#define TL_TOP		30
#define TL_NOTICES_MAX	500

enum tl_lane { TL_PHASE, TL_LAUNCH, TL_DEADLINE, TL_SLOT, TL_NOTICE,
    TL_LANES };
static const char *const tl_lane_names[TL_LANES] = { "阶段", "启动",
    "截止", "直播", "通知" };

struct tl {
	struct evbuffer *b;
	const char *zone;
	int64_t from, to, now;
};

static double
tl_x(const struct tl *t, int64_t at)
{
	if (at < t->from)
		at = t->from;
	if (at > t->to)
		at = t->to;
	return TL_LEFT + (double)(at - t->from) * (TL_W - TL_LEFT - TL_RIGHT) /
	    (double)(t->to - t->from);
}

/* A bar (to > from) or a mark (to == from) in lane, titled. */
static void
tl_item(const struct tl *t, enum tl_lane lane, int64_t from, int64_t to,
    const char *title)
{
	double y = TL_TOP + lane * TL_LANE + 6, x0, x1;

	if (to < t->from || from > t->to)
		return;
	x0 = tl_x(t, from);
	x1 = tl_x(t, to);
	if (to > from)
		evbuffer_add_printf(t->b, "<rect class=\"l%d\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\"><title>",
		    lane, x0, y, x1 - x0 < 2 ? 2 : x1 - x0, TL_LANE - 12);
	else
		evbuffer_add_printf(t->b, "<path class=\"l%d\" d=\"M%.1f "
		    "%.1fl7 11l-7 11l-7 -11z\"><title>", lane, x0, y);
	board_esc(t->b, title);
	board_raw(t->b, to > from ? "</title></rect>" : "</title></path>");
}

/* The axis: lane names, a tick line with labels, the now line. */
static void
tl_axis(const struct tl *t, int64_t step, int hours)
{
	int h = TL_TOP + TL_LANES * TL_LANE;
	char buf[40];
	int64_t s;

	for (int i = 0; i < TL_LANES; i++)
		evbuffer_add_printf(t->b, "<text class=\"lane\" x=\"4\" "
		    "y=\"%d\">%s</text><line class=\"grid\" x1=\"%d\" "
		    "y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", TL_TOP + i * TL_LANE +
		    22, tl_lane_names[i], TL_LEFT, TL_TOP + (i + 1) * TL_LANE,
		    TL_W - TL_RIGHT, TL_TOP + (i + 1) * TL_LANE);
	/* Ticks on whole steps of civil time would need the zone's
	 * offset; whole steps of UTC + 8 h are Beijing's and good
	 * enough for the board's zones, the labels say the real time. */
	for (s = (t->from / step + 1) * step - 8 * 3600 % step; s < t->to;
	    s += step) {
		if (s <= t->from)
			continue;
		board_when(s, t->zone, buf, sizeof(buf));
		evbuffer_add_printf(t->b, "<line class=\"tick\" x1=\"%.1f\" "
		    "y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><text class=\"tick\" "
		    "x=\"%.1f\" y=\"20\">%s</text>", tl_x(t, s), TL_TOP,
		    tl_x(t, s), h, tl_x(t, s) - 20, hours ? buf + 11 :
		    buf + 5);
	}
	if (t->now >= t->from && t->now <= t->to)
		evbuffer_add_printf(t->b, "<line class=\"now\" x1=\"%.1f\" "
		    "y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><text class=\"nowt\" "
		    "x=\"%.1f\" y=\"%d\">现在</text>", tl_x(t, t->now), TL_TOP -
		    4, tl_x(t, t->now), h, tl_x(t, t->now) + 3, h + 16);
}

/* One row of the table under the SVG. */
static void
tl_row(struct evbuffer *b, const char *zone, int64_t at, const char *what,
    const char *title, const char *more)
{
	char buf[40];

	board_raw(b, "<tr><td><time>");
	board_esc(b, board_when(at, zone, buf, sizeof(buf)));
	board_raw(b, "</time></td><td>");
	board_raw(b, what);
	board_raw(b, "</td><td>");
	board_esc(b, title);
	if (more != NULL) {
		board_raw(b, " ");
		board_esc(b, more);
	}
	board_raw(b, "</td></tr>");
}

/* A notice's kind in the words of the ack page. */
static const char *
tl_kind_label(enum job_kind k)
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
	default: return "通知";
	}
}

/* The notices of the next 24 h, grouped by (instant, kind, item). */
struct tl_notices {
	const struct model_campaign *c;
	struct tl *t;
	struct evbuffer *rows;
	int64_t due;
	enum job_kind kind;
	char item[128];
	size_t n, groups;
};

static void
tl_notice_flush(struct tl_notices *n)
{
	char more[48], title[300];
	struct model_item it;

	if (n->n == 0)
		return;
	/* The item's title from the config; its id when it is gone. */
	if (model_item_find(n->c, n->kind, n->item, &it) == -1 ||
	    it.title == NULL)
		it.title = n->item;
	snprintf(title, sizeof(title), "%s：%s", tl_kind_label(n->kind),
	    it.title);
	snprintf(more, sizeof(more), "（%zu 人）", n->n);
	tl_item(n->t, TL_NOTICE, n->due, n->due, title);
	tl_row(n->rows, n->t->zone, n->due, "通知", title, more);
	n->groups++;
	n->n = 0;
}

static void
tl_notice(void *arg, const struct job *j)
{
	struct tl_notices *n = arg;

	if (n->n > 0 && (j->due != n->due || j->kind != n->kind ||
	    strcmp(j->item, n->item) != 0))
		tl_notice_flush(n);
	n->due = j->due;
	n->kind = j->kind;
	snprintf(n->item, sizeof(n->item), "%s", j->item);
	n->n++;
}

static int
tl_campaign(const struct board_req *r, struct evbuffer *b,
    const struct model_campaign *c, const char *zoom, char *err,
    size_t errlen)
{
	struct tl t = { b, c->timezone, 0, 0, r->now };
	struct store *st = engine_store(r->ctx->engine);
	struct store_filter f = { .campaign = c->id, .state = JOB_PENDING,
	    .limit = TL_NOTICES_MAX };
	struct tl_notices n = { c, &t, evbuffer_new(), 0, 0, "", 0, 0 };
	int64_t step;
	int hours;
	size_t i;

	if (strcmp(zoom, "week") == 0) {
		t.from = r->now - 86400;
		t.to = r->now + 7 * 86400;
		step = 86400;
		hours = 0;
	} else if (strcmp(zoom, "campaign") == 0) {
		t.from = c->period_from.at;
		t.to = c->period_to.at > t.from ? c->period_to.at : t.from +
		    86400;
		step = (t.to - t.from) / 8 / 86400 * 86400;
		if (step < 86400)
			step = 86400;
		hours = 0;
	} else {
		t.from = r->now - 3 * 3600;
		t.to = r->now + 24 * 3600;
		step = 3 * 3600;
		hours = 1;
	}
	board_raw(b, "<section class=\"camp\"><h2>");
	board_esc(b, c->title);
	evbuffer_add_printf(b, "</h2><div class=\"tl\"><svg viewBox=\"0 0 %d "
	    "%d\" role=\"img\" aria-label=\"", TL_W, TL_TOP + TL_LANES *
	    TL_LANE + 24);
	board_esc(b, c->title);
	board_raw(b, " 时间轴\">");
	tl_axis(&t, step, hours);
	for (i = 0; i < c->n_phases; i++)
		tl_item(&t, TL_PHASE, c->phases[i].from.at, c->phases[i].to.at,
		    c->phases[i].title);
	for (i = 0; i < c->n_launches; i++)
		tl_item(&t, TL_LAUNCH, c->launches[i].at.at,
		    c->launches[i].at.at, c->launches[i].title != NULL ?
		    c->launches[i].title : "启动");
	for (i = 0; i < c->n_deadlines; i++)
		tl_item(&t, TL_DEADLINE, c->deadlines[i].due.at,
		    c->deadlines[i].due.at, c->deadlines[i].title);
	for (i = 0; i < c->n_slots; i++)
		tl_item(&t, TL_SLOT, c->slots[i].from.at, c->slots[i].to.at,
		    c->slots[i].title);
	f.from = r->now;
	f.to = r->now + 86400;
	if (n.rows == NULL || store_list(st, &f, tl_notice, &n) == -1) {
		snprintf(err, errlen, "%s", n.rows == NULL ? "out of memory" :
		    store_error(st));
		if (n.rows != NULL)
			evbuffer_free(n.rows);
		return -1;
	}
	tl_notice_flush(&n);
	board_raw(b, "</svg></div><div class=\"scroll\"><table class=\"tlt\">"
	    "<caption>本视图时间范围内的事项</caption><thead><tr>"
	    "<th scope=\"col\">时间</th><th scope=\"col\">类型</th>"
	    "<th scope=\"col\">名称</th></tr></thead><tbody>");
	for (i = 0; i < c->n_phases; i++)
		if (c->phases[i].to.at >= t.from && c->phases[i].from.at <=
		    t.to)
			tl_row(b, t.zone, c->phases[i].from.at, "阶段",
			    c->phases[i].title, NULL);
	for (i = 0; i < c->n_launches; i++)
		if (c->launches[i].at.at >= t.from &&
		    c->launches[i].at.at <= t.to)
			tl_row(b, t.zone, c->launches[i].at.at, "启动",
			    c->launches[i].title != NULL ?
			    c->launches[i].title : "启动", NULL);
	for (i = 0; i < c->n_deadlines; i++)
		if (c->deadlines[i].due.at >= t.from &&
		    c->deadlines[i].due.at <= t.to)
			tl_row(b, t.zone, c->deadlines[i].due.at, "截止",
			    c->deadlines[i].title, NULL);
	for (i = 0; i < c->n_slots; i++)
		if (c->slots[i].to.at >= t.from && c->slots[i].from.at <= t.to)
			tl_row(b, t.zone, c->slots[i].from.at, "直播",
			    c->slots[i].title, NULL);
	evbuffer_add_buffer(b, n.rows);
	evbuffer_free(n.rows);
	board_raw(b, "</tbody></table></div>");
	if (n.groups == 0)
		board_raw(b, "<p>未来 24 小时内没有待发送的通知。</p>");
	board_raw(b, "</section>");
	return 0;
}

int
board_timeline(const struct board_req *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	static const char *const zooms[][2] = { { "day", "一天" },
	    { "week", "一周" }, { "campaign", "整个活动" } };
	const char *zoom = evhttp_find_header(r->q, "zoom");
	char src[80];

	if (zoom == NULL || (strcmp(zoom, "week") != 0 &&
	    strcmp(zoom, "campaign") != 0))
		zoom = "day";
	if (!r->live) {
		board_raw(b, "<h1>时间轴</h1><nav class=\"zoom\" "
		    "aria-label=\"缩放\"><ul>");
		for (size_t i = 0; i < 3; i++)
			evbuffer_add_printf(b, "<li><a href=\"/board/timeline?"
			    "zoom=%s\"%s>%s</a></li>", zooms[i][0],
			    strcmp(zoom, zooms[i][0]) == 0 ?
			    " aria-current=\"page\"" : "", zooms[i][1]);
		board_raw(b, "</ul></nav>");
		snprintf(src, sizeof(src), "/board/timeline?zoom=%s&part=live",
		    zoom);
		board_live_begin(b, src);
	}
	for (size_t i = 0; i < r->m->n_campaigns; i++)
		if (tl_campaign(r, b, &r->m->campaigns[i], zoom, err,
		    errlen) == -1)
			return -1;
	if (!r->live)
		board_live_end(b);
	return 0;
}
