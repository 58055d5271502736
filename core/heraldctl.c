/*
 * heraldctl.c - the command-line client of heraldd's control API.
 *
 * The HTTP API it talks to does not exist yet; until it does, heraldctl
 * says so plainly instead of pretending.  `check` already works: it runs
 * the same validation as heraldd -t.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: heraldctl COMMAND [ARGS]\n"
	    "\n"
	    "This version of heraldctl is a placeholder: heraldd has no control\n"
	    "API yet, so status, agenda, job, submit, ack and reload are not\n"
	    "available.  They arrive with the HTTP API.\n"
	    "\n"
	    "Available now:\n"
	    "  check FILE   validate a config file (runs heraldd -t -c FILE)\n"
	    "  help         this text\n");
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		execlp("heraldd", "heraldd", "-t", "-c", argv[2], (char *)NULL);
		perror("heraldctl: heraldd");
		return 1;
	}
	if (argc == 2 && (strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
