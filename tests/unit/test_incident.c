/*
 * test_incident.c - incidents (core/incident.c) over a real engine: the
 * trigger's checks, the waves it plans on every channel of every
 * recipient, taking charge and resolving with their notices, the
 * rendering of alerts and notices, and planning again after a restart.
 * The clock is the fixture's and does not move by itself: the sends of
 * wave 0 happen (the flaky channel completes at once), later waves only
 * sit in the store.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "engine.h"
#include "engine_fixture.h"
#include "incident.h"
#include "job.h"
#include "model.h"
#include "render.h"
#include "store.h"

/* TZ=Asia/Shanghai date -d '2030-06-01 14:03' +%s */
#define T0 1906524180

/*
 * Plan "fire": alert a and b, repeat every 10 minutes, escalate to the
 * desk after 5.  a has two channels (prefer one, always two), b one,
 * the desk one (two).
 */
#define CONF \
	"herald = { timezone = \"Asia/Shanghai\";\n" \
	"  store = \"sqlite:@DIR@/h.db\";\n" \
	"};\n" \
	"channels = ( { name = \"one\"; plugin = \"flaky\";\n" \
	"  record = \"@DIR@/one.txt\"; },\n" \
	"  { name = \"two\"; plugin = \"flaky\"; record = \"@DIR@/two.txt\"; } );\n" \
	"contacts = (\n" \
	"  { id = \"a\"; name = \"张丽\"; prefer = [ \"one\" ];" \
	" always = [ \"two\" ]; },\n" \
	"  { id = \"b\"; name = \"张伟\"; prefer = [ \"one\" ]; },\n" \
	"  { id = \"desk\"; name = \"值班室\"; prefer = [ \"two\" ]; }\n" \
	");\n" \
	"campaigns = ( { id = \"c\"; title = \"促销月\";\n" \
	"  period = [ \"2030-05-01\", \"2030-07-01\" ];\n" \
	"  plans = ( { id = \"fire\"; title = \"火灾应急预案\"; level = 2;\n" \
	"    alert = [ \"a\", \"b\" ]; steps = \"疏散\"; repeat = \"10m\";\n" \
	"    escalate = ( { after = \"5m\"; to = [ \"desk\" ]; } ); } );\n" \
	"} );\n"

static int
setup(void **state)
{
	struct efix *f = calloc(1, sizeof(*f));

	if (efix_setup(f, T0) == -1 || efix_open(f, CONF) == -1)
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

/* The jobs of an incident by kind, offset and state. */
struct jobs {
	size_t n;
	struct {
		enum job_kind kind;
		int64_t offset, due;
		enum job_state state;
		char contact[16], channel[16];
	} v[32];
};

static void
jobs_add(void *arg, const struct job *j)
{
	struct jobs *js = arg;

	if (js->n >= 32)
		return;
	js->v[js->n].kind = j->kind;
	js->v[js->n].offset = j->offset;
	js->v[js->n].due = j->due;
	js->v[js->n].state = j->state;
	snprintf(js->v[js->n].contact, 16, "%s", j->contact);
	snprintf(js->v[js->n].channel, 16, "%s", j->channel);
	js->n++;
}

static size_t
jobs_count(struct efix *f, const char *id, int kind, int64_t offset,
    int state)
{
	struct jobs js = { 0 };
	size_t n = 0;

	assert_int_equal(store_incident_jobs(engine_store(f->e), id, jobs_add,
	    &js), 0);
	for (size_t i = 0; i < js.n; i++)
		if ((kind < 0 || js.v[i].kind == (enum job_kind)kind) &&
		    (offset < 0 || js.v[i].offset == offset) &&
		    (state < 0 || js.v[i].state == (enum job_state)state))
			n++;
	return n;
}

static struct incident *
trigger(struct efix *f, const char *venue, int drill, int *created)
{
	struct incident_request rq = { .plan = "fire", .venue = venue,
	    .note = "三楼起火", .drill = drill, .source = "api" };
	struct incident *inc = NULL;
	char err[256];

	assert_int_equal(incident_trigger(f->e, &rq, &inc, created, err,
	    sizeof(err)), INCIDENT_OK);
	assert_non_null(inc);
	return inc;
}

/* Which contact's alert key to find, and where to put it. */
struct key_find {
	const char *contact;
	char *key;
};

/* store_job_fn: the key of the first alert to arg's contact. */
static void
alert_key_fn(void *arg, const struct job *j)
{
	struct key_find *a = arg;

	if (a->key[0] == '\0' && j->kind == JOB_EMERGENCY &&
	    strcmp(j->contact, a->contact) == 0)
		snprintf(a->key, JOB_KEY_LEN, "%s", j->key);
}

static void
count_one(void *arg, const struct store_incident *in)
{
	(void)in;
	(*(size_t *)arg)++;
}

static size_t
n_incidents(struct efix *f)
{
	struct store_incident_filter flt = { -1, -1, NULL, 0 };
	size_t n = 0;

	assert_int_equal(store_incident_list(engine_store(f->e), &flt,
	    count_one, &n), 0);
	return n;
}

/* Bad requests are refused with a reason and record nothing. */
static void
test_trigger_bad(void **state)
{
	struct efix *f = *state;
	struct incident_request rq = { .plan = "fire", .venue = "A",
	    .note = "n", .source = "api" };
	struct incident *inc = NULL;
	char err[256], big[2100];
	int created = -1;

	rq.plan = "flood";
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "unknown plan \"flood\"");
	rq.plan = "fire";
	rq.campaign = "nope";
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "unknown campaign \"nope\"");
	rq.campaign = NULL;
	rq.venue = "";
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "missing venue");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[INCIDENT_VENUE_MAX + 1] = '\0';
	rq.venue = big;
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "venue too long: 201 bytes, at most 200");
	big[INCIDENT_VENUE_MAX + 1] = 'x';
	rq.venue = "A";
	rq.note = NULL;
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "missing note");
	rq.note = big;
	assert_int_equal(incident_trigger(f->e, &rq, &inc, &created, err,
	    sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "note too long: 2099 bytes, at most 2000");
	assert_null(inc);
	assert_int_equal(n_incidents(f), 0);
	assert_int_equal(efix_count(f, JOB_PENDING), 0);
}

