/*
 * http_io.c - libcurl's multi-socket interface driven by an event loop:
 * the client's I/O thread's (http.c), which owns everything here.
 *
 * The shape is curl's docs/examples/hiperfifo.c: libcurl tells us which
 * sockets to watch (http_on_socket: one EV_PERSIST event per socket, kept
 * with curl_multi_assign) and when to wake it (http_on_timer: one
 * evtimer); the loop calls curl_multi_socket_action() back and we collect
 * finished transfers with curl_multi_info_read().  Requests to one
 * origin (scheme, host and port) share a multi handle and its connection
 * cache, up to HTTP_MULTI_REQS of them in flight; more open another
 * handle for that origin (struct http_multi says why).  So connections
 * to the same robot host are reused, a slow peer holds only its own
 * transfers, and no request pays for connections it cannot use.
 *
 * Each request owns a copy of everything the caller passed (URL, headers,
 * body), its easy handle while it runs, and the answer as it arrives;
 * CURLOPT_PRIVATE leads from the easy handle back to it.  Outstanding
 * requests sit on a list so http_io_free() can cancel them: every
 * request started is handed to the finished callback exactly once,
 * answered, failed or cancelled.
 *
 * Connections can be opened ahead of a launch's instant (the warm pool,
 * http_io_warm()): for a host name a connect-only warm-up transfer
 * lets libcurl resolve it, and TLS sessions are kept in one share handle
 * for every easy handle, so a warm-up's session is resumed later.
 *
 * Left out on purpose: redirects (a robot URL that redirects is a config
 * error worth seeing), cookies, and response headers beyond Retry-After
 * and Content-Type, which are all the plugins classify on.
 */
#include "http_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "xmalloc.h"

#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_BODY_MAX (1024 * 1024)	/* answers are small JSON; keep 1 MiB */
/*
 * libcurl's receive buffer, malloc()ed for each transfer and freed when it
 * ends: 16 KB by default, 1 MB for the 64 requests of a launch in flight.
 * A robot's answer and its headers fit in 4 KB; a larger one is read in
 * more calls.
 */
#define HTTP_RECV_BUFFER 4096L
#define HTTP_RETRY_AFTER_MAX_S 86400
/* A pre-opened connection nobody took by then is closed: a launch is
 * staged 5 s ahead, and peers drop idle connections on their own clock. */
#define HTTP_WARM_MAX_AGE_S 30
/* Requests in flight on one multi handle at most (struct http_multi). */
#define HTTP_MULTI_REQS 64
/* A multi handle idle this long is freed with its connections: libcurl
 * 7.88 reuses none idle for longer (CURLOPT_MAXAGE_CONN's 118 s). */
#define HTTP_MULTI_IDLE_S 120

struct http_io {
	struct event_base *base;	/* the I/O thread's */
	http_io_finished_fn finished;
	void *finished_arg;
	struct http_multi *multis;	/* oldest first */
	CURLSH *share;			/* TLS sessions and DNS, for all */
	struct http_req *reqs;		/* outstanding, doubly linked */
	struct http_req *warmups;	/* warm-up transfers in flight */
	struct http_sock **socks;	/* by descriptor; NULL: never watched */
	size_t n_socks;
	size_t max_conns;		/* the multis' MAXCONNECTS, summed */
	time_t swept;			/* when idle multis were last freed */
	unsigned idle_s;		/* HTTP_MULTI_IDLE_S but in tests;
					 * atomic: set from any thread */
	CURL **easy_spare;		/* reset handles kept for reuse */
	size_t n_easy_spare, easy_spare_cap;
	struct http_warm *warm_head, *warm_tail;	/* oldest first */
	struct event *warm_timer;	/* closes the pool's stale entries */
	int closing;			/* http_io_free() runs: no spares */
	/* Ready pool entries and warm-up transfers, for http_io_warm_ready()
	 * and http_io_warming(): written here, read from any thread. */
	size_t n_ready, n_warming;
};

/*
 * A multi handle, its timer and its connection cache, for the requests to
 * one origin ("scheme://host:port" as the URL spells it, case aside).
 * libcurl 7.88 walks the connections of a multi handle's cache twice per
 * request: looking for one to reuse (ConnectionExists(), every busy one
 * checked on the way to an idle one) and when the transfer is removed
 * (curl_multi_remove_handle() looks for the one it used among them all).
 * At 1,000 requests in flight on one handle that was a fifth of
 * libcurl's time (issue 17: 76-81 us a transfer for libcurl alone, 54-64
 * us with handles of 64).  So an origin with more than HTTP_MULTI_REQS in
 * flight gets another handle, and a request goes to the oldest of its
 * origin's handles with room.  A handle's cache then holds only that
 * origin's connections, one per request it has had in flight at once,
 * so a request finds an idle connection where it lands.  The TLS
 * sessions and the DNS cache are in the client's share, so every handle
 * resumes and resolves from the same ones.
 */
struct http_multi {
	struct http_io *io;
	CURLM *multi;
	struct event *timer;		/* libcurl's one timeout */
	unsigned due:1;			/* timer armed for "now" */
	char *origin;
	size_t origin_len;
	size_t n_reqs;			/* requests in flight here */
	size_t n_warmups;		/* warm-up transfers here */
	size_t max_conns;		/* CURLMOPT_MAXCONNECTS set so far */
	time_t idle_since;		/* monotonic s, when n_reqs fell to 0 */
	struct http_multi *next;
};

/*
 * One pre-opened connection in the warm pool (http_client_warm()): a
 * socket connecting or connected to addr that libcurl has not seen yet.
 * It is watched by its own event (for writing while it connects, then
 * for reading: a pooled connection that turns readable was closed by the
 * peer) until http_on_opensocket() hands it to libcurl, which from then
 * on owns it like a socket it opened itself.
 */
struct http_warm {
	struct http_io *io;
	int fd;
	struct event *ev;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	time_t opened;			/* CLOCK_MONOTONIC seconds */
	unsigned ready:1;		/* connected, nothing read since */
	struct http_warm *prev, *next;
};

