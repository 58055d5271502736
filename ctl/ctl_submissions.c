/*
 * ctl_submissions.c - heraldctl submissions: the submissions board of
 * GET /v1/submissions as a table, one row per unit (or contact without a
 * unit) and one column per deadline; the per-deadline counts that
 * `heraldctl status` adds; and how `submit` tells a unit from a contact
 * without --unit (doc/api.txt, heraldctl(1)).
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* s, or "?" for a field the server left out. */
static const char *
ctl_sub_or(const char *s)
{
	return s != NULL ? s : "?";
}

/* "2023-08-04T16:00:00+08:00" as "2023-08-04 16:00" into buf (at least
 * 17 bytes); anything else as it is.  Borrowed from s or buf. */
static const char *
ctl_sub_time(const char *s, char *buf, size_t len)
{
	if (s == NULL || strlen(s) < 16 || s[10] != 'T' || len < 17)
		return s;
	memcpy(buf, s, 16);
	buf[10] = ' ';
	buf[16] = '\0';
	return buf;
}

/* A cell: time and door when submitted, 未报送 / 逾期 otherwise, NULL
 * ("-") when the deadline does not ask this row.  Borrowed or in buf. */
static const char *
ctl_sub_cell(const json_t *cell, char *buf, size_t len)
{
	const char *state = json_string_value(json_object_get(cell, "state"));
	const char *via = json_string_value(json_object_get(cell, "via"));
	char t[32];

	if (state == NULL || strcmp(state, "not_asked") == 0)
		return NULL;
	if (strcmp(state, "submitted") != 0)
		return json_string_value(json_object_get(cell, "label"));
	snprintf(buf, len, "%s%s%s%s", ctl_sub_or(ctl_sub_time(
	    json_string_value(json_object_get(cell, "at")), t, sizeof(t))),
	    via != NULL ? " " : "", via != NULL ? via : "",
	    json_is_true(json_object_get(cell, "late")) ? " (late)" : "");
	return buf;
}

/* "submitted/asked" of a deadline's counts into buf. */
static const char *
ctl_sub_ratio(const json_t *dl, char *buf, size_t len)
{
	const json_t *n = json_object_get(dl, "counts");

	snprintf(buf, len, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(n, "submitted")),
	    json_integer_value(json_object_get(n, "asked")));
	return buf;
}

/* One campaign of the board. */
static void
ctl_sub_campaign(const json_t *c, FILE *fp)
{
	const json_t *dls = json_object_get(c, "deadlines"), *dl, *row, *cell;
	size_t nd = json_array_size(dls), i, k;
	const char **cells = xcalloc(nd + 2, sizeof(*cells));
	char (*bufs)[96] = xcalloc(nd + 2, sizeof(*bufs));
	struct ctl_table *t;

	fprintf(fp, "campaign %s (%s)\n",
	    ctl_sub_or(json_string_value(json_object_get(c, "id"))),
	    ctl_sub_or(json_string_value(json_object_get(c, "title"))));
	cells[0] = "UNIT";
	cells[1] = "NAME";
	json_array_foreach(dls, i, dl)
		cells[i + 2] = json_string_value(json_object_get(dl, "id"));
	t = ctl_table_new(nd + 2, cells);
	json_array_foreach(json_object_get(c, "rows"), k, row) {
		cells[0] = json_string_value(json_object_get(row, "unit"));
		if (cells[0] == NULL)
			cells[0] = json_string_value(json_object_get(row,
			    "contact"));
		cells[1] = json_string_value(json_object_get(row, "name"));
		for (i = 0; i < nd; i++) {
			cell = json_array_get(json_object_get(row, "cells"), i);
			cells[i + 2] = ctl_sub_cell(cell, bufs[i + 2],
			    sizeof(bufs[i + 2]));
		}
		ctl_table_add(t, cells);
	}
	cells[0] = "";
	cells[1] = "已报送";
	json_array_foreach(dls, i, dl)
		cells[i + 2] = ctl_sub_ratio(dl, bufs[i + 2],
		    sizeof(bufs[i + 2]));
	ctl_table_add(t, cells);
	ctl_table_print(t, fp);
	ctl_table_free(t);
	free(bufs);
	free(cells);
}

