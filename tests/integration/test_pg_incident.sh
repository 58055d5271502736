#!/bin/bash
# test_pg_incident.sh - an incident's repeats outlive the node that
# triggered it (issue 15): two heraldd nodes on one PostgreSQL database,
# an incident with a 10 s repeat triggered through node A, A killed -9
# once wave 0 has arrived.  The trigger plans wave 0 and repeat 1; repeat
# 2 is planned when repeat 1 falls due, by a node timing the incident.
# Node B picked the incident up on its heartbeat, so:
#   - repeat 2 reaches the receiver within a few seconds of its instant
#     (created + 20 s), through B;
#   - every alert key arrives once (two nodes timing one incident plan
#     each wave once), and the timeline holds each repeat once.
# Before, only A timed it and repeat 2 waited for a restart.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
TOKEN=s3cret-token-for-tests-0123456789
R=10

pg_begin

q() { pg_psql herald "$1" 2>/dev/null; }

receiver_start
printf '%s\n' "$TOKEN" >token
chmod 600 token

# arrivals -- "keys posts" and the arrival times, one a line, of /alert/x
arrivals() {
	$PY - "$T/hooks.jsonl" <<'PY' 2>/dev/null
import collections, json, sys
n, ts = collections.Counter(), []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["path"] == "/alert/x":
        n[json.loads(r["body"])["key"]] += 1
        ts.append(r["t"])
print(len(n), sum(n.values()))
for t in sorted(ts):
    print("%.3f" % t)
PY
}

now=$(date +%s)
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$PG_URL"; api_token_file = "token";
  engine = { workdays_only = [ ]; prefetch = "1s"; lease = "6s"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/alert/x"; rate = "100/s"; } );
contacts = (
  { id = "p1"; name = "组员1"; prefer = [ "hook" ]; },
  { id = "p2"; name = "组员2"; prefer = [ "hook" ]; } );
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "stampede"; title = "踩踏事故应急预案"; level = 1;
    alert = [ "p1", "p2" ]; steps = "立即疏散"; repeat = "${R}s"; } ); } );
CONF

start_bg "$T/a.log" "$HERALDD" -f -c h.conf
pa=$BG_PID
start_bg "$T/b.log" "$HERALDD" -f -c h.conf
pb=$BG_PID
if wait_listen "$T/a.log" 30 && aa=$API && wait_listen "$T/b.log" 30; then
	ok "two nodes start on one database"
else
	not_ok "two nodes start" "$(tail -n 5 "$T/a.log" "$T/b.log")"
	done_testing
	exit 1
fi

curl -s -o "$T/body" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "stampede", "venue": "XX商场", "note": "人群拥挤"}' "$aa/v1/incidents"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body" 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered through node A ($id)"
created=$(q "SELECT created_at FROM incidents WHERE id = '$id'")
wave0() { [ "$(arrivals | head -1 | cut -d' ' -f2)" -ge 2 ]; }
check "wave 0 arrives" wait_until 10 wave0
kill -KILL "$pa"
wait_exit "$pa" 5
# Repeat 2 is due at created + 2R; wait a little past it.
three() { [ "$(arrivals | head -1 | cut -d' ' -f2)" -ge 6 ]; }
wait_until $((created + 2 * R - $(date +%s) + 15)) three
sleep 2
arrivals >"$T/arr"
is "$(head -1 "$T/arr")" "6 6" "waves 0, 1 and 2 arrive, each key once"
last=$(tail -1 "$T/arr")
echo "# repeat 2 due at $((created + 2 * R)), last arrival $last"
check "repeat 2 arrives within 4 s of its instant, with node A dead" \
    $PY -c "import sys; sys.exit(not ($((created + 2 * R)) - 0.05 <= $last < $((created + 2 * R + 4))))"
like "$(grep 'picked up from the store' "$T/b.log")" "incident $id" \
    "node B timed the incident triggered through A"
is "$(q "SELECT count(*) FROM incident_events WHERE incident = '$id' AND what = 'repeat' AND detail = '+${R}s'")" 1 \
    "the timeline holds repeat 1 once"
is "$(q "SELECT count(*) FROM incident_events WHERE incident = '$id' AND what = 'repeat' AND detail = '+$((2 * R))s'")" 1 \
    "the timeline holds repeat 2 once"
kill -TERM "$pb"
wait_exit "$pb" 15
is "$EXIT_STATUS" 0 "node B stops on SIGTERM"
is "$(unexpected_warnings "$T/b.log" 'CLOCK NOT SYNCHRONIZED|lease ran out')" "" "no unexpected warnings on node B"
done_testing
