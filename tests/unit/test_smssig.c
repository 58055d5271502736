/*
 * test_smssig.c - one 【】 block per SMS: the signature in front, a body's
 * own leading tag turned into "tag：", any other 【】 into 〔〕; no change
 * without a signature.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "smssig.h"

static void
check(const char *sig, const char *body, const char *want)
{
	char *got = smssig_apply(sig, body);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_signed(void **state)
{
	(void)state;
	check("【商务部】", "请于8月5日前报送。", "【商务部】请于8月5日前报送。");
	/* A built-in's tag: the carrier would refuse two blocks. */
	check("【商务部】", "【提醒】2023年全国消费促进月“报送”将于8月5日截止。",
	    "【商务部】提醒：2023年全国消费促进月“报送”将于8月5日截止。");
	/* A campaign in brackets inside the text. */
	check("【商务部】", "启动仪式【2023年全国消费促进月】现在开始【直播】",
	    "【商务部】启动仪式〔2023年全国消费促进月〕现在开始〔直播〕");
	/* A lone bracket, an empty body. */
	check("【商务部】", "【未闭合", "【商务部】〔未闭合");
	check("【商务部】", "", "【商务部】");
}

static void
test_unsigned(void **state)
{
	(void)state;
	check(NULL, "【提醒】报送", "【提醒】报送");
	check("", "【提醒】报送", "【提醒】报送");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_signed),
	cmocka_unit_test(test_unsigned),
};

UNIT_MAIN(tests)
