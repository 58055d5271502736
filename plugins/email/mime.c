/*
 * mime.c - build the email channel's messages: RFC 2047 encoded words,
 * quoted-printable and base64 bodies, the .ics event of a deadline, and
 * the RFC 5322 message around them.
 *
 * libESMTP passes the message through as given (it adds dot-stuffing, not
 * encoding), so everything 8-bit is encoded here and the result is pure
 * 7-bit ASCII with CRLF line ends: no server ever needs 8BITMIME.
 *
 * Encoded words are always "B" (base64) in UTF-8: for Chinese text "Q"
 * would triple every byte.  Each word carries whole UTF-8 characters
 * (RFC 2047 section 5: a word must decode on its own), and words are
 * folded onto continuation lines so that no line passes 76 characters.
 *
 * Output is built in open_memstream() buffers; ferror() at the end turns
 * any out-of-memory into a NULL return.
 */
#include "mime.h"

#include "herald-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIME_WORD_OVERHEAD 12		/* "=?UTF-8?B?" + "?=" */
#define ICS_LINE_MAX 75			/* RFC 5545 3.1: octets per line */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Return what the stream built, or NULL (and free it) on any error. */
static char *
mime_finish(FILE *fp, char **bufp)
{
	int bad = ferror(fp);

	/* open_memstream() sets *bufp only at fflush() or fclose(). */
	if (fclose(fp) != 0 || bad) {
		free(*bufp);
		return NULL;
	}
	return *bufp;
}

/* Bytes of the UTF-8 sequence at s, never past the terminating NUL. */
static size_t
mime_utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n, i;

	if (c < 0x80)
		n = 1;
	else if (c >= 0xc0 && c < 0xe0)
		n = 2;
	else if (c >= 0xe0 && c < 0xf0)
		n = 3;
	else if (c >= 0xf0 && c < 0xf8)
		n = 4;
	else
		n = 1;		/* a stray byte travels alone */
	for (i = 1; i < n; i++)
		if (s[i] == '\0')
			return i;
	return n;
}

static void
mime_b64_put(FILE *fp, const unsigned char *p, size_t len)
{
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		fputc(b64_alphabet[v >> 18 & 63], fp);
		fputc(b64_alphabet[v >> 12 & 63], fp);
		fputc(b64_alphabet[v >> 6 & 63], fp);
		fputc(b64_alphabet[v & 63], fp);
	}
	if (len - i == 1) {
		v = (unsigned)p[i] << 16;
		fputc(b64_alphabet[v >> 18 & 63], fp);
		fputc(b64_alphabet[v >> 12 & 63], fp);
		fputs("==", fp);
	} else if (len - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		fputc(b64_alphabet[v >> 18 & 63], fp);
		fputc(b64_alphabet[v >> 12 & 63], fp);
		fputc(b64_alphabet[v >> 6 & 63], fp);
		fputc('=', fp);
	}
}

/* Printable ASCII that needs no encoded word ("=?" would look like one). */
static int
mime_is_plain(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return strstr(s, "=?") == NULL;
}

/*
 * Write value as encoded words starting at column col; return the column
 * after the last one.  A word takes as many whole characters as fit the
 * rest of the line; the next one goes on a continuation line.
 */
static size_t
mime_put_words(FILE *fp, const char *value, size_t col)
{
	const char *p = value;
	size_t room, max, n, k;

	while (*p != '\0') {
		room = col + MIME_WORD_OVERHEAD < MIME_LINE_MAX ?
		    MIME_LINE_MAX - col - MIME_WORD_OVERHEAD : 0;
		max = room / 4 * 3;
		n = 0;
		while (p[n] != '\0' && n + (k = mime_utf8_len(p + n)) <= max)
			n += k;
		if (n == 0 && col > 1) {
			/* Not even one character fits here: next line. */
			fputs("\r\n ", fp);
			col = 1;
			continue;
		}
		if (n == 0)
			n = mime_utf8_len(p);	/* cannot happen at column 1 */
		fputs("=?UTF-8?B?", fp);
		mime_b64_put(fp, (const unsigned char *)p, n);
		fputs("?=", fp);
		col += MIME_WORD_OVERHEAD + (n + 2) / 3 * 4;
		p += n;
		if (*p != '\0') {
			fputs("\r\n ", fp);
			col = 1;
		}
	}
	return col;
}

char *
mime_header(const char *name, const char *value)
{
	char *buf = NULL;
	size_t len, col;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(fp, "%s: ", name);
	col = strlen(name) + 2;
	if (mime_is_plain(value) && col + strlen(value) <= MIME_LINE_MAX)
		fputs(value, fp);
	else
		mime_put_words(fp, value, col);
	fputs("\r\n", fp);
	return mime_finish(fp, &buf);
}

