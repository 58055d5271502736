#include "unit.h"
static void placeholder(void **s) { (void)s; }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(placeholder) }; cmocka_set_message_output(CM_OUTPUT_TAP); return cmocka_run_group_tests(t, NULL, NULL); }
