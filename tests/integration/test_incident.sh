#!/bin/bash
# test_incident.sh - issue 14: an emergency incident end to end, with a
# real heraldd, real time and the recording webhook receiver.  The plan
# is shortened (repeat every 6 s, escalation to the desk after 9 s) so
# the waves come within the test:
#   - a trigger over the API alerts every recipient on every channel it
#     has (lead: two, member: one), once per wave; a second trigger at the
#     venue is the same incident;
#   - a drill marks every message 【演练】;
#   - unacknowledged, the repeat at +6 s and the escalation at +9 s come
#     at their instants (arrival times from the receiver's own clock);
#   - kill -9 after the escalation and start again: the repeat at +12 s
#     and the next one at +18 s still come on time;
#   - ack over the API: no alert after it (beyond those in flight), one
#     taking-charge notice per person alerted, naming who and when; a
#     second ack is idempotent; resolve: one closing notice each, with
#     the note; bad requests are 4xx JSON and record nothing.
# Expected counts come from the config written here, not from herald.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
TOKEN='tok-incident-7f3a'
cd "$T" || exit 1

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
call() {	# call METHOD PATH [CURL ARGS...] -- CODE, body in $T/body
	local m=$1 p=$2
	shift 2
	CODE=$(curl -sS -o "$T/body" -w '%{http_code}' -X "$m" "$@" \
	    "$API$p" 2>"$T/curl.err") || CODE="curl failed: $(cat "$T/curl.err")"
}
post() {	# post PATH JSON
	call POST "$1" -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "$2"
}
jv() {		# jv EXPR -- a Python expression over the last body (j)
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)' \
	    "$T/body" "$1" 2>&1
}
# posts KIND [CONTACT] [CHANNEL] -- posts of that kind the receiver logged
posts() {
	$PY - "$T/hooks.jsonl" "$@" <<'PY' 2>/dev/null || echo 0
import json, sys
kind, who, ch = (sys.argv[2:] + [None, None])[:3]
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    n += (b["kind"] == kind and (who is None or b["contact"] == who) and
          (ch is None or r["path"].startswith("/ok/%s/" % ch)))
print(n)
PY
}
# arrivals KIND CONTACT -- receiver times of its posts, one a line
arrivals() {
	$PY - "$T/hooks.jsonl" "$1" "$2" <<'PY' 2>/dev/null
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    if b["kind"] == sys.argv[2] and b["contact"] == sys.argv[3]:
        print("%.3f" % r["t"])
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

# lead: hook-a (chain) and hook-b (copy); member: hook-a; desk: hook-b,
# alerted by the escalation only.
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "token";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "hook-a"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook-a/x"; rate = "100/s"; },
  { name = "hook-b"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook-b/x"; rate = "100/s"; }
);
contacts = (
  { id = "lead"; name = "张丽"; prefer = [ "hook-a" ]; always = [ "hook-b" ]; },
  { id = "member"; name = "王强"; prefer = [ "hook-a" ]; },
  { id = "desk"; name = "值班室"; prefer = [ "hook-b" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "stampede"; title = "促销场所踩踏事故应急预案"; level = 1;
    alert = [ "lead", "member" ]; steps = "立即疏散"; repeat = "6s";
    escalate = ( { after = "9s"; to = [ "desk" ]; } ); } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if ! wait_listen "$T/heraldd.log"; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	done_testing
	exit 0
fi

# --- bad requests record nothing ---
post /v1/incidents '{"plan": "flood", "venue": "XX商场", "note": "n"}'
is "$CODE $(jv 'j["error"]')" '400 unknown plan "flood"' "unknown plan: 400 naming it"
post /v1/incidents '{"plan": "stampede", "note": "n"}'
is "$CODE $(jv 'j["error"]')" '400 missing field "venue"' "missing venue: 400"
post /v1/incidents "{\"plan\": \"stampede\", \"venue\": \"$(printf 'v%.0s' $(seq 201))\", \"note\": \"n\"}"
is "$CODE $(jv 'j["error"]')" '400 venue too long: 201 bytes, at most 200' "oversize venue: 400"
post /v1/incidents '{"plan": "stampede", "venue": "X", "note": '
is "$CODE" 400 "bad JSON: 400"
post /v1/incidents/00000000-0000-4000-8000-000000000000/ack '{"by": "lead"}'
is "$CODE" 404 "ack of an unknown incident: 404"
is "$(q 'SELECT count(*) FROM incidents') $(q 'SELECT count(*) FROM jobs')" "0 0" \
    "... nothing recorded"

# --- a drill: every message marked ---
post /v1/incidents '{"plan": "stampede", "venue": "演练场", "note": "季度演练", "drill": true}'
is "$CODE" 201 "a drill is triggered"
drill=$(jv 'j["id"]')
wait_until 10 test "$(posts emergency)" -ge 3
post "/v1/incidents/$drill/resolve" '{"by": "desk", "note": "演练结束"}'
is "$CODE" 200 "the drill is resolved"
wait_until 10 test "$(posts incident-close)" -ge 2
drill_ok=$($PY - "$T/hooks.jsonl" <<'PY'
import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1], encoding="utf-8")]
print(len(bodies), all(b["body"].startswith("【演练】") and
    (b["subject"] or "【演练】").startswith("【演练】") for b in bodies))
PY
)
like "$drill_ok" '^[0-9]+ True$' "every message of the drill starts with 【演练】 ($drill_ok)"
: >"$T/hooks.jsonl"

