/*
 * smslen.c - SMS coding, length and splitting (VENDORS.md section 5).
 *
 * Part of lib/libheraldutil.la, linked by libherald and by the sms
 * plugin, so it depends on nothing but libc.  The GSM 03.38 tables below are the default alphabet
 * and the extension table as Unicode code points; the characters Kannel
 * maps approximately (Greek capitals that look Latin) are deliberately
 * left out: a text containing them goes as UCS-2 and arrives as written.
 */
#include "smslen.h"

#include <stdint.h>

/* Non-ASCII code points of the default alphabet. */
static const uint16_t smslen_gsm7_high[] = {
	0x00a1, 0x00a3, 0x00a4, 0x00a5, 0x00a7, 0x00bf, 0x00c4, 0x00c5,
	0x00c6, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00d8, 0x00dc, 0x00df,
	0x00e0, 0x00e4, 0x00e5, 0x00e6, 0x00e8, 0x00e9, 0x00ec, 0x00f1,
	0x00f2, 0x00f6, 0x00f8, 0x00f9, 0x00fc, 0x0393, 0x0394, 0x0398,
	0x039b, 0x039e, 0x03a0, 0x03a3, 0x03a6, 0x03a8, 0x03a9,
};

unsigned
smslen_gsm7_cost(unsigned cp)
{
	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == '\f' || cp == 0x20ac)
		return 2;
	if (cp >= 0x20 && cp < 0x7f) {
		switch (cp) {
		case '^': case '{': case '}': case '\\':
		case '[': case '~': case ']': case '|':
			return 2;
		case '`':
			return 0;
		default:
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(smslen_gsm7_high) /
	    sizeof(smslen_gsm7_high[0]); i++)
		if (smslen_gsm7_high[i] == cp)
			return 1;
	return 0;
}

/*
 * Decode one code point at s[*i] (len bytes in all) and advance *i.
 * Returns the code point, or -1 for invalid UTF-8: overlongs, surrogates
 * and values past U+10FFFF are refused, as in utf8.c.
 */
static long
smslen_decode(const unsigned char *s, size_t len, size_t *i)
{
	unsigned c = s[*i], cp, min;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return (long)cp;
}

/* What cp costs in coding: septets or UTF-16 units. */
static size_t
smslen_cost(enum smslen_coding coding, unsigned cp)
{
	if (coding == SMSLEN_GSM7)
		return smslen_gsm7_cost(cp);
	return cp >= 0x10000 ? 2 : 1;
}

int
smslen_measure(const char *s, size_t len, struct smslen *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0, septets = 0, units = 0;
	int gsm = 1;
	long cp;
	unsigned c;

	while (i < len) {
		if ((cp = smslen_decode(u, len, &i)) < 0)
			return -1;
		chars++;
		units += (unsigned long)cp >= 0x10000 ? 2 : 1;
		if (gsm) {
			if ((c = smslen_gsm7_cost((unsigned)cp)) == 0)
				gsm = 0;
			septets += c;
		}
	}
	out->coding = gsm ? SMSLEN_GSM7 : SMSLEN_UCS2;
	out->units = gsm ? septets : units;
	out->chars = chars;
	out->segments = smslen_split(s, len, out->coding, NULL, 0);
	return 0;
}

size_t
smslen_split(const char *s, size_t len, enum smslen_coding coding,
    size_t *ends, size_t max_ends)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t single, part, total = 0, used = 0, parts = 1, i = 0, at;
	long cp;

	single = coding == SMSLEN_GSM7 ? SMSLEN_GSM7_SINGLE : SMSLEN_UCS2_SINGLE;
	part = coding == SMSLEN_GSM7 ? SMSLEN_GSM7_PART : SMSLEN_UCS2_PART;

	/* First pass: does it fit one SMS? */
	while (i < len) {
		if ((cp = smslen_decode(u, len, &i)) < 0)
			return 0;
		total += smslen_cost(coding, (unsigned)cp);
	}
	if (total <= single) {
		if (max_ends > 0)
			ends[0] = len;
		return 1;
	}

	/* Greedy: a character that would overflow the part starts the next. */
	i = 0;
	while (i < len) {
		size_t c;

		at = i;
		cp = smslen_decode(u, len, &i);
		c = smslen_cost(coding, (unsigned)cp);
		if (used + c > part) {
			if (parts - 1 < max_ends)
				ends[parts - 1] = at;
			parts++;
			used = 0;
		}
		used += c;
	}
	if (parts - 1 < max_ends)
		ends[parts - 1] = len;
	return parts;
}
