/*
 * unit.h - common glue for cmocka unit tests: TAP output for automake's
 * tap-driver.sh, so every test case counts in the final tally.
 */
#ifndef HERALD_UNIT_H
#define HERALD_UNIT_H

#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define UNIT_MAIN(tests) \
	int main(void) \
	{ \
		cmocka_set_message_output(CM_OUTPUT_TAP); \
		return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0; \
	}

/* How many threads of this process are named name (thread_start()). */
static inline int
unit_threads_named(const char *name)
{
	glob_t g;
	char comm[32];
	size_t len = strlen(name);
	int found = 0;
	FILE *fp;

	assert_int_equal(glob("/proc/self/task/*/comm", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if ((fp = fopen(g.gl_pathv[i], "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), fp) != NULL &&
		    strncmp(comm, name, len) == 0 && comm[len] == '\n')
			found++;
		fclose(fp);
	}
	globfree(&g);
	return found;
}

#endif
