/*
 * ctl_board.c - heraldctl board-passwd FILE: write the board's password
 * hash (herald.board.password_file, see herald.conf(5)).
 *
 * The password is read twice from a terminal (echo off), or once from
 * standard input when it is not one (scripts, tests).  The hash is
 * yescrypt from libxcrypt's crypt_gensalt_ra() (cost: CTL_BOARD_COST);
 * the file is written beside FILE and renamed over it, mode 600, so
 * heraldd never reads half a hash and nobody else reads it at all.
 * Nothing talks to heraldd: reload it (heraldctl reload) to use the
 * new password, which also ends every board session.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_BOARD_PW_MIN	8
#define CTL_BOARD_PW_MAX	256
/*
 * yescrypt's cost: heraldd checks the password on its event loop, so
 * 3 (~50 ms on a 2-core VM of 2026; libxcrypt's default 5 takes ~300
 * ms there) rather than the default; heraldd also caps how many checks
 * it runs a second (core/api/board_auth.c).
 */
#define CTL_BOARD_COST		3

/* One line of fp without its newline into buf; 0, or -1 at EOF. */
static int
ctl_board_line(FILE *fp, char *buf, size_t len)
{
	if (fgets(buf, (int)len, fp) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* A line from the terminal on fd 0 with echo off, after prompt. */
static int
ctl_board_ask(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(0, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	(void)tcsetattr(0, TCSAFLUSH, &quiet);
	rc = ctl_board_line(stdin, buf, len);
	(void)tcsetattr(0, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/* The password into pw: twice from a terminal, else once. */
static int
ctl_board_read(char *pw, size_t len)
{
	char again[CTL_BOARD_PW_MAX + 2];
	int same;

	if (!isatty(0)) {
		if (ctl_board_line(stdin, pw, len) == -1) {
			fprintf(stderr, "heraldctl: board-passwd: no password "
			    "on standard input\n");
			return -1;
		}
		return 0;
	}
	if (ctl_board_ask("board password: ", pw, len) == -1 ||
	    ctl_board_ask("again: ", again, sizeof(again)) == -1) {
		fprintf(stderr, "heraldctl: board-passwd: no password read\n");
		return -1;
	}
	same = strcmp(pw, again) == 0;
	explicit_bzero(again, sizeof(again));
	if (!same) {
		fprintf(stderr, "heraldctl: board-passwd: the passwords "
		    "differ\n");
		return -1;
	}
	return 0;
}

/* Write line to path through path.tmp, mode 600; 0 or -1 (printed). */
static int
ctl_board_write(const char *path, const char *line)
{
	size_t n = strlen(path) + 5;
	char *tmp = malloc(n);
	FILE *fp;
	int fd;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, n, "%s.tmp", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "heraldctl: board-passwd: %s: %s\n", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return -1;
	}
	if (fprintf(fp, "%s\n", line) < 0 || fflush(fp) != 0 ||
	    fsync(fd) != 0 || fclose(fp) != 0 || rename(tmp, path) == -1) {
		fprintf(stderr, "heraldctl: board-passwd: %s: %s\n", path,
		    strerror(errno));
		(void)unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int
ctl_board_passwd(struct ctl_args *a)
{
	char pw[CTL_BOARD_PW_MAX + 2], *setting;
	struct crypt_data *cd;
	const char *h;
	int rc = CTL_EUSAGE;

	if (ctl_board_read(pw, sizeof(pw)) == -1)
		return CTL_EUSAGE;
	if (strlen(pw) < CTL_BOARD_PW_MIN || strlen(pw) > CTL_BOARD_PW_MAX) {
		fprintf(stderr, "heraldctl: board-passwd: the password must "
		    "be %d to %d bytes\n", CTL_BOARD_PW_MIN, CTL_BOARD_PW_MAX);
		explicit_bzero(pw, sizeof(pw));
		return CTL_EUSAGE;
	}
	cd = calloc(1, sizeof(*cd));
	setting = crypt_gensalt_ra("$y$", CTL_BOARD_COST, NULL, 0);
	if (cd == NULL || setting == NULL ||
	    (h = crypt_r(pw, setting, cd)) == NULL || h[0] == '*')
		fprintf(stderr, "heraldctl: board-passwd: cannot hash the "
		    "password: %s\n", strerror(errno));
	else if (ctl_board_write(a->argv[0], h) == 0) {
		fprintf(stderr, "heraldctl: wrote %s (heraldctl reload to use "
		    "it)\n", a->argv[0]);
		rc = CTL_OK;
	}
	explicit_bzero(pw, sizeof(pw));
	if (cd != NULL)
		explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(setting);
	return rc;
}
