/*
 * conf.c - load herald.conf into the immutable model.
 *
 * Before libconfig parses anything, every file (the main one and each
 * @include it names, found by a scan of our own because libconfig opens
 * included files itself) is checked byte-wise: invalid UTF-8 and integer
 * literals that libconfig 1.5 would silently truncate to 32 bits are
 * reported with their line.  Then the sections are read in dependency
 * order (channels, units, contacts, groups, calendar, campaigns,
 * templates), each reporting every problem it finds, so one run of
 * heraldd -t lists them all.  The model copies every string: libconfig's
 * memory is gone when conf_load() returns.
 */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "civil.h"
#include "conf_internal.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/* libconfig 1.5 nests @include at most this deep. */
#define CONF_INCLUDE_DEPTH 10

static const char *const conf_top_keys[] = {
	"herald", "calendar", "channels", "units", "contacts", "groups",
	"campaigns", "templates", NULL
};

static const char *const conf_herald_keys[] = {
	"timezone", "store", "listen", "public_url", "api_token_file",
	"ack_secret_file", "sms_reply_token_file", "dlr_secret_file",
	"store_password_file", "api_read_auth",
	"metrics_auth", "api_max_body", "plugin_dir", "pid_file", "log_level",
	"log_target", "engine", "api_request_timeout", "api_max_connections",
	"api_max_connections_per_peer", "alertmanager", "board", NULL
};

/* Read a whole file.  Caller owns *out.  Returns 0 or -1 with errno. */
static int
conf_slurp(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fp == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		int e = errno;

		fclose(fp);
		free(buf);
		errno = e;
		return -1;
	}
	fclose(fp);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int
conf_line_at(const char *buf, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/*
 * libconfig 1.5 parses "99999999999" (no L suffix) as a 32-bit int and
 * truncates it without a word; find such literals ourselves.  Strings and
 * comments are skipped; floats and L-suffixed integers are fine.
 */
static void
conf_scan_integers(struct conf_ctx *cx, const char *shown, const char *buf,
    size_t len)
{
	size_t i = 0;

	while (i < len) {
		char c = buf[i];

		if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++)
				if (buf[i] == '\\')
					i++;
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len &&
		    buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(buf[i] == '*' &&
			    buf[i + 1] == '/'); i++)
				;
			i += 2;
		} else if (c >= '0' && c <= '9' && (i == 0 ||
		    !(buf[i - 1] == '_' || buf[i - 1] == '-' ||
		    buf[i - 1] == '.' || (buf[i - 1] >= 'a' && buf[i - 1] <= 'z') ||
		    (buf[i - 1] >= 'A' && buf[i - 1] <= 'Z') ||
		    (buf[i - 1] >= '0' && buf[i - 1] <= '9')))) {
			size_t start = i;
			int hex = c == '0' && i + 1 < len &&
			    (buf[i + 1] == 'x' || buf[i + 1] == 'X');
			unsigned long long v = 0;
			int over = 0;

			if (hex)
				i += 2;
			for (; i < len; i++) {
				int d;

				if (buf[i] >= '0' && buf[i] <= '9')
					d = buf[i] - '0';
				else if (hex && buf[i] >= 'a' && buf[i] <= 'f')
					d = buf[i] - 'a' + 10;
				else if (hex && buf[i] >= 'A' && buf[i] <= 'F')
					d = buf[i] - 'A' + 10;
				else
					break;
				if (v > (ULLONG_MAX - (unsigned)d) / (hex ? 16 : 10))
					over = 1;
				else
					v = v * (hex ? 16 : 10) + (unsigned)d;
			}
			if (i < len && (buf[i] == '.' || buf[i] == 'e' ||
			    buf[i] == 'E' || buf[i] == 'L'))
				continue;
			if (over || v > (hex ? 0xffffffffULL :
			    (unsigned long long)INT_MAX)) {
				struct model_loc *o;

				cx->overflows = xrealloc(cx->overflows,
				    (cx->n_overflows + 1) * sizeof(*o));
				o = &cx->overflows[cx->n_overflows++];
				o->file = arena_strdup(cx->a, shown);
				o->line = conf_line_at(buf, start);
				errlist_add(cx->errs, o->file, o->line, "integer "
				    "%.*s is too large (write it with an L suffix "
				    "if you mean it)", (int)(i - start),
				    buf + start);
			}
		} else {
			i++;
		}
	}
}

