/*
 * store_pg_node.h - nodes and leases in the PostgreSQL store
 * (store_pg_node.c): the store_cluster_ops entries of the same names.
 * Private to the backend.
 */
#ifndef HERALD_STORE_PG_NODE_H
#define HERALD_STORE_PG_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_cluster.h"
#include "store_pg.h"

int pg_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before);
int pg_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg);
int pg_renew(struct store *s, int64_t now, int64_t lease_until, size_t *n);
int pg_held(struct store *s, const char *key, int64_t now, int *held);
int pg_reap(struct store *s, int64_t now, size_t *n);
int pg_node_leave(struct store *s, const char *id);
int pg_due(struct store *s, int64_t until, size_t *total, size_t *mine);

#endif
