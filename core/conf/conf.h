/*
 * conf.h - load herald.conf (libconfig, with @include) into a model.
 *
 * conf_load() checks everything the core knows about: syntax, unknown and
 * missing keys, duplicate ids, references, times, durations, zones, UTF-8,
 * and the rules between items (reminders before their due instant, no
 * overlapping livestream slots...).  Every problem is appended to errs as
 * "file:line: message", where file is the path of the file that holds the
 * setting as the user would type it (included files are shown relative to
 * the working directory, like the main file).  Channel blocks are only
 * converted here; their plugins validate them (plugin_check_channels()).
 */
#ifndef HERALD_CONF_H
#define HERALD_CONF_H

#include "errlist.h"
#include "model.h"

/*
 * Load path.  Returns a model the caller owns (model_free()), or NULL when
 * errs holds at least one error.  Warnings (ambiguous or skipped local
 * times...) are appended to errs either way.
 */
struct model *conf_load(const char *path, struct errlist *errs);

/*
 * For heraldd -t: like conf_load(), but the model is returned even when
 * errs got errors, as long as the files parsed, so that the channels'
 * plugins can still check their blocks and every error shows in one run.
 * Such a model is incomplete: use only its channels and daemon settings,
 * then model_free() it.  NULL when the files did not parse.
 */
struct model *conf_load_check(const char *path, struct errlist *errs);

#endif