/* RFC 5322 specials: an ASCII display name with one must be quoted. */
static int
mime_has_specials(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

char *
mime_header_address(const char *name, const char *display, const char *addr)
{
	char *buf = NULL;
	size_t len, col;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(fp, "%s: ", name);
	col = strlen(name) + 2;
	if (display != NULL && *display != '\0') {
		if (!mime_is_plain(display) ||
		    col + strlen(display) + 2 > MIME_LINE_MAX)
			col = mime_put_words(fp, display, col);
		else if (mime_has_specials(display)) {
			fputc('"', fp);
			for (const char *p = display; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					fputc('\\', fp);
				fputc(*p, fp);
			}
			fputc('"', fp);
			col += strlen(display) + 2;
		} else {
			fputs(display, fp);
			col += strlen(display);
		}
		if (col + strlen(addr) + 3 > MIME_LINE_MAX)
			fputs("\r\n", fp);
		fprintf(fp, " <%s>\r\n", addr);
	} else
		fprintf(fp, "%s\r\n", addr);
	return mime_finish(fp, &buf);
}

static char *
mime_trimmed(const char *s, size_t n)
{
	char *r;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	/* A quoted display name loses its quotes. */
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if ((r = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

int
mime_parse_address(const char *s, char **display, char **addr)
{
	const char *lt = strchr(s, '<'), *gt;
	char *d = NULL, *a = NULL;

	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL || strspn(gt + 1, " \t") != strlen(gt + 1))
			return -1;
		d = mime_trimmed(s, (size_t)(lt - s));
		a = mime_trimmed(lt + 1, (size_t)(gt - lt - 1));
	} else {
		d = mime_trimmed("", 0);
		a = mime_trimmed(s, strlen(s));
	}
	if (d == NULL || a == NULL)
		goto fail;
	/* One '@', something on both sides, nothing that breaks a header. */
	if (strchr(a, '@') == NULL || a[0] == '@' ||
	    strchr(a, '@')[1] == '\0' || strchr(strchr(a, '@') + 1, '@') ||
	    strpbrk(a, " \t\r\n<>\"(),;:\\") != NULL ||
	    strpbrk(d, "\r\n") != NULL)
		goto fail;
	*display = d;
	*addr = a;
	return 0;
fail:
	free(d);
	free(a);
	return -1;
}

/* A space or tab is literal unless a line end (or the end) follows it. */
static int
mime_qp_ws_at_eol(const char *p)
{
	return p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
}

char *
mime_qp(const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	char *buf = NULL, tok[4];
	size_t len, col = 0, n;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\n') {
			fputs("\r\n", fp);
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !mime_qp_ws_at_eol(p))) {
			tok[0] = (char)c;
			n = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			n = 3;
		}
		/* Room for the soft break's '=' on the same line. */
		if (col + n > MIME_LINE_MAX - 1) {
			fputs("=\r\n", fp);
			col = 0;
		}
		fwrite(tok, 1, n, fp);
		col += n;
	}
	if (col > 0)
		fputs("\r\n", fp);
	return mime_finish(fp, &buf);
}

