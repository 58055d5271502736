/*
 * bench_record.c - the store's share of a launch (issue 17): claim a
 * planned launch's jobs and record each as delivered, in the batches the
 * dispatcher uses, into a fresh SQLite store.
 *
 *   bench_record CONFIG DBPATH [BATCH]
 *
 * CONFIG is a `genconf.sh launch N AT` config.  Plans it into DBPATH
 * (removed first), claims every job 256 at a time as the scheduler does
 * at the instant, then records them delivered BATCH (default 36: the
 * outcomes per loop turn measured in a launch) per transaction, each
 * batch committed with synchronous = FULL as the dispatcher's.  Prints
 * microseconds per job for the claim and for the record, wall clock and
 * this process's CPU (getrusage), and write system calls per job (each
 * WAL frame is one pwrite: pages written), so a change to the store's
 * statements is measured without the network's noise.  Then the
 * commits' own times (p50, p99, max): a checkpoint inside a commit, as
 * SQLite's automatic one runs, is the max.
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

struct keys {
	char **v;
	size_t n, cap;
};

static double
bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Write system calls so far (/proc/self/io syscw): WAL frames are one
 * pwrite each, so this counts the pages a phase wrote. */
static long
bench_syscw(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "syscw: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* store_job_fn: keep the claimed key (the job's strings are the call's). */
static void
bench_keep(void *arg, const struct job *j)
{
	struct keys *k = arg;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 1024;
		if ((k->v = realloc(k->v, k->cap * sizeof(*k->v))) == NULL)
			abort();
	}
	if ((k->v[k->n++] = strdup(j->key)) == NULL)
		abort();
}

int
main(int argc, char **argv)
{
	struct errlist errs = { 0 };
	struct model *m;
	struct store *st = NULL;
	struct plan_counts pc;
	struct store_plan_stats ps;
	struct store_result r = { .outcome = STORE_DELIVERED };
	struct keys k = { 0 };
	size_t got, i, batch = 36, nc = 0;
	double t0, c0, tc, *commits;
	long w0;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bench_record CONFIG DBPATH [BATCH]\n");
		return 2;
	}
	if (argc == 4)
		batch = strtoul(argv[3], NULL, 10);
	if ((m = conf_load(argv[1], &errs)) == NULL) {
		errlist_print(&errs, stderr);
		return 1;
	}
	if ((st = bench_store_fresh(argv[2])) == NULL)
		return 1;
	if (bench_plan_store(m, st, &pc, &ps) == -1) {
		fprintf(stderr, "plan: %s\n", store_error(st));
		return 1;
	}

	t0 = bench_now();
	c0 = bench_cpu();
	w0 = bench_syscw();
	do {
		if (store_claim(st, INT64_MAX / 2, INT64_MAX / 2, 256, NULL, 0,
		    INT64_MAX / 2, bench_keep, &k, &got) == -1) {
			fprintf(stderr, "claim: %s\n", store_error(st));
			return 1;
		}
	} while (got > 0);
	printf("claim   %6zu jobs  %6.1f us/job wall  %6.1f us/job cpu  "
	    "%5.2f writes/job\n", k.n, (bench_now() - t0) * 1e6 / (double)k.n,
	    (bench_cpu() - c0) * 1e6 / (double)k.n,
	    (double)(bench_syscw() - w0) / (double)k.n);

	commits = calloc(k.n / batch + 1, sizeof(*commits));
	if (commits == NULL)
		return 1;
	t0 = bench_now();
	c0 = bench_cpu();
	w0 = bench_syscw();
	for (i = 0; i < k.n; i++) {
		if (i % batch == 0 && store_begin(st) == -1)
			goto fail;
		r.at = (int64_t)time(NULL) * 1000;
		if (store_record(st, k.v[i], &r) == -1)
			goto fail;
		if ((i + 1) % batch == 0 || i + 1 == k.n) {
			tc = bench_now();
			if (store_commit(st) == -1)
				goto fail;
			commits[nc++] = bench_now() - tc;
		}
	}
	printf("record  %6zu jobs  %6.1f us/job wall  %6.1f us/job cpu  "
	    "%5.2f writes/job  (batches of %zu)\n", k.n,
	    (bench_now() - t0) * 1e6 / (double)k.n,
	    (bench_cpu() - c0) * 1e6 / (double)k.n,
	    (double)(bench_syscw() - w0) / (double)k.n, batch);
	qsort(commits, nc, sizeof(*commits), bench_cmp_double);
	if (nc > 0)
		printf("commit  %6zu commits  p50 %.2f ms  p99 %.2f ms  "
		    "max %.2f ms\n", nc, commits[nc / 2] * 1e3,
		    commits[nc * 99 / 100] * 1e3, commits[nc - 1] * 1e3);
	free(commits);

	for (i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	store_close(st);
	model_free(m);
	errlist_clear(&errs);
	return 0;
fail:
	fprintf(stderr, "record: %s\n", store_error(st));
	return 1;
}
