/*
 * test_planner.c - the planner against a hand-built model of the 2023
 * campaign (DESIGN.md §9): instants, calendar moves, drops, merges, keys.
 *
 * Every expected instant below is a literal computed outside herald with
 * the command in the comment next to it, e.g.
 *   TZ=Asia/Shanghai date -d '2023-07-28 17:00' +%s
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "model.h"
#include "planner.h"
#include "xmalloc.h"

#define DAY	86400
#define HOUR	3600

/* TZ=Asia/Shanghai date -d '2023-08-05 17:00' +%s (a Saturday) */
#define T_DUE		1691226000
/* TZ=Asia/Shanghai date -d '2023-07-28 17:00' +%s */
#define T_JUL28_1700	1690534800
/* TZ=Asia/Shanghai date -d '2023-08-02 17:00' +%s */
#define T_AUG02_1700	1690966800
/* TZ=Asia/Shanghai date -d '2023-08-04 17:00' +%s */
#define T_AUG04_1700	1691139600
/* TZ=Asia/Shanghai date -d '2023-08-04 15:00' +%s */
#define T_AUG04_1500	1691132400
/* TZ=Asia/Shanghai date -d '2023-08-06 17:00' +%s */
#define T_AUG06_1700	1691312400
/* TZ=Asia/Shanghai date -d '2023-08-07 17:00' +%s (a Monday) */
#define T_AUG07_1700	1691398800
/* TZ=Asia/Shanghai date -d '2023-09-10 10:00' +%s (a Sunday) */
#define T_LAUNCH	1694311200
/* TZ=Asia/Shanghai date -d '2023-09-09 10:00' +%s */
#define T_SEP09_1000	1694224800
/* TZ=Asia/Shanghai date -d '2023-09-10 09:00' +%s */
#define T_SEP10_0900	1694307600
/* TZ=Asia/Shanghai date -d '2023-09-10 09:50' +%s */
#define T_SEP10_0950	1694310600
/* TZ=Asia/Shanghai date -d '2023-09-09 19:00' +%s */
#define T_SLOT_FROM	1694257200
/* TZ=Asia/Shanghai date -d '2023-09-09 18:00' +%s */
#define T_SLOT_REMIND	1694253600
/* TZ=Asia/Shanghai date -d '2023-09-09 20:00' +%s */
#define T_SLOT_TO	1694260800
/* TZ=Asia/Shanghai date -d '2023-09-09 21:00' +%s */
#define T_SLOT2_FROM	1694264400
/* TZ=Asia/Shanghai date -d '2023-09-09 22:00' +%s */
#define T_SLOT2_TO	1694268000
/* TZ=Asia/Shanghai date -d '2023-08-01 00:00' +%s */
#define T_AUG01_0000	1690819200
/* TZ=Asia/Shanghai date -d '2023-08-09 00:00' +%s */
#define T_AUG09_0000	1691510400
/* TZ=Asia/Shanghai date -d '2023-07-28 09:00' +%s */
#define T_JUL28_0900	1690506000
/* TZ=Asia/Shanghai date -d '2023-07-28 00:00' +%s */
#define T_JUL28_0000	1690473600
/* TZ=Asia/Shanghai date -d '2023-07-31 09:00' +%s */
#define T_JUL31_0900	1690765200
/* TZ=Asia/Shanghai date -d '2023-08-09 09:00' +%s */
#define T_AUG09_0900	1691542800
/* echo $(( $(date -u -d 2023-07-28 +%s) / 86400 )) */
#define DAY_JUL28	19566
/* echo $(( $(date -u -d 2023-08-09 +%s) / 86400 )) */
#define DAY_AUG09	19578

#define WEEKEND	((1u << 0) | (1u << 6))	/* Sunday, Saturday */

enum { CH_SMS, CH_MAIL, CH_WECOM, N_CH };
enum { K_BJ, K_HB1, K_HB2, K_DESK, N_K };

/* A small 2023 campaign, every array static in one struct. */
struct fx {
	struct model m;
	struct model_channel ch[N_CH];
	const struct model_channel *bj_prefer[2], *bj_always[2];
	const struct model_channel *hb1_prefer[1], *hb1_always[1];
	const struct model_channel *hb2_prefer[1], *desk_prefer[1];
	struct model_contact k[N_K];
	struct model_unit units[2];
	const struct model_contact *hebei_members[2];
	const struct model_contact *prov[3], *desk[1];
	const struct model_unit *coop[2];
	struct model_campaign c;
	struct model_offset countdown[3];
	struct model_launch launch;
	struct model_deadline dl[2];
	struct model_offset remind[4], remind2[4];
	struct model_escalation esc;
	struct model_task task[1];
	struct model_offset task_remind[1];
	struct model_phase phase[1];
	struct model_stage stage[1];
	struct model_slot slot[2];
	struct model_offset slot_remind[1];
};

