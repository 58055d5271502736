/*
 * api_incident_seam.c - the Alertmanager handler's one call into the
 * incidents (see api_incident_seam.h).
 *
 * Incidents (core/incident.c) are built on another branch: until they
 * are merged, every request fails with 501 and the reason, so the
 * endpoint, its parsing and its log lines can be exercised end to end
 * against a real Alertmanager.  At the merge this becomes a call to
 * incident_trigger() or incident_resolve().
 */
#include "api_incident_seam.h"

#include <stdio.h>

#include "alertmanager.h"

int
api_incident_apply(const struct api_ctx *ctx, const struct am_request *r,
    char *err, size_t errlen, char id_out[37], int *existing)
{
	(void)ctx;
	(void)r;
	id_out[0] = '\0';
	*existing = 0;
	snprintf(err, errlen, "incidents not built yet");
	return 501;
}