/* A file being scanned: as shown in messages, and its real path for loops. */
struct conf_scan_file {
	char *shown, *real;
};

/* A file reached through @include and the main file's @include line
 * that leads to it. */
struct conf_reach {
	char *shown;
	int top_line;
};

/*
 * The state of the @include scan.  libconfig 1.5 stops at the first
 * problem with an @include and often reports it somewhere else (a loop as
 * "nesting too deep", an unclosed group at a later line of the including
 * file), so the scan finds them first, reports them where they are, and
 * names the main file's @include lines that libconfig must not follow.
 */
struct conf_scan {
	struct conf_ctx *cx;
	struct conf_scan_file stack[CONF_INCLUDE_DEPTH + 2];
	size_t depth;
	struct conf_reach *reach;	/* xmalloc'd */
	size_t n_reach;
	int *blank;			/* main-file lines, xmalloc'd */
	size_t n_blank;
	/* The bracket each main-file line's @include stands in, for what
	 * replaces a blanked one; xmalloc'd. */
	struct conf_directive *main_dirs;
	size_t n_main_dirs;
};

/* An @include directive: its line, whether something precedes it on the
 * line (libconfig refuses that), and the file named (xmalloc'd). */
struct conf_directive {
	int line;
	int is_inline;
	char ctx;		/* innermost open bracket there, or 0 */
	char *name;
};

static void
conf_scan_blank(struct conf_scan *sc, int line)
{
	for (size_t i = 0; i < sc->n_blank; i++)
		if (sc->blank[i] == line)
			return;
	sc->blank = xrealloc(sc->blank, (sc->n_blank + 1) * sizeof(int));
	sc->blank[sc->n_blank++] = line;
}

/*
 * Walk buf as libconfig's scanner would (strings and comments skipped):
 * collect its @include directives into *dirs (caller frees each name and
 * the array) and, when a bracket is still open at the end, the line and
 * character of the innermost one into *open_line and *open_ch (else 0).
 */
static void
conf_scan_tokens(const char *buf, size_t len, struct conf_directive **dirs,
    size_t *n_dirs, int *open_line, char *open_ch)
{
	struct { char ch; int line; } *stack = NULL;
	size_t depth = 0, cap = 0, i = 0;
	int line = 1, token = 0;

	*dirs = NULL;
	*n_dirs = 0;
	*open_line = 0;
	*open_ch = '\0';
	while (i < len) {
		char c = buf[i];

		if (c == '\n') {
			line++;
			token = 0;
			i++;
		} else if (c == '"') {
			for (i++; i < len && buf[i] != '"' && buf[i] != '\n'; i++)
				if (buf[i] == '\\')
					i++;
			i++;
			token = 1;
		} else if (c == '#' || (c == '/' && i + 1 < len &&
		    buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(buf[i] == '*' &&
			    buf[i + 1] == '/'); i++)
				if (buf[i] == '\n')
					line++;
			i += 2;
		} else if (c == '@' && len - i > 8 &&
		    strncmp(buf + i, "@include", 8) == 0) {
			const char *q = buf + i + 8, *end;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '"' && (end = strpbrk(q + 1, "\"\n")) != NULL &&
			    *end == '"') {
				*dirs = xrealloc(*dirs, (*n_dirs + 1) *
				    sizeof(**dirs));
				(*dirs)[*n_dirs].line = line;
				(*dirs)[*n_dirs].is_inline = token;
				(*dirs)[*n_dirs].ctx = depth > 0 ?
				    stack[depth - 1].ch : '\0';
				(*dirs)[*n_dirs].name = xstrndup(q + 1,
				    (size_t)(end - q - 1));
				(*n_dirs)++;
				i = (size_t)(end - buf) + 1;
			} else
				i += 8;
			token = 1;
		} else if (c == '{' || c == '(' || c == '[') {
			if (depth == cap) {
				cap = cap ? 2 * cap : 16;
				stack = xrealloc(stack, cap * sizeof(*stack));
			}
			stack[depth].ch = c;
			stack[depth++].line = line;
			token = 1;
			i++;
		} else if (c == '}' || c == ')' || c == ']') {
			if (depth > 0)
				depth--;
			token = 1;
			i++;
		} else {
			if (c != ' ' && c != '\t' && c != '\r')
				token = 1;
			i++;
		}
	}
	if (depth > 0) {
		*open_line = stack[depth - 1].line;
		*open_ch = stack[depth - 1].ch;
	}
	free(stack);
}