static struct model_offset
off(const char *text, int64_t seconds, int days)
{
	struct model_offset o = { text, seconds, days };

	return o;
}

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

	f->ch[CH_SMS].name = "sms";
	f->ch[CH_MAIL].name = "mail";
	f->ch[CH_WECOM].name = "wecom";

	f->units[0].id = "beijing";
	f->units[0].name = "北京市商务局";
	f->units[0].liaison = &f->k[K_BJ];
	f->units[1].id = "hebei";
	f->units[1].name = "河北省商务厅";
	f->hebei_members[0] = &f->k[K_HB1];
	f->hebei_members[1] = &f->k[K_HB2];
	f->units[1].members = f->hebei_members;
	f->units[1].n_members = 2;

	/* Beijing: WeCom robot first, SMS as fallback, mail always
	 * (listed twice, and once more as the chain head's twin below). */
	f->bj_prefer[0] = &f->ch[CH_WECOM];
	f->bj_prefer[1] = &f->ch[CH_SMS];
	f->bj_always[0] = &f->ch[CH_MAIL];
	f->bj_always[1] = &f->ch[CH_MAIL];
	f->k[K_BJ] = (struct model_contact){ .id = "bj-wang",
	    .name = "王晓明", .unit = &f->units[0], .prefer = f->bj_prefer,
	    .n_prefer = 2, .always = f->bj_always, .n_always = 2 };
	f->hb1_prefer[0] = &f->ch[CH_SMS];
	f->hb1_always[0] = &f->ch[CH_MAIL];
	f->k[K_HB1] = (struct model_contact){ .id = "hb-li", .name = "李红",
	    .unit = &f->units[1], .prefer = f->hb1_prefer, .n_prefer = 1,
	    .always = f->hb1_always, .n_always = 1 };
	/* Its always channel equals its chain head: one job, not two. */
	f->hb2_prefer[0] = &f->ch[CH_SMS];
	f->k[K_HB2] = (struct model_contact){ .id = "hb-zhao",
	    .name = "赵强", .unit = &f->units[1], .prefer = f->hb2_prefer,
	    .n_prefer = 1, .always = f->hb2_prefer, .n_always = 1 };
	f->desk_prefer[0] = &f->ch[CH_MAIL];
	f->k[K_DESK] = (struct model_contact){ .id = "mofcom-desk",
	    .name = "消费促进司值班室", .prefer = f->desk_prefer,
	    .n_prefer = 1 };
	f->prov[0] = &f->k[K_BJ];
	f->prov[1] = &f->k[K_HB1];
	f->prov[2] = &f->k[K_HB2];
	f->desk[0] = &f->k[K_DESK];

	c->id = "xfcjy-2023";
	c->title = "2023年全国消费促进月";
	c->timezone = "Asia/Shanghai";
	c->period_from = at("2023-08-01", T_AUG01_0000, 1);
	c->period_to = at("2023-08-09", T_AUG09_0000, 1);

	/* Launch on a Sunday: countdowns and go are never moved. */
	f->launch.id = "launch";
	c->launches = &f->launch;
	c->n_launches = 1;
	f->launch.title = "全国消费促进月启动仪式";
	f->launch.at = at("2023-09-10 10:00", T_LAUNCH, 0);
	f->countdown[0] = off("1d", DAY, 1);
	f->countdown[1] = off("1h", HOUR, 0);
	f->countdown[2] = off("10m", 600, 0);
	f->launch.countdown = f->countdown;
	f->launch.n_countdown = 3;
	f->launch.audience.contacts = f->prov;
	f->launch.audience.n = 3;

	f->remind[0] = off("7d", 7 * DAY, 7);
	f->remind[1] = off("3d", 3 * DAY, 3);
	f->remind[2] = off("1d", DAY, 1);
	f->remind[3] = off("2h", 2 * HOUR, 0);
	f->esc.after = off("1d", DAY, 1);
	f->esc.to.contacts = f->desk;
	f->esc.to.n = 1;
	f->dl[0] = (struct model_deadline){ .id = "liaison-list",
	    .title = "报送联络机制名单（附件1）",
	    .due = at("2023-08-05 17:00", T_DUE, 0),
	    .audience = { f->prov, 3 }, .remind = f->remind, .n_remind = 4,
	    .overdue = 1, .escalate = &f->esc };
	c->deadlines = f->dl;
	c->n_deadlines = 1;

	f->task_remind[0] = off("1d", DAY, 1);
	f->coop[0] = &f->units[1];
	f->coop[1] = &f->units[0];	/* the lead again: ignored */
	f->task[0] = (struct model_task){ .id = "promo-events",
	    .title = "组织重点促消费活动", .lead = &f->units[0],
	    .cooperate = f->coop, .n_cooperate = 2,
	    .due = at("2023-08-07 17:00", T_AUG07_1700, 0),
	    .remind = f->task_remind, .n_remind = 1 };
	c->tasks = f->task;
	c->n_tasks = 1;

	f->phase[0] = (struct model_phase){ .id = "publicity",
	    .title = "宣传阶段", .from = at("2023-08-01", T_AUG01_0000, 1),
	    .to = at("2023-08-09", T_AUG09_0000, 1),
	    .notify = { f->prov, 3 } };
	c->phases = f->phase;
	c->n_phases = 1;

	f->stage[0] = (struct model_stage){ .id = "cctv",
	    .title = "总台直播间" };
	f->slot_remind[0] = off("1h", HOUR, 0);
	f->slot[0] = (struct model_slot){ .stage = &f->stage[0],
	    .title = "老字号嘉年华",
	    .from = at("2023-09-09 19:00", T_SLOT_FROM, 0),
	    .to = at("2023-09-09 20:00", T_SLOT_TO, 0), .host = &f->k[K_BJ],
	    .remind = f->slot_remind, .n_remind = 1 };
	/* No host: nobody to remind. */
	f->slot[1] = (struct model_slot){ .stage = &f->stage[0],
	    .title = "夜市专场",
	    .from = at("2023-09-09 21:00", T_SLOT2_FROM, 0),
	    .to = at("2023-09-09 22:00", T_SLOT2_TO, 0),
	    .remind = f->slot_remind, .n_remind = 1 };
	c->stages = f->stage;
	c->n_stages = 1;
	c->slots = f->slot;
	c->n_slots = 2;

	c->digest.set = 1;
	c->digest.at_min = 9 * 60;
	c->digest.to.contacts = f->desk;
	c->digest.to.n = 1;

	f->m.daemon.timezone = "Asia/Shanghai";
	f->m.daemon.engine.workday_kinds = (1u << JOB_REMINDER) |
	    (1u << JOB_TASK) | (1u << JOB_DIGEST);
	f->m.calendar.weekend_mask = WEEKEND;
	f->m.channels = f->ch;
	f->m.n_channels = N_CH;
	f->m.contacts = f->k;
	f->m.n_contacts = N_K;
	f->m.units = f->units;
	f->m.n_units = 2;
	f->m.campaigns = c;
	f->m.n_campaigns = 1;
	return f;
}

