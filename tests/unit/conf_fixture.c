/*
 * conf_fixture.c - the config loader's test fixture (conf_fixture.h).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "model.h"

#include "conf_fixture.h"

int
cfix_setup(void **state, const char *prefix)
{
	struct cfix *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", prefix);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

int
cfix_teardown(void **state)
{
	struct cfix *f = *state;
	char cmd[128];

	model_free(f->m);
	errlist_clear(&f->errs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

void
cfix_put(struct cfix *f, const char *name, const char *text)
{
	char path[256];
	FILE *fp;
	const char *slash = strrchr(name, '/');

	if (slash != NULL) {
		snprintf(path, sizeof(path), "%s/%.*s", f->dir,
		    (int)(slash - name), name);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

struct model *
cfix_load(struct cfix *f, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	f->m = conf_load(path, &f->errs);
	return f->m;
}

int
cfix_has(struct cfix *f, const char *file, int line, const char *msg)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s:%d: %s", f->dir, file, line, msg);
	for (size_t i = 0; i < f->errs.n; i++) {
		char *s = errlist_format(&f->errs, i);
		int eq = strcmp(s, want) == 0;

		free(s);
		if (eq)
			return 1;
	}
	return 0;
}
