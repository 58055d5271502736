/*
 * test_model.c - look-ups in a hand-built model: model_item_find() for
 * every job kind, with ids that are not there, and the slot item ids.
 *
 * The campaign is built by hand (no config, no model_index()), so what is
 * found can be compared by address with the entry it must be.
 */
#include "unit.h"

#include <string.h>

#include "job.h"
#include "model.h"

/* TZ=Asia/Shanghai date -d '2023-08-05 17:00' +%s */
#define T_DUE		1691226000
/* TZ=Asia/Shanghai date -d '2023-09-10 10:00' +%s */
#define T_LAUNCH	1694311200
/* TZ=Asia/Shanghai date -d '2023-09-09 19:00' +%s */
#define T_SLOT_FROM	1694257200
/* TZ=Asia/Shanghai date -d '2023-09-01' +%s */
#define T_SEP01		1693497600
/* TZ=Asia/Shanghai date -d '2023-09-16' +%s */
#define T_SEP16		1694793600

struct fixture {
	struct model_campaign c;
	struct model_deadline deadlines[2];
	struct model_task tasks[2];
	struct model_phase phases[2];
	struct model_stage stage;
	struct model_slot slots[2];
	struct model_plan plans[1];
	struct model_launch launch;
};

static int
setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct model_campaign *c = &f->c;

	c->id = "jinqiu";
	c->title = "2023金秋消费季";
	c->timezone = "Asia/Shanghai";

	f->deadlines[0] = (struct model_deadline){ .id = "plan",
	    .title = "报送活动方案",
	    .due = { "2023-08-05 17:00", T_DUE, 0 } };
	f->deadlines[1] = (struct model_deadline){ .id = "summary",
	    .title = "报送活动总结", .due = { "2023-10-10", 1696867200, 1 } };
	c->deadlines = f->deadlines;
	c->n_deadlines = 2;

	f->tasks[0] = (struct model_task){ .id = "venue", .title = "落实会场",
	    .due = { "2023-08-05 17:00", T_DUE, 0 } };
	f->tasks[1] = (struct model_task){ .id = "posters",
	    .title = "张贴海报" };	/* no due time */
	c->tasks = f->tasks;
	c->n_tasks = 2;

	f->phases[0] = (struct model_phase){ .id = "warmup", .title = "预热期",
	    .from = { "2023-09-01", T_SEP01, 1 },
	    .to = { "2023-09-09", T_SEP01 + 8 * 86400, 1 } };
	f->phases[1] = (struct model_phase){ .id = "main", .title = "集中促销期",
	    .from = { "2023-09-10", T_SEP01 + 9 * 86400, 1 },
	    .to = { "2023-09-15", T_SEP16 - 86400, 1 } };
	c->phases = f->phases;
	c->n_phases = 2;

	f->stage = (struct model_stage){ .id = "cctv", .title = "央视直播间" };
	f->slots[0] = (struct model_slot){ .stage = &f->stage,
	    .title = "开幕直播", .from = { "2023-09-09 19:00", T_SLOT_FROM, 0 },
	    .to = { "2023-09-09 21:00", T_SLOT_FROM + 7200, 0 } };
	f->slots[1] = (struct model_slot){ .stage = &f->stage,
	    .title = "闭幕直播", .from = { "2023-09-15 19:00",
	    T_SLOT_FROM + 6 * 86400, 0 } };
	c->stages = &f->stage;
	c->n_stages = 1;
	c->slots = f->slots;
	c->n_slots = 2;

	f->plans[0] = (struct model_plan){ .id = "fire", .title = "消防应急预案",
	    .level = 2 };
	c->plans = f->plans;
	c->n_plans = 1;

	c->launches = &f->launch;
	c->n_launches = 1;
	f->launch = (struct model_launch){ .id = "launch", .title = "启动仪式",
	    .at = { "2023-09-10 10:00", T_LAUNCH, 0 } };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	test_free(*state);
	return 0;
}

/* Only the pointer of the item's own kind is set. */
static void
assert_only(const struct model_item *it, const void *which)
{
	const void *ptrs[] = { it->deadline, it->task, it->phase, it->slot,
	    it->plan };

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
		if (ptrs[i] != which)
			assert_null(ptrs[i]);
}

static void
test_deadline_kinds(void **state)
{
	struct fixture *f = *state;
	const enum job_kind kinds[] = { JOB_REMINDER, JOB_OVERDUE,
	    JOB_ESCALATION };
	struct model_item it;

	for (size_t i = 0; i < 3; i++) {
		memset(&it, 0xa5, sizeof(it));
		assert_int_equal(model_item_find(&f->c, kinds[i], "summary",
		    &it), 0);
		assert_ptr_equal(it.deadline, &f->deadlines[1]);
		assert_string_equal(it.title, "报送活动总结");
		assert_ptr_equal(it.when, &f->deadlines[1].due);
		assert_only(&it, it.deadline);
	}
}

static void
test_task(void **state)
{
	struct fixture *f = *state;
	struct model_item it;

	assert_int_equal(model_item_find(&f->c, JOB_TASK, "venue", &it), 0);
	assert_ptr_equal(it.task, &f->tasks[0]);
	assert_string_equal(it.title, "落实会场");
	assert_ptr_equal(it.when, &f->tasks[0].due);
	assert_only(&it, it.task);
	/* A task without a due time has no instant to show. */
	assert_int_equal(model_item_find(&f->c, JOB_TASK, "posters", &it), 0);
	assert_ptr_equal(it.task, &f->tasks[1]);
	assert_null(it.when);
}