/* What the tests keep of each emitted job. */
struct rec {
	struct job j;
	char item[MODEL_SLOT_ITEM_MAX];
};

struct recs {
	struct rec *r;
	size_t n, cap;
	size_t stop_after;	/* 0: never stop */
};

static int
collect(void *arg, const struct job *j)
{
	struct recs *rs = arg;
	struct rec *r;

	if (rs->stop_after != 0 && rs->n == rs->stop_after)
		return -1;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = xrealloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	r = &rs->r[rs->n++];
	r->j = *j;
	/* Slot items live in the planner's buffer: copy. */
	strncpy(r->item, j->item, sizeof(r->item) - 1);
	r->item[sizeof(r->item) - 1] = '\0';
	return 0;
}

/* Point each job at its own copy of the item (after the array moved). */
static void
recs_fix(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rs->r[i].j.item = rs->r[i].item;
}

static void
plan(struct fx *f, struct recs *rs, struct plan_counts *pc)
{
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(plan_model(&f->m, collect, rs, pc), 0);
	recs_fix(rs);
}

/* The jobs of kind for contact on channel, in emission order. */
static size_t
pick(const struct recs *rs, enum job_kind kind, const char *contact,
    const char *channel, const struct job **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct job *j = &rs->r[i].j;

		if (j->kind != kind ||
		    (contact != NULL && strcmp(j->contact, contact) != 0) ||
		    (channel != NULL && strcmp(j->channel, channel) != 0))
			continue;
		if (n < max)
			out[n] = j;
		n++;
	}
	return n;
}