/* "include loop: a.conf → b.conf → a.conf" from the scan stack entry k
 * to the file named again.  Caller frees. */
static char *
conf_scan_loop_text(const struct conf_scan *sc, size_t k, const char *again)
{
	char *s = xstrdup("include loop: "), *t;

	for (; k < sc->depth; k++) {
		t = xasprintf("%s%s → ", s, sc->stack[k].shown);
		free(s);
		s = t;
	}
	t = xasprintf("%s%s", s, again);
	free(s);
	return t;
}

/*
 * Check the bytes of the file at open (reported as shown) and recurse into
 * the files it @includes.  top_line: the main file's @include line that
 * led here (0 for the main file itself).  The caller has checked that the
 * file opens.
 */
static void
conf_scan_file(struct conf_scan *sc, const char *open, const char *shown,
    int top_line)
{
	struct conf_ctx *cx = sc->cx;
	struct conf_directive *dirs;
	size_t len, bad, n_dirs;
	int open_line;
	char *buf, open_ch;

	if (conf_slurp(open, &buf, &len) < 0)
		return;
	if (!utf8_is_valid(buf, len, &bad))
		errlist_add(cx->errs, shown, conf_line_at(buf, bad),
		    "invalid UTF-8");
	conf_scan_integers(cx, shown, buf, len);
	conf_scan_tokens(buf, len, &dirs, &n_dirs, &open_line, &open_ch);
	free(buf);
	/* In the main file libconfig says this well enough itself. */
	if (top_line > 0 && open_line > 0) {
		errlist_add(cx->errs, shown, open_line, "unclosed \"%c\" (the "
		    "file ends before it is closed)", open_ch);
		conf_scan_blank(sc, top_line);
	}
	sc->stack[sc->depth].shown = xstrdup(shown);
	sc->stack[sc->depth].real = realpath(open, NULL);
	sc->depth++;
	for (size_t i = 0; i < n_dirs; i++) {
		const struct conf_directive *d = &dirs[i];
		int top = top_line > 0 ? top_line : d->line;
		char *path, *real;
		size_t k;
		FILE *fp;

		if (d->is_inline) {
			errlist_add(cx->errs, shown, d->line, "@include must "
			    "stand on its own line");
			conf_scan_blank(sc, top);
			continue;
		}
		/* libconfig resolves every @include against the include
		 * dir, the main file's dir. */
		if (d->name[0] == '/' || strcmp(cx->main_dir, ".") == 0)
			path = xstrdup(d->name);
		else
			path = xasprintf("%s/%s", cx->main_dir, d->name);
		real = realpath(path, NULL);
		for (k = 0; k < sc->depth; k++)
			if (strcmp(sc->stack[k].shown, path) == 0 ||
			    (real != NULL && sc->stack[k].real != NULL &&
			    strcmp(sc->stack[k].real, real) == 0))
				break;
		if (k < sc->depth) {
			char *text = conf_scan_loop_text(sc, k, path);

			errlist_add(cx->errs, shown, d->line, "%s", text);
			free(text);
			conf_scan_blank(sc, top);
		} else if (sc->depth > CONF_INCLUDE_DEPTH) {
			errlist_add(cx->errs, shown, d->line, "@include nested "
			    "more than %d files deep", CONF_INCLUDE_DEPTH);
			conf_scan_blank(sc, top);
		} else if ((fp = fopen(path, "rb")) == NULL) {
			errlist_add(cx->errs, shown, d->line, "cannot open "
			    "include file \"%s\" (tried %s): %s", d->name, path,
			    strerror(errno));
			conf_scan_blank(sc, top);
		} else {
			fclose(fp);
			sc->reach = xrealloc(sc->reach, (sc->n_reach + 1) *
			    sizeof(*sc->reach));
			sc->reach[sc->n_reach].shown = xstrdup(path);
			sc->reach[sc->n_reach++].top_line = top;
			conf_scan_file(sc, path, path, top);
		}
		free(real);
		free(path);
	}
	sc->depth--;
	free(sc->stack[sc->depth].shown);
	free(sc->stack[sc->depth].real);
	if (top_line == 0) {
		sc->main_dirs = dirs;
		sc->n_main_dirs = n_dirs;
		return;
	}
	for (size_t i = 0; i < n_dirs; i++)
		free(dirs[i].name);
	free(dirs);
}

