/*
 * test_utf8.c - strict UTF-8 validation, counting and truncation.
 *
 * Byte sequences are written out by hand from the code points (RFC 3629
 * table: U+4E2D "中" = E4 B8 AD, U+1F600 = F0 9F 98 80).
 */
#include "unit.h"

#include <string.h>

#include "utf8.h"

/* "中文" + "abc" + U+1F600 + "é" (U+00E9 = C3 A9) */
static const char mixed[] = "\xe4\xb8\xad\xe6\x96\x87" "abc"
    "\xf0\x9f\x98\x80" "\xc3\xa9";

static void
test_valid(void **state)
{
	static const char *const good[] = {
		"",
		"plain ascii",
		"\xe4\xb8\xad\xe6\x96\x87",		/* 中文 */
		"\xf0\x9f\x98\x80",			/* U+1F600 */
		"\xc2\x80",				/* U+0080, smallest 2-byte */
		"\xdf\xbf",				/* U+07FF */
		"\xe0\xa0\x80",				/* U+0800, smallest 3-byte */
		"\xed\x9f\xbf",				/* U+D7FF, below surrogates */
		"\xee\x80\x80",				/* U+E000, above them */
		"\xef\xbf\xbf",				/* U+FFFF */
		"\xf0\x90\x80\x80",			/* U+10000 */
		"\xf4\x8f\xbf\xbf",			/* U+10FFFF, the last */
	};
	size_t off = 4242;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!utf8_is_valid(good[i], strlen(good[i]), &off))
			fail_msg("case %zu refused at %zu", i, off);
	assert_true(utf8_is_valid(mixed, sizeof(mixed) - 1, NULL));
	/* NUL is a valid character; the length decides, not the NUL. */
	assert_true(utf8_is_valid("a\0b", 3, NULL));
	assert_int_equal(off, 4242);
}

struct bad_case {
	const char	*s;
	size_t		 len;
	size_t		 off;	/* first byte of the bad sequence */
};

#define BAD(s, off)	{ s, sizeof(s) - 1, off }

static void
test_invalid(void **state)
{
	static const struct bad_case bad[] = {
		BAD("\xc0\xaf", 0),		/* overlong '/' */
		BAD("ab\xc1\xbf", 2),		/* overlong U+007F */
		BAD("\xe0\x80\xaf", 0),		/* overlong 3-byte '/' */
		BAD("\xe0\x9f\xbf", 0),		/* overlong U+07FF */
		BAD("\xf0\x80\x80\xaf", 0),	/* overlong 4-byte '/' */
		BAD("\xf0\x8f\xbf\xbf", 0),	/* overlong U+FFFF */
		BAD("x\xed\xa0\x80", 1),	/* U+D800 */
		BAD("\xed\xbf\xbf", 0),		/* U+DFFF */
		BAD("\xf4\x90\x80\x80", 0),	/* U+110000 */
		BAD("\xf5\x80\x80\x80", 0),
		BAD("\xff", 0),
		BAD("\xfe", 0),
		BAD("abc\x80", 3),		/* lone continuation */
		BAD("\xe4\xb8", 0),		/* truncated at end */
		BAD("\xe4\xb8" "a", 0),		/* truncated before ASCII */
		BAD("\xe4\xb8\xad\xf0\x9f\x98", 3),
		BAD("\xc3", 0),
		BAD("\xc3\xa9\xc3\xc3\xa9", 2),
		BAD("\xf0\x9f\x98" "\xe4\xb8\xad", 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t off = 4242;

		if (utf8_is_valid(bad[i].s, bad[i].len, &off))
			fail_msg("case %zu accepted", i);
		if (off != bad[i].off)
			fail_msg("case %zu: offset %zu, want %zu", i, off,
			    bad[i].off);
		assert_false(utf8_is_valid(bad[i].s, bad[i].len, NULL));
	}
	/* A valid string cut short is caught by the length, not the NUL. */
	assert_false(utf8_is_valid("\xe4\xb8\xad", 2, NULL));
}

static void
test_count(void **state)
{
	(void)state;
	assert_int_equal(utf8_count_chars("", 0), 0);
	assert_int_equal(utf8_count_chars("hello", 5), 5);
	assert_int_equal(utf8_count_chars("\xe4\xb8\xad\xe6\x96\x87", 6), 2);
	assert_int_equal(utf8_count_chars("\xf0\x9f\x98\x80", 4), 1);
	/* 2 Chinese + 3 ASCII + 1 emoji + 1 accented letter */
	assert_int_equal(utf8_count_chars(mixed, sizeof(mixed) - 1), 7);
}

static void
test_truncate(void **state)
{
	size_t len = sizeof(mixed) - 1;	/* 15 bytes */

	(void)state;
	/* Boundaries of mixed: 0 3 6 7 8 9 13 15. */
	assert_int_equal(utf8_truncate(mixed, len, 100), len);
	assert_int_equal(utf8_truncate(mixed, len, len), len);
	assert_int_equal(utf8_truncate(mixed, len, 14), 13);
	assert_int_equal(utf8_truncate(mixed, len, 13), 13);
	assert_int_equal(utf8_truncate(mixed, len, 12), 9);
	assert_int_equal(utf8_truncate(mixed, len, 10), 9);
	assert_int_equal(utf8_truncate(mixed, len, 9), 9);
	assert_int_equal(utf8_truncate(mixed, len, 8), 8);
	assert_int_equal(utf8_truncate(mixed, len, 6), 6);
	assert_int_equal(utf8_truncate(mixed, len, 5), 3);
	assert_int_equal(utf8_truncate(mixed, len, 4), 3);
	assert_int_equal(utf8_truncate(mixed, len, 3), 3);
	assert_int_equal(utf8_truncate(mixed, len, 2), 0);
	assert_int_equal(utf8_truncate(mixed, len, 1), 0);
	assert_int_equal(utf8_truncate(mixed, len, 0), 0);
	assert_int_equal(utf8_truncate("abc", 3, 2), 2);
	assert_int_equal(utf8_truncate("", 0, 0), 0);
	/* Every cut is itself valid UTF-8. */
	for (size_t max = 0; max <= len; max++) {
		size_t n = utf8_truncate(mixed, len, max);

		assert_true(n <= max);
		assert_true(utf8_is_valid(mixed, n, NULL));
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_valid),
	cmocka_unit_test(test_invalid),
	cmocka_unit_test(test_count),
	cmocka_unit_test(test_truncate),
};

UNIT_MAIN(tests)
