/*
 * channel_set.c - run the channels of one model and lend their plugins
 * the host table.
 *
 * A channel_set opens every channel block of a model against its plugin
 * (loaded through core/plugin.c), lending each one the host table, and
 * carries sends to the plugins and their outcomes back to the caller.
 *
 * The host table is shared by every channel of a set; the callbacks find
 * their channel from the herald_channel_conf pointer, which is the copy
 * embedded in our struct channel (never the model's own), or from the
 * completion.
 *
 * Each set owns the worker pool behind host->offload (core/workpool.c):
 * created with the set, drained before any channel closes, so the dones
 * of blocking work complete their sends while the plugin still lives.
 * Likewise the HTTP client behind host->http (core/http.c): requests
 * still outstanding when the set closes are failed ("cancelled") before
 * any channel closes, so their dones can complete the sends.
 *
 * Completions come from a per-set pool and are never handed back to malloc
 * while the set lives.  A freed one waits in a FIFO quarantine behind
 * COMPLETION_QUARANTINE others before reuse, so a plugin that completes a
 * send twice (a timeout and a late answer both firing, say) finds the slot
 * idle and is refused with an error instead of corrupting memory or
 * completing someone else's send.  The quarantine is a diagnostic, not a
 * proof: a handle kept across that many sends could alias a new one.
 */
#include "channel_set.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlr.h"
#include "http.h"
#include "log.h"
#include "plugin.h"
#include "workpool.h"
#include "xmalloc.h"

#define COMPLETION_QUARANTINE 64
#define COMPLETION_CHUNK 32

struct channel {
	struct channel_set *set;
	const struct model_channel *mc;
	/* The plugin sees this copy; container_of() leads back here. */
	struct herald_channel_conf conf;
	unsigned char *used;		/* per setting: a lookup asked for it */
	struct plugin *plugin;		/* borrowed from the set's cache */
	void *state;
	int is_open;			/* open() succeeded: close() is owed */
	size_t in_flight;
};

struct herald_completion {
	struct channel *ch;		/* stays set while idle, for errors */
	plugin_done_fn done;
	void *arg;
	int busy;
	struct herald_completion *next_idle;
};

/* Completions are allocated in chunks so their addresses never move. */
struct completion_chunk {
	struct completion_chunk *next;
	struct herald_completion v[COMPLETION_CHUNK];
};

struct channel_set {
	const struct model *m;
	struct herald_host host;
	struct errlist *errs;		/* only while channel_set_open() runs */
	struct plugin **plugins;
	size_t n_plugins;
	struct channel *channels;
	size_t n_channels;
	int check_only;
	struct workpool *pool;		/* host->offload's threads; NULL when
					 * check_only */
	struct http_client *http;	/* host->http; NULL when check_only */

	struct completion_chunk *chunks;
	struct herald_completion *idle_head, *idle_tail;
	size_t n_idle;
};

#define channel_of(c) \
	((struct channel *)((char *)(c) - offsetof(struct channel, conf)))

/* --- the host table ------------------------------------------------- */

/* Caller owns the result. */
static char *
host_vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup(fmt);
	return s;
}

static void
host_log(const struct herald_channel_conf *conf, enum herald_log_level level,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = host_vformat(fmt, ap);
	va_end(ap);
	log_msg(level, "channel \"%s\": %s", conf->name, msg);
	free(msg);
}

static void
host_conf_error(const struct herald_channel_conf *conf,
    const struct herald_setting *s, const char *fmt, ...)
{
	struct channel *ch = channel_of(conf);
	const char *file = s ? s->file : conf->file;
	int line = s ? s->line : conf->line;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = host_vformat(fmt, ap);
	va_end(ap);
	if (ch->set->errs != NULL)
		errlist_add(ch->set->errs, file, line, "channel \"%s\": %s",
		    conf->name, msg);
	else
		/* Outside open() nobody collects errors: log them. */
		log_msg(HERALD_LOG_ERR, "%s:%d: channel \"%s\": %s",
		    file ? file : "?", line, conf->name, msg);
	free(msg);
}

static const struct herald_setting *
host_setting(const struct herald_channel_conf *conf, const char *name)
{
	struct channel *ch = channel_of(conf);
	size_t i;

	for (i = 0; i < conf->n_settings; i++) {
		if (strcmp(conf->settings[i].name, name) == 0) {
			ch->used[i] = 1;
			return &conf->settings[i];
		}
	}
	return NULL;
}

static void
completion_release(struct channel_set *cs, struct herald_completion *c)
{
	c->busy = 0;
	c->done = NULL;
	c->arg = NULL;
	c->next_idle = NULL;
	if (cs->idle_tail != NULL)
		cs->idle_tail->next_idle = c;
	else
		cs->idle_head = c;
	cs->idle_tail = c;
	cs->n_idle++;
}

