/*
 * http_io.h - the HTTP client's libcurl side, private to http.c.
 *
 * http_io.c drives libcurl's multi handles on one event base, the one of
 * the client's I/O thread (http.c): every function here but
 * http_req_new(), http_req_free(), http_io_warm_ready(),
 * http_io_warming() and http_io_set_idle_s() runs on that thread only.  A request record is made on the loop thread, handed to
 * the I/O thread, and handed back, answered, through the client's
 * finished callback; the loop thread then runs its done() and frees it.
 */
#ifndef HERALD_HTTP_IO_H
#define HERALD_HTTP_IO_H

#include <stddef.h>

#include <curl/curl.h>

#include "http.h"

struct event;
struct event_base;
struct http_io;
struct http_multi;

/*
 * A request, or a warm-up.  What it copies from the caller (the URL,
 * method, body, CA file and headers) is in the same allocation, after
 * the struct (http_req_new()).  Owned by whichever thread has it: the
 * loop's until it is queued, the I/O thread's while its transfer runs,
 * the loop's again once finished.
 */
struct http_req {
	struct http_io *io;
	struct http_multi *m;		/* the handle it was added to */
	CURL *easy;
	struct curl_slist *headers;	/* nodes of ours: never freed alone */
	const char *url;
	const char *method;
	const char *body;
	size_t body_len;
	const char *ca_file;
	unsigned timeout_ms;
	http_done_fn done;		/* NULL for a warm-up */
	void *arg;
	unsigned warm_n;		/* a warm-up: connections wanted */
	struct event *linger;		/* a warm-up waiting for tickets */

	char *resp;			/* NUL-terminated answer body */
	size_t resp_len, resp_cap;
	unsigned retry_after_ms;
	char errbuf[CURL_ERROR_SIZE];
	/* The answer as done() gets it, filled when the transfer ends;
	 * its strings point into this record. */
	struct herald_http_response answer;
	char *content_type;

	struct http_req *prev, *next;	/* a list of the I/O thread's, or
					 * a queue between the threads */
};

/* r has ended (answer filled, no easy handle left); called on the I/O
 * thread, which gives r up. */
typedef void (*http_io_finished_fn)(void *arg, struct http_req *r);

/*
 * A record for req with its copies (a warm-up's: its URL and CA file
 * only); NULL when the sizes overflow.  Any thread; the caller owns the
 * result.
 */
struct http_req *http_req_new(const struct herald_http_request *req);

/* Free r, which holds no easy handle (any thread); accepts NULL. */
void http_req_free(struct http_req *r);

/*
 * libcurl's side of a client, on base; finished(arg, r) gets every
 * request that ends.  On success *out is the caller's (http_io_free());
 * on failure -1 with a reason in err.
 */
int http_io_new(struct event_base *base, http_io_finished_fn finished,
    void *arg, struct http_io **out, char *err, size_t errlen);

/* Start r (a request: done set); one that cannot start is finished at
 * once with the reason as its error.  r is taken. */
void http_io_start(struct http_io *io, struct http_req *r);

/*
 * Run now what libcurl asked to run "now" (the transfers just started),
 * rather than from the loop when the caller returns to it.
 */
void http_io_run_due(struct http_io *io);

/* http_client_warm() on this side; a failure warms nothing, silently. */
void http_io_warm(struct http_io *io, const char *url, const char *ca_file,
    unsigned n);

/* Ready pool connections, and warm-ups not ended: any thread (tests). */
size_t http_io_warm_ready(const struct http_io *io);
size_t http_io_warming(const struct http_io *io);

/* Any thread: the idle time after which an origin's handle is freed. */
void http_io_set_idle_s(struct http_io *io, unsigned s);

/*
 * Finish every outstanding request with the error "cancelled: the HTTP
 * client is closing", close the connections and free io.  Accepts NULL.
 */
void http_io_free(struct http_io *io);

#endif