static void
test_liaison_list_reminders(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];
	/* The calendar moves 7d (Sat Jul 29) and 2h (Sat Aug 5 15:00). */
	const int64_t want[4] = { T_JUL28_1700, T_AUG02_1700, T_AUG04_1700,
	    T_AUG04_1500 };
	const int64_t offs[4] = { 7 * DAY, 3 * DAY, DAY, 2 * HOUR };

	(void)state;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "wecom", j, 8), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(j[i]->due, want[i]);
		assert_int_equal(j[i]->next_at, want[i]);
		assert_int_equal(j[i]->item_at, T_DUE);
		assert_int_equal(j[i]->offset, offs[i]);
		assert_string_equal(j[i]->item, "liaison-list");
		assert_string_equal(j[i]->campaign, "xfcjy-2023");
		assert_int_equal(j[i]->priority, HERALD_PRIO_REMINDER);
		assert_int_equal(j[i]->state, JOB_PENDING);
		assert_int_equal(j[i]->attempts, 0);
		assert_null(j[i]->fallback_of);
		assert_int_equal(strlen(j[i]->key), 36);
	}
	/* Everyone in the audience gets the same instants: bj on wecom +
	 * mail, hb-li on sms + mail, hb-zhao on sms only. */
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "mail", j, 8), 4);
	assert_int_equal(j[3]->due, T_AUG04_1500);
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "sms", j, 8), 0);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-li", "sms", j, 8), 4);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-li", "mail", j, 8), 4);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-zhao", NULL, j, 8), 4);
	assert_int_equal(j[0]->due, T_JUL28_1700);
	assert_int_equal(pc.by_kind[JOB_REMINDER], 20);
	/* Moved: reminders 7d and 2h (2 x 5 jobs) and the task (5 jobs). */
	assert_int_equal(pc.moved, 15);
	assert_int_equal(pc.dropped, 0);
	free(rs.r);
	free(f);
}

static void
test_overdue_and_escalation(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];

	(void)state;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_OVERDUE, NULL, NULL, j, 8), 5);
	for (int i = 0; i < 5; i++) {
		/* Never moved, though Aug 5 is a Saturday. */
		assert_int_equal(j[i]->due, T_DUE);
		assert_int_equal(j[i]->offset, 0);
		assert_int_equal(j[i]->item_at, T_DUE);
	}
	assert_int_equal(pick(&rs, JOB_ESCALATION, NULL, NULL, j, 8), 1);
	assert_string_equal(j[0]->contact, "mofcom-desk");
	assert_string_equal(j[0]->channel, "mail");
	assert_int_equal(j[0]->due, T_AUG06_1700);
	assert_int_equal(j[0]->offset, -DAY);
	assert_int_equal(j[0]->item_at, T_DUE);

	/* overdue = false: no overdue notices at all. */
	free(rs.r);
	f->dl[0].overdue = 0;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_OVERDUE, NULL, NULL, j, 8), 0);
	assert_int_equal(pc.by_kind[JOB_OVERDUE], 0);
	free(rs.r);
	free(f);
}

static void
test_launch_never_moves(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];
	const int64_t want[3] = { T_SEP09_1000, T_SEP10_0900, T_SEP10_0950 };

	(void)state;
	/* Even a config asking every kind to move leaves launches alone. */
	f->m.daemon.engine.workday_kinds = ~0u;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_COUNTDOWN, "hb-li", "sms", j, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j[i]->due, want[i]);
		assert_int_equal(j[i]->item_at, T_LAUNCH);
		assert_string_equal(j[i]->item, "launch");
		assert_int_equal(j[i]->priority, HERALD_PRIO_LAUNCH);
	}
	assert_int_equal(j[0]->offset, DAY);
	assert_int_equal(j[1]->offset, HOUR);
	assert_int_equal(j[2]->offset, 600);
	assert_int_equal(pick(&rs, JOB_LAUNCH, NULL, NULL, j, 8), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(j[i]->due, T_LAUNCH);
		assert_int_equal(j[i]->offset, 0);
		assert_int_equal(j[i]->priority, HERALD_PRIO_LAUNCH);
	}
	/* The slot reminder (Saturday 18:00) does not move either. */
	assert_int_equal(pick(&rs, JOB_SLOT, NULL, NULL, j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT_REMIND);
	free(rs.r);
	free(f);
}

