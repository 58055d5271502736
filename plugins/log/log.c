/*
 * log.c - the "log" channel: every message as one line in a file.
 *
 * The channel for dry runs, audits and tests: nothing leaves the machine.
 * It is also the smallest complete plugin, so it is written to be copied.
 *
 * Each message is rendered into one buffer and written with one write(2)
 * on a descriptor opened with O_APPEND, so lines from several processes
 * (two daemons during a restart, a test reading along) never interleave.
 * Writing to a local file cannot block for long, so send() completes
 * before it returns; a plugin talking to a network peer would start the
 * work here and complete from a callback on host->base instead.
 *
 * Settings:
 *   file   = "var/herald-messages.log";  optional, relative to the config
 *                                        directory; default stderr
 *   format = "text";                     "text" (default) or "json"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "herald-plugin.h"
#include "herald-plugin-conf.h"

#include "../common/plugin_util.h"

struct log_channel {
	const struct herald_host *host;
	const struct herald_channel_conf *conf;
	int fd;
	int own_fd;		/* we opened fd: close it in close() */
	int json;
};

/* "2023-07-28T09:00:00Z", or "-" when t is 0 (no instant). */
static void
log_format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Append s to the stream with control characters escaped, so a multi-line
 * body still makes one line of text.
 */
static void
log_put_escaped(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			fputs("\\n", fp);
		else if (ch == '\t')
			fputs("\\t", fp);
		else if (ch == '\\')
			fputs("\\\\", fp);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(fp, "\\x%02x", ch);
		else
			fputc(ch, fp);
	}
}

/*
 * "2023-07-28T09:00:00Z reminder to bj-wang (attempt 1, key K): subject: body\n"
 * Caller frees the result; NULL when out of memory.
 */
static char *
log_render_text(const struct herald_message *msg, size_t *len)
{
	char due[32], *buf = NULL;
	FILE *fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	log_format_time(msg->due, due, sizeof(due));
	fprintf(fp, "%s %s to %s (attempt %u, key %s): ", due, msg->kind,
	    msg->contact, msg->attempt, msg->key);
	if (msg->subject != NULL) {
		log_put_escaped(fp, msg->subject);
		fputs(": ", fp);
	}
	log_put_escaped(fp, msg->body ? msg->body : "");
	fputc('\n', fp);
	if (ferror(fp)) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	return buf;
}

/*
 * One JSON object and a newline, the members always in this order, as
 * jansson's json_dumps(JSON_COMPACT) would print them.  Written straight
 * into a buffer: packing and dumping a jansson object took a send from
 * 5-6 us to 13-15 (issue 17).  Caller frees; NULL with *not_utf8 set
 * when a text is not UTF-8, NULL alone when out of memory.
 */
static char *
log_render_json(const struct herald_message *msg, size_t *len, int *not_utf8)
{
	char due[32], attempt[32];
	const struct {
		const char *name, *v;
	} m[] = {
		{ "key", msg->key }, { "kind", msg->kind },
		{ "contact", msg->contact }, { "address", msg->address },
		{ "subject", msg->subject }, { "body", msg->body },
		{ "due", msg->due ? due : NULL },
	};
	struct plugin_buf b = { 0 };
	size_t i;

	log_format_time(msg->due, due, sizeof(due));
	plugin_buf_add(&b, "{", 1);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (plugin_buf_json_member(&b, m[i].name, m[i].v,
		    m[i].v != NULL ? strlen(m[i].v) : 0) == -1) {
			*not_utf8 = 1;
			free(b.s);
			return NULL;
		}
	}
	snprintf(attempt, sizeof(attempt), ",\"attempt\":%u}\n",
	    msg->attempt);
	plugin_buf_str(&b, attempt);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}

/* The block's settings, one value per row of log_rows. */
struct log_settings {
	struct herald_conf_value file, format;
};

