/*
 * smslen.h - how long a text is as SMS: coding, units, segments, parts.
 *
 * Pure functions with no daemon dependency, in lib/libheraldutil.la,
 * which the sms plugin links (plugins never link daemon symbols): its
 * send() and its measure(), from which heraldd -t counts segments.  The rules are VENDORS.md section 5 (3GPP TS
 * 23.038 as Kannel applies it): a text is GSM-7 when every character is in
 * the default alphabet or its extension table (extension characters cost
 * two septets: ESC and the code); anything else makes the whole message
 * UCS-2, counted in UTF-16 code units (a character outside the BMP is a
 * surrogate pair and costs two).  One SMS holds 160 septets or 70 units;
 * concatenated parts hold 153 or 67 (8-bit reference UDH).
 */
#ifndef HERALD_SMSLEN_H
#define HERALD_SMSLEN_H

#include <stddef.h>

enum smslen_coding {
	SMSLEN_GSM7 = 0,	/* Kannel coding=0 */
	SMSLEN_UCS2 = 2,	/* Kannel coding=2 */
};

#define SMSLEN_GSM7_SINGLE	160
#define SMSLEN_GSM7_PART	153
#define SMSLEN_UCS2_SINGLE	70
#define SMSLEN_UCS2_PART	67

struct smslen {
	enum smslen_coding coding;
	size_t units;		/* septets (GSM-7) or UTF-16 code units (UCS-2) */
	size_t chars;		/* code points */
	size_t segments;	/* SMS needed; 1 for the empty text */
};

/*
 * Measure len bytes of UTF-8 text.  Returns 0, or -1 when s is not valid
 * UTF-8 (then *out is untouched).
 */
int smslen_measure(const char *s, size_t len, struct smslen *out);

/* Septets a code point costs in GSM-7: 1, 2 (extension table) or 0 when it
 * has no GSM-7 form. */
unsigned smslen_gsm7_cost(unsigned cp);

/*
 * Split valid UTF-8 text into SMS parts on code-point boundaries, so that
 * an extension character (ESC pair) or a surrogate pair never straddles
 * two parts.  A text that fits one SMS is one part; otherwise parts hold
 * at most 153 septets or 67 units.  ends[i] gets the byte offset where
 * part i ends, for i < max_ends (ends may be NULL when max_ends is 0).
 * Returns the number of parts, which may exceed the arithmetic estimate by
 * one or two when pairs fall on boundaries (the segment count from
 * smslen_measure() is this number).  Returns 0 for invalid UTF-8.
 */
size_t smslen_split(const char *s, size_t len, enum smslen_coding coding,
    size_t *ends, size_t max_ends);

#endif
