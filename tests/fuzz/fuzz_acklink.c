/*
 * fuzz_acklink.c - acklink_verify() on arbitrary tokens.
 *
 * The token arrives in the path of a public, unauthenticated request
 * (GET /a/TOKEN), so it is the most exposed parser herald has.  Besides
 * not crashing, a token that verifies must be the one acklink_token()
 * makes for the key it names: one spelling per key, or a link could be
 * forged by re-spelling a real one.  The input's first 16 bytes are also
 * taken as a UUID to check the other direction, that every token
 * acklink_token() makes verifies to its key, which random tokens alone
 * would almost never reach (they need a matching MAC).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "acklink.h"

#define SECRET	"s3cret-ack-key"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_acklink: %s: \"%s\" vs \"%s\"\n", what, a, b);
	abort();
}

/* Whatever verifies must round-trip through acklink_token(). */
static void
fuzz_verify(const char *token)
{
	char key[JOB_KEY_LEN], again[ACKLINK_TOKEN_LEN + 1];

	if (acklink_verify(SECRET, strlen(SECRET), token, key) == -1)
		return;
	if (strnlen(key, JOB_KEY_LEN) != JOB_KEY_LEN - 1)
		fuzz_fail("key of wrong length", token, "");
	if (acklink_token(SECRET, strlen(SECRET), key, again) == -1)
		fuzz_fail("verified key is not a UUID", token, key);
	if (strcmp(again, token) != 0)
		fuzz_fail("accepted a second spelling", token, again);
}

/* Every token made from a UUID must verify to that UUID. */
static void
fuzz_make(const uint8_t *data, size_t size)
{
	uuid_t u;
	char text[JOB_KEY_LEN], key[JOB_KEY_LEN];
	char token[ACKLINK_TOKEN_LEN + 1];

	if (size < sizeof(u))
		return;
	memcpy(u, data, sizeof(u));
	uuid_unparse_lower(u, text);
	if (acklink_token(SECRET, strlen(SECRET), text, token) == -1)
		fuzz_fail("no token for", text, "");
	if (strlen(token) != ACKLINK_TOKEN_LEN)
		fuzz_fail("token of wrong length", text, token);
	if (acklink_verify(SECRET, strlen(SECRET), token, key) == -1)
		fuzz_fail("own token refused", text, token);
	if (strcmp(key, text) != 0)
		fuzz_fail("own token names another key", text, key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token;

	/* Tokens reach acklink_verify() as C strings. */
	if ((token = malloc(size + 1)) == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	fuzz_verify(token);
	free(token);
	fuzz_make(data, size);
	return 0;
}
