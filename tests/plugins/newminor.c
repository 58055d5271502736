/*
 * newminor.c - a test plugin built against a newer minor ABI than the
 * host's: it could read message fields or services the host lacks, so the
 * loader must refuse it.
 */
#include "herald-plugin.h"

static void
newminor_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
}

static const struct herald_plugin newminor_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR + 1,
	.size = sizeof(struct herald_plugin),
	.name = "newminor",
	.send = newminor_send,
};

HERALD_PLUGIN_DECLARE(newminor_plugin)
