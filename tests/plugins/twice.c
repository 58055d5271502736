/*
 * twice.c - a buggy test plugin that completes every send twice: once at
 * once, and again from a timer on the loop, the way a plugin whose
 * timeout and late answer both fire would.  The host must run the done
 * callback once and refuse the second completion without touching freed
 * memory.  It also fails its open() without a word when its block sets
 * silent = true, to test the host's fallback error.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "herald-plugin.h"

struct twice_channel {
	const struct herald_host *host;
};

struct twice_again {
	const struct herald_host *host;
	struct herald_completion *c;
};

static int
twice_open(const struct herald_host *host,
    const struct herald_channel_conf *conf, void **state)
{
	const struct herald_setting *silent = host->setting(conf, "silent");
	struct twice_channel *tc;

	if (silent != NULL && silent->integer)
		return -1;
	if (conf->check_only)
		return 0;
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return -1;
	tc->host = host;
	*state = tc;
	return 0;
}

static void
twice_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct twice_again *a = arg;

	a->host->complete(a->c, HERALD_PERMANENT, 0, "second outcome");
	free(a);
}

static void
twice_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct twice_channel *tc = state;
	struct twice_again *a = malloc(sizeof(*a));
	struct timeval zero = { 0, 0 };

	tc->host->complete(c, HERALD_DELIVERED, 0, NULL);
	if (a == NULL)
		return;
	a->host = tc->host;
	a->c = c;
	if (event_base_once(tc->host->base, -1, EV_TIMEOUT, twice_again_cb, a,
	    &zero) == -1)
		free(a);
}

static void
twice_close(void *state)
{
	free(state);
}

static const struct herald_plugin twice_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "twice",
	.caps = { .default_concurrency = 1 },
	.open = twice_open,
	.send = twice_send,
	.close = twice_close,
};

HERALD_PLUGIN_DECLARE(twice_plugin)
