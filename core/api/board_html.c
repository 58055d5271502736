/*
 * board_html.c - the board's page frame, escaping and replies
 * (board_internal.h).
 *
 * The headers are the ack page's (ackpage.c) and stricter: the
 * stylesheet and the script are files of our own origin, so the CSP
 * allows 'self' and nothing inline at all (no unsafe-inline, not even
 * for styles; the SVG uses classes and presentation attributes, which
 * CSP does not count as inline style).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/sha.h>

#include "board_internal.h"
#include "civil.h"
#include "httpd.h"

void
board_esc(struct evbuffer *b, const char *s)
{
	const char *p;

	if (s == NULL)
		return;
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

void
board_raw(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

const char *
board_when(int64_t t, const char *zone, char *buf, size_t len)
{
	return civil_format(t, zone, buf, len);
}

static const struct {
	const char *path, *label;
} board_views[BOARD_VIEW_COUNT] = {
	[BOARD_TIMELINE] = { "/board/timeline", "时间轴" },
	[BOARD_SUBMISSIONS] = { "/board/submissions", "报送情况" },
	[BOARD_INCIDENTS] = { "/board/incidents", "应急事件" },
	[BOARD_CHANNELS] = { "/board/channels", "通道状态" },
};

void
board_csrf_field(struct evbuffer *b, const char *csrf)
{
	evbuffer_add_printf(b, "<input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\">", csrf);
}

void
board_page_begin(struct evbuffer *b, const char *title, int view,
    const char *csrf)
{
	board_raw(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    "initial-scale=1\"><title>");
	board_raw(b, title);
	board_raw(b, " · 工作看板</title>"
	    "<link rel=\"icon\" href=\"/board/icon.svg\" "
	    "type=\"image/svg+xml\">"
	    "<link rel=\"stylesheet\" href=\"/board/board.css\">"
	    "<script src=\"/board/board.js\" defer></script>"
	    "</head><body><header class=\"top\"><p class=\"brand\">"
	    "工作看板</p>");
	if (csrf != NULL) {
		board_raw(b, "<nav aria-label=\"视图\"><ul>");
		for (int i = 0; i < BOARD_VIEW_COUNT; i++)
			evbuffer_add_printf(b, "<li><a href=\"%s\"%s>%s</a>"
			    "</li>", board_views[i].path, i == view ?
			    " aria-current=\"page\"" : "",
			    board_views[i].label);
		board_raw(b, "</ul></nav><form class=\"logout\" "
		    "method=\"post\" action=\"/board/logout\">");
		board_csrf_field(b, csrf);
		board_raw(b, "<button type=\"submit\">退出登录</button>"
		    "</form>");
	}
	board_raw(b, "</header><main>");
}

void
board_page_end(struct evbuffer *b)
{
	board_raw(b, "</main></body></html>\n");
}

void
board_live_begin(struct evbuffer *b, const char *src)
{
	board_raw(b, "<div id=\"live\" aria-live=\"polite\" data-src=\"");
	board_esc(b, src);
	board_raw(b, "\">");
}

void
board_live_end(struct evbuffer *b)
{
	board_raw(b, "</div><p class=\"upd\" id=\"upd\" hidden>"
	    "<span>已自动刷新</span> <time id=\"updat\"></time></p>");
}

void
board_send(struct evhttp_request *req, int code, const char *type,
    struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	/* A shared screen must not show a page again from its cache. */
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'self'; script-src 'self'; connect-src 'self'; "
	    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_send_reply(req, code, NULL, b);
}

void
board_send_etag(struct evhttp_request *req, const char *type,
    struct evbuffer *b)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char tag[40];
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "If-None-Match");
	size_t n = evbuffer_get_length(b);

	SHA256(evbuffer_pullup(b, -1), n, md);
	snprintf(tag, sizeof(tag), "\"%02x%02x%02x%02x%02x%02x%02x%02x\"",
	    md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
	evhttp_add_header(evhttp_request_get_output_headers(req), "ETag", tag);
	if (inm != NULL && strstr(inm, tag) != NULL) {
		evbuffer_drain(b, n);
		board_send(req, 304, type, b);
		return;
	}
	board_send(req, 200, type, b);
}

void
board_message(struct evhttp_request *req, int code, const char *csrf,
    const char *heading, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		httpd_reply_error(req, 500, "out of memory");
		return;
	}
	board_page_begin(b, heading, -1, csrf);
	evbuffer_add_printf(b, "<h1>%s</h1><p>%s</p>", heading, text);
	if (csrf != NULL)
		board_raw(b, "<p><a href=\"/board/submissions\">返回看板</a>"
		    "</p>");
	board_page_end(b);
	board_send(req, code, "text/html; charset=utf-8", b);
	evbuffer_free(b);
}
