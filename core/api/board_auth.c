/*
 * board_auth.c - who may see the board: the session cookie, the CSRF
 * token and the login limiter (board_internal.h); the password itself
 * is checked by board_check.c.
 *
 * The cookie is stateless, "EXP.NONCE.MAC": EXP the Unix second it
 * expires, NONCE 16 random bytes, MAC = HMAC-SHA256 over "s:EXP.NONCE"
 * keyed with the password hash line.  The hash (random salt and all) is
 * a secret of its own, mode 600 like every key file of herald, so it
 * needs no third key file, and a new password (board-passwd, reload)
 * ends every session at once.  What is left out: a server-side list of
 * sessions, so "logout" forgets the cookie in that browser only; the
 * expiry (herald.board.session) bounds a copied cookie.
 *
 * The CSRF token is HMAC("c:NONCE") under the same key: bound to the
 * session, checked on every form the board posts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "api.h"
#include "board_internal.h"
#include "model.h"
#include "tbucket.h"
#include "xmalloc.h"

#define BOARD_NONCE_BYTES	16
/* Failed logins: a burst of 5, then one every 12 s (5 a minute). */
#define BOARD_GUARD_BURST	5
#define BOARD_GUARD_RATE	(1.0 / 12)
/* Peers remembered; the one tried longest ago makes room. */
#define BOARD_GUARD_PEERS	256
/*
 * Password checks of all peers together: crypt(3) runs on the board's
 * one worker (board_check.c; a yescrypt of cost 3, board-passwd's, takes
 * ~50 ms on the 2-core test machine), so at most 2 a second after a
 * burst of 5: many guessing peers cost one core 10% at worst, and the
 * worker's queue stays short.
 */
#define BOARD_GUARD_ALL_BURST	5
#define BOARD_GUARD_ALL_RATE	2.0

/* Unpadded base64url of n bytes into out (4n/3 + 2 bytes). */
static void
board_b64url(const unsigned char *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* base64url(HMAC-SHA256(b's key, msg)) into out (44 bytes at least). */
static void
board_mac(const struct model_board *b, const char *msg, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), b->password_hash, (int)b->password_hash_len,
	    (const unsigned char *)msg, strlen(msg), md, &n);
	board_b64url(md, n, out);
}

/* The CSRF token of the session with nonce into csrf. */
static void
board_csrf(const struct model_board *b, const char *nonce, char *csrf)
{
	char msg[64], mac[64];

	snprintf(msg, sizeof(msg), "c:%s", nonce);
	board_mac(b, msg, mac);
	memcpy(csrf, mac, BOARD_CSRF_LEN);
	csrf[BOARD_CSRF_LEN] = '\0';
}

int
board_session_new(const struct model_board *b, int64_t now, char *out,
    size_t len)
{
	unsigned char raw[BOARD_NONCE_BYTES];
	char nonce[32], msg[96], mac[64];

	if (b->password_hash == NULL || RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	board_b64url(raw, sizeof(raw), nonce);
	snprintf(msg, sizeof(msg), "s:%lld.%s", (long long)(now + b->session),
	    nonce);
	board_mac(b, msg, mac);
	snprintf(out, len, "%s.%s", msg + 2, mac);
	return 0;
}

/* The value of cookie name in a Cookie header into out; 0 or -1. */
static int
board_cookie_value(const char *cookies, const char *name, char *out,
    size_t len)
{
	size_t nl = strlen(name), n;
	const char *p = cookies;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		n = strcspn(p, ";");
		if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (n - nl - 1 >= len)
				return -1;
			memcpy(out, p + nl + 1, n - nl - 1);
			out[n - nl - 1] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

int
board_session_check(const struct model_board *b, const char *cookies,
    int64_t now, char *csrf)
{
	char v[160], msg[200], mac[64], *dot1, *dot2, *end;
	long long exp;

	if (b->password_hash == NULL || cookies == NULL ||
	    board_cookie_value(cookies, BOARD_COOKIE, v, sizeof(v)) == -1)
		return 0;
	if ((dot1 = strchr(v, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return 0;
	*dot2 = '\0';
	exp = strtoll(v, &end, 10);
	if (end != dot1 || exp <= now || dot2 - dot1 - 1 > 32)
		return 0;
	snprintf(msg, sizeof(msg), "s:%s", v);
	board_mac(b, msg, mac);
	if (strlen(dot2 + 1) != strlen(mac) ||
	    CRYPTO_memcmp(mac, dot2 + 1, strlen(mac)) != 0)
		return 0;
	board_csrf(b, dot1 + 1, csrf);
	return 1;
}

struct board_peer {
	char addr[64];
	struct tbucket tb;
	int64_t last_us;
};

struct board_guard {
	struct board_peer peers[BOARD_GUARD_PEERS];
	struct tbucket all;	/* password checks of every peer */
	int all_set;
};

struct board_guard *
board_guard_new(void)
{
	return xcalloc(1, sizeof(struct board_guard));
}

void
board_guard_free(struct board_guard *g)
{
	free(g);
}

/* peer's slot: found, else a fresh one (create) or NULL. */
static struct board_peer *
board_guard_peer(struct board_guard *g, const char *peer, int64_t now_us,
    int create)
{
	struct board_peer *p, *oldest = &g->peers[0];

	for (size_t i = 0; i < BOARD_GUARD_PEERS; i++) {
		p = &g->peers[i];
		if (strcmp(p->addr, peer) == 0)
			return p;
		if (p->last_us < oldest->last_us)
			oldest = p;
	}
	if (!create)
		return NULL;
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", peer);
	tbucket_init(&oldest->tb, BOARD_GUARD_RATE, BOARD_GUARD_BURST, now_us);
	oldest->last_us = now_us;
	return oldest;
}

int64_t
board_guard_admit(struct board_guard *g, const char *peer, int64_t now_us)
{
	struct board_peer *p;
	double level;

	if (g == NULL)
		return 0;
	/* A token must be there to spend on a failure: wait for one. */
	if ((p = board_guard_peer(g, peer, now_us, 0)) != NULL &&
	    (level = tbucket_level(&p->tb, now_us)) < 1.0)
		return (int64_t)((1.0 - level) * 1e6 / BOARD_GUARD_RATE) + 1;
	if (!g->all_set) {
		tbucket_init(&g->all, BOARD_GUARD_ALL_RATE,
		    BOARD_GUARD_ALL_BURST, now_us);
		g->all_set = 1;
	}
	return tbucket_take(&g->all, now_us);
}

void
board_guard_fail(struct board_guard *g, const char *peer, int64_t now_us)
{
	struct board_peer *p;

	if (g == NULL)
		return;
	p = board_guard_peer(g, peer, now_us, 1);
	p->last_us = now_us;
	(void)tbucket_take(&p->tb, now_us);
}

void
board_guard_pass(struct board_guard *g, const char *peer, int64_t now_us)
{
	struct board_peer *p;

	if (g == NULL || (p = board_guard_peer(g, peer, now_us, 0)) == NULL)
		return;
	tbucket_give(&p->tb);
}
