/*
 * ack.h - acknowledgements, whichever door they come through.
 *
 * The API (POST /v1/acks), the signed link page (/a/TOKEN) and SMS replies
 * all end here, so they agree on what an acknowledgement means: "seen"
 * records that a person read a notice; "submitted" marks the notice's
 * deadline submitted for the contact's unit (or the contact alone when
 * it has none), which cancels every member's remaining notices of the
 * kinds policy_submission_cancels() names, reminders and overdue notices
 * (DESIGN.md rule 7, submission.h).  Both are idempotent: a
 * repeat reports the first time and changes nothing.
 *
 * "seen" on an alert of an incident takes charge of the incident
 * (incident_ack(), by the alert's contact through the door's name):
 * the first one wins, later ones report it, and after the incident is
 * resolved they report the resolution.
 */
#ifndef HERALD_ACK_H
#define HERALD_ACK_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct engine;

enum ack_action { ACK_SEEN = 0, ACK_SUBMITTED };

enum ack_result {
	ACK_OK = 0,		/* recorded now */
	ACK_ALREADY,		/* recorded before, at out->at */
	ACK_NO_JOB,		/* unknown key */
	ACK_CANCELLED,		/* the job was cancelled (out->detail says why) */
	ACK_NOT_DEADLINE,	/* "submitted" for a notice without a deadline */
	ACK_ERROR,		/* the store failed (out->detail) */
};

struct ack_outcome {
	enum ack_result result;
	int64_t at;		/* when recorded (now, or the first time) */
	size_t n_cancelled;	/* notices cancelled by a submission */
	enum job_kind kind;	/* of the job, when it exists */
	enum job_state state;
	char campaign[128], item[128], contact[128];
	char incident[JOB_KEY_LEN];	/* the job's incident, or "" */
	char detail[256];
};

/* "seen" / "submitted"; ack_action_parse returns -1 for anything else. */
const char *ack_action_name(enum ack_action a);
int ack_action_parse(const char *s);

/* Does a notice of kind k belong to a deadline (can be "submitted")? */
int ack_kind_has_deadline(enum job_kind k);

/* Look key up without changing anything (the link page's GET). */
int ack_lookup(struct engine *e, const char *key, struct ack_outcome *out);

/*
 * Apply action a to job key, recording via ("api", "link", "sms").
 * Returns 0 with out->result ACK_OK or ACK_ALREADY, else -1 with the
 * reason in out->result and out->detail.
 */
int ack_apply(struct engine *e, const char *key, enum ack_action a,
    const char *via, struct ack_outcome *out);

#endif