/* The completion belongs to the set's pool; it is busy until complete(). */
static struct herald_completion *
completion_get(struct channel_set *cs)
{
	struct completion_chunk *k;
	struct herald_completion *c;
	size_t i;

	if (cs->n_idle <= COMPLETION_QUARANTINE) {
		k = xcalloc(1, sizeof(*k));
		k->next = cs->chunks;
		cs->chunks = k;
		for (i = 0; i < COMPLETION_CHUNK; i++)
			completion_release(cs, &k->v[i]);
	}
	c = cs->idle_head;
	cs->idle_head = c->next_idle;
	if (cs->idle_head == NULL)
		cs->idle_tail = NULL;
	cs->n_idle--;
	c->next_idle = NULL;
	c->busy = 1;
	return c;
}

static void
host_complete(struct herald_completion *c, enum herald_outcome outcome,
    unsigned retry_after_ms, const char *reason)
{
	struct channel *ch = c->ch;
	plugin_done_fn done = c->done;
	void *arg = c->arg;

	if (!c->busy) {
		if (ch != NULL)
			log_msg(HERALD_LOG_ERR, "channel \"%s\": plugin \"%s\" "
			    "completed a send twice; ignored", ch->conf.name,
			    plugin_name(ch->plugin));
		else
			log_msg(HERALD_LOG_ERR, "a plugin completed a send it "
			    "never got; ignored");
		return;
	}
	if (outcome != HERALD_DELIVERED && outcome != HERALD_TRANSIENT &&
	    outcome != HERALD_PERMANENT && outcome != HERALD_TIMED_OUT &&
	    outcome != HERALD_UNCERTAIN) {
		log_msg(HERALD_LOG_ERR, "channel \"%s\": plugin \"%s\" "
		    "reported outcome %d; taken as transient", ch->conf.name,
		    plugin_name(ch->plugin), (int)outcome);
		outcome = HERALD_TRANSIENT;
	}
	/* Release first: done() may well start the next send. */
	ch->in_flight--;
	completion_release(ch->set, c);
	done(arg, outcome, retry_after_ms, reason);
}

static int
host_offload(const struct herald_channel_conf *conf, void (*work)(void *),
    void (*done)(void *), void *arg)
{
	struct channel *ch = channel_of(conf);

	if (ch->set->pool == NULL)
		return -1;
	return workpool_submit(ch->set->pool, work, done, arg);
}

static int
host_http(const struct herald_channel_conf *conf,
    const struct herald_http_request *req,
    void (*done)(void *, const struct herald_http_response *), void *arg)
{
	struct channel *ch = channel_of(conf);
	char err[256];

	if (ch->set->http == NULL)
		return -1;
	if (http_client_start(ch->set->http, req, done, arg, err,
	    sizeof(err)) == -1) {
		/* err names no URL: the query may hold a robot's key. */
		log_msg(HERALD_LOG_WARNING, "channel \"%s\": %s", conf->name,
		    err);
		return -1;
	}
	return 0;
}

/* A warm-up is an optimisation: when it fails the sends still connect
 * by themselves, so it is worth a line at info level, no more. */
static int
host_http_warm(const struct herald_channel_conf *conf, const char *url,
    unsigned n)
{
	struct channel *ch = channel_of(conf);
	char err[256];

	if (ch->set->http == NULL || url == NULL)
		return -1;
	/* The ABI's http_warm carries no CA file: the system's CAs. */
	if (http_client_warm(ch->set->http, url, NULL, n, err,
	    sizeof(err)) == -1) {
		/* err names no URL: the query may hold a robot's key. */
		log_msg(HERALD_LOG_INFO, "channel \"%s\": %s", conf->name,
		    err);
		return -1;
	}
	return 0;
}

/* The receipt parameters of one send, signed with the daemon's secret
 * (dlr_sign()); the send time is now. */