/*
 * The watcher of one connection's socket, found by descriptor.  libcurl
 * stops watching a connection each time it goes back to the cache and
 * watches it again when the next request takes it; deleting the event
 * and adding it again cost two epoll_ctl() calls a request, 1.8 of the
 * 7 system calls of a delivery (issue 17).  So a watcher libcurl lets
 * go of stays registered for reading ("parked"): the next request on
 * the connection, which waits for its answer, finds it as it wants it.
 * A parked socket that turns readable was closed or spoke out of turn:
 * it is unwatched then, and libcurl's own check before reusing a
 * connection finds it dead.  Only connections are parked (marked by
 * CURLOPT_SOCKOPTFUNCTION when libcurl opens them), because libcurl
 * closes them through CURLOPT_CLOSESOCKETFUNCTION, which unwatches the
 * socket first: no event outlives its descriptor.  Other sockets it
 * asks us to watch (the threaded resolver's) it closes itself, so they
 * are unwatched as soon as it lets go of them.
 */
struct http_sock {
	struct http_io *io;
	struct http_multi *m;	/* whose libcurl watches it, while it does */
	curl_socket_t fd;
	struct event *ev;	/* NULL until first watched */
	short kind;		/* what ev is registered for, when pending */
	unsigned pending:1;	/* ev is added to the loop */
	unsigned parked:1;	/* libcurl does not watch it now */
	unsigned conn:1;	/* a connection libcurl opened, not closed */
	unsigned preconnected:1; /* handed out from the warm pool, not yet
				  * told to libcurl (http_on_open) */
};

static void http_on_event(evutil_socket_t fd, short what, void *arg);

static time_t
http_monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Easy handles are reused: curl_easy_init() and curl_easy_cleanup() were
 * 3 % of a launch (a handle is a few KB, allocated and cleared each
 * time).  A handle given back is reset to the defaults (its connection
 * stays in the multi's cache); at most one per connection is kept.
 */
static CURL *
http_easy_get(struct http_io *io)
{
	if (io->n_easy_spare > 0)
		return io->easy_spare[--io->n_easy_spare];
	return curl_easy_init();
}

/* easy is not attached to the multi handle; it is taken. */
static void
http_easy_put(struct http_io *io, CURL *easy)
{
	if (io->closing || io->n_easy_spare >= io->max_conns) {
		curl_easy_cleanup(easy);
		return;
	}
	if (io->n_easy_spare == io->easy_spare_cap) {
		io->easy_spare_cap = io->easy_spare_cap ?
		    2 * io->easy_spare_cap : 16;
		io->easy_spare = xrealloc(io->easy_spare,
		    io->easy_spare_cap * sizeof(*io->easy_spare));
	}
	curl_easy_reset(easy);
	io->easy_spare[io->n_easy_spare++] = easy;
}

void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	free(r->resp);
	free(r->content_type);
	free(r);
}

/* Give r's easy handle back (a request's is kept for reuse; a warm-up's
 * had CONNECT_ONLY set and is not). */
static void
http_req_drop_easy(struct http_req *r)
{
	if (r->easy != NULL && r->done == NULL)
		curl_easy_cleanup(r->easy);
	else if (r->easy != NULL)
		http_easy_put(r->io, r->easy);
	r->easy = NULL;
}

/* len bytes of s and a NUL at *p, which moves past them; the copy. */
static const char *
http_req_put(char **p, const char *s, size_t len)
{
	char *d = *p;

	memcpy(d, s, len);
	d[len] = '\0';
	*p += len + 1;
	return d;
}

/*
 * A record for req (a warm-up's: its URL and CA file only), with copies
 * of everything req points to in one allocation: a copy each was ten
 * allocations a delivery (issue 17).  The header list ends with our
 * "Expect:" (no 100-continue round trip before small bodies) and is
 * made of curl_slist nodes laid out here; libcurl only reads it.
 */
struct http_req *
http_req_new(const struct herald_http_request *req)
{
	static const char expect[] = "Expect:";
	const char *method = req->method != NULL ? req->method : "GET";
	const char *const *h;
	struct curl_slist *node;
	struct http_req *r;
	size_t n = 1, size, i;
	char *p;

	if (req->body_len > SIZE_MAX / 2)
		return NULL;
	size = sizeof(*r) + strlen(req->url) + strlen(method) +
	    sizeof(expect) + 2 + (req->body != NULL ? req->body_len + 1 : 0) +
	    (req->ca_file != NULL ? strlen(req->ca_file) + 1 : 0);
	for (h = req->headers; h != NULL && *h != NULL; h++, n++)
		size += strlen(*h) + 1;
	size += n * sizeof(*node);
	r = xmalloc(size);
	memset(r, 0, sizeof(*r));
	/* Nodes first: right after the struct they are aligned. */
	node = (struct curl_slist *)(void *)(r + 1);
	p = (char *)(node + n);
	r->url = http_req_put(&p, req->url, strlen(req->url));
	r->method = http_req_put(&p, method, strlen(method));
	if (req->body != NULL) {
		r->body = http_req_put(&p, req->body, req->body_len);
		r->body_len = req->body_len;
	}
	if (req->ca_file != NULL)
		r->ca_file = http_req_put(&p, req->ca_file,
		    strlen(req->ca_file));
	for (i = 0; i + 1 < n; i++) {
		node[i].data = (char *)http_req_put(&p, req->headers[i],
		    strlen(req->headers[i]));
		node[i].next = &node[i + 1];
	}
	node[i].data = (char *)http_req_put(&p, expect, sizeof(expect) - 1);
	node[i].next = NULL;
	r->headers = node;
	return r;
}

/* Stop watching hs (libcurl's or parked). */
static void
http_sock_unwatch(struct http_sock *hs)
{
	if (hs->pending)
		event_del(hs->ev);
	hs->pending = 0;
	hs->parked = 0;
}

