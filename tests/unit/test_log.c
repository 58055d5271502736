/* test_log.c - every log line escapes control bytes (issue 12, defect 4). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_control_bytes_escaped),
	cmocka_unit_test(test_utf8_intact),
	cmocka_unit_test(test_long_line),
};

UNIT_MAIN(tests)
