/*
 * api.h - the control API on herald.listen (doc/api.txt is the contract).
 *
 * Routes every endpoint of the API, the acknowledgement-link page and the
 * Kannel MO callback on the daemon's HTTP server.  Handlers read the daemon
 * context (engine, model, generation, last reload) at request time, so a
 * reload needs no re-registration.
 */
#ifndef HERALD_API_H
#define HERALD_API_H

struct daemon;
struct httpd;

/* Add every route to h; d is borrowed for h's life.  Returns 0 or -1 when
 * the route table is full. */
int api_route(struct httpd *h, struct daemon *d);

#endif
