#!/bin/bash
# test_engine_restart.sh - SIGTERM in the middle of a campaign whose jobs
# fall due every second, then a restart: every job reaches the log channel
# exactly once (nothing lost, nothing resent), and a third start plans
# nothing new and sends nothing.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C	# sort(1) and comm(1) agree with SQLite on key order

lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }

sql() {
	sqlite3 -batch -cmd '.timeout 2000' "$T/h.db" "$@"
}

delivered_is() {	# delivered_is N -- the store has N delivered jobs
	[ "$(sql "SELECT count(*) FROM jobs WHERE state = 'delivered'")" = "$1" ]
}

log_keys() {	# the key of every line of the log channel's file, sorted
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p' "$T/sent.log" | sort
}

# Three contacts; reminders 8s..1s before the deadline and the overdue
# notice at it: 3 jobs a second for 9 seconds, 27 in all.
now=$(date +%s)
due=$((now + 10))
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; prefetch = "2s"; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = (
  { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; },
  { id = "hb-zhang"; name = "张伟"; prefer = [ "log" ]; },
  { id = "sh-chen"; name = "陈静"; prefer = [ "log" ]; }
);
campaigns = ( {
  id = "c"; title = "重启演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "d"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang", "hb-zhang", "sh-chen" ];
    remind = [ "8s", "7s", "6s", "5s", "4s", "3s", "2s", "1s" ];
  } );
} );
CONF
TOTAL=27
cd "$T" || exit 1

start_bg "$T/d1.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d1.log" "planned $TOTAL jobs: $TOTAL new"; then
	ok "the first start plans $TOTAL jobs"
else
	not_ok "the first start plans $TOTAL jobs" "$(cat "$T/d1.log")"
fi

# About half way: stop as soon as 12 lines are out.
if wait_until 15 lines_ge "$T/sent.log" 12; then
	kill -TERM "$pid"
	ok "the campaign is under way (12 or more sent)"
else
	not_ok "the campaign is under way (12 or more sent)" "$(cat "$T/d1.log")"
	kill -TERM "$pid"
fi
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "SIGTERM stops the daemon in the middle of the campaign"
at_stop=$(lines "$T/sent.log")
if [ "$at_stop" -lt "$TOTAL" ]; then
	ok "the stop came before the end ($at_stop of $TOTAL sent)"
else
	not_ok "the stop came before the end" "all $at_stop sent before the stop"
fi
is "$(sql "SELECT count(*) FROM jobs WHERE state = 'inflight'")" 0 \
    "a clean stop leaves nothing in flight in the store"
is "$(sql "SELECT count(*) FROM jobs WHERE state = 'delivered'")" "$at_stop" \
    "the store's delivered count equals the lines written at the stop"

restarted=$(date +%s)
start_bg "$T/d2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d2.log" "planned $TOTAL jobs: 0 new, 0 changed, 0 cancelled"; then
	ok "the restart plans nothing new"
else
	not_ok "the restart plans nothing new" "$(cat "$T/d2.log")"
fi
if wait_until 20 lines_ge "$T/sent.log" "$TOTAL"; then
	ok "after the restart the log channel has $TOTAL lines"
else
	not_ok "after the restart the log channel has $TOTAL lines" \
	    "$(lines "$T/sent.log") lines" "$(cat "$T/d2.log")"
fi
if wait_until 10 delivered_is "$TOTAL"; then
	ok "the store records all $TOTAL jobs delivered"
else
	not_ok "the store records all $TOTAL jobs delivered" \
	    "$(sql "SELECT state, count(*) FROM jobs GROUP BY state")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the restarted daemon stops on SIGTERM"

is "$(log_keys | uniq -d)" "" "no key was sent twice"
is "$(log_keys | uniq | wc -l)" "$TOTAL" "every one of the $TOTAL keys was sent"
is "$(log_keys | uniq)" "$(sql "SELECT key FROM jobs WHERE state = 'delivered' ORDER BY key" | sort)" \
    "the keys in the log are exactly the store's delivered keys"
is "$(sql "SELECT count(*) FROM events WHERE state = 'delivered'")" "$TOTAL" \
    "one delivered event per job"
is "$(sql "SELECT count(*) FROM jobs WHERE due > $restarted AND
    (late <> 0 OR lateness_ms NOT BETWEEN 0 AND 999)")" 0 \
    "jobs due after the restart went out on time"

# A third start: everything is done, so nothing is planned or sent.
start_bg "$T/d3.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d3.log" 'ready: config generation 1'; then
	ok "a third start comes up"
else
	not_ok "a third start comes up" "$(cat "$T/d3.log")"
fi
like "$(cat "$T/d3.log")" "planned $TOTAL jobs: 0 new, 0 changed, 0 cancelled" \
    "... and plans nothing new"
is "$(sql "SELECT count(*) FROM jobs WHERE state <> 'delivered'")" 0 \
    "... with nothing left to send"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "... and stops"
is "$(lines "$T/sent.log")" "$TOTAL" "the third start sent nothing"

for f in d1 d2 d3; do
	is "$(unexpected_warnings "$T/$f.log")" "" "no warnings in daemon log $f"
done

done_testing
