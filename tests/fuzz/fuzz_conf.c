/*
 * fuzz_conf.c - conf_load() of arbitrary file contents.
 *
 * herald.conf is written by people, often by editing an example, and
 * heraldd -t, SIGHUP and POST /v1/reload load whatever is there: any
 * input may be refused with errors, none may crash the loader or leak.
 * libconfig reads a path, not a buffer, so each input is written to one
 * file in a directory of this process's own (relative @includes then
 * resolve in an empty directory), removed after each load and at exit
 * (a crash or leak report ends the process without atexit handlers).
 *
 * Inputs that name a device or a pseudo-file system are skipped: an
 * @include "/dev/zero" or "/dev/stdin" never ends, which says nothing
 * about the parser (the loader reads what the administrator points it
 * at, as any program does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "conf.h"
#include "errlist.h"
#include "model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libconfig 1.5's parser drops the buffer of a string token that ends in
 * a syntax error (the input '""' alone leaks one byte); its lexer's
 * allocations are not ours to free.  Everything else still counts.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

/* Set once, before the first input; libFuzzer runs inputs on one thread. */
static char fuzz_dir[64], fuzz_path[96];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/herald-fuzz-conf.%ld",
	    (long)getpid());
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/herald.conf", fuzz_dir);
	if (mkdir(fuzz_dir, 0700) == -1) {
		perror(fuzz_dir);
		exit(1);
	}
	atexit(fuzz_cleanup);
	return 0;
}

/* Does data name a file that never ends or is not a file? */
static int
fuzz_names_device(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "dev/", "proc/", "sys/", "fd/" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (memmem(data, size, bad[i], strlen(bad[i])) != NULL)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = { 0 };
	struct model *m;
	FILE *fp;

	if (fuzz_names_device(data, size))
		return -1;	/* not added to the corpus */
	if ((fp = fopen(fuzz_path, "wb")) == NULL) {
		perror(fuzz_path);
		abort();
	}
	if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
		perror(fuzz_path);
		abort();
	}
	m = conf_load(fuzz_path, &errs);
	/* Formatting every diagnostic exercises the locations it kept. */
	for (size_t i = 0; i < errs.n; i++)
		free(errlist_format(&errs, i));
	if (m == NULL && errs.n_errors == 0) {
		fprintf(stderr, "fuzz_conf: refused without an error\n");
		abort();
	}
	model_free(m);
	errlist_clear(&errs);
	/* A crash leaves the input there; a finished one does not. */
	unlink(fuzz_path);
	return 0;
}
