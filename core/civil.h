/*
 * civil.h - civil (wall-clock) time in a named zone <-> Unix instants.
 *
 * Zones come from the system tz database (TZDIR or /usr/share/zoneinfo).
 * Local times that do not exist or occur twice follow RFC 5545 section
 * 3.3.5: a time in a gap is read with the UTC offset in force before the
 * gap (so it lands that many minutes later than written); a time that
 * occurs twice means its first occurrence.  civil_to_instant() says which
 * case applied so heraldd -t can warn.
 *
 * Conversions set the process's TZ to the zone they use and leave it set
 * (so a run of conversions in one zone reads the zone file once); a failed
 * conversion leaves TZ alone.  Nothing else in herald may depend on the
 * process TZ.  They must run on the loop thread only (worker threads never
 * call local-time functions).
 */
#ifndef HERALD_CIVIL_H
#define HERALD_CIVIL_H

#include <stddef.h>
#include <stdint.h>

struct civil {
	int year, month, day;	/* month 1..12 */
	int hour, min, sec;
};

enum civil_fold {
	CIVIL_EXACT = 0,	/* the local time exists once */
	CIVIL_GAP = 1,		/* did not exist: moved forward */
	CIVIL_AMBIGUOUS = 2,	/* occurred twice: first one taken */
};

/* Is zone a zone of the tz database?  ("Asia/Shanghai": 1; "Mars/Base": 0) */
int civil_zone_is_valid(const char *zone);

/*
 * Parse "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DD" (then 00:00:00 and
 * *date_only = 1).  Checks ranges, including the day of the month.
 * Returns 0 or -1 with a reason in err.  date_only may be NULL.
 */
int civil_parse(const char *text, struct civil *out, int *date_only,
    char *err, size_t errlen);

/* Parse "HH:MM" into minutes after midnight. Returns 0 or -1. */
int civil_parse_hhmm(const char *text, int *minutes);

/* Convert c in zone to Unix seconds.  *fold (may be NULL) says how. */
int civil_to_instant(const struct civil *c, const char *zone, int64_t *out,
    enum civil_fold *fold);

/* Convert an instant to civil time in zone; *utc_offset in seconds (may be
 * NULL). */
int civil_from_instant(int64_t t, const char *zone, struct civil *out,
    int *utc_offset);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int32_t civil_days_from_date(int year, int month, int day);
void civil_date_from_days(int32_t days, int *year, int *month, int *day);
/* 0 = Sunday .. 6 = Saturday */
int civil_weekday(int32_t days);

/* Format t in zone as "2023-08-05 17:00" (seconds shown when non-zero). */
char *civil_format(int64_t t, const char *zone, char *buf, size_t len);

#endif
