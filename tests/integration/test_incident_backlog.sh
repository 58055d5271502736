#!/bin/bash
# test_incident_backlog.sh - issue 14: an emergency goes ahead of a
# backlog.  10,000 reminders (1,000 contacts x 10 deadlines, one instant)
# fall due on webhook channel hook-a, whose receiver answers reminders
# only after SLOW seconds (tests/integration/webhook_receiver.py,
# /slowkind-reminder-S/): every ordinary slot of the channel holds a slow
# reminder and the rest wait.  Right after a batch of reminders arrived
# (so no ordinary slot frees for SLOW seconds), a plan is triggered:
#   - the first alert reaches the receiver before any further reminder
#     (the order of the receiver's log, not a time);
#   - every recipient gets the alert on every channel it has (lead:
#     hook-a and its always copy hook-b; member: hook-a; desk: hook-b),
#     once;
#   - the backlog is still there (reminders keep arriving after the
#     alerts, and most are still pending in the store).
# Expected counts come from the config written here.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
TOKEN='tok-backlog-51c9'
SLOW=4
CONTACTS=1000
DEADLINES=10
cd "$T" || exit 1

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ] || ! command -v sqlite3 >/dev/null ||
    ! command -v curl >/dev/null; then
	echo "1..0 # SKIP the webhook plugin, sqlite3 or curl is missing"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
# kinds [FROM_LINE] -- "kind contact channel" of each logged post, from
# line FROM_LINE (1-based) of the receiver's log on
kinds() {
	$PY - "$T/hooks.jsonl" "${1:-1}" <<'PY' 2>/dev/null
import json, sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if i < int(sys.argv[2]):
        continue
    r = json.loads(line)
    b = json.loads(r["body"])
    print(b["kind"], b["contact"], r["path"].split("/")[2])
PY
}
n_kind() { kinds "${2:-1}" | grep -c "^$1 "; }
n_kind_ge() { [ "$(n_kind "$1" "${3:-1}")" -ge "$2" ]; }

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
due=$((now + 3600))

{
	cat <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "token";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "hook-a"; plugin = "webhook"; timeout = "30s"; rate = "100000/s"; burst = 100000;
    url = "http://127.0.0.1:$P/slowkind-reminder-$SLOW/hook-a/x"; },
  { name = "hook-b"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook-b/x"; }
);
contacts = (
  { id = "lead"; name = "张丽"; prefer = [ "hook-a" ]; always = [ "hook-b" ]; },
  { id = "member"; name = "王强"; prefer = [ "hook-a" ]; },
  { id = "desk"; name = "值班室"; prefer = [ "hook-b" ]; },
CONF
	for i in $(seq 1 $CONTACTS); do
		printf '  { id = "c%d"; name = "联络员%d"; prefer = [ "hook-a" ]; }%s\n' \
		    "$i" "$i" "$([ "$i" = $CONTACTS ] || echo ,)"
	done
	echo ');'
	echo "groups = ( { id = \"all\"; members = [ $(seq -f '"c%g"' 1 $CONTACTS | paste -sd,) ]; } );"
	echo "campaigns = ( { id = \"xfcjy\"; title = \"消费促进月\";"
	echo "  period = [ \"$(sh_civil "$now")\", \"$(sh_civil $((now + 86400)))\" ];"
	echo "  deadlines = ("
	# Due at start + 4 s: 10,000 reminders at one instant.
	for i in $(seq 1 $DEADLINES); do
		printf '    { id = "d%d"; title = "报送材料%d"; due = "%s"; audience = [ "all" ]; remind = [ "3596s" ]; }%s\n' \
		    "$i" "$i" "$(sh_civil "$due")" "$([ "$i" = $DEADLINES ] || echo ,)"
	done
	cat <<CONF
  );
  plans = ( { id = "stampede"; title = "促销场所踩踏事故应急预案"; level = 1;
    alert = [ "lead", "member", "desk" ]; steps = "立即疏散"; repeat = "1h"; } ); } );
