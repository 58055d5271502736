/*
 * arena.h - bump allocation for data that dies all at once.
 *
 * The config model is built once and freed once; an arena makes that one
 * call and saves a destructor per struct.  Memory is zeroed.
 */
#ifndef HERALD_ARENA_H
#define HERALD_ARENA_H

#include <stddef.h>

struct arena;

/* Caller owns the arena; free it with arena_free(). */
struct arena *arena_new(void);
/* Free the arena and everything allocated from it.  Accepts NULL. */
void arena_free(struct arena *a);
/* Zeroed memory that lives as long as the arena. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of s (NULL stays NULL) that lives as long as the arena. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
