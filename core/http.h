/*
 * http.h - the asynchronous HTTP client lent to plugins as host->http.
 *
 * libcurl's multi handles driven by an event loop of the client's own,
 * on one I/O thread (curl's hiperfifo pattern), one handle per origin
 * and 64 requests in flight: connections are kept and reused across
 * requests (a handle's cache holds one per request that has been in
 * flight on it at once), HTTPS trusts the system CAs, and no request
 * ever blocks the caller's loop.  Every function here is for the
 * caller's loop thread, and every done() runs there.  The contract of
 * http_client_start() is the one of host->http in herald-plugin.h.
 *
 * curl_global_init() must have run (main() does it before any thread).
 */
#ifndef HERALD_HTTP_H
#define HERALD_HTTP_H

#include <stddef.h>

#include "herald-plugin.h"

struct event_base;
struct http_client;

typedef void (*http_done_fn)(void *arg, const struct herald_http_response *resp);

/*
 * A client whose callbacks run on base, with its I/O thread started.  On
 * success *out is owned by the caller (http_client_free()); on failure
 * returns -1 with a reason in err.  base has an event of the client's
 * only while requests are outstanding.
 */
int http_client_new(struct event_base *base, struct http_client **out,
    char *err, size_t errlen);

/*
 * Start req; everything it points to is copied.  done(arg, resp) runs
 * exactly once on the loop thread, never before this returns.  Returns 0,
 * or -1 with a reason in err when the request is refused at once (a bad
 * method, no URL, the client closing): then done never runs.  A request
 * libcurl cannot set up ends in done() with status 0 and the reason.
 */
int http_client_start(struct http_client *hc,
    const struct herald_http_request *req, http_done_fn done, void *arg,
    char *err, size_t errlen);

/*
 * Make sure up to n connections to url's host and port wait, opened ahead
 * of the requests that will use them (a launch's sends at its instant):
 * the requests then skip the TCP handshake.  Connections already waiting
 * in the pool count; each is closed after 30 s unused or when the peer
 * closes it.  Never blocks: the connections are made on the client's
 * thread.  A numeric http:// host is connected to at once; a host name
 * (and any https:// URL) first gets a warm-up transfer that libcurl
 * resolves and connects, and the pool then opens its connections to
 * the address libcurl picked.  A host that cannot be resolved or reached
 * warms nothing, silently: the requests will say why.  For https:// the
 * warm-up also makes the TLS handshake, verified against ca_file (NULL:
 * the system CAs), and its session is resumed by the requests' pooled
 * connections when they use the same CA file.  Returns 0, or -1 with a
 * reason in err when the client is closing; what cannot be opened (no
 * descriptor left) is not reported: the requests connect themselves.
 */
int http_client_warm(struct http_client *hc, const char *url,
    const char *ca_file, unsigned n, char *err, size_t errlen);

/* Connections in the warm pool that are connected and unused (tests). */
size_t http_client_warm_ready(const struct http_client *hc);

/* Warm-up transfers not ended yet, an https:// one's wait for its
 * session tickets included (tests). */
size_t http_client_warming(const struct http_client *hc);

/* Requests started whose done() has not run yet. */
size_t http_client_pending(const struct http_client *hc);

/*
 * How long an origin's multi handle stays with nothing in flight before
 * it is freed with its connections, at the next request or warm-up
 * (default 120 s: libcurl reuses no connection idle longer).  For tests.
 */
void http_client_set_idle_s(struct http_client *hc, unsigned s);

/*
 * Fail every outstanding request (done() runs with status 0 and the error
 * "cancelled: ..."), then free the client.  From the loop thread, never
 * from inside a done() callback.  Accepts NULL.
 */
void http_client_free(struct http_client *hc);

/*
 * Parse a Retry-After value: delta-seconds or an HTTP-date (relative to
 * now, Unix seconds).  Returns milliseconds, 0 when absent, malformed or
 * in the past.  Capped at one day.
 */
unsigned http_parse_retry_after(const char *v, long long now);

#endif
