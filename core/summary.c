/*
 * summary.c - what heraldd -t prints about a valid model: totals, the
 * calendar, then one line per campaign and per item, so a coordinator can
 * check at a glance that the config says what they meant.
 *
 * Each section is its own function; the planner's counts of notifications
 * will be added as further lines per item.
 */
#include "summary.h"

#include <inttypes.h>
#include <string.h>

#include "civil.h"

/*
 * A time as written, or for a bare date the instant it was resolved to
 * and why: "2020-11-30 17:30 (day_end)", so the coordinator sees that
 * "11月30日前" means the end of the working day, not its first minute.
 */
static void
summary_time(const struct model_time *t, const char *zone, const char *rule,
    FILE *fp)
{
	char buf[64];

	if (!t->date_only) {
		fputs(t->text, fp);
		return;
	}
	fprintf(fp, "%s (%s)", civil_format(t->at, zone, buf, sizeof(buf)),
	    rule);
}

/* "1 campaign", "3 campaigns" */
static void
summary_count(FILE *fp, size_t n, const char *one, const char *many,
    const char *sep)
{
	fprintf(fp, "%zu %s%s", n, n == 1 ? one : many, sep);
}

static void
summary_totals(const struct model *m, FILE *fp)
{
	size_t dl = 0, launches = 0, tasks = 0, plans = 0, phases = 0, slots = 0;

	for (size_t i = 0; i < m->n_campaigns; i++) {
		const struct model_campaign *c = &m->campaigns[i];

		dl += c->n_deadlines;
		launches += c->n_launches;
		tasks += c->n_tasks;
		plans += c->n_plans;
		phases += c->n_phases;
		slots += c->n_slots;
	}
	summary_count(fp, m->n_campaigns, "campaign", "campaigns", ", ");
	summary_count(fp, m->n_units, "unit", "units", ", ");
	summary_count(fp, m->n_contacts, "contact", "contacts", ", ");
	summary_count(fp, m->n_groups, "group", "groups", ", ");
	summary_count(fp, m->n_channels, "channel", "channels", "\n");
	summary_count(fp, dl, "deadline", "deadlines", ", ");
	summary_count(fp, launches, "launch", "launches", ", ");
	summary_count(fp, tasks, "task", "tasks", ", ");
	summary_count(fp, plans, "plan", "plans", ", ");
	summary_count(fp, phases, "phase", "phases", ", ");
	summary_count(fp, slots, "livestream slot", "livestream slots", "\n");
}

static void
summary_calendar(const struct model_calendar *cal, FILE *fp)
{
	fprintf(fp, "calendar: ");
	if (cal->n_years == 0) {
		fprintf(fp, "no years (weekends only)\n");
		return;
	}
	for (size_t i = 0; i < cal->n_years; i++)
		fprintf(fp, "%s%" PRId32, i ? ", " : "", cal->years[i]);
	fprintf(fp, " (");
	summary_count(fp, cal->n_holidays, "holiday", "holidays", ", ");
	summary_count(fp, cal->n_workdays, "make-up workday",
	    "make-up workdays", ")\n");
}