/* hs's watcher for kind (EV_READ and/or EV_WRITE), added; 0 or -1. */
static int
http_sock_watch(struct http_sock *hs, short kind)
{
	hs->parked = 0;
	if (hs->pending && hs->kind == kind)
		return 0;
	http_sock_unwatch(hs);
	/* An event not pending may be assigned again (libevent's rule). */
	if (hs->ev == NULL)
		hs->ev = event_new(hs->io->base, hs->fd, kind | EV_PERSIST,
		    http_on_event, hs);
	else if (event_assign(hs->ev, hs->io->base, hs->fd, kind | EV_PERSIST,
	    http_on_event, hs) == -1) {
		event_free(hs->ev);
		hs->ev = NULL;
	}
	if (hs->ev == NULL || event_add(hs->ev, NULL) == -1)
		return -1;
	hs->kind = kind;
	hs->pending = 1;
	return 0;
}

/* The watcher of fd, made when absent; NULL when fd is out of range. */
static struct http_sock *
http_sock_of(struct http_io *io, curl_socket_t fd)
{
	struct http_sock *hs;
	size_t n;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= io->n_socks) {
		n = io->n_socks ? io->n_socks : 64;
		while (n <= (size_t)fd)
			n *= 2;
		io->socks = xrealloc(io->socks, n * sizeof(*io->socks));
		memset(io->socks + io->n_socks, 0,
		    (n - io->n_socks) * sizeof(*io->socks));
		io->n_socks = n;
	}
	if ((hs = io->socks[fd]) == NULL) {
		hs = xcalloc(1, sizeof(*hs));
		hs->io = io;
		hs->fd = fd;
		io->socks[fd] = hs;
	}
	return hs;
}

/* Take r off its list: requests, or warm-ups (which are not counted). */
static void
http_req_unlink(struct http_req *r)
{
	struct http_io *io = r->io;
	struct http_req **head = r->done != NULL ? &io->reqs : &io->warmups;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	if (r->done != NULL) {
		r->m->n_reqs--;
	} else {
		r->m->n_warmups--;
		__atomic_sub_fetch(&io->n_warming, 1, __ATOMIC_RELAXED);
	}
	if (r->m->n_reqs == 0)
		r->m->idle_since = http_monotonic_s();
}

static void
http_req_link(struct http_req *r)
{
	struct http_io *io = r->io;
	struct http_req **head = r->done != NULL ? &io->reqs : &io->warmups;

	r->prev = NULL;
	r->next = *head;
	if (*head != NULL)
		(*head)->prev = r;
	*head = r;
	if (r->done != NULL) {
		r->m->n_reqs++;
	} else {
		r->m->n_warmups++;
		__atomic_add_fetch(&io->n_warming, 1, __ATOMIC_RELAXED);
	}
}

unsigned
http_parse_retry_after(const char *v, long long now)
{
	long long secs;
	time_t when;
	char *end;

	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		errno = 0;
		secs = strtoll(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno != 0 || *end != '\0')
			return 0;
	} else {
		if ((when = curl_getdate(v, NULL)) == (time_t)-1)
			return 0;
		secs = (long long)when - now;
	}
	if (secs <= 0)
		return 0;
	if (secs > HTTP_RETRY_AFTER_MAX_S)
		secs = HTTP_RETRY_AFTER_MAX_S;
	return (unsigned)secs * 1000u;
}

static size_t
http_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n, keep = len;

	/* Past the cap the rest is read and dropped, not refused. */
	if (r->resp_len + keep > HTTP_BODY_MAX)
		keep = HTTP_BODY_MAX - r->resp_len;
	if (keep > 0) {
		if (r->resp_len + keep + 1 > r->resp_cap) {
			r->resp_cap = (r->resp_len + keep + 1) * 2;
			r->resp = xrealloc(r->resp, r->resp_cap);
		}
		memcpy(r->resp + r->resp_len, data, keep);
		r->resp_len += keep;
		r->resp[r->resp_len] = '\0';
	}
	return len;
}

static size_t
http_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	char value[128];
	size_t vlen;

	/* A new status line (after a 100 or a proxy answer) starts afresh. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		r->retry_after_ms = 0;
	else if (len > sizeof(name) - 1 &&
	    strncasecmp(data, name, sizeof(name) - 1) == 0) {
		vlen = len - (sizeof(name) - 1);
		if (vlen >= sizeof(value))
			vlen = sizeof(value) - 1;
		memcpy(value, data + sizeof(name) - 1, vlen);
		value[vlen] = '\0';
		r->retry_after_ms = http_parse_retry_after(value,
		    (long long)time(NULL));
	}
	return len;
}

static void http_warmup_done(struct http_io *io, struct http_req *r,
    CURLcode result);

/* r, on no list and with its answer filled, to the finished callback. */
static void
http_req_hand_over(struct http_req *r)
{
	struct http_io *io = r->io;

	r->answer.body = r->resp != NULL ? r->resp : "";
	r->answer.body_len = r->resp_len;
	http_req_drop_easy(r);
	io->finished(io->finished_arg, r);
}

/* r, on no list, could not start or is cancelled: it ends with err. */
static void
http_req_fail(struct http_req *r, const char *err)
{
	memset(&r->answer, 0, sizeof(r->answer));
	snprintf(r->errbuf, sizeof(r->errbuf), "%s", err);
	r->answer.error = r->errbuf;
	http_req_hand_over(r);
}

/* r's transfer is over, its answer filled: off libcurl and our lists. */
static void
http_req_finish(struct http_req *r)
{
	curl_multi_remove_handle(r->m->multi, r->easy);
	http_req_unlink(r);
	http_req_hand_over(r);
}

