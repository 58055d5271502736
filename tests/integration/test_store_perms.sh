#!/bin/bash
# test_store_perms.sh - the store, its write-ahead log and its index are
# created 0640 whatever the umask: `heraldd -f` (the quick start, tests,
# systemd units) does not set one, and under the usual 022 the agenda
# (names, phone numbers, e-mail addresses) was world-readable.
. "$top_srcdir/tests/integration/lib.sh"

cd "$T" || exit 1
now=$(date +%s)
for mask in 022 000 077; do
	mkdir -p "$T/m$mask"
	cat >"$T/m$mask/h.conf" <<CONF
herald = { timezone = "Asia/Shanghai"; store = "sqlite:h.db"; listen = "127.0.0.1:0";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "log"; plugin = "log"; file = "out.log"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( { id = "c"; title = "权限演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil $((now + 7200)))";
    audience = [ "bj-wang" ]; remind = [ "1h" ]; } ); } );
CONF
	cd "$T/m$mask" || exit 1
	start_bg "$T/m$mask.log" bash -c "umask $mask && exec \"\$0\" -f -c h.conf" "$HERALDD"
	pid=$BG_PID
	if wait_until 15 log_has "$T/m$mask.log" 'ready: config generation 1'; then
		ok "umask $mask: heraldd -f starts with a new store"
	else
		not_ok "umask $mask: heraldd -f starts with a new store" "$(cat "$T/m$mask.log")"
	fi
	# The daemon holds the store open, so -wal and -shm exist now.
	is "$(stat -c '%n %a' h.db h.db-wal h.db-shm 2>&1 | tr '\n' ' ')" \
	    "h.db 640 h.db-wal 640 h.db-shm 640 " \
	    "umask $mask: the store, its WAL and its index are 0640"
	kill -TERM "$pid"
	wait_exit "$pid" 15
	is "$EXIT_STATUS" 0 "umask $mask: heraldd stops"
	cd "$T" || exit 1
done

# A store that exists keeps the mode its owner gave it.
cd "$T/m022" || exit 1
chmod 600 h.db
start_bg "$T/again.log" bash -c "umask 022 && exec \"\$0\" -f -c h.conf" "$HERALDD"
pid=$BG_PID
wait_until 15 log_has "$T/again.log" 'ready: config generation 1'
is "$(stat -c '%a' h.db)" 600 "an existing store keeps its mode (0600 stays 0600)"
kill -TERM "$pid"
wait_exit "$pid" 15

done_testing
