/*
 * ctl_import.c - `heraldctl import contacts FILE.csv`: a liaison table
 * (附件1) into a libconfig include file of units and contacts in the
 * schema of conf_people.c (herald.conf(5)).
 *
 * Every row is checked before anything is written: the numbers with the
 * sms plugin's own rules (lib/phone.c), the addresses with the config
 * reader's (lib/email.c), the ids for duplicates; all bad rows are
 * reported at once as FILE:ROW: message, ROW the spreadsheet's row (the
 * header is row 1), and then nothing is written.
 *
 * Ids: pinyin is out of reach, so units are numbered in the order they
 * first appear ("u01", "u02"...) and their contacts after them ("u01-1");
 * appending rows keeps the earlier ids.  --id-column takes the contacts'
 * ids from a column instead.  Channels: "sms" for a contact with a phone,
 * then "mail" with an email, the names of the shipped examples; the
 * including config must define them.  职务 has no field in the schema and
 * becomes a comment.
 */
#include "ctl_roster.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "email.h"
#include "phone.h"
#include "xmalloc.h"

#define IMPORT_MAX_BYTES	(16 * 1024 * 1024)

enum { COL_UNIT, COL_NAME, COL_TITLE, COL_PHONE, COL_EMAIL, COL_ID, COL_N };

/* Header names per column, compared after trimming and ASCII lowering. */
static const char *const import_names[COL_N][16] = {
	[COL_UNIT] = { "单位", "单位名称", "工作单位", "所在单位", "报送单位",
	    "部门", "unit", "organization", "organisation", "department" },
	[COL_NAME] = { "姓名", "联络员", "联系人", "联络员姓名", "name",
	    "contact" },
	[COL_TITLE] = { "职务", "职位", "职称", "title", "position", "role" },
	[COL_PHONE] = { "手机", "手机号", "手机号码", "移动电话", "联系电话",
	    "电话", "mobile", "phone", "cell", "tel" },
	[COL_EMAIL] = { "邮箱", "电子邮箱", "电子邮件", "邮件", "email",
	    "e-mail", "mail" },
	[COL_ID] = { "编号", "标识", "id" },
};
static const char *const import_what[COL_N] = {
	"unit (单位)", "name (姓名)", "title (职务)", "mobile (手机)",
	"email (邮箱)", "id (编号)"
};

/* The import's state: the table, its columns and the errors so far. */
struct import {
	const char	*file;
	struct ctl_csv	 t;
	int		 col[COL_N];	/* -1: absent */
	char		**units;	/* distinct unit names, first seen first */
	size_t		 nunits;
	char		*errs;		/* "FILE:ROW: msg\n"... */
	size_t		 nerrs;
};

static void
import_err(struct import *im, int row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
import_err(struct import *im, int row, const char *fmt, ...)
{
	char msg[512], *n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (row > 0)
		n = xasprintf("%s%s:%d: %s\n", im->errs ? im->errs : "",
		    im->file, row, msg);
	else
		n = xasprintf("%s%s: %s\n", im->errs ? im->errs : "",
		    im->file, msg);
	free(im->errs);
	im->errs = n;
	im->nerrs++;
}

/* A header cell without spaces (ASCII, U+3000), '*' marks and BOMs, ASCII
 * lowered.  Caller frees. */
static char *
import_norm(const char *s)
{
	char *o = xmalloc(strlen(s) + 1), *q = o;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == '*')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0 ||
		    strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		else if (*s >= 'A' && *s <= 'Z')
			*q++ = (char)(*s++ - 'A' + 'a');
		else
			*q++ = *s++;
	}
	*q = '\0';
	return o;
}

/* The cell (trimmed, borrowed from the row, edited in place) of column
 * col, "" when the row is short or the column absent. */
