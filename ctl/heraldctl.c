/*
 * heraldctl.c - the command-line client of heraldd's control API
 * (doc/api.txt, heraldctl(1)): the command line, one function per
 * read-only command, and the exit codes.  The writing commands are in
 * ctl_write.c, HTTP and JSON in ctl_http.c, the tables in ctl_table.c and
 * ctl_show.c.
 *
 * Every option is parsed in one pass (GNU getopt permutes, so options may
 * come before or after the command) and then checked against what the
 * command accepts: a misplaced option is a usage error, never ignored.
 * `check` does not talk to a daemon: it runs heraldd -t, so that the
 * validation is the daemon's own.
 */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctl_roster.h"
#include "xmalloc.h"

#define CTL_DEFAULT_URL	"http://127.0.0.1:8025"

/* Which commands take an option. */
#define C_STATUS	0x01
#define C_AGENDA	0x02
#define C_JOB		0x04
#define C_SUBMIT	0x08
#define C_ACK		0x10
#define C_RELOAD	0x20
#define C_CHECK		0x40
#define C_HELP		0x80
#define C_SUBMISSIONS	0x100
#define C_INCIDENT	0x200
#define C_IMPORT	0x400
#define C_REPORT	0x800
#define C_LIST		0x1000
#define C_BOARDPW	0x2000	/* board-passwd: no server */
#define C_API		(C_STATUS | C_AGENDA | C_JOB | C_SUBMIT | C_ACK | \
			    C_RELOAD | C_SUBMISSIONS | C_INCIDENT | C_REPORT | \
			    C_LIST)
/* The global options: every command takes them, even those that do not
 * talk to heraldd (check, help), so that an alias or a script that always
 * passes -u and -T works with every command. */
#define C_ALL		(C_API | C_CHECK | C_HELP | C_IMPORT | C_BOARDPW)

enum {
	O_URL = 'u', O_TOKEN = 'T', O_JSON = 'j', O_HELP = 'h',
	O_FROM = 256, O_TO, O_CAMPAIGN, O_CONTACT, O_CHANNEL, O_STATE,
	O_LIMIT, O_ICS, O_UNIT, O_VIA, O_SUBMITTED, O_DEADLINE, O_WITHDRAW,
	O_NOTE, O_DRILL, O_BY,
	O_OUTPUT = 'o', O_ENCODING = 300, O_UNIT_COLUMN, O_ID_COLUMN, O_XLSX,
	O_CSV
};

static const struct option ctl_longopts[] = {
	{ "url", required_argument, NULL, O_URL },
	{ "token-file", required_argument, NULL, O_TOKEN },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "campaign", required_argument, NULL, O_CAMPAIGN },
	{ "contact", required_argument, NULL, O_CONTACT },
	{ "channel", required_argument, NULL, O_CHANNEL },
	{ "state", required_argument, NULL, O_STATE },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "ics", no_argument, NULL, O_ICS },
	{ "unit", no_argument, NULL, O_UNIT },
	{ "via", required_argument, NULL, O_VIA },
	{ "submitted", no_argument, NULL, O_SUBMITTED },
	{ "deadline", required_argument, NULL, O_DEADLINE },
	{ "withdraw", no_argument, NULL, O_WITHDRAW },
	{ "note", required_argument, NULL, O_NOTE },
	{ "drill", no_argument, NULL, O_DRILL },
	{ "by", required_argument, NULL, O_BY },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "encoding", required_argument, NULL, O_ENCODING },
	{ "unit-column", required_argument, NULL, O_UNIT_COLUMN },
	{ "id-column", required_argument, NULL, O_ID_COLUMN },
	{ "xlsx", required_argument, NULL, O_XLSX },
	{ "csv", required_argument, NULL, O_CSV },
	{ NULL, 0, NULL, 0 }
};