char *
mime_base64(const void *data, size_t len)
{
	const unsigned char *p = data;
	const size_t per_line = MIME_LINE_MAX / 4 * 3;
	char *buf = NULL;
	size_t blen, n;
	FILE *fp;

	if ((fp = open_memstream(&buf, &blen)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += n) {
		n = len - i < per_line ? len - i : per_line;
		mime_b64_put(fp, p + i, n);
		fputs("\r\n", fp);
	}
	return mime_finish(fp, &buf);
}

void
mime_date(int64_t t, char *buf, size_t len)
{
	/* Spelled out: strftime's names follow the locale. */
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
ics_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* Digits only: no locale can change these. */
	strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

/*
 * One content line "NAME:value" with value TEXT-escaped (RFC 5545 3.3.11)
 * when escape is set, folded at 75 octets between UTF-8 characters.
 */
static int
ics_line(FILE *fp, const char *name, const char *value, int escape)
{
	char *line = NULL;
	size_t len, col, k;
	FILE *lf;

	if ((lf = open_memstream(&line, &len)) == NULL)
		return -1;
	fprintf(lf, "%s:", name);
	for (const char *p = value; *p != '\0'; p++) {
		if (escape && (*p == '\\' || *p == ';' || *p == ','))
			fprintf(lf, "\\%c", *p);
		else if (escape && *p == '\n')
			fputs("\\n", lf);
		else if (*p != '\r')
			fputc(*p, lf);
	}
	if (fclose(lf) != 0 || line == NULL) {
		free(line);
		return -1;
	}
	col = 0;
	for (const char *p = line; *p != '\0'; p += k) {
		k = mime_utf8_len(p);
		if (col + k > ICS_LINE_MAX) {
			fputs("\r\n ", fp);
			col = 1;
		}
		fwrite(p, 1, k, fp);
		col += k;
	}
	fputs("\r\n", fp);
	free(line);
	return 0;
}

char *
mime_ics(const char *uid, int64_t due, int64_t now, const char *summary)
{
	char *buf = NULL, start[32], end[32], stamp[32];
	size_t len;
	int bad = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	ics_time(due, start, sizeof(start));
	ics_time(due + HERALD_ITEM_EVENT_SECONDS, end, sizeof(end));
	ics_time(now, stamp, sizeof(stamp));
	fputs("BEGIN:VCALENDAR\r\n"
	    "VERSION:2.0\r\n"
	    "PRODID:-//herald//email channel//ZH\r\n"
	    "CALSCALE:GREGORIAN\r\n"
	    "METHOD:PUBLISH\r\n"
	    "BEGIN:VEVENT\r\n", fp);
	bad |= ics_line(fp, "UID", uid, 0);
	bad |= ics_line(fp, "DTSTAMP", stamp, 0);
	/* DTEND after DTSTART (RFC 5545 3.8.2.2), as long as the event of
	 * GET /v1/agenda.ics, which has the same UID. */
	bad |= ics_line(fp, "DTSTART", start, 0);
	bad |= ics_line(fp, "DTEND", end, 0);
	bad |= ics_line(fp, "SUMMARY", summary, 1);
	fputs("TRANSP:TRANSPARENT\r\n"
	    "BEGIN:VALARM\r\n"
	    "ACTION:DISPLAY\r\n", fp);
	bad |= ics_line(fp, "DESCRIPTION", summary, 1);
	fputs("TRIGGER:-PT1H\r\n"
	    "END:VALARM\r\n"
	    "END:VEVENT\r\n"
	    "END:VCALENDAR\r\n", fp);
	buf = mime_finish(fp, &buf);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Mostly-ASCII text reads better in quoted-printable; Chinese in base64. */
static char *
mime_body_encoded(const char *body, const char **cte)
{
	size_t high = 0, n = strlen(body);

	for (const char *p = body; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			high++;
	if (high * 3 > n) {
		/* Text is CRLF in canonical form (RFC 2046 4.1.1), also here. */
		char *crlf = NULL, *b64;
		size_t len;
		FILE *fp;

		*cte = "base64";
		if ((fp = open_memstream(&crlf, &len)) == NULL)
			return NULL;
		for (const char *p = body; *p != '\0'; p++) {
			if (*p == '\n' && (p == body || p[-1] != '\r'))
				fputc('\r', fp);
			fputc(*p, fp);
		}
		if ((crlf = mime_finish(fp, &crlf)) == NULL)
			return NULL;
		b64 = mime_base64(crlf, len);
		free(crlf);
		return b64;
	}
	*cte = "quoted-printable";
	return mime_qp(body);
}

static void
mime_put_owned(FILE *fp, char *s, int *oom)
{
	if (s == NULL) {
		*oom = 1;
		return;
	}
	fputs(s, fp);
	free(s);
}

char *
mime_message_format(const struct mime_message *m)
{
	char *buf = NULL, *body = NULL, *ics = NULL, date[64];
	const char *cte;
	size_t len;
	int oom = 0;
	FILE *fp;

	if ((body = mime_body_encoded(m->body ? m->body : "", &cte)) == NULL)
		return NULL;
	if (m->ics != NULL && (ics = mime_base64(m->ics, strlen(m->ics))) == NULL)
		goto fail;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		goto fail;
	mime_date(m->date, date, sizeof(date));
	fprintf(fp, "Date: %s\r\n", date);
	mime_put_owned(fp, mime_header_address("From", m->from_display,
	    m->from_addr), &oom);
	mime_put_owned(fp, mime_header_address("To", m->to_display,
	    m->to_addr), &oom);
	if (m->reply_to != NULL)
		fprintf(fp, "Reply-To: %s\r\n", m->reply_to);
	if (m->subject != NULL)
		mime_put_owned(fp, mime_header("Subject", m->subject), &oom);
	fprintf(fp, "Message-ID: <%s>\r\n", m->message_id);
	fprintf(fp, "X-Herald-Id: %s\r\n", m->herald_id);
	/* RFC 3834: tells vacation responders not to answer. */
	fputs("Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n", fp);
	if (ics == NULL) {
		fprintf(fp, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: %s\r\n\r\n%s", cte, body);
	} else {
		/* "=_" never occurs in base64 or quoted-printable text. */
		fprintf(fp, "Content-Type: multipart/mixed;\r\n"
		    " boundary=\"=_herald_%s\"\r\n\r\n"
		    "This is a multi-part message in MIME format.\r\n"
		    "\r\n--=_herald_%s\r\n"
		    "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: %s\r\n\r\n%s"
		    "\r\n--=_herald_%s\r\n"
		    "Content-Type: text/calendar; charset=UTF-8;\r\n"
		    " method=PUBLISH; name=\"%s\"\r\n"
		    "Content-Disposition: attachment; filename=\"%s\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n%s"
		    "\r\n--=_herald_%s--\r\n",
		    m->herald_id, m->herald_id, cte, body, m->herald_id,
		    m->ics_name, m->ics_name, ics, m->herald_id);
	}
	free(body);
	free(ics);
	buf = mime_finish(fp, &buf);
	if (oom) {
		free(buf);
		return NULL;
	}
	return buf;
fail:
	free(body);
	free(ics);
	return NULL;
}
