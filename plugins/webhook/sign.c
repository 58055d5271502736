/*
 * sign.c - robot signatures and message splitting for the webhook plugin.
 *
 * The signature recipes differ only in which side is the key, and mixing
 * them up is the classic bug (VENDORS.md §2-3): DingTalk keys the HMAC
 * with the secret and signs "T\nsecret"; Feishu keys it with "T\nsecret"
 * and signs nothing.  DingTalk's value goes into a URL, so it is encoded
 * here exactly once; Feishu's goes into the JSON body as is.
 */
#include "sign.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int
sign_hmac(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char mac[32])
{
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, mac,
	    &maclen) == NULL || maclen != 32)
		return -1;
	return 0;
}

static int
sign_b64(const unsigned char mac[32], char *out, size_t outlen)
{
	if (outlen < 45)
		return -1;
	/* EVP_EncodeBlock writes standard Base64 with padding and a NUL. */
	return EVP_EncodeBlock((unsigned char *)out, mac, 32) == 44 ? 0 : -1;
}

int
webhook_url_encode(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= outlen)
				return -1;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return (int)n;
}

int
webhook_sign_dingtalk(const char *secret, long long ts_ms, char *out,
    size_t outlen, char *b64out, size_t b64len)
{
	unsigned char mac[32];
	char msg[1024], b64[45];
	int n;

	n = snprintf(msg, sizeof(msg), "%lld\n%s", ts_ms, secret);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	if (sign_hmac(secret, strlen(secret), msg, (size_t)n, mac) == -1 ||
	    sign_b64(mac, b64, sizeof(b64)) == -1 ||
	    webhook_url_encode(b64, out, outlen) < 0)
		return -1;
	if (b64out != NULL) {
		if (b64len < sizeof(b64))
			return -1;
		memcpy(b64out, b64, sizeof(b64));
	}
	return 0;
}

int
webhook_sign_feishu(const char *secret, long long ts_s, char *out,
    size_t outlen)
{
	unsigned char mac[32];
	char key[1024];
	int n;

	n = snprintf(key, sizeof(key), "%lld\n%s", ts_s, secret);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -1;
	/* The empty message is the point: the roles are DingTalk's reversed. */
	if (sign_hmac(key, (size_t)n, "", 0, mac) == -1)
		return -1;
	return sign_b64(mac, out, outlen);
}

int
webhook_sign_generic(const char *secret, const void *body, size_t len,
    char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];
	size_t i;

	if (outlen < sizeof("sha256=") + 64 ||
	    sign_hmac(secret, strlen(secret), body, len, mac) == -1)
		return -1;
	memcpy(out, "sha256=", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[7 + 64] = '\0';
	return 0;
}

/* Does a sentence end at s[i - 1] (the cut would fall at i)? */
static int
split_is_sentence_end(const char *s, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)s;

	/* 。 E3 80 82, ！ EF BC 81, ？ EF BC 9F */
	if (i >= 3 && ((u[i - 3] == 0xE3 && u[i - 2] == 0x80 && u[i - 1] == 0x82) ||
	    (u[i - 3] == 0xEF && u[i - 2] == 0xBC &&
	    (u[i - 1] == 0x81 || u[i - 1] == 0x9F))))
		return 1;
	/* ASCII only before a space, so "3.5" and URLs stay whole. */
	if (i >= 1 && i < len && (s[i - 1] == '.' || s[i - 1] == '!' ||
	    s[i - 1] == '?') && s[i] == ' ')
		return 1;
	return 0;
}

size_t
webhook_split_next(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, nl_any = 0, se_any = 0;

	if (len <= max)
		return len;
	/* Scan the window backwards: the first hit is the longest part. */
	for (i = max; i > 0; i--) {
		if (s[i - 1] == '\n') {
			if (i > max / 2)
				return i;
			if (nl_any == 0)
				nl_any = i;
			break;
		}
		if (se_any == 0 && split_is_sentence_end(s, len, i))
			se_any = i;
	}
	if (se_any > max / 2)
		return se_any;
	if (nl_any > 0 && nl_any >= se_any)
		return nl_any;
	if (se_any > 0)
		return se_any;
	/* No boundary at all: the last character that fits whole. */
	for (i = max; i > 0 && (u[i] & 0xC0) == 0x80; i--)
		;
	return i > 0 ? i : max;
}