static int
host_dlr_params(const struct herald_channel_conf *conf, const char *key,
    unsigned parts, char *buf, size_t len)
{
	const struct model_daemon *md = &channel_of(conf)->set->m->daemon;
	char sig[DLR_SIG_LEN];
	int64_t sent = (int64_t)time(NULL);
	int n;

	if (md->dlr_secret == NULL || key == NULL || parts < 1 || parts > 255)
		return -1;
	dlr_sign(md->dlr_secret, md->dlr_secret_len, conf->name, key, parts,
	    sent, sig);
	n = snprintf(buf, len, "parts=%u&sent=%lld&sig=%s", parts,
	    (long long)sent, sig);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* --- channel sets --------------------------------------------------- */

/* The set's cached plugin, loaded on first use; NULL after an error. */
static struct plugin *
channel_set_plugin(struct channel_set *cs, const char *dir,
    const struct model_channel *mc)
{
	struct plugin *p;
	char err[1024];
	size_t i;
	int rc;

	for (i = 0; i < cs->n_plugins; i++)
		if (strcmp(plugin_name(cs->plugins[i]), mc->plugin) == 0)
			return cs->plugins[i];
	rc = plugin_load(dir, mc->plugin, &p, err, sizeof(err));
	if (rc == -ENOENT) {
		errlist_add(cs->errs, mc->loc.file, mc->loc.line,
		    "channel \"%s\": no plugin \"%s\" in %s (%s)", mc->name,
		    mc->plugin, dir, err);
		return NULL;
	}
	if (rc < 0) {
		errlist_add(cs->errs, mc->loc.file, mc->loc.line,
		    "channel \"%s\": %s", mc->name, err);
		return NULL;
	}
	cs->plugins = xrealloc(cs->plugins,
	    (cs->n_plugins + 1) * sizeof(*cs->plugins));
	cs->plugins[cs->n_plugins++] = p;
	return p;
}

static void
channel_open(struct channel_set *cs, const char *dir, struct channel *ch)
{
	const struct model_channel *mc = ch->mc;
	const struct herald_plugin *d;
	size_t errors_before = cs->errs->n_errors;
	size_t i;
	int rc = 0;

	/* The channel's own fields are authoritative over the block copy. */
	ch->conf = mc->conf;
	ch->conf.name = mc->name;
	ch->conf.plugin = mc->plugin;
	ch->conf.file = mc->loc.file;
	ch->conf.line = mc->loc.line;
	if (ch->conf.base_dir == NULL)
		ch->conf.base_dir = cs->m->daemon.base_dir;
	ch->conf.check_only = cs->check_only;
	ch->used = xcalloc(ch->conf.n_settings + 1, 1);

	/* No usable plugin name: the config error is already reported (only
	 * heraldd -t opens channels of a config with errors). */
	if (mc->plugin == NULL)
		return;
	if ((ch->plugin = channel_set_plugin(cs, dir, mc)) == NULL)
		return;
	d = plugin_descriptor(ch->plugin);
	if (d->open != NULL)
		rc = d->open(&cs->host, &ch->conf, &ch->state);
	if (rc == 0)
		ch->is_open = 1;
	/*
	 * A plugin that reports errors yet returns 0 still fails the set
	 * through those errors; one that fails silently gets a line here.
	 */
	if (rc != 0 && cs->errs->n_errors == errors_before)
		errlist_add(cs->errs, mc->loc.file, mc->loc.line,
		    "channel \"%s\": plugin \"%s\" refused the block without "
		    "saying why", mc->name, mc->plugin);

	for (i = 0; i < ch->conf.n_settings; i++) {
		const struct herald_setting *s = &ch->conf.settings[i];

		if (!ch->used[i])
			errlist_add(cs->errs, s->file, s->line,
			    "unknown setting \"%s\" for plugin \"%s\" in "
			    "channel \"%s\"", s->name, mc->plugin, mc->name);
	}
}

int
channel_set_open(const char *dir, const struct model *m,
    struct event_base *base, int check_only, struct errlist *errs,
    struct channel_set **out)
{
	struct channel_set *cs;
	size_t errors_before = errs->n_errors;
	char err[256];
	size_t i;

	assert(base != NULL || check_only);
	cs = xcalloc(1, sizeof(*cs));
	cs->m = m;
	cs->errs = errs;
	cs->check_only = check_only;
	cs->host.size = sizeof(cs->host);
	cs->host.abi_major = HERALD_PLUGIN_ABI_MAJOR;
	cs->host.abi_minor = HERALD_PLUGIN_ABI_MINOR;
	cs->host.version = PACKAGE_VERSION;
	cs->host.base = base;
	cs->host.log = host_log;
	cs->host.conf_error = host_conf_error;
	cs->host.setting = host_setting;
	cs->host.complete = host_complete;
	cs->host.offload = host_offload;
	cs->host.http = host_http;
	cs->host.dlr_params = host_dlr_params;
	cs->host.http_warm = host_http_warm;
	/* Plugins may offload from open(): the pool comes first. */
	if (!check_only && workpool_new(base, m->daemon.engine.workers ?
	    m->daemon.engine.workers : 4, "heraldd-work", &cs->pool, err,
	    sizeof(err)) == -1)
		errlist_add(errs, NULL, 0, "%s", err);
	if (!check_only && http_client_new(base, &cs->http, err,
	    sizeof(err)) == -1)
		errlist_add(errs, NULL, 0, "%s", err);

	cs->channels = xcalloc(m->n_channels ? m->n_channels : 1,
	    sizeof(*cs->channels));
	cs->n_channels = m->n_channels;
	for (i = 0; i < m->n_channels; i++) {
		cs->channels[i].set = cs;
		cs->channels[i].mc = &m->channels[i];
		channel_open(cs, dir, &cs->channels[i]);
	}
	cs->errs = NULL;
	if (errs->n_errors != errors_before) {
		channel_set_free(cs);
		return -1;
	}
	*out = cs;
	return 0;
}

void
channel_set_free(struct channel_set *cs)
{
	struct completion_chunk *k;
	struct channel *ch;
	size_t i;

	if (cs == NULL)
		return;
	/*
	 * Drain the pool while every channel is still open: the dones of
	 * work already handed to threads complete their sends here.
	 */
	workpool_free(cs->pool);
	cs->pool = NULL;
	/* Then fail what is still on the wire: those dones complete too. */
	http_client_free(cs->http);
	cs->http = NULL;
	for (i = 0; i < cs->n_channels; i++) {
		ch = &cs->channels[i];
		if (ch->in_flight > 0)
			log_msg(HERALD_LOG_ERR, "channel \"%s\": closed with "
			    "%zu sends in flight", ch->conf.name, ch->in_flight);
		if (ch->is_open && plugin_descriptor(ch->plugin)->close != NULL)
			plugin_descriptor(ch->plugin)->close(ch->state);
		free(ch->used);
	}
	/* Plugins go last: a channel's close() is code in its plugin. */
	for (i = 0; i < cs->n_plugins; i++)
		plugin_unload(cs->plugins[i]);
	while ((k = cs->chunks) != NULL) {
		cs->chunks = k->next;
		free(k);
	}
	free(cs->plugins);
	free(cs->channels);
	free(cs);
}

size_t
channel_set_count(const struct channel_set *cs)
{
	return cs->n_channels;
}

int
channel_set_find(const struct channel_set *cs, const char *name)
{
	size_t i;

	for (i = 0; i < cs->n_channels; i++)
		if (strcmp(cs->channels[i].conf.name, name) == 0)
			return (int)i;
	return -1;
}

const struct herald_caps *
channel_set_caps(const struct channel_set *cs, size_t i)
{
	return &plugin_descriptor(cs->channels[i].plugin)->caps;
}

const struct model_channel *
channel_set_model(const struct channel_set *cs, size_t i)
{
	return cs->channels[i].mc;
}

int
channel_set_measures(const struct channel_set *cs, size_t i)
{
	const struct channel *ch = &cs->channels[i];

	return ch->is_open && plugin_measure(ch->plugin) != NULL;
}

int
channel_set_measure(const struct channel_set *cs, size_t i,
    const char *subject, const char *body, struct herald_measure *out)
{
	const struct channel *ch = &cs->channels[i];
	herald_measure_fn measure;

	memset(out, 0, sizeof(*out));
	if (!ch->is_open || (measure = plugin_measure(ch->plugin)) == NULL)
		return 0;
	if (measure(ch->state, subject, body, out) == -1)
		return -1;
	return 1;
}

/*
 * The cap is the channel's concurrency as configured, else its plugin's
 * default: more sends than that are never in flight at once, so more
 * connections would only wait.  Without either the caller's count stands.
 */
void
channel_set_prepare(struct channel_set *cs, size_t i, unsigned n,
    int64_t at)
{
	struct channel *ch = &cs->channels[i];
	herald_prepare_fn prepare;
	unsigned cap;

	assert(i < cs->n_channels);
	if (cs->check_only || !ch->is_open || n == 0 ||
	    (prepare = plugin_prepare(ch->plugin)) == NULL)
		return;
	cap = ch->mc->concurrency > 0 ? ch->mc->concurrency :
	    plugin_descriptor(ch->plugin)->caps.default_concurrency;
	if (cap > 0 && n > cap)
		n = cap;
	prepare(ch->state, n, at);
}

void
channel_set_send(struct channel_set *cs, size_t i,
    const struct herald_message *msg, plugin_done_fn done, void *arg)
{
	struct channel *ch = &cs->channels[i];
	struct herald_completion *c;

	/* A checked-only set has opened nothing to send through. */
	assert(i < cs->n_channels && !cs->check_only && ch->is_open);
	c = completion_get(cs);
	c->ch = ch;
	c->done = done;
	c->arg = arg;
	ch->in_flight++;
	plugin_descriptor(ch->plugin)->send(ch->state, msg, c);
}
