/*
 * board.c - the coordinators' board under /board/ (doc/api.txt "Board",
 * board_internal.h): routing, the session, login and logout, and the
 * few writes (submit on behalf of a unit, take charge of an incident,
 * trigger a plan).
 *
 * Off unless herald.board.enabled: every path then answers 404, as if
 * there were no board.  Pages need a session; the stylesheet, the script
 * and the login form do not.  Every POST carries the session's CSRF
 * token (403 without it); a POST that writes also needs
 * herald.board.write (403 otherwise), read again on every request so a
 * reload applies.  Writes go through the same functions as the API's
 * (submission_record, incident_ack, incident_trigger) with the door
 * "board", and answer with a redirect to the view (POST, redirect, GET),
 * so a reload of the page does not post again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "api.h"
#include "api_internal.h"
#include "board_internal.h"
#include "engine.h"
#include "httpd.h"
#include "incident.h"
#include "log.h"
#include "model.h"
#include "submission.h"
#include "xmalloc.h"

#define BOARD_PREFIX	"/board/"
#define BOARD_FORM_MAX	8192
#define BOARD_HTML	"text/html; charset=utf-8"

/* Where a request came from (the limiter's key, log lines). */
static const char *
board_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &host, &port);
	return host != NULL ? host : "?";
}

static int64_t
board_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
board_redirect(struct evhttp_request *req, const char *to)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	    to);
	board_send(req, 303, BOARD_HTML, b);
	evbuffer_free(b);
}

/*
 * The urlencoded form of a POST into q (caller clears).  Returns 0, or
 * -1 after answering 400 (not a form, too long, malformed).
 */
static int
board_form(struct evhttp_request *req, struct evkeyvalq *q, const char *csrf)
{
	static const char form[] = "application/x-www-form-urlencoded";
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), flen = sizeof(form) - 1;
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Content-Type");
	char *body;

	TAILQ_INIT(q);
	if (ct == NULL || strncasecmp(ct, form, flen) != 0 ||
	    (ct[flen] != '\0' && ct[flen] != ';' && ct[flen] != ' ') ||
	    len > BOARD_FORM_MAX) {
		board_message(req, 400, csrf, "请求无效", "无法识别的表单。");
		return -1;
	}
	body = malloc(len + 1);
	if (body == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return -1;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	if (strlen(body) != len || evhttp_parse_query_str(body, q) == -1) {
		free(body);
		evhttp_clear_headers(q);
		board_message(req, 400, csrf, "请求无效", "无法识别的表单。");
		return -1;
	}
	free(body);
	return 0;
}

/* Does the form's csrf field equal the session's?  Constant time. */
static int
board_csrf_ok(struct evkeyvalq *q, const char *csrf)
{
	const char *v = evhttp_find_header(q, "csrf");

	return v != NULL && strlen(v) == BOARD_CSRF_LEN &&
	    CRYPTO_memcmp(v, csrf, BOARD_CSRF_LEN) == 0;
}

/*
 * A login form posted from another site (login CSRF).  Browsers say so
 * in Sec-Fetch-Site; one that does not send it names the other host in
 * Origin, unless its Referrer-Policy (ours: no-referrer) made that
 * "null".  A client that sends neither (curl) is not a browser being
 * tricked.
 */
static int
board_cross_site(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *site = evhttp_find_header(h, "Sec-Fetch-Site");
	const char *origin = evhttp_find_header(h, "Origin");
	const char *host = evhttp_find_header(h, "Host"), *p;

	if (site != NULL)
		return strcmp(site, "same-origin") != 0 &&
		    strcmp(site, "none") != 0;
	if (origin == NULL || strcmp(origin, "null") == 0)
		return 0;
	if (host == NULL || (p = strstr(origin, "://")) == NULL)
		return 1;
	return strcmp(p + 3, host) != 0;
}

static void
board_login_form(struct evhttp_request *req, int code, const char *note)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	board_page_begin(b, "登录", -1, NULL);
	board_raw(b, "<h1>登录工作看板</h1>");
	if (note != NULL)
		evbuffer_add_printf(b, "<p class=\"err\" role=\"alert\">%s</p>",
		    note);
	board_raw(b, "<form class=\"login\" method=\"post\" "
	    "action=\"/board/login\"><label for=\"pw\">看板密码</label>"
	    "<input id=\"pw\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required autofocus>"
	    "<button type=\"submit\">登录</button></form>");
	board_page_end(b);
	board_send(req, code, BOARD_HTML, b);
	evbuffer_free(b);
}

