/*
 * test_smsgw.c - the sms plugin's generic gateway templates: placeholders
 * escaped for a JSON body, a URL query and a header; unknown names and
 * unavailable values refused; the success_json check of an answer.
 *
 * Expected strings are written out by hand (JSON and percent-encoding of
 * the Chinese text worked out from its UTF-8 bytes), not produced by the
 * code under test.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "smsgw.h"

static const char sig[] = "【商务部】";
/* signature + body, with a quote, a backslash, a newline and a tab. */
static const char text[] = "【商务部】王\"晓\\明\n请报送\t名单";

static struct smsgw_vars
vars(void)
{
	struct smsgw_vars v = {
		.to = "+8613800138000",
		.to_national = "13800138000",
		.text = text,
		.text_len = sizeof(text) - 1,
		.body = text + sizeof(sig) - 1,
		.body_len = sizeof(text) - sizeof(sig),
		.signature = sig,
		.key = "0b5c-key",
		.password = "pa55 &=?",
		.part = 1,
		.parts = 2,
	};

	return v;
}

static void
test_json_body(void **state)
{
	struct smsgw_vars v = vars();
	char *out = NULL, err[256];

	(void)state;
	assert_int_equal(smsgw_expand("{\"to\":\"{{to}}\",\"text\":\"{{text}}\","
	    "\"sign\":\"{{signature}}\",\"id\":\"{{key}}\",\"n\":{{part}},"
	    "\"of\":{{parts}}}", SMSGW_JSON, &v, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "{\"to\":\"+8613800138000\",\"text\":"
	    "\"【商务部】王\\\"晓\\\\明\\n请报送\\t名单\",\"sign\":\"【商务部】\","
	    "\"id\":\"0b5c-key\",\"n\":1,\"of\":2}");
	free(out);

	assert_int_equal(smsgw_expand("[\"{{to_national}}\",\"{{body}}\"]",
	    SMSGW_JSON, &v, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "[\"13800138000\","
	    "\"王\\\"晓\\\\明\\n请报送\\t名单\"]");
	free(out);
}

static void
test_query(void **state)
{
	struct smsgw_vars v = vars();
	char *out = NULL, err[256];

	(void)state;
	v.text = "【商务部】a b&c=d\n";
	v.text_len = strlen(v.text);
	assert_int_equal(smsgw_expand("mobile={{to}}&msg={{text}}"
	    "&pw={{password}}", SMSGW_QUERY, &v, &out, err, sizeof(err)), 0);
	/* 【 = E3 80 90, 商 = E5 95 86, 务 = E5 8A A1, 部 = E9 83 A8,
	 * 】 = E3 80 91. */
	assert_string_equal(out, "mobile=%2B8613800138000&msg="
	    "%E3%80%90%E5%95%86%E5%8A%A1%E9%83%A8%E3%80%91a%20b%26c%3Dd%0A"
	    "&pw=pa55%20%26%3D%3F");
	free(out);
}

static void
test_header(void **state)
{
	struct smsgw_vars v = vars();
	char *out = NULL, err[256];

	(void)state;
	assert_int_equal(smsgw_expand("Authorization: Bearer {{password}}",
	    SMSGW_HEADER, &v, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "Authorization: Bearer pa55 &=?");
	free(out);
	/* A newline would start a header of its own. */
	v.password = "x\r\nX-Evil: 1";
	assert_int_equal(smsgw_expand("Authorization: {{password}}",
	    SMSGW_HEADER, &v, &out, err, sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "control character"));
	assert_null(strstr(err, "Evil"));	/* never the value */
}

static void
test_errors(void **state)
{
	struct smsgw_vars v = vars();
	char *out = NULL, err[256];

	(void)state;
	assert_int_equal(smsgw_check("{\"a\":\"{{to}}\",\"b\":\"{{txt}}\"}",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "{{txt}}"));
	assert_int_equal(smsgw_check("{{text", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unclosed"));
	assert_int_equal(smsgw_check("no holes at all", err, sizeof(err)), 0);
	assert_int_equal(smsgw_check("{{to}}{{to_national}}{{text}}{{body}}"
	    "{{signature}}{{key}}{{password}}{{part}}{{parts}}", err,
	    sizeof(err)), 0);

	v.to = "+14155550100";
	v.to_national = NULL;		/* not a mainland number */
	assert_int_equal(smsgw_expand("{{to_national}}", SMSGW_JSON, &v, &out,
	    err, sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "to_national"));

	v = vars();
	v.text = "\xe4\xb8";		/* cut in the middle of 中 */
	v.text_len = 2;
	assert_int_equal(smsgw_expand("\"{{text}}\"", SMSGW_JSON, &v, &out,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UTF-8"));

	assert_int_equal(smsgw_expand("plain", SMSGW_JSON, &v, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "plain");
	free(out);
}

static void
test_success(void **state)
{
	char why[128], *f, *val;
	const char ok[] = "{\"code\":0,\"msg\":\"成功\"}";
	const char bad[] = "{\"code\":1024,\"msg\":\"余额不足\"}";
	const char str[] = "{\"status\":\"OK\"}";

	(void)state;
	assert_int_equal(smsgw_parse_success("code=0", &f, &val), 0);
	assert_string_equal(f, "code");
	assert_string_equal(val, "0");
	assert_int_equal(smsgw_success(ok, sizeof(ok) - 1, f, val, why,
	    sizeof(why)), 1);
	assert_int_equal(smsgw_success(bad, sizeof(bad) - 1, f, val, why,
	    sizeof(why)), 0);
	assert_string_equal(why, "code=1024");
	assert_int_equal(smsgw_success("not json", 8, f, val, why,
	    sizeof(why)), 0);
	assert_int_equal(smsgw_success(str, sizeof(str) - 1, f, val, why,
	    sizeof(why)), 0);
	assert_string_equal(why, "answer has no \"code\"");
	free(f);
	free(val);

	assert_int_equal(smsgw_parse_success("status=OK", &f, &val), 0);
	assert_int_equal(smsgw_success(str, sizeof(str) - 1, f, val, why,
	    sizeof(why)), 1);
	free(f);
	free(val);

	assert_int_equal(smsgw_parse_success("code", &f, &val), -1);
	assert_int_equal(smsgw_parse_success("=0", &f, &val), -1);
	assert_int_equal(smsgw_parse_success("code=", &f, &val), -1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_json_body),
	cmocka_unit_test(test_query),
	cmocka_unit_test(test_header),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_success),
};

UNIT_MAIN(tests)
