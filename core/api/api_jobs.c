/*
 * api_jobs.c - reading the agenda: GET /v1/agenda and GET /v1/jobs/KEY
 * (doc/api.txt).
 *
 * The store keeps ids only; contact names, item titles and time zones
 * come from the model in use at request time.  A job whose contact or
 * item has since left the config still lists, with null where the model
 * no longer knows, because the store's history is the truth and the
 * config only explains it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api_internal.h"
#include "api.h"
#include "engine.h"
#include "httpd.h"
#include "job.h"
#include "store.h"

/*
 * An answer holds at most API_AGENDA_PAGE jobs, whatever the limit: the
 * answer is built on the loop (13 ms per 1000 jobs with a million in the
 * store, contrib/bench/BENCHMARKS.md), and four clients asking 10,000 at
 * a time delayed sends by 300 ms.  Longer agendas come in pages that
 * follow "next" (keyset: each page starts where the last ended, so the
 * loop is free between pages).  Limits up to API_AGENDA_LIMIT_MAX stay
 * valid for clients of the time before pages.
 */
#define API_AGENDA_PAGE		200
#define API_AGENDA_LIMIT_MAX	10000
#define API_JOBS_PREFIX		"/v1/jobs/"

int
api_key_parse(const char *s, char *out, size_t len)
{
	size_t i;
	char c;

	if (len < JOB_KEY_LEN)
		return -1;
	/* A short s stops at its NUL, which is neither '-' nor hex. */
	for (i = 0; i < JOB_KEY_LEN - 1; i++) {
		c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
		} else if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	if (s[i] != '\0')
		return -1;
	out[i] = '\0';
	return 0;
}

/*
 * JOB of doc/api.txt, its times in the zone of j's campaign (herald's
 * when the campaign is gone), which *zonep gets when not NULL (borrowed
 * from m).  Caller owns the object; NULL when packing failed.
 */
static json_t *
api_job_json(const struct model *m, const struct job *j, const char **zonep)
{
	const struct model_campaign *c = model_campaign_find(m, j->campaign);
	const struct model_contact *ct = model_contact_find(m, j->contact);
	const char *zone = c != NULL ? c->timezone : m->daemon.timezone;
	struct model_item it;

	if (zonep != NULL)
		*zonep = zone;

	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:o,s:o,s:s,s:I,s:b,"
	    "s:s?,s:s?}",
	    "key", j->key, "campaign", j->campaign, "item", j->item,
	    "kind", job_kind_name(j->kind), "contact", j->contact,
	    "contact_name", ct != NULL ? ct->name : NULL,
	    "channel", j->channel,
	    "due", api_json_time(j->due, zone),
	    "next_at", api_json_time(j->next_at, zone),
	    "state", job_state_name(j->state),
	    "attempts", (json_int_t)j->attempts,
	    "late", j->late != 0,
	    "title", c != NULL && model_item_find(c, j->kind, j->item,
	    &it) == 0 ? it.title : NULL,
	    "detail", j->detail);
}

struct api_agenda_ctx {
	const struct model *m;
	json_t *jobs;		/* borrowed */
	int failed;		/* a job could not be encoded */
	size_t page;		/* jobs the answer holds at most */
	char next[48];		/* cursor after the page's last job */
};

/* store_list callback: j's strings die after the call, so encode now. */
static void
api_agenda_add(void *arg, const struct job *j)
{
	struct api_agenda_ctx *ctx = arg;

	if (json_array_append_new(ctx->jobs, api_job_json(ctx->m, j, NULL)) ==
	    -1)
		ctx->failed = 1;
	if (json_array_size(ctx->jobs) == ctx->page)
		snprintf(ctx->next, sizeof(ctx->next), "%lld.%s",
		    (long long)j->next_at, j->key);
}

/*
 * The cursor "NEXT_AT.KEY" of "after" into f (the key into key, which f
 * borrows); -1 when it is not one.
 */
static int
api_agenda_after(const char *s, struct store_filter *f, char *key,
    size_t keylen)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '.' || api_key_parse(end + 1, key,
	    keylen) == -1 || end[1 + JOB_KEY_LEN - 1] != '\0')
		return -1;
	f->after_at = v;
	f->after_key = key;
	return 0;
}

