/*
 * test_engine.c - the engine (core/engine.c) against a real SQLite store
 * in a temp dir and the "flaky" test channel: what opening plans, what the
 * misfire pass expires, what a reload changes, and that a reload while a
 * send is in flight keeps the old generation alive until that send's
 * outcome is recorded, and that a node stalled past its leases sends
 * nothing on them (fencing) and sends each job once after reaping them.
 * The clock is injected; nothing sleeps.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "engine.h"
#include "engine_fixture.h"
#include "generation.h"
#include "job.h"
#include "model.h"
#include "node.h"
#include "sched.h"
#include "store.h"

/* TZ=Asia/Shanghai date -d '2030-06-01 17:00' +%s */
#define T_DUE 1906534800

/*
 * One deadline due T_DUE with one reminder a day before, for the
 * contacts of AUDIENCE on the flaky channel "one" (sends complete after
 * 200 ms).  Each contact gets two jobs: the reminder and the overdue
 * notice at the due time.  workdays_only is empty so the reminder is not
 * moved off a weekend.
 */
#define CONF(AUDIENCE, EXTRA_CONTACT) \
	"herald = { timezone = \"Asia/Shanghai\";\n" \
	"  store = \"sqlite:@DIR@/h.db\";\n" \
	"  engine = { workdays_only = [ ]; };\n" \
	"};\n" \
	"channels = ( { name = \"one\"; plugin = \"flaky\"; delay_ms = 200;\n" \
	"  record = \"@DIR@/one.txt\"; } );\n" \
	"contacts = (\n" \
	"  { id = \"a\"; name = \"王晓明\"; prefer = [ \"one\" ]; },\n" \
	"  { id = \"b\"; name = \"张伟\"; prefer = [ \"one\" ]; }" \
	EXTRA_CONTACT "\n);\n" \
	"groups = ( { id = \"liaisons\"; members = [ " AUDIENCE " ]; } );\n" \
	"campaigns = ( { id = \"c\"; title = \"演练\";\n" \
	"  period = [ \"2030-05-01\", \"2030-07-01\" ];\n" \
	"  deadlines = ( { id = \"d\"; title = \"报送材料\";\n" \
	"    due = \"2030-06-01 17:00\"; remind = [ \"1d\" ];\n" \
	"    audience = [ \"liaisons\" ]; } );\n" \
	"} );\n"

#define CONF_AB CONF("\"a\", \"b\"", "")
/* b leaves the audience, c joins it. */
#define CONF_AC CONF("\"a\", \"c\"", \
	",\n  { id = \"c\"; name = \"陈静\"; prefer = [ \"one\" ]; }")

