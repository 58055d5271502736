#!/bin/bash
# test_store_full.sh - the store's disk fills in the middle of a fan-out
# of 1,500 webhook notices, then frees (DESIGN.md rule 3, heraldd(8)
# "When the store cannot record").
#
# The store lives on a small tmpfs of its own; once a few hundred notices
# have reached the receiver a file fills the tmpfs.  While the store
# cannot commit, heraldd must hand nothing more to the channel (at most the
# sends already in flight arrive), say so once in the log, and report it in
# /healthz, /v1/status and /metrics; once the file is removed it must
# commit what it held and finish by itself.  The receiver
# (webhook_receiver.py) counts every key it got: each of the 1,500 keys
# arrives, and none more often than the channel's concurrency allows.
#
# Then the same fault with a kill -9 while the disk is full: the restart on
# the full disk must refuse with a message that says what to do, and the
# restart after freeing it must deliver the rest with duplicates bounded
# by the concurrency.
#
# Needs root and tmpfs mounts; elsewhere the whole test is skipped.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
N=1500
CONC=4
ALLOWED='CLOCK NOT SYNCHRONIZED|store: cannot record outcomes'

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ]; then
	echo "1..0 # SKIP the webhook plugin was not built"
	exit 0
fi
mkdir -p "$T/probe"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=1m tmpfs "$T/probe" 2>/dev/null; then
	echo "1..0 # SKIP needs root and tmpfs mounts to fill a disk"
	exit 0
fi
umount "$T/probe"

. "$top_srcdir/tests/integration/store_fault.sh"

# fill DIR -- fill the filesystem of DIR to the last byte.
fill() {
	dd if=/dev/zero of="$1/fill" bs=1M 2>/dev/null
	dd if=/dev/zero of="$1/fill2" bs=4k 2>/dev/null
	dd if=/dev/zero of="$1/fill3" bs=512 2>/dev/null
	true
}

# setup NAME -- a tmpfs in $T/NAME/disk and the fan-out's config.
setup() {
	mkdir -p "$T/$1/disk"
	mount -t tmpfs -o size=24m tmpfs "$T/$1/disk"
	MOUNTS+=("$T/$1/disk")
	fanout_conf "$1"
}

# --- the disk fills, then frees, while heraldd runs -------------------------
setup run
cd "$T/run" || exit 1
start_bg "$T/run.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
wait_listen "$T/run.log" || { not_ok "heraldd starts" "$(cat "$T/run.log")"; done_testing; exit 0; }
if wait_until 30 got_ge run 300; then
	ok "the fan-out is under way ($(got run) of $N arrived)"
else
	not_ok "the fan-out is under way" "$(tail -5 "$T/run.log")"
fi
fill "$T/run/disk"
at_fill=$(got run)
if wait_until 30 log_has "$T/run.log" 'store: cannot record outcomes'; then
	ok "a commit on the full disk fails and is logged"
else
	not_ok "a commit on the full disk fails and is logged" "$(tail -5 "$T/run.log")"
fi
at_fault=$(got run)
if [ "$at_fault" -lt "$N" ]; then
	ok "the fault came before the fan-out ended ($at_fill at the fill, $at_fault at the fault)"
else
	not_ok "the fault came before the fan-out ended" "all $N arrived before the fault was seen"
fi
check "/healthz answers 503 while the store cannot commit" health_is 503
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["ok"], j["store"])' "$T/body")" \
    "False failing" "... with ok false and store failing"
curl -s "$API/v1/status" >"$T/status.json"
is "$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["store"]; print(s["health"], "full" in (s["error"] or "").lower())' "$T/status.json")" \
    "failing True" "/v1/status: store health failing, and the error names the full disk"
like "$("${HERALDCTL:-$top_builddir/ctl/heraldctl}" -u "$API" status 2>&1)" \
    'FAILING since [0-9-]+ [0-9:]+: .*full.*\([0-9]+ outcomes held' \
    "heraldctl status: the store is failing, since when, its error and the outcomes held"
is "$(metric herald_store_healthy)" 0 "metric herald_store_healthy is 0"
is "$(metric herald_store_faults_total)" 1 "metric herald_store_faults_total counts one fault"
# Retried with backoff: wait for a few failed attempts, then look at what
# reached the channel meanwhile.
retries_ge() { [ "$(metric herald_store_commit_failures_total)" -ge "$1" ] 2>/dev/null; }
if wait_until 20 retries_ge 3; then
	ok "the commit is retried while the disk is full"
