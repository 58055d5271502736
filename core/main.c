/*
 * main.c - heraldd: parse flags, check or load the config, daemonize, run.
 *
 * Exit codes: 0 clean stop or valid config (-t); 1 invalid config or a
 * start-up failure; 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "acklink.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "planner.h"
#include "plugin.h"
#include "render.h"
#include "smslen.h"
#include "smssig.h"
#include "preview.h"
#include "summary.h"
#include "tally.h"
#include "xmalloc.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: heraldd [-fmtVh] [-c file] [-p plugindir] [-P pidfile]\n"
	    "  -c file       config file (default %s/herald/herald.conf)\n"
	    "  -f            stay in the foreground, log to stderr\n"
	    "  -t            check the config, print a summary or every error, exit\n"
	    "  -m            check the config, print one message of each kind per\n"
	    "                channel as recipients will read it (Markdown), exit\n"
	    "  -p plugindir  load channel plugins from plugindir\n"
	    "                (default: $HERALD_PLUGIN_DIR, herald.plugin_dir, %s)\n"
	    "  -P pidfile    pid file when daemonized (default: herald.pid_file,\n"
	    "                %s/run/heraldd.pid)\n"
	    "  -V            print the version and exit\n"
	    "signals: SIGHUP reloads the config; SIGTERM and SIGINT stop heraldd\n",
	    HERALD_SYSCONFDIR, HERALD_PLUGIN_DIR, HERALD_LOCALSTATEDIR);
}

static int
count_job(void *arg, const struct job *j)
{
	return 0;
}

/* "plans 372 notifications: 248 reminder, 31 overdue, ..." (no store). */
static void
print_plan_counts(const struct model *m, FILE *fp)
{
	struct plan_counts pc;
	const char *sep = ": ";

	if (plan_model(m, count_job, NULL, &pc) == -1) {
		fprintf(fp, "planning failed after %zu notifications\n", pc.total);
		return;
	}
	fprintf(fp, "plans %zu notification%s", pc.total,
	    pc.total == 1 ? "" : "s");
	for (int k = 0; k < JOB_KIND_COUNT; k++) {
		if (pc.by_kind[k] == 0)
			continue;
		fprintf(fp, "%s%zu %s", sep, pc.by_kind[k],
		    job_kind_name((enum job_kind)k));
		sep = ", ";
	}
	if (pc.moved > 0)
		fprintf(fp, " (%zu moved to a workday)", pc.moved);
	fputc('\n', fp);
}

/* The most SMS segments one (campaign, sms channel, kind) needs. */
struct sms_seg {
	const char *campaign, *channel;
	const char *signature;		/* borrowed from the channel block */
	long long cap;
	int split;			/* over the cap is sent in several */
	size_t max[JOB_KIND_COUNT];
	int seen[JOB_KIND_COUNT];
};

struct sms_segs {
	const struct model *m;
	struct sms_seg *v;
	size_t n;
};

/* tally_submitted_fn of the worst case: nobody has submitted anything,
 * so every list of units is as long as it gets. */
static int
sms_nobody_submitted(void *arg, const char *campaign, const char *deadline,
    const char *contact)
{
	return 0;
}

/*
 * Render every planned job on an "sms" channel as it would be sent (the
 * signature prepended, {{left}} as of its due time) and keep the largest
 * segment count per campaign, channel and kind: titles differ between
 * items, so one sample per template would understate.
 */
