/*
 * ctl_csv.c - CSV tables as Excel writes them: UTF-8 (with or without a
 * BOM) or GB18030, what "CSV" means on a Chinese Windows desktop.  The
 * encoding is converted with iconv(3); the records follow RFC 4180.
 */
#include "ctl_roster.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Is buf valid UTF-8 (no overlongs, no surrogates)? */
static int
ctl_csv_is_utf8(const unsigned char *p, size_t len)
{
	size_t i = 0, k, n;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			n = 1, cp = p[i] & 0x1f;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 2, cp = p[i] & 0x0f;
		else if ((p[i] & 0xf8) == 0xf0)
			n = 3, cp = p[i] & 0x07;
		else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* GB18030 to UTF-8; *out caller-owned.  -1 at the first bad byte. */
static int
ctl_csv_iconv(const char *buf, size_t len, char **out, size_t *bad)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	size_t cap = len * 2 + 16, inleft = len, outleft;
	char *in = (char *)buf, *o, *res;

	if (cd == (iconv_t)-1) {
		*bad = 0;
		return -1;
	}
	res = xmalloc(cap);
	o = res;
	outleft = cap - 1;
	/* GB18030 takes 1 to 4 bytes per character, UTF-8 at most 4 for
	 * any of them: twice the input always fits. */
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
		*bad = (size_t)(in - buf);
		iconv_close(cd);
		free(res);
		return -1;
	}
	iconv_close(cd);
	*o = '\0';
	*out = res;
	return 0;
}

int
ctl_csv_decode(const char *buf, size_t len, const char *encoding,
    char **out, char *err, size_t errlen)
{
	const char *nul = memchr(buf, '\0', len);
	size_t bad;

	if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0) {
		snprintf(err, errlen, "not a CSV file but a zip archive (an "
		    "Excel workbook?): save it as CSV first");
		return -1;
	}
	if (nul != NULL) {
		snprintf(err, errlen, "not a CSV text file (binary data: a NUL "
		    "byte at offset %zu)", (size_t)(nul - buf));
		return -1;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		if (encoding != NULL && strcmp(encoding, "gb18030") == 0) {
			snprintf(err, errlen, "the file starts with a UTF-8 "
			    "BOM, not GB18030 text");
			return -1;
		}
		buf += 3;
		len -= 3;
		encoding = "utf-8";
	}
	if (encoding == NULL)
		encoding = ctl_csv_is_utf8((const unsigned char *)buf, len) ?
		    "utf-8" : "gb18030";
	if (strcmp(encoding, "utf-8") == 0) {
		if (!ctl_csv_is_utf8((const unsigned char *)buf, len)) {
			snprintf(err, errlen, "not UTF-8 text (try "
			    "--encoding gb18030)");
			return -1;
		}
		*out = xmalloc(len + 1);
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		return 0;
	}
	if (ctl_csv_iconv(buf, len, out, &bad) < 0) {
		snprintf(err, errlen, "not a CSV text file: neither UTF-8 nor "
		    "GB18030 (byte %zu)", bad);
		return -1;
	}
	return 0;
}

/* Append a field of len bytes at s (unquoted already) to row r. */
static void
ctl_csv_field(struct ctl_csv_row *r, const char *s, size_t len)
{
	r->f = xrealloc(r->f, (r->n + 1) * sizeof(*r->f));
	r->f[r->n] = xmalloc(len + 1);
	memcpy(r->f[r->n], s, len);
	r->f[r->n][len] = '\0';
	r->n++;
}

int
ctl_csv_parse(const char *text, struct ctl_csv *out, char *err,
    size_t errlen)
{
	const char *p = text;
	char *fb = xmalloc(strlen(text) + 1);
	int row = 0;

	memset(out, 0, sizeof(*out));
	while (*p != '\0') {
		struct ctl_csv_row r = { NULL, 0, ++row };
		int blank = 1;

		for (;;) {
			size_t n = 0;

			if (*p == '"') {
				int start = row;

				for (p++;; p++) {
					if (*p == '\0') {
						snprintf(err, errlen, "%d: a "
						    "quoted field is not "
						    "closed", start);
						goto fail;
					}
					if (*p == '"' && p[1] == '"')
						fb[n++] = *p++;
					else if (*p == '"') {
						p++;
						break;
					} else
						fb[n++] = *p;
				}
				blank = 0;
				/* Text after a closing quote is kept, as
				 * spreadsheets do. */
			}
			while (*p != '\0' && *p != ',' && *p != '\n' &&
			    !(*p == '\r' && (p[1] == '\n' || p[1] == '\0')))
				fb[n++] = *p++;
			if (n > 0)
				blank = 0;
			ctl_csv_field(&r, fb, n);
			if (*p == ',') {
				blank = 0;
				p++;
				continue;
			}
			if (*p == '\r')
				p++;
			if (*p == '\n')
				p++;
			break;
		}
		if (blank) {
			free(r.f[0]);
			free(r.f);
			continue;
		}
		out->rows = xrealloc(out->rows, (out->n + 1) *
		    sizeof(*out->rows));
		out->rows[out->n++] = r;
		continue;
fail:
		for (size_t i = 0; i < r.n; i++)
			free(r.f[i]);
		free(r.f);
		free(fb);
		ctl_csv_free(out);
		return -1;
	}
	free(fb);
	return 0;
}

void
ctl_csv_free(struct ctl_csv *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->rows[i].n; k++)
			free(t->rows[i].f[k]);
		free(t->rows[i].f);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
