/*
 * daemon.c - the daemon's life: load, run the loop, reload, stop.
 *
 * Signals are libevent events, so handlers run on the loop like everything
 * else and may touch the context freely.
 */
#include "daemon.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "engine.h"
#include "generation.h"
#include "httpd.h"
#include "log.h"
#include "plugin.h"
#include "sdnotify.h"
#include "workpool.h"
#include "xmalloc.h"

/* How long SIGTERM waits for sends in flight before exiting anyway. */
#define DAEMON_DRAIN_MS 10000

const char *
daemon_plugin_dir(const char *flag, const struct model *m)
{
	if (flag != NULL && *flag != '\0')
		return flag;
	if (m != NULL && m->daemon.plugin_dir != NULL)
		return m->daemon.plugin_dir;
	return HERALD_PLUGIN_DIR;
}

/* Log every entry of errs at level, prefixed with what was being done. */
static void
daemon_log_errlist(const struct errlist *errs, const char *what)
{
	for (size_t i = 0; i < errs->n; i++) {
		char *s = errlist_format(errs, i);

		log_msg(errs->v[i].warning ? HERALD_LOG_WARNING : HERALD_LOG_ERR,
		    "%s: %s", what, s);
		free(s);
	}
}

const struct model *
daemon_model(const struct daemon *d)
{
	if (d->engine != NULL)
		return engine_model(d->engine);
	return d->checked != NULL ? d->checked->m : NULL;
}

unsigned
daemon_generation(const struct daemon *d)
{
	return d->engine != NULL ? engine_generation(d->engine)->number : 0;
}

/*
 * Open m's channels as generation number (check-only before there is a
 * loop).  Takes m; on success the caller owns *out (one reference).
 */
static int
daemon_open_channels(struct daemon *d, struct model *m, struct errlist *errs,
    unsigned number, struct generation **out)
{
	struct channel_set *cs = NULL;

	if (channel_set_open(daemon_plugin_dir(d->plugin_dir_flag, m), m,
	    d->base, d->base == NULL, errs, &cs) == -1 || errs->n_errors > 0) {
		channel_set_free(cs);
		model_free(m);
		return -1;
	}
	*out = generation_new(m, cs, number);
	generation_digest_file(*out, d->config_path);
	return 0;
}

/* Load the config file into a model with open channels, as
 * daemon_open_channels() does. */
static int
daemon_open_config(struct daemon *d, struct errlist *errs, unsigned number,
    struct generation **out)
{
	struct model *m;

	if ((m = conf_load(d->config_path, errs)) == NULL)
		return -1;
	return daemon_open_channels(d, m, errs, number, out);
}

/* Keep the warnings of errs as those of the config in use (NULL: none). */
static void
daemon_keep_config_warnings(struct daemon *d, const struct errlist *errs)
{
	for (size_t i = 0; i < d->state.n_config_warnings; i++)
		free(d->state.config_warnings[i]);
	free(d->state.config_warnings);
	d->state.config_warnings = NULL;
	d->state.n_config_warnings = 0;
	if (errs == NULL || errs->n_warnings == 0)
		return;
	d->state.config_warnings = xcalloc(errs->n_warnings, sizeof(char *));
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].warning)
			d->state.config_warnings[d->state.n_config_warnings++] =
			    errlist_format(errs, i);
}

int
daemon_load(struct daemon *d, struct errlist *errs)
{
	if (daemon_open_config(d, errs, 0, &d->checked) == -1)
		return -1;
	daemon_keep_config_warnings(d, errs);
	return 0;
}

static void
daemon_on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct errlist errs = { 0 };

	log_notice("SIGHUP: reloading %s", d->config_path);
	if (daemon_reload(d, &errs) == 0)
		log_notice("reload: config generation %u in use",
		    daemon_generation(d));
	else
		log_errx("reload failed: keeping config generation %u",
		    daemon_generation(d));
	errlist_clear(&errs);
}

/*
 * logrotate renamed the log file (postrotate: systemctl kill -s USR1, or
 * kill -USR1): write on in a new one.  The notice is the new file's
 * first line.
 */
