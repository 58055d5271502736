/*
 * metrics.h - the family of GET /metrics (metrics.c): the text format's
 * pieces (metrics_text.c) and the incidents' numbers
 * (metrics_incidents.c).  Private to core/api.
 */
#ifndef HERALD_METRICS_H
#define HERALD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct evbuffer;

/* A label value with backslash, double quote and newline escaped. */
void metrics_label(struct evbuffer *b, const char *s);
/* HELP and TYPE of one family; help must hold no backslash or newline. */
void metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help);
/* "name value" of an unlabelled sample, with its HELP and TYPE. */
void metrics_single(struct evbuffer *b, const char *name, const char *type,
    const char *help, int64_t v);
/*
 * One histogram's samples: n bounds in units of `unit` per second,
 * per-bucket counts (bucket[n] above every bound), their total and their
 * sum in seconds.  label_name may be NULL for a histogram without labels.
 */
void metrics_histogram(struct evbuffer *b, const char *name,
    const char *label_name, const char *label_value, const int64_t *bounds,
    double unit, size_t n, const uint64_t *bucket, uint64_t count,
    double sum_s);

/*
 * The incidents' families (metrics_incidents.c), read from e's store;
 * 0, or -1 when the store failed (store_error() says why).
 */
int metrics_incidents(struct evbuffer *b, struct engine *e);
/* The live nodes' families (metrics_nodes.c), read from e's store's
 * heartbeat rows; 0, or -1 when the store failed. */
int metrics_nodes(struct evbuffer *b, struct engine *e);

#endif
