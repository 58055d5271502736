/*
 * suggest.c - the nearest known id (see suggest.h).
 */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

size_t
suggest_distance(const char *a, const char *b, size_t cap)
{
	size_t na = strlen(a), nb = strlen(b), d, *row, prev, tmp;

	if ((na > nb ? na - nb : nb - na) > cap)
		return cap + 1;
	row = xcalloc(nb + 1, sizeof(*row));
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			tmp = row[j];
			d = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < d)
				d = row[j] + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			prev = tmp;
		}
	}
	d = row[nb];
	free(row);
	return d > cap ? cap + 1 : d;
}

void
suggest_init(struct suggest *sg, const char *want)
{
	sg->want = want;
	sg->best = NULL;
	sg->best_d = 0;
}

void
suggest_offer(struct suggest *sg, const char *cand)
{
	size_t limit = strlen(sg->want) / 3, d;

	if (cand == NULL || strcmp(cand, sg->want) == 0)
		return;
	if (limit < 2)
		limit = 2;
	if (sg->best != NULL && sg->best_d - 1 < limit)
		limit = sg->best_d - 1;
	if ((d = suggest_distance(sg->want, cand, limit)) > limit)
		return;
	sg->best = cand;
	sg->best_d = d;
}

const char *
suggest_best(const struct suggest *sg)
{
	return sg->best;
}