/*
 * The main file's text with the @include directives of the blanked lines
 * replaced by something that parses where they stand (a 0 in a list, a
 * dummy setting in a group), so that the commas around them still parse
 * and line numbers stay.  Caller frees.
 */
static char *
conf_scan_blanked(const struct conf_scan *sc, const char *buf, size_t len)
{
	char *out = xstrdup(""), *t;
	size_t from = 0;
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		const char *q;
		char ctx = '\0';
		size_t b, k;

		if (buf[i] == '\n') {
			line++;
			continue;
		}
		if (buf[i] != '@' || strncmp(buf + i, "@include", 8) != 0)
			continue;
		for (b = 0; b < sc->n_blank && sc->blank[b] != line; b++)
			;
		q = strchr(buf + i + 8, '"');
		if (b == sc->n_blank || q == NULL ||
		    (q = strpbrk(q + 1, "\"\n")) == NULL || *q != '"')
			continue;
		for (k = 0; k < sc->n_main_dirs; k++)
			if (sc->main_dirs[k].line == line)
				ctx = sc->main_dirs[k].ctx;
		t = xasprintf("%s%.*s%s", out, (int)(i - from), buf + from,
		    ctx == '(' || ctx == '[' ? "0" :
		    "herald_blanked_include = 0;");
		free(out);
		out = t;
		from = (size_t)(q - buf) + 1;
		i = from - 1;
	}
	t = xasprintf("%s%s", out, buf + from);
	free(out);
	return t;
}

static void
conf_scan_free(struct conf_scan *sc)
{
	for (size_t i = 0; i < sc->n_reach; i++)
		free(sc->reach[i].shown);
	free(sc->reach);
	free(sc->blank);
	for (size_t i = 0; i < sc->n_main_dirs; i++)
		free(sc->main_dirs[i].name);
	free(sc->main_dirs);
}

/*
 * Parse the main file with libconfig.  A parse error inside an included
 * file is reported, that file's @include in the main file is blanked and
 * the parse starts again, so one run names every file that does not
 * parse; an error in the main file itself ends it.  Returns 0 when a parse
 * went through with nothing blanked, -1 otherwise (cf then holds the last
 * parse, or nothing).
 */
