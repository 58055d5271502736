/* test_tbucket.c - token bucket arithmetic on a hand-driven clock. */
#include "unit.h"

#include "tbucket.h"

static void
test_burst_then_wait(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 10, 3, 0);	/* 10/s, burst 3 */
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	/* Empty: the next token is 100 ms away (+1 us rounding slack). */
	int64_t w = tbucket_take(&b, 0);
	assert_true(w >= 100000 && w <= 100001);
	assert_true(tbucket_take(&b, 50000) > 0);
	assert_int_equal(tbucket_take(&b, 100001), 0);
}

static void
test_refill_capped_at_burst(void **state)
{
	struct tbucket b;
	int taken = 0;

	tbucket_init(&b, 1, 2, 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	/* An hour idle earns only the burst. */
	while (tbucket_take(&b, 3600000000LL) == 0)
		taken++;
	assert_int_equal(taken, 2);
}

static void
test_unlimited(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 0, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(tbucket_take(&b, 0), 0);
}

static void
test_fractional_rate(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 1.0 / 3, 1, 0);	/* one per 3 s */
	assert_int_equal(tbucket_take(&b, 0), 0);
	int64_t w = tbucket_take(&b, 0);
	assert_true(w >= 3000000 && w <= 3000001);
	assert_true(tbucket_take(&b, 2999000) > 0);
	assert_int_equal(tbucket_take(&b, 3000001), 0);
}

static void
test_set_keeps_tokens(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 1, 5, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tbucket_take(&b, 0), 0);
	/* A reload to a deeper bucket does not refill it. */
	tbucket_set(&b, 1, 50, 0);
	assert_true(tbucket_take(&b, 0) > 0);
	/* Time going backwards earns nothing. */
	assert_true(tbucket_take(&b, -5000000) > 0);
}

static void
test_give_back(void **state)
{
	struct tbucket b;

	tbucket_init(&b, 1, 1, 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	tbucket_give(&b);
	assert_int_equal(tbucket_take(&b, 0), 0);
	tbucket_give(&b);
	tbucket_give(&b);		/* capped at the burst */
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_true(tbucket_take(&b, 0) > 0);
}

/*
 * An empty bucket still lets three emergencies through: it owes three
 * tokens, so the next ordinary send waits 3 s of refill plus 1 s for its
 * own token at 1/s.
 */
static void
test_overdraw(void **state)
{
	struct tbucket b;
	int64_t w;

	tbucket_init(&b, 1, 1, 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
	assert_true(tbucket_take(&b, 0) > 0);		/* empty */
	for (int i = 0; i < 3; i++)
		tbucket_overdraw(&b, 0);
	assert_true(b.tokens < -2.99 && b.tokens > -3.01);
	w = tbucket_take(&b, 0);
	assert_true(w >= 4000000 && w <= 4000001);
	assert_true(tbucket_take(&b, 3999000) > 0);
	assert_int_equal(tbucket_take(&b, 4000001), 0);
	/* A reload keeps the debt: it is not a fresh burst. */
	tbucket_overdraw(&b, 4000001);
	tbucket_set(&b, 1, 5, 4000001);
	assert_true(tbucket_take(&b, 4000001) > 0);
	/* An unlimited bucket has nothing to owe. */
	tbucket_init(&b, 0, 0, 0);
	tbucket_overdraw(&b, 0);
	assert_int_equal(tbucket_take(&b, 0), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_overdraw),
	cmocka_unit_test(test_burst_then_wait),
	cmocka_unit_test(test_refill_capped_at_burst),
	cmocka_unit_test(test_unlimited),
	cmocka_unit_test(test_fractional_rate),
	cmocka_unit_test(test_set_keeps_tokens),
	cmocka_unit_test(test_give_back),
};

UNIT_MAIN(tests)
