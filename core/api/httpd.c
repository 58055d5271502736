/*
 * httpd.c - the routing HTTP server on herald.listen (see httpd.h).
 *
 * One evhttp with a general callback that walks a small route table: the
 * table is searched linearly because it holds a handful of entries, and a
 * path prefix is all the API needs (no patterns, no parameters in paths).
 * Bodies are capped and idle connections time out, so a stuck client
 * cannot hold memory; nothing here blocks the loop.
 *
 * Connections are file descriptors, the one resource a client of the
 * control port can make heraldd spend at will, and the channels and the
 * store need descriptors too: a flood that took them all once let 96 of
 * 550 webhook jobs out.  So (issue 12):
 *
 *  - every request must arrive whole, headers and body, within
 *    herald.api_request_timeout of the connection's opening or of the
 *    previous request's dispatch; evhttp's own timeout is an idle one
 *    and restarts with every byte, so a client dripping a byte a second
 *    kept its connection forever;
 *  - the API holds at most herald.api_max_connections connections and
 *    never more than half the soft RLIMIT_NOFILE: at the cap the listener
 *    stops accepting (newcomers wait in the kernel's backlog, costing no
 *    descriptor) until one closes, so the other half always stays for
 *    the channels, the store and the logs;
 *  - one address holds at most herald.api_max_connections_per_peer; the
 *    next gets 503 and is closed, so one client cannot fill the cap and
 *    lock out /healthz and heraldctl.
 *
 * Why on evhttp and not libmicrohttpd (which has CONNECTION_LIMIT,
 * PER_IP_CONNECTION_LIMIT and CONNECTION_TIMEOUT): MHD brings its own
 * threads or poll loop, and every handler here reads the engine, the
 * model and the store on the loop thread; moving them behind a thread
 * boundary would cost more than the hundred lines below.  libevent 2.1
 * lacks the hooks 2.2 has (evhttp_set_newreqcb, max connections), so a
 * connection is tracked from the bufferevent heraldd hands evhttp
 * (evhttp_set_bevcb): on the next turn of the loop, before any byte is
 * read, the evhttp_connection is found as that bufferevent's callback
 * argument (evhttp's own, stable since 2.0), its closecb set, and a
 * deadline timer armed.  A connection to cut is shut down (shutdown(2)):
 * evhttp then sees the end of the stream and frees it by its own rules,
 * which also keep a request a handler still holds alive.  The soft
 * RLIMIT_NOFILE is still raised towards the hard one at start, and when
 * accept() runs out of descriptors anyway the listener pauses for a
 * second instead of spinning.
 */
#include "httpd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

#define HTTPD_ROUTES_MAX	32
#define HTTPD_BODY_MAX		(1 << 20)
/* Headers of a real client fit in a few KB; a flood of huge ones must not
 * cost memory. */
#define HTTPD_HEADERS_MAX	(16 << 10)
/* A client idle this long is dropped (evhttp's own, per read or write). */
#define HTTPD_TIMEOUT_S		10
/* Defaults of httpd_set_limits(), as herald.conf(5) documents them. */
#define HTTPD_REQUEST_TIMEOUT_S	10
#define HTTPD_MAX_CONNS		512
#define HTTPD_MAX_PER_PEER	64
/* At most one warning (or notice) of a kind per this many seconds. */
#define HTTPD_LOG_EVERY_S	10
/*
 * The soft RLIMIT_NOFILE heraldd asks for: room for thousands of idle
 * API clients besides the store, plugin sockets and log files.  Nothing
 * in heraldd or its libraries uses select(), so descriptors above
 * FD_SETSIZE are safe; the hard limit stays the administrator's ceiling.
 */
#define HTTPD_NOFILE_WANT	65536
/* How long accept() rests after running out of descriptors. */
#define HTTPD_ACCEPT_PAUSE_S	1

struct httpd_route {
	char *method;		/* NULL: any */
	char *path;
	httpd_handler_fn fn;
	void *arg;
};

/*
 * One accepted connection.  Born in httpd_conn_new() with a reference on
 * its bufferevent; adopted on the next turn of the loop (evcon set, the
 * reference dropped, the deadline armed); freed by evhttp's closecb.
 */
