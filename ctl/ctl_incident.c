/*
 * ctl_incident.c - `heraldctl incident`: trigger, list, show, ack and
 * resolve emergency incidents (POST/GET /v1/incidents in doc/api.txt).
 *
 *   incident trigger PLAN VENUE --note TEXT [--drill] [--campaign ID]
 *   incident list [--state S] [--campaign ID]
 *   incident show ID
 *   incident ack ID [--by WHO] [--note TEXT]
 *   incident resolve ID --note TEXT [--by WHO]
 *
 * WHO defaults to the login name: an ack from the command line is
 * someone at a terminal taking charge.  Times are printed as the server
 * gives them, in the campaign's zone.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

static const char *
ctl_incident_str(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "-";
}

/* "2030-06-01T14:03:00+08:00" as "2030-06-01 14:03:00". */
static const char *
ctl_incident_time(const json_t *o, const char *name, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		return "-";
	snprintf(buf, len, "%.10s %.8s", s, strlen(s) > 11 ? s + 11 : "");
	return buf;
}

/* Who acted: "by (door, time)" into buf, "-" when nobody did. */
static const char *
ctl_incident_who(const json_t *o, char *buf, size_t len)
{
	const char *by, *name, *door;
	char t[40];

	if (!json_is_object(o))
		return "-";
	by = ctl_incident_str(o, "by");
	name = json_string_value(json_object_get(o, "by_name"));
	door = ctl_incident_str(o, "door");
	snprintf(buf, len, "%s%s%s%s via %s at %s", name != NULL ? name : by,
	    name != NULL ? " (" : "", name != NULL ? by : "",
	    name != NULL ? ")" : "", door, ctl_incident_time(o, "at", t,
	    sizeof(t)));
	return buf;
}

/* The head of one incident: a few labelled lines. */
static void
ctl_incident_head(const json_t *o, FILE *fp)
{
	char t[40], who[256];

	fprintf(fp, "incident %s%s\n", ctl_incident_str(o, "id"),
	    json_is_true(json_object_get(o, "drill")) ? " (drill)" : "");
	fprintf(fp, "  plan      %s %s (level %lld) of %s\n",
	    ctl_incident_str(o, "plan"), ctl_incident_str(o, "title"),
	    (long long)json_integer_value(json_object_get(o, "level")),
	    ctl_incident_str(o, "campaign"));
	fprintf(fp, "  venue     %s\n", ctl_incident_str(o, "venue"));
	fprintf(fp, "  note      %s\n", ctl_incident_str(o, "note"));
	fprintf(fp, "  state     %s\n", ctl_incident_str(o, "state"));
	fprintf(fp, "  triggered %s via %s\n", ctl_incident_time(o,
	    "created_at", t, sizeof(t)), ctl_incident_str(o, "source"));
	fprintf(fp, "  acked     %s\n", ctl_incident_who(json_object_get(o,
	    "acked"), who, sizeof(who)));
	fprintf(fp, "  resolved  %s\n", ctl_incident_who(json_object_get(o,
	    "resolved"), who, sizeof(who)));
	if (json_is_object(json_object_get(o, "resolved")))
		fprintf(fp, "            %s\n", ctl_incident_str(
		    json_object_get(o, "resolved"), "note"));
}