/*
 * The trigger plans wave 0 (a on both channels, b), the escalation to
 * the desk at +5m and the first repeat at +10m (a, b and the desk); a
 * second trigger at the same venue is the same incident.
 */
static void
test_trigger_plans(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *again;
	int created = -1;

	inc = trigger(f, "XX商场", 0, &created);
	assert_int_equal(created, 1);
	assert_int_equal(inc->v.state, STORE_INCIDENT_OPEN);
	assert_int_equal(inc->v.created_at, T0);
	assert_int_equal(strlen(inc->v.id), 36);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 0, -1), 3);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 300, -1), 1);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 600, -1), 4);
	assert_int_equal(jobs_count(f, inc->v.id, -1, -1, -1), 8);
	again = trigger(f, "XX商场", 0, &created);
	assert_int_equal(created, 0);
	assert_string_equal(again->v.id, inc->v.id);
	assert_int_equal(jobs_count(f, inc->v.id, -1, -1, -1), 8);
	incident_free(again);
	/* Another venue: another incident, other keys. */
	again = trigger(f, "YY广场", 1, &created);
	assert_int_equal(created, 1);
	assert_string_not_equal(again->v.id, inc->v.id);
	assert_int_equal(efix_count(f, JOB_PENDING), 16);
	incident_free(again);
	incident_free(inc);
}

static int
wave0_sent(struct efix *f)
{
	return efix_count(f, JOB_DELIVERED) == 3;
}

static int
five_sent(struct efix *f)
{
	return efix_count(f, JOB_DELIVERED) == 5;
}

/*
 * Wave 0 goes out; taking charge cancels the escalation and the repeat
 * and sends a and b (who were alerted) one notice each, through the
 * channel of their first alert; a second ack is the first.
 */