static void
daemon_on_usr1(evutil_socket_t fd, short what, void *arg)
{
	switch (log_reopen()) {
	case 1:
		log_notice("SIGUSR1: log file %s reopened", log_file());
		break;
	case 0:
		log_info("SIGUSR1: the log is not a file; nothing to reopen");
		break;
	default:
		log_warn("SIGUSR1: cannot reopen %s, still writing to the "
		    "old file", log_file());
		break;
	}
}

static void
daemon_on_drained(void *arg)
{
	struct daemon *d = arg;

	event_base_loopexit(d->base, NULL);
}

/*
 * Stop claiming, let sends in flight complete (bounded), record them, then
 * leave the loop.  A second signal while draining exits at once.
 */
static void
daemon_on_term(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	const char *name = fd == SIGINT ? "SIGINT" : "SIGTERM";

	if (d->engine == NULL || d->state.draining) {
		log_notice("%s: stopping now", name);
		sdnotify_stopping(d->notify, "stopping now");
		event_base_loopexit(d->base, NULL);
		return;
	}
	log_notice("%s: stopping after sends in flight", name);
	sdnotify_stopping(d->notify, "stopping after sends in flight");
	d->state.draining = 1;
	engine_drain(d->engine, DAEMON_DRAIN_MS, daemon_on_drained, d);
}

/* What one API client may hold; at start and at every reload. */
static void
daemon_http_limits(struct httpd *h, const struct model_daemon *md)
{
	httpd_set_limits(h, md->api_request_timeout, md->api_max_connections,
	    md->api_max_connections_per_peer);
}

/* POST /v1/reload: the same as SIGHUP, answered with the reasons. */
static int
daemon_api_reload(void *arg, struct errlist *errs)
{
	return daemon_reload(arg, errs);
}

/*
 * The HTTP server on herald.listen: the control API, acknowledgement
 * links, SMS replies and delivery reports.  A coordinator who cannot
 * reach the API cannot steer or even see the agenda, so a port that
 * cannot be bound stops the start with the reason.  herald.listen is read
 * here only: a reload keeps the bound socket.
 */
static int
daemon_http_start(struct daemon *d)
{
	const struct model *m = daemon_model(d);
	char err[512];

	if (httpd_open(d->base, m->daemon.listen, &d->httpd, err,
	    sizeof(err)) == -1) {
		log_errx("start: http: %s", err);
		d->httpd = NULL;
		return -1;
	}
	d->api.engine = d->engine;
	d->api.state = &d->state;
	d->api.config_path = d->config_path;
	d->api.reload = daemon_api_reload;
	d->api.reload_arg = d;
	d->api.board_guard = board_guard_new();
	/* One thread for the board's password checks: crypt(3) takes tens
	 * of milliseconds and must not hold the loop (board_check.c). */
	if (workpool_new(d->base, 1, "heraldd-board", &d->api.board_pool,
	    err, sizeof(err)) == -1) {
		log_errx("start: board: %s", err);
		return -1;
	}
	if (api_route(d->httpd, &d->api) == -1) {
		log_errx("start: http: the route table is full");
		return -1;
	}
	httpd_set_max_body(d->httpd, m->daemon.api_max_body);
	daemon_http_limits(d->httpd, &m->daemon);
	d->listen = xstrdup(m->daemon.listen);
	log_notice("http: listening on %s", httpd_address(d->httpd));
	return 0;
}

/* Keep the errors of the last reload for status (warnings are logged). */
static void
daemon_keep_reload_errors(struct daemon *d, const struct errlist *errs)
{
	for (size_t i = 0; i < d->state.n_reload_errors; i++)
		free(d->state.reload_errors[i]);
	free(d->state.reload_errors);
	d->state.reload_errors = NULL;
	d->state.n_reload_errors = 0;
	if (errs == NULL || errs->n_errors == 0)
		return;
	d->state.reload_errors = xcalloc(errs->n_errors, sizeof(char *));
	for (size_t i = 0; i < errs->n; i++)
		if (!errs->v[i].warning)
			d->state.reload_errors[d->state.n_reload_errors++] =
			    errlist_format(errs, i);
}

/*
 * libevent's own diagnostics ("Error from accept() call", a malformed
 * request) into herald's log at a matching level, instead of raw lines
 * on stderr that syslog setups would lose.
 */
