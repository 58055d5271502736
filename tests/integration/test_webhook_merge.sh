#!/bin/bash
# test_webhook_merge.sh - DESIGN.md §9 step 4: reminders for many provinces
# queue behind a WeCom robot's quota (20 a minute); with merge_after they
# reach the group as one numbered message instead of trickling out.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
q() { sqlite3 -batch -cmd '.timeout 3000' "$T/merge.db" "$1" 2>/dev/null; }
requests_ge() { [ "$(wc -l <"$T/hooks.jsonl" 2>/dev/null || echo 0)" -ge "$1" ]; }

cd "$T" || exit 1
start_bg "$T/receiver.out" $PY "$RECEIVER" --port-file "$T/hooks.port" \
    --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/hooks.port"; then
	not_ok "the receiver starts" "$(cat "$T/receiver.out")"
	done_testing
	exit 0
fi
printf 'http://127.0.0.1:%s/ok/wecom/send?key=MERGE-KEY\n' "$(cat "$T/hooks.port")" >wecom.url

N=10
now=$(date +%s)
due=$((now + 120))		# the reminders come due at now + 4
{
	cat <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:merge.db";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "robot"; plugin = "webhook"; flavour = "wecom";
  url_file = "wecom.url"; mention = true;
  rate = "20/m"; burst = 1; merge_after = "5s"; } );
contacts = (
CONF
	for i in $(seq 1 $N); do
		sep=,; [ "$i" = $N ] && sep=
		printf '  { id = "p%d"; name = "联络员%d"; phone = "1380013%04d"; prefer = [ "robot" ]; }%s\n' \
		    "$i" "$i" "$i" "$sep"
	done
	cat <<CONF
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "list"; title = "报送联络员名单";
    due = "$(sh_civil "$due")";
    audience = [ $(for i in $(seq 1 $N); do printf '"p%d",' "$i"; done | sed 's/,$//') ];
    remind = [ "116s" ]; overdue = false; } ); } );
CONF
} >merge.conf

start_bg "$T/heraldd.log" "$HERALDD" -f -c merge.conf
pid=$BG_PID
if wait_until 30 requests_ge 2; then
	ok "the robot received posts"
else
	not_ok "the robot received posts" "$(cat "$T/heraldd.log")"
fi
# Two posts in all: the first reminder alone, then the other nine merged.
wait_until 10 sh -c "[ \"\$(sqlite3 '$T/merge.db' \"SELECT count(*) FROM jobs WHERE state = 'delivered'\")\" = $N ]"
is "$(wc -l <"$T/hooks.jsonl")" 2 "ten reminders reached the group in two posts"
contents=$($PY - "$T/hooks.jsonl" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    body = json.loads(json.loads(line)["body"])
    print(body["msgtype"], body["text"]["content"].count("报送联络员名单"),
          len(body["text"].get("mentioned_mobile_list", [])))
PYEOF
)
is "$(printf '%s\n' "$contents" | sed -n 1p)" "text 1 1" "the first post is one reminder, mentioning its liaison"
is "$(printf '%s\n' "$contents" | sed -n 2p | cut -d' ' -f1-2)" "text $((N - 1))" \
    "the second post carries the other nine reminders"
second=$($PY -c 'import json,sys; l=open(sys.argv[1]).readlines()[1]; print(json.loads(json.loads(l)["body"])["text"]["content"])' "$T/hooks.jsonl")
like "$second" '^【汇总】9条通知' "... under a digest heading"
like "$second" '9\. ' "... numbered one to nine"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" "$N" "every reminder is recorded delivered"
is "$(q "SELECT count(*) FROM events WHERE detail LIKE 'merged into one message with 8 others%'")" \
    "$((N - 1))" "... nine of them as merged, naming the message"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd.log" 'CLOCK NOT SYNCHRONIZED')" "" "no unexpected warnings"
done_testing
