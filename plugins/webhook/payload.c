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
#include <string.h>
#include <strings.h>

#include <jansson.h>

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

static json_t *
payload_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
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

/* Caller owns the result. */
static json_t *
payload_generic(const struct webhook_part *p)
{
	const struct herald_message *m = p->msg;

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:I, s:i}",
	    "key", payload_str(m->key),
	    "kind", payload_str(m->kind),
	    "campaign", payload_str(m->campaign),
	    "item", payload_str(m->item),
	    "title", payload_str(m->item_title),
	    "contact", payload_str(m->contact),
	    "contact_name", payload_str(m->contact_name),
	    "subject", payload_str(m->subject),
	    "body", json_stringn(p->text, p->text_len),
	    "due", m->item_due != 0 ? json_integer(m->item_due) : json_null(),
	    "ack_url", payload_str(m->ack_url),
	    "job_due", (json_int_t)m->due,
	    "attempt", (int)m->attempt);
}

/* The mention is a mobile unless it has a letter (a WeCom userid). */
static int
payload_is_mobile(const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != '+')
			return 0;
	return 1;
}

static json_t *
payload_wecom(const struct webhook_part *p)
{
	json_t *text;

	if (p->markdown)
		return json_pack("{s:s, s:{s:s%}}", "msgtype", "markdown",
		    "markdown", "content", p->text, p->text_len);
	if ((text = json_pack("{s:s%}", "content", p->text, p->text_len)) == NULL)
		return NULL;
	if (p->mention != NULL && json_object_set_new(text,
	    payload_is_mobile(p->mention) ? "mentioned_mobile_list" :
	    "mentioned_list", json_pack("[s]", p->mention)) == -1) {
		json_decref(text);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "msgtype", "text", "text", text);
}

static json_t *
payload_dingtalk(const struct webhook_part *p)
{
	const char *title = payload_title(p->msg);
	json_t *at, *body;
	char *text;
	size_t n;

	/* The @ renders only when the text names the mobile too. */
	n = p->text_len + (p->mention ? strlen(p->mention) + 3 : 0) + 1;
	if ((text = malloc(n)) == NULL)
		return NULL;
	memcpy(text, p->text, p->text_len);
	text[p->text_len] = '\0';
	if (p->mention != NULL) {
		strcat(text, "\n@");
		strcat(text, p->mention);
	}
	at = json_pack("{s:[], s:b}", "atMobiles", "isAtAll", 0);
	if (at != NULL && p->mention != NULL)
		json_array_append_new(json_object_get(at, "atMobiles"),
		    json_string(p->mention));
	if (p->markdown)
		body = json_pack("{s:s, s:{s:s, s:s}, s:o}", "msgtype",
		    "markdown", "markdown", "title", title, "text", text,
		    "at", at);
	else
		body = json_pack("{s:s, s:{s:s}, s:o}", "msgtype", "text",
		    "text", "content", text, "at", at);
	free(text);
	return body;
}

static json_t *
payload_feishu(const struct webhook_part *p)
{
	json_t *body;
	char ts[32];

	if (p->markdown)
		body = json_pack("{s:s, s:{s:{s:{s:s, s:[[{s:s, s:s%}]]}}}}",
		    "msg_type", "post", "content", "post", "zh_cn", "title",
		    payload_title(p->msg), "content", "tag", "text", "text",
		    p->text, p->text_len);
	else
		body = json_pack("{s:s, s:{s:s%}}", "msg_type", "text",
		    "content", "text", p->text, p->text_len);
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
	case WEBHOOK_WECOM:
		j = payload_wecom(p);
		break;
	case WEBHOOK_DINGTALK:
		j = payload_dingtalk(p);
		break;
	case WEBHOOK_FEISHU:
		j = payload_feishu(p);
		break;
	default:
		j = payload_generic(p);
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