static int
sms_seg_job(void *arg, const struct job *j)
{
	struct sms_segs *ss = arg;
	const struct model_channel *ch = model_channel_find(ss->m, j->channel);
	const struct model_campaign *c = model_campaign_find(ss->m, j->campaign);
	const struct model_deadline *dl;
	const struct model_daemon *md = &ss->m->daemon;
	struct render_extra x = { .now = j->due,
	    .sms_replies = md->sms_reply_token != NULL };
	struct sms_seg *e = NULL;
	struct smslen len;
	char *subject = NULL, *body = NULL, *text, err[256];
	char *digest = NULL, *ack = NULL;
	struct tally t = { 0 };
	int rc;

	if (ch == NULL || strcmp(ch->plugin, "sms") != 0)
		return 0;
	for (size_t i = 0; i < ss->n && e == NULL; i++)
		if (strcmp(ss->v[i].campaign, j->campaign) == 0 &&
		    strcmp(ss->v[i].channel, j->channel) == 0)
			e = &ss->v[i];
	if (e == NULL) {
		ss->v = xrealloc(ss->v, (ss->n + 1) * sizeof(*ss->v));
		e = &ss->v[ss->n++];
		memset(e, 0, sizeof(*e));
		e->campaign = j->campaign;
		e->channel = ch->name;
		e->cap = 3;		/* the sms plugin's default */
		for (size_t i = 0; i < ch->conf.n_settings; i++) {
			const struct herald_setting *st = &ch->conf.settings[i];

			if (strcmp(st->name, "signature") == 0 &&
			    st->type == HERALD_SETTING_STRING)
				e->signature = st->str;
			else if (strcmp(st->name, "max_segments") == 0 &&
			    st->type == HERALD_SETTING_INT)
				e->cap = st->integer;
			else if (strcmp(st->name, "split") == 0 &&
			    st->type == HERALD_SETTING_BOOL)
				e->split = st->integer != 0;
		}
	}
	/* The longest values the message can really carry: nobody has
	 * submitted yet, and the signed link when links are on. */
	if (c != NULL && j->kind == JOB_DIGEST)
		x.digest_text = digest = tally_digest(c, j->due,
		    sms_nobody_submitted, NULL);
	if (c != NULL && j->kind == JOB_ESCALATION &&
	    (dl = model_deadline_find(c, j->item)) != NULL) {
		tally_deadline(c, dl, NULL, sms_nobody_submitted, NULL, &t);
		x.not_submitted = t.pending;
		x.submitted = t.submitted;
		x.n_pending = t.n_pending;
		x.n_total = t.n_total;
	}
	if (md->public_url != NULL && md->ack_secret != NULL) {
		x.ack_url = ack = acklink_url(md->public_url, md->ack_secret,
		    md->ack_secret_len, j->key);
		x.link_ok = 1;	/* the sms plugin carries links */
	}
	rc = render_job(ss->m, j, &x, &subject, &body, err, sizeof(err));
	free(digest);
	tally_clear(&t);
	free(ack);
	if (rc == -1)
		return 0;
	if ((text = smssig_apply(e->signature, body)) == NULL)
		abort();	/* out of memory, as xmalloc would */
	if (smslen_measure(text, strlen(text), &len) == 0 &&
	    len.segments > e->max[j->kind])
		e->max[j->kind] = len.segments;
	e->seen[j->kind] = 1;
	free(text);
	free(subject);
	free(body);
	return 0;
}

/* Where the text of kind on channel comes from: its template, the
 * kind's default template, else the channel block (built-in text). */
static struct model_loc
sms_text_loc(const struct model *m, const char *kind, const char *channel)
{
	const struct model_template *dflt = NULL;

	for (size_t i = 0; i < m->n_templates; i++) {
		const struct model_template *t = &m->templates[i];

		if (strcmp(t->kind, kind) != 0 || strcmp(t->field, "body") != 0)
			continue;
		if (strcmp(t->channel, channel) == 0)
			return t->loc;
		if (dflt == NULL && strcmp(t->channel, "default") == 0)
			dflt = t;
	}
	if (dflt != NULL)
		return dflt->loc;
	return model_channel_find(m, channel)->loc;
}

/*
 * Measure every SMS the model plans (sms_seg_job) into *ss and warn in
 * errs about each kind whose longest message needs more segments than its
 * channel's max_segments without split: the plugin would refuse it.
 * Caller frees ss->v.
 */
static void
check_sms_segments(const struct model *m, struct sms_segs *ss,
    struct errlist *errs)
{
	struct plan_counts pc;

	if (plan_model(m, sms_seg_job, ss, &pc) == -1)
		return;
	for (size_t i = 0; i < ss->n; i++) {
		const struct sms_seg *e = &ss->v[i];

		for (int k = 0; k < JOB_KIND_COUNT; k++) {
			const char *kind = job_kind_name((enum job_kind)k);
			struct model_loc loc;

			if (!e->seen[k] || e->split ||
			    (long long)e->max[k] <= e->cap)
				continue;
			loc = sms_text_loc(m, kind, e->channel);
			errlist_warn(errs, loc.file, loc.line, "%s messages of "
			    "campaign \"%s\" on channel \"%s\" need up to %zu "
			    "SMS segments, over its max_segments %lld: the channel "
			    "would refuse them (shorten the text or set split)",
			    kind, e->campaign, e->channel, e->max[k], e->cap);
		}
	}
}

/* "sms templates: campaign C channel sms: reminder 1 segment, overdue 2
 * segments" (over the channel's cap: "(over cap)"). */
static void
print_sms_segments(const struct sms_segs *ss, FILE *fp)
{
	for (size_t i = 0; i < ss->n; i++) {
		const char *sep = ": ";

		fprintf(fp, "sms templates: campaign %s channel %s",
		    ss->v[i].campaign, ss->v[i].channel);
		for (int k = 0; k < JOB_KIND_COUNT; k++) {
			if (!ss->v[i].seen[k])
				continue;
			fprintf(fp, "%s%s %zu segment%s%s", sep,
			    job_kind_name((enum job_kind)k), ss->v[i].max[k],
			    ss->v[i].max[k] == 1 ? "" : "s",
			    (long long)ss->v[i].max[k] > ss->v[i].cap ?
			    " (over cap)" : "");
			sep = ", ";
		}
		fputc('\n', fp);
	}
}

/* heraldd -t: print every diagnostic, then the summary if valid; with
 * preview (-m), the sample messages instead of the summary. */
