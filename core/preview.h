/*
 * preview.h - heraldd -m: one message of each kind per channel, rendered
 * from a config alone, as the recipient will read it (doc/messages.md is
 * made of this, so the documentation cannot drift from the code).
 */
#ifndef HERALD_PREVIEW_H
#define HERALD_PREVIEW_H

#include <stdio.h>

#include "model.h"
#include "plugin.h"

/*
 * Write m's sample messages to fp as Markdown.  cs gives each channel's
 * capabilities (opened with check_only).  Returns 0, or -1 when planning
 * failed.
 */
int preview_print(const struct model *m, const struct channel_set *cs,
    FILE *fp);

#endif
