/*
 * utf8.h - UTF-8 checks and counts.  Every byte path in herald is UTF-8.
 */
#ifndef HERALD_UTF8_H
#define HERALD_UTF8_H

#include <stddef.h>

/* Is s valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)?  On failure
 * *bad_offset (may be NULL) gets the byte offset of the first bad byte. */
int utf8_is_valid(const char *s, size_t len, size_t *bad_offset);
/* Number of code points in valid UTF-8. */
size_t utf8_count_chars(const char *s, size_t len);
/* Length of the longest prefix of s (<= max bytes) ending on a character
 * boundary. */
size_t utf8_truncate(const char *s, size_t len, size_t max);

#endif
