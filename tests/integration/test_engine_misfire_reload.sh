#!/bin/bash
# test_engine_misfire_reload.sh - a reload applies the misfire grace like a
# start does (DESIGN.md 2.4): a job new, re-timed or revived by a reload
# whose instant is further past than its kind's grace is recorded as
# missed and never sent; inside the grace it is sent late.
#
#   retime   a reload moves a deadline so that its reminder lies 30 min in
#            the past (reminder grace 5 s): missed.
#   added    a reload adds a contact whose overdue notice is 10 min old
#            (overdue grace 1 min): missed.
#   rout     a contact removed, then restored 12 s after its reminder's
#            instant (grace 5 s): missed.
#   rin      the same with a 60 s grace: sent late.
. "$top_srcdir/tests/integration/lib.sh"

past() {	# past EPOCH -- the wall clock has reached EPOCH
	[ "$(date +%s)" -ge "$1" ]
}

sql() {		# sql NAME QUERY
	sqlite3 -batch -cmd '.timeout 2000' "$T/$1/h.db" "$2"
}

# conf NAME GRACE_GROUP CONTACTS MEMBERS DEADLINE -- write $T/NAME/h.conf
# (the period spans two days either side of now).
conf() {
	mkdir -p "$T/$1"
	cat >"$T/$1/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; grace = { $2 }; prefetch = "1s"; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( $3 );
groups = ( { id = "liaisons"; members = [ $4 ]; } );
campaigns = ( {
  id = "c"; title = "重载补发演练";
  period = [ "$(sh_civil $((now - 2 * 86400)))", "$(sh_civil $((now + 2 * 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; audience = [ "liaisons" ]; $5 } );
} );
CONF
}

WANG='{ id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; }'
CHEN='{ id = "sh-chen"; name = "陈静"; prefer = [ "log" ]; }'
LIANG='{ id = "gd-liang"; name = "梁志强"; prefer = [ "log" ]; }'

# start NAME -- start heraldd in $T/NAME, log $T/NAME.log; sets pid_NAME.
start() {
	cd "$T/$1" || exit 1
	start_bg "$T/$1.log" "$HERALDD" -f -c h.conf
	eval "pid_$1=$BG_PID"
	if wait_until 20 log_has "$T/$1.log" 'ready: config generation 1'; then
		ok "$1: the daemon starts"
	else
		not_ok "$1: the daemon starts" "$(cat "$T/$1.log")"
	fi
}

# reload NAME GEN -- SIGHUP and wait for generation GEN.
reload() {
	local pid
	eval "pid=\$pid_$1"
	kill -HUP "$pid"
	if wait_until 20 log_has "$T/$1.log" "config generation $2 in use"; then
		ok "$1: generation $2 is in use"
	else
		not_ok "$1: generation $2 is in use" "$(cat "$T/$1.log")"
	fi
}

stop() {	# stop NAME
	local pid
	eval "pid=\$pid_$1"
	kill -TERM "$pid"
	wait_exit "$pid" 10
	is "$EXIT_STATUS" 0 "$1: the daemon stops"
}

# job_settled NAME CONTACT -- CONTACT's only job is neither pending nor inflight.
job_settled() {
	local s
	s=$(sql "$1" "SELECT state FROM jobs WHERE contact = '$2'")
	[ -n "$s" ] && [ "$s" != pending ] && [ "$s" != inflight ]
}

now=$(date +%s)

# --- restore (rin, rout): the time-critical pair goes first ---------------
# Both contacts get one reminder at R, an hour before the deadline.  The
# reload before R removes sh-chen; the one 12 s after R restores him.
R=$((now + 15))
REM="due = \"$(sh_civil $((R + 3600)))\"; remind = [ \"1h\" ]; overdue = false;"
grace_of() {	# grace_of NAME -- the reminder grace of rin or rout
	if [ "$1" = rin ]; then echo 'reminder = "60s";'; else echo 'reminder = "5s";'; fi
}
for d in rin rout; do
	conf $d "$(grace_of $d)" "$WANG, $CHEN" '"bj-wang", "sh-chen"' "$REM"
	start $d
done
for d in rin rout; do
	conf $d "$(grace_of $d)" "$WANG" '"bj-wang"' "$REM"
	reload $d 2
	is "$(sql $d "SELECT state FROM jobs WHERE contact = 'sh-chen'")" cancelled \
	    "$d: removing sh-chen cancels his reminder"
done
if past "$R"; then
	not_ok "the removals came before the reminders' instant" "now $(date +%s), instant $R"
else
	ok "the removals came before the reminders' instant"
fi

# --- retime: a reload moves the reminder 30 min into the past -------------
conf retime 'reminder = "5s";' "$WANG" '"bj-wang"' \
    "due = \"$(sh_civil $((now + 86400)))\"; remind = [ \"1h\" ]; overdue = false;"
start retime
is "$(sql retime "SELECT state, due FROM jobs")" "pending|$((now + 86400 - 3600))" \
    "retime: the reminder is pending, an hour before the deadline"
conf retime 'reminder = "5s";' "$WANG" '"bj-wang"' \
    "due = \"$(sh_civil $((now + 1800)))\"; remind = [ \"1h\" ]; overdue = false;"
reload retime 2
like "$(cat "$T/retime.log")" 'planned 1 jobs: 0 new, 1 changed, 0 cancelled' \
    "retime: the reload moves the reminder"
if wait_until 10 job_settled retime bj-wang; then
	ok "retime: the moved reminder is settled"
else
	not_ok "retime: the moved reminder is settled" "$(sql retime "SELECT * FROM jobs")"
fi
is "$(sql retime "SELECT state, due FROM jobs")" "missed|$((now + 1800 - 3600))" \
    "retime: re-timed 30 min into the past, beyond its 5 s grace: missed"
is "$(sql retime "SELECT count(*) FROM events WHERE state = 'missed'")" 1 \
    "retime: ... with one missed event"
is "$(grep -c 'missed: reminder c/d for bj-wang via log' "$T/retime.log")" 1 \
    "retime: the daemon log reports the miss once"
is "$(lines "$T/retime/sent.log")" 0 "retime: nothing reached the channel"
stop retime
is "$(unexpected_warnings "$T/retime.log" 'missed: reminder c/d for bj-wang')" "" \
    "retime: no warnings but the miss"

# --- added: a reload adds a contact whose overdue notice is 10 min old ------
OVD="due = \"$(sh_civil $((now - 600)))\";"
conf added 'overdue = "1m";' "$WANG" '"bj-wang"' "$OVD"
start added
is "$(sql added "SELECT contact, kind, state FROM jobs")" "bj-wang|overdue|missed" \
    "added: at the start, bj-wang's 10-minute-old overdue notice is missed"
conf added 'overdue = "1m";' "$WANG, $LIANG" '"bj-wang", "gd-liang"' "$OVD"
reload added 2
like "$(cat "$T/added.log")" 'planned 2 jobs: 1 new, 0 changed, 0 cancelled' \
    "added: the reload plans gd-liang's overdue notice"
if wait_until 10 job_settled added gd-liang; then
	ok "added: gd-liang's overdue notice is settled"
else
	not_ok "added: gd-liang's overdue notice is settled" "$(sql added "SELECT * FROM jobs")"
fi
is "$(sql added "SELECT kind, state, due FROM jobs WHERE contact = 'gd-liang'")" \
    "overdue|missed|$((now - 600))" \
    "added: his notice, 10 min past due and beyond the 1 min grace, is missed"
is "$(grep -c 'missed: overdue c/d for gd-liang via log' "$T/added.log")" 1 \
    "added: the daemon log reports it once"
is "$(lines "$T/added/sent.log")" 0 "added: nothing reached the channel"
stop added
is "$(unexpected_warnings "$T/added.log" 'missed: overdue c/d for (bj-wang|gd-liang)')" "" \
    "added: no warnings but the two misses"

# --- restore, continued: back 12 s after the instant ----------------------
if wait_until 30 past $((R + 12)); then
	ok "12 s past the reminders' instant"
else
	not_ok "12 s past the reminders' instant"
fi
for d in rin rout; do
	conf $d "$(grace_of $d)" "$WANG, $CHEN" '"bj-wang", "sh-chen"' "$REM"
	reload $d 3
	like "$(cat "$T/$d.log")" 'planned 2 jobs: 0 new, 0 changed, 0 cancelled, 1 revived' \
	    "$d: restoring sh-chen revives his reminder"
done
for d in rin rout; do
	if wait_until 10 job_settled $d sh-chen; then
		ok "$d: sh-chen's revived reminder is settled"
	else
		not_ok "$d: sh-chen's revived reminder is settled" "$(sql $d "SELECT * FROM jobs")"
	fi
	# bj-wang's reminder went out on time: the control.
	is "$(sql $d "SELECT state FROM jobs WHERE contact = 'bj-wang'")" delivered \
	    "$d: bj-wang's reminder, never removed, was delivered"
done
is "$(sql rin "SELECT state, late, lateness_ms >= 12000, lateness_ms < 60000
    FROM jobs WHERE contact = 'sh-chen'")" "delivered|1|1|1" \
    "rin: restored 12 s late, inside its 60 s grace: delivered, marked late"
is "$(grep -c '"contact":"sh-chen"' "$T/rin/sent.log")" 1 "rin: ... and sent once"
is "$(sql rout "SELECT state FROM jobs WHERE contact = 'sh-chen'")" missed \
    "rout: restored 12 s late, beyond its 5 s grace: missed"
is "$(sql rout "SELECT group_concat(state, ' > ') FROM (SELECT e.state
    FROM events e JOIN jobs j ON j.key = e.key WHERE j.contact = 'sh-chen'
    ORDER BY e.at, e.rowid)")" "cancelled > pending > missed" \
    "rout: its history reads cancelled, revived (pending), missed"
is "$(sql rout "SELECT e.at - j.due >= 12 FROM events e JOIN jobs j
    ON j.key = e.key WHERE j.contact = 'sh-chen' AND e.state = 'missed'")" 1 \
    "rout: ... missed 12 s or more after its instant"
is "$(grep -c '"contact":"sh-chen"' "$T/rout/sent.log")" 0 "rout: sh-chen got nothing"
is "$(grep -c 'missed: reminder c/d for sh-chen via log' "$T/rout.log")" 1 \
    "rout: the daemon log reports the miss once"
for d in rin rout; do
	stop $d
done
is "$(unexpected_warnings "$T/rin.log")" "" "rin: no warnings (a late send is not one)"
is "$(unexpected_warnings "$T/rout.log" 'missed: reminder c/d for sh-chen')" "" \
    "rout: no warnings but the miss"

done_testing
