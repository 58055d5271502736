/*
 * test_api.c - the API handlers through api_route() against an engine on
 * a SQLite store in a temp dir (engine_fixture.h), without a daemon: the
 * server is bound to 127.0.0.1 port 0 inside the test and a libevent HTTP
 * client on the same loop asks it.  What a client sees is asserted:
 * status codes, JSON fields, and the store rows a write leaves.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "engine.h"
#include "engine_fixture.h"
#include "errlist.h"
#include "httpd.h"
#include "job.h"
#include "model.h"
#include "sched.h"
#include "store.h"

/* TZ=Asia/Shanghai date -d '2030-06-01 17:00' +%s */
#define T_DUE 1906534800
#define TOKEN "s3cret-token-for-tests"

/* One deadline for a and b on the flaky channel: two jobs each (the
 * reminder a day before, the overdue notice at the due time); writes
 * need the token in @DIR@/token. */
static const char conf[] =
	"herald = { timezone = \"Asia/Shanghai\";\n"
	"  store = \"sqlite:@DIR@/h.db\";\n"
	"  api_token_file = \"@DIR@/token\";\n"
	"  sms_reply_token_file = \"@DIR@/token\";\n"
	"  engine = { workdays_only = [ ]; };\n"
	"};\n"
	"channels = ( { name = \"one\"; plugin = \"flaky\"; } );\n"
	"contacts = (\n"
	"  { id = \"a\"; name = \"王晓明\"; phone = \"13800138000\";\n"
	"    prefer = [ \"one\" ]; },\n"
	"  { id = \"b\"; name = \"张伟\"; prefer = [ \"one\" ]; }\n"
	");\n"
	"groups = ( { id = \"liaisons\"; members = [ \"a\", \"b\" ]; } );\n"
	"campaigns = ( { id = \"c\"; title = \"演练\";\n"
	"  period = [ \"2030-05-01\", \"2030-07-01\" ];\n"
	"  deadlines = ( { id = \"d\"; title = \"报送材料\";\n"
	"    due = \"2030-06-01 17:00\"; remind = [ \"1d\" ];\n"
	"    audience = [ \"liaisons\" ]; } );\n"
	"  plans = ( { id = \"fire\"; title = \"火灾应急预案\"; level = 1;\n"
	"    alert = [ \"a\", \"b\" ]; steps = \"疏散\"; repeat = \"10m\"; } );\n"
	"} );\n";

struct fixture {
	struct efix ef;
	struct httpd *h;
	struct api_state st;
	struct api_ctx ctx;
	int reloads;		/* calls of the reload callback */
	int reload_rc;
	size_t want;		/* delivered jobs awaited */
	/* The last answer: its body as text, and as JSON when it is. */
	int done, code;
	char *text;
	json_t *body;
};