#define LOG_ROW(n, t, f) HERALD_CONF_ROW(struct log_settings, n, t, f)
static const struct herald_conf_row log_rows[] = {
	{ LOG_ROW("file", STRING, file),
	    .bad = "\"file\" must be a non-empty path" },
	/* Judged in log_open(): its error quotes the value. */
	{ LOG_ROW("format", ANY, format) },
};

static int
log_open(const struct herald_host *host, const struct herald_channel_conf *conf,
    void **state)
{
	struct log_settings set;
	const struct herald_setting *file, *format;
	struct log_channel *lc;
	char *path = NULL;
	int json = 0, ok;

	ok = herald_conf_read(host, conf, log_rows,
	    sizeof(log_rows) / sizeof(log_rows[0]), &set);
	file = set.file.at;
	format = set.format.at;
	if (format != NULL) {
		if (format->type == HERALD_SETTING_STRING &&
		    strcmp(format->str, "json") == 0)
			json = 1;
		else if (format->type != HERALD_SETTING_STRING ||
		    strcmp(format->str, "text") != 0) {
			host->conf_error(conf, format, "unknown format \"%s\" "
			    "(expected \"text\" or \"json\")",
			    format->type == HERALD_SETTING_STRING ?
			    format->str : "?");
			ok = 0;
		}
	}
	if (!ok)
		return -1;
	if (conf->check_only)
		return 0;

	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	lc->host = host;
	lc->conf = conf;
	lc->json = json;
	lc->fd = STDERR_FILENO;
	if (file != NULL) {
		if (file->str[0] == '/' || conf->base_dir == NULL)
			path = strdup(file->str);
		else if (asprintf(&path, "%s/%s", conf->base_dir, file->str) < 0)
			path = NULL;
		if (path == NULL) {
			host->conf_error(conf, file, "out of memory");
			goto fail;
		}
		lc->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (lc->fd == -1) {
			host->conf_error(conf, file, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		lc->own_fd = 1;
		free(path);
	}
	*state = lc;
	return 0;
fail:
	free(path);
	free(lc);
	return -1;
}

static void
log_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct log_channel *lc = state;
	char *line, reason[256];
	size_t len = 0;
	ssize_t n;
	int not_utf8 = 0;

	line = lc->json ? log_render_json(msg, &len, &not_utf8) :
	    log_render_text(msg, &len);
	if (line == NULL && not_utf8) {
		/* As the same text would be the next time. */
		lc->host->complete(c, HERALD_PERMANENT, 0,
		    "the message is not UTF-8: no JSON line can hold it");
		return;
	}
	if (line == NULL) {
		lc->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	/* One write(2): O_APPEND makes it land whole, after everyone else's. */
	do
		n = write(lc->fd, line, len);
	while (n == -1 && errno == EINTR);
	free(line);
	if (n == (ssize_t)len) {
		lc->host->complete(c, HERALD_DELIVERED, 0, NULL);
		return;
	}
	if (n == -1)
		snprintf(reason, sizeof(reason), "write: %s", strerror(errno));
	else
		snprintf(reason, sizeof(reason), "short write (%zd of %zu "
		    "bytes): disk full?", n, len);
	/* No log line of our own: the core logs the outcome with context. */
	lc->host->complete(c, HERALD_TRANSIENT, 0, reason);
}

static void
log_close(void *state)
{
	struct log_channel *lc = state;

	if (lc == NULL)
		return;
	if (lc->own_fd)
		close(lc->fd);
	free(lc);
}

static const struct herald_plugin log_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "log",
	.version = PACKAGE_VERSION,
	.description = "write each message as one line to a file or stderr",
	.caps = {
		.max_length = 0,
		.length_unit = HERALD_LEN_CHARS,
		.address = HERALD_ADDR_NONE,
		.ack_links = 1,
		.delivery_receipts = 0,
		.default_rate = 0,
		.default_burst = 0,
		.default_concurrency = 64,
	},
	.open = log_open,
	.send = log_send,
	.close = log_close,
};

HERALD_PLUGIN_DECLARE(log_plugin)