/* Hand every finished transfer of m on, answered. */
static void
http_check_done(struct http_multi *m)
{
	struct http_io *io = m->io;
	struct herald_http_response *resp;
	struct http_req *r;
	CURLMsg *msg;
	int left;
	char *ct;
	curl_off_t total_us, pre_us;
	void *priv;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = priv;
		if (r->done == NULL) {
			http_warmup_done(io, r, msg->data.result);
			continue;
		}
		resp = &r->answer;
		memset(resp, 0, sizeof(*resp));
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
			    &resp->status);
			/* The handle's copy goes with the handle: ours. */
			ct = NULL;
			curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
			if (ct != NULL)
				resp->content_type = r->content_type =
				    xstrdup(ct);
			resp->retry_after_ms = r->retry_after_ms;
		} else {
			resp->error = r->errbuf[0] != '\0' ? r->errbuf :
			    curl_easy_strerror(msg->data.result);
			resp->timed_out = msg->data.result ==
			    CURLE_OPERATION_TIMEDOUT;
		}
		/*
		 * Past the pre-transfer point the request has started going
		 * out: a timeout after that may have reached the peer.  A
		 * timeout while connecting (pre-transfer time 0) cannot.
		 */
		pre_us = 0;
		curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T, &pre_us);
		resp->request_sent = pre_us > 0;
		total_us = 0;
		curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &total_us);
		resp->total_ms = (double)total_us / 1000.0;
		http_req_finish(r);
	}
}

static void
http_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock *hs = arg;
	struct http_multi *m = hs->m;
	int action = 0, running;

	if (hs->parked || m == NULL) {
		http_sock_unwatch(hs);
		return;
	}
	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(m->multi, fd, action, &running);
	http_check_done(m);
}

static void
http_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct http_multi *m = arg;
	int running;

	(void)fd;
	(void)what;
	m->due = 0;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(m);
}

void
http_io_run_due(struct http_io *io)
{
	struct http_multi *m;
	int running;

	for (m = io->multis; m != NULL; m = m->next) {
		if (!m->due)
			continue;
		m->due = 0;
		evtimer_del(m->timer);
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
		http_check_done(m);
	}
}

/* CURLMOPT_TIMERFUNCTION: arm (or with -1 disarm) the one timer. */
static int
http_on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct http_multi *m = arg;
	struct timeval tv;

	(void)multi;
	m->due = timeout_ms == 0;
	if (timeout_ms < 0)
		return evtimer_del(m->timer);
	/* 0 means "now": still from the loop, never re-entering libcurl. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(m->timer, &tv);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as libcurl asks. */
static int
http_on_socket(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct http_multi *m = arg;
	struct http_sock *hs = sockp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			curl_multi_assign(m->multi, s, NULL);
			/* Parked as it is when it waits for reading, the way
			 * the next request will want it; else unwatched. */
			if (hs->conn && hs->pending && hs->kind == EV_READ)
				hs->parked = 1;
			else
				http_sock_unwatch(hs);
		}
		return 0;
	}
	if (hs == NULL) {
		if ((hs = http_sock_of(m->io, s)) == NULL)
			return -1;
		if (curl_multi_assign(m->multi, s, hs) != CURLM_OK)
			return -1;
	}
	hs->m = m;
	if (http_sock_watch(hs, (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0))) == -1) {
		curl_multi_assign(m->multi, s, NULL);
		http_sock_unwatch(hs);
		return -1;
	}
	return 0;
}

/*
 * CURLOPT_SOCKOPTFUNCTION: s is a connection libcurl just opened.  One
 * that came from the warm pool is connected already, and we say so.
 * libcurl 7.88 (Debian 12) calls connect() on it all the same (seen with
 * strace); Linux answers that at once with 0 for a socket whose
 * non-blocking connect has completed, so no handshake is made again.
 */
static int
http_on_open(void *arg, curl_socket_t s, curlsocktype purpose)
{
	struct http_sock *hs;

	(void)purpose;
	if ((hs = http_sock_of(arg, s)) == NULL)
		return CURL_SOCKOPT_OK;
	hs->conn = 1;
	if (hs->preconnected) {
		hs->preconnected = 0;
		return CURL_SOCKOPT_ALREADY_CONNECTED;
	}
	return CURL_SOCKOPT_OK;
}

static void http_warmup_on_linger(evutil_socket_t fd, short what, void *arg);

/* CURLOPT_CLOSESOCKETFUNCTION: no watcher outlives its descriptor. */
static int
http_on_close(void *arg, curl_socket_t s)
{
	struct timeval now = { 0, 0 };
	struct http_io *io = arg;
	struct http_sock *hs;
	struct http_req *r;

	if (s >= 0 && (size_t)s < io->n_socks &&
	    (hs = io->socks[s]) != NULL) {
		http_sock_unwatch(hs);
		hs->m = NULL;
		hs->conn = 0;
		hs->preconnected = 0;
	}
	/* A lingering warm-up whose connection libcurl closes (its cache
	 * full) ends at once, from the loop: a timer replaces its event. */
	for (r = io->warmups; r != NULL; r = r->next)
		if (r->linger != NULL && event_get_fd(r->linger) == s) {
			event_free(r->linger);
			if ((r->linger = evtimer_new(io->base,
			    http_warmup_on_linger, r)) != NULL)
				evtimer_add(r->linger, &now);
		}
	return close(s);
}

/* --- the warm pool --------------------------------------------------- */

/* Take w off the pool and free it; its socket is closed unless keep_fd. */
static void
http_warm_drop(struct http_warm *w, int keep_fd)
{
	struct http_io *io = w->io;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		io->warm_head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		io->warm_tail = w->prev;
	if (w->ready)
		__atomic_sub_fetch(&io->n_ready, 1, __ATOMIC_RELAXED);
	/* The event goes before the descriptor: none outlives it. */
	if (w->ev != NULL)
		event_free(w->ev);
	if (!keep_fd)
		close(w->fd);
	free(w);
}

/* Same family, address and port (a sockaddr of libcurl's or ours). */
static int
http_addr_is_same(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)(const void *)a;
		b4 = (const struct sockaddr_in *)(const void *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)a;
		b6 = (const struct sockaddr_in6 *)(const void *)b;
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