/*
 * A login whose password is being checked on the board's worker
 * (board_check.c).  Owns its copy of the peer and of the hash checked;
 * the request is evhttp's, answered in board_login_done().
 */
struct board_login_wait {
	struct evhttp_request *req;
	struct api_ctx *ctx;
	char peer[64];
	char *hash;		/* the hash checked, to see a reload change it */
};

/*
 * On the loop, the check returned: answer the request.  The config is
 * read again, since a reload may have come between: a board turned off
 * answers 404, a new password file 403 (the old password checked).
 */
static void
board_login_done(int ok, void *arg)
{
	struct board_login_wait *w = arg;
	struct evhttp_request *req = w->req;
	const struct model *m = engine_model(w->ctx->engine);
	const struct model_board *cfg = &m->daemon.board;
	char cookie[300], v[160];

	if (!cfg->enabled) {
		board_message(req, 404, NULL, "页面不存在", "未启用工作看板。");
		goto done;
	}
	if (ok && (cfg->password_hash == NULL ||
	    strcmp(cfg->password_hash, w->hash) != 0))
		ok = 0;
	if (!ok) {
		/* Counted already, when the check started. */
		log_info("board: wrong password from %s", w->peer);
		board_login_form(req, 403, "密码错误。");
		goto done;
	}
	board_guard_pass(w->ctx->board_guard, w->peer, board_now_us());
	if (board_session_new(cfg, engine_time(w->ctx->engine), v,
	    sizeof(v)) == -1) {
		board_message(req, 500, NULL, "暂时无法登录",
		    "无法生成会话，请稍后再试。");
		goto done;
	}
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/board/; HttpOnly; "
	    "SameSite=Strict; Max-Age=%lld%s", BOARD_COOKIE, v,
	    (long long)cfg->session, m->daemon.public_url != NULL &&
	    strncmp(m->daemon.public_url, "https://", 8) == 0 ?
	    "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", cookie);
	log_info("board: login from %s", w->peer);
	board_redirect(req, "/board/submissions");
done:
	free(w->hash);
	free(w);
}

static void
board_login(struct evhttp_request *req, struct api_ctx *ctx,
    const struct model_board *cfg)
{
	const char *peer = board_peer(req);
	struct board_login_wait *w;
	char ra[32];
	struct evkeyvalq q;
	int64_t wait;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		board_login_form(req, 200, NULL);
		return;
	}
	if (board_cross_site(req)) {
		board_message(req, 403, NULL, "请求被拒绝",
		    "登录请求来自其他网站。");
		return;
	}
	/* Before the password is even hashed: a guessing peer costs
	 * nothing but this lookup once its bucket is empty. */
	if ((wait = board_guard_admit(ctx->board_guard, peer,
	    board_now_us())) > 0) {
		snprintf(ra, sizeof(ra), "%lld",
		    (long long)(wait / 1000000 + 1));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", ra);
		log_info("board: login from %s refused: too many failures",
		    peer);
		board_login_form(req, 429, "尝试次数过多，请稍后再试。");
		return;
	}
	if (board_form(req, &q, NULL) == -1)
		return;
	w = xcalloc(1, sizeof(*w));
	w->req = req;
	w->ctx = ctx;
	snprintf(w->peer, sizeof(w->peer), "%s", peer);
	w->hash = xstrdup(cfg->password_hash != NULL ? cfg->password_hash :
	    "");
	/*
	 * A check in flight counts as a failure until it passes: else a
	 * peer could queue many guesses before the first failure is
	 * counted (the checks are slow, and wait for the worker).
	 */
	board_guard_fail(ctx->board_guard, peer, board_now_us());
	/* The reply waits for the worker; evhttp keeps the request (a
	 * client gone meanwhile: the reply is dropped, the request freed). */
	if (board_check_start(ctx->board_pool, cfg->password_hash,
	    cfg->password_hash_len, evhttp_find_header(&q, "password"),
	    board_login_done, w) == -1) {
		board_guard_pass(ctx->board_guard, w->peer, board_now_us());
		free(w->hash);
		free(w);
		board_message(req, 503, NULL, "暂时无法登录",
		    "服务正在停止，请稍后再试。");
	}
	evhttp_clear_headers(&q);
}

static void
board_logout(struct evhttp_request *req)
{
	char cookie[128];

	snprintf(cookie, sizeof(cookie), "%s=; Path=/board/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0", BOARD_COOKIE);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", cookie);
	board_redirect(req, "/board/login");
}