static int
setup_early(void **state)
{
	struct efix *f = calloc(1, sizeof(*f));

	/* Ten days before the deadline: nothing is due or missed. */
	if (efix_setup(f, T_DUE - 10 * 86400) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct efix *f = *state;
	int rc = efix_teardown(f);

	free(f);
	return rc;
}

static void
test_open_plans(void **state)
{
	struct efix *f = *state;
	const struct engine_status *s;
	const struct generation *g;

	assert_int_equal(efix_open(f, CONF_AB), 0);
	s = engine_status(f->e);
	/* 2 contacts x (1 reminder + 1 overdue). */
	assert_int_equal(s->planned, 4);
	assert_int_equal(s->inserted, 4);
	assert_int_equal(s->missed, 0);
	assert_int_equal(efix_count(f, JOB_PENDING), 4);
	g = engine_generation(f->e);
	assert_non_null(g);
	assert_int_equal(g->number, 1);
	assert_ptr_equal(engine_model(f->e), g->m);
	assert_int_equal(g->refs, 1);
	assert_int_equal(engine_time(f->e), T_DUE - 10 * 86400);
}

static void
test_reload_changes(void **state)
{
	struct efix *f = *state;
	const struct engine_status *s;
	struct generation *old, *g;
	char err[256];

	assert_int_equal(efix_open(f, CONF_AB), 0);
	/* Held here too, to see the engine drop its reference. */
	old = generation_ref((struct generation *)engine_generation(f->e));
	assert_int_equal(old->refs, 2);
	g = efix_generation(f, CONF_AC, 2);
	assert_non_null(g);
	assert_int_equal(engine_reload(f->e, g, err, sizeof(err)), 0);
	assert_ptr_equal(engine_generation(f->e), g);
	assert_ptr_equal(engine_model(f->e), g->m);
	assert_ptr_equal(dispatch_model(engine_dispatch(f->e)), g->m);
	assert_int_equal(old->refs, 1);
	/* Each generation its own model: c only in the new one. */
	assert_null(model_contact_find(old->m, "c"));
	assert_non_null(model_contact_find(engine_model(f->e), "c"));
	generation_unref(old);

	s = engine_status(f->e);
	/* c's two jobs are new, b's two cancelled, a's untouched. */
	assert_int_equal(s->planned, 4);
	assert_int_equal(s->inserted, 4 + 2);
	assert_int_equal(s->cancelled, 2);
	assert_int_equal(efix_count(f, JOB_PENDING), 4);
	assert_int_equal(efix_count(f, JOB_CANCELLED), 2);
}

static void
test_reload_same_changes_nothing(void **state)
{
	struct efix *f = *state;
	const struct engine_status *s;
	struct generation *g;
	char err[256];

	assert_int_equal(efix_open(f, CONF_AB), 0);
	g = efix_generation(f, CONF_AB, 2);
	assert_non_null(g);
	assert_int_equal(engine_reload(f->e, g, err, sizeof(err)), 0);
	s = engine_status(f->e);
	assert_int_equal(s->inserted, 4);
	assert_int_equal(s->updated, 0);
	assert_int_equal(s->cancelled, 0);
	assert_int_equal(efix_count(f, JOB_PENDING), 4);
	assert_int_equal(engine_generation(f->e)->number, 2);
}

static void
test_expire_on_open(void **state)
{
	struct efix *f = *state;

	/* Three hours after the deadline: the reminders (a day old, grace
	 * 2 h) are missed; the overdue notices (grace 1 d) still go. */
	f->now_us = (int64_t)(T_DUE + 3 * 3600) * 1000000;
	assert_int_equal(efix_open(f, CONF_AB), 0);
	assert_int_equal(engine_status(f->e)->missed, 2);
	assert_int_equal(efix_count(f, JOB_MISSED), 2);
}

static int
two_in_flight(struct efix *f)
{
	return dispatch_in_flight(engine_dispatch(f->e)) == 2;
}

static int
three_delivered(struct efix *f)
{
	return efix_count(f, JOB_DELIVERED) == 3;
}

static void
test_reload_in_flight(void **state)
{
	struct efix *f = *state;
	struct generation *old, *g;
	char err[256];

	/* A minute after the deadline: a's and b's overdue notices go. */
	f->now_us = (int64_t)(T_DUE + 60) * 1000000;
	assert_int_equal(efix_open(f, CONF_AB), 0);
	old = generation_ref((struct generation *)engine_generation(f->e));
	assert_true(efix_run_until(f, two_in_flight, 5000));
	/* The engine's, the test's and one per send. */
	assert_int_equal(old->refs, 4);

	g = efix_generation(f, CONF_AC, 2);
	assert_non_null(g);
	assert_int_equal(engine_reload(f->e, g, err, sizeof(err)), 0);
	/* The sends keep the old channels alive. */
	assert_int_equal(old->refs, 3);
	assert_non_null(model_contact_find(old->m, "b"));

	/* b's notice completes on the old channel, c's goes on the new. */
	assert_true(efix_run_until(f, three_delivered, 5000));
	assert_int_equal(old->refs, 1);
	generation_unref(old);
	assert_int_equal(dispatch_in_flight(engine_dispatch(f->e)), 0);
}

/* CONF_AB with a one-minute prefetch window and a two-minute lease. */
#define CONF_LEASE \
	"herald = { timezone = \"Asia/Shanghai\";\n" \
	"  store = \"sqlite:@DIR@/h.db\";\n" \
	"  engine = { workdays_only = [ ]; prefetch = \"1m\"; lease = \"2m\"; };\n" \
	"};\n" \
	"channels = ( { name = \"one\"; plugin = \"flaky\"; delay_ms = 20;\n" \
	"  record = \"@DIR@/one.txt\"; } );\n" \
	"contacts = (\n" \
	"  { id = \"a\"; name = \"王晓明\"; prefer = [ \"one\" ]; },\n" \
	"  { id = \"b\"; name = \"张伟\"; prefer = [ \"one\" ]; }\n);\n" \
	"campaigns = ( { id = \"c\"; title = \"演练\";\n" \
	"  period = [ \"2030-05-01\", \"2030-07-01\" ];\n" \
	"  deadlines = ( { id = \"d\"; title = \"报送材料\";\n" \
	"    due = \"2030-06-01 17:00\"; remind = [ \"1d\" ];\n" \
	"    audience = [ \"a\", \"b\" ]; } );\n" \
	"} );\n"

static int
two_claimed(struct efix *f)
{
	return efix_count(f, JOB_INFLIGHT) == 2;
}

static int
two_settled(struct efix *f)
{
	return efix_count(f, JOB_DELIVERED) == 2 &&
	    dispatch_in_flight(engine_dispatch(f->e)) == 0;
}

struct hist {
	int recovered, delivered;
	char want[96];
};

static void
on_event(void *arg, int64_t at, const char *state, const char *detail)
{
	struct hist *h = arg;

	(void)at;
	if (strcmp(state, "pending") == 0 && detail != NULL &&
	    strcmp(detail, h->want) == 0)
		h->recovered++;
	if (strcmp(state, "delivered") == 0)
		h->delivered++;
}

static void
test_stalled_node_fenced(void **state)
{
	struct efix *f = *state;
	int64_t t_rem = T_DUE - 86400;
	char key[JOB_KEY_LEN], path[128], line[256];
	const char *contacts[2] = { "a", "b" };
	struct hist h;
	FILE *fp;
	int n = 0;

	/* Half a minute before the reminders: both claimed at open, under
	 * a lease to t_rem + 90 (open + 2 min). */
	f->now_us = (t_rem - 30) * 1000000;
	assert_int_equal(efix_open(f, CONF_LEASE), 0);
	assert_true(efix_run_until(f, two_claimed, 5000));
	assert_string_equal(store_owner(engine_store(f->e)),
	    node_id(engine_node(f->e)));

	/* The process stalls past the lease: no renewal came.  At the
	 * hand-off both claims are fenced, the node reaps them and claims
	 * them again under a new lease, and each goes out once. */
	f->now_us = (t_rem + 200) * 1000000;
	sched_run(engine_sched(f->e));
	assert_true(efix_run_until(f, two_settled, 5000));
	snprintf(path, sizeof(path), "%s/one.txt", f->dir);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		n++;
	fclose(fp);
	assert_int_equal(n, 2);
	for (int i = 0; i < 2; i++) {
		job_make_key(key, "c", "d", JOB_REMINDER, 86400, contacts[i],
		    "one");
		memset(&h, 0, sizeof(h));
		snprintf(h.want, sizeof(h.want), "recovered: the lease of %s "
		    "ran out", node_id(engine_node(f->e)));
		assert_int_equal(store_history(engine_store(f->e), key,
		    on_event, &h), 0);
		assert_int_equal(h.recovered, 1);
		assert_int_equal(h.delivered, 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_plans, setup_early,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reload_changes,
		    setup_early, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reload_same_changes_nothing, setup_early, teardown),
		cmocka_unit_test_setup_teardown(test_expire_on_open,
		    setup_early, teardown),
		cmocka_unit_test_setup_teardown(test_reload_in_flight,
		    setup_early, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_node_fenced,
		    setup_early, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
