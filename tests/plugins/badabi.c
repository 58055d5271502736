/*
 * badabi.c - a test plugin built for a future ABI: the loader must refuse
 * it with "ABI 2 instead of 1" before touching any other field.
 */
#include "herald-plugin.h"

static void
badabi_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
}

static const struct herald_plugin badabi_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR + 1,
	.size = sizeof(struct herald_plugin),
	.name = "badabi",
	.send = badabi_send,
};

HERALD_PLUGIN_DECLARE(badabi_plugin)
