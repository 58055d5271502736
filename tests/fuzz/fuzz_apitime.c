/*
 * fuzz_apitime.c - api_parse_time() and api_time() on arbitrary strings.
 *
 * The from/to parameters of the read API (agenda, agenda.ics) are parsed
 * by api_parse_time(), and whatever it accepts is echoed back through
 * api_time().  Zone Asia/Shanghai, the one campaigns use, has had DST
 * (1986-1991) and LMT, so conversions there are not just an offset.
 * Besides not crashing: the end of a day is never before its start, and
 * api_time() always produces a terminated string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define ZONE	"Asia/Shanghai"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_apitime: %s: \"%s\"\n", what, s);
	abort();
}

static void
fuzz_show(int64_t t, const char *s)
{
	char buf[48];

	if (api_time(t, ZONE, buf, sizeof(buf)) != buf)
		fuzz_fail("api_time returned another buffer", s);
	if (strnlen(buf, sizeof(buf)) == sizeof(buf) || buf[0] == '\0')
		fuzz_fail("api_time: empty or unterminated", s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t from, to;
	int ok_from, ok_to;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	ok_from = api_parse_time(s, ZONE, 0, &from) == 0;
	ok_to = api_parse_time(s, ZONE, 1, &to) == 0;
	if (ok_from)
		fuzz_show(from, s);
	if (ok_to)
		fuzz_show(to, s);
	if (ok_from && ok_to && to < from)
		fuzz_fail("end of day before its start", s);
	free(s);
	return 0;
}