/* The commands each option belongs to, for the check after parsing. */
static const struct {
	int opt, cmds;
} ctl_opt_cmds[] = {
	{ O_URL, C_ALL }, { O_TOKEN, C_ALL }, { O_JSON, C_ALL },
	{ O_FROM, C_AGENDA }, { O_TO, C_AGENDA },
	{ O_CAMPAIGN, C_AGENDA | C_SUBMIT | C_SUBMISSIONS | C_INCIDENT |
	    C_REPORT },
	{ O_CONTACT, C_AGENDA },
	{ O_CHANNEL, C_AGENDA }, { O_STATE, C_AGENDA | C_INCIDENT },
	{ O_LIMIT, C_AGENDA },
	{ O_ICS, C_AGENDA }, { O_UNIT, C_SUBMIT }, { O_VIA, C_SUBMIT },
	{ O_SUBMITTED, C_ACK }, { O_DEADLINE, C_SUBMISSIONS },
	{ O_WITHDRAW, C_SUBMIT }, { O_NOTE, C_INCIDENT },
	{ O_DRILL, C_INCIDENT }, { O_BY, C_INCIDENT },
	{ O_OUTPUT, C_IMPORT }, { O_ENCODING, C_IMPORT },
	{ O_UNIT_COLUMN, C_IMPORT }, { O_ID_COLUMN, C_IMPORT },
	{ O_XLSX, C_REPORT }, { O_CSV, C_REPORT },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: heraldctl [-u URL] [-T TOKEN_FILE] [--json] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                     what the daemon is doing\n"
"  agenda [--from D] [--to D] [--campaign ID] [--contact ID]\n"
"         [--channel NAME] [--state S] [--limit N] [--ics]\n"
"                             what will be sent, when, to whom; D is\n"
"                             YYYY-MM-DD, YYYY-MM-DDTHH:MM or Unix seconds;\n"
"                             S is a job state or \"any\" (default pending)\n"
"  job KEY                    one notification and its history\n"
"  submit [--campaign ID] [--unit] [--via TEXT] [--withdraw]\n"
"         DEADLINE CONTACT|UNIT\n"
"                             record a deadline as submitted for a unit\n"
"                             (a contact submits for its unit); --withdraw\n"
"                             undoes a mistaken submission\n"
"  submissions [--campaign ID] [--deadline ID]\n"
"                             who has submitted: units x deadlines\n"
"  ack [--submitted] KEY      mark a notice seen (or its item submitted)\n"
"  incident trigger [--campaign ID] [--drill] --note TEXT PLAN VENUE\n"
"                             trigger an emergency plan at a venue\n"
"  incident list [--state S] [--campaign ID]\n"
"                             incidents, newest first (S: open, acked,\n"
"                             resolved)\n"
"  incident show ID           one incident: alerts, notices, timeline\n"
"  incident ack [--by WHO] [--note TEXT] ID\n"
"                             take charge (WHO: default the login name);\n"
"                             stops repeats and escalation\n"
"  incident resolve [--by WHO] --note TEXT ID\n"
"                             close the incident with a final notice\n"
"  import contacts [--encoding utf-8|gb18030] [--unit-column NAME]\n"
"         [--id-column NAME] [-o OUT.conf] FILE.csv\n"
"                             a liaison table (附件1) as a config include\n"
"                             of units and contacts; does not talk to\n"
"                             heraldd\n"
"  report submissions --campaign ID [--xlsx FILE | --csv FILE]\n"
"                             the submissions board as a spreadsheet\n"
"                             (--json: the server's JSON)\n"
"  list campaigns|deadlines|units|contacts\n"
"                             the daemon's ids, one per line\n"
"  reload                     make heraldd re-read its configuration\n"
"  check FILE                 validate a config file (runs heraldd -t;\n"
"                             takes and ignores -u, -T and --json)\n"
"  board-passwd FILE          write the web board's password hash to FILE\n"
"                             (asked twice on a terminal, else one line\n"
"                             of standard input; mode 600)\n"
"  help                       this text\n"
"\n"
"options:\n"
"  -u, --url URL              the server (env HERALD_URL;\n"
"                             default %s)\n"
"  -T, --token-file FILE      bearer token on the first line of FILE\n"
"                             (env HERALD_TOKEN_FILE; default none)\n"
"  -j, --json                 print the server's JSON answer\n"
"\n"
"exit status: 0 success, 1 the server answered an error, 2 usage error,\n"
"3 cannot connect or no answer in time, 4 authentication refused;\n"
"import: 1 when the table is refused (each bad row on stderr)\n",
	    CTL_DEFAULT_URL);
}

