/*
 * fuzz_dlr.c - dlr_parse() on arbitrary query strings.
 *
 * GET /v1/dlr needs no secret, so anything that can reach the listener
 * chooses the query.  Besides not crashing, a parse that succeeds must
 * leave a report within the ranges dlr.h promises, with every string
 * terminated, and a failure must say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fail(const char *what, const char *query)
{
	fprintf(stderr, "fuzz_dlr: %s: \"%s\"\n", what, query);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dlr_report r;
	char *query, err[256];

	if ((query = malloc(size + 1)) == NULL)
		return 0;
	memcpy(query, data, size);
	query[size] = '\0';
	err[0] = '\0';
	if (dlr_parse(query, &r, err, sizeof(err)) == 0) {
		if (strnlen(r.key, sizeof(r.key)) != sizeof(r.key) - 1)
			fuzz_fail("key of wrong length", query);
		if (strnlen(r.channel, sizeof(r.channel)) == sizeof(r.channel) ||
		    strnlen(r.detail, sizeof(r.detail)) == sizeof(r.detail))
			fuzz_fail("unterminated string", query);
		if (r.part < 1 || r.part > 255 || r.type < 0 || r.type > 255 ||
		    r.at < 0)
			fuzz_fail("value out of range", query);
	} else if (err[0] == '\0' ||
	    strnlen(err, sizeof(err)) == sizeof(err)) {
		fuzz_fail("failure without a reason", query);
	}
	free(query);
	return 0;
}
