/*
 * sign.h - the webhook plugin's pure functions: robot signatures, URL
 * encoding and message splitting.  No I/O and no host services, so the
 * unit tests compile this file in and check it against VENDORS.md.
 */
#ifndef HERALD_WEBHOOK_SIGN_H
#define HERALD_WEBHOOK_SIGN_H

#include <stddef.h>

/* Base64 of HMAC-SHA256 is 44 characters; URL-encoded at most 3 times. */
#define WEBHOOK_SIGN_MAX 160

/*
 * DingTalk 加签: HMAC-SHA256(key = secret, message = ts_ms "\n" secret),
 * standard Base64, URL-encoded once.  Writes the query value (and, when
 * b64 is not NULL, the plain Base64) to out.  Returns 0 or -1.
 */
int webhook_sign_dingtalk(const char *secret, long long ts_ms, char *out,
    size_t outlen, char *b64, size_t b64len);

/*
 * Feishu 签名校验: HMAC-SHA256(key = ts_s "\n" secret, message = ""),
 * standard Base64, not URL-encoded.  Returns 0 or -1.
 */
int webhook_sign_feishu(const char *secret, long long ts_s, char *out,
    size_t outlen);

/* "sha256=" and the lowercase hex HMAC-SHA256 of body under secret. */
int webhook_sign_generic(const char *secret, const void *body, size_t len,
    char *out, size_t outlen);

/*
 * Percent-encode everything but RFC 3986 unreserved characters.  Returns
 * the length written, or -1 when out is too small.
 */
int webhook_url_encode(const char *in, char *out, size_t outlen);

/*
 * Length in bytes of the first part of s[0..len) when no part may exceed
 * max bytes (max >= 4): all of it when it fits; else the longest prefix
 * ending after a newline, else after a sentence end (。！？ or ASCII
 * . ! ? before a space), preferring cuts in the second half of the
 * window; else the longest prefix that ends on a UTF-8 character
 * boundary.  Never 0 for len > 0.  Parts concatenate back to s exactly.
 */
size_t webhook_split_next(const char *s, size_t len, size_t max);

#endif