static int
fake_reload(void *arg, struct errlist *errs)
{
	struct fixture *f = arg;

	f->reloads++;
	if (f->reload_rc == -1)
		errlist_add(errs, "h.conf", 3, "broken on purpose");
	return f->reload_rc;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128], err[256];
	FILE *fp;

	if (efix_setup(&f->ef, T_DUE - 10 * 86400) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/token", f->ef.dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(TOKEN "\n", fp);
	fclose(fp);
	if (efix_open(&f->ef, conf) == -1)
		return -1;
	if (httpd_open(f->ef.base, "127.0.0.1:0", &f->h, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "httpd_open: %s\n", err);
		return -1;
	}
	httpd_set_max_body(f->h, engine_model(f->ef.e)->daemon.api_max_body);
	f->st.started = 1000;
	f->ctx.engine = f->ef.e;
	f->ctx.state = &f->st;
	f->ctx.config_path = f->ef.conf;
	f->ctx.reload = fake_reload;
	f->ctx.reload_arg = f;
	if (api_route(f->h, &f->ctx) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	json_decref(f->body);
	free(f->text);
	httpd_free(f->h);
	rc = efix_teardown(&f->ef);
	free(f);
	return rc;
}

static void
on_answer(struct evhttp_request *req, void *arg)
{
	struct fixture *f = arg;
	struct evbuffer *b;
	json_error_t je;

	f->done = 1;
	if (req == NULL)
		return;
	f->code = evhttp_request_get_response_code(req);
	b = evhttp_request_get_input_buffer(req);
	f->text = strndup((const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	f->body = json_loadb(f->text, strlen(f->text), 0, &je);
}

static int
answered(struct efix *ef)
{
	return ((struct fixture *)ef)->done;
}

/*
 * Ask method path (body may be NULL; token NULL: no Authorization) and
 * run the loop until the answer; f->code and f->text hold it, f->body
 * too when it is JSON.
 */
static void
ask_text(struct fixture *f, enum evhttp_cmd_type method, const char *path,
    const char *token, const char *body)
{
	struct evhttp_connection *c;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char auth[128];

	json_decref(f->body);
	f->body = NULL;
	free(f->text);
	f->text = NULL;
	f->done = 0;
	f->code = 0;
	c = evhttp_connection_base_new(f->ef.base, NULL, "127.0.0.1",
	    (unsigned short)httpd_port(f->h));
	assert_non_null(c);
	req = evhttp_request_new(on_answer, f);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", "127.0.0.1");
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (body != NULL) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body,
		    strlen(body));
	}
	assert_int_equal(evhttp_make_request(c, req, method, path), 0);
	assert_true(efix_run_until(&f->ef, answered, 5000));
	evhttp_connection_free(c);
	assert_non_null(f->text);
}

/* ask_text(), for an answer that must be JSON. */
static void
ask(struct fixture *f, enum evhttp_cmd_type method, const char *path,
    const char *token, const char *body)
{
	ask_text(f, method, path, token, body);
	assert_non_null(f->body);
}

static const char *
str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static void
test_healthz(void **state)
{
	struct fixture *f = *state;

	ask(f, EVHTTP_REQ_GET, "/healthz", NULL, NULL);
	assert_int_equal(f->code, 200);
	assert_true(json_is_true(json_object_get(f->body, "ok")));
	assert_int_equal(json_integer_value(json_object_get(f->body,
	    "generation")), 1);
	assert_string_equal(str(f->body, "store"), "ok");

	/* The daemon's state is read at request time. */
	f->st.draining = 1;
	ask(f, EVHTTP_REQ_GET, "/healthz", NULL, NULL);
	assert_int_equal(f->code, 503);
	assert_true(json_is_false(json_object_get(f->body, "ok")));
	assert_string_equal(str(f->body, "reason"), "stopping");
}

static void
test_status(void **state)
{
	struct fixture *f = *state;

	f->st.last_reload_ok = -1;
	ask(f, EVHTTP_REQ_GET, "/v1/status", NULL, NULL);
	assert_int_equal(f->code, 200);
	assert_int_equal(json_integer_value(json_object_get(f->body,
	    "generation")), 1);
	assert_true(json_is_false(json_object_get(json_object_get(f->body,
	    "last_reload"), "ok")));
}

static void
test_agenda(void **state)
{
	struct fixture *f = *state;
	json_t *jobs;

	ask(f, EVHTTP_REQ_GET, "/v1/agenda", NULL, NULL);
	assert_int_equal(f->code, 200);
	/* 2 contacts x (1 reminder + 1 overdue), all pending. */
	jobs = json_object_get(f->body, "jobs");
	assert_int_equal(json_array_size(jobs), 4);
	assert_int_equal(json_integer_value(json_object_get(f->body,
	    "count")), 4);

	ask(f, EVHTTP_REQ_GET, "/v1/agenda?bogus=1", NULL, NULL);
	assert_int_equal(f->code, 400);
	assert_non_null(str(f->body, "error"));

	ask(f, EVHTTP_REQ_GET, "/v1/jobs/not-a-uuid", NULL, NULL);
	assert_int_equal(f->code, 400);
	assert_non_null(strstr(str(f->body, "error"), "malformed job key"));
}

static void
test_write_needs_token(void **state)
{
	struct fixture *f = *state;

	ask(f, EVHTTP_REQ_POST, "/v1/reload", NULL, NULL);
	assert_int_equal(f->code, 401);
	assert_non_null(str(f->body, "error"));
	ask(f, EVHTTP_REQ_POST, "/v1/reload", "wrong", NULL);
	assert_int_equal(f->code, 403);
	assert_int_equal(f->reloads, 0);
}

static void
test_reload_callback(void **state)
{
	struct fixture *f = *state;
	json_t *errors;

	ask(f, EVHTTP_REQ_POST, "/v1/reload", TOKEN, NULL);
	assert_int_equal(f->code, 200);
	assert_int_equal(f->reloads, 1);
	assert_true(json_is_true(json_object_get(f->body, "ok")));

	f->reload_rc = -1;
	ask(f, EVHTTP_REQ_POST, "/v1/reload", TOKEN, "{}");
	assert_int_equal(f->code, 422);
	assert_int_equal(f->reloads, 2);
	assert_string_equal(str(f->body, "error"), "config has errors");
	errors = json_object_get(f->body, "errors");
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(json_string_value(json_array_get(errors, 0)),
	    "h.conf:3: broken on purpose");
}

static void
test_submission_cancels(void **state)
{
	struct fixture *f = *state;
	int done = 0;
	size_t counts[JOB_STATE_COUNT];

	ask(f, EVHTTP_REQ_POST, "/v1/submissions", TOKEN,
	    "{\"campaign\": \"c\", \"deadline\": \"d\", \"contact\": \"a\"}");
	assert_int_equal(f->code, 200);
	assert_true(json_is_true(json_object_get(f->body, "submitted")));
	/* a's reminder and overdue notice. */
	assert_int_equal(json_integer_value(json_object_get(f->body,
	    "cancelled")), 2);
	assert_int_equal(store_is_submitted(engine_store(f->ef.e), "c", "d",
	    NULL, "a", &done, NULL), 0);
	assert_true(done);
	assert_int_equal(store_count_states(engine_store(f->ef.e), counts), 0);
	assert_int_equal(counts[JOB_CANCELLED], 2);
	assert_int_equal(counts[JOB_PENDING], 2);

	ask(f, EVHTTP_REQ_POST, "/v1/submissions", TOKEN,
	    "{\"campaign\": \"c\", \"deadline\": \"nope\", "
	    "\"contact\": \"a\"}");
	assert_int_equal(f->code, 404);
	assert_non_null(str(f->body, "error"));
}

/* Without herald.alertmanager the endpoint takes nothing, token or
 * not; the token is asked first, as for every write. */
static void
test_alertmanager_unconfigured(void **state)
{
	struct fixture *f = *state;
	const char *payload = "{\"version\":\"4\",\"alerts\":[]}";

	ask(f, EVHTTP_REQ_POST, "/v1/incidents/alertmanager", NULL, payload);
	assert_int_equal(f->code, 401);
	ask(f, EVHTTP_REQ_POST, "/v1/incidents/alertmanager", TOKEN,
	    payload);
	assert_int_equal(f->code, 404);
	assert_non_null(strstr(str(f->body, "error"),
	    "alertmanager not configured"));
}

/* Bad triggers and acks: 4xx JSON naming the problem, nothing recorded. */
static void
test_incident_bad(void **state)
{
	struct fixture *f = *state;
	char body[2400], venue[260];

	ask(f, EVHTTP_REQ_POST, "/v1/incidents", NULL,
	    "{\"plan\": \"fire\", \"venue\": \"A\", \"note\": \"n\"}");
	assert_int_equal(f->code, 401);
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"flood\", \"venue\": \"A\", \"note\": \"n\"}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"), "unknown plan \"flood\"");
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"fire\", \"note\": \"n\"}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"), "missing field \"venue\"");
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"fire\", \"venue\": \"A\"}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"), "missing field \"note\"");
	memset(venue, 'v', 201);
	venue[201] = '\0';
	snprintf(body, sizeof(body), "{\"plan\": \"fire\", \"venue\": \"%s\", "
	    "\"note\": \"n\"}", venue);
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN, body);
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"),
	    "venue too long: 201 bytes, at most 200");
	snprintf(body, sizeof(body), "{\"plan\": \"fire\", \"venue\": \"A\", "
	    "\"note\": \"%2001d\"}", 7);
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN, body);
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"),
	    "note too long: 2001 bytes, at most 2000");
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN, "{\"plan\": \"fire\"");
	assert_int_equal(f->code, 400);
	assert_non_null(str(f->body, "error"));
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"fire\", \"venue\": \"A\", \"note\": \"n\", "
	    "\"drill\": \"yes\"}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"),
	    "field \"drill\" must be true or false");
	ask(f, EVHTTP_REQ_POST,
	    "/v1/incidents/11111111-2222-4333-8444-555555555555/ack", TOKEN,
	    "{\"by\": \"a\"}");
	assert_int_equal(f->code, 404);
	assert_string_equal(str(f->body, "error"),
	    "no incident 11111111-2222-4333-8444-555555555555");
	ask(f, EVHTTP_REQ_GET, "/v1/incidents", NULL, NULL);
	assert_int_equal(f->code, 200);
	assert_int_equal(json_array_size(json_object_get(f->body,
	    "incidents")), 0);
	/* Only the deadline's four jobs. */
	assert_int_equal(efix_count(&f->ef, JOB_PENDING), 4);
}

