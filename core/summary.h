/*
 * summary.h - what heraldd -t prints about a valid model.
 */
#ifndef HERALD_SUMMARY_H
#define HERALD_SUMMARY_H

#include <stdio.h>

#include "job.h"
#include "model.h"

struct channel_set;
struct errlist;

/* Print the counts (campaigns, units, contacts, channels, deadlines,
 * livestream slots, plans...) and one line per campaign. */
void summary_print(const struct model *m, FILE *fp);

/*
 * The longest text of each kind per campaign and channel, measured by the
 * channel's plugin (measure(), ABI 1.5): core/summary_parts.c.
 */
struct summary_part {
	const char *campaign, *channel, *plugin; /* borrowed from the model */
	size_t max[JOB_KIND_COUNT];	/* most parts a text of the kind needs */
	int seen[JOB_KIND_COUNT];	/* the kind is planned on the channel */
	int refused[JOB_KIND_COUNT];	/* the channel would refuse one */
	size_t max_parts;		/* the channel's cap; 0: none */
	/* The plugin's words (struct herald_measure): borrowed from the
	 * channel set, so print before channel_set_free(). */
	const char *part_word, *parts_words, *limit_setting, *fix;
};

struct summary_parts {
	struct summary_part *v;		/* owned: summary_parts_free() */
	size_t n;
};

/*
 * Render every job m plans on a channel of cs whose plugin measures its
 * texts, measure each one on its channel and keep the largest per
 * campaign, channel and kind in *sp (zeroed by the caller; caller frees
 * with summary_parts_free()).  A kind of which the channel would refuse a
 * text gets a warning in errs at its template ("... need up to 5 SMS
 * segments, over its max_segments 2: the channel would refuse them
 * (shorten the text or set split)").  m and cs are borrowed and must
 * outlive *sp.
 */
void summary_parts_measure(const struct model *m,
    const struct channel_set *cs, struct summary_parts *sp,
    struct errlist *errs);
/* "sms templates: campaign C channel N: reminder 1 segment, overdue 4
 * segments (over cap)", one line per campaign and channel. */
void summary_parts_print(const struct summary_parts *sp, FILE *fp);
/* Free sp's entries; sp may be reused. */
void summary_parts_free(struct summary_parts *sp);

#endif
