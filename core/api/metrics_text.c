/*
 * metrics_text.c - the Prometheus text exposition format 0.0.4 of
 * GET /metrics (metrics.c): label escaping, HELP/TYPE lines, samples and
 * histograms, written into an evbuffer that grows as needed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "metrics.h"

/*
 * A label value as the format wants it: backslash, double quote and
 * newline escaped; everything else (UTF-8 included) as is.  Channel names
 * come from the config, so they may hold any of these.
 */
void
metrics_label(struct evbuffer *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '"')
			esc = "\\\"";
		else if (*s == '\n')
			esc = "\\n";
		if (esc == NULL)
			continue;
		evbuffer_add(b, run, (size_t)(s - run));
		evbuffer_add(b, esc, 2);
		run = s + 1;
	}
	evbuffer_add(b, run, (size_t)(s - run));
}

/* HELP and TYPE of one family; help must hold no backslash or newline. */
void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* "name value" of an unlabelled sample. */
void
metrics_single(struct evbuffer *b, const char *name, const char *type,
    const char *help, int64_t v)
{
	metrics_family(b, name, type, help);
	evbuffer_add_printf(b, "%s %" PRId64 "\n", name, v);
}

/*
 * One histogram's samples: n bounds in units of `unit` per second (1000
 * for ms, 1000000 for us), per-bucket counts (bucket[n] above every
 * bound), their total and their sum in seconds.  label_name may be NULL
 * for a histogram without labels.
 */
void
metrics_histogram(struct evbuffer *b, const char *name,
    const char *label_name, const char *label_value, const int64_t *bounds,
    double unit, size_t n, const uint64_t *bucket, uint64_t count,
    double sum_s)
{
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		cum += bucket[i];
		evbuffer_add_printf(b, "%s_bucket{", name);
		if (label_name != NULL) {
			evbuffer_add_printf(b, "%s=\"", label_name);
			metrics_label(b, label_value);
			evbuffer_add(b, "\",", 2);
		}
		if (i < n)
			evbuffer_add_printf(b, "le=\"%g\"} %" PRIu64 "\n",
			    (double)bounds[i] / unit, cum);
		else
			/* count, not cum: the two agree, and +Inf must
			 * equal _count whatever a bucket held. */
			evbuffer_add_printf(b, "le=\"+Inf\"} %" PRIu64 "\n",
			    count);
	}
	evbuffer_add_printf(b, "%s_sum", name);
	if (label_name != NULL) {
		evbuffer_add_printf(b, "{%s=\"", label_name);
		metrics_label(b, label_value);
		evbuffer_add(b, "\"}", 2);
	}
	evbuffer_add_printf(b, " %.6f\n%s_count", sum_s, name);
	if (label_name != NULL) {
		evbuffer_add_printf(b, "{%s=\"", label_name);
		metrics_label(b, label_value);
		evbuffer_add(b, "\"}", 2);
	}
	evbuffer_add_printf(b, " %" PRIu64 "\n", count);
}
