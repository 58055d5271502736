#!/bin/bash
# test_conf_instants.sh - what a config's dates mean, checked on the real
# heraldd under faketime:
#   1. a date-only due is the end of that working day (herald.engine.day_end,
#      default 17:30, per campaign overridable), and date-only notices
#      (phase starts, digest = true) go out at day_start (default 09:00):
#      reminders, overdue notice and escalation are planned there, the
#      overdue notice fires at 17:30 and not at midnight, and heraldd -t
#      prints the resolved times;
#   2. without a calendar group Saturdays and Sundays are days off: a
#      reminder that lands on a Saturday moves to the Friday;
#   3. a campaign year the calendar does not cover is a warning that
#      GET /v1/status and heraldctl status show.
#
# Every expected instant is computed here with Python's zoneinfo, never
# read back from herald.
. "$top_srcdir/tests/integration/lib.sh"

: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"

# FAKETIME_LIB and fake_at come from lib.sh.

# py_epoch "YYYY-MM-DD HH:MM" [ZONE] -- civil time -> Unix, by zoneinfo.
py_epoch() {
	python3 -c 'import sys, datetime, zoneinfo
z = zoneinfo.ZoneInfo(sys.argv[2])
d = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%d %H:%M").replace(tzinfo=z)
print(int(d.timestamp()))' "$1" "${2:-Asia/Shanghai}"
}

# py_weekday "YYYY-MM-DD" -- "Mon" .. "Sun", by Python.
py_weekday() {
	python3 -c 'import sys, datetime
print(datetime.date.fromisoformat(sys.argv[1]).strftime("%a"))' "$1"
}

if [ -n "$FAKETIME_LIB" ]; then
	ok "libfaketime found ($FAKETIME_LIB)"
else
	not_ok "libfaketime found" "install the Debian package faketime"
fi

# The dates below were chosen for their weekdays; check that they are
# what the test assumes, independently of herald.
is "$(py_weekday 2030-11-27) $(py_weekday 2030-11-26) $(py_weekday 2030-11-28)" \
    "Wed Tue Thu" "2030-11-27 is a Wednesday (its eve a Tuesday, its morrow a Thursday)"
is "$(py_weekday 2030-12-02) $(py_weekday 2030-11-30) $(py_weekday 2030-11-29)" \
    "Mon Sat Fri" "2030-12-02 is a Monday, 2030-11-30 a Saturday, 2030-11-29 a Friday"

# --- 1. date-only due and phase -----------------------------------------
mkdir -p "$T/day"
cd "$T/day" || exit 1
cat >day.conf <<'CONF'
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:day.db"; };
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; },
             { id = "desk"; name = "值班室"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c1"; title = "2030年消费扶贫月"; period = [ "2030-11-01", "2030-11-30" ];
  phases = ( { id = "report"; title = "总结阶段"; from = "2030-11-25";
               to = "2030-11-30"; notify = [ "bj-wang" ]; } );
  deadlines = ( { id = "final"; title = "报送活动总结"; due = "2030-11-27";
                  audience = [ "bj-wang" ]; remind = [ "1d" ];
                  escalate = { after = "1d"; to = [ "desk" ]; }; } );
}, {
  id = "c2"; title = "另一活动"; period = [ "2030-11-01", "2030-11-30" ];
  day_start = "08:30"; day_end = "16:00";
  coordinators = [ "desk" ]; digest = true;
  phases = ( { id = "p"; title = "阶段"; from = "2030-11-25"; to = "2030-11-30";
               notify = [ "bj-wang" ]; } );
  deadlines = ( { id = "d"; title = "报送"; due = "2030-11-27";
                  audience = [ "bj-wang" ]; } );
} );
CONF

out=$("$HERALDD" -t -c day.conf 2>&1)
like "$out" 'deadline final due 2030-11-27 17:30 \(day_end\)' \
    "heraldd -t prints the date-only due resolved to 17:30 (day_end)"
