/*
 * payload.c - request bodies for each flavour and the reading of answers.
 *
 * Limits (VENDORS.md): WeCom text content 2048 bytes, markdown 4096;
 * DingTalk bodies 20000 bytes; Feishu bodies 20 KB.  For the last two the
 * text of a part is held to 18000 bytes so escaping, the title and the
 * signature fields stay well inside the body limit.
 *
 * Answers.  Codes are matched by number, never by text, except Feishu's
 * 9499, which means both "bad request" and "too many request".  An answer
 * a vendor flavour cannot read (a proxy's HTML page with 200) is taken as
 * transient: better a retry than a message reported delivered that was
 * not.  Unknown non-zero codes are permanent, so the message falls back
 * to the contact's next channel instead of retrying for hours.
 */
#include "payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../common/plugin_util.h"

#define WEBHOOK_RATE_RETRY_MS 60000	/* WeCom 45009: a minute's quota */
#define WEBHOOK_THROTTLE_MS 600000	/* DingTalk: throttled for 10 minutes */
#define WEBHOOK_FEISHU_RETRY_MS 10000
#define WEBHOOK_BIG_TEXT 18000

size_t
webhook_part_max(enum webhook_flavour f, int markdown)
{
	switch (f) {
	case WEBHOOK_WECOM:
		return markdown ? 4096 : 2048;
	case WEBHOOK_DINGTALK:
	case WEBHOOK_FEISHU:
		return WEBHOOK_BIG_TEXT;
	default:
		return 0;
	}
}

static const char *
payload_title(const struct herald_message *m)
{
	if (m->subject != NULL && *m->subject != '\0')
		return m->subject;
	if (m->item_title != NULL && *m->item_title != '\0')
		return m->item_title;
	return "通知";
}

/*
 * The generic body is written straight into a buffer instead of built as
 * a jansson object and dumped: json_pack() and json_dumps() were 8 % of a
 * launch's CPU (13 values, the object's hash table, then the dump), for
 * a flat object whose keys never change.  plugin_buf_json_str() escapes
 * strings exactly as json_dumps(JSON_COMPACT) does, and one that is not
 * UTF-8 fails the body as json_string() would.
 */

#define PAYLOAD_MEMBER(b, key, v) plugin_buf_json_member((b), (key), (v), \
	(v) != NULL ? strlen(v) : 0)

/* Caller owns the result; NULL when a string is not UTF-8. */
static char *
payload_generic(const struct webhook_part *p)
{
	const struct herald_message *m = p->msg;
	struct plugin_buf b = { 0 };
	char num[96];

	plugin_buf_add(&b, "{", 1);
	if (PAYLOAD_MEMBER(&b, "key", m->key) == -1 ||
	    PAYLOAD_MEMBER(&b, "kind", m->kind) == -1 ||
	    PAYLOAD_MEMBER(&b, "campaign", m->campaign) == -1 ||
	    PAYLOAD_MEMBER(&b, "item", m->item) == -1 ||
	    PAYLOAD_MEMBER(&b, "title", m->item_title) == -1 ||
	    PAYLOAD_MEMBER(&b, "contact", m->contact) == -1 ||
	    PAYLOAD_MEMBER(&b, "contact_name", m->contact_name) == -1 ||
	    PAYLOAD_MEMBER(&b, "subject", m->subject) == -1 ||
	    plugin_buf_json_member(&b, "body", p->text, p->text_len) == -1) {
		free(b.s);
		return NULL;
	}
	if (m->item_due != 0)
		snprintf(num, sizeof(num), ",\"due\":%lld",
		    (long long)m->item_due);
	else
		snprintf(num, sizeof(num), ",\"due\":null");
	plugin_buf_add(&b, num, strlen(num));
	if (PAYLOAD_MEMBER(&b, "ack_url", m->ack_url) == -1) {
		free(b.s);
		return NULL;
	}
	snprintf(num, sizeof(num), ",\"job_due\":%lld,\"attempt\":%d}",
	    (long long)m->due, (int)m->attempt);
	plugin_buf_add(&b, num, strlen(num));
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Does c end a URL in running text (a space, Chinese, a bracket)? */
static int
payload_url_end(unsigned char c)
{
	return c <= ' ' || c >= 0x80 || strchr("<>\"'()[]{}`", c) != NULL;
}

/* The first http(s) URL in s[0, len): its offset *at and length *n. */
static int
payload_next_url(const char *s, size_t len, size_t *at, size_t *n)
{
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (len - i > 7 && memcmp(s + i, "http://", 7) == 0)
			k = 7;
		else if (len - i > 8 && memcmp(s + i, "https://", 8) == 0)
			k = 8;
		else
			continue;
		while (i + k < len && !payload_url_end((unsigned char)s[i + k]))
			k++;
		*at = i;
		*n = k;
		return 1;
	}
	return 0;
}