/* A limit in [1, API_AGENDA_LIMIT_MAX]; -1 when s is not one. */
static int
api_agenda_limit(const char *s, size_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > API_AGENDA_LIMIT_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

static void
api_agenda_earliest(void *arg, const struct job *j)
{
	int64_t *at = arg;

	*at = j->next_at;
}

/*
 * Where a look back starts: the campaign's start (of every campaign when
 * campaign is NULL), or its first job when that came earlier, as the
 * reminders of a deadline before the period do.  0 when the store
 * cannot say.
 */
static int64_t
api_agenda_start(const struct model *m, struct store *st,
    const char *campaign)
{
	struct store_filter all = { .campaign = campaign, .state = -1,
	    .limit = 1 };
	int64_t start = INT64_MAX, first = INT64_MAX;

	for (size_t i = 0; i < m->n_campaigns; i++)
		if ((campaign == NULL || strcmp(m->campaigns[i].id,
		    campaign) == 0) && m->campaigns[i].period_from.at < start)
			start = m->campaigns[i].period_from.at;
	if (store_list(st, &all, api_agenda_earliest, &first) == -1)
		return 0;
	if (first < start)
		start = first;
	return start != INT64_MAX ? start : 0;
}

/*
 * Turn the query into a store filter: answers 400 (bad value) or 404 (a
 * campaign, contact or channel the model does not know) and returns -1.
 * Without "from", the window starts now for pending jobs and at the
 * campaign's start for any other state: what was delivered, failed or
 * cancelled lies in the past.  The filter's strings are borrowed from q
 * and after_key (JOB_KEY_LEN bytes, the cursor's key).
 */
static int
api_agenda_filter(struct evhttp_request *req, struct evkeyvalq *q,
    const struct model *m, struct store *store, int64_t now,
    struct store_filter *f, char *after_key, int *has_to)
{
	const char *zone = m->daemon.timezone, *v;
	struct evkeyval *kv;
	int st;

	TAILQ_FOREACH(kv, q, next) {
		if (kv->value == NULL || *kv->value == '\0') {
			httpd_reply_error(req, 400, "parameter \"%s\" is empty",
			    kv->key);
			return -1;
		}
	}
	f->from = now;
	f->to = INT64_MAX;
	f->state = JOB_PENDING;
	f->limit = API_AGENDA_PAGE;
	*has_to = 0;
	if ((v = evhttp_find_header(q, "from")) != NULL &&
	    api_parse_time(v, zone, 0, &f->from) == -1) {
		httpd_reply_error(req, 400, "bad \"from\" \"%s\": want "
		    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or Unix seconds", v);
		return -1;
	}
	if ((v = evhttp_find_header(q, "to")) != NULL) {
		if (api_parse_time(v, zone, 1, &f->to) == -1) {
			httpd_reply_error(req, 400, "bad \"to\" \"%s\": want "
			    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or Unix "
			    "seconds", v);
			return -1;
		}
		*has_to = 1;
	}
	if ((v = evhttp_find_header(q, "limit")) != NULL &&
	    api_agenda_limit(v, &f->limit) == -1) {
		httpd_reply_error(req, 400, "bad \"limit\" \"%s\": want 1 to "
		    "%d", v, API_AGENDA_LIMIT_MAX);
		return -1;
	}
	if (f->limit > API_AGENDA_PAGE)
		f->limit = API_AGENDA_PAGE;
	if ((v = evhttp_find_header(q, "after")) != NULL &&
	    api_agenda_after(v, f, after_key, JOB_KEY_LEN) == -1) {
		httpd_reply_error(req, 400, "bad \"after\" \"%s\": want the "
		    "\"next\" of the previous page", v);
		return -1;
	}
	if ((v = evhttp_find_header(q, "state")) != NULL) {
		if (strcmp(v, "any") == 0)
			f->state = -1;
		else if ((st = job_state_parse(v)) >= 0)
			f->state = st;
		else {
			httpd_reply_error(req, 400, "bad \"state\" \"%s\": "
			    "want pending, inflight, delivered, failed, "
			    "missed, cancelled, superseded or any", v);
			return -1;
		}
	}
	f->campaign = evhttp_find_header(q, "campaign");
	f->contact = evhttp_find_header(q, "contact");
	f->channel = evhttp_find_header(q, "channel");
	if (f->campaign != NULL &&
	    model_campaign_find(m, f->campaign) == NULL) {
		httpd_reply_error(req, 404, "unknown campaign \"%s\"",
		    f->campaign);
		return -1;
	}
	if (f->contact != NULL && model_contact_find(m, f->contact) == NULL) {
		httpd_reply_error(req, 404, "unknown contact \"%s\"",
		    f->contact);
		return -1;
	}
	if (f->channel != NULL && model_channel_find(m, f->channel) == NULL) {
		httpd_reply_error(req, 404, "unknown channel \"%s\"",
		    f->channel);
		return -1;
	}
	if (evhttp_find_header(q, "from") == NULL &&
	    f->state != JOB_PENDING)
		f->from = api_agenda_start(m, store, f->campaign);
	if (f->to <= f->from) {
		httpd_reply_error(req, 400, "\"to\" must be after \"from\"%s",
		    evhttp_find_header(q, "from") == NULL ? " (now, or the "
		    "campaign's start for a state other than pending)" : "");
		return -1;
	}
	return 0;
}

void
api_agenda(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "from", "to", "campaign",
	    "contact", "channel", "state", "limit", "after", NULL };
	char after_key[JOB_KEY_LEN];
	struct api_ctx *api = arg;
	struct api_agenda_ctx ctx = { 0 };
	struct store_filter f = { 0 };
	struct evkeyvalq q;
	struct store *st;
	size_t limit, n;
	int has_to;

	if (api_authorize(req, api, API_READ) == -1 ||
	    api_query(req, &q, allowed) == -1)
		return;
	ctx.m = engine_model(api->engine);
	st = engine_store(api->engine);
	if (api_agenda_filter(req, &q, ctx.m, st, engine_time(api->engine), &f,
	    after_key, &has_to) == -1) {
		evhttp_clear_headers(&q);
		return;
	}
	/* One more than asked says whether there is more. */
	limit = f.limit;
	f.limit = limit + 1;
	ctx.page = limit;
	ctx.jobs = json_array();
	if (store_list(st, &f, api_agenda_add, &ctx) == -1) {
		httpd_reply_error(req, 500, "store: %s", store_error(st));
		goto done;
	}
	if (ctx.failed) {
		httpd_reply_error(req, 500, "cannot encode a job");
		goto done;
	}
	if ((n = json_array_size(ctx.jobs)) > limit)
		json_array_remove(ctx.jobs, n - 1);
	api_reply(req, 200, json_pack("{s:o,s:o,s:I,s:b,s:s?,s:O}",
	    "from", api_json_time(f.from, ctx.m->daemon.timezone),
	    "to", has_to ? api_json_time(f.to, ctx.m->daemon.timezone) :
	    json_null(),
	    "count", (json_int_t)json_array_size(ctx.jobs),
	    "truncated", n > limit,
	    "next", n > limit ? ctx.next : NULL,
	    "jobs", ctx.jobs));
done:
	json_decref(ctx.jobs);
	evhttp_clear_headers(&q);
}

struct api_job_ctx {
	const struct model *m;
	json_t *job;		/* owned until handed to the answer */
	const char *zone;	/* borrowed from the model */
	json_t *list;		/* history or receipts; borrowed */
};

/* store_get callback; must not call the store again (see store_get). */
static void
api_job_found(void *arg, const struct job *j)
{
	struct api_job_ctx *ctx = arg;

	ctx->job = api_job_json(ctx->m, j, &ctx->zone);
}

static void
api_job_event(void *arg, int64_t at, const char *state, const char *detail)
{
	struct api_job_ctx *ctx = arg;

	json_array_append_new(ctx->list, json_pack("{s:o,s:s,s:s?}",
	    "at", api_json_time(at, ctx->zone), "state", state,
	    "detail", detail));
}

static void
api_job_receipt(void *arg, int part, int type, int64_t at,
    const char *detail)
{
	struct api_job_ctx *ctx = arg;

	json_array_append_new(ctx->list, json_pack("{s:i,s:i,s:o,s:s?}",
	    "part", part, "type", type, "at", api_json_time(at, ctx->zone),
	    "detail", detail));
}

void
api_job(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { NULL };
	struct api_ctx *api = arg;
	struct api_job_ctx ctx = { 0 };
	struct evkeyvalq q;
	struct store *st;
	const char *path;
	char key[JOB_KEY_LEN];
	json_t *history = NULL, *receipts = NULL;
	int found = 0, acked = 0;
	int64_t acked_at = 0;

	if (api_authorize(req, api, API_READ) == -1 ||
	    api_query(req, &q, allowed) == -1)
		return;
	evhttp_clear_headers(&q);
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	path += strlen(API_JOBS_PREFIX);	/* the route guarantees it */
	if (api_key_parse(path, key, sizeof(key)) == -1) {
		httpd_reply_error(req, 400, "malformed job key \"%.64s\": want "
		    "a UUID", path);
		return;
	}
	ctx.m = engine_model(api->engine);
	st = engine_store(api->engine);
	if (store_get(st, key, api_job_found, &ctx, &found) == -1)
		goto fail;
	if (!found) {
		httpd_reply_error(req, 404, "no job %s", key);
		return;
	}
	if (ctx.job == NULL) {
		httpd_reply_error(req, 500, "cannot encode the job");
		return;
	}
	ctx.list = history = json_array();
	if (store_history(st, key, api_job_event, &ctx) == -1)
		goto fail;
	ctx.list = receipts = json_array();
	if (store_receipts(st, key, api_job_receipt, &ctx, NULL) == -1 ||
	    store_is_acked(st, key, &acked, &acked_at) == -1)
		goto fail;
	json_object_set_new(ctx.job, "history", history);
	json_object_set_new(ctx.job, "acked", acked ?
	    api_json_time(acked_at, ctx.zone) : json_false());
	json_object_set_new(ctx.job, "receipts", receipts);
	api_reply(req, 200, ctx.job);
	return;
fail:
	httpd_reply_error(req, 500, "store: %s", store_error(st));
	json_decref(history);
	json_decref(receipts);
	json_decref(ctx.job);
}
