/*
 * board_submissions.c - the submissions matrix (units x deadlines) and
 * one unit's page: its contacts and the notices sent to them
 * (board_internal.h).
 *
 * The matrix is drawn from api_board_campaign(), the very object GET
 * /v1/submissions answers, so the board and the API cannot disagree.
 * Each cell says its state in words (已报送 / 未报送 / 逾期) besides its
 * colour, and carries a sort key (data-k) for the script.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "api_internal.h"
#include "board_internal.h"
#include "engine.h"
#include "job.h"
#include "model.h"
#include "store.h"

/* "2023-08-05T16:00:00+08:00" as "08-05 16:00" into buf (16 bytes). */
static const char *
board_short(const char *iso, char *buf, size_t len)
{
	if (iso == NULL || strlen(iso) < 16) {
		snprintf(buf, len, "%s", iso != NULL ? iso : "");
		return buf;
	}
	snprintf(buf, len, "%.5s %.5s", iso + 5, iso + 11);
	return buf;
}

static const char *
board_str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* A form that records deadline as submitted for the row's party. */
static void
board_submit_form(struct evbuffer *b, const struct board_req *r,
    const char *campaign, const char *deadline, json_t *row)
{
	const char *unit = board_str(row, "unit");

	board_raw(b, "<form method=\"post\" action=\"/board/submit\">");
	board_csrf_field(b, r->csrf);
	board_raw(b, "<input type=\"hidden\" name=\"campaign\" value=\"");
	board_esc(b, campaign);
	board_raw(b, "\"><input type=\"hidden\" name=\"deadline\" value=\"");
	board_esc(b, deadline);
	evbuffer_add_printf(b, "\"><input type=\"hidden\" name=\"%s\" value=\"",
	    unit != NULL ? "unit" : "contact");
	board_esc(b, unit != NULL ? unit : board_str(row, "contact"));
	board_raw(b, "\"><button type=\"submit\" class=\"small\">代为报送"
	    "</button></form>");
}

static void
board_cell(struct evbuffer *b, const struct board_req *r,
    const char *campaign, json_t *row, json_t *cell)
{
	const char *state = board_str(cell, "state");
	const char *dl = board_str(cell, "deadline");
	char when[24];

	evbuffer_add_printf(b, "<td class=\"c-%s\" data-deadline=\"", state);
	board_esc(b, dl);
	evbuffer_add_printf(b, "\" data-state=\"%s\"", state);
	if (strcmp(state, "submitted") == 0) {
		board_raw(b, " data-k=\"3 ");
		board_esc(b, board_str(cell, "at"));
		board_raw(b, "\">已报送<br><time>");
		board_esc(b, board_short(board_str(cell, "at"), when,
		    sizeof(when)));
		board_raw(b, "</time>");
		if (json_is_true(json_object_get(cell, "late")))
			board_raw(b, "（逾期后）");
		if (board_str(cell, "via") != NULL) {
			board_raw(b, "<br><small>经 ");
			board_esc(b, board_str(cell, "via"));
			board_raw(b, "</small>");
		}
	} else if (strcmp(state, "pending") == 0)
		board_raw(b, " data-k=\"1\">未报送");
	else if (strcmp(state, "overdue") == 0)
		board_raw(b, " data-k=\"0\">逾期");
	else {
		board_raw(b, " data-k=\"9\"><span class=\"na\">不涉及</span>"
		    "</td>");
		return;
	}
	if (r->write && strcmp(state, "submitted") != 0)
		board_submit_form(b, r, campaign, dl, row);
	board_raw(b, "</td>");
}

/* One campaign's matrix from api_board_campaign()'s object c. */
static void
board_matrix(struct evbuffer *b, const struct board_req *r, json_t *c)
{
	const char *cid = board_str(c, "id");
	json_t *dls = json_object_get(c, "deadlines"), *rows =
	    json_object_get(c, "rows"), *dl, *row, *cell, *n;
	char when[24];
	size_t i, j;

	board_raw(b, "<section class=\"camp\"><h2>");
	board_esc(b, board_str(c, "title"));
	board_raw(b, "</h2><ul class=\"sum\">");
	json_array_foreach(dls, i, dl) {
		n = json_object_get(dl, "counts");
		board_raw(b, "<li><strong>");
		board_esc(b, board_str(dl, "title"));
		evbuffer_add_printf(b, "</strong>：已报送 %lld / 应报 %lld，"
		    "未报送 %lld，逾期 %lld</li>",
		    (long long)json_integer_value(json_object_get(n,
		    "submitted")),
		    (long long)json_integer_value(json_object_get(n, "asked")),
		    (long long)json_integer_value(json_object_get(n,
		    "pending")),
		    (long long)json_integer_value(json_object_get(n,
		    "overdue")));
	}
	board_raw(b, "</ul><div class=\"scroll\"><table class=\"matrix\" "
	    "data-campaign=\"");
	board_esc(b, cid);
	board_raw(b, "\"><caption>");
	board_esc(b, board_str(c, "title"));
	board_raw(b, "：各单位报送情况（点击表头排序）</caption><thead><tr>"
	    "<th scope=\"col\"><button type=\"button\" class=\"sort\">单位"
	    "</button></th>");
	json_array_foreach(dls, i, dl) {
		board_raw(b, "<th scope=\"col\"><button type=\"button\" "
		    "class=\"sort\">");
		board_esc(b, board_str(dl, "title"));
		board_raw(b, "<br><small>截止 ");
		board_esc(b, board_short(board_str(dl, "due"), when,
		    sizeof(when)));
		board_raw(b, "</small></button></th>");
	}
	board_raw(b, "</tr></thead><tbody>");
	json_array_foreach(rows, i, row) {
		const char *unit = board_str(row, "unit");
		const char *id = unit != NULL ? unit : board_str(row,
		    "contact");

		board_raw(b, "<tr data-party=\"");
		board_esc(b, id);
		board_raw(b, "\"><th scope=\"row\" data-k=\"");
		board_esc(b, board_str(row, "name"));
		board_raw(b, "\"><a href=\"/board/unit?campaign=");
		board_esc(b, cid);
		board_raw(b, "&amp;id=");
		board_esc(b, id);
		board_raw(b, "\">");
		board_esc(b, board_str(row, "name"));
		board_raw(b, "</a></th>");
		json_array_foreach(json_object_get(row, "cells"), j, cell)
			board_cell(b, r, cid, row, cell);
		board_raw(b, "</tr>");
	}
	board_raw(b, "</tbody></table></div></section>");
}

