/*
 * dispatch_address.c - where a contact is reached on a channel, and the
 * contact as a message's recipient (see dispatch.h).
 *
 * The lowest layer of the dispatcher: the send (dispatch.c) and the
 * merged message (dispatch_merge.c) both address through it, and it calls
 * nothing of theirs.
 */
#include "dispatch_internal.h"

#include <string.h>

#include "model.h"

const char *
dispatch_address(const struct model_contact *mc, const char *channel,
    enum herald_address_kind kind)
{
	for (size_t i = 0; i < mc->n_addresses; i++)
		if (strcmp(mc->addresses[i].channel->name, channel) == 0)
			return mc->addresses[i].address;
	switch (kind) {
	case HERALD_ADDR_PHONE:
		return mc->phone;
	case HERALD_ADDR_EMAIL:
		return mc->email;
	default:
		return NULL;
	}
}

void
dispatch_recipient(const struct model_contact *mc, const char *channel,
    struct herald_recipient *out)
{
	out->contact = mc->id;
	out->name = mc->name;
	out->phone = mc->phone;
	/* Only an explicit address entry is a handle: the kind's fallback
	 * (phone, email) is not a robot's user id. */
	out->handle = dispatch_address(mc, channel, HERALD_ADDR_NONE);
}