# --- a real incident ---
t0=$(date +%s.%N)
post /v1/incidents '{"plan": "stampede", "venue": "XX商场", "note": "三楼扶梯口人群拥挤"}'
is "$CODE $(jv 'j["existing"]')" "201 false" "triggered: 201"
id=$(jv 'j["id"]')
created=$(q "SELECT created_at FROM incidents WHERE id = '$id'")
post /v1/incidents '{"plan": "stampede", "venue": "XX商场", "note": "again"}'
is "$CODE $(jv 'j["existing"]') $(jv 'j["id"]')" "200 true $id" \
    "a second trigger at the venue returns the same incident"

wave0() { [ "$(posts emergency)" -ge 3 ]; }
wait_until 10 wave0
# What it took, for the record (not a test point: a loaded machine).
$PY - "$T/hooks.jsonl" "$t0" <<'PY'
import json, sys
t = sorted(json.loads(l)["t"] for l in open(sys.argv[1], encoding="utf-8")
           if json.loads(json.loads(l)["body"])["kind"] == "emergency")[:3]
t0 = float(sys.argv[2])
print("# trigger -> first alert %.0f ms, -> last of wave 0 %.0f ms" %
      ((t[0] - t0) * 1000, (t[-1] - t0) * 1000))
PY
is "$(posts emergency lead hook-a) $(posts emergency lead hook-b) $(posts emergency member hook-a) $(posts emergency desk)" \
    "1 1 1 0" "wave 0: lead on both its channels, member on its one, not the desk"
body=$($PY -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(l)["body"])
    if b["kind"] == "emergency": print(b["body"]); break' "$T/hooks.jsonl")
like "$body" '^【应急】促销场所踩踏事故应急预案（1级）：立即疏散' "the alert names the plan and level"
like "$body" '地点：XX商场' "... the venue"
like "$body" '情况：三楼扶梯口人群拥挤' "... the note"

# The escalation at +9 s: repeat 1 (+6 s) came before it.
esc() { [ "$(posts emergency desk)" -ge 1 ]; }
if wait_until 15 esc; then ok "the escalation reaches the desk"; else
	not_ok "the escalation reaches the desk" "$(tail -5 "$T/heraldd.log")"; fi
timing=$($PY - "$created" "$(arrivals emergency member)" "$(arrivals emergency desk)" <<'PY'
import sys
c = float(sys.argv[1])
m = [float(x) - c for x in sys.argv[2].split()]
d = [float(x) - c for x in sys.argv[3].split()]
# member: +0 and +6; desk: +9 (each within 2.5 s of its instant)
ok = len(m) >= 2 and 5.9 <= m[1] <= 8.5 and len(d) >= 1 and 8.9 <= d[0] <= 11.5
print("ok" if ok else "member %s desk %s" % (m, d))
PY
)
is "$timing" ok "the repeat at +6 s and the escalation at +9 s came at their instants"

# --- kill -9 after the escalation, start again ---
kill -KILL "$pid"
wait_exit "$pid" 5
start_bg "$T/heraldd2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
wait_listen "$T/heraldd2.log" || not_ok "heraldd starts again" "$(tail -5 "$T/heraldd2.log")"
r3() { [ "$(arrivals emergency desk | wc -l)" -ge 3 ]; }
if wait_until 15 r3; then ok "after the restart the repeats go on"; else
	not_ok "after the restart the repeats go on" "$(tail -10 "$T/heraldd2.log")"; fi
timing=$($PY - "$created" "$(arrivals emergency desk)" <<'PY'
import sys
c = float(sys.argv[1])
d = sorted(float(x) - c for x in sys.argv[2].split())
# desk: +9 (escalation), +12 (repeat 2, planned before the kill), +18
# (repeat 3, planned by the restarted daemon)
ok = len(d) >= 3 and 11.9 <= d[1] <= 14.5 and 17.9 <= d[2] <= 20.5
print("ok" if ok else "desk %s" % d)
PY
)
is "$timing" ok "repeats at +12 s and +18 s on time across the kill -9"

