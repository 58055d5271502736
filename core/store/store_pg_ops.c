/*
 * store_pg_ops.c - the PostgreSQL backend as store.c sees it: its agenda,
 * ledger and cluster tables, each entry implemented in the file that owns it,
 * and opening the store (connect, then migrate).  Both schemes,
 * "postgresql:" and "postgres:", name it.
 */
#include "store.h"
#include "store_agenda.h"
#include "store_cluster.h"
#include "store_ledger.h"
#include "store_pg.h"
#include "store_pg_incident.h"
#include "store_pg_jobs.h"
#include "store_pg_node.h"
#include "store_pg_plan.h"
#include "store_pg_query.h"
#include "store_pg_schema.h"

/* Sets *state to a struct pg that pg_close() frees. */
static int
pg_open(struct store *s, const char *where, void **state)
{
	struct pg *q;

	if (pg_connect(s, where, store_password(s), &q) == -1)
		return -1;
	if (pg_migrate(s, q) == -1) {
		pg_close(q);
		return -1;
	}
	*state = q;
	return 0;
}

static const struct store_agenda_ops pg_agenda = {
	.plan_begin = pg_plan_begin,
	.plan_put = pg_plan_put,
	.plan_end = pg_plan_end,
	.plan_abort = pg_plan_abort,
	.insert = pg_insert,
	.claim = pg_claim,
	.next_due = pg_next_due,
	.record = pg_record,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.recover = pg_recover,
	.expire = pg_expire,
	.later = pg_later,
};

static const struct store_ledger_ops pg_ledger = {
	.submit = pg_submit,
	.is_submitted = pg_is_submitted,
	.withdraw = pg_withdraw,
	.submissions = pg_submissions,
	.ack = pg_ack,
	.is_acked = pg_is_acked,
	.receipt = pg_receipt,
	.receipts = pg_receipts,
	.list = pg_list,
	.get = pg_get,
	.history = pg_history,
	.count_states = pg_count_states,
	.incident_open = pg_incident_open,
	.incident_get = pg_incident_get,
	.incident_list = pg_incident_list,
	.incident_close = pg_incident_close,
	.incident_event = pg_incident_event,
	.incident_events = pg_incident_events,
	.incident_jobs = pg_incident_jobs,
	.incident_stats = pg_incident_stats,
	.incident_sends = pg_incident_sends,
};

static const struct store_cluster_ops pg_cluster = {
	.node_beat = pg_node_beat,
	.node_leave = pg_node_leave,
	.nodes = pg_nodes,
	.renew = pg_renew,
	.held = pg_held,
	.reap = pg_reap,
	.due = pg_due,
};

const struct store_ops store_pg_ops = {
	.scheme = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.agenda = &pg_agenda,
	.ledger = &pg_ledger,
	.cluster = &pg_cluster,
};

const struct store_ops store_postgres_ops = {
	.scheme = "postgres",
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.agenda = &pg_agenda,
	.ledger = &pg_ledger,
	.cluster = &pg_cluster,
};
