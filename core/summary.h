/*
 * summary.h - what heraldd -t prints about a valid model.
 */
#ifndef HERALD_SUMMARY_H
#define HERALD_SUMMARY_H

#include <stdio.h>

#include "model.h"

/* Print the counts (campaigns, units, contacts, channels, deadlines,
 * livestream slots, plans...) and one line per campaign. */
void summary_print(const struct model *m, FILE *fp);

#endif
