/*
 * store_sqlite.c - the embedded store: one SQLite file in WAL mode.
 *
 * One node owns the file, so leases only matter for crash recovery, where
 * every in-flight row is ours.  WAL lets heraldctl read while the daemon
 * writes.  synchronous=FULL syncs the log at every commit: with NORMAL,
 * outcomes committed in the seconds before a power loss or a file system
 * gone read-only after a disk error were lost with the page cache, and
 * those sends were repeated at the next start (18 beyond the concurrency
 * in test_store_readonly.sh).  A commit carries a whole loop iteration's
 * outcomes, so the cost is one sync per batch, not per job.
 *
 * Speed comes from a few habits: every statement is prepared once and
 * cached; planning runs in one transaction and writes one row per job (no
 * event row for creation: the history reads creation from jobs.created),
 * and a re-plan writes nothing for an unchanged job (the plan remembers
 * the ids it saw in a bitmap instead of stamping rows); claims record
 * nothing but the row's state, outcomes append one event.
 *
 * Keys are 16-byte blobs in job_rows under an integer id; events and acks
 * refer to the id.  jobs, events and acks are views with text keys, as in
 * schema version 1, for the sqlite3 shell and scripts.
 * Due jobs are found through an index on (state, priority, next_at) rather
 * than (state, next_at): a claim then reads one short range per priority
 * class instead of sorting the whole backlog after downtime (with a million
 * jobs due, the sort made each claim of 100 cost 20 ms).
 *
 * Kinds and states are stored by name so that the file reads well in the
 * sqlite3 shell and survives any reordering of the C enums.
 *
 * The backend is split by job, in layers with no loop: store_sqlite.c,
 * at the bottom, opens and closes the file and holds the statement
 * cache, the transaction helpers and the row helpers the others share
 * (store_sqlite.h), and calls none of them; on it stand
 * store_sqlite_schema.c the migrations, store_sqlite_plan.c planning and
 * inserts, store_sqlite_jobs.c claims, outcomes, recovery and expiry,
 * and store_sqlite_query.c submissions, acks, receipts and the read
 * side, each with its header; store_sqlite_ops.c, at the top, opens the
 * store (connect, then migrate) and holds the ops tables.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uuid/uuid.h>

#include "store.h"
#include "store_sqlite_ckpt.h"
#include "store_sqlite.h"
#include "xmalloc.h"

/* The text of each cached statement, by id (enum sq_st). */
static const char *const sq_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	/* Deferred: takes the WAL read lock at its first read, no write
	 * lock (sq_read_begin()). */
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT op",
	[ST_RELEASE] = "RELEASE op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO op",
	[ST_GEN_GET] = "SELECT value FROM meta WHERE name = 'plan_gen'",
	[ST_GEN_SET] = "UPDATE meta SET value = ?1 WHERE name = 'plan_gen'",
	[ST_PLAN_GET] = "SELECT id, state, due, plan_gen IS NULL, "
	    "plan_cancelled IS NOT NULL FROM job_rows WHERE key = ?1",
	/* The same, at a guessed id: no row when the key is not there. */
	[ST_PLAN_GET_AT] = "SELECT id, state, due, plan_gen IS NULL, "
	    "plan_cancelled IS NOT NULL FROM job_rows WHERE id = ?2 "
	    "AND key = ?1",
	[ST_PLAN_EMPTY] = "SELECT NOT EXISTS (SELECT 1 FROM job_rows)",
	[ST_INSERT] = "INSERT OR IGNORE INTO job_rows (key, kind, priority, "
	    "campaign, item, offset_s, contact, channel, due, next_at, "
	    "item_at, state, fallback_of, plan_gen, created, updated, "
	    "incident) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "'pending', ?12, ?13, ?14, ?14, ?15)",
	[ST_PLAN_MOVE] = "UPDATE job_rows SET due = ?2, next_at = ?3, "
	    "item_at = ?4, plan_gen = ?5, updated = ?6 WHERE id = ?1",
	/* Covered by jobs_state_next: the id is the index's rowid. */
	[ST_PLAN_PENDING] = "SELECT id FROM job_rows WHERE state = 'pending'",
	[ST_PLAN_CANCEL] = "UPDATE job_rows SET state = 'cancelled', "
	    "updated = ?2, last_detail = 'removed from config', "
	    "plan_cancelled = ?3 "
	    "WHERE id = ?1 AND state = 'pending' AND plan_gen IS NOT NULL",
	[ST_PLAN_EVENT] = "INSERT INTO job_events (job, at, state, detail) "
	    "VALUES (?1, ?2, 'cancelled', 'removed from config')",
	[ST_PLAN_ADOPT] = "UPDATE job_rows SET plan_gen = ?2 WHERE id = ?1",
	/* Back as if newly planned: attempts and lateness start over. */
	[ST_PLAN_REVIVE] = "UPDATE job_rows SET state = 'pending', due = ?2, "
	    "next_at = ?3, item_at = ?4, plan_gen = ?5, updated = ?6, "
	    "attempts = 0, late = 0, lateness_ms = 0, owner = NULL, "
	    "lease_until = NULL, plan_cancelled = NULL, "
	    "last_detail = 'revived: back in config' "
	    "WHERE id = ?1 AND state = 'cancelled' "
	    "AND plan_cancelled IS NOT NULL",
	[ST_PLAN_REVIVE_EVENT] = "INSERT INTO job_events (job, at, state, "
	    "detail) VALUES (?1, ?2, 'pending', 'revived: back in config')",
	[ST_EVENT] = "INSERT INTO job_events (job, at, state, detail) "
	    "VALUES ((SELECT id FROM job_rows WHERE key = ?1), ?2, ?3, ?4)",
	[ST_STATE] = "SELECT state FROM job_rows WHERE key = ?1",
	[ST_RECORD] = "UPDATE job_rows SET state = ?2, "
	    "attempts = attempts + ?3, next_at = coalesce(?4, next_at), "
	    "late = coalesce(?5, late), "
	    "lateness_ms = coalesce(?6, lateness_ms), owner = NULL, "
	    "lease_until = NULL, updated = ?7, last_detail = ?8 "
	    "WHERE key = ?1 AND (state = 'pending' OR (state = 'inflight' "
	    "AND (owner IS NULL OR owner = ?9)))",
	[ST_RECORD_FINAL] = "UPDATE job_rows SET state = ?2, "
	    "late = coalesce(?5, late), "
	    "lateness_ms = coalesce(?6, lateness_ms), owner = NULL, "
	    "lease_until = NULL, updated = ?7, last_detail = ?8 "
	    "WHERE key = ?1 AND (state = 'pending' OR (state = 'inflight' "
	    "AND (owner IS NULL OR owner = ?9)))",
	[ST_SET_STATE] = "UPDATE job_rows SET state = ?2, owner = NULL, "
	    "lease_until = NULL, updated = ?3, last_detail = ?4 "
	    "WHERE key = ?1",
	[ST_CLAIM_MARK] = "UPDATE job_rows SET state = 'inflight', owner = ?2, "
	    "lease_until = ?3 WHERE key = ?1 AND state = 'pending'",
	[ST_NEXT_DUE] = "SELECT min(next_at) FROM job_rows "
	    "WHERE state = 'pending' AND priority = ?1",
	[ST_RECOVER_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?1, 'pending', 'recovered: was in flight under ' || "
	    "coalesce(owner, '?') FROM job_rows WHERE state = 'inflight'",
	[ST_RECOVER] = "UPDATE job_rows SET state = 'pending', owner = NULL, "
	    "lease_until = NULL, updated = ?1, "
	    "last_detail = 'recovered after a stop' "
	    "WHERE state = 'inflight'",
	[ST_EXPIRE_SELECT] = "SELECT " SQ_JOB_COLS " FROM job_rows "
	    "WHERE state = 'pending' AND priority IN (0, 1, 2, 3) "
	    "AND next_at < ?1",
	[ST_SUBMIT] = "INSERT OR IGNORE INTO submissions (campaign, "
	    "deadline, unit, contact, at, via) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SUBMIT_LOG] = "INSERT INTO submission_log (campaign, deadline, "
	    "unit, contact, at, action, via) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* ?5 is a set of kinds, their names each between spaces
	 * (sq_kinds_text()): which kinds a submission cancels is the
	 * caller's to say. */
	[ST_SUBMIT_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?4, 'cancelled', 'submitted' FROM job_rows "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 "
	    "AND state = 'pending' AND instr(?5, ' ' || kind || ' ') > 0",
	[ST_SUBMIT_CANCEL] = "UPDATE job_rows SET state = 'cancelled', "
	    "updated = ?4, last_detail = 'submitted' "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 "
	    "AND state = 'pending' AND instr(?5, ' ' || kind || ' ') > 0",
	/* A unit's row, or the contact's own (no unit, or from before
	 * version 6); ?3 NULL matches no unit.  The earliest by min(), one
	 * row, NULL when none: ORDER BY at LIMIT 1 built a temporary
	 * B-tree for every look-up, one for each job sent. */
	[ST_IS_SUBMITTED] = "SELECT min(at) FROM submissions "
	    "WHERE campaign = ?1 AND deadline = ?2 "
	    "AND (unit = ?3 OR (unit IS NULL AND contact = ?4))",
	[ST_WITHDRAW_UNIT] = "DELETE FROM submissions WHERE campaign = ?1 "
	    "AND deadline = ?2 AND unit = ?3",
	[ST_WITHDRAW_CONTACT] = "DELETE FROM submissions WHERE campaign = ?1 "
	    "AND deadline = ?2 AND unit IS NULL AND contact = ?3",
	[ST_REVIVE_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?4, 'pending', 'revived: submission "
	    "withdrawn' FROM job_rows WHERE campaign = ?1 AND item = ?2 "
	    "AND contact = ?3 AND state = 'cancelled' "
	    "AND last_detail = 'submitted' AND next_at > ?4 "
	    "AND instr(?5, ' ' || kind || ' ') > 0",
	[ST_REVIVE] = "UPDATE job_rows SET state = 'pending', updated = ?4, "
	    "last_detail = 'revived: submission withdrawn' "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 "
	    "AND state = 'cancelled' AND last_detail = 'submitted' "
	    "AND next_at > ?4 AND instr(?5, ' ' || kind || ' ') > 0",
	[ST_SUBMISSIONS] = "SELECT deadline, unit, contact, at, via "
	    "FROM submissions WHERE campaign = ?1 ORDER BY at, rowid",
	[ST_ACK] = "INSERT OR IGNORE INTO job_acks (job, at, via) "
	    "SELECT id, ?2, ?3 FROM job_rows WHERE key = ?1",
	[ST_IS_ACKED] = "SELECT a.at FROM job_acks a JOIN job_rows r "
	    "ON r.id = a.job WHERE r.key = ?1",
	[ST_GET] = "SELECT " SQ_JOB_COLS " FROM job_rows WHERE key = ?1",
	[ST_CREATED] = "SELECT created, plan_gen IS NOT NULL, fallback_of "
	    "FROM job_rows WHERE key = ?1",
	[ST_HISTORY] = "SELECT e.at, e.state, e.detail FROM job_events e "
	    "JOIN job_rows r ON r.id = e.job WHERE r.key = ?1 "
	    "ORDER BY e.at, e.rowid",
	[ST_COUNT] = "SELECT state, count(*) FROM job_rows GROUP BY state",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_RECEIPT] = "INSERT INTO job_receipts (job, part, type, at, detail) "
	    "SELECT id, ?2, ?3, ?4, ?5 FROM job_rows WHERE key = ?1",
	[ST_RECEIPTS] = "SELECT c.part, c.type, c.at, c.detail "
	    "FROM job_receipts c JOIN job_rows r ON r.id = c.job "
	    "WHERE r.key = ?1 ORDER BY c.at, c.rowid",
	/* On jobs_item_contact: a deadline's jobs for one contact are few.
	 * ?7 is a set of states, spelled like ?5 of the submit statements. */
	[ST_LATER] = "SELECT " SQ_JOB_COLS " FROM job_rows "
	    "WHERE campaign = ?1 AND item = ?2 AND contact = ?3 AND kind = ?4 "
	    "AND due > ?5 AND due <= ?6 "
	    "AND instr(?7, ' ' || state || ' ') > 0 "
	    "ORDER BY due DESC LIMIT 1",
	/* On incidents_open: at most one row matches. */
	[ST_INCIDENT_FIND_OPEN] = "SELECT " SQ_INCIDENT_COLS " FROM incidents "
	    "WHERE campaign = ?1 AND plan = ?2 AND venue = ?3 "
	    "AND state != 'resolved'",
	[ST_INCIDENT_INSERT] = "INSERT INTO incidents (id, campaign, plan, "
	    "venue, note, drill, state, created_at, source) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8)",
	[ST_INCIDENT_GET] = "SELECT " SQ_INCIDENT_COLS " FROM incidents "
	    "WHERE id = ?1",
	[ST_INCIDENT_ACK] = "UPDATE incidents SET state = 'acked', "
	    "acked_at = ?2, acked_by = ?3, acked_door = ?4 "
	    "WHERE id = ?1 AND state = 'open'",
	[ST_INCIDENT_RESOLVE] = "UPDATE incidents SET state = 'resolved', "
	    "resolved_at = ?2, resolved_by = ?3, resolved_door = ?4, "
	    "resolved_note = ?5 WHERE id = ?1 AND state != 'resolved'",
	/* ?4: the kinds stopped, spelled like ?5 of the submit
	 * statements; on jobs_incident. */
	[ST_INCIDENT_STOP_EVENTS] = "INSERT INTO job_events (job, at, state, "
	    "detail) SELECT id, ?2, 'cancelled', ?3 FROM job_rows "
	    "WHERE incident = ?1 AND state = 'pending' "
	    "AND instr(?4, ' ' || kind || ' ') > 0",
	[ST_INCIDENT_STOP] = "UPDATE job_rows SET state = 'cancelled', "
	    "updated = ?2, last_detail = ?3 WHERE incident = ?1 "
	    "AND state = 'pending' AND instr(?4, ' ' || kind || ' ') > 0",
	[ST_INCIDENT_EVENT] = "INSERT INTO incident_events (incident, at, "
	    "what, who, door, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_INCIDENT_EVENTS] = "SELECT at, what, who, door, detail "
	    "FROM incident_events WHERE incident = ?1 ORDER BY at, rowid",
	[ST_INCIDENT_JOBS] = "SELECT " SQ_JOB_COLS " FROM job_rows "
	    "WHERE incident = ?1 ORDER BY due, id",
	/* Every incident, for /metrics. */
	[ST_INCIDENT_STATS] = "SELECT i.drill, i.state, i.source, "
	    "i.created_at, i.acked_at, i.id FROM incidents i",
	/* On jobs_incident, then events_job: one incident's alerts. */
	[ST_INCIDENT_FIRST_ALERT] = "SELECT MIN(e.at) FROM job_rows r "
	    "JOIN job_events e ON e.job = r.id WHERE r.incident = ?1 "
	    "AND r.kind = 'emergency' AND e.state = 'delivered'",
	[ST_INCIDENT_SENDS] = "SELECT r.kind, r.channel, i.drill, COUNT(*) "
	    "FROM job_rows r JOIN incidents i ON i.id = r.incident "
	    "WHERE r.incident IS NOT NULL AND r.state = 'delivered' "
	    "GROUP BY r.kind, r.channel, i.drill",
	/* The deliveries since event ?1: a seek on job_events' rowid. */
	[ST_INCIDENT_SENDS_SINCE] = "SELECT r.kind, r.channel, i.drill, "
	    "COUNT(*) FROM job_events e JOIN job_rows r ON r.id = e.job "
	    "JOIN incidents i ON i.id = r.incident WHERE e.rowid > ?1 "
	    "AND e.rowid <= ?2 AND e.state = 'delivered' "
	    "GROUP BY r.kind, r.channel, i.drill",
	[ST_EVENTS_LAST] = "SELECT COALESCE(MAX(rowid), 0) FROM job_events",
	/* Nodes and leases (store_sqlite_node.c).  A lease that ran out
	 * (lease_until < now) is never extended: the job may be another
	 * node's by now. */
	[ST_NODE_BEAT] = "INSERT OR REPLACE INTO nodes (id, host, pid, "
	    "started, generation, config, last_beat, in_flight) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_NODE_FORGET] = "DELETE FROM nodes WHERE last_beat < ?1",
	[ST_NODE_LEAVE] = "DELETE FROM nodes WHERE id = ?1",
	[ST_NODES] = "SELECT id, host, pid, started, generation, config, "
	    "last_beat, in_flight FROM nodes WHERE last_beat >= ?1 "
	    "ORDER BY last_beat DESC, id",
	[ST_RENEW] = "UPDATE job_rows SET lease_until = ?3 "
	    "WHERE state = 'inflight' AND owner = ?1 AND lease_until >= ?2 "
	    "AND lease_until < ?3",
	[ST_HELD] = "SELECT 1 FROM job_rows WHERE key = ?1 "
	    "AND state = 'inflight' AND owner = ?2 AND lease_until >= ?3",
	[ST_REAP_EVENTS] = "INSERT INTO job_events (job, at, state, detail) "
	    "SELECT id, ?1, 'pending', 'recovered: the lease of ' || "
	    "coalesce(owner, '?') || ' ran out' FROM job_rows "
	    "WHERE state = 'inflight' AND lease_until < ?1",
	[ST_REAP] = "UPDATE job_rows SET state = 'pending', owner = NULL, "
	    "lease_until = NULL, updated = ?1, "
	    "last_detail = 'recovered: lease ran out' "
	    "WHERE state = 'inflight' AND lease_until < ?1",
	/* The due work of a window, and this node's part of it. */
	[ST_DUE] = "SELECT COUNT(*), COALESCE(SUM(state = 'inflight' "
	    "AND owner = ?1), 0) FROM job_rows WHERE state IN ('pending', "
	    "'inflight') AND next_at <= ?2",
};

struct sq *
sq_of(struct store *s)
{
	return store_backend(s);
}

/*
 * Errors of the storage rather than of the statement: the same write may
 * succeed later (space freed, file system writable again, lock gone), so
 * callers keep what they could not record (store_is_fault()).  Corrupt
 * files are counted too: nothing can be recorded there either.
 */
static int
sq_is_fault(int code)
{
	switch (code & 0xff) {
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_PERM:
	case SQLITE_PROTOCOL:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_NOLFS:
		return 1;
	default:
		return 0;
	}
}

/* Whether creating a file beside path fails with EROFS. */
static int
sq_is_readonly_fs(const char *path)
{
	char *probe = xasprintf("%s.probe", path);
	int fd, rofs;

	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rofs = fd == -1 && errno == EROFS;
	if (fd != -1) {
		close(fd);
		unlink(probe);
	}
	free(probe);
	return rofs;
}

/*
 * What an operator can do about a storage fault, into buf ("" for other
 * errors).  A full disk also stops the write-ahead log from being folded
 * back into the file, which then refuses a start: say how much waits.
 */
static void
sq_advice(const struct sq *q, int code, char *buf, size_t len)
{
	struct stat sb;
	char *wal;

	buf[0] = '\0';
	switch (code & 0xff) {
	case SQLITE_FULL:
		wal = xasprintf("%s-wal", q->path);
		if (stat(wal, &sb) == 0 && sb.st_size > 0)
			snprintf(buf, len, "; free space on the file system "
			    "that holds it (its write-ahead log %s holds "
			    "%lld bytes to fold in)", wal,
			    (long long)sb.st_size);
		else
			snprintf(buf, len, "; free space on the file system "
			    "that holds it");
		free(wal);
		break;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
		/* A file system the kernel made read-only after a disk
		 * error answers SQLite with I/O errors, and ext4's
		 * emergency read-only state shows neither in statvfs() nor
		 * in access(): only a write tells. */
		if (sq_is_readonly_fs(q->path))
			snprintf(buf, len, "; its file system is read-only "
			    "(remounted after a disk error? see dmesg): check "
			    "it and mount it read-write");
		else if ((code & 0xff) == SQLITE_READONLY)
			snprintf(buf, len, "; the store is read-only: fix the "
			    "permissions of the store and its -wal and -shm "
			    "files");
		else
			snprintf(buf, len, "; the disk reports I/O errors: "
			    "see dmesg");
		break;
	default:
		break;
	}
}

int
sq_fail(struct store *s, struct sq *q, const char *what)
{
	int e = sqlite3_system_errno(q->db);
	int code = sqlite3_extended_errcode(q->db);
	char advice[320];

	if (sq_is_fault(code))
		store_setfault(s);
	sq_advice(q, code, advice, sizeof(advice));
	if (e != 0 && sqlite3_errcode(q->db) != SQLITE_CONSTRAINT)
		return store_seterr(s, "%s: %s: %s (%s)%s", q->path, what,
		    sqlite3_errmsg(q->db), strerror(e), advice);
	return store_seterr(s, "%s: %s: %s%s", q->path, what,
	    sqlite3_errmsg(q->db), advice);
}

/* Whether cached statement id (prepared) only reads: transaction control
 * counts as not, as SQLite's sqlite3_stmt_readonly() does not say. */
static int
sq_is_lookup(struct sq *q, enum sq_st id)
{
	switch (id) {
	case ST_BEGIN:
	case ST_BEGIN_READ:
	case ST_COMMIT:
	case ST_ROLLBACK:
	case ST_SAVEPOINT:
	case ST_RELEASE:
	case ST_ROLLBACK_TO:
		return 0;
	default:
		return sqlite3_stmt_readonly(q->st[id]);
	}
}

sqlite3_stmt *
sq_stmt(struct store *s, struct sq *q, enum sq_st id)
{
	if (q->st[id] == NULL &&
	    sqlite3_prepare_v3(q->db, sq_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &q->st[id], NULL) != SQLITE_OK) {
		sq_fail(s, q, "prepare");
		q->st[id] = NULL;
		return NULL;
	}
	if (q->snapshot && !sq_is_lookup(q, id))
		sq_read_yield(s, q);
	return q->st[id];
}

void
sq_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Step a statement that returns no row (or whose rows are not wanted) and
 * reset it.  The message is taken before the reset, which keeps it anyway,
 * so that callers can add what they were doing.
 */
int
sq_run(struct store *s, struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sq_fail(s, q, what);
		sq_reset(st);
		return -1;
	}
	sq_reset(st);
	return 0;
}

int
sq_exec(struct store *s, struct sq *q, enum sq_st id, const char *what)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, id)) == NULL)
		return -1;
	return sq_run(s, q, st, what);
}