/* The label of a link to url: a short phrase for ack links, else url. */
static void
payload_link(struct plugin_buf *b, const struct webhook_part *p,
    const char *url, size_t n)
{
	size_t k = p->ack_prefix != NULL ? strlen(p->ack_prefix) : 0;

	plugin_buf_str(b, "[");
	if (k > 0 && n > k && memcmp(url, p->ack_prefix, k) == 0)
		plugin_buf_str(b, "点此确认");
	else
		plugin_buf_add(b, url, n);
	plugin_buf_str(b, "](");
	plugin_buf_add(b, url, n);
	plugin_buf_str(b, ")");
}

/*
 * The part's text for WeCom and DingTalk markdown, where a bare URL is
 * not a link: each becomes [label](URL).  Into b.
 */
static void
payload_markdown(struct plugin_buf *b, const struct webhook_part *p)
{
	const char *s = p->text;
	size_t len = p->text_len, at, n;

	while (payload_next_url(s, len, &at, &n)) {
		plugin_buf_add(b, s, at);
		payload_link(b, p, s + at, n);
		s += at + n;
		len -= at + n;
	}
	plugin_buf_add(b, s, len);
}

/* The body text of the part: markdown links when asked for. */
static void
payload_text(struct plugin_buf *b, const struct webhook_part *p)
{
	if (p->markdown)
		payload_markdown(b, p);
	else
		plugin_buf_add(b, p->text, p->text_len);
}