/*
 * plan_instants() (the calendar's alarms, ical.c) answers what
 * plan_model() does: the moved reminder instants, the task's, the
 * countdowns and the slot reminder unmoved.
 */
static void
test_instants_match_jobs(void **state)
{
	struct fx *f = fx_new();
	const struct model_campaign *c = &f->m.campaigns[0];
	struct plan_instant pi[4];
	const int64_t dl[4] = { T_JUL28_1700, T_AUG02_1700, T_AUG04_1700,
	    T_AUG04_1500 };
	const int64_t cd[3] = { T_SEP09_1000, T_SEP10_0900, T_SEP10_0950 };
	struct recs rs;
	const struct job *j[8];

	(void)state;
	assert_int_equal(plan_instants(&f->m, c, JOB_REMINDER,
	    c->deadlines[0].due.at, c->deadlines[0].remind,
	    c->deadlines[0].n_remind, pi), 0);
	for (int i = 0; i < 4; i++) {
		assert_true(pi[i].keep);
		assert_int_equal(pi[i].at, dl[i]);
	}
	assert_true(pi[0].moved && !pi[1].moved && pi[3].moved);
	assert_int_equal(plan_instants(&f->m, c, JOB_COUNTDOWN,
	    f->launch.at.at, f->launch.countdown, f->launch.n_countdown, pi), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pi[i].at, cd[i]);
	assert_int_equal(plan_instants(&f->m, c, JOB_SLOT, c->slots[0].from.at,
	    c->slots[0].remind, c->slots[0].n_remind, pi), 0);
	assert_int_equal(pi[0].at, T_SLOT_REMIND);
	/* The task's, against the jobs the planner emits. */
	plan(f, &rs, NULL);
	assert_true(pick(&rs, JOB_TASK, NULL, NULL, j, 8) >= 1);
	assert_int_equal(plan_instants(&f->m, c, JOB_TASK, c->tasks[0].due.at,
	    c->tasks[0].remind, c->tasks[0].n_remind, pi), 0);
	assert_true(pi[0].keep);
	assert_int_equal(pi[0].at, j[0]->due);
	free(rs.r);
	free(f);
}

static void
test_reminder_at_or_after_due_dropped(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];

	(void)state;
	/* Hand-built: the loader refuses these, the planner must too. */
	f->remind[0] = off("1h", HOUR, 0);
	f->remind[1] = off("0s", 0, 0);
	f->remind[2] = off("-1h", -HOUR, 0);
	f->dl[0].n_remind = 3;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "wecom", j, 8), 1);
	/* 16:00 on Saturday Aug 5, moved to Friday 16:00. */
	assert_int_equal(j[0]->due, T_AUG04_1700 - HOUR);
	assert_int_equal(pc.by_kind[JOB_REMINDER], 5);
	assert_int_equal(pc.dropped, 10);
	for (size_t i = 0; i < rs.n; i++)
		if (rs.r[i].j.kind == JOB_REMINDER)
			assert_true(rs.r[i].j.due < rs.r[i].j.item_at);
	free(rs.r);
	free(f);
}

static void
test_merged_reminders_keep_larger_offset(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];

	(void)state;
	/* Due Monday Aug 7: 2d is Saturday, moved onto 3d's Friday. */
	f->dl[0].due = at("2023-08-07 17:00", T_AUG07_1700, 0);
	f->remind[0] = off("3d", 3 * DAY, 3);
	f->remind[1] = off("2d", 2 * DAY, 2);
	f->dl[0].n_remind = 2;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-zhao", "sms", j, 8), 1);
	assert_int_equal(j[0]->due, T_AUG04_1700);
	assert_int_equal(j[0]->offset, 3 * DAY);
	assert_int_equal(pc.by_kind[JOB_REMINDER], 5);
	assert_int_equal(pc.dropped, 5);

	/* Without the calendar both stay, on Friday and Saturday. */
	free(rs.r);
	f->m.daemon.engine.workday_kinds = 0;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-zhao", "sms", j, 8), 2);
	assert_int_equal(j[1]->due, T_AUG04_1700 + DAY);
	assert_int_equal(pc.dropped, 0);
	assert_int_equal(pc.moved, 0);
	free(rs.r);
	free(f);
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->j.key,
	    ((const struct rec *)b)->j.key);
}