static int
conf_parse(struct conf_scan *sc, const char *path, config_t *cf)
{
	struct conf_ctx *cx = sc->cx;
	char *buf, *text;
	size_t len;

	if (conf_slurp(path, &buf, &len) < 0) {
		errlist_add(cx->errs, path, 0, "cannot read: %s",
		    strerror(errno));
		return -1;
	}
	/* Each round blanks one more line, or stops. */
	for (int round = 0; round < 64; round++) {
		const char *file, *shown;
		int top = 0, ok;

		config_init(cf);
		config_set_include_dir(cf, cx->main_dir);
		/* From the file while nothing is blanked, so that settings
		 * know their file (conf_loc); a string parse only hunts for
		 * further errors. */
		if (sc->n_blank == 0)
			ok = config_read_file(cf, path);
		else {
			text = conf_scan_blanked(sc, buf, len);
			ok = config_read_string(cf, text);
			free(text);
		}
		if (ok) {
			free(buf);
			return sc->n_blank == 0 ? 0 : -1;
		}
		file = config_error_file(cf);
		shown = file == NULL || strcmp(file, path) == 0 ? path :
		    file[0] == '/' || strcmp(cx->main_dir, ".") == 0 ? file :
		    arena_printf(cx->a, "%s/%s", cx->main_dir, file);
		errlist_add(cx->errs, shown, config_error_line(cf), "%s",
		    config_error_text(cf));
		config_destroy(cf);
		for (size_t i = 0; i < sc->n_reach && shown != path; i++)
			if (strcmp(sc->reach[i].shown, shown) == 0)
				top = sc->reach[i].top_line;
		if (top == 0)
			break;
		for (size_t i = 0; i < sc->n_blank; i++)
			if (sc->blank[i] == top)
				top = 0;
		if (top == 0)
			break;
		conf_scan_blank(sc, top);
	}
	config_init(cf);
	free(buf);
	return -1;
}

static const char *
conf_zone(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    const char *what, const char *dflt)
{
	const char *tz = dflt;

	if (conf_get_string(cx, g, key, 0, what, &tz) == 1 &&
	    !civil_zone_is_valid(tz)) {
		conf_err(cx, config_setting_get_member(g, key),
		    "unknown time zone \"%s\"", tz);
		return dflt;
	}
	return tz;
}

/*
 * A secret named by file key of g: read it now, so that -t and reload
 * catch an unreadable or empty file at the key's line, and keep its first
 * line (without the newline) in the arena.  *path gets the resolved path.
 * Returns the secret, or NULL when the key is absent or the file is bad.
 * The secret itself never reaches a message.
 */
static const char *
conf_secret(struct conf_ctx *cx, const config_setting_t *g, const char *key,
    const char **path, size_t *len)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	char *buf, *secret;
	size_t n;
	struct stat st;

	if (conf_get_string(cx, g, key, 0, "in herald", path) != 1)
		return NULL;
	*path = conf_path(cx, *path);
	if (conf_slurp(*path, &buf, &n) == -1) {
		conf_err(cx, s, "%s \"%s\": %s", key, *path, strerror(errno));
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		conf_err(cx, s, "%s \"%s\": the first line is empty", key,
		    *path);
		free(buf);
		return NULL;
	}
	/*
	 * Others may not read it; its group may only when that is the
	 * daemon's own group: Debian's root:herald 0640 (debian/
	 * herald.postinst) lets heraldd read a secret it cannot change.
	 */
	if (stat(*path, &st) == 0 && ((st.st_mode & 0007) != 0 ||
	    ((st.st_mode & 0070) != 0 && st.st_gid != getegid())))
		conf_warn(cx, s, "%s \"%s\" is readable by group or others "
		    "(chmod 600)", key, *path);
	*len = strlen(buf);
	secret = arena_printf(cx->a, "%s", buf);
	explicit_bzero(buf, n);
	free(buf);
	return secret;
}