/* Each hex digit's value plus one; 0 for any other byte. */
static const uint8_t sq_hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
/* Where each byte's two digits start in a text UUID. */
static const uint8_t sq_key_at[16] = {
	0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
};

/* The 16 bytes of a text UUID; -1 when it is not one.  libuuid's parser
 * costs a strtoul per byte, a measurable part of a plan; so did a loop
 * over the 36 characters that branched on each (random digits: 6 % of
 * the inserts of a plan into an empty store), hence the table. */
static int
sq_key_parse(const char *key, uint8_t out[16])
{
	const unsigned char *k = (const unsigned char *)key;
	unsigned hi, lo, bad = 0;

	if (strnlen(key, JOB_KEY_LEN) != JOB_KEY_LEN - 1 || k[8] != '-' ||
	    k[13] != '-' || k[18] != '-' || k[23] != '-')
		return -1;
	for (size_t i = 0; i < 16; i++) {
		hi = sq_hex1[k[sq_key_at[i]]];
		lo = sq_hex1[k[sq_key_at[i] + 1]];
		bad |= (hi == 0) | (lo == 0);
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return bad ? -1 : 0;
}

/*
 * Bind a text key as its 16-byte blob.  A malformed key binds an empty
 * blob, which matches no row, so look-ups report "no job" as they did
 * with text keys (store.c checks the keys of new jobs).
 */
void
sq_bind_key(sqlite3_stmt *st, int i, const char *key)
{
	uint8_t u[16];

	if (key == NULL || sq_key_parse(key, u) == -1)
		sqlite3_bind_zeroblob(st, i, 0);
	else
		sqlite3_bind_blob(st, i, u, sizeof(u), SQLITE_TRANSIENT);
}

/* The text form of the blob key in column i into out. */
static void
sq_col_key(sqlite3_stmt *st, int i, char out[JOB_KEY_LEN])
{
	const void *b = sqlite3_column_blob(st, i);

	if (b != NULL && sqlite3_column_bytes(st, i) == sizeof(uuid_t))
		uuid_unparse_lower(b, out);
	else
		out[0] = '\0';
}

/* herald_key_blob(text): the migration from text keys. */
static void
sq_fn_key_blob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	uint8_t u[16];

	(void)argc;
	if (t == NULL || sq_key_parse(t, u) == -1)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_blob(ctx, u, sizeof(u), SQLITE_TRANSIENT);
}

