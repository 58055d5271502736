/*
 * generation.c - a model and its channel set, freed with the last
 * reference (generation.h says who holds which).
 */
#include "generation.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "channel_set.h"
#include "model.h"
#include "xmalloc.h"

struct generation *
generation_new(struct model *m, struct channel_set *cs, unsigned number)
{
	struct generation *g = xcalloc(1, sizeof(*g));

	g->m = m;
	g->cs = cs;
	g->number = number;
	g->refs = 1;
	return g;
}

void
generation_digest_file(struct generation *g, const char *path)
{
	uint64_t h = 14695981039346656037ULL;
	FILE *fp = fopen(path, "rb");
	int c;

	g->digest[0] = '\0';
	if (fp == NULL)
		return;
	while ((c = getc(fp)) != EOF) {
		h ^= (uint64_t)(unsigned char)c;
		h *= 1099511628211ULL;
	}
	if (!ferror(fp))
		snprintf(g->digest, sizeof(g->digest), "%016llx",
		    (unsigned long long)h);
	fclose(fp);
}

struct generation *
generation_ref(struct generation *g)
{
	g->refs++;
	return g;
}

void
generation_unref(struct generation *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	/* Channels first: a plugin's close() may still read its block. */
	channel_set_free(g->cs);
	model_free(g->m);
	free(g);
}
