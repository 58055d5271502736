/*
 * test_mime.c - the email channel's encoders.  Expected literals were
 * computed with Python (base64, quopri, email.header); the folding checks
 * decode the output with a decoder written here, not with mime.c.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"

static const char subject[] =
    "【提醒】报送联络机制名单（附件1）（2023-08-05 17:00截止）";

/* base64.b64encode of the UTF-8 text, split as mime.c must split it. */
static const char subject_expected[] =
    "Subject: =?UTF-8?B?44CQ5o+Q6YaS44CR5oql6YCB6IGU57uc5py65Yi25ZCN5Y2V77yI?=\r\n"
    " =?UTF-8?B?6ZmE5Lu2Me+8ie+8iDIwMjMtMDgtMDUgMTc6MDDmiKrmraLvvIk=?=\r\n";

static int
b64_value(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = strchr(a, c);

	return c != '\0' && p != NULL ? (int)(p - a) : -1;
}

/* Decode n base64 characters into out; return the byte count or -1. */
static int
b64_decode(const char *s, size_t n, unsigned char *out)
{
	int len = 0, bits = 0, v;
	unsigned acc = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		if ((v = b64_value(s[i])) < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	return len;
}

/* Is buf[0..n) whole UTF-8 characters (no cut sequence at either end)? */
static int
utf8_whole(const unsigned char *b, int n)
{
	int i = 0, k;

	while (i < n) {
		if (b[i] < 0x80)
			k = 1;
		else if ((b[i] & 0xe0) == 0xc0)
			k = 2;
		else if ((b[i] & 0xf0) == 0xe0)
			k = 3;
		else if ((b[i] & 0xf8) == 0xf0)
			k = 4;
		else
			return 0;
		if (i + k > n)
			return 0;
		for (int j = 1; j < k; j++)
			if ((b[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/*
 * Check a folded header: lines <= 76 characters, CRLF ends, each encoded
 * word decodes to whole characters; return the decoded value.
 */
static char *
unfold_decode(const char *h, size_t name_len)
{
	char *out = calloc(1, strlen(h) * 2 + 1);
	const char *line = h, *eol, *p, *w;
	size_t len = 0;
	unsigned char bytes[256];
	int n;

	for (; *line != '\0'; line = eol + 2) {
		eol = strstr(line, "\r\n");
		assert_non_null(eol);
		assert_true(eol - line <= MIME_LINE_MAX);
		p = line == h ? line + name_len : line + 1;
		if (line != h)
			assert_int_equal(line[0], ' ');
		while (p < eol) {
			assert_memory_equal(p, "=?UTF-8?B?", 10);
			w = strstr(p + 10, "?=");
			assert_non_null(w);
			assert_true(w - p + 2 <= 75);	/* RFC 2047 word limit */
			n = b64_decode(p + 10, (size_t)(w - p - 10), bytes);
			assert_true(n > 0);
			assert_true(utf8_whole(bytes, n));
			memcpy(out + len, bytes, (size_t)n);
			len += (size_t)n;
			p = w + 2;
			while (p < eol && *p == ' ')
				p++;
		}
	}
	return out;
}

static void
test_subject_literal(void **state)
{
	char *h = mime_header("Subject", subject);

	assert_string_equal(h, subject_expected);
	free(h);
}

static void
test_folding_never_splits_characters(void **state)
{
	/* 3- and 4-byte characters, ASCII between, long enough for 5 lines. */
	const char *pieces[] = { "商务部", "😀", "a", "关于开展", "𠀀", "消费",
		"促进月", "7", "（", "）" };
	char value[2048] = "";
	char *h, *back;

	for (int i = 0; i < 60; i++)
		strcat(value, pieces[(i * 7) % 10]);
	h = mime_header("Subject", value);
	back = unfold_decode(h, strlen("Subject: "));
	assert_string_equal(back, value);
	free(back);
	free(h);

	/* Every starting column gives valid lines, even a long name. */
	for (int pad = 1; pad < 70; pad += 3) {
		char name[80];

		memset(name, 'X', (size_t)pad);
		name[pad] = '\0';
		h = mime_header(name, "消费促进月：请于8月5日前报送");
		back = unfold_decode(h, (size_t)pad + 2);
		assert_string_equal(back, "消费促进月：请于8月5日前报送");
		free(back);
		free(h);
	}
}

static void
test_plain_ascii_untouched(void **state)
{
	char *h = mime_header("Subject", "Liaison list due 5 August");

	assert_string_equal(h, "Subject: Liaison list due 5 August\r\n");
	free(h);
	/* "=?" would read as an encoded word: encode it. */
	h = mime_header("Subject", "a =?b");
	assert_string_equal(h, "Subject: =?UTF-8?B?YSA9P2I=?=\r\n");
	free(h);
	/* A line break cannot be injected into a header. */
	h = mime_header("Subject", "x\r\nBcc: evil@example.com");
	assert_null(strstr(h, "Bcc"));
	free(h);
}

static void
test_address(void **state)
{
	char *h, *d, *a;

	h = mime_header_address("From", "消费促进司", "xfcj@example.gov.cn");
	assert_string_equal(h, "From: =?UTF-8?B?5raI6LS55L+D6L+b5Y+4?= "
	    "<xfcj@example.gov.cn>\r\n");
	free(h);
	h = mime_header_address("To", "Wang, X.", "w@example.cn");
	assert_string_equal(h, "To: \"Wang, X.\" <w@example.cn>\r\n");
	free(h);
	h = mime_header_address("To", NULL, "w@example.cn");
	assert_string_equal(h, "To: w@example.cn\r\n");
	free(h);

	assert_int_equal(mime_parse_address("消费促进司 <xfcj@example.gov.cn>",
	    &d, &a), 0);
	assert_string_equal(d, "消费促进司");
	assert_string_equal(a, "xfcj@example.gov.cn");
	free(d);
	free(a);
	assert_int_equal(mime_parse_address("a@b.cn", &d, &a), 0);
	assert_string_equal(d, "");
	assert_string_equal(a, "a@b.cn");
	free(d);
	free(a);
	assert_int_equal(mime_parse_address("\"Desk\" <a@b.cn>", &d, &a), 0);
	assert_string_equal(d, "Desk");
	free(d);
	free(a);
	assert_int_equal(mime_parse_address("no-at-sign", &d, &a), -1);
	assert_int_equal(mime_parse_address("x <a@b.cn", &d, &a), -1);
	assert_int_equal(mime_parse_address("x <a@b@c>", &d, &a), -1);
	assert_int_equal(mime_parse_address("x <a@b> y", &d, &a), -1);
}

static void
test_quoted_printable(void **state)
{
	/* quopri.encodestring, with its LF line ends turned into CRLF. */
	char *q = mime_qp("王晓明：您好！\n请于8月5日17:00前报送。 \nend=1");

	assert_string_equal(q,
	    "=E7=8E=8B=E6=99=93=E6=98=8E=EF=BC=9A=E6=82=A8=E5=A5=BD=EF=BC=81\r\n"
	    "=E8=AF=B7=E4=BA=8E8=E6=9C=885=E6=97=A517:00=E5=89=8D=E6=8A=A5=E9=80=81=E3=\r\n"
	    "=80=82=20\r\n"
	    "end=3D1\r\n");
	free(q);
	q = mime_qp("a\r\nb\t\n");
	assert_string_equal(q, "a\r\nb=09\r\n");
	free(q);
}

static void
test_base64_lines(void **state)
{
	char *b = mime_base64("王晓明：您好！", strlen("王晓明：您好！"));

	assert_string_equal(b, "546L5pmT5piO77ya5oKo5aW977yB\r\n");
	free(b);
	char big[200];
	memset(big, 'x', sizeof(big));
	b = mime_base64(big, sizeof(big));
	/* 57 bytes -> 76 characters per line: 200 bytes make 3 full lines
	 * and 29 bytes, padded to 40 characters. */
	assert_int_equal(strlen(b), 76 + 2 + 76 + 2 + 76 + 2 + 40 + 2);
	assert_memory_equal(b + 76, "\r\n", 2);
	free(b);
}

static void
test_date(void **state)
{
	char d[64];

	mime_date(1691226000, d, sizeof(d));
	assert_string_equal(d, "Sat, 05 Aug 2023 09:00:00 +0000");
}

static void
test_ics(void **state)
{
	/* 2023-08-05 17:00 Asia/Shanghai = 09:00Z = 1691226000. */
	char *ics = mime_ics("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", 1691226000,
	    1690000000, "报送联络机制名单（附件1）; 北京, 河北\\各省联络员名单需在截止时间前报送完毕请勿延误");
	const char *p, *eol;

	assert_non_null(strstr(ics, "\r\nMETHOD:PUBLISH\r\n"));
	assert_non_null(strstr(ics,
	    "\r\nUID:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\r\n"));
	assert_non_null(strstr(ics, "\r\nDTSTART:20230805T090000Z\r\n"));
	assert_non_null(strstr(ics, "\r\nDTSTAMP:20230722T042640Z\r\n"));
	assert_non_null(strstr(ics, "BEGIN:VALARM\r\n"));
	assert_non_null(strstr(ics, "\r\nTRIGGER:-PT1H\r\n"));
	assert_int_equal(strncmp(ics, "BEGIN:VCALENDAR\r\n", 17), 0);
	assert_non_null(strstr(ics, "END:VCALENDAR\r\n"));
	/* Escaped ; , and \ (RFC 5545 3.3.11). */
	assert_non_null(strstr(ics, "SUMMARY:报送联络机制名单（附件1）\\; 北京\\, 河北\\\\"));
	/* Lines of at most 75 octets, folded between characters. */
	for (p = ics; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 75);
		/* A continuation never starts inside a character. */
		if (p != ics && *p == ' ')
			assert_true(((unsigned char)p[1] & 0xc0) != 0x80);
	}
	free(ics);
}

static void
test_message(void **state)
{
	struct mime_message m = {
		.from_display = "消费促进司", .from_addr = "xfcj@example.gov.cn",
		.to_display = "王晓明", .to_addr = "wangxm@example.gov.cn",
		.reply_to = "desk@example.gov.cn",
		.subject = subject, .body = "王晓明：您好！\n请按时报送。",
		.message_id = "k1@example.gov.cn", .herald_id = "k1",
		.date = 1691226000, .ics = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
		.ics_name = "deadline.ics",
	};
	char *s = mime_message_format(&m);

	assert_non_null(s);
	assert_non_null(strstr(s, "Date: Sat, 05 Aug 2023 09:00:00 +0000\r\n"));
	assert_non_null(strstr(s, subject_expected));
	assert_non_null(strstr(s, "\r\nMessage-ID: <k1@example.gov.cn>\r\n"));
	assert_non_null(strstr(s, "\r\nX-Herald-Id: k1\r\n"));
	assert_non_null(strstr(s, "multipart/mixed;\r\n boundary=\"=_herald_k1\""));
	assert_non_null(strstr(s, "\r\n--=_herald_k1--\r\n"));
	assert_non_null(strstr(s, "Content-Type: text/calendar"));
	/* 7-bit, CRLF only. */
	for (const char *p = s; *p != '\0'; p++) {
		assert_true((unsigned char)*p < 0x80);
		if (*p == '\n')
			assert_int_equal(p[-1], '\r');
	}
	free(s);

	m.ics = NULL;
	s = mime_message_format(&m);
	assert_null(strstr(s, "multipart"));
	assert_non_null(strstr(s, "Content-Transfer-Encoding: base64\r\n\r\n"));
	free(s);
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_subject_literal),
	cmocka_unit_test(test_folding_never_splits_characters),
	cmocka_unit_test(test_plain_ascii_untouched),
	cmocka_unit_test(test_address),
	cmocka_unit_test(test_quoted_printable),
	cmocka_unit_test(test_base64_lines),
	cmocka_unit_test(test_date),
	cmocka_unit_test(test_ics),
	cmocka_unit_test(test_message),
};

UNIT_MAIN(tests)
