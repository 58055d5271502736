/*
 * job.c - names of job kinds and states, priority classes, and the
 * deterministic job key.
 *
 * The key is what makes planning idempotent (DESIGN.md rule 2) and what
 * receivers use to drop duplicates, so its recipe is frozen: changing the
 * namespace, the field order or the separators would give every planned job
 * a new key and re-send the whole agenda after an upgrade.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "job.h"
#include "xmalloc.h"

/*
 * herald's UUIDv5 namespace: uuid5(NAMESPACE_DNS, "herald.invalid"),
 * b8bf0e81-5307-5a9a-b02e-8660f2893f12.  Never change it.
 */
static const uuid_t job_namespace = {
	0xb8, 0xbf, 0x0e, 0x81, 0x53, 0x07, 0x5a, 0x9a,
	0xb0, 0x2e, 0x86, 0x60, 0xf2, 0x89, 0x3f, 0x12,
};

/* Stored in the database and shown to people: never rename. */
static const char *const job_kind_names[JOB_KIND_COUNT] = {
	[JOB_COUNTDOWN] = "countdown",
	[JOB_LAUNCH] = "launch",
	[JOB_REMINDER] = "reminder",
	[JOB_OVERDUE] = "overdue",
	[JOB_ESCALATION] = "escalation",
	[JOB_TASK] = "task",
	[JOB_PHASE] = "phase",
	[JOB_DIGEST] = "digest",
	[JOB_SLOT] = "slot",
	[JOB_EMERGENCY] = "emergency",
	[JOB_INCIDENT_ACK] = "incident-ack",
	[JOB_INCIDENT_CLOSE] = "incident-close",
	[JOB_TASK_OVERDUE] = "task-overdue",
	[JOB_TASK_ESCALATION] = "task-escalation",
	[JOB_SCHEDULE] = "schedule",
	[JOB_NEXT_UP] = "next_up",
	[JOB_ON_AIR] = "on_air",
	[JOB_OFF_AIR] = "off_air",
};

static const char *const job_state_names[JOB_STATE_COUNT] = {
	[JOB_PENDING] = "pending",
	[JOB_INFLIGHT] = "inflight",
	[JOB_DELIVERED] = "delivered",
	[JOB_FAILED] = "failed",
	[JOB_MISSED] = "missed",
	[JOB_CANCELLED] = "cancelled",
	[JOB_SUPERSEDED] = "superseded",
};

const char *
job_kind_name(enum job_kind k)
{
	if ((unsigned)k >= JOB_KIND_COUNT)
		return NULL;
	return job_kind_names[k];
}

int
job_kind_parse(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < JOB_KIND_COUNT; i++)
		if (strcmp(name, job_kind_names[i]) == 0)
			return i;
	return -1;
}

const char *
job_state_name(enum job_state s)
{
	if ((unsigned)s >= JOB_STATE_COUNT)
		return NULL;
	return job_state_names[s];
}

int
job_state_parse(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < JOB_STATE_COUNT; i++)
		if (strcmp(name, job_state_names[i]) == 0)
			return i;
	return -1;
}

enum herald_priority
job_kind_priority(enum job_kind k)
{
	switch (k) {
	case JOB_EMERGENCY:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE:
		return HERALD_PRIO_EMERGENCY;
	case JOB_LAUNCH:
	case JOB_COUNTDOWN:
	/* A platform's on-air board is read to the minute. */
	case JOB_NEXT_UP:
	case JOB_ON_AIR:
	case JOB_OFF_AIR:
		return HERALD_PRIO_LAUNCH;
	case JOB_DIGEST:
		return HERALD_PRIO_DIGEST;
	default:
		return HERALD_PRIO_REMINDER;
	}
}

/* Append s (NULL as "") and its NUL at buf + len; returns the new length. */
static size_t
job_key_field(char *buf, size_t len, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	n = strlen(s) + 1;
	memcpy(buf + len, s, n);
	return len + n;
}

void
job_make_key(char out[JOB_KEY_LEN], const char *campaign, const char *item,
    enum job_kind kind, int64_t offset, const char *contact,
    const char *channel)
{
	job_make_key_incident(out, campaign, item, kind, offset, contact,
	    channel, NULL);
}

void
job_make_key_incident(char out[JOB_KEY_LEN], const char *campaign,
    const char *item, enum job_kind kind, int64_t offset,
    const char *contact, const char *channel, const char *incident)
{
	char stack[512], off[24], *buf = stack;
	const char *kname;
	size_t cap, len = 0;
	uuid_t u;

	kname = job_kind_name(kind);
	snprintf(off, sizeof(off), "%" PRId64, offset);
	/* campaign NUL item NUL kind NUL offset NUL contact NUL channel */
	cap = strlen(campaign ? campaign : "") + strlen(item ? item : "") +
	    strlen(kname ? kname : "") + strlen(off) +
	    strlen(contact ? contact : "") + strlen(channel ? channel : "") +
	    (incident != NULL ? strlen(incident) + 1 : 0) + 6;
	if (cap > sizeof(stack))
		buf = xmalloc(cap);
	len = job_key_field(buf, len, campaign);
	len = job_key_field(buf, len, item);
	len = job_key_field(buf, len, kname);
	len = job_key_field(buf, len, off);
	len = job_key_field(buf, len, contact);
	len = job_key_field(buf, len, channel);
	if (incident != NULL)
		len = job_key_field(buf, len, incident);
	/* The last NUL is a terminator, not a separator. */
	uuid_generate_sha1(u, job_namespace, buf, len - 1);
	uuid_unparse_lower(u, out);
	if (buf != stack)
		free(buf);
}

struct job_claim *
job_claim_new(const struct job *j)
{
	/* The detail too: the dispatcher reads the last outcome's detail to
	 * count timeouts in a row. */
	const char *src[7] = { j->campaign, j->item, j->contact, j->channel,
	    j->fallback_of, j->detail, j->incident };
	const char **dst[7];
	struct job_claim *sj;
	size_t len = 0, i;
	char *p;

	for (i = 0; i < 7; i++)
		len += src[i] != NULL ? strlen(src[i]) + 1 : 0;
	sj = xcalloc(1, sizeof(*sj) + len);
	sj->j = *j;
	dst[0] = &sj->j.campaign;
	dst[1] = &sj->j.item;
	dst[2] = &sj->j.contact;
	dst[3] = &sj->j.channel;
	dst[4] = &sj->j.fallback_of;
	dst[5] = &sj->j.detail;
	dst[6] = &sj->j.incident;
	p = sj->str;
	for (i = 0; i < 7; i++) {
		if (src[i] == NULL) {
			*dst[i] = NULL;
			continue;
		}
		len = strlen(src[i]) + 1;
		memcpy(p, src[i], len);
		*dst[i] = p;
		p += len;
	}
	return sj;
}

void
job_claim_free(struct job_claim *sj)
{
	if (sj == NULL)
		return;
	free(sj->subject);
	free(sj->body);
	free(sj);
}
