#!/bin/bash
# test_store_pg.sh - the store unit tests (tests/unit/test_store.c) on the
# PostgreSQL backend: a throwaway cluster on loopback (pg.sh), the unit
# binary run with HERALD_TEST_PG_URL, its TAP passed through (each test
# case counts).  Skipped when the PostgreSQL server binaries are absent.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"

pg_need
if ! pg_start; then
	echo "not ok 1 - start PostgreSQL"
	sed 's/^/# /' "$T"/pg-*.log "$PG_DIR/pg.log" 2>/dev/null | head -40
	echo "1..1"
	exit 1
fi
HERALD_TEST_PG_URL=$PG_URL "$top_builddir/tests/unit/test_store"