/* Arm the pool's one timer for when its oldest entry turns stale. */
static void
http_warm_arm(struct http_io *io)
{
	struct timeval tv = { 0, 0 };
	time_t left;

	if (io->warm_head == NULL) {
		evtimer_del(io->warm_timer);
		return;
	}
	left = io->warm_head->opened + HTTP_WARM_MAX_AGE_S -
	    http_monotonic_s();
	tv.tv_sec = left > 0 ? left : 0;
	evtimer_add(io->warm_timer, &tv);
}

static void
http_warm_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_io *io = arg;
	time_t now = http_monotonic_s();

	(void)fd;
	(void)what;
	/* Oldest first: stop at the first one still young enough. */
	while (io->warm_head != NULL &&
	    now - io->warm_head->opened >= HTTP_WARM_MAX_AGE_S)
		http_warm_drop(io->warm_head, 0);
	http_warm_arm(io);
}

/*
 * A pooled socket's event: writable while connecting means the connect
 * finished (SO_ERROR says how); readable once ready means the peer
 * closed it or spoke out of turn, and either way it is of no use.
 */
static void
http_warm_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_warm *w = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (w->ready || !(what & EV_WRITE) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 ||
	    soerr != 0) {
		http_warm_drop(w, 0);
		return;
	}
	w->ready = 1;
	__atomic_add_fetch(&w->io->n_ready, 1, __ATOMIC_RELAXED);
	/* The write event has fired and is not pending: it may be reused. */
	if (event_assign(w->ev, w->io->base, fd, EV_READ | EV_PERSIST,
	    http_warm_on_event, w) == -1 || event_add(w->ev, NULL) == -1)
		http_warm_drop(w, 0);
}

/* Open one connection to addr into the pool; 0 or -1. */
static int
http_warm_open(struct http_io *io, const struct sockaddr_storage *addr,
    socklen_t addrlen)
{
	struct http_warm *w;
	int fd;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, addrlen) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	w = xcalloc(1, sizeof(*w));
	w->io = io;
	w->fd = fd;
	w->addr = *addr;
	w->addrlen = addrlen;
	w->opened = http_monotonic_s();
	/* Even a connect() that returned 0 is confirmed from the loop. */
	if ((w->ev = event_new(io->base, fd, EV_WRITE, http_warm_on_event,
	    w)) == NULL || event_add(w->ev, NULL) == -1) {
		if (w->ev != NULL)
			event_free(w->ev);
		close(fd);
		free(w);
		return -1;
	}
	w->prev = io->warm_tail;
	if (io->warm_tail != NULL)
		io->warm_tail->next = w;
	else
		io->warm_head = w;
	io->warm_tail = w;
	return 0;
}

/*
 * url's numeric address and port in *addr; 1, or 0 when the URL names
 * its host by name (or cannot be parsed: libcurl will say why when the
 * request is made).
 */
static int
http_warm_addr(const char *url, struct sockaddr_storage *addr,
    socklen_t *addrlen)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)addr;
	char *host = NULL, *port = NULL, *h, *end;
	unsigned long pn;
	size_t hl;
	CURLU *u;
	int found = 0;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port,
	    CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || pn == 0 || pn > 65535)
		goto out;
	memset(addr, 0, sizeof(*addr));
	h = host;
	hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)pn);
		*addrlen = sizeof(*a4);
		found = 1;
	} else if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)pn);
		*addrlen = sizeof(*a6);
		found = 1;
	}
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return found;
}

/*
 * Make sure n connections to addr wait in the pool: those already there
 * count.  One that cannot be opened (no descriptor left) ends it: what
 * was opened stays, and the requests open the rest themselves.
 */
static void
http_warm_top_up(struct http_io *io, const struct sockaddr_storage *addr,
    socklen_t addrlen, unsigned n)
{
	struct http_warm *w;
	unsigned have = 0;
	int was_empty = io->warm_head == NULL;

	for (w = io->warm_head; w != NULL; w = w->next)
		if (http_addr_is_same((const struct sockaddr *)&w->addr,
		    (const struct sockaddr *)addr))
			have++;
	for (; have < n; have++)
		if (http_warm_open(io, addr, addrlen) == -1)
			break;
	if (was_empty)
		http_warm_arm(io);
}

/*
 * CURLOPT_OPENSOCKETFUNCTION: a ready pooled connection to the address
 * libcurl is about to connect to, when there is one (http_on_open() then
 * tells libcurl it is connected); else a new socket as libcurl's own
 * would be.  A pooled socket the peer closed since the loop last looked
 * is dropped here rather than handed out: one recv() is cheaper than a
 * failed request.
 */
static curl_socket_t
http_on_opensocket(void *arg, curlsocktype purpose,
    struct curl_sockaddr *ca)
{
	struct http_io *io = arg;
	struct http_warm *w, *next;
	struct http_sock *hs;
	char c;
	int fd;

	for (w = io->warm_head; purpose == CURLSOCKTYPE_IPCXN && w != NULL;
	    w = next) {
		next = w->next;
		if (!w->ready || !http_addr_is_same(&ca->addr,
		    (const struct sockaddr *)&w->addr))
			continue;
		if (recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != -1 ||
		    (errno != EAGAIN && errno != EWOULDBLOCK)) {
			http_warm_drop(w, 0);
			continue;
		}
		fd = w->fd;
		if ((hs = http_sock_of(io, fd)) == NULL) {
			http_warm_drop(w, 0);
			continue;
		}
		http_warm_drop(w, 1);
		hs->preconnected = 1;
		return fd;
	}
	fd = socket(ca->family, ca->socktype | SOCK_CLOEXEC, ca->protocol);
	if (fd == -1)
		return CURL_SOCKET_BAD;
	/* A mark left on this descriptor number by a hand-out libcurl never
	 * got to use must not make a fresh socket look connected. */
	if ((size_t)fd < io->n_socks && io->socks[fd] != NULL)
		io->socks[fd]->preconnected = 0;
	return fd;
}

