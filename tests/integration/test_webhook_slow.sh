#!/bin/bash
# test_webhook_slow.sh - a slow peer is not paid eight times (issue 12,
# defect 5).  A WeCom robot (a flavour that drops no duplicates) that
# answers only after the channel's timeout receives every notice: herald
# must treat the timeout as "may have been delivered", back off for
# engine.retry.after_timeout instead of retry.base, give up after
# retry.timeouts timed-out tries, never fall back to the contact's next
# channel, and count the timeouts in /metrics.  The receiver
# (tests/integration/webhook_receiver.py, /slow-S/) records each request
# on arrival; counts and gaps are checked against the config here.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
ALLOWED='CLOCK NOT SYNCHRONIZED|timed out|failed'

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ] || ! command -v sqlite3 >/dev/null ||
    ! command -v curl >/dev/null; then
	echo "1..0 # SKIP the webhook plugin, sqlite3 or curl is missing"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }
hits() { grep -c '"/slow-3/' "$T/hooks.jsonl" 2>/dev/null || echo 0; }

cd "$T" || exit 1
start_bg "$T/hooks.out" $PY "$RECEIVER" --port-file "$T/hooks.port" --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/hooks.port"; then
	not_ok "the receiver starts" "$(cat "$T/hooks.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/hooks.port")

# attempts = 8 and base = 1s: before the fix the robot got 8 copies in
# ~16 s and the notice then fell back to "audit".
AFTER_TIMEOUT=6
now=$(date +%s)
due=$((now + 900))
cat >slow.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:slow.db";
  listen = "127.0.0.1:0";
  engine = { workdays_only = [ ];
             retry = { attempts = 8; base = "1s"; cap = "1s"; max_age = "1h";
                       after_timeout = "${AFTER_TIMEOUT}s"; timeouts = 2; }; };
};
channels = (
  { name = "robot"; plugin = "webhook"; flavour = "wecom"; timeout = "1s";
    url = "http://127.0.0.1:$P/slow-3/cgi-bin/webhook/send?key=K"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "13800138000"; prefer = [ "robot", "audit" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "联络员名单"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang" ]; remind = [ "898s" ];
  } );
} );
templates = { reminder = { default = "{{contact}}您好，请报送{{title}}。"; }; };
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c slow.conf
DB=$T/slow.db
if wait_until 15 log_has "$T/heraldd.log" 'ready: config generation 1' && wait_listen "$T/heraldd.log"; then
	ok "heraldd starts"
else
	not_ok "heraldd starts" "$(cat "$T/heraldd.log")"
	done_testing
	exit 0
fi
key=$(q "SELECT key FROM jobs WHERE channel = 'robot' AND kind = 'reminder'")

# Bounded: two tries and one long backoff take ~2 + 6 s; 8 quick ones ~16 s.
if wait_until 40 q_ge "SELECT count(*) FROM jobs WHERE key = '$key' AND state IN ('failed', 'delivered')" 1; then
	ok "the notice to the slow robot comes to an end"
else
	not_ok "the notice to the slow robot comes to an end" "$(q "SELECT state, attempts, last_detail FROM jobs")"
fi
# Give any further request time to show up before counting.
wait_until 3 false
n=$(hits)
is "$n" 2 "the slow robot receives the notice twice (retry.timeouts), not 8 times"
gap=$($PY -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if "/slow-3/" in l]
print("%.1f" % (t[1] - t[0]) if len(t) > 1 else "none")' "$T/hooks.jsonl")
is "$($PY -c "import sys; print('yes' if sys.argv[1] != 'none' and float(sys.argv[1]) >= $AFTER_TIMEOUT * 0.8 else 'no')" "$gap")" yes \
    "the second copy waits for after_timeout (1 s timeout + ${AFTER_TIMEOUT}s -20%, -1 s for whole seconds), not base (gap ${gap}s)"
# A retry is recorded as "pending" with the try's reason; the next event
# is the next try's outcome.
retry_gap=$(q "SELECT at, state FROM events WHERE key = '$key' ORDER BY at" | $PY -c '
import sys
ev = [l.strip().split("|") for l in sys.stdin if l.strip()]
i = next((i for i, e in enumerate(ev) if e[1] == "pending"), None)
print(int(ev[i + 1][0]) - int(ev[i][0]) if i is not None and i + 1 < len(ev) else "")')
is "$([ -n "$retry_gap" ] && [ "$retry_gap" -ge $((AFTER_TIMEOUT * 8 / 10)) ] && echo yes)" yes \
    "the job's history shows the long backoff after the timed-out try (${retry_gap}s)"
like "$(q "SELECT group_concat(detail, '|') FROM events WHERE key = '$key' AND state = 'pending'")" \
    'timeout 1: timed out' "... and counts the timed-out try"
like "$(q "SELECT last_detail FROM jobs WHERE key = '$key'")" 'may have been delivered' \
    "the failure says the notice may have been delivered"
is "$(q "SELECT count(*) FROM jobs WHERE channel = 'audit'")" 0 \
    "no fallback job on \"audit\" after timeouts on a flavour that drops no duplicates"
is "$(lines audit.log)" 0 "... and nothing was written to the audit channel"

metrics=$(curl -s "$API/metrics")
like "$metrics" 'herald_timeouts_total\{channel="robot"\} 2' \
    "/metrics counts the 2 timeouts of the robot channel"
like "$(curl -s "$API/v1/status")" '"timeouts": ?2' "/v1/status counts them too"
# CHANNEL PLUGIN HEALTH QUEUED IN-FLIGHT SENT DELIVERED RETRIED TIMEOUTS FAILED
like "$("${HERALDCTL:-$top_builddir/ctl/heraldctl}" -u "$API" status 2>&1)" \
    '^robot +webhook +[a-z]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +2 +[0-9]+' \
    "heraldctl status shows the 2 timeouts in their column"
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings in the log"
done_testing
