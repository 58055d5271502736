/*
 * test_calendars.c - the calendars shipped in conf/calendars/, loaded
 * through the config loader: each year's workday count (weekdays, minus
 * holidays on weekdays, plus 调休 workdays) against the year's total
 * counted by hand from the State Council General Office's notice
 * (国务院办公厅关于X年部分节假日安排的通知), never from the file.
 *
 * How each total was counted (weekdays of the year; holiday days falling
 * on a weekday; weekend days made workdays):
 *   2021 (国办发明电〔2020〕27号): 261 - 18 + 7 = 250
 *     元旦 1/1; 春节 2/11-12, 2/15-17; 清明 4/5; 劳动 5/3-5; 端午 6/14;
 *     中秋 9/20-21; 国庆 10/1, 10/4-7.  上班 2/7 2/20 4/25 5/8 9/18 9/26 10/9.
 *   2022 (国办发明电〔2021〕11号): 260 - 18 + 7 = 249
 *     元旦 1/3; 春节 1/31-2/4; 清明 4/4-5; 劳动 5/2-4; 端午 6/3;
 *     中秋 9/12; 国庆 10/3-7.  上班 1/29 1/30 4/2 4/24 5/7 10/8 10/9.
 *   2024 (国办发明电〔2023〕7号): 262 - 19 + 8 = 251 (as reported
 *     nationally: "2024年全年工作日251天")
 *     元旦 1/1; 春节 2/12-16; 清明 4/4-5; 劳动 5/1-3; 端午 6/10;
 *     中秋 9/16-17; 国庆 10/1-4, 10/7.  上班 2/4 2/18 4/7 4/28 5/11 9/14
 *     9/29 10/12.
 *   2025 (国办发明电〔2024〕12号, the first under the amended 放假办法:
 *     除夕 and 5月2日 added): 261 - 18 + 5 = 248
 *     元旦 1/1; 春节 1/28-31, 2/3-4; 清明 4/4; 劳动 5/1-2, 5/5; 端午 6/2;
 *     国庆中秋 10/1-3, 10/6-8.  上班 1/26 2/8 4/27 9/28 10/11.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "civil.h"
#include "conf.h"
#include "errlist.h"
#include "model.h"

/* The year's workdays under the calendar loaded from the shipped file. */
static int
calendars_count(int year, size_t *n_holidays)
{
	const char *src = getenv("top_srcdir");
	char dir[] = "/tmp/test_calendars.XXXXXX", path[512], cmd[600];
	struct errlist errs;
	struct model *m;
	FILE *fp;
	int32_t first, last;
	int n = 0;

	memset(&errs, 0, sizeof(errs));
	assert_non_null(src);
	assert_non_null(mkdtemp(dir));
	/* libconfig reads includes relative to the main file's folder:
	 * link the shipped file in. */
	snprintf(cmd, sizeof(cmd), "%s/conf/calendars/cn-%d.conf", src, year);
	snprintf(path, sizeof(path), "%s/cal.conf", dir);
	assert_int_equal(symlink(cmd, path), 0);
	snprintf(path, sizeof(path), "%s/k.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "herald = { timezone = \"Asia/Shanghai\"; };\n"
	    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n"
	    "calendar = { years = (\n"
	    "  @include \"cal.conf\"\n"
	    "); };\n");
	fclose(fp);
	m = conf_load(path, &errs);
	if (m == NULL)
		errlist_print(&errs, stderr);
	assert_non_null(m);
	assert_int_equal(errs.n, 0);		/* no warning either */
	assert_int_equal(m->calendar.n_years, 1);
	assert_int_equal(m->calendar.years[0], year);
	first = civil_days_from_date(year, 1, 1);
	last = civil_days_from_date(year, 12, 31);
	for (int32_t d = first; d <= last; d++)
		n += model_calendar_is_workday(&m->calendar, d) != 0;
	*n_holidays = m->calendar.n_holidays;
	model_free(m);
	errlist_clear(&errs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return n;
}

static void
test_cn_2021(void **state)
{
	size_t h;

	(void)state;
	assert_int_equal(calendars_count(2021, &h), 250);
	assert_int_equal(h, 7);
}

static void
test_cn_2022(void **state)
{
	size_t h;

	(void)state;
	assert_int_equal(calendars_count(2022, &h), 249);
	assert_int_equal(h, 7);
}

static void
test_cn_2024(void **state)
{
	size_t h;

	(void)state;
	assert_int_equal(calendars_count(2024, &h), 251);
	assert_int_equal(h, 7);
}

static void
test_cn_2025(void **state)
{
	size_t h;

	(void)state;
	assert_int_equal(calendars_count(2025, &h), 248);
	assert_int_equal(h, 6);	/* 国庆节、中秋节 in one */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_cn_2021),
	cmocka_unit_test(test_cn_2022),
	cmocka_unit_test(test_cn_2024),
	cmocka_unit_test(test_cn_2025),
};

UNIT_MAIN(tests)