void
sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/*
 * One operation's transaction: a real one when none is open, a savepoint
 * inside a plan or a store_begin() batch, so that a failed operation
 * undoes only itself.  *outer remembers which, for sq_tx_end().  A read
 * snapshot ends first: it is no batch to join.
 */
int
sq_tx_begin(struct store *s, struct sq *q, int *outer)
{
	sq_read_yield(s, q);
	*outer = sqlite3_get_autocommit(q->db);
	return sq_exec(s, q, *outer ? ST_BEGIN : ST_SAVEPOINT, "begin");
}

/*
 * A savepoint is not free: SQLite copies every page it changes for the
 * first time into the statement journal, so that ROLLBACK TO can put it
 * back.  A record inside the dispatcher's batch took one each, and
 * those copies were a third of its allocations (issue 17).
 */
int
sq_tx_join(struct store *s, struct sq *q, int *outer)
{
	if (q->batch && !sqlite3_get_autocommit(q->db)) {
		*outer = SQ_TX_JOINED;
		return 0;
	}
	return sq_tx_begin(s, q, outer);
}

int
sq_tx_end(struct store *s, struct sq *q, int outer, int ok)
{
	char keep[512];

	if (outer == SQ_TX_JOINED)
		return ok ? 0 : -1;
	if (ok) {
		if (sq_exec(s, q, outer ? ST_COMMIT : ST_RELEASE,
		    "commit") == 0)
			return 0;
	}
	/* Keep the first error: the rollback's would hide it. */
	snprintf(keep, sizeof(keep), "%s", store_error(s));
	if (!sqlite3_get_autocommit(q->db)) {
		if (outer)
			sq_exec(s, q, ST_ROLLBACK, "rollback");
		else if (sq_exec(s, q, ST_ROLLBACK_TO, "rollback") == 0)
			sq_exec(s, q, ST_RELEASE, "rollback");
	}
	store_seterr(s, "%s", keep);
	return -1;
}

