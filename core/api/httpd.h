/*
 * httpd.h - heraldd's own small HTTP server (herald.listen).
 *
 * libevent's evhttp on the daemon's loop, bound to one loopback address by
 * default.  Handlers register by path: a route whose path ends in "/"
 * matches every path below it, any other matches exactly.  Unknown paths
 * answer 404 and known paths with another method 405, both as JSON
 * ({"error": "..."}), so the control API (issue 6) and the delivery-report
 * endpoint (dlr.c) share one server and one error format.
 */
#ifndef HERALD_HTTPD_H
#define HERALD_HTTPD_H

#include <stddef.h>

struct event_base;
struct evhttp_request;
struct httpd;

/* A handler answers req (httpd_reply_*) before it returns. */
typedef void (*httpd_handler_fn)(struct evhttp_request *req, void *arg);

/*
 * Listen on "HOST:PORT" or "[IPV6]:PORT" (port 0: any free port, for
 * tests).  Caller owns *out (httpd_free()).  Returns 0, or -1 with a
 * reason in err.
 */
int httpd_open(struct event_base *base, const char *listen, struct httpd **out,
    char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int httpd_port(const struct httpd *h);
/* "HOST:PORT" as bound (the real port with port 0).  Borrowed. */
const char *httpd_address(const struct httpd *h);

/*
 * Bodies over max bytes get 413.  Handlers see bodies up to four times
 * max, so that they can answer 413 in JSON (api_body()); beyond that
 * libevent refuses the request itself before reading it.
 */
void httpd_set_max_body(struct httpd *h, size_t max);

/*
 * What one client may hold (herald.conf(5)): a request must arrive whole
 * within request_timeout_s of the connection's opening or of the previous
 * request; at most max_conns connections (never more than half the soft
 * descriptor limit) and max_per_peer from one address.  httpd_open sets
 * the documented defaults; a reload may call this again.
 */
void httpd_set_limits(struct httpd *h, int request_timeout_s, size_t max_conns,
    size_t max_per_peer);

/*
 * Route method ("GET"...; NULL: any) and path to fn(req, arg).  arg is
 * borrowed until httpd_free().  Returns 0, or -1 when the table is full.
 */
int httpd_route(struct httpd *h, const char *method, const char *path,
    httpd_handler_fn fn, void *arg);

/* Answer code with the JSON text json (a compact object). */
void httpd_reply_json(struct evhttp_request *req, int code, const char *json);
/* Answer code with {"error": message}. */
void httpd_reply_error(struct evhttp_request *req, int code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Close the socket and free.  Accepts NULL. */
void httpd_free(struct httpd *h);

#endif