static int
conf_listen_is_valid(const char *s)
{
	const char *colon;
	char *end;
	long port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close == s + 1 || close[1] != ':')
			return 0;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || memchr(s, ':',
		    (size_t)(colon - s)) != NULL)
			return 0;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	/* Port 0: any free port (tests; the log names the one bound). */
	return colon[1] != '\0' && *end == '\0' && errno == 0 && port >= 0 &&
	    port <= 65535;
}

static void
conf_herald(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_daemon *d = &cx->m->daemon;
	const char *w = "in herald";
	const char *store = "sqlite:herald.db", *level = "info";
	long long body_max, n;
	struct model_offset off;
	config_setting_t *s;

	d->timezone = "Asia/Shanghai";
	d->listen = "127.0.0.1:8025";
	d->api_max_body = 65536;
	d->api_request_timeout = 10;
	d->api_max_connections = 512;
	d->api_max_connections_per_peer = 64;
	d->log_target = "stderr";
	d->log_level = HERALD_LOG_INFO;
	conf_engine(cx, g ? config_setting_get_member(g, "engine") : NULL);
	conf_alertmanager(cx, g ? conf_get_group(cx, g, "alertmanager", 0,
	    w) : NULL);
	conf_board(cx, g ? conf_get_group(cx, g, "board", 0, w) : NULL);
	if (g == NULL) {
		d->store = conf_path(cx, "herald.db");
		d->store = arena_printf(cx->a, "sqlite:%s", d->store);
		return;
	}
	conf_check_keys(cx, g, conf_herald_keys, w);
	d->timezone = conf_zone(cx, g, "timezone", w, d->timezone);

	if (conf_get_string(cx, g, "store", 0, w, &store) >= 0) {
		s = config_setting_get_member(g, "store");
		if (strncmp(store, "sqlite:", 7) == 0 && store[7] != '\0')
			d->store = arena_printf(cx->a, "sqlite:%s",
			    conf_path(cx, store + 7));
		else if (strncmp(store, "postgresql:", 11) == 0)
			d->store = store;
		else
			conf_err(cx, s, "store \"%s\" must be \"sqlite:PATH\" or "
			    "\"postgresql:...\"", store);
	}
	if (conf_get_string(cx, g, "listen", 0, w, &d->listen) == 1 &&
	    !conf_listen_is_valid(d->listen))
		conf_err(cx, config_setting_get_member(g, "listen"),
		    "listen \"%s\" must be HOST:PORT or [IPV6]:PORT", d->listen);
	if (conf_get_string(cx, g, "public_url", 0, w, &d->public_url) == 1 &&
	    strncmp(d->public_url, "http://", 7) != 0 &&
	    strncmp(d->public_url, "https://", 8) != 0)
		conf_err(cx, config_setting_get_member(g, "public_url"),
		    "public_url \"%s\" must start with http:// or https://",
		    d->public_url);
	d->api_token = conf_secret(cx, g, "api_token_file",
	    &d->api_token_file, &d->api_token_len);
	d->ack_secret = conf_secret(cx, g, "ack_secret_file",
	    &d->ack_secret_file, &d->ack_secret_len);
	d->sms_reply_token = conf_secret(cx, g, "sms_reply_token_file",
	    &d->sms_reply_token_file, &d->sms_reply_token_len);
	d->dlr_secret = conf_secret(cx, g, "dlr_secret_file",
	    &d->dlr_secret_file, &d->dlr_secret_len);
	d->store_password = conf_secret(cx, g, "store_password_file",
	    &d->store_password_file, &d->store_password_len);
	/* SQLite has no password: a file named for it is a mistake. */
	if (d->store_password != NULL && d->store != NULL &&
	    strncmp(d->store, "postgresql:", 11) != 0)
		conf_warn(cx, config_setting_get_member(g,
		    "store_password_file"), "store_password_file with a "
		    "store that is not PostgreSQL: it is not used");
	if (d->alertmanager.set && d->api_token == NULL)
		conf_warn(cx, config_setting_get_member(g, "alertmanager"),
		    "alertmanager without api_token_file: writes are disabled, "
		    "so Alertmanager's requests are refused (403)");
	if (d->ack_secret != NULL && d->public_url == NULL)
		conf_warn(cx, config_setting_get_member(g, "ack_secret_file"),
		    "ack_secret_file without public_url: messages carry no "
		    "acknowledgement links");
	conf_get_bool(cx, g, "api_read_auth", w, &d->api_read_auth);
	conf_get_bool(cx, g, "metrics_auth", w, &d->metrics_auth);
	if (conf_get_int(cx, g, "api_max_body", 0, w, 1024, 16 << 20,
	    &body_max) == 1)
		d->api_max_body = (size_t)body_max;
	/* What one API client may hold (core/api/httpd.c says why). */
	if (conf_get_offset(cx, g, "api_request_timeout", 0, w, &off) == 1) {
		if (off.seconds < 1 || off.seconds > 3600)
			conf_err(cx, config_setting_get_member(g,
			    "api_request_timeout"), "api_request_timeout must "
			    "be 1s to 1h");
		else
			d->api_request_timeout = (int)off.seconds;
	}
	if (conf_get_int(cx, g, "api_max_connections", 0, w, 1, 1 << 20,
	    &n) == 1)
		d->api_max_connections = (size_t)n;
	if (conf_get_int(cx, g, "api_max_connections_per_peer", 0, w, 1,
	    1 << 20, &n) == 1)
		d->api_max_connections_per_peer = (size_t)n;
	if ((d->api_read_auth || d->metrics_auth) && d->api_token == NULL)
		conf_err(cx, g, "api_read_auth and metrics_auth need "
		    "api_token_file");
	if (conf_get_string(cx, g, "plugin_dir", 0, w, &d->plugin_dir) == 1)
		d->plugin_dir = conf_path(cx, d->plugin_dir);
	if (conf_get_string(cx, g, "pid_file", 0, w, &d->pid_file) == 1)
		d->pid_file = conf_path(cx, d->pid_file);
	if (conf_get_string(cx, g, "log_level", 0, w, &level) == 1) {
		int l = log_level_parse(level);

		if (l < 0)
			conf_err(cx, config_setting_get_member(g, "log_level"),
			    "log_level \"%s\" must be one of err, warning, "
			    "notice, info, debug", level);
		else
			d->log_level = l;
	}
	/* A file is told by its slash, so a misspelt "sylog" is an error
	 * rather than a file of that name beside the config. */
	if (conf_get_string(cx, g, "log_target", 0, w, &d->log_target) == 1 &&
	    strcmp(d->log_target, "stderr") != 0 &&
	    strcmp(d->log_target, "syslog") != 0) {
		if (strchr(d->log_target, '/') != NULL)
			d->log_target = conf_path(cx, d->log_target);
		else
			conf_err(cx, config_setting_get_member(g, "log_target"),
			    "log_target \"%s\" must be \"stderr\", \"syslog\" "
			    "or a file path (with a /)", d->log_target);
	}
}

