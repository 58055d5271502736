/*
 * bench_common.h - what the store benchmarks (bench_plan, bench_record)
 * share: a monotonic clock, a plan into a store, and a fresh SQLite
 * store.  Header-only: each benchmark is one program built by
 * contrib/bench/Makefile from one .c file.
 */
#ifndef HERALD_BENCH_COMMON_H
#define HERALD_BENCH_COMMON_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "planner.h"
#include "store.h"

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* plan_model()'s emit: into the store arg's open plan. */
static inline int
bench_put(void *arg, const struct job *j)
{
	return store_plan_put(arg, j);
}

/* One plan into st; the stats come back in ps.  Returns 0 or -1. */
static inline int
bench_plan_store(const struct model *m, struct store *st,
    struct plan_counts *pc, struct store_plan_stats *ps)
{
	if (store_plan_begin(st) == -1)
		return -1;
	if (plan_model(m, bench_put, st, pc) == -1) {
		store_plan_abort(st);
		return -1;
	}
	return store_plan_end(st, ps);
}

/*
 * Open the SQLite store at path, removed first with its WAL and shared
 * memory files so that it starts empty.  Returns it (the caller closes
 * it) or NULL after printing why.
 */
static inline struct store *
bench_store_fresh(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct store *st;
	char name[4200], err[256];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, sfx[i]);
		unlink(name);
	}
	snprintf(name, sizeof(name), "sqlite:%s", path);
	if (store_open(name, "bench", &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return st;
}

#endif