struct httpd_conn {
	TAILQ_ENTRY(httpd_conn) next;
	struct httpd *h;
	struct bufferevent *bev;	/* ours until adopted, then NULL */
	struct evhttp_connection *evcon; /* NULL until adopted */
	struct event *timer;		/* adoption at once, then the deadline */
	evutil_socket_t fd;
	struct sockaddr_storage peer;
	int served;			/* a request reached the dispatcher */
	int refused;			/* over a cap, being shut down */
};

TAILQ_HEAD(httpd_conns, httpd_conn);

struct httpd {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct evconnlistener *listener; /* evhttp's; NULL once freeing */
	int port;
	char address[80];
	struct httpd_route routes[HTTPD_ROUTES_MAX];
	size_t n_routes;
	struct httpd_conns conns;
	size_t n_conns;
	size_t max_conns;		/* in effect: the config or nofile/2 */
	size_t max_per_peer;
	int request_timeout_s;
	int capped;			/* the listener is off at max_conns */
	time_t cap_logged, peer_logged;	/* rate of the two log lines */
};

static const char *
httpd_method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "?";
}

static int
httpd_path_matches(const char *route, const char *path)
{
	size_t n = strlen(route);

	if (n > 0 && route[n - 1] == '/')
		return strncmp(route, path, n) == 0;
	return strcmp(route, path) == 0;
}

void
httpd_reply_json(struct evhttp_request *req, int code, const char *json)
{
	struct evbuffer *b = evbuffer_new();
	const char *reason;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", json);
	switch (code) {
	case 200: reason = "OK"; break;
	case 202: reason = "Accepted"; break;
	case 400: reason = "Bad Request"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 500: reason = "Internal Server Error"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = NULL; break;
	}
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/*
 * Messages echo what clients sent ("no such campaign: %FF") and may be
 * cut mid-character by the buffer; JSON strings must be UTF-8, so every
 * bad byte becomes '?'.
 */
static void
httpd_fix_utf8(char *msg)
{
	size_t len = strlen(msg), off = 0, bad;

	while (!utf8_is_valid(msg + off, len - off, &bad)) {
		msg[off + bad] = '?';
		off += bad + 1;
	}
}

void
httpd_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512], *s;
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	httpd_fix_utf8(msg);
	o = json_pack("{s:s}", "error", msg);
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	httpd_reply_json(req, code, s != NULL ? s :
	    "{\"error\":\"out of memory\"}");
	free(s);
}

/* Same address (the port aside)?  Unknown families never match. */
static int
httpd_peer_equal(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}

/* The peer's address as text into buf, for the log. */
static const char *
httpd_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return "?";
	return evutil_inet_ntop(ss->ss_family, a, buf, len) != NULL ? buf : "?";
}

/* Stop accepting at the cap, start again below it. */
static void
httpd_check_cap(struct httpd *h)
{
	time_t now;

	if (h->listener == NULL)
		return;
	if (h->n_conns < h->max_conns) {
		if (h->capped)
			evconnlistener_enable(h->listener);
		h->capped = 0;
		return;
	}
	/* Also when already capped: an accept pause may have re-enabled it. */
	evconnlistener_disable(h->listener);
	if (!h->capped && (now = time(NULL)) - h->cap_logged >=
	    HTTPD_LOG_EVERY_S) {
		h->cap_logged = now;
		log_warnx("http: %zu connections open, the limit (api_max_"
		    "connections, or half the descriptors); not accepting "
		    "until one closes", h->n_conns);
	}
	h->capped = 1;
}

/* Forget c (closed, or never adopted).  Frees c. */
static void
httpd_conn_free(struct httpd_conn *c)
{
	struct httpd *h = c->h;

	TAILQ_REMOVE(&h->conns, c, next);
	h->n_conns--;
	if (c->bev != NULL)
		bufferevent_decref(c->bev);
	event_free(c->timer);
	free(c);
	httpd_check_cap(h);
}

/* evhttp frees the connection; c goes with it. */
static void
httpd_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	httpd_conn_free(arg);
}

/*
 * Cut c: answer code with {"error": why} when nothing was answered on it
 * yet (evhttp has not written a byte, so ours cannot interleave), then
 * shut the socket down.  evhttp reads the end of the stream, or fails to
 * write, and frees the connection through httpd_conn_closed().  The
 * answer is best effort: a client that is not reading gets the close.
 */