/* The directory part of path as typed: "a/b.conf" -> "a", "b.conf" -> ".". */
static char *
conf_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The number of entries of list, 0 when it is absent. */
static size_t
conf_length(const config_setting_t *list)
{
	return list != NULL ? (size_t)config_setting_length(list) : 0;
}

static void
conf_sections(struct conf_ctx *cx, config_t *cf)
{
	config_setting_t *root = config_root_setting(cf);
	config_setting_t *herald, *channels, *units, *contacts, *groups;
	config_setting_t *cal, *campaigns, *templates;
	const char *top = "at top level";

	conf_check_keys(cx, root, conf_top_keys, top);
	herald = conf_get_group(cx, root, "herald", 1, top);
	conf_herald(cx, herald);

	channels = conf_get_groups(cx, root, "channels", 1, top);
	if (channels != NULL && config_setting_length(channels) == 0)
		conf_err(cx, channels, "\"channels\" must name at least one "
		    "channel");
	if (channels != NULL)
		conf_channels(cx, channels);

	units = conf_get_groups(cx, root, "units", 0, top);
	contacts = conf_get_groups(cx, root, "contacts", 0, top);
	groups = conf_get_groups(cx, root, "groups", 0, top);
	conf_party_index(cx, conf_length(units) + conf_length(contacts) +
	    conf_length(groups));
	if (units != NULL)
		conf_units(cx, units);
	if (contacts != NULL)
		conf_contacts(cx, contacts);
	/* Everything after this resolves references by id: index now, not
	 * only at the end, or a 10,000-contact audience costs n^2 compares. */
	model_index(cx->m);
	conf_people_link(cx);
	if (groups != NULL)
		conf_groups(cx, groups);

	/* herald.conf(5): without a calendar group, Saturdays and Sundays
	 * are the days off. */
	cx->m->calendar.weekend_mask = 1u << 0 | 1u << 6;
	if ((cal = conf_get_group(cx, root, "calendar", 0, top)) != NULL)
		conf_calendar(cx, cal);
	if ((campaigns = conf_get_groups(cx, root, "campaigns", 0, top)) != NULL)
		conf_campaigns(cx, campaigns);
	conf_calendar_coverage(cx);
	if ((templates = conf_get_group(cx, root, "templates", 0, top)) != NULL)
		conf_templates(cx, templates);
}