static void
daemon_libevent_log(int severity, const char *msg)
{
	int level;

	switch (severity) {
	case EVENT_LOG_DEBUG: level = HERALD_LOG_DEBUG; break;
	case EVENT_LOG_MSG: level = HERALD_LOG_INFO; break;
	case EVENT_LOG_WARN: level = HERALD_LOG_WARNING; break;
	default: level = HERALD_LOG_ERR; break;
	}
	log_msg(level, "libevent: %s", msg);
}

/*
 * Two flags, both for timers that fire when they were asked to:
 *
 * PRECISE_TIMER: the default coarse clock is 4 ms late (PEERS.md).
 *
 * NO_CACHE_TIME: libevent computes the next sleep from the time it read
 * when the last wait returned, before that turn's callbacks ran, so a
 * timer armed long ago fires late by however long they took.  A launch
 * whose notices were committed 5 ms before its instant went out 5 ms late
 * (issue 17).  Reading the clock at each timer added costs a vDSO call.
 */
struct event_base *
daemon_loop_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER |
	    EVENT_BASE_FLAG_NO_CACHE_TIME);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

int
daemon_start(struct daemon *d)
{
	struct generation *g = NULL;
	struct errlist errs = { 0 };
	struct model *m;
	char err[512];

	if (d->checked == NULL)		/* daemon_load() first */
		return -1;
	/*
	 * Worker threads (the plugins' offload) wake the loop: the base must
	 * be created lockable, so pthreads first.
	 */
	if (evthread_use_pthreads() == -1)
		return -1;
	event_set_log_callback(daemon_libevent_log);
	if ((d->base = daemon_loop_new()) == NULL)
		return -1;
	d->notify = sdnotify_open(d->base);

	/*
	 * Signals first: a SIGTERM while the engine plans or the listener
	 * opens is then a clean stop once the loop runs, not the default
	 * action's death (exit 143; test_engine_misfire.sh 2 caught it).
	 * The handlers run only from the loop, after the start succeeded.
	 */
	signal(SIGPIPE, SIG_IGN);
	d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_on_hup, d);
	d->ev_term = evsignal_new(d->base, SIGTERM, daemon_on_term, d);
	d->ev_int = evsignal_new(d->base, SIGINT, daemon_on_term, d);
	d->ev_usr1 = evsignal_new(d->base, SIGUSR1, daemon_on_usr1, d);
	if (d->ev_hup == NULL || d->ev_term == NULL || d->ev_int == NULL ||
	    d->ev_usr1 == NULL || evsignal_add(d->ev_usr1, NULL) == -1 ||
	    evsignal_add(d->ev_hup, NULL) == -1 ||
	    evsignal_add(d->ev_term, NULL) == -1 ||
	    evsignal_add(d->ev_int, NULL) == -1)
		return -1;

	/*
	 * The model checked before the loop existed opened its channels in
	 * check-only mode; open them for real now that there is a loop, on
	 * the same model.  Loading the files again held two models and two
	 * parse trees at once, the peak of the daemon's memory (issue 17:
	 * 3.7 of 33.7 MB with 10,000 contacts), and the config that runs is
	 * then exactly the one checked.  Its warnings went to stderr with
	 * the check; the log gets them here, as a second load gave them.
	 */
	m = d->checked->m;
	d->checked->m = NULL;
	generation_unref(d->checked);	/* the check-only channels */
	d->checked = NULL;
	for (size_t i = 0; i < d->state.n_config_warnings; i++)
		log_warnx("start: %s", d->state.config_warnings[i]);
	if (daemon_open_channels(d, m, &errs, 1, &g) == -1) {
		daemon_log_errlist(&errs, "start");
		errlist_clear(&errs);
		return -1;
	}
	daemon_log_errlist(&errs, "start");
	errlist_clear(&errs);
	if (engine_open(d->base, g, NULL, &d->engine, err,
	    sizeof(err)) == -1) {
		log_errx("start: %s", err);
		generation_unref(g);
		return -1;
	}
	/* The engine owns it now. */
	if (daemon_http_start(d) == -1)
		return -1;
	d->state.started = time(NULL);
	d->state.last_reload_ok = 0;
	return 0;
}

