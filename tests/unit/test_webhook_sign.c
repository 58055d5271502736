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

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_feishu_vectors),
	cmocka_unit_test(test_dingtalk_vectors),
	cmocka_unit_test(test_generic_signature),
	cmocka_unit_test(test_url_encode),
	cmocka_unit_test(test_split),
	cmocka_unit_test(test_classify),
	cmocka_unit_test(test_payload_feishu_signed),
};

UNIT_MAIN(tests)
