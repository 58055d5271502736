/*
 * civil.c - wall-clock times in named zones, for schedules written as
 * "2023-08-05 17:00" in a campaign's zone.
 *
 * Date arithmetic is pure integer code (Howard Hinnant's days_from_civil /
 * civil_from_days), so it needs no zone and no libc.  Zone conversions use
 * the C library's tz database by setting TZ to the zone (and leaving it
 * there, see civil_tz_use()); that is why they belong to the loop thread
 * only.
 * We do not parse TZif files ourselves: the only thing we read is the
 * magic, to tell a real zone from a name glibc would quietly take as UTC.
 */
#include "civil.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

#define CIVIL_YEAR_MIN	1900
#define CIVIL_YEAR_MAX	2200
#define CIVIL_FORMS	"expected YYYY-MM-DD[ HH:MM[:SS]]"

/*
 * Names are relative paths of letters, digits and "/_-+." with no empty,
 * "." or ".." component: anything else could escape the zone directory.
 */
static int
civil_zone_name_is_safe(const char *zone)
{
	const char *p, *seg = zone;

	if (*zone == '\0' || *zone == '/')
		return 0;
	for (p = zone;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("_-+.", *p) != NULL))
			return 0;
	}
}

int
civil_zone_is_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	struct stat st;
	ssize_t n;
	int fd, len;

	if (zone == NULL || !civil_zone_name_is_safe(zone))
		return 0;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	len = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (len < 0 || (size_t)len >= sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

/*
 * Switch the process to zone and leave it there.  Restoring the old TZ
 * after each call made glibc re-read the zone file twice per conversion
 * (tzset() re-reads whenever TZ changes); leaving TZ on the last zone
 * makes repeated conversions in one zone, the common case (one campaign
 * rendering thousands of messages), cost a string compare.  Nothing else
 * in herald reads the local zone: logs use gmtime_r().  A TZ already
 * naming zone is trusted without re-checking the file.
 */
static int
civil_tz_use(const char *zone)
{
	const char *cur = getenv("TZ");
	char *val;

	if (cur != NULL && cur[0] == ':' && strcmp(cur + 1, zone) == 0) {
		tzset();	/* cheap: glibc sees TZ unchanged */
		return 0;
	}
	if (!civil_zone_is_valid(zone))
		return -1;
	/* The colon makes glibc read a file, never a POSIX TZ rule. */
	val = xasprintf(":%s", zone);
	if (setenv("TZ", val, 1) == -1) {
		free(val);
		return -1;
	}
	free(val);
	tzset();
	return 0;
}

static int
civil_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
civil_month_days(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && civil_is_leap(y) ? 29 : mdays[m - 1];
}

/* The reason c is not a valid civil time, or NULL. */
static const char *
civil_check(const struct civil *c)
{
	if (c->year < CIVIL_YEAR_MIN || c->year > CIVIL_YEAR_MAX)
		return "year out of range";
	if (c->month < 1 || c->month > 12)
		return "month out of range";
	if (c->day < 1 || c->day > civil_month_days(c->year, c->month))
		return "day out of range";
	if (c->hour < 0 || c->hour > 23)
		return "hour out of range";
	if (c->min < 0 || c->min > 59)
		return "minute out of range";
	if (c->sec < 0 || c->sec > 59)
		return "second out of range";
	return NULL;
}

/* Read exactly n digits at *p; advance past them. */
static int
civil_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/*
 * Does text hold a full-width digit (U+FF10..U+FF19) or colon (U+FF1A)?
 * A Chinese input method types them unless switched to half-width, and
 * they look like the ASCII ones in most fonts.
 */
static int
civil_has_fullwidth(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	for (; p[0] != '\0'; p++)
		if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 && p[2] <= 0x9a)
			return 1;
	return 0;
}

int
civil_parse(const char *text, struct civil *out, int *date_only, char *err,
    size_t errlen)
{
	struct civil c = { 0, 0, 0, 0, 0, 0 };
	const char *p = text, *why;
	int only = 1;

	if (civil_digits(&p, 4, &c.year) == -1 || *p++ != '-' ||
	    civil_digits(&p, 2, &c.month) == -1 || *p++ != '-' ||
	    civil_digits(&p, 2, &c.day) == -1)
		goto syntax;
	if (*p == ' ') {
		p++;
		only = 0;
		if (civil_digits(&p, 2, &c.hour) == -1 || *p++ != ':' ||
		    civil_digits(&p, 2, &c.min) == -1)
			goto syntax;
		if (*p == ':') {
			p++;
			if (civil_digits(&p, 2, &c.sec) == -1)
				goto syntax;
		}
	}
	if (*p != '\0')
		goto syntax;
	if ((why = civil_check(&c)) != NULL) {
		snprintf(err, errlen, "bad date-time \"%s\": %s", text, why);
		return -1;
	}
	*out = c;
	if (date_only != NULL)
		*date_only = only;
	return 0;

syntax:
	if (civil_has_fullwidth(text))
		snprintf(err, errlen, "bad date-time \"%s\": full-width (全角) "
		    "digits or colon; write them in ASCII", text);
	else
		snprintf(err, errlen, "bad date-time \"%s\": " CIVIL_FORMS,
		    text);
	return -1;
}