static void
httpd_conn_cut(struct httpd_conn *c, int code, const char *status,
    const char *why)
{
	char buf[512];
	int body, n;

	if (!c->served && !c->refused) {
		body = (int)strlen(why) + 13;	/* {"error":""}\n */
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\n"
		    "Content-Type: application/json\r\nConnection: close\r\n"
		    "Content-Length: %d\r\n\r\n{\"error\":\"%s\"}\n", code,
		    status, body, why);
		if (n > 0 && (size_t)n < sizeof(buf))
			(void)send(c->fd, buf, (size_t)n,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	c->refused = 1;
	(void)shutdown(c->fd, SHUT_RDWR);
}

/* Connections from c's address besides c that are not being cut. */
static size_t
httpd_peer_count(const struct httpd *h, const struct httpd_conn *c)
{
	const struct httpd_conn *o;
	size_t n = 0;

	TAILQ_FOREACH(o, &h->conns, next)
		if (o != c && o->evcon != NULL && !o->refused &&
		    httpd_peer_equal(&o->peer, &c->peer))
			n++;
	return n;
}

/*
 * The turn after accept: evhttp has set the socket and its callbacks on
 * the bufferevent, and has read nothing yet.  Its callback argument is
 * the evhttp_connection; NULL means evhttp already freed it.
 */
static void
httpd_conn_adopt(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	struct timeval tv = { h->request_timeout_s, 0 };
	socklen_t len = sizeof(c->peer);
	char name[INET6_ADDRSTRLEN];
	void *evcon = NULL;
	time_t now;

	bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	c->fd = bufferevent_getfd(c->bev);
	if (evcon == NULL || c->fd == -1) {
		httpd_conn_free(c);
		return;
	}
	bufferevent_decref(c->bev);	/* evhttp holds its own */
	c->bev = NULL;
	c->evcon = evcon;
	evhttp_connection_set_closecb(c->evcon, httpd_conn_closed, c);
	if (getpeername(c->fd, (struct sockaddr *)&c->peer, &len) == -1)
		memset(&c->peer, 0, sizeof(c->peer));
	if (httpd_peer_count(h, c) >= h->max_per_peer) {
		if ((now = time(NULL)) - h->peer_logged >= HTTPD_LOG_EVERY_S) {
			h->peer_logged = now;
			log_notice("http: %s has %zu connections open, the "
			    "limit (api_max_connections_per_peer); refusing "
			    "more", httpd_peer_name(&c->peer, name,
			    sizeof(name)), h->max_per_peer);
		}
		httpd_conn_cut(c, 503, "Service Unavailable",
		    "too many connections from your address");
		return;
	}
	evtimer_add(c->timer, &tv);
}

/* Adoption, then the deadline: the request did not arrive in time. */
static void
httpd_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_conn *c = arg;
	char name[INET6_ADDRSTRLEN];

	(void)fd;
	(void)what;
	if (c->evcon == NULL) {
		httpd_conn_adopt(c);
		return;
	}
	log_debug("http: %s: no whole request within %d s; closing",
	    httpd_peer_name(&c->peer, name, sizeof(name)),
	    c->h->request_timeout_s);
	httpd_conn_cut(c, 408, "Request Timeout", "the request did not "
	    "arrive whole in time (api_request_timeout)");
}

/*
 * evhttp_set_bevcb: the bufferevent of a connection just accepted, with
 * no socket yet (evhttp sets it after this returns).  Its options leave
 * closing the socket to evhttp, as with the bufferevents it makes.  The
 * reference taken here keeps the bufferevent readable until adoption
 * even if evhttp frees the connection first.  On failure evhttp makes
 * its own bufferevent: the connection is then merely untracked.
 */
static struct bufferevent *
httpd_conn_new(struct event_base *base, void *arg)
{
	struct httpd *h = arg;
	struct httpd_conn *c;
	struct bufferevent *bev;

	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if ((c->timer = evtimer_new(base, httpd_conn_timer, c)) == NULL) {
		free(c);
		return bev;
	}
	c->h = h;
	c->fd = -1;
	c->bev = bev;
	bufferevent_incref(bev);
	TAILQ_INSERT_TAIL(&h->conns, c, next);
	h->n_conns++;
	/* Runs this turn, after evhttp is done and before any read. */
	event_active(c->timer, EV_TIMEOUT, 1);
	httpd_check_cap(h);
	return bev;
}

