/*
 * test_policy.c - the kind policy (core/policy.c), and that the store and
 * the misfire policy follow it: the store cancels on a submission the
 * kinds it is handed and never expires an emergency, whatever grace
 * table a caller passes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "misfire.h"
#include "model.h"
#include "policy.h"
#include "store.h"

static void
test_submission_cancels(void **state)
{
	(void)state;
	/* DESIGN.md rule 7: the submitters' reminders and overdue notices;
	 * escalations are judged at send time. */
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		assert_int_equal(policy_submission_cancels((enum job_kind)k),
		    k == JOB_REMINDER || k == JOB_OVERDUE);
	assert_int_equal(policy_submission_kinds(),
	    (1u << JOB_REMINDER) | (1u << JOB_OVERDUE));
	assert_int_equal(policy_submission_cancels(JOB_KIND_COUNT), 0);
}

static void
test_never_missed(void **state)
{
	struct model_engine e;

	(void)state;
	model_engine_defaults(&e);
	for (int k = 0; k < JOB_KIND_COUNT; k++) {
		int urgent = k == JOB_EMERGENCY || k == JOB_INCIDENT_ACK ||
		    k == JOB_INCIDENT_CLOSE;
		/* A stage's schedule stands until its last slot ends. */
		int never = urgent || k == JOB_SCHEDULE;

		assert_int_equal(policy_never_missed((enum job_kind)k), never);
		/* Never missed is one of the things an emergency is. */
		assert_int_equal(policy_is_emergency((enum job_kind)k), urgent);
		/* And an emergency is of emergency priority, the queue the
		 * dispatcher and the store take first. */
		if (policy_is_emergency((enum job_kind)k))
			assert_int_equal(job_kind_priority((enum job_kind)k),
			    HERALD_PRIO_EMERGENCY);
		/* The misfire policy's grace says the same. */
		assert_int_equal(misfire_grace(&e, (enum job_kind)k) ==
		    INT64_MAX, never);
		/* An ack or a resolution stops the alerts, not the
		 * notices about it. */
		assert_int_equal(policy_incident_stops((enum job_kind)k),
		    k == JOB_EMERGENCY);
	}
	/* Nothing unknown is dropped. */
	assert_int_equal(policy_never_missed(JOB_KIND_COUNT), 1);
	assert_int_equal(policy_never_missed((enum job_kind)99), 1);
	assert_int_equal(policy_is_emergency(JOB_KIND_COUNT), 0);
}

static void
test_supersedes(void **state)
{
	(void)state;
	/* A later reminder that will go or went says it all; one that
	 * will not go says nothing. */
	for (int st = 0; st < JOB_STATE_COUNT; st++)
		assert_int_equal(policy_supersedes((enum job_state)st),
		    st == JOB_PENDING || st == JOB_INFLIGHT ||
		    st == JOB_DELIVERED);
	assert_int_equal(policy_superseding_states(), (1u << JOB_PENDING) |
	    (1u << JOB_INFLIGHT) | (1u << JOB_DELIVERED));
}

/* One job of every kind for contact p1 on item d1, due at `due`. */
static void
plan_every_kind(struct store *s, struct job v[JOB_KIND_COUNT], int64_t due)
{
	struct store_plan_stats st;

	assert_int_equal(store_plan_begin(s), 0);
	for (int k = 0; k < JOB_KIND_COUNT; k++) {
		memset(&v[k], 0, sizeof(v[k]));
		v[k].kind = (enum job_kind)k;
		v[k].priority = job_kind_priority(v[k].kind);
		v[k].campaign = "cpm";
		v[k].item = "d1";
		v[k].contact = "p1";
		v[k].channel = "sms";
		v[k].due = v[k].next_at = due;
		job_make_key(v[k].key, "cpm", "d1", v[k].kind, 0, "p1",
		    "sms");
		assert_int_equal(store_plan_put(s, &v[k]), 0);
	}
	assert_int_equal(store_plan_end(s, &st), 0);
	assert_int_equal(st.inserted, JOB_KIND_COUNT);
}

static void
copy_state(void *arg, const struct job *j)
{
	*(int *)arg = (int)j->state;
}

static int
state_of(struct store *s, const char *key)
{
	int state = -1, found = 0;

	assert_int_equal(store_get(s, key, copy_state, &state, &found), 0);
	assert_int_equal(found, 1);
	return state;
}