/* POST /board/submit: campaign, deadline, unit or contact. */
static void
board_submit(struct evhttp_request *req, struct api_ctx *ctx,
    struct evkeyvalq *q, const char *csrf)
{
	const struct model *m = engine_model(ctx->engine);
	const char *campaign = evhttp_find_header(q, "campaign");
	const char *deadline = evhttp_find_header(q, "deadline");
	const char *unit = evhttp_find_header(q, "unit");
	const char *contact = evhttp_find_header(q, "contact");
	const struct model_campaign *c;
	struct submission_result sr;
	char err[512];

	if (campaign == NULL || deadline == NULL ||
	    (c = model_campaign_find(m, campaign)) == NULL ||
	    model_deadline_find(c, deadline) == NULL ||
	    (unit == NULL) == (contact == NULL) ||
	    (unit != NULL && model_unit_find(m, unit) == NULL) ||
	    (contact != NULL && model_contact_find(m, contact) == NULL)) {
		board_message(req, 400, csrf, "请求无效",
		    "活动、截止事项或单位不存在。");
		return;
	}
	if (submission_record(ctx->engine, campaign, deadline, unit, contact,
	    "board", &sr, err, sizeof(err)) == -1) {
		log_warnx("board: submit %s/%s: %s", campaign, deadline, err);
		board_message(req, 500, csrf, "暂时无法记录",
		    "系统暂时无法记录，请稍后再试。");
		return;
	}
	log_info("board: %s/%s submitted for %s %s from %s", campaign,
	    deadline, unit != NULL ? "unit" : "contact",
	    unit != NULL ? unit : contact, board_peer(req));
	submission_result_clear(&sr);
	board_redirect(req, "/board/submissions");
}

/* POST /board/ack: id, who. */
static void
board_ack(struct evhttp_request *req, struct api_ctx *ctx,
    struct evkeyvalq *q, const char *csrf)
{
	const char *id = evhttp_find_header(q, "id");
	const char *who = evhttp_find_header(q, "who");
	struct incident *inc = NULL;
	char err[256];
	int already = 0;
	enum incident_status r;

	if (id == NULL || who == NULL || *who == '\0' ||
	    strlen(who) > INCIDENT_WHO_MAX) {
		board_message(req, 400, csrf, "请求无效", "请填写负责人。");
		return;
	}
	r = incident_ack(ctx->engine, id, who, "board", &inc, &already, err,
	    sizeof(err));
	incident_free(inc);
	if (r == INCIDENT_NOT_FOUND || r == INCIDENT_BAD) {
		board_message(req, 404, csrf, "事件不存在", "未找到该事件。");
		return;
	}
	if (r == INCIDENT_CONFLICT) {
		board_message(req, 409, csrf, "事件已结束",
		    "该事件已处置完毕。");
		return;
	}
	if (r != INCIDENT_OK) {
		log_warnx("board: ack %s: %s", id, err);
		board_message(req, 500, csrf, "暂时无法记录",
		    "系统暂时无法记录，请稍后再试。");
		return;
	}
	log_info("board: incident %s taken charge of by %s from %s", id, who,
	    board_peer(req));
	board_redirect(req, "/board/incidents");
}

/* The confirm step of a trigger: the same fields again, and confirm. */
static void
board_trigger_confirm(struct evhttp_request *req, struct evkeyvalq *q,
    const struct model_plan *p, const char *csrf)
{
	static const char *const keep[] = { "campaign", "plan", "venue",
	    "note", "drill" };
	struct evbuffer *b = evbuffer_new();
	const char *v;

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	board_page_begin(b, "确认触发", BOARD_INCIDENTS, csrf);
	board_raw(b, "<h1>确认触发应急预案</h1><dl class=\"confirm\">"
	    "<dt>预案</dt><dd>");
	board_esc(b, p->title != NULL ? p->title : p->id);
	evbuffer_add_printf(b, "（%d级）</dd><dt>地点</dt><dd>", p->level);
	board_esc(b, evhttp_find_header(q, "venue"));
	board_raw(b, "</dd>");
	if ((v = evhttp_find_header(q, "note")) != NULL && *v != '\0') {
		board_raw(b, "<dt>情况</dt><dd>");
		board_esc(b, v);
		board_raw(b, "</dd>");
	}
	v = evhttp_find_header(q, "drill");
	evbuffer_add_printf(b, "<dt>性质</dt><dd>%s</dd></dl>",
	    v != NULL && strcmp(v, "1") == 0 ? "演练" : "真实事件（将立即通知"
	    "预案中的全部人员）");
	board_raw(b, "<form method=\"post\" action=\"/board/trigger\">");
	board_csrf_field(b, csrf);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if ((v = evhttp_find_header(q, keep[i])) == NULL)
			continue;
		evbuffer_add_printf(b, "<input type=\"hidden\" name=\"%s\" "
		    "value=\"", keep[i]);
		board_esc(b, v);
		board_raw(b, "\">");
	}
	board_raw(b, "<input type=\"hidden\" name=\"confirm\" value=\"1\">"
	    "<button type=\"submit\" class=\"danger\">确认触发</button> "
	    "<a href=\"/board/incidents\">取消</a></form>");
	board_page_end(b);
	board_send(req, 200, BOARD_HTML, b);
	evbuffer_free(b);
}

