/*
 * test_render.c - messages for each job kind from a hand-built model:
 * the built-in notices word for word, template choice, placeholders,
 * template checking.
 *
 * Instants are literals computed outside herald, e.g.
 *   TZ=Asia/Shanghai date -d '2023-08-05 17:00' +%s
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "model.h"
#include "render.h"
#include "xmalloc.h"

#define DAY	86400
#define HOUR	3600

/* TZ=Asia/Shanghai date -d '2023-08-05 17:00' +%s */
#define T_DUE		1691226000
/* TZ=Asia/Shanghai date -d '2023-07-28 17:00' +%s */
#define T_JUL28_1700	1690534800
/* TZ=Asia/Shanghai date -d '2023-08-04 15:00' +%s */
#define T_AUG04_1500	1691132400
/* TZ=Asia/Shanghai date -d '2023-08-06 17:00' +%s */
#define T_AUG06_1700	1691312400
/* TZ=Asia/Shanghai date -d '2023-08-07 17:00' +%s */
#define T_AUG07_1700	1691398800
/* TZ=Asia/Shanghai date -d '2023-08-04 17:00' +%s */
#define T_AUG04_1700	1691139600
/* TZ=Asia/Shanghai date -d '2023-09-10 10:00' +%s */
#define T_LAUNCH	1694311200
/* TZ=Asia/Shanghai date -d '2023-09-10 09:00' +%s */
#define T_SEP10_0900	1694307600
/* TZ=Asia/Shanghai date -d '2023-09-09 19:00' +%s */
#define T_SLOT_FROM	1694257200
/* TZ=Asia/Shanghai date -d '2023-09-09 18:00' +%s */
#define T_SLOT_REMIND	1694253600
/* TZ=Asia/Shanghai date -d '2023-09-09 20:00' +%s */
#define T_SLOT_TO	1694260800
/* TZ=Asia/Shanghai date -d '2023-08-01 00:00' +%s */
#define T_AUG01_0000	1690819200
/* TZ=Asia/Shanghai date -d '2023-08-09 00:00' +%s */
#define T_AUG09_0000	1691510400
/* TZ=Asia/Shanghai date -d '2023-07-28 00:00' +%s */
#define T_JUL28_0000	1690473600
/* TZ=Asia/Shanghai date -d '2023-07-28 09:00' +%s */
#define T_JUL28_0900	1690506000
/* TZ=Asia/Shanghai date -d '2023-09-16 14:32' +%s */
#define T_INCIDENT	1694845920

#define TITLE	"报送联络机制名单（附件1）"
#define ACK	"https://herald.example.gov.cn/a/3f9c"

struct fx {
	struct model m;
	struct model_launch launch;
	struct model_channel ch[2];
	struct model_unit unit[1];
	struct model_contact k[2];
	struct model_campaign c;
	struct model_deadline dl[1];
	struct model_task task[1];
	struct model_phase phase[1];
	struct model_stage stage[1];
	struct model_slot slot[1];
	struct model_plan plan[1];
	struct model_template tpl[4];
};

static struct model_time
at(const char *text, int64_t t, int date_only)
{
	struct model_time mt = { text, t, date_only };

	return mt;
}

