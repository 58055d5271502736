/*
 * policy.c - decisions about job kinds (see policy.h).
 *
 * Switches rather than tables so that a new kind added to job.h draws a
 * -Wswitch warning here until someone decides for it.
 */
#include "policy.h"

/* A set holds every kind, or every state, in an unsigned. */
_Static_assert(JOB_KIND_COUNT <= 32, "a kind set is 32 bits");
_Static_assert(JOB_STATE_COUNT <= 32, "a state set is 32 bits");

int
policy_submission_cancels(enum job_kind k)
{
	switch (k) {
	case JOB_REMINDER:
	case JOB_OVERDUE:
		return 1;
	case JOB_COUNTDOWN:
	case JOB_LAUNCH:
	case JOB_ESCALATION:
	case JOB_TASK:
	case JOB_PHASE:
	case JOB_DIGEST:
	case JOB_SLOT:
	case JOB_EMERGENCY:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE:
	case JOB_TASK_OVERDUE:
	case JOB_TASK_ESCALATION:
	case JOB_SCHEDULE:
	case JOB_NEXT_UP:
	case JOB_ON_AIR:
	case JOB_OFF_AIR:
	case JOB_KIND_COUNT:
		break;
	}
	return 0;
}

unsigned
policy_submission_kinds(void)
{
	unsigned set = 0;

	for (int k = 0; k < JOB_KIND_COUNT; k++)
		if (policy_submission_cancels((enum job_kind)k))
			set |= POLICY_KIND(k);
	return set;
}

int
policy_is_emergency(enum job_kind k)
{
	switch (k) {
	case JOB_EMERGENCY:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE:
		return 1;
	case JOB_COUNTDOWN:
	case JOB_LAUNCH:
	case JOB_REMINDER:
	case JOB_OVERDUE:
	case JOB_ESCALATION:
	case JOB_TASK:
	case JOB_PHASE:
	case JOB_DIGEST:
	case JOB_SLOT:
	case JOB_TASK_OVERDUE:
	case JOB_TASK_ESCALATION:
	case JOB_SCHEDULE:
	case JOB_NEXT_UP:
	case JOB_ON_AIR:
	case JOB_OFF_AIR:
	case JOB_KIND_COUNT:
		break;
	}
	return 0;
}

int
policy_never_missed(enum job_kind k)
{
	if ((unsigned)k >= JOB_KIND_COUNT)
		return 1;
	/* A stage's schedule stands until its last slot ends (the
	 * dispatcher drops it then): a reload that changed it plans a
	 * new one due in the past, which must still go out. */
	if (k == JOB_SCHEDULE)
		return 1;
	return policy_is_emergency(k);
}

int
policy_incident_stops(enum job_kind k)
{
	switch (k) {
	case JOB_EMERGENCY:
		return 1;
	case JOB_COUNTDOWN:
	case JOB_LAUNCH:
	case JOB_REMINDER:
	case JOB_OVERDUE:
	case JOB_ESCALATION:
	case JOB_TASK:
	case JOB_PHASE:
	case JOB_DIGEST:
	case JOB_SLOT:
	case JOB_INCIDENT_ACK:
	case JOB_INCIDENT_CLOSE:
	case JOB_TASK_OVERDUE:
	case JOB_TASK_ESCALATION:
	case JOB_SCHEDULE:
	case JOB_NEXT_UP:
	case JOB_ON_AIR:
	case JOB_OFF_AIR:
	case JOB_KIND_COUNT:
		break;
	}
	return 0;
}

unsigned
policy_incident_stops_kinds(void)
{
	unsigned set = 0;

	for (int k = 0; k < JOB_KIND_COUNT; k++)
		if (policy_incident_stops((enum job_kind)k))
			set |= POLICY_KIND(k);
	return set;
}

int
policy_supersedes(enum job_state st)
{
	switch (st) {
	case JOB_PENDING:
	case JOB_INFLIGHT:
	case JOB_DELIVERED:
		return 1;
	case JOB_FAILED:
	case JOB_MISSED:
	case JOB_CANCELLED:
	case JOB_SUPERSEDED:
	case JOB_STATE_COUNT:
		break;
	}
	return 0;
}

unsigned
policy_superseding_states(void)
{
	unsigned set = 0;

	for (int st = 0; st < JOB_STATE_COUNT; st++)
		if (policy_supersedes((enum job_state)st))
			set |= POLICY_STATE(st);
	return set;
}

int
policy_is_stage(enum job_kind k)
{
	return k == JOB_SCHEDULE || k == JOB_NEXT_UP || k == JOB_ON_AIR ||
	    k == JOB_OFF_AIR;
}

int
policy_renders_ahead(enum job_kind k)
{
	return k != JOB_ESCALATION && k != JOB_DIGEST;
}

int
policy_dead_after_slot(enum job_kind k)
{
	return k == JOB_NEXT_UP || k == JOB_ON_AIR;
}

int
policy_retry_ages(enum job_kind k)
{
	return k != JOB_SCHEDULE;
}
