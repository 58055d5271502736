/* test_duration.c - DURATION and rate parsing and formatting. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"

struct duration_case {
	const char	*text;
	int64_t		 seconds;	/* worked out by hand */
	int		 days;
};

static void
test_parse_valid(void **state)
{
	static const struct duration_case cases[] = {
		{ "90s", 90, 0 },
		{ "10m", 600, 0 },
		{ "2h", 7200, 0 },
		{ "3d", 3 * 86400, 3 },
		{ "1w", 7 * 86400, 7 },
		{ "1d12h", 86400 + 12 * 3600, 1 },
		{ "1d2h", 93600, 1 },
		{ "1w2d", 9 * 86400, 9 },
		{ "2w3d4h5m6s", 17 * 86400 + 4 * 3600 + 5 * 60 + 6, 17 },
		{ "1h30m", 5400, 0 },
		{ "0d1s", 1, 0 },
		{ "007m", 420, 0 },
		{ "100000s", 100000, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t secs = -1;
		int days = -1;
		char err[128] = "";

		if (duration_parse(cases[i].text, &secs, &days, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].text, err);
		assert_int_equal(secs, cases[i].seconds);
		assert_int_equal(days, cases[i].days);
	}
}

static void
test_parse_days_null(void **state)
{
	int64_t secs = 0;
	char err[128];

	(void)state;
	assert_int_equal(duration_parse("1d", &secs, NULL, err, sizeof(err)), 0);
	assert_int_equal(secs, 86400);
}

struct duration_bad {
	const char	*text;
	const char	*err;		/* exact message */
};

static void
test_parse_invalid(void **state)
{
	static const struct duration_bad cases[] = {
		{ "", "bad duration \"\": empty" },
		{ "5", "bad duration \"5\": missing unit after 5 "
		    "(use s, m, h, d or w)" },
		{ "5x", "bad duration \"5x\": unknown unit 'x' "
		    "(use s, m, h, d or w)" },
		{ "5S", "bad duration \"5S\": unknown unit 'S' "
		    "(use s, m, h, d or w)" },
		/* A word is named whole, not as "d" then "ays". */
		{ "3days", "bad duration \"3days\": unknown unit \"days\" "
		    "(use s, m, h, d or w)" },
		{ "1d2hours", "bad duration \"1d2hours\": unknown unit "
		    "\"hours\" (use s, m, h, d or w)" },
		{ "-1d", "bad duration \"-1d\": duration must be positive" },
		{ "0s", "bad duration \"0s\": duration must be positive" },
		{ "0d0h", "bad duration \"0d0h\": duration must be positive" },
		{ "d", "bad duration \"d\": expected a number at \"d\"" },
		{ "1d-2h", "bad duration \"1d-2h\": expected a number at "
		    "\"-2h\"" },
		{ "1d h", "bad duration \"1d h\": expected a number at \" h\"" },
		{ "1h1d", "bad duration \"1h1d\": units must go from largest "
		    "to smallest, each once (w, d, h, m, s)" },
		{ "1h2h", "bad duration \"1h2h\": units must go from largest "
		    "to smallest, each once (w, d, h, m, s)" },
		{ "99999999999999999999s",
		    "bad duration \"99999999999999999999s\": too large" },
		/* 2^63 / 604800 is about 1.5e13 weeks. */
		{ "20000000000000w", "bad duration \"20000000000000w\": too large" },
		/* Fits int64 seconds but not an int of days. */
		{ "3000000000d", "bad duration \"3000000000d\": too large" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t secs = 4242;
		int days = 4242;
		char err[160] = "";

		assert_int_equal(duration_parse(cases[i].text, &secs, &days,
		    err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		/* Outputs are written only on success. */
		assert_int_equal(secs, 4242);
		assert_int_equal(days, 4242);
	}
}

static void
test_parse_small_errbuf(void **state)
{
	int64_t secs;
	char err[8];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_int_equal(duration_parse("5x", &secs, NULL, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "bad dur");
}

struct duration_fmt {
	int64_t		 seconds;
	const char	*text;
};

static void
test_format(void **state)
{
	static const struct duration_fmt cases[] = {
		{ 0, "0s" },
		{ 1, "1s" },
		{ 59, "59s" },
		{ 60, "1m" },
		{ 90, "90s" },		/* shorter than "1m30s" */
		{ 121, "2m1s" },	/* ties with "121s": larger unit wins */
		{ 600, "10m" },
		{ 3600, "1h" },
		{ 3660, "61m" },
		{ 3700, "3700s" },	/* "1h1m40s" and "61m40s" are longer */
		{ 5400, "90m" },
		{ 7200, "2h" },
		{ 36005, "10h5s" },
		{ 86400, "1d" },
		{ 93600, "1d2h" },	/* days stay days, never "26h" */
		{ 86400 + 90, "1d90s" },
		{ 7 * 86400, "1w" },
		{ 8 * 86400, "8d" },
		{ 14 * 86400 + 3600, "2w1h" },
		{ -3600, "-1h" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(duration_format(cases[i].seconds, buf,
		    sizeof(buf)), cases[i].text);
}

static void
test_format_truncates(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	/* 93600 is "1d2h": four characters do not fit with the NUL. */
	assert_string_equal(duration_format(93600, buf, sizeof(buf)), "1d2");
	assert_string_equal(duration_format(INT64_MIN, buf, sizeof(buf)),
	    "-10");
}

/* What format writes, parse reads back to the same number of seconds. */
static void
test_format_parses_back(void **state)
{
	static const int64_t values[] = { 1, 61, 3599, 3601, 86399, 86401,
	    93600, 604800, 604801, 1209600 + 7322, 31536000 };
	char buf[64], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int64_t secs = 0;

		duration_format(values[i], buf, sizeof(buf));
		if (duration_parse(buf, &secs, NULL, err, sizeof(err)) != 0)
			fail_msg("%s: %s", buf, err);
		assert_int_equal(secs, values[i]);
	}
}

static void
test_rate(void **state)
{
	double r = 0;
	char err[128];

	(void)state;
	assert_int_equal(duration_parse_rate("50/s", &r, err, sizeof(err)), 0);
	assert_true(r == 50.0);
	assert_int_equal(duration_parse_rate("20/m", &r, err, sizeof(err)), 0);
	assert_true(r > 0.33333 && r < 0.33334);
	assert_int_equal(duration_parse_rate("100/h", &r, err, sizeof(err)), 0);
	assert_true(r > 0.027777 && r < 0.027778);
	assert_int_equal(duration_parse_rate("1/h", &r, err, sizeof(err)), 0);
	assert_true(r * 3600 > 0.99999 && r * 3600 < 1.00001);
}

static void
test_rate_invalid(void **state)
{
	static const char *const bad[] = { "", "50", "50/", "50/x", "50/sec",
	    "/s", "-5/s", "5.5/s", "50 /s", "50/d",
	    "99999999999999999999/s" };
	double r = 7.0;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		if (duration_parse_rate(bad[i], &r, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		snprintf(want, sizeof(want), "bad rate \"%s\": expected N/s, "
		    "N/m or N/h", bad[i]);
		assert_string_equal(err, want);
	}
	assert_int_equal(duration_parse_rate("0/s", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "bad rate \"0/s\": rate must be positive");
	assert_true(r == 7.0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_valid),
	cmocka_unit_test(test_parse_days_null),
	cmocka_unit_test(test_parse_invalid),
	cmocka_unit_test(test_parse_small_errbuf),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_format_truncates),
	cmocka_unit_test(test_format_parses_back),
	cmocka_unit_test(test_rate),
	cmocka_unit_test(test_rate_invalid),
};

UNIT_MAIN(tests)
