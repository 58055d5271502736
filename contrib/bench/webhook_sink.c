/*
 * webhook_sink.c - the receiver for bench_webhook.sh and
 * bench_incident.sh: answers every POST with 200 and a body every webhook
 * flavour reads as success, counts them, and reports on GET /stats (not
 * counted) one line:
 *
 *   count first_us last_us alerts alert_first_us alert_last_us
 *   reminders reminders_at_first_alert reminders_at_last_alert
 *   connections turnaround_p50_us turnaround_p90_us
 *
 * Times are CLOCK_REALTIME microseconds, so a script can set them against
 * its own `date +%s%N`.  An alert is a body with "kind":"emergency", a
 * reminder one with "kind":"reminder" (the generic flavour's JSON);
 * reminders_at_* count the reminders received when the first and the
 * last alert came.  connections counts the TCP connections accepted
 * since the start, less one per GET /stats (each poll by curl(1) comes
 * on its own connection): a client that reuses its connections opens as
 * many as it has requests in flight.  With SLOW (seconds), every POST but an
 * emergency alert is answered only that long after it arrives, holding
 * its sender's slot: a backlog that moves slowly, or a receiver that
 * answers late.  One libevent evhttp loop, so wrk and heraldd meet the
 * same ceiling.  turnaround_* is how long a connection stays idle between
 * an answer and its next request, the client's own share of each round
 * (0 before any connection made a second request): with a slow receiver,
 * what keeps a client from filling its pipe.
 *
 *   cc -O2 -o webhook_sink webhook_sink.c $(pkg-config --cflags --libs libevent)
 *   webhook_sink PORTFILE [SLOW]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Turnarounds in 0.1 ms steps; the last step holds all longer ones. */
#define TURN_STEPS 10000

/*
 * Per client port (loopback: one connection each at a time): the
 * connection last seen on it and when it was last answered.  A new
 * connection on a reused port shows as a different pointer.
 */
struct peer {
	const void *conn;
	long long answered_us;
};

struct sink {
	struct event_base *base;
	double slow;			/* seconds before answering a reminder */
	unsigned long count;
	long long first_us, last_us;
	unsigned long alerts, reminders;
	long long alert_first_us, alert_last_us;
	unsigned long reminders_at_first, reminders_at_last;
	unsigned long conns;		/* connections accepted */
	struct peer *peers;		/* 65,536, by client port */
	unsigned long turns[TURN_STEPS];
	unsigned long n_turns;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char ok[] =
    "{\"errcode\":0,\"errmsg\":\"ok\",\"code\":0,\"msg\":\"success\"}";

/* req's client's entry, or NULL when the peer is not known. */
static struct peer *
peer_of(struct sink *s, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr;
	uint16_t port;

	if (c == NULL)
		return NULL;
	evhttp_connection_get_peer(c, &addr, &port);
	if (s->peers[port].conn != c) {
		s->peers[port].conn = c;
		s->peers[port].answered_us = 0;
	}
	return &s->peers[port];
}

/* The p-th percentile of the turnarounds, in us. */
static long long
turn_pct(const struct sink *s, unsigned p)
{
	unsigned long want = (s->n_turns * p + 99) / 100, seen = 0;
	unsigned i;

	if (s->n_turns == 0)
		return 0;
	for (i = 0; i < TURN_STEPS; i++)
		if ((seen += s->turns[i]) >= want)
			break;
	return (long long)i * 100;
}

static void
reply_ok(struct sink *s, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	struct peer *p = peer_of(s, req);

	if (b == NULL)
		abort();
	if (p != NULL)
		p->answered_us = now_us();
	evbuffer_add(b, ok, sizeof(ok) - 1);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* A request answered late: its sink and itself, freed on answering. */
struct late {
	struct sink *s;
	struct evhttp_request *req;
};

static void
on_slow(evutil_socket_t fd, short what, void *arg)
{
	struct late *l = arg;

	(void)fd;
	(void)what;
	reply_ok(l->s, l->req);
	free(l);
}

/* Does the request's body hold needle?  (Bodies are small.) */
static int
body_has(struct evhttp_request *req, const char *needle)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer_ptr p = evbuffer_search(in, needle, strlen(needle), NULL);

	return p.pos != -1;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct sink *s = arg;
	struct evbuffer *b;
	struct peer *p;
	long long step;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET &&
	    strcmp(evhttp_request_get_uri(req), "/stats") == 0) {
		if ((b = evbuffer_new()) == NULL)
			abort();
		s->conns--;
		evbuffer_add_printf(b, "%lu %lld %lld %lu %lld %lld %lu %lu %lu %lu"
		    " %lld %lld\n", s->count, s->first_us, s->last_us, s->alerts,
		    s->alert_first_us, s->alert_last_us, s->reminders,
		    s->reminders_at_first, s->reminders_at_last, s->conns,
		    turn_pct(s, 50), turn_pct(s, 90));
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	s->last_us = now_us();
	if (s->count++ == 0)
		s->first_us = s->last_us;
	if ((p = peer_of(s, req)) != NULL && p->answered_us != 0) {
		step = (s->last_us - p->answered_us) / 100;
		s->turns[step < 0 ? 0 : step >= TURN_STEPS ? TURN_STEPS - 1 :
		    step]++;
		s->n_turns++;
		p->answered_us = 0;
	}
	if (body_has(req, "\"kind\":\"emergency\"")) {
		if (s->alerts++ == 0) {
			s->alert_first_us = s->last_us;
			s->reminders_at_first = s->reminders;
		}
		s->alert_last_us = s->last_us;
		s->reminders_at_last = s->reminders;
		reply_ok(s, req);
		return;
	}
	if (body_has(req, "\"kind\":\"reminder\""))
		s->reminders++;
	if (s->slow > 0) {
		struct timeval tv = { (time_t)s->slow,
		    (suseconds_t)((s->slow - (time_t)s->slow) * 1e6) };
		struct late *l = malloc(sizeof(*l));

		if (l == NULL)
			abort();
		l->s = s;
		l->req = req;
		event_base_once(s->base, -1, EV_TIMEOUT, on_slow, l, &tv);
		return;
	}
	reply_ok(s, req);
}

/*
 * evhttp asks for a bufferevent once per accepted connection: the one
 * place that sees every connection, so count it there.
 */
static struct bufferevent *
on_conn(struct event_base *base, void *arg)
{
	struct sink *s = arg;

	s->conns++;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

int
main(int argc, char **argv)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct event_base *base;
	struct evhttp *http;
	struct sink s = { 0 };
	FILE *fp;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: webhook_sink PORTFILE [SLOW]\n");
		return 2;
	}
	if (argc == 3)
		s.slow = atof(argv[2]);
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL)
		return 1;
	s.base = base;
	if ((s.peers = calloc(65536, sizeof(*s.peers))) == NULL)
		return 1;
	evhttp_set_gencb(http, on_request, &s);
	evhttp_set_bevcb(http, on_conn, &s);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	    &len) == -1)
		return 1;
	if ((fp = fopen(argv[1], "w")) == NULL)
		return 1;
	fprintf(fp, "%d\n", ntohs(sin.sin_port));
	fclose(fp);
	event_base_dispatch(base);
	return 0;
}