static const char *
import_cell(struct import *im, const struct ctl_csv_row *r, int col)
{
	char *s, *e;

	if (im->col[col] < 0 || (size_t)im->col[col] >= r->n)
		return "";
	s = r->f[im->col[col]];
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int
import_columns(struct import *im, const char *unit_col, const char *id_col)
{
	const struct ctl_csv_row *h = &im->t.rows[0];
	char *want_unit = unit_col ? import_norm(unit_col) : NULL;
	char *want_id = id_col ? import_norm(id_col) : NULL;
	int bad = 0;

	for (int c = 0; c < COL_N; c++)
		im->col[c] = -1;
	for (size_t i = 0; i < h->n; i++) {
		char *n = import_norm(h->f[i]);

		for (int c = 0; c < COL_N; c++) {
			int hit = 0;

			if (c == COL_UNIT && want_unit != NULL)
				hit = strcmp(n, want_unit) == 0;
			else if (c == COL_ID && want_id != NULL)
				hit = strcmp(n, want_id) == 0;
			else
				for (int k = 0; import_names[c][k]; k++)
					hit |= strcmp(n, import_names[c][k])
					    == 0;
			if (hit && im->col[c] < 0)
				im->col[c] = (int)i;
		}
		free(n);
	}
	if (im->col[COL_UNIT] < 0) {
		if (unit_col != NULL)
			import_err(im, 1, "no column \"%s\" (--unit-column)",
			    unit_col);
		else
			import_err(im, 1, "no %s column (name it with "
			    "--unit-column)", import_what[COL_UNIT]);
		bad = 1;
	}
	if (im->col[COL_NAME] < 0) {
		import_err(im, 1, "no %s column", import_what[COL_NAME]);
		bad = 1;
	}
	if (im->col[COL_PHONE] < 0 && im->col[COL_EMAIL] < 0) {
		import_err(im, 1, "no %s or %s column", import_what[COL_PHONE],
		    import_what[COL_EMAIL]);
		bad = 1;
	}
	if (id_col != NULL && im->col[COL_ID] < 0) {
		import_err(im, 1, "no column \"%s\" (--id-column)", id_col);
		bad = 1;
	}
	free(want_unit);
	free(want_id);
	return bad ? -1 : 0;
}

/* conf_check_id()'s rule: a-z, 0-9, _ and -, not starting with _ or -. */
static int
import_id_ok(const char *p)
{
	if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
		return 0;
	for (p++; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* The index of unit name (added when new). */
static size_t
import_unit(struct import *im, const char *name)
{
	for (size_t i = 0; i < im->nunits; i++)
		if (strcmp(im->units[i], name) == 0)
			return i;
	im->units = xrealloc(im->units, (im->nunits + 1) *
	    sizeof(*im->units));
	im->units[im->nunits] = xstrdup(name);
	return im->nunits++;
}

/* s as a libconfig string literal body: \\ \" and control bytes. */
static void
import_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A comment's text: one line, whatever the cell held. */
static void
import_comment(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, fp);
}

/*
 * Check every row and write the include file to fp (a memory stream the
 * caller discards on failure).  Returns the number of bad rows.
 */
static size_t
import_rows(struct import *im, FILE *fp)
{
	size_t nrows = im->t.n, nc = 0;
	char **ids = xcalloc(nrows + 1, sizeof(*ids));
	int *id_row = xcalloc(nrows + 1, sizeof(*id_row));
	size_t *unit_of = xcalloc(nrows + 1, sizeof(*unit_of));
	size_t *seq = NULL;
	char (*phones)[32] = xcalloc(nrows + 1, sizeof(*phones));

	/* First pass: units and checks. */
	for (size_t i = 1; i < nrows; i++) {
		const struct ctl_csv_row *r = &im->t.rows[i];
		const char *unit = import_cell(im, r, COL_UNIT);
		const char *name = import_cell(im, r, COL_NAME);
		const char *phone = import_cell(im, r, COL_PHONE);
		const char *email = import_cell(im, r, COL_EMAIL);
		const char *id = import_cell(im, r, COL_ID);
		char err[160];

		if (*unit == '\0')
			import_err(im, r->row, "empty unit (单位)");
		else
			unit_of[i] = import_unit(im, unit);
		if (*name == '\0')
			import_err(im, r->row, "empty name (姓名)");
		if (*phone != '\0' && phone_normalize(phone, phones[i],
		    sizeof(phones[i]), err, sizeof(err)) < 0)
			import_err(im, r->row, "%s", err);
		if (*email != '\0' && !email_is_valid(email))
			import_err(im, r->row, "email \"%s\" is not an address "
			    "(one @ and a dot in the domain)", email);
		if (*phone == '\0' && *email == '\0')
			import_err(im, r->row, "neither a mobile number nor an "
			    "email: herald cannot reach %s", name);
		if (im->col[COL_ID] < 0)
			continue;
		if (*id == '\0') {
			import_err(im, r->row, "empty id");
			continue;
		}
		if (!import_id_ok(id)) {
			import_err(im, r->row, "invalid contact id \"%s\" (use "
			    "a-z, 0-9, _ and -, starting with a letter or "
			    "digit)", id);
			continue;
		}
		for (size_t k = 1; k < i; k++)
			if (ids[k] != NULL && strcmp(ids[k], id) == 0) {
				import_err(im, r->row, "duplicate id \"%s\" "
				    "(row %d has it)", id, id_row[k]);
				break;
			}
		ids[i] = xstrdup(id);
		id_row[i] = r->row;
	}
	if (nrows < 2)
		import_err(im, 1, "a header row and no contacts");
	if (im->nerrs > 0)
		goto out;

	fprintf(fp, "# Generated by heraldctl import contacts from %s:\n"
	    "# %zu units, %zu contacts.  Include it from herald.conf with\n"
	    "# @include; the channels \"sms\" and \"mail\" must be defined "
	    "there.\n\nunits = (\n", im->file, im->nunits, nrows - 1);
	for (size_t u = 0; u < im->nunits; u++) {
		fprintf(fp, "\t{ id = \"u%02zu\"; name = ", u + 1);
		import_str(fp, im->units[u]);
		fprintf(fp, "; }%s\n", u + 1 < im->nunits ? "," : "");
	}
	fputs(");\n\ncontacts = (\n", fp);
	seq = xcalloc(im->nunits + 1, sizeof(*seq));
	for (size_t i = 1; i < nrows; i++) {
		const struct ctl_csv_row *r = &im->t.rows[i];
		const char *email = import_cell(im, r, COL_EMAIL);
		const char *title = import_cell(im, r, COL_TITLE);
		size_t u = unit_of[i];

		seq[u]++;
		fputs("\t{ id = ", fp);
		if (ids[i] != NULL)
			import_str(fp, ids[i]);
		else
			fprintf(fp, "\"u%02zu-%zu\"", u + 1, seq[u]);
		fputs("; name = ", fp);
		import_str(fp, import_cell(im, r, COL_NAME));
		fprintf(fp, "; unit = \"u%02zu\";", u + 1);
		if (phones[i][0] != '\0')
			fprintf(fp, " phone = \"%s\";", phones[i]);
		if (*email != '\0') {
			fputs(" email = ", fp);
			import_str(fp, email);
			fputc(';', fp);
		}
		fprintf(fp, "\n\t  prefer = [ %s%s%s ]; }%s",
		    phones[i][0] != '\0' ? "\"sms\"" : "",
		    phones[i][0] != '\0' && *email != '\0' ? ", " : "",
		    *email != '\0' ? "\"mail\"" : "",
		    i + 1 < nrows ? "," : "");
		fprintf(fp, "\t# row %d", r->row);
		if (*title != '\0') {
			fputs(", ", fp);
			import_comment(fp, title);
		}
		fputc('\n', fp);
		nc++;
	}
	fputs(");\n", fp);
out:
	for (size_t i = 0; i < nrows; i++)
		free(ids[i]);
	free(ids);
	free(id_row);
	free(unit_of);
	free(phones);
	free(seq);
	return im->nerrs;
}

/* Read path whole; caller frees *buf.  -1 with err. */
static int
import_read(const char *path, char **buf, size_t *len, char *err,
    size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	*buf = xmalloc(IMPORT_MAX_BYTES + 1);
	n = fread(*buf, 1, IMPORT_MAX_BYTES + 1, fp);
	if (ferror(fp) || n > IMPORT_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, ferror(fp) ?
		    strerror(errno) : "larger than 16 MB: not a liaison table");
		fclose(fp);
		free(*buf);
		return -1;
	}
	fclose(fp);
	*len = n;
	return 0;
}

/* Write text to out through a temporary file beside it and rename(), so
 * that a half-written include never exists.  -1 with err. */
static int
import_write(const char *out, const char *text, size_t len, char *err,
    size_t errlen)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", out);
	int fd = mkstemp(tmp), ok;
	FILE *fp;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		free(tmp);
		return -1;
	}
	fchmod(fd, 0644);
	fp = fdopen(fd, "w");
	ok = fp != NULL && fwrite(text, 1, len, fp) == len;
	if (fp != NULL && fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, out) != 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int