static void
ctl_show_board(const json_t *o, FILE *fp)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(o, "campaigns"), i, c) {
		if (i > 0)
			fputc('\n', fp);
		ctl_sub_campaign(c, fp);
	}
}

/* "?campaign=..&deadline=.." for the set ones; caller frees. */
static char *
ctl_sub_path(struct ctl_args *a, const char *campaign, const char *deadline)
{
	char *c = campaign != NULL ? ctl_escape(a->client, campaign) : NULL;
	char *d = deadline != NULL ? ctl_escape(a->client, deadline) : NULL;
	char *p;

	p = xasprintf("/v1/submissions%s%s%s%s%s", c != NULL || d != NULL ?
	    "?" : "", c != NULL ? "campaign=" : "", c != NULL ? c : "",
	    c != NULL && d != NULL ? "&deadline=" : d != NULL ? "deadline=" :
	    "", d != NULL ? d : "");
	free(c);
	free(d);
	return p;
}

int
ctl_submissions(struct ctl_args *a)
{
	struct ctl_reply r;
	char *path = ctl_sub_path(a, a->campaign, a->deadline);
	int rc;

	rc = ctl_call(a, "GET", path, NULL, &r);
	free(path);
	if (rc != CTL_OK)
		return rc;
	if (a->json)
		ctl_print_json(r.json);
	else
		ctl_show_board(r.json, stdout);
	ctl_reply_clear(&r);
	return CTL_OK;
}

void
ctl_show_deadline_counts(const json_t *status, FILE *fp)
{
	static const char *const head[] = { "CAMPAIGN", "DEADLINE", "DUE",
	    "SUBMITTED", "PENDING", "OVERDUE" };
	const json_t *c, *dl, *n;
	struct ctl_table *t = NULL;
	char due[32], b[3][32], ratio[48];
	const char *row[6];
	size_t i, k;

	json_array_foreach(json_object_get(status, "campaigns"), i, c) {
		json_array_foreach(json_object_get(c, "submissions"), k, dl) {
			if (t == NULL)
				t = ctl_table_new(6, head);
			n = json_object_get(dl, "counts");
			row[0] = json_string_value(json_object_get(c, "id"));
			row[1] = json_string_value(json_object_get(dl, "id"));
			row[2] = ctl_sub_time(json_string_value(
			    json_object_get(dl, "due")), due, sizeof(due));
			row[3] = ctl_sub_ratio(dl, ratio, sizeof(ratio));
			snprintf(b[1], sizeof(b[1]), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(n, "pending")));
			snprintf(b[2], sizeof(b[2]), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(n, "overdue")));
			row[4] = b[1];
			row[5] = b[2];
			ctl_table_add(t, row);
		}
	}
	if (t == NULL)
		return;
	fputc('\n', fp);
	ctl_table_print(t, fp);
	ctl_table_free(t);
}

int
ctl_submissions_who(struct ctl_args *a, const char *campaign,
    const char *who, int *is_unit)
{
	struct ctl_reply r;
	const json_t *c, *row, *k;
	char *path = ctl_sub_path(a, campaign, NULL);
	int unit = 0, contact = 0, rc;
	size_t i, j, n;

	rc = ctl_call(a, "GET", path, NULL, &r);
	free(path);
	if (rc != CTL_OK)
		return rc;
	json_array_foreach(json_object_get(r.json, "campaigns"), i, c) {
		json_array_foreach(json_object_get(c, "rows"), j, row) {
			k = json_object_get(row, "unit");
			if (json_is_string(k) &&
			    strcmp(json_string_value(k), who) == 0)
				unit = 1;
			json_array_foreach(json_object_get(row, "contacts"),
			    n, k)
				if (json_is_string(k) && strcmp(
				    json_string_value(k), who) == 0)
					contact = 1;
		}
	}
	ctl_reply_clear(&r);
	/* A contact of that id wins, as it does without this look-up. */
	*is_unit = unit && !contact;
	return CTL_OK;
}
