/*
 * tbucket.c - token bucket arithmetic (see tbucket.h).
 *
 * Doubles keep fractional tokens, so a rate of 1/3 per second works; the
 * wait is rounded up (plus one microsecond for rounding error, without
 * pulling in libm) so a caller that sleeps that long finds a whole token.
 * Time going backwards (an injected clock, a clock step) is treated as no
 * time passing.  After an overdraw the tokens are negative and the same
 * formula gives the wait until the debt is paid and one token earned.
 */
#include "tbucket.h"

static void
tbucket_refill(struct tbucket *b, int64_t now_us)
{
	if (now_us > b->last_us) {
		b->tokens += b->rate * (double)(now_us - b->last_us) / 1e6;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
	}
	b->last_us = now_us;
}

void
tbucket_init(struct tbucket *b, double rate, unsigned burst, int64_t now_us)
{
	b->rate = rate > 0 ? rate : 0;
	b->burst = burst > 0 ? burst : 1;
	b->tokens = b->burst;
	b->last_us = now_us;
}

void
tbucket_set(struct tbucket *b, double rate, unsigned burst, int64_t now_us)
{
	tbucket_refill(b, now_us);
	b->rate = rate > 0 ? rate : 0;
	b->burst = burst > 0 ? burst : 1;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

int64_t
tbucket_take(struct tbucket *b, int64_t now_us)
{
	int64_t wait;

	if (b->rate <= 0)
		return 0;
	tbucket_refill(b, now_us);
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	wait = (int64_t)((1.0 - b->tokens) * 1e6 / b->rate) + 1;
	return wait;
}

void
tbucket_overdraw(struct tbucket *b, int64_t now_us)
{
	if (b->rate <= 0)
		return;
	tbucket_refill(b, now_us);
	b->tokens -= 1.0;
}

void
tbucket_give(struct tbucket *b)
{
	b->tokens += 1.0;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

double
tbucket_level(const struct tbucket *b, int64_t now_us)
{
	double t = b->tokens;

	if (now_us > b->last_us) {
		t += b->rate * (double)(now_us - b->last_us) / 1e6;
		if (t > b->burst)
			t = b->burst;
	}
	return t;
}
