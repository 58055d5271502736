/*
 * log.c - leveled logging to stderr, a file or syslog.
 *
 * The log target is process-wide because syslog and file descriptor 2
 * are; everything else the daemon keeps lives in its context struct.
 *
 * A file target is opened onto descriptor 2, so what else writes to
 * stderr (libevent, the log channel without a file) lands in it too, and
 * log_reopen() (SIGUSR1, after logrotate renamed the file) swaps it with
 * one dup2(): every line is one write(2), and each write goes whole to
 * the old file or the new, so no line is lost or split.
 *
 * Under systemd (stderr is the journal's stream, $JOURNAL_STREAM) each
 * line starts with "<N>", the syslog priority journald reads
 * (sd-daemon(3)), and without the time stamp journald adds itself.
 * Chosen over sd_journal_print(): no libsystemd needed to build the log,
 * the same one write per line, and the journal's _PID and unit fields
 * come with the stream anyway.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

static struct {
	int use_syslog;
	int journal;		/* stderr is journald's: "<N>" prefixes */
	int level;
	const char *ident;
	char *path;		/* the file target, owned; NULL otherwise */
} log_state = { 0, 0, HERALD_LOG_INFO, "heraldd", NULL };

static const char *const log_names[] = {
	[HERALD_LOG_ERR] = "err",
	[HERALD_LOG_WARNING] = "warning",
	[HERALD_LOG_NOTICE] = "notice",
	[HERALD_LOG_INFO] = "info",
	[HERALD_LOG_DEBUG] = "debug",
};

/* Whether descriptor 2 is the stream $JOURNAL_STREAM ("dev:ino") names. */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* Open path for appending onto descriptor 2.  0, or -1 with errno. */
static int
log_open_file(const char *path)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (fd != STDERR_FILENO)
		close(fd);
	return 0;
}

int
log_init(const char *ident, const char *target, int level)
{
	int use_syslog = target != NULL && strcmp(target, "syslog") == 0;
	int use_file = target != NULL && !use_syslog &&
	    strcmp(target, "stderr") != 0;

	if (use_file && log_open_file(target) == -1)
		return -1;
	if (log_state.use_syslog)
		closelog();
	free(log_state.path);
	log_state.path = use_file ? xstrdup(target) : NULL;
	log_state.ident = ident;
	log_state.level = level;
	log_state.use_syslog = use_syslog;
	log_state.journal = !use_syslog && !use_file && log_stderr_is_journal();
	if (log_state.use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

int
log_reopen(void)
{
	if (log_state.path == NULL)
		return 0;
	return log_open_file(log_state.path) == -1 ? -1 : 1;
}

const char *
log_file(void)
{
	return log_state.path;
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

/*
 * "2026-12-05T08:00:00.123Z heraldd[notice] msg\n" (or "<5>heraldd[notice]
 * msg\n" to the journal) to descriptor 2 in one write(2), never through
 * stdio's buffer: see the top of the file.
 */
static void
log_write_line(int level, const char *esc)
{
	const char *name = level >= 0 && level <= HERALD_LOG_DEBUG &&
	    log_names[level] ? log_names[level] : "?";
	char small[1280], stamp[80], *line = small;
	size_t need = strlen(esc) + strlen(log_state.ident) + 104;
	ssize_t w;
	int n;

	if (log_state.journal) {
		snprintf(stamp, sizeof(stamp), "<%d>", level);
	} else {
		struct timespec ts;
		struct tm tm;
		char date[32];

		/* UTC with milliseconds: logs from several zones line up. */
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp, sizeof(stamp), "%s.%03ldZ ", date,
		    ts.tv_nsec / 1000000);
	}
	if (need > sizeof(small))
		line = xmalloc(need);
	n = snprintf(line, need > sizeof(small) ? need : sizeof(small),
	    "%s%s[%s] %s\n", stamp, log_state.ident, name, esc);
	/* A short write is retried; a failed one is dropped, as stdio did. */
	for (size_t off = 0; n > 0 && off < (size_t)n; off += (size_t)w) {
		w = write(STDERR_FILENO, line + off, (size_t)n - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
	if (line != small)
		free(line);
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
		log_write_line(level, esc);
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
