/*
 * tbucket.h - a token bucket: the per-channel rate limit.
 *
 * Pure arithmetic on an injected time, so the dispatcher's rate limiting
 * is tested without sleeping.  Tokens refill continuously at `rate` per
 * second up to `burst`; a send takes one, or overdraws one (emergencies:
 * the tokens go negative and later sends wait for the refill).
 */
#ifndef HERALD_TBUCKET_H
#define HERALD_TBUCKET_H

#include <stdint.h>

struct tbucket {
	double rate;		/* tokens per second; 0: unlimited */
	double burst;		/* depth, at least 1 */
	double tokens;
	int64_t last_us;	/* time of the last refill */
};

/* A full bucket at now_us.  burst 0 is taken as 1. */
void tbucket_init(struct tbucket *b, double rate, unsigned burst,
    int64_t now_us);

/*
 * Change rate and burst, keeping the tokens already earned (capped at the
 * new burst): a reload must not hand out a fresh burst.
 */
void tbucket_set(struct tbucket *b, double rate, unsigned burst,
    int64_t now_us);

/*
 * Take one token at now_us.  Returns 0 when taken, else the microseconds
 * until one is available (at least 1); nothing is taken then.
 */
int64_t tbucket_take(struct tbucket *b, int64_t now_us);

/*
 * Take one token at now_us whether or not there is one: the bucket may go
 * below zero (an emergency is never held back by a rate limit, issue 14).
 * The debt is paid back by the refill, so tbucket_take() makes later
 * sends wait until the bucket is above one again: the channel's average
 * rate holds over time, only the emergency came early.
 */
void tbucket_overdraw(struct tbucket *b, int64_t now_us);

/* Return a token taken for a send that did not happen. */
void tbucket_give(struct tbucket *b);

/* The tokens b would hold at now_us, without taking any (for the
 * board's channel view; negative after an overdraw). */
double tbucket_level(const struct tbucket *b, int64_t now_us);

#endif
