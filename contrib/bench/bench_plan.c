/*
 * bench_plan.c - benchmark 1: plan a big config into a fresh SQLite store.
 *
 *   bench_plan CONFIG DBPATH
 *
 * Loads CONFIG with conf_load(), then times three passes and prints one
 * line for each with jobs, seconds and jobs/s:
 *   plan-only   plan_model() with an emit callback that only counts;
 *   plan+store  store_plan_begin/put/end into DBPATH (removed first, so
 *               the store is fresh), every job inserted;
 *   re-plan     the same plan again into the same store: every key is
 *               already there and unchanged.
 * Peak RSS (getrusage ru_maxrss) is printed after each pass, so the first
 * line that crosses a limit says which pass did.  Not part of the build:
 * contrib/bench/Makefile builds it against a build dir's libherald.a.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "errlist.h"
#include "model.h"
#include "planner.h"
#include "store.h"

#include "bench_common.h"

static long
bench_maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return -1;
	return ru.ru_maxrss;
}

static int
bench_count(void *arg, const struct job *j)
{
	(void)j;
	(*(size_t *)arg)++;
	return 0;
}

static void
bench_report(const char *what, size_t n, double secs)
{
	printf("%-11s %9zu jobs %8.3f s %10.0f jobs/s  peak RSS %6.1f MB\n",
	    what, n, secs, secs > 0 ? (double)n / secs : 0.0,
	    (double)bench_maxrss_kb() / 1024.0);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct errlist errs = { 0 };
	struct model *m;
	struct store *st = NULL;
	struct plan_counts pc;
	struct store_plan_stats ps;
	size_t n = 0;
	double t0;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_plan CONFIG DBPATH\n");
		return 2;
	}
	t0 = bench_now();
	if ((m = conf_load(argv[1], &errs)) == NULL) {
		errlist_print(&errs, stderr);
		return 1;
	}
	printf("conf_load   %8.3f s  peak RSS %6.1f MB\n", bench_now() - t0,
	    (double)bench_maxrss_kb() / 1024.0);

	t0 = bench_now();
	if (plan_model(m, bench_count, &n, &pc) == -1) {
		fprintf(stderr, "plan_model failed\n");
		return 1;
	}
	bench_report("plan-only", n, bench_now() - t0);

	if ((st = bench_store_fresh(argv[2])) == NULL)
		return 1;

	t0 = bench_now();
	if (bench_plan_store(m, st, &pc, &ps) == -1) {
		fprintf(stderr, "plan: %s\n", store_error(st));
		return 1;
	}
	bench_report("plan+store", pc.total, bench_now() - t0);
	printf("            inserted %zu updated %zu unchanged %zu cancelled %zu\n",
	    ps.inserted, ps.updated, ps.unchanged, ps.cancelled);

	t0 = bench_now();
	if (bench_plan_store(m, st, &pc, &ps) == -1) {
		fprintf(stderr, "re-plan: %s\n", store_error(st));
		return 1;
	}
	bench_report("re-plan", pc.total, bench_now() - t0);
	printf("            inserted %zu updated %zu unchanged %zu cancelled %zu\n",
	    ps.inserted, ps.updated, ps.unchanged, ps.cancelled);

	store_close(st);
	model_free(m);
	errlist_clear(&errs);
	return 0;
}
