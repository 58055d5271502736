/*
 * ctl_table.c - heraldctl's aligned text tables.
 *
 * Names, titles and details in herald are mostly Chinese, which a
 * terminal draws two columns wide; padding by bytes or by code points
 * would skew every column after them.  Widths come from a small fixed
 * East Asian Width rule instead of wcwidth(3): the latter depends on the
 * locale (under LANG=C it gives -1 for every Chinese character), and the
 * output of a cron job should not change with its environment.
 * Deliberately left out: ambiguous-width characters (counted 1, as in
 * non-CJK terminals) and emoji sequences.
 */
#include "ctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct ctl_table {
	size_t	  ncols;
	size_t	  nrows;	/* rows in cells, the header included */
	size_t	  cap;
	char	**cells;	/* nrows * ncols, row-major */
};

/* Decode one code point at s; *n gets its length in bytes.  Returns -1
 * (and *n = 1) for a byte that does not start valid UTF-8. */
static int32_t
ctl_decode(const unsigned char *s, size_t *n)
{
	int32_t cp;
	size_t len, i;

	*n = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*n = len;
	return cp;
}

/* Columns of one code point. */
static size_t
ctl_cp_width(int32_t cp)
{
	static const struct {
		int32_t lo, hi;
	} wide[] = {
		{ 0x1100, 0x115f },	/* Hangul Jamo initials */
		{ 0x2e80, 0x303e },	/* CJK radicals .. CJK punctuation */
		{ 0x3041, 0x33ff },	/* kana, bopomofo, CJK compatibility */
		{ 0x3400, 0x4dbf },	/* CJK extension A */
		{ 0x4e00, 0x9fff },	/* CJK unified ideographs */
		{ 0xa000, 0xa4cf },	/* Yi */
		{ 0xac00, 0xd7a3 },	/* Hangul syllables */
		{ 0xf900, 0xfaff },	/* CJK compatibility ideographs */
		{ 0xfe30, 0xfe4f },	/* CJK compatibility forms */
		{ 0xff00, 0xff60 },	/* fullwidth forms */
		{ 0xffe0, 0xffe6 },
		{ 0x1f300, 0x1f64f },	/* pictographs, emoticons */
		{ 0x20000, 0x3fffd },	/* CJK extensions B.. */
	};

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;	/* combining marks, zero-width, selectors */
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i].lo && cp <= wide[i].hi)
			return 2;
	return 1;
}

size_t
ctl_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;
	int32_t cp;

	while (*p != '\0') {
		cp = ctl_decode(p, &n);
		w += cp < 0 ? 1 : ctl_cp_width(cp);
		p += n;
	}
	return w;
}

struct ctl_table *
ctl_table_new(size_t ncols, const char *const *headers)
{
	struct ctl_table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	if (headers != NULL)
		ctl_table_add(t, headers);
	return t;
}

void
ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols *
		    sizeof(*t->cells));
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] != NULL ?
		    cells[i] : "-");
	t->nrows++;
}

void
ctl_table_print(const struct ctl_table *t, FILE *fp)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w)), cw;
	const char *cell;

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			cw = ctl_width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			fputs(cell, fp);
			if (c + 1 == t->ncols)
				break;
			/* Pad by columns, not bytes: see the top. */
			for (cw = ctl_width(cell); cw < w[c] + 2; cw++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
	free(w);
}