static void
summary_campaign(const struct model_campaign *c, FILE *fp)
{
	fprintf(fp, "campaign %s \"%s\" %s .. %s (%s)\n", c->id, c->title,
	    c->period_from.text, c->period_to.text, c->timezone);
	if (c->day_start_min != 9 * 60 || c->day_end_min != 17 * 60 + 30)
		fprintf(fp, "  working day %02d:%02d .. %02d:%02d\n",
		    c->day_start_min / 60, c->day_start_min % 60,
		    c->day_end_min / 60, c->day_end_min % 60);
	for (size_t i = 0; i < c->n_phases; i++) {
		fprintf(fp, "  phase %s ", c->phases[i].id);
		summary_time(&c->phases[i].from, c->timezone, "day_start", fp);
		fprintf(fp, " .. %s\n", c->phases[i].to.text);
	}
	for (size_t i = 0; i < c->n_launches; i++) {
		const struct model_launch *l = &c->launches[i];

		/* The one-launch form as it always read; a list names each. */
		if (strcmp(l->id, MODEL_LAUNCH_ITEM) == 0)
			fprintf(fp, "  launch at ");
		else
			fprintf(fp, "  launch %s at ", l->id);
		summary_time(&l->at, c->timezone, "day_start", fp);
		fprintf(fp, ", ");
		summary_count(fp, l->audience.n, "recipient", "recipients",
		    ", ");
		summary_count(fp, l->n_countdown, "countdown notice",
		    "countdown notices", "\n");
	}
	for (size_t i = 0; i < c->n_deadlines; i++) {
		const struct model_deadline *d = &c->deadlines[i];

		fprintf(fp, "  deadline %s due ", d->id);
		summary_time(&d->due, c->timezone, "day_end", fp);
		fprintf(fp, ", ");
		summary_count(fp, d->audience.n, "recipient", "recipients", ", ");
		summary_count(fp, d->n_remind, "reminder", "reminders", "\n");
	}
	for (size_t i = 0; i < c->n_tasks; i++) {
		const struct model_task *t = &c->tasks[i];

		fprintf(fp, "  task %s lead %s", t->id, t->lead ? t->lead->id :
		    "-");
		if (t->due.text != NULL) {
			fprintf(fp, ", due ");
			summary_time(&t->due, c->timezone, "day_end", fp);
		}
		fprintf(fp, ", ");
		summary_count(fp, t->n_remind, "reminder", "reminders", "\n");
	}
	for (size_t i = 0; i < c->n_plans; i++) {
		const struct model_plan *p = &c->plans[i];

		fprintf(fp, "  plan %s level %d, ", p->id, p->level);
		summary_count(fp, p->alert.n, "recipient", "recipients", ", ");
		summary_count(fp, p->n_escalate, "escalation step",
		    "escalation steps", "\n");
	}
	for (size_t i = 0; i < c->n_slots; i++)
		fprintf(fp, "  slot \"%s\" on %s %s .. %s\n", c->slots[i].title,
		    c->slots[i].stage->id, c->slots[i].from.text,
		    c->slots[i].to.text);
	if (c->digest.set) {
		/* Daily and weekly read alike otherwise: a coordinator
		 * checking the file must see which one they wrote. */
		static const char *const days[] = {
			"sun", "mon", "tue", "wed", "thu", "fri", "sat"
		};

		if (c->digest.weekly)
			fprintf(fp, "  digest weekly on %s at %02d:%02d, ",
			    days[c->digest.on % 7], c->digest.at_min / 60,
			    c->digest.at_min % 60);
		else
			fprintf(fp, "  digest daily at %02d:%02d, ",
			    c->digest.at_min / 60, c->digest.at_min % 60);
		summary_count(fp, c->digest.to.n, "recipient", "recipients",
		    "\n");
	}
}

/* What the listener will offer, so a coordinator sees before starting
 * whether writes and acknowledgement links are on (never the secrets). */
static void
summary_api(const struct model_daemon *d, FILE *fp)
{
	fprintf(fp, "api on %s: reads %s, writes %s, metrics %s; ack links %s; "
	    "sms replies %s\n", d->listen,
	    d->api_read_auth ? "need the token" : "open",
	    d->api_token != NULL ? "need the token" : "off (no api_token_file)",
	    d->metrics_auth ? "need the token" : "open",
	    d->public_url != NULL && d->ack_secret != NULL ? d->public_url :
	    "off", d->sms_reply_token != NULL ? "on" : "off");
}

void
summary_print(const struct model *m, FILE *fp)
{
	fprintf(fp, "config %s OK\n", m->path);
	summary_api(&m->daemon, fp);
	summary_totals(m, fp);
	summary_calendar(&m->calendar, fp);
	for (size_t i = 0; i < m->n_campaigns; i++)
		summary_campaign(&m->campaigns[i], fp);
}
