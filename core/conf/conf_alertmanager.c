/*
 * conf_alertmanager.c - herald.alertmanager: the labels of a Prometheus
 * Alertmanager alert that name an incident's plan, venue and campaign,
 * the annotation that is its note, and the label that marks a drill.
 *
 * Absent group: the model says so (set 0) and the endpoint answers 404.
 * Present, even empty: every name has its default, so the shortest
 * working config is `alertmanager = {};`.
 */
#include <string.h>

#include "conf_internal.h"

static const char *const conf_alertmanager_keys[] = {
	"plan_label", "venue_label", "campaign_label", "note_annotation",
	"drill_label", NULL
};

void
conf_alertmanager(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_alertmanager *am = &cx->m->daemon.alertmanager;
	const char *w = "in herald.alertmanager";
	/* Labels only: the note is an annotation, a separate namespace. */
	static const char *const labels[] = { "plan_label", "venue_label",
	    "campaign_label", "drill_label" };
	const char **value[] = { &am->plan_label, &am->venue_label,
	    &am->campaign_label, &am->drill_label };

	am->plan_label = "plan";
	am->venue_label = "venue";
	am->campaign_label = "campaign";
	am->note_annotation = "summary";
	am->drill_label = "drill";
	if (g == NULL)
		return;
	am->set = 1;
	am->loc = conf_loc(cx, g);
	conf_check_keys(cx, g, conf_alertmanager_keys, w);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		conf_get_label(cx, g, labels[i], w, value[i]);
	conf_get_label(cx, g, "note_annotation", w, &am->note_annotation);
	/*
	 * One label read as two things would trigger every alert as, say,
	 * plan = venue: refuse it where the second one is written.
	 */
	for (size_t i = 1; i < sizeof(labels) / sizeof(labels[0]); i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(*value[i], *value[j]) == 0) {
				const config_setting_t *s =
				    config_setting_get_member(g, labels[i]);

				conf_err(cx, s != NULL ? s : g, "%s \"%s\" is "
				    "also %s: each label names one thing",
				    labels[i], *value[i], labels[j]);
				break;	/* once per setting */
			}
}
