/*
 * test_job.c - job kind/state names, priorities and the frozen key recipe.
 */
#include <string.h>

#include "unit.h"
#include "job.h"

static void
test_kind_names(void **state)
{
	static const char *const names[JOB_KIND_COUNT] = {
		"countdown", "launch", "reminder", "overdue", "escalation",
		"task", "phase", "digest", "slot", "emergency",
		"incident-ack", "incident-close", "task-overdue",
		"task-escalation", "schedule", "next_up",
		"on_air", "off_air",
	};
	int k;

	(void)state;
	for (k = 0; k < JOB_KIND_COUNT; k++) {
		assert_string_equal(job_kind_name(k), names[k]);
		assert_int_equal(job_kind_parse(names[k]), k);
	}
	assert_null(job_kind_name(JOB_KIND_COUNT));
	assert_null(job_kind_name((enum job_kind)-1));
	assert_int_equal(job_kind_parse("Reminder"), -1);
	assert_int_equal(job_kind_parse(""), -1);
	assert_int_equal(job_kind_parse(NULL), -1);
}

static void
test_state_names(void **state)
{
	static const char *const names[JOB_STATE_COUNT] = {
		"pending", "inflight", "delivered", "failed", "missed",
		"cancelled", "superseded",
	};
	int s;

	(void)state;
	for (s = 0; s < JOB_STATE_COUNT; s++) {
		assert_string_equal(job_state_name(s), names[s]);
		assert_int_equal(job_state_parse(names[s]), s);
	}
	assert_null(job_state_name(JOB_STATE_COUNT));
	assert_int_equal(job_state_parse("canceled"), -1);
	assert_int_equal(job_state_parse(NULL), -1);
}

static void
test_priority(void **state)
{
	(void)state;
	assert_int_equal(job_kind_priority(JOB_EMERGENCY), HERALD_PRIO_EMERGENCY);
	assert_int_equal(job_kind_priority(JOB_INCIDENT_ACK),
	    HERALD_PRIO_EMERGENCY);
	assert_int_equal(job_kind_priority(JOB_INCIDENT_CLOSE),
	    HERALD_PRIO_EMERGENCY);
	assert_int_equal(job_kind_priority(JOB_LAUNCH), HERALD_PRIO_LAUNCH);
	assert_int_equal(job_kind_priority(JOB_COUNTDOWN), HERALD_PRIO_LAUNCH);
	assert_int_equal(job_kind_priority(JOB_DIGEST), HERALD_PRIO_DIGEST);
	assert_int_equal(job_kind_priority(JOB_REMINDER), HERALD_PRIO_REMINDER);
	assert_int_equal(job_kind_priority(JOB_OVERDUE), HERALD_PRIO_REMINDER);
	assert_int_equal(job_kind_priority(JOB_ESCALATION), HERALD_PRIO_REMINDER);
	assert_int_equal(job_kind_priority(JOB_TASK), HERALD_PRIO_REMINDER);
	assert_int_equal(job_kind_priority(JOB_PHASE), HERALD_PRIO_REMINDER);
	assert_int_equal(job_kind_priority(JOB_SLOT), HERALD_PRIO_REMINDER);
}

/*
 * Expected keys were computed independently with Python:
 *   ns = uuid.uuid5(uuid.NAMESPACE_DNS, "herald.invalid")
 *      = b8bf0e81-5307-5a9a-b02e-8660f2893f12
 *   uuid.uuid5(ns, "\0".join([campaign, item, kind, str(offset),
 *       contact, channel]))
 * If these change, every deployed job gets a new key and the whole agenda
 * is sent again: never "fix" the literals.
 */
static void
test_key_known_values(void **state)
{
	char key[JOB_KEY_LEN];

	(void)state;
	job_make_key(key, "2023-cpm", "report-1", JOB_REMINDER, 86400,
	    "zhang.wei", "email");
	assert_string_equal(key, "051ce2d9-83f2-58f1-8858-c53a3efd5f73");
	job_make_key(key, "2023-cpm", "launch", JOB_LAUNCH, 0, "li.na",
	    "sms");
	assert_string_equal(key, "1947632a-775d-5e85-a089-8ee0b17f4e50");
	/* UTF-8 ids and a negative offset. */
	job_make_key(key, "促进月", "截止", JOB_COUNTDOWN, -3600, "王", "sms");
	assert_string_equal(key, "bf2e0f3a-9738-50f1-a488-277e093e91b3");
}

static void
test_key_fields_matter(void **state)
{
	char a[JOB_KEY_LEN], b[JOB_KEY_LEN];

	(void)state;
	job_make_key(a, "c", "d", JOB_REMINDER, 3600, "p", "email");
	job_make_key(b, "c", "d", JOB_REMINDER, 3600, "p", "email");
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), JOB_KEY_LEN - 1);
	job_make_key(b, "c", "d", JOB_REMINDER, 3600, "p", "sms");
	assert_string_not_equal(a, b);
	job_make_key(b, "c", "d", JOB_REMINDER, 7200, "p", "email");
	assert_string_not_equal(a, b);
	job_make_key(b, "c", "d", JOB_OVERDUE, 3600, "p", "email");
	assert_string_not_equal(a, b);
	/* The separators keep field boundaries apart. */
	job_make_key(a, "ab", "c", JOB_TASK, 0, "p", "x");
	job_make_key(b, "a", "bc", JOB_TASK, 0, "p", "x");
	assert_string_not_equal(a, b);
}

static void
test_key_long_fields(void **state)
{
	char big[2000], key[JOB_KEY_LEN];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	job_make_key(key, big, big, JOB_SLOT, 1, big, big);
	assert_int_equal(strlen(key), JOB_KEY_LEN - 1);
	assert_int_equal(key[8], '-');
	assert_int_equal(key[14], '5');	/* version 5 */
}

/* An incident takes part in the key only when set: without it the key
 * is job_make_key()'s; two incidents of one plan never share keys. */
static void
test_key_incident(void **state)
{
	char a[JOB_KEY_LEN], b[JOB_KEY_LEN], c[JOB_KEY_LEN];

	(void)state;
	job_make_key(a, "c", "fire", JOB_EMERGENCY, 0, "p", "sms");
	job_make_key_incident(b, "c", "fire", JOB_EMERGENCY, 0, "p", "sms",
	    NULL);
	assert_string_equal(a, b);
	job_make_key_incident(b, "c", "fire", JOB_EMERGENCY, 0, "p", "sms",
	    "0b6a4c62-5d0a-4a43-9f55-1e1d7f7c9a01");
	job_make_key_incident(c, "c", "fire", JOB_EMERGENCY, 0, "p", "sms",
	    "9c0e2b3a-7a55-4b1f-8d7e-2d4f0c6a8b12");
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	/* Deterministic: planning a wave twice gives the same keys. */
	job_make_key_incident(a, "c", "fire", JOB_EMERGENCY, 0, "p", "sms",
	    "9c0e2b3a-7a55-4b1f-8d7e-2d4f0c6a8b12");
	assert_string_equal(a, c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_kind_names),
	cmocka_unit_test(test_state_names),
	cmocka_unit_test(test_priority),
	cmocka_unit_test(test_key_known_values),
	cmocka_unit_test(test_key_fields_matter),
	cmocka_unit_test(test_key_long_fields),
	cmocka_unit_test(test_key_incident),
};

UNIT_MAIN(tests)