static struct fx *
fx_new(void)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct model_campaign *c = &f->c;

	f->ch[0].name = "sms";
	f->ch[1].name = "wecom";
	f->unit[0] = (struct model_unit){ .id = "beijing",
	    .name = "北京市商务局", .liaison = &f->k[0] };
	f->k[0] = (struct model_contact){ .id = "bj-wang", .name = "王晓明",
	    .unit = &f->unit[0] };
	f->k[1] = (struct model_contact){ .id = "mofcom-desk",
	    .name = "消费促进司值班室" };

	c->id = "xfcjy-2023";
	c->title = "2023年全国消费促进月";
	c->timezone = "Asia/Shanghai";
	c->period_from = at("2023-08-01", T_AUG01_0000, 1);
	c->period_to = at("2023-08-09", T_AUG09_0000, 1);
	f->launch.id = "launch";
	c->launches = &f->launch;
	c->n_launches = 1;
	f->launch.title = "全国消费促进月启动仪式";
	f->launch.at = at("2023-09-10 10:00", T_LAUNCH, 0);
	f->dl[0] = (struct model_deadline){ .id = "liaison-list",
	    .title = TITLE, .due = at("2023-08-05 17:00", T_DUE, 0),
	    .overdue = 1 };
	c->deadlines = f->dl;
	c->n_deadlines = 1;
	f->task[0] = (struct model_task){ .id = "promo-events",
	    .title = "组织重点促消费活动", .lead = &f->unit[0],
	    .due = at("2023-08-07 17:00", T_AUG07_1700, 0) };
	c->tasks = f->task;
	c->n_tasks = 1;
	f->phase[0] = (struct model_phase){ .id = "publicity",
	    .title = "宣传阶段", .from = at("2023-08-01", T_AUG01_0000, 1),
	    .to = at("2023-08-09", T_AUG09_0000, 1) };
	c->phases = f->phase;
	c->n_phases = 1;
	f->stage[0] = (struct model_stage){ .id = "cctv",
	    .title = "总台直播间" };
	f->slot[0] = (struct model_slot){ .stage = &f->stage[0],
	    .title = "老字号嘉年华",
	    .from = at("2023-09-09 19:00", T_SLOT_FROM, 0),
	    .to = at("2023-09-09 20:00", T_SLOT_TO, 0), .host = &f->k[0] };
	c->stages = f->stage;
	c->n_stages = 1;
	c->slots = f->slot;
	c->n_slots = 1;
	f->plan[0] = (struct model_plan){ .id = "stampede",
	    .title = "促销场所踩踏事故应急预案", .level = 1,
	    .steps = "1. 立即疏散人群 2. 报告属地应急管理部门" };
	c->plans = f->plan;
	c->n_plans = 1;

	f->m.daemon.timezone = "Asia/Shanghai";
	f->m.channels = f->ch;
	f->m.n_channels = 2;
	f->m.units = f->unit;
	f->m.n_units = 1;
	f->m.contacts = f->k;
	f->m.n_contacts = 2;
	f->m.campaigns = c;
	f->m.n_campaigns = 1;
	return f;
}

static struct job
job(enum job_kind kind, const char *item, int64_t offset, int64_t due,
    int64_t item_at)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	strcpy(j.key, "00000000-0000-5000-8000-000000000000");
	j.kind = kind;
	j.campaign = "xfcjy-2023";
	j.item = item;
	j.offset = offset;
	j.contact = "bj-wang";
	j.channel = "wecom";
	j.due = due;
	j.next_at = due;
	j.item_at = item_at;
	return j;
}

/* Render j at now; the test owns *subject and the returned body. */
static char *
render(struct fx *f, const struct job *j, int64_t now, const char *ack,
    char **subject)
{
	/* Every channel of the fixture carries links. */
	struct render_extra x = { .ack_url = ack, .now = now, .link_ok = 1 };
	char err[256], *body = NULL, *subj = NULL;

	assert_int_equal(render_job(&f->m, j, &x, &subj, &body, err,
	    sizeof(err)), 0);
	assert_non_null(body);
	if (subject != NULL)
		*subject = subj;
	else
		free(subj);
	return body;
}

