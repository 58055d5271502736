/*
 * channel_set.h - the open channels of one model and the host table their
 * plugins are lent (core/channel_set.c).
 */
#ifndef HERALD_CHANNEL_SET_H
#define HERALD_CHANNEL_SET_H

#include <stddef.h>

#include "errlist.h"
#include "herald-plugin.h"
#include "model.h"

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
 * Measure a rendered text as channel i would send it, through its
 * plugin's measure() (ABI minor 5), also in a check_only set.  Returns 1
 * with *out filled; 0 when the channel measures nothing (its plugin has no
 * measure(), or is built for a minor before 5); -1 when the plugin could
 * not measure the text.  subject may be NULL.  out->text and the words in
 * *out are the plugin's: valid until the next measure on channel i or
 * channel_set_free().
 */
int channel_set_measure(const struct channel_set *cs, size_t i,
    const char *subject, const char *body, struct herald_measure *out);
/*
 * Tell channel i's plugin that n sends are staged for the instant at
 * (Unix seconds), n capped at the channel's concurrency, through its
 * prepare() (ABI minor 6), so it can open connections ahead.  Nothing
 * when the set is check_only, the channel not open, or the plugin has no
 * prepare().
 */
void channel_set_prepare(struct channel_set *cs, size_t i, unsigned n,
    int64_t at);
/* Does channel i measure texts (channel_set_measure() would not be 0)? */
int channel_set_measures(const struct channel_set *cs, size_t i);

/*
 * Hand msg to channel i.  done(arg, ...) runs exactly once on the loop
 * thread, possibly before this returns.  msg is borrowed until then.
 */
void channel_set_send(struct channel_set *cs, size_t i,
    const struct herald_message *msg, plugin_done_fn done, void *arg);

#endif
