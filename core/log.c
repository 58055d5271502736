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

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	int saved = errno;

	if (level > log_state.level)
		return;
	if (log_state.use_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		/* UTC with milliseconds: logs from several zones line up. */
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		flockfile(stderr);
		fprintf(stderr, "%s.%03ldZ %s[%s] ", stamp, ts.tv_nsec / 1000000,
		    log_state.ident,
		    level >= 0 && level <= HERALD_LOG_DEBUG && log_names[level] ?
		    log_names[level] : "?");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
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
