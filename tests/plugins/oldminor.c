/*
 * oldminor.c - a test plugin built for ABI 1.4, the minor before
 * measure(): the loader must still take it, send through it, and never
 * call what sits where measure() is now.
 *
 * A 1.4 plugin's descriptor had void *spare[8] where 1.5 has measure and
 * spare[7], with the same size.  The 1.4 header reserved spare[] without
 * promising zeros, so this one fills the slot with a trap: a host that
 * reads measure() from a 1.4 plugin calls it and the test dies.  The
 * same goes for prepare() (ABI 1.6), which sits where its spare[1] was.
 */
#include <stdlib.h>

#include "herald-plugin.h"

struct oldminor_state {
	const struct herald_host *host;
};

static int
oldminor_open(const struct herald_host *host,
    const struct herald_channel_conf *conf, void **state)
{
	struct oldminor_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	*state = st;
	return 0;
}

/* Delivers at once: the loader test only needs a send to come back. */
static void
oldminor_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct oldminor_state *st = state;

	st->host->complete(c, HERALD_DELIVERED, 0, NULL);
}

static void
oldminor_close(void *state)
{
	free(state);
}

static int
oldminor_trap(void *state, const char *subject, const char *body,
    struct herald_measure *out)
{
	abort();	/* a 1.4 plugin has no measure(): the host read spare[0] */
}

static void
oldminor_prepare_trap(void *state, unsigned n, int64_t at)
{
	abort();	/* no prepare() before 1.6: the host read spare[1] */
}

static const struct herald_plugin oldminor_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = 4,
	.size = sizeof(struct herald_plugin),
	.name = "oldminor",
	.version = "1.4",
	.open = oldminor_open,
	.send = oldminor_send,
	.close = oldminor_close,
	.measure = oldminor_trap,	/* spare[0] in a 1.4 descriptor */
	.prepare = oldminor_prepare_trap,	/* spare[1] */
};

HERALD_PLUGIN_DECLARE(oldminor_plugin)
