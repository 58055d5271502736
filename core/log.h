/*
 * log.h - leveled logging to stderr, a file or syslog.
 *
 * log_warn() and log_err() append strerror(errno); the x variants do not
 * (as in OpenSMTPD).  Lower layers do not log: they return errors and let
 * the caller, who has the context, decide.  The log state is the one piece
 * of process-wide state besides the daemon context, because syslog itself
 * is process-wide.
 */
#ifndef HERALD_LOG_H
#define HERALD_LOG_H

#include "herald-plugin.h"

/*
 * target: "stderr", "syslog" or the path of a file, opened for appending
 * onto descriptor 2 (created 0640).  level: the most verbose level shown.
 * ident and target are borrowed (target is copied).  Returns 0, or -1
 * with errno when the file cannot be opened (the old target stays).
 * With "stderr" under systemd ($JOURNAL_STREAM is descriptor 2), lines
 * carry journald's "<N>" priority prefix instead of a time stamp.
 */
int log_init(const char *ident, const char *target, int level);
/*
 * Open the file target again (SIGUSR1, after logrotate renamed it): 1
 * when reopened, 0 when the target is not a file, -1 with errno when the
 * open failed (the old file stays in use).  No line is lost or split.
 */
int log_reopen(void);
/* The file target's path (borrowed), or NULL. */
const char *log_file(void);
void log_set_level(int level);
int log_get_level(void);
/* Parse "err", "warning", "notice", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);

/*
 * Every message is written with the bytes below 0x20 and DEL escaped
 * (\n, \r, \t, \xNN), so a value from a request cannot start a line of
 * its own; UTF-8 passes as it is.
 */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
