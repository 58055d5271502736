/*
 * store_copy.h - move an SQLite store into an empty PostgreSQL store
 * (store_copy.c), for `heraldd --copy-store FROM TO` (heraldd(8),
 * "Several nodes").
 *
 * Apart from store.h because no running daemon ever calls it: it is a
 * one-off by the operator, between stopping heraldd on SQLite and
 * starting it on PostgreSQL.
 */
#ifndef HERALD_STORE_COPY_H
#define HERALD_STORE_COPY_H

#include <stddef.h>

/* The tables copied, in the order they are written (see store_copy.c);
 * each has a row count in struct store_copy_stats. */
#define STORE_COPY_TABLES 9

struct store_copy_stats {
	struct {
		const char *table;	/* static: "job_rows", ... */
		size_t rows;
	} t[STORE_COPY_TABLES];
	size_t n;			/* entries of t filled */
	size_t unleased;		/* jobs in flight made pending */
};

/*
 * Copy every table of the SQLite store `from` ("sqlite:PATH") into the
 * PostgreSQL store `to` ("postgresql://..." or "postgresql:conninfo";
 * "postgres:" too), which must hold no jobs, submissions, incidents or
 * plan yet, in one transaction: all of it or nothing.  Keys and job ids
 * are kept; a job in flight becomes pending with an event saying so (no
 * lease survives the move); the nodes' heartbeat rows are not copied.
 * `from` must be at the current schema version and open in no other
 * process (a running heraldd): it is locked for the copy and never
 * written.  password (may be NULL: libpq's PGPASSWORD or pgpass) is
 * borrowed and never in a message.  Fills *stats (may be NULL) on
 * success.  Returns 0, or -1 with a message in err.
 */
int store_copy(const char *from, const char *to, const char *password,
    struct store_copy_stats *stats, char *err, size_t errlen);

#endif
