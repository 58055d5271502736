/*
 * conf_fixture.h - the config loader's test fixture: a temp dir to write
 * small configs into, the model loaded from one and the errors it drew.
 * Shared by test_conf.c and test_conf_shapes.c.
 */
#ifndef HERALD_TEST_CONF_FIXTURE_H
#define HERALD_TEST_CONF_FIXTURE_H

#include "errlist.h"

struct model;

struct cfix {
	char dir[64];
	struct errlist errs;
	struct model *m;		/* the last load's; freed by teardown */
};

/*
 * A cmocka setup: a fresh fixture in *state, its dir a new
 * /tmp/PREFIX.XXXXXX.  The fixture is the test's until cfix_teardown().
 * Returns 0 or -1.
 */
int cfix_setup(void **state, const char *prefix);

/* A cmocka teardown: frees the model, the errors, the dir and *state.
 * Returns 0 or -1. */
int cfix_teardown(void **state);

/* Write text to dir/name (creating one level of subfolder); fails the
 * test when the file cannot be written. */
void cfix_put(struct cfix *f, const char *name, const char *text);

/* Load dir/name into f->m (the fixture owns it) and the errors into
 * f->errs.  Returns f->m, NULL when the load failed. */
struct model *cfix_load(struct cfix *f, const char *name);

/* Is there an entry "DIR/file:line: msg" (warning or error)? */
int cfix_has(struct cfix *f, const char *file, int line, const char *msg);

#endif
