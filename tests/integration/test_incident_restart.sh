#!/bin/bash
# test_incident_restart.sh - issue 14: kill -9 with an incident's alerts
# in flight, start again, and count what the recording webhook receiver
# got per (recipient, channel, wave).  test_incident.sh kills the daemon
# when nothing is in flight and checks the instants; this one kills it
# while a slow channel holds alerts, so the bound on duplicates is what
# is tested:
#   - six recipients on a channel whose receiver takes 3 s per post,
#     concurrency 2; the desk on a fast channel, alerted by the
#     escalation at +8 s;
#   - kill -9 1.5 s after the trigger (alerts held by the slow channel),
#     start again at once;
#   - every recipient gets wave 0, the desk gets the escalation at its
#     instant, and no (recipient, channel, wave) is received more than
#     twice, with at most concurrency duplicates on the slow channel:
#     alerts go in a lane of their own as wide as the concurrency and
#     never take an ordinary slot (heraldd(8), "Delivery, retries and
#     fallback"), so no more are in flight at the kill.
# The receiver records a post when it arrives, before its answer: a post
# in flight at the kill is in the log, and a second one is a duplicate.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
TOKEN='tok-incident-restart-2b'
CONCURRENCY=2
cd "$T" || exit 1

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
posts() {	# posts KIND [CONTACT] -- posts of that kind the receiver logged
	$PY - "$T/hooks.jsonl" "$@" <<'PY' 2>/dev/null || echo 0
import json, sys
kind, who = (sys.argv[2:] + [None])[:2]
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(line)["body"])
    n += b["kind"] == kind and (who is None or b["contact"] == who)
print(n)
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
contacts=
for i in 1 2 3 4 5 6; do
	contacts="$contacts  { id = \"p$i\"; name = \"组员$i\"; prefer = [ \"slow\" ]; },
"
done
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "token";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "slow"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-3/slow/x";
    concurrency = $CONCURRENCY; rate = "100/s"; },
  { name = "fast"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/fast/x"; rate = "100/s"; }
);
contacts = (
$contacts  { id = "desk"; name = "值班室"; prefer = [ "fast" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "stampede"; title = "踩踏事故应急预案"; level = 1;
    alert = [ "p1", "p2", "p3", "p4", "p5", "p6" ]; steps = "立即疏散";
    repeat = "60s"; escalate = ( { after = "8s"; to = [ "desk" ]; } ); } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if ! wait_listen "$T/heraldd.log"; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	done_testing
	exit 0
fi

curl -s -o "$T/body" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "stampede", "venue": "XX商场", "note": "人群拥挤"}' "$API/v1/incidents"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body" 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered ($id)"
created=$(q "SELECT created_at FROM incidents WHERE id = '$id'")

# Kill while the slow channel holds alerts (each post takes 3 s).
wait_until 10 test "$(posts emergency)" -ge 1
sleep 1.5
in_flight=$(posts emergency)
kill -KILL "$pid"
wait_exit "$pid" 5
like "$in_flight" '^[1-9]' "alerts were in flight at the kill ($in_flight received, none answered)"

start_bg "$T/heraldd2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
wait_listen "$T/heraldd2.log" || not_ok "heraldd starts again" "$(tail -5 "$T/heraldd2.log")"
like "$(cat "$T/heraldd2.log")" 'recovered [0-9]+ jobs in flight' "the restart puts back what was in flight"

all() { for i in 1 2 3 4 5 6; do [ "$(posts emergency "p$i")" -ge 1 ] || return 1; done
	[ "$(posts emergency desk)" -ge 1 ]; }
if wait_until 25 all; then ok "after the restart every recipient gets wave 0, the desk the escalation"; else
	not_ok "after the restart every recipient gets wave 0, the desk the escalation" \
	    "$(q "SELECT contact, offset_s, state FROM jobs")"; fi
desk=$($PY - "$T/hooks.jsonl" "$created" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    if b["kind"] == "emergency" and b["contact"] == "desk":
        print("%.1f" % (r["t"] - float(sys.argv[2]))); break
PY
)
is "$($PY -c 'import sys; print(7.9 <= float(sys.argv[1]) <= 10.5)' "${desk:-0}")" True \
    "the escalation at +8 s comes on time across the kill -9 (+${desk}s)"

# Wait until the slow channel is done, then count per key: a key is one
# (recipient, channel, wave) of the incident.
done_sending() { [ "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND state IN ('pending', 'inflight') AND due <= strftime('%s', 'now')")" = 0 ]; }
wait_until 20 done_sending
sleep 0.5
dups=$($PY - "$T/hooks.jsonl" <<'PY'
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    if b["kind"] == "emergency":
        n[(b["key"], r["path"].split("/")[2])] += 1
slow = sum(c - 1 for (k, ch), c in n.items() if ch == "slow")
fast = sum(c - 1 for (k, ch), c in n.items() if ch == "fast")
print(len(n), max(n.values()), slow, fast)
PY
)
read -r n_keys max_per slow_dups fast_dups <<<"$dups"
is "$n_keys" 7 "seven (recipient, channel, wave) received: six of wave 0, the desk's escalation"
like "$max_per" '^[12]$' "none received more than twice ($max_per)"
is "$(( slow_dups <= CONCURRENCY )) $fast_dups" "1 0" \
    "duplicates on the slow channel within its concurrency ($slow_dups), none on the fast one"
is "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND offset_s IN (0, 8) AND state = 'delivered'")" 7 \
    "the store has the seven delivered"

kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd2.log" 'CLOCK NOT SYNCHRONIZED|in flight|recovered|comes before its first repeat')" "" "no unexpected warnings"
done_testing
