/* test_suggest.c - the nearest known id for a mistyped one. */
#include "unit.h"

#include <stddef.h>

#include "suggest.h"

static const char *
nearest(const char *want, const char *const *cands)
{
	struct suggest sg;

	suggest_init(&sg, want);
	for (; *cands != NULL; cands++)
		suggest_offer(&sg, *cands);
	return suggest_best(&sg);
}

static void
test_distance(void **state)
{
	(void)state;
	assert_int_equal(suggest_distance("list", "list", 2), 0);
	assert_int_equal(suggest_distance("lsit", "list", 2), 2);
	assert_int_equal(suggest_distance("liaison", "liason", 2), 1);
	assert_int_equal(suggest_distance("", "abc", 5), 3);
	/* Past the cap the answer is cap + 1, however far. */
	assert_int_equal(suggest_distance("a", "abcdefgh", 2), 3);
	assert_int_equal(suggest_distance("kitten", "sitting", 1), 2);
}

static void
test_nearest(void **state)
{
	static const char *const ids[] = { "liaison-list", "key-lists",
	    "final-report", NULL };
	static const char *const short_ids[] = { "list", "report", NULL };

	(void)state;
	assert_string_equal(nearest("liasion-list", ids), "liaison-list");
	assert_string_equal(nearest("final-reprot", ids), "final-report");
	assert_string_equal(nearest("lsit", short_ids), "list");
	/* Too far from everything: no guess. */
	assert_null(nearest("budget", short_ids));
	assert_null(nearest("x", (const char *const[]){ NULL }));
	/* The exact id is no suggestion (the caller found it already). */
	assert_null(nearest("list", (const char *const[]){ "list", NULL }));
	/* A closer offer later wins; a tie keeps the first. */
	assert_string_equal(nearest("abcd", (const char *const[]){ "abxy",
	    "abcx", "abcy", NULL }), "abcx");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_distance),
	cmocka_unit_test(test_nearest),
};

UNIT_MAIN(tests)
