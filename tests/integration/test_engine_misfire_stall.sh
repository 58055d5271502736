#!/bin/bash
# test_engine_misfire_stall.sh - the misfire grace is judged when a job is
# handed to its channel, not only at start: a daemon stopped (SIGSTOP)
# across a reminder's instant and resumed (SIGCONT) after its grace
# records it as missed and sends nothing; resumed inside its grace, it
# sends it late.  "out" has 3 s of grace, "in" 60 s; both are stopped
# before the instant and resumed 10 s after it.
. "$top_srcdir/tests/integration/lib.sh"

past() {	# past EPOCH -- the wall clock has reached EPOCH
	[ "$(date +%s)" -ge "$1" ]
}

sql() {		# sql NAME QUERY
	sqlite3 -batch -cmd '.timeout 2000' "$T/$1/h.db" "$2"
}

# run_dir NAME GRACE -- one reminder for bj-wang at $R, its deadline an hour
# later.  A prefetch of 5 s: the job is claimed before the stop, so the
# hand-off (not the claim) is what must judge it.
run_dir() {
	mkdir -p "$T/$1"
	cat >"$T/$1/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; grace = { reminder = "$2"; }; prefetch = "5s"; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c"; title = "停顿演练";
  period = [ "$(sh_civil $((R - 3600)))", "$(sh_civil $((R + 86400)))" ];
  deadlines = ( {
    id = "d"; title = "报送材料"; due = "$(sh_civil $((R + 3600)))";
    audience = [ "bj-wang" ]; remind = [ "1h" ]; overdue = false;
  } );
} );
CONF
}

settled() {	# settled NAME -- the only job is neither pending nor inflight
	local s
	s=$(sql "$1" "SELECT state FROM jobs")
	[ -n "$s" ] && [ "$s" != pending ] && [ "$s" != inflight ]
}

claimed() {	# claimed NAME -- the only job is inflight (held by the scheduler)
	[ "$(sql "$1" "SELECT state FROM jobs")" = inflight ]
}

now=$(date +%s)
R=$((now + 10))
run_dir in 60s
run_dir out 3s

for d in in out; do
	cd "$T/$d" || exit 1
	start_bg "$T/$d.log" "$HERALDD" -f -c h.conf
	eval "pid_$d=$BG_PID"
	if wait_until 10 log_has "$T/$d.log" 'ready: config generation 1'; then
		ok "$d: the daemon starts"
	else
		not_ok "$d: the daemon starts" "$(cat "$T/$d.log")"
	fi
done
for d in in out; do
	eval "pid=\$pid_$d"
	if wait_until 10 claimed $d; then
		ok "$d: the reminder is claimed inside the prefetch window"
	else
		not_ok "$d: the reminder is claimed inside the prefetch window" \
		    "$(sql $d "SELECT * FROM jobs")"
	fi
	kill -STOP "$pid"
done
if past "$R"; then
	not_ok "both daemons stopped before the instant" "now $(date +%s), instant $R"
else
	ok "both daemons stopped before the instant"
fi

if wait_until 30 past $((R + 10)); then
	ok "10 s past the instant"
else
	not_ok "10 s past the instant"
fi
for d in in out; do
	eval "pid=\$pid_$d"
	kill -CONT "$pid"
done
for d in in out; do
	if wait_until 10 settled $d; then
		ok "$d: the reminder is settled after SIGCONT"
	else
		not_ok "$d: the reminder is settled after SIGCONT" "$(sql $d "SELECT * FROM jobs")"
	fi
done

is "$(sql in "SELECT state, late, lateness_ms >= 10000, lateness_ms < 60000 FROM jobs")" \
    "delivered|1|1|1" "in: resumed inside the 60 s grace: delivered late"
is "$(lines "$T/in/sent.log")" 1 "in: the channel got it once"

is "$(sql out "SELECT state FROM jobs")" missed "out: resumed beyond the 3 s grace: missed"
is "$(sql out "SELECT e.at - j.due >= 10 FROM events e JOIN jobs j
    ON j.key = e.key WHERE e.state = 'missed'")" 1 \
    "out: ... one missed event, 10 s or more after the instant"
is "$(lines "$T/out/sent.log")" 0 "out: the channel got nothing"
is "$(grep -c 'missed: reminder c/d for bj-wang via log' "$T/out.log")" 1 \
    "out: the daemon log reports the miss once"

for d in in out; do
	eval "pid=\$pid_$d"
	kill -TERM "$pid"
	wait_exit "$pid" 10
	is "$EXIT_STATUS" 0 "$d: the daemon stops"
done
is "$(unexpected_warnings "$T/in.log")" "" "in: no warnings (a late send is not one)"
is "$(unexpected_warnings "$T/out.log" 'missed: reminder c/d for bj-wang')" "" \
    "out: no warnings but the miss"

done_testing
