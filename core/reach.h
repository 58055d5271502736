/*
 * reach.h - whether an emergency plan can reach everyone it names
 * (heraldd -t): a contact of a plan's alert or escalation audience none
 * of whose channels has an address for them would never hear of the
 * incident, and nobody would know until the day it happens.
 */
#ifndef HERALD_REACH_H
#define HERALD_REACH_H

struct channel_set;
struct errlist;
struct model;

/*
 * One `file:line: warning` per (plan, contact) that no channel of the
 * contact can address, at the plan.  A channel's address kind comes from
 * its plugin's descriptor in cs (borrowed); a channel cs does not know
 * counts as reachable (no guess).  m and cs are borrowed.
 */
void reach_check_plans(const struct model *m, const struct channel_set *cs,
    struct errlist *errs);

#endif
