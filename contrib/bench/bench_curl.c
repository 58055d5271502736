/*
 * bench_curl.c - libcurl alone, driven the way heraldd drives it: the
 * multi_socket API on a libevent loop (precise timers, no cached time),
 * easy handles reused, a multi handle per 64 transfers in flight (each
 * goes to the first with room), MAXCONNECTS at what each has had in
 * flight, CONCURRENCY POSTs of the generic flavour's body in flight
 * until TOTAL are answered.  No store, no dispatcher, no plugin: the
 * floor under a webhook delivery on this machine, beside wrk's ceiling
 * (bench_launch.sh runs it per run).
 *
 *   cc -O2 -o bench_curl bench_curl.c \
 *       $(pkg-config --cflags --libs libevent libcurl)
 *   bench_curl URL CONCURRENCY TOTAL
 *
 * Prints one line: "RATE US" -- transfers per second and CPU (user +
 * system) per transfer in microseconds, both counted from the moment the
 * first CONCURRENCY transfers are answered (connections open) to the last.
 * Exits non-zero if a transfer fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#define PER_MULTI 64	/* core/http.c's HTTP_MULTI_REQS */

struct bench;

/* One multi handle: at most PER_MULTI transfers in flight on it. */
struct multi {
	struct bench *b;
	CURLM *multi;
	struct event *timer;
	int in_flight, high;
};

struct bench {
	struct event_base *base;
	struct multi *m;
	int n_m;
	struct curl_slist *headers;
	const char *url;
	CURL **spare;
	int n_spare, conc, total, started, done, failed;
	double cpu0, wall0;
};

static const char body[] = "{\"key\":\"6f1c2a9e-8a43-4c55-9b1e-0d3f5c7a2b11\","
    "\"kind\":\"launch\",\"campaign\":\"bench\",\"item\":\"launch\","
    "\"title\":\"go\",\"contact\":\"c00001\",\"contact_name\":\"c00001\","
    "\"subject\":null,\"body\":\"go\",\"due\":1700000000,\"ack_url\":null,"
    "\"job_due\":1700000000,\"attempt\":1}";

static double
cpu_s(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	    (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg);

/* CURLMOPT_SOCKETFUNCTION: one event per socket, kept in its socketp. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct multi *m = arg;
	struct event *ev = sockp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		curl_multi_assign(m->multi, fd, NULL);
		return 0;
	}
	kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (ev == NULL)
		ev = event_new(m->b->base, fd, kind, on_socket_event, m);
	else if (event_del(ev) == -1 || event_assign(ev, m->b->base, fd,
	    kind, on_socket_event, m) == -1)
		return -1;
	if (ev == NULL || event_add(ev, NULL) == -1)
		return -1;
	curl_multi_assign(m->multi, fd, ev);
	return 0;
}

static int
on_timer_set(CURLM *multi, long ms, void *arg)
{
	struct multi *m = arg;
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	(void)multi;
	if (ms < 0)
		return evtimer_del(m->timer);
	return evtimer_add(m->timer, &tv);
}

static void
start_more(struct bench *b)
{
	struct multi *m;
	CURL *e;

	while (b->started < b->total && b->started - b->done < b->conc) {
		for (m = b->m; m->in_flight == PER_MULTI; m++)
			;
		e = b->n_spare > 0 ? b->spare[--b->n_spare] : curl_easy_init();
		if (e == NULL)
			exit(1);
		curl_easy_reset(e);
		curl_easy_setopt(e, CURLOPT_URL, b->url);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(sizeof(body) - 1));
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, b->headers);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
		curl_multi_add_handle(m->multi, e);
		if (++m->in_flight > m->high) {
			m->high = m->in_flight;
			curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS,
			    (long)m->high);
		}
		b->started++;
	}
}

static void
collect(struct multi *m)
{
	struct bench *b = m->b;
	CURLMsg *msg;
	long code;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		code = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &code);
		if (msg->data.result != CURLE_OK || code != 200)
			b->failed++;
		curl_multi_remove_handle(m->multi, msg->easy_handle);
		m->in_flight--;
		b->spare[b->n_spare++] = msg->easy_handle;
		if (++b->done == b->conc) {
			b->cpu0 = cpu_s();
			b->wall0 = wall_s();
		}
	}
	if (b->done >= b->total)
		event_base_loopbreak(b->base);
	else
		start_more(b);
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct multi *m = arg;
	int running;

	curl_multi_socket_action(m->multi, fd,
	    (what & EV_READ ? CURL_CSELECT_IN : 0) |
	    (what & EV_WRITE ? CURL_CSELECT_OUT : 0), &running);
	collect(m);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct multi *m = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(m);
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct event_config *cfg;
	struct multi *m;
	int n;

	if (argc != 4 || (b.conc = atoi(argv[2])) < 1 ||
	    (b.total = atoi(argv[3])) <= b.conc) {
		fprintf(stderr, "usage: bench_curl URL CONCURRENCY TOTAL "
		    "(TOTAL > CONCURRENCY)\n");
		return 2;
	}
	b.url = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((cfg = event_config_new()) == NULL)
		return 1;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER |
	    EVENT_BASE_FLAG_NO_CACHE_TIME);
	b.base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	b.spare = calloc((size_t)b.conc, sizeof(*b.spare));
	b.n_m = (b.conc + PER_MULTI - 1) / PER_MULTI;
	b.m = calloc((size_t)b.n_m, sizeof(*b.m));
	if (b.base == NULL || b.spare == NULL || b.m == NULL)
		return 1;
	for (m = b.m; m < b.m + b.n_m; m++) {
		m->b = &b;
		if ((m->multi = curl_multi_init()) == NULL ||
		    (m->timer = evtimer_new(b.base, on_timeout, m)) == NULL)
			return 1;
		curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
		curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
		curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION,
		    on_timer_set);
		curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	}
	b.headers = curl_slist_append(NULL,
	    "Content-Type: application/json; charset=utf-8");
	b.headers = curl_slist_append(b.headers,
	    "X-Herald-Id: 6f1c2a9e-8a43-4c55-9b1e-0d3f5c7a2b11");
	b.headers = curl_slist_append(b.headers, "Expect:");
	start_more(&b);
	event_base_dispatch(b.base);
	n = b.total - b.conc;
	printf("%.0f %.1f\n", n / (wall_s() - b.wall0),
	    (cpu_s() - b.cpu0) * 1e6 / n);
	while (b.n_spare > 0)
		curl_easy_cleanup(b.spare[--b.n_spare]);
	for (m = b.m; m < b.m + b.n_m; m++) {
		curl_multi_cleanup(m->multi);
		event_free(m->timer);
	}
	free(b.m);
	curl_slist_free_all(b.headers);
	event_base_free(b.base);
	free(b.spare);
	curl_global_cleanup();
	if (b.failed > 0) {
		fprintf(stderr, "bench_curl: %d transfers failed\n", b.failed);
		return 1;
	}
	return 0;
}
