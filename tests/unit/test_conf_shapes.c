/*
 * test_conf_shapes.c - the campaign shapes of issue 16, loaded from small
 * configs and planned: several launches in one campaign, recurring
 * deadlines, task overdue and escalation, a weekly digest; and their
 * errors with exact file:line.  Expected instants are literals computed
 * independently (Python's zoneinfo, Asia/Shanghai), never by the code
 * under test.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "errlist.h"
#include "model.h"
#include "planner.h"

#include "conf_fixture.h"

static int
setup(void **state)
{
	return cfix_setup(state, "test_conf_shapes");
}

static int
teardown(void **state)
{
	return cfix_teardown(state);
}

/* Write text to DIR/s.conf and load it. */
static struct model *
load(struct cfix *f, const char *text)
{
	cfix_put(f, "s.conf", text);
	return cfix_load(f, "s.conf");
}

/* Is there an error "DIR/s.conf:line: msg"?  Says what it wanted when
 * not. */
static int
has(struct cfix *f, int line, const char *msg)
{
	if (cfix_has(f, "s.conf", line, msg))
		return 1;
	fprintf(stderr, "# wanted: %s/s.conf:%d: %s\n", f->dir, line, msg);
	errlist_print(&f->errs, stderr);
	return 0;
}

/* The jobs a plan emits, as (item, kind, contact, due). */
struct rec {
	char item[64];
	enum job_kind kind;
	char contact[32];
	int64_t due;
};

struct recs {
	struct rec r[256];
	size_t n;
};

static int
rec_emit(void *arg, const struct job *j)
{
	struct recs *rs = arg;
	struct rec *r;

	assert_true(rs->n < sizeof(rs->r) / sizeof(rs->r[0]));
	r = &rs->r[rs->n++];
	snprintf(r->item, sizeof(r->item), "%s", j->item);
	snprintf(r->contact, sizeof(r->contact), "%s", j->contact);
	r->kind = j->kind;
	r->due = j->due;
	return 0;
}

/* How many recorded jobs match (item NULL: any), and the first's due. */
static size_t
count(const struct recs *rs, const char *item, enum job_kind kind,
    const char *contact, int64_t *due)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];

		if (r->kind != kind || (item != NULL &&
		    strcmp(r->item, item) != 0) || (contact != NULL &&
		    strcmp(r->contact, contact) != 0))
			continue;
		if (n++ == 0 && due != NULL)
			*due = r->due;
	}
	return n;
}

#define PEOPLE \
	"herald = { timezone = \"Asia/Shanghai\"; };\n" \
	"channels = ( { name = \"log\"; plugin = \"log\"; } );\n" \
	"units = ( { id = \"tj-shangwu\"; name = \"同江市商务局\"; liaison = \"tj-li\"; } );\n" \
	"contacts = (\n" \
	"  { id = \"tj-li\"; name = \"李\"; unit = \"tj-shangwu\"; prefer = [ \"log\" ]; supervisor = \"boss\"; },\n" \
	"  { id = \"tj-wang\"; name = \"王\"; unit = \"tj-shangwu\"; prefer = [ \"log\" ]; },\n" \
	"  { id = \"boss\"; name = \"张\"; prefer = [ \"log\" ]; } );\n"

