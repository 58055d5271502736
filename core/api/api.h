/*
 * api.h - the control API on herald.listen (doc/api.txt is the contract).
 *
 * Routes every endpoint of the API, the acknowledgement-link page and the
 * Kannel MO callback on the daemon's HTTP server.  Handlers see only
 * struct api_ctx: the engine (the running config, its store, scheduler and
 * dispatcher), what the daemon reports about its own life, and a way to
 * ask for a reload.  They read it at request time, so a reload needs no
 * re-registration, and the API never includes daemon.h.
 */
#ifndef HERALD_API_H
#define HERALD_API_H

#include <stddef.h>
#include <time.h>

struct board_guard;
struct engine;
struct errlist;
struct httpd;
struct workpool;

/* The daemon's life as the API reports it (/v1/status, /healthz,
 * /metrics).  Owned and kept up to date by the daemon. */
struct api_state {
	time_t started;
	int draining;		/* SIGTERM seen, sends completing */
	/* Outcome of the last reload: 0 ok, -1 kept old. */
	int last_reload_ok;
	time_t last_reload_at;		/* 0: never reloaded */
	char **reload_errors;		/* "file:line: message"; owned */
	size_t n_reload_errors;
	/* The warnings of the config in use ("file:line: warning: ..."),
	 * for status: a coordinator should not need the log.  Owned. */
	char **config_warnings;
	size_t n_config_warnings;
};

/* What the handlers get instead of the daemon.  Everything borrowed. */
struct api_ctx {
	struct engine *engine;		/* settings such as the API token
					 * come from its model in use */
	const struct api_state *state;
	const char *config_path;	/* for the reload log line */
	/*
	 * Re-read the config (POST /v1/reload): 0, or -1 with every reason
	 * in errs and the running config kept.
	 */
	int (*reload)(void *arg, struct errlist *errs);
	void *reload_arg;
	/* The board's failed-login counts per peer (board_guard_new());
	 * owned by the daemon, NULL: no limit (tests of the API alone). */
	struct board_guard *board_guard;
	/* The board's password checks run here (board_check.c), off the
	 * loop; owned by the daemon, which frees it before the HTTP server
	 * (a check in flight holds a request).  NULL: checked on the loop. */
	struct workpool *board_pool;
};

/* The board's login limiter (core/api/board_auth.c): the daemon's own,
 * board_guard_free() accepts NULL. */
struct board_guard *board_guard_new(void);
void board_guard_free(struct board_guard *g);

/* Add every route to h; ctx is borrowed for h's life.  Returns 0 or -1
 * when the route table is full. */
int api_route(struct httpd *h, struct api_ctx *ctx);

#endif
