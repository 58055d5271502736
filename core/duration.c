/*
 * duration.c - the DURATION and rate values of herald.conf.
 *
 * A duration is one or more <number><unit> terms with no spaces: "90s",
 * "1d12h", "1w2d".  Units go from largest to smallest (w, d, h, m, s) and
 * each appears at most once, so "1h1d" and "1h2h" are refused: a config
 * that reads two ways is a typo more often than not.  w and d count civil
 * days (the caller moves the wall clock by whole days), h, m and s are
 * exact seconds; the caller gets both the day part and the total.
 */
#include "duration.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define DURATION_UNITS "s, m, h, d or w"

struct duration_unit {
	char	 name;
	int64_t	 seconds;
	int	 days;		/* civil days per unit; 0 for exact units */
};

/* Largest first: the order terms must be written in. */
static const struct duration_unit duration_units[] = {
	{ 'w', 7 * 86400, 7 },
	{ 'd', 86400, 1 },
	{ 'h', 3600, 0 },
	{ 'm', 60, 0 },
	{ 's', 1, 0 },
};
#define DURATION_NUNITS (sizeof(duration_units) / sizeof(duration_units[0]))

static int
duration_unit_index(char c)
{
	for (size_t i = 0; i < DURATION_NUNITS; i++)
		if (duration_units[i].name == c)
			return (int)i;
	return -1;
}

static int
duration_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
duration_parse(const char *text, int64_t *seconds, int *days, char *err,
    size_t errlen)
{
	const char *p = text;
	int64_t total = 0, ndays = 0;
	int next = 0;		/* index of the largest unit still allowed */

	if (*p == '\0') {
		snprintf(err, errlen, "bad duration \"\": empty");
		return -1;
	}
	while (*p != '\0') {
		const char *num = p;
		int64_t n = 0, part;
		int u;

		if (*p == '-' && p == text) {
			snprintf(err, errlen, "bad duration \"%s\": "
			    "duration must be positive", text);
			return -1;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			if (__builtin_mul_overflow(n, 10, &n) ||
			    __builtin_add_overflow(n, *p - '0', &n))
				goto toolarge;
		}
		if (p == num) {
			snprintf(err, errlen, "bad duration \"%s\": expected a "
			    "number at \"%s\"", text, p);
			return -1;
		}
		if (*p == '\0') {
			snprintf(err, errlen, "bad duration \"%s\": missing unit "
			    "after %.*s (use " DURATION_UNITS ")", text,
			    (int)(p - num), num);
			return -1;
		}
		/* A word ("3days", "2hours") is one unknown unit, not a
		 * known letter followed by a missing number. */
		if (duration_is_letter(p[0]) && duration_is_letter(p[1])) {
			size_t w = 0;

			while (duration_is_letter(p[w]))
				w++;
			snprintf(err, errlen, "bad duration \"%s\": unknown unit "
			    "\"%.*s\" (use " DURATION_UNITS ")", text, (int)w, p);
			return -1;
		}
		if ((u = duration_unit_index(*p)) < 0) {
			snprintf(err, errlen, "bad duration \"%s\": unknown unit "
			    "'%c' (use " DURATION_UNITS ")", text, *p);
			return -1;
		}
		if (u < next) {
			snprintf(err, errlen, "bad duration \"%s\": units must "
			    "go from largest to smallest, each once (w, d, h, "
			    "m, s)", text);
			return -1;
		}
		next = u + 1;
		p++;
		if (__builtin_mul_overflow(n, duration_units[u].seconds, &part) ||
		    __builtin_add_overflow(total, part, &total))
			goto toolarge;
		if (duration_units[u].days > 0) {
			if (__builtin_mul_overflow(n, duration_units[u].days,
			    &part) || __builtin_add_overflow(ndays, part, &ndays) ||
			    ndays > INT_MAX)
				goto toolarge;
		}
	}
	if (total == 0) {
		snprintf(err, errlen, "bad duration \"%s\": duration must be "
		    "positive", text);
		return -1;
	}
	*seconds = total;
	if (days != NULL)
		*days = (int)ndays;
	return 0;

toolarge:
	snprintf(err, errlen, "bad duration \"%s\": too large", text);
	return -1;
}

static int
duration_digits(int64_t n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/*
 * Days are written in w/d and never folded into hours, because d means a
 * civil day when parsed back; weeks only when they are whole ("2w", but
 * "8d": "1w1d" is never shorter).  The rest of the day takes the shortest
 * of the h/m/s spellings (90 -> "90s", 3700 -> "3700s"); on a tie the
 * spelling with the larger leading unit wins ("1h1m" over "3660s" is not a
 * tie: "61m" is shorter).  Each unit used takes all it can: keeping back
 * one unit's worth never shortens the number by more than one digit and
 * always costs another term, so no shorter spelling is missed.
 */
char *
duration_format(int64_t seconds, char *buf, size_t len)
{
	static const int64_t sub[] = { 3600, 60, 1 };
	static const char subname[] = "hms";
	/* Subsets of h, m, s (bit 0 = h), larger leading unit first. */
	static const int masks[] = { 1, 3, 5, 7, 2, 6, 4 };
	int64_t days, rest, best_n[3] = { 0, 0, 0 };
	uint64_t mag;
	int best = -1;
	size_t off = 0;

	if (len == 0)
		return buf;
	if (seconds == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	if (seconds < 0) {
		buf[off++] = '-';
		mag = (uint64_t)(-(seconds + 1)) + 1;
	} else
		mag = (uint64_t)seconds;
	days = (int64_t)(mag / 86400);
	rest = (int64_t)(mag % 86400);

	for (size_t k = 0; k < sizeof(masks) / sizeof(masks[0]); k++) {
		int64_t r = rest, n[3] = { 0, 0, 0 };
		int cost = 0, ok = 1;

		for (int i = 0; i < 3 && ok; i++) {
			if (!(masks[k] & (1 << i)))
				continue;
			n[i] = r / sub[i];
			r -= n[i] * sub[i];
			ok = n[i] > 0;
			cost += duration_digits(n[i]) + 1;
		}
		if (ok && r == 0 && (best < 0 || cost < best)) {
			best = cost;
			memcpy(best_n, n, sizeof(n));
		}
	}

	if (days > 0 && days % 7 == 0)
		off += snprintf(buf + off, len > off ? len - off : 0,
		    "%" PRId64 "w", days / 7);
	else if (days > 0)
		off += snprintf(buf + off, len > off ? len - off : 0,
		    "%" PRId64 "d", days);
	for (int i = 0; i < 3; i++)
		if (best_n[i] > 0)
			off += snprintf(buf + off, len > off ? len - off : 0,
			    "%" PRId64 "%c", best_n[i], subname[i]);
	if (off >= len)
		buf[len - 1] = '\0';
	return buf;
}

int
duration_parse_rate(const char *text, double *per_second, char *err,
    size_t errlen)
{
	const char *p = text;
	int64_t n = 0, per;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, *p - '0', &n))
			goto bad;
	}
	if (p == text || p[0] != '/' || p[1] == '\0' || p[2] != '\0')
		goto bad;
	switch (p[1]) {
	case 's':
		per = 1;
		break;
	case 'm':
		per = 60;
		break;
	case 'h':
		per = 3600;
		break;
	default:
		goto bad;
	}
	if (n == 0) {
		snprintf(err, errlen, "bad rate \"%s\": rate must be positive",
		    text);
		return -1;
	}
	*per_second = (double)n / (double)per;
	return 0;

bad:
	snprintf(err, errlen, "bad rate \"%s\": expected N/s, N/m or N/h",
	    text);
	return -1;
}