static void
test_reminder(void **state)
{
	struct fx *f = fx_new();
	struct job j = job(JOB_REMINDER, "liaison-list", 7 * DAY,
	    T_JUL28_1700, T_DUE);
	char *body, *subject;

	(void)state;
	/* The "7 days before" reminder went out on Friday Jul 28: 8 days. */
	body = render(f, &j, T_JUL28_1700, NULL, &subject);
	/* Issue 11: the campaign in the text, the weekday of a deadline
	 * that is not today. */
	assert_string_equal(body, "【提醒】2023年全国消费促进月“" TITLE
	    "”将于8月5日 17:00（星期六）截止，还剩8天，请按时报送。");
	assert_string_equal(subject, "【提醒】" TITLE "（8月5日 17:00截止）");
	free(body);
	free(subject);

	/* With acks on, the link is appended. */
	body = render(f, &j, T_JUL28_1700, ACK, NULL);
	/* Issue 11: no ASCII space before the Chinese. */
	assert_string_equal(body, "【提醒】2023年全国消费促进月“" TITLE
	    "”将于8月5日 17:00（星期六）截止，还剩8天，请按时报送。确认请点："
	    ACK);
	free(body);

	/* "2 hours before" moved to Friday 15:00: 1 day 2 hours left. */
	j = job(JOB_REMINDER, "liaison-list", 2 * HOUR, T_AUG04_1500, T_DUE);
	body = render(f, &j, T_AUG04_1500, NULL, NULL);
	assert_non_null(strstr(body, "还剩1天2小时，"));
	free(body);

	/* Sent 10 minutes late by a rebooted server: the truth. */
	body = render(f, &j, T_DUE - 2 * HOUR + 600, NULL, NULL);
	assert_non_null(strstr(body, "还剩1小时50分钟，"));
	free(body);
	free(f);
}

static void
test_overdue_escalation(void **state)
{
	struct fx *f = fx_new();
	struct job j = job(JOB_OVERDUE, "liaison-list", 0, T_DUE, T_DUE);
	struct render_extra x = { .not_submitted = "河北省商务厅、山西省商务厅",
	    .submitted = "北京市商务局", .n_pending = 2, .n_total = 3,
	    .now = T_AUG06_1700 };
	char err[128], *body, *subject;

	(void)state;
	body = render(f, &j, T_DUE, NULL, NULL);
	assert_string_equal(body, "【逾期】" TITLE "已于8月5日 17:00截止，"
	    "贵单位尚未报送，请尽快报送。");
	free(body);

	j = job(JOB_ESCALATION, "liaison-list", -DAY, T_AUG06_1700, T_DUE);
	j.contact = "mofcom-desk";
	j.channel = "mail";
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	/* Issue 11: units, counted. */
	assert_string_equal(body, "【督办】2023年全国消费促进月“" TITLE
	    "”已于8月5日 17:00截止，已报送1/3，以下单位尚未报送："
	    "河北省商务厅、山西省商务厅。");
	assert_string_equal(subject, "【督办】" TITLE);
	free(body);
	free(subject);
	free(f);
}

static void
test_launch_kinds(void **state)
{
	struct fx *f = fx_new();
	struct job j = job(JOB_COUNTDOWN, "launch", HOUR, T_SEP10_0900,
	    T_LAUNCH);
	char *body;

	(void)state;
	body = render(f, &j, T_SEP10_0900, NULL, NULL);
	/* Issue 11: the weekday; the launch is the same day. */
	assert_string_equal(body, "【倒计时】全国消费促进月启动仪式将于"
	    "9月10日 10:00（今天）举行，还剩1小时。");
	free(body);

	j = job(JOB_COUNTDOWN, "launch", 600, T_LAUNCH - 600, T_LAUNCH);
	body = render(f, &j, T_LAUNCH - 600, NULL, NULL);
	assert_non_null(strstr(body, "还剩10分钟。"));
	free(body);

	j = job(JOB_LAUNCH, "launch", 0, T_LAUNCH, T_LAUNCH);
	body = render(f, &j, T_LAUNCH, ACK, NULL);
	/* No ack link on a go notice: nothing to acknowledge. */
	assert_string_equal(body, "【启动】全国消费促进月启动仪式现在开始！");
	free(body);
	free(f);
}

