/*
 * suggest.h - "did you mean": the known id nearest to a mistyped one.
 *
 * Shared by heraldd's API answers and heraldctl, so that both suggest the
 * same id.  Distance is Levenshtein's over bytes (ids are ASCII in
 * practice); an id further than a third of its length (at least 2) is no
 * suggestion: a wild guess is worse than none.
 */
#ifndef HERALD_SUGGEST_H
#define HERALD_SUGGEST_H

#include <stddef.h>

struct suggest {
	const char *want;	/* borrowed */
	const char *best;	/* borrowed from an offer; NULL: none yet */
	size_t best_d;
};

/* Levenshtein distance of a and b over bytes; cap + 1 for anything
 * further than cap (which it stops computing early). */
size_t suggest_distance(const char *a, const char *b, size_t cap);

/* Start looking for the id nearest to want (borrowed until the end). */
void suggest_init(struct suggest *sg, const char *want);
/* Consider cand (borrowed until suggest_best()); NULL is ignored. */
void suggest_offer(struct suggest *sg, const char *cand);
/* The nearest offer close enough, or NULL. */
const char *suggest_best(const struct suggest *sg);

#endif