ctl_import(struct ctl_args *a)
{
	struct import im = { 0 };
	char err[512], *raw = NULL, *text = NULL, *conf = NULL;
	size_t len = 0, clen = 0;
	FILE *mem;
	int rc = CTL_ESERVER;

	if (a->argc != 2 || strcmp(a->argv[0], "contacts") != 0) {
		fprintf(stderr, "heraldctl: import contacts FILE.csv\n");
		return CTL_EUSAGE;
	}
	if (a->encoding != NULL && strcmp(a->encoding, "utf-8") != 0 &&
	    strcmp(a->encoding, "gb18030") != 0) {
		fprintf(stderr, "heraldctl: --encoding is utf-8 or gb18030, "
		    "not \"%s\"\n", a->encoding);
		return CTL_EUSAGE;
	}
	im.file = a->argv[1];
	if (import_read(im.file, &raw, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "heraldctl: %s\n", err);
		return CTL_ESERVER;
	}
	if (len == 0) {
		fprintf(stderr, "%s: empty file: no header row\n", im.file);
		goto done;
	}
	if (ctl_csv_decode(raw, len, a->encoding, &text, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", im.file, err);
		goto done;
	}
	if (ctl_csv_parse(text, &im.t, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%s\n", im.file, err);
		goto done;
	}
	if (im.t.n == 0) {
		fprintf(stderr, "%s: empty file: no header row\n", im.file);
		goto done;
	}
	if ((mem = open_memstream(&conf, &clen)) == NULL) {
		fprintf(stderr, "heraldctl: %s\n", strerror(errno));
		goto done;
	}
	if (import_columns(&im, a->unit_column, a->id_column) == 0)
		import_rows(&im, mem);
	fclose(mem);
	if (im.nerrs > 0) {
		fputs(im.errs, stderr);
		fprintf(stderr, "heraldctl: %zu error%s, nothing written\n",
		    im.nerrs, im.nerrs == 1 ? "" : "s");
		goto done;
	}
	if (a->output == NULL || strcmp(a->output, "-") == 0) {
		fwrite(conf, 1, clen, stdout);
		rc = CTL_OK;
	} else if (import_write(a->output, conf, clen, err,
	    sizeof(err)) < 0)
		fprintf(stderr, "heraldctl: %s\n", err);
	else
		rc = CTL_OK;
done:
	for (size_t i = 0; i < im.nunits; i++)
		free(im.units[i]);
	free(im.units);
	free(im.errs);
	ctl_csv_free(&im.t);
	free(conf);
	free(text);
	free(raw);
	return rc;
}
