/*
 * ctl_show.c - heraldctl's human-readable views of the control API's
 * answers: status, agenda and one job (doc/api.txt has their JSON).
 *
 * Everything here reads a parsed answer and prints; nothing fails.  A
 * field the server left out, or one of an unexpected type, prints as "-"
 * rather than stopping the view: an older or newer heraldd should still
 * show what it can.  Times are shown as the server gives them, in the
 * daemon's time zone (herald.timezone), without the UTC offset, which
 * --json keeps.
 */
#include "ctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* A scalar as text: strings as they are, numbers and booleans spelt out,
 * null or missing as NULL (a table prints "-").  Borrowed from v or buf. */
static const char *
ctl_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		return NULL;
	return buf;
}

/* "2023-08-04T17:00:00+08:00" as "2023-08-04 17:00:00"; anything else
 * as it is.  Borrowed from v or buf. */
static const char *
ctl_time(const json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) < 19 || s[10] != 'T' || len < 20)
		return s;
	memcpy(buf, s, 19);
	buf[10] = ' ';
	buf[19] = '\0';
	return buf;
}

/* s, or "-" for a field the server left out. */
static const char *
ctl_or(const char *s)
{
	return s != NULL ? s : "-";
}

static const char *
ctl_get(const json_t *o, const char *key, char *buf, size_t len)
{
	return ctl_text(json_object_get(o, key), buf, len);
}

/* "3d 4h 5m 6s" for an uptime in seconds. */
static void
ctl_duration(json_int_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "d %"
		    JSON_INTEGER_FORMAT "h %" JSON_INTEGER_FORMAT "m", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "h %"
		    JSON_INTEGER_FORMAT "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "m %"
		    JSON_INTEGER_FORMAT "s", s / 60, s % 60);
}

/* One "label:  value" line of a two-column block. */
static void
ctl_pair(struct ctl_table *t, const char *label, const char *value)
{
	const char *row[2] = { label, value };

	ctl_table_add(t, row);
}

/*
 * The Nodes section: every live node from the heartbeat rows, this one
 * marked, one running another config than this one flagged (its
 * generation or config digest differs).
 */