static void
test_deterministic_and_unique_keys(void **state)
{
	struct fx *f = fx_new();
	struct recs a, b;
	struct plan_counts pa, pb;
	size_t sum = 0;

	(void)state;
	plan(f, &a, &pa);
	plan(f, &b, &pb);
	/* 15 countdown + 5 go + 20 reminders + 5 overdue + 1 escalation +
	 * 5 task + 5 phase + 2 slot + 9 digests. */
	assert_int_equal(a.n, 67);
	assert_int_equal(pa.total, 67);
	assert_int_equal(b.n, a.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.r[i].j.key, b.r[i].j.key);
		assert_int_equal(a.r[i].j.due, b.r[i].j.due);
	}
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		sum += pa.by_kind[k];
	assert_int_equal(sum, pa.total);
	assert_int_equal(pa.by_kind[JOB_EMERGENCY], 0);

	/* Contacts, channels and offsets each change the key. */
	qsort(a.r, a.n, sizeof(*a.r), key_cmp);
	recs_fix(&a);
	for (size_t i = 1; i < a.n; i++)
		assert_string_not_equal(a.r[i - 1].j.key, a.r[i].j.key);

	/* The key is the job's identity: recomputing it from the emitted
	 * fields gives the same UUID (the store relies on that). */
	for (size_t i = 0; i < a.n; i++) {
		char key[JOB_KEY_LEN];
		const struct job *j = &a.r[i].j;

		job_make_key(key, j->campaign, j->item, j->kind, j->offset,
		    j->contact, j->channel);
		assert_string_equal(key, j->key);
	}
	free(a.r);
	free(b.r);
	free(f);
}

static void
test_keys_differ_by_field(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	const struct job *bw[8], *bm[8], *hs[8];

	(void)state;
	plan(f, &rs, NULL);
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "wecom", bw, 8), 4);
	assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "mail", bm, 8), 4);
	assert_int_equal(pick(&rs, JOB_REMINDER, "hb-li", "mail", hs, 8), 4);
	/* channel */
	assert_string_not_equal(bw[0]->key, bm[0]->key);
	/* contact */
	assert_string_not_equal(bm[0]->key, hs[0]->key);
	/* offset */
	assert_string_not_equal(bw[0]->key, bw[1]->key);
	/* A re-plan after the deadline moved an hour keeps the keys: the
	 * due instant is not part of the identity (rule 2). */
	{
		char before[JOB_KEY_LEN];

		memcpy(before, bw[0]->key, JOB_KEY_LEN);
		free(rs.r);
		f->dl[0].due = at("2023-08-05 18:00", T_DUE + HOUR, 0);
		plan(f, &rs, NULL);
		assert_int_equal(pick(&rs, JOB_REMINDER, "bj-wang", "wecom",
		    bw, 8), 4);
		assert_string_equal(bw[0]->key, before);
	}
	free(rs.r);
	free(f);
}

static void
test_digest_skips_weekends(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[32];

	(void)state;
	plan(f, &rs, &pc);
	/* From the first reminder (Fri Jul 28) to the end of the period
	 * (Wed Aug 9), weekends left out: Jul 28, Jul 31-Aug 4, Aug 7-9. */
	assert_int_equal(pick(&rs, JOB_DIGEST, "mofcom-desk", "mail", j, 32),
	    9);
	assert_int_equal(j[0]->due, T_JUL28_0900);
	assert_int_equal(j[0]->item_at, T_JUL28_0000);
	assert_int_equal(j[0]->offset, DAY_JUL28);
	assert_string_equal(j[0]->item, "digest");
	assert_int_equal(j[0]->priority, HERALD_PRIO_DIGEST);
	assert_int_equal(j[1]->due, T_JUL31_0900);
	assert_int_equal(j[8]->due, T_AUG09_0900);
	assert_int_equal(j[8]->offset, DAY_AUG09);
	for (int i = 0; i < 9; i++) {
		/* TZ=Asia/Shanghai: 09:00 local is 01:00 UTC. */
		assert_int_equal(j[i]->due % DAY, HOUR);
		if (i > 0)
			assert_string_not_equal(j[i]->key, j[i - 1]->key);
	}

	/* Without the calendar rule: every day, Jul 28 .. Aug 9. */
	free(rs.r);
	f->m.daemon.engine.workday_kinds = 1u << JOB_REMINDER;
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_DIGEST, NULL, NULL, j, 32), 13);
	assert_int_equal(j[1]->due, T_JUL28_0900 + DAY);
	free(rs.r);

	/* A campaign without a digest plans none. */
	f->c.digest.set = 0;
	plan(f, &rs, &pc);
	assert_int_equal(pc.by_kind[JOB_DIGEST], 0);
	free(rs.r);
	free(f);
}

