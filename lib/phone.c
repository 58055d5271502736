/*
 * phone.c - recipient numbers for the SMS channels.
 *
 * Mainland numbers are checked against MIIT's allocation of network codes
 * as of March 2023 (VENDORS.md section 6).  The table below is the only
 * place that knows it: when MIIT allocates a new code, add a line.  We
 * deliberately do not try to tell operators apart or flag resold (MVNO)
 * ranges; they all take SMS.  Numbers outside the mainland are only
 * checked for E.164 shape, since we have no per-country rules to apply.
 */
#include "phone.h"

#include <stdio.h>
#include <string.h>

#define PHONE_MAINLAND_LEN	11	/* digits, without +86 */
#define PHONE_E164_MIN		8	/* digits after "+", country code included */
#define PHONE_E164_MAX		15

/*
 * Allocated mobile network codes: "13" allows 130-139, "145" just 145.  A
 * number is allowed when one entry is a prefix of it.  1619 is a satellite
 * range inside the otherwise unallocated 161.
 */
static const char *const phone_mainland_codes[] = {
	"13",
	"145", "146", "147", "148", "149",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"162", "165", "166", "167",
	"1619",
	"170", "171", "172", "173", "174", "175", "176", "177", "178",
	"18",
	"190", "191", "192", "193", "195", "196", "197", "198", "199",
};

static int
phone_mainland_is_allocated(const char *digits)
{
	for (size_t i = 0; i < sizeof(phone_mainland_codes) /
	    sizeof(phone_mainland_codes[0]); i++) {
		const char *code = phone_mainland_codes[i];

		if (strncmp(digits, code, strlen(code)) == 0)
			return 1;
	}
	return 0;
}

int
phone_normalize(const char *text, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char d[32];		/* text without spaces and dashes */
	const char *num;
	size_t n = 0, ndig;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (!((*p >= '0' && *p <= '9') || (*p == '+' && n == 0)) ||
		    n + 1 >= sizeof(d))
			goto notphone;
		d[n++] = *p;
	}
	d[n] = '\0';
	if (n == 0 || (d[0] == '+' && n == 1))
		goto notphone;

	if (strncmp(d, "+86", 3) == 0)
		num = d + 3;
	else if (strncmp(d, "0086", 4) == 0)
		num = d + 4;
	else if (d[0] == '+') {
		ndig = n - 1;
		/* Country codes never start with 0. */
		if (d[1] == '0' || ndig < PHONE_E164_MIN ||
		    ndig > PHONE_E164_MAX) {
			snprintf(err, errlen, "phone \"%s\" is not an "
			    "international number (+ and %d to %d digits)",
			    text, PHONE_E164_MIN, PHONE_E164_MAX);
			return -1;
		}
		if (outlen <= n)
			goto toolong;
		memcpy(out, d, n + 1);
		return 0;
	} else if (n == 2 + PHONE_MAINLAND_LEN && strncmp(d, "86", 2) == 0)
		num = d + 2;
	else
		num = d;

	if (strlen(num) != PHONE_MAINLAND_LEN || num[0] != '1' ||
	    num[1] < '3' || num[1] > '9' ||
	    (num[1] == '4' && num[2] <= '4')) {
		/* 140-144 are 13-digit IoT numbers, never 11-digit phones. */
		snprintf(err, errlen, "phone \"%s\" is not a mainland mobile "
		    "number", text);
		return -1;
	}
	if (!phone_mainland_is_allocated(num)) {
		snprintf(err, errlen, "phone \"%s\" uses an unallocated network "
		    "code %.3s", text, num);
		return -1;
	}
	if (outlen < 3 + PHONE_MAINLAND_LEN + 1)
		goto toolong;
	snprintf(out, outlen, "+86%s", num);
	return 0;

notphone:
	snprintf(err, errlen, "phone \"%s\" is not a phone number", text);
	return -1;
toolong:
	snprintf(err, errlen, "phone \"%s\": output buffer too small", text);
	return -1;
}