int
civil_parse_hhmm(const char *text, int *minutes)
{
	const char *p = text;
	int h, m;

	if (civil_digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    civil_digits(&p, 2, &m) == -1 || *p != '\0' || h > 23 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int32_t
civil_days_from_date(int year, int month, int day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;				/* [0, 399] */
	int doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 +
	    day - 1;						/* [0, 365] */
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */

	return era * 146097 + doe - 719468;
}

void
civil_date_from_days(int32_t days, int *year, int *month, int *day)
{
	int32_t z = days + 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	int32_t m = mp < 10 ? mp + 3 : mp - 9;

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

int
civil_weekday(int32_t days)
{
	/* 1970-01-01 was a Thursday. */
	int w = (int)((days + 4) % 7);

	return w < 0 ? w + 7 : w;
}

/* The wall time c read as if it were UTC. */
static int64_t
civil_wall_seconds(const struct civil *c)
{
	return (int64_t)civil_days_from_date(c->year, c->month, c->day) *
	    86400 + c->hour * 3600 + c->min * 60 + c->sec;
}

/* UTC offset at instant t in the current TZ; -1 on failure. */
static int
civil_offset_at(int64_t t, long *off)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

/* Does instant t show wall time w (as civil_wall_seconds) in the current TZ? */
static int
civil_shows(int64_t t, int64_t w)
{
	time_t tt = (time_t)t;
	struct tm tm;
	struct civil c;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	c.year = tm.tm_year + 1900;
	c.month = tm.tm_mon + 1;
	c.day = tm.tm_mday;
	c.hour = tm.tm_hour;
	c.min = tm.tm_min;
	c.sec = tm.tm_sec;
	return civil_wall_seconds(&c) == w;
}

/*
 * Every instant showing wall time w is w - o for an offset o in force
 * within a day of w, so we test the offsets a day before and after (each
 * side of any transition near w) and the ones mktime() settles on for
 * tm_isdst 0 and 1.  Transitions are months apart in the tz database, so
 * the day-before offset is the one "in force before the gap".
 */
int
civil_to_instant(const struct civil *c, const char *zone, int64_t *out,
    enum civil_fold *fold)
{
	int64_t w, found[4];
	long offs[4];
	int noffs = 0, nfound = 0;

	if (civil_check(c) != NULL)
		return -1;
	if (civil_tz_use(zone) == -1)
		return -1;
	w = civil_wall_seconds(c);
	if (civil_offset_at(w - 86400, &offs[noffs]) == 0)
		noffs++;
	if (civil_offset_at(w + 86400, &offs[noffs]) == 0)
		noffs++;
	for (int isdst = 0; isdst <= 1; isdst++) {
		struct tm tm = { 0 };
		time_t t;

		tm.tm_year = c->year - 1900;
		tm.tm_mon = c->month - 1;
		tm.tm_mday = c->day;
		tm.tm_hour = c->hour;
		tm.tm_min = c->min;
		tm.tm_sec = c->sec;
		tm.tm_isdst = isdst;
		if ((t = mktime(&tm)) != (time_t)-1)
			offs[noffs++] = tm.tm_gmtoff;
	}
	if (noffs == 0)
		return -1;
	for (int i = 0; i < noffs; i++) {
		int64_t t = w - offs[i];
		int dup = 0;

		for (int j = 0; j < nfound; j++)
			dup |= found[j] == t;
		if (!dup && civil_shows(t, w))
			found[nfound++] = t;
	}
	if (nfound == 0) {
		long before;	/* a gap: read w with the earlier offset */

		if (civil_offset_at(w - 86400, &before) == -1)
			return -1;
		*out = w - before;
		if (fold != NULL)
			*fold = CIVIL_GAP;
	} else {
		int64_t first = found[0];

		for (int j = 1; j < nfound; j++)
			if (found[j] < first)
				first = found[j];
		*out = first;
		if (fold != NULL)
			*fold = nfound > 1 ? CIVIL_AMBIGUOUS : CIVIL_EXACT;
	}
	return 0;
}

int
civil_from_instant(int64_t t, const char *zone, struct civil *out,
    int *utc_offset)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t)
		return -1;
	if (civil_tz_use(zone) == -1 || localtime_r(&tt, &tm) == NULL)
		return -1;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->min = tm.tm_min;
	out->sec = tm.tm_sec;
	if (utc_offset != NULL)
		*utc_offset = (int)tm.tm_gmtoff;
	return 0;
}

char *
civil_format(int64_t t, const char *zone, char *buf, size_t len)
{
	struct civil c;

	if (len == 0)
		return buf;
	if (civil_from_instant(t, zone, &c, NULL) == -1)
		snprintf(buf, len, "?");
	else if (c.sec != 0)
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", c.year,
		    c.month, c.day, c.hour, c.min, c.sec);
	else
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", c.year, c.month,
		    c.day, c.hour, c.min);
	return buf;
}
