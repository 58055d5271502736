/*
 * store.c - the backend-neutral front of the durable agenda.
 *
 * Picks a backend by the URL scheme, checks arguments once for every
 * backend, and holds the error buffer and the owner name (the lease holder
 * in a cluster).  Callers never see which backend runs: adding PostgreSQL
 * is one more entry in store_backends[].
 *
 * What is a decision rather than storage is made here, from the core's
 * policy (policy.h), and handed to the backend as data: the kinds a
 * submission cancels and a withdrawal revives, and the kinds that are
 * never missed (their grace made STORE_GRACE_NEVER), the states of a
 * later reminder that supersedes a late one.  A backend only stores.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "store.h"
#include "store_agenda.h"
#include "store_cluster.h"
#include "store_ledger.h"
#include "xmalloc.h"

struct store {
	const struct store_ops *ops;
	void *be;		/* the backend's state */
	char *owner;
	const char *password;	/* borrowed, during open only */
	char err[512];
	int fault;		/* the last failure was the storage's */
	/* Without a cluster table: the last beat, which store_nodes()
	 * gives back as the one node there is.  Strings owned. */
	struct store_node lone;
	int lone_set;
};

static const struct store_ops *const store_backends[] = {
	&store_sqlite_ops,
	&store_pg_ops,
	&store_postgres_ops,
};

void *
store_backend(const struct store *s)
{
	return s->be;
}

const char *
store_owner(const struct store *s)
{
	return s->owner;
}

const char *
store_password(const struct store *s)
{
	return s->password;
}

