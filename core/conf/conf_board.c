/*
 * conf_board.c - herald.board: the coordinators' web board (/board/).
 *
 * Off unless the group is present with enabled = true: a daemon nobody
 * configured for it serves no login form to the network.  Enabled, it
 * needs password_file (a crypt(3) hash, `heraldctl board-passwd`); a
 * missing one is an error rather than an open board.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "conf_internal.h"

/* A crypt(3) hash is one line of at most ~130 characters. */
#define CONF_BOARD_HASH_MAX	512

/*
 * The first line of password_file into b (kept in the arena), with the
 * messages of herald's other key files.  Read here rather than with
 * conf.c's reader: this file is called by conf.c and calls nothing back.
 */
static void
conf_board_hash(struct conf_ctx *cx, const config_setting_t *s,
    struct model_board *b)
{
	char buf[CONF_BOARD_HASH_MAX + 2];
	struct stat st;
	FILE *fp;

	if ((fp = fopen(b->password_file, "r")) == NULL) {
		conf_err(cx, s, "password_file \"%s\": %s", b->password_file,
		    strerror(errno));
		return;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 0077) != 0)
		conf_warn(cx, s, "password_file \"%s\" is readable by group "
		    "or others (chmod 600)", b->password_file);
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] != '$' || strlen(buf) < 20 || strlen(buf) >
	    CONF_BOARD_HASH_MAX) {
		conf_err(cx, s, "password_file \"%s\": the first line is not "
		    "a crypt(3) hash (write one with heraldctl board-passwd "
		    "FILE)", b->password_file);
		return;
	}
	b->password_hash_len = strlen(buf);
	b->password_hash = arena_printf(cx->a, "%s", buf);
	explicit_bzero(buf, sizeof(buf));
}

static const char *const conf_board_keys[] = {
	"enabled", "password_file", "write", "session", NULL
};

void
conf_board(struct conf_ctx *cx, const config_setting_t *g)
{
	struct model_board *b = &cx->m->daemon.board;
	const char *w = "in herald.board";
	struct model_offset off;

	b->session = 12 * 3600;
	if (g == NULL)
		return;
	b->loc = conf_loc(cx, g);
	conf_check_keys(cx, g, conf_board_keys, w);
	conf_get_bool(cx, g, "enabled", w, &b->enabled);
	conf_get_bool(cx, g, "write", w, &b->write);
	if (conf_get_offset(cx, g, "session", 0, w, &off) == 1) {
		if (off.seconds < 60 || off.seconds > 30 * 86400)
			conf_err(cx, config_setting_get_member(g, "session"),
			    "session must be 1m to 30d");
		else
			b->session = off.seconds;
	}
	if (!b->enabled)
		return;
	if (conf_get_string(cx, g, "password_file", 0, w,
	    &b->password_file) != 1) {
		conf_err(cx, g, "board enabled without password_file (write "
		    "one with heraldctl board-passwd FILE)");
		return;
	}
	b->password_file = conf_path(cx, b->password_file);
	conf_board_hash(cx, config_setting_get_member(g, "password_file"), b);
}