/* The tracked connection of req, or NULL (not adopted yet, untracked). */
static struct httpd_conn *
httpd_conn_of(struct httpd *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct httpd_conn *c;

	TAILQ_FOREACH(c, &h->conns, next)
		if (c->evcon != NULL && c->evcon == evcon)
			return c;
	return NULL;
}

/* How many times the request carries header name. */
static int
httpd_header_count(struct evhttp_request *req, const char *name)
{
	struct evkeyval *kv;
	int n = 0;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
		if (strcasecmp(kv->key, name) == 0)
			n++;
	return n;
}

/* Append method to allow ("GET, POST") unless it is there. */
static void
httpd_allow_add(char *allow, size_t len, const char *method)
{
	if (strstr(allow, method) != NULL ||
	    strlen(allow) + strlen(method) + 3 >= len)
		return;
	if (allow[0] != '\0')
		strcat(allow, ", ");
	strcat(allow, method);
}

/*
 * The general callback: a whole request arrived.  Refuse what the
 * routes must never see, then find the route or say why there is none.
 */
static void
httpd_dispatch(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *method = httpd_method_name(cmd);
	struct httpd_conn *c = httpd_conn_of(h, req);
	struct timeval tv = { h->request_timeout_s, 0 };
	char allow[128] = "";
	int known = 0;

	if (c != NULL) {
		/* The next request on this connection gets a fresh
		 * deadline, counted from now. */
		c->served = 1;
		evtimer_add(c->timer, &tv);
	}
	/*
	 * evhttp reads the body by the first Content-Length; a proxy in
	 * front may have used the other.  Such a request is how requests
	 * are smuggled: refuse it, and close, since where the next request
	 * starts is unknown.
	 */
	if (httpd_header_count(req, "Content-Length") > 1) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		httpd_reply_error(req, 400, "duplicate Content-Length header");
		return;
	}
	if (path == NULL || *path == '\0')
		path = "/";
	for (size_t i = 0; i < h->n_routes; i++) {
		struct httpd_route *r = &h->routes[i];

		if (!httpd_path_matches(r->path, path))
			continue;
		if (r->method == NULL || strcmp(r->method, method) == 0) {
			r->fn(req, r->arg);
			return;
		}
		known = 1;
		httpd_allow_add(allow, sizeof(allow), r->method);
	}
	/*
	 * OPTIONS, TRACE and CONNECT are served on no path; answer them as
	 * doc/api.txt promises for a wrong method, with the path's methods
	 * or, for a path of no route ("*", CONNECT's host:port), the
	 * server's.
	 */
	if (!known && (cmd == EVHTTP_REQ_OPTIONS || cmd == EVHTTP_REQ_TRACE ||
	    cmd == EVHTTP_REQ_CONNECT)) {
		for (size_t i = 0; i < h->n_routes; i++)
			if (h->routes[i].method != NULL)
				httpd_allow_add(allow, sizeof(allow),
				    h->routes[i].method);
		known = 1;
	}
	if (known) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		httpd_reply_error(req, 405, "method %s not allowed on %s",
		    method, path);
		return;
	}
	httpd_reply_error(req, 404, "no such path: %s", path);
}

/* Split "host:port" or "[v6]:port" into host (caller frees) and port. */
static int
httpd_split_listen(const char *listen, char **host, int *port)
{
	const char *colon, *h = listen;
	size_t hlen;
	char *end;
	long p;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - listen);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (hlen == 0 || colon[1] == '\0' || *end != '\0' || errno != 0 ||
	    p < 0 || p > 65535)
		return -1;
	*host = xmalloc(hlen + 1);
	memcpy(*host, h, hlen);
	(*host)[hlen] = '\0';
	*port = (int)p;
	return 0;
}

/*
 * Raise the soft descriptor limit towards HTTPD_NOFILE_WANT, never above
 * the hard limit.  The common default of 1024 would let a thousand idle
 * connections take the descriptors the store and the plugins need.
 * Failure is harmless (the old limit stays), so it is not reported.
 */
static void
httpd_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = HTTPD_NOFILE_WANT;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The pause is over: accept again. */
static void
httpd_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/*
 * accept() failed with an error libevent does not retry (EMFILE, ENFILE,
 * ENOBUFS...).  Without this callback libevent logs and returns, the
 * listening socket stays readable, and the loop spins: a core burnt and
 * one warning per iteration (5 million lines in 45 s under api_flood.py
 * with 256 descriptors).  Pause the listener instead; the kernel's
 * backlog keeps the waiting clients until a one-shot timer enables it
 * again.  The timer's argument is the listener itself (our struct is not
 * reachable from here): it lives as long as the httpd, which lives as
 * long as the loop runs.  Logged here: there is no caller to return the
 * error to.
 */
