#!/bin/bash
# test_alertmanager.sh - a real Prometheus Alertmanager (Debian's
# prometheus-alertmanager) pointed at heraldd's POST
# /v1/incidents/alertmanager with the bearer token from a file, as an
# operator would wire it.  Alerts are posted to Alertmanager's own API
# (/api/v2/alerts); what heraldd received is read from its log, one
# "alertmanager: firing|resolved plan=... venue=..." line per alert it
# applies, and one "skipped" line per alert it cannot use.
#
# Alertmanager only sends a resolved alert in a group that still has a
# firing one until a notification went through (its notification log
# stays empty while herald answers 5xx), so the group here is by plan:
# one venue is resolved while the others still fire.
#
# What the alerts became is read back with GET /v1/incidents: an incident
# open through the alertmanager door, one resolved by it.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8


AM=$(command -v prometheus-alertmanager || true)
if [ -z "$AM" ]; then
	echo "1..0 # SKIP prometheus-alertmanager is not installed"
	exit 0
fi
PY=/usr/bin/python3
TOKEN='tok-am-5c1d0e77-alertmanager-test'
cd "$T" || exit 1
printf '%s\n' "$TOKEN" >token
printf 'not-the-token\n' >wrong.token
chmod 600 token wrong.token

# A free loopback port (bound and released: another test could take it
# in between, in which case Alertmanager fails to start and says so).
free_port() {
	$PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cat >h.conf <<'CONF'
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  listen = "127.0.0.1:0";
  api_token_file = "token";
  alertmanager = { };
};
channels = ( { name = "log"; plugin = "log"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "log" ]; } );
campaigns = ( {
  id = "c1"; title = "国庆促销";
  period = [ "2030-09-09", "2030-10-08" ];
  plans = ( { id = "stampede"; title = "促销场所踩踏事故应急预案"; level = 1;
    alert = [ "bj-wang" ]; repeat = "5m"; steps = "1. 疏散 2. 报告"; } );
} );
CONF

start_bg "$T/d.log" "$HERALDD" -f -c h.conf
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts and listens ($API)"
else
	not_ok "heraldd starts and listens" "$(cat "$T/d.log")"
	done_testing
	exit 1
fi

# --- The endpoint itself, before any Alertmanager -----------------------

# post BODY [CURL ARGS...] -- sets CODE, the answer in $T/body.
post() {
	local body=$1
	shift
	CODE=$(curl -sS -m 10 -o "$T/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
	    "$API/v1/incidents/alertmanager" 2>"$T/curl.err") ||
	    CODE="curl failed: $(cat "$T/curl.err")"
}
jerr() {	# the last answer's "error", or <none>
	$PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"])' \
	    "$T/body" 2>/dev/null || echo '<none>'
}
expect() {	# expect CODE ERROR DESCRIPTION
	local e
	e=$(jerr)
	if [ "$CODE" = "$1" ] && [ "$e" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "expected $1 {\"error\": \"$2\"}" "got $CODE: $(head -c 400 "$T/body")"
	fi
}
auth=(-H "Authorization: Bearer $TOKEN")

post '{"version":"4","alerts":[]}'
expect 401 'missing "Authorization: Bearer TOKEN"' "no token: 401"
post '{"version":"4","alerts":[]}' -H 'Authorization: Bearer nope'
expect 403 'wrong token' "wrong token: 403"
post '{"version":"3","alerts":[]}' "${auth[@]}"
expect 400 'payload version "3" is not "4"' "payload version 3: 400 naming it"
post '{"version":"4","alerts":[' "${auth[@]}"
like "$(jerr)" '^malformed JSON at line 1' "malformed JSON: 400 with the position ($CODE)"
post '{"version":"4","alerts":{}}' "${auth[@]}"
expect 400 '"alerts" must be an array' "alerts not an array: 400"
CODE=$(curl -sS -m 10 -o "$T/body" -w '%{http_code}' -X POST "${auth[@]}" \
    -H 'Content-Type: text/plain' --data '{}' "$API/v1/incidents/alertmanager")
expect 415 'the body must be application/json' "not JSON: 415"
# An empty group is a payload like any other: nothing to do, 200.
post '{"version":"4","status":"firing","receiver":"r","alerts":[]}' "${auth[@]}"
if [ "$CODE" = 200 ] && [ "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["applied"], j["skipped"], j["failed"], len(j["alerts"]))' "$T/body")" = "0 0 0 0" ]; then
	ok "an empty group: 200, nothing applied"
else
	not_ok "an empty group: 200, nothing applied" "$CODE $(cat "$T/body")"
fi

# The answer, per alert in payload order: one applied, one skipped.
post '{"version":"4","status":"firing","receiver":"r","truncatedAlerts":1,"alerts":[
 {"status":"firing","labels":{"alertname":"A","plan":"stampede","venue":"D馆","drill":"true"},
  "annotations":{"summary":"演练：人流密度"},"fingerprint":"f1"},
 {"status":"firing","labels":{"alertname":"B","plan":"stampede"},"fingerprint":"f2"}]}' "${auth[@]}"
