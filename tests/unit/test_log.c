/* test_log.c - every log line escapes control bytes (issue 12, defect 4);
 * journald priorities and the file target's reopen (issue 18). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/*
 * Log msg with stderr sent to a temporary file; return what was written
 * (caller frees).
 */
static char *
capture(const char *msg)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	long len;
	char *out;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	log_msg(HERALD_LOG_NOTICE, "%s", msg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	len = ftell(tmp);
	assert_true(len > 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
	fclose(tmp);
	return out;
}

/* The message part of a line: after "heraldd[notice] ". */
static const char *
message_of(const char *line)
{
	const char *p = strstr(line, "[notice] ");

	assert_non_null(p);
	return p + 9;
}

static void
test_control_bytes_escaped(void **state)
{
	char *out;

	(void)state;
	log_init("heraldd", "stderr", HERALD_LOG_DEBUG);
	out = capture("key a\r\x1b\x7f\t\nheraldd[err] \x01z");
	assert_string_equal(message_of(out),
	    "key a\\r\\x1b\\x7f\\t\\nheraldd[err] \\x01z\n");
	/* One line: the only line feed is the one that ends it. */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

static void
test_utf8_intact(void **state)
{
	char *out;

	(void)state;
	log_init("heraldd", "stderr", HERALD_LOG_DEBUG);
	out = capture("报送联络机制名单（附件1）\\backslash stays");
	assert_string_equal(message_of(out),
	    "报送联络机制名单（附件1）\\backslash stays\n");
	free(out);
}

/* A line longer than the stack buffer takes the other path. */
static void
test_long_line(void **state)
{
	char *in = malloc(5001), *want = malloc(5 * 5000 + 2), *out, *w;

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	for (int i = 0; i < 5000; i++)
		in[i] = i % 2 ? '\n' : 'x';
	in[5000] = '\0';
	w = want;
	for (int i = 0; i < 5000; i++) {
		if (i % 2) {
			*w++ = '\\';
			*w++ = 'n';
		} else
			*w++ = 'x';
	}
	strcpy(w, "\n");
	log_init("heraldd", "stderr", HERALD_LOG_DEBUG);
	out = capture(in);
	assert_string_equal(message_of(out), want);
	free(out);
	free(want);
	free(in);
}

/* Read the whole file at path (caller frees). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *out = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(out);
	n = fread(out, 1, 65535, fp);
	out[n] = '\0';
	fclose(fp);
	return out;
}

/*
 * Under systemd, stderr is the journal's stream: "<N>" then the line,
 * no time stamp.  The stream is recognised by $JOURNAL_STREAM naming
 * descriptor 2 (device:inode), here a temporary file.
 */
static void
test_journal_priority(void **state)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	struct stat st;
	char js[64], out[256] = { 0 };

	(void)state;
	assert_non_null(tmp);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	assert_int_equal(fstat(2, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	assert_int_equal(log_init("heraldd", "stderr", HERALD_LOG_DEBUG), 0);
	log_errx("store gone");
	log_notice("ready");
	log_debug("detail");
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(log_init("heraldd", "stderr", HERALD_LOG_DEBUG), 0);
	log_notice("not the journal");
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	assert_true(fread(out, 1, sizeof(out) - 1, tmp) > 0);
	fclose(tmp);
	/* LOG_ERR 3, LOG_NOTICE 5, LOG_DEBUG 7 (syslog.h). */
	assert_memory_equal(out, "<3>heraldd[err] store gone\n"
	    "<5>heraldd[notice] ready\n<7>heraldd[debug] detail\n", 77);
	/* Once the stream is not the journal's, the time stamp is back. */
	assert_true(out[77] == '2' && strstr(out + 77, "Z heraldd[notice] "
	    "not the journal\n") != NULL);
}

/*
 * A file target: lines go to the file; after a rename, log_reopen()
 * starts a new file, and the old one holds what came before.
 */
static void
test_file_reopen(void **state)
{
	char dir[] = "/tmp/test_log.XXXXXX", path[64], old[64];
	int saved = dup(2);
	char *a, *b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/h.log", dir);
	snprintf(old, sizeof(old), "%s/h.log.1", dir);
	assert_int_equal(log_reopen(), 0);	/* stderr: nothing to reopen */
	assert_int_equal(log_init("heraldd", path, HERALD_LOG_INFO), 0);
	assert_string_equal(log_file(), path);
	log_notice("line 1");
	assert_int_equal(rename(path, old), 0);
	log_notice("line 2");		/* still the renamed file */
	assert_int_equal(log_reopen(), 1);
	log_notice("line 3");
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	assert_int_equal(log_init("heraldd", "stderr", HERALD_LOG_INFO), 0);
	assert_null(log_file());
	a = slurp(old);
	b = slurp(path);
	assert_non_null(strstr(a, "heraldd[notice] line 1\n"));
	assert_non_null(strstr(a, "heraldd[notice] line 2\n"));
	assert_null(strstr(a, "line 3"));
	assert_non_null(strstr(b, "heraldd[notice] line 3\n"));
	assert_null(strstr(b, "line 1"));
	free(a);
	free(b);
	/* A file that cannot be opened keeps the old target. */
	assert_int_equal(log_init("heraldd", "/nonexistent-dir/h.log",
	    HERALD_LOG_INFO), -1);
	assert_null(log_file());
	unlink(path);
	unlink(old);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_control_bytes_escaped),
	cmocka_unit_test(test_utf8_intact),
	cmocka_unit_test(test_long_line),
	cmocka_unit_test(test_journal_priority),
	cmocka_unit_test(test_file_reopen),
};

UNIT_MAIN(tests)
