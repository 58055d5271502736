/*
 * skeleton.c - the smallest useful herald channel plugin, to copy.
 *
 * Rename it (file, descriptor .name, the functions), replace the body of
 * skeleton_send() with your platform's client, and keep the rest.  The
 * rules a plugin lives by are at the top of <herald-plugin.h>; the short
 * version: never block, report exactly one outcome per send, classify
 * failures as transient or permanent, log no secrets.
 *
 * This channel takes one setting, `target`, and "delivers" a message by
 * logging one line at debug level.  A channel block using it:
 *
 *   channels = ( { name = "demo"; plugin = "skeleton"; target = "ops-room"; } );
 */
#include <stdlib.h>
#include <string.h>

#include <herald-plugin.h>
#include <herald-plugin-conf.h>

/* Per channel block: open() makes one, close() frees it. */
struct skeleton_channel {
	const struct herald_host *host;		/* valid until close() */
	const struct herald_channel_conf *conf;	/* likewise */
	char *target;
};

/*
 * The settings a block may carry, one row each: name, type, where the
 * value goes, and for a required one the error when it is missing.  To
 * add a setting, add a field and a row; herald_conf_read() looks every
 * row up (whatever nobody asked for is reported to the user as an
 * unknown setting, a typo usually) and reports bad types and bounds at
 * the setting's file:line.  Rows take .def, .min, .max and .bad too.
 */
struct skeleton_settings {
	struct herald_conf_value target;
};

#define SKELETON_ROW(n, t, f) HERALD_CONF_ROW(struct skeleton_settings, n, t, f)
static const struct herald_conf_row skeleton_rows[] = {
	{ SKELETON_ROW("target", STRING, target),
	    .missing = "missing setting \"target\"" },
};

static int
skeleton_open(const struct herald_host *host,
    const struct herald_channel_conf *conf, void **state)
{
	struct skeleton_settings set;
	struct skeleton_channel *sc;

	if (!herald_conf_read(host, conf, skeleton_rows,
	    sizeof(skeleton_rows) / sizeof(skeleton_rows[0]), &set))
		return -1;

	/* heraldd -t: the block is valid; connect to nothing. */
	if (conf->check_only)
		return 0;

	/* Plugins use plain malloc: they never link daemon symbols. */
	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (sc->target = strdup(set.target.str)) == NULL) {
		free(sc);
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	sc->host = host;
	sc->conf = conf;
	*state = sc;
	return 0;
}

/*
 * msg is borrowed until complete(): a real plugin copies what it needs,
 * starts a request on host->base and completes from that request's
 * callback.  This one has nothing to wait for, so it completes at once.
 */
static void
skeleton_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct skeleton_channel *sc = state;

	if (msg->body == NULL || msg->body[0] == '\0') {
		/* Retrying would not help: permanent. */
		sc->host->complete(c, HERALD_PERMANENT, 0, "empty message");
		return;
	}
	/* Message bodies only at debug level (rule 5). */
	sc->host->log(sc->conf, HERALD_LOG_DEBUG, "to %s: %s %s for %s",
	    sc->target, msg->kind, msg->key, msg->contact);
	sc->host->complete(c, HERALD_DELIVERED, 0, NULL);
}

/* Called once per successful open(); state may be NULL (check_only). */
static void
skeleton_close(void *state)
{
	struct skeleton_channel *sc = state;

	if (sc == NULL)
		return;
	free(sc->target);
	free(sc);
}

/*
 * The descriptor: what the host checks at load (ABI, size, name) and what
 * the scheduler plans with (caps).  Named initialisers only, so fields
 * added by later ABI minors start zeroed.
 */
static const struct herald_plugin skeleton_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "skeleton",		/* must match skeleton.so */
	.version = "0.1",
	.description = "template for new channel plugins",
	.caps = {
		.max_length = 500,		/* 0 would mean unlimited */
		.length_unit = HERALD_LEN_CHARS,
		.address = HERALD_ADDR_NONE,	/* the channel is the target */
		.ack_links = 1,
		.delivery_receipts = 0,
		.default_rate = 10,		/* per second */
		.default_burst = 10,
		.default_concurrency = 4,
	},
	.open = skeleton_open,
	.send = skeleton_send,
	.close = skeleton_close,
};

/* The one exported symbol: herald_plugin_entry() returns the descriptor. */
HERALD_PLUGIN_DECLARE(skeleton_plugin)