summary=$($PY -c 'import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
a, b = j["alerts"]
print(j["receiver"], j["status"], j["applied"], j["skipped"], j["failed"], j["truncated"],
      "|", a["fingerprint"], a["alertname"], a["status"], a["plan"], a["venue"], a["campaign"], a["drill"],
      "|", b["fingerprint"], b["outcome"], b["reason"], b["venue"])' "$T/body" 2>&1)
want='r firing 1 1 0 1 | f1 A firing stampede D馆 None True | f2 skipped no label "venue" None'
want_code=200
outcome=$($PY -c 'import json, re, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))["alerts"][0]
print(a["outcome"], bool(re.fullmatch("[0-9a-f-]{36}", a["incident"])))' "$T/body" 2>&1)
want_outcome='triggered True'
if [ "$CODE" = "$want_code" ] && [ "$summary" = "$want" ] && [ "$outcome" = "$want_outcome" ]; then
	ok "the answer says per alert what was done or why not ($CODE)"
else
	not_ok "the answer says per alert what was done or why not" \
	    "want $want_code: $want / $want_outcome" "got  $CODE: $summary / $outcome"
fi
if log_has "$T/d.log" 'alertmanager: receiver r left out 1 alerts of group - \(max_alerts\)$'; then
	ok "truncated alerts are logged"
else
	not_ok "truncated alerts are logged" "$(grep alertmanager "$T/d.log")"
fi

# --- A real Alertmanager ------------------------------------------------

AM_PORT=$(free_port)
mkdir -p am
# group_by plan: the venues of one plan share a group, so a resolved
# venue travels with the firing ones (see the top).  1s waits: delivery
# within a second or two.  Alerts of plan "wrongtoken" go to a receiver
# with the wrong token file.
cat >am/alertmanager.yml <<YML
route:
  receiver: herald
  group_by: ['plan']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: herald-wrong-token
      matchers: ['plan="wrongtoken"']
receivers:
  - name: herald
    webhook_configs:
      - url: '$API/v1/incidents/alertmanager'
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: '$T/token'
  - name: herald-wrong-token
    webhook_configs:
      - url: '$API/v1/incidents/alertmanager'
        http_config:
          authorization:
            type: Bearer
            credentials_file: '$T/wrong.token'
YML
start_bg "$T/am.log" "$AM" --config.file="$T/am/alertmanager.yml" \
    --storage.path="$T/am/data" --web.listen-address="127.0.0.1:$AM_PORT" \
    --cluster.listen-address= --log.level=debug
AMAPI="http://127.0.0.1:$AM_PORT"
if wait_until 20 curl -sf -m 2 "$AMAPI/-/ready"; then
	ok "alertmanager starts ($AMAPI)"
else
	not_ok "alertmanager starts" "$(tail -20 "$T/am.log")"
	done_testing
	exit 1
fi

# am_post JSON -- post alerts to Alertmanager's API v2; 0 when accepted.
am_post() {
	local code
	code=$(curl -sS -m 10 -o "$T/am.body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data-binary "$1" \
	    "$AMAPI/api/v2/alerts")
	[ "$code" = 200 ] || { echo "alertmanager answered $code: $(cat "$T/am.body")"; return 1; }
}
# alerts ENDS VENUE... -- the JSON array of the test's alerts: plan
# stampede, campaign c1, a label herald does not know (zone), at each
# venue; "Z广场" is a drill, "-" a venue label left out.  ENDS: an
# ISO time for endsAt, or "" for none (firing until resolved).
alerts() {
	$PY - "$@" <<'PY'
import json, sys
ends, venues = sys.argv[1], sys.argv[2:]
out = []
for v in venues:
    labels = {"alertname": "CrowdDensity", "plan": "stampede",
              "campaign": "c1", "zone": "east"}
    if v != "-":
        labels["venue"] = v
    else:
        labels["alertname"] = "NoVenue"
    if v == "Z广场":
        labels["drill"] = "true"
    a = {"labels": labels,
         "annotations": {"summary": "人流密度超过每平方米 4 人：" + v}}
    if ends:
        a["endsAt"] = ends
    out.append(a)
print(json.dumps(out, ensure_ascii=False))
PY
}

if am_post "$(alerts '' 'X商场' 'Y广场' 'Z广场' -)"; then
	ok "alertmanager takes four alerts of plan stampede"
else
	not_ok "alertmanager takes four alerts of plan stampede"
fi
# The fingerprint Alertmanager gives X's alert, from its own API, to
# check that heraldd logs the same one.
fp_x=
for _ in $(seq 50); do
	fp_x=$(curl -sf -m 2 "$AMAPI/api/v2/alerts" | $PY -c 'import json, sys
for a in json.load(sys.stdin):
    if a["labels"].get("venue") == "X商场":
        print(a["fingerprint"])' 2>/dev/null)
	[ -n "$fp_x" ] && break
	sleep 0.1
done

firing_line() {	# firing_line VENUE DRILL
	log_has "$T/d.log" "\\[info\\] alertmanager: firing plan=stampede venue=$1 campaign=c1 drill=$2 fingerprint=[0-9a-f]+$"
}
if wait_until 30 firing_line 'X商场' no; then
	ok "heraldd received X商场's firing alert from alertmanager"
else
	not_ok "heraldd received X商场's firing alert" "$(grep alertmanager "$T/d.log" | head)" "$(tail -5 "$T/am.log")"
fi
if [ -n "$fp_x" ] && log_has "$T/d.log" "venue=X商场 campaign=c1 drill=no fingerprint=$fp_x\$"; then
	ok "with alertmanager's fingerprint $fp_x"
else
	not_ok "with alertmanager's fingerprint" "alertmanager: '$fp_x'" "$(grep 'venue=X' "$T/d.log" | head -2)"
fi
if firing_line 'Y广场' no && firing_line 'Z广场' yes; then
	ok "the same payload's Y广场, and Z广场 as a drill"
else
	not_ok "the same payload's Y广场, and Z广场 as a drill" "$(grep alertmanager "$T/d.log" | head)"
fi
if log_has "$T/d.log" '\[notice\] alertmanager: alert [0-9a-f]+ \(NoVenue\) skipped: no label "venue"$'; then
	ok "the alert without a venue label is skipped with the reason"
else
	not_ok "the alert without a venue label is skipped" "$(grep alertmanager "$T/d.log" | head)"
fi
if ! log_has "$T/d.log" 'zone|east'; then
	ok "the unknown label (zone) is ignored"
else
	not_ok "the unknown label (zone) is ignored" "$(grep -E 'zone|east' "$T/d.log")"
fi

# Resolve Y only: endsAt in the past.  X and Z still fire, so the group
# is sent again with Y as resolved.
past=$(date -u -d '-2 seconds' '+%Y-%m-%dT%H:%M:%SZ')
am_post "$(alerts "$past" 'Y广场')" || not_ok "alertmanager takes Y's end"
if wait_until 40 log_has "$T/d.log" '\[info\] alertmanager: resolved plan=stampede venue=Y广场 campaign=c1 drill=no fingerprint=[0-9a-f]+$'; then
	ok "heraldd received Y广场's resolution"
else
	not_ok "heraldd received Y广场's resolution" "$(grep alertmanager "$T/d.log" | tail -5)" "$(tail -5 "$T/am.log")"
fi
if ! log_has "$T/d.log" 'alertmanager: resolved plan=stampede venue=(X商场|Z广场)'; then
	ok "X商场 and Z广场 are not resolved"
else
	not_ok "X商场 and Z广场 are not resolved" "$(grep 'alertmanager: resolved' "$T/d.log")"
fi

# The wrong token: Alertmanager is refused (403) and says so; heraldd
# applies nothing of that plan.
am_post '[{"labels":{"alertname":"Wrong","plan":"wrongtoken","venue":"W"}}]' ||
    not_ok "alertmanager takes the wrong-token alert"
if wait_until 30 grep -q 'herald-wrong-token.*403' "$T/am.log"; then
	ok "with the wrong token alertmanager is refused with 403"
else
	not_ok "with the wrong token alertmanager is refused with 403" "$(grep -i 'wrong' "$T/am.log" | tail -3)"
fi
if ! log_has "$T/d.log" 'plan=wrongtoken'; then
	ok "and heraldd applied nothing of it"
else
	not_ok "and heraldd applied nothing of it" "$(grep wrongtoken "$T/d.log")"
fi

# incidents GET [QUERY] -- GET /v1/incidents into $T/inc.
incidents() {
	curl -sS -m 10 "$API/v1/incidents${1:-}" >"$T/inc" 2>&1
}
# inc_field VENUE EXPR -- EXPR over the incident of plan stampede
# at VENUE (i), "<none>" when there is none.
inc_field() {
	$PY - "$T/inc" "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
rows = j["incidents"] if isinstance(j, dict) else j
hit = [i for i in rows if i.get("plan") == "stampede" and i.get("venue") == sys.argv[2]]
print(eval(sys.argv[3], {"i": hit[0]}) if hit else "<none>")
PY
}
# The firing alert created an
# incident, triggered through the alertmanager door.
incidents
if [ "$(inc_field 'X商场' 'i["state"], i.get("drill"), i.get("source", i.get("door"))')" = "('open', False, 'alertmanager')" ]; then
	ok "X商场: an open incident triggered by alertmanager"
else
	not_ok "X商场: an open incident triggered by alertmanager" "$(head -c 600 "$T/inc")"
fi
# The resolved alert resolved it.
if wait_until 20 sh -c "curl -sS -m 5 '$API/v1/incidents' | grep -q resolved" &&
    incidents && [ "$(inc_field 'Y广场' 'i["state"]')" = resolved ]; then
	ok "Y广场: its incident resolved by alertmanager"
else
	not_ok "Y广场: its incident resolved by alertmanager" "$(head -c 600 "$T/inc")"
fi

ALLOWED='alertmanager: receiver r left out 1 alerts'
bad=$(unexpected_warnings "$T/d.log" "$ALLOWED")
if [ -z "$bad" ]; then
	ok "no unexpected warnings from heraldd"
else
	not_ok "no unexpected warnings from heraldd" "$bad"
fi
done_testing