/* conf_load() and conf_load_check(): keep says whether a model with
 * errors is returned (when the files parsed).  Caller owns the model. */
static struct model *
conf_load_model(const char *path, struct errlist *errs, int keep)
{
	struct conf_ctx cx;
	struct model *m;
	struct conf_scan sc;
	config_t cf;
	size_t errors_before = errs->n_errors;
	char *abs;
	FILE *fp;
	int rc, parsed = 0;

	memset(&cx, 0, sizeof(cx));
	cx.errs = errs;
	cx.main_path = path;
	cx.main_dir = conf_dirname(path);
	cx.a = arena_new();
	m = arena_alloc(cx.a, sizeof(*m));
	m->arena = cx.a;
	m->path = arena_strdup(cx.a, path);
	cx.m = m;

	/* Relative paths in the config must survive the daemon's chdir("/"). */
	abs = realpath(cx.main_dir, NULL);
	m->daemon.base_dir = arena_strdup(cx.a, abs != NULL ? abs : cx.main_dir);
	free(abs);

	if ((fp = fopen(path, "rb")) == NULL) {
		errlist_add(errs, path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	fclose(fp);
	memset(&sc, 0, sizeof(sc));
	sc.cx = &cx;
	conf_scan_file(&sc, path, path, 0);
	/* After any problem with the files themselves the sections are not
	 * checked: a missing contacts file would only add an "unknown
	 * contact" for every audience. */
	rc = conf_parse(&sc, path, &cf);
	conf_scan_free(&sc);
	if (rc == -1) {
		config_destroy(&cf);
		goto out;
	}
	conf_sections(&cx, &cf);
	config_destroy(&cf);
	parsed = 1;
out:
	while (cx.files != NULL) {
		struct conf_file *next = cx.files->next;

		free(cx.files);
		cx.files = next;
	}
	free(cx.overflows);
	free(cx.unit_src);
	free(cx.contact_src);
	free(cx.group_src);
	free(cx.group_stack);
	conf_party_index_free(&cx);
	free(cx.main_dir);
	if (errs->n_errors > errors_before) {
		if (keep && parsed)
			return m;
		model_free(m);
		return NULL;
	}
	model_index(m);
	return m;
}

struct model *
conf_load(const char *path, struct errlist *errs)
{
	return conf_load_model(path, errs, 0);
}

struct model *
conf_load_check(const char *path, struct errlist *errs)
{
	return conf_load_model(path, errs, 1);
}
