/*
 * test_misfire.c - the misfire policy: graces, late, missed, supersede.
 */
#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "misfire.h"
#include "model.h"

static struct job
job_at(enum job_kind kind, int64_t due, int64_t next_at)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.kind = kind;
	j.due = due;
	j.next_at = next_at;
	return j;
}

static void
test_grace_table(void **state)
{
	struct model_engine e;
	int64_t g[JOB_KIND_COUNT];

	(void)state;
	model_engine_defaults(&e);
	e.grace[JOB_REMINDER] = 5;
	/* Even a table that says otherwise never lets an emergency miss. */
	e.grace[JOB_EMERGENCY] = 0;
	misfire_grace_table(&e, g);
	assert_int_equal(g[JOB_REMINDER], 5);
	assert_int_equal(g[JOB_OVERDUE], 86400);
	assert_true(g[JOB_EMERGENCY] == INT64_MAX);
	assert_true(misfire_grace(&e, JOB_KIND_COUNT) == INT64_MAX);
}

static void
test_missed(void **state)
{
	struct model_engine e;
	struct job j = job_at(JOB_REMINDER, 1000, 1000);
	struct job em = job_at(JOB_EMERGENCY, 1000, 1000);
	int64_t over = 0;

	(void)state;
	model_engine_defaults(&e);
	e.grace[JOB_REMINDER] = 5;
	assert_false(misfire_is_missed(&e, &j, 1005, &over));
	assert_int_equal(over, 5);
	assert_true(misfire_is_missed(&e, &j, 1006, &over));
	assert_int_equal(over, 6);
	/* Judged from next_at: a retry put off to 2000 is not missed. */
	j.next_at = 2000;
	assert_false(misfire_is_missed(&e, &j, 2003, NULL));
	assert_false(misfire_is_missed(&e, &em, 1000 + 365 * 86400, NULL));
}

static void
test_late_and_supersede(void **state)
{
	struct job r = job_at(JOB_REMINDER, 1000, 1000);
	struct job t = job_at(JOB_TASK, 1000, 1000);
	struct job o = job_at(JOB_OVERDUE, 1000, 1000);
	int64_t after = 0, until = 0;

	(void)state;
	assert_false(misfire_is_late(&r, 1000 * 1000000LL + MISFIRE_LATE_US));
	assert_true(misfire_is_late(&r, 1000 * 1000000LL + MISFIRE_LATE_US + 1));
	/* On time: no later reminder can be both planned more than the
	 * window after it and due within the window. */
	assert_false(misfire_supersede_range(&r, 1000, &after, &until));
	/* Late: reminders planned more than a minute after it and due by a
	 * minute from now. */
	assert_true(misfire_supersede_range(&r, 1001, &after, &until));
	assert_int_equal(after, 1000 + MISFIRE_TOGETHER);
	assert_int_equal(until, 1001 + MISFIRE_TOGETHER);
	assert_true(misfire_supersede_range(&t, 7200, &after, &until));
	assert_int_equal(until, 7200 + MISFIRE_TOGETHER);
	/* Other kinds never. */
	assert_false(misfire_supersede_range(&o, 5000, &after, &until));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_grace_table),
	cmocka_unit_test(test_missed),
	cmocka_unit_test(test_late_and_supersede),
};

UNIT_MAIN(tests)