static void
test_other_kinds(void **state)
{
	struct fx *f = fx_new();
	struct job j;
	struct render_extra x = { .digest_text = "已报送：北京\n未报送：河北",
	    .now = T_JUL28_0900 };
	char err[128], *body, *subject;

	(void)state;
	j = job(JOB_TASK, "promo-events", DAY, T_AUG04_1700, T_AUG07_1700);
	body = render(f, &j, T_AUG04_1700, NULL, NULL);
	assert_non_null(strstr(body, "组织重点促消费活动"));
	assert_non_null(strstr(body, "8月7日 17:00"));
	assert_non_null(strstr(body, "还剩3天"));
	free(body);

	j = job(JOB_PHASE, "publicity", 0, T_AUG01_0000, T_AUG01_0000);
	body = render(f, &j, T_AUG01_0000, NULL, NULL);
	assert_string_equal(body, "【阶段通知】2023年全国消费促进月宣传阶段"
	    "自8月1日开始，至8月9日结束，请做好相关工作。");
	free(body);

	j = job(JOB_SLOT, "cctv@2023-09-09 19:00", HOUR, T_SLOT_REMIND,
	    T_SLOT_FROM);
	body = render(f, &j, T_SLOT_REMIND, NULL, NULL);
	assert_string_equal(body, "【直播提醒】总台直播间《老字号嘉年华》将于"
	    "9月9日 19:00开播，还剩1小时。");
	free(body);

	j = job(JOB_DIGEST, "digest", 19566, T_JUL28_0900, T_JUL28_0000);
	j.contact = "mofcom-desk";
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "【每日汇总】2023年全国消费促进月（7月28日）\n"
	    "已报送：北京\n未报送：河北");
	assert_string_equal(subject, "【每日汇总】2023年全国消费促进月（7月28日）");
	free(body);
	free(subject);

	j = job(JOB_EMERGENCY, "stampede", 0, T_INCIDENT, T_INCIDENT);
	body = render(f, &j, T_INCIDENT, ACK, NULL);
	assert_string_equal(body, "【应急】促销场所踩踏事故应急预案（1级）："
	    "1. 立即疏散人群 2. 报告属地应急管理部门。确认请点：" ACK);
	free(body);
	free(f);
}

static void
test_template_choice(void **state)
{
	struct fx *f = fx_new();
	struct job j = job(JOB_REMINDER, "liaison-list", 7 * DAY,
	    T_JUL28_1700, T_DUE);
	char *body, *subject;

	(void)state;
	f->tpl[0] = (struct model_template){ .kind = "reminder",
	    .channel = "default", .field = "body",
	    .text = "D:{{title}}|{{contact}}|{{unit}}|{{phase}}" };
	f->tpl[1] = (struct model_template){ .kind = "reminder",
	    .channel = "sms", .field = "body",
	    .text = "S:{{ title }}{{due}}截止{{ack_url}}" };
	f->tpl[2] = (struct model_template){ .kind = "reminder",
	    .channel = "default", .field = "subject", .text = "SUBJ {{due}}" };
	f->tpl[3] = (struct model_template){ .kind = "overdue",
	    .channel = "sms", .field = "body", .text = "O:{{title}}" };
	f->m.templates = f->tpl;
	f->m.n_templates = 4;

	/* The channel's own template wins; a missing value renders empty. */
	j.channel = "sms";
	body = render(f, &j, T_JUL28_1700, NULL, &subject);
	assert_string_equal(body, "S:" TITLE "8月5日 17:00截止");
	assert_string_equal(subject, "SUBJ 8月5日 17:00");
	free(body);
	free(subject);

	/* Another channel gets the kind's default. */
	j.channel = "wecom";
	body = render(f, &j, T_JUL28_1700, NULL, NULL);
	assert_string_equal(body, "D:" TITLE "|王晓明|北京市商务局|宣传阶段");
	free(body);

	/* A kind with only an sms template: built-in elsewhere. */
	j = job(JOB_OVERDUE, "liaison-list", 0, T_DUE, T_DUE);
	body = render(f, &j, T_DUE, NULL, &subject);
	assert_non_null(strstr(body, "【逾期】" TITLE "已于8月5日 17:00截止"));
	assert_string_equal(subject, "【逾期】" TITLE "（8月5日 17:00截止）");
	free(body);
	free(subject);
	free(f);
}

/* Issue 11: item wording, the role in a task, the ack link and the SMS
 * reply hint under an overridden template. */
