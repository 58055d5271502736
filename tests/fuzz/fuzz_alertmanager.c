/*
 * fuzz_alertmanager.c - am_parse() on arbitrary bodies, with the default
 * label names.
 *
 * POST /v1/incidents/alertmanager needs the token, but the body comes
 * from a monitoring system's alerts: labels and annotations written by
 * whoever writes alert rules.  Besides not crashing or leaking, a
 * payload that is read must give, per alert, either a skip reason or a
 * request with a plan and a venue within their bounds (a reason in
 * UTF-8: it goes into the JSON answer); a refusal must
 * say why and leave nothing to free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertmanager.h"
#include "model.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_alertmanager: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct model_alertmanager conf = {
		.set = 1, .plan_label = "plan", .venue_label = "venue",
		.campaign_label = "campaign", .note_annotation = "summary",
		.drill_label = "drill",
	};
	struct am_batch b;
	char err[256] = "";

	if (am_parse((const char *)data, size, &conf, &b, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))
			fuzz_fail("refusal without a reason");
		if (b.doc != NULL || b.alerts != NULL || b.n != 0)
			fuzz_fail("refusal left a batch");
		return 0;
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct am_alert *a = &b.alerts[i];

		if (a->skipped != NULL) {
			if (a->skipped[0] == '\0')
				fuzz_fail("empty skip reason");
			/* It goes into the JSON answer. */
			if (!utf8_is_valid(a->skipped, strlen(a->skipped),
			    NULL))
				fuzz_fail("skip reason not UTF-8");
			continue;
		}
		if (a->req.plan == NULL || a->req.venue == NULL ||
		    a->req.plan[0] == '\0' || a->req.venue[0] == '\0' ||
		    strlen(a->req.venue) > AM_VENUE_MAX ||
		    (a->req.note != NULL && strlen(a->req.note) > AM_NOTE_MAX))
			fuzz_fail("a request out of its bounds");
		if (a->req.fingerprint == NULL || a->req.alertname == NULL)
			fuzz_fail("a NULL where \"\" is promised");
	}
	am_batch_clear(&b);
	return 0;
}
