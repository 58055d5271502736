/*
 * log.c - leveled logging to stderr or syslog.
 *
 * The log target is process-wide because syslog is; everything else the
 * daemon keeps lives in its context struct.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "xmalloc.h"

static struct {
	int use_syslog;
	int level;
	const char *ident;
} log_state = { 0, HERALD_LOG_INFO, "heraldd" };

static const char *const log_names[] = {
	[HERALD_LOG_ERR] = "err",
	[HERALD_LOG_WARNING] = "warning",
	[HERALD_LOG_NOTICE] = "notice",
	[HERALD_LOG_INFO] = "info",
	[HERALD_LOG_DEBUG] = "debug",
};

void
log_init(const char *ident, const char *target, int level)
{
	if (log_state.use_syslog)
		closelog();
	log_state.ident = ident;
	log_state.level = level;
	log_state.use_syslog = target != NULL && strcmp(target, "syslog") == 0;
	if (log_state.use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	log_state.level = level;
}

int
log_get_level(void)
{
	return log_state.level;
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (log_names[i] != NULL && strcasecmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Copy in to out (room for 4 * strlen(in) + 1 bytes) with every byte
 * below 0x20 and DEL escaped: \n \r \t, the others as \xNN.  Messages
 * carry values from requests ("%0a" in a query string), and a raw line
 * feed would start a line that looks like heraldd's own ("heraldd[err]
 * ...") or a terminal escape would rewrite what an operator sees.  Done
 * here, once, so no caller can forget it.  Bytes from 0x80 up pass as
 * they are: Chinese names and titles stay readable.  A backslash is left
 * alone on purpose: the log is for reading, not for parsing back.
 */
static void
log_escape(const char *in, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			*out++ = (char)*p;
			continue;
		}
		*out++ = '\\';
		switch (*p) {
		case '\n': *out++ = 'n'; break;
		case '\r': *out++ = 'r'; break;
		case '\t': *out++ = 't'; break;
		default:
			*out++ = 'x';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 0xf];
			break;
		}
	}
	*out = '\0';
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	int saved = errno;
	char small[1024], esc_small[4 * sizeof(small)];
	char *msg = small, *esc = esc_small;
	va_list ap2;
	int n;

	if (level > log_state.level)
		return;
	/* Most lines fit on the stack; a longer one costs two mallocs. */
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0, small[0] = '\0';
	if ((size_t)n >= sizeof(small)) {
		msg = xmalloc((size_t)n + 1);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		esc = xmalloc(4 * (size_t)n + 1);
	}
	log_escape(msg, esc);
	if (log_state.use_syslog) {
		syslog(level, "%s", esc);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		/* UTC with milliseconds: logs from several zones line up. */
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		flockfile(stderr);
		fprintf(stderr, "%s.%03ldZ %s[%s] %s\n", stamp,
		    ts.tv_nsec / 1000000, log_state.ident,
		    level >= 0 && level <= HERALD_LOG_DEBUG && log_names[level] ?
		    log_names[level] : "?", esc);
		funlockfile(stderr);
	}
	if (msg != small) {
		free(msg);
		free(esc);
	}
	errno = saved;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Append ": strerror(errno)" to fmt, as log_warn()/log_err() promise. */
static void
log_errno(int level, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(level, "%s: %s", buf, strerror(saved));
	errno = saved;
}

#define LOG_FN(name, level, with_errno) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		if (with_errno) \
			log_errno(level, fmt, ap); \
		else \
			log_vmsg(level, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_err, HERALD_LOG_ERR, 1)
LOG_FN(log_errx, HERALD_LOG_ERR, 0)
LOG_FN(log_warn, HERALD_LOG_WARNING, 1)
LOG_FN(log_warnx, HERALD_LOG_WARNING, 0)
LOG_FN(log_notice, HERALD_LOG_NOTICE, 0)
LOG_FN(log_info, HERALD_LOG_INFO, 0)
LOG_FN(log_debug, HERALD_LOG_DEBUG, 0)
