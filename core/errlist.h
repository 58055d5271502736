/*
 * errlist.h - collected "file:line: message" diagnostics.
 *
 * Validation reports every problem in one run, so lower layers append to an
 * errlist instead of stopping at the first; the caller prints or returns
 * them (heraldd -t, SIGHUP reload, later the API).  Warnings are kept
 * separately: they never fail a load.
 */
#ifndef HERALD_ERRLIST_H
#define HERALD_ERRLIST_H

#include <stddef.h>
#include <stdio.h>

struct errlist_entry {
	char *file;		/* NULL when no file applies */
	int line;		/* 0 when unknown */
	char *msg;
	int warning;
};

struct errlist {
	struct errlist_entry *v;
	size_t n, cap;
	size_t n_errors, n_warnings;
};

/* Errors and warnings; file may be NULL.  Copies its arguments. */
void errlist_add(struct errlist *e, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void errlist_vadd(struct errlist *e, int warning, const char *file, int line,
    const char *fmt, va_list ap);
void errlist_warn(struct errlist *e, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Format entry i as "file:line: message" (or "warning: ..."). Caller frees. */
char *errlist_format(const struct errlist *e, size_t i);
/* Print every entry, one per line, in the order added. */
void errlist_print(const struct errlist *e, FILE *fp);
/* Free the entries (not e itself) and reset to empty. */
void errlist_clear(struct errlist *e);

#endif
