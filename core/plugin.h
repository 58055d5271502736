/*
 * plugin.h - find, load and check channel plugins.
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
typedef int (*herald_measure_fn)(void *state, const char *subject,
    const char *body, struct herald_measure *out);
/* The plugin's measure(), or NULL when it has none or is built for a
 * minor before 5 (which has no such field). */
herald_measure_fn plugin_measure(const struct plugin *p);
typedef void (*herald_prepare_fn)(void *state, unsigned n, int64_t at);
/* The plugin's prepare(), or NULL when it has none or is built for a
 * minor before 6. */
herald_prepare_fn plugin_prepare(const struct plugin *p);
/* The bare name it was loaded by; lives as long as p. */
const char *plugin_name(const struct plugin *p);
/* Accepts NULL. */
void plugin_unload(struct plugin *p);

/*
 * The channel sets moved to channel_set.h; included here so that the files
 * which reach them through this header keep building until they include
 * channel_set.h themselves.
 */
#include "channel_set.h"

#endif
