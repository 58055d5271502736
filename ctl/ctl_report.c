/*
 * ctl_report.c - `heraldctl report submissions`: the board of GET
 * /v1/submissions (doc/api.txt) for one campaign as a spreadsheet for the
 * ministry's 汇总表: one row per unit (or contact without a unit), one
 * column per deadline, each cell the time of the submission and the door
 * it came through, or 未报送 / 逾期.  CSV (UTF-8 with a BOM, which Excel
 * needs to read Chinese) or xlsx through libxlsxwriter when heraldctl was
 * built with it (configure --with-xlsxwriter).
 */
#include "ctl_roster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_XLSXWRITER
#include <xlsxwriter.h>
#endif

#include "xmalloc.h"

/* The report as text cells: nrows x ncols, row 0 the header. */
struct report {
	char	**cell;
	size_t	  nrows, ncols;
};

#define RCELL(r, i, k)	((r)->cell[(i) * (r)->ncols + (k)])

/* The door a submission came through, as the coordinators call it. */
static const char *
report_door(const char *via)
{
	static const struct { const char *via, *label; } doors[] = {
		{ "api", "API" }, { "link", "确认页" }, { "sms", "短信回复" },
		{ "heraldctl", "heraldctl" },
	};

	if (via == NULL)
		return "";
	for (size_t i = 0; i < sizeof(doors) / sizeof(doors[0]); i++)
		if (strcmp(via, doors[i].via) == 0)
			return doors[i].label;
	return via;
}

/* "2023-08-04T16:00:05+08:00" as "2023-08-04 16:00:05"; caller frees. */
static char *
report_time(const char *iso, size_t keep)
{
	char *s = xstrndup(iso != NULL ? iso : "?", keep);

	if (strlen(s) > 10 && s[10] == 'T')
		s[10] = ' ';
	return s;
}

static char *
report_cell(const json_t *cell)
{
	const char *state = json_string_value(json_object_get(cell, "state"));
	const char *label = json_string_value(json_object_get(cell, "label"));
	char *t, *s;

	if (state == NULL || strcmp(state, "submitted") != 0)
		return xstrdup(label != NULL ? label : "");
	t = report_time(json_string_value(json_object_get(cell, "at")), 19);
	s = xasprintf("%s %s%s", t, report_door(json_string_value(
	    json_object_get(cell, "via"))),
	    json_is_true(json_object_get(cell, "late")) ? "（逾期报送）" : "");
	free(t);
	return s;
}

/* Build the cells from the board of one campaign (c borrowed). */
static void
report_build(const json_t *c, struct report *r)
{
	const json_t *dls = json_object_get(c, "deadlines");
	const json_t *rows = json_object_get(c, "rows"), *dl, *row;
	size_t i, k;

	r->ncols = json_array_size(dls) + 2;
	r->nrows = json_array_size(rows) + 1;
	r->cell = xcalloc(r->nrows * r->ncols, sizeof(*r->cell));
	RCELL(r, 0, 0) = xstrdup("单位代码");
	RCELL(r, 0, 1) = xstrdup("单位");
	json_array_foreach(dls, k, dl) {
		char *due = report_time(json_string_value(json_object_get(dl,
		    "due")), 16);

		RCELL(r, 0, k + 2) = xasprintf("%s\n截止 %s",
		    json_string_value(json_object_get(dl, "title")) ?
		    json_string_value(json_object_get(dl, "title")) : "?", due);
		free(due);
	}
	json_array_foreach(rows, i, row) {
		const char *id = json_string_value(json_object_get(row, "unit"));
		const char *name = json_string_value(json_object_get(row,
		    "name"));

		if (id == NULL)
			id = json_string_value(json_object_get(row, "contact"));
		RCELL(r, i + 1, 0) = xstrdup(id != NULL ? id : "");
		RCELL(r, i + 1, 1) = xstrdup(name != NULL ? name : "");
		for (k = 0; k + 2 < r->ncols; k++)
			RCELL(r, i + 1, k + 2) = report_cell(json_array_get(
			    json_object_get(row, "cells"), k));
	}
}

