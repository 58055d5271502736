#!/bin/bash
# test_store_readonly.sh - the store's file system goes read-only in the
# middle of a fan-out of 1,500 webhook notices (DESIGN.md rule 3,
# heraldd(8) "When the store cannot record").
#
# The store lives on a loop-mounted ext4 with errors=remount-ro; once a few
# hundred notices have reached the receiver, an ext4 error is triggered
# (/sys/fs/ext4/DEV/trigger_fs_error) and the kernel remounts the file
# system read-only, as it does on a failing disk.  While the store cannot
# commit, heraldd must hand nothing more to the channel, say so once in
# the log and report it in /healthz, /v1/status and /metrics.  ext4 does
# not take such a file system back read-write while files are open, so
# the recovery is an operator's: stop heraldd, fsck, mount, start again;
# then every key must arrive, none more often than the concurrency allows.
#
# Needs root, loop devices and ext4; elsewhere the whole test is skipped.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
N=1500
CONC=4
ALLOWED='CLOCK NOT SYNCHRONIZED|store: cannot record outcomes|stop: the store could not record|scheduler: cannot put back'

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ]; then
	echo "1..0 # SKIP the webhook plugin was not built"
	exit 0
fi
mkdir -p "$T/run/disk"
if [ "$(id -u)" != 0 ] || ! command -v mkfs.ext4 >/dev/null ||
    ! truncate -s 64M "$T/disk.img" || ! mkfs.ext4 -q -F "$T/disk.img" 2>/dev/null ||
    ! mount -o loop,errors=remount-ro "$T/disk.img" "$T/run/disk" 2>/dev/null; then
	echo "1..0 # SKIP needs root and loop-mounted ext4 to make a file system read-only"
	exit 0
fi
DEV=$(basename "$(findmnt -n -o SOURCE "$T/run/disk")")
if [ ! -w "/sys/fs/ext4/$DEV/trigger_fs_error" ]; then
	umount "$T/run/disk"
	echo "1..0 # SKIP this kernel has no /sys/fs/ext4/DEV/trigger_fs_error"
	exit 0
fi

. "$top_srcdir/tests/integration/store_fault.sh"
# setup NAME -- the fan-out's config; the store's disk is mounted already.
setup() {
	MOUNTS+=("$T/$1/disk")
	fanout_conf "$1"
}

# --- the file system goes read-only while heraldd runs ----------------------
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
echo "herald test: store file system fault" >"/sys/fs/ext4/$DEV/trigger_fs_error"
like "$(findmnt -n -o OPTIONS "$T/run/disk")" '(^|,)(ro|emergency_ro)(,|$)' \
    "the kernel made the store's file system read-only"
if wait_until 30 log_has "$T/run.log" 'store: cannot record outcomes'; then
	ok "a commit on the read-only file system fails and is logged"
else
	not_ok "a commit on the read-only file system fails and is logged" "$(tail -5 "$T/run.log")"
fi
at_fault=$(got run)
like "$(grep 'store: cannot record outcomes' "$T/run.log")" 'file system is read-only' \
    "... saying the file system is read-only"
check "/healthz answers 503 while the store cannot commit" health_is 503
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["ok"], j["store"])' "$T/body")" \
    "False failing" "... with ok false and store failing"
curl -s "$API/v1/status" >"$T/status.json"
is "$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["store"]; print(s["health"], "read-only" in (s["error"] or ""))' "$T/status.json")" \
    "failing True" "/v1/status: store health failing, with the error"
is "$(metric herald_store_healthy)" 0 "metric herald_store_healthy is 0"
retries_ge() { [ "$(metric herald_store_commit_failures_total)" -ge "$1" ] 2>/dev/null; }
if wait_until 20 retries_ge 3; then
	ok "the commit is retried while the file system is read-only"
else
	not_ok "the commit is retried while the file system is read-only" "$(metric herald_store_commit_failures_total)"
fi
during=$(( $(got run) - at_fault ))
if [ "$during" -le "$CONC" ]; then
	ok "nothing more handed off while the store cannot commit ($during arrived after the fault <= $CONC)"
else
	not_ok "nothing more handed off while the store cannot commit" \
	    "$during arrived after the fault was logged (concurrency $CONC)"
fi
is "$(log_count "$T/run.log" 'store: cannot record outcomes')" 1 "one log line for the fault, not one per job"
kill -TERM "$HPID"
wait_exit "$HPID" 30
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM while the store is read-only"
like "$(cat "$T/run.log")" 'stop: the store could not record the outcomes of [0-9]+ sends' \
    "... saying which sends will be repeated"

# The operator's part: unmount, check, mount again read-write.
umount "$T/run/disk"
e2fsck -fy "$T/disk.img" >"$T/fsck.out" 2>&1
mount -o loop "$T/disk.img" "$T/run/disk"
start_bg "$T/run2.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
if wait_until 60 q_is "SELECT count(*) FROM jobs WHERE state = 'delivered'" "$N"; then
	ok "after fsck and a restart the store has all $N delivered"
else
	not_ok "after fsck and a restart the store has all $N delivered" \
	    "$(q "SELECT state, count(*) FROM jobs GROUP BY state")" "$(tail -5 "$T/run2.log")"
fi
keys run >"$T/run.keys"
is "$(uniq "$T/run.keys" | wc -l)" "$N" "every one of the $N keys reached the receiver"
twice=$(uniq -d "$T/run.keys" | wc -l)
if [ "$twice" -le "$CONC" ]; then
	ok "keys sent twice across the fault and the restart: $twice <= concurrency $CONC"
else
	not_ok "keys sent twice across the fault and the restart <= concurrency $CONC" "$twice keys sent twice"
fi
kill -TERM "$HPID"
wait_exit "$HPID" 20
is "$EXIT_STATUS" 0 "the restarted heraldd stops"
is "$(unexpected_warnings "$T/run.log" "$ALLOWED")" "" "no other warnings during the fault"
is "$(unexpected_warnings "$T/run2.log" "$ALLOWED")" "" "no warnings after the restart"

done_testing
