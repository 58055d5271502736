/*
 * test_alertmanager.c - Alertmanager's webhook payload (version "4")
 * into incident requests (core/api/alertmanager.c).  The payloads are
 * written by hand after the documented format (prometheus.io,
 * configuration, <webhook_config>): groupKey, truncatedAlerts, status,
 * receiver, groupLabels, commonLabels, commonAnnotations, externalURL,
 * alerts[] with status, labels, annotations, startsAt, endsAt,
 * generatorURL, fingerprint.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertmanager.h"
#include "model.h"

/* The defaults of herald.alertmanager (herald.conf(5)). */
static const struct model_alertmanager defaults = {
	.set = 1, .plan_label = "plan", .venue_label = "venue",
	.campaign_label = "campaign", .note_annotation = "summary",
	.drill_label = "drill",
};

/* A firing group of two alerts, as Alertmanager 0.25 sends it. */
static const char two_alerts[] =
	"{\"receiver\":\"herald\",\"status\":\"firing\",\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"CrowdDensity\","
	"\"plan\":\"stampede\",\"venue\":\"XX商场\",\"campaign\":\"2023-q4\","
	"\"severity\":\"critical\",\"instance\":\"cam-7:9100\"},"
	"\"annotations\":{\"summary\":\"人流密度超过 4 人/平方米\","
	"\"description\":\"more\"},"
	"\"startsAt\":\"2023-09-09T19:02:11.12Z\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\","
	"\"generatorURL\":\"http://prom:9090/graph?g0.expr=x\","
	"\"fingerprint\":\"1a30ba71cca2921f\"},"
	"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Smoke\","
	"\"plan\":\"fire\",\"venue\":\"YY广场\",\"drill\":\"true\"},"
	"\"annotations\":{},\"startsAt\":\"2023-09-09T18:00:00Z\","
	"\"endsAt\":\"2023-09-09T19:00:00Z\",\"fingerprint\":\"bc97ff14\"}],"
	"\"groupLabels\":{\"alertname\":\"CrowdDensity\"},"
	"\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://am:9093\",\"version\":\"4\","
	"\"groupKey\":\"{}:{alertname=\\\"CrowdDensity\\\"}\","
	"\"truncatedAlerts\":2}";

/* Parse s with conf; fails the test when refused. */
static void
parse_ok(const char *s, const struct model_alertmanager *conf,
    struct am_batch *b)
{
	char err[256] = "";

