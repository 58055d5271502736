/*
 * store_sqlite_ckpt.h - the write-ahead log's checkpoints, on a thread of
 * the store's own (store_sqlite_ckpt.c).  Private to the SQLite backend.
 */
#ifndef HERALD_STORE_SQLITE_CKPT_H
#define HERALD_STORE_SQLITE_CKPT_H

#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

/* Checkpoint once the log holds this many pages: SQLite's own default
 * for its automatic checkpoint, which this replaces. */
#define SQ_CKPT_PAGES 1000
/* After the thread's copy, the loop copies the pages committed since
 * itself when there are at most this many, so that the log starts over. */
#define SQ_CKPT_TAIL 256

struct sq_ckpt;

/*
 * Take over db's checkpoints: turn its automatic checkpoint off and start
 * the thread, with a connection of its own to the file path.  db must be
 * in WAL mode; db and path are borrowed and must outlive sq_ckpt_stop().
 * Sets *out (owned; sq_ckpt_stop()).  Returns 0, or -1 with a message in
 * err, and db as it was.
 */
int sq_ckpt_start(sqlite3 *db, const char *path, struct sq_ckpt **out,
    char *err, size_t errlen);
/* Stop the thread (after the checkpoint it runs, if any), close its
 * connection, give db back its automatic checkpoint; frees c.  Accepts
 * NULL. */
void sq_ckpt_stop(struct sq_ckpt *c);
/* The counts for store_wal_stats(); on db's thread. */
void sq_ckpt_stats(struct sq_ckpt *c, struct store_wal_stats *out);

#endif