int
store_seterr(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
store_error(const struct store *s)
{
	return s->err;
}

void
store_setfault(struct store *s)
{
	s->fault = 1;
}

int
store_is_fault(const struct store *s)
{
	return s->fault;
}

/* 1 for the bytes of a key's digits (lower-case hex), 0 for others. */
static const uint8_t store_key_digit[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

/* Keys come from outside (ack links, the API): refuse anything that is
 * not a lower-case UUID before it reaches a query.  By table, without a
 * branch per character: the check ran for every put of a plan (6 % of
 * a plan into an empty store when it branched on random digits). */
static int
store_check_key(struct store *s, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;
	unsigned ok = 1;
	size_t i;

	if (key == NULL)
		return store_seterr(s, "no job key given");
	if (strnlen(key, JOB_KEY_LEN) == JOB_KEY_LEN - 1 && k[8] == '-' &&
	    k[13] == '-' && k[18] == '-' && k[23] == '-') {
		for (i = 0; i < JOB_KEY_LEN - 1; i++)
			ok &= store_key_digit[k[i]] | (i == 8 || i == 13 ||
			    i == 18 || i == 23);
		if (ok)
			return 0;
	}
	return store_seterr(s, "invalid job key \"%.64s\"", key);
}

static int
store_check_job(struct store *s, const struct job *j)
{
	if (j == NULL)
		return store_seterr(s, "no job given");
	if (store_check_key(s, j->key) == -1)
		return -1;
	if (job_kind_name(j->kind) == NULL)
		return store_seterr(s, "job %s: invalid kind %d", j->key,
		    (int)j->kind);
	if (j->priority < HERALD_PRIO_EMERGENCY ||
	    j->priority > HERALD_PRIO_DIGEST)
		return store_seterr(s, "job %s: invalid priority %d", j->key,
		    (int)j->priority);
	if (j->campaign == NULL || j->item == NULL || j->contact == NULL ||
	    j->channel == NULL)
		return store_seterr(s, "job %s: campaign, item, contact and "
		    "channel are required", j->key);
	return 0;
}

/* Caller owns *out (store_close()). */
int
store_open(const char *url, const char *owner, struct store **out,
    char *err, size_t errlen)
{
	return store_open_auth(url, owner, NULL, out, err, errlen);
}

/* Caller owns *out (store_close()); password is borrowed for the call. */
int
store_open_auth(const char *url, const char *owner, const char *password,
    struct store **out, char *err, size_t errlen)
{
	const struct store_ops *ops = NULL;
	struct store *s = NULL;
	const char *colon;
	size_t i, n;
	int rc;

	*out = NULL;
	if (url == NULL || (colon = strchr(url, ':')) == NULL) {
		snprintf(err, errlen, "store \"%s\": expected scheme:location, "
		    "such as sqlite:herald.db", url ? url : "");
		return -1;
	}
	n = (size_t)(colon - url);
	for (i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]);
	    i++) {
		if (strlen(store_backends[i]->scheme) == n &&
		    strncmp(url, store_backends[i]->scheme, n) == 0)
			ops = store_backends[i];
	}
	if (ops == NULL) {
		snprintf(err, errlen, "store \"%s\": unknown scheme \"%.*s\" "
		    "(known: sqlite, postgresql)", url, (int)n, url);
		return -1;
	}
	if (colon[1] == '\0') {
		snprintf(err, errlen, "store \"%s\": no location after \"%s:\"",
		    url, ops->scheme);
		return -1;
	}

	s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->owner = xstrdup(owner != NULL && *owner != '\0' ? owner : "local");
	s->password = password;
	rc = ops->open(s, colon + 1, &s->be);
	s->password = NULL;
	if (rc == -1) {
		snprintf(err, errlen, "%s", s->err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

static void
store_lone_clear(struct store *s)
{
	free((char *)s->lone.id);
	free((char *)s->lone.host);
	free((char *)s->lone.config);
	memset(&s->lone, 0, sizeof(s->lone));
	s->lone_set = 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->be != NULL)
		s->ops->close(s->be);
	free(s->owner);
	store_lone_clear(s);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

int
store_wal_stats(struct store *s, struct store_wal_stats *out)
{
	if (s->ops->wal_stats == NULL)
		return -1;
	return s->ops->wal_stats(s, out);
}

int
store_plan_begin(struct store *s)
{
	return s->ops->agenda->plan_begin(s);
}

int
store_plan_put(struct store *s, const struct job *j)
{
	if (store_check_job(s, j) == -1)
		return -1;
	return s->ops->agenda->plan_put(s, j);
}

int
store_plan_end(struct store *s, struct store_plan_stats *stats)
{
	struct store_plan_stats dummy;

	return s->ops->agenda->plan_end(s, stats != NULL ? stats : &dummy);
}

void
store_plan_abort(struct store *s)
{
	s->ops->agenda->plan_abort(s);
}

int
store_insert(struct store *s, const struct job *j)
{
	s->fault = 0;
	if (store_check_job(s, j) == -1)
		return -1;
	if (j->fallback_of != NULL && store_check_key(s, j->fallback_of) == -1)
		return -1;
	return s->ops->agenda->insert(s, j);
}

/* The caller's callback and the lease its claims were made with. */
struct store_claim_arg {
	store_job_fn fn;
	void *arg;
	int64_t lease_until;
};

/* store_job_fn: hand the claimed job on with its lease, so that every
 * backend's claims carry it without each one filling it in. */
static void
store_on_claim(void *arg, const struct job *j)
{
	struct store_claim_arg *ca = arg;
	struct job copy = *j;

	copy.lease_until = ca->lease_until;
	ca->fn(ca->arg, &copy);
}

int
store_claim(struct store *s, int64_t now, int64_t until, size_t max,
    const char *const *skip, size_t n_skip, int64_t lease_until,
    store_job_fn fn, void *arg, size_t *n_claimed)
{
	struct store_claim_arg ca;
	size_t dummy;

	s->fault = 0;
	if (n_claimed == NULL)
		n_claimed = &dummy;
	*n_claimed = 0;
	if (max == 0)
		return 0;
	if (n_skip > 0 && skip == NULL)
		return store_seterr(s, "claim: skip list missing");
	ca = (struct store_claim_arg){ fn, arg, lease_until };
	return s->ops->agenda->claim(s, now, until, max, skip, n_skip,
	    HERALD_PRIO_DIGEST, lease_until, fn != NULL ? store_on_claim : NULL,
	    &ca, n_claimed);
}

int
store_claim_urgent(struct store *s, int64_t now, int64_t until,
    size_t max, int64_t lease_until, store_job_fn fn, void *arg,
    size_t *n_claimed)
{
	struct store_claim_arg ca;
	size_t dummy;

	s->fault = 0;
	if (n_claimed == NULL)
		n_claimed = &dummy;
	*n_claimed = 0;
	if (max == 0)
		return 0;
	ca = (struct store_claim_arg){ fn, arg, lease_until };
	return s->ops->agenda->claim(s, now, until, max, NULL, 0,
	    HERALD_PRIO_EMERGENCY, lease_until,
	    fn != NULL ? store_on_claim : NULL, &ca, n_claimed);
}

int
store_next_due(struct store *s, int64_t *next_at, int *found)
{
	return s->ops->agenda->next_due(s, next_at, found);
}

int
store_record(struct store *s, const char *key, const struct store_result *r)
{
	s->fault = 0;
	if (store_check_key(s, key) == -1)
		return -1;
	if (r == NULL || r->outcome < STORE_DELIVERED ||
	    r->outcome > STORE_SUPERSEDED)
		return store_seterr(s, "job %s: invalid outcome", key);
	return s->ops->agenda->record(s, key, r);
}

int
store_begin(struct store *s)
{
	s->fault = 0;
	return s->ops->agenda->begin(s);
}

int
store_commit(struct store *s)
{
	s->fault = 0;
	return s->ops->agenda->commit(s);
}

int
store_rollback(struct store *s)
{
	return s->ops->agenda->rollback(s);
}

void
store_read_begin(struct store *s)
{
	if (s->ops->agenda->read_begin != NULL)
		s->ops->agenda->read_begin(s);
}

void
store_read_end(struct store *s)
{
	if (s->ops->agenda->read_end != NULL)
		s->ops->agenda->read_end(s);
}

int
store_recover(struct store *s, int64_t now, size_t *n)
{
	size_t dummy;

	return s->ops->agenda->recover(s, now, n != NULL ? n : &dummy);
}

int
store_expire(struct store *s, int64_t now,
    const int64_t grace[JOB_KIND_COUNT], store_job_fn fn, void *arg,
    size_t *n)
{
	int64_t g[JOB_KIND_COUNT];
	size_t dummy;

	if (grace == NULL)
		return store_seterr(s, "expire: no grace table");
	/* Whatever the caller's table says, the policy's never-missed
	 * kinds stay. */
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		g[k] = policy_never_missed((enum job_kind)k) ?
		    STORE_GRACE_NEVER : grace[k];
	return s->ops->agenda->expire(s, now, g, fn, arg, n != NULL ? n : &dummy);
}

/* A party is a unit, or a contact without one. */
static int
store_party_is_valid(const struct store_party *p)
{
	return p != NULL && (p->unit != NULL || p->contact != NULL) &&
	    (p->n_members == 0 || p->members != NULL);
}

int
store_later(struct store *s, const struct job *j, int64_t after,
    int64_t until, char later[JOB_KEY_LEN], int *found)
{
	*found = 0;
	if (store_check_job(s, j) == -1)
		return -1;
	return s->ops->agenda->later(s, j, after, until,
	    policy_superseding_states(), later, found);
}

int
store_submit(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, int64_t at, const char *via, int *first,
    size_t *n_cancelled)
{
	size_t dummy;
	int f;

	if (campaign == NULL || deadline == NULL || !store_party_is_valid(p))
		return store_seterr(s, "submit: campaign, deadline and a "
		    "unit or contact are required");
	return s->ops->ledger->submit(s, campaign, deadline, p,
	    policy_submission_kinds(), at, via,
	    first != NULL ? first : &f,
	    n_cancelled != NULL ? n_cancelled : &dummy);
}

int
store_is_submitted(struct store *s, const char *campaign,
    const char *deadline, const char *unit, const char *contact,
    int *submitted, int64_t *at)
{
	if (campaign == NULL || deadline == NULL || contact == NULL)
		return store_seterr(s, "campaign, deadline and contact are "
		    "required");
	return s->ops->ledger->is_submitted(s, campaign, deadline, unit, contact,
	    submitted, at);
}

int
store_withdraw(struct store *s, const char *campaign, const char *deadline,
    const struct store_party *p, int64_t at, const char *via, int *found,
    size_t *n_revived)
{
	size_t dummy;
	int f;

	if (campaign == NULL || deadline == NULL || !store_party_is_valid(p))
		return store_seterr(s, "withdraw: campaign, deadline and a "
		    "unit or contact are required");
	return s->ops->ledger->withdraw(s, campaign, deadline, p,
	    policy_submission_kinds(), at, via,
	    found != NULL ? found : &f,
	    n_revived != NULL ? n_revived : &dummy);
}

int
store_submissions(struct store *s, const char *campaign,
    store_submission_fn fn, void *arg)
{
	if (campaign == NULL || fn == NULL)
		return store_seterr(s, "submissions: campaign and a callback "
		    "are required");
	return s->ops->ledger->submissions(s, campaign, fn, arg);
}

int
store_ack(struct store *s, const char *key, int64_t at, const char *via)
{
	if (store_check_key(s, key) == -1)
		return -1;
	return s->ops->ledger->ack(s, key, at, via);
}

int
store_is_acked(struct store *s, const char *key, int *acked, int64_t *at)
{
	if (store_check_key(s, key) == -1)
		return -1;
	return s->ops->ledger->is_acked(s, key, acked, at);
}

int
store_receipt(struct store *s, const char *key, int part, int type,
    int64_t at, const char *detail)
{
	if (store_check_key(s, key) == -1)
		return -1;
	if (part < 1 || part > 255)
		return store_seterr(s, "receipt: part %d out of range", part);
	return s->ops->ledger->receipt(s, key, part, type, at, detail);
}

int
store_receipts(struct store *s, const char *key, store_receipt_fn fn,
    void *arg, size_t *n)
{
	size_t dummy;

	if (store_check_key(s, key) == -1)
		return -1;
	return s->ops->ledger->receipts(s, key, fn, arg, n != NULL ? n : &dummy);
}

int
store_list(struct store *s, const struct store_filter *f, store_job_fn fn,
    void *arg)
{
	struct store_filter all = { .state = -1 };

	if (f == NULL)
		f = &all;
	if (f->state < -1 || f->state >= JOB_STATE_COUNT)
		return store_seterr(s, "list: invalid state %d", f->state);
	return s->ops->ledger->list(s, f, fn, arg);
}

int
store_get(struct store *s, const char *key, store_job_fn fn, void *arg,
    int *found)
{
	int dummy;

	if (found == NULL)
		found = &dummy;
	*found = 0;
	if (store_check_key(s, key) == -1)
		return -1;
	return s->ops->ledger->get(s, key, fn, arg, found);
}

int
store_history(struct store *s, const char *key, store_event_fn fn,
    void *arg)
{
	if (store_check_key(s, key) == -1)
		return -1;
	return s->ops->ledger->history(s, key, fn, arg);
}

int
store_count_states(struct store *s, size_t counts[JOB_STATE_COUNT])
{
	memset(counts, 0, sizeof(size_t) * JOB_STATE_COUNT);
	return s->ops->ledger->count_states(s, counts);
}

/* --- incidents --- */

static const char *const store_incident_states[STORE_INCIDENT_STATE_COUNT] = {
	[STORE_INCIDENT_OPEN] = "open",
	[STORE_INCIDENT_ACKED] = "acked",
	[STORE_INCIDENT_RESOLVED] = "resolved",
};

const char *
store_incident_state_name(enum store_incident_state st)
{
	if ((unsigned)st >= STORE_INCIDENT_STATE_COUNT)
		return NULL;
	return store_incident_states[st];
}

int
store_incident_state_parse(const char *name)
{
	for (int i = 0; name != NULL && i < STORE_INCIDENT_STATE_COUNT; i++)
		if (strcmp(name, store_incident_states[i]) == 0)
			return i;
	return -1;
}

/* An incident id is a UUID, like a job key (the same text form). */
static int
store_check_incident(struct store *s, const char *id)
{
	if (id == NULL)
		return store_seterr(s, "no incident id given");
	if (store_check_key(s, id) == -1)
		return store_seterr(s, "invalid incident id \"%.40s\"", id);
	return 0;
}

int
store_incident_open(struct store *s, const struct store_incident *inc,
    store_incident_fn fn, void *arg, int *created)
{
	int c;

	if (inc == NULL || store_check_incident(s, inc->id) == -1)
		return -1;
	if (inc->campaign == NULL || inc->plan == NULL || inc->venue == NULL ||
	    inc->note == NULL)
		return store_seterr(s, "incident %s: campaign, plan, venue and "
		    "note are required", inc->id);
	return s->ops->ledger->incident_open(s, inc, fn, arg,
	    created != NULL ? created : &c);
}

int
store_incident_get(struct store *s, const char *id, store_incident_fn fn,
    void *arg, int *found)
{
	int f;

	if (store_check_incident(s, id) == -1)
		return -1;
	return s->ops->ledger->incident_get(s, id, fn, arg,
	    found != NULL ? found : &f);
}

int
store_incident_list(struct store *s, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	static const struct store_incident_filter any = { -1, -1, NULL, 0 };

	return s->ops->ledger->incident_list(s, f != NULL ? f : &any, fn, arg);
}

static int
store_incident_close(struct store *s, const char *id,
    enum store_incident_state to, int64_t at, const char *who,
    const char *door, const char *note, int *changed, size_t *n_cancelled)
{
	size_t n;
	int c;

	if (store_check_incident(s, id) == -1)
		return -1;
	if (who == NULL || door == NULL)
		return store_seterr(s, "incident %s: who and door are "
		    "required", id);
	return s->ops->ledger->incident_close(s, id, to, at, who, door, note,
	    policy_incident_stops_kinds(), changed != NULL ? changed : &c,
	    n_cancelled != NULL ? n_cancelled : &n);
}

int
store_incident_ack(struct store *s, const char *id, int64_t at,
    const char *who, const char *door, int *changed, size_t *n_cancelled)
{
	return store_incident_close(s, id, STORE_INCIDENT_ACKED, at, who, door,
	    NULL, changed, n_cancelled);
}

int
store_incident_resolve(struct store *s, const char *id, int64_t at,
    const char *who, const char *door, const char *note, int *changed,
    size_t *n_cancelled)
{
	return store_incident_close(s, id, STORE_INCIDENT_RESOLVED, at, who,
	    door, note, changed, n_cancelled);
}

int
store_incident_event(struct store *s, const char *id, int64_t at,
    const char *what, const char *who, const char *door, const char *detail)
{
	if (store_check_incident(s, id) == -1)
		return -1;
	if (what == NULL)
		return store_seterr(s, "incident %s: event without a name", id);
	return s->ops->ledger->incident_event(s, id, at, what, who, door,
	    detail);
}

int
store_incident_events(struct store *s, const char *id,
    store_incident_event_fn fn, void *arg)
{
	if (store_check_incident(s, id) == -1)
		return -1;
	return s->ops->ledger->incident_events(s, id, fn, arg);
}

int
store_incident_jobs(struct store *s, const char *id, store_job_fn fn,
    void *arg)
{
	if (store_check_incident(s, id) == -1)
		return -1;
	return s->ops->ledger->incident_jobs(s, id, fn, arg);
}

int
store_incident_stats(struct store *s, store_incident_stat_fn fn, void *arg)
{
	return s->ops->ledger->incident_stats(s, fn, arg);
}

int
store_incident_sends(struct store *s, store_incident_send_fn fn, void *arg)
{
	return s->ops->ledger->incident_sends(s, fn, arg);
}

/* --- nodes and leases (store_cluster.h) --- */

int
store_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before)
{
	s->fault = 0;
	if (n == NULL || n->id == NULL || n->host == NULL)
		return store_seterr(s, "node beat: id and host are required");
	if (s->ops->cluster != NULL)
		return s->ops->cluster->node_beat(s, n, forget_before);
	/* A lone node: remember the beat for store_nodes(). */
	store_lone_clear(s);
	s->lone = *n;
	s->lone.id = xstrdup(n->id);
	s->lone.host = xstrdup(n->host);
	s->lone.config = n->config != NULL ? xstrdup(n->config) : NULL;
	s->lone_set = 1;
	return 0;
}

int
store_node_leave(struct store *s, const char *id)
{
	s->fault = 0;
	if (id == NULL)
		return store_seterr(s, "node leave: no id given");
	if (s->ops->cluster != NULL)
		return s->ops->cluster->node_leave(s, id);
	if (s->lone_set && strcmp(s->lone.id, id) == 0) {
		store_lone_clear(s);
		s->lone_set = 0;
	}
	return 0;
}

int
store_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg)
{
	if (fn == NULL)
		return store_seterr(s, "nodes: no callback given");
	if (s->ops->cluster != NULL)
		return s->ops->cluster->nodes(s, since, fn, arg);
	if (s->lone_set && s->lone.last_beat >= since)
		fn(arg, &s->lone);
	return 0;
}

int
store_lease_renew(struct store *s, int64_t now, int64_t lease_until,
    size_t *n)
{
	size_t dummy;

	s->fault = 0;
	if (n == NULL)
		n = &dummy;
	*n = 0;
	if (lease_until < now)
		return store_seterr(s, "renew: lease ends before now");
	if (s->ops->cluster == NULL)
		return 0;
	return s->ops->cluster->renew(s, now, lease_until, n);
}

int
store_lease_held(struct store *s, const char *key, int64_t now, int *held)
{
	s->fault = 0;
	*held = 0;
	if (store_check_key(s, key) == -1)
		return -1;
	if (s->ops->cluster == NULL) {
		/* The lone node holds whatever it claimed. */
		*held = 1;
		return 0;
	}
	return s->ops->cluster->held(s, key, now, held);
}

int
store_lease_reap(struct store *s, int64_t now, size_t *n)
{
	size_t dummy;

	s->fault = 0;
	if (n == NULL)
		n = &dummy;
	*n = 0;
	if (s->ops->cluster == NULL)
		return 0;
	return s->ops->cluster->reap(s, now, n);
}

int
store_due_count(struct store *s, int64_t until, size_t *total, size_t *mine)
{
	s->fault = 0;
	*total = *mine = 0;
	if (s->ops->cluster == NULL)
		return 0;
	return s->ops->cluster->due(s, until, total, mine);
}
