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
 * control port can make heraldd spend at will.  libevent 2.1 has no cap
 * on connections (evhttp_set_max_connections is 2.2), so two things keep
 * a flood of idle connections (tests/integration/api_flood.py) from
 * hurting the rest of the daemon: the soft RLIMIT_NOFILE is raised
 * towards the hard one at start, and when accept() still runs out of
 * descriptors the listener pauses for a second instead of spinning.
 *
 * Left out on purpose: a deadline on the whole request.  evhttp's timeout
 * is an idle timeout, so a client that drips one byte a second keeps its
 * connection; 2.1 gives no hook to find and close such a connection
 * (there is no free callback for the bufferevent evhttp_set_bevcb would
 * let us make).  Such a client holds one descriptor and at most the body
 * cap, and the listen address is loopback by default.
 */
#include "httpd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
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
/* A client idle this long (slowloris) is dropped. */
#define HTTPD_TIMEOUT_S		10
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

struct httpd {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	int port;
	char address[80];
	struct httpd_route routes[HTTPD_ROUTES_MAX];
	size_t n_routes;
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

/* The general callback: find the route, or say why there is none. */
static void
httpd_dispatch(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *method = httpd_method_name(evhttp_request_get_command(req));
	char allow[128] = "";
	int known = 0;

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
		if (strstr(allow, r->method) == NULL &&
		    strlen(allow) + strlen(r->method) + 3 < sizeof(allow)) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, r->method);
		}
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
	if ((h->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		goto fail;
	}
	evhttp_set_max_body_size(h->http, HTTPD_BODY_MAX);
	evhttp_set_max_headers_size(h->http, HTTPD_HEADERS_MAX);
	evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->http, httpd_dispatch, h);
	errno = 0;
	if ((h->sock = evhttp_bind_socket_with_handle(h->http, host,
	    (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "listen %s: %s", listen,
		    errno != 0 ? strerror(errno) : "cannot bind");
		goto fail;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(h->sock),
	    httpd_accept_error);
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
	if (h->http != NULL)
		evhttp_free(h->http);
	for (size_t i = 0; i < h->n_routes; i++) {
		free(h->routes[i].method);
		free(h->routes[i].path);
	}
	free(h);
}