static unsigned
ctl_opt_bit(int opt)
{
	for (size_t i = 0; i < sizeof(ctl_opt_cmds) / sizeof(ctl_opt_cmds[0]);
	    i++)
		if (ctl_opt_cmds[i].opt == opt)
			return 1u << i;
	return 0;
}

/* GET path and print the answer: verbatim JSON with --json, else through
 * show.  path is borrowed. */
static int
ctl_get_show(struct ctl_args *a, const char *path,
    void (*show)(const json_t *, FILE *))
{
	struct ctl_reply r;
	int rc;

	if ((rc = ctl_call(a, "GET", path, NULL, &r)) != CTL_OK)
		return rc;
	if (a->json)
		ctl_print_json(r.json);
	else
		show(r.json, stdout);
	ctl_reply_clear(&r);
	return CTL_OK;
}

static int
cmd_status(struct ctl_args *a)
{
	return ctl_get_show(a, "/v1/status", ctl_show_status);
}

/* Append "&name=value" (escaped) to *q when value is set. */
static void
ctl_query_add(struct ctl_args *a, char **q, const char *name,
    const char *value)
{
	char *e, *n;

	if (value == NULL)
		return;
	e = ctl_escape(a->client, value);
	n = xasprintf("%s%c%s=%s", *q, **q == '\0' ? '?' : '&', name, e);
	free(e);
	free(*q);
	*q = n;
}

/* agenda --ics: the calendar as the server writes it. */
static int
cmd_agenda_ics(struct ctl_args *a)
{
	char err[CURL_ERROR_SIZE + 300], *q = xstrdup(""), *path;
	struct ctl_reply r;
	int rc;

	/* The calendar is the plan of items, not of jobs: no job filters. */
	if (a->from != NULL || a->to != NULL || a->contact != NULL ||
	    a->channel != NULL || a->state != NULL || a->limit != NULL ||
	    a->json) {
		fprintf(stderr, "heraldctl: agenda --ics takes --campaign "
		    "only\n");
		free(q);
		return CTL_EUSAGE;
	}
	ctl_query_add(a, &q, "campaign", a->campaign);
	path = xasprintf("/v1/agenda.ics%s", q);
	free(q);
	rc = ctl_request(a->client, "GET", path, NULL, &r, err, sizeof(err));
	free(path);
	if (rc != CTL_OK) {
		fprintf(stderr, "heraldctl: %s\n", err);
		return rc;
	}
	if ((rc = ctl_reply_exit(&r)) != CTL_OK)
		rc = ctl_fail(a, &r);
	else
		fwrite(r.body, 1, r.len, stdout);
	ctl_reply_clear(&r);
	return rc;
}

static int
cmd_agenda(struct ctl_args *a)
{
	char *path, *q, *end;
	long limit = 0;
	json_t *all;
	int rc;

	if (a->ics)
		return cmd_agenda_ics(a);
	if (a->limit != NULL) {
		errno = 0;
		limit = strtol(a->limit, &end, 10);
		if (*a->limit == '\0' || *end != '\0' || errno != 0 ||
		    limit < 1) {
			fprintf(stderr, "heraldctl: --limit wants a positive "
			    "number, not \"%s\"\n", a->limit);
			return CTL_EUSAGE;
		}
	}
	q = xstrdup("");
	ctl_query_add(a, &q, "from", a->from);
	ctl_query_add(a, &q, "to", a->to);
	ctl_query_add(a, &q, "campaign", a->campaign);
	ctl_query_add(a, &q, "contact", a->contact);
	ctl_query_add(a, &q, "channel", a->channel);
	ctl_query_add(a, &q, "state", a->state);
	/* The server answers in pages; --limit caps the whole (and the
	 * pages, when it is small), and without it the agenda is printed in
	 * full. */
	if (a->limit != NULL) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", limit < 10000 ? limit : 10000);
		ctl_query_add(a, &q, "limit", n);
	}
	path = xasprintf("/v1/agenda%s", q);
	free(q);
	rc = ctl_get_pages(a, path, a->limit != NULL ? (size_t)limit : 0,
	    &all);
	free(path);
	if (rc != CTL_OK)
		return rc;
	if (a->json)
		ctl_print_json(all);
	else
		ctl_show_agenda(all, stdout);
	json_decref(all);
	return CTL_OK;
}

