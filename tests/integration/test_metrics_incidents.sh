#!/bin/bash
# test_metrics_incidents.sh - issue 14: the incidents' part of /metrics
# with a real heraldd and the recording webhook receiver.  A real
# incident and a drill are triggered (the real one twice: the second is
# the same incident and no new trigger), the real one is acknowledged,
# and /metrics, read with prometheus_client's parser, must say:
#   - open: the drill open, the real one acked, apart by the drill label;
#   - triggered: one each through the API, none through Alertmanager;
#   - alerts sent per channel: what the receiver got (lead on hook-a and
#     hook-b, member on hook-a), for each of the two;
#   - notices: one taking-charge notice per person alerted, real only;
#   - time to first alert and to acknowledgement: one sample each, no
#     longer than the test took;
#   - an incident from Alertmanager's webhook counted under its door;
# and the same after a restart (the numbers come from the store).
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
TOKEN='tok-metrics-inc-51c2'
cd "$T" || exit 1

if ! $PY -c 'import prometheus_client' 2>/dev/null; then
	ok "# SKIP python3-prometheus-client not installed"
	done_testing
	exit 0
fi
q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
post() {	# post PATH JSON -- CODE, body in $T/body
	CODE=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST \
	    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	    --data-binary "$2" "$API$1" 2>"$T/curl.err") || CODE="curl failed"
}
jid() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body"; }
# posts KIND [CHANNEL] -- posts of that kind the receiver logged
posts() {
	$PY - "$T/hooks.jsonl" "$@" <<'PY' 2>/dev/null || echo 0
import json, sys
kind, ch = (sys.argv[2:] + [None])[:2]
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    n += b["kind"] == kind and (ch is None or r["path"].startswith("/ok/%s/" % ch))
print(n)
PY
}
# metric NAME LABEL=VALUE... -- the sample from a fresh scrape, "absent"
metric() {
	curl -sS "$API/metrics" >"$T/metrics.txt" 2>/dev/null
	$PY - "$T/metrics.txt" "$@" <<'PY' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families
name, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for f in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in f.samples:
        if s.name == name and s.labels == want:
            print("%g" % s.value)
            sys.exit(0)
print("absent")
PY
}

start_bg "$T/receiver.out" $PY "$RECEIVER" --port-file "$T/hooks.port" \
    --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/hooks.port"; then
	not_ok "the receiver starts" "$(cat "$T/receiver.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/hooks.port")
printf '%s\n' "$TOKEN" >token
chmod 600 token
now=$(date +%s)