static void
report_free(struct report *r)
{
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
}

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void
report_csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static int
report_csv(const struct report *r, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int ok;

	if (fp == NULL) {
		fprintf(stderr, "heraldctl: %s: %s\n", path, strerror(errno));
		return CTL_ESERVER;
	}
	fputs("\xef\xbb\xbf", fp);
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t k = 0; k < r->ncols; k++) {
			if (k > 0)
				fputc(',', fp);
			report_csv_field(fp, RCELL(r, i, k));
		}
		fputs("\r\n", fp);
	}
	ok = !ferror(fp);
	if (fp != stdout && fclose(fp) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "heraldctl: %s: %s\n", path, strerror(errno));
		return CTL_ESERVER;
	}
	return CTL_OK;
}

#ifdef HAVE_XLSXWRITER
/* The widest line of a column, in terminal columns (CJK counts 2), as an
 * Excel width; capped so that a long cell wraps rather than sprawls. */
static double
report_width(const struct report *r, size_t k)
{
	size_t w = 6;

	for (size_t i = 0; i < r->nrows; i++) {
		char *s = xstrdup(RCELL(r, i, k)), *line, *save = NULL;

		for (line = strtok_r(s, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (ctl_width(line) > w)
				w = ctl_width(line);
		free(s);
	}
	return (double)(w > 40 ? 40 : w) + 2;
}

static int
report_xlsx(const struct report *r, const char *path, const char *title)
{
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *ws;
	lxw_format *head, *late;
	lxw_error e;

	if (wb == NULL) {
		fprintf(stderr, "heraldctl: %s: cannot create the workbook\n",
		    path);
		return CTL_ESERVER;
	}
	ws = workbook_add_worksheet(wb, "报送情况");
	head = workbook_add_format(wb);
	format_set_bold(head);
	format_set_text_wrap(head);
	format_set_bg_color(head, 0xDDEBF7);
	late = workbook_add_format(wb);
	format_set_font_color(late, LXW_COLOR_RED);
	for (size_t k = 0; k < r->ncols; k++)
		worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k,
		    report_width(r, k), NULL);
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t k = 0; k < r->ncols; k++) {
			const char *s = RCELL(r, i, k);

			worksheet_write_string(ws, (lxw_row_t)i, (lxw_col_t)k,
			    s, i == 0 ? head : strcmp(s, "逾期") == 0 ? late :
			    NULL);
		}
	worksheet_freeze_panes(ws, 1, 2);
	workbook_set_properties(wb, &(lxw_doc_properties){
	    .title = (char *)title });
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		fprintf(stderr, "heraldctl: %s: %s\n", path,
		    lxw_strerror(e));
		return CTL_ESERVER;
	}
	return CTL_OK;
}
#else
static int
report_xlsx(const struct report *r, const char *path, const char *title)
{
	fprintf(stderr, "heraldctl: built without libxlsxwriter, no --xlsx "
	    "(configure --with-xlsxwriter; --csv works)\n");
	return CTL_EUSAGE;
}
#endif

int
ctl_report(struct ctl_args *a)
{
	struct ctl_reply rep;
	struct report r = { 0 };
	const json_t *c;
	char *e, *path, *title;
	int rc;

	if (strcmp(a->argv[0], "submissions") != 0 || a->campaign == NULL ||
	    (a->xlsx != NULL) + (a->csv != NULL) + a->json != 1) {
		fprintf(stderr, "heraldctl: report submissions --campaign ID "
		    "and one of --xlsx FILE, --csv FILE, --json\n");
		return CTL_EUSAGE;
	}
#ifndef HAVE_XLSXWRITER
	if (a->xlsx != NULL)
		return report_xlsx(&r, a->xlsx, NULL);
#endif
	e = ctl_escape(a->client, a->campaign);
	path = xasprintf("/v1/submissions?campaign=%s", e);
	free(e);
	rc = ctl_call(a, "GET", path, NULL, &rep);
	free(path);
	if (rc != CTL_OK)
		return rc;
	if (a->json) {
		ctl_print_json(rep.json);
		ctl_reply_clear(&rep);
		return CTL_OK;
	}
	c = json_array_get(json_object_get(rep.json, "campaigns"), 0);
	report_build(c, &r);
	title = xasprintf("%s 报送情况", json_string_value(json_object_get(c,
	    "title")) ? json_string_value(json_object_get(c, "title")) :
	    a->campaign);
	rc = a->xlsx != NULL ? report_xlsx(&r, a->xlsx, title) :
	    report_csv(&r, a->csv);
	free(title);
	report_free(&r);
	ctl_reply_clear(&rep);
	return rc;
}
