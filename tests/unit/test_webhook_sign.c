/*
 * test_webhook_sign.c - the webhook plugin's pure code: robot signatures
 * against the VENDORS.md test vectors (computed there with two other
 * HMAC implementations), message splitting, and the reading of vendors'
 * answers.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "payload.h"
#include "sign.h"

static void
test_feishu_vectors(void **state)
{
	char out[WEBHOOK_SIGN_MAX];

	(void)state;
	assert_int_equal(webhook_sign_feishu("demo", 1599360473, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
	/* The DingTalk-style roles give this: it must not come out. */
	assert_string_not_equal(out, "DkEDUyVoOOJ539qBvUgMyzkzIdRWlf4e/V3Rq+ONJnQ=");
	assert_int_equal(webhook_sign_feishu("dGhpcyBpcyBhIGtleQ==", 1716283459,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "8EyY+xxfJvzWjZQpdc2mgvQFaG7lF5nbxl7RITyMkJU=");
	assert_int_equal(webhook_sign_feishu("demo", 1599360473, out, 20), -1);
}

static void
test_dingtalk_vectors(void **state)
{
	char out[WEBHOOK_SIGN_MAX], b64[64];

	(void)state;
	assert_int_equal(webhook_sign_dingtalk("this is secret", 1599360473000LL,
	    out, sizeof(out), b64, sizeof(b64)), 0);
	assert_string_equal(b64, "hXZTWifRGHclNuZSKxoXc//sh51SWfVfRIhcdeKs63I=");
	assert_string_equal(out,
	    "hXZTWifRGHclNuZSKxoXc%2F%2Fsh51SWfVfRIhcdeKs63I%3D");
	assert_int_equal(webhook_sign_dingtalk("SEC0123456789abcdef",
	    1700000000000LL, out, sizeof(out), b64, sizeof(b64)), 0);
	assert_string_equal(b64, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=");
	assert_string_equal(out,
	    "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D");
}

static void
test_generic_signature(void **state)
{
	char out[80];

	(void)state;
	/* RFC 4231 test case 2: key "Jefe". */
	assert_int_equal(webhook_sign_generic("Jefe",
	    "what do ya want for nothing?", 28, out, sizeof(out)), 0);
	assert_string_equal(out, "sha256=5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	assert_int_equal(webhook_sign_generic("Jefe", "x", 1, out, 40), -1);
}

static void
test_url_encode(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(webhook_url_encode("a+b/c=d~_.-", out, sizeof(out)), 17);
	assert_string_equal(out, "a%2Bb%2Fc%3Dd~_.-");
	assert_int_equal(webhook_url_encode("值", out, sizeof(out)), 9);
	assert_string_equal(out, "%E5%80%BC");
	assert_int_equal(webhook_url_encode("abcdef", out, 4), -1);
}

/* Split all of s with limit max; check every part and the reassembly. */
static size_t
split_all(const char *s, size_t max, size_t *lens, size_t nlens)
{
	size_t len = strlen(s), at = 0, n = 0, step;
	char *back = calloc(1, len + 1);

	assert_non_null(back);
	while (at < len) {
		step = webhook_split_next(s + at, len - at, max);
		assert_true(step > 0 && step <= max);
		/* No part starts inside a character. */
		assert_true(((unsigned char)s[at] & 0xC0) != 0x80);
		memcpy(back + at, s + at, step);
		if (n < nlens)
			lens[n] = step;
		n++;
		at += step;
	}
	assert_memory_equal(back, s, len);
	free(back);
	return n;
}

static void
test_split(void **state)
{
	size_t lens[16];
	char big[8192];
	size_t i, off;

	(void)state;
	/* Fits: one part. */
	assert_int_equal(split_all("短消息", 2048, lens, 16), 1);
	/* A newline in the second half of the window wins. */
	assert_int_equal(split_all("aaaaaaa\nbbbbbbb", 10, lens, 16), 2);
	assert_int_equal(lens[0], 8);
	/* A sentence end: 。 is 3 bytes; "一二三。" is 12 bytes. */
	assert_int_equal(split_all("一二三。四五六七", 14, lens, 16), 2);
	assert_int_equal(lens[0], 12);
	/* No boundary: cut before the character that would not fit. */
	assert_int_equal(split_all("一二三四五", 8, lens, 16), 3);
	assert_int_equal(lens[0], 6);
	assert_int_equal(lens[1], 6);
	assert_int_equal(lens[2], 3);
	/* ASCII sentence ends only before a space: "3.5" stays whole. */
	assert_int_equal(split_all("ab. cd3.5ef", 9, lens, 16), 2);
	assert_int_equal(lens[0], 3);
	/* ！ and ？ are sentence ends too. */
	assert_int_equal(split_all("好！好？好好好", 13, lens, 16), 2);
	assert_int_equal(lens[0], 12);

	/* A long Chinese text with lines: parts within 2048 bytes. */
	big[0] = '\0';
	for (i = 0; strlen(big) + 100 < sizeof(big); i++)
		strcat(big, i % 7 == 6 ? "请各地联络员按时报送。\n" :
		    "逾期未报视为无活动，");
	assert_true(split_all(big, 2048, lens, 16) >= 4);
	for (i = 0, off = 0; i < 3; i++) {
		/* Each full part ends at a line end, in the window's 2nd half. */
		off += lens[i];
		assert_true(lens[i] > 1024);
		assert_int_equal(big[off - 1], '\n');
	}
}

static struct herald_http_response
resp(long status, const char *body)
{
	struct herald_http_response r = { 0 };

	r.status = status;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	return r;
}

static void
test_classify(void **state)
{
	struct herald_http_response r;
	unsigned ms;
	char why[256];

	(void)state;
	r = resp(200, "{\"errcode\":0,\"errmsg\":\"ok\"}");
	assert_int_equal(webhook_classify(WEBHOOK_WECOM, &r, &ms, why,
	    sizeof(why)), HERALD_DELIVERED);
	r = resp(200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}");
	assert_int_equal(webhook_classify(WEBHOOK_WECOM, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	assert_true(ms >= 60000);
	assert_non_null(strstr(why, "45009"));
	r = resp(200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}");
	assert_int_equal(webhook_classify(WEBHOOK_WECOM, &r, &ms, why,
	    sizeof(why)), HERALD_PERMANENT);
	r = resp(200, "{\"errcode\":130101,\"errmsg\":\"send too fast\"}");
	assert_int_equal(webhook_classify(WEBHOOK_DINGTALK, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	assert_true(ms >= 600000);
	r = resp(200, "{\"errcode\":410100,\"errmsg\":\"x\"}");
	assert_int_equal(webhook_classify(WEBHOOK_DINGTALK, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	r = resp(200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}");
	assert_int_equal(webhook_classify(WEBHOOK_DINGTALK, &r, &ms, why,
	    sizeof(why)), HERALD_PERMANENT);
	r = resp(200, "{\"code\":0,\"msg\":\"success\",\"data\":{}}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_DELIVERED);
	r = resp(200, "{\"Extra\":null,\"StatusCode\":0,\"StatusMessage\":\"success\"}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_DELIVERED);
	r = resp(400, "{\"code\":9499,\"msg\":\"too many request\"}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	r = resp(400, "{\"code\":9499,\"msg\":\"Bad Request\"}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_PERMANENT);
	r = resp(200, "{\"code\":11232,\"msg\":\"frequency limited\"}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	r = resp(200, "{\"code\":19021,\"msg\":\"sign match fail\"}");
	assert_int_equal(webhook_classify(WEBHOOK_FEISHU, &r, &ms, why,
	    sizeof(why)), HERALD_PERMANENT);
	/* HTTP rules, every flavour. */
	r = resp(429, "");
	r.retry_after_ms = 3000;
	assert_int_equal(webhook_classify(WEBHOOK_GENERIC, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	assert_int_equal(ms, 3000);
	r = resp(503, "");
	assert_int_equal(webhook_classify(WEBHOOK_WECOM, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	r = resp(404, "");
	assert_int_equal(webhook_classify(WEBHOOK_GENERIC, &r, &ms, why,
	    sizeof(why)), HERALD_PERMANENT);
	r = resp(204, "");
	assert_int_equal(webhook_classify(WEBHOOK_GENERIC, &r, &ms, why,
	    sizeof(why)), HERALD_DELIVERED);
	r = resp(0, NULL);
	r.timed_out = 1;
	assert_int_equal(webhook_classify(WEBHOOK_DINGTALK, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
	/* A 200 a vendor flavour cannot read is not a delivery. */
	r = resp(200, "<html>proxy</html>");
	assert_int_equal(webhook_classify(WEBHOOK_WECOM, &r, &ms, why,
	    sizeof(why)), HERALD_TRANSIENT);
}

static void
test_payload_feishu_signed(void **state)
{
	struct herald_message m = { 0 };
	struct webhook_part p = { 0 };
	char *s;

	(void)state;
	m.key = "k";
	m.body = "新更新提醒";
	p.msg = &m;
	p.text = m.body;
	p.text_len = strlen(m.body);
	p.feishu_sign = "SIG";
	p.feishu_ts = 1599360473;
	s = webhook_payload(WEBHOOK_FEISHU, &p);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"timestamp\":\"1599360473\""));
	assert_non_null(strstr(s, "\"sign\":\"SIG\""));
	assert_non_null(strstr(s, "\"msg_type\":\"text\""));
	assert_non_null(strstr(s, "\"text\":\"新更新提醒\""));
	free(s);
}

/* The generic body as jansson builds it: the expectation. */
static char *
jansson_generic(const struct webhook_part *p)
{
	const struct herald_message *m = p->msg;
#define JS(v) ((v) != NULL ? json_string(v) : json_null())
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:I, s:i}", "key", JS(m->key), "kind", JS(m->kind),
	    "campaign", JS(m->campaign), "item", JS(m->item),
	    "title", JS(m->item_title), "contact", JS(m->contact),
	    "contact_name", JS(m->contact_name), "subject", JS(m->subject),
	    "body", json_stringn(p->text, p->text_len),
	    "due", m->item_due != 0 ? json_integer(m->item_due) : json_null(),
	    "ack_url", JS(m->ack_url), "job_due", (json_int_t)m->due,
	    "attempt", (int)m->attempt);
#undef JS
	char *s;

	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/*
 * The generic body is written without jansson: byte for byte what
 * json_pack + json_dumps(JSON_COMPACT) gave, for quotes, backslashes,
 * every control character, DEL, slashes, CJK, a 4-byte emoji, a NUL
 * inside the body, absent fields; and no body for text that is not
 * UTF-8, as json_string() refuses it.
 */
static void
test_payload_generic_bytes(void **state)
{
	static const char *const texts[] = {
		"请于1月2日前提交材料。",
		"say \"hi\" \\ back/slash\x7f",
		"tab\there\nnew\rline\b\f\x01\x1f end",
		"emoji \xf0\x9f\x8e\x89 and \xe2\x80\xa8 sep",
		"",
	};
	static const char *const bad[] = {
		"\xc0\x80",		/* overlong NUL */
		"\xed\xa0\x80",		/* a surrogate */
		"\xf4\x90\x80\x80",	/* past U+10FFFF */
		"cut \xe4\xb8",		/* cut short */
		"\xff",
		"\xe0\x9f\xbf",		/* overlong 3-byte */
		"\xf0\x8f\xbf\xbf",	/* overlong 4-byte */
	};
	struct herald_message m = { .key = "6f1c2a9e-8a43-4c55-9b1e-0d3f5c7a2b11",
	    .kind = "launch-go", .campaign = "xfcjy-2023", .item = "launch",
	    .item_title = "启动仪式 \"开幕\"", .item_due = 1693526400,
	    .contact = "c1", .contact_name = "王科长\t(联络员)",
	    .subject = NULL, .ack_url = "https://ack.example/a?k=1&x=/y",
	    .due = 1693522800, .attempt = 3 };
	struct webhook_part p = { .msg = &m };
	char *got, *want, nul_body[] = "a\0b";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		p.text = texts[i];
		p.text_len = strlen(texts[i]);
		m.item_due = i % 2 ? 0 : 1693526400;
		m.subject = i % 2 ? texts[i] : NULL;
		want = jansson_generic(&p);
		got = webhook_payload(WEBHOOK_GENERIC, &p);
		assert_non_null(want);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	p.text = nul_body;
	p.text_len = 3;
	want = jansson_generic(&p);
	got = webhook_payload(WEBHOOK_GENERIC, &p);
	assert_non_null(strstr(got, "\"body\":\"a\\u0000b\""));
	assert_string_equal(got, want);
	free(got);
	free(want);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.text = bad[i];
		p.text_len = strlen(bad[i]);
		assert_null(jansson_generic(&p));
		assert_null(webhook_payload(WEBHOOK_GENERIC, &p));
		/* In any string field, not only the body. */
		p.text = "ok";
		p.text_len = 2;
		m.contact_name = bad[i];
		assert_null(webhook_payload(WEBHOOK_GENERIC, &p));
		m.contact_name = "王科长";
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_feishu_vectors),
	cmocka_unit_test(test_dingtalk_vectors),
	cmocka_unit_test(test_generic_signature),
	cmocka_unit_test(test_url_encode),
	cmocka_unit_test(test_split),
	cmocka_unit_test(test_classify),
	cmocka_unit_test(test_payload_feishu_signed),
	cmocka_unit_test(test_payload_generic_bytes),
};

UNIT_MAIN(tests)
