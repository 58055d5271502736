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
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "channel_set.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "planner.h"
#include "preview.h"
#include "reach.h"
#include "store_copy.h"
#include "summary.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: heraldd [-fmtVh] [-c file] [-p plugindir] [-P pidfile]\n"
	    "       heraldd --copy-store sqlite:PATH postgresql://HOST/DB\n"
	    "  -c file       config file (default %s/herald/herald.conf)\n"
	    "  -f            stay in the foreground, log to stderr (or to the\n"
	    "                log file log_target names)\n"
	    "  -t            check the config, print a summary or every error, exit\n"
	    "  -m            check the config, print one message of each kind per\n"
	    "                channel as recipients will read it (Markdown), exit\n"
	    "  -p plugindir  load channel plugins from plugindir\n"
	    "                (default: $HERALD_PLUGIN_DIR, herald.plugin_dir, %s)\n"
	    "  -P pidfile    pid file when daemonized (default: herald.pid_file,\n"
	    "                %s/run/heraldd.pid)\n"
	    "  -V            print the version and exit\n"
	    "  --copy-store FROM TO  copy a stopped SQLite store into an empty\n"
	    "                PostgreSQL store (password: PGPASSWORD or pgpass)\n"
	    "signals: SIGHUP reloads the config; SIGUSR1 reopens the log file;\n"
	    "         SIGTERM and SIGINT stop heraldd\n",
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

/* heraldd -t: print every diagnostic, then the summary if valid; with
 * preview (-m), the sample messages instead of the summary. */
static int
check_config(const char *path, const char *plugin_flag, int preview)
{
	struct errlist errs = { 0 };
	struct channel_set *cs = NULL;
	struct summary_parts parts = { 0 };
	struct model *m;
	int rc = 1;

	/* The plugins check their blocks even when the core found errors,
	 * so that one run lists every error. */
	m = conf_load_check(path, &errs);
	if (m != NULL)
		channel_set_open(daemon_plugin_dir(plugin_flag, m), m, NULL, 1,
		    &errs, &cs);
	/* Recipients of a plan no channel can address (reach.h). */
	if (m != NULL && cs != NULL && errs.n_errors == 0)
		reach_check_plans(m, cs, &errs);
	/* How long each text runs on the channels that measure theirs. */
	if (m != NULL && errs.n_errors == 0)
		summary_parts_measure(m, cs, &parts, &errs);
	errlist_print(&errs, stderr);
	if (m != NULL && errs.n_errors == 0 && preview) {
		rc = preview_print(m, cs, stdout) == 0 ? 0 : 1;
	} else if (m != NULL && errs.n_errors == 0) {
		summary_print(m, stdout);
		print_plan_counts(m, stdout);
		summary_parts_print(&parts, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n_errors,
		    errs.n_errors == 1 ? "" : "s");
	}
	summary_parts_free(&parts);
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
 * log_target "stderr" stderr stays open, so `heraldd 2>>file` keeps a log;
 * with a file target, descriptor 2 is that file.
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

/*
 * heraldd --copy-store FROM TO: a subcommand of heraldd rather than a
 * heraldctl verb, because heraldctl speaks only HTTP to a daemon and
 * links no store code, while the copy must run with no daemon on the
 * source.  No config is read: the copy runs once, by hand, before the
 * config names PostgreSQL; the password comes from libpq's own means
 * (PGPASSWORD, PGPASSFILE or ~/.pgpass), never from the command line.
 * Prints one line per table copied; 0 when all went in, 1 otherwise
 * (then nothing was written).
 */
static int
copy_store_main(const char *from, const char *to)
{
	struct store_copy_stats st;
	char err[512];
	size_t i;

	if (store_copy(from, to, NULL, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "heraldd: copy-store: %s\n", err);
		return 1;
	}
	for (i = 0; i < st.n; i++)
		printf("%-16s %zu\n", st.t[i].table, st.t[i].rows);
	/* Not the URL: it may carry a password. */
	printf("copied in one transaction; %zu job%s in flight made "
	    "pending\n", st.unleased, st.unleased == 1 ? "" : "s");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "copy-store", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = HERALD_SYSCONFDIR "/herald/herald.conf";
	const char *plugin_flag = getenv("HERALD_PLUGIN_DIR");
	const char *pid_flag = NULL;
	struct daemon d = { 0 };
	const struct model_daemon *md;
	struct errlist errs = { 0 };
	char *abs_config = NULL;
	int foreground = 0, test = 0, preview = 0, copy = 0, ch, rc = 1;
	int pid_fd = -1;
	const char *pid_path = NULL;

	/*
	 * At a launch two threads allocate, the loop and the HTTP client's
	 * I/O thread.  glibc gives the second an arena of its own, whose free
	 * space the loop never reuses: 1.1 MB more at the peak of a launch
	 * (32.0 against 30.9 MB, over the 32 MB of issue 17), and no faster.
	 * One arena for all.
	 */
	mallopt(M_ARENA_MAX, 1);
	while ((ch = getopt_long(argc, argv, "c:fhmtVp:P:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			copy = 1;
			break;
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
	if (copy) {
		if (argc - optind != 2) {
			usage(stderr);
			return 2;
		}
		return copy_store_main(argv[optind], argv[optind + 1]);
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
	/* In the foreground (under systemd too) syslog gives way to
	 * stderr, but a log file named in the config is still used. */
	if (log_init("heraldd", foreground &&
	    strcmp(md->log_target, "syslog") == 0 ? "stderr" : md->log_target,
	    md->log_level) == -1) {
		fprintf(stderr, "heraldd: log_target %s: %s\n", md->log_target,
		    strerror(errno));
		goto done;
	}

	if (!foreground) {
		pid_path = pid_flag ? pid_flag : md->pid_file ?
		    md->pid_file : HERALD_LOCALSTATEDIR "/run/heraldd.pid";
		if ((pid_fd = pidfile_lock(pid_path)) == -1)
			goto done;
		/* stderr stays open for "stderr" and for a file (log.c). */
		if (daemonize(strcmp(md->log_target, "syslog") != 0) == -1) {
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
