#!/bin/bash
# test_pg_skew.sh - two heraldd nodes on one PostgreSQL database (issue
# 15), one of them with its clock 2 s ahead (libfaketime, FAKETIME=+2),
# sharing the work: leases are judged by the database's clock, so
#   - 2 x N reminders on a channel taking 0.1 s a post, due 3 s apart:
#     each key received once, the two nodes' sends add up, and each
#     node sent at least a fifth: each claims only its share ahead of
#     the instant (a 4 s window, wider than the skew; before, the skewed
#     node, seeing them due 2 s early, claimed them all);
#   - SLOW reminders on a channel whose receiver takes 12 s per post are
#     held past the 9 s lease they were claimed with; their holder renews
#     them (every 3 s), so the other node never takes one over: each
#     received once, no event of a lease that expired or ran out.
# Before the PostgreSQL store renewed leases, the other node took the
# slow ones over once their lease ran out and sent them a second time.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
N=400
SLOW=4

pg_need
if [ -z "$FAKETIME_LIB" ]; then
	echo "1..0 # SKIP libfaketime not installed"
	exit 0
fi
pg_begin

q() { pg_psql herald "$1" 2>/dev/null; }

receiver_start

# posts PATH -- "keys posts max" of the posts to PATH
posts() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' 2>/dev/null || echo "0 0 0"
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["path"] == sys.argv[2]:
        n[json.loads(r["body"])["key"]] += 1
print(len(n), sum(n.values()), max(n.values(), default=0))
PY
}
# sent API CHANNEL -- what a node's status says it sent on the channel
sent() {
	curl -sS -m 5 "$1/v1/status" 2>/dev/null | $PY -c '
import json, sys
j = json.load(sys.stdin)
print([c["sent"] for c in j["channels"] if c["name"] == sys.argv[1]][0])' "$2" 2>/dev/null
}

now=$(date +%s)
at=$((now + 12))
awk -v n="$N" -v s="$SLOW" 'BEGIN {
	print "contacts = ("
	for (i = 1; i <= n; i++)
		printf "  { id = \"c%04d\"; name = \"联络员%04d\"; prefer = [ \"hook\" ]; },\n", i, i
	for (i = 1; i <= s; i++)
		printf "  { id = \"s%d\"; name = \"慢%d\"; prefer = [ \"slow\" ]; }%s\n", i, i, i < s ? "," : ""
	print ");"
	print "groups = ( { id = \"fast\"; members = ["
	for (i = 1; i <= n; i++)
		printf "  \"c%04d\"%s\n", i, i < n ? "," : ""
	print "] }, { id = \"slowg\"; members = ["
	for (i = 1; i <= s; i++)
		printf "  \"s%d\"%s\n", i, i < s ? "," : ""
	print "] } );"
}' >"$T/people.conf"
# A 9 s lease (the floor: prefetch 4 s + 5 s), renewed every 3 s.
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$PG_URL";
  engine = { workdays_only = [ ]; prefetch = "4s"; lease = "9s"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-0.1/fast/x";
    concurrency = 4; rate = "1000/s"; },
  { name = "slow"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-12/slow/x";
    concurrency = $SLOW; rate = "100/s"; timeout = "30s"; } );
@include "people.conf"
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil $((now - 86400)))", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送材料"; due = "$(sh_civil $((at + 600)))";
      audience = [ "fast", "slowg" ]; remind = [ "10m" ]; overdue = false; },
    { id = "d2"; title = "核对名单"; due = "$(sh_civil $((at + 603)))";
      audience = [ "fast" ]; remind = [ "10m" ]; overdue = false; } ); } );
CONF

start_bg "$T/right.log" "$HERALDD" -f -c "$T/h.conf"
p1=$BG_PID
start_bg "$T/skewed.log" fake_clock +2 "$HERALDD" -f -c "$T/h.conf"
p2=$BG_PID
if wait_listen "$T/right.log" 30 && a1=$API && wait_listen "$T/skewed.log" 30; then
	a2=$API
	ok "two nodes start on one database, one with its clock 2 s ahead"
else
	not_ok "two nodes start" "$(tail -n 5 "$T/right.log" "$T/skewed.log")"
fi
skew=$(curl -sS -D - -o /dev/null "$a2/v1/status" 2>/dev/null |
    sed -n 's/^[Dd]ate: //p' | tr -d '\r')
d=$(( $(date -d "$skew" +%s 2>/dev/null || echo 0) - $(date +%s) ))
if [ "$d" -ge 1 ] && [ "$d" -le 3 ]; then
	ok "the skewed node's clock is ${d} s ahead (its HTTP Date)"
else
	not_ok "the skewed node's clock is 2 s ahead" "Date: $skew, $d s"
fi

fast_done() { [ "$(q "SELECT count(*) FROM jobs WHERE channel = 'hook' AND state = 'delivered'")" = $((2 * N)) ]; }
if wait_until 60 fast_done; then
	ok "the $((2 * N)) reminders on the shared channel are delivered"
else
	not_ok "the $((2 * N)) reminders are delivered" "$(q "SELECT channel, state, count(*) FROM jobs GROUP BY 1, 2")"
fi
sleep 0.5
read -r keys total max <<<"$(posts /slow-0.1/fast/x)"
is "$keys $total" "$((2 * N)) $((2 * N))" "each of their keys received once"
s1=$(sent "$a1" hook) s2=$(sent "$a2" hook)
# Each node claims its share ahead of the instant (sched.c), so both
# send a substantial part whatever the skew.
echo "# sent by the right node $s1, by the skewed node $s2"
check "the right node sent at least a fifth (${s1:-0})" test "$((${s1:-0} * 5))" -ge $((2 * N))
check "the skewed node sent at least a fifth (${s2:-0})" test "$((${s2:-0} * 5))" -ge $((2 * N))
is "$((${s1:-0} + ${s2:-0}))" $((2 * N)) "the two nodes' sends add up to the $((2 * N)) keys"

# The slow posts: 12 s each, past the lease they were claimed with.
slow_done() { [ "$(q "SELECT count(*) FROM jobs WHERE channel = 'slow' AND state = 'delivered'")" = "$SLOW" ]; }
if wait_until 40 slow_done; then
	ok "the $SLOW slow reminders are delivered"
else
	not_ok "the $SLOW slow reminders are delivered" "$(q "SELECT state, owner, count(*) FROM jobs WHERE channel = 'slow' GROUP BY 1, 2")"
fi
# A second post of a taken-over job would arrive 12+ s after the first
# began; give it the time to show.
sleep 3
read -r keys total max <<<"$(posts /slow-12/slow/x)"
is "$keys $total" "$SLOW $SLOW" "each slow key received once, held past its lease by a renewing node"
is "$(q "SELECT count(*) FROM events WHERE detail LIKE '%lease of %'")" 0 \
    "no lease expired or ran out in the history"
kill -TERM "$p1" "$p2"
wait_exit "$p1" 15
is "$EXIT_STATUS" 0 "the first node stops on SIGTERM"
wait_exit "$p2" 15
is "$EXIT_STATUS" 0 "the skewed node stops on SIGTERM"
is "$(unexpected_warnings "$T/right.log")$(unexpected_warnings "$T/skewed.log")" "" \
    "no warnings on either node"
done_testing