static void
test_phase(void **state)
{
	struct fixture *f = *state;
	struct model_item it;

	assert_int_equal(model_item_find(&f->c, JOB_PHASE, "main", &it), 0);
	assert_ptr_equal(it.phase, &f->phases[1]);
	assert_string_equal(it.title, "集中促销期");
	assert_ptr_equal(it.when, &f->phases[1].from);
	assert_only(&it, it.phase);
}

static void
test_slot(void **state)
{
	struct fixture *f = *state;
	struct model_item it;
	char buf[MODEL_SLOT_ITEM_MAX];

	assert_string_equal(model_slot_item(&f->slots[1], buf, sizeof(buf)),
	    "cctv@2023-09-15 19:00");
	assert_int_equal(model_item_find(&f->c, JOB_SLOT,
	    "cctv@2023-09-15 19:00", &it), 0);
	assert_ptr_equal(it.slot, &f->slots[1]);
	assert_string_equal(it.title, "闭幕直播");
	assert_ptr_equal(it.when, &f->slots[1].from);
	assert_only(&it, it.slot);
}

static void
test_plan(void **state)
{
	struct fixture *f = *state;
	struct model_item it;

	assert_int_equal(model_item_find(&f->c, JOB_EMERGENCY, "fire", &it),
	    0);
	assert_ptr_equal(it.plan, &f->plans[0]);
	assert_string_equal(it.title, "消防应急预案");
	assert_null(it.when);
	assert_only(&it, it.plan);
}

static void
test_launch_and_digest(void **state)
{
	struct fixture *f = *state;
	struct model_item it;

	assert_int_equal(model_item_find(&f->c, JOB_LAUNCH, "launch", &it), 0);
	assert_string_equal(it.title, "启动仪式");
	assert_ptr_equal(it.when, &f->launch.at);
	assert_only(&it, NULL);
	assert_int_equal(model_item_find(&f->c, JOB_COUNTDOWN, "launch", &it),
	    0);
	assert_ptr_equal(it.when, &f->launch.at);
	/* An untitled launch goes by the campaign's title. */
	f->launch.title = NULL;
	assert_int_equal(model_item_find(&f->c, JOB_LAUNCH, "launch", &it), 0);
	assert_string_equal(it.title, "2023金秋消费季");

	assert_int_equal(model_item_find(&f->c, JOB_DIGEST, "digest", &it), 0);
	assert_string_equal(it.title, "2023金秋消费季");
	assert_null(it.when);
	assert_only(&it, NULL);
}

static void
test_unknown_ids(void **state)
{
	struct fixture *f = *state;
	struct model_item it, before;

	memset(&it, 0x5a, sizeof(it));
	before = it;
	assert_int_equal(model_item_find(&f->c, JOB_REMINDER, "nope", &it), -1);
	assert_int_equal(model_item_find(&f->c, JOB_TASK, "plan", &it), -1);
	assert_int_equal(model_item_find(&f->c, JOB_PHASE, "venue", &it), -1);
	/* Same stage, an instant no slot starts at. */
	assert_int_equal(model_item_find(&f->c, JOB_SLOT,
	    "cctv@2023-09-09 19:30", &it), -1);
	assert_int_equal(model_item_find(&f->c, JOB_EMERGENCY, "flood", &it),
	    -1);
	assert_int_equal(model_item_find(&f->c, JOB_DIGEST, "launch", &it),
	    -1);
	assert_int_equal(model_item_find(&f->c, JOB_LAUNCH, "digest", &it),
	    -1);
	assert_int_equal(model_item_find(&f->c, JOB_KIND_COUNT, "plan", &it),
	    -1);
	/* A campaign without a launch has no launch item. */
	f->c.n_launches = 0;
	assert_int_equal(model_item_find(&f->c, JOB_LAUNCH, "launch", &it),
	    -1);
	assert_memory_equal(&it, &before, sizeof(it));
}

static void
test_phase_at(void **state)
{
	struct fixture *f = *state;

	assert_null(model_phase_at(&f->c, T_SEP01 - 1));
	assert_ptr_equal(model_phase_at(&f->c, T_SEP01), &f->phases[0]);
	/* A date-only end runs through that whole day. */
	assert_ptr_equal(model_phase_at(&f->c, T_SEP01 + 9 * 86400 - 1),
	    &f->phases[0]);
	assert_ptr_equal(model_phase_at(&f->c, T_SEP16 - 1), &f->phases[1]);
	assert_null(model_phase_at(&f->c, T_SEP16));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_deadline_kinds, setup, teardown),
	cmocka_unit_test_setup_teardown(test_task, setup, teardown),
	cmocka_unit_test_setup_teardown(test_phase, setup, teardown),
	cmocka_unit_test_setup_teardown(test_slot, setup, teardown),
	cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
	cmocka_unit_test_setup_teardown(test_launch_and_digest, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_unknown_ids, setup, teardown),
	cmocka_unit_test_setup_teardown(test_phase_at, setup, teardown),
};

UNIT_MAIN(tests)
