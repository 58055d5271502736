/*
 * acklink.c - signed acknowledgement links (see acklink.h).
 *
 * OpenSSL's HMAC and CRYPTO_memcmp; base64url by hand because OpenSSL's
 * EVP encoder only does the padded, '+/' alphabet and the conversion is
 * a dozen lines.
 */
#include "acklink.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <uuid/uuid.h>

#include "xmalloc.h"

#define ACKLINK_KEY_B64	22	/* 16 bytes */
#define ACKLINK_MAC_BYTES 12
#define ACKLINK_MAC_B64	16	/* 12 bytes */

static const char acklink_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64url of n bytes into out (NUL-terminated). */
static void
acklink_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];

		out[o++] = acklink_b64[v >> 18 & 63];
		out[o++] = acklink_b64[v >> 12 & 63];
		out[o++] = acklink_b64[v >> 6 & 63];
		out[o++] = acklink_b64[v & 63];
	}
	if (n - i == 1) {
		out[o++] = acklink_b64[in[i] >> 2];
		out[o++] = acklink_b64[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 8 | in[i + 1];

		out[o++] = acklink_b64[v >> 10 & 63];
		out[o++] = acklink_b64[v >> 4 & 63];
		out[o++] = acklink_b64[(v & 15) << 2];
	}
	out[o] = '\0';
}

/* Decode exactly len characters into n bytes; -1 on a bad character or
 * stray low bits (so each byte string has one spelling). */
static int
acklink_decode(const char *in, size_t len, unsigned char *out, size_t n)
{
	unsigned v = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		const char *p = in[i] != '\0' ? strchr(acklink_b64, in[i]) :
		    NULL;

		if (p == NULL)
			return -1;
		v = v << 6 | (unsigned)(p - acklink_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == n)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return o == n && v == 0 ? 0 : -1;
}

static void
acklink_mac(const char *secret, size_t secret_len, const char *key,
    unsigned char mac[EVP_MAX_MD_SIZE])
{
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), secret, (int)secret_len,
	    (const unsigned char *)key, strlen(key), mac, &maclen);
}

int
acklink_token(const char *secret, size_t secret_len, const char *key,
    char out[ACKLINK_TOKEN_LEN + 1])
{
	uuid_t u;
	unsigned char mac[EVP_MAX_MD_SIZE];

	if (strlen(key) != JOB_KEY_LEN - 1 || uuid_parse(key, u) == -1)
		return -1;
	acklink_encode(u, sizeof(u), out);
	acklink_mac(secret, secret_len, key, mac);
	acklink_encode(mac, ACKLINK_MAC_BYTES, out + ACKLINK_KEY_B64);
	return 0;
}

int
acklink_verify(const char *secret, size_t secret_len, const char *token,
    char key[JOB_KEY_LEN])
{
	uuid_t u;
	unsigned char mac[EVP_MAX_MD_SIZE], given[ACKLINK_MAC_BYTES];
	char text[JOB_KEY_LEN];

	if (secret == NULL || strlen(token) != ACKLINK_TOKEN_LEN ||
	    acklink_decode(token, ACKLINK_KEY_B64, u, sizeof(u)) == -1 ||
	    acklink_decode(token + ACKLINK_KEY_B64, ACKLINK_MAC_B64, given,
	    sizeof(given)) == -1)
		return -1;
	uuid_unparse_lower(u, text);
	acklink_mac(secret, secret_len, text, mac);
	if (CRYPTO_memcmp(mac, given, ACKLINK_MAC_BYTES) != 0)
		return -1;
	memcpy(key, text, JOB_KEY_LEN);
	return 0;
}

char *
acklink_url(const char *public_url, const char *secret, size_t secret_len,
    const char *key)
{
	char token[ACKLINK_TOKEN_LEN + 1];
	size_t n = strlen(public_url);

	if (acklink_token(secret, secret_len, key, token) == -1)
		return NULL;
	/* "https://x.gov.cn/" and "https://x.gov.cn" give the same link. */
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/a/%s", (int)n, public_url, token);
}