static void
test_ack(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *acked = NULL;
	char err[256];
	int created, already = -1;

	inc = trigger(f, "XX商场", 0, &created);
	assert_true(efix_run_until(f, wave0_sent, 5000));
	f->now_us += 180 * 1000000LL;
	assert_int_equal(incident_ack(f->e, inc->v.id, "a", "api", &acked,
	    &already, err, sizeof(err)), INCIDENT_OK);
	assert_int_equal(already, 0);
	assert_int_equal(acked->v.state, STORE_INCIDENT_ACKED);
	assert_string_equal(acked->v.acked_by, "a");
	assert_int_equal(acked->v.acked_at, T0 + 180);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, -1,
	    JOB_CANCELLED), 5);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_INCIDENT_ACK, -1, -1), 2);
	assert_true(efix_run_until(f, five_sent, 5000));
	{
		struct jobs js = { 0 };

		assert_int_equal(store_incident_jobs(engine_store(f->e),
		    inc->v.id, jobs_add, &js), 0);
		for (size_t i = 0; i < js.n; i++)
			if (js.v[i].kind == JOB_INCIDENT_ACK)
				assert_string_equal(js.v[i].channel, "one");
	}
	incident_free(acked);
	acked = NULL;
	f->now_us += 60 * 1000000LL;
	assert_int_equal(incident_ack(f->e, inc->v.id, "b", "sms", &acked,
	    &already, err, sizeof(err)), INCIDENT_OK);
	assert_int_equal(already, 1);
	assert_string_equal(acked->v.acked_by, "a");
	assert_int_equal(acked->v.acked_at, T0 + 180);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_INCIDENT_ACK, -1, -1), 2);
	incident_free(acked);
	acked = NULL;
	/* Unknown: not found. */
	assert_int_equal(incident_ack(f->e,
	    "11111111-2222-4333-8444-555555555555", "a", "api", &acked,
	    &already, err, sizeof(err)), INCIDENT_NOT_FOUND);
	incident_free(inc);
}

/* Found by what it is about while not resolved (Alertmanager's door). */
static void
test_find_open(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *found = NULL, *r = NULL;
	char err[256];
	int created, already;

	assert_int_equal(incident_find_open(f->e, NULL, "fire", "XX商场",
	    &found, err, sizeof(err)), INCIDENT_NOT_FOUND);
	assert_string_equal(err, "no open incident of plan \"fire\" at "
	    "\"XX商场\"");
	assert_int_equal(incident_find_open(f->e, NULL, "flood", "XX商场",
	    &found, err, sizeof(err)), INCIDENT_BAD);
	inc = trigger(f, "XX商场", 0, &created);
	assert_int_equal(incident_find_open(f->e, "c", "fire", "XX商场",
	    &found, err, sizeof(err)), INCIDENT_OK);
	assert_string_equal(found->v.id, inc->v.id);
	incident_free(found);
	assert_int_equal(incident_find_open(f->e, NULL, "fire", "YY广场",
	    &found, err, sizeof(err)), INCIDENT_NOT_FOUND);
	assert_int_equal(incident_ack(f->e, inc->v.id, "a", "api", &r,
	    &already, err, sizeof(err)), INCIDENT_OK);
	incident_free(r);
	assert_int_equal(incident_find_open(f->e, NULL, "fire", "XX商场",
	    &found, err, sizeof(err)), INCIDENT_OK);
	assert_string_equal(found->v.id, inc->v.id);
	incident_free(found);
	assert_int_equal(incident_resolve(f->e, inc->v.id, "a", "api", "好了",
	    &r, err, sizeof(err)), INCIDENT_OK);
	incident_free(r);
	assert_int_equal(incident_find_open(f->e, NULL, "fire", "XX商场",
	    &found, err, sizeof(err)), INCIDENT_NOT_FOUND);
	incident_free(inc);
}

/* Resolving sends the alerted a closing notice; it stays resolved. */
static void
test_resolve(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *r = NULL;
	char err[256];
	int created, already;

	inc = trigger(f, "XX商场", 0, &created);
	assert_true(efix_run_until(f, wave0_sent, 5000));
	assert_int_equal(incident_resolve(f->e, inc->v.id, "desk", "api",
	    NULL, &r, err, sizeof(err)), INCIDENT_BAD);
	assert_string_equal(err, "missing note");
	assert_int_equal(incident_resolve(f->e, inc->v.id, "desk", "api",
	    "已扑灭", &r, err, sizeof(err)), INCIDENT_OK);
	assert_int_equal(r->v.state, STORE_INCIDENT_RESOLVED);
	assert_string_equal(r->v.resolved_note, "已扑灭");
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, -1,
	    JOB_CANCELLED), 5);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_INCIDENT_CLOSE, -1, -1),
	    2);
	incident_free(r);
	r = NULL;
	assert_int_equal(incident_resolve(f->e, inc->v.id, "desk", "api",
	    "again", &r, err, sizeof(err)), INCIDENT_CONFLICT);
	incident_free(r);
	r = NULL;
	assert_int_equal(incident_ack(f->e, inc->v.id, "a", "api", &r,
	    &already, err, sizeof(err)), INCIDENT_CONFLICT);
	incident_free(r);
	incident_free(inc);
}

