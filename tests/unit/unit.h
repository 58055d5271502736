/*
 * unit.h - common glue for cmocka unit tests: TAP output for automake's
 * tap-driver.sh, so every test case counts in the final tally.
 */
#ifndef HERALD_UNIT_H
#define HERALD_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define UNIT_MAIN(tests) \
	int main(void) \
	{ \
		cmocka_set_message_output(CM_OUTPUT_TAP); \
		return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0; \
	}

#endif