static int
check_config(const char *path, const char *plugin_flag, int preview)
{
	struct errlist errs = { 0 };
	struct channel_set *cs = NULL;
	struct sms_segs ss = { 0 };
	struct model *m;
	int rc = 1;

	/* The plugins check their blocks even when the core found errors,
	 * so that one run lists every error. */
	m = conf_load_check(path, &errs);
	if (m != NULL)
		channel_set_open(daemon_plugin_dir(plugin_flag, m), m, NULL, 1,
		    &errs, &cs);
	ss.m = m;
	if (m != NULL && errs.n_errors == 0)
		check_sms_segments(m, &ss, &errs);
	errlist_print(&errs, stderr);
	if (m != NULL && errs.n_errors == 0 && preview) {
		rc = preview_print(m, cs, stdout) == 0 ? 0 : 1;
	} else if (m != NULL && errs.n_errors == 0) {
		summary_print(m, stdout);
		print_plan_counts(m, stdout);
		print_sms_segments(&ss, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n_errors,
		    errs.n_errors == 1 ? "" : "s");
	}
	free(ss.v);
	channel_set_free(cs);
	model_free(m);
	errlist_clear(&errs);
	return rc;
}

/*
 * Create and lock the pid file before detaching: the flock() lock belongs
 * to the open file, which the daemonized child inherits, so a second
 * heraldd on the same file fails at once, on the terminal.
 */
static int
pidfile_lock(const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("pid file %s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_errx("pid file %s is locked: is another heraldd running?",
		    path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
pidfile_write(int fd, const char *path)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, (size_t)n) != n) {
		log_err("pid file %s", path);
		return -1;
	}
	return 0;
}

/*
 * Detach from the terminal; the caller continues in the grandchild.  With
 * log_target "stderr" stderr stays open, so `heraldd 2>>file` keeps a log.
 */
static int
daemonize(int keep_stderr)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		_exit(0);
	if (chdir("/") == -1)
		return -1;
	umask(027);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config = HERALD_SYSCONFDIR "/herald/herald.conf";
	const char *plugin_flag = getenv("HERALD_PLUGIN_DIR");
	const char *pid_flag = NULL;
	struct daemon d = { 0 };
	const struct model_daemon *md;
	struct errlist errs = { 0 };
	char *abs_config = NULL;
	int foreground = 0, test = 0, preview = 0, ch, rc = 1, pid_fd = -1;
	const char *pid_path = NULL;

	while ((ch = getopt(argc, argv, "c:fhmtVp:P:")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'm':
			test = preview = 1;
			break;
		case 'p':
			plugin_flag = optarg;
			break;
		case 'P':
			pid_flag = optarg;
			break;
		case 'V':
			printf("heraldd %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			    HERALD_PLUGIN_ABI_MAJOR, HERALD_PLUGIN_ABI_MINOR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (test)
		return check_config(config, plugin_flag, preview);

	log_init("heraldd", "stderr", HERALD_LOG_INFO);
	/*
	 * libcurl's global state (TLS libraries) is set up once, here,
	 * before the worker threads and the loop's HTTP client exist.
	 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "heraldd: cannot initialise libcurl\n");
		return 1;
	}
	/* A daemon changes directory to /: keep the config findable. */
	if (!foreground) {
		abs_config = realpath(config, NULL);
		if (abs_config == NULL) {
			fprintf(stderr, "heraldd: %s: %s\n", config, strerror(errno));
			return 1;
		}
		config = abs_config;
	}
	d.config_path = config;
	d.plugin_dir_flag = plugin_flag;

	/* Check everything before detaching, so errors reach the terminal. */
	if (daemon_load(&d, &errs) == -1) {
		errlist_print(&errs, stderr);
		fprintf(stderr, "heraldd: %s: %zu error%s, not starting\n",
		    config, errs.n_errors, errs.n_errors == 1 ? "" : "s");
		goto done;
	}
	errlist_print(&errs, stderr);
	errlist_clear(&errs);
	md = &daemon_model(&d)->daemon;
	log_init("heraldd", foreground ? "stderr" : md->log_target,
	    md->log_level);

	if (!foreground) {
		pid_path = pid_flag ? pid_flag : md->pid_file ?
		    md->pid_file : HERALD_LOCALSTATEDIR "/run/heraldd.pid";
		if ((pid_fd = pidfile_lock(pid_path)) == -1)
			goto done;
		if (daemonize(strcmp(md->log_target, "stderr") == 0) == -1) {
			log_err("daemonize");
			goto done;
		}
		if (pidfile_write(pid_fd, pid_path) == -1)
			goto done;
	}
	if (daemon_start(&d) == -1) {
		log_errx("cannot start");
		goto done;
	}
	rc = daemon_run(&d);
done:
	daemon_free(&d);
	errlist_clear(&errs);
	if (pid_fd != -1) {
		unlink(pid_path);
		close(pid_fd);
	}
	free(abs_config);
	curl_global_cleanup();
	return rc;
}
