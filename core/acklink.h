/*
 * acklink.h - signed acknowledgement links ({{ack_url}}).
 *
 * A link is PUBLIC_URL/a/TOKEN, where TOKEN is the job key's 16 UUID bytes
 * and the first 12 bytes of HMAC-SHA256(ack secret, key text), both in
 * unpadded base64url: 22 + 16 = 38 characters.  The key travels in the
 * token so the server keeps no table of links; the MAC makes it
 * unforgeable without the secret.  Short, because it rides in SMS.
 */
#ifndef HERALD_ACKLINK_H
#define HERALD_ACKLINK_H

#include <stddef.h>

#include "job.h"

#define ACKLINK_TOKEN_LEN 38

/* The token of key (a 36-character UUID) into out (ACKLINK_TOKEN_LEN + 1
 * bytes).  Returns 0, or -1 when key is not a UUID. */
int acklink_token(const char *secret, size_t secret_len, const char *key,
    char out[ACKLINK_TOKEN_LEN + 1]);

/*
 * Check token against secret in constant time; on success write the job
 * key it names into key and return 0.  -1 for anything else (wrong
 * length, bad characters, a MAC that does not match).
 */
int acklink_verify(const char *secret, size_t secret_len, const char *token,
    char key[JOB_KEY_LEN]);

/* PUBLIC_URL/a/TOKEN for key; caller frees.  NULL when key is not a UUID. */
char *acklink_url(const char *public_url, const char *secret,
    size_t secret_len, const char *key);

#endif