static const char shapes[] = PEOPLE
    "campaigns = ( { id = \"tj\"; title = \"同江消费券\";\n"
    "  period = [ \"2023-04-01\", \"2023-06-30\" ];\n"
    "  coordinators = [ \"boss\" ];\n"
    "  digest = { every = \"week\"; on = \"mon\"; at = \"08:30\"; };\n"
    "  launches = (\n"
    "    { id = \"wuyi\"; title = \"五一消费券发放\"; at = \"2023-05-01 10:00\";\n"
    "      countdown = [ \"1d\" ]; audience = [ \"tj-wang\" ]; },\n"
    "    { id = \"guoqing\"; title = \"国庆消费券发放\"; at = \"2023-10-01 10:00\";\n"
    "      countdown = [ \"1d\" ]; audience = [ \"tj-wang\", \"boss\" ]; } );\n"
    "  deadlines = (\n"
    "    { id = \"report\"; title = \"消费券核销情况\"; every = \"quarter\";\n"
    "      from = \"2023-01-01\"; until = \"2023-12-31\"; due = \"+10d\";\n"
    "      remind = [ \"3d\" ]; audience = [ \"tj-li\" ]; },\n"
    "    { id = \"monthly\"; title = \"月报\"; every = \"month\";\n"
    "      from = \"2023-02-15\"; until = \"2023-04-20\"; due = \"day 5 09:00\";\n"
    "      audience = [ \"tj-li\" ]; },\n"
    "    { id = \"adhoc\"; title = \"专项报告\";\n"
    "      dues = [ \"2023-04-10 17:00\", \"2023-07-10\" ]; audience = [ \"tj-li\" ]; } );\n"
    "  tasks = (\n"
    "    { id = \"fraud\"; title = \"反诈宣传\"; lead = \"tj-shangwu\"; due = \"2023-06-30\";\n"
    "      overdue = true; escalate = { after = \"3d\"; }; },\n"
    "    { id = \"quiet\"; title = \"无逾期\"; lead = \"tj-shangwu\"; due = \"2023-06-30\"; } );\n"
    "} );\n";

static void
test_shapes_model(void **state)
{
	struct cfix *f = *state;
	const struct model_campaign *c;
	static const struct { const char *id, *title; int64_t due; } dl[] = {
		{ "report#2023Q1", "消费券核销情况（2023年第1季度）", 1681119000 },
		{ "report#2023Q2", "消费券核销情况（2023年第2季度）", 1688981400 },
		{ "report#2023Q3", "消费券核销情况（2023年第3季度）", 1696930200 },
		{ "report#2023Q4", "消费券核销情况（2023年第4季度）", 1704879000 },
		{ "monthly#2023-02", "月报（2023年2月）", 1677978000 },
		{ "monthly#2023-03", "月报（2023年3月）", 1680656400 },
		{ "monthly#2023-04", "月报（2023年4月）", 1683248400 },
		{ "adhoc#2023-04-10", "专项报告（2023-04-10）", 1681117200 },
		{ "adhoc#2023-07-10", "专项报告（2023-07-10）", 1688981400 },
	};

	if (load(f, shapes) == NULL)
		errlist_print(&f->errs, stderr);
	assert_non_null(f->m);
	c = &f->m->campaigns[0];
	assert_int_equal(c->n_launches, 2);
	assert_string_equal(c->launches[0].id, "wuyi");
	assert_int_equal(c->launches[0].at.at, 1682906400);
	assert_string_equal(c->launches[1].id, "guoqing");
	assert_int_equal(c->launches[1].at.at, 1696125600);
	assert_int_equal(c->launches[1].audience.n, 2);
	assert_int_equal(c->n_deadlines, sizeof(dl) / sizeof(dl[0]));
	for (size_t i = 0; i < c->n_deadlines; i++) {
		assert_string_equal(c->deadlines[i].id, dl[i].id);
		assert_string_equal(c->deadlines[i].title, dl[i].title);
		assert_int_equal(c->deadlines[i].due.at, dl[i].due);
	}
	/* A date-only due means the day's end, as for a plain deadline. */
	assert_int_equal(c->deadlines[8].due.date_only, 1);
	assert_non_null(model_deadline_find(c, "report#2023Q2"));
	assert_null(model_deadline_find(c, "report"));
	assert_true(c->digest.set && c->digest.weekly);
	assert_int_equal(c->digest.on, 1);
	assert_int_equal(c->digest.at_min, 8 * 60 + 30);
	assert_int_equal(c->tasks[0].overdue, 1);
	assert_non_null(c->tasks[0].escalate);
	assert_int_equal(c->tasks[0].escalate->to.n, 1);
	assert_string_equal(c->tasks[0].escalate->to.contacts[0]->id, "boss");
	assert_int_equal(c->tasks[1].overdue, 0);
	assert_null(c->tasks[1].escalate);
}

