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

/* Length of the UTF-8 sequence at s (at most n bytes); 0 if invalid:
 * overlong, a surrogate, past U+10FFFF or cut short (RFC 3629). */
static size_t
plugin_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	size_t k, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

int
plugin_buf_json_str(struct plugin_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run, k;
	char esc[8];

	if (s == NULL) {
		plugin_buf_add(b, "null", 4);
		return 0;
	}
	plugin_buf_add(b, "\"", 1);
	for (i = run = 0; i < n; i += k) {
		if ((k = plugin_utf8_len(u + i, n - i)) == 0)
			return -1;
		if (k > 1 || (u[i] >= 0x20 && u[i] != '"' && u[i] != '\\'))
			continue;
		plugin_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (u[i]) {
		case '"':  plugin_buf_add(b, "\\\"", 2); break;
		case '\\': plugin_buf_add(b, "\\\\", 2); break;
		case '\b': plugin_buf_add(b, "\\b", 2); break;
		case '\f': plugin_buf_add(b, "\\f", 2); break;
		case '\n': plugin_buf_add(b, "\\n", 2); break;
		case '\r': plugin_buf_add(b, "\\r", 2); break;
		case '\t': plugin_buf_add(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", u[i]);
			plugin_buf_add(b, esc, 6);
			break;
		}
	}
	plugin_buf_add(b, s + run, n - run);
	plugin_buf_add(b, "\"", 1);
	return 0;
}

int
plugin_buf_json_member(struct plugin_buf *b, const char *key, const char *v,
    size_t n)
{
	plugin_buf_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	plugin_buf_add(b, key, strlen(key));
	plugin_buf_add(b, "\":", 2);
	return plugin_buf_json_str(b, v, v != NULL ? n : 0);
}
