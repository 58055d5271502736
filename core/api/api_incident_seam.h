/*
 * api_incident_seam.h - where an Alertmanager alert becomes an incident.
 *
 * The handler of POST /v1/incidents/alertmanager (api_alertmanager.c)
 * reads the payload and calls this once per alert; the incident logic
 * (core/incident.c) lives behind it.  Kept to one call so the handler
 * neither knows the incident store nor changes when it does.
 */
#ifndef HERALD_API_INCIDENT_SEAM_H
#define HERALD_API_INCIDENT_SEAM_H

#include <stddef.h>

struct am_request;
struct api_ctx;

/*
 * Apply one request: a firing alert triggers an incident of r->plan at
 * r->venue (r->campaign, or the plan's campaign when NULL), door
 * "alertmanager"; a resolved one resolves the open incident of that
 * (campaign, plan, venue), by "alertmanager", with r->note.  ctx and r
 * are borrowed for the call.
 *
 * Returns 0 with the incident's id in id_out and *existing set when the
 * incident was already open (a trigger: nothing sent again); otherwise
 * the HTTP status that describes the failure, with the reason in err:
 * 404 (unknown plan or campaign, no open incident to resolve: one
 * resolved already is not open), 409 (a conflict), 500 (the store).
 */
int api_incident_apply(const struct api_ctx *ctx, const struct am_request *r,
    char *err, size_t errlen, char id_out[37], int *existing);

#endif