static void
ctl_show_nodes(const json_t *o, FILE *fp)
{
	static const char *const head[] = { "NODE", "HOST", "PID",
	    "LAST BEAT", "IN FLIGHT", "GENERATION", "CONFIG", "" };
	static const char *const keys[] = { "id", "host", "pid", "last_beat",
	    "in_flight", "generation", "config" };
	enum { NCOLS = sizeof(head) / sizeof(head[0]) };
	const json_t *nodes = json_object_get(o, "nodes"), *n;
	struct ctl_table *t;
	char cells[NCOLS][64];
	const char *row[NCOLS];
	size_t i, j;

	if (!json_is_array(nodes))
		return;
	fprintf(fp, "\nNodes (%zu live):\n", json_array_size(nodes));
	t = ctl_table_new(NCOLS, head);
	json_array_foreach(nodes, i, n) {
		for (j = 0; j + 1 < NCOLS; j++)
			row[j] = j == 3 ? ctl_or(ctl_time(json_object_get(n,
			    keys[j]), cells[j], sizeof(cells[j]))) :
			    ctl_or(ctl_get(n, keys[j], cells[j],
			    sizeof(cells[j])));
		row[NCOLS - 1] = json_is_true(json_object_get(n, "self")) ?
		    "(this node)" : json_is_true(json_object_get(n,
		    "differs")) ? "CONFIG DIFFERS" : "";
		ctl_table_add(t, row);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
}

void
ctl_show_status(const json_t *o, FILE *fp)
{
	static const char *const jobs[] = { "pending", "inflight", "delivered",
	    "failed", "missed", "cancelled", "superseded" };
	static const char *const head[] = { "CHANNEL", "PLUGIN", "HEALTH",
	    "QUEUED", "IN FLIGHT", "SENT", "DELIVERED", "RETRIED", "TIMEOUTS",
	    "FAILED" };
	static const char *const keys[] = { "name", "plugin", "health",
	    "queued", "in_flight", "sent", "delivered", "retried", "timeouts",
	    "failed" };
	enum { NCOLS = sizeof(keys) / sizeof(keys[0]) };
	const json_t *store = json_object_get(o, "store");
	const json_t *clock = json_object_get(o, "clock");
	const json_t *reload = json_object_get(o, "last_reload");
	const json_t *ch, *sync, *e, *node;
	struct ctl_table *t;
	char b1[64], b2[64], up[48], line[512];
	const char *row[NCOLS];
	size_t i, j, off;

	ctl_duration(json_integer_value(json_object_get(o, "uptime")), up,
	    sizeof(up));
	t = ctl_table_new(2, NULL);
	snprintf(line, sizeof(line), "%s, up %s since %s",
	    ctl_or(json_string_value(json_object_get(o, "version"))), up,
	    ctl_or(ctl_time(json_object_get(o, "started"), b1,
	    sizeof(b1))));
	ctl_pair(t, "heraldd:", line);
	ctl_pair(t, "generation:", ctl_get(o, "generation", b1, sizeof(b1)));
	if (json_is_object(node = json_object_get(o, "node"))) {
		snprintf(line, sizeof(line), "%s on %s, pid %s",
		    ctl_or(json_string_value(json_object_get(node, "id"))),
		    ctl_or(json_string_value(json_object_get(node, "host"))),
		    ctl_or(ctl_get(node, "pid", b1, sizeof(b1))));
		ctl_pair(t, "node:", line);
	}
	snprintf(line, sizeof(line), "%s (schema %s)",
	    ctl_or(json_string_value(json_object_get(store, "url"))),
	    ctl_or(ctl_get(store, "schema", b1, sizeof(b1))));
	ctl_pair(t, "store:", line);
	/* A store that cannot record outcomes holds every send: say so
	 * where an operator looks first. */
	if (strcmp(ctl_or(json_string_value(json_object_get(store, "health"))),
	    "failing") == 0) {
		snprintf(line, sizeof(line), "FAILING since %s: %s (%s "
		    "outcomes held, nothing sent until it records again)",
		    ctl_or(ctl_time(json_object_get(store, "since"), b1,
		    sizeof(b1))), ctl_or(json_string_value(json_object_get(
		    store, "error"))), ctl_or(ctl_get(store, "held", b2,
		    sizeof(b2))));
		ctl_pair(t, "", line);
	}
	sync = json_object_get(clock, "synchronized");
	snprintf(line, sizeof(line), "%s", json_is_true(sync) ?
	    "synchronized" : json_is_false(sync) ? "NOT SYNCHRONIZED" :
	    "not known");
	if (json_is_string(json_object_get(clock, "checked_at")))
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    " (checked %s)", ctl_time(json_object_get(clock,
		    "checked_at"), b1, sizeof(b1)));
	ctl_pair(t, "clock:", line);
	if (!json_is_string(json_object_get(reload, "at")))
		snprintf(line, sizeof(line), "none");
	else
		snprintf(line, sizeof(line), "%s %s", ctl_time(json_object_get(
		    reload, "at"), b1, sizeof(b1)), json_is_true(
		    json_object_get(reload, "ok")) ? "ok" : "FAILED, previous "
		    "config kept");
	ctl_pair(t, "last reload:", line);
	json_array_foreach(json_object_get(reload, "errors"), i, e)
		ctl_pair(t, "", json_string_value(e));
	/* The running config's warnings, one a line (a calendar that does
	 * not cover a campaign's year, say). */
	json_array_foreach(json_object_get(reload, "warnings"), i, e)
		ctl_pair(t, i == 0 ? "config warnings:" : "",
		    json_string_value(e));
	off = 0;
	line[0] = '\0';
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]) &&
	    off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    "%s%s %s", i ? ", " : "", jobs[i], ctl_or(ctl_get(json_object_get(
		    o, "jobs"), jobs[i], b2, sizeof(b2))));
	ctl_pair(t, "jobs:", line);
	ctl_table_print(t, fp);
	ctl_table_free(t);

	t = ctl_table_new(NCOLS, head);
	json_array_foreach(json_object_get(o, "channels"), i, ch) {
		char cells[NCOLS][32];

		for (j = 0; j < NCOLS; j++)
			row[j] = ctl_get(ch, keys[j], cells[j],
			    sizeof(cells[j]));
		ctl_table_add(t, row);
	}
	fputc('\n', fp);
	ctl_table_print(t, fp);
	ctl_table_free(t);
	json_array_foreach(json_object_get(o, "channels"), i, ch)
		if (json_is_string(json_object_get(ch, "last_error")))
			fprintf(fp, "channel %s failing since %s: %s\n",
			    ctl_or(json_string_value(json_object_get(ch,
			    "name"))), ctl_or(ctl_time(json_object_get(ch,
			    "failing_since"), b1, sizeof(b1))),
			    json_string_value(json_object_get(ch,
			    "last_error")));
	ctl_show_nodes(o, fp);
	ctl_show_deadline_counts(o, fp);
}

/* The state of a job with what qualifies it: "pending, late, 2 tries". */
static void
ctl_state(const json_t *job, char *buf, size_t len)
{
	json_int_t tries = json_integer_value(json_object_get(job,
	    "attempts"));

	snprintf(buf, len, "%s%s", ctl_or(json_string_value(json_object_get(job,
	    "state"))), json_is_true(json_object_get(job, "late")) ?
	    ", late" : "");
	if (tries > 0)
		snprintf(buf + strlen(buf), len - strlen(buf), ", %"
		    JSON_INTEGER_FORMAT " %s", tries, tries == 1 ? "try" :
		    "tries");
}