int
board_submissions(const struct board_req *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	struct store *st = engine_store(r->ctx->engine);
	json_t *c;

	if (!r->live)
		board_raw(b, "<h1>报送情况</h1>");
	if (!r->live)
		board_live_begin(b, "/board/submissions?part=live");
	if (r->m->n_campaigns == 0)
		board_raw(b, "<p>配置中没有活动。</p>");
	for (size_t i = 0; i < r->m->n_campaigns; i++) {
		if ((c = api_board_campaign(st, r->m, &r->m->campaigns[i],
		    NULL, r->now, 1, err, errlen)) == NULL)
			return -1;
		board_matrix(b, r, c);
		json_decref(c);
	}
	if (!r->live)
		board_live_end(b);
	return 0;
}

static const char *
board_state_label(enum job_state s)
{
	switch (s) {
	case JOB_PENDING: return "待发送";
	case JOB_INFLIGHT: return "发送中";
	case JOB_DELIVERED: return "已送达";
	case JOB_FAILED: return "失败";
	case JOB_MISSED: return "错过";
	case JOB_CANCELLED: return "已取消";
	case JOB_SUPERSEDED: return "已被替代";
	default: return job_state_name(s);
	}
}

struct board_notices {
	struct evbuffer *b;
	const char *zone;
	size_t n;
};

static void
board_notice_row(void *arg, const struct job *j)
{
	struct board_notices *n = arg;
	char when[40];

	board_raw(n->b, "<tr><td>");
	board_esc(n->b, board_when(j->due, n->zone, when, sizeof(when)));
	board_raw(n->b, "</td><td>");
	board_esc(n->b, j->contact);
	board_raw(n->b, "</td><td>");
	board_esc(n->b, job_kind_name(j->kind));
	board_raw(n->b, "：");
	board_esc(n->b, j->item);
	board_raw(n->b, "</td><td>");
	board_esc(n->b, j->channel);
	evbuffer_add_printf(n->b, "</td><td class=\"j-%s\">%s</td></tr>",
	    job_state_name(j->state), board_state_label(j->state));
	n->n++;
}

static void
board_contact(struct evbuffer *b, const struct model_contact *k)
{
	board_raw(b, "<li><strong>");
	board_esc(b, k->name != NULL ? k->name : k->id);
	board_raw(b, "</strong>");
	if (k->phone != NULL) {
		board_raw(b, " 电话 ");
		board_esc(b, k->phone);
	}
	if (k->email != NULL) {
		board_raw(b, " 邮箱 ");
		board_esc(b, k->email);
	}
	board_raw(b, "</li>");
}

int
board_unit(const struct board_req *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	const char *cid = evhttp_find_header(r->q, "campaign");
	const char *id = evhttp_find_header(r->q, "id");
	const struct model_campaign *c = cid != NULL ?
	    model_campaign_find(r->m, cid) : NULL;
	const struct model_unit *u = id != NULL ? model_unit_find(r->m, id) :
	    NULL;
	const struct model_contact *one = id != NULL && u == NULL ?
	    model_contact_find(r->m, id) : NULL;
	struct store *st = engine_store(r->ctx->engine);
	struct store_filter f = { .from = 0, .to = INT64_MAX, .state = -1,
	    .limit = 200 };
	struct board_notices n = { b, NULL, 0 };
	size_t nk = u != NULL ? u->n_members : 1;

	if (c == NULL || (u == NULL && one == NULL)) {
		board_raw(b, "<h1>单位不存在</h1><p>未找到该单位或联系人。</p>");
		return 0;
	}
	n.zone = c->timezone;
	board_raw(b, "<h1>");
	board_esc(b, u != NULL ? (u->name != NULL ? u->name : u->id) :
	    (one->name != NULL ? one->name : one->id));
	board_raw(b, "</h1><p class=\"c\">");
	board_esc(b, c->title);
	board_raw(b, "</p><h2>联系人</h2><ul>");
	for (size_t i = 0; i < nk; i++)
		board_contact(b, u != NULL ? u->members[i] : one);
	board_raw(b, "</ul><h2>已发出的通知</h2><div class=\"scroll\">"
	    "<table><thead><tr><th scope=\"col\">计划时间</th>"
	    "<th scope=\"col\">接收人</th><th scope=\"col\">事项</th>"
	    "<th scope=\"col\">通道</th><th scope=\"col\">状态</th></tr>"
	    "</thead><tbody>");
	f.campaign = c->id;
	for (size_t i = 0; i < nk; i++) {
		f.contact = u != NULL ? u->members[i]->id : one->id;
		if (store_list(st, &f, board_notice_row, &n) == -1) {
			snprintf(err, errlen, "%s", store_error(st));
			return -1;
		}
	}
	board_raw(b, "</tbody></table></div>");
	if (n.n == 0)
		board_raw(b, "<p>暂无通知记录。</p>");
	board_raw(b, "<p><a href=\"/board/submissions\">返回报送情况</a></p>");
	return 0;
}