static void
test_task_phase_slot(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;
	const struct job *j[8];

	(void)state;
	plan(f, &rs, &pc);
	/* Lead beijing -> its liaison; hebei has none -> both members;
	 * beijing named again as cooperating -> not twice. */
	assert_int_equal(pick(&rs, JOB_TASK, NULL, NULL, j, 8), 5);
	assert_string_equal(j[0]->contact, "bj-wang");
	assert_string_equal(j[0]->channel, "wecom");
	assert_string_equal(j[1]->contact, "bj-wang");
	assert_string_equal(j[1]->channel, "mail");
	assert_string_equal(j[2]->contact, "hb-li");
	assert_string_equal(j[4]->contact, "hb-zhao");
	/* 1d before Monday Aug 7 is a Sunday: moved to Friday. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(j[i]->due, T_AUG04_1700);
		assert_int_equal(j[i]->item_at, T_AUG07_1700);
		assert_string_equal(j[i]->item, "promo-events");
	}

	assert_int_equal(pick(&rs, JOB_PHASE, NULL, NULL, j, 8), 5);
	assert_int_equal(j[0]->due, T_AUG01_0000);
	assert_string_equal(j[0]->item, "publicity");

	assert_int_equal(pick(&rs, JOB_SLOT, NULL, NULL, j, 8), 2);
	assert_string_equal(j[0]->item, "cctv@2023-09-09 19:00");
	assert_string_equal(j[0]->contact, "bj-wang");
	assert_int_equal(j[0]->due, T_SLOT_REMIND);
	assert_int_equal(j[0]->item_at, T_SLOT_FROM);
	assert_int_equal(j[0]->offset, HOUR);
	assert_ptr_equal(model_slot_find(&f->c, "cctv@2023-09-09 19:00"),
	    &f->slot[0]);
	assert_null(model_slot_find(&f->c, "cctv@2023-09-09 19:30"));
	free(rs.r);

	/* A task without a due date and a phase nobody hears plan nothing. */
	f->task[0].due.text = NULL;
	f->phase[0].notify.n = 0;
	plan(f, &rs, &pc);
	assert_int_equal(pc.by_kind[JOB_TASK], 0);
	assert_int_equal(pc.by_kind[JOB_PHASE], 0);
	free(rs.r);
	free(f);
}

static void
test_emit_can_stop(void **state)
{
	struct fx *f = fx_new();
	struct recs rs;
	struct plan_counts pc;

	(void)state;
	memset(&rs, 0, sizeof(rs));
	rs.stop_after = 7;
	assert_int_equal(plan_model(&f->m, collect, &rs, &pc), -1);
	assert_int_equal(rs.n, 7);
	assert_int_equal(pc.total, 7);
	free(rs.r);

	/* An unreadable zone fails instead of planning at wrong times. */
	f->c.timezone = "Mars/Olympus_Mons";
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(plan_model(&f->m, collect, &rs, &pc), -1);
	free(rs.r);
	free(f);
}