static void
test_wording_and_ack(void **state)
{
	struct fx *f = fx_new();
	struct model_unit desk = { .id = "mofcom-xfcj", .name = "商务部消费促进司" };
	const struct model_unit *coop[1] = { &f->unit[0] };
	struct model_template own = { .kind = "reminder", .channel = "default",
	    .field = "body", .text = "{{title}}{{note}}{{verb}}{{ack_url}}" };
	struct job j = job(JOB_REMINDER, "liaison-list", 7 * DAY,
	    T_JUL28_1700, T_DUE);
	struct render_extra x = { .ack_url = ACK, .now = T_JUL28_1700,
	    .link_ok = 1, .sms_replies = 1 };
	char err[128], *body, *subject;

	(void)state;
	f->tpl[0] = (struct model_template){ .kind = "reminder",
	    .channel = "default", .field = "body",
	    .text = "请于{{due}}（{{weekday}}）前{{title}}。{{note}}" };
	f->m.templates = f->tpl;
	f->m.n_templates = 1;
	f->dl[0].words.note = "材料请发至cuiwenjia@mofcom.gov.cn。";

	/* Overridden: the hint and the link still come, no ASCII space. */
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "请于8月5日 17:00（星期六）前" TITLE "。"
	    "材料请发至cuiwenjia@mofcom.gov.cn。回复1已收到，回复2已报送。"
	    "确认请点：" ACK);
	free(body);
	free(subject);

	/* A channel that cannot carry a link, no SMS replies: neither. */
	x.link_ok = 0;
	x.sms_replies = 0;
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_null(strstr(body, "确认请点"));
	assert_null(strstr(body, "回复1"));
	free(body);
	free(subject);

	/* The item's own text wins and places the link itself; its verb. */
	f->dl[0].words.templates = &own;
	f->dl[0].words.n_templates = 1;
	f->dl[0].words.verb = "发放";
	x.link_ok = 1;
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, TITLE "材料请发至cuiwenjia@mofcom.gov.cn。"
	    "发放" ACK);
	free(body);
	free(subject);

	/* ack_link = false: nothing appended. */
	f->dl[0].words.n_templates = 0;
	f->m.no_ack_link = 1u << JOB_REMINDER;
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_null(strstr(body, "确认请点"));
	free(body);
	free(subject);

	/* The day itself reads "今天". */
	j = job(JOB_REMINDER, "liaison-list", 2 * HOUR, T_DUE - 2 * HOUR, T_DUE);
	x.now = T_DUE - 2 * HOUR;
	assert_int_equal(render_job(&f->m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(body, "（今天）前"));
	free(body);
	free(subject);

	/* A task: the lead unit reads it leads; a cooperating unit reads
	 * who leads. */
	f->task[0].lead = &desk;
	f->task[0].cooperate = coop;
	f->task[0].n_cooperate = 1;
	j = job(JOB_TASK, "promo-events", DAY, T_AUG04_1700, T_AUG07_1700);
	body = render(f, &j, T_AUG04_1700, NULL, NULL);
	assert_non_null(strstr(body, "“组织重点促消费活动”由商务部消费促进司牵头，"
	    "贵单位配合，请于8月7日 17:00（星期一）前完成"));
	free(body);
	f->task[0].lead = &f->unit[0];
	f->task[0].n_cooperate = 0;
	body = render(f, &j, T_AUG04_1700, NULL, NULL);
	assert_non_null(strstr(body, "”由贵单位牵头，"));
	free(body);
	free(f);
}

