/*
 * engine_fixture.c - see engine_fixture.h.
 */
#include "engine_fixture.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "channel_set.h"
#include "conf.h"
#include "engine.h"
#include "errlist.h"
#include "generation.h"
#include "job.h"
#include "store.h"

static int64_t
efix_now(void *arg)
{
	return ((struct efix *)arg)->now_us;
}

int
efix_setup(struct efix *f, int64_t now)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_engine.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/h.conf", f->dir);
	f->now_us = now * 1000000;
	f->base = event_base_new();
	return f->base != NULL ? 0 : -1;
}

/* text with every "@DIR@" replaced by f->dir into f->conf. */
static int
efix_write(struct efix *f, const char *text)
{
	FILE *fp = fopen(f->conf, "w");
	const char *p, *q;

	if (fp == NULL)
		return -1;
	for (p = text; (q = strstr(p, "@DIR@")) != NULL; p = q + 5) {
		fwrite(p, 1, (size_t)(q - p), fp);
		fputs(f->dir, fp);
	}
	fputs(p, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

struct generation *
efix_generation(struct efix *f, const char *text, unsigned number)
{
	const char *dir = getenv("HERALD_TEST_PLUGIN_DIR");
	struct errlist errs = { 0 };
	struct channel_set *cs = NULL;
	struct model *m;

	if (efix_write(f, text) == -1)
		return NULL;
	if ((m = conf_load(f->conf, &errs)) == NULL ||
	    channel_set_open(dir != NULL ? dir : "tests/plugins/.libs", m,
	    f->base, 0, &errs, &cs) == -1 || errs.n_errors > 0) {
		errlist_print(&errs, stderr);
		errlist_clear(&errs);
		channel_set_free(cs);
		model_free(m);
		return NULL;
	}
	errlist_clear(&errs);
	return generation_new(m, cs, number);
}

int
efix_open(struct efix *f, const char *text)
{
	struct sched_clock clock = { efix_now, f };
	struct generation *g = efix_generation(f, text, 1);
	char err[256];

	if (g == NULL)
		return -1;
	if (engine_open(f->base, g, &clock, &f->e, err, sizeof(err)) == -1) {
		fprintf(stderr, "engine_open: %s\n", err);
		generation_unref(g);
		return -1;
	}
	return 0;
}

static void
efix_on_guard(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

int
efix_run_until(struct efix *f, int (*pred)(struct efix *), int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int expired = 0, held;
	struct event *guard = evtimer_new(f->base, efix_on_guard, &expired);

	evtimer_add(guard, &tv);
	while (!(held = pred(f)) && !expired)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(guard);
	return held;
}

size_t
efix_count(struct efix *f, int s)
{
	size_t counts[JOB_STATE_COUNT];

	if (store_count_states(engine_store(f->e), counts) == -1)
		return (size_t)-1;
	return counts[s];
}

int
efix_teardown(struct efix *f)
{
	char cmd[128];

	engine_free(f->e);
	f->e = NULL;
	if (f->base != NULL)
		event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}
