/*
 * ctl_write.c - heraldctl's commands that change the daemon's state:
 * submit, ack and reload (POST /v1/submissions, /v1/acks, /v1/reload in
 * doc/api.txt).  Each needs the bearer token; without it the server's
 * 401/403 comes back as exit code 4 through ctl_call().
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "xmalloc.h"

/*
 * The campaign of a deadline given without --campaign: the one campaign
 * of the running config (GET /v1/status lists them) that has a deadline
 * of that id; a deadline id used by two campaigns needs --campaign.  On
 * success *out gets a string the caller owns (free() it).
 */
static int
ctl_write_campaign(struct ctl_args *a, const char *deadline, char **out)
{
	json_t *found = json_object(), *c, *dl, *job;
	struct ctl_reply r;
	struct suggest sg;
	const char *item, *camp, *name;
	size_t i, k;
	int rc;

	rc = ctl_call(a, "GET", "/v1/status", NULL, &r);
	if (rc != CTL_OK)
		goto done;
	suggest_init(&sg, deadline);
	json_array_foreach(json_object_get(r.json, "campaigns"), i, c) {
		camp = json_string_value(json_object_get(c, "id"));
		json_array_foreach(json_object_get(c, "deadlines"), k, dl) {
			item = json_string_value(dl);
			suggest_offer(&sg, item);
			if (item != NULL && camp != NULL &&
			    strcmp(item, deadline) == 0)
				json_object_set_new(found, camp, json_true());
		}
	}
	if (json_object_size(found) == 1) {
		json_object_foreach(found, name, job)
			*out = xstrdup(name);
	} else if (json_object_size(found) == 0) {
		/* A typo, far more often than a deadline of a campaign
		 * the daemon does not run. */
		if (suggest_best(&sg) != NULL)
			fprintf(stderr, "heraldctl: no campaign has a deadline "
			    "\"%s\"; did you mean \"%s\"?\n", deadline,
			    suggest_best(&sg));
		else
			fprintf(stderr, "heraldctl: no campaign has a deadline "
			    "\"%s\"\n", deadline);
		rc = CTL_ESERVER;
	} else {
		fprintf(stderr, "heraldctl: deadline \"%s\" is in %zu "
		    "campaigns:", deadline, json_object_size(found));
		json_object_foreach(found, name, job)
			fprintf(stderr, " %s", name);
		fprintf(stderr, "; choose one with --campaign\n");
		rc = CTL_EUSAGE;
	}
	ctl_reply_clear(&r);
done:
	json_decref(found);
	return rc;
}

/* What the server did, in a line: "later of campaign c submitted for
 * unit bj: bj-wang, bj-li; 8 pending notices cancelled". */
static void
ctl_write_submit_show(const struct ctl_args *a, const char *deadline,
    const char *campaign, const json_t *o)
{
	const char *unit = json_string_value(json_object_get(o, "unit"));
	const json_t *v;
	size_t i;

	printf("%s of campaign %s %s for", deadline, campaign,
	    a->withdraw ? "withdrawn" : json_is_true(json_object_get(o,
	    "already")) ? "already submitted" : "submitted");
	if (unit != NULL)
		printf(" unit %s:", unit);
	json_array_foreach(json_object_get(o, "contacts"), i, v)
		printf("%s %s", i ? "," : "", json_string_value(v));
	if (a->withdraw)
		printf("; %" JSON_INTEGER_FORMAT " notices revived\n",
		    json_integer_value(json_object_get(o, "revived")));
	else
		printf("; %" JSON_INTEGER_FORMAT " pending notices "
		    "cancelled\n", json_integer_value(json_object_get(o,
		    "cancelled")));
}

/*
 * submit DEADLINE WHO: WHO is a contact (who submits for its unit) or,
 * with --unit or when the campaign has a unit and no contact of that id,
 * a unit.
 */
int
ctl_write_submit(struct ctl_args *a)
{
	const char *deadline = a->argv[0], *who = a->argv[1];
	json_t *body = NULL;
	struct ctl_reply r;
	char *campaign = NULL;
	int rc, is_unit = a->unit;

	if (a->campaign != NULL)
		campaign = xstrdup(a->campaign);
	else if ((rc = ctl_write_campaign(a, deadline, &campaign)) != CTL_OK)
		return rc;
	if (!is_unit && (rc = ctl_submissions_who(a, campaign, who,
	    &is_unit)) != CTL_OK)
		goto done;
	body = json_pack("{s:s, s:s, s:s}", "campaign", campaign, "deadline",
	    deadline, is_unit ? "unit" : "contact", who);
	if (body != NULL && a->via != NULL)
		json_object_set_new(body, "via", json_string(a->via));
	if (body != NULL && a->withdraw)
		json_object_set_new(body, "withdraw", json_true());
	if (body == NULL) {
		/* json_pack refuses strings that are not UTF-8. */
		fprintf(stderr, "heraldctl: the ids must be UTF-8 text\n");
		rc = CTL_EUSAGE;
		goto done;
	}
	rc = ctl_call(a, "POST", "/v1/submissions", body, &r);
	json_decref(body);
	if (rc != CTL_OK)
		goto done;
	if (a->json)
		ctl_print_json(r.json);
	else
		ctl_write_submit_show(a, deadline, campaign, r.json);
	ctl_reply_clear(&r);
done:
	free(campaign);
	return rc;
}

int
ctl_write_ack(struct ctl_args *a)
{
	const char *action = a->submitted ? "submitted" : "seen", *v, *at;
	struct ctl_reply r;
	json_t *body;
	int rc;

	if ((body = json_pack("{s:s, s:s}", "key", a->argv[0], "action",
	    action)) == NULL) {
		fprintf(stderr, "heraldctl: the key must be UTF-8 text\n");
		return CTL_EUSAGE;
	}
	rc = ctl_call(a, "POST", "/v1/acks", body, &r);
	json_decref(body);
	if (rc != CTL_OK)
		return rc;
	if (a->json) {
		ctl_print_json(r.json);
		goto done;
	}
	/* The server's action and time: a repeat reports the first ack,
	 * which may have been another action. */
	if ((v = json_string_value(json_object_get(r.json, "action"))) != NULL)
		action = v;
	if ((at = json_string_value(json_object_get(r.json, "at"))) == NULL)
		at = "?";
	printf("%s: %s%s at %s; %" JSON_INTEGER_FORMAT " pending notices "
	    "cancelled\n", a->argv[0], json_is_true(json_object_get(r.json,
	    "already")) ? "already " : "", action, at,
	    json_integer_value(json_object_get(r.json, "cancelled")));
done:
	ctl_reply_clear(&r);
	return CTL_OK;
}

/* reload: its 422 (config errors) is printed by ctl_fail() with every
 * file:line message. */
int
ctl_write_reload(struct ctl_args *a)
{
	struct ctl_reply r;
	json_t *body = json_object();
	int rc;

	/* The contract's POSTs take a JSON object: send an empty one. */
	rc = ctl_call(a, "POST", "/v1/reload", body, &r);
	json_decref(body);
	if (rc != CTL_OK)
		return rc;
	if (a->json)
		ctl_print_json(r.json);
	else
		printf("configuration reloaded: generation %" JSON_INTEGER_FORMAT
		    " in use\n", json_integer_value(json_object_get(r.json,
		    "generation")));
	ctl_reply_clear(&r);
	return CTL_OK;
}