static void
httpd_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval pause = { HTTPD_ACCEPT_PAUSE_S, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	evconnlistener_disable(lev);
	if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
	    httpd_accept_resume, lev, &pause) == -1)
		evconnlistener_enable(lev);	/* spin rather than go deaf */
	log_warnx("http: accept: %s; not accepting for %d s",
	    evutil_socket_error_to_string(e), HTTPD_ACCEPT_PAUSE_S);
}

int
httpd_open(struct event_base *base, const char *listen, struct httpd **out,
    char *err, size_t errlen)
{
	struct httpd *h;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	char *host = NULL;
	int port;

	if (httpd_split_listen(listen, &host, &port) == -1) {
		snprintf(err, errlen, "listen \"%s\" must be HOST:PORT or "
		    "[IPV6]:PORT", listen);
		return -1;
	}
	httpd_raise_nofile();
	h = xcalloc(1, sizeof(*h));
	TAILQ_INIT(&h->conns);
	if ((h->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		goto fail;
	}
	evhttp_set_max_body_size(h->http, HTTPD_BODY_MAX);
	evhttp_set_max_headers_size(h->http, HTTPD_HEADERS_MAX);
	evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
	/* All of them: evhttp would answer the others 501 in HTML. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT);
	evhttp_set_gencb(h->http, httpd_dispatch, h);
	evhttp_set_bevcb(h->http, httpd_conn_new, h);
	errno = 0;
	if ((h->sock = evhttp_bind_socket_with_handle(h->http, host,
	    (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "listen %s: %s", listen,
		    errno != 0 ? strerror(errno) : "cannot bind");
		goto fail;
	}
	h->listener = evhttp_bound_socket_get_listener(h->sock);
	evconnlistener_set_error_cb(h->listener, httpd_accept_error);
	httpd_set_limits(h, HTTPD_REQUEST_TIMEOUT_S, HTTPD_MAX_CONNS,
	    HTTPD_MAX_PER_PEER);
	h->port = port;
	if (getsockname(evhttp_bound_socket_get_fd(h->sock),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	snprintf(h->address, sizeof(h->address), strchr(host, ':') != NULL ?
	    "[%s]:%d" : "%s:%d", host, h->port);
	free(host);
	*out = h;
	return 0;
fail:
	free(host);
	httpd_free(h);
	return -1;
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

const char *
httpd_address(const struct httpd *h)
{
	return h->address;
}

void
httpd_set_max_body(struct httpd *h, size_t max)
{
	evhttp_set_max_body_size(h->http, (ev_ssize_t)(max * 4));
}

void
httpd_set_limits(struct httpd *h, int request_timeout_s, size_t max_conns,
    size_t max_per_peer)
{
	struct rlimit rl;

	/* Half the descriptors stay for the channels, store and logs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    max_conns > rl.rlim_cur / 2)
		max_conns = (size_t)(rl.rlim_cur / 2);
	h->max_conns = max_conns > 0 ? max_conns : 1;
	h->max_per_peer = max_per_peer > 0 ? max_per_peer : 1;
	h->request_timeout_s = request_timeout_s > 0 ? request_timeout_s : 1;
	httpd_check_cap(h);
}

int
httpd_route(struct httpd *h, const char *method, const char *path,
    httpd_handler_fn fn, void *arg)
{
	struct httpd_route *r;

	if (h->n_routes == HTTPD_ROUTES_MAX)
		return -1;
	r = &h->routes[h->n_routes++];
	r->method = method != NULL ? xstrdup(method) : NULL;
	r->path = xstrdup(path);
	r->fn = fn;
	r->arg = arg;
	return 0;
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	/* evhttp_free frees the listener, then closes the connections:
	 * their closecb must not enable it again. */
	h->listener = NULL;
	if (h->http != NULL)
		evhttp_free(h->http);
	while (!TAILQ_EMPTY(&h->conns))	/* those not adopted yet */
		httpd_conn_free(TAILQ_FIRST(&h->conns));
	for (size_t i = 0; i < h->n_routes; i++) {
		free(h->routes[i].method);
		free(h->routes[i].path);
	}
	free(h);
}
