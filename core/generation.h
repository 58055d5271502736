/*
 * generation.h - one running config: a model and the channel set opened
 * for it, reference-counted.
 *
 * The engine owns the current generation (one reference).  The dispatcher
 * borrows the current one and takes a reference for each send it hands
 * to a plugin, dropped once that send's outcome is recorded.  A reload
 * makes a new generation current and drops the engine's reference to the
 * old one, which is freed (channels first, then the model) when its last
 * send has been recorded.  Everything here runs on the loop thread, so
 * the count needs no lock.
 */
#ifndef HERALD_GENERATION_H
#define HERALD_GENERATION_H

#include <stddef.h>

struct channel_set;
struct model;

struct generation {
	struct model *m;		/* owned */
	struct channel_set *cs;		/* owned; opened for m */
	unsigned number;		/* 1 at start, +1 per reload */
	size_t refs;
	/* A digest of the main config file's text (16 hex digits), so
	 * that nodes can tell whether they run the same config; "" when
	 * unknown (a model built by hand). */
	char digest[17];
};

/* A generation of m and cs (ownership of both taken) holding one
 * reference, the caller's. */
struct generation *generation_new(struct model *m, struct channel_set *cs,
    unsigned number);

/* Set g->digest from the text of the file at path (FNV-1a, 64 bits);
 * left "" when it cannot be read.  The main file only: an @include'd
 * file that changed alone goes unseen. */
void generation_digest_file(struct generation *g, const char *path);

/* One more reference to g, the caller's.  Returns g. */
struct generation *generation_ref(struct generation *g);

/* Drop one reference; the last one frees the channels, then the model.
 * Accepts NULL. */
void generation_unref(struct generation *g);

#endif
