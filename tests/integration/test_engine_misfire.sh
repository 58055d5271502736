#!/bin/bash
# test_engine_misfire.sh - downtime across a reminder's instant.  Back
# within the reminder grace: the reminder is sent, marked late.  Back after
# the grace: it is recorded as missed, logged once (not again at the next
# start), and never reaches the channel.
. "$top_srcdir/tests/integration/lib.sh"

past() {	# past EPOCH -- the wall clock has reached EPOCH
	[ "$(date +%s)" -ge "$1" ]
}

# run_dir NAME GRACE REMIND_AT -- a config in $T/NAME with one reminder for
# bj-wang at REMIND_AT (Unix), its deadline an hour later, no overdue.
run_dir() {
	mkdir -p "$T/$1"
	cat >"$T/$1/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; grace = { reminder = "$2"; }; prefetch = "1s"; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c"; title = "停机演练";
  period = [ "$(sh_civil $(($3 - 3600)))", "$(sh_civil $(($3 + 86400)))" ];
  deadlines = ( {
    id = "d"; title = "报送材料"; due = "$(sh_civil $(($3 + 3600)))";
    audience = [ "bj-wang" ]; remind = [ "1h" ]; overdue = false;
  } );
} );
CONF
}

sql() {		# sql NAME QUERY
	sqlite3 -batch -cmd '.timeout 2000' "$T/$1/h.db" "$2"
}

state_is() {	# state_is NAME STATE -- the only job is in STATE
	[ "$(sql "$1" "SELECT state FROM jobs")" = "$2" ]
}

# Both scenarios run side by side: one reminder each, 3 s from now; the
# daemons stop before it and come back 5 s after it.  "in" has 20 s of
# grace, "out" 2 s.
now=$(date +%s)
at=$((now + 10))	# room for two daemons to start and stop first, even under load
run_dir in 20s "$at"
run_dir out 2s "$at"

for d in in out; do
	cd "$T/$d" || exit 1
	start_bg "$T/$d.1.log" "$HERALDD" -f -c h.conf
	pid=$BG_PID
	if wait_until 10 log_has "$T/$d.1.log" 'planned 1 jobs: 1 new'; then
		ok "$d: the reminder is planned"
	else
		not_ok "$d: the reminder is planned" "$(cat "$T/$d.1.log")"
	fi
	kill -TERM "$pid"
	wait_exit "$pid" 10
	is "$EXIT_STATUS" 0 "$d: the daemon stops before the reminder's instant"
	if past "$at"; then
		not_ok "$d: the stop came before the instant" "now $(date +%s), instant $at"
	else
		ok "$d: the stop came before the instant"
	fi
	is "$(sql "$d" "SELECT state FROM jobs")" pending "$d: the reminder is still pending"
done

# Downtime across the instant: back 5 s after it.
if wait_until 25 past $((at + 5)); then
	ok "5 s past the reminder's instant"
else
	not_ok "5 s past the reminder's instant"
fi

# --- inside the grace: sent late ---
cd "$T/in" || exit 1
start_bg "$T/in.2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 state_is in delivered; then
	ok "in: restarted inside the grace, the reminder is delivered"
else
	not_ok "in: restarted inside the grace, the reminder is delivered" \
	    "$(sql in "SELECT * FROM jobs")" "$(cat "$T/in.2.log")"
fi
is "$(sql in "SELECT late, lateness_ms >= 5000, lateness_ms < 20000 FROM jobs")" "1|1|1" \
    "in: marked late, lateness between 5 s and the 20 s grace"
is "$(lines "$T/in/sent.log")" 1 "in: the log channel got it once"
like "$(cat "$T/in/sent.log")" '"kind":"reminder","contact":"bj-wang"' \
    "in: ... the reminder for bj-wang"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "in: the daemon stops"
is "$(unexpected_warnings "$T/in.2.log")" "" "in: no warnings (a late send is not one)"

# --- outside the grace: missed, logged once ---
cd "$T/out" || exit 1
start_bg "$T/out.2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/out.2.log" 'ready: config generation 1'; then
	ok "out: restarted after the grace"
else
	not_ok "out: restarted after the grace" "$(cat "$T/out.2.log")"
fi
is "$(sql out "SELECT state FROM jobs")" missed "out: the reminder is recorded as missed"
is "$(sql out "SELECT count(*) FROM events WHERE state = 'missed'")" 1 \
    "out: ... with one missed event"
is "$(grep -c 'missed: reminder c/d for bj-wang via log' "$T/out.2.log")" 1 \
    "out: the daemon log says so once"
like "$(grep 'missed: ' "$T/out.2.log")" '\[warning\] .*beyond grace 2s' \
    "out: ... as a warning naming the grace"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "out: the daemon stops"

# Once: the next start does not log it again.
start_bg "$T/out.3.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/out.3.log" 'ready: config generation 1'; then
	ok "out: a third start comes up"
else
	not_ok "out: a third start comes up" "$(cat "$T/out.3.log")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
is "$(grep -c 'missed: ' "$T/out.3.log")" 0 "out: the third start does not log the miss again"
is "$(sql out "SELECT state FROM jobs")" missed "out: the reminder stays missed"
is "$(lines "$T/out/sent.log")" 0 "out: the log channel never got it"
is "$(cat "$T"/out.?.log | unexpected_warnings /dev/stdin 'missed: reminder c/d for bj-wang')" "" \
    "out: no warnings but the one miss"

done_testing
