/*
 * test_acklink.c - signed acknowledgement links: the token layout of
 * doc/api.txt (vector computed with Python's hmac, hashlib and base64),
 * verification, and forgeries that must fail.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "acklink.h"

#define SECRET	"s3cret-ack-key"
#define KEY	"6f1c2d3e-4a5b-5c6d-8e7f-0123456789ab"
/*
 * base64url(uuid bytes) + base64url(HMAC-SHA256(SECRET, KEY)[:12]), from
 *   import hmac, hashlib, base64, uuid
 *   b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
 *   b(uuid.UUID(KEY).bytes) + b(hmac.new(SECRET, KEY, hashlib.sha256)
 *       .digest()[:12])
 */
#define TOKEN	"bxwtPkpbXG2OfwEjRWeJqwDDLjXTPMIPE6dfUu"

static void
test_token_vector(void **state)
{
	char tok[ACKLINK_TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(acklink_token(SECRET, strlen(SECRET), KEY, tok), 0);
	assert_string_equal(tok, TOKEN);
	assert_int_equal(strlen(tok), ACKLINK_TOKEN_LEN);
	assert_int_equal(acklink_token(SECRET, strlen(SECRET), "not-a-key",
	    tok), -1);
}

static void
test_verify(void **state)
{
	char key[JOB_KEY_LEN];

	(void)state;
	assert_int_equal(acklink_verify(SECRET, strlen(SECRET), TOKEN, key),
	    0);
	assert_string_equal(key, KEY);
}

static void
test_forgeries(void **state)
{
	char key[JOB_KEY_LEN], t[ACKLINK_TOKEN_LEN + 2];
	size_t i;

	(void)state;
	/* Another secret. */
	assert_int_equal(acklink_verify("other", 5, TOKEN, key), -1);
	assert_int_equal(acklink_verify(NULL, 0, TOKEN, key), -1);
	/* Every single-character change, in the key part and the MAC. */
	for (i = 0; i < ACKLINK_TOKEN_LEN; i++) {
		strcpy(t, TOKEN);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		assert_int_equal(acklink_verify(SECRET, strlen(SECRET), t,
		    key), -1);
	}
	/* Truncated, extended, characters outside base64url. */
	assert_int_equal(acklink_verify(SECRET, strlen(SECRET), "bxwt", key),
	    -1);
	strcpy(t, TOKEN);
	strcat(t, "A");
	assert_int_equal(acklink_verify(SECRET, strlen(SECRET), t, key), -1);
	strcpy(t, TOKEN);
	t[5] = '+';
	assert_int_equal(acklink_verify(SECRET, strlen(SECRET), t, key), -1);
	/* The last MAC character carries 2 spare bits: another spelling of
	 * the same bytes is refused too ('u' = 46, 'v' = 47 differ only in
	 * the spare bits). */
	strcpy(t, TOKEN);
	t[ACKLINK_TOKEN_LEN - 1] = 'v';
	assert_int_equal(acklink_verify(SECRET, strlen(SECRET), t, key), -1);
}

static void
test_url(void **state)
{
	char *u;

	(void)state;
	u = acklink_url("https://herald.example.gov.cn/", SECRET,
	    strlen(SECRET), KEY);
	assert_string_equal(u, "https://herald.example.gov.cn/a/" TOKEN);
	free(u);
	u = acklink_url("http://127.0.0.1:8025", SECRET, strlen(SECRET), KEY);
	assert_string_equal(u, "http://127.0.0.1:8025/a/" TOKEN);
	free(u);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_token_vector),
	cmocka_unit_test(test_verify),
	cmocka_unit_test(test_forgeries),
	cmocka_unit_test(test_url),
};

UNIT_MAIN(tests)