static void
test_gone_from_model(void **state)
{
	struct fx *f = fx_new();
	struct job j = job(JOB_REMINDER, "liaison-list", DAY, T_AUG04_1700,
	    T_DUE);
	char err[256], *subject = (char *)"untouched", *body = subject;

	(void)state;
	j.campaign = "xfcjy-2022";
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "xfcjy-2022"));
	j.campaign = "xfcjy-2023";
	j.item = "key-lists";
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "key-lists"));
	j.item = "liaison-list";
	j.contact = "hb-li";
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "hb-li"));
	j = job(JOB_SLOT, "cctv@2023-09-09 20:00", HOUR, T_SLOT_REMIND,
	    T_SLOT_FROM);
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), -1);
	f->c.n_launches = 0;
	j = job(JOB_LAUNCH, "launch", 0, T_LAUNCH, T_LAUNCH);
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), -1);
	assert_string_equal(subject, "untouched");
	assert_string_equal(body, "untouched");

	/* Without extras {{left}} is simply empty. */
	j = job(JOB_REMINDER, "liaison-list", DAY, T_AUG04_1700, T_DUE);
	assert_int_equal(render_job(&f->m, &j, NULL, &subject, &body, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(body, "截止，还剩，请按时报送。"));
	free(body);
	free(subject);
	free(f);
}

static void
test_check(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(render_check("{{title}}将于{{due}}截止，还剩{{left}}。"
	    "已报送请点：{{ack_url}}", err, sizeof(err)), 0);
	assert_int_equal(render_check("{{ title }} {{digest}}{{pending}}", err,
	    sizeof(err)), 0);
	assert_int_equal(render_check("没有占位符 {single} }}", err,
	    sizeof(err)), 0);
	assert_int_equal(render_check("{{title}}{{nosuch}}", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "nosuch"));
	assert_non_null(strstr(err, "unknown"));
	assert_int_equal(render_check("{{title", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "title"));
	assert_non_null(strstr(err, "unclosed"));
	assert_int_equal(render_check("{{}}", err, sizeof(err)), -1);
	assert_int_equal(render_check("{{Title}}", err, sizeof(err)), -1);
}

static void
test_left(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(render_left(7 * DAY, buf, sizeof(buf)), "7天");
	assert_string_equal(render_left(2 * HOUR, buf, sizeof(buf)), "2小时");
	assert_string_equal(render_left(600, buf, sizeof(buf)), "10分钟");
	assert_string_equal(render_left(DAY + 3 * HOUR, buf, sizeof(buf)),
	    "1天3小时");
	assert_string_equal(render_left(DAY + 3 * HOUR + 1200, buf,
	    sizeof(buf)), "1天3小时");
	assert_string_equal(render_left(HOUR + 1800, buf, sizeof(buf)),
	    "1小时30分钟");
	/* Rounded up to the minute: 1:59:30 is still "2小时". */
	assert_string_equal(render_left(2 * HOUR - 30, buf, sizeof(buf)),
	    "2小时");
	assert_string_equal(render_left(30, buf, sizeof(buf)), "30秒");
	assert_string_equal(render_left(59, buf, sizeof(buf)), "59秒");
	assert_string_equal(render_left(60, buf, sizeof(buf)), "1分钟");
	assert_string_equal(render_left(61, buf, sizeof(buf)), "2分钟");
	assert_string_equal(render_left(0, buf, sizeof(buf)), "0分钟");
	assert_string_equal(render_left(-HOUR, buf, sizeof(buf)), "0分钟");
}

static const char *
lookup_upper(void *arg, const char *name, size_t len)
{
	(void)arg;
	return len == 1 && name[0] == 'x' ? "X" : NULL;
}

static void
test_text(void **state)
{
	char *s;

	(void)state;
	s = render_text("a{{x}}b{{y}}c{{ x }}", lookup_upper, NULL);
	assert_string_equal(s, "aXbcX");
	free(s);
	s = render_text("", lookup_upper, NULL);
	assert_string_equal(s, "");
	free(s);
	/* Unclosed: kept as written rather than eaten. */
	s = render_text("a{{x", lookup_upper, NULL);
	assert_string_equal(s, "a{{x");
	free(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_reminder),
	cmocka_unit_test(test_overdue_escalation),
	cmocka_unit_test(test_launch_kinds),
	cmocka_unit_test(test_other_kinds),
	cmocka_unit_test(test_template_choice),
	cmocka_unit_test(test_wording_and_ack),
	cmocka_unit_test(test_gone_from_model),
	cmocka_unit_test(test_check),
	cmocka_unit_test(test_left),
	cmocka_unit_test(test_text),
};

UNIT_MAIN(tests)
