/*
 * store_sqlite_ckpt.c - the write-ahead log's checkpoints, on a thread of
 * their own.
 *
 * SQLite's automatic checkpoint runs inside the commit that takes the log
 * past 1,000 pages: that commit copies the log's pages into the database
 * file and syncs both, 3.5-4 ms a time and 24 ms for the first after a
 * plan, measured at a launch of 10,000 (issue 17), on the loop, while
 * sends wait for slots and due jobs for their hand-off.  SQLite's
 * documentation (wal.html, "Application-Initiated Checkpoints") names the
 * way out: turn the automatic checkpoint off and run
 * sqlite3_wal_checkpoint_v2() on another thread.
 *
 * The loop's connection keeps a WAL hook, called after each commit with
 * the log's length.  Once the log is past SQ_CKPT_PAGES it wakes the
 * thread, which checkpoints PASSIVE on a connection of its own: it never
 * waits for the loop's writes nor they for it, and it copies what was
 * committed when it began.
 *
 * The log is written from its start again only by a write that begins
 * when all of it has been copied, and at a launch the loop commits again
 * before the thread's copy ends.  Left to the thread, the log grew past
 * 5,000 pages at a launch, and appending to the file costs each commit's
 * fdatasync about twice what writing over it does (0.5 against 0.25 ms
 * here).  So the loop copies the last few pages itself: at the first
 * commit after the thread's copy, when at most SQ_CKPT_TAIL pages came
 * since, a PASSIVE checkpoint inside the hook (where SQLite's automatic
 * one ran) copies them, and the write after starts the log over.  The
 * hook tells a log started over by its length falling; a first commit
 * longer than the whole old log is taken for growth, and its hook may
 * copy the log itself, as SQLite's own checkpoint did at every one.
 *
 * Durability does not change: a commit is on disk when it returns
 * (synchronous = FULL); a checkpoint only moves committed pages from the
 * log into the file, syncing the log first and the file after.  One that
 * fails leaves the log longer and loses nothing; the next commit past
 * the threshold tries again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

#include "store_sqlite_ckpt.h"
#include "thread.h"
#include "xmalloc.h"

struct sq_ckpt {
	sqlite3 *db;		/* the loop's connection, borrowed */
	sqlite3 *own;		/* the thread's */
	thrd_t thread;
	mtx_t mu;
	cnd_t cv;
	/* Under mu. */
	int want, stop;
	int busy;		/* the thread copies */
	int copied;		/* the log's length its last copy saw; 0:
				 * none since the log started over */
	uint64_t done, tails, failed;
	/* The loop's alone: the log's length after its last commit. */
	int pages;
};

/* Count a checkpoint's result; under mu. */
static void
sq_ckpt_count(struct sq_ckpt *c, int rc)
{
	/* BUSY: another process's checkpoint runs; it does the work. */
	if (rc == SQLITE_OK)
		c->done++;
	else if (rc != SQLITE_BUSY)
		c->failed++;
}

/* db's WAL hook, on the loop after each commit. */
static int
sq_ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_ckpt *c = arg;
	int tail = 0, over = pages < c->pages, rc;

	c->pages = pages;
	if (pages < SQ_CKPT_PAGES && !over)
		return SQLITE_OK;
	mtx_lock(&c->mu);
	/*
	 * The log started over: what the thread last copied was of the
	 * old one.  Seen at the first commit after, however short the new
	 * log (else, back at 1,000 pages, the whole log passes for a tail).
	 */
	if (over)
		c->copied = 0;
	if (pages >= SQ_CKPT_PAGES && !c->busy && !c->want) {
		if (c->copied > 0 && pages - c->copied <= SQ_CKPT_TAIL)
			tail = 1;
		else {
			c->want = 1;
			cnd_signal(&c->cv);
		}
	}
	mtx_unlock(&c->mu);
	if (!tail)
		return SQLITE_OK;
	rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	mtx_lock(&c->mu);
	sq_ckpt_count(c, rc);
	if (rc == SQLITE_OK)
		c->tails++;
	mtx_unlock(&c->mu);
	return SQLITE_OK;
}

static int
sq_ckpt_thread(void *arg)
{
	struct sq_ckpt *c = arg;
	int rc, copied;

	mtx_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop)
			cnd_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		c->busy = 1;
		mtx_unlock(&c->mu);
		copied = -1;
		rc = sqlite3_wal_checkpoint_v2(c->own, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
		mtx_lock(&c->mu);
		c->busy = 0;
		c->copied = rc == SQLITE_OK && copied > 0 ? copied : 0;
		sq_ckpt_count(c, rc);
	}
	mtx_unlock(&c->mu);
	return 0;
}

int
sq_ckpt_start(sqlite3 *db, const char *path, struct sq_ckpt **out,
    char *err, size_t errlen)
{
	struct sq_ckpt *c = xcalloc(1, sizeof(*c));

	if (mtx_init(&c->mu, mtx_plain) != thrd_success ||
	    cnd_init(&c->cv) != thrd_success) {
		snprintf(err, errlen, "%s: cannot create the checkpoint "
		    "thread's lock", path);
		free(c);
		return -1;
	}
	/*
	 * Opened here, so that a failure reaches the caller; from the
	 * thread's start on only the thread uses it.  It never writes a
	 * page of its own, so it needs no cache.  Reading the journal mode
	 * opens the log, which a checkpoint needs.
	 */
	if (sqlite3_open_v2(path, &c->own, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->own, "PRAGMA synchronous = FULL;"
	    "PRAGMA cache_size = 16;"
	    "PRAGMA journal_mode;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the checkpoint "
		    "connection: %s", path, c->own != NULL ?
		    sqlite3_errmsg(c->own) : "out of memory");
		goto fail;
	}
	c->db = db;
	/* Replaces the automatic checkpoint, which is a WAL hook too. */
	sqlite3_wal_hook(db, sq_ckpt_hook, c);
	/* What an earlier run left in the log is copied at once. */
	c->want = 1;
	if (thread_start(&c->thread, sq_ckpt_thread, c, "heraldd-ckpt") !=
	    thrd_success) {
		snprintf(err, errlen, "%s: cannot start the checkpoint "
		    "thread", path);
		sqlite3_wal_autocheckpoint(db, SQ_CKPT_PAGES);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	sqlite3_close(c->own);
	cnd_destroy(&c->cv);
	mtx_destroy(&c->mu);
	free(c);
	return -1;
}

void
sq_ckpt_stop(struct sq_ckpt *c)
{
	if (c == NULL)
		return;
	mtx_lock(&c->mu);
	c->stop = 1;
	cnd_signal(&c->cv);
	mtx_unlock(&c->mu);
	thrd_join(c->thread, NULL);
	sqlite3_close(c->own);
	/* Closing db checkpoints what is left, as SQLite always did. */
	sqlite3_wal_autocheckpoint(c->db, SQ_CKPT_PAGES);
	cnd_destroy(&c->cv);
	mtx_destroy(&c->mu);
	free(c);
}

void
sq_ckpt_stats(struct sq_ckpt *c, struct store_wal_stats *out)
{
	mtx_lock(&c->mu);
	out->checkpoints = c->done;
	out->tails = c->tails;
	out->failed = c->failed;
	mtx_unlock(&c->mu);
	out->pages = (uint64_t)c->pages;
}