int
http_io_new(struct event_base *base, http_io_finished_fn finished,
    void *arg, struct http_io **out, char *err, size_t errlen)
{
	struct http_io *io;

	io = xcalloc(1, sizeof(*io));
	io->base = base;
	io->finished = finished;
	io->finished_arg = arg;
	io->idle_s = HTTP_MULTI_IDLE_S;
	/*
	 * TLS sessions in a share handle rather than in each easy handle
	 * (libcurl's default): a session a warm-up or any request made is
	 * resumed by the next connection to the same host, whichever handle
	 * makes it, an abbreviated handshake instead of a full one.  The
	 * DNS cache too, rather than in each multi handle: a warm-up's
	 * answer serves every handle of its origin.  Only the I/O thread
	 * uses the handles, so no lock callbacks.
	 */
	if ((io->share = curl_share_init()) == NULL ||
	    curl_share_setopt(io->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(io->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
		snprintf(err, errlen, "cannot create the HTTP client's TLS "
		    "session and DNS cache");
		goto fail;
	}
	if ((io->warm_timer = evtimer_new(base, http_warm_on_timer,
	    io)) == NULL) {
		snprintf(err, errlen, "cannot create the HTTP client's timer");
		goto fail;
	}
	*out = io;
	return 0;
fail:
	if (io->share != NULL)
		curl_share_cleanup(io->share);
	free(io);
	return -1;
}

/* Free m, idle (no transfer on it): libcurl closes its connections. */
static void
http_multi_free(struct http_multi *m)
{
	struct http_io *io = m->io;
	struct http_sock *hs;
	size_t i;

	curl_multi_cleanup(m->multi);
	/* Whether cleanup reports its sockets removed depends on the
	 * libcurl version: no watcher may keep pointing here. */
	for (i = 0; i < io->n_socks; i++)
		if ((hs = io->socks[i]) != NULL && hs->m == m) {
			http_sock_unwatch(hs);
			hs->m = NULL;
		}
	io->max_conns -= m->max_conns;
	event_free(m->timer);
	free(m->origin);
	free(m);
}

/*
 * Free the multi handles idle for io->idle_s, at most once a second: an
 * origin no longer sent to keeps no connections open.
 */
static void
http_multi_sweep(struct http_io *io)
{
	struct http_multi **mp, *m;
	time_t now = http_monotonic_s();
	time_t idle_s = (time_t)__atomic_load_n(&io->idle_s, __ATOMIC_RELAXED);

	if (now == io->swept)
		return;
	io->swept = now;
	for (mp = &io->multis; (m = *mp) != NULL;) {
		if (m->n_reqs == 0 && m->n_warmups == 0 &&
		    now - m->idle_since >= idle_s) {
			*mp = m->next;
			http_multi_free(m);
		} else
			mp = &m->next;
	}
}

/* The length of url's "scheme://authority": what names its connections. */
static size_t
http_origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p != NULL ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

/*
 * The multi handle url's request goes to: the oldest of its origin's
 * with room, or a new one (NULL, with a reason in err, when libcurl
 * cannot make one).  The client keeps it.
 */
static struct http_multi *
http_multi_for(struct http_io *io, const char *url, char *err,
    size_t errlen)
{
	struct http_multi *m, **tail;
	size_t len = http_origin_len(url);

	http_multi_sweep(io);
	for (tail = &io->multis; (m = *tail) != NULL; tail = &m->next)
		if (m->n_reqs < HTTP_MULTI_REQS && m->origin_len == len &&
		    strncasecmp(m->origin, url, len) == 0)
			return m;
	m = xcalloc(1, sizeof(*m));
	m->io = io;
	m->origin = xstrndup(url, len);
	m->origin_len = len;
	m->idle_since = http_monotonic_s();
	if ((m->multi = curl_multi_init()) == NULL ||
	    (m->timer = evtimer_new(io->base, http_on_timeout, m)) == NULL ||
	    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION,
	    http_on_socket) != CURLM_OK ||
	    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m) != CURLM_OK ||
	    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION,
	    http_on_timer) != CURLM_OK ||
	    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m) != CURLM_OK) {
		snprintf(err, errlen, "cannot create an HTTP multi handle");
		if (m->timer != NULL)
			event_free(m->timer);
		if (m->multi != NULL)
			curl_multi_cleanup(m->multi);
		free(m->origin);
		free(m);
		return NULL;
	}
	*tail = m;
	return m;
}

/*
 * Keep one idle connection for every request that has been in flight on
 * m at once.  libcurl's default cache holds 4 x the easy handles
 * *currently* added, so whenever the dispatcher's slots drain for a
 * moment (between a batch's commit and the pump that refills them) it
 * shrinks and closes connections that the next requests then open
 * again: 95-600 connections for 10,000 requests at concurrency 64 (issue
 * 17).  Summed over an origin's handles, the high-water marks of
 * requests in flight are the concurrency its channels actually used, so
 * the caches grow to one connection per slot and never shrink.  The
 * number of connections per host is left unlimited on purpose: the
 * dispatcher already bounds the requests in flight per channel, and a
 * lower cap here would queue requests inside libcurl, out of the
 * dispatcher's sight and timing.
 */
static void
http_size_cache(struct http_multi *m)
{
	if (m->n_reqs <= m->max_conns)
		return;
	if (curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS,
	    (long)m->n_reqs) == CURLM_OK) {
		m->io->max_conns += m->n_reqs - m->max_conns;
		m->max_conns = m->n_reqs;
	}
}

/*
 * The options every transfer of the client has, a request's or a
 * warm-up's: its record, the URL, the timeout, HTTP(S) only, our socket
 * callbacks (watchers, the warm pool, no event outliving its descriptor)
 * and the TLS sessions and DNS answers shared by every handle.
 */
