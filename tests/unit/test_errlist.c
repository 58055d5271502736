/* test_errlist.c - collected diagnostics: counts, formatting, order. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"

static void
assert_entry(const struct errlist *e, size_t i, const char *want)
{
	char *s = errlist_format(e, i);

	assert_string_equal(s, want);
	free(s);
}

static void
test_empty(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	assert_int_equal(e.n, 0);
	errlist_clear(&e);		/* clearing an empty list is fine */
	assert_null(e.v);
	assert_int_equal(e.n_errors, 0);
	assert_int_equal(e.n_warnings, 0);
}

static void
test_format_forms(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	errlist_add(&e, "herald.conf", 12, "unknown setting \"%s\"", "remnd");
	errlist_add(&e, "herald.conf", 0, "cannot read: %s", "No such file");
	errlist_add(&e, NULL, 7, "no file, so no line either");
	errlist_warn(&e, "a.conf", 3, "deadline %d is in the past", 2);
	errlist_warn(&e, NULL, 0, "bare warning");
	assert_int_equal(e.n, 5);
	assert_int_equal(e.n_errors, 3);
	assert_int_equal(e.n_warnings, 2);
	assert_entry(&e, 0, "herald.conf:12: unknown setting \"remnd\"");
	assert_entry(&e, 1, "herald.conf: cannot read: No such file");
	assert_entry(&e, 2, "no file, so no line either");
	assert_entry(&e, 3, "a.conf:3: warning: deadline 2 is in the past");
	assert_entry(&e, 4, "warning: bare warning");
	assert_false(e.v[0].warning);
	assert_true(e.v[3].warning);
	errlist_clear(&e);
	assert_int_equal(e.n, 0);
	assert_int_equal(e.cap, 0);
	assert_null(e.v);
	assert_int_equal(e.n_errors, 0);
	assert_int_equal(e.n_warnings, 0);
}

/* The list keeps copies: the caller's buffers may change afterwards. */
static void
test_copies_arguments(void **state)
{
	struct errlist e = { 0 };
	char file[] = "one.conf", word[] = "first";

	(void)state;
	errlist_add(&e, file, 1, "%s", word);
	strcpy(file, "two.conf");
	strcpy(word, "other");
	assert_entry(&e, 0, "one.conf:1: first");
	errlist_clear(&e);
}

/* Past the first allocation, in order, and reusable after a clear. */
static void
test_many_in_order(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			if (i % 10 == 9)
				errlist_warn(&e, "f.conf", i + 1, "w%d", i);
			else
				errlist_add(&e, "f.conf", i + 1, "e%d", i);
		}
		assert_int_equal(e.n, 100);
		assert_int_equal(e.n_errors, 90);
		assert_int_equal(e.n_warnings, 10);
		for (int i = 0; i < 100; i++) {
			char want[64];

			snprintf(want, sizeof(want), "f.conf:%d: %s%c%d", i + 1,
			    i % 10 == 9 ? "warning: " : "",
			    i % 10 == 9 ? 'w' : 'e', i);
			assert_entry(&e, (size_t)i, want);
		}
		errlist_clear(&e);
	}
}

static void
test_print(void **state)
{
	struct errlist e = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	errlist_add(&e, "x.conf", 2, "bad %s", "thing");
	errlist_warn(&e, NULL, 0, "careful");
	errlist_add(&e, NULL, 0, "100%% sure");
	assert_non_null(fp = open_memstream(&buf, &len));
	errlist_print(&e, fp);
	fclose(fp);
	assert_string_equal(buf, "x.conf:2: bad thing\nwarning: careful\n"
	    "100% sure\n");
	free(buf);

	/* An empty list prints nothing. */
	errlist_clear(&e);
	buf = NULL;
	assert_non_null(fp = open_memstream(&buf, &len));
	errlist_print(&e, fp);
	fclose(fp);
	assert_string_equal(buf, "");
	free(buf);
}

static void vadd_helper(struct errlist *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
vadd_helper(struct errlist *e, int warning, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(e, warning, "v.conf", 5, fmt, ap);
	va_end(ap);
}

static void
test_vadd(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	vadd_helper(&e, 0, "%d+%d", 2, 3);
	vadd_helper(&e, 1, "%s", "w");
	assert_int_equal(e.n_errors, 1);
	assert_int_equal(e.n_warnings, 1);
	assert_entry(&e, 0, "v.conf:5: 2+3");
	assert_entry(&e, 1, "v.conf:5: warning: w");
	errlist_clear(&e);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_empty),
	cmocka_unit_test(test_format_forms),
	cmocka_unit_test(test_copies_arguments),
	cmocka_unit_test(test_many_in_order),
	cmocka_unit_test(test_print),
	cmocka_unit_test(test_vadd),
};

UNIT_MAIN(tests)
