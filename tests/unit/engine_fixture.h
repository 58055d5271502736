/*
 * engine_fixture.h - an engine on a real event_base and a SQLite store in
 * a temp dir, its model built from a config string, on a clock the test
 * moves by hand.  Shared by test_engine.c and test_api.c.
 */
#ifndef HERALD_TEST_ENGINE_FIXTURE_H
#define HERALD_TEST_ENGINE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct event_base;
struct generation;

struct efix {
	char dir[64];
	char conf[96];			/* dir/h.conf */
	int64_t now_us;			/* the engine's clock */
	struct event_base *base;
	struct engine *e;
};

/* A fresh temp dir and event_base, the clock at now (Unix seconds).
 * Returns 0 or -1. */
int efix_setup(struct efix *f, int64_t now);

/*
 * Write text to f->conf ("@DIR@" replaced by f->dir), load it and open
 * its channels (plugins from $HERALD_TEST_PLUGIN_DIR) as generation
 * number.  Caller owns the result (one reference); NULL on any error,
 * printed.
 */
struct generation *efix_generation(struct efix *f, const char *text,
    unsigned number);

/* efix_generation() then engine_open() into f->e.  Returns 0 or -1. */
int efix_open(struct efix *f, const char *text);

/*
 * Run the loop until pred(f) holds or timeout_ms (real time) passed.
 * Returns 1 when it held.
 */
int efix_run_until(struct efix *f, int (*pred)(struct efix *), int timeout_ms);

/* Rows of the store in state s. */
size_t efix_count(struct efix *f, int s);

/* Free the engine, the base and the temp dir.  Returns 0 or -1. */
int efix_teardown(struct efix *f);

#endif