/* Alerts or notices as a table. */
static void
ctl_incident_jobs(const json_t *v, const char *title, FILE *fp)
{
	static const char *const head[] = { "DUE", "KIND", "RECIPIENT",
	    "CHANNEL", "ATTEMPT", "OUTCOME", "SENT" };
	struct ctl_table *t;
	const json_t *j;
	char due[40], sent[40], att[16], who[256];
	const char *name;
	size_t i;

	fprintf(fp, "\n%s (%zu):\n", title, json_array_size(v));
	if (json_array_size(v) == 0)
		return;
	t = ctl_table_new(7, head);
	json_array_foreach(v, i, j) {
		const char *cells[7];

		name = json_string_value(json_object_get(j, "recipient_name"));
		snprintf(who, sizeof(who), "%s%s%s%s",
		    ctl_incident_str(j, "recipient"), name ? " (" : "",
		    name ? name : "", name ? ")" : "");
		snprintf(att, sizeof(att), "%lld",
		    (long long)json_integer_value(json_object_get(j,
		    "attempt")));
		cells[0] = ctl_incident_time(j, "due", due, sizeof(due));
		cells[1] = ctl_incident_str(j, "kind");
		cells[2] = who;
		cells[3] = ctl_incident_str(j, "channel");
		cells[4] = att;
		cells[5] = ctl_incident_str(j, "outcome");
		cells[6] = ctl_incident_time(j, "sent_at", sent, sizeof(sent));
		ctl_table_add(t, cells);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
}

static void
ctl_incident_show(const json_t *o, FILE *fp)
{
	const json_t *e;
	char t[40];
	size_t i;

	ctl_incident_head(o, fp);
	ctl_incident_jobs(json_object_get(o, "alerts"), "alerts", fp);
	ctl_incident_jobs(json_object_get(o, "notices"), "notices", fp);
	fprintf(fp, "\ntimeline:\n");
	json_array_foreach(json_object_get(o, "events"), i, e) {
		const char *by = json_string_value(json_object_get(e, "by"));
		const char *door = json_string_value(json_object_get(e,
		    "door"));
		const char *detail = json_string_value(json_object_get(e,
		    "detail"));

		fprintf(fp, "  %s  %-8s%s%s%s%s%s%s\n", ctl_incident_time(e,
		    "at", t, sizeof(t)), ctl_incident_str(e, "what"),
		    by ? " by " : "", by ? by : "", door ? " via " : "",
		    door ? door : "", detail ? ": " : "", detail ? detail : "");
	}
}

static void
ctl_incident_list_show(const json_t *o, FILE *fp)
{
	static const char *const head[] = { "ID", "STATE", "TRIGGERED",
	    "PLAN", "VENUE", "ACKED BY" };
	const json_t *v = json_object_get(o, "incidents"), *j;
	struct ctl_table *t;
	char when[40], state[32];
	size_t i;

	if (json_array_size(v) == 0) {
		fprintf(fp, "no incidents\n");
		return;
	}
	t = ctl_table_new(6, head);
	json_array_foreach(v, i, j) {
		const char *cells[6];
		const json_t *ack = json_object_get(j, "acked");

		snprintf(state, sizeof(state), "%s%s", ctl_incident_str(j,
		    "state"), json_is_true(json_object_get(j, "drill")) ?
		    " (drill)" : "");
		cells[0] = ctl_incident_str(j, "id");
		cells[1] = state;
		cells[2] = ctl_incident_time(j, "created_at", when,
		    sizeof(when));
		cells[3] = ctl_incident_str(j, "plan");
		cells[4] = ctl_incident_str(j, "venue");
		cells[5] = json_is_object(ack) ? ctl_incident_str(ack, "by") :
		    NULL;
		ctl_table_add(t, cells);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
}

/* The answer o as JSON with --json, else through show. */
static int
ctl_incident_print(const struct ctl_args *a, const json_t *o,
    void (*show)(const json_t *, FILE *))
{
	if (a->json)
		ctl_print_json(o);
	else
		show(o, stdout);
	return CTL_OK;
}

static int
ctl_incident_usage(const char *why)
{
	fprintf(stderr, "heraldctl: incident: %s (see heraldctl help)\n",
	    why);
	return CTL_EUSAGE;
}

/* Who acts from this terminal: --by, else the login name. */
static const char *
ctl_incident_by(const struct ctl_args *a)
{
	const char *by = a->by;

	if (by == NULL || *by == '\0')
		by = getenv("USER");
	if (by == NULL || *by == '\0')
		by = getlogin();
	return by != NULL && *by != '\0' ? by : "heraldctl";
}

/* POST path with body (reference stolen) and print the incident. */
static int
ctl_incident_post(struct ctl_args *a, const char *path, json_t *body)
{
	struct ctl_reply r;
	int rc;

	if (body == NULL)
		return ctl_incident_usage("a value is not valid UTF-8");
	rc = ctl_call(a, "POST", path, body, &r);
	json_decref(body);
	if (rc != CTL_OK)
		return rc;
	ctl_incident_print(a, r.json, ctl_incident_head);
	if (!a->json && json_is_true(json_object_get(r.json, "existing")))
		printf("(already open: no new alerts)\n");
	if (!a->json && json_is_true(json_object_get(r.json, "already")))
		printf("(taken charge of before: nothing changed)\n");
	ctl_reply_clear(&r);
	return CTL_OK;
}

static int
ctl_incident_get(struct ctl_args *a, const char *path,
    void (*show)(const json_t *, FILE *))
{
	struct ctl_reply r;
	int rc;

	if ((rc = ctl_call(a, "GET", path, NULL, &r)) != CTL_OK)
		return rc;
	ctl_incident_print(a, r.json, show);
	ctl_reply_clear(&r);
	return CTL_OK;
}

/* "/v1/incidents/ID" + tail, the id escaped; caller frees. */
static char *
ctl_incident_path(struct ctl_args *a, const char *id, const char *tail)
{
	char *e = ctl_escape(a->client, id), *p;

	p = xasprintf("/v1/incidents/%s%s", e != NULL ? e : "", tail);
	free(e);
	return p;
}

int
ctl_incident(struct ctl_args *a)
{
	const char *verb = a->argc > 0 ? a->argv[0] : "";
	int n = a->argc - 1, rc;
	char *path, *q, *e;
	json_t *body;

	if (strcmp(verb, "trigger") == 0) {
		if (n != 2)
			return ctl_incident_usage("trigger takes PLAN VENUE");
		if (a->note == NULL)
			return ctl_incident_usage("trigger needs --note");
		body = json_pack("{s:s, s:s, s:s, s:b}", "plan", a->argv[1],
		    "venue", a->argv[2], "note", a->note, "drill", a->drill);
		if (body != NULL && a->campaign != NULL)
			json_object_set_new(body, "campaign",
			    json_string(a->campaign));
		return ctl_incident_post(a, "/v1/incidents", body);
	}
	if (strcmp(verb, "list") == 0) {
		if (n != 0)
			return ctl_incident_usage("list takes no operand");
		q = xstrdup("");
		if (a->state != NULL) {
			e = ctl_escape(a->client, a->state);
			free(q);
			q = xasprintf("?state=%s", e != NULL ? e : "");
			free(e);
		}
		if (a->campaign != NULL) {
			e = ctl_escape(a->client, a->campaign);
			path = xasprintf("%s%scampaign=%s", q, *q ? "&" : "?",
			    e != NULL ? e : "");
			free(e);
			free(q);
			q = path;
		}
		path = xasprintf("/v1/incidents%s", q);
		free(q);
		rc = ctl_incident_get(a, path, ctl_incident_list_show);
		free(path);
		return rc;
	}
	if (strcmp(verb, "show") == 0) {
		if (n != 1)
			return ctl_incident_usage("show takes ID");
		path = ctl_incident_path(a, a->argv[1], "");
		rc = ctl_incident_get(a, path, ctl_incident_show);
		free(path);
		return rc;
	}
	if (strcmp(verb, "ack") == 0 || strcmp(verb, "resolve") == 0) {
		int resolve = verb[0] == 'r';

		if (n != 1)
			return ctl_incident_usage(resolve ? "resolve takes ID" :
			    "ack takes ID");
		if (resolve && a->note == NULL)
			return ctl_incident_usage("resolve needs --note");
		body = json_pack("{s:s}", "by", ctl_incident_by(a));
		if (body != NULL && a->note != NULL)
			json_object_set_new(body, "note", json_string(a->note));
		path = ctl_incident_path(a, a->argv[1], resolve ? "/resolve" :
		    "/ack");
		rc = ctl_incident_post(a, path, body);
		free(path);
		return rc;
	}
	return ctl_incident_usage("want trigger, list, show, ack or resolve");
}