/* Trigger, the same again, show, ack twice, resolve, and after. */
static void
test_incident_flow(void **state)
{
	struct fixture *f = *state;
	char id[64], path[128];
	json_t *alerts, *events;

	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"fire\", \"venue\": \"XX商场\", \"note\": \"起火\", "
	    "\"drill\": true}");
	assert_int_equal(f->code, 201);
	assert_true(json_is_false(json_object_get(f->body, "existing")));
	assert_true(json_is_true(json_object_get(f->body, "drill")));
	assert_string_equal(str(f->body, "state"), "open");
	assert_string_equal(str(f->body, "created_at"),
	    "2030-05-22T17:00:00+08:00");
	snprintf(id, sizeof(id), "%s", str(f->body, "id"));
	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"campaign\": \"c\", \"plan\": \"fire\", \"venue\": \"XX商场\", "
	    "\"note\": \"again\"}");
	assert_int_equal(f->code, 200);
	assert_true(json_is_true(json_object_get(f->body, "existing")));
	assert_string_equal(str(f->body, "id"), id);
	assert_string_equal(str(f->body, "note"), "起火");

	snprintf(path, sizeof(path), "/v1/incidents/%s", id);
	ask(f, EVHTTP_REQ_GET, path, NULL, NULL);
	assert_int_equal(f->code, 200);
	alerts = json_object_get(f->body, "alerts");
	/* a and b now, and again at the first repeat. */
	assert_int_equal(json_array_size(alerts), 4);
	assert_string_equal(str(json_array_get(alerts, 0), "channel"), "one");
	events = json_object_get(f->body, "events");
	assert_string_equal(str(json_array_get(events, 0), "what"),
	    "trigger");

	snprintf(path, sizeof(path), "/v1/incidents/%s/ack", id);
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"), "missing field \"by\"");
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"a\"}");
	assert_int_equal(f->code, 200);
	assert_true(json_is_false(json_object_get(f->body, "already")));
	assert_string_equal(str(f->body, "state"), "acked");
	assert_string_equal(str(json_object_get(f->body, "acked"), "by_name"),
	    "王晓明");
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"b\"}");
	assert_int_equal(f->code, 200);
	assert_true(json_is_true(json_object_get(f->body, "already")));
	assert_string_equal(str(json_object_get(f->body, "acked"), "by"), "a");

	snprintf(path, sizeof(path), "/v1/incidents/%s/resolve", id);
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"a\"}");
	assert_int_equal(f->code, 400);
	assert_string_equal(str(f->body, "error"), "missing field \"note\"");
	ask(f, EVHTTP_REQ_POST, path, TOKEN,
	    "{\"by\": \"a\", \"note\": \"已扑灭\"}");
	assert_int_equal(f->code, 200);
	assert_string_equal(str(f->body, "state"), "resolved");
	ask(f, EVHTTP_REQ_POST, path, TOKEN,
	    "{\"by\": \"a\", \"note\": \"again\"}");
	assert_int_equal(f->code, 409);
	assert_non_null(strstr(str(f->body, "error"), "resolved already"));
	snprintf(path, sizeof(path), "/v1/incidents/%s/ack", id);
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"a\"}");
	assert_int_equal(f->code, 409);
	snprintf(path, sizeof(path), "/v1/incidents/%s/close", id);
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"a\"}");
	assert_int_equal(f->code, 404);

	ask(f, EVHTTP_REQ_GET, "/v1/incidents?state=resolved&drill=true",
	    NULL, NULL);
	assert_int_equal(f->code, 200);
	assert_int_equal(json_array_size(json_object_get(f->body,
	    "incidents")), 1);
	ask(f, EVHTTP_REQ_GET, "/v1/incidents?drill=false", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(f->body,
	    "incidents")), 0);
	ask(f, EVHTTP_REQ_GET, "/v1/incidents?state=closed", NULL, NULL);
	assert_int_equal(f->code, 400);
}