/* A JSON array of the mentions' ids whose is_mobile is mobile. */
static json_t *
payload_ids(const struct webhook_part *p, int mobile)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < p->n_mentions; i++)
		if (p->mentions[i].is_mobile == mobile &&
		    json_array_append_new(a, json_string(p->mentions[i].id)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Set name to the array of the mentions of that sort, when there are any. */
static int
payload_set_ids(json_t *o, const char *name, const struct webhook_part *p,
    int mobile)
{
	json_t *a = payload_ids(p, mobile);

	if (a == NULL)
		return -1;
	if (json_array_size(a) == 0 && strcmp(name, "atMobiles") != 0) {
		json_decref(a);
		return 0;
	}
	return json_object_set_new(o, name, a);
}

/*
 * WeCom: text mentions go in mentioned_list (user ids) and
 * mentioned_mobile_list; markdown has no lists, only inline <@userid>,
 * so a mobile cannot be mentioned there.
 */
static json_t *
payload_wecom(const struct webhook_part *p)
{
	struct plugin_buf b = { 0 };
	json_t *text, *body = NULL;

	payload_text(&b, p);
	if (p->markdown) {
		for (size_t i = 0, n = 0; i < p->n_mentions; i++) {
			if (p->mentions[i].is_mobile)
				continue;
			plugin_buf_str(&b, n++ == 0 ? "\n<@" : " <@");
			plugin_buf_str(&b, p->mentions[i].id);
			plugin_buf_str(&b, ">");
		}
		if (!b.failed)
			body = json_pack("{s:s, s:{s:s}}", "msgtype",
			    "markdown", "markdown", "content", b.s);
		free(b.s);
		return body;
	}
	text = b.failed ? NULL : json_pack("{s:s}", "content", b.s);
	free(b.s);
	if (text == NULL || payload_set_ids(text, "mentioned_list", p, 0) == -1 ||
	    payload_set_ids(text, "mentioned_mobile_list", p, 1) == -1) {
		json_decref(text);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "msgtype", "text", "text", text);
}

/*
 * DingTalk: mobiles in at.atMobiles, user ids in at.atUserIds, and the @
 * renders only when the text names each of them too.
 */
static json_t *
payload_dingtalk(const struct webhook_part *p)
{
	const char *title = payload_title(p->msg);
	struct plugin_buf b = { 0 };
	json_t *at, *body = NULL;

	payload_text(&b, p);
	for (size_t i = 0; i < p->n_mentions; i++) {
		plugin_buf_str(&b, i == 0 ? "\n@" : " @");
		plugin_buf_str(&b, p->mentions[i].id);
	}
	at = json_pack("{s:b}", "isAtAll", 0);
	if (b.failed || at == NULL ||
	    payload_set_ids(at, "atMobiles", p, 1) == -1 ||
	    payload_set_ids(at, "atUserIds", p, 0) == -1) {
		json_decref(at);
		free(b.s);
		return NULL;
	}
	if (p->markdown)
		body = json_pack("{s:s, s:{s:s, s:s}, s:o}", "msgtype",
		    "markdown", "markdown", "title", title, "text", b.s,
		    "at", at);
	else
		body = json_pack("{s:s, s:{s:s}, s:o}", "msgtype", "text",
		    "text", "content", b.s, "at", at);
	free(b.s);
	return body;
}

/* Append {"tag":"text"} and {"tag":"a"} nodes for the part's text. */
static int
payload_post_nodes(json_t *para, const struct webhook_part *p)
{
	const char *s = p->text;
	size_t len = p->text_len, at, n;
	int bad = 0;

	while (!bad && payload_next_url(s, len, &at, &n)) {
		size_t k = p->ack_prefix != NULL ? strlen(p->ack_prefix) : 0;
		int ack = k > 0 && n > k && memcmp(s + at, p->ack_prefix, k) == 0;

		if (at > 0)
			bad |= json_array_append_new(para, json_pack(
			    "{s:s, s:s%}", "tag", "text", "text", s, at));
		bad |= json_array_append_new(para, json_pack("{s:s, s:s%, s:s%}",
		    "tag", "a", "text", ack ? "点此确认" : s + at,
		    ack ? strlen("点此确认") : n, "href", s + at, n));
		s += at + n;
		len -= at + n;
	}
	if (!bad && len > 0)
		bad |= json_array_append_new(para, json_pack("{s:s, s:s%}",
		    "tag", "text", "text", s, len));
	return bad ? -1 : 0;
}

/*
 * Feishu mentions by open_id only (a phone cannot be): <at user_id=..>
 * in text, {"tag":"at"} nodes in a post.
 */
static json_t *
payload_feishu(const struct webhook_part *p)
{
	json_t *body = NULL, *para;
	struct plugin_buf b = { 0 };
	char ts[32];

	if (p->markdown) {
		if ((para = json_array()) == NULL ||
		    payload_post_nodes(para, p) == -1) {
			json_decref(para);
			return NULL;
		}
		for (size_t i = 0; i < p->n_mentions; i++)
			if (!p->mentions[i].is_mobile &&
			    json_array_append_new(para, json_pack("{s:s, s:s}",
			    "tag", "at", "user_id", p->mentions[i].id)) == -1) {
				json_decref(para);
				return NULL;
			}
		body = json_pack("{s:s, s:{s:{s:{s:s, s:[o]}}}}",
		    "msg_type", "post", "content", "post", "zh_cn", "title",
		    payload_title(p->msg), "content", para);
	} else {
		plugin_buf_add(&b, p->text, p->text_len);
		for (size_t i = 0, n = 0; i < p->n_mentions; i++) {
			const struct webhook_mention *w = &p->mentions[i];

			if (w->is_mobile)
				continue;
			plugin_buf_str(&b, n++ == 0 ? "\n<at user_id=\"" :
			    " <at user_id=\"");
			plugin_buf_str(&b, w->id);
			plugin_buf_str(&b, "\">");
			plugin_buf_str(&b, w->name != NULL ? w->name : w->id);
			plugin_buf_str(&b, "</at>");
		}
		if (!b.failed)
			body = json_pack("{s:s, s:{s:s}}", "msg_type", "text",
			    "content", "text", b.s);
		free(b.s);
	}
	if (body != NULL && p->feishu_sign != NULL) {
		snprintf(ts, sizeof(ts), "%lld", p->feishu_ts);
		/* The doc's example sends the timestamp as a string. */
		if (json_object_set_new(body, "timestamp", json_string(ts)) == -1 ||
		    json_object_set_new(body, "sign",
		    json_string(p->feishu_sign)) == -1) {
			json_decref(body);
			return NULL;
		}
	}
	return body;
}

char *
webhook_payload(enum webhook_flavour f, const struct webhook_part *p)
{
	json_t *j;
	char *s;

	switch (f) {
	case WEBHOOK_GENERIC:
		return payload_generic(p);
	case WEBHOOK_WECOM:
		j = payload_wecom(p);
		break;
	case WEBHOOK_DINGTALK:
		j = payload_dingtalk(p);
		break;
	default:
		j = payload_feishu(p);
		break;
	}
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* Does body carry an integer member name?  Sets *v. */
static int
classify_code(json_t *root, const char *name, long long *v)
{
	json_t *x = json_object_get(root, name);

	if (!json_is_integer(x))
		return 0;
	*v = json_integer_value(x);
	return 1;
}

static const char *
classify_msg(json_t *root, const char *name)
{
	const char *s = json_string_value(json_object_get(root, name));

	return s != NULL ? s : "";
}

static int
classify_in(long long v, const long long *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

static enum herald_outcome
classify_wecom(long long code, const char *msg, unsigned *retry_ms,
    char *reason, size_t len)
{
	if (code == 0)
		return HERALD_DELIVERED;
	snprintf(reason, len, "wecom errcode %lld (%.100s)", code, msg);
	if (code == 45009) {
		*retry_ms = WEBHOOK_RATE_RETRY_MS;
		return HERALD_TRANSIENT;
	}
	/* 93000 bad key, 40058 too long, 40008 bad type, 44004 empty... */
	return HERALD_PERMANENT;
}

static enum herald_outcome
classify_dingtalk(long long code, const char *msg, unsigned *retry_ms,
    char *reason, size_t len)
{
	static const long long throttled[] = { 130101, 410100 };

	if (code == 0)
		return HERALD_DELIVERED;
	snprintf(reason, len, "dingtalk errcode %lld (%.100s)", code, msg);
	if (classify_in(code, throttled, 2)) {
		*retry_ms = WEBHOOK_THROTTLE_MS;
		return HERALD_TRANSIENT;
	}
	/* 310000 security, 300001/300005/400101 token, 4001xx robot... */
	return HERALD_PERMANENT;
}

static enum herald_outcome
classify_feishu(long long code, const char *msg, unsigned *retry_ms,
    char *reason, size_t len)
{
	if (code == 0)
		return HERALD_DELIVERED;
	snprintf(reason, len, "feishu code %lld (%.100s)", code, msg);
	if (code == 11232 || (code == 9499 && strcasestr(msg, "too many") != NULL)) {
		*retry_ms = WEBHOOK_FEISHU_RETRY_MS;
		return HERALD_TRANSIENT;
	}
	/* 9499 bad request, 19001 token, 19002 params, 19021 sign... */
	return HERALD_PERMANENT;
}

enum herald_outcome
webhook_classify(enum webhook_flavour f, const struct herald_http_response *r,
    unsigned *retry_ms, char *reason, size_t len)
{
	enum herald_outcome o;
	json_t *root = NULL;
	long long code;
	int have;

	*retry_ms = 0;
	reason[0] = '\0';
	if (r->status == 0) {
		snprintf(reason, len, "%s", r->timed_out ? "timed out" :
		    r->error ? r->error : "no answer");
		return HERALD_TRANSIENT;
	}
	if (r->status == 429 || r->status >= 500) {
		*retry_ms = r->retry_after_ms;
		snprintf(reason, len, "HTTP %ld", r->status);
		return HERALD_TRANSIENT;
	}
	if (f == WEBHOOK_GENERIC) {
		if (r->status >= 200 && r->status < 300)
			return HERALD_DELIVERED;
		snprintf(reason, len, "HTTP %ld", r->status);
		return r->status == 408 ? HERALD_TRANSIENT : HERALD_PERMANENT;
	}
	/* Vendors answer errors with 200 (and Feishu with 400): read codes. */
	if (r->body != NULL && r->body_len > 0)
		root = json_loadb(r->body, r->body_len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(reason, len, "HTTP %ld with an unreadable answer",
		    r->status);
		return r->status >= 200 && r->status < 300 ? HERALD_TRANSIENT :
		    HERALD_PERMANENT;
	}
	switch (f) {
	case WEBHOOK_WECOM:
		have = classify_code(root, "errcode", &code);
		o = have ? classify_wecom(code, classify_msg(root, "errmsg"),
		    retry_ms, reason, len) : HERALD_TRANSIENT;
		break;
	case WEBHOOK_DINGTALK:
		have = classify_code(root, "errcode", &code);
		o = have ? classify_dingtalk(code, classify_msg(root, "errmsg"),
		    retry_ms, reason, len) : HERALD_TRANSIENT;
		break;
	default:
		/* code, else the legacy StatusCode of older deployments. */
		if ((have = classify_code(root, "code", &code)))
			o = classify_feishu(code, classify_msg(root, "msg"),
			    retry_ms, reason, len);
		else if ((have = classify_code(root, "StatusCode", &code)))
			o = classify_feishu(code, classify_msg(root,
			    "StatusMessage"), retry_ms, reason, len);
		else
			o = HERALD_TRANSIENT;
		break;
	}
	json_decref(root);
	if (!have) {
		snprintf(reason, len, "HTTP %ld without a result code", r->status);
		if (r->status >= 400)
			o = HERALD_PERMANENT;
	} else if (o == HERALD_DELIVERED && (r->status < 200 || r->status >= 300)) {
		/* A zero code on an error status: trust the status. */
		snprintf(reason, len, "HTTP %ld", r->status);
		o = HERALD_PERMANENT;
	}
	return o;
}
