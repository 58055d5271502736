/* plugin_util.c - helpers shared by the bundled plugins (see the header). */
#include "plugin_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
plugin_read_secret(const char *path, char *err, size_t errlen)
{
	char buf[4096], *s;	/* a robot URL fits */
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "%s: empty secret file", path);
		return NULL;
	}
	s = strdup(buf);
	memset(buf, 0, sizeof(buf));
	return s;
}

char *
plugin_path(const struct herald_channel_conf *conf, const char *p)
{
	char *path = NULL;

	if (p[0] == '/' || conf->base_dir == NULL)
		return strdup(p);
	if (asprintf(&path, "%s/%s", conf->base_dir, p) < 0)
		return NULL;
	return path;
}

char *
plugin_read_conf_secret(const struct herald_channel_conf *conf,
    const char *p, char *err, size_t errlen)
{
	char *path, *line;

	if ((path = plugin_path(conf, p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	line = plugin_read_secret(path, err, errlen);
	free(path);
	return line;
}

int
plugin_url_is_http(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

void
plugin_buf_add(struct plugin_buf *b, const char *s, size_t n)
{
	char *p;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
plugin_buf_str(struct plugin_buf *b, const char *s)
{
	plugin_buf_add(b, s, strlen(s));
}

void
plugin_buf_urlenc(struct plugin_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char e[3];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			plugin_buf_add(b, (const char *)&ch, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[ch >> 4];
		e[2] = hex[ch & 15];
		plugin_buf_add(b, e, 3);
	}
}

enum herald_outcome
plugin_timeout_outcome(const struct herald_host *host,
    const struct herald_http_response *resp, int peer_dedupes)
{
	if (host->abi_minor < 4 || !resp->request_sent)
		return HERALD_TRANSIENT;
	return peer_dedupes ? HERALD_TIMED_OUT : HERALD_UNCERTAIN;
}
