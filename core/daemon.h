/*
 * daemon.h - the daemon's context: the one place that holds state.
 *
 * Everything heraldd keeps while running hangs off struct daemon: the event
 * loop, the engine (which owns the running config, its store, scheduler
 * and dispatcher) and the HTTP server.  Subsystems get what they need from it
 * as arguments; nothing else is global but the log target.
 */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

#include <stdint.h>
#include <time.h>

#include "api.h"
#include "errlist.h"
#include "model.h"

struct event;
struct event_base;
struct engine;
struct generation;
struct httpd;
struct sdnotify;

struct daemon {
	/* Set by the caller before daemon_start(). */
	const char *config_path;	/* as given, or made absolute */
	const char *plugin_dir_flag;	/* -p or $HERALD_PLUGIN_DIR; may be NULL */

	struct event_base *base;
	struct event *ev_hup, *ev_term, *ev_int, *ev_usr1;

	/*
	 * The config checked by daemon_load(), its channels opened in
	 * check-only mode; owned; NULL once daemon_start() has taken its
	 * model for the engine, with channels opened for real
	 * (daemon_model() finds either).
	 */
	struct generation *checked;
	struct engine *engine;		/* owned; NULL before daemon_start() */
	struct httpd *httpd;		/* herald.listen; owned; NULL when
					 * not started or the bind failed */
	/* What the API reports about the daemon's life (api.h). */
	struct api_state state;
	struct api_ctx api;		/* the handlers' view; borrows d */
	char *listen;			/* herald.listen at start; owned */
	struct sdnotify *notify;	/* systemd's view (sdnotify.h); owned;
					 * NULL before daemon_start() */
};

/*
 * The plugin directory to use for m: -p/$HERALD_PLUGIN_DIR, else the
 * config's plugin_dir, else the compiled-in default.  Borrowed.
 */
const char *daemon_plugin_dir(const char *flag, const struct model *m);

/* The config in use: the engine's once started, else the checked one.
 * Borrowed until the next reload. */
const struct model *daemon_model(const struct daemon *d);

/* The number of the config generation in use: 1 after start, +1 per
 * successful reload; 0 before start. */
unsigned daemon_generation(const struct daemon *d);

/*
 * Load the config and open its channels: everything that can fail before
 * the loop runs.  Errors and warnings go to errs.  Returns 0 or -1.
 */
int daemon_load(struct daemon *d, struct errlist *errs);

/* The daemon's event loop, with timers that fire when asked (daemon.c);
 * the caller frees it with event_base_free().  NULL on failure. */
struct event_base *daemon_loop_new(void);

/* Create the loop and the signal events, and start the engine on the
 * model daemon_load() checked.  Returns 0 or -1. */
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
