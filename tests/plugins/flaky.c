/*
 * flaky.c - a test channel that answers as told: delivered, transient
 * (with an optional retry-after) or permanent, at once or after a delay
 * on the loop.  Every send is appended to a record file as
 * "key kind attempt" so tests see what reached the channel and in what
 * order.
 *
 * Settings: mode = "ok" | "transient" | "permanent" | "timed-out" |
 *   "uncertain" (default "ok");
 * retry_after_ms = N; delay_ms = N (0: complete inside send());
 * record = "/path" (optional).  prepare() (ABI minor 6) records
 * "prepare N AT".  bodies = "/path" (optional) gets "key body" for
 * every send: the text that reached the channel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "herald-plugin.h"

struct flaky_channel {
	const struct herald_host *host;
	enum herald_outcome outcome;
	unsigned retry_after_ms;
	long delay_ms;
	char *record;
	char *bodies;
};

struct flaky_pending {
	struct flaky_channel *fc;
	struct herald_completion *c;
	struct event *ev;
};

static int
flaky_open(const struct herald_host *host,
    const struct herald_channel_conf *conf, void **state)
{
	const struct herald_setting *mode = host->setting(conf, "mode");
	const struct herald_setting *ra = host->setting(conf, "retry_after_ms");
	const struct herald_setting *delay = host->setting(conf, "delay_ms");
	const struct herald_setting *rec = host->setting(conf, "record");
	const struct herald_setting *bodies = host->setting(conf, "bodies");
	struct flaky_channel *fc;
	enum herald_outcome o = HERALD_DELIVERED;

	if (mode != NULL && mode->str != NULL) {
		if (strcmp(mode->str, "transient") == 0)
			o = HERALD_TRANSIENT;
		else if (strcmp(mode->str, "timed-out") == 0)
			o = HERALD_TIMED_OUT;
		else if (strcmp(mode->str, "uncertain") == 0)
			o = HERALD_UNCERTAIN;
		else if (strcmp(mode->str, "permanent") == 0)
			o = HERALD_PERMANENT;
		else if (strcmp(mode->str, "ok") != 0) {
			host->conf_error(conf, mode, "unknown mode \"%s\"",
			    mode->str);
			return -1;
		}
	}
	if (conf->check_only)
		return 0;
	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return -1;
	fc->host = host;
	fc->outcome = o;
	fc->retry_after_ms = ra != NULL ? (unsigned)ra->integer : 0;
	fc->delay_ms = delay != NULL ? (long)delay->integer : 0;
	fc->record = rec != NULL && rec->str != NULL ? strdup(rec->str) : NULL;
	fc->bodies = bodies != NULL && bodies->str != NULL ?
	    strdup(bodies->str) : NULL;
	*state = fc;
	return 0;
}

static void
flaky_complete(struct flaky_channel *fc, struct herald_completion *c)
{
	fc->host->complete(c, fc->outcome, fc->retry_after_ms,
	    fc->outcome == HERALD_DELIVERED ? NULL : "flaky says no");
}

static void
flaky_later(evutil_socket_t fd, short what, void *arg)
{
	struct flaky_pending *p = arg;

	flaky_complete(p->fc, p->c);
	event_free(p->ev);
	free(p);
}

static void
flaky_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct flaky_channel *fc = state;
	struct flaky_pending *p;
	struct timeval tv;
	FILE *fp;

	if (fc->record != NULL && (fp = fopen(fc->record, "a")) != NULL) {
		fprintf(fp, "%s %s %u\n", msg->key, msg->kind, msg->attempt);
		fclose(fp);
	}
	if (fc->bodies != NULL && (fp = fopen(fc->bodies, "a")) != NULL) {
		fprintf(fp, "%s %s\n", msg->key, msg->body ? msg->body : "");
		fclose(fp);
	}
	if (fc->delay_ms <= 0 || (p = calloc(1, sizeof(*p))) == NULL) {
		flaky_complete(fc, c);
		return;
	}
	p->fc = fc;
	p->c = c;
	p->ev = evtimer_new(fc->host->base, flaky_later, p);
	if (p->ev == NULL) {
		free(p);
		flaky_complete(fc, c);
		return;
	}
	tv.tv_sec = fc->delay_ms / 1000;
	tv.tv_usec = (fc->delay_ms % 1000) * 1000;
	evtimer_add(p->ev, &tv);
}

static void
flaky_prepare(void *state, unsigned n, int64_t at)
{
	struct flaky_channel *fc = state;
	FILE *fp;

	if (fc->record != NULL && (fp = fopen(fc->record, "a")) != NULL) {
		fprintf(fp, "prepare %u %lld\n", n, (long long)at);
		fclose(fp);
	}
}

static void
flaky_close(void *state)
{
	struct flaky_channel *fc = state;

	if (fc == NULL)
		return;
	free(fc->record);
	free(fc->bodies);
	free(fc);
}

static const struct herald_plugin flaky_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "flaky",
	.description = "test channel with scripted outcomes",
	.caps = { .default_concurrency = 2 },
	.open = flaky_open,
	.send = flaky_send,
	.close = flaky_close,
	.prepare = flaky_prepare,
};

HERALD_PLUGIN_DECLARE(flaky_plugin)
