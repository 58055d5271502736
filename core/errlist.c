/* errlist.c - accumulate diagnostics in the order they were found. */
#include "errlist.h"

#include <stdarg.h>
#include <stdlib.h>

#include "xmalloc.h"

void
errlist_vadd(struct errlist *e, int warning, const char *file, int line,
    const char *fmt, va_list ap)
{
	struct errlist_entry *x;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(fmt);
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	x = &e->v[e->n++];
	x->file = file ? xstrdup(file) : NULL;
	x->line = line;
	x->msg = msg;
	x->warning = warning;
	if (warning)
		e->n_warnings++;
	else
		e->n_errors++;
}

void
errlist_add(struct errlist *e, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(e, 0, file, line, fmt, ap);
	va_end(ap);
}

void
errlist_warn(struct errlist *e, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(e, 1, file, line, fmt, ap);
	va_end(ap);
}

char *
errlist_format(const struct errlist *e, size_t i)
{
	const struct errlist_entry *x = &e->v[i];
	const char *w = x->warning ? "warning: " : "";

	if (x->file != NULL && x->line > 0)
		return xasprintf("%s:%d: %s%s", x->file, x->line, w, x->msg);
	if (x->file != NULL)
		return xasprintf("%s: %s%s", x->file, w, x->msg);
	return xasprintf("%s%s", w, x->msg);
}

void
errlist_print(const struct errlist *e, FILE *fp)
{
	for (size_t i = 0; i < e->n; i++) {
		char *s = errlist_format(e, i);

		fprintf(fp, "%s\n", s);
		free(s);
	}
}

void
errlist_clear(struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].file);
		free(e->v[i].msg);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = e->n_errors = e->n_warnings = 0;
}