like "$out" 'phase report 2030-11-25 09:00 \(day_start\)' \
    "heraldd -t prints the date-only phase start resolved to 09:00 (day_start)"
like "$out" 'deadline d due 2030-11-27 16:00 \(day_end\)' \
    "... and campaign c2's own day_end 16:00"

start_bg "$T/day.log" fake_at '2030-11-20 10:00:00' "$HERALDD" -f -c day.conf
pid=$BG_PID
if wait_until 15 log_has "$T/day.log" 'ready: config generation 1'; then
	ok "the daemon plans the config under faketime on 2030-11-20"
else
	not_ok "the daemon plans the config under faketime on 2030-11-20" \
	    "$(cat "$T/day.log")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10

DB=$T/day/day.db
dues() {	# dues CAMPAIGN KIND ITEM -- planned instants, sorted
	sqlite3 -batch -cmd '.timeout 2000' "$DB" "SELECT due FROM jobs
	    WHERE campaign = '$1' AND kind = '$2' AND item = '$3' ORDER BY due"
}
is "$(dues c1 overdue final)" "$(py_epoch '2030-11-27 17:30')" \
    "date-only due \"2030-11-27\": the overdue notice is at 17:30 that day, not 00:00"
is "$(dues c1 reminder final)" "$(py_epoch '2030-11-26 17:30')" \
    "... the 1d reminder at 2030-11-26 17:30"
is "$(dues c1 escalation final)" "$(py_epoch '2030-11-28 17:30')" \
    "... the escalation 1d after, 2030-11-28 17:30"
is "$(dues c1 phase report)" "$(py_epoch '2030-11-25 09:00')" \
    "date-only phase start \"2030-11-25\": its notice at 09:00"
is "$(dues c2 overdue d)" "$(py_epoch '2030-11-27 16:00')" \
    "campaign day_end \"16:00\" overrides the default for its due dates"
is "$(dues c2 phase p)" "$(py_epoch '2030-11-25 08:30')" \
    "campaign day_start \"08:30\" overrides the default for its notices"
is "$(dues c2 digest digest | python3 -c 'import sys, datetime, zoneinfo
z = zoneinfo.ZoneInfo("Asia/Shanghai")
print(" ".join(sorted({datetime.datetime.fromtimestamp(int(l), z).strftime("%H:%M")
    for l in sys.stdin if l.strip()})) or "none")')" "08:30" \
    "digest = true: every daily digest at the campaign's day_start, 08:30"

# Fire it: from 17:29:57 the overdue notice must reach the channel at 17:30.
rm -f "$DB"* sent.log
start_bg "$T/fire.log" fake_at '2030-11-27 17:29:57' "$HERALDD" -f -c day.conf
pid=$BG_PID
seventeen30=$(date -u -d "@$(py_epoch '2030-11-27 17:30')" '+%Y-%m-%dT%H:%M:%SZ')
if wait_until 20 log_has sent.log "\"kind\":\"overdue\".*\"due\":\"$seventeen30\"|\"due\":\"$seventeen30\".*\"kind\":\"overdue\""; then
	ok "under faketime the overdue notice for \"2030-11-27\" is sent (due $seventeen30)"
else
	not_ok "under faketime the overdue notice for \"2030-11-27\" is sent (due $seventeen30)" \
	    "$(cat sent.log 2>/dev/null)" "$(tail -20 "$T/fire.log")"
fi
# The channel writes sent.log before the outcome is committed (at the end
# of the loop turn): wait for the row rather than read it once.
overdue_rows() {	# overdue_rows [CONDITION]
	sqlite3 -batch -cmd '.timeout 2000' "$DB" "SELECT state, late FROM jobs
	    WHERE campaign = 'c1' AND kind = 'overdue' ${1:+AND $1}"
}
delivered_on_time() {
	[ -n "$(overdue_rows "state = 'delivered' AND late = 0")" ]
}
if wait_until 10 delivered_on_time; then
	ok "... delivered on time, not late"
