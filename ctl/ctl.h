/*
 * ctl.h - what heraldctl's files share: its exit codes, the HTTP client of
 * heraldd's control API (ctl_http.c) and aligned text tables
 * (ctl_table.c).  The daemon does not use any of it; heraldctl links
 * neither libevent nor the daemon's library, only libcurl, jansson and
 * xmalloc.c.  The views of the answers are in ctl_show.c.
 */
#ifndef HERALD_CTL_H
#define HERALD_CTL_H

#include <stdio.h>

#include <jansson.h>

/* Exit codes: documented in the usage text and in heraldctl(1). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_ESERVER = 1,	/* the server answered 4xx/5xx (not 401/403) */
	CTL_EUSAGE = 2,		/* bad command line */
	CTL_ECONNECT = 3,	/* no connection, or no answer in time */
	CTL_EAUTH = 4		/* 401 or 403: the token was refused */
};

struct ctl_client;

/* heraldctl's parsed command line (heraldctl.c); the strings are borrowed
 * from argv or the environment. */
struct ctl_args {
	const char	*url, *token_file;
	int		 json, ics, unit, submitted, withdraw;
	const char	*from, *to, *campaign, *contact, *channel, *state;
	const char	*limit, *via, *deadline;
	const char	*note, *by;	/* incident */
	const char	*encoding, *unit_column, *id_column, *output; /* import */
	const char	*xlsx, *csv;	/* report */
	int		 drill;
	unsigned	 seen;		/* option bits, see ctl_opt_bit() */
	char		**argv;		/* the command's operands */
	int		 argc;
	struct ctl_client *client;
};

/* One answer of the server. */
struct ctl_reply {
	long	 code;		/* HTTP status */
	char	*body;		/* NUL-terminated; owned by the reply */
	size_t	 len;
	json_t	*json;		/* the parsed body, or NULL when not JSON */
};

/*
 * The token of token_file's first line, for ctl_client_new().  *loose is
 * set when group or others may read the file (the caller warns).  Caller
 * owns the result: wipe it with explicit_bzero() and free() it.  NULL
 * with err filled when the file cannot be read or its first line is empty.
 */
char *ctl_token_read(const char *path, int *loose, char *err,
    size_t errlen);
/*
 * A client for the server at url (trailing "/" dropped); token may be NULL
 * (no Authorization header then) and is copied.  Caller owns the result;
 * ctl_client_free() it.  NULL with err filled for a URL that is not
 * http:// or https://.
 */
struct ctl_client *ctl_client_new(const char *url, const char *token,
    char *err, size_t errlen);
void ctl_client_free(struct ctl_client *c);

/*
 * One request: method and path (which includes any query, already
 * escaped); body may be NULL (no body) and is borrowed.  On an answer,
 * whatever its code, returns CTL_OK and fills r (free it with
 * ctl_reply_clear()); otherwise returns CTL_ECONNECT or CTL_EUSAGE with
 * err filled.
 */
int ctl_request(struct ctl_client *c, const char *method, const char *path,
    const json_t *body, struct ctl_reply *r, char *err, size_t errlen);
/* Percent-escape s for a query value or path segment.  Caller owns the
 * result; free() it. */
char *ctl_escape(struct ctl_client *c, const char *s);
void ctl_reply_clear(struct ctl_reply *r);
/* The exit code for an answer's status: CTL_OK for 2xx. */
int ctl_reply_exit(const struct ctl_reply *r);
/* The server's "error" text of an answer, or a description of a body that
 * is not the documented {"error": ...}.  Borrowed from r or buf. */
const char *ctl_reply_error(const struct ctl_reply *r, char *buf,
    size_t len);

/*
 * A request made for a command: on a 2xx answer with a JSON body returns
 * CTL_OK with r filled (the caller clears it); otherwise prints why on
 * stderr (and, with a->json, the server's JSON on stdout) and returns the
 * exit code.  Unlike the functions above it reports: it is the commands'
 * common first step, with nothing to add by its callers.
 */
int ctl_call(struct ctl_args *a, const char *method, const char *path,
    const json_t *body, struct ctl_reply *r);
/*
 * GET a paged list (path has its query, or none) and follow its "next"
 * cursors ("after=") until the server has no more or max items (0: no
 * cap) are in.  On CTL_OK *out (caller owns) is the first page with every
 * page's "jobs" in it, "count" their number, and "truncated" and "next"
 * those of the last page, or of the cap.  Errors are printed as by
 * ctl_call().
 */
int ctl_get_pages(struct ctl_args *a, const char *path, size_t max,
    json_t **out);
/* Print why an answer is not 2xx, as ctl_call() does; its exit code. */
int ctl_fail(const struct ctl_args *a, const struct ctl_reply *r);
/* Print v as indented JSON on stdout. */
void ctl_print_json(const json_t *v);

/* The commands that change the daemon's state (ctl_write.c); they take
 * a->argv's operands and return the exit code. */
int ctl_write_submit(struct ctl_args *a);
int ctl_write_ack(struct ctl_args *a);
int ctl_write_reload(struct ctl_args *a);

/* `heraldctl incident VERB ...` (ctl_incident.c): a->argv[0] is the verb;
 * returns the exit code. */
int ctl_incident(struct ctl_args *a);
/* ctl_board.c: board-passwd FILE (no server). */
int ctl_board_passwd(struct ctl_args *a);

/*
 * The submissions board (ctl_submissions.c): the `submissions` command;
 * the per-deadline counts of a GET /v1/status answer (o borrowed), which
 * ctl_show_status() prints; and whether who is a unit rather than a
 * contact of campaign, for `submit` without --unit (*is_unit; a contact
 * of the same id wins).  The commands return the exit code.
 */
int ctl_submissions(struct ctl_args *a);
void ctl_show_deadline_counts(const json_t *o, FILE *fp);
int ctl_submissions_who(struct ctl_args *a, const char *campaign,
    const char *who, int *is_unit);

/* A table printed with its columns aligned: cells are copied. */
struct ctl_table;

/* headers: ncols names, or NULL for a table without a header row.
 * Caller owns the result; ctl_table_free() it. */
struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);
void ctl_table_free(struct ctl_table *t);
/* Append a row of ncols cells; a NULL cell prints as "-". */
void ctl_table_add(struct ctl_table *t, const char *const *cells);
/* Print with two spaces between columns; the last is not padded. */
void ctl_table_print(const struct ctl_table *t, FILE *fp);
/*
 * Terminal columns of UTF-8 text, by code point and a fixed East Asian
 * Width rule (CJK, Hangul, fullwidth forms: 2; combining marks and
 * controls: 0; else 1), so that the result does not depend on the locale.
 * A byte that is not UTF-8 counts 1.
 */
size_t ctl_width(const char *s);

/* Human-readable views of GET /v1/status, /v1/agenda and /v1/jobs/KEY
 * answers (ctl_show.c); o is borrowed. */
void ctl_show_status(const json_t *o, FILE *fp);
void ctl_show_agenda(const json_t *o, FILE *fp);
void ctl_show_job(const json_t *o, FILE *fp);

#endif