/*
 * Killed and started again 11 minutes after the trigger (the repeat at
 * +10m due, the one at +20m not yet planned): the start plans +20m.
 */
static void
test_restart_plans_next(void **state)
{
	struct efix *f = *state;
	struct incident *inc;
	int created;

	inc = trigger(f, "XX商场", 0, &created);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 1200, -1), 0);
	engine_free(f->e);
	f->e = NULL;
	f->now_us += 660 * 1000000LL;
	assert_int_equal(efix_open(f, CONF), 0);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 600, -1), 4);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 1200, -1), 4);
	assert_int_equal(jobs_count(f, inc->v.id, JOB_EMERGENCY, 1800, -1), 0);
	assert_int_equal(jobs_count(f, inc->v.id, -1, -1, -1), 12);
	incident_free(inc);
}

/* The key of the first alert of id to contact, into key. */
static void
alert_key(struct efix *f, const char *id, const char *contact, char *key)
{
	struct key_find arg = { contact, key };

	key[0] = '\0';
	assert_int_equal(store_incident_jobs(engine_store(f->e), id,
	    alert_key_fn, &arg), 0);
	assert_int_not_equal(key[0], '\0');
}

/*
 * The other doors: "seen" on an alert (its ack link, an SMS reply "1")
 * takes charge of the incident as the alert's recipient, through that
 * door; a second one, from anyone, reports the first.
 */
static void
test_ack_doors(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *now = NULL;
	struct ack_outcome out;
	char key[JOB_KEY_LEN], key2[JOB_KEY_LEN], err[256];
	int created;

	inc = trigger(f, "XX商场", 0, &created);
	alert_key(f, inc->v.id, "b", key);
	alert_key(f, inc->v.id, "a", key2);
	assert_int_equal(ack_lookup(f->e, key, &out), 0);
	assert_int_equal(out.result, ACK_OK);
	assert_int_equal(ack_apply(f->e, key, ACK_SUBMITTED, "link", &out), -1);
	assert_int_equal(out.result, ACK_NOT_DEADLINE);
	f->now_us += 30 * 1000000LL;
	assert_int_equal(ack_apply(f->e, key, ACK_SEEN, "link", &out), 0);
	assert_int_equal(out.result, ACK_OK);
	assert_int_equal(out.at, T0 + 30);
	assert_int_equal(incident_get(f->e, inc->v.id, &now, err,
	    sizeof(err)), INCIDENT_OK);
	assert_int_equal(now->v.state, STORE_INCIDENT_ACKED);
	assert_string_equal(now->v.acked_by, "b");
	assert_string_equal(now->v.acked_door, "link");
	incident_free(now);
	/* a answers by SMS later: already, at b's time. */
	f->now_us += 30 * 1000000LL;
	assert_int_equal(ack_apply(f->e, key2, ACK_SEEN, "sms", &out), 0);
	assert_int_equal(out.result, ACK_ALREADY);
	assert_int_equal(out.at, T0 + 30);
	/* The alert cancelled by the ack still reads as acknowledged. */
	assert_int_equal(ack_lookup(f->e, key2, &out), 0);
	assert_int_equal(out.result, ACK_ALREADY);
	incident_free(inc);
}

/* Channel "one" sends one message at a time, each taking 300 ms. */
#define CONF_SLOW \
	"herald = { timezone = \"Asia/Shanghai\";\n" \
	"  store = \"sqlite:@DIR@/h.db\";\n" \
	"};\n" \
	"channels = ( { name = \"one\"; plugin = \"flaky\"; delay_ms = 300;\n" \
	"  concurrency = 1; record = \"@DIR@/one.txt\"; } );\n" \
	"contacts = (\n" \
	"  { id = \"a\"; name = \"张丽\"; prefer = [ \"one\" ]; },\n" \
	"  { id = \"b\"; name = \"张伟\"; prefer = [ \"one\" ]; },\n" \
	"  { id = \"c\"; name = \"王强\"; prefer = [ \"one\" ]; }\n" \
	");\n" \
	"campaigns = ( { id = \"c\"; title = \"促销月\";\n" \
	"  period = [ \"2030-05-01\", \"2030-07-01\" ];\n" \
	"  plans = ( { id = \"fire\"; title = \"火灾应急预案\"; level = 2;\n" \
	"    alert = [ \"a\", \"b\", \"c\" ]; steps = \"疏散\"; } );\n" \
	"} );\n"