static int
cmd_job(struct ctl_args *a)
{
	char *key = ctl_escape(a->client, a->argv[0]), *path;
	int rc;

	path = xasprintf("/v1/jobs/%s", key);
	free(key);
	rc = ctl_get_show(a, path, ctl_show_job);
	free(path);
	return rc;
}

/* check FILE: heraldd -t, found in PATH; its exit status is ours. */
static int
cmd_check(struct ctl_args *a)
{
	execlp("heraldd", "heraldd", "-t", "-c", a->argv[0], (char *)NULL);
	fprintf(stderr, "heraldctl: cannot run heraldd: %s\n",
	    strerror(errno));
	return CTL_ESERVER;
}

static int
cmd_help(struct ctl_args *a)
{
	usage(stdout);
	return CTL_OK;
}

static const struct {
	const char	*name;
	int		 bit, nargs;
	int		(*fn)(struct ctl_args *);
} ctl_cmds[] = {
	{ "status", C_STATUS, 0, cmd_status },
	{ "agenda", C_AGENDA, 0, cmd_agenda },
	{ "job", C_JOB, 1, cmd_job },
	{ "submit", C_SUBMIT, 2, ctl_write_submit },
	{ "ack", C_ACK, 1, ctl_write_ack },
	{ "reload", C_RELOAD, 0, ctl_write_reload },
	{ "submissions", C_SUBMISSIONS, 0, ctl_submissions },
	{ "incident", C_INCIDENT, -1, ctl_incident },
	{ "import", C_IMPORT, 2, ctl_import },
	{ "report", C_REPORT, 1, ctl_report },
	{ "list", C_LIST, 1, ctl_list },
	{ "check", C_CHECK, 1, cmd_check },
	{ "board-passwd", C_BOARDPW, 1, ctl_board_passwd },
	{ "help", C_HELP, 0, cmd_help },
};

/* Parse argv into a; returns the command's index, or -1 after printing
 * why the command line is wrong. */
