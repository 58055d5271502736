/*
 * ctl_roster.h - heraldctl's spreadsheet commands: reading a CSV table
 * (ctl_csv.c) and `import contacts` (ctl_import.c).  Nothing here talks to
 * heraldd.
 */
#ifndef HERALD_CTL_ROSTER_H
#define HERALD_CTL_ROSTER_H

#include <stddef.h>

#include "ctl.h"

/* One record of a CSV table: its fields and its spreadsheet row number
 * (the header is row 1; a quoted line break does not start a row). */
struct ctl_csv_row {
	char	**f;
	size_t	  n;
	int	  row;
};

/* A parsed table; ctl_csv_free() it. */
struct ctl_csv {
	struct ctl_csv_row *rows;
	size_t		    n;
};

/*
 * Turn the bytes of a CSV file into UTF-8 text: a UTF-8 BOM is dropped;
 * encoding is "utf-8", "gb18030" or NULL (detect: valid UTF-8, else
 * GB18030 through iconv).  buf is borrowed; on 0 *out (caller frees) is
 * NUL-terminated.  -1 with err filled for binary data, an xlsx workbook,
 * or bytes that are not text in the encoding.
 */
int ctl_csv_decode(const char *buf, size_t len, const char *encoding,
    char **out, char *err, size_t errlen);
/* Split UTF-8 text (borrowed) into records (RFC 4180: commas, quotes,
 * CRLF or LF).  Blank lines are counted as rows and dropped.  0, or -1
 * with err filled ("ROW: message", to follow "FILE:"). */
int ctl_csv_parse(const char *text, struct ctl_csv *out, char *err,
    size_t errlen);
void ctl_csv_free(struct ctl_csv *t);

/* `heraldctl import contacts FILE` (a->argv[0] is "contacts"). */
int ctl_import(struct ctl_args *a);

/* `heraldctl report submissions --campaign ID [--xlsx F | --csv F]`
 * (ctl_report.c). */
int ctl_report(struct ctl_args *a);
/* `heraldctl list KIND`: ids one per line (ctl_list.c). */
int ctl_list(struct ctl_args *a);

#endif