static CURLcode
http_easy_common(struct http_io *io, struct http_req *r, long timeout_ms)
{
	CURLcode rc;

#define HTTP_COMMON(opt, val) \
	do { \
		if ((rc = curl_easy_setopt(r->easy, (opt), (val))) != CURLE_OK) \
			return rc; \
	} while (0)
	HTTP_COMMON(CURLOPT_PRIVATE, r);
	HTTP_COMMON(CURLOPT_ERRORBUFFER, r->errbuf);
	HTTP_COMMON(CURLOPT_URL, r->url);
	HTTP_COMMON(CURLOPT_NOSIGNAL, 1L);
	HTTP_COMMON(CURLOPT_TIMEOUT_MS, timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
	HTTP_COMMON(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	HTTP_COMMON(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	HTTP_COMMON(CURLOPT_OPENSOCKETFUNCTION, http_on_opensocket);
	HTTP_COMMON(CURLOPT_OPENSOCKETDATA, io);
	HTTP_COMMON(CURLOPT_SOCKOPTFUNCTION, http_on_open);
	HTTP_COMMON(CURLOPT_SOCKOPTDATA, io);
	HTTP_COMMON(CURLOPT_CLOSESOCKETFUNCTION, http_on_close);
	HTTP_COMMON(CURLOPT_CLOSESOCKETDATA, io);
	HTTP_COMMON(CURLOPT_SHARE, io->share);
	if (r->ca_file != NULL)
		HTTP_COMMON(CURLOPT_CAINFO, r->ca_file);
#undef HTTP_COMMON
	return CURLE_OK;
}

#define HTTP_SET(opt, val) \
	do { \
		if ((rc = curl_easy_setopt(r->easy, (opt), (val))) != CURLE_OK) \
			goto curl_fail; \
	} while (0)

void
http_io_start(struct http_io *io, struct http_req *r)
{
	char err[256];
	CURLcode rc;
	CURLMcode mrc;

	r->io = io;
	if ((r->m = http_multi_for(io, r->url, err, sizeof(err))) == NULL)
		goto fail;
	if ((r->easy = http_easy_get(io)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if ((rc = http_easy_common(io, r, (long)(r->timeout_ms ?
	    r->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS))) != CURLE_OK)
		goto curl_fail;
	HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SET(CURLOPT_TCP_KEEPALIVE, 1L);
	HTTP_SET(CURLOPT_BUFFERSIZE, HTTP_RECV_BUFFER);
	HTTP_SET(CURLOPT_USERAGENT, "heraldd/" PACKAGE_VERSION);
	HTTP_SET(CURLOPT_HTTPHEADER, r->headers);
	HTTP_SET(CURLOPT_WRITEFUNCTION, http_on_body);
	HTTP_SET(CURLOPT_WRITEDATA, r);
	HTTP_SET(CURLOPT_HEADERFUNCTION, http_on_header);
	HTTP_SET(CURLOPT_HEADERDATA, r);
	if (strcmp(r->method, "GET") == 0)
		HTTP_SET(CURLOPT_HTTPGET, 1L);
	else {
		if (strcmp(r->method, "POST") != 0)
			HTTP_SET(CURLOPT_CUSTOMREQUEST, r->method);
		/* The body is ours until the request is freed: no copy. */
		HTTP_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		HTTP_SET(CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
	}
	/* Adding only arms the timer: the transfer starts from the loop. */
	if ((mrc = curl_multi_add_handle(r->m->multi, r->easy)) != CURLM_OK) {
		snprintf(err, sizeof(err), "cannot start the request: %s",
		    curl_multi_strerror(mrc));
		goto fail;
	}
	http_req_link(r);
	http_size_cache(r->m);
	return;
curl_fail:
	snprintf(err, sizeof(err), "cannot set up the request: %s",
	    curl_easy_strerror(rc));
fail:
	http_req_fail(r, err);
}

/*
 * Warming a host name.  Resolving it here with getaddrinfo() would block
 * the loop, and an address found by us (or by a thread of ours) need not
 * be the one libcurl picks at the instant: a pooled connection is only
 * handed out to a connect() to its very address.  So libcurl resolves it
 * itself, in a warm-up transfer on one of the client's multi handles
 * with CURLOPT_CONNECT_ONLY: its threaded resolver keeps the loop free,
 * its answer goes into the share's DNS cache (60 s, longer than a
 * launch is staged ahead), which the instant's requests then read, in
 * the same order, so they try the same address first; and the transfer
 * connects, so CURLINFO_PRIMARY_IP/PORT say which address that is.  The
 * pool is then topped up with connections to exactly that address.
 * CURLOPT_RESOLVE was the other way (resolve on a worker thread, feed
 * the answer to libcurl), but its entries are permanent in 7.88 and
 * would have to be removed again so a long-running daemon never pins a
 * stale address; the DNS cache times out by itself.
 *
 * The warm-up's own connection is closed, by libcurl, when the handle
 * is removed: libcurl never reuses a CONNECT_ONLY connection for a
 * request, and handing its socket to the pool would go behind libcurl's
 * back (and for https:// it carries a TLS session of libcurl's).  One
 * connection more, 5 s ahead, is the price.
 */
#define HTTP_WARMUP_TIMEOUT_MS 5000

#define HTTP_WARMUP_LINGER_MS 1000

/* Close the warm-up's connection (libcurl does) and free it. */
static void
http_warmup_finish(struct http_req *r)
{
	/* The event goes before the descriptor: none outlives it. */
	if (r->linger != NULL)
		event_free(r->linger);
	r->linger = NULL;
	curl_multi_remove_handle(r->m->multi, r->easy);
	http_req_unlink(r);
	http_req_drop_easy(r);
	http_req_free(r);
}

/*
 * The lingering warm-up's socket turned readable (or a second passed):
 * a TLS 1.3 server sends its session tickets after the handshake, and
 * OpenSSL takes them in, handing libcurl the session to keep, only when
 * something reads.  One curl_easy_recv() does: no data is expected, so
 * it answers CURLE_AGAIN once the tickets are read.
 */
static void
http_warmup_on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *r = arg;
	char buf[256];
	size_t got;

	(void)fd;
	if (what & EV_READ)
		(void)curl_easy_recv(r->easy, buf, sizeof(buf), &got);
	http_warmup_finish(r);
}

/*
 * A warm-up transfer finished: top the pool up to its address.  An
 * https:// one that shook hands lingers until its socket turns readable
 * (at most a second) for its session tickets (above); the requests at the
 * instant come seconds later.
 */
static void
http_warmup_done(struct http_io *io, struct http_req *r, CURLcode result)
{
	struct timeval tv = { HTTP_WARMUP_LINGER_MS / 1000,
	    (HTTP_WARMUP_LINGER_MS % 1000) * 1000 };
	curl_socket_t fd = CURL_SOCKET_BAD;
	struct sockaddr_storage addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&addr;
	socklen_t addrlen = 0;
	curl_off_t conn_us = 0;
	char *ip = NULL;
	long port = 0;
	unsigned n;

	/*
	 * Connected is enough: a TLS handshake that failed (a CA the
	 * warm-up was not given) still found the address.  A resolve or
	 * connect that failed warms nothing; the requests at the instant
	 * will say why, where it is logged.
	 */
	curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &conn_us);
	curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_PORT, &port);
	memset(&addr, 0, sizeof(addr));
	if ((result == CURLE_OK || conn_us > 0) && ip != NULL &&
	    port > 0 && port <= 65535) {
		if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			addrlen = sizeof(*a4);
		} else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			addrlen = sizeof(*a6);
		}
	}
	if (result == CURLE_OK && strncasecmp(r->url, "https:", 6) == 0)
		curl_easy_getinfo(r->easy, CURLINFO_ACTIVESOCKET, &fd);
	if (fd != CURL_SOCKET_BAD && ((r->linger = event_new(io->base, fd,
	    EV_READ, http_warmup_on_linger, r)) == NULL ||
	    event_add(r->linger, &tv) == -1)) {
		if (r->linger != NULL)
			event_free(r->linger);
		r->linger = NULL;
	}
	n = r->warm_n;
	if (r->linger == NULL)
		http_warmup_finish(r);
	if (addrlen > 0)
		http_warm_top_up(io, &addr, addrlen, n);
}

/* Start a warm-up transfer for url (see above); one that cannot start
 * warms nothing. */
static void
http_warmup_start(struct http_io *io, const char *url,
    const char *ca_file, unsigned n)
{
	struct herald_http_request req = { .url = url, .ca_file = ca_file };
	struct http_req *r;
	char err[256];

	if ((r = http_req_new(&req)) == NULL)
		return;
	r->io = io;
	r->warm_n = n;
	if ((r->m = http_multi_for(io, url, err, sizeof(err))) == NULL) {
		http_req_free(r);
		return;
	}
	if ((r->easy = curl_easy_init()) == NULL)
		goto fail;
	/* The same socket callbacks as a request (its watcher goes with
	 * it), and its TLS session goes where the requests look for one. */
	if (http_easy_common(io, r, HTTP_WARMUP_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK)
		goto fail;
	if (curl_multi_add_handle(r->m->multi, r->easy) != CURLM_OK)
		goto fail;
	http_req_link(r);
	return;
fail:
	http_req_drop_easy(r);
	http_req_free(r);
}

/*
 * A numeric http:// host is connected to at once.  Any other URL gets a
 * warm-up transfer (above), one per URL at a time: a call while it runs
 * only raises the count it will top the pool up to.  Connections in
 * libcurl's own cache are not counted: they may be long idle, and the
 * peer may be closing them.  Nobody waits for the answer: what cannot
 * be warmed is found out, and logged, by the requests.
 */
void
http_io_warm(struct http_io *io, const char *url, const char *ca_file,
    unsigned n)
{
	struct sockaddr_storage addr;
	socklen_t addrlen = 0;
	struct http_req *r;

	if (url == NULL || n == 0)
		return;
	if (http_warm_addr(url, &addr, &addrlen) &&
	    strncasecmp(url, "http:", 5) == 0) {
		http_warm_top_up(io, &addr, addrlen, n);
		return;
	}
	for (r = io->warmups; r != NULL; r = r->next)
		if (r->linger == NULL && strcmp(r->url, url) == 0) {
			if (r->warm_n < n)
				r->warm_n = n;
			return;
		}
	http_warmup_start(io, url, ca_file, n);
}

size_t
http_io_warm_ready(const struct http_io *io)
{
	return __atomic_load_n(&io->n_ready, __ATOMIC_RELAXED);
}

size_t
http_io_warming(const struct http_io *io)
{
	return __atomic_load_n(&io->n_warming, __ATOMIC_RELAXED);
}

void
http_io_set_idle_s(struct http_io *io, unsigned s)
{
	__atomic_store_n(&io->idle_s, s, __ATOMIC_RELAXED);
}

void
http_io_free(struct http_io *io)
{
	struct http_multi *m;
	struct http_sock *hs;
	struct http_req *r;
	size_t i;

	if (io == NULL)
		return;
	io->closing = 1;
	/* A warm-up has nobody to tell; removing it closes its connection. */
	while (io->warmups != NULL)
		http_warmup_finish(io->warmups);
	while ((r = io->reqs) != NULL) {
		curl_multi_remove_handle(r->m->multi, r->easy);
		http_req_unlink(r);
		http_req_fail(r, "cancelled: the HTTP client is closing");
	}
	while (io->n_easy_spare > 0)
		curl_easy_cleanup(io->easy_spare[--io->n_easy_spare]);
	free(io->easy_spare);
	/* Cleanup closes the cached connections. */
	while ((m = io->multis) != NULL) {
		io->multis = m->next;
		http_multi_free(m);
	}
	/* Every easy handle is gone by now: the share is no longer in use. */
	curl_share_cleanup(io->share);
	for (i = 0; i < io->n_socks; i++) {
		if ((hs = io->socks[i]) == NULL)
			continue;
		if (hs->ev != NULL)
			event_free(hs->ev);
		free(hs);
	}
	free(io->socks);
	while (io->warm_head != NULL)
		http_warm_drop(io->warm_head, 0);
	event_free(io->warm_timer);
	free(io);
}
