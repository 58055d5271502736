/*
 * phone.h - mobile numbers: mainland 11-digit numbers and E.164.
 *
 * Mainland numbers are normalised to "+86" + 11 digits; "+86", "0086" and
 * "86" prefixes, spaces and dashes are accepted.  Other international
 * numbers must be "+" followed by 8..15 digits.  The mainland check follows
 * MIIT's allocation of network codes (VENDORS.md section 6): 13x, 145-149,
 * 15x except 154, 162, 165-167, 170-178, 18x, 19x except 194, and 1619.
 */
#ifndef HERALD_PHONE_H
#define HERALD_PHONE_H

#include <stddef.h>

/* Normalise text into out (at least 17 bytes). Returns 0, or -1 with a
 * reason in err, e.g. "\"1380013800\" is not a mainland mobile number". */
int phone_normalize(const char *text, char *out, size_t outlen,
    char *err, size_t errlen);

#endif
