/*
 * xmalloc.h - allocation that cannot fail.
 *
 * Allocation failure aborts here, in one place, with a message; callers
 * never check for NULL.  Everything else returns errors.
 */
#ifndef HERALD_XMALLOC_H
#define HERALD_XMALLOC_H

#include <stddef.h>

/* Caller owns the result; free() it. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string.  Caller owns the result. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
