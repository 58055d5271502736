#!/bin/bash
# test_engine_supersede.sh - after downtime, two reminders of one deadline
# for one contact, planned more than a minute apart, that both fell due
# (both inside their grace) send only the latest; the earlier is recorded
# as superseded, and that state shows in the store, GET /v1/jobs/KEY, the
# agenda (API and heraldctl), /v1/status and /metrics.  A reminder of
# another deadline due in the same downtime is sent late as usual.
#
#   deadline d:  reminders at A = T+10 and B = T+75 (65 s apart)
#   deadline e:  one reminder at T+11
. "$top_srcdir/tests/integration/lib.sh"
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
export LC_ALL=C
unset HERALD_URL HERALD_TOKEN_FILE

past() {	# past EPOCH -- the wall clock has reached EPOCH
	[ "$(date +%s)" -ge "$1" ]
}

sql() {
	sqlite3 -batch -cmd '.timeout 2000' "$T/h.db" "$1"
}

settled() {	# settled -- no job is pending or inflight
	[ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('pending', 'inflight')")" = 0 ]
}

now=$(date +%s)
A=$((now + 10))
B=$((now + 75))
E=$((now + 11))
DUE=$((now + 600))
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; grace = { reminder = "2m"; }; prefetch = "1s"; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c"; title = "停机演练";
  period = [ "$(sh_civil $((now - 3600)))", "$(sh_civil $((now + 86400)))" ];
  deadlines = (
    { id = "d"; title = "报送材料"; due = "$(sh_civil $DUE)";
      audience = [ "bj-wang" ]; remind = [ "$((DUE - A))s", "$((DUE - B))s" ];
      overdue = false; },
    { id = "e"; title = "报送名单"; due = "$(sh_civil $DUE)";
      audience = [ "bj-wang" ]; remind = [ "$((DUE - E))s" ]; overdue = false; }
  );
} );
CONF
cd "$T" || exit 1

start_bg "$T/d1.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d1.log" 'planned 3 jobs: 3 new'; then
	ok "three reminders are planned"
else
	not_ok "three reminders are planned" "$(cat "$T/d1.log")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the daemon stops before the first reminder"
if past "$A"; then
	not_ok "the stop came before the first instant" "now $(date +%s), instant $A"
else
	ok "the stop came before the first instant"
fi
is "$(sql "SELECT item, due, state FROM jobs ORDER BY due")" \
    "$(printf '%s\n' "d|$A|pending" "e|$E|pending" "d|$B|pending")" \
    "the reminders are pending at their instants"
KA=$(sql "SELECT key FROM jobs WHERE item = 'd' AND due = $A")
KB=$(sql "SELECT key FROM jobs WHERE item = 'd' AND due = $B")

# Downtime across all three instants: back 3 s after the last.
if wait_until 90 past $((B + 3)); then
	ok "3 s past the last instant"
else
	not_ok "3 s past the last instant"
fi
start_bg "$T/d2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if ! wait_listen "$T/d2.log"; then
	not_ok "the daemon restarts" "$(cat "$T/d2.log")"
fi
if wait_until 10 settled; then
	ok "after the restart no reminder is left pending"
else
	not_ok "after the restart no reminder is left pending" "$(sql "SELECT * FROM jobs")"
fi

is "$(sql "SELECT item, due, state, late FROM jobs ORDER BY due")" \
    "$(printf '%s\n' "d|$A|superseded|0" "e|$E|delivered|1" "d|$B|delivered|1")" \
    "d's earlier reminder is superseded, its later one and e's are sent late"
is "$(lines "$T/sent.log")" 2 "two messages reached the channel"
like "$(grep '"contact":"bj-wang"' "$T/sent.log" | grep -c "\"key\":\"$KB\"")" '^1$' \
    "... d's later reminder once"
is "$(grep -c "\"key\":\"$KA\"" "$T/sent.log")" 0 "... and never the earlier one"
is "$(sql "SELECT state, detail FROM events WHERE key = '$KA'")" \
    "superseded|superseded by $KB" \
    "the store records one superseded event naming the later reminder"
like "$(cat "$T/d2.log")" "superseded: reminder c/d for bj-wang via log by $KB" \
    "the daemon log says so"

# Where states are shown.
curl -s "$API/v1/jobs/$KA" >"$T/job.json"
is "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print(j["state"], j["history"][-1]["state"], j["history"][-1]["detail"])' "$T/job.json")" \
    "superseded superseded superseded by $KB" \
    "GET /v1/jobs/KEY shows the state and the history entry"
curl -s "$API/v1/agenda?from=0&state=superseded" >"$T/agenda.json"
is "$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))
print(a["count"], " ".join(j["key"] for j in a["jobs"]))' "$T/agenda.json")" "1 $KA" \
    "GET /v1/agenda?state=superseded lists it"
like "$("$HERALDCTL" -u "$API" agenda --from 0 --state superseded 2>&1)" "$KA" \
    "heraldctl agenda --state superseded lists it"
like "$(curl -s "$API/metrics")" '^herald_jobs\{state="superseded"\} 1$' \
    "/metrics counts one superseded job"
is "$(curl -s "$API/v1/status" | python3 -c 'import json,sys
print(json.load(sys.stdin)["jobs"]["superseded"])')" 1 "GET /v1/status counts it"

kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the daemon stops"
is "$(cat "$T"/d?.log | unexpected_warnings /dev/stdin)" "" "no warnings"

done_testing