const char *
sq_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

void
sq_set_text(unsigned set, int is_kinds, char out[SQ_SET_TEXT_LEN])
{
	int n = is_kinds ? JOB_KIND_COUNT : JOB_STATE_COUNT;
	size_t len = 1;

	out[0] = ' ';
	out[1] = '\0';
	for (int v = 0; v < n; v++)
		if (set & (1u << v))
			len += (size_t)snprintf(out + len, SQ_SET_TEXT_LEN -
			    len, "%s ", is_kinds ?
			    job_kind_name((enum job_kind)v) :
			    job_state_name((enum job_state)v));
}

/* Fill j from a row of SQ_JOB_COLS; strings are borrowed from st. */
void
sq_job_read(sqlite3_stmt *st, struct job *j)
{
	int k, state;

	memset(j, 0, sizeof(*j));
	sq_col_key(st, 0, j->key);
	k = job_kind_parse(sq_col_text(st, 1));
	j->kind = k >= 0 ? (enum job_kind)k : JOB_REMINDER;
	j->priority = (enum herald_priority)sqlite3_column_int(st, 2);
	j->campaign = sq_col_text(st, 3);
	j->item = sq_col_text(st, 4);
	j->offset = sqlite3_column_int64(st, 5);
	j->contact = sq_col_text(st, 6);
	j->channel = sq_col_text(st, 7);
	j->due = sqlite3_column_int64(st, 8);
	j->next_at = sqlite3_column_int64(st, 9);
	j->item_at = sqlite3_column_int64(st, 10);
	state = job_state_parse(sq_col_text(st, 11));
	j->state = state >= 0 ? (enum job_state)state : JOB_PENDING;
	j->attempts = (unsigned)sqlite3_column_int64(st, 12);
	j->fallback_of = sq_col_text(st, 13);
	j->late = sqlite3_column_int(st, 14);
	j->lateness_ms = sqlite3_column_int64(st, 15);
	j->detail = sq_col_text(st, 16);
	j->incident = sq_col_text(st, 17);
}

