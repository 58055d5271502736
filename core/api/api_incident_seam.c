/*
 * api_incident_seam.c - the Alertmanager handler's one call into the
 * incidents (see api_incident_seam.h): a firing alert is a trigger, a
 * resolved one resolves the incident open for its plan and venue.
 */
#include "api_incident_seam.h"

#include <stdio.h>
#include <string.h>

#include "alertmanager.h"
#include "api.h"
#include "incident.h"

/* Alertmanager names no person: the door is also who acts. */
#define API_AM_WHO "alertmanager"
/* An alert without a summary or an alertname still has to say something:
 * a trigger needs a note. */
#define API_AM_NOTE "监控告警触发（Alertmanager 未附说明）"

static int
api_incident_code(enum incident_status st)
{
	switch (st) {
	case INCIDENT_OK:
		return 0;
	case INCIDENT_BAD:
	case INCIDENT_NOT_FOUND:
		return 404;
	case INCIDENT_CONFLICT:
		return 409;
	case INCIDENT_ERROR:
	default:
		return 500;
	}
}

int
api_incident_apply(const struct api_ctx *ctx, const struct am_request *r,
    char *err, size_t errlen, char id_out[37], int *existing)
{
	struct incident *inc = NULL;
	enum incident_status st;

	id_out[0] = '\0';
	*existing = 0;
	if (!r->resolved) {
		struct incident_request rq = {
			.campaign = r->campaign,
			.plan = r->plan,
			.venue = r->venue,
			.note = r->note != NULL ? r->note : API_AM_NOTE,
			.drill = r->drill,
			.source = "alertmanager",
		};
		int created = 0;

		st = incident_trigger(ctx->engine, &rq, &inc, &created, err,
		    errlen);
		*existing = st == INCIDENT_OK && !created;
	} else {
		struct incident *open = NULL;

		st = incident_find_open(ctx->engine, r->campaign, r->plan,
		    r->venue, &open, err, errlen);
		if (st == INCIDENT_NOT_FOUND)
			snprintf(err, errlen, "no open incident of plan \"%s\" "
			    "at \"%s\" to resolve", r->plan, r->venue);
		if (st == INCIDENT_OK)
			st = incident_resolve(ctx->engine, open->v.id,
			    API_AM_WHO, "alertmanager",
			    r->note != NULL ? r->note : API_AM_NOTE, &inc, err,
			    errlen);
		incident_free(open);
	}
	if (st == INCIDENT_OK)
		snprintf(id_out, 37, "%s", inc->v.id);
	incident_free(inc);
	return api_incident_code(st);
}
