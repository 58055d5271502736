/*
 * store_sqlite_node.h - nodes and leases in the SQLite store
 * (store_sqlite_node.c): the store_cluster_ops entries of the same names.
 *
 * Private to the SQLite backend, like store_sqlite.h, which it builds on.
 */
#ifndef HERALD_STORE_SQLITE_NODE_H
#define HERALD_STORE_SQLITE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_cluster.h"
#include "store_sqlite.h"

int sq_node_beat(struct store *s, const struct store_node *n,
    int64_t forget_before);
int sq_nodes(struct store *s, int64_t since, store_node_fn fn, void *arg);
int sq_renew(struct store *s, int64_t now, int64_t lease_until, size_t *n);
int sq_held(struct store *s, const char *key, int64_t now, int *held);
int sq_reap(struct store *s, int64_t now, size_t *n);
int sq_node_leave(struct store *s, const char *id);
int sq_due(struct store *s, int64_t until, size_t *total, size_t *mine);

#endif