void
ctl_show_agenda(const json_t *o, FILE *fp)
{
	static const char *const head[] = { "DUE", "STATE", "KIND",
	    "CAMPAIGN", "ITEM", "CONTACT", "NAME", "CHANNEL", "KEY", "TITLE" };
	static const char *const keys[] = { "kind", "campaign", "item",
	    "contact", "contact_name", "channel", "key", "title" };
	const json_t *jobs = json_object_get(o, "jobs"), *job;
	json_int_t count = json_integer_value(json_object_get(o, "count"));
	struct ctl_table *t;
	char due[32], state[64], cells[8][32];
	const char *row[10];
	size_t i, j;

	if (json_array_size(jobs) == 0) {
		fprintf(fp, "no jobs\n");
		return;
	}
	t = ctl_table_new(10, head);
	json_array_foreach(jobs, i, job) {
		row[0] = ctl_time(json_object_get(job, "due"), due,
		    sizeof(due));
		ctl_state(job, state, sizeof(state));
		row[1] = state;
		for (j = 0; j < 8; j++)
			row[j + 2] = ctl_get(job, keys[j], cells[j],
			    sizeof(cells[j]));
		ctl_table_add(t, row);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
	fprintf(fp, "%" JSON_INTEGER_FORMAT " job%s", count, count == 1 ? "" :
	    "s");
	if (json_is_true(json_object_get(o, "truncated")))
		fprintf(fp, " shown, more left out: raise --limit or narrow "
		    "--from/--to");
	fputc('\n', fp);
}

/* "id (name)", or just the one there is.  Caller owns the result. */
static char *
ctl_named(const json_t *o, const char *id_key, const char *name_key)
{
	const char *id = json_string_value(json_object_get(o, id_key));
	const char *name = json_string_value(json_object_get(o, name_key));

	if (id != NULL && name != NULL)
		return xasprintf("%s (%s)", id, name);
	return xstrdup(id != NULL ? id : name != NULL ? name : "-");
}

void
ctl_show_job(const json_t *o, FILE *fp)
{
	static const char *const hhead[] = { "AT", "STATE", "DETAIL" };
	static const char *const rhead[] = { "AT", "PART", "TYPE", "DETAIL" };
	const json_t *acked = json_object_get(o, "acked"), *e;
	struct ctl_table *t;
	char b1[64], b2[64], b3[64], state[64], *item, *contact;
	const char *row[4];
	size_t i;

	t = ctl_table_new(2, NULL);
	ctl_pair(t, "key:", ctl_get(o, "key", b1, sizeof(b1)));
	ctl_pair(t, "campaign:", ctl_get(o, "campaign", b1, sizeof(b1)));
	item = ctl_named(o, "item", "title");
	ctl_pair(t, "item:", item);
	ctl_pair(t, "kind:", ctl_get(o, "kind", b1, sizeof(b1)));
	contact = ctl_named(o, "contact", "contact_name");
	ctl_pair(t, "contact:", contact);
	ctl_pair(t, "channel:", ctl_get(o, "channel", b1, sizeof(b1)));
	ctl_pair(t, "due:", ctl_time(json_object_get(o, "due"), b1,
	    sizeof(b1)));
	ctl_pair(t, "next at:", ctl_time(json_object_get(o, "next_at"), b1,
	    sizeof(b1)));
	ctl_state(o, state, sizeof(state));
	ctl_pair(t, "state:", state);
	ctl_pair(t, "acked:", json_is_string(acked) ? ctl_time(acked, b1,
	    sizeof(b1)) : "no");
	ctl_pair(t, "detail:", ctl_get(o, "detail", b1, sizeof(b1)));
	ctl_table_print(t, fp);
	ctl_table_free(t);
	free(item);
	free(contact);

	fprintf(fp, "\nhistory:\n");
	t = ctl_table_new(3, hhead);
	json_array_foreach(json_object_get(o, "history"), i, e) {
		row[0] = ctl_time(json_object_get(e, "at"), b1, sizeof(b1));
		row[1] = ctl_get(e, "state", b2, sizeof(b2));
		row[2] = ctl_get(e, "detail", b3, sizeof(b3));
		ctl_table_add(t, row);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);

	if (json_array_size(json_object_get(o, "receipts")) == 0)
		return;
	fprintf(fp, "\ndelivery receipts:\n");
	t = ctl_table_new(4, rhead);
	json_array_foreach(json_object_get(o, "receipts"), i, e) {
		char b4[64];

		row[0] = ctl_time(json_object_get(e, "at"), b1, sizeof(b1));
		row[1] = ctl_get(e, "part", b2, sizeof(b2));
		row[2] = ctl_get(e, "type", b3, sizeof(b3));
		row[3] = ctl_get(e, "detail", b4, sizeof(b4));
		ctl_table_add(t, row);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
}
