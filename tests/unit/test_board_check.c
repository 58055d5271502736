/*
 * test_board_check.c - the board's password check (core/api/board_check.c):
 * right and wrong passwords against a yescrypt hash made here with
 * libxcrypt, the check run on a worker and its answer on the loop
 * thread, the caller's copies free to go at once, and the synchronous
 * form without a pool.
 */
#include "unit.h"

#include <crypt.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <threads.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "board_internal.h"
#include "workpool.h"

struct answer {
	int ok;
	int calls;
	int off_loop;		/* done seen off the loop thread: a bug */
	thrd_t loop;
	struct event_base *base;
};

static void
answer_done(int ok, void *arg)
{
	struct answer *a = arg;

	a->ok = ok;
	a->calls++;
	if (!thrd_equal(thrd_current(), a->loop))
		a->off_loop++;
	if (a->base != NULL)
		event_base_loopbreak(a->base);
}

/* A yescrypt hash of pw into out (CRYPT_OUTPUT_SIZE). */
static void
make_hash(const char *pw, char *out)
{
	struct crypt_data cd;
	const char *salt, *h;

	memset(&cd, 0, sizeof(cd));
	salt = crypt_gensalt("$y$", 0, NULL, 0);
	assert_non_null(salt);
	h = crypt_r(pw, salt, &cd);
	assert_non_null(h);
	assert_true(h[0] == '$');
	strcpy(out, h);
}

static void
test_matches(void **state)
{
	char h[CRYPT_OUTPUT_SIZE];

	(void)state;
	make_hash("正确 horse 9", h);
	assert_int_equal(board_password_matches(h, strlen(h), "正确 horse 9"),
	    1);
	assert_int_equal(board_password_matches(h, strlen(h), "正确 horse 8"),
	    0);
	assert_int_equal(board_password_matches(h, strlen(h), NULL), 0);
	assert_int_equal(board_password_matches(NULL, 0, "x"), 0);
	/* A hash cut short never matches, even for its password. */
	assert_int_equal(board_password_matches(h, strlen(h) - 1,
	    "正确 horse 9"), 0);
	assert_int_equal(board_password_matches("*0", 2, "x"), 0);
}

/* One check on the pool: the answer comes on the loop, once. */
static int
check_on_pool(struct workpool *wp, struct answer *a, const char *hash,
    const char *password)
{
	char hcopy[CRYPT_OUTPUT_SIZE], pcopy[64];
	struct timeval limit = { 30, 0 };

	a->calls = 0;
	a->ok = -1;
	snprintf(hcopy, sizeof(hcopy), "%s", hash);
	snprintf(pcopy, sizeof(pcopy), "%s", password);
	assert_int_equal(board_check_start(wp, hcopy, strlen(hcopy), pcopy,
	    answer_done, a), 0);
	/* The check holds copies: the caller's strings may go now. */
	memset(hcopy, 'x', sizeof(hcopy) - 1);
	memset(pcopy, 'x', sizeof(pcopy) - 1);
	assert_int_equal(a->calls, 0);
	/* The pool's event is only ever made active, never added: keep
	 * looping with nothing added, bounded by a timer. */
	event_base_loopexit(a->base, &limit);
	event_base_loop(a->base, EVLOOP_NO_EXIT_ON_EMPTY);
	assert_int_equal(a->calls, 1);
	assert_int_equal(a->off_loop, 0);
	return a->ok;
}

static void
test_on_worker(void **state)
{
	struct answer a = { 0 };
	struct workpool *wp = NULL;
	char h[CRYPT_OUTPUT_SIZE], err[128];

	(void)state;
	make_hash("board password", h);
	assert_int_equal(evthread_use_pthreads(), 0);
	a.base = event_base_new();
	assert_non_null(a.base);
	a.loop = thrd_current();
	assert_int_equal(workpool_new(a.base, 1, "test-work", &wp, err,
	    sizeof(err)), 0);
	assert_int_equal(check_on_pool(wp, &a, h, "board password"), 1);
	assert_int_equal(check_on_pool(wp, &a, h, "board passwore"), 0);
	workpool_free(wp);
	event_base_free(a.base);
}

static void
test_without_pool(void **state)
{
	struct answer a = { 0 };
	char h[CRYPT_OUTPUT_SIZE];

	(void)state;
	make_hash("board password", h);
	a.loop = thrd_current();
	assert_int_equal(board_check_start(NULL, h, strlen(h),
	    "board password", answer_done, &a), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.ok, 1);
	assert_int_equal(board_check_start(NULL, h, strlen(h), NULL,
	    answer_done, &a), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.ok, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_matches),
	cmocka_unit_test(test_on_worker),
	cmocka_unit_test(test_without_pool),
};

UNIT_MAIN(tests)