static void
test_shapes_plan(void **state)
{
	struct cfix *f = *state;
	struct recs *rs = calloc(1, sizeof(*rs));
	int64_t due = 0;

	assert_non_null(load(f, shapes));
	assert_int_equal(plan_model(f->m, rec_emit, rs, NULL), 0);

	/* Each launch: its countdown a day before, its go at its instant,
	 * under its own item. */
	assert_int_equal(count(rs, "wuyi", JOB_COUNTDOWN, NULL, &due), 1);
	assert_int_equal(due, 1682820000);		/* 2023-04-30 10:00 */
	assert_int_equal(count(rs, "wuyi", JOB_LAUNCH, NULL, &due), 1);
	assert_int_equal(due, 1682906400);
	assert_int_equal(count(rs, "guoqing", JOB_COUNTDOWN, NULL, &due), 2);
	assert_int_equal(due, 1696039200);		/* 2023-09-30 10:00 */
	assert_int_equal(count(rs, "guoqing", JOB_LAUNCH, NULL, &due), 2);
	assert_int_equal(due, 1696125600);
	assert_int_equal(count(rs, "launch", JOB_LAUNCH, NULL, NULL), 0);

	/* Every quarter its own reminder and overdue notice. */
	assert_int_equal(count(rs, "report#2023Q1", JOB_REMINDER, "tj-li",
	    &due), 1);
	assert_int_equal(due, 1680859800);		/* 2023-04-07 17:30 */
	assert_int_equal(count(rs, "report#2023Q2", JOB_OVERDUE, "tj-li",
	    &due), 1);
	assert_int_equal(due, 1688981400);
	assert_int_equal(count(rs, NULL, JOB_REMINDER, NULL, NULL), 4);
	assert_int_equal(count(rs, NULL, JOB_OVERDUE, NULL, NULL), 9);

	/* The task: overdue at its due to the lead's liaison, escalation
	 * 3 days later to the liaison's supervisor; none for "quiet". */
	assert_int_equal(count(rs, "fraud", JOB_TASK_OVERDUE, "tj-li", &due),
	    1);
	assert_int_equal(due, 1688117400);		/* 2023-06-30 17:30 */
	assert_int_equal(count(rs, "fraud", JOB_TASK_ESCALATION, "boss",
	    &due), 1);
	assert_int_equal(due, 1688376600);		/* 2023-07-03 17:30 */
	assert_int_equal(count(rs, NULL, JOB_TASK_OVERDUE, NULL, NULL), 1);
	assert_int_equal(count(rs, NULL, JOB_TASK_ESCALATION, NULL, NULL), 1);

	/* Weekly digest: Mondays 08:30 from the week of the period's start
	 * (Mon 2023-03-27) to the day after the last due (2024-01-11). */
	assert_int_equal(count(rs, "digest", JOB_DIGEST, "boss", &due), 42);
	assert_int_equal(due, 1679877000);		/* 2023-03-27 08:30 */
	free(rs);
}