int
sq_event(struct store *s, struct sq *q, const char *key, int64_t at,
    const char *state, const char *detail)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, q, ST_EVENT)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, state);
	sq_bind_text(st, 4, detail);
	return sq_run(s, q, st, "append event");
}

/* The current state of key into *state; -1 with a message when absent. */
int
sq_state_of(struct store *s, struct sq *q, const char *key, int *state)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(s, q, ST_STATE)) == NULL)
		return -1;
	sq_bind_key(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = job_state_parse(sq_col_text(st, 0));
	else if (rc == SQLITE_DONE)
		store_seterr(s, "no job %s", key);
	else
		sq_fail(s, q, "look up job");
	sq_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The caches of store_sqlite_incident.c; sq_close() and a failed read. */
void
sq_sends_clear(struct sq *q)
{
	for (size_t i = 0; i < q->n_sends; i++) {
		free(q->sends[i].kind);
		free(q->sends[i].channel);
	}
	free(q->sends);
	q->sends = NULL;
	for (size_t i = 0; i < q->n_firsts; i++)
		free(q->firsts[i].id);
	free(q->firsts);
	q->firsts = NULL;
	q->n_firsts = 0;
	q->n_sends = 0;
	q->sends_rowid = 0;
	q->sends_primed = 0;
}

void
sq_close(void *state)
{
	struct sq *q = state;
	size_t i;

	if (q == NULL)
		return;
	sq_ckpt_stop(q->ckpt);
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	for (i = 0; i < SQ_CLAIM_CACHED; i++)
		sqlite3_finalize(q->claim[i]);
	sqlite3_close(q->db);
	sq_sends_clear(q);
	free(q->path);
	free(q);
}

/*
 * Create the store file 0640 before SQLite does: SQLite creates it 0644
 * less the umask, and `heraldd -f` runs under the caller's (022 as a
 * rule), which left the agenda and its contacts world-readable.  SQLite
 * gives the -wal and -shm files the mode of the store file.  A file that
 * exists keeps the mode its owner chose.
 */
static int
sq_create_private(struct store *s, const char *path)
{
	int fd;

	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1)
		return errno == EEXIST ? 0 : store_seterr(s, "%s: cannot "
		    "open store: %s", path, strerror(errno));
	/* The umask may have taken the group's read bit. */
	if (fchmod(fd, 0640) == -1) {
		store_seterr(s, "%s: cannot open store: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Open the file, configured, without touching its schema: migrating is
 * store_sqlite_schema.c's, which builds on this file and so is called
 * from above it (store_sqlite_ops.c), never from here.  Sets *out to a
 * new struct sq that sq_close() frees.
 */
int
sq_connect(struct store *s, const char *where, struct sq **out)
{
	struct sq *q;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, memory;

	q = xcalloc(1, sizeof(*q));
	q->path = xstrdup(where);
	memory = strcmp(where, ":memory:") == 0;
	if (sq_create_private(s, where) == -1)
		goto fail;
	/*
	 * A connection is only ever used by one thread (this one by the
	 * loop; the checkpoints' by their thread, store_sqlite_ckpt.c), so
	 * SQLite's own locks on it are pure cost: without
	 * MEMSTATUS every sqlite3_malloc()/free() skips a global mutex, and
	 * NOMUTEX drops the connection's (issue 17: 8-17 % of a launch's
	 * samples were pthread_mutex_lock/unlock under SQLite).  The
	 * config call only works before SQLite initialises; later opens
	 * get SQLITE_MISUSE from it, which changes nothing.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	rc = sqlite3_open_v2(where, &q->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (q->db == NULL)
			store_seterr(s, "%s: cannot open store: out of memory",
			    where);
		else
			sq_fail(s, q, "cannot open store");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, 5000);

	/* The first statement touches the file: an unwritable path fails
	 * here, not at open. */
	if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sq_fail(s, q, "cannot open store");
		goto fail;
	}
	mode = sq_col_text(st, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    !(memory && strcmp(mode, "memory") == 0))) {
		store_seterr(s, "%s: cannot switch to WAL mode (journal mode "
		    "is %s)", where, mode ? mode : "unknown");
		goto fail;
	}
	q->wal = strcmp(mode, "wal") == 0;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(q->db, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = " SQ_CACHE_KB ";", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sq_fail(s, q, "cannot configure store");
		goto fail;
	}
	if (sqlite3_create_function_v2(q->db, "herald_key_blob", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sq_fn_key_blob, NULL,
	    NULL, NULL) != SQLITE_OK) {
		sq_fail(s, q, "cannot configure store");
		goto fail;
	}
	*out = q;
	return 0;
fail:
	sqlite3_finalize(st);
	sq_close(q);
	return -1;
}

int
sq_begin(struct store *s)
{
	struct sq *q = sq_of(s);

	sq_read_yield(s, q);
	if (q->planning || q->batch || !sqlite3_get_autocommit(q->db))
		return store_seterr(s, "a transaction is already open");
	if (sq_exec(s, q, ST_BEGIN, "begin") == -1)
		return -1;
	q->batch = 1;
	return 0;
}

int
sq_commit(struct store *s)
{
	struct sq *q = sq_of(s);

	if (!q->batch)
		return store_seterr(s, "commit without begin");
	q->batch = 0;
	/* SQLite rolls a transaction back by itself after SQLITE_FULL or
	 * an I/O error: a storage fault. */
	if (sqlite3_get_autocommit(q->db)) {
		store_setfault(s);
		return store_seterr(s, "%s: the batch was rolled back by an "
		    "earlier error", q->path);
	}
	return sq_tx_end(s, q, 1, 1);
}

int
sq_rollback(struct store *s)
{
	struct sq *q = sq_of(s);

	if (!q->batch)
		return store_seterr(s, "rollback without begin");
	q->batch = 0;
	if (sqlite3_get_autocommit(q->db))
		return 0;
	return sq_exec(s, q, ST_ROLLBACK, "rollback");
}

/*
 * A read snapshot: one deferred transaction around a run of look-ups (the
 * dispatcher's checks before a burst of sends), so that SQLite takes its
 * WAL read lock once for the run rather than once a query, two fcntl()s
 * each.  Only look-ups may run inside it: anything else (sq_stmt() of a
 * statement that writes, sq_tx_begin(), sq_begin(), a plan) ends it first
 * with sq_read_yield(), so every write keeps the transaction it had.
 * Inside a transaction already, or on any error, there is no snapshot and
 * the look-ups run on their own as before.
 */
void
sq_read_begin(struct store *s)
{
	struct sq *q = sq_of(s);

	if (q->snapshot || q->planning || q->batch ||
	    !sqlite3_get_autocommit(q->db))
		return;
	if (sq_exec(s, q, ST_BEGIN_READ, "begin read") == 0)
		q->snapshot = 1;
}

void
sq_read_yield(struct store *s, struct sq *q)
{
	if (!q->snapshot)
		return;
	q->snapshot = 0;
	if (sqlite3_get_autocommit(q->db))
		return;
	/* Nothing was written: COMMIT only lets the read lock go. */
	if (sq_exec(s, q, ST_COMMIT, "end read") == -1)
		(void)sq_exec(s, q, ST_ROLLBACK, "end read");
}

void
sq_read_end(struct store *s)
{
	sq_read_yield(s, sq_of(s));
}
