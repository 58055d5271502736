/*
 * test_civil.c - civil time parsing, date arithmetic and zone conversion.
 *
 * Expected instants were computed outside herald with GNU date, e.g.
 * `date -u -d "2023-08-05 17:00 +0800" +%s`, after reading the offsets in
 * force from `zdump -v -c 2021,2024 ZONE`; day numbers and weekdays with
 * Python's datetime ((date(y, m, d) - date(1970, 1, 1)).days, strftime %A).
 * The zone tests need the system tz database (tzdata).
 */
#include "unit.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"

static struct civil
mk(int y, int mo, int d, int h, int mi, int s)
{
	struct civil c = { y, mo, d, h, mi, s };

	return c;
}

/* --- parsing --- */

static void
test_parse_valid(void **state)
{
	struct civil c;
	int only = -1;
	char err[128] = "";

	(void)state;
	assert_int_equal(civil_parse("2023-08-05 17:00", &c, &only, err,
	    sizeof(err)), 0);
	assert_int_equal(c.year, 2023);
	assert_int_equal(c.month, 8);
	assert_int_equal(c.day, 5);
	assert_int_equal(c.hour, 17);
	assert_int_equal(c.min, 0);
	assert_int_equal(c.sec, 0);
	assert_int_equal(only, 0);

	assert_int_equal(civil_parse("2023-08-05 07:08:09", &c, &only, err,
	    sizeof(err)), 0);
	assert_int_equal(c.hour, 7);
	assert_int_equal(c.min, 8);
	assert_int_equal(c.sec, 9);
	assert_int_equal(only, 0);

	c.hour = c.min = c.sec = 99;
	assert_int_equal(civil_parse("2024-02-29", &c, &only, err,
	    sizeof(err)), 0);
	assert_int_equal(c.year, 2024);
	assert_int_equal(c.month, 2);
	assert_int_equal(c.day, 29);
	assert_int_equal(c.hour, 0);
	assert_int_equal(c.min, 0);
	assert_int_equal(c.sec, 0);
	assert_int_equal(only, 1);

	/* Leap years: divisible by 400, or by 4 and not by 100. */
	assert_int_equal(civil_parse("2000-02-29 23:59:59", &c, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(civil_parse("2023-12-31 00:00", &c, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(civil_parse("2023-04-30", &c, NULL, err,
	    sizeof(err)), 0);
}

struct parse_bad {
	const char	*text;
	const char	*why;
};

static void
test_parse_invalid(void **state)
{
	static const struct parse_bad cases[] = {
		{ "2023-02-30 10:00", "day out of range" },
		{ "2023-02-29", "day out of range" },
		{ "1900-02-29", "day out of range" },
		{ "2100-02-29", "day out of range" },
		{ "2023-04-31", "day out of range" },
		{ "2023-01-00", "day out of range" },
		{ "2023-13-01", "month out of range" },
		{ "2023-00-10", "month out of range" },
		{ "2023-08-05 24:00", "hour out of range" },
		{ "2023-08-05 23:60", "minute out of range" },
		{ "2023-08-05 23:59:60", "second out of range" },
		{ "1899-12-31", "year out of range" },
		{ "2023/08/05", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-8-5", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05T10:00", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05 10", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05 10:0", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05 10:00 ", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05 10:00:5", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05  10:00", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ " 2023-08-05", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "2023-08-05 ", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		{ "20230805", "expected YYYY-MM-DD[ HH:MM[:SS]]" },
		/* A Chinese input method's full-width digits and colon. */
		{ "２０２３-08-05", "full-width (全角) digits or colon; write "
		    "them in ASCII" },
		{ "2023-08-05 17：00", "full-width (全角) digits or colon; "
		    "write them in ASCII" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct civil c = mk(1, 2, 3, 4, 5, 6);
		int only = 7;
		char err[128] = "", want[128];

		if (civil_parse(cases[i].text, &c, &only, err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", cases[i].text);
		snprintf(want, sizeof(want), "bad date-time \"%s\": %s",
		    cases[i].text, cases[i].why);
		assert_string_equal(err, want);
		assert_int_equal(c.year, 1);
		assert_int_equal(only, 7);
	}
}

static void
test_parse_hhmm(void **state)
{
	static const char *const bad[] = { "24:00", "12:60", "9:30", "12:3",
	    "12:30:00", "", "ab:cd", " 12:30", "12-30", "-1:30" };
	int m = -1;

	(void)state;
	assert_int_equal(civil_parse_hhmm("00:00", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(civil_parse_hhmm("09:30", &m), 0);
	assert_int_equal(m, 570);
	assert_int_equal(civil_parse_hhmm("23:59", &m), 0);
	assert_int_equal(m, 1439);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = 4242;
		if (civil_parse_hhmm(bad[i], &m) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(m, 4242);
	}
}

/* --- date arithmetic --- */

struct known_day {
	int		 y, m, d;
	int32_t		 days;		/* from Python's datetime */
	int		 weekday;	/* 0 = Sunday */
};

static const struct known_day known_days[] = {
	{ 1970, 1, 1, 0, 4 },		/* Thursday */
	{ 1969, 12, 31, -1, 3 },	/* Wednesday */
	{ 1900, 1, 1, -25567, 1 },	/* Monday */
	{ 2000, 2, 29, 11016, 2 },	/* Tuesday */
	{ 2023, 8, 5, 19574, 6 },	/* Saturday */
	{ 2024, 2, 29, 19782, 4 },	/* Thursday */
	{ 2100, 3, 1, 47541, 1 },	/* Monday */
	{ 2200, 12, 31, 84370, 3 },	/* Wednesday */
};

static void
test_known_days(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known_days) / sizeof(known_days[0]);
	    i++) {
		const struct known_day *k = &known_days[i];
		int y = 0, m = 0, d = 0;

		assert_int_equal(civil_days_from_date(k->y, k->m, k->d),
		    k->days);
		civil_date_from_days(k->days, &y, &m, &d);
		assert_int_equal(y, k->y);
		assert_int_equal(m, k->m);
		assert_int_equal(d, k->d);
		assert_int_equal(civil_weekday(k->days), k->weekday);
	}
}

static int
test_month_len(int y, int m)
{
	static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

/*
 * Walk every day from 1900-01-01 to 2200-12-31 with a naive calendar and
 * check both directions and the weekday cycle on each.
 */
static void
test_days_walk(void **state)
{
	int y = 1900, m = 1, d = 1, wd = 1;	/* 1900-01-01 was a Monday */
	int32_t n = -25567;

	(void)state;
	while (y <= 2200) {
		int yy, mm, dd;

		if (civil_days_from_date(y, m, d) != n)
			fail_msg("%04d-%02d-%02d: got %d, want %d", y, m, d,
			    (int)civil_days_from_date(y, m, d), (int)n);
		civil_date_from_days(n, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			fail_msg("%d: got %04d-%02d-%02d", (int)n, yy, mm, dd);
		if (civil_weekday(n) != wd)
			fail_msg("%d: weekday %d, want %d", (int)n,
			    civil_weekday(n), wd);
		n++;
		wd = (wd + 1) % 7;
		if (++d > test_month_len(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(n, 84371);	/* 2201-01-01 */
}

/* --- zones --- */

static void
test_zone_valid(void **state)
{
	static const char *const good[] = { "Asia/Shanghai", "UTC",
	    "America/New_York", "Europe/London", "America/Argentina/Buenos_Aires",
	    "Etc/GMT+8" };
	static const char *const bad[] = { "Mars/Olympus", "../etc/passwd",
	    "/etc/localtime", "", "Asia", "Asia/", "Asia//Shanghai",
	    "Asia/../Asia/Shanghai", "./UTC", "zone.tab", "tzdata.zi",
	    "asia/shanghai", "Asia/Shanghai ", "CST-8", "UTC+8" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!civil_zone_is_valid(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (civil_zone_is_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(civil_zone_is_valid(NULL));
}

struct instant_case {
	const char		*zone;
	struct civil		 c;
	int64_t			 t;	/* date -u -d ... +%s */
	enum civil_fold		 fold;
};

static void
test_to_instant(void **state)
{
	static const struct instant_case cases[] = {
		/* 2023-08-05 17:00 +0800 */
		{ "Asia/Shanghai", { 2023, 8, 5, 17, 0, 0 }, 1691226000,
		    CIVIL_EXACT },
		{ "UTC", { 2023, 8, 5, 17, 0, 0 }, 1691254800, CIVIL_EXACT },
		/* Spring forward at 07:00Z: 02:30 is read as EST, -0500,
		 * 07:30Z, shown as 03:30 EDT. */
		{ "America/New_York", { 2021, 3, 14, 2, 30, 0 }, 1615707000,
		    CIVIL_GAP },
		{ "America/New_York", { 2021, 3, 14, 2, 0, 0 }, 1615705200,
		    CIVIL_GAP },
		/* Either side of the gap: 01:59:59 EST, 03:00 EDT. */
		{ "America/New_York", { 2021, 3, 14, 1, 59, 59 }, 1615705199,
		    CIVIL_EXACT },
		{ "America/New_York", { 2021, 3, 14, 3, 0, 0 }, 1615705200,
		    CIVIL_EXACT },
		/* Fall back at 06:00Z: 01:30 EDT (05:30Z) comes first, 01:30
		 * EST (06:30Z = 1636266600) second. */
		{ "America/New_York", { 2021, 11, 7, 1, 30, 0 }, 1636263000,
		    CIVIL_AMBIGUOUS },
		/* 02:00 EST exists once, at 07:00Z. */
		{ "America/New_York", { 2021, 11, 7, 2, 0, 0 }, 1636268400,
		    CIVIL_EXACT },
		/* 2023-03-26 01:30 in the GMT -> BST gap: 01:30Z. */
		{ "Europe/London", { 2023, 3, 26, 1, 30, 0 }, 1679794200,
		    CIVIL_GAP },
		/* 2023-10-29 01:30 twice: BST first, 00:30Z. */
		{ "Europe/London", { 2023, 10, 29, 1, 30, 0 }, 1698539400,
		    CIVIL_AMBIGUOUS },
		/* Half-hour shift, +1030 -> +11 at 02:00 on 2023-10-01:
		 * 02:15 +1030 = 1696088700, shown as 02:45. */
		{ "Australia/Lord_Howe", { 2023, 10, 1, 2, 15, 0 }, 1696088700,
		    CIVIL_GAP },
		/* Samoa skipped 2011-12-30 (-10 -> +14): noon read at -10 is
		 * 22:00Z, shown as 2011-12-31 12:00 +14. */
		{ "Pacific/Apia", { 2011, 12, 30, 12, 0, 0 }, 1325282400,
		    CIVIL_GAP },
		/* Leap days and the ends of the supported range. */
		{ "UTC", { 2000, 2, 29, 0, 0, 0 }, 951782400, CIVIL_EXACT },
		{ "UTC", { 2024, 2, 29, 0, 0, 0 }, 1709164800, CIVIL_EXACT },
		{ "UTC", { 1900, 1, 1, 0, 0, 0 }, -2208988800LL, CIVIL_EXACT },
		{ "UTC", { 2200, 12, 31, 0, 0, 0 }, 7289568000LL, CIVIL_EXACT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct instant_case *k = &cases[i];
		int64_t t = 0;
		enum civil_fold fold = 99;

		if (civil_to_instant(&k->c, k->zone, &t, &fold) != 0)
			fail_msg("case %zu (%s) failed", i, k->zone);
		if (t != k->t || fold != k->fold)
			fail_msg("case %zu (%s): got %lld fold %d, want %lld "
			    "fold %d", i, k->zone, (long long)t, (int)fold,
			    (long long)k->t, (int)k->fold);
	}
	/* fold may be NULL. */
	{
		struct civil c = mk(2023, 8, 5, 17, 0, 0);
		int64_t t = 0;

		assert_int_equal(civil_to_instant(&c, "Asia/Shanghai", &t,
		    NULL), 0);
		assert_int_equal(t, 1691226000);
	}
}

static void
test_to_instant_invalid(void **state)
{
	static const char *const zones[] = { "Mars/Olympus", "../etc/passwd",
	    "/etc/localtime", "" };
	struct civil ok = mk(2023, 8, 5, 17, 0, 0);
	struct civil bad = mk(2023, 2, 30, 10, 0, 0);
	int64_t t = 4242;

	(void)state;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		assert_int_equal(civil_to_instant(&ok, zones[i], &t, NULL), -1);
	assert_int_equal(civil_to_instant(&bad, "Asia/Shanghai", &t, NULL),
	    -1);
	bad = mk(2023, 8, 5, 24, 0, 0);
	assert_int_equal(civil_to_instant(&bad, "Asia/Shanghai", &t, NULL),
	    -1);
	assert_int_equal(t, 4242);
}

static void
test_from_instant(void **state)
{
	struct civil c;
	int off = 0;

	(void)state;
	assert_int_equal(civil_from_instant(1691226000, "Asia/Shanghai", &c,
	    &off), 0);
	assert_int_equal(c.year, 2023);
	assert_int_equal(c.month, 8);
	assert_int_equal(c.day, 5);
	assert_int_equal(c.hour, 17);
	assert_int_equal(c.min, 0);
	assert_int_equal(c.sec, 0);
	assert_int_equal(off, 8 * 3600);

	/* The second 01:30 of 2021-11-07 in New York, EST. */
	assert_int_equal(civil_from_instant(1636266600, "America/New_York",
	    &c, &off), 0);
	assert_int_equal(c.day, 7);
	assert_int_equal(c.hour, 1);
	assert_int_equal(c.min, 30);
	assert_int_equal(off, -5 * 3600);
	assert_int_equal(civil_from_instant(1636263000, "America/New_York",
	    &c, NULL), 0);
	assert_int_equal(c.hour, 1);
	assert_int_equal(c.min, 30);

	assert_int_equal(civil_from_instant(0, "Mars/Olympus", &c, &off), -1);
}

static void
test_format(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(civil_format(1691226000, "Asia/Shanghai", buf,
	    sizeof(buf)), "2023-08-05 17:00");
	assert_string_equal(civil_format(1691226005, "Asia/Shanghai", buf,
	    sizeof(buf)), "2023-08-05 17:00:05");
	assert_string_equal(civil_format(1615707000, "America/New_York", buf,
	    sizeof(buf)), "2021-03-14 03:30");
	assert_string_equal(civil_format(0, "UTC", buf, sizeof(buf)),
	    "1970-01-01 00:00");
	/* Too small a buffer truncates, never overflows. */
	assert_string_equal(civil_format(1691226000, "Asia/Shanghai", buf, 8),
	    "2023-08");
}

/*
 * Conversions leave TZ set to the zone they used (so a run of conversions
 * in one zone does not re-read its file), a failed one leaves TZ alone,
 * and switching zones still gives each zone's own offsets.
 */
static void
test_tz_left_on_zone(void **state)
{
	struct civil c = mk(2023, 8, 5, 17, 0, 0), out;
	char buf[64];
	int64_t t;
	time_t zero = 0;
	struct tm tm;
	int off;

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	assert_int_equal(civil_to_instant(&c, "Asia/Shanghai", &t, NULL), 0);
	assert_int_equal(t, 1691226000);	/* 17:00 +0800 = 09:00Z */
	assert_non_null(getenv("TZ"));
	assert_string_equal(getenv("TZ"), ":Asia/Shanghai");
	/* The process zone really is Shanghai now: 1970-01-01 08:00 +0800. */
	assert_non_null(localtime_r(&zero, &tm));
	assert_int_equal(tm.tm_hour, 8);
	assert_int_equal(tm.tm_gmtoff, 8 * 3600);

	/* Another zone: TZ follows, and the answer is New York's (EDT). */
	assert_string_equal(civil_format(t, "America/New_York", buf,
	    sizeof(buf)), "2023-08-05 05:00");
	assert_string_equal(getenv("TZ"), ":America/New_York");
	/* Back to Shanghai with TZ already elsewhere: not a stale zone. */
	assert_int_equal(civil_from_instant(t, "Asia/Shanghai", &out, &off),
	    0);
	assert_int_equal(out.hour, 17);
	assert_int_equal(off, 8 * 3600);
	assert_string_equal(getenv("TZ"), ":Asia/Shanghai");
	/* Same zone again (the fast path) still converts correctly. */
	assert_int_equal(civil_from_instant(0, "Asia/Shanghai", &out, &off),
	    0);
	assert_int_equal(out.year, 1970);
	assert_int_equal(out.hour, 8);

	/* A failed conversion leaves TZ as it was. */
	assert_int_equal(setenv("TZ", "Europe/London", 1), 0);
	assert_int_equal(civil_to_instant(&c, "Mars/Olympus", &t, NULL), -1);
	assert_string_equal(getenv("TZ"), "Europe/London");
	assert_int_equal(civil_from_instant(0, "Mars/Olympus", &out, NULL),
	    -1);
	assert_string_equal(getenv("TZ"), "Europe/London");
	unsetenv("TZ");
	tzset();
}

/* Zones are looked up under TZDIR when it is set, for the check and for
 * the conversion alike. */
static void
test_tzdir(void **state)
{
	char dir[] = "/tmp/herald-test-civil-XXXXXX", path[256];
	struct civil c = mk(2023, 8, 5, 17, 0, 0);
	const char *old = getenv("TZDIR");
	char *saved = old != NULL ? strdup(old) : NULL;
	FILE *in, *out;
	char data[65536];
	size_t n;
	int64_t t = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Test", dir);
	assert_int_equal(mkdir(path, 0700), 0);

	/* Test/Tokyo: a copy of Asia/Tokyo (+0900, no DST since 1951). */
	assert_non_null(in = fopen("/usr/share/zoneinfo/Asia/Tokyo", "rb"));
	n = fread(data, 1, sizeof(data), in);
	fclose(in);
	assert_true(n > 4);
	snprintf(path, sizeof(path), "%s/Test/Tokyo", dir);
	assert_non_null(out = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, n, out), n);
	fclose(out);
	/* Test/Junk: a regular file without the TZif magic. */
	snprintf(path, sizeof(path), "%s/Test/Junk", dir);
	assert_non_null(out = fopen(path, "wb"));
	fputs("not a zone\n", out);
	fclose(out);

	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_true(civil_zone_is_valid("Test/Tokyo"));
	assert_false(civil_zone_is_valid("Test/Junk"));
	assert_false(civil_zone_is_valid("Test"));
	assert_false(civil_zone_is_valid("Asia/Shanghai"));
	/* 2023-08-05 17:00 +0900 = 08:00Z */
	assert_int_equal(civil_to_instant(&c, "Test/Tokyo", &t, NULL), 0);
	assert_int_equal(t, 1691222400);

	if (saved != NULL)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
	snprintf(path, sizeof(path), "%s/Test/Tokyo", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Test/Junk", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Test", dir);
	rmdir(path);
	rmdir(dir);
	assert_true(civil_zone_is_valid("Asia/Shanghai"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_valid),
	cmocka_unit_test(test_parse_invalid),
	cmocka_unit_test(test_parse_hhmm),
	cmocka_unit_test(test_known_days),
	cmocka_unit_test(test_days_walk),
	cmocka_unit_test(test_zone_valid),
	cmocka_unit_test(test_to_instant),
	cmocka_unit_test(test_to_instant_invalid),
	cmocka_unit_test(test_from_instant),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_tz_left_on_zone),
	cmocka_unit_test(test_tzdir),
};

UNIT_MAIN(tests)