static void
test_shapes_errors(void **state)
{
	struct cfix *f = *state;

	assert_null(load(f, PEOPLE
	    "campaigns = ( { id = \"c\"; title = \"t\";\n"		/* 8 */
	    "  period = [ \"2023-01-01\", \"2023-12-31\" ];\n"
	    "  coordinators = [ \"boss\" ];\n"				/* 10 */
	    "  digest = { every = \"week\"; on = \"monday\"; };\n"
	    "  launch = { title = \"x\"; at = \"2023-05-01\"; audience = [ \"boss\" ]; };\n"
	    "  launches = (\n"						/* 13 */
	    "    { id = \"a\"; title = \"a\"; at = \"2023-05-01\"; audience = [ \"boss\" ]; },\n"
	    "    { id = \"a\"; title = \"b\"; at = \"2023-06-01\"; audience = [ \"boss\" ]; } );\n"
	    "  deadlines = (\n"
	    "    { id = \"r\"; title = \"r\"; every = \"year\"; due = \"+10d\"; audience = [ \"tj-li\" ]; },\n"
	    "    { id = \"s\"; title = \"s\"; every = \"month\"; due = \"10d\"; audience = [ \"tj-li\" ]; },\n"
	    "    { id = \"u\"; title = \"u\"; due = \"2023-01-01\"; dues = [ \"2023-02-01\" ];\n"
	    "      audience = [ \"tj-li\" ]; },\n"				/* 20 */
	    "    { id = \"v\"; title = \"v\"; due = \"2023-01-01\"; from = \"2023-01-01\"; audience = [ \"tj-li\" ]; } );\n"
	    "  tasks = ( { id = \"t\"; title = \"t\"; lead = \"tj-shangwu\"; overdue = true; } );\n"
	    "} );\n"));
	assert_true(has(f, 11, "on of digest must be a weekday (mon, tue, wed, "
	    "thu, fri, sat, sun), not \"monday\""));
	assert_true(has(f, 13, "campaign \"c\" has both \"launch\" and "
	    "\"launches\": list the one launch in launches"));
	assert_true(has(f, 17, "every of deadline \"r\" must be \"quarter\" or "
	    "\"month\", not \"year\""));
	assert_true(has(f, 18, "due of deadline \"s\" with every must be "
	    "\"+Nd\" (days after the period) or \"day N\" (1-28 of the next "
	    "month), optionally with \" HH:MM\", not \"10d\""));
	assert_true(has(f, 19, "deadline \"u\" has both \"due\" and \"dues\": "
	    "use one"));
	assert_true(has(f, 21, "\"from\" needs \"every\" in deadline \"v\""));
	assert_true(has(f, 22, "\"overdue\" needs \"due\" in task \"t\""));
}

static void
test_digest_errors(void **state)
{
	struct cfix *f = *state;

	assert_null(load(f, PEOPLE
	    "campaigns = ( { id = \"c\"; title = \"t\";\n"		/* 8 */
	    "  period = [ \"2023-01-01\", \"2023-12-31\" ];\n"
	    "  coordinators = [ \"boss\" ];\n"
	    "  digest = { every = \"week\"; at = \"9:00x\"; };\n"	/* 11 */
	    "  tasks = ( { id = \"t\"; title = \"t\"; lead = \"tj-shangwu\"; due = \"2023-03-01\";\n"
	    "    escalate = { after = \"1d\"; to = [ \"nobody\" ]; }; } );\n"
	    "} );\n"));
	assert_true(has(f, 11, "missing setting \"on\" in digest of campaign "
	    "\"c\""));
	assert_true(has(f, 11, "at of digest \"9:00x\" must be a time of day "
	    "HH:MM"));
	assert_true(has(f, 13, "unknown contact, unit or group \"nobody\" in "
	    "escalation of task \"t\""));
	assert_int_equal(f->errs.n_errors, 3);
}

static void
test_launch_errors(void **state)
{
	struct cfix *f = *state;
	char msg[256];

	assert_null(load(f, PEOPLE
	    "campaigns = ( { id = \"c\"; title = \"t\";\n"		/* 8 */
	    "  period = [ \"2023-01-01\", \"2023-12-31\" ];\n"
	    "  launches = (\n"
	    "    { id = \"a\"; title = \"a\"; at = \"2023-05-01\"; audience = [ \"boss\" ]; },\n"
	    "    { id = \"a\"; title = \"b\"; at = \"2023-06-01\"; audience = [ \"boss\" ]; },\n"
	    "    { id = \"b\"; at = \"2023-06-01\"; audince = [ \"boss\" ]; } );\n"
	    "} );\n"));
	snprintf(msg, sizeof(msg), "duplicate launch \"a\" (first defined at "
	    "%s/s.conf:11)", f->dir);
	assert_true(has(f, 12, msg));
	assert_true(has(f, 13, "unknown setting \"audince\" in launch \"b\" of "
	    "campaign \"c\" (did you mean \"audience\"?)"));
	assert_true(has(f, 13, "missing setting \"title\" in launch \"b\" of "
	    "campaign \"c\""));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_launch_errors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_shapes_model, setup, teardown),
	cmocka_unit_test_setup_teardown(test_shapes_plan, setup, teardown),
	cmocka_unit_test_setup_teardown(test_shapes_errors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_digest_errors, setup, teardown),
};

UNIT_MAIN(tests)