else
	not_ok "the commit is retried while the disk is full" "$(metric herald_store_commit_failures_total)"
fi
during=$(( $(got run) - at_fault ))
if [ "$during" -le "$CONC" ]; then
	ok "nothing more handed off while the store cannot commit ($during arrived after the fault <= $CONC)"
else
	not_ok "nothing more handed off while the store cannot commit" \
	    "$during arrived after the fault was logged (concurrency $CONC)"
fi

rm -f "$T/run/disk/fill" "$T/run/disk/fill2" "$T/run/disk/fill3"
if wait_until 60 q_is "SELECT count(*) FROM jobs WHERE state = 'delivered'" "$N"; then
	ok "the disk freed: heraldd resumes by itself and the store has all $N delivered"
else
	not_ok "the disk freed: all $N delivered" "$(q "SELECT state, count(*) FROM jobs GROUP BY state")" \
	    "$(tail -5 "$T/run.log")"
fi
check "/healthz answers 200 again" health_is 200
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["ok"], j["store"])' "$T/body")" \
    "True ok" "... with ok true and store ok"
curl -s "$API/v1/status" >"$T/status.json"
is "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["store"]["health"])' "$T/status.json")" \
    "ok" "/v1/status: store health ok again"
is "$(metric herald_store_healthy)" 1 "metric herald_store_healthy is 1 again"
is "$(log_count "$T/run.log" 'store: cannot record outcomes')" 1 "one log line for the fault, not one per job"
is "$(log_count "$T/run.log" 'store: recording again')" 1 "one log line for the recovery"
keys run >"$T/run.keys"
is "$(uniq "$T/run.keys" | wc -l)" "$N" "every one of the $N keys reached the receiver"
twice=$(uniq -d "$T/run.keys" | wc -l)
if [ "$twice" -le "$CONC" ]; then
	ok "keys sent twice: $twice <= concurrency $CONC"
else
	not_ok "keys sent twice <= concurrency $CONC" "$twice keys sent twice"
fi
kill -TERM "$HPID"
wait_exit "$HPID" 20
is "$EXIT_STATUS" 0 "heraldd stops cleanly after the fault"
is "$(unexpected_warnings "$T/run.log" "$ALLOWED")" "" "no other warnings"

# --- the disk fills, heraldd is killed, restarts on the full disk ----------
setup crash
cd "$T/crash" || exit 1
start_bg "$T/crash1.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
wait_until 30 got_ge crash 300
fill "$T/crash/disk"
if wait_until 30 log_has "$T/crash1.log" 'store: cannot record outcomes'; then
	ok "crash run: the fault is logged"
else
	not_ok "crash run: the fault is logged" "$(tail -5 "$T/crash1.log")"
fi
kill -KILL "$HPID"
wait_exit "$HPID" 10
start_bg "$T/crash2.log" "$HERALDD" -f -c h.conf
wait_exit "$BG_PID" 30
is "$EXIT_STATUS" 1 "a start on the full disk refuses (exit 1)"
like "$(cat "$T/crash2.log")" 'disk/h\.db.*(full|space).*free (some )?space' \
    "... with a message that names the store and says to free space"
rm -f "$T/crash/disk/fill" "$T/crash/disk/fill2" "$T/crash/disk/fill3"
start_bg "$T/crash3.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
if wait_until 60 q_is "SELECT count(*) FROM jobs WHERE state = 'delivered'" "$N"; then
	ok "the disk freed, the restart delivers the rest"
else
	not_ok "the disk freed, the restart delivers the rest" \
	    "$(q "SELECT state, count(*) FROM jobs GROUP BY state")" "$(tail -5 "$T/crash3.log")"
fi
keys crash >"$T/crash.keys"
is "$(uniq "$T/crash.keys" | wc -l)" "$N" "every one of the $N keys reached the receiver"
twice=$(uniq -d "$T/crash.keys" | wc -l)
if [ "$twice" -le "$CONC" ]; then
	ok "keys sent twice across the fault and the kill: $twice <= concurrency $CONC"
else
	not_ok "keys sent twice across the fault and the kill <= concurrency $CONC" "$twice keys sent twice"
fi
kill -TERM "$HPID"
wait_exit "$HPID" 20
is "$(unexpected_warnings "$T/crash3.log" "$ALLOWED")" "" "no warnings after the restart"

done_testing
