/*
 * misfire.c - the misfire policy (see misfire.h).
 *
 * Kept in one small file so that the start-up pass, the reload pass and
 * the hand-off check cannot drift apart: each asks the same functions
 * with the same grace table.
 */
#include "misfire.h"

#include "civil.h"
#include "duration.h"
#include "log.h"
#include "policy.h"

int64_t
misfire_grace(const struct model_engine *e, enum job_kind k)
{
	/* Emergency alerts are never skipped, whatever the table says
	 * (policy.h); conf_engine.c refuses a grace for them anyway. */
	if (policy_never_missed(k) || (unsigned)k >= JOB_KIND_COUNT)
		return INT64_MAX;
	return e->grace[k];
}

void
misfire_grace_table(const struct model_engine *e,
    int64_t grace[JOB_KIND_COUNT])
{
	for (int k = 0; k < JOB_KIND_COUNT; k++)
		grace[k] = misfire_grace(e, (enum job_kind)k);
}

int
misfire_is_missed(const struct model_engine *e, const struct job *j,
    int64_t now, int64_t *overdue)
{
	int64_t late = now - j->next_at;

	if (overdue != NULL)
		*overdue = late;
	/* Against next_at, like store_expire(): a retry or a quiet-hours
	 * deferral is judged from the instant it was put off to. */
	return late > misfire_grace(e, j->kind);
}

int
misfire_is_late(const struct job *j, int64_t now_us)
{
	return now_us - j->due * 1000000 > MISFIRE_LATE_US;
}

int
misfire_supersede_range(const struct job *j, int64_t now, int64_t *after,
    int64_t *until)
{
	/*
	 * Only reminders: each one restates the same thing ("还剩1天"), so
	 * the latest says all the earlier ones would.  The later one must
	 * be planned more than MISFIRE_TOGETHER after j (else the config
	 * asked for both, that close) and due by MISFIRE_TOGETHER from now
	 * (else j is not late enough to run into it).  A j on time can
	 * never meet both; a j that downtime, a stall or retries delayed
	 * into the next reminder does, and so does one whose later
	 * reminder already went.
	 */
	if (j->kind != JOB_REMINDER && j->kind != JOB_TASK)
		return 0;
	*after = j->due + MISFIRE_TOGETHER;
	*until = now + MISFIRE_TOGETHER;
	return *after < *until;
}

void
misfire_log_missed(const struct model *m, const struct job *j)
{
	const struct model_campaign *c = model_campaign_find(m, j->campaign);
	const char *zone = c != NULL ? c->timezone : m->daemon.timezone;
	char due[64], grace[64];

	civil_format(j->due, zone != NULL ? zone : "UTC", due, sizeof(due));
	duration_format(misfire_grace(&m->daemon.engine, j->kind), grace,
	    sizeof(grace));
	log_warnx("missed: %s %s/%s for %s via %s, due %s, overdue beyond "
	    "grace %s", job_kind_name(j->kind), j->campaign, j->item,
	    j->contact, j->channel, due, grace);
}