static void
test_empty_model(void **state)
{
	struct model m;
	struct recs rs;
	struct plan_counts pc;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(plan_model(&m, collect, &rs, NULL), 0);
	assert_int_equal(plan_model(&m, collect, &rs, &pc), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(pc.total, 0);
}

/*
 * A stage with a channel: its schedule publish before the first slot,
 * next_up, on_air and off_air per slot, all to the stage's own contact;
 * the audience and the next host hear about a slot.  Instants are the
 * fixture's literals plus the config's offsets.
 */
static void
test_stage_events(void **state)
{
	struct fx *f = fx_new();
	struct model_stage *st = &f->stage[0];
	const struct model_slot *slots[2] = { &f->slot[0], &f->slot[1] };
	const struct model_contact *aud[1];
	const struct job *j[8];
	struct recs rs;
	struct plan_counts pc;
	char sched_key[JOB_KEY_LEN], on0[JOB_KEY_LEN], on1[JOB_KEY_LEN];

	(void)state;
	st->channel = &f->ch[CH_WECOM];
	st->platform.id = "stage:c/cctv";
	st->next_up = off("10m", 600, 0);
	st->publish = off("1d", DAY, 1);
	st->slots = slots;
	st->n_slots = 2;
	st->schedule_item = "cctv#0001";
	/* Slot 2 gets slot 1's host as host and as audience. */
	aud[0] = &f->k[K_BJ];
	f->slot[1].host = &f->k[K_BJ];
	f->slot[1].prev = &f->slot[0];
	f->slot[1].audience.contacts = aud;
	f->slot[1].audience.n = 1;
	plan(f, &rs, &pc);

	assert_int_equal(pick(&rs, JOB_SCHEDULE, NULL, NULL, j, 8), 1);
	assert_string_equal(j[0]->contact, "stage:c/cctv");
	assert_string_equal(j[0]->channel, "wecom");
	assert_string_equal(j[0]->item, "cctv#0001");
	assert_int_equal(j[0]->due, T_SLOT_FROM - DAY);
	memcpy(sched_key, j[0]->key, JOB_KEY_LEN);
	assert_int_equal(pick(&rs, JOB_NEXT_UP, NULL, NULL, j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT_FROM - 600);
	assert_int_equal(j[1]->due, T_SLOT2_FROM - 600);
	assert_int_equal(pick(&rs, JOB_ON_AIR, NULL, NULL, j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT_FROM);
	assert_string_equal(j[0]->item, "cctv@2023-09-09 19:00");
	assert_int_equal(j[1]->due, T_SLOT2_FROM);
	memcpy(on0, j[0]->key, JOB_KEY_LEN);
	memcpy(on1, j[1]->key, JOB_KEY_LEN);
	assert_int_equal(pick(&rs, JOB_OFF_AIR, NULL, NULL, j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT_TO);
	assert_int_equal(j[1]->due, T_SLOT2_TO);
	assert_int_equal(j[0]->priority, HERALD_PRIO_LAUNCH);
	/* People: bj-wang 1h before slot 1, and 1h before slot 2 once
	 * (host and audience); not told "next" while on air himself. */
	assert_int_equal(pick(&rs, JOB_SLOT, "bj-wang", "wecom", j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT_REMIND);
	assert_int_equal(j[1]->due, T_SLOT2_FROM - HOUR);
	free(rs.r);

	/* Another host for slot 2: told when slot 1 starts. */
	f->slot[1].host = &f->k[K_HB1];
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_SLOT, "hb-li",
	    f->k[K_HB1].prefer[0]->name, j, 8), 2);
	assert_int_equal(j[0]->due, T_SLOT2_FROM - HOUR);
	assert_int_equal(j[1]->due, T_SLOT_FROM);
	assert_int_equal(j[1]->offset, T_SLOT2_FROM - T_SLOT_FROM);
	free(rs.r);

	/* Slot 2 moved by 30 minutes: a new schedule (new digest), slot 1's
	 * on_air untouched, slot 2's new. */
	st->schedule_item = "cctv#0002";
	f->slot[1].from = at("2023-09-09 21:30", T_SLOT2_FROM + 1800, 0);
	plan(f, &rs, &pc);
	assert_int_equal(pick(&rs, JOB_SCHEDULE, NULL, NULL, j, 8), 1);
	assert_string_not_equal(j[0]->key, sched_key);
	assert_int_equal(pick(&rs, JOB_ON_AIR, NULL, NULL, j, 8), 2);
	assert_string_equal(j[0]->key, on0);
	assert_string_not_equal(j[1]->key, on1);
	assert_int_equal(j[1]->due, T_SLOT2_FROM + 1800);
	free(rs.r);

	/* Without a channel the stage publishes nothing. */
	st->channel = NULL;
	plan(f, &rs, &pc);
	assert_int_equal(pc.by_kind[JOB_ON_AIR] + pc.by_kind[JOB_SCHEDULE], 0);
	free(rs.r);
	free(f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_liaison_list_reminders),
	cmocka_unit_test(test_overdue_and_escalation),
	cmocka_unit_test(test_launch_never_moves),
	cmocka_unit_test(test_instants_match_jobs),
	cmocka_unit_test(test_reminder_at_or_after_due_dropped),
	cmocka_unit_test(test_merged_reminders_keep_larger_offset),
	cmocka_unit_test(test_deterministic_and_unique_keys),
	cmocka_unit_test(test_keys_differ_by_field),
	cmocka_unit_test(test_digest_skips_weekends),
	cmocka_unit_test(test_task_phase_slot),
	cmocka_unit_test(test_stage_events),
	cmocka_unit_test(test_emit_can_stop),
	cmocka_unit_test(test_empty_model),
};

UNIT_MAIN(tests)