/* POST /board/trigger: campaign, plan, venue, note, drill, confirm. */
static void
board_trigger(struct evhttp_request *req, struct api_ctx *ctx,
    struct evkeyvalq *q, const char *csrf)
{
	const struct model *m = engine_model(ctx->engine);
	struct incident_request rq = { 0 };
	const struct model_campaign *c;
	const struct model_plan *p;
	const char *drill = evhttp_find_header(q, "drill");
	const char *confirm = evhttp_find_header(q, "confirm");
	struct incident *inc = NULL;
	char err[512];
	int created = 0;

	rq.campaign = evhttp_find_header(q, "campaign");
	rq.plan = evhttp_find_header(q, "plan");
	rq.venue = evhttp_find_header(q, "venue");
	rq.note = evhttp_find_header(q, "note");
	rq.drill = drill != NULL && strcmp(drill, "1") == 0;
	rq.source = "board";
	/* The note is what the alert says happened: required, as by the
	 * API (incident.c). */
	if (rq.campaign == NULL || rq.plan == NULL || rq.venue == NULL ||
	    *rq.venue == '\0' || rq.note == NULL || *rq.note == '\0' ||
	    (c = model_campaign_find(m, rq.campaign)) == NULL ||
	    (p = model_plan_find(c, rq.plan)) == NULL) {
		board_message(req, 400, csrf, "请求无效",
		    "请选择预案并填写地点和情况。");
		return;
	}
	if (confirm == NULL || strcmp(confirm, "1") != 0) {
		board_trigger_confirm(req, q, p, csrf);
		return;
	}
	if (incident_trigger(ctx->engine, &rq, &inc, &created, err,
	    sizeof(err)) != INCIDENT_OK) {
		log_info("board: trigger %s/%s refused: %s", rq.campaign,
		    rq.plan, err);
		board_message(req, 400, csrf, "无法触发", "预案或地点无效。");
		return;
	}
	log_info("board: incident %s (%s/%s at %s%s) %s from %s", inc->v.id,
	    rq.campaign, rq.plan, rq.venue, rq.drill ? ", drill" : "",
	    created ? "triggered" : "already open", board_peer(req));
	incident_free(inc);
	board_redirect(req, "/board/incidents");
}

/*
 * The board's icon, named by every page: without one a browser asks for
 * /favicon.ico, gets the API's 404 and logs a console error on the
 * login form.  Three white rows on the header's blue, no text (no font).
 */
static const unsigned char board_icon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1e3a8a\"/>"
    "<path d=\"M3 4h10M3 8h10M3 12h6\" stroke=\"#fff\" "
    "stroke-width=\"2\"/></svg>";

static void
board_asset(struct evhttp_request *req, const char *type,
    const unsigned char *p, unsigned long n)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add_reference(b, p, n, NULL, NULL);
	board_send(req, 200, type, b);
	evbuffer_free(b);
}

/* A POST with a session: the CSRF token, then the write switch. */
static void
board_post(struct evhttp_request *req, struct api_ctx *ctx, const char *rest,
    const char *csrf)
{
	const struct model_board *cfg = &engine_model(ctx->engine)->daemon.board;
	struct evkeyvalq q;
	int known = strcmp(rest, "logout") == 0 || strcmp(rest, "submit") ==
	    0 || strcmp(rest, "ack") == 0 || strcmp(rest, "trigger") == 0;

	if (!known) {
		board_message(req, 404, csrf, "页面不存在", "没有这个页面。");
		return;
	}
	if (board_form(req, &q, csrf) == -1)
		return;
	if (!board_csrf_ok(&q, csrf)) {
		log_info("board: %s from %s refused: no or wrong CSRF token",
		    rest, board_peer(req));
		board_message(req, 403, csrf, "请求被拒绝",
		    "表单已失效，请返回页面重新提交。");
	} else if (strcmp(rest, "logout") == 0)
		board_logout(req);
	else if (!cfg->write)
		board_message(req, 403, csrf, "只读看板",
		    "看板为只读模式（herald.board.write 未开启）。");
	else if (strcmp(rest, "submit") == 0)
		board_submit(req, ctx, &q, csrf);
	else if (strcmp(rest, "ack") == 0)
		board_ack(req, ctx, &q, csrf);
	else
		board_trigger(req, ctx, &q, csrf);
	evhttp_clear_headers(&q);
}

