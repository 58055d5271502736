/*
 * api_internal.h - what the API's handler files share: authorization,
 * JSON bodies and replies, query parameters and time formatting.
 *
 * Every handler answers its request before returning; on a bad request
 * it answers 4xx with {"error": "..."} (httpd_reply_error), never
 * crashes, never blocks the loop.  Handlers take struct api_ctx (api.h)
 * as their argument.
 */
#ifndef HERALD_API_INTERNAL_H
#define HERALD_API_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct api_ctx;
struct engine;
struct evhttp_request;
struct evkeyvalq;
struct model;
struct model_campaign;
struct model_deadline;
struct store;

/*
 * Does given equal the secret (secret_len bytes)?  Both are hashed with
 * SHA-256 first and the digests compared with CRYPTO_memcmp, so neither
 * the time taken nor a length check says anything about the secret.
 * given may be NULL (no match).
 */
int api_secret_equal(const char *secret, size_t secret_len,
    const char *given);

/* Who may do what: reads may be open (api_read_auth false), writes never. */
enum api_access { API_READ = 0, API_WRITE, API_METRICS };

/*
 * Check the bearer token for an operation of class acc.  Returns 0 when
 * allowed; otherwise answers 401 (no or malformed Authorization) or 403
 * (wrong token, or writes disabled for want of api_token_file) and
 * returns -1.  Constant-time comparison.
 */
int api_authorize(struct evhttp_request *req, const struct api_ctx *ctx,
    enum api_access acc);

/* The number of the config generation in use (0 before start). */
unsigned api_generation(const struct api_ctx *ctx);

/*
 * The request body as a JSON object whose members are all named in
 * allowed (NULL-terminated).  Answers 413 (over herald.api_max_body), 415
 * (not application/json), or 400 (malformed JSON with line and column,
 * not an object, unknown field) and returns NULL; else the caller owns
 * the object (json_decref).
 */
json_t *api_body(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *const *allowed);

/*
 * The request body as bytes (*len of them, not NUL-terminated, borrowed
 * from req), for a handler that reads a foreign format itself.  Answers
 * 413 (over herald.api_max_body) or 415 (not application/json) and
 * returns NULL.
 */
const char *api_raw_body(struct evhttp_request *req,
    const struct api_ctx *ctx, size_t *len);

/*
 * A string member of o: 0 with *out borrowed from o, 1 when absent (and
 * not required), -1 after answering 400 (wrong type, empty, or missing
 * and required).
 */
int api_string(struct evhttp_request *req, json_t *o, const char *name,
    int required, const char **out);

/* Answer code with v (reference stolen; NULL answers 500).  A GET's 200
 * carries an ETag of the body, and is a 304 without one when the
 * request's If-None-Match names that tag. */
void api_reply(struct evhttp_request *req, int code, json_t *v);

/*
 * Answer 200 with v and, first, member key = at (references to both
 * stolen): an answer that says when it was made.  Its ETag is weak and
 * leaves that member out, so it changes with the answer, not with the
 * clock, and a poller gets its 304.
 */
void api_reply_as_of(struct evhttp_request *req, const char *key, json_t *at,
    json_t *v);

/*
 * The decoded query parameters of req into q (caller clears with
 * evhttp_clear_headers).  Unknown parameter names (not in allowed) answer
 * 400 and return -1.
 */
int api_query(struct evhttp_request *req, struct evkeyvalq *q,
    const char *const *allowed);

/* t as ISO 8601 with the zone's offset ("2023-08-04T17:00:00+08:00") into
 * buf (at least 32 bytes).  Returns buf. */
char *api_time(int64_t t, const char *zone, char *buf, size_t len);
/* The same as a new JSON string; json null for t == 0. */
json_t *api_json_time(int64_t t, const char *zone);

/*
 * Parse a time parameter in zone: Unix seconds, "YYYY-MM-DD" (the civil
 * day's start; end_of_day: the next day's start, so "to" is inclusive),
 * or "YYYY-MM-DDTHH:MM[:SS]" local.  Returns 0, or -1 when malformed.
 */
int api_parse_time(const char *s, const char *zone, int end_of_day,
    int64_t *out);

/*
 * A job key as a client wrote it (a UUID, any case) into out (at least
 * 37 bytes), lower-cased as the store keeps it.  Returns 0, or -1 when s
 * is not a UUID (api_jobs.c).
 */
int api_key_parse(const char *s, char *out, size_t len);

/*
 * Look an id of the request up in the model in use; an unknown one
 * answers 404 with the nearest known id ("did you mean") and gives NULL
 * (-1).  api_find_any_deadline() looks in every campaign: a deadline id
 * in two of them answers 400.  Results are borrowed from the model.
 */
const struct model_campaign *api_find_campaign(struct evhttp_request *req,
    const struct model *m, const char *id);
const struct model_deadline *api_find_deadline(struct evhttp_request *req,
    const struct model_campaign *c, const char *id);
int api_find_any_deadline(struct evhttp_request *req, const struct model *m,
    const char *id, const struct model_campaign **c,
    const struct model_deadline **dl);

/*
 * The submissions board of campaign c at now (api_board.c): its
 * deadlines (only that one when only is set) with counts of parties
 * asked, submitted, pending and overdue, and with rows set one row per
 * unit or contact without a unit.  Caller owns the object; NULL with
 * err when the store fails.
 */
json_t *api_board_campaign(struct store *st, const struct model *m,
    const struct model_campaign *c, const struct model_deadline *only,
    int64_t now, int rows, char *err, size_t errlen);

/*
 * The nodes of GET /v1/status (api_nodes.c): this node, and the live
 * nodes from the heartbeat rows.  Caller owns the objects; the list is
 * NULL with err when the store fails.
 */
json_t *api_status_node(struct engine *e, const char *zone);
json_t *api_status_nodes(struct engine *e, const char *zone, char *err,
    size_t len);

/* Handlers, one file per concern. */
void api_status(struct evhttp_request *req, void *arg);	/* api_status.c */
void api_agenda(struct evhttp_request *req, void *arg);	/* api_jobs.c */
void api_job(struct evhttp_request *req, void *arg);		/* api_jobs.c */
void api_board(struct evhttp_request *req, void *arg);	/* api_board.c */
void api_submissions(struct evhttp_request *req, void *arg); /* api_write.c */
void api_acks(struct evhttp_request *req, void *arg);		/* api_write.c */
void api_reload(struct evhttp_request *req, void *arg);	/* api_write.c */
void api_metrics(struct evhttp_request *req, void *arg);	/* metrics.c */
void api_agenda_ics(struct evhttp_request *req, void *arg);	/* ical.c */
void api_ackpage(struct evhttp_request *req, void *arg);	/* ackpage.c */
void api_board_page(struct evhttp_request *req, void *arg);	/* board.c */
void api_sms_mo(struct evhttp_request *req, void *arg);	/* smsmo.c */
void api_alertmanager(struct evhttp_request *req, void *arg); /* api_alertmanager.c */
void api_incidents(struct evhttp_request *req, void *arg); /* api_incidents.c */
void api_incident_trigger(struct evhttp_request *req, void *arg);
void api_incident(struct evhttp_request *req, void *arg);
void api_incident_action(struct evhttp_request *req, void *arg);

#endif
