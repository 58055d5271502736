/*
 * board_check.c - the board's password check, off the event loop
 * (board_internal.h).
 *
 * crypt(3) with board-passwd's yescrypt takes ~50 ms on the 2-core test
 * machine, a bcrypt of cost 12 several times that: on the loop thread a
 * burst of logins stalled every delivery, timer and API request behind
 * it.  So the hash runs on a worker of the board's own pool (one thread:
 * checks queue in the order they came, and the login limiter,
 * board_guard_admit(), already bounds how many can queue), and the
 * answer is made on the loop when it returns.
 *
 * The worker touches copies only: the password and the hash (a reload
 * may free the model's) are copied here and wiped when done.  Left out:
 * cancelling a check whose client went away (crypt cannot be
 * interrupted, and the reply to a gone connection is dropped by evhttp).
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "board_internal.h"
#include "workpool.h"
#include "xmalloc.h"

struct board_check {
	char *hash;
	size_t hash_len;
	char *password;
	int ok;
	void (*done)(int ok, void *arg);
	void *arg;
};

int
board_password_matches(const char *hash, size_t hash_len,
    const char *password)
{
	struct crypt_data *cd;
	const char *h;
	int ok;

	if (hash == NULL || password == NULL)
		return 0;
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, hash, cd);
	/* A failed crypt_r gives NULL or a string starting with '*'. */
	ok = h != NULL && h[0] != '*' && strlen(h) == hash_len &&
	    CRYPTO_memcmp(h, hash, hash_len) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* On the worker: nothing but the copies in c. */
static void
board_check_work(void *arg)
{
	struct board_check *c = arg;

	c->ok = board_password_matches(c->hash, c->hash_len, c->password);
}

/* On the loop: hand the answer over, wipe and free the copies. */
static void
board_check_done(void *arg)
{
	struct board_check *c = arg;

	c->done(c->ok, c->arg);
	explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->hash);
	free(c);
}

int
board_check_start(struct workpool *wp, const char *hash, size_t hash_len,
    const char *password, void (*done)(int ok, void *arg), void *arg)
{
	struct board_check *c;

	if (wp == NULL) {
		done(board_password_matches(hash, hash_len, password), arg);
		return 0;
	}
	c = xcalloc(1, sizeof(*c));
	/* No password field: nothing to check against, so no match, even
	 * where "" were the password. */
	c->hash = hash != NULL && password != NULL ? xstrdup(hash) : NULL;
	c->hash_len = hash_len;
	c->password = xstrdup(password != NULL ? password : "");
	c->done = done;
	c->arg = arg;
	if (workpool_submit(wp, board_check_work, board_check_done, c) ==
	    -1) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
		free(c->hash);
		free(c);
		return -1;
	}
	return 0;
}
