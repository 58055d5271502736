#!/bin/bash
# test_pg_share.sh - three heraldd nodes on one PostgreSQL database split
# a launch (issue 15): N go-notices to the recording receiver, due at one
# instant.  Each node claims ahead of the instant only its share of the
# window (ceil(due / live nodes) less what it holds), stages it, and all
# hand off at the instant:
#   - every key received exactly once;
#   - each node sent at least 20 % of them (its /v1/status, and the
#     owners of the delivered rows in the database);
#   - no go-notice left before the instant, all of them within a loose
#     bound after it (the spread is measured in contrib/bench);
#   - each node's launch line says it is node K of 3.
# Before, the first node to claim took every go-notice of the launch.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
N=3000

pg_begin

q() { pg_psql herald "$1" 2>/dev/null; }

receiver_start

now=$(date +%s)
at=$((now + 25))
contacts_conf "$N" 4 >"$T/people.conf"
# A 5 s window: each node claims its share from at - 5, beating every 3 s.
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$PG_URL";
  engine = { workdays_only = [ ]; prefetch = "5s"; lease = "10s"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/go/x";
    concurrency = 8; rate = "10000/s"; } );
@include "people.conf"
campaigns = ( { id = "kdsm"; title = "开渠";
  period = [ "$(sh_civil $((now - 86400)))", "$(sh_civil $((now + 86400)))" ];
  launch = { title = "启动"; at = "$(sh_civil "$at")"; audience = [ "all" ]; }; } );
CONF

pids=() apis=()
for i in 1 2 3; do
	start_bg "$T/n$i.log" "$HERALDD" -f -c "$T/h.conf"
	pids+=("$BG_PID")
done
up=0
for i in 1 2 3; do
	wait_listen "$T/n$i.log" 30 && apis+=("$API") && up=$((up + 1))
done
is "$up" 3 "three nodes start on one database"
live() { [ "$(curl -sS -m 5 "${apis[0]}/v1/status" 2>/dev/null | $PY -c '
import json, sys; print(len(json.load(sys.stdin)["nodes"]))' 2>/dev/null)" = 3 ]; }
check "the three nodes are live before the launch's window opens" wait_until 10 live
[ "$(date +%s)" -lt $((at - 5)) ] || echo "# the window opened before the three nodes were up: the split may be off"

done_q() { [ "$(q "SELECT count(*) FROM jobs WHERE kind = 'launch' AND state = 'delivered'")" = "$N" ]; }
if wait_until $((at - $(date +%s) + 60)) done_q; then
	ok "the $N go-notices are delivered"
else
	not_ok "the $N go-notices are delivered" "$(q "SELECT kind, state, owner, count(*) FROM jobs GROUP BY 1, 2, 3")"
fi
sleep 0.5
read -r keys total first last <<<"$($PY - "$T/hooks.jsonl" "$at" <<'PY' 2>/dev/null || echo "0 0 0 0"
import collections, json, sys
n, ts = collections.Counter(), []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["path"] == "/go/x":
        n[json.loads(r["body"])["key"]] += 1
        ts.append(r["t"] - float(sys.argv[2]))
print(len(n), sum(n.values()), "%.3f" % min(ts), "%.3f" % max(ts))
PY
)"
is "$keys $total" "$N $N" "each go-notice received once"
echo "# first arrival $first s after the instant, last $last s"
check "none arrives before the instant" $PY -c "import sys; sys.exit(not $first >= -0.05)"
check "all arrive within 20 s of the instant" $PY -c "import sys; sys.exit(not $last < 20)"

sum=0
for i in 0 1 2; do
	s=$(curl -sS -m 5 "${apis[$i]}/v1/status" 2>/dev/null | $PY -c '
import json, sys
j = json.load(sys.stdin)
print([c["sent"] for c in j["channels"] if c["name"] == "hook"][0])' 2>/dev/null)
	s=${s:-0}
	sum=$((sum + s))
	echo "# node $((i + 1)) sent $s"
	check "node $((i + 1)) sent at least 20 % of the launch ($s of $N)" test "$((s * 5))" -ge "$N"
done
is "$sum" "$N" "the three nodes' sends add up to the $N keys"
for i in 1 2 3; do
	like "$(grep 'go-notices handed off' "$T/n$i.log")" "by node [123] of 3 \(its share\)" \
	    "node $i's launch line says it is its share, node K of 3"
done
kill -TERM "${pids[@]}"
for p in "${pids[@]}"; do
	wait_exit "$p" 15
	is "$EXIT_STATUS" 0 "node $p stops on SIGTERM"
done
w=""
for i in 1 2 3; do w+=$(unexpected_warnings "$T/n$i.log" "CLOCK NOT SYNCHRONIZED"); done
is "$w" "" "no warnings on any node"
done_testing
