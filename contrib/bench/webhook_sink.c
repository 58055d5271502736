/*
 * webhook_sink.c - the receiver for bench_webhook.sh: answers every POST
 * with 200 and a body every webhook flavour reads as success, counts
 * them, and reports "count first_us last_us" on GET /stats (not counted).
 * One libevent evhttp loop, so wrk and heraldd meet the same ceiling.
 *
 *   cc -O2 -o webhook_sink webhook_sink.c $(pkg-config --cflags --libs libevent)
 *   webhook_sink PORTFILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct sink {
	unsigned long count;
	long long first_us, last_us;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	static const char ok[] =
	    "{\"errcode\":0,\"errmsg\":\"ok\",\"code\":0,\"msg\":\"success\"}";
	struct sink *s = arg;
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		abort();
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET &&
	    strcmp(evhttp_request_get_uri(req), "/stats") == 0) {
		evbuffer_add_printf(b, "%lu %lld %lld\n", s->count, s->first_us,
		    s->last_us);
	} else {
		s->last_us = now_us();
		if (s->count++ == 0)
			s->first_us = s->last_us;
		evbuffer_add(b, ok, sizeof(ok) - 1);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
	}
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
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

	if (argc != 2) {
		fprintf(stderr, "usage: webhook_sink PORTFILE\n");
		return 2;
	}
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL)
		return 1;
	evhttp_set_gencb(http, on_request, &s);
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