CONF
} >h.conf
BACKLOG=$((CONTACTS * DEADLINES))

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
if ! wait_listen "$T/heraldd.log" 30; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	done_testing
	exit 0
fi
is "$(q "SELECT count(*) FROM jobs WHERE kind = 'reminder' AND channel = 'hook-a'")" \
    "$BACKLOG" "$BACKLOG reminders planned on hook-a"

# The backlog flows: a first batch of slow reminders holds the slots.
if wait_until 30 n_kind_ge reminder 1; then
	ok "the reminders fall due and reach the slow receiver"
else
	not_ok "the reminders fall due and reach the slow receiver" "$(tail -5 "$T/heraldd.log")"
	done_testing
	exit 0
fi
# Trigger right after a batch came: its senders wait SLOW seconds for
# their answers, so no ordinary slot is free for that long and a reminder
# sent before an alert would be a reminder put ahead of it.
seen=$(n_kind reminder)
wait_until 15 eval '[ "$(n_kind reminder)" -gt "$seen" ]'
sleep 0.3
from=$(($(wc -l <"$T/hooks.jsonl") + 1))
pending=$(q "SELECT count(*) FROM jobs WHERE kind = 'reminder' AND state IN ('pending', 'inflight')")
check "a backlog when triggered: $pending of $BACKLOG reminders not sent yet" \
    test "${pending:-0}" -ge $((BACKLOG - 100))
t0=$(date +%s.%N)
code=$(curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "stampede", "venue": "XX商场", "note": "三楼扶梯口人群拥挤"}' \
    "$API/v1/incidents")
is "$code" 201 "the trigger is accepted (201)"

# lead x 2 + member + desk, from the config above.
ALERTS=4
if wait_until 20 n_kind_ge emergency $ALERTS "$from"; then
	ok "the $ALERTS alerts reach the receiver"
else
	not_ok "the $ALERTS alerts reach the receiver" "$(kinds "$from" | sort | uniq -c)"
fi
first=$(kinds "$from" | grep -m1 -n -E '^(emergency|reminder) ')
like "$first" '^1:emergency ' \
    "the first post after the trigger is an alert, not one of the queued reminders"
# The order among everything after the trigger: no reminder before the
# first alert (so none went ahead of the emergency queue).
before=$(kinds "$from" | awk '/^emergency / { exit } /^reminder / { n++ } END { print n + 0 }')
is "$before" 0 "no reminder reaches the receiver between the trigger and the first alert"
is "$(kinds "$from" | grep '^emergency ' | sort | tr '\n' ';')" \
    "emergency desk hook-b;emergency lead hook-a;emergency lead hook-b;emergency member hook-a;" \
    "every recipient gets one alert on every channel it has"
latency=$($PY -c '
import json, sys
t0 = float(sys.argv[2])
ts = [json.loads(l)["t"] for l in open(sys.argv[1], encoding="utf-8")
      if json.loads(json.loads(l)["body"])["kind"] == "emergency"]
print("first %.0f ms, last %.0f ms" % ((min(ts) - t0) * 1000, (max(ts) - t0) * 1000))' \
    "$T/hooks.jsonl" "$t0" 2>&1)
echo "# trigger -> alert at the receiver: $latency (with $pending reminders waiting)"

# The backlog was there all along: reminders go on after the alerts.
n_after=$(n_kind reminder "$from")
if wait_until $((SLOW * 3)) n_kind_ge reminder $((n_after + 1)) "$from"; then
	ok "reminders keep flowing after the alerts (the backlog was not dropped)"
else
	not_ok "reminders keep flowing after the alerts (the backlog was not dropped)" \
	    "$(tail -5 "$T/heraldd.log")"
fi
is "$(unexpected_warnings "$T/heraldd.log" 'CLOCK NOT SYNCHRONIZED|saturated')" "" \
    "no unexpected warnings in the log"
done_testing
