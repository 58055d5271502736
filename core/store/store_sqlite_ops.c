/*
 * store_sqlite_ops.c - the SQLite backend as store.c sees it: its
 * agenda and ledger tables (store_agenda.h, store_ledger.h), each entry
 * implemented in the file that owns it, and opening the store.
 *
 * Apart from store_sqlite.c so that the shared helpers there sit below
 * every file of the backend and call none of them: this file is the only
 * one that knows them all.
 */
#include "store.h"
#include "store_agenda.h"
#include "store_cluster.h"
#include "store_ledger.h"
#include "store_sqlite.h"
#include "store_sqlite_ckpt.h"
#include "store_sqlite_incident.h"
#include "store_sqlite_jobs.h"
#include "store_sqlite_node.h"
#include "store_sqlite_plan.h"
#include "store_sqlite_query.h"
#include "store_sqlite_schema.h"

/* Connect, bring the file to the current schema, then hand the log's
 * checkpoints to their thread.  Sets *state to a struct sq that
 * sq_close() frees. */
static int
sq_open(struct store *s, const char *where, void **state)
{
	struct sq *q;
	char err[300];

	if (sq_connect(s, where, &q) == -1)
		return -1;
	if (sq_migrate(s, q) == -1) {
		sq_close(q);
		return -1;
	}
	if (q->wal && sq_ckpt_start(q->db, sqlite3_db_filename(q->db, "main"),
	    &q->ckpt, err, sizeof(err)) == -1) {
		store_seterr(s, "%s", err);
		sq_close(q);
		return -1;
	}
	*state = q;
	return 0;
}

static int
sq_wal_stats(struct store *s, struct store_wal_stats *out)
{
	struct sq *q = store_backend(s);

	if (q->ckpt == NULL)
		return -1;
	sq_ckpt_stats(q->ckpt, out);
	return 0;
}

static const struct store_agenda_ops sq_agenda = {
	.plan_begin = sq_plan_begin,
	.plan_put = sq_plan_put,
	.plan_end = sq_plan_end,
	.plan_abort = sq_plan_abort,
	.insert = sq_insert,
	.claim = sq_claim,
	.next_due = sq_next_due,
	.record = sq_record,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.recover = sq_recover,
	.expire = sq_expire,
	.later = sq_later,
};

static const struct store_ledger_ops sq_ledger = {
	.submit = sq_submit,
	.is_submitted = sq_is_submitted,
	.withdraw = sq_withdraw,
	.submissions = sq_submissions,
	.ack = sq_ack,
	.is_acked = sq_is_acked,
	.receipt = sq_receipt,
	.receipts = sq_receipts,
	.list = sq_list,
	.get = sq_get,
	.history = sq_history,
	.count_states = sq_count_states,
	.incident_open = sq_incident_open,
	.incident_get = sq_incident_get,
	.incident_list = sq_incident_list,
	.incident_close = sq_incident_close,
	.incident_event = sq_incident_event,
	.incident_events = sq_incident_events,
	.incident_jobs = sq_incident_jobs,
	.incident_stats = sq_incident_stats,
	.incident_sends = sq_incident_sends,
};

static const struct store_cluster_ops sq_cluster = {
	.node_beat = sq_node_beat,
	.node_leave = sq_node_leave,
	.nodes = sq_nodes,
	.renew = sq_renew,
	.held = sq_held,
	.reap = sq_reap,
	.due = sq_due,
};

const struct store_ops store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.wal_stats = sq_wal_stats,
	.agenda = &sq_agenda,
	.ledger = &sq_ledger,
	.cluster = &sq_cluster,
};