	if (am_parse(s, strlen(s), conf, b, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

/* Parse s, which must be refused; returns the reason (static). */
static const char *
parse_bad(const char *s)
{
	static char err[256];
	struct am_batch b;

	err[0] = '\0';
	assert_int_equal(am_parse(s, strlen(s), &defaults, &b, err,
	    sizeof(err)), -1);
	assert_null(b.doc);
	assert_int_equal(b.n, 0);
	return err;
}

static void
test_firing_and_resolved(void **state)
{
	struct am_batch b;
	const struct am_request *r;

	(void)state;
	parse_ok(two_alerts, &defaults, &b);
	assert_string_equal(b.receiver, "herald");
	assert_string_equal(b.status, "firing");
	assert_string_equal(b.group_key, "{}:{alertname=\"CrowdDensity\"}");
	assert_int_equal(b.truncated, 2);
	assert_int_equal(b.n, 2);

	assert_null(b.alerts[0].skipped);
	r = &b.alerts[0].req;
	assert_string_equal(r->plan, "stampede");
	assert_string_equal(r->venue, "XX商场");
	assert_string_equal(r->campaign, "2023-q4");
	assert_string_equal(r->note, "人流密度超过 4 人/平方米");
	assert_string_equal(r->fingerprint, "1a30ba71cca2921f");
	assert_string_equal(r->alertname, "CrowdDensity");
	assert_false(r->drill);
	assert_false(r->resolved);
	assert_string_equal(b.alerts[0].status, "firing");

	/* Each alert's own status counts, not the group's. */
	assert_null(b.alerts[1].skipped);
	r = &b.alerts[1].req;
	assert_string_equal(r->plan, "fire");
	assert_string_equal(r->venue, "YY广场");
	assert_null(r->campaign);
	assert_true(r->drill);
	assert_true(r->resolved);
	/* No summary annotation: the alert's name is the note. */
	assert_string_equal(r->note, "Smoke");
	am_batch_clear(&b);
	assert_null(b.doc);
}

static void
test_configured_labels(void **state)
{
	struct model_alertmanager conf = defaults;
	struct am_batch b;
	const char *s = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":["
	    "{\"status\":\"firing\",\"labels\":{\"herald_plan\":\"p1\","
	    "\"site\":\"场馆\",\"plan\":\"not-this\",\"venue\":\"nor-this\","
	    "\"exercise\":\"false\"},\"annotations\":{\"summary\":\"no\","
	    "\"herald_note\":\"现场报告\"}}]}";

	(void)state;
	conf.plan_label = "herald_plan";
	conf.venue_label = "site";
	conf.note_annotation = "herald_note";
	conf.drill_label = "exercise";
	parse_ok(s, &conf, &b);
	assert_int_equal(b.n, 1);
	assert_null(b.alerts[0].skipped);
	assert_string_equal(b.alerts[0].req.plan, "p1");
	assert_string_equal(b.alerts[0].req.venue, "场馆");
	assert_string_equal(b.alerts[0].req.note, "现场报告");
	assert_false(b.alerts[0].req.drill);
	/* Absent optional members read as empty, not NULL. */
	assert_string_equal(b.alerts[0].req.fingerprint, "");
	assert_string_equal(b.alerts[0].req.alertname, "");
	assert_string_equal(b.receiver, "");
	am_batch_clear(&b);
}

/* Alert i of b was skipped for exactly why. */
static void
skipped(const struct am_batch *b, size_t i, const char *why)
{
	assert_true(i < b->n);
	assert_non_null(b->alerts[i].skipped);
	assert_string_equal(b->alerts[i].skipped, why);
}

static void
test_skipped_alerts(void **state)
{
	struct am_batch b;
	const char *s = "{\"version\":\"4\",\"alerts\":["
	    "{\"status\":\"firing\",\"labels\":{\"venue\":\"v\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":\"p\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":\"p\",\"venue\":\"\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":7,\"venue\":\"v\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":\"p\",\"venue\":\"v\","
	    "\"drill\":\"yes\"}},"
	    "{\"status\":\"pending\",\"labels\":{\"plan\":\"p\",\"venue\":\"v\"}},"
	    "{\"labels\":{\"plan\":\"p\",\"venue\":\"v\"}},"
	    "{\"status\":\"firing\",\"labels\":[]},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":\"p\",\"venue\":\"v\"},"
	    "\"annotations\":{\"summary\":false}},"
	    "{\"status\":\"firing\",\"labels\":{\"plan\":\"ok\",\"venue\":\"v\"}},"
	    /* 14 x 3 bytes: cut at 40 bytes would split a character. */
	    "{\"status\":\"警报警报警报警报警报警报警报\",\"labels\":{}}"
	    "]}";

	(void)state;
	parse_ok(s, &defaults, &b);
	assert_int_equal(b.n, 11);
	skipped(&b, 0, "no label \"plan\"");
	skipped(&b, 1, "no label \"venue\"");
	skipped(&b, 2, "label \"venue\" is empty");
	skipped(&b, 3, "label \"plan\" is not a string");
	skipped(&b, 4, "label \"drill\" must be \"true\" or \"false\"");
	skipped(&b, 5, "status \"pending\" is neither firing nor resolved");
	assert_string_equal(b.alerts[5].status, "pending");
	skipped(&b, 6, "no \"status\"");
	assert_null(b.alerts[6].status);
	skipped(&b, 7, "no \"labels\" object");
	skipped(&b, 8, "annotation \"summary\" is not a string");
	/* The bad ones cost the good one nothing. */
	assert_null(b.alerts[9].skipped);
	assert_string_equal(b.alerts[9].req.plan, "ok");
	/* Neither summary nor alertname: no note (the incident decides). */
	assert_null(b.alerts[9].req.note);
	/* 13 whole characters (39 bytes) of the 14. */
	skipped(&b, 10, "status \"警报警报警报警报警报警报警\" is neither firing "
	    "nor resolved");
	am_batch_clear(&b);
}

/* "{...alerts:[{firing, plan p, venue VENUE, summary NOTE}]}"; caller
 * frees. */
static char *
one_alert(const char *venue, const char *note)
{
	size_t n = strlen(venue) + strlen(note) + 256;
	char *s = malloc(n);

	snprintf(s, n, "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"plan\":\"p\",\"venue\":\"%s\"},\"annotations\":"
	    "{\"summary\":\"%s\"}}]}", venue, note);
	return s;
}

/* n bytes of UTF-8: "场" (3 bytes) repeated, then 'x' to make up n. */
static char *
text_of(size_t n)
{
	char *s = malloc(n + 1), *p = s;

	for (size_t i = 0; i < n / 3; i++, p += 3)
		memcpy(p, "\xe5\x9c\xba", 3);
	memset(p, 'x', n % 3);
	p[n % 3] = '\0';
	assert_int_equal(strlen(s), n);
	return s;
}

static void
test_sizes(void **state)
{
	/* The limits of doc/api.txt, written out: 200 and 2000 bytes. */
	char *v200 = text_of(200), *v201 = text_of(201);
	char *n2000 = text_of(2000), *n2001 = text_of(2001);
	char *s;
	struct am_batch b;

	(void)state;
	s = one_alert(v200, n2000);
	parse_ok(s, &defaults, &b);
	assert_null(b.alerts[0].skipped);
	assert_int_equal(strlen(b.alerts[0].req.venue), 200);
	assert_int_equal(strlen(b.alerts[0].req.note), 2000);
	am_batch_clear(&b);
	free(s);

	s = one_alert(v201, "n");
	parse_ok(s, &defaults, &b);
	skipped(&b, 0, "label \"venue\" is over 200 bytes");
	am_batch_clear(&b);
	free(s);

	s = one_alert("v", n2001);
	parse_ok(s, &defaults, &b);
	skipped(&b, 0, "annotation \"summary\" is over 2000 bytes");
	am_batch_clear(&b);
	free(s);
	free(v200);
	free(v201);
	free(n2000);
	free(n2001);
}

static void
test_refused(void **state)
{
	(void)state;
	assert_string_equal(parse_bad("{\"version\":\"3\",\"alerts\":[]}"),
	    "payload version \"3\" is not \"4\"");
	assert_string_equal(parse_bad("{\"version\":4,\"alerts\":[]}"),
	    "payload version 4 is not \"4\"");
	assert_string_equal(parse_bad("{\"alerts\":[]}"),
	    "no \"version\": not an Alertmanager webhook payload");
	assert_string_equal(parse_bad("{\"version\":\"4\"}"),
	    "\"alerts\" must be an array");
	assert_string_equal(parse_bad("{\"version\":\"4\",\"alerts\":{}}"),
	    "\"alerts\" must be an array");
	assert_string_equal(parse_bad("{\"version\":\"4\",\"alerts\":"
	    "[{},\"x\"]}"), "alert #2 is not an object");
	assert_string_equal(parse_bad("[1]"), "the body must be a JSON object");
	assert_non_null(strstr(parse_bad("{\"version\":\"4\",\n\"alerts\":["),
	    "malformed JSON at line 2"));
	assert_non_null(strstr(parse_bad(""), "malformed JSON"));
	/* A key twice is ambiguous: which status counts? */
	assert_non_null(strstr(parse_bad("{\"version\":\"4\",\"version\":"
	    "\"4\",\"alerts\":[]}"), "malformed JSON"));
}

static void
test_empty_group(void **state)
{
	struct am_batch b;

	(void)state;
	parse_ok("{\"version\":\"4\",\"status\":\"resolved\",\"alerts\":[]}",
	    &defaults, &b);
	assert_int_equal(b.n, 0);
	assert_null(b.alerts);
	assert_string_equal(b.status, "resolved");
	am_batch_clear(&b);
	/* Clearing twice is harmless. */
	am_batch_clear(&b);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_firing_and_resolved),
	cmocka_unit_test(test_configured_labels),
	cmocka_unit_test(test_skipped_alerts),
	cmocka_unit_test(test_sizes),
	cmocka_unit_test(test_refused),
	cmocka_unit_test(test_empty_group),
};

UNIT_MAIN(tests)
