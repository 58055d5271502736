/*
 * conf_item.c - what every per-campaign item shares: its id among its
 * kind's, the owner phrase of its errors, and its wording (note, verb,
 * own templates).  Below conf_campaign.c and conf_stage.c, calling
 * neither.
 */
#include "conf_internal.h"

#include <string.h>

#include "arena.h"

/* "in deadline \"d1\"" -> "deadline \"d1\"" */
const char *
conf_owner(const char *what)
{
	return strncmp(what, "in ", 3) == 0 ? what + 3 : what;
}

/*
 * An item's note, verb and own templates (a group of kind = "text", the
 * kinds limited to those the item has), into w.
 */
void
conf_wording(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, const char *const *kinds, struct model_wording *w)
{
	config_setting_t *tg;
	int n;

	conf_get_string(cx, g, "note", 0, what, &w->note);
	conf_get_string(cx, g, "verb", 0, what, &w->verb);
	if ((tg = conf_get_group(cx, g, "templates", 0, what)) == NULL)
		return;
	conf_check_keys(cx, tg, kinds, arena_printf(cx->a, "in templates of "
	    "%s", conf_owner(what)));
	n = config_setting_length(tg);
	w->templates = arena_alloc(cx->a, (size_t)(n + 1) *
	    sizeof(*w->templates));
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(tg, i);
		const char *kind = config_setting_name(s);
		struct model_template *t = &w->templates[w->n_templates];
		size_t k;

		for (k = 0; kinds[k] != NULL; k++)
			if (strcmp(kinds[k], kind) == 0)
				break;
		if (kinds[k] == NULL)
			continue;	/* reported by conf_check_keys */
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			conf_err(cx, s, "\"%s\" must be a string", kind);
			continue;
		}
		conf_template_text(cx, s, kind);
		t->loc = conf_loc(cx, s);
		t->kind = kinds[k];
		t->channel = "default";
		t->field = "body";
		t->text = arena_strdup(cx->a, config_setting_get_string(s));
		w->n_templates++;
	}
}

/*
 * The id of item index of a per-campaign list, or NULL after reporting a
 * bad or duplicate one.  ids/locs hold the ids accepted so far.
 */
const char *
conf_item_id(struct conf_ctx *cx, const config_setting_t *g, const char *kind,
    int index, const char **ids, struct model_loc *locs, size_t n,
    const char **what)
{
	const char *id = conf_get_id(cx, g, "id", kind, index, what);

	if (id == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (ids[i] != NULL && strcmp(ids[i], id) == 0) {
			conf_err(cx, config_setting_get_member(g, "id"),
			    "duplicate %s \"%s\" (first defined at %s:%d)", kind,
			    id, locs[i].file, locs[i].line);
			return NULL;
		}
	return id;
}