static const struct {
	const char *name, *title;
	int view;
	int (*fn)(const struct board_req *, struct evbuffer *, char *,
	    size_t);
} board_pages[] = {
	{ "timeline", "时间轴", BOARD_TIMELINE, board_timeline },
	{ "submissions", "报送情况", BOARD_SUBMISSIONS, board_submissions },
	{ "unit", "单位详情", BOARD_SUBMISSIONS, board_unit },
	{ "incidents", "应急事件", BOARD_INCIDENTS, board_incidents },
	{ "channels", "通道状态", BOARD_CHANNELS, board_channels },
};

/* GET of a view with a session: the page, or ?part=live alone. */
static void
board_get(struct evhttp_request *req, struct api_ctx *ctx, const char *rest,
    const char *csrf)
{
	const char *query = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req)), *part;
	struct board_req r = { 0 };
	struct evkeyvalq q;
	struct evbuffer *b;
	size_t i, n = sizeof(board_pages) / sizeof(board_pages[0]);
	char err[512];

	for (i = 0; i < n && strcmp(board_pages[i].name, rest) != 0; i++)
		;
	if (i == n) {
		board_message(req, 404, csrf, "页面不存在", "没有这个页面。");
		return;
	}
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == -1) {
		board_message(req, 400, csrf, "请求无效", "无法识别的参数。");
		return;
	}
	r.req = req;
	r.ctx = ctx;
	r.m = engine_model(ctx->engine);
	r.q = &q;
	r.csrf = csrf;
	r.now = engine_time(ctx->engine);
	r.write = r.m->daemon.board.write;
	r.live = (part = evhttp_find_header(&q, "part")) != NULL &&
	    strcmp(part, "live") == 0;
	if ((b = evbuffer_new()) == NULL) {
		evhttp_clear_headers(&q);
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	if (!r.live)
		board_page_begin(b, board_pages[i].title, board_pages[i].view,
		    csrf);
	if (board_pages[i].fn(&r, b, err, sizeof(err)) == -1) {
		log_warnx("board: %s: %s", rest, err);
		board_message(req, 500, csrf, "暂时无法显示",
		    "系统暂时无法读取数据，请稍后再试。");
	} else if (r.live)
		board_send_etag(req, BOARD_HTML, b);
	else {
		board_page_end(b);
		board_send(req, 200, BOARD_HTML, b);
	}
	evbuffer_free(b);
	evhttp_clear_headers(&q);
}

void
api_board_page(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct model_board *cfg = ctx->engine != NULL ?
	    &engine_model(ctx->engine)->daemon.board : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req)), *rest;
	const char *cookies = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Cookie");
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	char csrf[BOARD_CSRF_LEN + 1];

	if (cfg == NULL || !cfg->enabled || path == NULL) {
		board_message(req, 404, NULL, "页面不存在", "未启用工作看板。");
		return;
	}
	if (strcmp(path, "/board") == 0) {
		board_redirect(req, BOARD_PREFIX);
		return;
	}
	rest = path + sizeof(BOARD_PREFIX) - 1;
	if (!post && strcmp(rest, "board.css") == 0) {
		board_asset(req, "text/css; charset=utf-8", board_css,
		    board_css_len);
		return;
	}
	if (!post && strcmp(rest, "icon.svg") == 0) {
		board_asset(req, "image/svg+xml", board_icon,
		    sizeof(board_icon) - 1);
		return;
	}
	if (!post && strcmp(rest, "board.js") == 0) {
		board_asset(req, "text/javascript; charset=utf-8", board_js,
		    board_js_len);
		return;
	}
	if (strcmp(rest, "login") == 0) {
		board_login(req, ctx, cfg);
		return;
	}
	if (!board_session_check(cfg, cookies, engine_time(ctx->engine),
	    csrf)) {
		/* The script reloads on 401 and lands on the login form. */
		const char *query = evhttp_uri_get_query(
		    evhttp_request_get_evhttp_uri(req));

		if (post || (query != NULL && strstr(query, "part=live") !=
		    NULL))
			board_message(req, post ? 403 : 401, NULL, "请先登录",
			    "会话无效或已过期，请重新登录。");
		else
			board_redirect(req, "/board/login");
		return;
	}
	if (post)
		board_post(req, ctx, rest, csrf);
	else if (*rest == '\0')
		board_redirect(req, "/board/submissions");
	else
		board_get(req, ctx, rest, csrf);
}