int
daemon_run(struct daemon *d)
{
	const struct model *m = daemon_model(d);
	char status[256];

	/*
	 * The store is open, the plan done (engine_open()) and the listener
	 * bound (daemon_http_start()): systemd may start what comes after.
	 */
	snprintf(status, sizeof(status), "ready: config generation %u, %zu "
	    "campaigns, %zu contacts, %zu channels", daemon_generation(d),
	    m->n_campaigns, m->n_contacts, m->n_channels);
	log_notice("%s", status);
	if (sdnotify_watchdog_usec(d->notify) > 0)
		log_info("systemd watchdog: a ping every %llu ms",
		    (unsigned long long)sdnotify_watchdog_usec(d->notify) / 2000);
	sdnotify_ready(d->notify, status);
	if (event_base_dispatch(d->base) == -1) {
		log_errx("event loop failed");
		return 1;
	}
	log_notice("stopped");
	return 0;
}

/* daemon_reload() without telling systemd. */
static int
daemon_reload_config(struct daemon *d, struct errlist *errs)
{
	struct generation *g;
	const struct model *m;
	char err[512];

	d->state.last_reload_at = time(NULL);
	if (d->state.draining) {
		errlist_add(errs, NULL, 0, "stopping: reload ignored");
		return -1;
	}
	if (daemon_open_config(d, errs, daemon_generation(d) + 1, &g) == -1) {
		daemon_log_errlist(errs, "reload");
		daemon_keep_reload_errors(d, errs);
		d->state.last_reload_ok = -1;
		return -1;
	}
	daemon_log_errlist(errs, "reload");
	if (d->engine != NULL) {
		/* The engine keeps the old channels until their sends end. */
		if (engine_reload(d->engine, g, err, sizeof(err)) == -1) {
			log_errx("reload: %s", err);
			errlist_add(errs, NULL, 0, "%s", err);
			daemon_keep_reload_errors(d, errs);
			generation_unref(g);
			d->state.last_reload_ok = -1;
			return -1;
		}
	} else {
		generation_unref(d->checked);
		d->checked = g;
	}
	m = g->m;
	daemon_keep_config_warnings(d, errs);
	d->state.last_reload_ok = 0;
	daemon_keep_reload_errors(d, NULL);
	if (d->httpd != NULL && strcmp(d->listen, m->daemon.listen) != 0)
		log_notice("reload: listen \"%s\" takes effect at the next "
		    "start; still on %s", m->daemon.listen,
		    httpd_address(d->httpd));
	if (d->httpd != NULL) {
		httpd_set_max_body(d->httpd, m->daemon.api_max_body);
		daemon_http_limits(d->httpd, &m->daemon);
	}
	return 0;
}

/*
 * systemd hears RELOADING=1, then READY=1 whatever the outcome: a broken
 * file keeps the running config, which is still serving.
 */
int
daemon_reload(struct daemon *d, struct errlist *errs)
{
	char status[128];
	int rc;

	sdnotify_reloading(d->notify);
	rc = daemon_reload_config(d, errs);
	if (rc == 0)
		snprintf(status, sizeof(status), "ready: config generation %u "
		    "(reloaded)", daemon_generation(d));
	else
		snprintf(status, sizeof(status), "ready: reload failed, "
		    "config generation %u kept", daemon_generation(d));
	sdnotify_ready(d->notify, status);
	return rc;
}

void
daemon_free(struct daemon *d)
{
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_usr1 != NULL)
		event_free(d->ev_usr1);
	d->ev_hup = d->ev_term = d->ev_int = d->ev_usr1 = NULL;
	/* Before the HTTP server: a login being checked holds a request,
	 * answered as the pool drains. */
	workpool_free(d->api.board_pool);
	d->api.board_pool = NULL;
	/* Before the engine: its handlers borrow the engine. */
	httpd_free(d->httpd);
	d->httpd = NULL;
	board_guard_free(d->api.board_guard);
	d->api.board_guard = NULL;
	daemon_keep_reload_errors(d, NULL);
	daemon_keep_config_warnings(d, NULL);
	free(d->listen);
	d->listen = NULL;
	/* Drops the generation it runs. */
	engine_free(d->engine);
	sdnotify_free(d->notify);
	d->notify = NULL;
	d->engine = NULL;
	generation_unref(d->checked);
	d->checked = NULL;
	if (d->base != NULL)
		event_base_free(d->base);
	d->base = NULL;
}