static int
open_store(struct store **s)
{
	char err[256];

	if (store_open("sqlite::memory:", "test", s, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	return 0;
}

/* A submission cancels exactly the kinds of the policy, and its
 * withdrawal revives exactly those. */
static void
test_store_submit_follows(void **state)
{
	const char *const members[] = { "p1" };
	struct store_party p = { NULL, "p1", members, 1 };
	struct job v[JOB_KIND_COUNT];
	struct store *s;
	size_t n = 0;
	int first = 0, found = 0;

	(void)state;
	assert_int_equal(open_store(&s), 0);
	plan_every_kind(s, v, 5000);
	assert_int_equal(store_submit(s, "cpm", "d1", &p, 100, "api", &first,
	    &n), 0);
	assert_int_equal(first, 1);
	assert_int_equal(n, 2);
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		assert_int_equal(state_of(s, v[k].key),
		    k == JOB_REMINDER || k == JOB_OVERDUE ? JOB_CANCELLED :
		    JOB_PENDING);
	assert_int_equal(store_withdraw(s, "cpm", "d1", &p, 200, "cli",
	    &found, &n), 0);
	assert_int_equal(found, 1);
	assert_int_equal(n, 2);
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		assert_int_equal(state_of(s, v[k].key), JOB_PENDING);
	store_close(s);
}

/* A grace table of zeros expires every kind but the emergency ones
 * (alerts and the notices about an incident). */
static void
test_store_expire_follows(void **state)
{
	struct job v[JOB_KIND_COUNT];
	int64_t grace[JOB_KIND_COUNT] = { 0 };
	struct store *s;
	size_t n = 0;

	(void)state;
	assert_int_equal(open_store(&s), 0);
	plan_every_kind(s, v, 1000);
	assert_int_equal(store_expire(s, 2000, grace, NULL, NULL, &n), 0);
	assert_int_equal(n, JOB_KIND_COUNT - 4);
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		assert_int_equal(state_of(s, v[k].key),
		    k == JOB_EMERGENCY || k == JOB_INCIDENT_ACK ||
		    k == JOB_INCIDENT_CLOSE || k == JOB_SCHEDULE ?
		    JOB_PENDING : JOB_MISSED);
	/* "Never" from the caller holds for any kind. */
	store_close(s);
	assert_int_equal(open_store(&s), 0);
	plan_every_kind(s, v, 1000);
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		grace[k] = k == JOB_DIGEST ? 0 : INT64_MAX;
	assert_int_equal(store_expire(s, INT64_MAX, grace, NULL, NULL, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(s, v[JOB_DIGEST].key), JOB_MISSED);
	assert_int_equal(state_of(s, v[JOB_REMINDER].key), JOB_PENDING);
	store_close(s);
}

/* Two reminders of d1 for p1, at 100 and 200: `later` is the second one. */
static void
plan_two_reminders(struct store *s, struct job v[2])
{
	struct store_plan_stats st;

	assert_int_equal(store_plan_begin(s), 0);
	for (int i = 0; i < 2; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].kind = JOB_REMINDER;
		v[i].priority = job_kind_priority(JOB_REMINDER);
		v[i].campaign = "cpm";
		v[i].item = "d1";
		v[i].offset = 3600 * (2 - i);
		v[i].contact = "p1";
		v[i].channel = "sms";
		v[i].due = v[i].next_at = 100 * (i + 1);
		job_make_key(v[i].key, "cpm", "d1", JOB_REMINDER, v[i].offset,
		    "p1", "sms");
		assert_int_equal(store_plan_put(s, &v[i]), 0);
	}
	assert_int_equal(store_plan_end(s, &st), 0);
}

/* The later reminder supersedes while pending, in flight or delivered,
 * and not once it failed. */
static void
test_store_later_follows(void **state)
{
	struct store_result r = { .outcome = STORE_DELIVERED, .at = 250 };
	char later[JOB_KEY_LEN];
	struct job v[2];
	struct store *s;
	size_t n;
	int found;

	(void)state;
	for (int fail = 0; fail < 2; fail++) {
		assert_int_equal(open_store(&s), 0);
		plan_two_reminders(s, v);
		assert_int_equal(store_later(s, &v[0], 150, 300, later,
		    &found), 0);
		assert_int_equal(found, 1);
		assert_string_equal(later, v[1].key);
		/* Claim both: both in flight. */
		assert_int_equal(store_claim(s, 300, 300, 10, NULL, 0, 400,
		    NULL, NULL, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(store_later(s, &v[0], 150, 300, later,
		    &found), 0);
		assert_int_equal(found, 1);
		r.outcome = fail ? STORE_FAILED : STORE_DELIVERED;
		assert_int_equal(store_record(s, v[1].key, &r), 0);
		assert_int_equal(store_later(s, &v[0], 150, 300, later,
		    &found), 0);
		assert_int_equal(found, !fail);
		store_close(s);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_supersedes),
	cmocka_unit_test(test_store_later_follows),
	cmocka_unit_test(test_submission_cancels),
	cmocka_unit_test(test_never_missed),
	cmocka_unit_test(test_store_submit_follows),
	cmocka_unit_test(test_store_expire_follows),
};

UNIT_MAIN(tests)
