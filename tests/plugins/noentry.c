/*
 * noentry.c - a test shared object that is not a plugin: it loads fine
 * but exports no herald_plugin_entry.
 */
int noentry_answer(void);

int
noentry_answer(void)
{
	return 42;
}
