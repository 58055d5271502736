/*
 * daemon.h - the daemon's context: the one place that holds state.
 *
 * Everything heraldd keeps while running hangs off struct daemon: the event
 * loop, the current model and its open channels, and (with the engine) the
 * store, scheduler and dispatcher.  Subsystems get what they need from it
 * as arguments; nothing else is global but the log target.
 */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

#include <stdint.h>
#include <time.h>

#include "errlist.h"
#include "model.h"

struct event;
struct event_base;
struct channel_set;
struct engine;
struct httpd;

struct daemon {
	/* Set by the caller before daemon_start(). */
	const char *config_path;	/* as given, or made absolute */
	const char *plugin_dir_flag;	/* -p or $HERALD_PLUGIN_DIR; may be NULL */

	struct event_base *base;
	struct event *ev_hup, *ev_term, *ev_int;

	/*
	 * Current config and its channels: owned here until daemon_start()
	 * hands them to the engine, borrowed from it afterwards.
	 */
	struct model *model;
	struct channel_set *channels;
	struct engine *engine;		/* owned; NULL before daemon_start() */
	struct httpd *httpd;		/* herald.listen; owned; NULL when
					 * not started or the bind failed */
	int draining;			/* SIGTERM seen, sends completing */
	unsigned generation;		/* config generation, 1 after start */
	time_t started;

	/* Outcome of the last reload, for status: 0 ok, -1 kept old. */
	int last_reload_ok;
	time_t last_reload_at;		/* 0: never reloaded */
	char **reload_errors;		/* "file:line: message"; owned */
	size_t n_reload_errors;
	/* The warnings of the config in use ("file:line: warning: ..."),
	 * for status: a coordinator should not need the log.  Owned. */
	char **config_warnings;
	size_t n_config_warnings;
	char *listen;			/* herald.listen at start; owned */
};

/*
 * The plugin directory to use for m: -p/$HERALD_PLUGIN_DIR, else the
 * config's plugin_dir, else the compiled-in default.  Borrowed.
 */
const char *daemon_plugin_dir(const char *flag, const struct model *m);

/*
 * Load the config and open its channels: everything that can fail before
 * the loop runs.  Errors and warnings go to errs.  Returns 0 or -1.
 */
int daemon_load(struct daemon *d, struct errlist *errs);

/* Create the loop and the signal events.  Returns 0 or -1. */
int daemon_start(struct daemon *d);

/* Run the loop until SIGTERM/SIGINT have drained in-flight sends.
 * Returns the exit code. */
int daemon_run(struct daemon *d);

/*
 * Re-read the config.  A broken file keeps the running config: errs gets
 * every error and -1 is returned.  On success the new model replaces the
 * old one and the generation goes up.
 */
int daemon_reload(struct daemon *d, struct errlist *errs);

/* Free everything daemon_load()/daemon_start() made.  Accepts a zeroed d. */
void daemon_free(struct daemon *d);

#endif
