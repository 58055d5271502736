/*
 * ctl_list.c - `heraldctl list campaigns|deadlines|units|contacts`: the
 * ids the running daemon knows, one per line, for scripts and for the
 * bash completion (contrib/bash-completion/heraldctl).  They come from
 * the submissions board (GET /v1/submissions), which names every
 * campaign, its deadlines, and the units and contacts they ask.
 */
#include "ctl_roster.h"

#include <string.h>

/* Print s once: seen holds what was printed (borrowed strings). */
static void
list_print(json_t *seen, const char *s)
{
	if (s == NULL || json_object_get(seen, s) != NULL)
		return;
	json_object_set_new(seen, s, json_true());
	puts(s);
}

int
ctl_list(struct ctl_args *a)
{
	static const char *const kinds[] = { "campaigns", "deadlines",
	    "units", "contacts" };
	const char *what = a->argv[0];
	const json_t *c, *x, *y;
	struct ctl_reply r;
	json_t *seen;
	size_t i, k, j;
	int kind = -1, rc;

	for (i = 0; i < 4; i++)
		if (strcmp(what, kinds[i]) == 0)
			kind = (int)i;
	if (kind < 0) {
		fprintf(stderr, "heraldctl: list campaigns, deadlines, units "
		    "or contacts, not \"%s\"\n", what);
		return CTL_EUSAGE;
	}
	if ((rc = ctl_call(a, "GET", "/v1/submissions", NULL, &r)) != CTL_OK)
		return rc;
	seen = json_object();
	json_array_foreach(json_object_get(r.json, "campaigns"), i, c) {
		if (kind == 0)
			list_print(seen, json_string_value(json_object_get(c,
			    "id")));
		json_array_foreach(json_object_get(c, kind == 1 ?
		    "deadlines" : "rows"), k, x) {
			if (kind == 1)
				list_print(seen, json_string_value(
				    json_object_get(x, "id")));
			else if (kind == 2)
				list_print(seen, json_string_value(
				    json_object_get(x, "unit")));
			else if (kind == 3)
				json_array_foreach(json_object_get(x,
				    "contacts"), j, y)
					list_print(seen, json_string_value(y));
		}
	}
	json_decref(seen);
	ctl_reply_clear(&r);
	return CTL_OK;
}