# --- ack ---
post "/v1/incidents/$id/ack" '{"by": "lead"}'
is "$CODE $(jv 'j["already"]') $(jv 'j["state"]')" "200 false acked" "ack: 200"
acked_at=$(q "SELECT acked_at FROM incidents WHERE id = '$id'")
n_alerts=$(posts emergency)
notices() { [ "$(posts incident-ack)" -ge 3 ]; }
wait_until 10 notices
is "$(posts incident-ack lead) $(posts incident-ack member) $(posts incident-ack desk)" "1 1 1" \
    "one taking-charge notice per person alerted"
hhmm=$(TZ=Asia/Shanghai date -d "@$acked_at" +%H:%M)
body=$($PY -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(l)["body"])
    if b["kind"] == "incident-ack": print(b["body"]); break' "$T/hooks.jsonl")
is "$body" "【应急】促销场所踩踏事故应急预案：负责人：张丽，$hhmm 已接手（XX商场）。" \
    "the notice names who took charge and when"
post "/v1/incidents/$id/ack" '{"by": "member"}'
is "$CODE $(jv 'j["already"]') $(jv 'j["acked"]["by"]')" "200 true lead" \
    "a second ack is idempotent"
# Past the next repeat (+24 s from the trigger, or 7 s from now).
sleep 7
after=$(posts emergency)
# At most the alerts being sent at the ack (channel concurrency).
like "$((after - n_alerts))" '^[0-3]$' "no alerts after the ack ($n_alerts then $after)"
is "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND state = 'pending'")" 0 \
    "... none pending"
is "$(posts incident-ack)" 3 "... and no second round of notices"

# --- resolve ---
post "/v1/incidents/$id/resolve" '{"by": "desk", "note": "人群已疏散"}'
is "$CODE $(jv 'j["state"]')" "200 resolved" "resolve: 200"
closes() { [ "$(posts incident-close)" -ge 3 ]; }
wait_until 10 closes
is "$(posts incident-close lead) $(posts incident-close member) $(posts incident-close desk)" "1 1 1" \
    "one closing notice per person alerted"
body=$($PY -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(l)["body"])
    if b["kind"] == "incident-close": print(b["body"]); break' "$T/hooks.jsonl")
like "$body" '人群已疏散$' "the closing notice carries the note"
post "/v1/incidents/$id/ack" '{"by": "lead"}'
is "$CODE" 409 "ack of a resolved incident: 409"

call GET "/v1/incidents/$id"
is "$CODE $(jv '[e["what"] for e in j["events"]][:2]') $(jv 'j["acked"]["door"]')" \
    '200 ["trigger", "alert"] api' "GET /v1/incidents/ID: timeline and door"
is "$(jv 'len(j["alerts"]) > 0 and all("recipient" in a and "channel" in a and "outcome" in a for a in j["alerts"])')" \
    true "... every alert with recipient, channel and outcome"

# --- heraldctl: the same doors through the API ---
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
ctl() {
	"$HERALDCTL" -u "$API" -T "$T/token" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	RC=$?
}
ctl incident trigger --note "二号门拥堵" stampede "YY广场"
is "$RC" 0 "heraldctl incident trigger exits 0"
id2=$(sed -n 's/^incident \([0-9a-f-]\{36\}\).*/\1/p' "$T/ctl.out")
is "$(q "SELECT venue || '|' || note || '|' || source FROM incidents WHERE id = '$id2'")" \
    "YY广场|二号门拥堵|api" "... recorded with venue and note"
ctl incident trigger stampede "YY广场"
is "$RC $(cat "$T/ctl.err")" "2 heraldctl: incident: trigger needs --note (see heraldctl help)" \
    "trigger without --note is a usage error"
ctl incident trigger --note x flood "YY广场"
is "$RC $(cat "$T/ctl.err")" '1 heraldctl: unknown plan "flood" (HTTP 400)' \
    "an unknown plan: the server's reason, exit 1"
ctl incident list --state open
like "$(cat "$T/ctl.out")" "$id2 +open .*stampede +YY广场" "incident list shows the open one"
wait_until 10 test "$(posts emergency member)" -ge 6
ctl incident ack --by member "$id2"
is "$RC $(q "SELECT acked_by || '|' || acked_door FROM incidents WHERE id = '$id2'")" \
    "0 member|api" "heraldctl incident ack: by member through the API"
ctl incident resolve "$id2"
is "$RC" 2 "resolve without --note is a usage error"
ctl incident resolve --by desk --note "已疏导" "$id2"
is "$RC $(q "SELECT state || '|' || resolved_note FROM incidents WHERE id = '$id2'")" \
    "0 resolved|已疏导" "heraldctl incident resolve --note"
ctl incident show "$id2"
like "$(cat "$T/ctl.out")" 'acked +王强 \(member\) via api' "incident show: who took charge, through which door"
like "$(cat "$T/ctl.out")" 'resolve +by desk via api: 已疏导' "... and the timeline"
ctl incident ack "$id2"
is "$RC" 1 "acking a resolved incident fails (409)"

is "$(unexpected_warnings "$T/heraldd.log" 'incident|stop')" "" "no unexpected warnings"
done_testing
