/*
 * utf8.c - strict UTF-8 for config text and message bodies.
 *
 * Strict means RFC 3629: no overlong forms, no UTF-16 surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.  The
 * bad offset points at the first byte of the sequence that fails, which is
 * what a caller needs to name the line of a config file.
 */
#include "utf8.h"

#include <stdint.h>

/*
 * Length of the valid sequence at s[0..len), or 0.  The second byte's
 * range depends on the lead byte: that one check rules out overlongs,
 * surrogates and code points past U+10FFFF (RFC 3629 section 4).
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;	/* continuation byte, 0xc0, 0xc1, 0xf5.. */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int
utf8_is_valid(const char *s, size_t len, size_t *bad_offset)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq_len(u + i, len - i)) == 0) {
			if (bad_offset != NULL)
				*bad_offset = i;
			return 0;
		}
		i += n;
	}
	return 1;
}

size_t
utf8_count_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
utf8_truncate(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len <= max)
		return len;
	/* s[max] starting a character means the cut falls between two. */
	for (i = max; i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80; i--)
		;
	return i;
}
