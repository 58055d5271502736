/*
 * plugin.h - find, load and check channel plugins; run their channels.
 *
 * Plugins are loaded only from the plugin directory, by bare name: a name
 * with '/' or ".." or anything but [a-z0-9_-] is refused, so a config can
 * never make the daemon dlopen an arbitrary file.  A plugin whose ABI major
 * number differs from ours is refused with "ABI N instead of M".
 */
#ifndef HERALD_PLUGIN_H_INTERNAL
#define HERALD_PLUGIN_H_INTERNAL

#include <stddef.h>

#include "errlist.h"
#include "herald-plugin.h"
#include "model.h"

struct plugin;

/*
 * dlopen dir/name.so and check its descriptor.  On success *out is owned
 * by the caller (plugin_unload()).  On failure returns -1 and a reason in
 * err, e.g. "plugin \"x\": ABI 2 instead of 1" or dlerror()'s text.
 */
int plugin_load(const char *dir, const char *name, struct plugin **out,
    char *err, size_t errlen);
const struct herald_plugin *plugin_descriptor(const struct plugin *p);
/* The bare name it was loaded by; lives as long as p. */
const char *plugin_name(const struct plugin *p);
/* Accepts NULL. */
void plugin_unload(struct plugin *p);

/* Called by the host for each outcome of one send. */
typedef void (*plugin_done_fn)(void *arg, enum herald_outcome outcome,
    unsigned retry_after_ms, const char *reason);

/*
 * The open channels of one model: each channel's plugin loaded and its
 * open() called.  With check_only the plugins only validate their blocks
 * (heraldd -t, reload checks) and nothing is opened.
 */
struct channel_set;

/*
 * Open (or with check_only, validate) every channel of m using plugins
 * from dir.  Errors go to errs as "file:line: message" (a missing plugin,
 * an ABI mismatch, the plugin's own complaints, settings nobody asked
 * for).  Returns 0 with *out owned by the caller, or -1.  base may be NULL
 * when check_only.  m must outlive the set.
 */
int channel_set_open(const char *dir, const struct model *m,
    struct event_base *base, int check_only, struct errlist *errs,
    struct channel_set **out);
/* Close every channel (after in-flight sends completed).  Accepts NULL. */
void channel_set_free(struct channel_set *cs);

size_t channel_set_count(const struct channel_set *cs);
/* Index of the channel named name, or -1. */
int channel_set_find(const struct channel_set *cs, const char *name);
const struct herald_caps *channel_set_caps(const struct channel_set *cs, size_t i);
const struct model_channel *channel_set_model(const struct channel_set *cs, size_t i);

/*
 * Hand msg to channel i.  done(arg, ...) runs exactly once on the loop
 * thread, possibly before this returns.  msg is borrowed until then.
 */
void channel_set_send(struct channel_set *cs, size_t i,
    const struct herald_message *msg, plugin_done_fn done, void *arg);

#endif