static int
setup_slow(void **state)
{
	struct efix *f = calloc(1, sizeof(*f));

	if (efix_setup(f, T0) == -1 || efix_open(f, CONF_SLOW) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
one_in_flight(struct efix *f)
{
	return efix_count(f, JOB_INFLIGHT) == 3;
}

static int
settled(struct efix *f)
{
	return efix_count(f, JOB_INFLIGHT) == 0 && efix_count(f,
	    JOB_PENDING) == 0;
}

/*
 * Alerts already claimed and queued behind a slow channel when someone
 * takes charge are not sent: the dispatcher's check drops them at
 * hand-off ("incident acknowledged").  The one being sent completes.
 */
static void
test_ack_drops_queued(void **state)
{
	struct efix *f = *state;
	struct incident *inc, *acked = NULL;
	char err[256];
	int created, already;
	struct jobs js = { 0 };
	size_t sent = 0, dropped = 0;

	inc = trigger(f, "XX商场", 0, &created);
	/* All three claimed (in flight in the store): one sending, two
	 * queued. */
	assert_true(efix_run_until(f, one_in_flight, 5000));
	assert_int_equal(incident_ack(f->e, inc->v.id, "a", "api", &acked,
	    &already, err, sizeof(err)), INCIDENT_OK);
	assert_true(efix_run_until(f, settled, 5000));
	assert_int_equal(store_incident_jobs(engine_store(f->e), inc->v.id,
	    jobs_add, &js), 0);
	for (size_t i = 0; i < js.n; i++) {
		if (js.v[i].kind != JOB_EMERGENCY)
			continue;
		sent += js.v[i].state == JOB_DELIVERED;
		dropped += js.v[i].state == JOB_CANCELLED;
	}
	assert_true(sent >= 1);
	assert_true(dropped >= 1);
	assert_int_equal(sent + dropped, 3);
	incident_free(acked);
	incident_free(inc);
}

/* What the alert, the notices and a drill say. */
static void
test_render(void **state)
{
	struct efix *f = *state;
	const struct model *m = engine_model(f->e);
	struct store_incident in = { .id = "x", .campaign = "c",
	    .plan = "fire", .venue = "XX商场", .note = "三楼起火",
	    .created_at = T0, .acked_by = "a", .acked_at = T0 + 120,
	    .resolved_by = "值班长", .resolved_at = T0 + 3600,
	    .resolved_note = "明火已扑灭" };
	struct render_extra x = { .now = T0, .incident = &in };
	struct job j = { .kind = JOB_EMERGENCY, .campaign = "c",
	    .item = "fire", .contact = "b", .channel = "one", .due = T0,
	    .item_at = T0, .key = "k" };
	char *subject, *body, err[128];

	assert_int_equal(render_job(m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "【应急】火灾应急预案（2级）：疏散\n"
	    "地点：XX商场\n时间：6月1日 14:03\n情况：三楼起火");
	free(subject);
	free(body);
	/* Over SMS with replies on: how to take charge by a reply. */
	x.sms_replies = 1;
	assert_int_equal(render_job(m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "【应急】火灾应急预案（2级）：疏散\n"
	    "地点：XX商场\n时间：6月1日 14:03\n情况：三楼起火。回复1接手。");
	free(subject);
	free(body);
	x.sms_replies = 0;
	j.kind = JOB_INCIDENT_ACK;
	assert_int_equal(render_job(m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "【应急】火灾应急预案：负责人：张丽，14:05 "
	    "已接手（XX商场）。");
	assert_string_equal(subject, "【应急】火灾应急预案：张丽已接手");
	free(subject);
	free(body);
	j.kind = JOB_INCIDENT_CLOSE;
	in.drill = 1;
	assert_int_equal(render_job(m, &j, &x, &subject, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(body, "【演练】【应急】火灾应急预案：XX商场事件已"
	    "处置完毕（值班长，15:03）。明火已扑灭");
	assert_string_equal(subject, "【演练】【应急】火灾应急预案：已处置完毕");
	free(subject);
	free(body);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_trigger_bad, setup, teardown),
	cmocka_unit_test_setup_teardown(test_trigger_plans, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ack, setup, teardown),
	cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
	cmocka_unit_test_setup_teardown(test_find_open, setup, teardown),
	cmocka_unit_test_setup_teardown(test_restart_plans_next, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_render, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ack_doors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ack_drops_queued, setup_slow,
	    teardown),
};

UNIT_MAIN(tests)
