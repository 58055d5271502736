/*
 * render.h - a job's subject and body, from the model's templates or the
 * built-in Chinese ones.
 *
 * Templates are plain UTF-8 text with {{name}} placeholders:
 *
 *   title     the item's title (deadline, task, launch, phase, slot, plan)
 *   campaign  the campaign's title
 *   due       the item's instant in the campaign zone, "8月5日 17:00"
 *   left      time from now to the item's instant, "7天", "1天3小时"
 *   contact   the recipient's name;  unit  the recipient's unit
 *   ack_url   the acknowledgement link (empty when acks are off)
 *   steps, level         an emergency plan's procedure and level
 *   stage, from, to      a slot's stage and times; a phase's dates
 *   phase     the phase (of a phase notice, or the one the item falls in)
 *   digest    the digest text
 *   pending_units, submitted_units   the deadline's units that have not /
 *             have submitted ("河北省商务厅、山西省商务厅"); pending is the
 *             old name of pending_units
 *   pending_count, submitted_count, total_count   the same, counted
 *   note, verb   the item's note and verb ("报送", "举行"; per kind)
 *   weekday   the item's day, "星期五", or "今天" when it is the send day
 *   lead, role   a task's (or deadline's) lead unit, and the recipient's
 *             part: "由贵单位牵头" / "由...牵头，贵单位配合"
 *   venue     an incident's venue (emergency alerts and incident notices);
 *             {{note}} is then what the trigger said (alerts) or the
 *             resolution's note (incident-close), {{due}} the trigger
 *   by, when  who took charge of (incident-ack) or resolved
 *             (incident-close) the incident, and the time, "14:03"
 *
 * An emergency alert of an incident whose text does not place {{venue}}
 * gets the venue, the trigger time and the note appended, one a line;
 * every message of a drill starts with 【演练】.
 *
 * Ack kinds (reminder, overdue, task, emergency) get, after the text, the
 * SMS reply hint (reminder and overdue, when the channel is SMS and SMS
 * replies are on) and the ack link (when the channel carries one and the
 * text has no {{ack_url}}), unless the kind's templates set ack_link =
 * false.
 *
 * A placeholder with no value renders empty.  Template choice: the item's
 * own body text for the kind, else the model's template for the job's kind
 * and channel, else its "default" for the kind, else the built-in one; the
 * subject likewise from field "subject" (items have no subject of their
 * own).
 */
#ifndef HERALD_RENDER_H
#define HERALD_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "model.h"

struct store_incident;

/* What the model does not know: supplied by the caller at send time. */
struct render_extra {
	const char *ack_url;		/* NULL: no ack link */
	const char *digest_text;	/* the digest's body, for digests */
	const char *not_submitted;	/* units: "河北省商务厅、山西省商务厅" */
	int64_t now;			/* for {{left}}, Unix seconds */
	const char *submitted;		/* units that have, joined likewise */
	size_t n_pending, n_total;	/* units; n_total 0: counts unknown */
	/* The channel carries a link (caps.ack_links): the ack link is
	 * appended to ack kinds whose text does not place {{ack_url}}. */
	int link_ok;
	/* The channel is SMS and SMS replies are on: reminders and overdue
	 * notices say how to reply. */
	int sms_replies;
	/* j's item, resolved in j's campaign of m (model_item_find()) by a
	 * caller that needed it already; NULL: render_job() resolves it. */
	const struct model_item *item;
	/* The incident of an emergency alert or an incident notice, as
	 * the store has it now (borrowed); NULL: none (previews). */
	const struct store_incident *incident;
};

/*
 * Render job j (its ids resolved in m) into *subject and *body; the caller
 * owns and frees both (*subject may be NULL when the kind has none).  x may
 * be NULL.  Returns 0, or -1 with a reason in err when j's campaign, item
 * or contact no longer exists in m (outputs untouched).
 */
int render_job(const struct model *m, const struct job *j,
    const struct render_extra *x, char **subject, char **body, char *err,
    size_t errlen);

/*
 * Check a template text: -1 with the bad name in err for an unknown
 * {{placeholder}} or an unclosed "{{", else 0.
 */
int render_check(const char *text, char *err, size_t errlen);

/* The placeholder names templates may use, NULL-terminated.  Borrowed. */
const char *const *render_placeholders(void);

/*
 * Render text with an arbitrary lookup, for other callers (the digest
 * builder, plugins through the host).  lookup returns the value of a
 * placeholder or NULL (rendered empty).  Caller owns the result.
 */
char *render_text(const char *text,
    const char *(*lookup)(void *arg, const char *name, size_t len),
    void *arg);

/* "8月5日 17:00" (t in zone), or "8月5日" when date_only, into buf;
 * NULL when the zone cannot convert t. */
const char *render_when(int64_t t, const char *zone, int date_only,
    char *buf, size_t len);

/* "7天", "2小时", "1天3小时", "10分钟", under a minute "30秒" into buf
 * (minutes rounded up); seconds <= 0: "0分钟". */
char *render_left(int64_t seconds, char *buf, size_t len);

/*
 * The JSON body of a stage's platform event j (policy_is_stage()), its
 * item it resolved in c (render_stage.c).  Caller frees; NULL when the
 * item has no stage.
 */
char *render_stage(const struct model_campaign *c, const struct job *j,
    const struct model_item *it);

#endif
