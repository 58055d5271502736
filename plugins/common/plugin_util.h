/*
 * plugin_util.h - small helpers the bundled channel plugins share.
 *
 * Plugins never link daemon symbols, so this file is compiled into each
 * plugin that uses it rather than into libherald.
 */
#ifndef HERALD_PLUGIN_UTIL_H
#define HERALD_PLUGIN_UTIL_H

#include <stddef.h>

#include "herald-plugin.h"

/*
 * The outcome of an HTTP request that timed out (resp->timed_out):
 * HERALD_TRANSIENT when nothing was sent (a connect timeout) or the host
 * is older than ABI minor 4 (it knows neither resp->request_sent nor the
 * timeout outcomes); otherwise HERALD_TIMED_OUT when the peer drops
 * repeats of the job key (peer_dedupes), else HERALD_UNCERTAIN.
 */
enum herald_outcome plugin_timeout_outcome(const struct herald_host *host,
    const struct herald_http_response *resp, int peer_dedupes);

/*
 * The first line of a secret file (password, robot key).  Caller owns the
 * result and should wipe it before freeing; NULL with a reason in err,
 * which names the file but never its content.
 */
char *plugin_read_secret(const char *path, char *err, size_t errlen);

/* p resolved against the config's directory unless absolute.  Caller
 * frees; NULL when out of memory. */
char *plugin_path(const struct herald_channel_conf *conf, const char *p);

/*
 * plugin_read_secret() of the file a setting names (p, resolved by
 * plugin_path()).  Caller owns the result and should wipe it before
 * freeing; NULL with a reason in err ("out of memory" when the path
 * could not be built).
 */
char *plugin_read_conf_secret(const struct herald_channel_conf *conf,
    const char *p, char *err, size_t errlen);

/* Does the URL start with http:// or https://? */
int plugin_url_is_http(const char *u);

/*
 * A growing NUL-terminated string.  An append that runs out of memory
 * sets failed and makes every later append a no-op, so a builder checks
 * once at the end.  Start from { 0 }; the caller frees s.
 */
struct plugin_buf {
	char *s;
	size_t len, cap;
	int failed;
};
void plugin_buf_add(struct plugin_buf *b, const char *s, size_t n);
void plugin_buf_str(struct plugin_buf *b, const char *s);
/* n bytes of s percent-encoded: everything but RFC 3986 unreserved. */
void plugin_buf_urlenc(struct plugin_buf *b, const char *s, size_t n);
/*
 * n bytes of s as a JSON string, or null when s is NULL, escaped exactly
 * as jansson's json_dumps(JSON_COMPACT) escapes them (test_webhook_sign
 * compares the bytes).  -1 when s is not UTF-8, as json_string() would
 * refuse it; b then holds part of it.
 */
int plugin_buf_json_str(struct plugin_buf *b, const char *s, size_t n);
/* A member "key": then v as plugin_buf_json_str() writes it, after a
 * comma unless b holds only the object's "{"; -1 when v is not UTF-8. */
int plugin_buf_json_member(struct plugin_buf *b, const char *key,
    const char *v, size_t n);

#endif