static int
ctl_parse(int argc, char **argv, struct ctl_args *a)
{
	int ch, cmd = -1, help = 0;
	size_t i;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":u:T:jho:", ctl_longopts,
	    NULL)) != -1) {
		a->seen |= ctl_opt_bit(ch);
		switch (ch) {
		case O_URL: a->url = optarg; break;
		case O_TOKEN: a->token_file = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_HELP: help = 1; break;
		case O_FROM: a->from = optarg; break;
		case O_TO: a->to = optarg; break;
		case O_CAMPAIGN: a->campaign = optarg; break;
		case O_CONTACT: a->contact = optarg; break;
		case O_CHANNEL: a->channel = optarg; break;
		case O_STATE: a->state = optarg; break;
		case O_LIMIT: a->limit = optarg; break;
		case O_ICS: a->ics = 1; break;
		case O_UNIT: a->unit = 1; break;
		case O_VIA: a->via = optarg; break;
		case O_SUBMITTED: a->submitted = 1; break;
		case O_DEADLINE: a->deadline = optarg; break;
		case O_WITHDRAW: a->withdraw = 1; break;
		case O_NOTE: a->note = optarg; break;
		case O_DRILL: a->drill = 1; break;
		case O_BY: a->by = optarg; break;
		case O_OUTPUT: a->output = optarg; break;
		case O_ENCODING: a->encoding = optarg; break;
		case O_UNIT_COLUMN: a->unit_column = optarg; break;
		case O_ID_COLUMN: a->id_column = optarg; break;
		case O_XLSX: a->xlsx = optarg; break;
		case O_CSV: a->csv = optarg; break;
		case ':':
			fprintf(stderr, "heraldctl: %s needs a value\n",
			    argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0 && optopt < 256)
				fprintf(stderr, "heraldctl: unknown option "
				    "-%c\n", optopt);
			else
				fprintf(stderr, "heraldctl: unknown option "
				    "%s\n", argv[optind - 1]);
			return -1;
		}
	}
	if (help)
		return (int)(sizeof(ctl_cmds) / sizeof(ctl_cmds[0])) - 1;
	if (optind == argc) {
		fprintf(stderr, "heraldctl: no command\n");
		return -1;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[optind], ctl_cmds[i].name) == 0)
			cmd = (int)i;
	if (cmd == -1) {
		fprintf(stderr, "heraldctl: unknown command \"%s\"\n",
		    argv[optind]);
		return -1;
	}
	for (i = 0; i < sizeof(ctl_opt_cmds) / sizeof(ctl_opt_cmds[0]); i++)
		if ((a->seen & (1u << i)) != 0 &&
		    (ctl_opt_cmds[i].cmds & ctl_cmds[cmd].bit) == 0) {
			fprintf(stderr, "heraldctl: %s does not take that "
			    "option (see heraldctl help)\n", ctl_cmds[cmd].name);
			return -1;
		}
	a->argv = argv + optind + 1;
	a->argc = argc - optind - 1;
	/* nargs -1: the command checks its operands (incident VERB ...). */
	if (ctl_cmds[cmd].nargs >= 0 && a->argc != ctl_cmds[cmd].nargs) {
		fprintf(stderr, "heraldctl: %s takes %d operand%s, not %d\n",
		    ctl_cmds[cmd].name, ctl_cmds[cmd].nargs,
		    ctl_cmds[cmd].nargs == 1 ? "" : "s", a->argc);
		return -1;
	}
	return cmd;
}

/* The client, from flags, else the environment, else the defaults. */
static int
ctl_connect(struct ctl_args *a)
{
	const char *url = a->url, *tf = a->token_file;
	char err[512], *token = NULL;
	int loose;

	if (url == NULL && (url = getenv("HERALD_URL")) != NULL && *url == '\0')
		url = NULL;
	if (tf == NULL && (tf = getenv("HERALD_TOKEN_FILE")) != NULL &&
	    *tf == '\0')
		tf = NULL;
	if (tf != NULL) {
		if ((token = ctl_token_read(tf, &loose, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "heraldctl: %s\n", err);
			return CTL_EUSAGE;
		}
		if (loose)
			fprintf(stderr, "heraldctl: warning: token file %s is "
			    "readable by group or others (chmod 600 it)\n", tf);
	}
	a->client = ctl_client_new(url != NULL ? url : CTL_DEFAULT_URL, token,
	    err, sizeof(err));
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (a->client == NULL) {
		fprintf(stderr, "heraldctl: %s\n", err);
		return CTL_EUSAGE;
	}
	return CTL_OK;
}

int
main(int argc, char **argv)
{
	struct ctl_args a = { 0 };
	int cmd, rc;

	if ((cmd = ctl_parse(argc, argv, &a)) == -1) {
		fprintf(stderr, "usage: heraldctl [-u URL] [-T TOKEN_FILE] "
		    "[--json] COMMAND [ARGS]\n(heraldctl help lists the "
		    "commands)\n");
		return CTL_EUSAGE;
	}
	if ((ctl_cmds[cmd].bit & C_API) == 0)
		return ctl_cmds[cmd].fn(&a);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "heraldctl: cannot initialise libcurl\n");
		return CTL_ECONNECT;
	}
	if ((rc = ctl_connect(&a)) == CTL_OK)
		rc = ctl_cmds[cmd].fn(&a);
	ctl_client_free(a.client);
	curl_global_cleanup();
	if (fflush(stdout) == EOF && rc == CTL_OK) {
		fprintf(stderr, "heraldctl: standard output: %s\n",
		    strerror(errno));
		rc = CTL_ESERVER;
	}
	return rc;
}
