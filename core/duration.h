/*
 * duration.h - "90s", "10m", "2h", "3d", "1w", and combinations ("1d12h").
 */
#ifndef HERALD_DURATION_H
#define HERALD_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse text into seconds; *days gets the part written in d or w units
 * (civil days), the rest stays exact.  "1d2h" -> seconds 93600, days 1.
 * Returns 0, or -1 with a reason in err (size errlen) for empty text,
 * unknown units, missing numbers, zero-length or overflowing durations.
 * days may be NULL.
 */
int duration_parse(const char *text, int64_t *seconds, int *days,
    char *err, size_t errlen);

/* Format seconds as the shortest unit text ("90s" -> "90s", 7200 -> "2h").
 * Writes at most len bytes into buf; returns buf. */
char *duration_format(int64_t seconds, char *buf, size_t len);

/* Parse "N/s", "N/m", "N/h" into messages per second. Returns 0 or -1. */
int duration_parse_rate(const char *text, double *per_second, char *err,
    size_t errlen);

#endif
