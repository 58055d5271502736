/*
 * alertmanager.c - Alertmanager's webhook payload, version "4", into
 * incident requests (see alertmanager.h).
 *
 * The payload (prometheus.io, "webhook_config"): { "version": "4",
 * "groupKey", "truncatedAlerts", "status": "firing"|"resolved",
 * "receiver", "groupLabels", "commonLabels", "commonAnnotations",
 * "externalURL", "alerts": [ { "status", "labels", "annotations",
 * "startsAt", "endsAt", "generatorURL", "fingerprint" }, ... ] }.
 * Only the alerts' own labels are read: the group and common labels are
 * subsets of them.
 */
#include "alertmanager.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "utf8.h"
#include "xmalloc.h"

/* Member name of o as a string, or def when absent or not a string. */
static const char *
am_str(json_t *o, const char *name, const char *def)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* Skip a with a reason; returns -1 for the callers' convenience. */
static int am_skip(struct am_alert *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
am_skip(struct am_alert *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
	a->skipped = a->why;
	return -1;
}

/*
 * The value of label (or annotation) name in map into *out (borrowed),
 * at most max bytes.  Returns 1 found, 0 absent, -1 after skipping a
 * (not a string, empty, too long).  kind is "label" or "annotation".
 */
static int
am_value(struct am_alert *a, json_t *map, const char *kind,
    const char *name, size_t max, const char **out)
{
	json_t *v = json_object_get(map, name);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return am_skip(a, "%s \"%s\" is not a string", kind, name);
	if (json_string_length(v) == 0)
		return am_skip(a, "%s \"%s\" is empty", kind, name);
	if (json_string_length(v) > max)
		return am_skip(a, "%s \"%s\" is over %zu bytes", kind, name,
		    max);
	*out = json_string_value(v);
	return 1;
}

/* A label that must be there: 0, or -1 after skipping a. */
static int
am_required(struct am_alert *a, json_t *labels, const char *name,
    size_t max, const char **out)
{
	int r = am_value(a, labels, "label", name, max, out);

	if (r == 0)
		return am_skip(a, "no label \"%s\"", name);
	return r == 1 ? 0 : -1;
}

/* Read one alert object into a (request or skipped). */
static void
am_alert_read(json_t *o, const struct model_alertmanager *conf,
    struct am_alert *a)
{
	struct am_request *r = &a->req;
	json_t *labels = json_object_get(o, "labels");
	json_t *notes = json_object_get(o, "annotations");
	const char *status = am_str(o, "status", NULL);
	const char *drill = NULL;
	int got;

	a->status = status;
	r->fingerprint = am_str(o, "fingerprint", "");
	r->alertname = am_str(labels, "alertname", "");
	if (status == NULL) {
		a->skipped = "no \"status\"";
		return;
	}
	if (strcmp(status, "resolved") == 0)
		r->resolved = 1;
	else if (strcmp(status, "firing") != 0) {
		/* Cut on a character boundary: the reason goes into JSON. */
		am_skip(a, "status \"%.*s\" is neither firing nor resolved",
		    (int)utf8_truncate(status, strlen(status), 40), status);
		return;
	}
	if (!json_is_object(labels)) {
		a->skipped = "no \"labels\" object";
		return;
	}
	/* A plan id is a config id: the venue's bound is plenty for it. */
	if (am_required(a, labels, conf->plan_label, AM_VENUE_MAX,
	    &r->plan) == -1 ||
	    am_required(a, labels, conf->venue_label, AM_VENUE_MAX,
	    &r->venue) == -1 ||
	    am_value(a, labels, "label", conf->campaign_label, AM_VENUE_MAX,
	    &r->campaign) == -1 ||
	    am_value(a, labels, "label", conf->drill_label, AM_VENUE_MAX,
	    &drill) == -1)
		return;
	if (drill != NULL) {
		if (strcmp(drill, "true") == 0)
			r->drill = 1;
		else if (strcmp(drill, "false") != 0) {
			am_skip(a, "label \"%s\" must be \"true\" or "
			    "\"false\"", conf->drill_label);
			return;
		}
	}
	got = json_is_object(notes) ? am_value(a, notes, "annotation",
	    conf->note_annotation, AM_NOTE_MAX, &r->note) : 0;
	if (got == -1)
		return;
	/* Without the annotation, the rule's name still says what fired. */
	if (got == 0 && *r->alertname != '\0' &&
	    strlen(r->alertname) <= AM_NOTE_MAX)
		r->note = r->alertname;
}

int
am_parse(const char *body, size_t len, const struct model_alertmanager *conf,
    struct am_batch *out, char *err, size_t errlen)
{
	json_t *doc, *version, *alerts, *v;
	json_error_t je;
	size_t i;

	memset(out, 0, sizeof(*out));
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		snprintf(err, errlen, "malformed JSON at line %d, column %d: "
		    "%s", je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto fail;
	}
	version = json_object_get(doc, "version");
	if (version == NULL) {
		snprintf(err, errlen, "no \"version\": not an Alertmanager "
		    "webhook payload");
		goto fail;
	}
	if (!json_is_string(version) ||
	    strcmp(json_string_value(version), "4") != 0) {
		char *shown = json_dumps(version, JSON_ENCODE_ANY);

		snprintf(err, errlen, "payload version %.40s is not \"4\"",
		    shown != NULL ? shown : "?");
		free(shown);
		goto fail;
	}
	alerts = json_object_get(doc, "alerts");
	if (!json_is_array(alerts)) {
		snprintf(err, errlen, "\"alerts\" must be an array");
		goto fail;
	}
	for (i = 0; i < json_array_size(alerts); i++)
		if (!json_is_object(json_array_get(alerts, i))) {
			snprintf(err, errlen, "alert #%zu is not an object",
			    i + 1);
			goto fail;
		}
	out->doc = doc;
	out->receiver = am_str(doc, "receiver", "");
	out->status = am_str(doc, "status", "");
	out->group_key = am_str(doc, "groupKey", "");
	if (json_is_integer(v = json_object_get(doc, "truncatedAlerts")))
		out->truncated = json_integer_value(v);
	out->n = json_array_size(alerts);
	out->alerts = out->n > 0 ? xcalloc(out->n, sizeof(*out->alerts)) :
	    NULL;
	for (i = 0; i < out->n; i++)
		am_alert_read(json_array_get(alerts, i), conf, &out->alerts[i]);
	return 0;
fail:
	json_decref(doc);
	return -1;
}

void
am_batch_clear(struct am_batch *b)
{
	free(b->alerts);
	json_decref(b->doc);
	memset(b, 0, sizeof(*b));
}