else
	not_ok "... delivered on time, not late" "state|late: $(overdue_rows)"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
# Started at 17:29:57, the phase notices, the reminder and the earlier
# digests are long past.
is "$(unexpected_warnings "$T/fire.log" \
    'CLOCK NOT SYNCHRONIZED|missed: (phase|reminder|digest) ')" "" \
    "no unexpected warnings"

# --- 2. no calendar group: weekends are days off ---------------------------
mkdir -p "$T/wk"
cd "$T/wk" || exit 1
cat >wk.conf <<'CONF'
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:wk.db"; };
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c1"; title = "测试活动"; period = [ "2030-11-01", "2030-12-31" ];
  deadlines = ( { id = "d1"; title = "报送名单"; due = "2030-12-02 10:00";
                  audience = [ "bj-wang" ]; remind = [ "2d" ]; } );
} );
CONF
out=$("$HERALDD" -t -c wk.conf 2>&1)
like "$out" '1 moved to a workday' \
    "heraldd -t: the Saturday reminder is moved to a workday"
start_bg "$T/wk.log" fake_at '2030-11-20 10:00:00' "$HERALDD" -f -c wk.conf
pid=$BG_PID
wait_until 15 log_has "$T/wk.log" 'ready: config generation 1' ||
    not_ok "the weekend config starts" "$(cat "$T/wk.log")"
kill -TERM "$pid"
wait_exit "$pid" 10
DB=$T/wk/wk.db
is "$(dues c1 reminder d1)" "$(py_epoch '2030-11-29 10:00')" \
    "no calendar group: the 2d reminder (Sat 2030-11-30 10:00) moves to Fri 2030-11-29 10:00"

# --- 3. a year the calendar does not cover, in status ----------------------
mkdir -p "$T/yr"
cd "$T/yr" || exit 1
cat >yr.conf <<'CONF'
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:yr.db"; };
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
calendar = { years = ( { year = 2029; holidays = (
  { name = "国庆节"; from = "2029-10-01"; to = "2029-10-07"; } ); } ); };
campaigns = ( {
  id = "c1"; title = "测试活动"; period = [ "2029-12-01", "2030-10-31" ];
  deadlines = ( { id = "d1"; title = "报送名单"; due = "2030-10-08 17:00";
                  audience = [ "bj-wang" ]; remind = [ "7d" ]; } );
} );
CONF
want='yr.conf:7: warning: campaign "c1" has dates in 2030, a year the calendar does not cover (calendar years: 2029): only weekends are days off there'
"$HERALDD" -t -c yr.conf >/dev/null 2>"$T/yr.err"
is "$(grep -F 'warning:' "$T/yr.err")" "$want" \
    "heraldd -t warns about 2030 at the campaign (its period reaches into 2030)"
start_bg "$T/yr.log" "$HERALDD" -f -c yr.conf
pid=$BG_PID
if wait_listen "$T/yr.log"; then
	ok "the daemon with the warning starts and listens"
else
	not_ok "the daemon with the warning starts and listens" "$(cat "$T/yr.log")"
fi
# The model checked is the one started (not loaded again): its warning
# still reaches the log at the start, as a second load's did.
is "$(grep -cF "start: $want" "$T/yr.log")" 1 \
    "the start logs the config's warning once"
status=$(curl -s "$API/v1/status")
is "$(printf '%s' "$status" | python3 -c 'import sys, json
print("\n".join(json.load(sys.stdin)["last_reload"]["warnings"]))')" "$want" \
    "GET /v1/status: last_reload.warnings holds the running config's warning"
ctl=$("$HERALDCTL" -u "$API" status 2>&1)
like "$ctl" "config warnings: +$(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|]/\\&/g')" \
    "heraldctl status prints it under \"config warnings:\""
kill -TERM "$pid"
wait_exit "$pid" 10

done_testing