static int
incident_delivered(struct efix *ef)
{
	return efix_count(ef, JOB_DELIVERED) == ((struct fixture *)ef)->want;
}

/*
 * A "1" by SMS answers the latest notice the sender got.  Taking charge
 * in the very second of a repeat wave gives the notice that says who took
 * charge the same due instant as the repeat it follows: the notice is
 * still the one answered (CI once matched the repeat, and answered
 * "已由张伟…接手" to a reader confirming the notice).
 */
static void
test_sms_reply_same_second(void **state)
{
	struct fixture *f = *state;
	char id[64], path[256];

	ask(f, EVHTTP_REQ_POST, "/v1/incidents", TOKEN,
	    "{\"plan\": \"fire\", \"venue\": \"XX商场\", \"note\": \"起火\"}");
	assert_int_equal(f->code, 201);
	snprintf(id, sizeof(id), "%s", str(f->body, "id"));
	f->want = 2;
	assert_true(efix_run_until(&f->ef, incident_delivered, 5000));
	/* The repeat, ten minutes on, goes out; b takes charge in the same
	 * second, and a and b are told. */
	f->ef.now_us += 600 * 1000000LL;
	sched_poke(engine_sched(f->ef.e));
	f->want = 4;
	assert_true(efix_run_until(&f->ef, incident_delivered, 5000));
	snprintf(path, sizeof(path), "/v1/incidents/%s/ack", id);
	ask(f, EVHTTP_REQ_POST, path, TOKEN, "{\"by\": \"b\"}");
	assert_int_equal(f->code, 200);
	f->want = 6;
	assert_true(efix_run_until(&f->ef, incident_delivered, 5000));

	ask_text(f, EVHTTP_REQ_GET, "/v1/sms/mo?from=13800138000&text=1&"
	    "token=" TOKEN, NULL, NULL);
	assert_int_equal(f->code, 200);
	assert_non_null(strstr(f->text, "已收到确认：火灾应急预案"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agenda, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_needs_token, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reload_callback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_submission_cancels,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alertmanager_unconfigured,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_bad, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_incident_flow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sms_reply_same_second,
		    setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