# lead: hook-a (chain) and hook-b (copy); member: hook-a.  A long repeat:
# only wave 0 goes out while the test runs.
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "token"; alertmanager = { };
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "hook-a"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook-a/x"; rate = "100/s"; },
  { name = "hook-b"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook-b/x"; rate = "100/s"; }
);
contacts = (
  { id = "lead"; name = "张丽"; prefer = [ "hook-a" ]; always = [ "hook-b" ]; },
  { id = "member"; name = "王强"; prefer = [ "hook-a" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "stampede"; title = "促销场所踩踏事故应急预案"; level = 1;
    alert = [ "lead", "member" ]; steps = "立即疏散"; repeat = "1h"; } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if ! wait_listen "$T/heraldd.log"; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	done_testing
	exit 0
fi

is "$(metric herald_incidents_open state=open drill=false) $(metric herald_incident_alerts_sent_total channel=hook-a drill=true) $(metric herald_incident_first_alert_seconds_count drill=false)" \
    "0 0 0" "before any incident: the series are there, at zero"

t_start=$(date +%s)
post /v1/incidents '{"plan": "stampede", "venue": "演练场", "note": "季度演练", "drill": true}'
is "$CODE" 201 "a drill is triggered"
post /v1/incidents '{"plan": "stampede", "venue": "XX商场", "note": "三楼扶梯口人群拥挤"}'
is "$CODE" 201 "a real incident is triggered"
id=$(jid)
post /v1/incidents '{"plan": "stampede", "venue": "XX商场", "note": "again"}'
is "$CODE" 200 "a second trigger at the venue is the same incident"
# Each: lead on two channels, member on one.
wait_until 15 test "$(posts emergency)" -ge 6
wait_until 10 test "$(q "SELECT count(*) FROM jobs WHERE kind = 'emergency' AND state = 'delivered'")" -ge 6
post "/v1/incidents/$id/ack" '{"by": "lead"}'
is "$CODE" 200 "the real incident is acknowledged"
# Everyone alerted gets one taking-charge notice.
wait_until 15 test "$(q "SELECT count(*) FROM jobs WHERE kind = 'incident-ack' AND state = 'delivered'")" -ge 2
t_end=$(date +%s)
# A second real incident, from a venue's monitoring through Alertmanager.
post /v1/incidents/alertmanager '{"version": "4", "status": "firing", "receiver": "herald",
  "groupKey": "{}:{alertname=\"CrowdDensity\"}", "alerts": [{"status": "firing",
  "labels": {"alertname": "CrowdDensity", "plan": "stampede", "venue": "YY广场"},
  "annotations": {"summary": "人流密度超限"}}]}'
is "$CODE" 200 "Alertmanager's webhook triggers a real incident"
wait_until 10 test "$(q "SELECT count(*) FROM jobs WHERE kind = 'emergency' AND state = 'delivered'")" -ge 9
# Two real incidents and one drill, 3 alerts each (lead 2, member 1).
is "$(posts emergency hook-a) $(posts emergency hook-b) $(posts incident-ack)" "6 3 2" \
    "the receiver got 6 alerts on hook-a, 3 on hook-b, 2 notices"

check_all() {	# check_all WHEN
	local w=$1 v
	is "$(metric herald_incidents_open state=open drill=true) $(metric herald_incidents_open state=acked drill=false) $(metric herald_incidents_open state=open drill=false) $(metric herald_incidents_open state=acked drill=true)" \
	    "1 1 1 0" "$w: open incidents: the drill and Alertmanager's open, the API's acked"
	is "$(metric herald_incidents_triggered_total source=api drill=false) $(metric herald_incidents_triggered_total source=api drill=true) $(metric herald_incidents_triggered_total source=alertmanager drill=false) $(metric herald_incidents_triggered_total source=alertmanager drill=true)" \
	    "1 1 1 0" "$w: triggered by door: one real and one drill through the API (the repeated trigger not counted), one through Alertmanager"
	is "$(metric herald_incident_alerts_sent_total channel=hook-a drill=false) $(metric herald_incident_alerts_sent_total channel=hook-b drill=false) $(metric herald_incident_alerts_sent_total channel=hook-a drill=true) $(metric herald_incident_alerts_sent_total channel=hook-b drill=true)" \
	    "4 2 2 1" "$w: alerts sent per channel, real and drill apart"
	v=$(( $(metric herald_incident_notices_sent_total channel=hook-a kind=ack drill=false) + \
	    $(metric herald_incident_notices_sent_total channel=hook-b kind=ack drill=false) ))
	is "$v $(metric herald_incident_notices_sent_total channel=hook-a kind=ack drill=true) $(metric herald_incident_notices_sent_total channel=hook-a kind=close drill=false)" \
	    "2 0 0" "$w: two taking-charge notices, real only"
	is "$(metric herald_incident_first_alert_seconds_count drill=false) $(metric herald_incident_first_alert_seconds_count drill=true) $(metric herald_incident_first_alert_seconds_bucket drill=false le=2) $(metric herald_incident_first_alert_seconds_bucket drill=true le=2)" \
	    "2 1 2 1" "$w: time to first alert: one sample per incident, within 2 s"
	is "$(metric herald_incident_ack_seconds_count drill=false) $(metric herald_incident_ack_seconds_count drill=true)" \
	    "1 0" "$w: time to acknowledgement: the real one only"
	v=$(metric herald_incident_ack_seconds_sum drill=false)
	check "$w: ... no longer than the test took ($v s <= $((t_end - t_start + 1)) s)" \
	    $PY -c "import sys; sys.exit(not 0 <= float('$v') <= $((t_end - t_start + 1)))"
}
check_all "running"

kill -TERM "$pid"
wait_exit "$pid" 10
start_bg "$T/heraldd2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_listen "$T/heraldd2.log"; then
	check_all "after a restart"
else
	not_ok "heraldd starts again" "$(tail -5 "$T/heraldd2.log")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
done_testing
