/*
 * wrongname.c - a test plugin whose descriptor calls itself "other": a
 * config must not be able to load one plugin under another's name.
 */
#include "herald-plugin.h"

static void
wrongname_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
}

static const struct herald_plugin wrongname_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "other",
	.send = wrongname_send,
};

HERALD_PLUGIN_DECLARE(wrongname_plugin)
